"""Solve a Pyomo model with HiGHS (highspy): status, gap and incumbent kept; stops when asked.

The hand-off was chosen by measurement (README, "Benchmark"):
:func:`symbiosis.milp.standard_form.standard_form` turns the model into sparse arrays (what
Pyomo's ``LinearStandardFormCompiler`` computes, several times faster on large models), which
are passed to highspy in one call. Pyomo's persistent HiGHS interface was far slower on large
models because it passes the model row by row.

Where HiGHS runs (``SolveOptions.isolate``): an LP, or a MIP with fewer than
:data:`~symbiosis.highs_process.ISOLATE_MIN_INTEGER` integer columns, in HiGHS's own thread in
this process: the calling thread polls it, forwards progress (incumbent, bound, gap) to a
callback, and on a stop asks HiGHS to stop (``cancelSolve``), which keeps the best solution
found so far (status ``feasible``). A larger MIP in a child process
(:mod:`symbiosis.highs_process`), because HiGHS does not always stop when asked: there the
child is asked to cancel and, if it has not answered within ``kill_grace`` seconds, killed;
the last improving solution it sent back is kept.

A solve stops when (a) SIGINT or SIGTERM arrives (:mod:`symbiosis.interrupt`; the solution
then says ``interrupted``), (b) ``overrun_grace`` seconds after its time limit, if HiGHS has
not stopped by itself (it does not check its limit everywhere), or (c) at
``SolveOptions.deadline``, the end of the time a run has left (the runner's time limit covers
everything after the model is built).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import highspy
import numpy as np
import pyomo.environ as pyo
import yaml
from pyomo.common.errors import InfeasibleConstraintException

from symbiosis import interrupt
from symbiosis.case import InputError, Problem
from symbiosis.highs_process import (
    ISOLATE_MIN_INTEGER,
    mip_gap,
    new_highs,
    problem_arrays,
    read_outcome,
    set_options,
    take,
    use_threads,
)
from symbiosis.milp.direct import DirectForm
from symbiosis.milp.model import model_arrays
from symbiosis.milp.standard_form import (
    StandardForm,
    pass_to_highs,
    pyomo_standard_form,
    standard_form,
)

OWN_KEYS = ("time_limit", "mip_rel_gap", "threads")
#: HiGHS options set unless a profile, the scenario or the caller says otherwise.
DEFAULT_HIGHS: dict[str, Any] = {"parallel": "on"}
SOLVERS_DIR = Path(__file__).resolve().parent.parent / "solvers"


@dataclass
class SolveOptions:
    """Options of one solve.

    ``highs`` holds any further HiGHS option by its HiGHS name (``parallel``, ``presolve``,
    ``mip_heuristic_effort`` ...). ``threads`` 0 lets HiGHS decide.

    The defaults, ``threads`` 2 and ``parallel: on``, were chosen by measurement on the
    project's 2-core machine (README, "Benchmark"; benchmarks/results.md): on generated
    MILPs they solved about as fast as HiGHS's own choice (``threads`` 0, ``parallel:
    choose``, one thread there) when HiGHS needs seconds, and 0-17 % faster when it needs a
    minute; never clearly slower. ``threads: 0`` and ``parallel: choose`` restore HiGHS's
    defaults.
    """

    time_limit: float | None = None
    mip_rel_gap: float = 1e-4
    threads: int = 2
    highs: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_HIGHS))
    log_to_console: bool = False
    progress_interval: float = 0.25
    #: seconds HiGHS may run past its time limit before it is asked to stop (as Ctrl-C does):
    #: HiGHS does not check its limit everywhere (ERGO-Code/HiGHS#885); on a 476k-arc case
    #: it was still strong branching more than 5 minutes past a 600 s limit
    overrun_grace: float = 2.0
    #: seconds a HiGHS child process has to answer a stop request before it is killed
    kill_grace: float = 3.0
    #: where HiGHS runs: True a child process that can be killed, False this process,
    #: "auto" a child process for a MIP with ISOLATE_MIN_INTEGER integer columns or more
    #: (symbiosis.highs_process)
    isolate: bool | Literal["auto"] = "auto"
    #: ``time.perf_counter()`` by which a solve must end, whatever its own time limit (the
    #: run's time limit counts from the model's build: warm start, solve, shadow prices and
    #: diagnosis share it); None: no deadline
    deadline: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "time_limit": self.time_limit,
            "mip_rel_gap": self.mip_rel_gap,
            "threads": self.threads,
            "highs": dict(self.highs),
        }

    def seconds_left(self) -> float | None:
        """Seconds until :attr:`deadline` (negative once passed); None without one."""
        return None if self.deadline is None else self.deadline - time.perf_counter()

    def limit_now(self) -> float | None:
        """The time limit of a HiGHS run starting now: ``time_limit`` cut to what is left
        before :attr:`deadline` (at least 0.05 s); None when neither is set."""
        limits = [x for x in (self.time_limit, self.seconds_left()) if x is not None]
        return max(min(limits), 0.05) if limits else None

    def isolated(self, n_integer: int) -> bool:
        """Whether a model with ``n_integer`` integer columns is solved in a child process."""
        if self.isolate == "auto":
            return n_integer >= ISOLATE_MIN_INTEGER
        return bool(self.isolate)


def load_profile(name: str, search: list[Path] | None = None) -> dict[str, Any]:
    """Read ``solvers/<name>.yaml`` (a mapping of option names to values)."""
    candidates = [Path(name)] if name.endswith((".yaml", ".yml")) else []
    for folder in [*(search or []), Path.cwd() / "solvers", SOLVERS_DIR]:
        candidates.append(folder / f"{name}.yaml")
    for path in candidates:
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise InputError(
                    [Problem(str(path), "a solver profile is a YAML mapping")], "scenario"
                )
            return {str(k): v for k, v in data.items() if k != "description"}
    known = sorted(p.stem for p in SOLVERS_DIR.glob("*.yaml")) if SOLVERS_DIR.is_dir() else []
    raise InputError(
        [Problem("scenario", f"solver.profile: no profile '{name}'; known: {', '.join(known)}")],
        "scenario",
    )


def resolve_options(
    solver: Any, base_dir: Path | None = None, overrides: dict[str, Any] | None = None
) -> SolveOptions:
    """Merge defaults < named profile < the scenario's ``solver:`` keys < ``overrides``."""
    merged: dict[str, Any] = {}
    if solver is not None and getattr(solver, "profile", None):
        search = [base_dir / "solvers", base_dir.parent / "solvers"] if base_dir else []
        merged.update(load_profile(solver.profile, search))
    if solver is not None:
        for key in OWN_KEYS:
            value = getattr(solver, key)
            if value is not None:
                merged[key] = value
        merged.update(solver.options)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    options = SolveOptions()
    for key in OWN_KEYS:
        if key in merged:
            setattr(options, key, merged.pop(key))
    options.highs = {**DEFAULT_HIGHS, **merged}
    return options


