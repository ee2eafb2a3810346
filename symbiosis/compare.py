"""Portfolios side by side: KPIs, what differs, and why.

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
* ``by_year`` (multi-year runs, scenario ``years``): each year's cost (undiscounted), its
  discounted cost and the amount delivered toward the target, one column per run;
* ``explanation``: for two runs, a few sentences on what drives the cost difference: the
  scenario changes, the cost parts that move most, the projects that differ, the delivered
  amounts and the largest flow shifts.

Multi-year runs are compared year by year: kpis.csv's rows keep their ``year`` (the
horizon's rows have none), ``projects`` gets each multi-year run's build years
(``build year: <run>``), ``flow_changes`` is per year when every run has years, and the
explanation says which projects are built in different years and in which years the cost
moves most.

Written as ``.xlsx``, ``.html`` or ``.csv`` by :func:`symbiosis.report.write_report` (the
analysis is here; pages, plots and workbooks are :mod:`symbiosis.report`'s).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbiosis import units
from symbiosis.errors import InputError, Problem
from symbiosis.results import RunFolder, read_run_folder

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
#: the rows of the ``by_year`` table: summary.json key -> (label, unit)
BY_YEAR_ROWS = {
    "cost_by_year": ("cost", "CNY/yr"),
    "discounted_cost_by_year": ("discounted cost", "CNY"),
    "delivered_by_year": ("delivered toward the target", "t/yr"),
}
BY_YEAR_KEY = ["kpi", "year", "unit"]


# --------------------------------------------------------------------------------------------
# Reading run folders
# --------------------------------------------------------------------------------------------
def load_run(path: str | Path) -> RunFolder:
    """Read a run folder (:func:`symbiosis.results.read_run_folder`, the one reader).

    Parameters
    ----------
    path : str or pathlib.Path
        The run folder.

    Returns
    -------
    symbiosis.results.RunFolder
        The run as read back.
    """
    return read_run_folder(path)


def load_runs(paths: Sequence[str | Path]) -> list[RunFolder]:
    """Read several run folders (every problem reported at once); labels made unique (a
    repeated scenario name gets its folder's name appended).

    Parameters
    ----------
    paths : sequence of str or pathlib.Path
        The run folders.

    Returns
    -------
    list of symbiosis.results.RunFolder
        The runs, in the order given.

    Raises
    ------
    InputError
        Every folder that is not a readable run folder.
    """
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
    by_year: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BY_YEAR_KEY))

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The comparison's tables.

        Returns
        -------
        dict
            Name -> table, in report order (``explanation`` last, for two runs).
        """
        out = {
            "overview": self.overview,
            "kpis": self.kpis,
            "cost_parts": self.cost_parts,
            "projects": self.projects,
            "flow_changes": self.flow_changes,
            "scenario_changes": self.scenario_changes,
        }
        if len(self.by_year):
            out["by_year"] = self.by_year
        if self.explanation:
            out["explanation"] = pd.DataFrame({"explanation": self.explanation})
        return out


def _overview(runs: list[RunFolder]) -> pd.DataFrame:
    rows = []
    for run in runs:
        s = run.summary
        network = run.manifest.get("network") or {}
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
                # the network's shape (symbiosis.graph, in the manifest)
                "supply_facility_links": network.get("links"),
                "supply_rows_out_of_reach": network.get("stranded_supply_rows"),
                "folder": str(run.path),
            }
        )
    frame = pd.DataFrame(rows)
    if any(r.years for r in runs):
        frame.insert(2, "years", [_years_text(r.years) for r in runs])
        frame.insert(3, "foresight", [r.summary.get("foresight") or "" for r in runs])
    for column in (
        "objective",
        "mip_gap",
        "delivered_target_t",
        "co2_avoided_t",
        "capex_built",
        "projects_built",
        "target_shadow_price_cny_per_t",
        "supply_facility_links",
        "supply_rows_out_of_reach",
    ):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _years_text(years: list[int]) -> str:
    """A run's years as the overview shows them: ``2026-2030 (5)``, "" for one period."""
    if not years:
        return ""
    return f"{years[0]}-{years[-1]} ({len(years)})" if len(years) > 1 else str(years[0])


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
    """Every KPI, one column per run; with multi-year runs a first column ``year`` (the
    horizon's rows and single-period runs' rows have none)."""
    labels = [r.label for r in runs]
    by_year = any("year" in r.kpis.columns for r in runs)
    order: dict[tuple[Any, ...], int] = {}
    values: dict[str, dict[tuple[Any, ...], float]] = {}
    for run in runs:
        got: dict[tuple[Any, ...], float] = {}
        if len(run.kpis):
            kpis = run.kpis if "year" in run.kpis.columns else run.kpis.assign(year=np.nan)
            for year, kpi, key, unit, value in kpis[
                ["year", "kpi", "key", "unit", "value"]
            ].itertuples(index=False):
                if kpi == "project_capex":
                    continue  # the projects table has them
                where: tuple[Any, ...] = (str(kpi), str(key), str(unit))
                if by_year:
                    where = (None if pd.isna(year) else int(year), *where)
                order.setdefault(where, len(order))
                got[where] = float(value)
        values[run.label] = got
    keys = sorted(order, key=order.__getitem__)
    columns = ["kpi", "key", "unit"]
    frame = pd.DataFrame(keys, columns=["year", *columns] if by_year else columns)
    if by_year:
        frame["year"] = pd.to_numeric(frame["year"], errors="coerce")  # float, NaN: none
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
    build_years = [f"build year: {r.label}" for r in runs if r.years]
    for row in rows:
        for run in runs:
            if run.years:
                row[f"build year: {run.label}"] = run.build_years.get(row["facility"], np.nan)
    frame = pd.DataFrame(rows, columns=[*columns, *labels, *build_years, "in"])
    if len(frame):
        frame["_differs"] = frame["in"] != "all"
        frame["_capex"] = pd.to_numeric(frame["capex"], errors="coerce").fillna(0.0)
        frame = frame.sort_values(["_differs", "_capex"], ascending=[False, False])
        frame = frame.drop(columns=["_differs", "_capex"]).reset_index(drop=True)
    return frame


