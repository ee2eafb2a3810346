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
    flows : pandas.DataFrame
        One row per arc with flow > 0 or an open link (:data:`FLOW_COLUMNS`: from_site,
        facility, to_site, stream, mode, km, shipped, delivered, transport_cost, link_cost,
        cost, co2_transport_t, coordinates).
    facilities : pandas.DataFrame
        One row per facility (built, capacity, intake and intake by stream, use, annual
        cost, CO2 avoided, place).
    unused : pandas.DataFrame
        One row per supply row (amount, shipped, unused, cost of leaving it).
    kpis : pandas.DataFrame
        Long table ``kpi, key, value, unit``.
    summary : dict[str, Any]
        The dict written as summary.json.
    extra : dict[str, Any]
        Anything a caller keeps beside the results (not written).
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
    """Results of a run with no solution (infeasible, or stopped before any).

    Parameters
    ----------
    status : str
        The run's status (``infeasible``, ``no_solution``, ``error``).
    name : str
        The scenario's name.
    extra : dict[str, Any] or None
        Further keys of summary.json (a diagnosis, an interruption).

    Returns
    -------
    Results
        Empty tables with their columns; a summary whose figures are null.
    """
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


@dataclass(frozen=True)
class _Solved:
    """A solution as arrays in :class:`ModelData` index order, with what the tables need of
    the case (built once by :func:`_solved`, read by each part of :func:`build_results`)."""

    case: Case
    arcs: pd.DataFrame
    data: ModelData
    sites: pd.DataFrame  # case.sites indexed by site
    units: dict[str, str]  # stream -> unit
    x: np.ndarray  # shipped per arc
    w: np.ndarray  # left unused per supply row
    y: np.ndarray  # link opened per arc (0 for arcs without a link)
    built: np.ndarray  # per facility: existing, or a candidate built
    built_candidate: np.ndarray  # per candidate
    shortfall: np.ndarray  # per target
    delivered_arc: np.ndarray  # eff_a x_a
    delivered_input: np.ndarray  # d_k
    shipped_supply: np.ndarray  # per supply row
    link_cost_arc: np.ndarray  # link cost counted per arc

    @property
    def cand_built(self) -> np.ndarray:
        """The facility indices of the candidates built."""
        return self.data.candidates[self.built_candidate]


def _solved(case: Case, arcs: pd.DataFrame, data: ModelData, solution: Solution) -> _Solved:
    """The solution's values, solver noise snapped to 0 and binaries rounded, and the
    amounts derived from them (delivered per arc and per input row, shipped per supply row).
    """
    x = _clean(solution.values["x"])
    y = np.zeros(data.n_arcs)
    y[data.link_arcs] = np.round(solution.values["y"])
    built_candidate = np.round(solution.values["b"]).astype(bool)
    built = ~data.facility_candidate.copy()
    built[data.candidates[built_candidate]] = True
    delivered_arc = x * data.arc_eff
    return _Solved(
        case=case,
        arcs=arcs,
        data=data,
        sites=case.sites.set_index("site"),
        units=case.stream_unit(),
        x=x,
        w=_clean(solution.values["w"]),
        y=y,
        built=built,
        built_candidate=built_candidate,
        shortfall=_clean(solution.values["shortfall"]),
        delivered_arc=delivered_arc,
        delivered_input=np.bincount(data.arc_input, weights=delivered_arc, minlength=data.n_inputs),
        shipped_supply=np.bincount(data.arc_supply, weights=x, minlength=data.n_supply),
        # Links opened only matter where flow runs; HiGHS may leave a free y at 1 with 0 flow
        # only if its cost is 0, which never gets a y. Count the link costs as solved.
        link_cost_arc=data.arc_link_cost * y,
    )