@dataclass
class Progress:
    """What the solver reports while it runs."""

    elapsed: float
    incumbent: float | None
    bound: float | None
    gap: float | None
    nodes: int | None


@dataclass
class Solution:
    """The outcome of one solve, with variable values as arrays in ModelData order."""

    status: str  # optimal | feasible | infeasible | no_solution | error
    highs_status: str
    objective: float | None
    bound: float | None
    mip_gap: float | None
    values: dict[str, np.ndarray]
    row_duals: dict[str, float]
    timings: dict[str, float]
    interrupted: bool = False
    size: dict[str, int] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")


@dataclass
class CompiledModel:
    """The model as HiGHS sees it, and how its columns map back to Pyomo."""

    highs: highspy.Highs
    columns: list[Any]
    rows: list[Any]
    offset: float
    n_integer: int
    seconds_compile: float
    seconds_pass: float


def compile_model(m: pyo.ConcreteModel, compiler: str = "symbiosis") -> CompiledModel:
    """Compile ``m`` to sparse standard form and pass it to a fresh ``highspy.Highs``.

    ``compiler``: ``"symbiosis"`` (:func:`~symbiosis.milp.standard_form.standard_form`, reads
    the model's linear expressions directly) or ``"pyomo"`` (Pyomo's
    ``LinearStandardFormCompiler``: the same arrays, several times slower on large models).
    Raises ``InfeasibleConstraintException`` when a constraint is constant and violated.
    """
    t0 = time.perf_counter()
    form = pyomo_standard_form(m) if compiler == "pyomo" else standard_form(m)
    t1 = time.perf_counter()
    h = new_highs()
    pass_to_highs(h, form)
    t2 = time.perf_counter()
    n_integer = int(form.integer.sum())
    return CompiledModel(h, form.columns, form.rows, form.offset, n_integer, t1 - t0, t2 - t1)


