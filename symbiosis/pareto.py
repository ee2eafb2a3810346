"""Stage "studies": the cost-CO2 front (epsilon-constraint), a plan on the batch engine
(:mod:`symbiosis.batch`); its model terms are in :mod:`symbiosis.milp.co2`.

With CO2 avoided (t/yr), linear in the flows,

.. math:: E(x) = \\frac{1}{1000}\\Big(\\sum_a (co2_{k(a)}\\, eff_a - co2^{tr}_a)\\, x_a\\Big),

:func:`pareto_front` solves (1) the scenario as it is: minimum cost, :math:`E_{min}`; (2) the
scenario with the objective :math:`\\max E`: :math:`E_{max}` (no run folder); then, for
:math:`n` points in all, (3) :math:`\\min cost` s.t. :math:`E \\ge \\varepsilon_j` with
:math:`\\varepsilon_j = E_{min} + j (E_{max} - E_{min}) / (n - 1)`, :math:`j = 1 \\dots n-1`
(the last, at :math:`E_{max}` less a relative 1e-7 for tolerance, is the lexicographic
optimum: the cheapest portfolio with the most CO2 avoided). Each point is a full portfolio
with its own run folder. The points of (3) are independent runs: the batch solves them
serially or on Dask (:class:`~symbiosis.batch.BatchOptions`).

A point is *on the front* if no other point is at least as good in both cost and CO2 and
better in one (:func:`non_dominated`; a MIP solved to a gap can return a slightly dominated
point; it is kept in the table and marked). Written: ``DIR/pareto.csv`` (``point,
epsilon_t, co2_avoided_t, objective, built, status, on_front, run_dir``), ``DIR/pareto.png``,
``DIR/pareto.html`` (:mod:`symbiosis.report`).

A multi-year scenario (``years``): the floor is a floor *per year*, as ``target.co2_avoided``
is, :math:`E_t(x) \\ge \\varepsilon_j` in every year :math:`t` (t/yr); a point's
``co2_avoided_t`` is the CO2 avoided in its least year, :math:`\\min_t E_t`, the figure the
floor bounds and the front's x axis, and ``objective`` the horizon's discounted cost.
:math:`E_{min}` is the least year's CO2 avoided at minimum cost and :math:`E_{max}` the
largest floor every year can meet, :math:`\\max \\min_t E_t` (:mod:`symbiosis.milp.co2`);
that maximum's run folder is kept (``points/<name>-pareto-max-co2``), its per-year CO2 avoided
giving :math:`E_{max}`. pareto.csv then has, after its columns, ``co2_avoided_total_t``
(summed over the horizon) and each year's figures (:func:`symbiosis.batch.year_columns`:
``cost_<year>``, ``delivered_target_t_<year>``, ``co2_avoided_t_<year>``,
``capex_built_<year>``, ``built_<year>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from symbiosis import interrupt
from symbiosis.batch import (
    POINTS_DIR,
    STOPPED_STATUSES,
    BatchEvents,
    RunTask,
    SilentEvents,
    StudyOptions,
    TaskResult,
    final_path,
    kpi_by_year,
    load_checked,
    run_batch,
    study_exit_code,
    unrun,
    year_columns,
)
from symbiosis.case import Case, InputError, Problem
from symbiosis.files import PARETO_KIND, claim, staged
from symbiosis.i18n import _
from symbiosis.interrupt import Interrupted, StopRequest
from symbiosis.milp.co2 import co2_floor, maximise_co2
from symbiosis.options import RunOptions
from symbiosis.report import pareto_html, pareto_plot
from symbiosis.runner import EXIT_INTERRUPTED, EXIT_OK
from symbiosis.scenario import Scenario

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


@dataclass
class ParetoResult:
    """What :func:`pareto_front` produced.

    Attributes
    ----------
    table : pandas.DataFrame
        The rows of pareto.csv (:data:`PARETO_COLUMNS`), one per point.
    out_dir : Path
        The front's folder.
    csv, png, html : Path or None
        pareto.csv, pareto.png and pareto.html (None: not written).
    co2_range : tuple of float or None
        :math:`(E_{min}, E_{max})`, t/yr (None: the maximum was not found).
    exit_code : int
        The minimum-cost point's exit code when it failed; else 0 when any point has a
        solution, 130 when a stop left points not run.
    interruption : StopRequest or None
        The SIGINT/SIGTERM that stopped the front early (points after it: ``not_run``).
    """

    table: pd.DataFrame
    out_dir: Path
    csv: Path | None
    png: Path | None
    html: Path | None
    co2_range: tuple[float, float] | None
    exit_code: int = EXIT_OK
    interruption: StopRequest | None = None


def non_dominated(cost: Sequence[float], co2: Sequence[float], tol: float = 1e-9) -> list[bool]:
    """Which points no other point dominates.

    Point :math:`j` dominates point :math:`i` when :math:`c_j \\le c_i` and
    :math:`e_j \\ge e_i`, one of them strictly, each comparison with the relative tolerance
    ``tol`` (of the larger magnitude, at least 1).

    Parameters
    ----------
    cost : sequence of float
        Each point's cost (lower is better).
    co2 : sequence of float
        Each point's CO2 avoided (higher is better).
    tol : float
        Relative tolerance.

    Returns
    -------
    list of bool
        True for each point on the front (equal points do not dominate each other).
    """
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
    options: StudyOptions | None = None,
    events: BatchEvents | None = None,
    case: Case | None = None,
) -> ParetoResult:
    """The cost-CO2 trade-off of ``scenario`` by the epsilon-constraint method (see the
    module docstring).

    Parameters
    ----------
    scenario : Scenario
        The scenario (its own objective and constraints stay; each point adds a CO2 floor).
    n_points : int
        Portfolios on the front, ends included (>= 2).
    out_dir : str or Path
        The front's folder.
    options : StudyOptions or None
        How each point is run (``run``), on which engine (``batch``), whether pareto.png and
        pareto.html are written (``report``), and ``overwrite``.
    events : BatchEvents or None
        The display (None: silent).
    case : Case or None
        The case as read, if already loaded.

    Returns
    -------
    ParetoResult
        The table, the files written, the range of CO2 avoided and the exit code.

    Raises
    ------
    InputError
        Fewer than 2 points, a scenario that does not fit its case, or a folder that may not
        be written (refused before any solve).
    Interrupted
        SIGINT or SIGTERM before the first point finished (nothing is written).

    Notes
    -----
    The folder is written aside and moved in whole (:mod:`symbiosis.files`). SIGINT or
    SIGTERM stops the front at once, as for :func:`symbiosis.curve.target_curve`: the points
    finished are written, the rest listed as ``not_run``, ``exit_code`` 130.
    """
    if n_points < 2:
        raise InputError(
            [Problem("--points", _("give at least 2 points"), value=str(n_points))], "command line"
        )
    options = options or StudyOptions()
    final = Path(out_dir).absolute()
    claimed = claim(final, PARETO_KIND, folder=True, overwrite=options.overwrite)
    with interrupt.handle_signals(), interrupt.deferred(), staged(claimed) as stage:
        plan = _Front(scenario, n_points, options, events or SilentEvents(), stage.path)
        with interrupt.interruptible():
            case = load_checked(scenario, case)
        return _write(plan, _solve(plan, case), final)


@dataclass(frozen=True)
class _Front:
    scenario: Scenario
    n_points: int
    options: StudyOptions
    events: BatchEvents
    out_dir: Path  # staged

    def task(self, name: str, label: str, case: Case, run: RunOptions | None = None) -> RunTask:
        """A point: the scenario renamed, run with ``run`` (default: the study's), written
        to points/."""
        variant = self.scenario.model_copy(deep=True)
        variant.name = name
        variant.source = self.scenario.source
        out = self.out_dir / POINTS_DIR / name
        return RunTask(name, variant, run or self.options.run, out, case, label)


@dataclass
class _Solved:
    points: list[tuple[int, float | None, TaskResult]]
    first: TaskResult
    co2_range: tuple[float, float] | None = None


def _one(plan: _Front, task: RunTask) -> TaskResult:
    return run_batch([task], plan.options.batch, plan.events).results[0]


def _solve(plan: _Front, case: Case) -> _Solved:
    """Minimum cost, maximum CO2 avoided, then the epsilon points."""
    scenario, n_points, run = plan.scenario, plan.n_points, plan.options.run
    plan.events.batch_started(n_points + 1, 0)
    first = _one(plan, plan.task(f"{scenario.name}-pareto-01-min-cost", "minimum cost", case))
    if not first.finished:
        raise Interrupted(interrupt.requested())  # nothing to keep: no front folder
    solved = _Solved([(1, None, first)], first)
    if first.exit_code != EXIT_OK or interrupt.requested() is not None:
        return _unreached(plan, solved, case)
    most = replace(
        run,
        extra_constraints=(*run.extra_constraints, maximise_co2),
        diagnose_infeasible=False,
        shadow_prices=False,
    )
    multi = bool(scenario.years)
    top_task = plan.task(
        f"{scenario.name}-pareto-max-co2",
        "maximum CO2 avoided every year" if multi else "maximum CO2 avoided (no run folder)",
        case,
        most,
    )
    # a multi-year maximum keeps its run folder: its CO2 avoided per year gives E_max
    top = _one(plan, top_task if multi else replace(top_task, out_dir=None))
    c_min = co2_level(first, multi)
    c_max = co2_level(top, multi) if top.exit_code == EXIT_OK else None
    if c_min is None or c_max is None or interrupt.requested() is not None:
        return _unreached(plan, solved, case)  # a maximum cut short does not span the front
    c_max = max(c_max, c_min)
    solved.co2_range = (c_min, c_max)
    least = " in the least year" if multi else ""
    plan.events.note(
        f"CO2 avoided{least}: {c_min:,.0f} t/yr at least cost, {c_max:,.0f} t/yr at most"
    )
    spread = c_max - c_min
    if spread <= 1e-9 * max(1.0, abs(c_max)):
        plan.events.note("no trade-off: the cheapest portfolio avoids the most CO2")
        return solved
    epsilons = [c_min + spread * j / (n_points - 1) for j in range(1, n_points - 1)]
    epsilons.append(c_max - 1e-7 * max(1.0, abs(c_max)))  # the lexicographic optimum
    tasks = [
        plan.task(
            f"{scenario.name}-pareto-{j + 1:02d}-co2-{eps:.0f}",
            f"CO2 avoided >= {eps:,.0f} t/yr" + (" every year" if multi else ""),
            case,
            replace(
                run,
                extra_constraints=(*run.extra_constraints, co2_floor(eps)),
                diagnose_infeasible=False,
            ),
        )
        for j, eps in enumerate(epsilons, start=1)
    ]
    results = run_batch(tasks, plan.options.batch, plan.events).results
    for j, (eps, result) in enumerate(zip(epsilons, results, strict=True), start=2):
        solved.points.append((j, eps, result))
    return solved


def co2_level(result: TaskResult, multi_year: bool) -> float | None:
    """The CO2 avoided a point reaches, in the front's terms (module docstring).

    Parameters
    ----------
    result : TaskResult
        A solved point.
    multi_year : bool
        The scenario has years.

    Returns
    -------
    float or None
        t/yr: ``co2_avoided_t`` of its summary; for a multi-year scenario the least of its
        years' (kpis.csv of its run folder). None when unknown (no solution, no folder).
    """
    if not multi_year:
        value = result.summary.get("co2_avoided_t")
        return None if value is None else float(value)
    if result.summary.get("objective") is None:
        return None
    by_year = kpi_by_year(result.folder, "co2_avoided")
    return min(by_year.values()) if by_year else None


def _unreached(plan: _Front, solved: _Solved, case: Case) -> _Solved:
    """After a stop before the front was spanned: the points never reached, ``not_run``
    (their epsilon unknown)."""
    if interrupt.requested() is not None:
        for j in range(2, plan.n_points + 1):
            task = plan.task(f"{plan.scenario.name}-pareto-{j:02d}", "", case)
            solved.points.append((j, None, unrun(task)))
    return solved


def _write(plan: _Front, solved: _Solved, final: Path) -> ParetoResult:
    """pareto.csv, the plot and the page; the result naming the final paths."""
    out_dir = plan.out_dir
    multi = bool(plan.scenario.years)
    rows = [
        {
            "point": j,
            "epsilon_t": eps,
            "co2_avoided_t": co2_level(r, multi),
            "objective": r.summary.get("objective"),
            "built": " ".join(r.summary.get("built") or []),
            "status": r.summary.get("status"),
            "delivered_target_t": r.summary.get("delivered_target_t"),
            "capex_built": r.summary.get("capex_built"),
            "run_dir": final_path(r.folder, out_dir, final),
            **(
                {"co2_avoided_total_t": r.summary.get("co2_avoided_t")}
                | year_columns(r.summary, r.folder)
                if multi
                else {}
            ),
        }
        for j, eps, r in solved.points
    ]
    extra = [c for c in pd.DataFrame(rows).columns if c not in PARETO_COLUMNS]
    table = pd.DataFrame(rows).sort_values("point", kind="stable", ignore_index=True)
    has_solution = table["objective"].notna()
    table["on_front"] = False
    if has_solution.any():
        flags = non_dominated(
            table.loc[has_solution, "objective"].astype(float).tolist(),
            table.loc[has_solution, "co2_avoided_t"].astype(float).tolist(),
        )
        table.loc[has_solution, "on_front"] = flags
    table = table.reindex(columns=[*PARETO_COLUMNS, *extra])
    csv = out_dir / "pareto.csv"
    table.to_csv(csv, index=False, float_format="%.10g")
    png = page = None
    if plan.options.report and has_solution.any():
        png_bytes = pareto_plot(table, plan.scenario.name)
        png = out_dir / "pareto.png"
        png.write_bytes(png_bytes)
        page = out_dir / "pareto.html"
        html = pareto_html(table, plan.scenario.name, png_bytes, solved.co2_range)
        page.write_text(html, encoding="utf-8")
    first = solved.first
    exit_code = (
        first.exit_code
        if first.exit_code != EXIT_OK
        else study_exit_code([str(s) for s in table["status"]])
    )
    stop = interrupt.requested()
    if stop is not None and (table["status"].isin(STOPPED_STATUSES)).any():
        exit_code = EXIT_INTERRUPTED
    return ParetoResult(
        table,
        final,
        final / csv.name,
        None if png is None else final / png.name,
        None if page is None else final / page.name,
        solved.co2_range,
        exit_code,
        stop,
    )


__all__ = ["PARETO_COLUMNS", "ParetoResult", "co2_level", "non_dominated", "pareto_front"]
