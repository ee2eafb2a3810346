"""Plain data for the MILP: numpy arrays and lists, precomputed once from case, arcs and
scenario, so that no Pyomo rule ever looks anything up in pandas or networkx."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from symbiosis import units
from symbiosis.case import Case, InputError, Problem
from symbiosis.scenario import Scenario


def annuity_factor(rate: float, years: np.ndarray | float) -> np.ndarray:
    """The annuity factor :math:`AF(r, n) = r / (1 - (1 + r)^{-n})`, and :math:`1/n` when
    :math:`r = 0`: the share of a capital cost paid each year over :math:`n` years.

    Parameters
    ----------
    rate : float
        The discount rate :math:`r` (0.06 for 6 %).
    years : numpy.ndarray or float
        The lifetimes :math:`n`, in years.

    Returns
    -------
    numpy.ndarray
        :math:`AF(r, n)` per lifetime.
    """
    n = np.asarray(years, dtype=float)
    if rate == 0:
        return 1.0 / n
    return rate / (1.0 - (1.0 + rate) ** (-n))


def group_index(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR grouping: ``order[start[g]:start[g + 1]]`` are the positions whose key is ``g``.

    Parameters
    ----------
    keys : numpy.ndarray
        A group number in ``0 .. n_groups - 1`` per position.
    n_groups : int
        The number of groups.

    Returns
    -------
    order : numpy.ndarray
        The positions, sorted by key (stable).
    start : numpy.ndarray
        ``n_groups + 1`` offsets into ``order``.
    """
    order = np.argsort(keys, kind="stable")
    start = np.searchsorted(keys[order], np.arange(n_groups + 1))
    return order, start


@dataclass(frozen=True)
class TargetSpec:
    """One delivery target: :math:`\\sum_{k \\in K_t} d_k + short_t \\ge amount_t`.

    Attributes
    ----------
    name : str
        ``total``, the stream id, or ``prefecture:<name>``.
    amount : float
        :math:`amount_t`, units per year.
    input_rows : numpy.ndarray
        :math:`K_t`, the input rows it counts.
    asked : str
        How the scenario put it, for messages (``90 Mt/yr``, ``80% of supply (...)``).
    """

    name: str  # "total", the stream id, or "prefecture:<name>"
    amount: float
    input_rows: np.ndarray
    asked: str  # how the scenario put it, for messages ("90 Mt/yr", "80% of supply")
    #: only deliveries of these supply rows count (a prefecture's); None: of any supply row
    supply_rows: np.ndarray | None = None

    def arc_mask(self, arc_input: np.ndarray, arc_supply: np.ndarray) -> np.ndarray:
        """The arcs whose deliveries count toward this target: into its input rows and, for
        a prefecture's target, from its supply rows.

        Parameters
        ----------
        arc_input, arc_supply : numpy.ndarray
            Each arc's input row and supply row (:class:`ModelData`).

        Returns
        -------
        numpy.ndarray
            One bool per arc.
        """
        mask = np.isin(arc_input, self.input_rows)
        if self.supply_rows is not None:
            mask &= np.isin(arc_supply, self.supply_rows)
        return mask


