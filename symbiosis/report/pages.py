"""Report pages, rendered from the Jinja2 templates in ``symbiosis/templates/``.

Every page extends ``base.html`` (title, inline styles, heading, meta line) and is one
self-contained file: plots are PNG data URIs, nothing is fetched from elsewhere. Autoescaping
is on, so every name that comes from data (scenarios, facilities, streams, run labels, error
messages) is escaped; undefined template variables are errors (``StrictUndefined``).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from symbiosis.compare import Comparison, unit_text
from symbiosis.i18n import N_, _, current_language, ngettext
from symbiosis.report.labels import (
    column_label,
    named_text,
    projects_table,
    scenario_table,
    word,
    yes_no,
)
from symbiosis.report.plots import comparison_plots
from symbiosis.report.tables import Cell, Table, table_view, with_headers

#: an absolute path in a message (a folder or file an error names)
ABSOLUTE_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z]:)?[/\\][^\s'\",;)]+")


@cache
def environment() -> Environment:
    """The Jinja2 environment of the report pages (built once).

    Returns
    -------
    jinja2.Environment
        Templates from the package's ``templates/`` folder, autoescaping on, undefined
        variables raising :class:`jinja2.UndefinedError`.
    """
    return Environment(
        loader=PackageLoader("symbiosis", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def html_lang() -> str:
    """The page's ``lang`` attribute for the current language (``en``, ``zh-CN``).

    Returns
    -------
    str
        A BCP 47 language tag.
    """
    return "zh-CN" if current_language() == "zh" else "en"


def without_local_paths(text: str, folder: Path | None = None) -> str:
    """``text`` (an error message) with no absolute local path: paths inside ``folder``
    relative to it, any other by its last two parts.

    Parameters
    ----------
    text : str
        The text.
    folder : pathlib.Path, optional
        Where the page is written.

    Returns
    -------
    str
        The text as a page may show it.
    """
    if folder is not None:
        for root in {str(folder.absolute()), str(folder.resolve())}:
            text = text.replace(root + "/", "").replace(root, ".")
    return ABSOLUTE_PATH.sub(lambda m: "/".join(re.split(r"[/\\]", m[0])[-2:]), text)


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render one page template.

    Parameters
    ----------
    template : str
        The template's file name in ``symbiosis/templates/`` (``compare.html`` ...).
    context : mapping
        Its variables (``title`` and ``meta`` for ``base.html``, the page's own).

    Returns
    -------
    str
        The HTML page.
    """
    return environment().get_template(template).render(context)


def figure_data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for embedding a PNG in a self-contained HTML page.

    Parameters
    ----------
    png : bytes
        The image.

    Returns
    -------
    str
        The data URI.
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def shown_path(path: Path, folder: Path | None) -> str:
    """A run folder as a page names it: relative to the page's folder when inside it, else
    by its own name (a page carries no absolute local path).

    Parameters
    ----------
    path : pathlib.Path
        The run folder.
    folder : pathlib.Path, optional
        Where the page is written.

    Returns
    -------
    str
        The path to show (``points/p1`` or ``tiny``).
    """
    if folder is not None:
        try:
            return path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            pass
    return path.name


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------
def compare_words(multi_year: bool) -> dict[str, str]:
    """The headings and sentences of the comparison's page, in the current language.

    Parameters
    ----------
    multi_year : bool
        Some run has years (the cost parts are discounted totals, projects have build years).

    Returns
    -------
    dict
        Name -> text.
    """
    return {
        "runs": _("Runs"),
        "explanation": _("What drives the difference"),
        "kpis": _("KPIs"),
        "cost_parts": _("Cost parts (CNY/yr; multi-year runs: CNY, discounted over their years)")
        if multi_year
        else _("Cost parts (CNY/yr)"),
        "by_year": _("By year"),
        "projects": _("Projects built (1) or not (0), and the year each is built")
        if multi_year
        else _("Projects built (1) or not (0)"),
        "no_projects": _("No candidate project is built in any run."),
        "flows": _("Largest changes in flows (delivered per year)"),
        "no_flows": _("No flow differs."),
        "scenario": _("Scenario differences"),
    }


