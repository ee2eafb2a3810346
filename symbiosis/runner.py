"""Stage "run": one scenario through every stage, case -> network -> milp -> solve -> results
-> run folder.

:func:`run_scenario` is the pipeline every command shares (the command line, batches, curves,
fronts, sweeps, and the web app). It resolves the options once (:mod:`symbiosis.options`),
reports each stage to a :class:`Reporter` (the terminal display, or nothing), times it, and
hands the answer to :mod:`symbiosis.results`, which owns the run folder and its manifest.

The pipeline, one function per part: :func:`_prepare` (read, overrides, network, model
data, reductions, the Pyomo model), :func:`_solve` (warm start, HiGHS), :func:`_answer`
(results, shadow prices, or the diagnosis), then the run folder.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from symbiosis import interrupt
from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.graph import network_stats, stranded_supply, symbiosis_graph
from symbiosis.i18n import N_, Message, ngettext
from symbiosis.i18n import gettext as _
from symbiosis.interrupt import Interrupted, StopRequest
from symbiosis.milp import ModelData, build_model, build_model_data
from symbiosis.milp.reduce import Reduction, reduce_model_data
from symbiosis.milp.valid import strengthening_steps
from symbiosis.network import build_arcs
from symbiosis.options import ReduceOptions, RunOptions, SolveOptions, resolve_run
from symbiosis.results import (
    Results,
    add_shadow_prices,
    build_results,
    check_run_target,
    empty_results,
    run_manifest,
    write_run_folder,
)
from symbiosis.scenario import Scenario, check_scenario_against_case
from symbiosis.solve import child as highs_process
from symbiosis.solve.benders import auto_method, benders_refusal, solve_benders
from symbiosis.solve.child import mip_gap
from symbiosis.solve.diagnose import unreachable_sentence
from symbiosis.solve.highs import Progress, Solution, isolated, solve_model
from symbiosis.solve.myopic import solve_myopic
from symbiosis.solve.warm_start import warm_start_values
from symbiosis.units import amount as units_amount

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INFEASIBLE = 0, 1, 2, 3
#: a run (or the rest of a curve, front, batch or sweep) stopped by SIGINT/SIGTERM with
#: nothing to keep: 128 + SIGINT, the shell's convention
EXIT_INTERRUPTED = 130
#: seconds a run's time limit must still leave for shadow prices or a diagnosis to start
#: (plus, for shadow prices, the time the MIP took to compile)
SHADOW_MIN_SECONDS = 1.0


class Reporter(Protocol):
    """Receives a run's progress (implemented by the terminal display).

    ``stage_started(name)`` when a stage (``read``, ``network``, ``model data``, ``solve``,
    ...) begins; ``stage_finished(name, seconds, detail)`` when it ends, with a line for
    the display; ``solver_progress(progress)`` every poll of a MIP solve
    (:class:`~symbiosis.solve.highs.Progress`).
    """

    def stage_started(self, name: str) -> None: ...
    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None: ...
    def solver_progress(self, progress: Progress) -> None: ...


class SilentReporter:
    """A reporter that shows nothing."""

    def stage_started(self, name: str) -> None:
        """Show nothing.

        Parameters
        ----------
        name : str
            The stage.
        """

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        """Show nothing.

        Parameters
        ----------
        name : str
            The stage.
        seconds : float
            How long it took.
        detail : str
            A line for the display.
        """

    def solver_progress(self, progress: Progress) -> None:
        """Show nothing.

        Parameters
        ----------
        progress : Progress
            The solver's incumbent, bound, gap and nodes.
        """


@dataclass
class RunOutcome:
    """What a run produced: the results, the solution, and where it was written.

    Attributes
    ----------
    scenario : Scenario
        The scenario run.
    results : Results
        Its tables and summary (empty ones without a solution).
    solution : Solution or None
        The solver's answer (None when the run stopped before solving).
    manifest : dict[str, Any]
        manifest.json ({} when nothing was written).
    out_dir : Path or None
        The run folder written, if one was.
    exit_code : int
        ``EXIT_OK`` (0), ``EXIT_ERROR`` (1), ``EXIT_INFEASIBLE`` (3).
    case : Case or None
        The case as solved (overrides applied).
    data : ModelData or None
        The model's data (before reductions).
    timings : dict[str, float]
        Seconds per stage.
    interruption : StopRequest or None
        The SIGINT/SIGTERM that stopped the run early, if one did.
    """

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


@dataclass
class _Track:
    """Where a run's stages are shown (``reporter``) and timed (``timings``, seconds)."""

    reporter: Reporter
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, str]]:
        """Run a stage: name it for interrupts, show it, time it; the block may set
        ``info["detail"]`` for the display."""
        info: dict[str, str] = {}
        interrupt.set_stage(name)
        self.reporter.stage_started(name)
        start = time.perf_counter()
        yield info
        self.timings[name] = time.perf_counter() - start
        self.reporter.stage_finished(name, self.timings[name], info.get("detail", ""))