def _flows_table(s: _Solved) -> pd.DataFrame:
    """flows.csv: one row per arc with flow or an open link.

    Parameters
    ----------
    s : _Solved
        The solution.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`: the arc, ``shipped`` :math:`x_a`, ``delivered``
        :math:`eff_a x_a`, ``transport_cost`` :math:`unit\\_cost_a x_a`, ``link_cost``,
        their sum ``cost``, ``co2_transport_t`` :math:`co2_a x_a / 1000` and both ends'
        coordinates; sorted by stream, source, facility and mode.
    """
    arcs, x = s.arcs, s.x
    used = (x > 0) | (s.y > 0)
    flows = arcs.loc[used, ["from_site", "facility", "to_site", "stream", "mode", "km"]].copy()
    idx = np.flatnonzero(used)
    flows["unit"] = flows["stream"].map(s.units)
    flows["shipped"] = x[idx]
    flows["delivered"] = s.delivered_arc[idx]
    flows["transport_cost"] = arcs["unit_cost"].to_numpy()[idx] * x[idx]
    flows["link_cost"] = s.link_cost_arc[idx]
    flows["cost"] = flows["transport_cost"] + flows["link_cost"]
    flows["co2_transport_t"] = arcs["co2_per_unit"].to_numpy()[idx] * x[idx] / 1000.0
    for end, col in (("from", "from_site"), ("to", "to_site")):
        flows[f"{end}_lon"] = s.sites["lon"].reindex(flows[col]).to_numpy()
        flows[f"{end}_lat"] = s.sites["lat"].reindex(flows[col]).to_numpy()
    return flows.sort_values(["stream", "from_site", "facility", "mode"]).reset_index(drop=True)


def _facilities_table(s: _Solved) -> pd.DataFrame:
    """facilities.csv: one row per facility, in the case's order.

    Parameters
    ----------
    s : _Solved
        The solution.

    Returns
    -------
    pandas.DataFrame
        :data:`FACILITY_COLUMNS`: the facility, ``built`` (1 for existing ones),
        ``intake`` :math:`\\sum_{k \\in in(f)} d_k`, ``use`` (intake / capacity),
        ``annual_cost`` (annualised capex and fixed opex of a candidate built),
        ``co2_avoided_t`` :math:`\\sum_{k \\in in(f)} co2_k d_k / 1000`; then
        ``intake_<stream>`` per stream, the site's prefecture, park and coordinates.
    """
    case, data, sites, delivered_input = s.case, s.data, s.sites, s.delivered_input
    inputs = case.facility_inputs
    fac = case.facilities[
        ["facility", "name", "tech", "site", "status", "capacity", "capex", "fixed_opex", "group"]
    ].copy()
    fac["built"] = s.built.astype(int)
    intake = np.bincount(data.input_facility, weights=delivered_input, minlength=data.n_facilities)
    fac["intake"] = intake
    fac["use"] = np.where(fac["capacity"] > 0, intake / fac["capacity"].to_numpy(), 0.0)
    fac["annual_cost"] = np.where(s.built & data.facility_candidate, data.facility_annual_cost, 0.0)
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
    for column in ("prefecture", "park", "lon", "lat"):
        fac[column] = sites[column].reindex(fac["site"]).to_numpy()
    return fac


def _unused_table(s: _Solved) -> pd.DataFrame:
    """unused.csv: one row per supply row, in the case's order.

    Parameters
    ----------
    s : _Solved
        The solution.

    Returns
    -------
    pandas.DataFrame
        :data:`UNUSED_COLUMNS`: the row's ``amount``, ``shipped``
        :math:`\\sum_{a \\in out(r)} x_a`, ``unused`` :math:`w_r`, the cost per unit left
        :math:`u_r` and ``unused_cost`` :math:`u_r w_r`, the site's prefecture and
        coordinates.
    """
    unused = s.case.supply[["site", "stream", "amount"]].copy()
    unused["unit"] = unused["stream"].map(s.units)
    unused["shipped"] = s.shipped_supply
    unused["unused"] = s.w
    unused["unused_cost_per_unit"] = s.data.supply_unused_cost
    unused["unused_cost"] = s.data.supply_unused_cost * s.w
    for column in ("prefecture", "lon", "lat"):
        unused[column] = s.sites[column].reindex(unused["site"]).to_numpy()
    return unused


