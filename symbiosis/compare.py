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
  values differ between runs (from each ``manifest.json``; a key empty in one run and absent
  in another is no difference; the case folder by its last folders, never absolute), each
  value as JSON (:func:`scenario_label` and :func:`scenario_value` put them in words);
* ``by_year`` (multi-year runs, scenario ``years``): each year's cost (undiscounted), its
  discounted cost and the amount delivered toward the target, one column per run;
* ``explanation``: for two runs, a few sentences on what drives the cost difference: the
  scenario changes, the cost parts that move most, the projects that differ, the delivered
  amounts and the largest flow shifts; in the current language (:mod:`symbiosis.i18n`) and
  in words, never raw JSON, things named by their cases' names in that language
  (``Comparison.names``; ids in English).

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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbiosis import units
from symbiosis.case import load_case, names
from symbiosis.case.words import mode_label, tech_label
from symbiosis.errors import InputError, Problem
from symbiosis.i18n import N_, _, current_language, ngettext, shown
from symbiosis.results import RunFolder, read_run_folder

FLOW_KEY = ["from_site", "facility", "to_site", "stream", "mode"]
#: cost parts (summary.json's ``cost_parts``) as reports name them (translated where shown)
COST_PART_LABELS = {
    "capex_annualised": N_("annualised investment"),
    "fixed_opex": N_("fixed operating cost"),
    "transport": N_("transport"),
    "links": N_("links opened"),
    "processing": N_("processing net of product value"),
    "disposal": N_("disposal of waste left unused"),
    "env_tax": N_("environmental tax on waste left unused"),
    "stock_left": N_("stockpiles left in place"),
}
#: Scenario keys not worth reporting as differences.
IGNORED_SCENARIO_KEYS = ("name", "solver.", "extends")
#: Scenario keys whose values are paths: shown by their last folders, never absolute.
PATH_SCENARIO_KEYS = ("case",)
#: Scenario keys as reports name them, and how their values read (:func:`scenario_value`)
SCENARIO_KEYS: dict[str, tuple[str, str]] = {
    "target.total": (N_("total target"), "t/yr"),
    "target.penalty": (N_("penalty per unit of target missed"), "CNY/unit"),
    "target.co2_avoided": (N_("least CO2 avoided"), "t/yr"),
    "limits.max_new_facilities": (N_("most new projects"), "count"),
    "limits.capex_budget": (N_("investment budget"), "CNY"),
    "discount_rate": (N_("discount rate"), "percent"),
    "years": (N_("years"), "list"),
    "foresight": (N_("foresight"), "word"),
    "case": (N_("case data"), "text"),
    "overrides.force_build": (N_("projects forced to be built"), "list"),
    "overrides.forbid": (N_("projects forbidden"), "list"),
    "overrides.disable_modes": (N_("transport modes disabled"), "list"),
    "overrides.set": (N_("row changes"), "rules"),
}
#: Scenario keys named by a pattern: (pattern, how reports name it with its ``{name}``,
#: how its values read, the kind of thing ``{name}`` is: its name is shown where known)
SCENARIO_KEY_PATTERNS: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (
        re.compile(r"^target\.streams\.(?P<name>.+)\.amount$"),
        N_("target for {name}"),
        "number",
        "stream",
    ),
    (
        re.compile(r"^target\.streams\.(?P<name>.+)\.share$"),
        N_("share of {name} to deliver"),
        "percent",
        "stream",
    ),
    (
        re.compile(r"^target\.prefectures\.(?P<name>.+)\.amount$"),
        N_("target for the prefecture {name}"),
        "t/yr",
        "prefecture",
    ),
    (
        re.compile(r"^target\.prefectures\.(?P<name>.+)\.share$"),
        N_("share of the prefecture {name}'s supply to deliver"),
        "percent",
        "prefecture",
    ),
    (re.compile(r"^overrides\.scale\.(?P<name>.+)$"), N_("scale factor of {name}"), "factor", ""),
    (re.compile(r"^input file (?P<name>.+)$"), N_("input file {name}"), "checksum", ""),
)
#: A year at the end of a scenario key (a per-year target or limit: ``target.total.2027``)
YEAR_SUFFIX = re.compile(r"^(?P<key>.+)\.(?P<year>\d{4})$")
#: units as reports write them: each word translated (``CNY/yr`` -> 元/年), symbols kept
UNIT_WORDS = {
    "CNY": N_("CNY"),
    "yr": N_("yr"),
    "count": N_("count"),
    "unit": N_("unit"),
}
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
    #: kind (``stream``, ``site``, ``facility``, ``park``, ``prefecture``) -> id -> the name
    #: to show in the current language where it is not English: the runs' cases' Chinese
    #: names (:func:`case_names`); empty in English, where reports show ids
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]

    def stream_unit(self, stream: str) -> str | None:
        """The unit a stream is measured in (``t``, ``MWh``), from the KPIs' delivered
        amounts (None for a stream no run delivers).

        Parameters
        ----------
        stream : str
            The stream's id.

        Returns
        -------
        str or None
            The unit, without ``/yr``.
        """
        rows = self.kpis.loc[
            (self.kpis["kpi"] == "delivered_by_stream") & (self.kpis["key"] == stream), "unit"
        ]
        return str(rows.iloc[0]).split("/")[0] if len(rows) else None

    def name(self, kind: str, ident: Any) -> str:
        """What a report calls a stream, site, facility, park or prefecture.

        Parameters
        ----------
        kind : str
            ``stream``, ``site``, ``facility``, ``park`` or ``prefecture``.
        ident : Any
            Its id (a prefecture's id is its English name).

        Returns
        -------
        str
            Its name in the current language from :attr:`names`, else the id itself.
        """
        text = "" if ident is None else str(ident)
        return self.names.get(kind, {}).get(text, text)

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


