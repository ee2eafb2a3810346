"""The multi-year model of CASE_FORMAT.md "v2 extensions": a scenario with ``years`` solved as
one time-expanded :class:`~symbiosis.milp.data.ModelData`.

Every row of the single-period model gets one *copy* per year :math:`t` of the horizon
:math:`T = (t_0, t_1, \\dots)`, in year-major order (all copies of the first year, then of
the second ...): arcs, supply rows, input rows and facilities. The constraint families of
:mod:`symbiosis.milp.model` then apply to the copies unchanged; what ties the years together
is written in the data:

* **Build options.** A candidate :math:`f` may be built in a year :math:`y` of the horizon
  not before its ``available_from``: the option :math:`c = (f, y)` is the facility copy of
  that year, with binary :math:`b_c`. The copy :math:`(f, t)` is active when an option
  :math:`(f, y)` with :math:`y \\le t < y + lifetime_f` is built:
  :math:`B_{ft} = \\sum_{y} b_{(f,y)}` (``facility_builds``). The options of a candidate
  (or of a group of candidates) form a group: at most one is built over the horizon.
* **Costs.** Every yearly cost of year :math:`t` is weighted by the discount factor
  :math:`\\delta_t = (1 + r)^{-(t - t_0)}`; an option :math:`(f, y)` costs
  :math:`\\sum_{t \\in T,\\, y \\le t < y + n_f} \\delta_t (capex_f AF(r, n_f) +
  fixed\\_opex_f)`: the annuity is paid in the active years inside the horizon only
  (PyPSA's convention). Existing facilities pay their fixed opex every year until their
  ``retire_year`` (active in years :math:`t <` ``retire_year``).
* **Supply.** Supply row :math:`r` has :math:`amount_r (1 + growth_r)^{t - t_0}` in year
  :math:`t`, or the ``supply_years.csv`` amount where one is given; a row with a ``stock``
  may be drawn at most that much summed over the years (``stock_rows``).
* **Targets and limits** are per year (a number: every year; a mapping: the years named);
  limits given as a number hold over the whole horizon.

A horizon of one year is the single-period model but for the build options' names.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from symbiosis.case import Case, InputError, Problem
from symbiosis.i18n import _
from symbiosis.milp.data import (
    ModelData,
    _Rows,
    build_targets,
    candidate_annual_cost,
    candidate_groups,
    group_index,
    override_builds,
    single_period_data,
    supply_sources,
)
from symbiosis.scenario import Scenario


def discount_factors(rate: float, years: Sequence[int]) -> np.ndarray:
    """The discount factor of each year: :math:`\\delta_t = (1 + r)^{-(t - t_0)}`.

    Parameters
    ----------
    rate : float
        The discount rate :math:`r`.
    years : sequence of int
        The horizon's years, increasing (:math:`t_0` first).

    Returns
    -------
    numpy.ndarray
        :math:`\\delta_t` per year.
    """
    y = np.asarray(years, dtype=float)
    return (1.0 + rate) ** (-(y - y[0]))


def supply_by_year(case: Case, years: Sequence[int]) -> np.ndarray:
    """Each supply row's amount in each year of the horizon.

    .. math::

       amount_{rt} = \\begin{cases} \\text{supply\\_years.csv}(r, t) & \\text{if given} \\\\
                     amount_r (1 + growth_r)^{t - t_0} & \\text{otherwise} \\end{cases}

    and 0 for chained outputs (made by their facility in the model).

    Parameters
    ----------
    case : Case
        The checked case.
    years : sequence of int
        The horizon's years.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(years), len(case.supply_rows()))``.
    """
    rows = case.supply_rows()
    raw = (rows["produced_by"] == "").to_numpy()
    growth = rows["growth"].to_numpy(dtype=float)
    growth = np.where(np.isnan(growth), 0.0, growth)
    elapsed = np.asarray(years, dtype=float) - float(years[0])
    out = (
        rows["amount"].to_numpy(dtype=float)[None, :] * (1.0 + growth)[None, :] ** elapsed[:, None]
    )
    out[:, ~raw] = 0.0
    given = case.supply_years
    if len(given):
        position = pd.Series(
            np.arange(len(rows)), index=pd.MultiIndex.from_frame(rows[["site", "stream"]])
        )
        year_index = {int(y): t for t, y in enumerate(years)}
        for site, stream, year, amount in given[["site", "stream", "year", "amount"]].itertuples(
            index=False
        ):
            t = year_index.get(int(year))
            if t is not None:
                out[t, int(position[(site, stream)])] = float(amount)
    return out


def _activity(case: Case, years: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(option, active, existing_on)``: ``option[t, f]`` a candidate may be built in year
    ``t``; ``active[t, y, f]`` an option built in year ``y`` is active in year ``t``;
    ``existing_on[t, f]`` an existing facility operates in year ``t``."""
    fac = case.facilities
    y = np.asarray(years, dtype=float)
    candidate = (fac["status"] == "candidate").to_numpy()
    available = fac["available_from"].to_numpy(dtype=float)  # NaN: any year
    retire = fac["retire_year"].to_numpy(dtype=float)  # NaN: never
    lifetime = fac["lifetime"].to_numpy(dtype=float)
    option = candidate[None, :] & ~(y[:, None] < available[None, :])
    built, now = y[None, :, None], y[:, None, None]
    active = (built <= now) & (now < built + lifetime[None, None, :])
    existing_on = ~candidate[None, :] & ~(y[:, None] >= retire[None, :])
    return option, active & option[None, :, :], existing_on