def solve_model(
    m: pyo.ConcreteModel,
    options: SolveOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    initial_values: dict[str, np.ndarray] | None = None,
) -> Solution:
    """Solve ``m`` with HiGHS and return its :class:`Solution`.

    A time limit, the options' deadline, SIGINT or SIGTERM with a solution in hand give
    status ``feasible`` and its gap (``interrupted`` says a signal stopped it); without one,
    ``no_solution``. Row duals are returned when the model has no integer variable (an LP,
    e.g. with binaries fixed), keyed by constraint name. ``initial_values`` (arrays ``x``,
    ``y``, ``b``, ``w``, ``shortfall`` in ModelData order, any subset) is a first solution
    handed to HiGHS (``setSolution``); HiGHS checks it and ignores it if it is not feasible.

    Compiling the model (pure Python) stops at once on a signal: it raises
    :class:`~symbiosis.interrupt.Interrupted` (the caller decides what to keep); HiGHS itself
    is stopped as the module docstring says.
    """
    options = options or SolveOptions()
    arrays = model_arrays(m)
    timings: dict[str, float] = {}
    with interrupt.handle_signals(), interrupt.interruptible():
        t0 = time.perf_counter()
        try:
            form = standard_form(m)
        except InfeasibleConstraintException as exc:
            return Solution(
                "infeasible",
                f"constant constraint violated: {exc}",
                None,
                None,
                None,
                {},
                {},
                timings,
            )
        timings["compile"] = time.perf_counter() - t0
    n_integer = int(form.integer.sum())
    position = {id(v): j for j, v in enumerate(form.columns)}
    initial = _initial_columns(position, arrays, initial_values) if initial_values else None
    if options.isolated(n_integer):
        check_options(options)
        t1 = time.perf_counter()
        problem = problem_arrays(
            form.cost,
            form.offset,
            form.matrix,
            form.row_lower,
            form.row_upper,
            form.col_lower,
            form.col_upper,
            form.integer,
        )
        timings["pass_to_highs"] = time.perf_counter() - t1
        run = run_isolated(problem, options, on_progress, initial)
    else:
        t1 = time.perf_counter()
        h = new_highs()
        pass_to_highs(h, form)
        timings["pass_to_highs"] = time.perf_counter() - t1
        configure(h, options)
        if initial is not None:
            h.setSolution(len(initial[0]), initial[0], initial[1])
        run = run_highs(h, options, on_progress, bool(n_integer))
    timings["solve"] = run.seconds

    values: dict[str, np.ndarray] = {}
    row_duals: dict[str, float] = {}
    if run.col_value is not None:
        col_value = run.col_value
        for name, variables in arrays.items():
            out = np.empty(len(variables))
            for i, v in enumerate(variables):
                j = position.get(id(v))
                out[i] = col_value[j] if j is not None else (v.value if v.fixed else 0.0) or 0.0
            values[name] = out
        if run.row_dual is not None:
            for entry, dual in zip(form.rows, run.row_dual, strict=True):
                row_duals[entry.constraint.name] = float(dual)
    size = {
        "columns": len(form.columns),
        "rows": len(form.rows),
        "integer_columns": n_integer,
    }
    return run.solution(values, row_duals, timings, size)


def solve_form(
    form: DirectForm,
    options: SolveOptions | None = None,
    initial_values: dict[str, np.ndarray] | None = None,
) -> Solution:
    """Solve a :class:`~symbiosis.milp.direct.DirectForm` (the model built with numpy) with
    HiGHS, as :func:`solve_model` does a Pyomo model: same options, statuses and stops;
    values split into the arrays ``x``, ``y``, ``b``, ``w``, ``shortfall``; no row duals."""
    options = options or SolveOptions()
    initial = None
    if initial_values:
        index: list[np.ndarray] = []
        value: list[np.ndarray] = []
        for name, block in form.blocks.items():
            given = initial_values.get(name)
            cols = np.arange(block.start, block.stop)
            if given is None or len(given) != len(cols):
                continue
            given = np.asarray(given, dtype=float)
            index.append(cols)
            value.append(np.where(form.integer[cols], np.round(given), given))
        if index:
            initial = (np.concatenate(index).astype(np.int32), np.concatenate(value))
    n_integer = int(form.integer.sum())
    t0 = time.perf_counter()
    if options.isolated(n_integer):
        check_options(options)
        problem = problem_arrays(
            form.cost,
            form.offset,
            form.matrix,
            form.row_lower,
            form.row_upper,
            form.col_lower,
            form.col_upper,
            form.integer,
        )
        timings = {"pass_to_highs": time.perf_counter() - t0}
        run = run_isolated(problem, options, None, initial)
    else:
        h = new_highs()
        pass_to_highs(h, form)
        timings = {"pass_to_highs": time.perf_counter() - t0}
        configure(h, options)
        if initial is not None:
            h.setSolution(len(initial[0]), initial[0], initial[1])
        run = run_highs(h, options, None, bool(n_integer))
    timings["solve"] = run.seconds
    values = form.split(run.col_value) if run.col_value is not None else {}
    size = {
        "columns": int(form.matrix.shape[1]),
        "rows": int(form.matrix.shape[0]),
        "integer_columns": n_integer,
    }
    return run.solution(values, {}, timings, size)


