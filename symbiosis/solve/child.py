"""HiGHS in a process of its own, which can be killed; and the HiGHS helpers both sides share.

HiGHS cannot always be stopped from inside the process: it checks its user interrupt and its
time limit in most places but not all (ERGO-Code/HiGHS#885); inside e.g. a RENS sub-MIP's
presolve it went on for minutes after being asked to stop. Measured (in-process
``cancelSolve`` at a random moment of the solve, time until HiGHS returned; 2-core machine,
HiGHS 1.16): generated cases of 1,425 integer columns at most 2.3 s (9 tries), 2,953 at most
10.8 s (11 tries), 14,003 up to 80 s (6 tries). So a MIP with
:data:`ISOLATE_MIN_INTEGER` or more integer columns is solved here, in a child process: the
model's arrays are sent to it, it runs HiGHS and sends back progress (incumbent, bound, gap,
nodes) and every improving solution (HiGHS's ``cbMipImprovingSolution``, whose
``data_out.mip_solution`` holds the solution in the columns of the model as passed), and on a
stop the parent asks it to cancel and kills it after a short grace, keeping the last
incumbent.

The child is a fresh interpreter (``python -m symbiosis.solve.child``, never a fork of the
parent) that imports only numpy and highspy (0.3 s), not the parent's ``__main__``: a
``multiprocessing`` "spawn" child would re-import the ``symbiosis`` script, i.e. the whole
command line with pandas and Pyomo (2.3 s, 190 MB). It talks to the parent over a
``multiprocessing`` ``Pipe``; it ignores SIGINT and SIGTERM and runs in a session of its own,
so that Ctrl-C in the terminal and a batch scheduler's SIGTERM reach only the parent, which
decides; it exits when the parent goes away (its end of the pipe closes). :func:`prestart`
starts one ahead (while the model is built) to hide the start-up.

This module imports nothing of symbiosis, so that the child starts fast.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any

import highspy
import numpy as np

#: A MIP with this many integer columns or more is solved in a child process (``isolate``
#: "auto" of :class:`symbiosis.solve.SolveOptions`); smaller ones stopped within 2.3 s
#: in-process when measured (module docstring), and save the child's start-up (about 0.3 s).
ISOLATE_MIN_INTEGER = 1000

_BANNER_SHOWN = False
_POOL_THREADS: int | None = None

STATUS_TEXT = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible",
}


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------
def new_highs() -> highspy.Highs:
    """A silent ``Highs``. HiGHS prints its banner on the first construction in a process,
    straight to file descriptor 1; that first time, stdout is pointed at /dev/null so that
    ``--json`` output stays clean.

    Returns
    -------
    highspy.Highs
        A fresh instance with ``output_flag`` off.
    """
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def use_threads(h: highspy.Highs, threads: int) -> None:
    """Ask ``h`` for ``threads`` threads (0: leave it to HiGHS).

    HiGHS starts one thread pool per process at its first solve and refuses (status error,
    no solve) a later solve that asks for another number of threads; so when the count
    asked differs from the one asked before in this process, the pool is restarted
    (``Highs.resetGlobalScheduler``). Solves in one process run one after another here.

    Parameters
    ----------
    h : highspy.Highs
        The instance to set.
    threads : int
        Threads asked for; 0 leaves HiGHS's default.
    """
    global _POOL_THREADS
    if threads:
        h.setOptionValue("threads", int(threads))
        if _POOL_THREADS is not None and threads != _POOL_THREADS:
            highspy.Highs.resetGlobalScheduler(True)
        _POOL_THREADS = int(threads)
    elif _POOL_THREADS is None:
        _POOL_THREADS = 0


def set_options(h: highspy.Highs, settings: dict[str, Any]) -> list[str]:
    """Set ``settings`` (``time_limit``, ``mip_rel_gap``, ``threads``, ``output_flag`` and
    any HiGHS option by name) on ``h``.

    Parameters
    ----------
    h : highspy.Highs
        The instance to set.
    settings : dict[str, Any]
        Option name -> value (None: left as it is); ``threads`` through
        :func:`use_threads`.

    Returns
    -------
    list[str]
        The names HiGHS rejected (unknown option or value out of range).
    """
    rejected = []
    for key, value in settings.items():
        if key == "threads":
            use_threads(h, int(value or 0))
        elif value is not None and h.setOptionValue(str(key), value) == highspy.HighsStatus.kError:
            rejected.append(str(key))
    return rejected


def problem_arrays(form: Any) -> dict[str, Any]:
    """A model as plain arrays: what :func:`pass_problem` takes, and what is sent to the
    child process. The model is ``min cost @ x + offset`` s.t.
    ``row_lower <= matrix @ x <= row_upper``, ``col_lower <= x <= col_upper``.

    Parameters
    ----------
    form : StandardForm
        Any object with the attributes of :class:`symbiosis.milp.form.StandardForm`
        (``cost``, ``offset``, ``matrix`` column-wise, ``row_lower``, ``row_upper``,
        ``col_lower``, ``col_upper``, ``integer``); read by name, so that this module, which
        the child process runs, imports nothing but numpy and highspy.

    Returns
    -------
    dict[str, Any]
        ``num_col``, ``num_row``, ``cost``, ``offset``, the bounds, the CSC arrays
        ``start``, ``index``, ``value``, and the indices of the ``integer`` columns.
    """
    matrix = form.matrix
    n_row, n_col = matrix.shape
    return {
        "num_col": int(n_col),
        "num_row": int(n_row),
        "cost": np.asarray(form.cost, dtype=float),
        "offset": float(form.offset),
        "col_lower": np.asarray(form.col_lower, dtype=float),
        "col_upper": np.asarray(form.col_upper, dtype=float),
        "row_lower": np.asarray(form.row_lower, dtype=float),
        "row_upper": np.asarray(form.row_upper, dtype=float),
        "start": np.asarray(matrix.indptr, dtype=np.int32),
        "index": np.asarray(matrix.indices, dtype=np.int32),
        "value": np.asarray(matrix.data, dtype=float),
        "integer": np.flatnonzero(form.integer).astype(np.int32),
    }


def pass_problem(h: highspy.Highs, problem: dict[str, Any]) -> None:
    """Pass a model given by :func:`problem_arrays` to ``h`` in one ``passModel`` call
    (column-wise matrix), then mark its integer columns.

    Parameters
    ----------
    h : highspy.Highs
        The instance to load.
    problem : dict[str, Any]
        The arrays of :func:`problem_arrays`.
    """
    lp = highspy.HighsLp()
    lp.num_col_ = problem["num_col"]
    lp.num_row_ = problem["num_row"]
    lp.col_cost_ = problem["cost"]
    lp.col_lower_ = problem["col_lower"]
    lp.col_upper_ = problem["col_upper"]
    lp.row_lower_ = problem["row_lower"]
    lp.row_upper_ = problem["row_upper"]
    lp.offset_ = problem["offset"]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = problem["num_col"]
    lp.a_matrix_.num_row_ = problem["num_row"]
    lp.a_matrix_.start_ = problem["start"]
    lp.a_matrix_.index_ = problem["index"]
    lp.a_matrix_.value_ = problem["value"]
    h.passModel(lp)
    idx = problem["integer"]
    if len(idx):
        h.changeColsIntegrality(
            len(idx), idx, np.full(len(idx), highspy.HighsVarType.kInteger, dtype=np.uint8)
        )


def read_outcome(h: highspy.Highs, has_integer: bool) -> dict[str, Any]:
    """What a finished HiGHS run gave: ``status`` (``optimal``, ``feasible``,
    ``infeasible``, ``no_solution``, ``error``), ``highs_status`` (HiGHS's text),
    ``objective``, ``bound``, ``gap`` and the arrays ``col_value`` and, for an LP,
    ``row_dual`` and ``col_dual`` (None where there are none).

    Parameters
    ----------
    h : highspy.Highs
        An instance whose solve has returned.
    has_integer : bool
        Whether the model has integer columns (a MIP: bound and gap from HiGHS; an LP:
        bound = objective, gap 0, and duals).

    Returns
    -------
    dict[str, Any]
        The keys above.
    """
    model_status = h.getModelStatus()
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = STATUS_TEXT.get(model_status.name)
    if status is None:
        status = "feasible" if has_primal else "no_solution"
    if status == "optimal" and not has_primal:
        status = "error"
    objective = bound = gap = None
    col_value = row_dual = col_dual = None
    if status in ("optimal", "feasible"):
        sol = h.getSolution()
        col_value = np.asarray(sol.col_value, dtype=float)
        objective = float(info.objective_function_value)
        if has_integer:
            bound = float(info.mip_dual_bound)
            # a run stopped with an incumbent: the gap is computed from the objective and the
            # bound it is reported with, by the formula every method uses (HiGHS's info may
            # hold inf beside a finite bound); a proven optimum keeps HiGHS's own gap (the
            # same formula on its internal bounds: exactly 0 where they meet, not a rounding
            # difference of the two reported values)
            if status == "optimal":
                highs_gap = float(info.mip_gap)
                if not np.isfinite(highs_gap):
                    highs_gap = mip_gap(objective, bound) or 0.0
                gap = max(0.0, min(highs_gap, 1.0))
            else:
                gap = mip_gap(objective, bound)
        else:
            bound, gap = objective, 0.0
            row_dual = np.asarray(sol.row_dual, dtype=float)
            col_dual = np.asarray(sol.col_dual, dtype=float)
    return {
        "status": status,
        "highs_status": h.modelStatusToString(model_status),
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "col_value": col_value,
        "row_dual": row_dual,
        "col_dual": col_dual,
    }


def mip_gap(objective: float | None, bound: float | None) -> float | None:
    """HiGHS's relative gap of an incumbent ``objective`` against a dual ``bound``:
    :math:`\\max(0, (objective - bound) / |objective|)`.

    Parameters
    ----------
    objective : float or None
        The incumbent's objective.
    bound : float or None
        The dual bound.

    Returns
    -------
    float or None
        The gap; 0 when both are 0, None without a finite objective and bound (or with a
        zero objective and a non-zero bound).
    """
    if objective is None or bound is None or not np.isfinite(bound) or not np.isfinite(objective):
        return None
    if objective == 0:
        return 0.0 if bound == 0 else None
    return max(0.0, (objective - bound) / abs(objective))


# --------------------------------------------------------------------------------------------
# The child
# --------------------------------------------------------------------------------------------
class _Latest:
    """What the HiGHS thread last reported, for the child's main loop to send."""

    def __init__(self, num_col: int) -> None:
        self.num_col = num_col
        self.lock = threading.Lock()
        self.progress: dict[str, Any] = {}
        self.progress_new = False
        self.incumbent: tuple[dict[str, Any], np.ndarray] | None = None

    def on_progress(self, event: Any) -> None:
        out = event.data_out
        with self.lock:
            self.progress = {
                "incumbent": float(out.mip_primal_bound),
                "bound": float(out.mip_dual_bound),
                "gap": float(out.mip_gap),
                "nodes": int(out.mip_node_count),
            }
            self.progress_new = True

    def on_incumbent(self, event: Any) -> None:
        out = event.data_out
        x = np.array(out.mip_solution, dtype=float)
        if len(x) != self.num_col:  # not a solution of the model as passed: not kept
            self.on_progress(event)
            return
        with self.lock:
            self.incumbent = (
                {
                    "objective": float(out.objective_function_value),
                    "bound": float(out.mip_dual_bound),
                },
                x,
            )
        self.on_progress(event)

    def take(self) -> tuple[dict[str, Any] | None, tuple[dict[str, Any], np.ndarray] | None]:
        with self.lock:
            progress = dict(self.progress) if self.progress_new else None
            incumbent, self.incumbent, self.progress_new = self.incumbent, None, False
        return progress, incumbent


def _child_solve(conn: Connection, job: dict[str, Any]) -> dict[str, Any]:
    h = new_highs()
    pass_problem(h, job["problem"])
    rejected = set_options(h, job["settings"])
    if rejected:
        raise ValueError(f"HiGHS rejects option(s) {', '.join(rejected)}")
    if job.get("initial") is not None:
        idx, values = job["initial"]
        h.setSolution(len(idx), idx, values)
    has_integer = bool(len(job["problem"]["integer"]))
    latest = _Latest(int(job["problem"]["num_col"]))
    if has_integer:
        h.cbMipImprovingSolution.subscribe(latest.on_incumbent)
        h.cbMipInterrupt.subscribe(latest.on_progress)
    h.HandleUserInterrupt = True
    interval = float(job.get("interval", 0.25))
    thread = h.startSolve()
    done = False
    while not done:
        done, _ = h.wait(interval)
        progress, incumbent = latest.take()
        if incumbent is not None:
            conn.send(("incumbent", incumbent[0], incumbent[1]))
        if progress is not None:
            conn.send(("progress", progress))
        while conn.poll():
            message = conn.recv()
            if message[0] == "cancel":
                h.cancelSolve()
    thread.join()
    outcome = read_outcome(h, has_integer)
    h.clear()
    return outcome


def child_main(fd: int) -> None:
    """The child's loop: wait for one ``("solve", job)`` message, solve, send
    ``("done", outcome)`` (or ``("error", text)``) and exit; exit at once when the parent
    closes its end of the pipe.

    Parameters
    ----------
    fd : int
        The file descriptor of the child's end of the pipe.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    conn = Connection(fd)
    try:
        message = conn.recv()
        if message[0] != "solve":
            os._exit(0)
        try:
            result: tuple[Any, ...] = ("done", _child_solve(conn, message[1]))
        except (EOFError, OSError):
            raise
        except Exception as exc:
            result = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(result)
    except (EOFError, OSError):  # the parent went away
        pass
    os._exit(0)


# --------------------------------------------------------------------------------------------
# The parent's side
# --------------------------------------------------------------------------------------------
class HighsProcess:
    """A child process that solves one model with HiGHS (see the module docstring).

    Attributes
    ----------
    process : subprocess.Popen
        The child (``python -m symbiosis.solve.child``), in a session of its own.
    conn : multiprocessing.connection.Connection
        The parent's end of the pipe.
    started : float
        When it was started (``time.perf_counter``).
    """

    def __init__(self) -> None:
        parent, child = Pipe(duplex=True)
        env = dict(os.environ)
        package_parent = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(
            [package_parent, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
        )
        debug = bool(os.environ.get("SYMBIOSIS_DEBUG"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "symbiosis.solve.child", str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if debug else subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        child.close()
        self.conn = parent
        self.started = time.perf_counter()

    def send(self, message: tuple[Any, ...]) -> bool:
        """Send ``message`` to the child.

        Parameters
        ----------
        message : tuple
            ``("solve", job)`` or ``("cancel",)``.

        Returns
        -------
        bool
            False if the child is gone.
        """
        try:
            self.conn.send(message)
        except (OSError, EOFError, ValueError):
            return False
        return True

    def receive(self, timeout: float) -> Iterator[tuple[Any, ...]]:
        """The messages that arrive within ``timeout`` seconds (all that are waiting once
        the first has come).

        Parameters
        ----------
        timeout : float
            Seconds to wait for the first message.

        Yields
        ------
        tuple
            ``("progress", dict)``, ``("incumbent", dict, values)``, ``("done", outcome)``
            or ``("error", text)``.

        Raises
        ------
        EOFError
            The child is gone.
        """
        if not self.conn.poll(timeout):
            return
        yield self.conn.recv()
        while self.conn.poll(0):
            yield self.conn.recv()

    def alive(self) -> bool:
        """Whether the child is still running.

        Returns
        -------
        bool
            True until it has exited.
        """
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the child (SIGKILL) and reap it."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def close(self, grace: float = 2.0) -> None:
        """Close the pipe (the child then exits) and reap the child, killing it if it has
        not exited within ``grace`` seconds.

        Parameters
        ----------
        grace : float
            Seconds given to the child to exit.
        """
        with contextlib.suppress(OSError):
            self.conn.close()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()


_spare: HighsProcess | None = None


def prestart() -> None:
    """Start a child now (if none is waiting), for the next :func:`take`: its start-up then
    overlaps the caller's work."""
    global _spare
    if _spare is None or not _spare.alive():
        _spare = HighsProcess()


def take() -> HighsProcess:
    """A started child: the one :func:`prestart` started, or a new one.

    Returns
    -------
    HighsProcess
        A running child, waiting for its job.
    """
    global _spare
    spare, _spare = _spare, None
    if spare is not None and spare.alive():
        return spare
    if spare is not None:
        spare.close(0.1)
    return HighsProcess()


def discard_spare() -> None:
    """Stop a child started by :func:`prestart` and not used."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        spare.close(0.5)


if __name__ == "__main__":
    child_main(int(sys.argv[1]))
