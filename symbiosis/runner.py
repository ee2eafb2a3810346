"""One run: case + scenario -> network -> milp -> solve -> results -> run folder.

:func:`run_scenario` is the pipeline every command shares. It reports each stage to a
:class:`Reporter` (the terminal display, or nothing), times it, and records what produced the
answer in ``manifest.json`` (scenario as resolved, sha256 of every input file, versions,
options, timings per stage, HiGHS status text).
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from symbiosis import highs_process, interrupt
from symbiosis.case import Case, load_case
from symbiosis.files import sha256_file
from symbiosis.highs_process import mip_gap
from symbiosis.interrupt import Interrupted, StopRequest
from symbiosis.milp import ExtraConstraints, ModelData, build_model, build_model_data
from symbiosis.milp.reduce import (
    ReduceOptions,
    Reduction,
    reduce_model_data,
    reduce_options,
    scenario_reduce_options,
    strengthening_steps,
    warm_start_values,
)
from symbiosis.network import build_arcs
from symbiosis.results import (
    Results,
    build_results,
    check_run_target,
    empty_results,
    write_run_folder,
)
from symbiosis.scenario import Scenario, check_scenario_against_case
from symbiosis.solve import Progress, Solution, SolveOptions, resolve_options, solve_model

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INFEASIBLE = 0, 1, 2, 3
#: a run (or the rest of a curve, front, batch or sweep) stopped by SIGINT/SIGTERM with
#: nothing to keep: 128 + SIGINT, the shell's convention
EXIT_INTERRUPTED = 130
#: seconds a run's time limit must still leave for shadow prices or a diagnosis to start
#: (plus, for shadow prices, the time the MIP took to compile)
SHADOW_MIN_SECONDS = 1.0


class Reporter(Protocol):
    """Receives a run's progress (implemented by the terminal display)."""

    def stage_started(self, name: str) -> None: ...
    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None: ...
    def solver_progress(self, progress: Progress) -> None: ...


class SilentReporter:
    """A reporter that shows nothing."""

    def stage_started(self, name: str) -> None:
        pass

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        pass

    def solver_progress(self, progress: Progress) -> None:
        pass