def highs_settings(options: SolveOptions) -> dict[str, Any]:
    """The HiGHS options of one run starting now: output, gap, time limit (cut to the
    deadline), threads, then ``options.highs`` (which may override any of them)."""
    settings: dict[str, Any] = {
        "output_flag": bool(options.log_to_console),
        "mip_rel_gap": float(options.mip_rel_gap),
    }
    limit = options.limit_now()
    if limit is not None:
        settings["time_limit"] = float(limit)
    settings["threads"] = int(options.threads or 0)
    settings.update({str(k): v for k, v in options.highs.items()})
    return settings


def configure(h: highspy.Highs, options: SolveOptions) -> None:
    """Set ``options`` (gap, time limit cut to the deadline, threads, HiGHS options) on
    ``h``; an option HiGHS rejects is an input error."""
    rejected = set_options(h, highs_settings(options))
    if rejected:
        key = rejected[0]
        raise InputError(
            [Problem("solver options", f"HiGHS rejects option {key!r} = {options.highs[key]!r}")],
            "scenario",
        )


def check_options(options: SolveOptions) -> None:
    """Raise the input error :func:`configure` would, on a throwaway empty ``Highs`` (before
    a model is sent to a child process)."""
    h = new_highs()
    settings = highs_settings(options)
    settings.pop("threads", None)  # the thread pool is the child's business
    rejected = set_options(h, settings)
    if rejected:
        key = rejected[0]
        raise InputError(
            [Problem("solver options", f"HiGHS rejects option {key!r} = {options.highs[key]!r}")],
            "scenario",
        )


@dataclass
class HighsRun:
    """What one HiGHS run gave: status (``optimal``, ``feasible``, ``infeasible``,
    ``no_solution``, ``error``), the solution's column values and, for an LP, row and column
    duals (reduced costs)."""

    status: str
    highs_status: str
    objective: float | None
    bound: float | None
    gap: float | None
    col_value: np.ndarray | None
    row_dual: np.ndarray | None
    interrupted: bool
    seconds: float
    col_dual: np.ndarray | None = None

    def solution(
        self,
        values: dict[str, np.ndarray],
        row_duals: dict[str, float],
        timings: dict[str, float],
        size: dict[str, int],
    ) -> Solution:
        """This run as a :class:`Solution`, with the values mapped back by the caller."""
        return Solution(
            status=self.status,
            highs_status=self.highs_status,
            objective=self.objective,
            bound=self.bound,
            mip_gap=self.gap,
            values=values,
            row_duals=row_duals,
            timings=timings,
            interrupted=self.interrupted,
            size=size,
        )


@dataclass
class _Watch:
    """When a running solve must be asked to stop: at a signal, ``overrun_grace`` after its
    time limit, or at the options' deadline."""

    options: SolveOptions
    start: float
    stop_at: float = math.inf
    interrupted: bool = False
    stopped_late: bool = False

    def __post_init__(self) -> None:
        limit = self.options.limit_now()
        if limit is not None:
            self.stop_at = self.start + limit + float(self.options.overrun_grace)

    def should_stop(self) -> bool:
        """True once, when the solve should be asked to stop."""
        if self.interrupted or self.stopped_late:
            return False
        if interrupt.requested() is not None:
            self.interrupted = True
            return True
        if time.perf_counter() > self.stop_at:
            self.stopped_late = True
            return True
        return False

    def note(self, highs_status: str) -> str:
        if self.stopped_late and not self.interrupted:
            return (
                f"Time limit reached (HiGHS ran {self.options.overrun_grace:g} s past it "
                "and was stopped)"
            )
        return highs_status