@dataclass
class ModelData:
    """Everything the Pyomo formulation needs, as plain arrays (see CASE_FORMAT.md "The MILP").

    Index sets: arcs ``a``, supply rows ``r`` (site, stream), input rows ``k`` (facility,
    stream), facilities ``f``, candidates ``c`` (a subset of facilities).

    Attributes
    ----------
    arc_supply, arc_input : numpy.ndarray
        Per arc, its supply row :math:`r` and input row :math:`k`.
    arc_eff, arc_unit_cost, arc_link_cost, arc_big_m, arc_co2 : numpy.ndarray
        Per arc: efficiency :math:`eff_a`, cost per unit shipped, yearly link cost, big-M
        :math:`M_a`, transport CO2 per unit (kg).
    link_arcs : numpy.ndarray
        The arcs with a link cost > 0 (they get a binary :math:`y_a`).
    supply_amount, supply_unused_cost : numpy.ndarray
        Per supply row: :math:`amount_r` and the cost per unit left unused :math:`u_r`.
    input_facility, input_max_share, input_net_cost, input_co2 : numpy.ndarray
        Per input row: its facility, :math:`max\\_share_k`, :math:`var\\_cost_k -
        value_k` and CO2 avoided per unit delivered (kg).
    facility_capacity, facility_candidate, facility_annual_cost, facility_capex
        Per facility: capacity, whether a candidate, :math:`capex_c AF(r, n_c) +
        fixed\\_opex_c` (candidates; 0 otherwise), capex (candidates; 0 otherwise).
    existing_fixed_opex : float
        The existing facilities' fixed opex, a constant of the objective.
    candidates : numpy.ndarray
        Facility indices of the candidates.
    groups : list[numpy.ndarray]
        Facility indices of each group of two or more candidates.
    targets : list[TargetSpec]
        The delivery targets (total first, then streams by id).
    penalty : float or None
        Price per unit of shortfall of soft targets; None: targets are hard.
    max_new_facilities, capex_budget : int, float or None
        Limits (8); None: no limit.
    arcs_by_supply, arcs_by_input, inputs_by_facility : tuple
        CSR groupings (:func:`group_index`; read with :meth:`members`).
    fixed_build : dict[int, int]
        Candidate facility index -> :math:`b_c` fixed at 0 or 1 (``force_build``,
        ``forbid``).
    co2_min : float or None
        The scenario's ``target.co2_avoided`` (t CO2/yr), a hard floor; None: none.
    """

    # arcs
    arc_supply: np.ndarray
    arc_input: np.ndarray
    arc_eff: np.ndarray
    arc_unit_cost: np.ndarray
    arc_link_cost: np.ndarray
    arc_big_m: np.ndarray
    link_arcs: np.ndarray  # arcs with link cost > 0 (they get a binary y)
    # supply rows
    supply_amount: np.ndarray
    supply_unused_cost: np.ndarray
    # input rows
    input_facility: np.ndarray
    input_max_share: np.ndarray
    input_net_cost: np.ndarray  # var_cost - value per delivered unit
    input_co2: np.ndarray
    # facilities
    facility_capacity: np.ndarray
    facility_candidate: np.ndarray  # bool
    facility_annual_cost: np.ndarray  # capex * AF + fixed_opex (candidates)
    facility_capex: np.ndarray
    existing_fixed_opex: float
    candidates: np.ndarray  # facility indices of candidates
    groups: list[np.ndarray]  # facility indices sharing a group (>= 2 candidates)
    # policy
    targets: list[TargetSpec]
    penalty: float | None
    max_new_facilities: int | None
    capex_budget: float | None
    # groupings (CSR)
    arcs_by_supply: tuple[np.ndarray, np.ndarray] = field(
        repr=False, default=(np.empty(0), np.empty(0))
    )
    arcs_by_input: tuple[np.ndarray, np.ndarray] = field(
        repr=False, default=(np.empty(0), np.empty(0))
    )
    inputs_by_facility: tuple[np.ndarray, np.ndarray] = field(
        repr=False, default=(np.empty(0), np.empty(0))
    )
    # scenario overrides: candidate facility index -> b fixed at 0 or 1 (force_build, forbid)
    fixed_build: dict[int, int] = field(default_factory=dict)
    # transport CO2 per unit shipped on each arc, kg (for CO2 constraints and reports)
    arc_co2: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    #: the scenario's ``target.co2_avoided`` (t CO2/yr), a hard floor; None: none
    co2_min: float | None = None

    def arc_co2_avoided(self) -> np.ndarray:
        """t CO2 avoided per unit shipped on each arc:
        :math:`(co2_{k(a)} eff_a - co2^{tr}_a) / 1000` (CO2 of the use, less transport).

        Returns
        -------
        numpy.ndarray
            One coefficient per arc.
        """
        return (self.input_co2[self.arc_input] * self.arc_eff - self.arc_co2) / 1000.0

    @property
    def n_arcs(self) -> int:
        return len(self.arc_supply)

    @property
    def n_supply(self) -> int:
        return len(self.supply_amount)

    @property
    def n_inputs(self) -> int:
        return len(self.input_facility)

    @property
    def n_facilities(self) -> int:
        return len(self.facility_capacity)

    def members(self, grouping: tuple[np.ndarray, np.ndarray], g: int) -> np.ndarray:
        """The members of group ``g`` of a CSR grouping.

        Parameters
        ----------
        grouping : tuple[numpy.ndarray, numpy.ndarray]
            ``(order, start)`` of :func:`group_index` (``arcs_by_supply``,
            ``arcs_by_input``, ``inputs_by_facility``).
        g : int
            The group (a supply row, input row or facility).

        Returns
        -------
        numpy.ndarray
            The positions in group ``g`` (arcs, or input rows).
        """
        order, start = grouping
        return order[start[g] : start[g + 1]]


