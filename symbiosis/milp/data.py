"""Plain data for the MILP: numpy arrays and lists, precomputed once from case, arcs and
scenario, so that no Pyomo rule ever looks anything up in pandas or networkx."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from symbiosis import units
from symbiosis.case import Case, InputError, Problem
from symbiosis.i18n import N_, Message, _
from symbiosis.scenario import Scenario, for_year


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
    #: the year it applies to (multi-year models; None: the single period)
    year: int | None = None
    #: the discount factor of its year (prices its shortfall when targets are soft)
    weight: float = 1.0

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
    # ---- Model v2 (all empty / None for the single-period v1 model) ----
    #: chains: per supply row, the facility whose intake makes it (-1: a supply.csv row) and
    #: the yield (units out per unit taken in); empty: no chains
    supply_source: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    supply_yield: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    #: multi-year horizon: the years (empty: single period) and each year's discount factor
    years: tuple[int, ...] = ()
    discount: np.ndarray = field(repr=False, default_factory=lambda: np.ones(1))
    #: year index of each arc, supply row, input row and facility copy
    arc_year: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    supply_year: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    input_year: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    facility_year: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    #: the row each copy stands for: in ``arcs``, ``Case.supply_rows()``,
    #: ``case.facility_inputs`` and ``case.facilities``
    arc_base: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    supply_base: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    input_base: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    facility_base: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    #: CSR: for each facility copy, the build options (candidates ``c``) that make it active;
    #: None: each candidate facility is its own option (v1)
    facility_builds: tuple[np.ndarray, np.ndarray] | None = field(repr=False, default=None)
    #: stocks: the supply copies of each stock row, and the stock (units over the horizon)
    stock_rows: list[np.ndarray] = field(repr=False, default_factory=list)
    stock_amount: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    #: option sets of which exactly one is built (``force_build`` over years)
    must_build: list[np.ndarray] = field(repr=False, default_factory=list)
    #: per-year limits: year index -> most options built that year / their capex
    max_new_by_year: dict[int, float] = field(default_factory=dict)
    capex_budget_by_year: dict[int, float] = field(default_factory=dict)
    #: per-year CO2 floors (t CO2 in that year): year index -> floor
    co2_min_by_year: dict[int, float] = field(default_factory=dict)
    #: undiscounted fixed opex of the existing facilities active in each year
    existing_fixed_opex_by_year: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))

    @property
    def multi_year(self) -> bool:
        """Whether this is a multi-year (time-expanded) model."""
        return bool(self.years)

    @property
    def has_chains(self) -> bool:
        """Whether some supply row is made by a facility (``facility_outputs``)."""
        return bool(len(self.supply_source)) and bool((self.supply_source >= 0).any())

    def year_weight(self, year_index: np.ndarray, n: int) -> np.ndarray:
        """The discount factor of each element: :math:`(1 + r)^{-(t - t_0)}` of its year,
        ones for the single-period model.

        Parameters
        ----------
        year_index : numpy.ndarray
            The elements' year indices (``arc_year`` ...); empty for a v1 model.
        n : int
            The number of elements.

        Returns
        -------
        numpy.ndarray
            One factor per element.
        """
        if not len(year_index):
            return np.ones(n)
        return self.discount[year_index]

    def builds_of(self, f: int) -> np.ndarray:
        """The build options :math:`c` whose :math:`b_c` make facility ``f`` active:
        :math:`B_f = \\sum_{c \\in builds(f)} b_c` for a candidate (``[f]`` in v1).

        Parameters
        ----------
        f : int
            A candidate facility (copy).

        Returns
        -------
        numpy.ndarray
            Candidate indices (keys of ``b``).
        """
        if self.facility_builds is None:
            return np.array([f], dtype=np.int64)
        return self.members(self.facility_builds, f)

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


#: how a target is asked, as a diagnosis quotes it (:attr:`TargetSpec.asked`): an amount per
#: year, a share of a stream's supply, a share of a prefecture's supply
ASKED_AMOUNT = N_("{amount}/yr")
ASKED_SHARE = N_("{share} of supply ({amount})")
ASKED_PREFECTURE_SHARE = N_("{share} of its supply ({amount})")
#: the English of each (read back from summary.json by :func:`asked_message`)
_ASKED_READ = (
    (re.compile(r"^(?P<share>\d+%) of supply \((?P<amount>.+)/yr\)$"), ASKED_SHARE),
    (re.compile(r"^(?P<share>\d+%) of its supply \((?P<amount>.+)/yr\)$"), ASKED_PREFECTURE_SHARE),
    (re.compile(r"^(?P<amount>.+)/yr$"), ""),
)


def _fmt_amount(amount: float, unit: str) -> Message:
    """``12.35 Mt/yr``, its ``/yr`` shown in the language (English in files)."""
    return Message(ASKED_AMOUNT, amount=units.amount(amount, unit, digits=2))


def asked_message(text: str) -> str:
    """A target's ``asked`` read back from summary.json, as the message it was written from.

    Parameters
    ----------
    text : str
        The English text (``1.20 Mt/yr``, ``85% of supply (15.98 Mt/yr)``).

    Returns
    -------
    str
        The :class:`~symbiosis.i18n.Message` (:data:`ASKED_AMOUNT`, :data:`ASKED_SHARE`,
        :data:`ASKED_PREFECTURE_SHARE`) whose English is ``text``, shown in the language;
        ``text`` itself when it is none of them.
    """
    for pattern, template in _ASKED_READ:
        found = pattern.match(text)
        if found is None:
            continue
        per_year = Message(ASKED_AMOUNT, amount=found["amount"])
        message = Message(template, share=found["share"], amount=per_year) if template else per_year
        if message == text:
            return message
    return text


@dataclass(frozen=True)
class _Rows:
    """The rows one period's targets count: input rows ``input_rows`` (positions, in the
    order of ``case.facility_inputs``), supply rows ``supply_rows`` (positions, in the order
    of ``Case.supply_rows()``) with this period's ``amount`` (0 for chained outputs)."""

    input_rows: np.ndarray
    supply_rows: np.ndarray
    amount: np.ndarray


