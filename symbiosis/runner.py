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

from symbiosis.case import Case, load_case
from symbiosis.files import sha256_file
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

    Raises :class:`~symbiosis.case.InputError` for invalid input, and
    :class:`~symbiosis.files.OutputRefused` for an ``out_dir`` that may not be written, before
    anything is solved or written.
    """
    reporter = reporter or SilentReporter()
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
        model = build_model(model_data, [*extra_constraints, *strengthening_steps(reduce_opts)])
        info["detail"] = (
            f"{model_data.n_arcs:,} flows, {len(model_data.link_arcs):,} link and "
            f"{len(model_data.candidates):,} build binaries"
        )
    initial = None
    if reduce_opts.warm_start and reduction is not None:
        with _stage("warm start", reporter, timings) as info:
            initial, reduction.stats["warm_start"] = warm_start_values(
                model_data, options, reduce_opts, options.time_limit
            )
            found = reduction.stats["warm_start"].get("objective")
            skipped = reduction.stats["warm_start"].get("skipped")
            info["detail"] = (
                f"{found:,.0f}"
                if initial is not None
                else (f"skipped: {skipped}" if skipped else "none found")
            )
    reporter.stage_started("solve")
    model_solution = solve_model(
        model, options, on_progress=reporter.solver_progress, initial_values=initial
    )
    solution = model_solution if reduction is None else reduction.expand_solution(model_solution)
    timings["compile"] = solution.timings.get("compile", 0.0)
    timings["pass_to_highs"] = solution.timings.get("pass_to_highs", 0.0)
    timings["solve"] = solution.timings.get("solve", 0.0)
    reporter.stage_finished(
        "solve",
        timings["solve"],
        f"{solution.status}"
        + (f", gap {solution.mip_gap:.2e}" if solution.mip_gap is not None else ""),
    )

    if solution.has_solution:
        with _stage("results", reporter, timings):
            results = build_results(case, arcs, data, solution, scenario.name)
        if shadow_prices and data.targets:
            from symbiosis.shadow import target_shadow_prices

            with _stage("shadow price", reporter, timings) as info:
                duals = target_shadow_prices(model, model_data, model_solution, options)
                info["detail"] = f"LP {duals.status}" + (
                    f", total target {duals.total:,.2f} CNY/t" if duals.total is not None else ""
                )
            _add_shadow_prices(results, duals.prices, duals.status, case.stream_unit())
        else:
            _add_shadow_prices(results, {}, "not_computed")
        exit_code = EXIT_OK
    else:
        extra: dict[str, Any] = {"highs_status": solution.highs_status}
        if solution.status == "infeasible" and diagnose_infeasible:
            from symbiosis.diagnose import diagnose

            with _stage("diagnose", reporter, timings):
                units = {t.name: "t" for t in data.targets}
                units.update(case.stream_unit())
                units["total"] = "t"
                extra["diagnosis"] = diagnose(data, options, units)
        results = empty_results(solution.status, scenario.name, extra)
        exit_code = EXIT_INFEASIBLE if solution.status == "infeasible" else EXIT_ERROR

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
        scenario, results, solution, manifest, written, exit_code, case, data, timings
    )