#: the overview table's columns, in order (``years`` and ``foresight`` only when a run has
#: years); the web app's compare page names them from this tuple
OVERVIEW_COLUMNS: tuple[str, ...] = (
    "run",
    "status",
    "years",
    "foresight",
    "objective",
    "mip_gap",
    "delivered_target_t",
    "co2_avoided_t",
    "capex_built",
    "projects_built",
    "built",
    "target_shadow_price_cny_per_t",
    "supply_facility_links",
    "supply_rows_out_of_reach",
    "folder",
)
#: the overview's columns that are not numbers
_OVERVIEW_TEXT = ("run", "status", "years", "foresight", "built", "folder")


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
    for column in OVERVIEW_COLUMNS:
        if column not in _OVERVIEW_TEXT:
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


def _unset(value: Any) -> bool:
    """No value: None, or an empty text, list or mapping (``overrides.scale: {}`` and no
    ``overrides`` at all say the same thing)."""
    return value is None or (isinstance(value, str | list | dict | tuple) and not value)


def _short_paths(values: list[Any]) -> list[Any]:
    """Paths by their last folders (``tiny/case``): as many as tell them apart, at least
    two, never the root; other values as they are."""
    parts = [
        Path(v).parts[1:] if Path(v).is_absolute() else Path(v).parts
        for v in (v if isinstance(v, str) and v else "" for v in values)
    ]
    distinct = {p for p in parts if p}
    n = 2
    while n < max(map(len, distinct), default=0) and len({p[-n:] for p in distinct}) < len(
        distinct
    ):
        n += 1
    return ["/".join(p[-n:]) if p else v for p, v in zip(parts, values, strict=True)]