def wait_highs(
    h: highspy.Highs,
    options: SolveOptions,
    on_poll: Callable[[float], None] | None = None,
) -> tuple[_Watch, float]:
    """Run ``h`` (model and options set) in HiGHS's thread until it returns, asking it to
    stop (``cancelSolve``) on SIGINT/SIGTERM, ``overrun_grace`` after its time limit or at the
    deadline; ``on_poll(elapsed)`` is called every ``options.progress_interval`` seconds
    (a ``KeyboardInterrupt`` raised there stops the solve too). Returns the watch (why it
    stopped) and the seconds it ran. ``h`` keeps its model and solution."""
    h.HandleUserInterrupt = True
    start = time.perf_counter()
    watch = _Watch(options, start)
    with interrupt.handle_signals(), interrupt.deferred():
        thread = h.startSolve()
        done = False
        while not done:
            # Ctrl-C without symbiosis's handler (a KeyboardInterrupt) may land anywhere in
            # this loop, e.g. in the progress callback while the display redraws: wherever it
            # lands, ask HiGHS to stop and keep waiting for it to hand back its incumbent.
            try:
                done, _ = h.wait(options.progress_interval)
                if on_poll is not None and not done:
                    on_poll(time.perf_counter() - start)
                if not done and watch.should_stop():
                    h.cancelSolve()
            except KeyboardInterrupt:
                watch.interrupted = True
                h.cancelSolve()
        thread.join()
    return watch, time.perf_counter() - start


def run_highs(
    h: highspy.Highs,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    has_integer: bool,
) -> HighsRun:
    """Run ``h`` (model and options already set) in HiGHS's thread (:func:`wait_highs`),
    forwarding progress to ``on_progress`` every ``options.progress_interval`` seconds; a stop
    keeps HiGHS's incumbent. Clears ``h`` afterwards."""
    latest: dict[str, Any] = {}

    def remember(event: Any) -> None:
        out = event.data_out
        latest.update(
            incumbent=out.mip_primal_bound,
            bound=out.mip_dual_bound,
            gap=out.mip_gap,
            nodes=out.mip_node_count,
        )

    if on_progress is not None and has_integer:
        h.cbMipImprovingSolution.subscribe(remember)
        h.cbMipInterrupt.subscribe(remember)

    def poll(elapsed: float) -> None:
        if on_progress is not None:
            on_progress(_progress(latest, elapsed))

    watch, seconds = wait_highs(h, options, poll)
    if on_progress is not None:
        try:
            on_progress(_progress(latest, seconds))
        except KeyboardInterrupt:
            watch.interrupted = True
    outcome = read_outcome(h, has_integer)
    h.clear()
    return HighsRun(
        outcome["status"],
        watch.note(outcome["highs_status"]),
        outcome["objective"],
        outcome["bound"],
        outcome["gap"],
        outcome["col_value"],
        outcome["row_dual"],
        watch.interrupted,
        seconds,
        outcome["col_dual"],
    )