def _cost_parts(s: _Solved) -> dict[str, float]:
    """The parts of the system cost (module docstring), which add up to the objective.

    Parameters
    ----------
    s : _Solved
        The solution.

    Returns
    -------
    dict[str, float]
        CNY/yr by part: ``capex_annualised``, ``fixed_opex`` (new and existing),
        ``transport`` :math:`\\sum_a unit\\_cost_a x_a`, ``links``, ``processing``
        :math:`\\sum_k (var\\_cost_k - value_k) d_k`, ``disposal`` and ``env_tax`` (the
        stream's rates times :math:`w_r`, rows without their own ``unused_cost``),
        ``stock_left`` (:math:`u_r w_r`, rows with one).
    """
    case, data, w = s.case, s.data, s.w
    supply, inputs = case.supply, case.facility_inputs
    streams = case.streams.set_index("stream")
    own_rate = ~np.isnan(supply["unused_cost"].to_numpy(dtype=float))
    disposal_rate = streams["disposal_cost"].reindex(supply["stream"]).to_numpy()
    tax_rate = streams["env_tax"].reindex(supply["stream"]).to_numpy()
    fixed_opex = case.facilities["fixed_opex"].to_numpy()[s.cand_built]
    capex_ann = float((data.facility_annual_cost[s.cand_built] - fixed_opex).sum())
    var_cost = inputs["var_cost"].to_numpy(dtype=float)
    value = inputs["value"].to_numpy(dtype=float)
    return {
        "capex_annualised": capex_ann,
        "fixed_opex": float(fixed_opex.sum()) + data.existing_fixed_opex,
        "transport": float((data.arc_unit_cost * s.x).sum()),
        "links": float(s.link_cost_arc.sum()),
        "processing": float(((var_cost - value) * s.delivered_input).sum()),
        "disposal": float((disposal_rate * w)[~own_rate].sum()),
        "env_tax": float((tax_rate * w)[~own_rate].sum()),
        "stock_left": float((data.supply_unused_cost * w)[own_rate].sum()),
    }


@dataclass(frozen=True)
class _Figures:
    """The key figures of a solution, for both kpis.csv and summary.json."""

    parts: dict[str, float]
    total_cost: float
    delivered_target: float
    by_stream: pd.Series  # delivered per stream (all streams)
    by_prefecture: pd.Series  # delivered toward the target per facility prefecture
    co2_gross: float
    co2_transport: float
    built_ids: list[str]
    capex_built: float
    targets: list[dict[str, Any]]  # per target: asked, required, delivered, shortfall, met

    @property
    def co2_avoided(self) -> float:
        """Net CO2 avoided, t/yr."""
        return self.co2_gross - self.co2_transport


def _figures(s: _Solved) -> _Figures:
    """Cost, delivered amounts, CO2, projects built and targets of a solution.

    Parameters
    ----------
    s : _Solved
        The solution.

    Returns
    -------
    _Figures
        ``total_cost`` is the sum of :func:`_cost_parts`; ``delivered_target``
        :math:`\\sum_{k: s_k\\ counted} d_k`; ``co2_gross`` :math:`\\sum_k co2_k d_k / 1000`
        and ``co2_transport`` :math:`\\sum_a co2_a x_a / 1000` (t/yr); a target is met when
        its delivered amount reaches the required one (relative tolerance 1e-9).
    """
    case, data, delivered_input = s.case, s.data, s.delivered_input
    parts = _cost_parts(s)
    streams = case.streams.set_index("stream")
    target_streams = set(streams.index[streams["target"] == 1])
    input_stream = case.facility_inputs["stream"].to_numpy()
    counted = np.isin(input_stream, list(target_streams))
    fac_pref = s.sites["prefecture"].reindex(case.facilities["site"]).to_numpy()
    targets = []
    for spec, short in zip(data.targets, s.shortfall, strict=True):
        achieved = (
            float(delivered_input[spec.input_rows].sum())
            if spec.supply_rows is None
            else float(s.delivered_arc[spec.arc_mask(data.arc_input, data.arc_supply)].sum())
        )
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
    return _Figures(
        parts=parts,
        total_cost=float(sum(parts.values())),
        delivered_target=float(delivered_input[counted].sum()),
        by_stream=pd.Series(delivered_input).groupby(input_stream).sum(),
        by_prefecture=pd.Series(delivered_input[counted])
        .groupby(fac_pref[data.input_facility][counted])
        .sum(),
        co2_gross=float((data.input_co2 * delivered_input).sum()) / 1000.0,
        co2_transport=float((s.arcs["co2_per_unit"].to_numpy() * s.x).sum()) / 1000.0,
        built_ids=sorted(case.facilities["facility"].to_numpy()[s.cand_built].tolist()),
        capex_built=float(data.facility_capex[s.cand_built].sum()),
        targets=targets,
    )


