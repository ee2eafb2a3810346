"""Portfolios side by side: KPIs, what differs, and why; Excel, HTML and CSV reports.

:func:`compare_runs` reads run folders (``summary.json``, ``kpis.csv``, ``facilities.csv``,
``flows.csv``, ``manifest.json``) and builds a :class:`Comparison`, whose tables are

* ``overview``: one row per run (status, cost, delivered, CO2, capex, projects, the target's
  shadow price);
* ``kpis``: every KPI of ``kpis.csv`` (cost and its parts, delivered by stream and
  prefecture, CO2, capex, ...) with one column per run and, for each run after the first,
  its change against the first (the baseline);
* ``cost_parts``: the cost parts, one column per run (the chart's data);
* ``projects``: every candidate built in at least one run, built (1) or not (0) per run, and
  where it is built (``in``: ``all`` or the runs' names);
* ``flow_changes``: the largest changes in delivered amount per (from site, facility,
  stream, mode) against the baseline;
* ``scenario_changes``: the scenario keys (targets, limits, overrides, ...) whose resolved
  values differ between runs (from each ``manifest.json``);
* ``explanation``: for two runs, a few sentences on what drives the cost difference: the
  scenario changes, the cost parts that move most, the projects that differ, the delivered
  amounts and the largest flow shifts.

:func:`write_report` writes ``.xlsx`` (one sheet per table, number formats, frozen header
rows, charts), ``.html`` (one self-contained file: inline CSS, tables, PNG plots embedded as
data URIs, no external links) or ``.csv`` (the KPI table at the path given, the other tables
beside it as ``<stem>.<table>.csv`` and the explanation as ``<stem>.explanation.txt``).

The plotting and HTML helpers here (:func:`figure_data_uri`, :func:`html_page`,
:func:`html_table`) are shared with :mod:`symbiosis.portfolio` (curves, Pareto fronts).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbiosis import units
from symbiosis.case import InputError, Problem
from symbiosis.files import (
    REPORT_CSV_KIND,
    REPORT_HTML_KIND,
    REPORT_XLSX_KIND,
    write_file,
    write_file_group,
    xlsx_keywords,
)
from symbiosis.results import RunFolder, read_run_folder

REPORT_SUFFIXES = (".xlsx", ".html", ".csv")
FLOW_KEY = ["from_site", "facility", "to_site", "stream", "mode"]
COST_PART_LABELS = {
    "capex_annualised": "annualised investment",
    "fixed_opex": "fixed operating cost",
    "transport": "transport",
    "links": "links opened",
    "processing": "processing net of product value",
    "disposal": "disposal of waste left unused",
    "env_tax": "environmental tax on waste left unused",
    "stock_left": "stockpiles left in place",
}
#: Scenario keys not worth reporting as differences.
IGNORED_SCENARIO_KEYS = ("name", "solver.", "extends")


# --------------------------------------------------------------------------------------------
# Reading run folders
# --------------------------------------------------------------------------------------------
def load_run(path: str | Path) -> RunFolder:
    """Read a run folder (:func:`symbiosis.results.read_run_folder`, the one reader)."""
    return read_run_folder(path)


def load_runs(paths: Sequence[str | Path]) -> list[RunFolder]:
    """Read several run folders (every problem reported at once); labels made unique (a
    repeated scenario name gets its folder's name appended)."""
    problems: list[Problem] = []
    runs: list[RunFolder] = []
    for path in paths:
        try:
            runs.append(load_run(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, "run folders")
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.label] = counts.get(run.label, 0) + 1
    seen: set[str] = set()
    for run in runs:
        if counts[run.label] > 1:
            run.label = f"{run.label} ({run.path.name})"
        base, n = run.label, 2
        while run.label in seen:
            run.label, n = f"{base} #{n}", n + 1
        seen.add(run.label)
    return runs


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Runs side by side (the tables are described in the module docstring)."""

    runs: list[RunFolder]
    overview: pd.DataFrame
    kpis: pd.DataFrame
    cost_parts: pd.DataFrame
    projects: pd.DataFrame
    flow_changes: pd.DataFrame
    scenario_changes: pd.DataFrame
    explanation: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name -> table, in report order."""
        out = {
            "overview": self.overview,
            "kpis": self.kpis,
            "cost_parts": self.cost_parts,
            "projects": self.projects,
            "flow_changes": self.flow_changes,
            "scenario_changes": self.scenario_changes,
        }
        if self.explanation:
            out["explanation"] = pd.DataFrame({"explanation": self.explanation})
        return out


def _overview(runs: list[RunFolder]) -> pd.DataFrame:
    rows = []
    for run in runs:
        s = run.summary
        rows.append(
            {
                "run": run.label,
                "status": s.get("status"),
                "objective": s.get("objective"),
                "mip_gap": s.get("mip_gap"),
                "delivered_target_t": s.get("delivered_target_t"),
                "co2_avoided_t": s.get("co2_avoided_t"),
                "capex_built": s.get("capex_built"),
                "projects_built": len(run.built) if run.solved else None,
                "built": " ".join(run.built),
                "target_shadow_price_cny_per_t": s.get("target_shadow_price_cny_per_t"),
                "folder": str(run.path),
            }
        )
    frame = pd.DataFrame(rows)
    for column in (
        "objective",
        "mip_gap",
        "delivered_target_t",
        "co2_avoided_t",
        "capex_built",
        "projects_built",
        "target_shadow_price_cny_per_t",
    ):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _change_columns(frame: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Add ``change: <label>`` (run minus the first run) for every run after the first."""
    base = frame[labels[0]].astype(float)
    for label in labels[1:]:
        frame[f"change: {label}"] = frame[label].astype(float) - base
    if len(labels) == 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (frame[labels[1]].astype(float) - base) / base.abs()
        frame["change %"] = pct.where(np.isfinite(pct))
    return frame


def _kpi_table(runs: list[RunFolder]) -> pd.DataFrame:
    labels = [r.label for r in runs]
    order: dict[tuple[str, str, str], int] = {}
    values: dict[str, dict[tuple[str, str, str], float]] = {}
    for run in runs:
        got: dict[tuple[str, str, str], float] = {}
        if len(run.kpis):
            for kpi, key, unit, value in run.kpis[["kpi", "key", "unit", "value"]].itertuples(
                index=False
            ):
                if kpi == "project_capex":
                    continue  # the projects table has them
                where = (str(kpi), str(key), str(unit))
                order.setdefault(where, len(order))
                got[where] = float(value)
        values[run.label] = got
    keys = sorted(order, key=order.__getitem__)
    frame = pd.DataFrame(keys, columns=["kpi", "key", "unit"])
    for label in labels:
        frame[label] = [values[label].get(k, np.nan) for k in keys]
    # quantities absent from a solved run (no flow of a stream) are 0 there, not unknown
    additive = frame["kpi"].isin(["delivered_by_stream", "delivered_target_by_prefecture"])
    for run in runs:
        if run.solved:
            frame.loc[additive, run.label] = frame.loc[additive, run.label].fillna(0.0)
    return _change_columns(frame, labels)


def _cost_parts(runs: list[RunFolder]) -> pd.DataFrame:
    parts: list[str] = []
    for run in runs:
        for part in run.summary.get("cost_parts") or {}:
            if part not in parts:
                parts.append(part)
    frame = pd.DataFrame({"part": parts})
    for run in runs:
        got = run.summary.get("cost_parts") or {}
        frame[run.label] = [got.get(p, np.nan) for p in parts]
    total: dict[str, Any] = {"part": "total"}
    total.update({r.label: r.summary.get("objective") for r in runs})
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return _change_columns(frame, [r.label for r in runs])


def _projects(runs: list[RunFolder]) -> pd.DataFrame:
    columns = ["facility", "name", "tech", "site", "prefecture", "capacity", "capex"]
    info: dict[str, dict[str, Any]] = {}
    for run in runs:
        fac = run.facilities
        if not len(fac) or "facility" not in fac:
            continue
        candidates = fac.loc[fac["status"] == "candidate"]
        for record in candidates.to_dict("records"):
            row = {str(k): v for k, v in record.items()}
            info.setdefault(str(row["facility"]), {c: row.get(c) for c in columns})
    built_anywhere = sorted({b for r in runs for b in r.built})
    rows = []
    labels = [r.label for r in runs]
    for fid in built_anywhere:
        row = dict(info.get(fid, {"facility": fid}))
        row["facility"] = fid
        flags = [int(fid in r.built) if r.solved else None for r in runs]
        row.update(dict(zip(labels, flags, strict=True)))
        where = [label for label, flag in zip(labels, flags, strict=True) if flag]
        row["in"] = "all" if len(where) == len(runs) else ", ".join(where)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*columns, *labels, "in"])
    if len(frame):
        frame["_differs"] = frame["in"] != "all"
        frame["_capex"] = pd.to_numeric(frame["capex"], errors="coerce").fillna(0.0)
        frame = frame.sort_values(["_differs", "_capex"], ascending=[False, False])
        frame = frame.drop(columns=["_differs", "_capex"]).reset_index(drop=True)
    return frame


def _flow_changes(runs: list[RunFolder], top: int) -> pd.DataFrame:
    labels = [r.label for r in runs]
    pieces = []
    units: dict[tuple[str, ...], str] = {}
    for run in runs:
        flows = run.flows
        if not len(flows) or "delivered" not in flows:
            continue
        grouped = flows.groupby(FLOW_KEY, sort=False)["delivered"].sum().rename(run.label)
        pieces.append(grouped)
        if "unit" in flows:
            for key, unit in zip(
                flows[FLOW_KEY].itertuples(index=False, name=None), flows["unit"], strict=True
            ):
                units.setdefault(tuple(str(k) for k in key), str(unit))
    if not pieces:
        return pd.DataFrame(columns=[*FLOW_KEY, "unit", *labels])
    frame = pd.concat(pieces, axis=1).reset_index()
    for run in runs:
        if run.label not in frame:
            frame[run.label] = np.nan
        if run.solved:
            frame[run.label] = frame[run.label].fillna(0.0)
    frame.insert(
        len(FLOW_KEY),
        "unit",
        [
            units.get(tuple(str(k) for k in key), "")
            for key in frame[FLOW_KEY].itertuples(index=False, name=None)
        ],
    )
    frame = _change_columns(frame, labels)
    if len(labels) > 1:
        changes = frame[[f"change: {label}" for label in labels[1:]]].abs().max(axis=1)
        frame = frame.loc[changes > 1e-6].assign(_size=changes)
        frame = frame.sort_values("_size", ascending=False).drop(columns="_size")
    else:
        frame = frame.sort_values(labels[0], ascending=False)
    return frame.head(top).reset_index(drop=True)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        if not data and prefix:
            out[prefix[:-1]] = {}
    else:
        out[prefix[:-1]] = data
    return out


def _scenario_changes(runs: list[RunFolder]) -> pd.DataFrame:
    flat = [_flatten(r.manifest.get("scenario") or {}) for r in runs]
    keys: list[str] = []
    for f in flat:
        keys += [k for k in f if k not in keys]
    rows = []
    for key in keys:
        if any(key == ig or key.startswith(ig) for ig in IGNORED_SCENARIO_KEYS):
            continue
        values = [f.get(key) for f in flat]
        shown = [json.dumps(v, ensure_ascii=False, default=str) for v in values]
        if len(set(shown)) > 1:
            rows.append({"key": key, **{r.label: s for r, s in zip(runs, shown, strict=True)}})
    # input files whose checksums differ (same scenario, changed data)
    inputs = [r.manifest.get("inputs") or {} for r in runs]
    by_name: list[dict[str, str]] = [{Path(p).name: h for p, h in i.items()} for i in inputs]
    names: list[str] = []
    for i in by_name:
        names += [n for n in i if n not in names and not n.endswith((".yaml", ".yml"))]
    for name in names:
        hashes = [i.get(name) for i in by_name]
        if len(set(hashes)) > 1:
            rows.append(
                {
                    "key": f"input file {name}",
                    **{
                        r.label: (h[:12] if h else "absent")
                        for r, h in zip(runs, hashes, strict=True)
                    },
                }
            )
    return pd.DataFrame(rows, columns=["key", *[r.label for r in runs]])


# --------------------------------------------------------------------------------------------
# The written explanation (two runs)
# --------------------------------------------------------------------------------------------
def fmt_money(value: float | None) -> str:
    """``12,345,678`` CNY with a sign on request elsewhere; '-' for None."""
    return units.money(value)


def fmt_signed(value: float, unit: str = "") -> str:
    return units.signed(value, unit)


def fmt_amount(value: float | None, unit: str = "t") -> str:
    return units.amount(value, unit)


def _describe_project(fid: str, projects: pd.DataFrame) -> str:
    row = projects.loc[projects["facility"] == fid]
    if not len(row):
        return fid
    r = row.iloc[0]
    bits = [str(r["tech"])] if isinstance(r.get("tech"), str) and r.get("tech") else []
    if isinstance(r.get("prefecture"), str) and r.get("prefecture"):
        bits.append(str(r["prefecture"]))
    capex = r.get("capex")
    if capex is not None and not (isinstance(capex, float) and math.isnan(capex)):
        bits.append(f"capex {fmt_money(float(capex))} CNY")
    return f"{fid} ({', '.join(bits)})" if bits else fid


def explain(comparison: Comparison) -> list[str]:
    """A short written account of what drives the cost difference between two runs."""
    a, b = comparison.runs[:2]
    if not (a.solved and b.solved):
        bad = [r for r in (a, b) if not r.solved]
        return [
            f"{r.label} has no solution (status {r.summary.get('status')}), so the costs "
            "cannot be compared." + _diagnosis_sentence(r)
            for r in bad
        ]
    out: list[str] = []
    ca, cb = float(a.summary["objective"]), float(b.summary["objective"])
    diff = cb - ca
    pct = f" ({diff / abs(ca):+.1%})" if ca else ""
    if abs(diff) < 0.5:
        out.append(f"{b.label} and {a.label} cost the same: {fmt_money(ca)} CNY/yr.")
    else:
        more = "more" if diff > 0 else "less"
        out.append(
            f"{b.label} costs {fmt_money(abs(diff))} CNY/yr {more} than {a.label}{pct}: "
            f"{fmt_money(cb)} against {fmt_money(ca)} CNY/yr."
        )
    sc = comparison.scenario_changes
    if len(sc):
        shown = [
            f"{row['key']} {row[a.label]} → {row[b.label]}"
            for _, row in sc.head(6).iterrows()
            if row[a.label] != row[b.label]
        ]
        if shown:
            more_keys = len(sc) - 6
            out.append(
                "The scenarios differ in "
                + "; ".join(shown)
                + (f"; and {more_keys} more" if more_keys > 0 else "")
                + "."
            )
    parts = comparison.cost_parts
    parts = parts.loc[parts["part"] != "total"]
    if len(parts) and abs(diff) >= 0.5:
        delta = (parts[b.label].astype(float) - parts[a.label].astype(float)).to_numpy()
        order = np.argsort(-np.abs(delta))
        drivers = []
        for i in order[:4]:
            if abs(delta[i]) < max(0.01 * abs(diff), 0.5):
                break
            part = str(parts["part"].iloc[i])
            label = COST_PART_LABELS.get(part, part)
            drivers.append(f"{label} {fmt_signed(float(delta[i]))}")
        if drivers:
            out.append("The difference comes mostly from " + ", ".join(drivers) + " CNY/yr.")
    only_b = [p for p in b.built if p not in a.built]
    only_a = [p for p in a.built if p not in b.built]
    projects = comparison.projects
    if only_b:
        out.append(
            f"{b.label} builds "
            + ", ".join(_describe_project(p, projects) for p in only_b)
            + f", which {a.label} does not."
        )
    if only_a:
        out.append(
            f"{a.label} builds "
            + ", ".join(_describe_project(p, projects) for p in only_a)
            + f", which {b.label} does not."
        )
    if not only_a and not only_b:
        out.append(
            "Both build the same projects" + (f": {', '.join(a.built)}." if a.built else ".")
        )
    da, db = a.summary.get("delivered_target_t"), b.summary.get("delivered_target_t")
    if da is not None and db is not None and abs(db - da) > 1e-6:
        out.append(
            f"Delivered toward the target: {fmt_amount(da)} → {fmt_amount(db)} per year "
            f"({'+' if db > da else '-'}{fmt_amount(abs(db - da))})."
        )
    ea, eb = a.summary.get("co2_avoided_t"), b.summary.get("co2_avoided_t")
    if ea is not None and eb is not None and abs(eb - ea) > 1e-6:
        out.append(f"CO2 avoided: {fmt_money(ea)} → {fmt_money(eb)} t/yr.")
    pa = a.summary.get("target_shadow_price_cny_per_t")
    pb = b.summary.get("target_shadow_price_cny_per_t")
    if pa is not None and pb is not None and abs(pa - pb) > 1e-6:
        out.append(
            f"The marginal cost of one more tonne toward the total target (shadow price at the "
            f"chosen portfolio): {pa:,.2f} → {pb:,.2f} CNY/t."
        )
    flows = comparison.flow_changes
    column = f"change: {b.label}"
    if len(flows) and column in flows:
        shifts = [
            f"{r['from_site']} → {r['facility']} ({r['stream']}, {r['mode']}) "
            f"{fmt_signed(float(r[column]), str(r.get('unit', '')))}"
            for _, r in flows.head(3).iterrows()
        ]
        out.append("Largest changes in flows (delivered per year): " + "; ".join(shifts) + ".")
    return out


def _diagnosis_sentence(run: RunFolder) -> str:
    messages = (run.summary.get("diagnosis") or {}).get("messages") or []
    return (" " + " ".join(str(m) for m in messages[:2])) if messages else ""


def compare_runs(
    runs: Sequence[str | Path] | Sequence[RunFolder], top_flows: int = 20
) -> Comparison:
    """Compare run folders (paths or already loaded); the first is the baseline.

    Parameters
    ----------
    runs : two or more run folders (one is allowed: the report then shows it alone)
    top_flows : how many of the largest flow changes to keep
    """
    loaded: list[RunFolder] = (
        [r for r in runs if isinstance(r, RunFolder)]
        if runs and all(isinstance(r, RunFolder) for r in runs)
        else load_runs([r for r in runs if not isinstance(r, RunFolder)])
    )
    if not loaded:
        raise InputError([Problem("compare", "give at least one run folder")], "run folders")
    comparison = Comparison(
        runs=loaded,
        overview=_overview(loaded),
        kpis=_kpi_table(loaded),
        cost_parts=_cost_parts(loaded),
        projects=_projects(loaded),
        flow_changes=_flow_changes(loaded, top_flows),
        scenario_changes=_scenario_changes(loaded),
    )
    if len(loaded) == 2:
        comparison.explanation = explain(comparison)
    return comparison


# --------------------------------------------------------------------------------------------
# Plots and HTML building blocks (shared with symbiosis.portfolio)
# --------------------------------------------------------------------------------------------
def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - the reports extra is installed in CI
        raise RuntimeError(f"plots need the 'reports' extra (matplotlib): {exc}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_png(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def figure_data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for embedding a PNG in a self-contained HTML page."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _grouped_bars(
    categories: list[str], series: dict[str, list[float]], ylabel: str, title: str
) -> bytes:
    plt = _pyplot()
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
    """PNG plots of a comparison: cost parts by run, delivered by stream by run."""
    plots: dict[str, bytes] = {}
    labels = comparison.labels
    parts = comparison.cost_parts
    if len(parts):
        plots["Cost and its parts (million CNY/yr)"] = _grouped_bars(
            [str(p) for p in parts["part"]],
            {label: (parts[label].astype(float) / 1e6).fillna(0).tolist() for label in labels},
            "million CNY/yr",
            "Cost parts",
        )
    kpis = comparison.kpis
    stream_rows = kpis.loc[kpis["kpi"] == "delivered_by_stream"]
    if len(stream_rows):
        plots["Delivered by stream (per year)"] = _grouped_bars(
            [f"{k} ({u})" for k, u in zip(stream_rows["key"], stream_rows["unit"], strict=True)],
            {label: stream_rows[label].astype(float).fillna(0).tolist() for label in labels},
            "units/yr",
            "Delivered by stream",
        )
    return plots


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}
th,td{border:1px solid #d0d0d0;padding:3px 7px}
th{background:#f0f3f6;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafafa}
.explain li{margin:0.3em 0}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}
.meta{color:#666;font-size:0.85em}
.scroll{overflow-x:auto;max-width:100%}
"""


def number_format(column: str, unit: str = "") -> str:
    """How to show a number: a Python format spec chosen from the column name or unit."""
    name = column.lower()
    if "gap" in name:
        return ".2e"
    if name.endswith("%") or "share" in name or name == "use":
        return ".1%"
    if "price" in name or "marginal" in name or (unit.startswith("CNY/") and unit != "CNY/yr"):
        return ",.2f"
    return ",.0f"


def html_table(
    frame: pd.DataFrame,
    formats: dict[str, str] | None = None,
    unit_column: str | None = None,
    signed: Sequence[str] = (),
) -> str:
    """A DataFrame as an HTML table, numbers right-aligned and formatted.

    ``formats`` maps a column to a format spec (default from :func:`number_format`);
    with ``unit_column``, each row's unit picks its format; ``signed`` columns (and every
    ``change...`` column) show a sign.
    """
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        unit = str(row[unit_column]) if unit_column and unit_column in frame else ""
        cells = []
        for column in frame.columns:
            value = row[column]
            if isinstance(value, bool | np.bool_):
                cells.append(f"<td>{'yes' if value else 'no'}</td>")
            elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(
                value, bool
            ):
                number = float(value)
                if not math.isfinite(number):
                    cells.append('<td class="n"></td>')
                    continue
                spec = formats.get(str(column)) or number_format(str(column), unit)
                klass = "n"
                if str(column) in signed or str(column).startswith("change"):
                    spec = "+" + spec
                shown = format(round(number), spec) if spec.endswith("d") else format(number, spec)
                cells.append(f'<td class="{klass}">{shown}</td>')
            else:
                text = (
                    ""
                    if value is None or (isinstance(value, float) and math.isnan(value))
                    else str(value)
                )
                cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def html_page(title: str, sections: Sequence[tuple[str, str]], meta: str = "") -> str:
    """One self-contained HTML page: inline CSS, each section a heading and its HTML."""
    parts = [f"<h2>{html.escape(h)}</h2>\n{content}" if h else content for h, content in sections]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        + (f'<p class="meta">{html.escape(meta)}</p>\n' if meta else "")
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def html_image(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="{figure_data_uri(png)}">'


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------
def write_html(comparison: Comparison, path: Path) -> Path:
    """The comparison as one self-contained HTML file."""
    labels = comparison.labels
    sections: list[tuple[str, str]] = [("Runs", html_table(comparison.overview))]
    if comparison.explanation:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in comparison.explanation)
        sections.append(("What drives the difference", f'<ul class="explain">{items}</ul>'))
    for title, png in comparison_plots(comparison).items():
        sections.append((title, html_image(png, title)))
    sections.append(("KPIs", html_table(comparison.kpis, unit_column="unit")))
    sections.append(("Cost parts (CNY/yr)", html_table(comparison.cost_parts)))
    projects = comparison.projects
    sections.append(
        (
            "Projects built (1) or not (0)",
            html_table(projects, formats={label: "d" for label in labels})
            if len(projects)
            else "<p>No candidate project is built in any run.</p>",
        )
    )
    sections.append(
        (
            "Largest changes in flows (delivered per year)",
            html_table(comparison.flow_changes)
            if len(comparison.flow_changes)
            else "<p>No flow differs.</p>",
        )
    )
    if len(comparison.scenario_changes):
        sections.append(("Scenario differences", html_table(comparison.scenario_changes)))
    page = html_page(
        "symbiosis: " + " vs ".join(labels),
        sections,
        meta="Folders: " + "; ".join(str(r.path) for r in comparison.runs),
    )
    path.write_text(page, encoding="utf-8")
    return path


def _excel_format(column: str, unit: str = "") -> str:
    spec = number_format(column, unit)
    return {".2e": "0.00E+00", ".1%": "0.0%", ",.2f": "#,##0.00", "d": "0"}.get(spec, "#,##0")


def write_xlsx(comparison: Comparison, path: Path) -> Path:
    """The comparison as an Excel workbook: one sheet per table, number formats, frozen
    header rows, and charts (total cost per run; cost parts per run)."""
    try:
        from openpyxl import Workbook
        from openpyxl.chart import BarChart, Reference
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError(f"Excel reports need the 'reports' extra (openpyxl): {exc}") from None

    labels = comparison.labels
    wb = Workbook()
    wb.remove(wb.active)
    header_fill = PatternFill("solid", fgColor="DDE5EE")

    def sheet(name: str, frame: pd.DataFrame, unit_column: str | None = None) -> Any:
        ws = wb.create_sheet(name[:31])
        ws.append([str(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for record in frame.itertuples(index=False):
            row = []
            for value in record:
                if isinstance(value, np.integer):
                    value = int(value)
                elif isinstance(value, np.floating | float):
                    value = None if math.isnan(float(value)) else float(value)
                elif isinstance(value, np.bool_):
                    value = bool(value)
                row.append(value)
            ws.append(row)
        units = (
            [str(u) for u in frame[unit_column]] if unit_column and unit_column in frame else None
        )
        for j, column in enumerate(frame.columns, start=1):
            letter = get_column_letter(j)
            width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
            ws.column_dimensions[letter].width = min(60, max(9, width + 2))
            if not pd.api.types.is_numeric_dtype(frame[column]):
                continue
            for i in range(len(frame)):
                unit = units[i] if units else ""
                fmt = (
                    "0"
                    if column in labels and name == "projects"
                    else _excel_format(str(column), unit)
                )
                ws.cell(row=i + 2, column=j).number_format = fmt
        ws.freeze_panes = "B2"
        return ws

    ws = sheet("overview", comparison.overview)
    if len(comparison.overview):
        chart = BarChart()
        chart.title = "Total annual cost"
        chart.y_axis.title = "CNY/yr"
        col = list(comparison.overview.columns).index("objective") + 1
        n = len(comparison.overview)
        chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        chart.legend = None
        ws.add_chart(chart, f"B{n + 4}")
    sheet("kpis", comparison.kpis, unit_column="unit")
    ws = sheet("cost_parts", comparison.cost_parts)
    n = len(comparison.cost_parts)
    if n:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "clustered"
        chart.title = "Cost parts by run"
        chart.y_axis.title = "CNY/yr"
        chart.add_data(
            Reference(ws, min_col=2, max_col=1 + len(labels), min_row=1, max_row=n + 1),
            titles_from_data=True,
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        chart.width, chart.height = 22, 10
        ws.add_chart(chart, f"A{n + 4}")
    sheet("projects", comparison.projects)
    sheet("flow_changes", comparison.flow_changes)
    sheet("scenario_changes", comparison.scenario_changes)
    if comparison.explanation:
        ws = sheet("explanation", pd.DataFrame({"explanation": comparison.explanation}))
        ws.column_dimensions["A"].width = 120
        for row in ws.iter_rows(min_row=2):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    wb.properties.creator = "symbiosis"
    wb.properties.keywords = xlsx_keywords(REPORT_XLSX_KIND)
    wb.save(path)
    return path


def write_csv(comparison: Comparison, path: Path) -> list[Path]:
    """The KPI table at ``path``; the other tables beside it as ``<stem>.<table>.csv`` and
    the explanation (two runs) as ``<stem>.explanation.txt`` (:func:`csv_writers`), written
    as one group (:func:`symbiosis.files.write_file_group`)."""
    return write_file_group(path, REPORT_CSV_KIND, csv_writers(comparison, Path(path).name))


def write_report(comparison: Comparison, out: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write the comparison as ``.xlsx``, ``.html`` or ``.csv`` (chosen by the suffix of
    ``out``); return the files written.

    The report is written aside and moved in whole (:mod:`symbiosis.files`): an existing
    report of the same type is replaced, any other file is never touched (refused with
    :class:`~symbiosis.files.OutputRefused`). A ``.csv`` report is a group of files beside
    ``out`` listed in ``<stem>.manifest.json``.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise InputError(
            [
                Problem(
                    str(out),
                    f"unknown report type {suffix or '(none)'!r}; allowed: "
                    + ", ".join(REPORT_SUFFIXES),
                )
            ],
            "command line",
        )
    if suffix == ".xlsx":
        return [
            write_file(
                out, REPORT_XLSX_KIND, lambda p: write_xlsx(comparison, p), overwrite=overwrite
            )
        ]
    if suffix == ".html":
        return [
            write_file(
                out, REPORT_HTML_KIND, lambda p: write_html(comparison, p), overwrite=overwrite
            )
        ]
    return write_csv(comparison, out)


def csv_writers(comparison: Comparison, name: str) -> dict[str, Callable[[Path], object]]:
    """The files of a CSV report named ``name``: the KPI table as ``name``, the other tables
    as ``<stem>.<table>.csv``, the explanation (two runs) as ``<stem>.explanation.txt``."""
    stem = Path(name).stem

    def frame_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
        return lambda p: frame.to_csv(p, index=False, float_format="%.10g")

    writers: dict[str, Callable[[Path], object]] = {name: frame_writer(comparison.kpis)}
    for table, frame in comparison.tables().items():
        if table not in ("kpis", "explanation"):
            writers[f"{stem}.{table}.csv"] = frame_writer(frame)
    if comparison.explanation:
        text = "\n".join(comparison.explanation) + "\n"
        writers[f"{stem}.explanation.txt"] = lambda p: p.write_text(text, encoding="utf-8")
    return writers


__all__ = [
    "Comparison",
    "RunFolder",
    "compare_runs",
    "comparison_plots",
    "explain",
    "figure_data_uri",
    "figure_png",
    "html_image",
    "html_page",
    "html_table",
    "load_run",
    "load_runs",
    "write_csv",
    "write_html",
    "write_report",
    "write_xlsx",
]