def scenario_differences(runs: Sequence[RunFolder]) -> list[tuple[str, list[Any]]]:
    """The scenario keys whose resolved values differ between runs (each run's
    ``manifest.json``), and the input files whose checksums differ (``input file <name>``:
    the first 12 hex digits, None where absent).

    A key set to None in one run and to an empty list or mapping in another (both: not
    set) is no difference; :data:`IGNORED_SCENARIO_KEYS` are left out; paths
    (:data:`PATH_SCENARIO_KEYS`) are given by their last folders, never absolute.

    Parameters
    ----------
    runs : sequence of symbiosis.results.RunFolder
        The runs, in the comparison's order.

    Returns
    -------
    list of (str, list)
        The key (dotted, as the scenario YAML nests it) and its value in each run.
    """
    flat = [_flatten(r.manifest.get("scenario") or {}) for r in runs]
    keys: list[str] = []
    for f in flat:
        keys += [k for k in f if k not in keys]
    rows: list[tuple[str, list[Any]]] = []
    for key in keys:
        if any(key == ig or key.startswith(ig) for ig in IGNORED_SCENARIO_KEYS):
            continue
        values = [f.get(key) for f in flat]
        shown = {
            json.dumps(None if _unset(v) else v, ensure_ascii=False, default=str, sort_keys=True)
            for v in values
        }
        if len(shown) > 1:
            rows.append((key, _short_paths(values) if key in PATH_SCENARIO_KEYS else values))
    # input files whose checksums differ (same scenario, changed data)
    inputs = [r.manifest.get("inputs") or {} for r in runs]
    by_name: list[dict[str, str]] = [{Path(p).name: h for p, h in i.items()} for i in inputs]
    names: list[str] = []
    for i in by_name:
        names += [n for n in i if n not in names and not n.endswith((".yaml", ".yml"))]
    for name in names:
        hashes = [i.get(name) for i in by_name]
        if len(set(hashes)) > 1:
            rows.append((f"input file {name}", [h[:12] if h else None for h in hashes]))
    return rows


def _scenario_changes(runs: list[RunFolder]) -> pd.DataFrame:
    """:func:`scenario_differences` as a table: ``key`` and each run's value as JSON (an
    input file's checksum as its first 12 hex digits, or ``absent``)."""
    rows = []
    for key, values in scenario_differences(runs):
        if key.startswith("input file "):
            shown = [v if v else "absent" for v in values]
        else:
            shown = [json.dumps(v, ensure_ascii=False, default=str) for v in values]
        rows.append({"key": key, **{r.label: v for r, v in zip(runs, shown, strict=True)}})
    return pd.DataFrame(rows, columns=["key", *[r.label for r in runs]])


def unit_text(unit: str) -> str:
    """A unit as reports write it, in the current language: its words translated
    (:data:`UNIT_WORDS`: ``CNY/yr`` -> ``元/年``), symbols kept (``t``, ``MWh``).

    Parameters
    ----------
    unit : str
        A unit of kpis.csv or flows.csv (``CNY/yr``, ``t/yr``, ``MWh/yr``, ``CNY/t``,
        ``count``, ``CNY``), or empty.

    Returns
    -------
    str
        The unit to show.
    """
    return "/".join(_(UNIT_WORDS[p]) if p in UNIT_WORDS else p for p in str(unit).split("/"))


def cost_part_label(part: str) -> str:
    """A cost part (``capex_annualised``) in words, in the current language.

    Parameters
    ----------
    part : str
        A key of summary.json's ``cost_parts``.

    Returns
    -------
    str
        Its label (:data:`COST_PART_LABELS`), or ``part`` itself for one not listed.
    """
    return _(COST_PART_LABELS[part]) if part in COST_PART_LABELS else str(part)


def _scenario_key(
    key: str, names: Mapping[str, Mapping[str, str]] | None = None
) -> tuple[str, str, str]:
    """(the label, how values read, the stream it is about or "") of a scenario key
    (:data:`SCENARIO_KEYS`, the patterns, a year at the end); an unknown key is named as it
    is. A stream or prefecture is named by ``names`` (kind -> id -> name) where known."""
    year = YEAR_SUFFIX.match(key)
    if year is not None and not key.startswith("input file "):
        label, kind, stream = _scenario_key(year["key"], names)
        return _("{what} in {year}").format(what=label, year=year["year"]), kind, stream
    if key in SCENARIO_KEYS:
        label, kind = SCENARIO_KEYS[key]
        return _(label), kind, ""
    for pattern, label, kind, thing in SCENARIO_KEY_PATTERNS:
        match = pattern.match(key)
        if match is not None:
            ident = match["name"]
            shown = (names or {}).get(thing, {}).get(ident, ident)
            return _(label).format(name=shown), kind, ident if thing == "stream" else ""
    return key, "value", ""