def build_targets(
    case: Case, scenario: Scenario, rows: _Rows, year: int | None = None, weight: float = 1.0
) -> list[TargetSpec]:
    """The delivery targets of one period: total first, then streams by id, then
    prefectures by name.

    The total counts the input rows of the streams with ``target`` 1; a stream target those
    of its stream, at least ``amount`` or ``share`` of the stream's supply; a prefecture's
    target the deliveries of supply rows at its sites (chained outputs included), of
    target streams, at least ``amount`` or ``share`` of that supply. Shares are of the
    supply.csv rows' amounts of the period (chained outputs are not in the base).

    Parameters
    ----------
    case : Case
        The checked case.
    scenario : Scenario
        Its ``target`` (numbers, or per-year mappings read with
        :func:`~symbiosis.scenario.for_year`).
    rows : _Rows
        The period's input and supply rows (positions in the model) and supply amounts.
    year : int or None
        The period's year (None: the single-period model; names get no ``@year``).
    weight : float
        The period's discount factor.

    Returns
    -------
    list[TargetSpec]
        The targets set for this period.
    """
    streams = case.streams.set_index("stream")
    base = case.supply_rows()
    inputs = case.facility_inputs
    input_stream = inputs["stream"].to_numpy()
    counted = set(streams.index[streams["target"] == 1])
    raw = (base["produced_by"] == "").to_numpy()
    suffix = "" if year is None else f"@{year}"
    out: list[TargetSpec] = []

    def spec(name: str, amount: float, k: np.ndarray, asked: str, r: np.ndarray | None) -> None:
        out.append(TargetSpec(name + suffix, amount, k, asked, r, year, weight))

    total = for_year(scenario.target.total, year)
    if total is not None:
        k = rows.input_rows[np.isin(input_stream, list(counted))]
        spec("total", float(total), k, _fmt_amount(float(total), "t"), None)
    supply_by_stream = (
        pd.Series(rows.amount[raw], dtype=float).groupby(base["stream"].to_numpy()[raw]).sum()
    )
    for stream, target in sorted(scenario.target.streams.items()):
        unit = str(streams.at[stream, "unit"])
        amount_of, share_of = for_year(target.amount, year), for_year(target.share, year)
        if amount_of is None and share_of is None:
            continue
        k = rows.input_rows[input_stream == stream]
        if amount_of is not None:
            spec(stream, float(amount_of), k, _fmt_amount(float(amount_of), unit), None)
        else:
            amount = float(share_of or 0.0) * float(supply_by_stream.get(stream, 0.0))
            asked = Message(
                ASKED_SHARE,
                share=f"{float(share_of or 0.0):.0%}",
                amount=_fmt_amount(amount, unit),
            )
            spec(stream, amount, k, asked, None)
    site_pref = case.sites.set_index("site")["prefecture"]
    supply_pref = site_pref.reindex(base["site"]).to_numpy()
    counts = base["stream"].isin(list(counted)).to_numpy()
    k_counted = rows.input_rows[np.isin(input_stream, list(counted))]
    for prefecture, target in sorted(scenario.target.prefectures.items()):
        amount_of, share_of = for_year(target.amount, year), for_year(target.share, year)
        if amount_of is None and share_of is None:
            continue
        own = (supply_pref == prefecture) & counts
        if amount_of is not None:
            amount, asked = float(amount_of), _fmt_amount(float(amount_of), "t")
        else:
            share = float(share_of or 0.0)
            amount = share * float(rows.amount[own & raw].sum())
            asked = Message(
                ASKED_PREFECTURE_SHARE,
                share=f"{share:.0%}",
                amount=_fmt_amount(amount, "t"),
            )
        spec(f"prefecture:{prefecture}", amount, k_counted, asked, rows.supply_rows[own])
    return out


