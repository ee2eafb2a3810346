"""The report plots: matplotlib figures (the comparison's bars, the target-cost curve, the
cost-CO2 front), returned as figures (``*_figure``) or PNG bytes (``*_plot``), labelled in
the current language.

Every value axis says what it shows and its unit, scaled to what a planner reads (M CNY and
Mt in English; 万元, 亿元 and 万吨 in Chinese), with plain tick labels (thousands
separators, never an offset or ``1e7``); cost axes start at zero; t and MWh are never on one
axis. Chinese labels need a font with Chinese characters (:func:`cjk_font`); without one the
plots are labelled in English, with a warning, rather than drawn with empty boxes.

matplotlib is in the ``reports`` extra; it is imported (with the non-interactive Agg
backend) only when a plot is drawn.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.compare import Comparison, unit_text
from symbiosis.i18n import _, current_language, ngettext, use_language
from symbiosis.report.labels import part_label

#: a multi-year study's per-year columns (``target_t_2027``)
YEAR_TARGET = re.compile(r"^target_t_\d{4}$")


def pyplot() -> Any:
    """matplotlib's ``pyplot`` on the Agg backend (no display needed).

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Raises
    ------
    RuntimeError
        matplotlib is not installed (the ``reports`` extra).
    """
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - the reports extra is installed in CI
        raise RuntimeError(f"plots need the 'reports' extra (matplotlib): {exc}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def cjk_font() -> str | None:
    """A font family with Chinese characters (the print map's:
    :func:`symbiosis.maps.fonts.cjk_font`, found once per process).

    Returns
    -------
    str or None
        The family (Noto Sans CJK SC, installed by Debian's ``fonts-noto-cjk``, or another
        of :data:`symbiosis.maps.fonts.CJK_FAMILIES`), or None when there is none.
    """
    pyplot()
    from symbiosis.maps.fonts import cjk_font as found

    return found()


@contextmanager
def plot_language() -> Iterator[str]:
    """Draw in the current language: Chinese with a CJK font (then DejaVu Sans for what it
    lacks), or English with a warning when Chinese is asked and no such font is found.

    Yields
    ------
    str
        The language the plot is labelled in.
    """
    plt = pyplot()
    if current_language() != "zh":
        yield current_language()
        return
    font = cjk_font()
    if font is None:
        warnings.warn(
            _(
                "no font with Chinese characters found (install one, e.g. Debian's "
                "fonts-noto-cjk): the plots are labelled in English"
            ),
            UserWarning,
            stacklevel=3,
        )
        with use_language("en") as lang:
            yield lang
        return
    with plt.rc_context({"font.family": [font, "DejaVu Sans"]}):
        yield "zh"


def figure_png(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    bytes
        The PNG (110 dpi, tight bounding box).
    """
    plt = pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _drawn(make: Callable[[], Any]) -> bytes:
    """``make()``'s figure as PNG, made and drawn in the plot's language and font."""
    with plot_language():
        return figure_png(make())


# --------------------------------------------------------------------------------------------
# Units and ticks
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    """How an axis shows its values: divided by ``divisor``, in ``unit``."""

    divisor: float
    unit: str


def _largest(values: Sequence[float] | np.ndarray) -> float:
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    return max(finite, default=0.0)


def money_scale(values: Sequence[float] | np.ndarray, per_year: bool = True) -> Scale:
    """The unit money is plotted in: M CNY from a million (English); 亿元 from 1e8, 万元 from
    1e4 (Chinese); else CNY.

    Parameters
    ----------
    values : sequence of float
        The amounts (CNY or CNY/yr; missing values ignored).
    per_year : bool
        Append ``/yr`` (``/年``).

    Returns
    -------
    Scale
        The divisor and the unit.
    """
    largest = _largest(values)
    if current_language() == "zh":
        divisor, unit = (1e8, "亿元") if largest >= 1e8 else (1e4, "万元")
        if largest < 1e4:
            divisor, unit = 1.0, "元"
        return Scale(divisor, unit + ("/年" if per_year else ""))
    divisor, unit = (1e6, "M CNY") if largest >= 1e6 else (1.0, "CNY")
    return Scale(divisor, unit + ("/yr" if per_year else ""))


