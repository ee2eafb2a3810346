"""Many solves of one or more scenarios: batch runs, the target-cost curve, the cost-CO2 front.

Batch runs
----------
:func:`prepare_runs` loads every scenario, reads each case once, applies the overrides and
checks each scenario against its case *before anything is solved*, collecting every problem
into one :class:`~symbiosis.case.InputError`; :func:`run_prepared` then solves them one after
another, each into its own run folder, with one progress display (:class:`BatchReporter`).

Target-cost curve
-----------------
:func:`target_curve` solves the scenario with ``target.total`` set to each level
:math:`T_1 < T_2 < \\dots` and reports, per level, the total cost :math:`C(T_i)`, the projects
built (and those added or dropped against the previous level) and the marginal cost of the
last step

.. math:: mc_i = \\frac{C(T_i) - C(T_{i-1})}{T_i - T_{i-1}} \\quad \\text{(CNY/t)}

For the first level, :math:`T_0` is one extra *lead-in* solve at
:math:`\\max(0, T_1 - (T_2 - T_1))` (one step below; one megatonne below, but not under 0,
when a single level is asked), so every row has the same definition; the lead-in's run folder
is kept under ``points/`` too. Each row also carries the shadow price of the total target at
that level's portfolio (:mod:`symbiosis.solve.shadow`): the cost of one more tonne *without*
changing the portfolio, while :math:`mc_i` includes the projects that the step brings in.

Written: ``DIR/curve.csv`` (``target_t, status, objective, marginal_cost_cny_per_t, built``,
then ``previous_target_t, shadow_price_cny_per_t, added, dropped, delivered_target_t,
co2_avoided_t, capex_built, run_dir``), each level's run folder ``DIR/points/<name>/``,
``DIR/curve.png`` and ``DIR/curve.html`` (self-contained).

Cost-CO2 front (epsilon-constraint)
-----------------------------------
With CO2 avoided (t/yr), linear in the flows,

.. math:: E(x) = \\frac{1}{1000}\\Big(\\sum_a (co2_{k(a)}\\, eff_a - co2^{tr}_a)\\, x_a\\Big),

:func:`pareto_front` solves (1) the scenario as it is: minimum cost, :math:`E_{min}`; (2) the
scenario with the objective :math:`\\max E`: :math:`E_{max}` (no run folder); then, for
:math:`n` points in all, (3) :math:`\\min cost` s.t. :math:`E \\ge \\varepsilon_j` with
:math:`\\varepsilon_j = E_{min} + j (E_{max} - E_{min}) / (n - 1)`, :math:`j = 1 \\dots n-1`
(the last, at :math:`E_{max}` less a relative 1e-7 for tolerance, is the lexicographic
optimum: the cheapest portfolio with the most CO2 avoided). Each point is a full portfolio
with its own run folder. A point is *on the front* if no other point is at least as good in
both cost and CO2 and better in one (a MIP solved to a gap can return a slightly dominated
point; it is kept in the table and marked). Written: ``DIR/pareto.csv`` (``point,
epsilon_t, co2_avoided_t, objective, built, status, on_front, run_dir``), ``DIR/pareto.png``,
``DIR/pareto.html``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console, Group
from rich.live import Live
from rich.progress import Progress
from rich.text import Text

from symbiosis import interrupt
from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.files import CURVE_KIND, PARETO_KIND, claim, staged
from symbiosis.interrupt import Interrupted, StopRequest
from symbiosis.milp.co2 import co2_avoided_expression, co2_floor, maximise_co2
from symbiosis.options import RunOptions
from symbiosis.report import curve_html, curve_plot, pareto_html, pareto_plot
from symbiosis.results import check_run_target, empty_results
from symbiosis.runner import (
    EXIT_ERROR,
    EXIT_INFEASIBLE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    RunOutcome,
    SilentReporter,
    run_scenario,
)
from symbiosis.scenario import Scenario, check_scenario_against_case, load_scenario
from symbiosis.solve.highs import Progress as SolverProgress

POINTS_DIR = "points"
#: statuses of the points a stop request left without a solution
STOPPED_STATUSES = ("interrupted", "not_run")
MAX_LEVELS = 1000
CURVE_COLUMNS = (
    "target_t",
    "status",
    "objective",
    "marginal_cost_cny_per_t",
    "built",
    "previous_target_t",
    "shadow_price_cny_per_t",
    "added",
    "dropped",
    "delivered_target_t",
    "co2_avoided_t",
    "capex_built",
    "run_dir",
)
PARETO_COLUMNS = (
    "point",
    "epsilon_t",
    "co2_avoided_t",
    "objective",
    "built",
    "status",
    "on_front",
    "delivered_target_t",
    "capex_built",
    "run_dir",
)


# --------------------------------------------------------------------------------------------
# One display for many runs
# --------------------------------------------------------------------------------------------
class BatchReporter:
    """One progress display across several runs: an overall line ("scenario 2/5: name",
    a bar, runs done, time) with the live solver line under it, and each run's stages
    printed above as they finish. Implements :class:`~symbiosis.runner.Reporter`.

    Use as a context manager; call :meth:`next_run` before each run and :meth:`run_done`
    after it.
    """

    def __init__(self, console: Console, total: int, noun: str = "scenario"):
        self.console = console
        self.total = total
        self.noun = noun
        self.index = 0
        self.name = ""
        from symbiosis.display import progress_columns

        self._progress = Progress(*progress_columns(total), console=console)
        self._task = self._progress.add_task("", total=total)
        self._solver = Text("")
        self._live: Live | None = None

    def __enter__(self) -> BatchReporter:
        if self.console.is_terminal:
            self._live = Live(
                Group(self._progress, self._solver),
                console=self.console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    @property
    def prefix(self) -> str:
        return f"[{self.index}/{self.total}] "

    def next_run(self, name: str) -> None:
        """Announce the next run (1-based count kept here)."""
        self.index += 1
        self.name = name
        title = f"{self.noun} {self.index}/{self.total}: {name}"
        self._progress.update(self._task, description=title)
        self.console.print(f"[bold]{title}[/]")

    def run_done(self, status: str, detail: str = "") -> None:
        self._progress.advance(self._task)
        self._solver.plain = ""
        self.console.print(f"  → {status}{('  ' + detail) if detail else ''}")

    # Reporter protocol
    def stage_started(self, name: str) -> None:
        if name == "solve":
            self._solver.plain = "  solve: starting HiGHS ..."

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        if name == "solve":
            self._solver.plain = ""
        suffix = f"  {detail}" if detail else ""
        self.console.print(f"  [green]✓[/] {name:<12} {seconds:8.2f} s{suffix}")

    def solver_progress(self, progress: SolverProgress) -> None:
        from symbiosis.display import money

        self._solver.plain = (
            f"  solve: {progress.elapsed:6.1f} s  incumbent {money(progress.incumbent)}"
            f"  bound {money(progress.bound)}"
            + (f"  gap {progress.gap:.2%}" if progress.gap is not None else "")
        )


class _NullBatch(SilentReporter):
    """A BatchReporter that shows nothing (``--quiet``, ``--json``)."""

    def __enter__(self) -> _NullBatch:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def next_run(self, name: str) -> None:
        pass

    def run_done(self, status: str, detail: str = "") -> None:
        pass


def batch_reporter(
    console: Console | None, total: int, noun: str = "scenario"
) -> BatchReporter | _NullBatch:
    """A :class:`BatchReporter` on ``console``, or a silent one when ``console`` is None."""
    if console is None:
        return _NullBatch()
    return BatchReporter(console, total, noun)


# --------------------------------------------------------------------------------------------
# Batch runs: validate everything first, then solve one after another
# --------------------------------------------------------------------------------------------
@dataclass
class PreparedRun:
    """A scenario checked against its case, ready to solve."""

    scenario: Scenario
    case: Case  # as read (the scenario's overrides are applied by run_scenario)
    out_dir: Path


def check_prepared(scenario: Scenario, case: Case) -> None:
    """What :func:`~symbiosis.runner.run_scenario` checks before solving: the overrides fit
    the case, and the scenario fits the case with its overrides applied."""
    changed = case
    if not scenario.overrides.is_empty():
        from symbiosis.overrides import apply_overrides

        source = scenario.source.name if scenario.source else "scenario"
        changed = apply_overrides(case, scenario.overrides, source)
    check_scenario_against_case(scenario, changed)


def prepare_runs(
    paths: Sequence[str | Path],
    out: Path | None = None,
    on_read: Callable[[Case], None] | None = None,
    *,
    overwrite: bool = False,
    check_folders: bool = True,
) -> list[PreparedRun]:
    """Load and check every scenario (and read each case once) before any is solved.

    Output folders: ``out`` for one scenario, ``out/<name>`` for several, ``runs/<name>``
    without ``out``. Two scenarios writing to the same folder are an error, and so is a
    folder that may not be written (:mod:`symbiosis.files`; ``overwrite``: beside foreign
    files; ``check_folders`` False: the folders are not looked at).

    Raises
    ------
    InputError
        Listing every problem of every scenario.
    """
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except InputError as exc:
            problems += exc.problems
    cases: dict[Path, Case | None] = {}
    prepared: list[PreparedRun] = []
    folders: dict[Path, str] = {}
    for scenario in scenarios:
        key = Path(scenario.case).resolve()
        if key not in cases:
            try:
                cases[key] = load_case(key)
                if on_read is not None and cases[key] is not None:
                    on_read(cases[key])  # type: ignore[arg-type]
            except InputError as exc:
                problems += exc.problems
                cases[key] = None
        case = cases[key]
        if case is None:
            continue
        try:
            check_prepared(scenario, case)
        except InputError as exc:
            problems += exc.problems
            continue
        if out is None:
            target = Path("runs") / scenario.name
        elif len(scenarios) == 1:
            target = out
        else:
            target = out / scenario.name
        source = str(scenario.source or scenario.name)
        if target.resolve() in folders:
            problems.append(
                Problem(
                    source,
                    f"writes to the same run folder {target} as {folders[target.resolve()]}; "
                    "give the scenarios different names",
                )
            )
        folders[target.resolve()] = source
        try:
            if check_folders:
                check_run_target(target, overwrite=overwrite)
        except InputError as exc:
            problems += exc.problems
            continue
        prepared.append(PreparedRun(scenario, case, target))
    if problems:
        raise InputError(problems, "scenarios")
    return prepared


def run_prepared(
    runs: Sequence[PreparedRun],
    console: Console | None = None,
    solver_overrides: dict[str, Any] | None = None,
    on_done: Callable[[RunOutcome], None] | None = None,
    run_options: dict[str, Any] | None = None,
) -> list[RunOutcome]:
    """Solve prepared runs one after another, each into its own folder, with one display
    on ``console`` (None: silent); ``run_options`` are further keyword arguments of
    :func:`~symbiosis.runner.run_scenario` (e.g. ``reduce=False``).

    SIGINT or SIGTERM (:mod:`symbiosis.interrupt`) stops the batch at once: the run under
    way keeps its best solution if it has one (else its outcome has status ``interrupted``),
    the runs not started are returned with status ``not_run``, and both with exit code
    :data:`~symbiosis.runner.EXIT_INTERRUPTED` (130); ``on_done`` is called for the runs
    that wrote a folder."""
    outcomes: list[RunOutcome] = []
    # Deferred: a signal stops the loop (each run is interruptible) but not the bookkeeping.
    with (
        interrupt.handle_signals(),
        interrupt.deferred(),
        batch_reporter(console, len(runs)) as reporter,
    ):
        for run in runs:
            if interrupt.requested() is not None:
                outcomes.append(_not_run(run.scenario, "not_run"))
                continue
            reporter.next_run(run.scenario.name)
            outcome = _attempt(
                lambda run=run: run_scenario(  # type: ignore[misc]
                    run.scenario,
                    run.out_dir,
                    reporter,
                    RunOptions(solver=solver_overrides or {}, **(run_options or {})),
                    case=run.case,
                )
            )
            if outcome is None:
                outcome = _not_run(run.scenario, "interrupted")
                reporter.run_done("interrupted", "nothing written")
                outcomes.append(outcome)
                continue
            reporter.run_done(_status(outcome), _short(outcome))
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)
    return outcomes


def _attempt(run: Callable[[], RunOutcome]) -> RunOutcome | None:
    """``run()``, or None if SIGINT/SIGTERM stopped it with nothing to keep (or came
    before it started)."""
    if interrupt.requested() is not None:
        return None
    try:
        with interrupt.interruptible():
            return run()
    except Interrupted:
        return None


def _not_run(scenario: Scenario, status: str) -> RunOutcome:
    """The outcome of a run that a stop request left without a solution (``interrupted``)
    or never started (``not_run``): no folder, exit code 130."""
    stop = interrupt.requested()
    extra: dict[str, Any] = {"interrupted": True}
    if stop is not None:
        extra["interruption"] = stop.as_dict()
    return RunOutcome(
        scenario,
        empty_results(status, scenario.name, extra),
        None,
        {},
        None,
        EXIT_INTERRUPTED,
        interruption=stop,
    )


def _status(outcome: RunOutcome) -> str:
    from symbiosis.display import status_text

    return status_text(outcome.results.summary)


def _short(outcome: RunOutcome) -> str:
    from symbiosis.display import money

    s = outcome.results.summary
    if s.get("objective") is None:
        return ""
    built = s.get("built") or []
    penalty = s.get("shortfall_penalty")
    cost = f"{money(s['objective'])} CNY/yr" + (f" + penalty {money(penalty)}" if penalty else "")
    return f"{cost}, built {len(built)}" + (
        f" ({', '.join(built[:6])}{', ...' if len(built) > 6 else ''})" if built else ""
    )


# --------------------------------------------------------------------------------------------
# Target levels
# --------------------------------------------------------------------------------------------
def parse_levels(text: str) -> list[float]:
    """``"60e6:100e6:5e6"`` (start:stop:step, both ends included) or ``"1e6,2e6,5e6"``.

    Raises
    ------
    InputError
        For text that is neither, a step <= 0, or a negative level.
    """

    def bad(why: str) -> InputError:
        return InputError(
            [
                Problem(
                    "--targets",
                    f"{why}; write START:STOP:STEP (e.g. 60e6:100e6:5e6) or a list V1,V2,...",
                    value=text,
                )
            ],
            "command line",
        )

    try:
        if ":" in text:
            parts = [float(p.replace("_", "")) for p in text.split(":")]
            if len(parts) != 3:
                raise bad("give three numbers")
            start, stop, step = parts
            if step <= 0:
                raise bad("the step must be > 0")
            if stop < start:
                raise bad("STOP is below START")
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_LEVELS:
                raise bad(f"{count} levels; at most {MAX_LEVELS}")
            levels = [start + i * step for i in range(count)]
        else:
            levels = sorted({float(p.replace("_", "")) for p in text.split(",") if p.strip()})
    except ValueError:
        raise bad("not numbers") from None
    if not levels:
        raise bad("no level given")
    if min(levels) < 0:
        raise bad("a target level must be >= 0")
    return levels


def _point_label(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.6g}"


# --------------------------------------------------------------------------------------------
# The target-cost curve
# --------------------------------------------------------------------------------------------
@dataclass
class CurveResult:
    """What :func:`target_curve` produced."""

    table: pd.DataFrame
    out_dir: Path
    csv: Path
    png: Path | None
    html: Path | None
    lead_in: dict[str, Any] = field(default_factory=dict)
    exit_code: int = EXIT_OK
    #: the SIGINT/SIGTERM that stopped the curve early (levels after it: ``not_run``)
    interruption: StopRequest | None = None


def _with_target(scenario: Scenario, total: float, name: str) -> Scenario:
    variant = scenario.model_copy(deep=True)
    variant.target.total = float(total)
    variant.name = name
    variant.source = scenario.source
    return variant


def _final_path(path: Path | None, stage: Path, final: Path) -> str:
    """Where ``path``, written inside the staged folder ``stage``, will be once ``stage`` is
    moved to ``final`` ("" for no path)."""
    if path is None:
        return ""
    return str(final / Path(path).relative_to(stage))


def _exit_code(statuses: Sequence[str]) -> int:
    if any(s in ("optimal", "feasible") for s in statuses):
        return EXIT_OK
    if statuses and all(s == "infeasible" for s in statuses):
        return EXIT_INFEASIBLE
    return EXIT_ERROR


def _load_once(scenario: Scenario, case: Case | None) -> Case:
    if case is None:
        case = load_case(scenario.case)
    check_prepared(scenario, case)
    return case


def target_curve(
    scenario: Scenario,
    levels: Sequence[float],
    out_dir: str | Path,
    console: Console | None = None,
    solver_overrides: dict[str, Any] | None = None,
    case: Case | None = None,
    plots: bool = True,
    *,
    overwrite: bool = False,
) -> CurveResult:
    """Solve ``scenario`` at each total-target level and write the curve (see the module
    docstring for the definitions and files).

    Parameters
    ----------
    scenario : the base scenario (its own ``target.total`` is replaced; stream targets,
        limits and overrides stay)
    levels : total-target levels, t/yr (sorted here)
    out_dir : the curve folder
    console : where to show progress (None: silent)
    solver_overrides : solver options over the scenario's
    case : the case as read, if already loaded
    plots : write curve.png and curve.html (needs matplotlib)
    overwrite : write into a folder holding files symbiosis did not write (beside them)

    The folder is written aside and moved in whole when every level is solved
    (:mod:`symbiosis.files`); one that may not be written is refused before any solve.

    SIGINT or SIGTERM stops the curve at once (:mod:`symbiosis.interrupt`): the levels
    finished before it (and the one under way if it keeps a solution) are written as usual,
    the rest listed with status ``not_run``, and ``exit_code`` is 130. With no level finished,
    :class:`~symbiosis.interrupt.Interrupted` is raised and nothing is written.
    """
    final = Path(out_dir).absolute()
    claimed = claim(final, CURVE_KIND, folder=True, overwrite=overwrite)
    # Deferred: once a level is finished, a signal stops the loop but never the writing.
    with interrupt.handle_signals(), interrupt.deferred(), staged(claimed) as stage:
        return _curve_into(
            stage.path, final, scenario, levels, console, solver_overrides, case, plots
        )


def _curve_into(
    out_dir: Path,
    final: Path,
    scenario: Scenario,
    levels: Sequence[float],
    console: Console | None,
    solver_overrides: dict[str, Any] | None,
    case: Case | None,
    plots: bool,
) -> CurveResult:
    """:func:`target_curve` writing into ``out_dir`` (staged), naming paths as they will be
    once the folder is moved to ``final``."""
    levels = sorted(float(v) for v in levels)
    if not levels:
        raise InputError([Problem("curve", "no target level given")], "command line")
    with interrupt.interruptible():
        case = _load_once(scenario, case)
    if len(levels) > 1:
        lead_level = max(0.0, levels[0] - (levels[1] - levels[0]))
    else:
        lead_level = max(0.0, levels[0] - 1e6)
    needs_lead = lead_level < levels[0]
    points_dir = out_dir / POINTS_DIR
    jobs = ([("lead-in", lead_level)] if needs_lead else []) + [("level", v) for v in levels]

    solved: list[tuple[str, float, RunOutcome]] = []
    finished = 0
    with batch_reporter(console, len(jobs), noun="point") as reporter:
        for kind, level in jobs:
            name = f"{scenario.name}-target-{_point_label(level)}"
            if kind == "lead-in":
                name += "-lead-in"
            if interrupt.requested() is not None:
                solved.append(
                    (kind, level, _not_run(_with_target(scenario, level, name), "not_run"))
                )
                continue
            reporter.next_run(
                f"target {level:,.0f} t/yr" + (" (lead-in)" if kind != "level" else "")
            )
            variant = _with_target(scenario, level, name)
            outcome = _attempt(
                lambda variant=variant, name=name: run_scenario(  # type: ignore[misc]
                    variant,
                    points_dir / name,
                    reporter,
                    RunOptions(solver=solver_overrides or {}, diagnose_infeasible=False),
                    case=case,
                )
            )
            if outcome is None:
                outcome = _not_run(variant, "interrupted")
            else:
                finished += 1
            reporter.run_done(outcome.results.summary.get("status", "?"), _short(outcome))
            solved.append((kind, level, outcome))
    stop = interrupt.requested()
    if stop is not None and not finished:
        raise Interrupted(stop)  # nothing to keep: no curve folder

    rows = []
    lead_info: dict[str, Any] = {}
    previous: tuple[float, dict[str, Any]] | None = None
    for kind, level, outcome in solved:
        summary = outcome.results.summary
        if kind == "lead-in":
            lead_info = {
                "target_t": level,
                "status": summary.get("status"),
                "objective": summary.get("objective"),
                "run_dir": _final_path(outcome.out_dir, out_dir, final),
            }
            previous = (level, summary)
            continue
        objective = summary.get("objective")
        built = list(summary.get("built") or [])
        marginal = None
        added = dropped = ""
        prev_level = None
        if previous is not None:
            prev_level, prev = previous
            if objective is not None and prev.get("objective") is not None and level > prev_level:
                marginal = (objective - prev["objective"]) / (level - prev_level)
            if objective is not None and prev.get("objective") is not None:
                before = set(prev.get("built") or [])
                added = " ".join(b for b in built if b not in before)
                dropped = " ".join(sorted(before - set(built)))
        elif objective is not None:
            marginal = summary.get("target_shadow_price_cny_per_t")
        rows.append(
            {
                "target_t": level,
                "status": summary.get("status"),
                "objective": objective,
                "marginal_cost_cny_per_t": marginal,
                "built": " ".join(built),
                "previous_target_t": prev_level,
                "shadow_price_cny_per_t": summary.get("target_shadow_price_cny_per_t"),
                "added": added,
                "dropped": dropped,
                "delivered_target_t": summary.get("delivered_target_t"),
                "co2_avoided_t": summary.get("co2_avoided_t"),
                "capex_built": summary.get("capex_built"),
                "run_dir": _final_path(outcome.out_dir, out_dir, final),
            }
        )
        previous = (level, summary)
    table = pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
    csv = out_dir / "curve.csv"
    table.to_csv(csv, index=False, float_format="%.10g")
    png = page = None
    ran = table.loc[~table["status"].isin(STOPPED_STATUSES)]
    if plots and len(ran):
        png_bytes = curve_plot(ran, scenario.name)
        png = out_dir / "curve.png"
        png.write_bytes(png_bytes)
        page = out_dir / "curve.html"
        page.write_text(curve_html(table, scenario.name, png_bytes, lead_info), encoding="utf-8")
    return CurveResult(
        table,
        final,
        final / csv.name,
        None if png is None else final / png.name,
        None if page is None else final / page.name,
        lead_info,
        EXIT_INTERRUPTED
        if stop is not None and table["status"].isin(STOPPED_STATUSES).any()
        else _exit_code([str(s) for s in table["status"]]),
        stop,
    )


# --------------------------------------------------------------------------------------------
# The cost-CO2 front (its model terms: symbiosis.milp.co2)
# --------------------------------------------------------------------------------------------
@dataclass
class ParetoResult:
    """What :func:`pareto_front` produced."""

    table: pd.DataFrame
    out_dir: Path
    csv: Path | None
    png: Path | None
    html: Path | None
    co2_range: tuple[float, float] | None
    exit_code: int = EXIT_OK
    #: the SIGINT/SIGTERM that stopped the front early (points after it: ``not_run``)
    interruption: StopRequest | None = None


def non_dominated(cost: Sequence[float], co2: Sequence[float], tol: float = 1e-9) -> list[bool]:
    """True for each point that no other point dominates (cost no higher and CO2 no lower,
    one of them strictly), with a relative tolerance ``tol``."""
    flags = []
    for i, (ci, ei) in enumerate(zip(cost, co2, strict=True)):
        dominated = False
        for j, (cj, ej) in enumerate(zip(cost, co2, strict=True)):
            if i == j:
                continue
            tc = tol * max(1.0, abs(ci), abs(cj))
            te = tol * max(1.0, abs(ei), abs(ej))
            if cj <= ci + tc and ej >= ei - te and (cj < ci - tc or ej > ei + te):
                dominated = True
                break
        flags.append(not dominated)
    return flags


def pareto_front(
    scenario: Scenario,
    n_points: int,
    out_dir: str | Path,
    console: Console | None = None,
    solver_overrides: dict[str, Any] | None = None,
    case: Case | None = None,
    plots: bool = True,
    *,
    overwrite: bool = False,
) -> ParetoResult:
    """The cost-CO2 trade-off of ``scenario`` by the epsilon-constraint method (see the
    module docstring), ``n_points`` portfolios in all (>= 2).

    The folder is written aside and moved in whole (:mod:`symbiosis.files`); one that may
    not be written is refused before any solve (``overwrite``: beside foreign files).

    SIGINT or SIGTERM stops the front at once, as for :func:`target_curve`: the points
    finished are written, the rest listed as ``not_run``, ``exit_code`` 130; with none
    finished, :class:`~symbiosis.interrupt.Interrupted` is raised and nothing is written."""
    if n_points < 2:
        raise InputError(
            [Problem("--points", "give at least 2 points", value=str(n_points))], "command line"
        )
    final = Path(out_dir).absolute()
    claimed = claim(final, PARETO_KIND, folder=True, overwrite=overwrite)
    with interrupt.handle_signals(), interrupt.deferred(), staged(claimed) as stage:
        return _pareto_into(
            stage.path, final, scenario, n_points, console, solver_overrides, case, plots
        )


def _pareto_into(
    out_dir: Path,
    final: Path,
    scenario: Scenario,
    n_points: int,
    console: Console | None,
    solver_overrides: dict[str, Any] | None,
    case: Case | None,
    plots: bool,
) -> ParetoResult:
    """:func:`pareto_front` writing into ``out_dir`` (staged), naming paths as they will be
    once the folder is moved to ``final``."""
    points_dir = out_dir / POINTS_DIR
    with interrupt.interruptible():
        case = _load_once(scenario, case)
    rows: list[dict[str, Any]] = []

    def record(j: int, eps: float | None, outcome: RunOutcome) -> None:
        s = outcome.results.summary
        rows.append(
            {
                "point": j,
                "epsilon_t": eps,
                "co2_avoided_t": s.get("co2_avoided_t"),
                "objective": s.get("objective"),
                "built": " ".join(s.get("built") or []),
                "status": s.get("status"),
                "delivered_target_t": s.get("delivered_target_t"),
                "capex_built": s.get("capex_built"),
                "run_dir": _final_path(outcome.out_dir, out_dir, final),
            }
        )

    def variant(name: str) -> Scenario:
        v = scenario.model_copy(deep=True)
        v.name = name
        v.source = scenario.source
        return v

    co2_range = None
    with batch_reporter(console, n_points + 1, noun="solve") as reporter:
        name = f"{scenario.name}-pareto-01-min-cost"
        reporter.next_run("minimum cost")
        found = _attempt(
            lambda: run_scenario(
                variant(name),
                points_dir / name,
                reporter,
                RunOptions(solver=solver_overrides or {}),
                case=case,
            )
        )
        stop = interrupt.requested()
        if found is None:
            raise Interrupted(stop)  # nothing to keep: no front folder
        first = found
        reporter.run_done(first.results.summary.get("status", "?"), _short(first))
        record(1, None, first)
        if first.exit_code == EXIT_OK and interrupt.requested() is None:
            reporter.next_run("maximum CO2 avoided (no run folder)")
            top = _attempt(
                lambda: run_scenario(
                    variant(f"{scenario.name}-pareto-max-co2"),
                    None,
                    reporter,
                    RunOptions(
                        solver=solver_overrides or {},
                        extra_constraints=(maximise_co2,),
                        diagnose_infeasible=False,
                        shadow_prices=False,
                    ),
                    case=case,
                )
            )
            if top is not None:
                reporter.run_done(
                    top.results.summary.get("status", "?"),
                    f"{top.results.summary.get('co2_avoided_t') or 0:,.0f} t/yr CO2",
                )
            else:
                reporter.run_done("interrupted")
            c_min = float(first.results.summary["co2_avoided_t"])
            c_max = (
                float(top.results.summary["co2_avoided_t"])
                if top is not None and top.exit_code == EXIT_OK
                else None
            )
            if interrupt.requested() is not None:
                c_max = None  # a maximum cut short does not span the front
            if c_max is not None:
                c_max = max(c_max, c_min)
                co2_range = (c_min, c_max)
                spread = c_max - c_min
                if spread <= 1e-9 * max(1.0, abs(c_max)):
                    reporter.next_run("no trade-off: the cheapest portfolio avoids the most CO2")
                    reporter.run_done("done")
                else:
                    for j in range(1, n_points):
                        eps = c_min + spread * j / (n_points - 1)
                        if j == n_points - 1:
                            eps = c_max - 1e-7 * max(1.0, abs(c_max))
                        name = f"{scenario.name}-pareto-{j + 1:02d}-co2-{eps:.0f}"
                        if interrupt.requested() is not None:
                            record(j + 1, eps, _not_run(variant(name), "not_run"))
                            continue
                        reporter.next_run(f"CO2 avoided >= {eps:,.0f} t/yr")
                        outcome = _attempt(
                            lambda name=name, eps=eps: run_scenario(  # type: ignore[misc]
                                variant(name),
                                points_dir / name,
                                reporter,
                                RunOptions(
                                    solver=solver_overrides or {},
                                    extra_constraints=(co2_floor(eps),),
                                    diagnose_infeasible=False,
                                ),
                                case=case,
                            )
                        )
                        if outcome is None:
                            outcome = _not_run(variant(name), "interrupted")
                        reporter.run_done(
                            outcome.results.summary.get("status", "?"), _short(outcome)
                        )
                        record(j + 1, eps, outcome)
        stop = interrupt.requested()
        if stop is not None:
            # the points never reached (their epsilon unknown when the maximum was not found)
            done = {int(row["point"]) for row in rows}
            for j in range(2, n_points + 1):
                if j not in done:
                    record(j, None, _not_run(variant(f"{scenario.name}-pareto-{j:02d}"), "not_run"))

    table = pd.DataFrame(rows).sort_values("point", kind="stable", ignore_index=True)
    solved = table["objective"].notna()
    table["on_front"] = False
    if solved.any():
        flags = non_dominated(
            table.loc[solved, "objective"].astype(float).tolist(),
            table.loc[solved, "co2_avoided_t"].astype(float).tolist(),
        )
        table.loc[solved, "on_front"] = flags
    table = table.reindex(columns=list(PARETO_COLUMNS))
    csv = out_dir / "pareto.csv"
    table.to_csv(csv, index=False, float_format="%.10g")
    png = page = None
    if plots and solved.any():
        png_bytes = pareto_plot(table, scenario.name)
        png = out_dir / "pareto.png"
        png.write_bytes(png_bytes)
        page = out_dir / "pareto.html"
        page.write_text(pareto_html(table, scenario.name, png_bytes, co2_range), encoding="utf-8")
    exit_code = (
        first.exit_code
        if first.exit_code != EXIT_OK
        else _exit_code([str(s) for s in table["status"]])
    )
    if stop is not None and (table["status"].isin(STOPPED_STATUSES)).any():
        exit_code = EXIT_INTERRUPTED
    return ParetoResult(
        table,
        final,
        final / csv.name,
        None if png is None else final / png.name,
        None if page is None else final / page.name,
        co2_range,
        exit_code,
        stop,
    )


def load_base(path: str | Path) -> tuple[Scenario, Case]:
    """Load a scenario and its case and check them (every problem at once)."""
    prepared = prepare_runs([path], out=Path("."), check_folders=False)
    return prepared[0].scenario, prepared[0].case


__all__ = [
    "BatchReporter",
    "CurveResult",
    "ParetoResult",
    "PreparedRun",
    "batch_reporter",
    "check_prepared",
    "co2_avoided_expression",
    "co2_floor",
    "curve_html",
    "curve_plot",
    "load_base",
    "maximise_co2",
    "non_dominated",
    "pareto_front",
    "pareto_html",
    "pareto_plot",
    "parse_levels",
    "prepare_runs",
    "run_prepared",
    "target_curve",
]
