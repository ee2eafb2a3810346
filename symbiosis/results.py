"""Results: tidy tables keyed by string ids, KPIs, and the run folder on disk.

Every table is a pandas DataFrame whose keys are the case's string ids (sites, facilities,
streams, modes), never Python objects, so that each can be written to CSV and read back.

The KPI table splits the objective into its parts, which add up to it exactly:

.. math::

   cost = capex\\_annualised + fixed\\_opex + transport + links + processing + disposal
          + env\\_tax + stock\\_left

where ``processing`` is :math:`\\sum_k (var\\_cost_k - value_k) d_k` (``processing_cost`` and
``product_value`` are reported beside it), ``disposal`` and ``env_tax`` are the streams' rates
times the units left unused (rows without ``unused_cost``, chained outputs included), and
``stock_left`` is the rows' own ``unused_cost`` times the units left.

A multi-year run (scenario ``years``, CASE_FORMAT.md "v2 extensions") has these parts per
year :math:`t` (undiscounted, each year's rows of kpis.csv) and, for the horizon, their
discounted sums, which add up to the objective:

.. math::

   objective = \\sum_t \\delta_t \\, cost_t, \\qquad \\delta_t = (1 + r)^{-(t - t_0)}

Its tables get a first column ``year``, and the run folder a ``plan.csv`` (the candidates
built and their years). A case with chained outputs (``facility_outputs``) gets
``from_facility`` in flows.csv and ``produced_by`` in unused.csv, and summary.json says
where each output went (``chained_outputs``).
"""

from __future__ import annotations

import json
import platform
import re
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
from symbiosis.i18n import N_, _
from symbiosis.milp.data import ModelData
from symbiosis.scenario import Scenario
from symbiosis.solve.highs import Solution