def scenario_label(key: str, names: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """A scenario key (``overrides.forbid``) in words, in the current language.

    Parameters
    ----------
    key : str
        A key of :func:`scenario_differences` (dotted as the scenario YAML nests it).
    names : mapping, optional
        Kind -> id -> name (:attr:`Comparison.names`): streams and prefectures named so.

    Returns
    -------
    str
        ``projects forbidden``, ``total target in 2027``, ``scale factor of
        facilities.capex``, ``target for 磷石膏`` ...; a key not known is given as it is.
    """
    return _scenario_key(key, names)[0]


def describe_setting(
    comparison: Comparison, key: str, values: Sequence[Any]
) -> tuple[str, list[str]]:
    """A scenario setting that differs, in words: what it is and its value in each run.

    Parameters
    ----------
    comparison : Comparison
        The runs (their things' names, their streams' units).
    key : str
        A key of :func:`scenario_differences`.
    values : sequence
        Its value in each run.

    Returns
    -------
    tuple of (str, list of str)
        :func:`scenario_label` and each :func:`scenario_value` (a stream's target with the
        stream's unit).
    """
    label, _kind, stream = _scenario_key(key, comparison.names)
    unit = comparison.stream_unit(stream) if stream else None
    return label, [scenario_value(key, v, unit) for v in values]


def _number(value: float) -> str:
    """A number with thousands separators, its decimals kept (``1,234,567``, ``1.2``)."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"


def _plain(value: Any) -> str:
    """Any scenario value in words: no braces, brackets, quotes or ``null``."""
    if _unset(value):
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return _number(float(value))
    if isinstance(value, list | tuple):
        return _(", ").join(_plain(v) for v in value)
    if isinstance(value, dict):
        return _("; ").join(f"{k} = {_plain(v)}" for k, v in value.items())
    return str(value)


def _rule(rule: Any) -> str:
    """One ``overrides.set`` rule in words: ``facilities: capex = 1.2 where facility = P2``."""
    if not isinstance(rule, dict):
        return _plain(rule)
    values = _(", ").join(f"{k} = {_plain(v)}" for k, v in (rule.get("values") or {}).items())
    where = _(" and ").join(f"{k} = {_plain(v)}" for k, v in (rule.get("where") or {}).items())
    table = str(rule.get("table", ""))
    if where:
        return _("{table}: {values} where {where}").format(table=table, values=values, where=where)
    return _("{table}: {values} in every row").format(table=table, values=values)


def scenario_value(key: str, value: Any, unit: str | None = None) -> str:
    """A scenario key's value in words, in the current language (what a report shows).

    Parameters
    ----------
    key : str
        The key (:func:`scenario_differences`): it decides the unit and form.
    value : Any
        Its value in one run (None: not set).
    unit : str, optional
        The unit of a stream's target (``t``, ``MWh``): shown per year.

    Returns
    -------
    str
        ``none``, ``0.900 Mt/yr``, ``6%``, ``×1.2``, ``P1, P2``, ``facilities: capex = 1
        where facility = P2``, ``checksum 0a1b2c3d4e5f`` ...: never raw JSON.
    """
    kind = _scenario_key(key)[1]
    if _unset(value):
        return _("absent") if kind == "checksum" else _("none")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and (kind == "t/yr" or (kind == "number" and unit)):
        return _("{amount}/yr").format(amount=units.amount(float(value), unit or "t"))
    if number and kind == "CNY":
        return _("{amount} CNY").format(amount=units.money(float(value)))
    if number and kind == "CNY/unit":
        return _("{amount} CNY per unit").format(amount=_number(float(value)))
    if number and kind == "percent":
        return f"{float(value) * 100:.4g}%"
    if number and kind == "factor":
        return f"×{float(value):g}"
    if kind == "word":
        return _(str(value))
    if kind == "rules" and isinstance(value, list):
        return _("; ").join(_rule(r) for r in value)
    if kind == "checksum":
        return _("checksum {digits}").format(digits=value)
    return _plain(value)


# --------------------------------------------------------------------------------------------
# The written explanation (two runs)
# --------------------------------------------------------------------------------------------
def _words(ident: Any, label: Callable[[Any], str]) -> str:
    """A tech or mode id in words (:mod:`symbiosis.case.words`) where the language is not
    English; in English the id, as the explanation names things (:meth:`Comparison.name`)."""
    return str(ident) if current_language() == "en" else label(ident)


def _describe_project(comparison: Comparison, fid: str) -> str:
    """A project by its name (its id in English), with its id, tech (in words; its id in
    English, as the name), prefecture and capex."""
    projects = comparison.projects
    name = comparison.name("facility", fid)
    bits = [fid] if name != fid else []
    row = projects.loc[projects["facility"] == fid]
    if len(row):
        r = row.iloc[0]
        if isinstance(r.get("tech"), str) and r.get("tech"):
            bits.append(_words(r["tech"], tech_label))
        if isinstance(r.get("prefecture"), str) and r.get("prefecture"):
            bits.append(comparison.name("prefecture", r["prefecture"]))
        capex = r.get("capex")
        if capex is not None and not (isinstance(capex, float) and math.isnan(capex)):
            bits.append(_("capex {amount} CNY").format(amount=units.money(float(capex))))
    if not bits:
        return name
    return _("{project} ({details})").format(project=name, details=_(", ").join(bits))


def explain(comparison: Comparison) -> list[str]:
    """A short written account of what drives the cost difference between two runs, in the
    current language and in words (no raw values: a scenario change is named and its values
    written with their units, :func:`scenario_label` and :func:`scenario_value`).

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
        return [
            _("{run} has no solution (status {status}), so the costs cannot be compared.").format(
                run=r.label, status=_(str(r.summary.get("status")))
            )
            + _diagnosis_sentence(r)
            for r in (a, b)
            if not r.solved
        ]
    return [
        _cost_sentence(a, b),
        *_scenario_sentence(comparison, a, b),
        *_driver_sentence(comparison, a, b),
        *_project_sentences(comparison, a, b),
        *_years_sentences(comparison, a, b),
        *_figure_sentences(a, b),
        *_flow_sentence(comparison, b),
    ]


def _scenario_sentence(comparison: Comparison, a: RunFolder, b: RunFolder) -> list[str]:
    """What the two runs' scenarios set differently, in words (at most six settings)."""
    changes = scenario_differences([a, b])
    if not changes:
        return []
    most = 6
    shown = []
    for key, values in changes[:most]:
        what, (first, second) = describe_setting(comparison, key, values)
        shown.append(
            _("{what}: {first} in {run}, {second} in {other}").format(
                what=what, first=first, run=a.label, second=second, other=b.label
            )
        )
    text = _("; ").join(shown)
    if len(changes) > most:
        more = len(changes) - most
        text += ngettext(
            "; and {count} more difference", "; and {count} more differences", more
        ).format(count=more)
    return [_("The scenarios differ: {changes}.").format(changes=text)]


def _driver_sentence(comparison: Comparison, a: RunFolder, b: RunFolder) -> list[str]:
    """The cost parts that move most (none when only one run has years)."""
    diff = float(b.summary["objective"]) - float(a.summary["objective"])
    parts = comparison.cost_parts
    parts = parts.loc[parts["part"] != "total"]
    if not len(parts) or abs(diff) < 0.5 or bool(a.years) != bool(b.years):
        return []
    delta = (parts[b.label].astype(float) - parts[a.label].astype(float)).to_numpy()
    drivers = []
    for i in np.argsort(-np.abs(delta))[:4]:
        if abs(delta[i]) < max(0.01 * abs(diff), 0.5):
            break
        label = cost_part_label(str(parts["part"].iloc[i]))
        drivers.append(f"{label} {units.signed(float(delta[i]))}")
    if not drivers:
        return []
    money = unit_text("CNY" if a.years and b.years else "CNY/yr")
    return [
        _("The difference comes mostly from {parts} {unit}.").format(
            parts=_(", ").join(drivers), unit=money
        )
    ]


def _project_sentences(comparison: Comparison, a: RunFolder, b: RunFolder) -> list[str]:
    """The projects one run builds and the other does not (or that both build the same)."""
    out = []
    for run, other in ((b, a), (a, b)):
        only = [p for p in run.built if p not in other.built]
        if only:
            out.append(
                _("{run} builds {projects}, which {other} does not.").format(
                    run=run.label,
                    projects=_(", ").join(_describe_project(comparison, p) for p in only),
                    other=other.label,
                )
            )
    if not out:
        if a.built:
            out.append(
                _("Both build the same projects: {projects}.").format(
                    projects=_(", ").join(comparison.name("facility", p) for p in a.built)
                )
            )
        else:
            out.append(_("Both build the same projects."))
    return out


def _figure_sentences(a: RunFolder, b: RunFolder) -> list[str]:
    """Delivered toward the target, CO2 avoided and the total target's shadow price, where
    they differ."""
    out = []
    da, db = a.summary.get("delivered_target_t"), b.summary.get("delivered_target_t")
    if da is not None and db is not None and abs(db - da) > 1e-6 and bool(a.years) == bool(b.years):
        message = (
            _("Delivered toward the target: {first} → {second} over the horizon ({change}).")
            if a.years
            else _("Delivered toward the target: {first} → {second} per year ({change}).")
        )
        change = ("+" if db > da else "-") + units.amount(abs(db - da))
        out.append(message.format(first=units.amount(da), second=units.amount(db), change=change))
    ea, eb = a.summary.get("co2_avoided_t"), b.summary.get("co2_avoided_t")
    if ea is not None and eb is not None and abs(eb - ea) > 1e-6:
        out.append(
            _("CO2 avoided: {first} → {second} t/yr.").format(
                first=units.money(ea), second=units.money(eb)
            )
        )
    pa = a.summary.get("target_shadow_price_cny_per_t")
    pb = b.summary.get("target_shadow_price_cny_per_t")
    if pa is not None and pb is not None and abs(pa - pb) > 1e-6:
        out.append(
            _(
                "The marginal cost of one more tonne toward the total target (shadow price at "
                "the chosen portfolio): {first} → {second} CNY/t."
            ).format(first=f"{pa:,.2f}", second=f"{pb:,.2f}")
        )
    return out


def _flow_sentence(comparison: Comparison, b: RunFolder) -> list[str]:
    """The three largest changes in flows."""
    flows = comparison.flow_changes
    column = f"change: {b.label}"
    if not len(flows) or column not in flows:
        return []
    shifts = []
    for r in flows.head(3).to_dict("records"):
        shift = _("{source} → {facility} ({stream}, {mode}) {change}").format(
            source=comparison.name("site", r["from_site"]),
            facility=comparison.name("facility", r["facility"]),
            stream=comparison.name("stream", r["stream"]),
            mode=_words(r["mode"], mode_label),
            change=units.signed(float(r[column]), unit_text(str(r.get("unit", "")))),
        )
        if "year" in flows:
            shift = _("{year}: {shift}").format(year=int(r["year"]), shift=shift)
        shifts.append(shift)
    return [
        _("Largest changes in flows (delivered per year): {shifts}.").format(
            shifts=_("; ").join(shifts)
        )
    ]


def _cost_sentence(a: RunFolder, b: RunFolder) -> str:
    """How much more ``b`` costs than ``a``: per year for single-period runs, discounted
    over the horizon for multi-year ones, and not compared when only one has years."""
    if bool(a.years) != bool(b.years):
        multi, single = (a, b) if a.years else (b, a)
        return _(
            "{multi} is a multi-year run ({years}; its cost is the discounted total, {cost} "
            "CNY) and {single} a single-period one ({single_cost} CNY/yr): their costs are "
            "not on the same footing."
        ).format(
            multi=multi.label,
            years=_years_text(multi.years),
            cost=units.money(float(multi.summary["objective"])),
            single=single.label,
            single_cost=units.money(float(single.summary["objective"])),
        )
    unit = unit_text("CNY/yr")
    money = unit
    if a.years:
        unit = unit_text("CNY")
        money = _("CNY, discounted over {years}").format(years=_years_text(a.years))
        if a.years != b.years:
            money = _("CNY, discounted over {years} and {other}").format(
                years=_years_text(a.years), other=_years_text(b.years)
            )
    ca, cb = float(a.summary["objective"]), float(b.summary["objective"])
    diff = cb - ca
    if abs(diff) < 0.5:
        return _("{run} and {other} cost the same: {cost} {unit}.").format(
            run=b.label, other=a.label, cost=units.money(ca), unit=money
        )
    message = (
        _(
            "{run} costs {change} {unit} more than {other}{share}: {cost} against {other_cost} "
            "{money}."
        )
        if diff > 0
        else _(
            "{run} costs {change} {unit} less than {other}{share}: {cost} against {other_cost} "
            "{money}."
        )
    )
    return message.format(
        run=b.label,
        change=units.money(abs(diff)),
        unit=unit,
        other=a.label,
        share=_(" ({change})").format(change=f"{diff / abs(ca):+.1%}") if ca else "",
        cost=units.money(cb),
        other_cost=units.money(ca),
        money=money,
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
        out.append(
            _("Built in different years ({run} → {other}): {projects}.").format(
                run=a.label, other=b.label, projects=_(", ").join(moved)
            )
        )
    costs = comparison.by_year
    column = f"change: {b.label}"
    if len(costs) and column in costs:
        rows = costs.loc[(costs["kpi"] == "cost") & costs[column].notna()]
        rows = rows.loc[rows[column].abs() >= 0.5]
        top = rows.reindex(rows[column].abs().sort_values(ascending=False).index).head(3)
        if len(top):
            years = _(", ").join(
                _("{year} ({change} CNY/yr)").format(year=int(y), change=units.signed(float(c)))
                for y, c in zip(top["year"], top[column], strict=True)
            )
            out.append(
                _("The yearly cost (undiscounted) moves most in {years}.").format(years=years)
            )
    return out


def _diagnosis_sentence(run: RunFolder) -> str:
    """The first two sentences of an infeasible run's diagnosis, in the current language:
    rebuilt from summary.json's structure and the run's limits
    (:func:`symbiosis.solve.diagnose.diagnosis_messages`; limits in words), a sentence it
    cannot rebuild as written (English)."""
    diagnosis = run.summary.get("diagnosis") or {}
    if not diagnosis.get("messages"):
        return ""
    from symbiosis.solve.diagnose import diagnosis_messages  # Pyomo: only when needed

    limits = (run.manifest.get("scenario") or {}).get("limits")
    messages = diagnosis_messages(diagnosis, limits if isinstance(limits, dict) else None)
    return " " + " ".join(shown(m) for m in messages[:2])


def case_names(runs: Sequence[RunFolder]) -> dict[str, dict[str, str]]:
    """The names the runs' cases give their streams, sites, facilities, parks and
    prefectures in the current language, where it is not English (read from each run's case,
    :attr:`~symbiosis.results.RunFolder.case_path`; the first run's name wins).

    Parameters
    ----------
    runs : sequence of symbiosis.results.RunFolder
        The runs.

    Returns
    -------
    dict
        Kind -> id -> name (:func:`symbiosis.case.names`, only the names the case gives in
        that language); empty in English, and for a case that can no longer be read (moved,
        changed): its things are then shown by their ids.
    """
    lang = current_language()
    if lang == "en":
        return {}
    found: dict[str, dict[str, str]] = {}
    for path in dict.fromkeys(r.case_path for r in runs if r.case_path):
        try:
            case = load_case(path)
        except (InputError, OSError):
            continue
        for kind, named in names(case, lang, fallback=False).items():
            for ident, name in named.items():
                found.setdefault(kind, {}).setdefault(ident, name)
    return found


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
        raise InputError([Problem("compare", _("give at least one run folder"))], "run folders")
    comparison = Comparison(
        runs=loaded,
        overview=_overview(loaded),
        kpis=_kpi_table(loaded),
        cost_parts=_cost_parts(loaded),
        projects=_projects(loaded),
        flow_changes=_flow_changes(loaded, top_flows),
        scenario_changes=_scenario_changes(loaded),
        by_year=_by_year(loaded),
        names=case_names(loaded),
    )
    if len(loaded) == 2:
        comparison.explanation = explain(comparison)
    return comparison


__all__ = [
    "Comparison",
    "RunFolder",
    "compare_runs",
    "describe_setting",
    "explain",
    "load_run",
    "load_runs",
]