def compare_page(comparison: Comparison, folder: Path | None = None) -> str:
    """The comparison as one self-contained page, in the current language: the runs, what
    drives the difference (two runs), the plots, the KPIs, cost parts, the figures by year
    (multi-year runs), projects (and their build years), flow changes and scenario
    differences; headers in words with units.

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.
    folder : pathlib.Path, optional
        Where the page is written: run folders inside it are named relative to it, others by
        their own name.

    Returns
    -------
    str
        The HTML page.
    """
    labels = comparison.labels
    multi = any(run.years for run in comparison.runs)
    folders = [shown_path(run.path, folder) for run in comparison.runs]
    overview = comparison.overview.copy()
    if "folder" in overview and len(overview) == len(folders):
        overview["folder"] = folders
    plots = [
        {"title": title, "src": figure_data_uri(png)}
        for title, png in comparison_plots(comparison).items()
    ]
    years = {"year": "d"}  # multi-year runs: years as years, not amounts
    build_years = [str(c) for c in comparison.projects.columns if str(c).startswith("build year")]
    label = partial(column_label, multi_year=multi)
    named = named_text(comparison)

    def view(frame: pd.DataFrame, **how: Any) -> Table:
        return with_headers(table_view(frame, **{"text": named, **how}), label)

    return render(
        "compare.html",
        {
            "lang": html_lang(),
            "title": _("symbiosis: {runs}").format(runs=_(" vs ").join(labels)),
            "meta": _("Folders: {folders}").format(folders=_("; ").join(folders)),
            "words": compare_words(multi),
            "overview": view(overview),
            "explanation": comparison.explanation,
            "plots": plots,
            "kpis": view(comparison.kpis, formats=years, unit_column="unit"),
            "cost_parts": view(comparison.cost_parts),
            "by_year": view(comparison.by_year, formats=years, unit_column="unit"),
            "projects": view(
                projects_table(comparison),
                formats=dict.fromkeys([*labels, *build_years], "d"),
                text=named_text(comparison, facility=False),
            ),
            "flow_changes": view(comparison.flow_changes, formats=years),
            "scenario_changes": view(scenario_table(comparison)),
        },
    )


# --------------------------------------------------------------------------------------------
# The target-cost curve and the cost-CO2 front
# --------------------------------------------------------------------------------------------
CURVE_NOTE = N_(
    "Marginal cost = (cost at this level − cost at the previous level) / (difference in "
    "target), in CNY per tonne; it includes projects brought in by the step. The shadow "
    "price is the cost of one more tonne with this level's portfolio fixed."
)
PARETO_NOTE = N_(
    "Each point is the cheapest portfolio that avoids at least epsilon t/yr of CO2 "
    "(epsilon-constraint method); point 1 is the scenario's own minimum-cost portfolio."
)
#: a multi-year study's per-year columns (``cost_2027``)
YEAR_COLUMN = re.compile(r"_\d{4}$")


def _multi_year(table: pd.DataFrame) -> bool:
    return any(YEAR_COLUMN.search(str(c)) for c in table.columns)


def _study_view(table: pd.DataFrame, formats: dict[str, str]) -> Table:
    """A study's table (curve, front) with headers in words and statuses translated."""
    label = partial(column_label, multi_year=_multi_year(table))
    return with_headers(table_view(table, formats=formats, text={"status": word}), label)


def curve_html(
    table: pd.DataFrame, title: str, png: bytes, lead_in: dict[str, Any] | None = None
) -> str:
    """The target-cost curve as one self-contained page, in the current language: a note,
    the plot and the table (headers in words with units).

    Parameters
    ----------
    table : pandas.DataFrame
        The curve's levels (columns of ``curve.csv``, ``run_dir`` among them: not shown).
    title : str
        The scenario's name.
    png : bytes
        The plot (:func:`symbiosis.report.plots.curve_plot`), embedded as a data URI.
    lead_in : dict, optional
        The lead-in solve below the first level (``target_t``, ``status``), told in the note.

    Returns
    -------
    str
        The HTML page.
    """
    note = _(CURVE_NOTE)
    if lead_in:
        note += " " + _(
            "The first level's previous level is a lead-in solve at {target} t/yr (status "
            "{status})."
        ).format(target=f"{lead_in.get('target_t', 0):,.0f}", status=word(lead_in.get("status")))
    formats = {
        "marginal_cost_cny_per_t": ",.2f",
        "shadow_price_cny_per_t": ",.2f",
        "target_t": ",.0f",
        "previous_target_t": ",.0f",
    }
    return render(
        "curve.html",
        {
            "lang": html_lang(),
            "title": _("symbiosis: target-cost curve of {name}").format(name=title),
            "meta": "",
            "note": note,
            "words": {"plot": _("Curve"), "alt": _("target-cost curve"), "table": _("Levels")},
            "plot": figure_data_uri(png),
            "levels": _study_view(table.drop(columns=["run_dir"]), formats),
        },
    )


def pareto_html(
    table: pd.DataFrame, title: str, png: bytes, co2_range: tuple[float, float] | None
) -> str:
    """The cost-CO2 front as one self-contained page, in the current language: a note, the
    plot and the table (with the cost of each extra tonne of CO2 avoided against the
    previous point; headers in words with units).

    Parameters
    ----------
    table : pandas.DataFrame
        The front's points (columns of ``pareto.csv``, ``run_dir`` among them: not shown).
    title : str
        The scenario's name.
    png : bytes
        The plot (:func:`symbiosis.report.plots.pareto_plot`), embedded as a data URI.
    co2_range : tuple of float, optional
        The least and the most CO2 avoided (t/yr), told in the note.

    Returns
    -------
    str
        The HTML page.
    """
    note = _(PARETO_NOTE)
    if co2_range is not None:
        note += " " + _("CO2 avoided ranges from {least} to {most} t/yr.").format(
            least=f"{co2_range[0]:,.0f}", most=f"{co2_range[1]:,.0f}"
        )
    cost = table["objective"].astype(float).to_numpy()
    co2 = table["co2_avoided_t"].astype(float).to_numpy()
    shown = table.drop(columns=["run_dir"]).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.diff(cost) / np.diff(co2)
    shown["cost_per_extra_t_co2"] = [np.nan, *slope.tolist()]
    formats = {"point": "d", "cost_per_extra_t_co2": ",.2f"}
    return render(
        "pareto.html",
        {
            "lang": html_lang(),
            "title": _("symbiosis: cost-CO2 front of {name}").format(name=title),
            "meta": "",
            "note": note,
            "words": {"plot": _("Front"), "alt": _("cost-CO2 front"), "table": _("Points")},
            "plot": figure_data_uri(png),
            "points": _study_view(shown, formats),
        },
    )