#: every status a run can end with (summary.json's ``status``, a batch's or sweep's row), each
#: marked for translation: the display, the reports and the maps show it in the language
RUN_STATUSES: tuple[str, ...] = (
    N_("optimal"),
    N_("feasible"),
    N_("infeasible"),
    N_("no_solution"),
    N_("error"),
    N_("failed"),
    N_("interrupted"),
    N_("not_run"),
)

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
#: plan.csv (multi-year runs): one row per candidate built
PLAN_COLUMNS = (
    "facility",
    "name",
    "tech",
    "site",
    "prefecture",
    "year",
    "capacity",
    "capex",
    "lifetime",
    "active_until",
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
    plan : pandas.DataFrame or None
        A multi-year run's build plan (:data:`PLAN_COLUMNS`, written as plan.csv); None
        for a single-period run.
    """

    flows: pd.DataFrame
    facilities: pd.DataFrame
    unused: pd.DataFrame
    kpis: pd.DataFrame
    summary: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    plan: pd.DataFrame | None = None

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
    """A solution as arrays in :class:`ModelData` index order (in a multi-year model, the
    copies of every year), with what the tables need of the case (built once by
    :func:`_solved`, read by each part of :func:`build_results`)."""

    case: Case
    arcs: pd.DataFrame  # one period's arcs (a multi-year model's arc copies: data.arc_base)
    data: ModelData
    sites: pd.DataFrame  # case.sites indexed by site
    units: dict[str, str]  # stream -> unit
    rows: pd.DataFrame  # Case.supply_rows(): supply.csv's rows, then the chained outputs
    x: np.ndarray  # shipped per arc
    w: np.ndarray  # left unused per supply row
    y: np.ndarray  # link opened per arc (0 for arcs without a link)
    built: np.ndarray  # per facility: active (existing, or a candidate built)
    built_candidate: np.ndarray  # per candidate (build option)
    shortfall: np.ndarray  # per target
    delivered_arc: np.ndarray  # eff_a x_a
    delivered_input: np.ndarray  # d_k
    shipped_supply: np.ndarray  # per supply row
    link_cost_arc: np.ndarray  # link cost counted per arc
    made: np.ndarray  # per supply row: units made by its facility (0 for supply.csv rows)
    annual: np.ndarray  # per facility: its yearly cost (undiscounted) if an active candidate

    @property
    def cand_built(self) -> np.ndarray:
        """The build options built (facility indices, facility copies in a multi-year
        model)."""
        return self.data.candidates[self.built_candidate]

    @property
    def chains(self) -> bool:
        """Whether the case has chained outputs (``facility_outputs``)."""
        return bool((self.rows["produced_by"] != "").any())


def _activity(
    case: Case, data: ModelData, built_candidate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(active, annual)`` per facility (copy): whether it operates, and the yearly cost of
    an active candidate (0 otherwise).

    Single period: existing facilities and the candidates built, at
    ``facility_annual_cost``. Multi-year: the copy :math:`(f, t)` of a candidate is active
    when one of its options (``facility_builds``) is built, and pays that option's yearly
    cost :math:`A_f`, recovered from its discounted cost as
    :math:`facility\\_annual\\_cost_c / \\sum_{t \\in active(c)} \\delta_t`; an existing
    facility is active in the years before its ``retire_year``.
    """
    n = data.n_facilities
    option_built = np.zeros(n, dtype=bool)
    option_built[data.candidates[built_candidate]] = True
    if data.facility_builds is None:
        active = ~data.facility_candidate.copy()
        active[option_built] = True
        annual = np.where(active & data.facility_candidate, data.facility_annual_cost, 0.0)
        return active, annual
    members, start = data.facility_builds
    copy_of = np.repeat(np.arange(n), np.diff(start))
    on = option_built[members]
    paid = np.bincount(members, weights=data.discount[data.facility_year[copy_of]], minlength=n)
    per_year = np.divide(
        data.facility_annual_cost, paid, out=np.zeros(n), where=paid > 0, dtype=float
    )
    active = np.zeros(n, dtype=bool)
    active[copy_of[on]] = True
    annual = np.zeros(n)
    annual[copy_of[on]] = per_year[members[on]]
    facilities = case.facilities
    retire = (
        pd.to_numeric(facilities["retire_year"], errors="coerce").to_numpy(dtype=float)
        if "retire_year" in facilities.columns
        else np.full(len(facilities), np.nan)
    )[data.facility_base]
    year = np.asarray(data.years, dtype=float)[data.facility_year]
    active |= ~data.facility_candidate & ~(year >= retire)
    return active, annual


def _solved(case: Case, arcs: pd.DataFrame, data: ModelData, solution: Solution) -> _Solved:
    """The solution's values, solver noise snapped to 0 and binaries rounded, and the
    amounts derived from them (delivered per arc and per input row, shipped per supply row,
    made per chained output).
    """
    x = _clean(solution.values["x"])
    y = np.zeros(data.n_arcs)
    y[data.link_arcs] = np.round(solution.values["y"])
    built_candidate = np.round(solution.values["b"]).astype(bool)
    built, annual = _activity(case, data, built_candidate)
    delivered_arc = x * data.arc_eff
    delivered_input = np.bincount(data.arc_input, weights=delivered_arc, minlength=data.n_inputs)
    made = np.zeros(data.n_supply)
    if data.has_chains:
        intake = np.bincount(
            data.input_facility, weights=delivered_input, minlength=data.n_facilities
        )
        chained = data.supply_source >= 0
        made[chained] = _clean(data.supply_yield[chained] * intake[data.supply_source[chained]])
    return _Solved(
        case=case,
        arcs=arcs,
        data=data,
        sites=case.sites.set_index("site"),
        units=case.stream_unit(),
        rows=case.supply_rows(),
        x=x,
        w=_clean(solution.values["w"]),
        y=y,
        built=built,
        built_candidate=built_candidate,
        shortfall=_clean(solution.values["shortfall"]),
        delivered_arc=delivered_arc,
        delivered_input=delivered_input,
        shipped_supply=np.bincount(data.arc_supply, weights=x, minlength=data.n_supply),
        # Links opened only matter where flow runs; HiGHS may leave a free y at 1 with 0 flow
        # only if its cost is 0, which never gets a y. Count the link costs as solved.
        link_cost_arc=data.arc_link_cost * y,
        made=made,
        annual=annual,
    )


@dataclass(frozen=True)
class _Period:
    """One period of a solution (a year of a multi-year model, or the single period), in
    the index order of the case's rows: arcs of ``arcs`` (one period's arc table), rows of
    ``Case.supply_rows()``, of ``case.facility_inputs`` and of ``case.facilities``."""

    year: int | None  # None: the single-period model
    weight: float  # its discount factor (1 for the single period)
    arcs: pd.DataFrame  # its arcs (rows of the one-period arc table)
    x: np.ndarray  # per arc
    y: np.ndarray
    delivered_arc: np.ndarray
    link_cost_arc: np.ndarray
    unit_cost: np.ndarray
    w: np.ndarray  # per supply row
    shipped: np.ndarray
    amount: np.ndarray  # the row's amount that period (a chained output's: made)
    unused_rate: np.ndarray  # u_r, CNY per unit left
    delivered_input: np.ndarray  # per input row
    active: np.ndarray  # per facility
    annual: np.ndarray
    built_now: np.ndarray  # facility indices of the candidates built in this period
    existing_fixed_opex: float
    targets: list[dict[str, Any]]  # the period's targets (summary.json's entries)


def _period(s: _Solved, t: int | None, targets: list[dict[str, Any]]) -> _Period:
    """Period ``t`` (a year index) of a multi-year solution, or the single period (None)."""
    d = s.data
    if t is None:
        arcs_at: Any = slice(None)
        arcs, sup, inp, fac = s.arcs, slice(None), slice(None), slice(None)
        built_now = s.cand_built
        existing, year, weight = d.existing_fixed_opex, None, 1.0
    else:
        n_r, n_k, n_f = len(s.rows), len(s.case.facility_inputs), len(s.case.facilities)
        arcs_at = np.flatnonzero(d.arc_year == t)
        arcs = s.arcs.iloc[d.arc_base[arcs_at]].reset_index(drop=True)
        sup = slice(t * n_r, (t + 1) * n_r)
        inp = slice(t * n_k, (t + 1) * n_k)
        fac = slice(t * n_f, (t + 1) * n_f)
        options = s.cand_built
        built_now = d.facility_base[options[d.facility_year[options] == t]]
        existing, year, weight = (
            float(d.existing_fixed_opex_by_year[t]),
            d.years[t],
            float(d.discount[t]),
        )
    return _Period(
        year=year,
        weight=weight,
        arcs=arcs,
        x=s.x[arcs_at],
        y=s.y[arcs_at],
        delivered_arc=s.delivered_arc[arcs_at],
        link_cost_arc=s.link_cost_arc[arcs_at],
        unit_cost=d.arc_unit_cost[arcs_at],
        w=s.w[sup],
        shipped=s.shipped_supply[sup],
        amount=d.supply_amount[sup] + s.made[sup],
        unused_rate=d.supply_unused_cost[sup],
        delivered_input=s.delivered_input[inp],
        active=s.built[fac],
        annual=s.annual[fac],
        built_now=np.sort(built_now),
        existing_fixed_opex=existing,
        targets=[tg for tg in targets if tg.get("year") == year],
    )


def _periods(s: _Solved, targets: list[dict[str, Any]]) -> list[_Period]:
    """The single period, or each year of a multi-year solution in order."""
    if not s.data.multi_year:
        return [_period(s, None, targets)]
    return [_period(s, t, targets) for t in range(len(s.data.years))]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The periods' tables one after the other (empty ones left out, so that no column
    loses its type)."""
    kept = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(kept, ignore_index=True)


def _with_year(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """``frame`` with a first column ``year`` (multi-year runs), as it is otherwise."""
    if year is not None:
        frame.insert(0, "year", year)
    return frame


def _flows_table(s: _Solved, p: _Period) -> pd.DataFrame:
    """flows.csv of one period: one row per arc with flow or an open link.

    Parameters
    ----------
    s : _Solved
        The solution.
    p : _Period
        The period.

    Returns
    -------
    pandas.DataFrame
        [``year``,] :data:`FLOW_COLUMNS`: the arc (with ``from_facility``, the facility
        whose output it ships, "" for supply.csv rows, when the case has chains),
        ``shipped`` :math:`x_a`, ``delivered`` :math:`eff_a x_a`, ``transport_cost``
        :math:`unit\\_cost_a x_a`, ``link_cost``, their sum ``cost``, ``co2_transport_t``
        :math:`co2_a x_a / 1000` and both ends' coordinates; sorted by stream, source,
        facility and mode.
    """
    arcs, x = p.arcs, p.x
    used = (x > 0) | (p.y > 0)
    flows = arcs.loc[used, ["from_site", "facility", "to_site", "stream", "mode", "km"]].copy()
    idx = np.flatnonzero(used)
    flows["unit"] = flows["stream"].map(s.units)
    flows["shipped"] = x[idx]
    flows["delivered"] = p.delivered_arc[idx]
    flows["transport_cost"] = arcs["unit_cost"].to_numpy()[idx] * x[idx]
    flows["link_cost"] = p.link_cost_arc[idx]
    flows["cost"] = flows["transport_cost"] + flows["link_cost"]
    flows["co2_transport_t"] = arcs["co2_per_unit"].to_numpy()[idx] * x[idx] / 1000.0
    for end, col in (("from", "from_site"), ("to", "to_site")):
        flows[f"{end}_lon"] = s.sites["lon"].reindex(flows[col]).to_numpy()
        flows[f"{end}_lat"] = s.sites["lat"].reindex(flows[col]).to_numpy()
    order = ["stream", "from_site", "facility", "mode"]
    if s.chains:
        made_by = s.rows["produced_by"].to_numpy()[arcs["supply_row"].to_numpy()[idx]]
        flows.insert(1, "from_facility", made_by)
        order = ["stream", "from_site", "from_facility", "facility", "mode"]
    return _with_year(flows.sort_values(order).reset_index(drop=True), p.year)


def _facilities_table(s: _Solved, p: _Period) -> pd.DataFrame:
    """facilities.csv of one period: one row per facility, in the case's order.

    Parameters
    ----------
    s : _Solved
        The solution.
    p : _Period
        The period.

    Returns
    -------
    pandas.DataFrame
        [``year``,] :data:`FACILITY_COLUMNS`: the facility, ``built`` (1 for existing
        ones; in a multi-year run 1 when active that year, followed by ``build_year``, the
        year a candidate was built, empty otherwise), ``intake``
        :math:`\\sum_{k \\in in(f)} d_k`, ``use`` (intake / capacity), ``annual_cost``
        (annualised capex and fixed opex of an active candidate, undiscounted),
        ``co2_avoided_t`` :math:`\\sum_{k \\in in(f)} co2_k d_k / 1000`; then
        ``intake_<stream>`` per stream, the site's prefecture, park and coordinates.
    """
    case, sites, delivered_input = s.case, s.sites, p.delivered_input
    inputs = case.facility_inputs
    n_f = len(case.facilities)
    input_facility = _input_facility(case)
    fac = case.facilities[
        ["facility", "name", "tech", "site", "status", "capacity", "capex", "fixed_opex", "group"]
    ].copy()
    fac["built"] = p.active.astype(int)
    if p.year is not None:
        fac["build_year"] = _build_years(s)
    intake = np.bincount(input_facility, weights=delivered_input, minlength=n_f)
    fac["intake"] = intake
    fac["use"] = np.where(fac["capacity"] > 0, intake / fac["capacity"].to_numpy(), 0.0)
    fac["annual_cost"] = p.annual
    co2_input = inputs["co2"].to_numpy(dtype=float) * delivered_input / 1000.0
    fac["co2_avoided_t"] = np.bincount(input_facility, weights=co2_input, minlength=n_f)
    for stream in case.streams["stream"]:
        of_stream = (inputs["stream"] == stream).to_numpy()
        fac[f"intake_{stream}"] = np.bincount(
            input_facility[of_stream], weights=delivered_input[of_stream], minlength=n_f
        )
    for column in ("prefecture", "park", "lon", "lat"):
        fac[column] = sites[column].reindex(fac["site"]).to_numpy()
    return _with_year(fac, p.year)


def _input_facility(case: Case) -> np.ndarray:
    """The facility (index) of each input row."""
    index = pd.Index(case.facilities["facility"])
    return index.get_indexer(case.facility_inputs["facility"]).astype(np.int64)


def _build_years(s: _Solved) -> pd.Series:
    """Per facility, the year its build option was built (multi-year runs; NA otherwise)."""
    d, options = s.data, s.cand_built
    out = pd.Series(pd.NA, index=range(len(s.case.facilities)), dtype="Int64")
    years = np.asarray(d.years, dtype=np.int64)[d.facility_year[options]]
    out.iloc[d.facility_base[options]] = years
    return out


def _unused_table(s: _Solved, p: _Period) -> pd.DataFrame:
    """unused.csv of one period: one row per supply row, in the order of
    ``Case.supply_rows()`` (supply.csv's rows, then the chained outputs).

    Parameters
    ----------
    s : _Solved
        The solution.
    p : _Period
        The period.

    Returns
    -------
    pandas.DataFrame
        [``year``,] :data:`UNUSED_COLUMNS` (with ``produced_by`` after ``stream`` when the
        case has chains: the facility making the row, "" for supply.csv rows): the row's
        ``amount`` (that year's; a chained output's: the amount made), ``shipped``
        :math:`\\sum_{a \\in out(r)} x_a`, ``unused`` :math:`w_r`, the cost per unit left
        :math:`u_r` and ``unused_cost`` :math:`u_r w_r`, the site's prefecture and
        coordinates.
    """
    unused = s.rows[["site", "stream", "amount"]].copy()
    if s.chains:
        unused.insert(2, "produced_by", s.rows["produced_by"].to_numpy())
    if s.chains or p.year is not None:
        unused["amount"] = p.amount
    unused["unit"] = unused["stream"].map(s.units)
    unused["shipped"] = p.shipped
    unused["unused"] = p.w
    unused["unused_cost_per_unit"] = p.unused_rate
    unused["unused_cost"] = p.unused_rate * p.w
    for column in ("prefecture", "lon", "lat"):
        unused[column] = s.sites[column].reindex(unused["site"]).to_numpy()
    return _with_year(unused, p.year)


def _cost_parts(s: _Solved, p: _Period) -> dict[str, float]:
    """The parts of one period's system cost (module docstring), which add up to the
    single-period objective (a multi-year objective: their discounted sum over the years).

    Parameters
    ----------
    s : _Solved
        The solution.
    p : _Period
        The period.

    Returns
    -------
    dict[str, float]
        CNY/yr by part: ``capex_annualised``, ``fixed_opex`` (new and existing),
        ``transport`` :math:`\\sum_a unit\\_cost_a x_a`, ``links``, ``processing``
        :math:`\\sum_k (var\\_cost_k - value_k) d_k`, ``disposal`` and ``env_tax`` (the
        stream's rates times :math:`w_r`, rows without their own ``unused_cost``, chained
        outputs included), ``stock_left`` (:math:`u_r w_r`, rows with one).
    """
    case, w, rows = s.case, p.w, s.rows
    inputs = case.facility_inputs
    streams = case.streams.set_index("stream")
    own_rate = ~np.isnan(rows["unused_cost"].to_numpy(dtype=float))
    disposal_rate = streams["disposal_cost"].reindex(rows["stream"]).to_numpy()
    tax_rate = streams["env_tax"].reindex(rows["stream"]).to_numpy()
    on = np.flatnonzero(p.active & (case.facilities["status"] == "candidate").to_numpy())
    fixed_opex = case.facilities["fixed_opex"].to_numpy()[on]
    capex_ann = float((p.annual[on] - fixed_opex).sum())
    var_cost = inputs["var_cost"].to_numpy(dtype=float)
    value = inputs["value"].to_numpy(dtype=float)
    return {
        "capex_annualised": capex_ann,
        "fixed_opex": float(fixed_opex.sum()) + p.existing_fixed_opex,
        "transport": float((p.unit_cost * p.x).sum()),
        "links": float(p.link_cost_arc.sum()),
        "processing": float(((var_cost - value) * p.delivered_input).sum()),
        "disposal": float((disposal_rate * w)[~own_rate].sum()),
        "env_tax": float((tax_rate * w)[~own_rate].sum()),
        "stock_left": float((p.unused_rate * w)[own_rate].sum()),
    }


@dataclass(frozen=True)
class _Figures:
    """The key figures of a solution (or of one year of it), for kpis.csv and
    summary.json."""

    parts: dict[str, float]
    total_cost: float
    processing_cost: float
    product_value: float
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


def _targets(s: _Solved) -> list[dict[str, Any]]:
    """Each target's entry of summary.json: name, asked, required, delivered, shortfall,
    met (delivered reaches required, relative tolerance 1e-9), and its ``year`` in a
    multi-year run."""
    data, delivered_input = s.data, s.delivered_input
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
                **({"year": spec.year} if data.multi_year else {}),
                "asked": spec.asked,
                "required": spec.amount,
                "delivered": achieved,
                "shortfall": float(short),
                "met": bool(achieved >= spec.amount * (1 - 1e-9) - 1e-6),
            }
        )
    return targets


def _figures(s: _Solved, p: _Period) -> _Figures:
    """Cost, delivered amounts, CO2, projects built and targets of one period.

    Parameters
    ----------
    s : _Solved
        The solution.
    p : _Period
        The period.

    Returns
    -------
    _Figures
        ``total_cost`` is the sum of :func:`_cost_parts`; ``delivered_target``
        :math:`\\sum_{k: s_k\\ counted} d_k`; ``co2_gross`` :math:`\\sum_k co2_k d_k / 1000`
        and ``co2_transport`` :math:`\\sum_a co2_a x_a / 1000` (t/yr); the projects built
        in the period and its targets.
    """
    case, delivered_input = s.case, p.delivered_input
    parts = _cost_parts(s, p)
    inputs = case.facility_inputs
    streams = case.streams.set_index("stream")
    target_streams = set(streams.index[streams["target"] == 1])
    input_stream = inputs["stream"].to_numpy()
    counted = np.isin(input_stream, list(target_streams))
    fac_pref = s.sites["prefecture"].reindex(case.facilities["site"]).to_numpy()
    var_cost = inputs["var_cost"].to_numpy(dtype=float)
    value = inputs["value"].to_numpy(dtype=float)
    capex = case.facilities["capex"].to_numpy(dtype=float)
    return _Figures(
        parts=parts,
        total_cost=float(sum(parts.values())),
        processing_cost=float((var_cost * delivered_input).sum()),
        product_value=float((value * delivered_input).sum()),
        delivered_target=float(delivered_input[counted].sum()),
        by_stream=pd.Series(delivered_input).groupby(input_stream).sum(),
        by_prefecture=pd.Series(delivered_input[counted])
        .groupby(fac_pref[_input_facility(case)][counted])
        .sum(),
        co2_gross=float((inputs["co2"].to_numpy(dtype=float) * delivered_input).sum()) / 1000.0,
        co2_transport=float((p.arcs["co2_per_unit"].to_numpy() * p.x).sum()) / 1000.0,
        built_ids=sorted(case.facilities["facility"].to_numpy()[p.built_now].tolist()),
        capex_built=float(capex[p.built_now].sum()),
        targets=p.targets,
    )


def _horizon(periods: list[_Period], years: list[_Figures], targets: list[Any]) -> _Figures:
    """The figures of a multi-year horizon: money discounted and summed over the years
    (the cost parts add up to the objective), amounts summed, every project and target."""
    weights = [p.weight for p in periods]

    def discounted(get: Callable[[_Figures], float]) -> float:
        return float(sum(w * get(f) for w, f in zip(weights, years, strict=True)))

    parts = {
        k: float(sum(w * f.parts[k] for w, f in zip(weights, years, strict=True)))
        for k in years[0].parts
    }
    return _Figures(
        parts=parts,
        total_cost=float(sum(parts.values())),
        processing_cost=discounted(lambda f: f.processing_cost),
        product_value=discounted(lambda f: f.product_value),
        delivered_target=float(sum(f.delivered_target for f in years)),
        by_stream=pd.concat([f.by_stream for f in years]).groupby(level=0).sum(),
        by_prefecture=pd.concat([f.by_prefecture for f in years]).groupby(level=0).sum(),
        co2_gross=float(sum(f.co2_gross for f in years)),
        co2_transport=float(sum(f.co2_transport for f in years)),
        built_ids=sorted(b for f in years for b in f.built_ids),
        capex_built=float(sum(f.capex_built for f in years)),
        targets=list(targets),
    )


def _kpi_rows(
    s: _Solved, fig: _Figures, period: bool, penalty: float | None
) -> list[tuple[str, str, float, str]]:
    """kpis.csv's rows of a period (``period`` True: per-year units, its targets) or of a
    multi-year horizon (money discounted in CNY, amounts in t over the horizon)."""
    per = "/yr" if period else ""
    money = "CNY" + per
    rows: list[tuple[str, str, float, str]] = [("total_cost", "", fig.total_cost, money)]
    rows += [("cost_part", k, v, money) for k, v in fig.parts.items()]
    rows += [
        ("processing_cost", "", fig.processing_cost, money),
        ("product_value", "", fig.product_value, money),
        ("delivered_target", "", fig.delivered_target, "t" + per),
    ]
    rows += [
        ("delivered_by_stream", str(k), float(v), s.units.get(str(k), "") + per)
        for k, v in fig.by_stream.items()
    ]
    rows += [
        ("delivered_target_by_prefecture", str(p), float(v), "t" + per)
        for p, v in fig.by_prefecture.items()
    ]
    rows += [
        ("co2_avoided", "", fig.co2_avoided, "t" + per),
        ("co2_avoided_gross", "", fig.co2_gross, "t" + per),
        ("co2_transport", "", fig.co2_transport, "t" + per),
        ("projects_built", "", float(len(fig.built_ids)), "count"),
        ("capex_built", "", fig.capex_built, "CNY"),
    ]
    rows += [
        ("project_capex", f, float(c), "CNY")
        for f, c in zip(
            fig.built_ids,
            s.case.facilities.set_index("facility")["capex"].reindex(fig.built_ids).to_numpy(),
            strict=True,
        )
    ]
    if period:
        for target in fig.targets:
            rows.append(("target_delivered", target["name"], target["delivered"], ""))
            if penalty is not None:
                rows.append(("target_shortfall", target["name"], target["shortfall"], ""))
    return rows


def _kpi_table(
    s: _Solved, horizon: _Figures, years: list[tuple[int, _Figures]] | None
) -> pd.DataFrame:
    """kpis.csv: the long table [``year``,] ``kpi, key, value, unit``.

    Parameters
    ----------
    s : _Solved
        The solution.
    horizon : _Figures
        The key figures of the run (single period: its only period's).
    years : list of (int, _Figures) or None
        A multi-year run's figures per year (None: single period).

    Returns
    -------
    pandas.DataFrame
        In order: ``total_cost``, a ``cost_part`` per part, ``processing_cost``
        (:math:`\\sum_k var\\_cost_k d_k`), ``product_value`` (:math:`\\sum_k value_k d_k`),
        ``delivered_target``, ``delivered_by_stream`` and ``delivered_target_by_prefecture``
        per key, the CO2 figures, ``projects_built``, ``capex_built``, a ``project_capex``
        per project built, and per target ``target_delivered`` (and ``target_shortfall``
        with soft targets). A multi-year run has a first column ``year``: the horizon's
        rows (empty year; money discounted, CNY; amounts summed, t) then each year's
        (undiscounted, per year; projects built that year; the year's targets).
    """
    columns = ["kpi", "key", "value", "unit"]
    penalty = s.data.penalty
    if years is None:
        return pd.DataFrame(_kpi_rows(s, horizon, True, penalty), columns=columns)
    frames = [pd.DataFrame(_kpi_rows(s, horizon, False, penalty), columns=columns)]
    frames[0].insert(0, "year", pd.Series([pd.NA] * len(frames[0]), dtype="Int64"))
    for year, fig in years:
        frame = pd.DataFrame(_kpi_rows(s, fig, True, penalty), columns=columns)
        frame.insert(0, "year", pd.Series([year] * len(frame), dtype="Int64"))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _summary(
    s: _Solved, fig: _Figures, solution: Solution, name: str, more: Mapping[str, Any]
) -> dict[str, Any]:
    """summary.json.

    ``objective`` is the system cost (the cost parts' sum; over a multi-year horizon the
    discounted sum). With soft targets HiGHS minimises it plus the shortfall penalty (each
    year's discounted), and its bound and gap are on that basis: they are reported beside
    ``objective_with_penalty`` (``bound_with_penalty``), and ``bound``, a bound on the
    cost alone, which HiGHS does not prove, is null.

    Parameters
    ----------
    s : _Solved
        The solution's arrays.
    fig : _Figures
        Its key figures (a multi-year run's: the horizon's).
    solution : Solution
        The solver's answer (status, gap, bound, interruption).
    name : str
        The scenario's name.
    more : mapping
        The keys of a multi-year run (:func:`_years_summary`) and of chains
        (``chained_outputs``), put in their places; empty for a v1 run.

    Returns
    -------
    dict
        ``name``, ``status``, ``objective`` [, ``shortfall_penalty``,
        ``objective_with_penalty``], ``mip_gap``, ``bound`` [, ``bound_with_penalty``]
        [, ``years``, ``foresight``, ``cost_by_year``, ``discounted_cost_by_year``,
        ``delivered_by_year``], ``delivered_target_t``, ``co2_avoided_t``, ``built`` [,
        ``build_plan``], ``capex_built``, ``cost_parts``, ``delivered_by_stream``,
        ``targets`` [, ``stock_left``] [, ``chained_outputs``], ``highs_status`` [,
        ``interrupted``].
    """
    summary: dict[str, Any] = {"name": name, "status": solution.status}
    summary["objective"] = fig.total_cost
    soft = s.data.penalty is not None
    if s.data.penalty is not None:
        if s.data.multi_year:
            weight = np.array([t.weight for t in s.data.targets], dtype=float)
            penalty_cost = float(s.data.penalty * (weight * s.shortfall).sum())
        else:
            penalty_cost = float(s.data.penalty * s.shortfall.sum())
        summary["shortfall_penalty"] = penalty_cost
        summary["objective_with_penalty"] = fig.total_cost + penalty_cost
    summary["mip_gap"] = solution.mip_gap
    summary["bound"] = None if soft else solution.bound
    if soft:
        summary["bound_with_penalty"] = solution.bound
    summary.update({k: more[k] for k in _YEAR_KEYS if k in more})
    summary.update(
        {
            "delivered_target_t": fig.delivered_target,
            "co2_avoided_t": fig.co2_avoided,
            "built": fig.built_ids,
        }
    )
    summary.update({k: more[k] for k in ("build_plan",) if k in more})
    summary.update(
        {
            "capex_built": fig.capex_built,
            "cost_parts": fig.parts,
            "delivered_by_stream": {str(k): float(v) for k, v in fig.by_stream.items()},
            "targets": fig.targets,
        }
    )
    summary.update({k: more[k] for k in ("stock_left", "chained_outputs") if k in more})
    summary["highs_status"] = solution.highs_status
    if solution.interrupted:
        summary["interrupted"] = True
    return summary


#: summary.json's keys of a multi-year run that follow the solve's figures
_YEAR_KEYS = (
    "years",
    "foresight",
    "cost_by_year",
    "discounted_cost_by_year",
    "delivered_by_year",
)


def _years_summary(
    s: _Solved, periods: list[_Period], years: list[_Figures], foresight: str, plan: pd.DataFrame
) -> dict[str, Any]:
    """summary.json's keys of a multi-year run.

    Returns
    -------
    dict
        ``years``, ``foresight``, ``cost_by_year`` (each year's cost, undiscounted),
        ``discounted_cost_by_year`` (times its discount factor; they add up to
        ``objective``), ``delivered_by_year`` (t delivered toward the total target),
        ``build_plan`` (``facility, year, capacity, capex`` per build, by year) and
        ``stock_left`` (``site, stream, stock, drawn, left`` per stock row).
    """
    return {
        "years": list(s.data.years),
        "foresight": foresight,
        "cost_by_year": {str(p.year): f.total_cost for p, f in zip(periods, years, strict=True)},
        "discounted_cost_by_year": {
            str(p.year): p.weight * f.total_cost for p, f in zip(periods, years, strict=True)
        },
        "delivered_by_year": {
            str(p.year): f.delivered_target for p, f in zip(periods, years, strict=True)
        },
        "build_plan": [
            {"facility": f, "year": int(y), "capacity": float(c), "capex": float(x)}
            for f, y, c, x in plan[["facility", "year", "capacity", "capex"]].itertuples(
                index=False
            )
        ],
        "stock_left": _stock_left(s),
    }


def _stock_left(s: _Solved) -> list[dict[str, Any]]:
    """Per stock row (a supply row with a ``stock``): the stock, the amount drawn over the
    horizon (shipped, summed over the years) and what is left (stock - drawn)."""
    d, out = s.data, []
    for copies, stock in zip(d.stock_rows, d.stock_amount.tolist(), strict=True):
        row = int(d.supply_base[copies[0]])
        drawn = float(s.shipped_supply[copies].sum())
        out.append(
            {
                "site": str(s.rows["site"].iat[row]),
                "stream": str(s.rows["stream"].iat[row]),
                "stock": float(stock),
                "drawn": drawn,
                "left": float(_clean(np.array([stock - drawn]))[0]),
            }
        )
    return out


def _chained_outputs(s: _Solved) -> list[dict[str, Any]]:
    """summary.json's ``chained_outputs``: per chained output (facility, stream[, year]),
    the amount ``made`` (yield x the facility's intake), where it went (``to``: per
    facility, ``shipped`` and ``delivered``), and what was left ``unused``."""
    d = s.data
    arc_base = d.arc_base if d.multi_year else np.arange(d.n_arcs)
    supply_base = d.supply_base if d.multi_year else np.arange(d.n_supply)
    arc_facility = s.arcs["facility"].to_numpy()[arc_base]
    out = []
    for r in np.flatnonzero(d.supply_source >= 0).tolist():
        base = int(supply_base[r])
        arcs_of = d.members(d.arcs_by_supply, r)
        arcs_of = arcs_of[s.x[arcs_of] > 0]
        to = (
            pd.DataFrame(
                {
                    "facility": arc_facility[arcs_of],
                    "shipped": s.x[arcs_of],
                    "delivered": s.delivered_arc[arcs_of],
                }
            )
            .groupby("facility", sort=True)
            .sum()
        )
        out.append(
            {
                "facility": str(s.rows["produced_by"].iat[base]),
                "stream": str(s.rows["stream"].iat[base]),
                **({"year": d.years[int(d.supply_year[r])]} if d.multi_year else {}),
                "made": float(s.made[r]),
                "shipped": float(s.shipped_supply[r]),
                "unused": float(s.w[r]),
                "to": [
                    {"facility": str(f), "shipped": float(a), "delivered": float(b)}
                    for f, a, b in to[["shipped", "delivered"]].itertuples()
                ],
            }
        )
    return out


def _plan_table(s: _Solved) -> pd.DataFrame:
    """plan.csv (multi-year runs): one row per candidate built, by year then facility.

    Returns
    -------
    pandas.DataFrame
        :data:`PLAN_COLUMNS`: the facility, its name, tech, site and prefecture, the
        ``year`` it was built, ``capacity``, ``capex``, ``lifetime`` and ``active_until``,
        the last year of the horizon it is active (:math:`y \\le t < y + lifetime`).
    """
    d, options = s.data, s.cand_built
    fac = s.case.facilities
    base = d.facility_base[options]
    year = np.asarray(d.years, dtype=np.int64)
    members, start = d.facility_builds if d.facility_builds is not None else (options, None)
    copy_of = np.repeat(np.arange(d.n_facilities), np.diff(start)) if start is not None else options
    last = pd.Series(year[d.facility_year[copy_of]]).groupby(members).max()
    plan = pd.DataFrame(
        {
            "facility": fac["facility"].to_numpy()[base],
            "name": fac["name"].to_numpy()[base],
            "tech": fac["tech"].to_numpy()[base],
            "site": fac["site"].to_numpy()[base],
            "prefecture": s.sites["prefecture"].reindex(fac["site"].to_numpy()[base]).to_numpy(),
            "year": year[d.facility_year[options]],
            "capacity": fac["capacity"].to_numpy(dtype=float)[base],
            "capex": fac["capex"].to_numpy(dtype=float)[base],
            "lifetime": fac["lifetime"].to_numpy(dtype=float)[base],
            "active_until": last.reindex(options).to_numpy(dtype=np.int64),
        },
        columns=list(PLAN_COLUMNS),
    )
    return plan.sort_values(["year", "facility"], kind="stable").reset_index(drop=True)


def build_results(
    case: Case,
    arcs: pd.DataFrame,
    data: ModelData,
    solution: Solution,
    name: str,
    *,
    foresight: str = "perfect",
) -> Results:
    """Tables and KPIs from a solution with values.

    A multi-year model (``data.years``) gets tables with a first column ``year`` (each
    year's rows, undiscounted), a plan (:data:`PLAN_COLUMNS`) and the horizon's figures in
    summary.json (``objective`` the discounted total, ``cost_by_year`` ...); a case with
    chained outputs gets ``from_facility`` in flows.csv, ``produced_by`` in unused.csv and
    ``chained_outputs`` in summary.json. Otherwise every table is as in the single-period
    model.

    Parameters
    ----------
    case : Case
        The case solved.
    arcs : pandas.DataFrame
        Its candidate arcs: in :class:`ModelData` arc order, or, in a multi-year model, one
        period's (``data.arc_base`` maps each arc copy to its row).
    data : ModelData
        The model's data (not reduced: the solution is expanded to it first).
    solution : Solution
        A solution with values (``x``, ``y``, ``b``, ``w``, ``shortfall``).
    name : str
        The scenario's name.
    foresight : str
        ``perfect`` or ``myopic`` (how a multi-year run was solved, for summary.json).

    Returns
    -------
    Results
        The flows, facilities and unused tables, the KPIs and summary.json; ``cost_part``
        rows add up to ``total_cost`` (module docstring), discounted over a horizon.
    """
    s = _solved(case, arcs, data, solution)
    targets = _targets(s)
    periods = _periods(s, targets)
    figures = [_figures(s, p) for p in periods]
    multi = data.multi_year
    fig = _horizon(periods, figures, targets) if multi else figures[0]
    plan = _plan_table(s) if multi else None
    more = _years_summary(s, periods, figures, foresight, plan) if plan is not None else {}
    if s.chains:
        more["chained_outputs"] = _chained_outputs(s)
    return Results(
        _concat([_flows_table(s, p) for p in periods]),
        _concat([_facilities_table(s, p) for p in periods]),
        _concat([_unused_table(s, p) for p in periods]),
        _kpi_table(s, fig, list(zip(data.years, figures, strict=True)) if multi else None),
        _summary(s, fig, solution, name, more),
        plan=plan,
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
    target; kpis.csv a ``target_shadow_price`` row per known price (in a multi-year run,
    in its target's year).
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
        if "year" in results.kpis.columns:  # a multi-year run: each price in its year
            year_of = {t["name"]: t.get("year") for t in summary.get("targets", [])}
            years = [year_of.get(name) for name in extra["key"]]
            extra.insert(0, "year", pd.Series(years, dtype="Int64"))
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
    """Write summary.json, flows.csv, facilities.csv, unused.csv, kpis.csv, a multi-year
    run's plan.csv and manifest.json (which lists them all as this run's files).

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
    if results.plan is not None:
        writers["plan.csv"] = csv(results.plan)
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
    "from_facility",
    "produced_by",
)
#: columns read as (nullable) integers: the years of multi-year runs
YEAR_COLUMNS = ("year", "build_year", "active_until")


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
        was False); a multi-year run's have a first column ``year``.
    missing : tuple[str, ...]
        The files of a run folder that were not there (plan.csv counts for multi-year runs
        only).
    plan : pandas.DataFrame
        A multi-year run's plan.csv (:data:`PLAN_COLUMNS`; empty otherwise).
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
    plan: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(PLAN_COLUMNS)))

    @property
    def years(self) -> list[int]:
        """A multi-year run's years ([] for a single-period run)."""
        return [int(y) for y in self.summary.get("years") or []]

    @property
    def build_years(self) -> dict[str, int]:
        """A multi-year run's candidates built -> the year each was built ({} otherwise)."""
        return {str(b["facility"]): int(b["year"]) for b in self.summary.get("build_plan") or []}

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
        problem = Problem(str(path), _("cannot read: {error}").format(error=exc))
        raise InputError([problem], what) from None
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), _("not a JSON object"))], what)
    return data


