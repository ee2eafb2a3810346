"""Report pages and plots: the comparison, the target-cost curve, the cost-CO2 front and the
sweep's fallback page.

Plots are matplotlib figures returned as PNG bytes; pages are self-contained HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.compare import _pyplot, figure_png, html_image, html_page, html_table
from symbiosis.files import REPORT_HTML_KIND, write_file


def _scale(values: Sequence[float]) -> tuple[float, str]:
    """(divisor, unit) for tonnes: Mt when the largest is >= 1e5."""
    largest = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    return (1e6, "Mt/yr") if largest >= 1e5 else (1.0, "t/yr")


# --------------------------------------------------------------------------------------------
# The target-cost curve
# --------------------------------------------------------------------------------------------
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
    plt = _pyplot()
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


def curve_html(
    table: pd.DataFrame, title: str, png: bytes, lead_in: dict[str, Any] | None = None
) -> str:
    """The curve as one self-contained page: the plot and the table.

    Parameters
    ----------
    table : pandas.DataFrame
        The curve's levels (columns of ``curve.csv``, ``run_dir`` among them: not shown).
    title : str
        The scenario's name.
    png : bytes
        The plot (:func:`curve_plot`), embedded as a data URI.
    lead_in : dict, optional
        The lead-in solve below the first level (``target_t``, ``status``), told in the note.

    Returns
    -------
    str
        The HTML page.
    """
    shown = table.drop(columns=["run_dir"])
    note = (
        "Marginal cost = (cost at this level − cost at the previous level) / (difference in "
        "target), in CNY per tonne; it includes projects brought in by the step. The shadow "
        "price is the cost of one more tonne with this level's portfolio fixed."
    )
    if lead_in:
        note += (
            f" The first level's previous level is a lead-in solve at "
            f"{lead_in.get('target_t', 0):,.0f} t/yr (status {lead_in.get('status')})."
        )
    return html_page(
        f"symbiosis: target-cost curve of {title}",
        [
            ("", f"<p>{html.escape(note)}</p>"),
            ("Curve", html_image(png, "target-cost curve")),
            (
                "Levels",
                html_table(
                    shown,
                    formats={
                        "marginal_cost_cny_per_t": ",.2f",
                        "shadow_price_cny_per_t": ",.2f",
                        "target_t": ",.0f",
                        "previous_target_t": ",.0f",
                    },
                ),
            ),
        ],
    )


# --------------------------------------------------------------------------------------------
# The cost-CO2 front
# --------------------------------------------------------------------------------------------
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
    plt = _pyplot()
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


def pareto_html(
    table: pd.DataFrame, title: str, png: bytes, co2_range: tuple[float, float] | None
) -> str:
    """The front as one self-contained page: the plot and the table.

    Parameters
    ----------
    table : pandas.DataFrame
        The front's points (columns of ``pareto.csv``, ``run_dir`` among them: not shown).
    title : str
        The scenario's name.
    png : bytes
        The plot (:func:`pareto_plot`), embedded as a data URI.
    co2_range : tuple of float, optional
        The least and the most CO2 avoided (t/yr), told in the note.

    Returns
    -------
    str
        The HTML page.
    """
    note = (
        "Each point is the cheapest portfolio that avoids at least epsilon t/yr of CO2 "
        "(epsilon-constraint method); point 1 is the scenario's own minimum-cost portfolio."
    )
    if co2_range is not None:
        note += f" CO2 avoided ranges from {co2_range[0]:,.0f} to {co2_range[1]:,.0f} t/yr."
    cost = table["objective"].astype(float).to_numpy()
    co2 = table["co2_avoided_t"].astype(float).to_numpy()
    shown = table.drop(columns=["run_dir"]).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.diff(cost) / np.diff(co2)
    shown["cost_per_extra_t_co2"] = [np.nan, *slope.tolist()]
    return html_page(
        f"symbiosis: cost-CO2 front of {title}",
        [
            ("", f"<p>{html.escape(note)}</p>"),
            ("Front", html_image(png, "cost-CO2 front")),
            (
                "Points",
                html_table(shown, formats={"point": "d", "cost_per_extra_t_co2": ",.2f"}),
            ),
        ],
    )


# --------------------------------------------------------------------------------------------
# The sweep's fallback page
# --------------------------------------------------------------------------------------------
def write_sweep_page(out: Path, table: pd.DataFrame, reason: str = "") -> Path:
    """A self-contained HTML page ``out/report.html``: the sweep table and, when the points
    differ only by target level, the target-cost curve as an inline SVG.

    Parameters
    ----------
    out : pathlib.Path
        The sweep's folder.
    table : pandas.DataFrame
        The sweep's table (``folder`` and ``error`` are not shown).
    reason : str
        Why the comparison report could not be written (shown when given).

    Returns
    -------
    pathlib.Path
        The page written.
    """
    solved = table[table["objective"].notna()]
    columns = [c for c in table.columns if c not in ("folder", "error")]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for _, row in table.iterrows():
        cells = []
        for c in columns:
            v = row[c]
            if isinstance(v, float) and math.isfinite(v) and c != "mip_gap":
                text = f"{v:,.2f}" if abs(v) < 1e3 else f"{v:,.0f}"
            elif isinstance(v, float) and not math.isfinite(v):
                text = ""
            else:
                text = "" if v is None else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    curve = ""
    if solved["target_t"].notna().sum() >= 2:
        curve = _svg_curve(
            solved["target_t"].to_numpy(dtype=float), solved["objective"].to_numpy(dtype=float)
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>symbiosis sweep</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}</style></head><body>
<h1>Sweep: {len(table)} points, {len(solved)} with a solution</h1>
{f"<p>The comparison report failed: {html.escape(reason)}</p>" if reason else ""}
{curve}
<table><thead><tr>{head}</tr></thead><tbody>
{"".join(body)}
</tbody></table></body></html>
"""
    return write_file(out / "report.html", REPORT_HTML_KIND, lambda p: p.write_text(page, "utf-8"))


def _svg_curve(x: np.ndarray, y: np.ndarray) -> str:
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
    return (
        f'<svg width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{points}"/>'
        f'<text x="{pad}" y="{h - 10}">target (t/yr) {x0:,.0f} .. {x1:,.0f}</text>'
        f'<text x="5" y="20">objective (CNY/yr) {y0:,.0f} .. {y1:,.0f}</text></svg>'
    )


__all__ = ["curve_html", "curve_plot", "pareto_html", "pareto_plot", "write_sweep_page"]