def amount_scale(
    values: Sequence[float] | np.ndarray, unit: str = "t", per_year: bool = True
) -> Scale:
    """The unit an amount is plotted in: Mt from 1e5 t (English), 万吨 from 1e4 t
    (Chinese); GWh from 1e6 MWh (English), 万 MWh from 1e5 MWh (Chinese); else as given.

    Parameters
    ----------
    values : sequence of float
        The amounts, in ``unit``.
    unit : str
        ``t`` or ``MWh`` (another unit is kept as it is).
    per_year : bool
        Append ``/yr`` (``/年``).

    Returns
    -------
    Scale
        The divisor and the unit.
    """
    largest = _largest(values)
    zh = current_language() == "zh"
    steps = {
        ("t", False): (1e5, 1e6, "Mt"),
        ("t", True): (1e4, 1e4, "万吨"),
        ("MWh", False): (1e6, 1e3, "GWh"),
        ("MWh", True): (1e5, 1e4, "万 MWh"),
    }
    divisor, shown = 1.0, unit
    if (unit, zh) in steps:
        start, size, big = steps[(unit, zh)]
        if largest >= start:
            divisor, shown = size, big
    return Scale(divisor, shown + (("/年" if zh else "/yr") if per_year else ""))


def axis_label(what: str, scale: Scale | str) -> str:
    """``what (unit)`` (``what（unit）`` in Chinese).

    Parameters
    ----------
    what : str
        What the axis shows (translated).
    scale : Scale or str
        Its unit.

    Returns
    -------
    str
        The label.
    """
    unit = scale.unit if isinstance(scale, Scale) else scale
    return _("{what} ({unit})").format(what=what, unit=unit)


@cache
def _plain_formatter() -> type:
    """A tick formatter with thousands separators, as many decimals as the ticks need (at
    most 6), and no offset or scientific notation."""
    from matplotlib.ticker import Formatter

    class Plain(Formatter):
        decimals = 0

        def set_locs(self, locs: Sequence[float]) -> None:
            finite = [float(v) for v in locs if math.isfinite(float(v))]
            self.decimals = next(
                (
                    d
                    for d in range(7)
                    if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in finite)
                ),
                6,
            )

        def __call__(self, x: float, pos: int | None = None) -> str:
            text = f"{x:,.{self.decimals}f}"
            return "0" if text.strip("-0.,") == "" else text

    return Plain


def plain_ticks(*axes: Any) -> None:
    """Tick labels with thousands separators and no offset (``1,412.5``, not ``+1.41e3``).

    Parameters
    ----------
    *axes : matplotlib.axis.Axis
        The axes (``ax.xaxis``, ``ax.yaxis``) whose numbers are formatted.
    """
    for axis in axes:
        axis.set_major_formatter(_plain_formatter()())


def from_zero(ax: Any, values: Sequence[float] | np.ndarray) -> None:
    """A cost axis from zero (or from below it, for a negative cost), with room above the
    highest value for its label.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes.
    values : sequence of float
        The values plotted on its y axis.
    """
    finite = [float(v) for v in values if math.isfinite(float(v))]
    low, high = min(finite, default=0.0), max(finite, default=0.0)
    span = (max(high, 0.0) - min(low, 0.0)) or 1.0
    ax.set_ylim(min(low, 0.0) - (0.08 * span if low < 0 else 0.0), max(high, 0.0) + 0.12 * span)


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------
def _grouped_bars(categories: list[str], series: dict[str, list[float]], ylabel: str) -> Any:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(categories) + 2), 3.8))
    n = max(1, len(series))
    width = 0.8 / n
    x = np.arange(len(categories))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(x + (i - (n - 1) / 2) * width, values, width, label=label)
    ax.set_xticks(x, categories, rotation=30, ha="right")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel(ylabel)
    plain_ticks(ax.yaxis)
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return fig


def _series(frame: pd.DataFrame, labels: list[str], divisor: float) -> dict[str, list[float]]:
    return {label: (frame[label].astype(float) / divisor).fillna(0).tolist() for label in labels}