def _read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """A table of a run folder: ids as text, years as nullable integers, the rest numbers
    (or an :class:`InputError` naming the file, row, column and value that are not)."""
    if not path.is_file():
        return pd.DataFrame(columns=list(columns))
    try:
        header = pd.read_csv(path, nrows=0).columns
        text = {c: str for c in TEXT_COLUMNS if c in header}
        dtypes: dict[str, Any] = {**text, **{c: "Int64" for c in YEAR_COLUMNS if c in header}}
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=True)
    except (OSError, ValueError) as exc:  # pandas' parser and empty-data errors are ValueErrors
        raise InputError(_table_problems(path, exc), "run folder") from None
    problems = _not_numbers(path, frame, [c for c in frame.columns if c not in text])
    if problems:
        raise InputError(problems, "run folder")
    for column in text:
        frame[column] = frame[column].fillna("").astype(object)
    return frame


def _table_problems(path: Path, exc: Exception) -> list[Problem]:
    """Why a run folder's table cannot be read: the year cells that are not whole numbers,
    else the reader's own words."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError):
        raw = pd.DataFrame()
    problems = []
    for column in YEAR_COLUMNS:
        if column not in raw.columns:
            continue
        for index, value in enumerate(raw[column].tolist()):
            if value.strip() and not re.fullmatch(r"\s*[+-]?\d+(\.0*)?\s*", value):
                problems.append(
                    Problem(
                        str(path),
                        _("not a year; allowed: a whole number such as 2030, or empty"),
                        row=index + 2,
                        column=column,
                        value=value,
                    )
                )
                break
    if problems:
        return problems
    return [Problem(str(path), _("cannot read as a CSV table: {error}").format(error=exc))]


def _not_numbers(path: Path, frame: pd.DataFrame, columns: Sequence[str]) -> list[Problem]:
    """The first cell of each column (other than ids) that is neither a number nor
    true/false, located as a spreadsheet shows it."""
    problems = []
    for column in columns:
        series = frame[column]
        if series.empty or pd.api.types.is_numeric_dtype(series) or series.dtype == bool:
            continue
        for index, value in enumerate(series.tolist()):
            if value is None or isinstance(value, bool | int | float):
                continue
            if str(value).strip().lower() in ("true", "false", "nan", ""):
                continue
            try:
                float(str(value))
            except ValueError:
                problems.append(
                    Problem(
                        str(path),
                        _("not a number; allowed: a number, or empty"),
                        row=index + 2,
                        column=str(column),
                        value=str(value),
                    )
                )
                break
    return problems


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
        Ids and labels read as text ("" when empty), years as nullable integers
        (:data:`YEAR_COLUMNS`), numbers as numbers; a multi-year run's plan.csv too.

    Raises
    ------
    InputError
        The folder, or its summary.json, is missing or unreadable.
    """
    path = Path(path)
    what = "run folder"
    if not path.is_dir():
        raise InputError(
            [Problem(str(path), _("no such run folder (write one with `symbiosis run`)"))], what
        )
    summary_file = path / "summary.json"
    if not summary_file.is_file():
        raise InputError(
            [
                Problem(
                    str(path),
                    _("not a run folder: no summary.json (write one with symbiosis run)"),
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
    expected = ["summary.json", *RUN_TABLES, "manifest.json"]
    if summary.get("years") and summary.get("objective") is not None:
        expected.append("plan.csv")  # a solved multi-year run has its plan
    missing = tuple(name for name in expected if not (path / name).is_file())
    plan_file = path / "plan.csv"
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
        plan=_read_table(plan_file, PLAN_COLUMNS)
        if tables
        else pd.DataFrame(columns=list(PLAN_COLUMNS)),
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