def run_isolated(
    problem: dict[str, Any],
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
) -> HighsRun:
    """Solve ``problem`` (:func:`~symbiosis.highs_process.problem_arrays`) with HiGHS in a
    child process (:mod:`symbiosis.highs_process`), forwarding its progress to
    ``on_progress``. On SIGINT/SIGTERM, ``overrun_grace`` after the time limit or at the
    deadline the child is asked to cancel; if it has not answered ``kill_grace`` seconds later
    it is killed, and the last improving solution it sent is the result (status
    ``feasible``, its gap against the last bound it reported)."""
    latest: dict[str, Any] = {}
    incumbent: tuple[dict[str, Any], np.ndarray] | None = None
    outcome: dict[str, Any] | None = None
    failure = ""
    killed = False
    with interrupt.handle_signals(), interrupt.deferred():
        child = take()
        start = time.perf_counter()
        watch = _Watch(options, start)
        cancelled_at: float | None = None
        job = {
            "problem": problem,
            "settings": highs_settings(options),
            "initial": initial,
            "interval": min(float(options.progress_interval), 0.25),
        }
        if not child.send(("solve", job)):
            failure = "the HiGHS process could not be started"
        try:
            while outcome is None and not failure:
                try:
                    for message in child.receive(options.progress_interval):
                        kind = message[0]
                        if kind == "progress":
                            latest.update(message[1])
                        elif kind == "incumbent":
                            incumbent = (message[1], message[2])
                            latest["incumbent"] = message[1]["objective"]
                            latest["bound"] = message[1]["bound"]
                        elif kind == "done":
                            outcome = message[1]
                        elif kind == "error":
                            failure = str(message[1])
                    if on_progress is not None and outcome is None:
                        on_progress(_progress(latest, time.perf_counter() - start))
                except EOFError:
                    failure = f"the HiGHS process ended (exit code {child.process.poll()})"
                except KeyboardInterrupt:
                    watch.interrupted = True
                if outcome is not None or failure:
                    break
                if cancelled_at is None:
                    if watch.interrupted or watch.should_stop():
                        cancelled_at = time.perf_counter()
                        child.send(("cancel",))
                elif time.perf_counter() > cancelled_at + float(options.kill_grace):
                    killed = True
                    child.kill()
                    break
        finally:
            child.close(grace=0.5 if outcome is not None else 0.0)
    seconds = time.perf_counter() - start
    if on_progress is not None:
        try:
            on_progress(_progress(latest, seconds))
        except KeyboardInterrupt:
            watch.interrupted = True
    if outcome is not None:
        return HighsRun(
            outcome["status"],
            watch.note(outcome["highs_status"]),
            outcome["objective"],
            outcome["bound"],
            outcome["gap"],
            outcome["col_value"],
            outcome["row_dual"],
            watch.interrupted,
            seconds,
            outcome["col_dual"],
        )
    if killed:
        why = "interrupted" if watch.interrupted else "time limit reached"
        text = (
            f"{why}; HiGHS did not stop within {options.kill_grace:g} s of being asked "
            "and its process was killed"
        )
    else:
        text = f"error: {failure}"
    if incumbent is None:
        return HighsRun(
            "no_solution" if killed else "error",
            text,
            None,
            None,
            None,
            None,
            None,
            watch.interrupted,
            seconds,
        )
    found, col_value = incumbent
    objective = float(found["objective"])
    bound = _finite(latest.get("bound"))
    if bound is None:
        bound = _finite(found.get("bound"))
    gap = mip_gap(objective, bound)
    return HighsRun(
        "feasible",
        text + (", its last incumbent kept" if killed else ""),
        objective,
        bound,
        gap,
        col_value,
        None,
        watch.interrupted,
        seconds,
    )


def _initial_columns(
    position: dict[int, int],
    arrays: dict[str, list[Any]],
    values: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray] | None:
    """A (partial) first solution as (column indices, values): the given arrays, column by
    column."""
    index: list[int] = []
    value: list[float] = []
    for name, variables in arrays.items():
        given = values.get(name)
        if given is None or len(given) != len(variables):
            continue
        for v, x in zip(variables, np.asarray(given, dtype=float).tolist(), strict=True):
            j = position.get(id(v))
            if j is not None:
                index.append(j)
                value.append(round(x) if v.is_integer() or v.is_binary() else x)
    if not index:
        return None
    return np.asarray(index, dtype=np.int32), np.asarray(value, dtype=float)


def set_initial_values(
    h: highspy.Highs,
    compiled: CompiledModel,
    arrays: dict[str, list[Any]],
    values: dict[str, np.ndarray],
) -> None:
    """Hand HiGHS a (partial) first solution: the given arrays, column by column."""
    position = {id(v): j for j, v in enumerate(compiled.columns)}
    initial = _initial_columns(position, arrays, values)
    if initial is not None:
        h.setSolution(len(initial[0]), initial[0], initial[1])


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _progress(latest: dict[str, Any], elapsed: float) -> Progress:
    return Progress(
        elapsed=elapsed,
        incumbent=_finite(latest.get("incumbent")),
        bound=_finite(latest.get("bound")),
        gap=_finite(latest.get("gap")),
        nodes=latest.get("nodes"),
    )


__all__ = [
    "CompiledModel",
    "HighsRun",
    "Progress",
    "Solution",
    "SolveOptions",
    "StandardForm",
    "compile_model",
    "configure",
    "load_profile",
    "new_highs",
    "resolve_options",
    "run_highs",
    "run_isolated",
    "solve_form",
    "solve_model",
    "use_threads",
    "wait_highs",
]