def _flow_changes(runs: list[RunFolder], top: int) -> pd.DataFrame:
    """The largest changes in delivered amounts per flow key (and year, when every run has
    years; otherwise a multi-year run's flows are summed over its years)."""
    labels = [r.label for r in runs]
    pieces = []
    unit_of: dict[tuple[str, ...], str] = {}
    key_columns = ["year", *FLOW_KEY] if all("year" in r.flows.columns for r in runs) else FLOW_KEY
    for run in runs:
        flows = run.flows
        if not len(flows) or "delivered" not in flows:
            continue
        grouped = flows.groupby(key_columns, sort=False)["delivered"].sum().rename(run.label)
        pieces.append(grouped)
        if "unit" in flows:
            for key, unit in zip(
                flows[FLOW_KEY].itertuples(index=False, name=None), flows["unit"], strict=True
            ):
                unit_of.setdefault(tuple(str(k) for k in key), str(unit))
    if not pieces:
        return pd.DataFrame(columns=[*key_columns, "unit", *labels])
    frame = pd.concat(pieces, axis=1).reset_index()
    for run in runs:
        if run.label not in frame:
            frame[run.label] = np.nan
        if run.solved:
            frame[run.label] = frame[run.label].fillna(0.0)
    frame.insert(
        len(key_columns),
        "unit",
        [
            unit_of.get(tuple(str(k) for k in key), "")
            for key in frame[FLOW_KEY].itertuples(index=False, name=None)
        ],
    )
    frame = _change_columns(frame, labels)
    if len(labels) > 1:
        changes = frame[[f"change: {label}" for label in labels[1:]]].abs().max(axis=1)
        changed = changes > 1e-6  # (assigning all of ``changes`` to none left makes NaN rows)
        frame = frame.loc[changed].assign(_size=changes.loc[changed])
        frame = frame.sort_values("_size", ascending=False).drop(columns="_size")
    else:
        frame = frame.sort_values(labels[0], ascending=False)
    return frame.head(top).reset_index(drop=True)


def _by_year(runs: list[RunFolder]) -> pd.DataFrame:
    """Multi-year runs' figures per year side by side (:data:`BY_YEAR_ROWS`): one row per
    figure and year of any run, one column per run (empty where a run has no such year; a
    single-period run's column is empty), changes against the first run. Empty without
    multi-year runs."""
    labels = [r.label for r in runs]
    if not any(r.years for r in runs):
        return pd.DataFrame(columns=[*BY_YEAR_KEY, *labels])
    years = sorted({y for r in runs for y in r.years})
    rows = []
    for key, (label, unit) in BY_YEAR_ROWS.items():
        for year in years:
            row: dict[str, Any] = {"kpi": label, "year": float(year), "unit": unit}
            for run in runs:
                value = (run.summary.get(key) or {}).get(str(year))
                row[run.label] = np.nan if value is None else float(value)
            rows.append(row)
    return _change_columns(pd.DataFrame(rows, columns=[*BY_YEAR_KEY, *labels]), labels)


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
        bits.append(f"capex {units.money(float(capex))} CNY")
    return f"{fid} ({', '.join(bits)})" if bits else fid