def expand_years(case: Case, arcs: pd.DataFrame, scenario: Scenario) -> ModelData:
    """The time-expanded model data of a scenario with ``years`` (module docstring).

    Parameters
    ----------
    case : Case
        A checked case.
    arcs : pandas.DataFrame
        Its candidate arcs (:func:`symbiosis.network.build_arcs`), one period's.
    scenario : Scenario
        A scenario with ``years``.

    Returns
    -------
    ModelData
        Copies in year-major order; ``years``, ``discount``, the ``*_year`` and ``*_base``
        arrays, ``facility_builds``, ``stock_rows`` and the per-year limits set.

    Raises
    ------
    InputError
        ``force_build`` names a candidate that cannot be built in the horizon.
    """
    years = tuple(int(y) for y in scenario.years or ())
    n_y = len(years)
    disc = discount_factors(scenario.discount_rate, years)
    fac, inputs = case.facilities, case.facility_inputs
    rows = case.supply_rows()
    n_f, n_k, n_r = len(fac), len(inputs), len(rows)
    fac_index = pd.Index(fac["facility"])
    input_facility = fac_index.get_indexer(inputs["facility"]).astype(np.int64)
    candidate = (fac["status"] == "candidate").to_numpy()
    capacity = fac["capacity"].to_numpy(dtype=float)
    option, active, existing_on = _activity(case, years)
    can_run = existing_on | active.any(axis=1)  # (t, f)

    # Arcs: one period's arcs into the facilities that may run that year.
    base_supply = arcs["supply_row"].to_numpy(dtype=np.int64)
    base_input = arcs["input_row"].to_numpy(dtype=np.int64)
    base_fac = input_facility[base_input]
    eff = arcs["eff"].to_numpy(dtype=float)
    share_limit = inputs["max_share"].to_numpy(dtype=float)[base_input] * capacity[base_fac] / eff
    amounts = supply_by_year(case, years)
    raw = (rows["produced_by"] == "").to_numpy()
    bound = np.where(raw[None, :], amounts, rows["amount"].to_numpy(dtype=float)[None, :])
    keep = [np.flatnonzero(can_run[t, base_fac]) for t in range(n_y)]
    arc_base = np.concatenate(keep).astype(np.int64)
    arc_year = np.concatenate([np.full(len(k), t, dtype=np.int64) for t, k in enumerate(keep)])
    arc_supply = arc_year * n_r + base_supply[arc_base]
    arc_input = arc_year * n_k + base_input[arc_base]
    big_m = np.minimum(bound[arc_year, base_supply[arc_base]], share_limit[arc_base])
    link_cost = arcs["link_cost"].to_numpy(dtype=float)[arc_base]

    # Facility copies and build options.
    fac_year = np.repeat(np.arange(n_y), n_f)
    fac_base = np.tile(np.arange(n_f), n_y)
    is_option = option.reshape(-1)
    annual = candidate_annual_cost(case, scenario.discount_rate)
    # an option (f, y) pays delta_t * annual_f in each year t it is active
    option_cost = np.einsum("tyf,t->yf", active.astype(float), disc) * annual[None, :]
    keys, members = [], []
    for t in range(n_y):
        for y in range(n_y):
            on = np.flatnonzero(active[t, y])
            keys.append(t * n_f + on)
            members.append(y * n_f + on)
    key_arr, member_arr = np.concatenate(keys), np.concatenate(members)
    order = np.argsort(key_arr, kind="stable")
    start = np.searchsorted(key_arr[order], np.arange(n_f * n_y + 1))
    fixed = fac["fixed_opex"].to_numpy(dtype=float)
    existing_by_year = (existing_on * fixed[None, :]).sum(axis=1)

    groups, must_build, fixed_build = _option_groups(case, scenario, option)
    rows_of = [
        _Rows(t * n_k + np.arange(n_k), t * n_r + np.arange(n_r), amounts[t]) for t in range(n_y)
    ]
    targets = [
        spec
        for t in range(n_y)
        for spec in build_targets(case, scenario, rows_of[t], years[t], float(disc[t]))
    ]
    source, yields = supply_sources(case)
    stock = rows["stock"].to_numpy(dtype=float)
    stocked = np.flatnonzero(~np.isnan(stock) & raw)
    limits = scenario.limits
    year_of = {y: t for t, y in enumerate(years)}
    co2 = scenario.target.co2_avoided
    return ModelData(
        arc_supply=arc_supply,
        arc_input=arc_input,
        arc_eff=eff[arc_base],
        arc_unit_cost=arcs["unit_cost"].to_numpy(dtype=float)[arc_base],
        arc_link_cost=link_cost,
        arc_big_m=big_m,
        link_arcs=np.flatnonzero(link_cost > 0),
        supply_amount=amounts.reshape(-1),
        supply_unused_cost=np.tile(case.supply_rows_unused_cost(), n_y),
        input_facility=np.repeat(np.arange(n_y), n_k) * n_f + np.tile(input_facility, n_y),
        input_max_share=np.tile(inputs["max_share"].to_numpy(dtype=float), n_y),
        input_net_cost=np.tile((inputs["var_cost"] - inputs["value"]).to_numpy(dtype=float), n_y),
        input_co2=np.tile(inputs["co2"].to_numpy(dtype=float), n_y),
        facility_capacity=np.tile(capacity, n_y),
        facility_candidate=np.tile(candidate, n_y),
        facility_annual_cost=np.where(is_option, option_cost.reshape(-1), 0.0),
        facility_capex=np.where(is_option, np.tile(fac["capex"].to_numpy(dtype=float), n_y), 0.0),
        existing_fixed_opex=float((disc * existing_by_year).sum()),
        candidates=np.flatnonzero(is_option),
        groups=groups,
        targets=targets,
        penalty=scenario.target.penalty,
        max_new_facilities=None
        if isinstance(limits.max_new_facilities, dict)
        else limits.max_new_facilities,
        capex_budget=None if isinstance(limits.capex_budget, dict) else limits.capex_budget,
        arcs_by_supply=group_index(arc_supply, n_r * n_y),
        arcs_by_input=group_index(arc_input, n_k * n_y),
        inputs_by_facility=group_index(
            np.repeat(np.arange(n_y), n_k) * n_f + np.tile(input_facility, n_y), n_f * n_y
        ),
        fixed_build=fixed_build,
        arc_co2=arcs["co2_per_unit"].to_numpy(dtype=float)[arc_base],
        co2_min=None,
        supply_source=np.where(
            np.tile(source, n_y) >= 0,
            np.repeat(np.arange(n_y), n_r) * n_f + np.tile(source, n_y),
            -1,
        ),
        supply_yield=np.tile(yields, n_y),
        years=years,
        discount=disc,
        arc_year=arc_year,
        supply_year=np.repeat(np.arange(n_y), n_r),
        input_year=np.repeat(np.arange(n_y), n_k),
        facility_year=fac_year,
        arc_base=arc_base,
        supply_base=np.tile(np.arange(n_r), n_y),
        input_base=np.tile(np.arange(n_k), n_y),
        facility_base=fac_base,
        facility_builds=(member_arr[order], start),
        stock_rows=[np.arange(n_y) * n_r + r for r in stocked],
        stock_amount=stock[stocked],
        must_build=must_build,
        max_new_by_year=_per_year(limits.max_new_facilities, year_of),
        capex_budget_by_year=_per_year(limits.capex_budget, year_of),
        co2_min_by_year={} if co2 is None else {t: float(co2) for t in range(n_y)},
        existing_fixed_opex_by_year=existing_by_year,
    )