def _kpi_table(s: _Solved, fig: _Figures) -> pd.DataFrame:
    """kpis.csv: the long table ``kpi, key, value, unit``.

    Parameters
    ----------
    s : _Solved
        The solution.
    fig : _Figures
        Its key figures.

    Returns
    -------
    pandas.DataFrame
        In order: ``total_cost``, a ``cost_part`` per part, ``processing_cost``
        (:math:`\\sum_k var\\_cost_k d_k`), ``product_value`` (:math:`\\sum_k value_k d_k`),
        ``delivered_target``, ``delivered_by_stream`` and ``delivered_target_by_prefecture``
        per key, the CO2 figures, ``projects_built``, ``capex_built``, a ``project_capex``
        per project built, and per target ``target_delivered`` (and ``target_shortfall``
        with soft targets).
    """
    case, data, delivered_input, units = s.case, s.data, s.delivered_input, s.units
    var_cost = case.facility_inputs["var_cost"].to_numpy(dtype=float)
    value = case.facility_inputs["value"].to_numpy(dtype=float)
    rows: list[tuple[str, str, float, str]] = [("total_cost", "", fig.total_cost, "CNY/yr")]
    rows += [("cost_part", k, v, "CNY/yr") for k, v in fig.parts.items()]
    rows += [
        ("processing_cost", "", float((var_cost * delivered_input).sum()), "CNY/yr"),
        ("product_value", "", float((value * delivered_input).sum()), "CNY/yr"),
        ("delivered_target", "", fig.delivered_target, "t/yr"),
    ]
    rows += [
        ("delivered_by_stream", str(k), float(v), units.get(str(k), "") + "/yr")
        for k, v in fig.by_stream.items()
    ]
    rows += [
        ("delivered_target_by_prefecture", str(p), float(v), "t/yr")
        for p, v in fig.by_prefecture.items()
    ]
    rows += [
        ("co2_avoided", "", fig.co2_avoided, "t/yr"),
        ("co2_avoided_gross", "", fig.co2_gross, "t/yr"),
        ("co2_transport", "", fig.co2_transport, "t/yr"),
        ("projects_built", "", float(len(fig.built_ids)), "count"),
        ("capex_built", "", fig.capex_built, "CNY"),
    ]
    rows += [
        ("project_capex", f, float(c), "CNY")
        for f, c in zip(
            fig.built_ids,
            case.facilities.set_index("facility")["capex"].reindex(fig.built_ids).to_numpy(),
            strict=True,
        )
    ]
    for target in fig.targets:
        rows.append(("target_delivered", target["name"], target["delivered"], ""))
        if data.penalty is not None:
            rows.append(("target_shortfall", target["name"], target["shortfall"], ""))
    return pd.DataFrame(rows, columns=["kpi", "key", "value", "unit"])


def _summary(s: _Solved, fig: _Figures, solution: Solution, name: str) -> dict[str, Any]:
    """summary.json.

    ``objective`` is the system cost (the cost parts' sum). With soft targets HiGHS
    minimises it plus the shortfall penalty, and its bound and gap are on that basis: they
    are reported beside ``objective_with_penalty`` (``bound_with_penalty``), and ``bound``,
    a bound on the cost alone, which HiGHS does not prove, is null.

    Parameters
    ----------
    s : _Solved
        The solution's arrays.
    fig : _Figures
        Its key figures.
    solution : Solution
        The solver's answer (status, gap, bound, interruption).
    name : str
        The scenario's name.

    Returns
    -------
    dict
        ``name``, ``status``, ``objective`` [, ``shortfall_penalty``,
        ``objective_with_penalty``], ``mip_gap``, ``bound`` [, ``bound_with_penalty``],
        ``delivered_target_t``, ``co2_avoided_t``, ``built``, ``capex_built``,
        ``cost_parts``, ``delivered_by_stream``, ``targets``, ``highs_status`` [,
        ``interrupted``].
    """
    summary: dict[str, Any] = {"name": name, "status": solution.status}
    summary["objective"] = fig.total_cost
    soft = s.data.penalty is not None
    if s.data.penalty is not None:
        penalty_cost = float(s.data.penalty * s.shortfall.sum())
        summary["shortfall_penalty"] = penalty_cost
        summary["objective_with_penalty"] = fig.total_cost + penalty_cost
    summary["mip_gap"] = solution.mip_gap
    summary["bound"] = None if soft else solution.bound
    if soft:
        summary["bound_with_penalty"] = solution.bound
    summary.update(
        {
            "delivered_target_t": fig.delivered_target,
            "co2_avoided_t": fig.co2_avoided,
            "built": fig.built_ids,
            "capex_built": fig.capex_built,
            "cost_parts": fig.parts,
            "delivered_by_stream": {str(k): float(v) for k, v in fig.by_stream.items()},
            "targets": fig.targets,
            "highs_status": solution.highs_status,
        }
    )
    if solution.interrupted:
        summary["interrupted"] = True
    return summary