def _fmt_amount(amount: float, unit: str) -> str:
    return units.amount(amount, unit, digits=2, per_year=True)


def _prefecture_targets(
    case: Case, scenario: Scenario, input_stream: np.ndarray, streams: pd.DataFrame
) -> list[TargetSpec]:
    """One target per ``target.prefectures`` entry: deliveries of the prefecture's supply
    of target streams (its supply rows, into every input row of a target stream), at least
    ``amount``, or ``share`` of that supply."""
    counted = set(streams.index[streams["target"] == 1])
    rows = np.flatnonzero(np.isin(input_stream, list(counted)))
    site_pref = case.sites.set_index("site")["prefecture"]
    supply_pref = site_pref.reindex(case.supply["site"]).to_numpy()
    counts = case.supply["stream"].isin(list(counted)).to_numpy()
    out = []
    for prefecture, spec in sorted(scenario.target.prefectures.items()):
        supply_rows = np.flatnonzero((supply_pref == prefecture) & counts)
        if spec.amount is not None:
            amount, asked = float(spec.amount), _fmt_amount(float(spec.amount), "t")
        else:
            share = float(spec.share or 0.0)
            amount = share * float(case.supply["amount"].to_numpy()[supply_rows].sum())
            asked = f"{share:.0%} of its supply ({_fmt_amount(amount, 't')})"
        out.append(TargetSpec(f"prefecture:{prefecture}", amount, rows, asked, supply_rows))
    return out