#: the keyword arguments run_scenario took before RunOptions (still accepted, with a warning)
LEGACY_KEYWORDS = {
    "solver_overrides": "solver",
    "extra_constraints": "extra_constraints",
    "diagnose_infeasible": "diagnose_infeasible",
    "shadow_prices": "shadow_prices",
    "reduce": "reduce",
    "overwrite": "overwrite",
}


def _run_options(
    options: RunOptions | Mapping[str, Any] | None, legacy: dict[str, Any]
) -> RunOptions:
    """``options``, or the RunOptions that the old keyword arguments stood for."""
    if isinstance(options, Mapping):  # the old fourth positional argument: solver_overrides
        legacy = {"solver_overrides": options, **legacy}
        options = None
    run = options or RunOptions()
    if not legacy:
        return run
    unknown = sorted(set(legacy) - set(LEGACY_KEYWORDS))
    if unknown:
        raise TypeError(f"run_scenario() got unexpected keyword argument(s) {', '.join(unknown)}")
    warnings.warn(
        "run_scenario(" + ", ".join(f"{k}=" for k in legacy) + ") is deprecated: pass "
        "options=RunOptions(" + ", ".join(f"{LEGACY_KEYWORDS[k]}=" for k in legacy) + ")",
        DeprecationWarning,
        stacklevel=3,
    )
    changes = {LEGACY_KEYWORDS[k]: v for k, v in legacy.items()}
    if "solver" in changes:
        changes["solver"] = dict(changes["solver"] or {})
    if "extra_constraints" in changes:
        changes["extra_constraints"] = tuple(changes["extra_constraints"])
    return replace(run, **changes)