def comparison_figures(comparison: Comparison) -> dict[str, Any]:
    """The comparison's plots as figures: cost parts by run, cost by year by run (multi-year
    runs), delivered by stream by run (one plot per unit: t and MWh apart; a multi-year
    run's over its horizon).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.

    Returns
    -------
    dict
        Title (with its unit, in the current language) -> figure, in report order (a plot
        without data is left out).
    """
    figures: dict[str, Any] = {}
    labels = comparison.labels
    parts = comparison.cost_parts
    multi = any(run.years for run in comparison.runs)
    every_multi = all(run.years for run in comparison.runs)
    if len(parts):
        scale = money_scale(parts[labels].to_numpy(dtype=float).ravel(), not every_multi)
        what = _("Cost parts, discounted") if every_multi else _("Cost parts")
        if multi and not every_multi:
            what = _("Cost parts (multi-year runs: discounted total)")
        title = axis_label(what, scale)
        figures[title] = _grouped_bars(
            [part_label(p) for p in parts["part"]],
            _series(parts, labels, scale.divisor),
            title,
        )
    by_year = comparison.by_year
    costs = by_year.loc[by_year["kpi"] == "cost"] if len(by_year) else by_year
    if len(costs):
        scale = money_scale(costs[labels].to_numpy(dtype=float).ravel())
        title = axis_label(_("Cost by year, undiscounted"), scale)
        figures[title] = _grouped_bars(
            [str(int(y)) for y in costs["year"]], _series(costs, labels, scale.divisor), title
        )
    kpis = comparison.kpis
    if "year" in kpis.columns:  # multi-year runs: their horizon's rows (and v1 runs')
        kpis = kpis.loc[kpis["year"].isna()]
    streams = kpis.loc[kpis["kpi"] == "delivered_by_stream"]
    for unit, rows in streams.groupby("unit", sort=False):
        base, _slash, per = str(unit).partition("/")
        scale = amount_scale(rows[labels].to_numpy(dtype=float).ravel(), base, bool(per))
        title = axis_label(_("Delivered by stream"), scale)
        figures[title] = _grouped_bars(
            [comparison.name("stream", k) for k in rows["key"]],
            _series(rows, labels, scale.divisor),
            title,
        )
    return figures


def comparison_plots(comparison: Comparison) -> dict[str, bytes]:
    """PNG plots of a comparison (:func:`comparison_figures`), in the current language.

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.

    Returns
    -------
    dict
        Title -> PNG bytes, in report order.
    """
    with plot_language():
        return {t: figure_png(f) for t, f in comparison_figures(comparison).items()}


# --------------------------------------------------------------------------------------------
# The target-cost curve and the cost-CO2 front
# --------------------------------------------------------------------------------------------
def _added_label(added: str) -> str:
    if len(added) < 40:
        return "+" + added
    count = len(added.split())
    return ngettext("+{count} project", "+{count} projects", count).format(count=count)


def curve_figure(table: pd.DataFrame, title: str) -> Any:
    """Total cost (top, from zero) and marginal cost of the last step (bottom) against the
    target; projects added at a level are written beside its point.

    Parameters
    ----------
    table : pandas.DataFrame
        The curve's levels (columns of ``curve.csv``); rows without an objective are drawn as
        dotted vertical lines ("no solution").
    title : str
        The scenario's name, shown in the plot's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, labelled in the current language (English without a Chinese font).
    """
    with plot_language():
        return _curve_figure(table, title)


def _curve_figure(table: pd.DataFrame, title: str) -> Any:
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.4), sharex=True)
    multi = any(YEAR_TARGET.match(str(c)) for c in table.columns)
    solved = table.loc[table["objective"].notna()]
    target = amount_scale(table["target_t"].to_numpy(dtype=float))
    money = money_scale(solved["objective"].to_numpy(dtype=float), per_year=not multi)
    x = solved["target_t"].to_numpy(dtype=float) / target.divisor
    cost = solved["objective"].to_numpy(dtype=float) / money.divisor
    top.plot(x, cost, marker="o", color="#1f5fa8")
    for xi, yi, added in zip(x, cost, solved["added"], strict=True):
        if isinstance(added, str) and added:
            top.annotate(
                _added_label(added), (xi, yi), textcoords="offset points", xytext=(4, 6), fontsize=8
            )
    infeasible = table.loc[table["objective"].isna()]
    if len(infeasible):
        for xi in infeasible["target_t"].to_numpy(dtype=float) / target.divisor:
            top.axvline(xi, color="#c33", linestyle=":", linewidth=1)
        top.plot([], [], color="#c33", linestyle=":", label=_("no solution"))
        top.legend(fontsize="small")
    what = _("Total cost, discounted") if multi else _("Total annual cost")
    top.set_ylabel(axis_label(what, money))
    from_zero(top, cost)
    top.set_title(_("Target-cost curve: {name}").format(name=title))
    top.grid(alpha=0.3)
    marginal = solved["marginal_cost_cny_per_t"].to_numpy(dtype=float)
    ok = np.isfinite(marginal)
    prev = solved["previous_target_t"].to_numpy(dtype=float) / target.divisor
    for xi, pi, mi in zip(x[ok], prev[ok], marginal[ok], strict=True):
        bottom.hlines(mi, pi if math.isfinite(pi) else xi, xi, color="#b35806", linewidth=2.2)
    bottom.plot(x[ok], marginal[ok], "o", color="#b35806", label=_("cost of the last step"))
    shadow = solved["shadow_price_cny_per_t"].to_numpy(dtype=float)
    if np.isfinite(shadow).any():
        bottom.plot(x, shadow, "x", color="#542788", label=_("shadow price (portfolio fixed)"))
    bottom.set_ylabel(axis_label(_("Marginal cost"), unit_text("CNY/t")))
    bottom.set_xlabel(axis_label(_("Total target"), target))
    plain_ticks(top.yaxis, bottom.yaxis, bottom.xaxis)
    bottom.grid(alpha=0.3)
    bottom.legend(fontsize="small")
    return fig