def build_results(
    case: Case,
    arcs: pd.DataFrame,
    data: ModelData,
    solution: Solution,
    name: str,
) -> Results:
    """Tables and KPIs from a solution with values.

    Parameters
    ----------
    case : Case
        The case solved.
    arcs : pandas.DataFrame
        Its candidate arcs, in :class:`ModelData` arc order.
    data : ModelData
        The model's data (not reduced: the solution is expanded to it first).
    solution : Solution
        A solution with values (``x``, ``y``, ``b``, ``w``, ``shortfall``).
    name : str
        The scenario's name.

    Returns
    -------
    Results
        The flows, facilities and unused tables, the KPIs and summary.json; ``cost_part``
        rows add up to ``total_cost`` (module docstring).
    """
    s = _solved(case, arcs, data, solution)
    fig = _figures(s)
    return Results(
        _flows_table(s),
        _facilities_table(s),
        _unused_table(s),
        _kpi_table(s, fig),
        _summary(s, fig, solution, name),
    )


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
    results : Results
        The results to complete (changed in place).
    prices : dict[str, float or None]
        Target name -> dual (CNY per unit of the target), None where not known.
    status : str
        How the duals were found (``optimal``, ``not_computed``, ``skipped: ...``).
    units : dict[str, str] or None
        Target name -> unit (default ``t``).

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
    """Versions of Python and of the packages that produce an answer (for the manifest).

    Returns
    -------
    dict[str, str]
        ``python``, ``symbiosis``, ``pyomo``, ``highspy``, ``numpy``, ``pandas``,
        ``networkx`` -> version (``not installed`` where one is missing).
    """
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
    scenario : Scenario
        The scenario as run (written as resolved, every default filled in).
    case_files : sequence of Path
        The case's input files (each with its sha256).
    details : mapping
        What the run adds: ``solver_options``, ``highs_status``, ``model_size``,
        ``reductions``, and where they apply ``overrides_applied``, ``interruption``,
        ``notes``.
    timings : mapping
        Seconds per stage.
    started : datetime
        When the run started (UTC).

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

    Parameters
    ----------
    out_dir : Path
        The run folder.
    results : Results
        What to write (CSV numbers with 10 significant digits).
    manifest : dict[str, Any]
        manifest.json (:func:`run_manifest`).
    overwrite : bool
        Write beside foreign files (see above).

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    OutputRefused
        The folder may not be written.
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
    path : Path
        The folder (absolute).
    label : str
        How reports name the run (the scenario's name; made unique by compare).
    summary : dict[str, Any]
        summary.json.
    manifest : dict[str, Any]
        manifest.json ({} when absent).
    flows, facilities, unused, kpis : pandas.DataFrame
        The tables (empty frames with their columns when a file is absent or ``tables``
        was False).
    missing : tuple[str, ...]
        The files of a run folder that were not there.
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
    path : str or Path
        The folder.
    tables : bool
        Read the CSV tables too (False: summary and manifest only).

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
    """Refuse, before any work, a run folder that :func:`write_run_folder` would refuse.

    Parameters
    ----------
    out_dir : Path
        The run folder.
    overwrite : bool
        Write beside foreign files.

    Raises
    ------
    OutputRefused
        The folder may not be written (:func:`symbiosis.files.claim`).
    """
    claim(out_dir, RUN_KIND, folder=True, overwrite=overwrite)