def run_scenario(
    scenario: Scenario,
    out_dir: str | Path | None = None,
    reporter: Reporter | None = None,
    options: RunOptions | None = None,
    case: Case | None = None,
    **legacy: Any,
) -> RunOutcome:
    """Solve one scenario and, if ``out_dir`` is given, write its run folder.

    Parameters
    ----------
    scenario : Scenario
        The scenario (:func:`symbiosis.scenario.load_scenario`).
    out_dir : str, Path or None
        The run folder to write (None: nothing is written), by the output rule of
        :mod:`symbiosis.files` (``options.overwrite``: beside files symbiosis did not write).
    reporter : Reporter or None
        Receives each stage and the solver's progress (None: silent).
    options : RunOptions or None
        How to run it (:class:`~symbiosis.options.RunOptions`: solver overrides,
        reductions, shadow prices, diagnosis, extra constraints, overwrite).
    case : Case or None
        The case as read, if already loaded (the scenario's overrides are applied to it
        here either way).
    **legacy
        The keyword arguments taken before :class:`~symbiosis.options.RunOptions`
        (``solver_overrides``, ``extra_constraints``, ``diagnose_infeasible``,
        ``shadow_prices``, ``reduce``, ``overwrite``): still accepted, with a
        DeprecationWarning.

    Returns
    -------
    RunOutcome
        The results, the solution, the manifest, the folder written and the exit code.

    Notes
    -----
    Time limit: the solver's ``time_limit`` covers everything after the model is built (warm
    start, solve, shadow prices, diagnosis); work that no longer fits (shadow prices, the
    rest of a diagnosis) is skipped, with a note in summary.json (``notes``).

    SIGINT and SIGTERM (:mod:`symbiosis.interrupt`) stop any stage: with a solution in hand
    (HiGHS's incumbent, or the warm start's) the run folder is written as usual, status
    ``feasible`` with its gap and ``interrupted`` (with ``interruption``: signal, time,
    stage) in summary.json; an infeasible model's folder is written with its diagnosis cut
    short. Without one, :class:`~symbiosis.interrupt.Interrupted` is raised and nothing is
    written.

    Raises
    ------
    InputError
        Invalid input, before anything is solved or written.
    OutputRefused
        An ``out_dir`` that may not be written, before anything is solved or written.
    Interrupted
        SIGINT or SIGTERM with no solution in hand (nothing written).
    """
    run = _run_options(options, legacy)
    with interrupt.handle_signals():
        try:
            return _run_scenario(
                scenario,
                None if out_dir is None else Path(out_dir),
                reporter or SilentReporter(),
                run,
                case,
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


@dataclass
class _Prepared:
    """What :func:`_prepare` built: the case with its overrides, the arcs, the model data (as
    written and reduced), and the Pyomo model."""

    case: Case
    arcs: Any
    graph: Any
    data: ModelData
    model_data: ModelData
    reduction: Reduction | None
    reduce: ReduceOptions
    model: Any
    overrides_applied: list[dict[str, Any]]
    scenario: Scenario | None = None
    notes: list[str] = field(default_factory=list)
    #: a myopic solve's steps, one per year solved (the last may have failed)
    myopic_steps: list[Any] = field(default_factory=list)
    #: how the model is solved: direct (the Pyomo model above) or benders (no Pyomo model)
    method: str = "direct"


@dataclass
class _Solved:
    """What :func:`_solve` found: the solution on the model solved (``model_solution``) and
    on the original arcs (``solution``), and whether the solve stage was shown."""

    model_solution: Solution
    solution: Solution
    announced: bool


def _prepare(
    scenario: Scenario,
    case: Case | None,
    run: RunOptions,
    solve_opts: SolveOptions,
    reduce_opts: ReduceOptions,
    track: _Track,
) -> _Prepared:
    """Read (unless given), apply the overrides, build arcs, model data, reductions and the
    Pyomo model."""
    if case is None:
        with track.stage("read") as info:
            case = load_case(scenario.case)
            info["detail"] = _read_detail(case)
    overrides_applied: list[dict[str, Any]] = []
    if not scenario.overrides.is_empty():
        from symbiosis.overrides import apply_overrides_logged

        source = scenario.source.name if scenario.source else "scenario"
        case, overrides_applied = apply_overrides_logged(case, scenario.overrides, source)
    check_scenario_against_case(scenario, case)
    with track.stage("network") as info:
        arcs = build_arcs(case)
        graph = symbiosis_graph(case, arcs)
        stranded = network_stats(graph)["stranded_supply_rows"]
        info["detail"] = ngettext(
            "{count} candidate arc", "{count} candidate arcs", len(arcs)
        ).format(count=f"{len(arcs):,}") + (
            ngettext(
                ", {count} supply row out of reach of every facility",
                ", {count} supply rows out of reach of every facility",
                stranded,
            ).format(count=f"{stranded:,}")
            if stranded
            else ""
        )
    with track.stage("model data") as info:
        data = build_model_data(case, arcs, scenario)
        if data.multi_year:
            info["detail"] = _("{count} years, {foresight} foresight").format(
                count=len(data.years), foresight=_(scenario.foresight)
            )
    notes: list[str] = []
    if (data.multi_year or data.has_chains) and (reduce_opts.any or reduce_opts.warm_start):
        # The reductions and the warm start are written for the single-period model
        # without chains (a chained output's amount is 0 in its balance row).
        reduce_opts = ReduceOptions.none()
        notes.append(
            Message(
                N_("model reductions and the warm start are off for multi-year and chained models")
            )
        )
    reduction: Reduction | None = None
    model_data = data
    if reduce_opts.any:
        with track.stage("reduce") as info:
            reduction = reduce_model_data(data, reduce_opts)
            model_data = reduction.data
            info["detail"] = reduction.summary()
    model = None
    method = "direct"
    if scenario.foresight != "myopic":
        method = _method(model_data, solve_opts, bool(run.extra_constraints))
    # a myopic solve builds one model per year; benders builds its own from the model data
    if scenario.foresight != "myopic" and method != "benders":
        with track.stage("build model") as info:
            if isolated(solve_opts, len(model_data.link_arcs) + len(model_data.candidates)):
                highs_process.prestart()  # its start-up overlaps the build
            model = build_model(
                model_data, [*run.extra_constraints, *strengthening_steps(reduce_opts)]
            )
            info["detail"] = _("{flows} flows, {links} link and {builds} build binaries").format(
                flows=f"{model_data.n_arcs:,}",
                links=f"{len(model_data.link_arcs):,}",
                builds=f"{len(model_data.candidates):,}",
            )
    return _Prepared(
        case,
        arcs,
        graph,
        data,
        model_data,
        reduction,
        reduce_opts,
        model,
        overrides_applied,
        scenario,
        notes,
        method=method,
    )


def _solve_myopic(
    prep: _Prepared, options: SolveOptions, run: RunOptions, track: _Track
) -> _Solved:
    """Myopic foresight: year by year (:mod:`symbiosis.solve.myopic`); the last year's model
    (the whole horizon, the past fixed) becomes the run's model. A stop before the last
    year keeps nothing (a plan of the first years is not an answer for the horizon)."""
    assert prep.scenario is not None
    interrupt.set_stage("solve")
    track.reporter.stage_started("solve")
    started = time.perf_counter()
    model, solution, steps = solve_myopic(
        prep.case,
        prep.arcs,
        prep.scenario,
        options,
        on_progress=track.reporter.solver_progress,
        extra_constraints=run.extra_constraints,
    )
    prep.model = model
    prep.myopic_steps = steps
    years: list[str] = []
    for step in steps:
        year = (
            Message(
                N_("{year} {status}, built {built}"),
                year=step.year,
                status=Message(step.status),  # a status word of the catalog (display.WORDS)
                built=", ".join(step.built),
            )
            if step.built
            else Message(N_("{year} {status}"), year=step.year, status=Message(step.status))
        )
        years += [Message(N_("; ")), year] if years else [year]
    prep.notes.append(Message(N_("myopic foresight: {years}"), years=Message.concat(*years)))
    complete = len(steps) == len(prep.data.years)
    track.timings["solve"] = time.perf_counter() - started
    track.reporter.stage_finished(
        "solve",
        track.timings["solve"],
        f"myopic, {len(steps)} of {len(prep.data.years)} years, {solution.status}",
    )
    if not complete and solution.has_solution:
        interrupt.check()  # stopped before the last year: nothing to write
        solution = replace(solution, status="no_solution", values={})
    return _Solved(solution, solution, True)


def _read_detail(case: Case) -> str:
    """What the read stage shows: ``4 sites, 2 supply rows, 4 facilities``."""
    sites = ngettext("{count} site", "{count} sites", len(case.sites))
    supply = ngettext("{count} supply row", "{count} supply rows", len(case.supply))
    facilities = ngettext("{count} facility", "{count} facilities", len(case.facilities))
    return _(", ").join(
        [
            sites.format(count=len(case.sites)),
            supply.format(count=len(case.supply)),
            facilities.format(count=len(case.facilities)),
        ]
    )


def _method(model_data: ModelData, options: SolveOptions, hooks: bool) -> str:
    """``direct`` or ``benders``: ``solver.method``, ``auto`` decided by
    :func:`~symbiosis.solve.benders.auto_method`; ``benders`` asked for a model it cannot
    solve is an input error (:func:`~symbiosis.solve.benders.benders_refusal`; extra
    constraints (``hooks``) are added to the Pyomo model, which benders does not solve)."""
    if options.method == "auto":
        return "direct" if hooks else auto_method(model_data)
    if options.method == "benders":
        refusal = benders_refusal(model_data)
        if hooks:
            refusal = _("extra constraints are added to the direct model only")
        if refusal is not None:
            problem = _("solver.method: benders: {refusal}").format(refusal=refusal)
            raise InputError([Problem("scenario", problem)], "scenario")
    return options.method


def _solve(prep: _Prepared, options: SolveOptions, run: RunOptions, track: _Track) -> _Solved:
    """Warm start (if asked) and HiGHS; a stop keeps the best solution in hand (HiGHS's, or
    the warm start's) and raises :class:`~symbiosis.interrupt.Interrupted` when there is
    none. Runs inside :func:`symbiosis.interrupt.deferred`."""
    if prep.model is None and prep.method != "benders":
        return _solve_myopic(prep, options, run, track)
    model_data, reduction = prep.model_data, prep.reduction
    initial = None
    warm_info: dict[str, Any] = {}
    if prep.reduce.warm_start and reduction is not None:
        with track.stage("warm start") as info:
            initial, warm_info = warm_start_values(
                model_data, options, prep.reduce, options.time_limit
            )
            reduction.stats["warm_start"] = warm_info
            found = warm_info.get("objective")
            skipped = warm_info.get("skipped")
            info["detail"] = (
                f"{found:,.0f}"
                if initial is not None
                else (_("skipped: {reason}").format(reason=skipped) if skipped else _("none found"))
            ) + (_(", interrupted") if warm_info.get("interrupted") else "")
    if interrupt.requested() is not None and initial is None:
        interrupt.check()  # no solution yet: nothing to write
    model_solution = None
    solve_started = 0.0  # when the solve stage was announced (0: it was not)
    benders = prep.method == "benders"
    if interrupt.requested() is None:
        if not benders and isolated(
            options, len(model_data.link_arcs) + len(model_data.candidates)
        ):
            highs_process.prestart()  # the compile hides its start-up
        interrupt.set_stage("solve")
        track.reporter.stage_started("solve")
        solve_started = time.perf_counter()
        try:
            if benders:
                model_solution = solve_benders(
                    model_data, options, on_progress=track.reporter.solver_progress
                )
            else:
                model_solution = solve_model(
                    prep.model,
                    options,
                    on_progress=track.reporter.solver_progress,
                    initial_values=initial,
                )
        except Interrupted:  # while compiling the model
            if initial is None:
                track.reporter.stage_finished(
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
            model_solution = _warm_start_solution(initial, warm_info, model_solution.highs_status)
        elif model_solution.status != "infeasible":
            track.reporter.stage_finished(
                "solve", time.perf_counter() - solve_started, "no solution, interrupted"
            )
            interrupt.check()  # stopped without a solution: nothing to write
    solution = model_solution if reduction is None else reduction.expand_solution(model_solution)
    for key in ("compile", "pass_to_highs", "solve"):
        track.timings[key] = solution.timings.get(key, 0.0)
    if solve_started:
        track.reporter.stage_finished(
            "solve",
            track.timings["solve"],
            _(solution.status)
            + (
                _(", gap {gap}").format(gap=f"{solution.mip_gap:.2e}")
                if solution.mip_gap is not None
                else ""
            )
            + (_(", interrupted") if solution.interrupted else ""),
        )
    return _Solved(model_solution, solution, bool(solve_started))


def _answer(
    scenario: Scenario,
    prep: _Prepared,
    solved: _Solved,
    run: RunOptions,
    options: SolveOptions,
    track: _Track,
) -> tuple[Results, int, list[str]]:
    """The results (with shadow prices) of a solution, or the empty results of none (with
    the diagnosis of an infeasible scenario): ``(results, exit code, notes)``."""
    notes: list[str] = list(prep.notes)
    solution, case, data = solved.solution, prep.case, prep.data
    if solution.has_solution:
        with track.stage("results"):
            results = build_results(
                case, prep.arcs, data, solution, scenario.name, foresight=scenario.foresight
            )
        if run.shadow_prices and data.targets and scenario.foresight == "myopic":
            add_shadow_prices(results, {}, "not_computed")
            notes.append(Message(N_("shadow prices are not computed for a myopic run")))
        elif run.shadow_prices and data.targets:
            prices, status = _shadow_stage(
                prep.model,
                prep.model_data,
                solved.model_solution,
                options,
                track,
                notes,
            )
            # Over years the duals are in present value (the objective is discounted): each
            # target's price is given in its own year's money, CNY per t of that year.
            weight = {t.name: t.weight for t in data.targets}
            prices = {
                name: None if price is None else price / weight.get(name, 1.0)
                for name, price in prices.items()
            }
            add_shadow_prices(results, prices, status, case.stream_unit())
        else:
            add_shadow_prices(results, {}, "not_computed")
        exit_code = EXIT_OK
    else:
        extra: dict[str, Any] = {"highs_status": solution.highs_status}
        if data.multi_year:
            extra.update(years=list(data.years), foresight=scenario.foresight)
        if solution.status == "infeasible" and prep.myopic_steps:
            # The whole horizon's diagnosis would not fix the earlier years' builds: say
            # which year the myopic plan could not meet, and why it is myopic's failure.
            extra["diagnosis"] = _myopic_diagnosis(prep.myopic_steps)
        elif solution.status == "infeasible" and run.diagnose_infeasible:
            units = {t.name: "t" for t in data.targets}
            units.update(case.stream_unit())
            units["total"] = "t"
            extra["diagnosis"] = _diagnose_stage(data, options, units, track)
            _add_unreachable(extra["diagnosis"], prep, units)
        results = empty_results(solution.status, scenario.name, extra)
        exit_code = EXIT_INFEASIBLE if solution.status == "infeasible" else EXIT_ERROR
    return results, exit_code, notes


def _myopic_diagnosis(steps: list[Any]) -> dict[str, Any]:
    """The diagnosis of a myopic run that found no plan: the year it failed, given the
    builds of the years before."""
    failed = steps[-1]
    before: list[str] = [
        Message(
            N_("{year}: {built}"),
            year=step.year,
            built=", ".join(step.built) if step.built else Message(N_("nothing")),
        )
        for step in steps[:-1]
    ]
    built: str = ""
    if before:
        years: list[str] = []
        for item in before:
            years += [Message(N_("; ")), item] if years else [item]
        built = Message(N_(" (built {years})"), years=Message.concat(*years))
    message = Message(
        N_(
            "myopic foresight: no plan meets the targets and limits of {year} once the earlier "
            "years' builds are fixed{built}; perfect foresight (without --myopic) plans the "
            "years together"
        ),
        year=failed.year,
        built=built,
    )
    return {"myopic_failed_year": failed.year, "messages": [message]}


def _add_unreachable(diagnosis: dict[str, Any], prep: _Prepared, units: dict[str, str]) -> None:
    """Add to an infeasible scenario's diagnosis the supply of target streams that no
    facility can reach (:func:`symbiosis.graph.stranded_supply`): ``unreachable_supply``
    and one message per stream. Nothing is added when all supply is within reach."""
    stranded = stranded_supply(prep.graph)
    counted = set(prep.case.streams.loc[prep.case.streams["target"] == 1, "stream"])
    stranded = stranded[stranded["stream"].isin(counted)]
    if stranded.empty:
        return
    diagnosis["unreachable_supply"] = stranded.to_dict("records")
    for stream, rows in stranded.groupby("stream", sort=True):
        amount = units_amount(float(rows["amount"].sum()), units.get(str(stream), "t"))
        diagnosis.setdefault("messages", []).append(
            unreachable_sentence(str(stream), amount, [str(site) for site in rows["site"]])
        )


def _run_scenario(
    scenario: Scenario,
    out_dir: Path | None,
    reporter: Reporter,
    run: RunOptions,
    case: Case | None,
) -> RunOutcome:
    if out_dir is not None:
        # refuse a folder that may not be written before any work (symbiosis.files)
        check_run_target(out_dir, overwrite=run.overwrite)
    track = _Track(reporter)
    timings = track.timings
    started = datetime.now(UTC)
    options, reduce_opts = resolve_run(scenario, run)
    prep = _prepare(scenario, case, run, options, reduce_opts, track)

    # The time limit covers everything from here on.
    if options.time_limit is not None:
        options = replace(options, deadline=time.perf_counter() + float(options.time_limit))
    # From here a signal only records the stop: each stage polls it (HiGHS is cancelled or
    # killed, keeping its incumbent), so that a solution in hand is written.
    with interrupt.deferred():
        solved = _solve(prep, options, run, track)
        results, exit_code, notes = _answer(scenario, prep, solved, run, options, track)
        stop = interrupt.requested()
        if stop is not None:
            results.summary["interrupted"] = True
            results.summary["interruption"] = stop.as_dict()
        if notes:
            results.summary["notes"] = notes
        data, solution = prep.data, solved.solution
        manifest = run_manifest(
            scenario,
            prep.case.files,
            {
                "solver_options": options.as_dict(),
                "highs_status": solution.highs_status,
                "network": network_stats(prep.graph),
                "model_size": {
                    "arcs": data.n_arcs,
                    "link_binaries": len(data.link_arcs),
                    "build_binaries": len(data.candidates),
                    **solution.size,
                },
                "reductions": {
                    "options": reduce_opts.as_dict(),
                    **(prep.reduction.stats if prep.reduction is not None else {}),
                },
                **({"overrides_applied": prep.overrides_applied} if prep.overrides_applied else {}),
                **({"interruption": stop.as_dict()} if stop is not None else {}),
                **({"notes": notes} if notes else {}),
            },
            timings,
            started,
        )
        written = None
        if out_dir is not None:
            with track.stage("write"):
                written = write_run_folder(out_dir, results, manifest, overwrite=run.overwrite)
            manifest["timings_s"]["write"] = round(timings["write"], 4)
    return RunOutcome(
        scenario,
        results,
        solution,
        manifest,
        written,
        exit_code,
        prep.case,
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
    track: _Track,
    notes: list[str],
) -> tuple[dict[str, float | None], str]:
    """The shadow-price stage, or a note in ``notes`` saying why it was skipped: returns
    (target name -> price, status)."""
    from symbiosis.solve.shadow import ShadowPrices, clean_dual, target_shadow_prices

    # The LP is compiled as the MIP was: skip it when that alone would not fit.
    needs = SHADOW_MIN_SECONDS + track.timings.get("compile", 0.0)
    stop = interrupt.requested()
    if stop is not None:
        notes.append(_not_computed_interrupted(stop.signal))
        return {}, "skipped: interrupted"
    if not model_solution.values or _out_of_time(options, needs):
        if model_solution.values:
            notes.append(
                Message(
                    N_("shadow prices not computed: the time limit ({seconds} s) was spent"),
                    seconds=f"{options.time_limit:g}",
                )
            )
        return {}, "skipped: time limit"
    try:
        with track.stage("shadow price") as info, interrupt.interruptible():
            if model is None:  # benders: the duals of its last flows' LP, at the builds chosen
                duals = ShadowPrices(
                    {
                        t.name: clean_dual(model_solution.row_duals[f"target[{t.name}]"])
                        if f"target[{t.name}]" in model_solution.row_duals
                        else None
                        for t in model_data.targets
                    },
                    "optimal",
                    model_solution.objective,
                )
            else:
                duals = target_shadow_prices(model, model_data, model_solution, options)
            info["detail"] = (
                "LP "
                + _(duals.status)
                + (
                    _(", total target {price} CNY/t").format(price=f"{duals.total:,.2f}")
                    if duals.total is not None
                    else ""
                )
            )
    except Interrupted as exc:
        signal_name = exc.request.signal if exc.request else "a signal"
        notes.append(_not_computed_interrupted(signal_name))
        return {}, "skipped: interrupted"
    status = duals.status
    if status != "optimal":
        stop = interrupt.requested()
        if stop is not None:
            notes.append(_not_computed_interrupted(stop.signal))
            status = "skipped: interrupted"
        elif _out_of_time(options, 0.0):
            notes.append(
                Message(
                    N_(
                        "shadow prices not computed: the time limit ({seconds} s) ran out "
                        "during their LP"
                    ),
                    seconds=f"{options.time_limit:g}",
                )
            )
            status = "skipped: time limit"
    return duals.prices, status


def _not_computed_interrupted(signal: str) -> Message:
    """The note of shadow prices skipped for a stop (SIGINT, SIGTERM)."""
    return Message(N_("shadow prices not computed: interrupted by {signal}"), signal=signal)


def _diagnose_stage(
    data: ModelData,
    options: SolveOptions,
    units: dict[str, str],
    track: _Track,
) -> dict[str, Any]:
    """The diagnosis of an infeasible model, cut short (and saying so) by a signal or the
    time limit."""
    from symbiosis.solve.diagnose import diagnose

    stop = interrupt.requested()
    if stop is not None:
        not_run = Message(N_("diagnosis not run: interrupted by {signal}"), signal=stop.signal)
        return {"messages": [not_run], "complete": False}
    if _out_of_time(options, SHADOW_MIN_SECONDS):
        spent = Message(
            N_("diagnosis not run: the time limit ({seconds} s) was spent"),
            seconds=f"{options.time_limit:g}",
        )
        return {"messages": [spent], "complete": False}
    try:
        with track.stage("diagnose"), interrupt.interruptible():
            return diagnose(data, options, units)
    except Interrupted as exc:
        signal_name = exc.request.signal if exc.request else "a signal"
        stopped = Message(N_("diagnosis stopped: interrupted by {signal}"), signal=signal_name)
        return {"messages": [stopped], "complete": False}
