"""What the reports call things: column headers as words with units, the names of KPIs, cost
parts, statuses, technologies, transport modes and units, in the current language
(:mod:`symbiosis.i18n`). The words for tech and mode ids (:func:`tech_label`,
:func:`mode_label`) are :mod:`symbiosis.case.words`'s, shown here as they are there (and in
``compare``'s explanation, which this module imports, and in the maps).

The tables keep their field names (``delivered_target_t``) in the data and in CSV files;
pages, workbooks and plots show :func:`column_label` instead (``Delivered toward the target
(t/yr)``, ``计入目标的利用量（t/年）``). Amounts in tables are in t and CNY (exact, as the
run folder has them); plots scale them (:mod:`symbiosis.report.plots`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pandas as pd

from symbiosis.case.words import MODES, TECHS, mode_label, tech_label
from symbiosis.compare import (
    COST_PART_LABELS,
    Comparison,
    cost_part_label,
    describe_setting,
    scenario_differences,
    scenario_label,
    unit_text,
)
from symbiosis.i18n import N_, _
from symbiosis.results import RUN_STATUSES

#: columns of the comparison's and the studies' tables -> their header (translated when shown)
COLUMNS: dict[str, str] = {
    # the comparison's overview (symbiosis.compare)
    "run": N_("Run"),
    "status": N_("Status"),
    "years": N_("Years"),
    "foresight": N_("Foresight"),
    "objective": N_("Total annual cost (CNY/yr)"),
    "mip_gap": N_("MIP gap"),
    "bound": N_("Lower bound on the cost (CNY/yr)"),
    "delivered_target_t": N_("Delivered toward the target (t/yr)"),
    "co2_avoided_t": N_("CO2 avoided (t/yr)"),
    "capex_built": N_("Investment in projects built (CNY)"),
    "projects_built": N_("Projects built (number)"),
    "n_built": N_("Projects built (number)"),
    "built": N_("Projects built"),
    "target_shadow_price_cny_per_t": N_("Shadow price of the total target (CNY/t)"),
    "supply_facility_links": N_("Supply-to-facility links (number)"),
    "supply_rows_out_of_reach": N_("Supply rows out of reach (number)"),
    "folder": N_("Run folder"),
    # KPIs, cost parts, by year
    "year": N_("Year"),
    "kpi": N_("Indicator"),
    "key": N_("Item"),
    "unit": N_("Unit"),
    "part": N_("Cost part"),
    "change %": N_("Change (%)"),
    # projects
    "facility": N_("Facility"),
    "name": N_("Name"),
    "tech": N_("Technology"),
    "site": N_("Site"),
    "prefecture": N_("Prefecture"),
    "capacity": N_("Capacity (t/yr; heat: MWh/yr)"),
    "capex": N_("Investment (CNY)"),
    "in": N_("Built in"),
    # flows
    "from_site": N_("From site"),
    "to_site": N_("To site"),
    "stream": N_("Stream"),
    "mode": N_("Transport mode"),
    # the curve, the front, the sweep
    "target_t": N_("Total target (t/yr)"),
    "previous_target_t": N_("Previous level (t/yr)"),
    "marginal_cost_cny_per_t": N_("Marginal cost (CNY/t)"),
    "shadow_price_cny_per_t": N_("Shadow price (CNY/t)"),
    "added": N_("Projects added"),
    "dropped": N_("Projects dropped"),
    "point": N_("Point"),
    "epsilon_t": N_("Least CO2 avoided asked (t/yr)"),
    "on_front": N_("On the front"),
    "co2_avoided_total_t": N_("CO2 avoided over the horizon (t)"),
    "cost_per_extra_t_co2": N_("Cost of each extra t of CO2 avoided (CNY/t)"),
    "seconds": N_("Solve time (s)"),
    "reused": N_("Reused"),
    # the scenario differences as pages show them (symbiosis.report.pages)
    "setting": N_("Scenario setting"),
}
#: the same, where the table has multi-year runs (their cost is a discounted total)
MULTI_YEAR_COLUMNS: dict[str, str] = {
    "objective": N_("Total cost (CNY/yr; multi-year runs: CNY, discounted)"),
    "delivered_target_t": N_("Delivered toward the target (t/yr; multi-year runs: t in all)"),
    "co2_avoided_t": N_("CO2 avoided (t/yr; multi-year runs: t in all)"),
}
#: per-year columns of the studies (``cost_2027``) -> their header with ``{year}``
YEAR_COLUMNS: dict[str, str] = {
    "cost": N_("Cost {year}, undiscounted (CNY/yr)"),
    "delivered_target_t": N_("Delivered toward the target {year} (t/yr)"),
    "co2_avoided_t": N_("CO2 avoided {year} (t/yr)"),
    "capex_built": N_("Investment in projects built {year} (CNY)"),
    "built": N_("Projects built {year}"),
    "target_t": N_("Target {year} (t/yr)"),
}
YEAR_COLUMN = re.compile(r"^(?P<base>.+)_(?P<year>\d{4})$")
#: kpis.csv's ``kpi`` (and the by-year table's) -> how reports name it
KPIS: dict[str, str] = {
    "total_cost": N_("Total cost"),
    "cost_part": N_("Cost part"),
    "processing_cost": N_("Processing cost"),
    "product_value": N_("Value of products"),
    "delivered_target": N_("Delivered toward the target"),
    "delivered_by_stream": N_("Delivered by stream"),
    "delivered_target_by_prefecture": N_("Delivered toward the target by prefecture"),
    "co2_avoided": N_("CO2 avoided, net of transport"),
    "co2_avoided_gross": N_("CO2 avoided by use"),
    "co2_transport": N_("CO2 emitted by transport"),
    "projects_built": N_("Projects built"),
    "capex_built": N_("Investment in projects built"),
    "target_delivered": N_("Delivered for the target"),
    "target_shortfall": N_("Shortfall of the target"),
    "target_shadow_price": N_("Shadow price of the target"),
    # the by-year table (symbiosis.compare.BY_YEAR_ROWS)
    "cost": N_("Cost, undiscounted"),
    "discounted cost": N_("Discounted cost"),
    "delivered toward the target": N_("Delivered toward the target"),
}
#: words that appear as values: statuses, foresight, a project built in every run
WORDS: tuple[str, ...] = (
    *RUN_STATUSES,
    N_("perfect"),
    N_("myopic"),
)


def column_label(column: str, multi_year: bool = False) -> str:
    """A column's header, in words with its unit, in the current language.

    Parameters
    ----------
    column : str
        The column's name in the data (``delivered_target_t``, ``change: <run>``,
        ``build year: <run>``, ``cost_2027``, a run's label, a scenario key ...).
    multi_year : bool
        The table has multi-year runs (their cost is a discounted total, their amounts
        summed over the horizon: :data:`MULTI_YEAR_COLUMNS`).

    Returns
    -------
    str
        ``Total annual cost (CNY/yr)``, ``Change: no-p2``, ``Cost 2027, undiscounted
        (CNY/yr)``; a scenario key by :func:`symbiosis.compare.scenario_label`; anything
        else (a run's label) as it is.
    """
    if multi_year and column in MULTI_YEAR_COLUMNS:
        return _(MULTI_YEAR_COLUMNS[column])
    if column in COLUMNS:
        return _(COLUMNS[column])
    if column.startswith("change: "):
        return _("Change: {run}").format(run=column.removeprefix("change: "))
    if column.startswith("build year: "):
        return _("Year built: {run}").format(run=column.removeprefix("build year: "))
    by_year = YEAR_COLUMN.match(column)
    if by_year is not None and by_year["base"] in YEAR_COLUMNS:
        return _(YEAR_COLUMNS[by_year["base"]]).format(year=by_year["year"])
    return scenario_label(column)


def kpi_label(kpi: Any) -> str:
    """A KPI (``total_cost``) in words, in the current language; others as they are.

    Parameters
    ----------
    kpi : Any
        kpis.csv's ``kpi`` (or the by-year table's).

    Returns
    -------
    str
        Its name (:data:`KPIS`).
    """
    return _(KPIS[kpi]) if kpi in KPIS else _text(kpi)


def key_label(key: Any) -> str:
    """kpis.csv's ``key`` as reports show it: a cost part in words, ``total`` (the total
    target) in words, any other key (a stream, prefecture or target id) as it is.

    Parameters
    ----------
    key : Any
        The key.

    Returns
    -------
    str
        The text to show.
    """
    if key in COST_PART_LABELS:
        return cost_part_label(str(key))
    if key == "total":
        return _("total target")
    return _text(key)


def word(value: Any) -> str:
    """A status or foresight (``optimal``, ``myopic``) in the current language.

    Parameters
    ----------
    value : Any
        The value.

    Returns
    -------
    str
        Its translation (:data:`WORDS`), or the value as it is.
    """
    return _(value) if value in WORDS else _text(value)


def yes_no(value: bool) -> str:
    """``yes`` or ``no``, in the current language.

    Parameters
    ----------
    value : bool
        The flag.

    Returns
    -------
    str
        The word.
    """
    return _("yes") if value else _("no")


def part_label(part: Any) -> str:
    """A cost part, or ``total``, in words (the cost-parts table's first column).

    Parameters
    ----------
    part : Any
        A key of summary.json's ``cost_parts``, or ``total``.

    Returns
    -------
    str
        Its label.
    """
    return _("Total") if part == "total" else cost_part_label(str(part))


def built_in(value: Any) -> str:
    """The projects table's ``in``: ``all`` in words, run names as they are.

    Parameters
    ----------
    value : Any
        ``all`` or the runs' names.

    Returns
    -------
    str
        The text to show.
    """
    return _("all runs") if value == "all" else _text(value)


def scenario_table(comparison: Comparison) -> pd.DataFrame:
    """The scenario differences as reports show them: each setting and each run's value in
    words (:func:`symbiosis.compare.describe_setting`).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.

    Returns
    -------
    pandas.DataFrame
        Columns ``setting`` and one per run.
    """
    labels = comparison.labels
    rows = []
    for key, values in scenario_differences(comparison.runs):
        setting, shown = describe_setting(comparison, key, values)
        rows.append({"setting": setting, **dict(zip(labels, shown, strict=True))})
    return pd.DataFrame(rows, columns=["setting", *labels])


def _text(value: Any) -> str:
    return "" if value is None else str(value)


#: how the text cells of a column read, by column (the rest as they are)
TEXT: Mapping[str, Callable[[Any], str]] = {
    "status": word,
    "foresight": word,
    "kpi": kpi_label,
    "key": key_label,
    "unit": lambda unit: unit_text(_text(unit)),
    "part": part_label,
    "in": built_in,
    "tech": tech_label,
    "mode": mode_label,
}


def named_text(comparison: Comparison, facility: bool = True) -> dict[str, Callable[[Any], str]]:
    """:data:`TEXT` and the names of things in the current language
    (:meth:`symbiosis.compare.Comparison.name`: Chinese names from the runs' cases; ids in
    English): KPI keys that are streams or prefectures, sites, streams, prefectures and (with
    ``facility``) facilities.

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side (and the names of their cases' things).
    facility : bool
        Name the ``facility`` column too (False where the table has its own ``name``
        column beside the id).

    Returns
    -------
    dict
        Column -> how its text cells read.
    """
    name = comparison.name

    def key(value: Any) -> str:
        if value in COST_PART_LABELS or value == "total":
            return key_label(value)
        for kind in ("stream", "prefecture"):
            shown = name(kind, value)
            if shown != _text(value):
                return shown
        return _text(value)

    out: dict[str, Callable[[Any], str]] = {
        **TEXT,
        "key": key,
        "stream": partial(name, "stream"),
        "from_site": partial(name, "site"),
        "to_site": partial(name, "site"),
        "site": partial(name, "site"),
        "prefecture": partial(name, "prefecture"),
    }
    if facility:
        out["facility"] = partial(name, "facility")
    return out


def projects_table(comparison: Comparison) -> pd.DataFrame:
    """The projects table as reports show it: each project's ``name`` in the current
    language (its case's Chinese name in Chinese, where it has one).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.

    Returns
    -------
    pandas.DataFrame
        :attr:`~symbiosis.compare.Comparison.projects`, with names replaced.
    """
    frame = comparison.projects
    chinese = comparison.names.get("facility", {})
    if not chinese or "name" not in frame or not len(frame):
        return frame
    shown = [chinese.get(str(f), n) for f, n in zip(frame["facility"], frame["name"], strict=True)]
    return frame.assign(name=shown)


__all__ = [
    "COLUMNS",
    "KPIS",
    "MODES",
    "MULTI_YEAR_COLUMNS",
    "TECHS",
    "TEXT",
    "WORDS",
    "YEAR_COLUMNS",
    "built_in",
    "column_label",
    "key_label",
    "kpi_label",
    "mode_label",
    "named_text",
    "part_label",
    "projects_table",
    "scenario_table",
    "tech_label",
    "word",
    "yes_no",
]
