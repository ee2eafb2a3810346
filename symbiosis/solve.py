"""Solve a Pyomo model with HiGHS (highspy): status, gap and incumbent kept; Ctrl-C safe.

The hand-off was chosen by measurement (README, "Benchmark"):
:func:`symbiosis.milp.standard_form.standard_form` turns the model into sparse arrays (what
Pyomo's ``LinearStandardFormCompiler`` computes, several times faster on large models), which
are passed to highspy in one call. Pyomo's persistent HiGHS interface was far slower on large
models because it passes the model row by row.

The solve runs in HiGHS's own thread; the calling thread polls it, forwards progress
(incumbent, bound, gap) to a callback, and on Ctrl-C asks HiGHS to stop, which keeps the best
solution found so far (status ``feasible``).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
import yaml
from pyomo.common.errors import InfeasibleConstraintException

from symbiosis.case import InputError, Problem
from symbiosis.milp.direct import DirectForm
from symbiosis.milp.model import model_arrays
from symbiosis.milp.standard_form import pass_to_highs, pyomo_standard_form, standard_form

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
    #: seconds HiGHS may run past ``time_limit`` before it is asked to stop (as Ctrl-C does):
    #: HiGHS does not check its limit everywhere (ERGO-Code/HiGHS#885); on a 476k-arc case
    #: it was still strong branching more than 5 minutes past a 600 s limit
    overrun_grace: float = 30.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "time_limit": self.time_limit,
            "mip_rel_gap": self.mip_rel_gap,
            "threads": self.threads,
            "highs": dict(self.highs),
        }


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


_BANNER_SHOWN = False
_POOL_THREADS: int | None = None


def use_threads(h: highspy.Highs, threads: int) -> None:
    """Ask ``h`` for ``threads`` threads (0: leave it to HiGHS).

    HiGHS starts one thread pool per process at its first solve and refuses (status error,
    no solve) a later solve that asks for another number of threads; so when the count
    asked differs from the one asked before in this process, the pool is restarted
    (``Highs.resetGlobalScheduler``). Solves in one process run one after another here.
    """
    global _POOL_THREADS
    if threads:
        h.setOptionValue("threads", int(threads))
        if _POOL_THREADS is not None and threads != _POOL_THREADS:
            highspy.Highs.resetGlobalScheduler(True)
        _POOL_THREADS = int(threads)
    elif _POOL_THREADS is None:
        _POOL_THREADS = 0


def new_highs() -> highspy.Highs:
    """A silent ``Highs``. HiGHS prints its banner on the first construction in a process,
    straight to file descriptor 1; that first time, stdout is pointed at /dev/null so that
    ``--json`` output stays clean."""
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


_STATUS_TEXT = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible",
}


def solve_model(
    m: pyo.ConcreteModel,
    options: SolveOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    initial_values: dict[str, np.ndarray] | None = None,
) -> Solution:
    """Solve ``m`` with HiGHS and return its :class:`Solution`.

    A time limit or Ctrl-C with a solution in hand gives status ``feasible`` and its gap;
    without one, ``no_solution``. Row duals are returned when the model has no integer
    variable (an LP, e.g. with binaries fixed), keyed by constraint name.
    ``initial_values`` (arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` in ModelData order,
    any subset) is a first solution handed to HiGHS (``setSolution``); HiGHS checks it and
    ignores it if it is not feasible.
    """
    options = options or SolveOptions()
    arrays = model_arrays(m)
    timings: dict[str, float] = {}
    try:
        compiled = compile_model(m)
    except InfeasibleConstraintException as exc:
        return Solution(
            "infeasible", f"constant constraint violated: {exc}", None, None, None, {}, {}, timings
        )
    timings["compile"] = compiled.seconds_compile
    timings["pass_to_highs"] = compiled.seconds_pass
    h = compiled.highs
    configure(h, options)
    if initial_values:
        set_initial_values(h, compiled, arrays, initial_values)
    run = run_highs(h, options, on_progress, bool(compiled.n_integer))
    timings["solve"] = run.seconds

    values: dict[str, np.ndarray] = {}
    row_duals: dict[str, float] = {}
    if run.col_value is not None:
        col_value = run.col_value
        position = {id(v): j for j, v in enumerate(compiled.columns)}
        for name, variables in arrays.items():
            out = np.empty(len(variables))
            for i, v in enumerate(variables):
                j = position.get(id(v))
                out[i] = col_value[j] if j is not None else (v.value if v.fixed else 0.0) or 0.0
            values[name] = out
        if run.row_dual is not None:
            for entry, dual in zip(compiled.rows, run.row_dual, strict=True):
                row_duals[entry.constraint.name] = float(dual)
    size = {
        "columns": len(compiled.columns),
        "rows": len(compiled.rows),
        "integer_columns": compiled.n_integer,
    }
    return run.solution(values, row_duals, timings, size)


def solve_form(
    form: DirectForm,
    options: SolveOptions | None = None,
    initial_values: dict[str, np.ndarray] | None = None,
) -> Solution:
    """Solve a :class:`~symbiosis.milp.direct.DirectForm` (the model built with numpy) with
    HiGHS, as :func:`solve_model` does a Pyomo model: same options, statuses and Ctrl-C
    handling; values split into the arrays ``x``, ``y``, ``b``, ``w``, ``shortfall``; no row
    duals."""
    options = options or SolveOptions()
    h = new_highs()
    t0 = time.perf_counter()
    pass_to_highs(h, form)
    timings = {"pass_to_highs": time.perf_counter() - t0}
    configure(h, options)
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
            idx = np.concatenate(index).astype(np.int32)
            h.setSolution(len(idx), idx, np.concatenate(value))
    n_integer = int(form.integer.sum())
    run = run_highs(h, options, None, bool(n_integer))
    timings["solve"] = run.seconds
    values = form.split(run.col_value) if run.col_value is not None else {}
    size = {
        "columns": int(form.matrix.shape[1]),
        "rows": int(form.matrix.shape[0]),
        "integer_columns": n_integer,
    }
    return run.solution(values, {}, timings, size)


def configure(h: highspy.Highs, options: SolveOptions) -> None:
    """Set ``options`` (gap, time limit, threads, HiGHS options) on ``h``; an option HiGHS
    rejects is an input error."""
    h.setOptionValue("output_flag", bool(options.log_to_console))
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    use_threads(h, options.threads)
    for key, value in options.highs.items():
        if h.setOptionValue(str(key), value) == highspy.HighsStatus.kError:
            raise InputError(
                [Problem("solver options", f"HiGHS rejects option {key!r} = {value!r}")],
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


def run_highs(
    h: highspy.Highs,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    has_integer: bool,
) -> HighsRun:
    """Run ``h`` (model and options already set) in HiGHS's thread, forwarding progress to
    ``on_progress`` every ``options.progress_interval`` seconds; Ctrl-C asks HiGHS to stop
    and keeps its incumbent. Clears ``h`` afterwards."""
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
        h.cbMipLogging.subscribe(remember)

    h.HandleUserInterrupt = True
    interrupted = stopped_late = False
    start = time.perf_counter()
    deadline = math.inf
    if options.time_limit is not None:
        deadline = start + float(options.time_limit) + float(options.overrun_grace)
    thread = h.startSolve()
    done = False
    while not done:
        # Ctrl-C may land anywhere in this loop (in the wait, or in the progress callback,
        # e.g. while the display redraws): wherever it lands, ask HiGHS to stop and keep
        # waiting for it to hand back its incumbent.
        try:
            done, _ = h.wait(options.progress_interval)
            if on_progress is not None and not done:
                on_progress(_progress(latest, time.perf_counter() - start))
            if not done and not stopped_late and time.perf_counter() > deadline:
                stopped_late = True
                h.cancelSolve()
        except KeyboardInterrupt:
            interrupted = True
            h.cancelSolve()
    thread.join()
    seconds = time.perf_counter() - start
    if on_progress is not None:
        try:
            on_progress(_progress(latest, seconds))
        except KeyboardInterrupt:
            interrupted = True

    model_status = h.getModelStatus()
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = _STATUS_TEXT.get(model_status.name)
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
            gap = float(info.mip_gap) if status == "feasible" else min(float(info.mip_gap), 1.0)
            if status == "optimal":
                gap = max(0.0, gap)
        else:
            bound, gap = objective, 0.0
            row_dual = np.asarray(sol.row_dual, dtype=float)
            col_dual = np.asarray(sol.col_dual, dtype=float)
    highs_status = h.modelStatusToString(model_status)
    if stopped_late and not interrupted:
        highs_status = (
            f"Time limit reached (HiGHS ran {options.overrun_grace:g} s past it and was stopped)"
        )
    h.clear()
    return HighsRun(
        status,
        highs_status,
        objective,
        bound,
        gap,
        col_value,
        row_dual,
        interrupted,
        seconds,
        col_dual,
    )


def set_initial_values(
    h: highspy.Highs,
    compiled: CompiledModel,
    arrays: dict[str, list[Any]],
    values: dict[str, np.ndarray],
) -> None:
    """Hand HiGHS a (partial) first solution: the given arrays, column by column."""
    position = {id(v): j for j, v in enumerate(compiled.columns)}
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
    if index:
        h.setSolution(len(index), np.asarray(index, dtype=np.int32), np.asarray(value))


def _progress(latest: dict[str, Any], elapsed: float) -> Progress:
    def finite(value: Any) -> float | None:
        return float(value) if value is not None and math.isfinite(value) else None

    return Progress(
        elapsed=elapsed,
        incumbent=finite(latest.get("incumbent")),
        bound=finite(latest.get("bound")),
        gap=finite(latest.get("gap")),
        nodes=latest.get("nodes"),
    )
