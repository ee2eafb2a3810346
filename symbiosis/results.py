"""Results: tidy tables keyed by string ids, KPIs, and the run folder on disk.

Every table is a pandas DataFrame whose keys are the case's string ids (sites, facilities,
streams, modes), never Python objects, so that each can be written to CSV and read back.

The KPI table splits the objective into its parts, which add up to it exactly:

.. math::

   cost = capex\\_annualised + fixed\\_opex + transport + links + processing + disposal
          + env\\_tax + stock\\_left

where ``processing`` is :math:`\\sum_k (var\\_cost_k - value_k) d_k` (``processing_cost`` and
``product_value`` are reported beside it), ``disposal`` and ``env_tax`` are the streams' rates
times the units left unused (rows without ``unused_cost``), and ``stock_left`` is the rows'
own ``unused_cost`` times the units left.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.case import Case
from symbiosis.errors import InputError, Problem
from symbiosis.files import RUN_KIND, claim, dump_json, sha256_file, write_folder
from symbiosis.milp.data import ModelData
from symbiosis.scenario import Scenario
from symbiosis.solve.highs import Solution

FLOW_TOLERANCE = 1e-6
FLOW_COLUMNS = (
    "from_site",
    "facility",
    "to_site",
    "stream",
    "mode",
    "km",
    "unit",
    "shipped",
    "delivered",
    "transport_cost",
    "link_cost",
    "cost",
    "co2_transport_t",
    "from_lon",
    "from_lat",
    "to_lon",
    "to_lat",
)
FACILITY_COLUMNS = (
    "facility",
    "name",
    "tech",
    "site",
    "status",
    "capacity",
    "capex",
    "fixed_opex",
    "group",
    "built",
    "intake",
    "use",
    "annual_cost",
    "co2_avoided_t",
)
UNUSED_COLUMNS = (
    "site",
    "stream",
    "amount",
    "unit",
    "shipped",
    "unused",
    "unused_cost_per_unit",
    "unused_cost",
    "prefecture",
    "lon",
    "lat",
)


def _clean(values: np.ndarray) -> np.ndarray:
    """Snap solver noise: tiny values to 0 (HiGHS returns e.g. -0.0 or 1e-12)."""
    out = np.where(np.abs(values) < FLOW_TOLERANCE, 0.0, values)
    return out + 0.0


@dataclass
class Results:
    """The answer to one scenario, as tables and key figures.

    Attributes
    ----------
    flows : one row per arc with flow > 0 (from_site, facility, to_site, stream, mode, km,
        shipped, delivered, transport_cost, link_cost, cost, co2_transport_t, coordinates)
    facilities : one row per facility (built, capacity, intake and intake by stream, use)
    unused : one row per supply row (amount, shipped, unused, cost of leaving it)
    kpis : long table ``kpi, key, value, unit``
    summary : the dict written as summary.json
    """

    flows: pd.DataFrame
    facilities: pd.DataFrame
    unused: pd.DataFrame
    kpis: pd.DataFrame
    summary: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def built(self) -> list[str]:
        return list(self.summary.get("built", []))


def empty_results(status: str, name: str, extra: dict[str, Any] | None = None) -> Results:
    """Results of a run with no solution (infeasible, or stopped before any)."""
    summary: dict[str, Any] = {
        "name": name,
        "status": status,
        "objective": None,
        "mip_gap": None,
        "delivered_target_t": None,
        "co2_avoided_t": None,
        "built": [],
    }
    summary.update(extra or {})
    return Results(
        pd.DataFrame(columns=list(FLOW_COLUMNS)),
        pd.DataFrame(columns=list(FACILITY_COLUMNS)),
        pd.DataFrame(columns=list(UNUSED_COLUMNS)),
        pd.DataFrame(columns=["kpi", "key", "value", "unit"]),
        summary,
    )


def build_results(
    case: Case,
    arcs: pd.DataFrame,
    data: ModelData,
    solution: Solution,
    name: str,
) -> Results:
    """Tables and KPIs from a solution with values."""
    x = _clean(solution.values["x"])
    w = _clean(solution.values["w"])
    y = np.zeros(data.n_arcs)
    y[data.link_arcs] = np.round(solution.values["y"])
    built_candidate = np.round(solution.values["b"]).astype(bool)
    built = ~data.facility_candidate.copy()
    built[data.candidates[built_candidate]] = True
    shortfall = _clean(solution.values["shortfall"])

    delivered_arc = x * data.arc_eff
    delivered_input = np.bincount(data.arc_input, weights=delivered_arc, minlength=data.n_inputs)
    shipped_supply = np.bincount(data.arc_supply, weights=x, minlength=data.n_supply)
    # Links opened only matter where flow runs; HiGHS may leave a free y at 1 with 0 flow
    # only if its cost is 0, which never gets a y. Count the link costs as solved.
    link_cost_arc = data.arc_link_cost * y

    sites = case.sites.set_index("site")
    units = case.stream_unit()

    # --- flows -----------------------------------------------------------------------------
    used = (x > 0) | (y > 0)
    flows = arcs.loc[used, ["from_site", "facility", "to_site", "stream", "mode", "km"]].copy()
    idx = np.flatnonzero(used)
    flows["unit"] = flows["stream"].map(units)
    flows["shipped"] = x[idx]
    flows["delivered"] = delivered_arc[idx]
    flows["transport_cost"] = arcs["unit_cost"].to_numpy()[idx] * x[idx]
    flows["link_cost"] = link_cost_arc[idx]
    flows["cost"] = flows["transport_cost"] + flows["link_cost"]
    flows["co2_transport_t"] = arcs["co2_per_unit"].to_numpy()[idx] * x[idx] / 1000.0
    for end, col in (("from", "from_site"), ("to", "to_site")):
        flows[f"{end}_lon"] = sites["lon"].reindex(flows[col]).to_numpy()
        flows[f"{end}_lat"] = sites["lat"].reindex(flows[col]).to_numpy()
    flows = flows.sort_values(["stream", "from_site", "facility", "mode"]).reset_index(drop=True)

    # --- facilities ------------------------------------------------------------------------
    inputs = case.facility_inputs
    fac = case.facilities[
        ["facility", "name", "tech", "site", "status", "capacity", "capex", "fixed_opex", "group"]
    ].copy()
    fac["built"] = built.astype(int)
    intake = np.bincount(data.input_facility, weights=delivered_input, minlength=data.n_facilities)
    fac["intake"] = intake
    fac["use"] = np.where(fac["capacity"] > 0, intake / fac["capacity"].to_numpy(), 0.0)
    fac["annual_cost"] = np.where(built & data.facility_candidate, data.facility_annual_cost, 0.0)
    co2_input = data.input_co2 * delivered_input / 1000.0
    fac["co2_avoided_t"] = np.bincount(
        data.input_facility, weights=co2_input, minlength=data.n_facilities
    )
    for stream in case.streams["stream"]:
        of_stream = (inputs["stream"] == stream).to_numpy()
        fac[f"intake_{stream}"] = np.bincount(
            data.input_facility[of_stream],
            weights=delivered_input[of_stream],
            minlength=data.n_facilities,
        )
    fac["prefecture"] = sites["prefecture"].reindex(fac["site"]).to_numpy()
    fac["park"] = sites["park"].reindex(fac["site"]).to_numpy()
    fac["lon"] = sites["lon"].reindex(fac["site"]).to_numpy()
    fac["lat"] = sites["lat"].reindex(fac["site"]).to_numpy()

    # --- unused ----------------------------------------------------------------------------
    supply = case.supply
    unused = supply[["site", "stream", "amount"]].copy()
    unused["unit"] = unused["stream"].map(units)
    unused["shipped"] = shipped_supply
    unused["unused"] = w
    unused["unused_cost_per_unit"] = data.supply_unused_cost
    unused["unused_cost"] = data.supply_unused_cost * w
    unused["prefecture"] = sites["prefecture"].reindex(unused["site"]).to_numpy()
    unused["lon"] = sites["lon"].reindex(unused["site"]).to_numpy()
    unused["lat"] = sites["lat"].reindex(unused["site"]).to_numpy()

    # --- cost parts -------------------------------------------------------------------------
    streams = case.streams.set_index("stream")
    own_rate = ~np.isnan(supply["unused_cost"].to_numpy(dtype=float))
    disposal_rate = streams["disposal_cost"].reindex(supply["stream"]).to_numpy()
    tax_rate = streams["env_tax"].reindex(supply["stream"]).to_numpy()
    cand_built = data.candidates[built_candidate]
    capex_ann = float(
        (
            data.facility_annual_cost[cand_built]
            - case.facilities["fixed_opex"].to_numpy()[cand_built]
        ).sum()
    )
    fixed_new = float(case.facilities["fixed_opex"].to_numpy()[cand_built].sum())
    var_cost = inputs["var_cost"].to_numpy(dtype=float)
    value = inputs["value"].to_numpy(dtype=float)
    parts = {
        "capex_annualised": capex_ann,
        "fixed_opex": fixed_new + data.existing_fixed_opex,
        "transport": float((data.arc_unit_cost * x).sum()),
        "links": float(link_cost_arc.sum()),
        "processing": float(((var_cost - value) * delivered_input).sum()),
        "disposal": float((disposal_rate * w)[~own_rate].sum()),
        "env_tax": float((tax_rate * w)[~own_rate].sum()),
        "stock_left": float((data.supply_unused_cost * w)[own_rate].sum()),
    }
    total_cost = float(sum(parts.values()))

    # --- KPIs ------------------------------------------------------------------------------
    target_streams = set(streams.index[streams["target"] == 1])
    input_stream = inputs["stream"].to_numpy()
    delivered_target = float(delivered_input[np.isin(input_stream, list(target_streams))].sum())
    co2_gross = float((data.input_co2 * delivered_input).sum()) / 1000.0
    co2_transport = float((arcs["co2_per_unit"].to_numpy() * x).sum()) / 1000.0
    co2_avoided = co2_gross - co2_transport
    by_stream = pd.Series(delivered_input).groupby(input_stream).sum()
    fac_pref = sites["prefecture"].reindex(case.facilities["site"]).to_numpy()
    by_pref = (
        pd.Series(delivered_input[np.isin(input_stream, list(target_streams))])
        .groupby(fac_pref[data.input_facility][np.isin(input_stream, list(target_streams))])
        .sum()
    )
    built_ids = sorted(case.facilities["facility"].to_numpy()[cand_built].tolist())
    capex_built = float(data.facility_capex[cand_built].sum())

    rows: list[tuple[str, str, float, str]] = [("total_cost", "", total_cost, "CNY/yr")]
    rows += [("cost_part", k, v, "CNY/yr") for k, v in parts.items()]
    rows += [
        ("processing_cost", "", float((var_cost * delivered_input).sum()), "CNY/yr"),
        ("product_value", "", float((value * delivered_input).sum()), "CNY/yr"),
        ("delivered_target", "", delivered_target, "t/yr"),
    ]
    rows += [
        ("delivered_by_stream", str(s), float(v), units.get(str(s), "") + "/yr")
        for s, v in by_stream.items()
    ]
    rows += [
        ("delivered_target_by_prefecture", str(p), float(v), "t/yr") for p, v in by_pref.items()
    ]
    rows += [
        ("co2_avoided", "", co2_avoided, "t/yr"),
        ("co2_avoided_gross", "", co2_gross, "t/yr"),
        ("co2_transport", "", co2_transport, "t/yr"),
        ("projects_built", "", float(len(built_ids)), "count"),
        ("capex_built", "", capex_built, "CNY"),
    ]
    rows += [
        ("project_capex", f, float(c), "CNY")
        for f, c in zip(
            built_ids,
            case.facilities.set_index("facility")["capex"].reindex(built_ids).to_numpy(),
            strict=True,
        )
    ]
    targets = []
    for spec, short in zip(data.targets, shortfall, strict=True):
        achieved = float(delivered_input[spec.input_rows].sum())
        targets.append(
            {
                "name": spec.name,
                "asked": spec.asked,
                "required": spec.amount,
                "delivered": achieved,
                "shortfall": float(short),
                "met": bool(achieved >= spec.amount * (1 - 1e-9) - 1e-6),
            }
        )
        rows.append(("target_delivered", spec.name, achieved, ""))
        if data.penalty is not None:
            rows.append(("target_shortfall", spec.name, float(short), ""))
    kpis = pd.DataFrame(rows, columns=["kpi", "key", "value", "unit"])

    # ``objective`` is the system cost (the cost parts' sum). With soft targets HiGHS
    # minimises it plus the shortfall penalty, and its bound and gap are on that basis: they
    # are reported beside ``objective_with_penalty`` (``bound_with_penalty``), and ``bound``,
    # a bound on the cost alone, which HiGHS does not prove, is null.
    summary: dict[str, Any] = {"name": name, "status": solution.status, "objective": total_cost}
    soft = data.penalty is not None
    if data.penalty is not None:
        penalty_cost = float(data.penalty * shortfall.sum())
        summary["shortfall_penalty"] = penalty_cost
        summary["objective_with_penalty"] = total_cost + penalty_cost
    summary["mip_gap"] = solution.mip_gap
    summary["bound"] = None if soft else solution.bound
    if soft:
        summary["bound_with_penalty"] = solution.bound
    summary.update(
        {
            "delivered_target_t": delivered_target,
            "co2_avoided_t": co2_avoided,
            "built": built_ids,
            "capex_built": capex_built,
            "cost_parts": parts,
            "delivered_by_stream": {str(k): float(v) for k, v in by_stream.items()},
            "targets": targets,
            "highs_status": solution.highs_status,
        }
    )
    if solution.interrupted:
        summary["interrupted"] = True
    return Results(flows, fac, unused, kpis, summary)


# --------------------------------------------------------------------------------------------
# The run folder
# --------------------------------------------------------------------------------------------
def add_shadow_prices(
    results: Results,
    prices: dict[str, float | None],
    status: str,
    units: dict[str, str] | None = None,
) -> None:
    """Put the targets' duals into summary.json and kpis.csv.

    Parameters
    ----------
    results : the results to complete (changed in place)
    prices : target name -> dual (CNY per unit of the target), None where not known
    status : how the duals were found (``optimal``, ``not_computed``, ``skipped: ...``)
    units : target name -> unit (default ``t``)

    Notes
    -----
    summary.json gets ``target_shadow_price_cny_per_t`` (the total target's),
    ``target_shadow_prices`` (all), ``shadow_price_status`` and ``shadow_price`` on each
    target; kpis.csv a ``target_shadow_price`` row per known price.
    """
    summary = results.summary
    summary["target_shadow_price_cny_per_t"] = prices.get("total")
    summary["target_shadow_prices"] = dict(prices)
    summary["shadow_price_status"] = status
    for target in summary.get("targets", []):
        target["shadow_price"] = prices.get(target["name"])
    rows = [
        ("target_shadow_price", name, value, f"CNY/{(units or {}).get(name, 't')}")
        for name, value in prices.items()
        if value is not None
    ]
    if rows:
        extra = pd.DataFrame(rows, columns=["kpi", "key", "value", "unit"])
        results.kpis = pd.concat([results.kpis, extra], ignore_index=True)


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that produce an answer (for the manifest)."""
    out = {"python": platform.python_version()}
    for package in ("symbiosis", "pyomo", "highspy", "numpy", "pandas", "networkx"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def run_manifest(
    scenario: Scenario,
    case_files: Sequence[Path],
    details: Mapping[str, Any],
    timings: Mapping[str, float],
    started: datetime,
) -> dict[str, Any]:
    """What produced a run, for ``manifest.json``: enough to reproduce any number in it.

    Parameters
    ----------
    scenario : the scenario as run (written as resolved, every default filled in)
    case_files : the case's input files (each with its sha256)
    details : what the run adds: ``solver_options``, ``highs_status``, ``model_size``,
        ``reductions``, and where they apply ``overrides_applied``, ``interruption``,
        ``notes``
    timings : seconds per stage
    started : when the run started (UTC)

    Returns
    -------
    dict
        The manifest (``symbiosis_run: 1``, scenario, inputs with checksums, versions,
        the details, timings, start and finish times, command line, machine).
    """
    inputs = [
        *([scenario.source] if scenario.source else []),
        *(Path(f) for f in scenario.extends if Path(f).is_file()),
        *case_files,
    ]
    return {
        "symbiosis_run": 1,
        "scenario": scenario.resolved(),
        "scenario_file": str(scenario.source) if scenario.source else None,
        "inputs": {str(path): sha256_file(path) for path in inputs},
        "versions": versions(),
        **details,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": sys.argv,
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
    }


def write_run_folder(
    out_dir: Path, results: Results, manifest: dict[str, Any], *, overwrite: bool = False
) -> Path:
    """Write summary.json, flows.csv, facilities.csv, unused.csv, kpis.csv and manifest.json.

    The folder follows the output rule of :mod:`symbiosis.files`: created if new, replaced
    whole if it is a run folder that holds nothing else, refused otherwise
    (:class:`~symbiosis.files.OutputRefused`; ``overwrite`` writes beside foreign files and
    never replaces one).
    """

    def csv(frame: pd.DataFrame) -> Callable[[Path], None]:
        return lambda path: frame.to_csv(path, index=False, float_format="%.10g")

    def text(content: str) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            path.write_text(content, encoding="utf-8")

        return write

    writers: dict[str, Callable[[Path], None]] = {
        "summary.json": text(dump_json(results.summary)),
        "flows.csv": csv(results.flows),
        "facilities.csv": csv(results.facilities),
        "unused.csv": csv(results.unused),
        "kpis.csv": csv(results.kpis),
    }
    return write_folder(out_dir, RUN_KIND, writers, overwrite=overwrite, manifest=manifest)


# --------------------------------------------------------------------------------------------
# The run folder read back (the one reader: compare, maps, sweep, curve, pareto, the web app)
# --------------------------------------------------------------------------------------------
RUN_TABLES: dict[str, tuple[str, ...]] = {
    "flows.csv": FLOW_COLUMNS,
    "facilities.csv": FACILITY_COLUMNS,
    "unused.csv": UNUSED_COLUMNS,
    "kpis.csv": ("kpi", "key", "value", "unit"),
}
#: columns read as text (ids and labels; an empty cell is ""), whatever they hold
TEXT_COLUMNS = (
    "from_site",
    "facility",
    "to_site",
    "stream",
    "mode",
    "unit",
    "name",
    "tech",
    "site",
    "status",
    "group",
    "prefecture",
    "park",
    "kpi",
    "key",
)


@dataclass
class RunFolder:
    """A run folder as read back by :func:`read_run_folder`.

    Attributes
    ----------
    path : the folder (absolute)
    label : how reports name the run (the scenario's name; made unique by compare)
    summary : summary.json
    manifest : manifest.json ({} when absent)
    flows, facilities, unused, kpis : the tables (empty frames with their columns when a
        file is absent or ``tables`` was False)
    missing : the files of a run folder that were not there
    """

    path: Path
    label: str
    summary: dict[str, Any]
    manifest: dict[str, Any]
    flows: pd.DataFrame
    facilities: pd.DataFrame
    unused: pd.DataFrame
    kpis: pd.DataFrame
    missing: tuple[str, ...] = ()

    @property
    def solved(self) -> bool:
        """Whether the run has a solution (an objective)."""
        return self.summary.get("objective") is not None

    @property
    def built(self) -> list[str]:
        """The candidates built."""
        return [str(b) for b in self.summary.get("built") or []]

    @property
    def case_path(self) -> str | None:
        """The case the run solved, as its manifest records it."""
        case = (self.manifest.get("scenario") or {}).get("case")
        return None if case is None else str(case)


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), f"cannot read: {exc}")], what) from None
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "not a JSON object")], what)
    return data