def candidate_annual_cost(case: Case, rate: float) -> np.ndarray:
    """Each facility's yearly cost if built: :math:`capex_c AF(r, n_c) + fixed\\_opex_c` for
    a candidate, 0 for an existing facility.

    Parameters
    ----------
    case : Case
        The checked case (its facilities).
    rate : float
        The discount rate :math:`r`.

    Returns
    -------
    numpy.ndarray
        One value per facility, CNY/yr.
    """
    facilities = case.facilities
    candidate = (facilities["status"] == "candidate").to_numpy()
    capex = facilities["capex"].to_numpy(dtype=float)
    fixed = facilities["fixed_opex"].to_numpy(dtype=float)
    lifetime = facilities["lifetime"].to_numpy(dtype=float)
    annual = np.zeros(len(facilities))
    if candidate.any():
        annual[candidate] = (
            capex[candidate] * annuity_factor(rate, lifetime[candidate]) + fixed[candidate]
        )
    return annual


def candidate_groups(case: Case) -> list[np.ndarray]:
    """The groups of candidates of which at most one is built (``group`` shared by two or
    more candidates), sorted by group name.

    Parameters
    ----------
    case : Case
        The checked case.

    Returns
    -------
    list[numpy.ndarray]
        Facility indices of each group's members.
    """
    facilities = case.facilities
    fac_index = pd.Index(facilities["facility"])
    candidate = (facilities["status"] == "candidate").to_numpy()
    groups: list[np.ndarray] = []
    grouped = facilities.loc[candidate & (facilities["group"] != "").to_numpy()]
    for _group, members in grouped.groupby("group", sort=True):
        if len(members) >= 2:
            groups.append(fac_index.get_indexer(members["facility"]).astype(np.int64))
    return groups


def override_builds(case: Case, scenario: Scenario) -> dict[int, int]:
    """The candidates the scenario's ``force_build`` (1) and ``forbid`` (0) name.

    Parameters
    ----------
    case : Case
        The checked case.
    scenario : Scenario
        Its ``overrides``.

    Returns
    -------
    dict[int, int]
        Facility index -> 1 (must be built) or 0 (may not be built).

    Raises
    ------
    InputError
        A name that is not a candidate facility.
    """
    fac_index = pd.Index(case.facilities["facility"])
    candidate = (case.facilities["status"] == "candidate").to_numpy()
    fixed_build: dict[int, int] = {}
    overrides = scenario.overrides
    for ids, value in ((overrides.force_build, 1), (overrides.forbid, 0)):
        for fid in ids:
            f = int(fac_index.get_indexer([fid])[0])
            if f < 0 or not candidate[f]:
                message = _("overrides: {facility} is not a candidate facility").format(
                    facility=repr(fid)
                )
                raise InputError([Problem("scenario", message)], "scenario")
            fixed_build[f] = value
    return fixed_build


