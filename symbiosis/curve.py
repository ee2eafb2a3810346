"""Stage "studies": the target-cost curve, a plan on the batch engine (:mod:`symbiosis.batch`).

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

The levels are independent runs: the batch solves them serially or on Dask
(:class:`~symbiosis.batch.BatchOptions`) with the same rows either way.

Written: ``DIR/curve.csv`` (``target_t, status, objective, marginal_cost_cny_per_t, built``,
then ``previous_target_t, shadow_price_cny_per_t, added, dropped, delivered_target_t,
co2_avoided_t, capex_built, run_dir``), each level's run folder ``DIR/points/<name>/``,
``DIR/curve.png`` and ``DIR/curve.html`` (self-contained; :mod:`symbiosis.report`).

A multi-year scenario (``years``). The curve scales every year's total target by one factor:
a level :math:`L` is the total target of the *reference year* :math:`r` (the last year the
scenario's ``target.total`` names; the horizon's last year when it is a number or unset), and
each year :math:`y` with a target gets :math:`T_y = L \\, T^0_y / T^0_r` (:math:`T^0` the
scenario's own targets; a number, or no total target, gives every year :math:`L`; years
without a target keep none). :math:`C(L)` is the horizon's discounted cost (``objective``),
so :math:`mc_i` is in CNY (discounted, over the horizon) per t/yr of the reference year's
target, and the shadow price is its derivative at the level's portfolio,
:math:`\\sum_y \\lambda_y T^0_y / T^0_r` (:math:`\\lambda_y` the dual of year
:math:`y`'s target, ``target_shadow_prices["total@<y>"]``). curve.csv then has, after its
columns, ``target_t_<year>`` (each year's scaled target) and each year's figures
(:func:`symbiosis.batch.year_columns`: ``cost_<year>``, ``delivered_target_t_<year>``,
``co2_avoided_t_<year>``, ``capex_built_<year>``, ``built_<year>``). A reference target of
0 cannot be scaled: refused (exit 2) before any solve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
    load_checked,
    run_batch,
    study_exit_code,
    year_columns,
)
from symbiosis.case import Case, InputError, Problem
from symbiosis.files import CURVE_KIND, claim, staged
from symbiosis.i18n import _
from symbiosis.interrupt import Interrupted, StopRequest
from symbiosis.report import curve_html, curve_plot
from symbiosis.runner import EXIT_INTERRUPTED, EXIT_OK
from symbiosis.scenario import Scenario

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


def parse_levels(text: str) -> list[float]:
    """Target levels from the command line.

    Parameters
    ----------
    text : str
        ``"60e6:100e6:5e6"`` (START:STOP:STEP, both ends included; a STOP off the grid is
        not passed) or ``"1e6,2e6,5e6"`` (sorted, duplicates dropped); ``_`` separators
        allowed.

    Returns
    -------
    list of float
        The levels, t/yr, ascending (at most :data:`MAX_LEVELS`).

    Raises
    ------
    InputError
        For text that is neither, a step <= 0, STOP below START, more than
        :data:`MAX_LEVELS` levels, or a negative level.
    """

    def bad(why: str) -> InputError:
        message = _(
            "{why}; write START:STOP:STEP (e.g. 60e6:100e6:5e6) or a list V1,V2,..."
        ).format(why=why)
        return InputError([Problem("--targets", message, value=text)], "command line")

    try:
        if ":" in text:
            parts = [float(p.replace("_", "")) for p in text.split(":")]
            if len(parts) != 3:
                raise bad(_("give three numbers"))
            start, stop, step = parts
            if step <= 0:
                raise bad(_("the step must be > 0"))
            if stop < start:
                raise bad(_("STOP is below START"))
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_LEVELS:
                raise bad(_("{count} levels; at most {most}").format(count=count, most=MAX_LEVELS))
            levels = [start + i * step for i in range(count)]
        else:
            levels = sorted({float(p.replace("_", "")) for p in text.split(",") if p.strip()})
    except ValueError:
        raise bad(_("not numbers")) from None
    if not levels:
        raise bad(_("no level given"))
    if min(levels) < 0:
        raise bad(_("a target level must be >= 0"))
    return levels


def _point_label(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.6g}"


@dataclass
class CurveResult:
    """What :func:`target_curve` produced.

    Attributes
    ----------
    table : pandas.DataFrame
        The rows of curve.csv (:data:`CURVE_COLUMNS`), one per level.
    out_dir : Path
        The curve folder.
    csv : Path
        curve.csv.
    png, html : Path or None
        curve.png and curve.html (None: not written).
    lead_in : dict
        The lead-in solve (``target_t``, ``status``, ``objective``, ``run_dir``); {} without
        one.
    exit_code : int
        0 when any level has a solution, 3 when all are infeasible, 130 when a stop left
        levels not run, else 1.
    interruption : StopRequest or None
        The SIGINT/SIGTERM that stopped the curve early (levels after it: ``not_run``).
    """

    table: pd.DataFrame
    out_dir: Path
    csv: Path
    png: Path | None
    html: Path | None
    lead_in: dict[str, Any] = field(default_factory=dict)
    exit_code: int = EXIT_OK
    interruption: StopRequest | None = None


@dataclass(frozen=True)
class TargetScale:
    """How a level sets a scenario's total target (module docstring).

    Attributes
    ----------
    years : tuple of int
        The scenario's years; () for a single-period scenario (a level is the target).
    weights : dict of int to float
        A multi-year scenario's years with a total target -> :math:`T^0_y / T^0_r`, that
        year's target per unit of level; {} when a level is every year's target (a number,
        or no total target).
    reference : int or None
        The reference year :math:`r`; None for a single-period scenario.
    """

    years: tuple[int, ...] = ()
    weights: dict[int, float] = field(default_factory=dict)
    reference: int | None = None

    def total(self, level: float) -> float | dict[int, float]:
        """The scenario's ``target.total`` at ``level``.

        Parameters
        ----------
        level : float
            The reference year's total target, t/yr.

        Returns
        -------
        float or dict of int to float
            ``level`` (every year's target, or the single period's), or
            ``{year: level x weight}`` for the years with a target.
        """
        if not self.weights:
            return float(level)
        return {y: float(level) * w for y, w in self.weights.items()}

    def by_year(self, level: float) -> dict[int, float | None]:
        """Each year's total target at ``level`` (None: no target that year).

        Parameters
        ----------
        level : float
            The reference year's total target, t/yr.

        Returns
        -------
        dict of int to float or None
            Year -> its target; {} for a single-period scenario.
        """
        total = self.total(level)
        if isinstance(total, dict):
            return {y: total.get(y) for y in self.years}
        return dict.fromkeys(self.years, total)

    def shadow_price(self, summary: dict[str, Any]) -> float | None:
        """:math:`\\partial C / \\partial L` at a level's portfolio: the total target's
        shadow price, or over years :math:`\\sum_y \\lambda_y w_y`.

        Parameters
        ----------
        summary : dict
            The level's summary.json (``target_shadow_price_cny_per_t``, or
            ``target_shadow_prices`` with ``total@<year>`` keys).

        Returns
        -------
        float or None
            CNY per t/yr of the level; None when a year's dual is missing.
        """
        if not self.years:
            value = summary.get("target_shadow_price_cny_per_t")
            return None if value is None else float(value)
        prices: dict[str, Any] = summary.get("target_shadow_prices") or {}
        weights = self.weights or dict.fromkeys(self.years, 1.0)
        total = 0.0
        for year, weight in weights.items():
            dual = prices.get(f"total@{year}")
            if dual is None:
                return None
            total += float(dual) * weight
        return total


def target_scale(scenario: Scenario) -> TargetScale:
    """How the curve's levels set ``scenario``'s total target (module docstring).

    Parameters
    ----------
    scenario : Scenario
        The base scenario.

    Returns
    -------
    TargetScale
        Its years, the weight of each year with a target and the reference year.

    Raises
    ------
    InputError
        A multi-year scenario whose reference year's total target is 0 (it cannot be
        scaled).
    """
    years = tuple(int(y) for y in scenario.years or ())
    if not years:
        return TargetScale()
    total = scenario.target.total
    if not isinstance(total, dict):
        return TargetScale(years, {}, years[-1])
    reference = max(int(y) for y in total)
    base = float(total[reference])
    if base <= 0:
        raise InputError(
            [
                Problem(
                    "scenario",
                    _(
                        "target.total of {year} (the curve's reference year: the last "
                        "year it names) is 0: the curve scales every year's target by level / "
                        "that target; give {year} a positive target"
                    ).format(year=reference),
                    column="target.total",
                    value=str(total[reference]),
                )
            ],
            "curve",
        )
    return TargetScale(
        years, {int(y): float(v) / base for y, v in sorted(total.items())}, reference
    )


def _with_target(scenario: Scenario, total: float | dict[int, float], name: str) -> Scenario:
    variant = scenario.model_copy(deep=True)
    variant.target.total = total
    variant.name = name
    variant.source = scenario.source
    return variant


def target_curve(
    scenario: Scenario,
    levels: Sequence[float],
    out_dir: str | Path,
    options: StudyOptions | None = None,
    events: BatchEvents | None = None,
    case: Case | None = None,
) -> CurveResult:
    """Solve ``scenario`` at each total-target level and write the curve (see the module
    docstring for the definitions and files).

    Parameters
    ----------
    scenario : Scenario
        The base scenario (its own ``target.total`` is replaced; stream targets, limits and
        overrides stay).
    levels : sequence of float
        Total-target levels, t/yr (sorted here).
    out_dir : str or Path
        The curve folder.
    options : StudyOptions or None
        How each level is run (``run``: solver overrides ...; no level is diagnosed), on
        which engine (``batch``), whether curve.png and curve.html are written (``report``)
        and ``overwrite`` (a folder holding files symbiosis did not write: beside them).
    events : BatchEvents or None
        The display (None: silent).
    case : Case or None
        The case as read, if already loaded.

    Returns
    -------
    CurveResult
        The table, the files written and the exit code.

    Raises
    ------
    InputError
        No level, a scenario that does not fit its case, or a folder that may not be
        written (refused before any solve).
    Interrupted
        SIGINT or SIGTERM before any level finished (nothing is written).

    Notes
    -----
    The folder is written aside and moved in whole when every level is done
    (:mod:`symbiosis.files`). SIGINT or SIGTERM stops the curve at once
    (:mod:`symbiosis.interrupt`): the levels finished before it (and the one under way if
    it keeps a solution) are written as usual, the rest listed with status ``not_run``, and
    ``exit_code`` is 130.
    """
    options = options or StudyOptions()
    final = Path(out_dir).absolute()
    claimed = claim(final, CURVE_KIND, folder=True, overwrite=options.overwrite)
    # Deferred: once a level is finished, a signal stops the loop but never the writing.
    with interrupt.handle_signals(), interrupt.deferred(), staged(claimed) as stage:
        plan = _CurvePlan(scenario, levels, options, events or SilentEvents())
        return _curve_into(stage.path, final, plan, case)


@dataclass(frozen=True)
class _CurvePlan:
    scenario: Scenario
    levels: Sequence[float]
    options: StudyOptions
    events: BatchEvents

    @property
    def scale(self) -> TargetScale:
        return target_scale(self.scenario)


def _tasks(
    plan: _CurvePlan, levels: list[float], points_dir: Path, case: Case
) -> list[tuple[float, RunTask]]:
    """(level, task) for the lead-in (when one fits below the first level) and each level."""
    if len(levels) > 1:
        lead_level = max(0.0, levels[0] - (levels[1] - levels[0]))
    else:
        lead_level = max(0.0, levels[0] - 1e6)
    jobs = ([("lead-in", lead_level)] if lead_level < levels[0] else []) + [
        ("level", v) for v in levels
    ]
    run = replace(plan.options.run, diagnose_infeasible=False)
    scale = plan.scale
    when = "" if scale.reference is None else f" in {scale.reference}"
    tasks = []
    for kind, level in jobs:
        name = f"{plan.scenario.name}-target-{_point_label(level)}"
        if kind == "lead-in":
            name += "-lead-in"
        label = f"target {level:,.0f} t/yr{when}" + (" (lead-in)" if kind != "level" else "")
        variant = _with_target(plan.scenario, scale.total(level), name)
        tasks.append((level, RunTask(name, variant, run, points_dir / name, case, label)))
    return tasks


def _curve_into(out_dir: Path, final: Path, plan: _CurvePlan, case: Case | None) -> CurveResult:
    """:func:`target_curve` writing into ``out_dir`` (staged), naming paths as they will be
    once the folder is moved to ``final``."""
    levels = sorted(float(v) for v in plan.levels)
    if not levels:
        raise InputError([Problem("curve", _("no target level given"))], "command line")
    scale = plan.scale  # a target that cannot be scaled is refused before any solve
    with interrupt.interruptible():
        case = load_checked(plan.scenario, case)
    jobs = _tasks(plan, levels, out_dir / POINTS_DIR, case)
    plan.events.batch_started(len(jobs), 0)
    batch = run_batch([task for _, task in jobs], plan.options.batch, plan.events)
    stop = batch.interruption
    if stop is not None and not any(r.finished for r in batch.results):
        raise Interrupted(stop)  # nothing to keep: no curve folder
    lead_in = len(jobs) > len(levels)
    table, lead_info = curve_rows(batch.results, [level for level, _ in jobs], lead_in, scale)
    table["run_dir"] = [final_path(r.folder, out_dir, final) for r in batch.results[lead_in:]]
    if lead_info:
        lead_info["run_dir"] = final_path(batch.results[0].folder, out_dir, final)
    csv = out_dir / "curve.csv"
    table.to_csv(csv, index=False, float_format="%.10g")
    png = page = None
    ran = table.loc[~table["status"].isin(STOPPED_STATUSES)]
    if plan.options.report and len(ran):
        png_bytes = curve_plot(ran, plan.scenario.name)
        png = out_dir / "curve.png"
        png.write_bytes(png_bytes)
        page = out_dir / "curve.html"
        page.write_text(
            curve_html(table, plan.scenario.name, png_bytes, lead_info), encoding="utf-8"
        )
    return CurveResult(
        table,
        final,
        final / csv.name,
        None if png is None else final / png.name,
        None if page is None else final / page.name,
        lead_info,
        EXIT_INTERRUPTED
        if stop is not None and table["status"].isin(STOPPED_STATUSES).any()
        else study_exit_code([str(s) for s in table["status"]]),
        stop,
    )


def curve_rows(
    results: Sequence[TaskResult],
    levels: Sequence[float],
    lead_in: bool,
    scale: TargetScale | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The curve's rows from its points' results, in level order.

    Parameters
    ----------
    results : sequence of TaskResult
        The points' results, the lead-in's first when there is one.
    levels : sequence of float
        Each result's total-target level, t/yr.
    lead_in : bool
        The first result is the lead-in (the previous level of the first row).
    scale : TargetScale or None
        How the levels set the scenario's targets (:func:`target_scale`); None: a
        single-period scenario's.

    Returns
    -------
    tuple of pandas.DataFrame and dict
        The rows (:data:`CURVE_COLUMNS`, then for a multi-year scenario ``target_t_<year>``
        and :func:`~symbiosis.batch.year_columns`; ``run_dir`` left empty) and the lead-in
        (``target_t``, ``status``, ``objective``; {} without one).
    """
    scale = scale or TargetScale()
    rows = []
    lead_info: dict[str, Any] = {}
    previous: tuple[float, dict[str, Any]] | None = None
    for i, (result, level) in enumerate(zip(results, levels, strict=True)):
        summary = result.summary
        if lead_in and i == 0:
            lead_info = {
                "target_t": level,
                "status": summary.get("status"),
                "objective": summary.get("objective"),
                "run_dir": "",
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
            marginal = scale.shadow_price(summary)
        rows.append(
            {
                "target_t": level,
                "status": summary.get("status"),
                "objective": objective,
                "marginal_cost_cny_per_t": marginal,
                "built": " ".join(built),
                "previous_target_t": prev_level,
                "shadow_price_cny_per_t": scale.shadow_price(summary),
                "added": added,
                "dropped": dropped,
                "delivered_target_t": summary.get("delivered_target_t"),
                "co2_avoided_t": summary.get("co2_avoided_t"),
                "capex_built": summary.get("capex_built"),
                "run_dir": "",
                **{f"target_t_{y}": t for y, t in scale.by_year(level).items()},
                **year_columns(summary, result.folder),
            }
        )
        previous = (level, summary)
    extra = [c for c in pd.DataFrame(rows).columns if c not in CURVE_COLUMNS]
    return pd.DataFrame(rows, columns=[*CURVE_COLUMNS, *extra]), lead_info


__all__ = [
    "CURVE_COLUMNS",
    "MAX_LEVELS",
    "CurveResult",
    "TargetScale",
    "curve_rows",
    "parse_levels",
    "target_curve",
    "target_scale",
]