def build_model_data(case: Case, arcs: pd.DataFrame, scenario: Scenario) -> ModelData:
    """Precompute the MILP's data from a checked case, its arcs and a scenario: the
    single-period model (:func:`~symbiosis.milp.data.single_period_data`), or, for a
    scenario with ``years``, the time-expanded one (:func:`expand_years`).

    Parameters
    ----------
    case : Case
        A checked case.
    arcs : pandas.DataFrame
        Its candidate arcs (:func:`symbiosis.network.build_arcs`).
    scenario : Scenario
        The scenario (discount rate, years, targets, limits, overrides).

    Returns
    -------
    ModelData
        Arrays in the index order of the case's rows and of ``arcs`` (copies year-major
        over years).

    Raises
    ------
    InputError
        A ``force_build`` / ``forbid`` override names a facility that is not a candidate
        (or one that cannot be built in the horizon).
    """
    if scenario.years:
        return expand_years(case, arcs, scenario)
    return single_period_data(case, arcs, scenario)


def _per_year(value: object, year_of: dict[int, int]) -> dict[int, float]:
    """A per-year mapping as year index -> value (empty for a number or None)."""
    if not isinstance(value, dict):
        return {}
    return {year_of[int(y)]: float(v) for y, v in value.items() if int(y) in year_of}