def _read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=list(columns))
    header = pd.read_csv(path, nrows=0).columns
    text = {c: str for c in TEXT_COLUMNS if c in header}
    frame = pd.read_csv(path, dtype=text, keep_default_na=True)
    for column in text:
        frame[column] = frame[column].fillna("").astype(object)
    return frame


def read_run_folder(path: str | Path, *, tables: bool = True) -> RunFolder:
    """Read a run folder written by :func:`write_run_folder` (``symbiosis run``, or a point
    of a batch, curve, front or sweep).

    Parameters
    ----------
    path : the folder
    tables : read the CSV tables too (False: summary and manifest only)

    Returns
    -------
    RunFolder
        Ids and labels read as text ("" when empty), numbers as numbers.

    Raises
    ------
    InputError
        The folder, or its summary.json, is missing or unreadable.
    """
    path = Path(path)
    what = "run folder"
    if not path.is_dir():
        raise InputError(
            [Problem(str(path), "no such run folder (write one with `symbiosis run`)")], what
        )
    summary_file = path / "summary.json"
    if not summary_file.is_file():
        raise InputError(
            [
                Problem(
                    str(path), "not a run folder: no summary.json (write one with symbiosis run)"
                )
            ],
            what,
        )
    summary = _read_json_object(summary_file, what)
    manifest_file = path / "manifest.json"
    manifest = _read_json_object(manifest_file, what) if manifest_file.is_file() else {}
    frames = {
        name: _read_table(path / name, columns) if tables else pd.DataFrame(columns=list(columns))
        for name, columns in RUN_TABLES.items()
    }
    missing = tuple(
        name
        for name in ("summary.json", *RUN_TABLES, "manifest.json")
        if not (path / name).is_file()
    )
    return RunFolder(
        path=path.resolve(),
        label=str(summary.get("name") or path.name),
        summary=summary,
        manifest=manifest,
        flows=frames["flows.csv"],
        facilities=frames["facilities.csv"],
        unused=frames["unused.csv"],
        kpis=frames["kpis.csv"],
        missing=missing,
    )


def check_run_target(out_dir: Path, *, overwrite: bool = False) -> None:
    """Refuse, before any work, a run folder that :func:`write_run_folder` would refuse."""
    claim(out_dir, RUN_KIND, folder=True, overwrite=overwrite)