@dataclass
class RunOutcome:
    """What a run produced: the results, the solution, and where it was written."""

    scenario: Scenario
    results: Results
    solution: Solution | None
    manifest: dict[str, Any]
    out_dir: Path | None
    exit_code: int
    case: Case | None = None
    data: ModelData | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: the SIGINT/SIGTERM that stopped the run early, if one did
    interruption: StopRequest | None = None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("symbiosis", "pyomo", "highspy", "numpy", "pandas", "networkx"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


@contextmanager
def _stage(name: str, reporter: Reporter, timings: dict[str, float]) -> Iterator[dict[str, str]]:
    info: dict[str, str] = {}
    interrupt.set_stage(name)
    reporter.stage_started(name)
    start = time.perf_counter()
    yield info
    timings[name] = time.perf_counter() - start
    reporter.stage_finished(name, timings[name], info.get("detail", ""))


def _add_shadow_prices(
    results: Results,
    prices: dict[str, float | None],
    status: str,
    units: dict[str, str] | None = None,
) -> None:
    """Put the targets' duals into summary.json (``target_shadow_price_cny_per_t`` for the
    total target, ``target_shadow_prices`` for all, ``shadow_price`` on each target) and
    kpis.csv (``target_shadow_price``)."""
    import pandas as pd

    summary = results.summary
    summary["target_shadow_price_cny_per_t"] = prices.get("total")
    summary["target_shadow_prices"] = dict(prices)
    summary["shadow_price_status"] = status
    for target in summary.get("targets", []):
        target["shadow_price"] = prices.get(target["name"])
    rows = [
        ("target_shadow_price", name, value, f"CNY/{(units or {}).get(name, 't')}")
        for name, value in prices.items()
        if value is not None
    ]
    if rows:
        extra = pd.DataFrame(rows, columns=["kpi", "key", "value", "unit"])
        results.kpis = pd.concat([results.kpis, extra], ignore_index=True)


def run_scenario(
    scenario: Scenario,
    out_dir: Path | None = None,
    reporter: Reporter | None = None,
    solver_overrides: dict[str, Any] | None = None,
    extra_constraints: Sequence[ExtraConstraints] = (),
    diagnose_infeasible: bool = True,
    case: Case | None = None,
    shadow_prices: bool = True,
    reduce: ReduceOptions | bool | None = None,
    overwrite: bool = False,
) -> RunOutcome:
    """Solve one scenario and, if ``out_dir`` is given, write its run folder.

    ``case`` (if given) is the case as read; the scenario's ``overrides`` are applied to it
    here either way. ``shadow_prices`` re-solves the LP with the binaries fixed to report the
    targets' duals (:mod:`symbiosis.shadow`). ``reduce`` chooses the reductions, valid
    inequalities and warm start of :mod:`symbiosis.milp.reduce` (None: its defaults; False:
    the model passed straight to HiGHS); results are always on the original arcs.
    ``overwrite`` lets ``out_dir`` be a folder holding files symbiosis did not write: the run
    files are written beside them, none of them replaced (:mod:`symbiosis.files`).

    Time limit: the solver's ``time_limit`` covers everything after the model is built (warm
    start, solve, shadow prices, diagnosis); work that no longer fits (shadow prices, the
    rest of a diagnosis) is skipped, with a note in summary.json (``notes``).

    SIGINT and SIGTERM (:mod:`symbiosis.interrupt`) stop any stage: with a solution in hand
    (HiGHS's incumbent, or the warm start's) the run folder is written as usual, status
    ``feasible`` with its gap and ``interrupted`` (with ``interruption``: signal, time,
    stage) in summary.json; an infeasible model's folder is written with its diagnosis cut
    short. Without one, :class:`~symbiosis.interrupt.Interrupted` is raised and nothing is
    written.

    Raises :class:`~symbiosis.case.InputError` for invalid input, and
    :class:`~symbiosis.files.OutputRefused` for an ``out_dir`` that may not be written, before
    anything is solved or written.
    """
    with interrupt.handle_signals():
        try:
            return _run_scenario(
                scenario,
                out_dir,
                reporter or SilentReporter(),
                solver_overrides,
                extra_constraints,
                diagnose_infeasible,
                case,
                shadow_prices,
                reduce,
                overwrite,
            )
        finally:
            highs_process.discard_spare()


def _warm_start_solution(values: dict[str, Any], info: dict[str, Any], why: str) -> Solution:
    """The warm start's solution as the run's (it was stopped before HiGHS found better):
    status ``feasible``, its gap against the LP relaxation's bound."""
    objective = float(info["objective"])
    bound = info.get("lp_bound")
    return Solution(
        status="feasible",
        highs_status=f"{why}; the warm start's solution is kept",
        objective=objective,
        bound=bound,
        mip_gap=mip_gap(objective, bound),
        values=values,
        row_duals={},
        timings={},
        interrupted=interrupt.requested() is not None,
    )


def _run_scenario(
    scenario: Scenario,
    out_dir: Path | None,
    reporter: Reporter,
    solver_overrides: dict[str, Any] | None,
    extra_constraints: Sequence[ExtraConstraints],
    diagnose_infeasible: bool,
    case: Case | None,
    shadow_prices: bool,
    reduce: ReduceOptions | bool | None,
    overwrite: bool,
) -> RunOutcome:
    if out_dir is not None:
        # refuse a folder that may not be written before any work (symbiosis.files)
        check_run_target(Path(out_dir), overwrite=overwrite)
    timings: dict[str, float] = {}
    started = datetime.now(UTC)
    base_dir = scenario.source.parent if scenario.source else None
    options: SolveOptions = resolve_options(scenario.solver, base_dir, solver_overrides)

    if case is None:
        with _stage("read", reporter, timings) as info:
            case = load_case(scenario.case)
            info["detail"] = (
                f"{len(case.sites)} sites, {len(case.supply)} supply rows, "
                f"{len(case.facilities)} facilities"
            )
    overrides_applied: list[dict[str, Any]] = []
    if not scenario.overrides.is_empty():
        from symbiosis.overrides import apply_overrides_logged

        source = scenario.source.name if scenario.source else "scenario"
        case, overrides_applied = apply_overrides_logged(case, scenario.overrides, source)
    check_scenario_against_case(scenario, case)
    with _stage("network", reporter, timings) as info:
        arcs = build_arcs(case)
        info["detail"] = f"{len(arcs):,} candidate arcs"
    with _stage("model data", reporter, timings):
        data = build_model_data(case, arcs, scenario)
    if reduce is None:
        reduce = scenario_reduce_options(scenario.solver.reduce)
    reduce_opts = reduce_options(reduce, has_hooks=bool(extra_constraints))
    reduction: Reduction | None = None
    model_data = data
    if reduce_opts.any:
        with _stage("reduce", reporter, timings) as info:
            reduction = reduce_model_data(data, reduce_opts)
            model_data = reduction.data
            info["detail"] = reduction.summary()
    with _stage("build model", reporter, timings) as info:
        if options.isolated(len(model_data.link_arcs) + len(model_data.candidates)):
            highs_process.prestart()  # its start-up overlaps the build
        model = build_model(model_data, [*extra_constraints, *strengthening_steps(reduce_opts)])
        info["detail"] = (
            f"{model_data.n_arcs:,} flows, {len(model_data.link_arcs):,} link and "
            f"{len(model_data.candidates):,} build binaries"
        )

    # The time limit covers everything from here on.
    if options.time_limit is not None:
        options.deadline = time.perf_counter() + float(options.time_limit)
    notes: list[str] = []
    # From here a signal only records the stop: each stage polls it (HiGHS is cancelled or
    # killed, keeping its incumbent), so that a solution in hand is written.
    with interrupt.deferred():
        initial = None
        warm_info: dict[str, Any] = {}
        if reduce_opts.warm_start and reduction is not None:
            with _stage("warm start", reporter, timings) as info:
                initial, warm_info = warm_start_values(
                    model_data, options, reduce_opts, options.time_limit
                )
                reduction.stats["warm_start"] = warm_info
                found = warm_info.get("objective")
                skipped = warm_info.get("skipped")
                info["detail"] = (
                    f"{found:,.0f}"
                    if initial is not None
                    else (f"skipped: {skipped}" if skipped else "none found")
                ) + (", interrupted" if warm_info.get("interrupted") else "")
        if interrupt.requested() is not None and initial is None:
            interrupt.check()  # no solution yet: nothing to write
        model_solution = None
        solve_started = 0.0  # when the solve stage was announced (0: it was not)
        if interrupt.requested() is None:
            if options.isolated(len(model_data.link_arcs) + len(model_data.candidates)):
                highs_process.prestart()  # the compile hides its start-up
            interrupt.set_stage("solve")
            reporter.stage_started("solve")
            solve_started = time.perf_counter()
            try:
                model_solution = solve_model(
                    model, options, on_progress=reporter.solver_progress, initial_values=initial
                )
            except Interrupted:  # while compiling the model
                if initial is None:
                    reporter.stage_finished(
                        "solve", time.perf_counter() - solve_started, "interrupted"
                    )
                    raise
        if model_solution is None:
            assert initial is not None
            stop = interrupt.requested()
            why = f"interrupted by {stop.signal}" if stop else "interrupted"
            model_solution = _warm_start_solution(initial, warm_info, why)
        elif not model_solution.has_solution and interrupt.requested() is not None:
            if initial is not None:
                model_solution = _warm_start_solution(
                    initial, warm_info, model_solution.highs_status
                )
            elif model_solution.status != "infeasible":
                reporter.stage_finished(
                    "solve", time.perf_counter() - solve_started, "no solution, interrupted"
                )
                interrupt.check()  # stopped without a solution: nothing to write
        solution = (
            model_solution if reduction is None else reduction.expand_solution(model_solution)
        )
        timings["compile"] = solution.timings.get("compile", 0.0)
        timings["pass_to_highs"] = solution.timings.get("pass_to_highs", 0.0)
        timings["solve"] = solution.timings.get("solve", 0.0)
        if solve_started:
            reporter.stage_finished(
                "solve",
                timings["solve"],
                f"{solution.status}"
                + (f", gap {solution.mip_gap:.2e}" if solution.mip_gap is not None else "")
                + (", interrupted" if solution.interrupted else ""),
            )

        if solution.has_solution:
            with _stage("results", reporter, timings):
                results = build_results(case, arcs, data, solution, scenario.name)
            if shadow_prices and data.targets:
                prices, status = _shadow_stage(
                    model, model_data, model_solution, options, reporter, timings, notes
                )
                _add_shadow_prices(results, prices, status, case.stream_unit())
            else:
                _add_shadow_prices(results, {}, "not_computed")
            exit_code = EXIT_OK
        else:
            extra: dict[str, Any] = {"highs_status": solution.highs_status}
            if solution.status == "infeasible" and diagnose_infeasible:
                units = {t.name: "t" for t in data.targets}
                units.update(case.stream_unit())
                units["total"] = "t"
                extra["diagnosis"] = _diagnose_stage(data, options, units, reporter, timings)
            results = empty_results(solution.status, scenario.name, extra)
            exit_code = EXIT_INFEASIBLE if solution.status == "infeasible" else EXIT_ERROR

        stop = interrupt.requested()
        if stop is not None:
            results.summary["interrupted"] = True
            results.summary["interruption"] = stop.as_dict()
        if notes:
            results.summary["notes"] = notes
        manifest: dict[str, Any] = {
            "symbiosis_run": 1,
            "scenario": scenario.resolved(),
            "scenario_file": str(scenario.source) if scenario.source else None,
            "inputs": {
                str(path): sha256_file(path)
                for path in [
                    *([scenario.source] if scenario.source else []),
                    *(Path(f) for f in scenario.extends if Path(f).is_file()),
                    *case.files,
                ]
            },
            "versions": versions(),
            "solver_options": options.as_dict(),
            "highs_status": solution.highs_status,
            "model_size": {
                "arcs": data.n_arcs,
                "link_binaries": len(data.link_arcs),
                "build_binaries": len(data.candidates),
                **solution.size,
            },
            "reductions": {
                "options": reduce_opts.as_dict(),
                **(reduction.stats if reduction is not None else {}),
            },
            **({"overrides_applied": overrides_applied} if overrides_applied else {}),
            **({"interruption": stop.as_dict()} if stop is not None else {}),
            **({"notes": notes} if notes else {}),
            "timings_s": {k: round(v, 4) for k, v in timings.items()},
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": sys.argv,
            "machine": {"platform": platform.platform(), "processor": platform.machine()},
        }
        written = None
        if out_dir is not None:
            with _stage("write", reporter, timings):
                written = write_run_folder(out_dir, results, manifest, overwrite=overwrite)
            manifest["timings_s"]["write"] = round(timings["write"], 4)
    return RunOutcome(
        scenario,
        results,
        solution,
        manifest,
        written,
        exit_code,
        case,
        data,
        timings,
        interrupt.requested(),
    )


def _out_of_time(options: SolveOptions, needs: float) -> bool:
    """True when the run's deadline leaves less than ``needs`` seconds."""
    left = options.seconds_left()
    return left is not None and left < needs


def _shadow_stage(
    model: Any,
    model_data: ModelData,
    model_solution: Solution,
    options: SolveOptions,
    reporter: Reporter,
    timings: dict[str, float],
    notes: list[str],
) -> tuple[dict[str, float | None], str]:
    """The shadow-price stage, or a note in ``notes`` saying why it was skipped: returns
    (target name -> price, status)."""
    from symbiosis.shadow import target_shadow_prices

    # The LP is compiled as the MIP was: skip it when that alone would not fit.
    needs = SHADOW_MIN_SECONDS + timings.get("compile", 0.0)
    stop = interrupt.requested()
    if stop is not None:
        notes.append(f"shadow prices not computed: interrupted by {stop.signal}")
        return {}, "skipped: interrupted"
    if not model_solution.values or _out_of_time(options, needs):
        if model_solution.values:
            notes.append(
                f"shadow prices not computed: the time limit ({options.time_limit:g} s) was spent"
            )
        return {}, "skipped: time limit"
    try:
        with _stage("shadow price", reporter, timings) as info, interrupt.interruptible():
            duals = target_shadow_prices(model, model_data, model_solution, options)
            info["detail"] = f"LP {duals.status}" + (
                f", total target {duals.total:,.2f} CNY/t" if duals.total is not None else ""
            )
    except Interrupted as exc:
        signal_name = exc.request.signal if exc.request else "a signal"
        notes.append(f"shadow prices not computed: interrupted by {signal_name}")
        return {}, "skipped: interrupted"
    status = duals.status
    if status != "optimal":
        stop = interrupt.requested()
        if stop is not None:
            notes.append(f"shadow prices not computed: interrupted by {stop.signal}")
            status = "skipped: interrupted"
        elif _out_of_time(options, 0.0):
            notes.append(
                f"shadow prices not computed: the time limit ({options.time_limit:g} s) ran "
                "out during their LP"
            )
            status = "skipped: time limit"
    return duals.prices, status


def _diagnose_stage(
    data: ModelData,
    options: SolveOptions,
    units: dict[str, str],
    reporter: Reporter,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The diagnosis of an infeasible model, cut short (and saying so) by a signal or the
    time limit."""
    from symbiosis.diagnose import diagnose

    stop = interrupt.requested()
    if stop is not None:
        return {"messages": [f"diagnosis not run: interrupted by {stop.signal}"], "complete": False}
    if _out_of_time(options, SHADOW_MIN_SECONDS):
        return {
            "messages": [f"diagnosis not run: the time limit ({options.time_limit:g} s) was spent"],
            "complete": False,
        }
    try:
        with _stage("diagnose", reporter, timings), interrupt.interruptible():
            return diagnose(data, options, units)
    except Interrupted as exc:
        signal_name = exc.request.signal if exc.request else "a signal"
        return {"messages": [f"diagnosis stopped: interrupted by {signal_name}"], "complete": False}