def explain(comparison: Comparison) -> list[str]:
    """A short written account of what drives the cost difference between two runs.

    Parameters
    ----------
    comparison : Comparison
        The runs side by side; the first two are explained (the second against the first).

    Returns
    -------
    list of str
        Sentences: the cost difference, the scenario changes, the cost parts that move most,
        the projects that differ, the delivered amounts and the largest flow shifts (or why
        a run without a solution cannot be compared).
    """
    a, b = comparison.runs[:2]
    if not (a.solved and b.solved):
        bad = [r for r in (a, b) if not r.solved]
        return [
            f"{r.label} has no solution (status {r.summary.get('status')}), so the costs "
            "cannot be compared." + _diagnosis_sentence(r)
            for r in bad
        ]
    out = [_cost_sentence(a, b)]
    ca, cb = float(a.summary["objective"]), float(b.summary["objective"])
    diff = cb - ca
    mixed = bool(a.years) != bool(b.years)
    money = "CNY" if a.years and b.years else "CNY/yr"
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
    if len(parts) and abs(diff) >= 0.5 and not mixed:
        delta = (parts[b.label].astype(float) - parts[a.label].astype(float)).to_numpy()
        order = np.argsort(-np.abs(delta))
        drivers = []
        for i in order[:4]:
            if abs(delta[i]) < max(0.01 * abs(diff), 0.5):
                break
            part = str(parts["part"].iloc[i])
            label = COST_PART_LABELS.get(part, part)
            drivers.append(f"{label} {units.signed(float(delta[i]))}")
        if drivers:
            out.append("The difference comes mostly from " + ", ".join(drivers) + f" {money}.")
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
    out += _years_sentences(comparison, a, b)
    da, db = a.summary.get("delivered_target_t"), b.summary.get("delivered_target_t")
    if da is not None and db is not None and abs(db - da) > 1e-6 and not mixed:
        over = "over the horizon" if a.years else "per year"
        out.append(
            f"Delivered toward the target: {units.amount(da)} → {units.amount(db)} {over} "
            f"({'+' if db > da else '-'}{units.amount(abs(db - da))})."
        )
    ea, eb = a.summary.get("co2_avoided_t"), b.summary.get("co2_avoided_t")
    if ea is not None and eb is not None and abs(eb - ea) > 1e-6:
        out.append(f"CO2 avoided: {units.money(ea)} → {units.money(eb)} t/yr.")
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
            (f"{int(r['year'])}: " if "year" in flows else "")
            + f"{r['from_site']} → {r['facility']} ({r['stream']}, {r['mode']}) "
            f"{units.signed(float(r[column]), str(r.get('unit', '')))}"
            for _, r in flows.head(3).iterrows()
        ]
        out.append("Largest changes in flows (delivered per year): " + "; ".join(shifts) + ".")
    return out


def _cost_sentence(a: RunFolder, b: RunFolder) -> str:
    """How much more ``b`` costs than ``a``: per year for single-period runs, discounted
    over the horizon for multi-year ones, and not compared when only one has years."""
    if bool(a.years) != bool(b.years):
        multi, single = (a, b) if a.years else (b, a)
        return (
            f"{multi.label} is a multi-year run ({_years_text(multi.years)}; its cost is the "
            f"discounted total, {units.money(float(multi.summary['objective']))} CNY) and "
            f"{single.label} a single-period one "
            f"({units.money(float(single.summary['objective']))} CNY/yr): their costs are not "
            "on the same footing."
        )
    money = "CNY/yr"
    if a.years:
        money = f"CNY, discounted over {_years_text(a.years)}"
        if a.years != b.years:
            money += f" and {_years_text(b.years)}"
    ca, cb = float(a.summary["objective"]), float(b.summary["objective"])
    diff = cb - ca
    pct = f" ({diff / abs(ca):+.1%})" if ca else ""
    if abs(diff) < 0.5:
        return f"{b.label} and {a.label} cost the same: {units.money(ca)} {money}."
    more = "more" if diff > 0 else "less"
    return (
        f"{b.label} costs {units.money(abs(diff))} {money.split(',')[0]} {more} than "
        f"{a.label}{pct}: {units.money(cb)} against {units.money(ca)} {money}."
    )


def _years_sentences(comparison: Comparison, a: RunFolder, b: RunFolder) -> list[str]:
    """Two multi-year runs: the projects both build in different years, and the years whose
    (undiscounted) cost moves most."""
    if not (a.years and b.years):
        return []
    out = []
    ya, yb = a.build_years, b.build_years
    moved = [f"{p} {ya[p]} → {yb[p]}" for p in sorted(set(ya) & set(yb)) if ya[p] != yb[p]]
    if moved:
        out.append(f"Built in different years ({a.label} → {b.label}): " + ", ".join(moved) + ".")
    costs = comparison.by_year
    column = f"change: {b.label}"
    if len(costs) and column in costs:
        rows = costs.loc[(costs["kpi"] == "cost") & costs[column].notna()]
        rows = rows.loc[rows[column].abs() >= 0.5]
        top = rows.reindex(rows[column].abs().sort_values(ascending=False).index).head(3)
        if len(top):
            out.append(
                "The yearly cost (undiscounted) moves most in "
                + ", ".join(
                    f"{int(y)} ({units.signed(float(c))} CNY/yr)"
                    for y, c in zip(top["year"], top[column], strict=True)
                )
                + "."
            )
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
    runs : sequence of str, pathlib.Path or symbiosis.results.RunFolder
        Two or more run folders (one is allowed: the report then shows it alone).
    top_flows : int
        How many of the largest flow changes to keep.

    Returns
    -------
    Comparison
        The tables, and the explanation when two runs are compared.
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
        by_year=_by_year(loaded),
    )
    if len(loaded) == 2:
        comparison.explanation = explain(comparison)
    return comparison


__all__ = [
    "Comparison",
    "RunFolder",
    "compare_runs",
    "explain",
    "load_run",
    "load_runs",
]