def curve_plot(table: pd.DataFrame, title: str) -> bytes:
    """The target-cost curve (:func:`curve_figure`) as PNG.

    Parameters
    ----------
    table : pandas.DataFrame
        The curve's levels (columns of ``curve.csv``).
    title : str
        The scenario's name.

    Returns
    -------
    bytes
        The plot as PNG.
    """
    return _drawn(lambda: _curve_figure(table, title))


def pareto_figure(table: pd.DataFrame, title: str) -> Any:
    """Cost (from zero) against CO2 avoided; the front joined by a line, each point labelled
    with its number and how many projects it builds.

    Parameters
    ----------
    table : pandas.DataFrame
        The front's points (columns of ``pareto.csv``).
    title : str
        The scenario's name, shown in the plot's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, labelled in the current language (English without a Chinese font).
    """
    with plot_language():
        return _pareto_figure(table, title)


def _pareto_figure(table: pd.DataFrame, title: str) -> Any:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    multi = "co2_avoided_total_t" in table.columns
    solved = table.loc[table["objective"].notna()].sort_values("co2_avoided_t")
    co2 = amount_scale(solved["co2_avoided_t"].to_numpy(dtype=float))
    money = money_scale(solved["objective"].to_numpy(dtype=float), per_year=not multi)
    on_front = solved["on_front"].astype(bool)
    for rows, style, color, label in (
        (solved.loc[on_front], "o-", "#1f5fa8", _("non-dominated portfolios")),
        (solved.loc[~on_front], "x", "#c33", _("dominated (solved to a gap)")),
    ):
        if len(rows):
            ax.plot(
                rows["co2_avoided_t"].to_numpy(dtype=float) / co2.divisor,
                rows["objective"].to_numpy(dtype=float) / money.divisor,
                style,
                color=color,
                label=label,
            )
    x = solved["co2_avoided_t"].to_numpy(dtype=float) / co2.divisor
    y = solved["objective"].to_numpy(dtype=float) / money.divisor
    for xi, yi, point, built in zip(x, y, solved["point"], solved["built"], strict=True):
        n = len(str(built).split()) if isinstance(built, str) and built else 0
        text = ngettext("{point}: {count} project", "{point}: {count} projects", n)
        ax.annotate(
            text.format(point=point, count=n),
            (xi, yi),
            textcoords="offset points",
            xytext=(5, -12),
            fontsize=8,
        )
    what = _("CO2 avoided in the least year") if multi else _("CO2 avoided")
    ax.set_xlabel(axis_label(what, co2))
    cost = _("Total cost, discounted") if multi else _("Total annual cost")
    ax.set_ylabel(axis_label(cost, money))
    from_zero(ax, y)
    plain_ticks(ax.xaxis, ax.yaxis)
    ax.set_title(_("Cost-CO2 trade-off: {name}").format(name=title))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def pareto_plot(table: pd.DataFrame, title: str) -> bytes:
    """The cost-CO2 front (:func:`pareto_figure`) as PNG.

    Parameters
    ----------
    table : pandas.DataFrame
        The front's points (columns of ``pareto.csv``).
    title : str
        The scenario's name.

    Returns
    -------
    bytes
        The plot as PNG.
    """
    return _drawn(lambda: _pareto_figure(table, title))


__all__ = [
    "Scale",
    "amount_scale",
    "axis_label",
    "cjk_font",
    "comparison_figures",
    "comparison_plots",
    "curve_figure",
    "curve_plot",
    "figure_png",
    "from_zero",
    "money_scale",
    "pareto_figure",
    "pareto_plot",
    "plain_ticks",
    "plot_language",
    "pyplot",
]