# --------------------------------------------------------------------------------------------
# The sweep's fallback page
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SvgCurve:
    """The objective against the target as an SVG polyline (the sweep's page)."""

    width: int
    height: int
    pad: int
    points: str
    x_range: str
    y_range: str


def svg_curve(x: np.ndarray, y: np.ndarray) -> SvgCurve:
    """The polyline of ``y`` against ``x`` (sorted by ``x``) in a 640 x 320 box.

    Parameters
    ----------
    x, y : numpy.ndarray
        The targets (t/yr) and objectives (CNY/yr), at least one point.

    Returns
    -------
    SvgCurve
        The box, the polyline's points and the ranges of both axes as text (with their
        units, in the current language).
    """
    order = np.argsort(x)
    x, y = x[order], y[order]
    w, h, pad = 640, 320, 50
    x0, x1 = float(x.min()), float(x.max())
    y0, y1 = float(y.min()), float(y.max())
    sx = (w - 2 * pad) / ((x1 - x0) or 1.0)
    sy = (h - 2 * pad) / ((y1 - y0) or 1.0)
    points = " ".join(
        f"{pad + (a - x0) * sx:.1f},{h - pad - (b - y0) * sy:.1f}"
        for a, b in zip(x, y, strict=True)
    )
    axis = _("{what} ({unit}): {least} to {most}")
    return SvgCurve(
        w,
        h,
        pad,
        points,
        axis.format(
            what=_("Total target"), unit=unit_text("t/yr"), least=f"{x0:,.0f}", most=f"{x1:,.0f}"
        ),
        axis.format(
            what=_("Total annual cost"),
            unit=unit_text("CNY/yr"),
            least=f"{y0:,.0f}",
            most=f"{y1:,.0f}",
        ),
    )


def _sweep_cell(column: str, value: Any) -> Cell:
    if isinstance(value, bool | np.bool_):
        return Cell(yes_no(bool(value)))
    if isinstance(value, float) and math.isfinite(value) and column != "mip_gap":
        return Cell(f"{value:,.2f}" if abs(value) < 1e3 else f"{value:,.0f}", number=True)
    if isinstance(value, float) and not math.isfinite(value):
        return Cell("", number=True)
    number = isinstance(value, int | float | np.integer | np.floating)
    if column == "status":
        return Cell(word(value))
    return Cell("" if value is None else str(value), number=number)


def sweep_page(table: pd.DataFrame, reason: str = "", folder: Path | None = None) -> str:
    """A sweep's table as one self-contained page, in the current language (headers in
    words with units) and, when at least two points have a target level and a solution, the
    objective against the target as an inline SVG.

    Parameters
    ----------
    table : pandas.DataFrame
        The sweep's table (``folder`` and ``error`` are not shown).
    reason : str
        Why the comparison report could not be written (shown when given, without absolute
        local paths: :func:`without_local_paths`).
    folder : pathlib.Path, optional
        Where the page is written (paths in ``reason`` are shown relative to it).

    Returns
    -------
    str
        The HTML page.
    """
    solved = table[table["objective"].notna()]
    columns = [c for c in table.columns if c not in ("folder", "error")]
    rows = [
        [_sweep_cell(str(c), value) for c, value in zip(columns, record, strict=True)]
        for record in table[columns].itertuples(index=False, name=None)
    ]
    curve = None
    if solved["target_t"].notna().sum() >= 2:
        curve = svg_curve(
            solved["target_t"].to_numpy(dtype=float), solved["objective"].to_numpy(dtype=float)
        )
    label = partial(column_label, multi_year=_multi_year(table))
    heading = ngettext(
        "Sweep: {points} point, {solved} with a solution",
        "Sweep: {points} points, {solved} with a solution",
        len(table),
    ).format(points=len(table), solved=len(solved))
    failed = ""
    if reason:
        failed = _("The comparison report failed: {reason}").format(
            reason=without_local_paths(reason, folder)
        )
    return render(
        "sweep.html",
        {
            "lang": html_lang(),
            "title": _("symbiosis sweep"),
            "heading": heading,
            "meta": "",
            "reason": failed,
            "curve": curve,
            "table": Table([label(str(c)) for c in columns], rows),
        },
    )


__all__ = [
    "SvgCurve",
    "compare_page",
    "compare_words",
    "curve_html",
    "environment",
    "figure_data_uri",
    "html_lang",
    "pareto_html",
    "render",
    "shown_path",
    "svg_curve",
    "sweep_page",
    "without_local_paths",
]
