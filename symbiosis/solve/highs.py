"""Solve a Pyomo model with HiGHS (highspy): status, gap and incumbent kept; stops when asked.

The hand-off was chosen by measurement (README, "Benchmark"):
:func:`symbiosis.solve.compile.standard_form` turns the model into sparse arrays (what
Pyomo's ``LinearStandardFormCompiler`` computes, several times faster on large models), which
are passed to highspy in one call. Pyomo's persistent HiGHS interface was far slower on large
models because it passes the model row by row.

Where HiGHS runs (``SolveOptions.isolate``): an LP, or a MIP with fewer than
:data:`~symbiosis.solve.child.ISOLATE_MIN_INTEGER` integer columns, in HiGHS's own thread in
this process: the calling thread polls it, forwards progress (incumbent, bound, gap) to a
callback, and on a stop asks HiGHS to stop (``cancelSolve``), which keeps the best solution
found so far (status ``feasible``). A larger MIP in a child process
(:mod:`symbiosis.solve.child`), because HiGHS does not always stop when asked: there the
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
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException

from symbiosis import interrupt
from symbiosis.case import InputError, Problem
from symbiosis.i18n import _
from symbiosis.milp.direct import DirectForm
from symbiosis.milp.form import StandardForm
from symbiosis.milp.model import model_arrays
from symbiosis.options import SolveOptions
from symbiosis.solve.child import (
    ISOLATE_MIN_INTEGER,
    mip_gap,
    new_highs,
    problem_arrays,
    read_outcome,
    set_options,
    take,
    use_threads,
)
from symbiosis.solve.compile import pass_to_highs, pyomo_standard_form, standard_form


def isolated(options: SolveOptions, n_integer: int) -> bool:
    """Whether a model with ``n_integer`` integer columns is solved in a child process
    (``options.isolate``: True, False, or "auto": from :data:`ISOLATE_MIN_INTEGER` integer
    columns on).

    Parameters
    ----------
    options : SolveOptions
        Its ``isolate`` is read.
    n_integer : int
        The model's integer columns.

    Returns
    -------
    bool
        True: solve in a child process.
    """
    if options.isolate == "auto":
        return n_integer >= ISOLATE_MIN_INTEGER
    return bool(options.isolate)


@dataclass
class Progress:
    """What the solver reports while it runs.

    Attributes
    ----------
    elapsed : float
        Seconds since the solve started.
    incumbent, bound, gap : float or None
        The best solution's objective, the dual bound and the relative gap (None until
        known).
    nodes : int or None
        Branch-and-bound nodes so far.
    """

    elapsed: float
    incumbent: float | None
    bound: float | None
    gap: float | None
    nodes: int | None


@dataclass
class Solution:
    """The outcome of one solve, with variable values as arrays in ModelData order.

    Attributes
    ----------
    status : str
        ``optimal``, ``feasible``, ``infeasible``, ``no_solution`` or ``error``.
    highs_status : str
        HiGHS's model status (or why the solve ended), as text.
    objective, bound, mip_gap : float or None
        The solution's objective, the dual bound and the relative gap.
    values : dict[str, numpy.ndarray]
        ``x``, ``y``, ``b``, ``w``, ``shortfall`` in ModelData order ({} without a
        solution).
    row_duals : dict[str, float]
        Constraint name -> dual, for an LP solved from a Pyomo model.
    timings : dict[str, float]
        Seconds per step (``compile``, ``pass_to_highs``, ``solve``).
    interrupted : bool
        A signal (SIGINT, SIGTERM) stopped the solve.
    size : dict[str, int]
        ``columns``, ``rows``, ``integer_columns`` as HiGHS saw them.
    """

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
    """The model as HiGHS sees it, and how its columns map back to Pyomo.

    Attributes
    ----------
    highs : highspy.Highs
        The instance holding the model.
    columns, rows : list
        The Pyomo variables and rows of the columns and rows.
    offset : float
        The objective's constant.
    n_integer : int
        Integer columns.
    seconds_compile, seconds_pass : float
        Seconds to compile and to pass the model to HiGHS.
    """

    highs: highspy.Highs
    columns: list[Any]
    rows: list[Any]
    offset: float
    n_integer: int
    seconds_compile: float
    seconds_pass: float


def compile_model(m: pyo.ConcreteModel, compiler: str = "symbiosis") -> CompiledModel:
    """Compile ``m`` to sparse standard form and pass it to a fresh ``highspy.Highs``.

    ``compiler``: ``"symbiosis"`` (:func:`~symbiosis.solve.compile.standard_form`, reads
    the model's linear expressions directly) or ``"pyomo"`` (Pyomo's
    ``LinearStandardFormCompiler``: the same arrays, several times slower on large models).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        A linear model.
    compiler : str
        ``"symbiosis"`` or ``"pyomo"``.

    Returns
    -------
    CompiledModel
        The loaded ``Highs`` and the column and row mapping.

    Raises
    ------
    InfeasibleConstraintException
        A constraint is constant and violated.
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

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        A model of :func:`~symbiosis.milp.model.build_model`.
    options : SolveOptions or None
        Gap, time limit, deadline, threads, HiGHS options, where HiGHS runs (default:
        ``SolveOptions()``).
    on_progress : callable or None
        Called with a :class:`Progress` every ``options.progress_interval`` seconds (MIPs).
    initial_values : dict[str, numpy.ndarray] or None
        A first solution (see above).

    Returns
    -------
    Solution
        Status, objective, bound, gap, values, duals, timings and size; ``infeasible`` when
        a constant constraint is violated.
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
    if isolated(options, n_integer):
        check_options(options)
        t1 = time.perf_counter()
        problem = problem_arrays(form)
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
    values split into the arrays ``x``, ``y``, ``b``, ``w``, ``shortfall``; no row duals.

    Parameters
    ----------
    form : DirectForm
        The model (:func:`~symbiosis.milp.direct.direct_form`).
    options : SolveOptions or None
        As for :func:`solve_model` (default: ``SolveOptions()``).
    initial_values : dict[str, numpy.ndarray] or None
        A first solution: arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` (any subset;
        an array of the wrong length is ignored, integer columns rounded).

    Returns
    -------
    Solution
        As :func:`solve_model`'s, with ``row_duals`` empty.
    """
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
    if isolated(options, n_integer):
        check_options(options)
        problem = problem_arrays(form)
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
    deadline), threads, then ``options.highs`` (which may override any of them).

    Parameters
    ----------
    options : SolveOptions
        The solve options.

    Returns
    -------
    dict[str, Any]
        HiGHS option name -> value (``threads`` for :func:`~symbiosis.solve.child.use_threads`).
    """
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
    ``h``.

    Parameters
    ----------
    h : highspy.Highs
        The instance to set.
    options : SolveOptions
        The solve options (:func:`highs_settings`).

    Raises
    ------
    InputError
        HiGHS rejects an option (named with its value).
    """
    rejected = set_options(h, highs_settings(options))
    if rejected:
        raise _rejected(options, rejected[0])


def check_options(options: SolveOptions) -> None:
    """Raise the input error :func:`configure` would, on a throwaway empty ``Highs`` (before
    a model is sent to a child process).

    Parameters
    ----------
    options : SolveOptions
        The solve options.

    Raises
    ------
    InputError
        HiGHS rejects an option (named with its value).
    """
    h = new_highs()
    settings = highs_settings(options)
    settings.pop("threads", None)  # the thread pool is the child's business
    rejected = set_options(h, settings)
    if rejected:
        raise _rejected(options, rejected[0])


def _rejected(options: SolveOptions, key: str) -> InputError:
    """The input error for an option HiGHS rejects, naming it and its value."""
    message = _("HiGHS rejects option {key} = {value}").format(
        key=repr(key), value=repr(options.highs[key])
    )
    return InputError([Problem(_("solver options"), message)], "scenario")


@dataclass
class HighsRun:
    """What one HiGHS run gave: status (``optimal``, ``feasible``, ``infeasible``,
    ``no_solution``, ``error``), the solution's column values and, for an LP, row and column
    duals (reduced costs).

    Attributes
    ----------
    status, highs_status : str
        The status, and HiGHS's (or why the run ended) as text.
    objective, bound, gap : float or None
        Objective, dual bound and relative gap.
    col_value, row_dual, col_dual : numpy.ndarray or None
        Column values; row duals and reduced costs of an LP.
    interrupted : bool
        A signal stopped the run.
    seconds : float
        How long it ran.
    """

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
        """This run as a :class:`Solution`, with the values mapped back by the caller.

        Parameters
        ----------
        values : dict[str, numpy.ndarray]
            The variable arrays in ModelData order.
        row_duals : dict[str, float]
            Constraint name -> dual.
        timings : dict[str, float]
            Seconds per step.
        size : dict[str, int]
            ``columns``, ``rows``, ``integer_columns``.

        Returns
        -------
        Solution
            This run's status, objective, bound, gap and interruption, with the above.
        """
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
    (a ``KeyboardInterrupt`` raised there stops the solve too). ``h`` keeps its model and
    solution.

    Parameters
    ----------
    h : highspy.Highs
        An instance with its model and options set.
    options : SolveOptions
        Time limit, deadline, ``overrun_grace``, ``progress_interval``.
    on_poll : callable or None
        Called with the seconds elapsed at each poll.

    Returns
    -------
    watch : _Watch
        Why it stopped (``interrupted``, ``stopped_late``).
    seconds : float
        How long it ran.
    """
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
    keeps HiGHS's incumbent. Clears ``h`` afterwards.

    Parameters
    ----------
    h : highspy.Highs
        An instance with its model and options set.
    options : SolveOptions
        Time limit, deadline and polling (:func:`wait_highs`).
    on_progress : callable or None
        Called with a :class:`Progress` at each poll and once at the end.
    has_integer : bool
        Whether the model is a MIP (progress is only reported for one).

    Returns
    -------
    HighsRun
        What the run gave.
    """
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
    return _run_of(outcome, watch, seconds)


def run_isolated(
    problem: dict[str, Any],
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
) -> HighsRun:
    """Solve ``problem`` (:func:`~symbiosis.solve.child.problem_arrays`) with HiGHS in a
    child process (:mod:`symbiosis.solve.child`), forwarding its progress to
    ``on_progress``. On SIGINT/SIGTERM, ``overrun_grace`` after the time limit or at the
    deadline the child is asked to cancel; if it has not answered ``kill_grace`` seconds later
    it is killed, and the last improving solution it sent is the result (status
    ``feasible``, its gap against the last bound it reported).

    Parameters
    ----------
    problem : dict[str, Any]
        The model's arrays.
    options : SolveOptions
        Time limit, deadline, ``kill_grace``, ``progress_interval``, HiGHS options.
    on_progress : callable or None
        Called with a :class:`Progress` at each poll and once at the end.
    initial : tuple[numpy.ndarray, numpy.ndarray] or None
        A first solution as (column indices, values).

    Returns
    -------
    HighsRun
        What the run gave (``no_solution`` when the child was killed without an incumbent,
        ``error`` when it failed).
    """
    state = _ChildRun()
    with interrupt.handle_signals(), interrupt.deferred():
        child = take()
        start = time.perf_counter()
        watch = _Watch(options, start)
        job = {
            "problem": problem,
            "settings": highs_settings(options),
            "initial": initial,
            "interval": min(float(options.progress_interval), 0.25),
        }
        if not child.send(("solve", job)):
            state.failure = "the HiGHS process could not be started"
        try:
            _follow_child(child, state, options, on_progress, watch)
        finally:
            child.close(grace=0.5 if state.outcome is not None else 0.0)
    seconds = time.perf_counter() - start
    if on_progress is not None:
        try:
            on_progress(_progress(state.latest, seconds))
        except KeyboardInterrupt:
            watch.interrupted = True
    return _isolated_result(state, watch, options, seconds)


@dataclass
class _ChildRun:
    """What a HiGHS child process has sent so far."""

    latest: dict[str, Any] = field(default_factory=dict)
    incumbent: tuple[dict[str, Any], np.ndarray] | None = None
    outcome: dict[str, Any] | None = None
    failure: str = ""
    killed: bool = False

    def take(self, message: tuple[Any, ...]) -> None:
        """Record one message of the child (progress, incumbent, done or error)."""
        kind = message[0]
        if kind == "progress":
            self.latest.update(message[1])
        elif kind == "incumbent":
            self.incumbent = (message[1], message[2])
            self.latest["incumbent"] = message[1]["objective"]
            self.latest["bound"] = message[1]["bound"]
        elif kind == "done":
            self.outcome = message[1]
        elif kind == "error":
            self.failure = str(message[1])


def _run_of(outcome: dict[str, Any], watch: _Watch, seconds: float) -> HighsRun:
    """The :class:`HighsRun` of a HiGHS run that ended by itself (``outcome``:
    :func:`~symbiosis.solve.child.read_outcome`), in this process or in a child."""
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


def _follow_child(
    child: Any,
    state: _ChildRun,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    watch: _Watch,
) -> None:
    """Read the child's messages until it is done or fails; on a stop (signal, time limit,
    deadline) ask it to cancel, and kill it ``kill_grace`` seconds later if it has not."""
    cancelled_at: float | None = None
    while state.outcome is None and not state.failure:
        try:
            for message in child.receive(options.progress_interval):
                state.take(message)
            if on_progress is not None and state.outcome is None:
                on_progress(_progress(state.latest, time.perf_counter() - watch.start))
        except EOFError:
            state.failure = f"the HiGHS process ended (exit code {child.process.poll()})"
        except KeyboardInterrupt:
            watch.interrupted = True
        if state.outcome is not None or state.failure:
            break
        if cancelled_at is None:
            if watch.interrupted or watch.should_stop():
                cancelled_at = time.perf_counter()
                child.send(("cancel",))
        elif time.perf_counter() > cancelled_at + float(options.kill_grace):
            state.killed = True
            child.kill()
            break


def _isolated_result(
    state: _ChildRun, watch: _Watch, options: SolveOptions, seconds: float
) -> HighsRun:
    """The :class:`HighsRun` of a child's run: its own outcome, else its last incumbent
    (``feasible``), else none (``no_solution`` when killed, ``error`` when it failed)."""
    outcome, incumbent, latest, killed = state.outcome, state.incumbent, state.latest, state.killed
    if outcome is not None:
        return _run_of(outcome, watch, seconds)
    if killed:
        why = "interrupted" if watch.interrupted else "time limit reached"
        text = (
            f"{why}; HiGHS did not stop within {options.kill_grace:g} s of being asked "
            "and its process was killed"
        )
    else:
        text = f"error: {state.failure}"
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
    """Hand HiGHS a (partial) first solution: the given arrays, column by column.

    Parameters
    ----------
    h : highspy.Highs
        The instance holding the model.
    compiled : CompiledModel
        The model as compiled (its columns).
    arrays : dict[str, list]
        The model's variables (:func:`~symbiosis.milp.model.model_arrays`).
    values : dict[str, numpy.ndarray]
        Values for (some of) those arrays; integer variables are rounded, arrays of the
        wrong length ignored.
    """
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
    "new_highs",
    "run_highs",
    "run_isolated",
    "solve_form",
    "solve_model",
    "use_threads",
    "wait_highs",
]
