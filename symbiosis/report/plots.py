"""The report plots: matplotlib figures returned as PNG bytes (the comparison's bars, the
target-cost curve, the cost-CO2 front).

matplotlib is in the ``reports`` extra; it is imported (with the non-interactive Agg
backend) only when a plot is drawn.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.compare import Comparison


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


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------
def _grouped_bars(
    categories: list[str], series: dict[str, list[float]], ylabel: str, title: str
) -> bytes:
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
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return figure_png(fig)


def comparison_plots(comparison: Comparison) -> dict[str, bytes]:
    """PNG plots of a comparison: cost parts by run, cost by year by run (multi-year runs),
    delivered by stream by run (a multi-year run's: over its horizon).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.

    Returns
    -------
    dict
        Title -> PNG bytes, in report order (a plot without data is left out).
    """
    plots: dict[str, bytes] = {}
    labels = comparison.labels
    parts = comparison.cost_parts
    multi = any(run.years for run in comparison.runs)
    if len(parts):
        title = "Cost and its parts (million CNY/yr" + (
            "; multi-year runs: million CNY, discounted)" if multi else ")"
        )
        plots[title] = _grouped_bars(
            [str(p) for p in parts["part"]],
            {label: (parts[label].astype(float) / 1e6).fillna(0).tolist() for label in labels},
            "million CNY/yr",
            "Cost parts",
        )
    by_year = comparison.by_year
    costs = by_year.loc[by_year["kpi"] == "cost"] if len(by_year) else by_year
    if len(costs):
        plots["Cost by year (million CNY/yr, undiscounted)"] = _grouped_bars(
            [str(int(y)) for y in costs["year"]],
            {label: (costs[label].astype(float) / 1e6).fillna(0).tolist() for label in labels},
            "million CNY/yr",
            "Cost by year",
        )
    kpis = comparison.kpis
    if "year" in kpis.columns:  # multi-year runs: their horizon's rows (and v1 runs')
        kpis = kpis.loc[kpis["year"].isna()]
    stream_rows = kpis.loc[kpis["kpi"] == "delivered_by_stream"]
    if len(stream_rows):
        title = "Delivered by stream (per year" + ("; multi-year runs: in all)" if multi else ")")
        plots[title] = _grouped_bars(
            [f"{k} ({u})" for k, u in zip(stream_rows["key"], stream_rows["unit"], strict=True)],
            {label: stream_rows[label].astype(float).fillna(0).tolist() for label in labels},
            "units/yr",
            "Delivered by stream",
        )
    return plots


# --------------------------------------------------------------------------------------------
# The target-cost curve and the cost-CO2 front
# --------------------------------------------------------------------------------------------
def _scale(values: Sequence[float]) -> tuple[float, str]:
    """(divisor, unit) for tonnes: Mt when the largest is >= 1e5."""
    largest = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    return (1e6, "Mt/yr") if largest >= 1e5 else (1.0, "t/yr")


def curve_plot(table: pd.DataFrame, title: str) -> bytes:
    """Total cost (top) and marginal cost of the last step (bottom) against the target;
    projects added at a level are written beside its point.

    Parameters
    ----------
    table : pandas.DataFrame
        The curve's levels (columns of ``curve.csv``); rows without an objective are drawn as
        dotted vertical lines ("no solution").
    title : str
        The scenario's name, shown in the plot's title.

    Returns
    -------
    bytes
        The plot as PNG.
    """
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.4), sharex=True)
    solved = table.loc[table["objective"].notna()]
    div, unit = _scale(table["target_t"].tolist())
    x = solved["target_t"].to_numpy(dtype=float) / div
    top.plot(x, solved["objective"].to_numpy(dtype=float) / 1e6, marker="o", color="#1f5fa8")
    for xi, yi, added in zip(
        x, solved["objective"].to_numpy(dtype=float) / 1e6, solved["added"], strict=True
    ):
        if isinstance(added, str) and added:
            label = "+" + added if len(added) < 40 else f"+{len(added.split())} projects"
            top.annotate(label, (xi, yi), textcoords="offset points", xytext=(4, 6), fontsize=8)
    infeasible = table.loc[table["objective"].isna()]
    if len(infeasible):
        for xi in infeasible["target_t"].to_numpy(dtype=float) / div:
            top.axvline(xi, color="#c33", linestyle=":", linewidth=1)
        top.plot([], [], color="#c33", linestyle=":", label="no solution")
        top.legend(fontsize="small")
    top.set_ylabel("total cost, million CNY/yr")
    top.set_title(f"Target-cost curve: {title}")
    top.grid(alpha=0.3)
    marginal = solved["marginal_cost_cny_per_t"].to_numpy(dtype=float)
    ok = np.isfinite(marginal)
    prev = solved["previous_target_t"].to_numpy(dtype=float) / div
    for xi, pi, mi in zip(x[ok], prev[ok], marginal[ok], strict=True):
        left = pi if math.isfinite(pi) else xi
        bottom.hlines(mi, left, xi, color="#b35806", linewidth=2.2)
    bottom.plot(x[ok], marginal[ok], "o", color="#b35806", label="cost of the last step")
    shadow = solved["shadow_price_cny_per_t"].to_numpy(dtype=float)
    if np.isfinite(shadow).any():
        bottom.plot(x, shadow, "x", color="#542788", label="shadow price (portfolio fixed)")
    bottom.set_ylabel("marginal cost, CNY/t")
    bottom.set_xlabel(f"total target, {unit}")
    bottom.grid(alpha=0.3)
    bottom.legend(fontsize="small")
    return figure_png(fig)


def pareto_plot(table: pd.DataFrame, title: str) -> bytes:
    """Cost against CO2 avoided; the front joined by a line, each point labelled with its
    number and how many projects it builds.

    Parameters
    ----------
    table : pandas.DataFrame
        The front's points (columns of ``pareto.csv``).
    title : str
        The scenario's name, shown in the plot's title.

    Returns
    -------
    bytes
        The plot as PNG.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    solved = table.loc[table["objective"].notna()].sort_values("co2_avoided_t")
    front = solved.loc[solved["on_front"].astype(bool)]
    x = solved["co2_avoided_t"].to_numpy(dtype=float)
    y = solved["objective"].to_numpy(dtype=float) / 1e6
    ax.plot(
        front["co2_avoided_t"].to_numpy(dtype=float),
        front["objective"].to_numpy(dtype=float) / 1e6,
        "o-",
        color="#1f5fa8",
        label="non-dominated portfolios",
    )
    dominated = solved.loc[~solved["on_front"].astype(bool)]
    if len(dominated):
        ax.plot(
            dominated["co2_avoided_t"].to_numpy(dtype=float),
            dominated["objective"].to_numpy(dtype=float) / 1e6,
            "x",
            color="#c33",
            label="dominated (solved to a gap)",
        )
    for xi, yi, point, built in zip(x, y, solved["point"], solved["built"], strict=True):
        n = len(str(built).split()) if isinstance(built, str) and built else 0
        ax.annotate(
            f"{point}: {n} proj.", (xi, yi), textcoords="offset points", xytext=(5, -12), fontsize=8
        )
    ax.set_xlabel("CO2 avoided, t/yr")
    ax.set_ylabel("total cost, million CNY/yr")
    ax.set_title(f"Cost-CO2 trade-off: {title}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return figure_png(fig)


__all__ = ["comparison_plots", "curve_plot", "figure_png", "pareto_plot", "pyplot"]