def _option_groups(
    case: Case, scenario: Scenario, option: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], dict[int, int]]:
    """``(groups, must_build, fixed_build)`` over the build options ``option[t, f]``: each
    group of candidates (or lone candidate with two or more options) gets one
    "at most one built" row over all its options; ``forbid`` fixes a candidate's options at
    0; ``force_build`` makes exactly one of its options built (fixed at 1 when it has one)."""
    n_f = option.shape[1]

    def options_of(f: int) -> np.ndarray:
        return np.flatnonzero(option[:, f]) * n_f + f

    groups: list[np.ndarray] = []
    grouped: set[int] = set()
    for members in candidate_groups(case):
        grouped.update(int(f) for f in members)
        opts = np.sort(np.concatenate([options_of(int(f)) for f in members]))
        if len(opts) >= 2:
            groups.append(opts)
    for lone in np.flatnonzero(option.any(axis=0)).tolist():
        opts = options_of(lone)
        if lone not in grouped and len(opts) >= 2:
            groups.append(opts)
    must_build: list[np.ndarray] = []
    fixed_build: dict[int, int] = {}
    names = case.facilities["facility"].to_numpy()
    for f, value in override_builds(case, scenario).items():
        opts = options_of(f)
        if value == 0:
            fixed_build.update({int(c): 0 for c in opts})
        elif len(opts) == 0:
            raise InputError(
                [
                    Problem(
                        "scenario",
                        _(
                            "overrides: force_build {facility} cannot be built in the years "
                            "{years} (its available_from is later)"
                        ).format(facility=repr(names[f]), years=list(scenario.years or [])),
                    )
                ],
                "scenario",
            )
        elif len(opts) == 1:
            fixed_build[int(opts[0])] = 1
        else:
            must_build.append(opts)
    return groups, must_build, fixed_build


__all__ = ["build_model_data", "discount_factors", "expand_years", "supply_by_year"]