def supply_sources(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``Case.supply_rows()``: the facility that makes it (-1 for a
    supply.csv row) and its yield (units out per unit the facility takes in).

    Parameters
    ----------
    case : Case
        The checked case.

    Returns
    -------
    source : numpy.ndarray
        Facility index per supply row, -1 for supply.csv rows.
    yields : numpy.ndarray
        The yield per supply row, 0 for supply.csv rows.
    """
    rows = case.supply_rows()
    fac_index = pd.Index(case.facilities["facility"])
    produced = (rows["produced_by"] != "").to_numpy()
    source = np.full(len(rows), -1, dtype=np.int64)
    source[produced] = fac_index.get_indexer(rows["produced_by"].to_numpy()[produced])
    return source, rows["yield"].to_numpy(dtype=float)


def single_period_data(case: Case, arcs: pd.DataFrame, scenario: Scenario) -> ModelData:
    """Precompute the MILP's data from a checked case, its arcs and a scenario.

    The model of a scenario without ``years`` (:func:`symbiosis.milp.horizon.build_model_data`
    chooses). Candidates' annual cost is :math:`capex_c AF(r, n_c) + fixed\\_opex_c`; the
    targets are those of :func:`build_targets`. A chained output (``facility_outputs``) is a
    supply row whose amount is 0 in the balance row and made by its facility
    (``supply_source``, ``supply_yield``).

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
    inputs = case.facility_inputs
    fac_index = pd.Index(facilities["facility"])
    input_facility = fac_index.get_indexer(inputs["facility"]).astype(np.int64)
    candidate = (facilities["status"] == "candidate").to_numpy()
    capex = facilities["capex"].to_numpy(dtype=float)
    fixed = facilities["fixed_opex"].to_numpy(dtype=float)
    supply = case.supply_rows()
    source, yields = supply_sources(case)
    amount = np.where(source >= 0, 0.0, supply["amount"].to_numpy(dtype=float))
    rows = _Rows(np.arange(len(inputs)), np.arange(len(supply)), amount)
    targets = build_targets(case, scenario, rows)
    arc_supply = arcs["supply_row"].to_numpy(dtype=np.int64)
    arc_input = arcs["input_row"].to_numpy(dtype=np.int64)
    link_cost = arcs["link_cost"].to_numpy(dtype=float)
    chains = bool((source >= 0).any())
    return ModelData(
        arc_supply=arc_supply,
        arc_input=arc_input,
        arc_eff=arcs["eff"].to_numpy(dtype=float),
        arc_unit_cost=arcs["unit_cost"].to_numpy(dtype=float),
        arc_link_cost=link_cost,
        arc_big_m=arcs["big_m"].to_numpy(dtype=float),
        link_arcs=np.flatnonzero(link_cost > 0),
        supply_amount=amount,
        supply_unused_cost=case.supply_rows_unused_cost(),
        input_facility=input_facility,
        input_max_share=inputs["max_share"].to_numpy(dtype=float),
        input_net_cost=(inputs["var_cost"] - inputs["value"]).to_numpy(dtype=float),
        input_co2=inputs["co2"].to_numpy(dtype=float),
        facility_capacity=facilities["capacity"].to_numpy(dtype=float),
        facility_candidate=candidate,
        facility_annual_cost=candidate_annual_cost(case, scenario.discount_rate),
        facility_capex=np.where(candidate, capex, 0.0),
        existing_fixed_opex=float(fixed[~candidate].sum()),
        candidates=np.flatnonzero(candidate),
        groups=candidate_groups(case),
        targets=targets,
        penalty=scenario.target.penalty,
        max_new_facilities=_horizon_limit(scenario.limits.max_new_facilities),
        capex_budget=_horizon_limit(scenario.limits.capex_budget),
        arcs_by_supply=group_index(arc_supply, len(supply)),
        arcs_by_input=group_index(arc_input, len(inputs)),
        inputs_by_facility=group_index(input_facility, len(facilities)),
        fixed_build=override_builds(case, scenario),
        arc_co2=arcs["co2_per_unit"].to_numpy(dtype=float),
        co2_min=scenario.target.co2_avoided,
        supply_source=source if chains else np.empty(0, np.int64),
        supply_yield=yields if chains else np.empty(0),
    )


def _horizon_limit(value: Any) -> Any:
    """A limit over the whole horizon (a number), None for none or a per-year mapping."""
    if value is None or isinstance(value, dict):
        return None
    return value