def build_model_data(case: Case, arcs: pd.DataFrame, scenario: Scenario) -> ModelData:
    """Precompute the MILP's data from a checked case, its arcs and a scenario.

    Candidates' annual cost is :math:`capex_c AF(r, n_c) + fixed\\_opex_c`; the total
    target counts the input rows of the streams with ``target`` 1, a stream target those of
    its stream (an amount, or a share of the stream's supply).

    Parameters
    ----------
    case : Case
        A checked case.
    arcs : pandas.DataFrame
        Its candidate arcs (:func:`symbiosis.network.build_arcs`).
    scenario : Scenario
        The scenario (discount rate, targets, limits, overrides).

    Returns
    -------
    ModelData
        Arrays in the index order of the case's rows and of ``arcs``.

    Raises
    ------
    InputError
        A ``force_build`` / ``forbid`` override names a facility that is not a candidate.
    """
    facilities = case.facilities
    fac_index = pd.Index(facilities["facility"])
    inputs = case.facility_inputs
    input_facility = fac_index.get_indexer(inputs["facility"]).astype(np.int64)

    candidate = (facilities["status"] == "candidate").to_numpy()
    capex = facilities["capex"].to_numpy(dtype=float)
    fixed = facilities["fixed_opex"].to_numpy(dtype=float)
    lifetime = facilities["lifetime"].to_numpy(dtype=float)
    annual = np.zeros(len(facilities))
    if candidate.any():
        annual[candidate] = (
            capex[candidate] * annuity_factor(scenario.discount_rate, lifetime[candidate])
            + fixed[candidate]
        )
    groups: list[np.ndarray] = []
    grouped = facilities.loc[candidate & (facilities["group"] != "").to_numpy()]
    for _, members in grouped.groupby("group", sort=True):
        if len(members) >= 2:
            groups.append(fac_index.get_indexer(members["facility"]).astype(np.int64))

    # Targets.
    streams = case.streams.set_index("stream")
    input_stream = inputs["stream"].to_numpy()
    targets: list[TargetSpec] = []
    if scenario.target.total is not None:
        counted = set(streams.index[streams["target"] == 1])
        rows = np.flatnonzero(np.isin(input_stream, list(counted)))
        targets.append(
            TargetSpec(
                "total",
                float(scenario.target.total),
                rows,
                _fmt_amount(float(scenario.target.total), "t"),
            )
        )
    supply_by_stream = case.supply.groupby("stream")["amount"].sum()
    for stream, spec in sorted(scenario.target.streams.items()):
        rows = np.flatnonzero(input_stream == stream)
        unit = str(streams.at[stream, "unit"])
        if spec.amount is not None:
            amount, asked = float(spec.amount), _fmt_amount(float(spec.amount), unit)
        else:
            share = float(spec.share or 0.0)
            amount = share * float(supply_by_stream.get(stream, 0.0))
            asked = f"{share:.0%} of supply ({_fmt_amount(amount, unit)})"
        targets.append(TargetSpec(stream, amount, rows, asked))
    targets += _prefecture_targets(case, scenario, input_stream, streams)

    fixed_build: dict[int, int] = {}
    overrides = scenario.overrides
    for ids, value in ((overrides.force_build, 1), (overrides.forbid, 0)):
        for fid in ids:
            f = int(fac_index.get_indexer([fid])[0])
            if f < 0 or not candidate[f]:
                raise InputError(
                    [Problem("scenario", f"overrides: {fid!r} is not a candidate facility")],
                    "scenario",
                )
            fixed_build[f] = value

    arc_supply = arcs["supply_row"].to_numpy(dtype=np.int64)
    arc_input = arcs["input_row"].to_numpy(dtype=np.int64)
    link_cost = arcs["link_cost"].to_numpy(dtype=float)
    return ModelData(
        arc_supply=arc_supply,
        arc_input=arc_input,
        arc_eff=arcs["eff"].to_numpy(dtype=float),
        arc_unit_cost=arcs["unit_cost"].to_numpy(dtype=float),
        arc_link_cost=link_cost,
        arc_big_m=arcs["big_m"].to_numpy(dtype=float),
        link_arcs=np.flatnonzero(link_cost > 0),
        supply_amount=case.supply["amount"].to_numpy(dtype=float),
        supply_unused_cost=case.unused_cost(),
        input_facility=input_facility,
        input_max_share=inputs["max_share"].to_numpy(dtype=float),
        input_net_cost=(inputs["var_cost"] - inputs["value"]).to_numpy(dtype=float),
        input_co2=inputs["co2"].to_numpy(dtype=float),
        facility_capacity=facilities["capacity"].to_numpy(dtype=float),
        facility_candidate=candidate,
        facility_annual_cost=annual,
        facility_capex=np.where(candidate, capex, 0.0),
        existing_fixed_opex=float(fixed[~candidate].sum()),
        candidates=np.flatnonzero(candidate),
        groups=groups,
        targets=targets,
        penalty=scenario.target.penalty,
        max_new_facilities=scenario.limits.max_new_facilities,
        capex_budget=scenario.limits.capex_budget,
        arcs_by_supply=group_index(arc_supply, len(case.supply)),
        arcs_by_input=group_index(arc_input, len(inputs)),
        inputs_by_facility=group_index(input_facility, len(facilities)),
        fixed_build=fixed_build,
        arc_co2=arcs["co2_per_unit"].to_numpy(dtype=float),
        co2_min=scenario.target.co2_avoided,
    )
