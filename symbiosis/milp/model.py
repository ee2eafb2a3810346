"""The Pyomo formulation of CASE_FORMAT.md "The MILP", one function per constraint family.

:func:`build_model` calls, in order, :func:`add_variables`, :func:`add_supply_balance`,
:func:`add_stocks`, :func:`add_input_share`, :func:`add_capacity`,
:func:`add_link_activation`, :func:`add_groups`,
:func:`add_targets`, :func:`add_co2_target`, :func:`add_limits` and :func:`add_objective` (the
order of ``BUILD_STEPS``), then any user
``extra_constraints``. Each works on the plain arrays of :class:`~symbiosis.milp.data.ModelData`
and builds linear expressions directly (``LinearExpression`` of monomials) so that a 500k-arc
model builds in seconds.

Notation: arcs :math:`a`, supply rows :math:`r = (i, s)`, input rows :math:`k = (f, s)`,
facilities :math:`f`, candidates :math:`c`; :math:`B_f = 1` for existing facilities and
:math:`b_f` for candidates; :math:`d_k = \\sum_{a \\to k} eff_a x_a` is the delivered amount.

Model v2 uses the same families: a multi-year scenario is one time-expanded
:class:`~symbiosis.milp.data.ModelData` (:mod:`symbiosis.milp.horizon`) whose candidates are
build options, so that :math:`B_f = \\sum_{c \\in builds(f)} b_c`
(:meth:`~symbiosis.milp.data.ModelData.builds_of`) and every cost is weighted by its year's
discount factor; a chained output is a supply row whose balance takes
:math:`- yield \\cdot \\sum_{k \\in in(f)} d_k` of the facility making it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.core.expr.relational_expr import InequalityExpression

from symbiosis.milp.data import ModelData

ExtraConstraints = Callable[[pyo.ConcreteModel, ModelData], None]


def _linear(terms: list[Any]) -> LinearExpression:
    return LinearExpression(terms)


def add_variables(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Decision variables.

    * :math:`x_a \\ge 0` units shipped on arc :math:`a` (measured at the source);
    * :math:`y_l \\in \\{0, 1\\}` link opened, only for arcs with link cost > 0;
    * :math:`b_c \\in \\{0, 1\\}` build candidate :math:`c`;
    * :math:`w_r \\ge 0` units of supply row :math:`r` left unused;
    * :math:`short_t \\ge 0` shortfall of target :math:`t` (fixed at 0 unless targets are
      soft or the problem is being diagnosed).

    Candidates named by the scenario's ``force_build`` / ``forbid`` overrides have
    :math:`b_c` fixed at 1 / 0 (``d.fixed_build``).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.x``, ``m.y``, ``m.b``, ``m.w``, ``m.shortfall`` and
        their index sets added).
    d : ModelData
        The model's data.
    """
    m.A = pyo.RangeSet(0, d.n_arcs - 1) if d.n_arcs else pyo.Set(initialize=[])
    m.L = pyo.Set(initialize=d.link_arcs.tolist(), ordered=True)
    m.C = pyo.Set(initialize=d.candidates.tolist(), ordered=True)
    m.R = pyo.RangeSet(0, d.n_supply - 1) if d.n_supply else pyo.Set(initialize=[])
    m.T = pyo.Set(initialize=[t.name for t in d.targets], ordered=True)
    m.x = pyo.Var(m.A, domain=pyo.NonNegativeReals)
    m.y = pyo.Var(m.L, domain=pyo.Binary)
    m.b = pyo.Var(m.C, domain=pyo.Binary)
    m.w = pyo.Var(m.R, domain=pyo.NonNegativeReals)
    m.shortfall = pyo.Var(m.T, domain=pyo.NonNegativeReals)
    if d.penalty is None:
        for v in m.shortfall.values():
            v.fix(0.0)
    for f, value in d.fixed_build.items():  # force_build / forbid overrides
        m.b[f].fix(value)
    # Python lists of variable data, in index order: fast positional access in the rules.
    m._xs = list(m.x.values())
    m._ws = list(m.w.values())
    eff = d.arc_eff.tolist()
    # Delivered-amount terms of each input row: [eff_a * x_a for arcs a into k].
    order, start = d.arcs_by_input
    ol, st = order.tolist(), start.tolist()
    m._deliv_terms = [
        [MonomialTermExpression((eff[a], m._xs[a])) for a in ol[st[k] : st[k + 1]]]
        for k in range(d.n_inputs)
    ]


def _build_factor(m: pyo.ConcreteModel, d: ModelData, f: int) -> tuple[float, list[Any]]:
    """(constant, variables) so that B_f = constant + sum of the variables: (1, []) for an
    existing facility, (0, [b_c for the options c that make f active]) for a candidate
    (``[b_f]`` in the single-period model)."""
    if d.facility_candidate[f]:
        return 0.0, [m.b[int(c)] for c in d.builds_of(f)]
    return 1.0, []


def add_supply_balance(m: pyo.ConcreteModel, d: ModelData) -> None:
    """(1) Supply: :math:`\\sum_{a \\in out(r)} x_a + w_r = amount_r` for every supply row;
    for a chained output :math:`r` of facility :math:`f` (``facility_outputs``, amount 0):
    :math:`\\sum_{a \\in out(r)} x_a + w_r - yield_r \\sum_{k \\in in(f)} d_k = 0`.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.supply_balance`` added).
    d : ModelData
        The model's data.
    """
    order, start = d.arcs_by_supply
    ol, st = order.tolist(), start.tolist()
    amount = d.supply_amount.tolist()
    xs, ws = m._xs, m._ws

    made = _made_terms(m, d)

    def rule(_m: pyo.ConcreteModel, r: int) -> Any:
        terms = [xs[a] for a in ol[st[r] : st[r + 1]]]
        terms.append(ws[r])
        terms.extend(made.get(r, ()))
        return (amount[r], _linear(terms), amount[r])

    m.supply_balance = pyo.Constraint(m.R, rule=rule)


def _made_terms(m: pyo.ConcreteModel, d: ModelData) -> dict[int, list[Any]]:
    """For each chained supply row r (made by facility f with yield y_r): the terms
    :math:`-y_r \\, eff_a x_a` of every arc a into f."""
    out: dict[int, list[Any]] = {}
    if not d.has_chains:
        return out
    eff = d.arc_eff.tolist()
    order, start = d.arcs_by_input
    for r in np.flatnonzero(d.supply_source >= 0).tolist():
        f, y = int(d.supply_source[r]), float(d.supply_yield[r])
        out[r] = [
            MonomialTermExpression((-y * eff[a], m._xs[a]))
            for k in d.members(d.inputs_by_facility, f).tolist()
            for a in order[start[k] : start[k + 1]].tolist()
        ]
    return out


def add_stocks(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Stocks (v2, multi-year): for each supply row with a ``stock`` :math:`S_r`, the draw
    summed over the years :math:`\\sum_t \\sum_{a \\in out(r_t)} x_a \\le S_r`
    (:math:`r_t` the row's copy in year :math:`t`). No row without stocks.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.stock`` added when there are stocks).
    d : ModelData
        The model's data (``stock_rows``, ``stock_amount``).
    """
    if not d.stock_rows:
        return
    order, start = d.arcs_by_supply
    xs = m._xs
    m.S = pyo.RangeSet(0, len(d.stock_rows) - 1)

    def rule(_m: pyo.ConcreteModel, s: int) -> Any:
        terms = [
            xs[a] for r in d.stock_rows[s].tolist() for a in order[start[r] : start[r + 1]].tolist()
        ]
        if not terms:
            return pyo.Constraint.Skip
        return (None, _linear(terms), float(d.stock_amount[s]))

    m.stock = pyo.Constraint(m.S, rule=rule)


def add_input_share(m: pyo.ConcreteModel, d: ModelData) -> None:
    """(2) Input share: :math:`d_k \\le max\\_share_k \\cdot capacity_f \\cdot B_f`.

    Rows with ``max_share`` = 1 are implied by the capacity row (3) of the same facility and
    are not written; rows with no arc are trivially met.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.input_share`` added).
    d : ModelData
        The model's data.
    """
    rows = [k for k in range(d.n_inputs) if d.input_max_share[k] < 1 and m._deliv_terms[k]]

    def rule(_m: pyo.ConcreteModel, k: int) -> Any:
        f = int(d.input_facility[k])
        limit = float(d.input_max_share[k] * d.facility_capacity[f])
        const, builds = _build_factor(m, d, f)
        terms = list(m._deliv_terms[k])
        if not builds:
            return (None, _linear(terms), limit * const)
        terms.extend(MonomialTermExpression((-limit, b)) for b in builds)
        return (None, _linear(terms), 0.0)

    m.input_share = pyo.Constraint(rows, rule=rule)


def add_capacity(m: pyo.ConcreteModel, d: ModelData) -> None:
    """(3) Capacity: :math:`\\sum_{k \\in in(f)} d_k \\le capacity_f \\cdot B_f`, for the
    facilities with at least one arc (:math:`B_f = \\sum_{c \\in builds(f)} b_c` for a
    candidate: :math:`b_f` in the single-period model).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.capacity`` added).
    d : ModelData
        The model's data.
    """
    facilities = [
        f
        for f in range(d.n_facilities)
        if any(m._deliv_terms[k] for k in d.members(d.inputs_by_facility, f))
    ]

    def rule(_m: pyo.ConcreteModel, f: int) -> Any:
        terms: list[Any] = []
        for k in d.members(d.inputs_by_facility, f):
            terms.extend(m._deliv_terms[int(k)])
        cap = float(d.facility_capacity[f])
        const, builds = _build_factor(m, d, f)
        if not builds:
            return (None, _linear(terms), cap * const)
        terms.extend(MonomialTermExpression((-cap, b)) for b in builds)
        return (None, _linear(terms), 0.0)

    m.capacity = pyo.Constraint(facilities, rule=rule)


def add_link_activation(m: pyo.ConcreteModel, d: ModelData) -> None:
    """(4) Link: :math:`x_a \\le M_a y_a` with
    :math:`M_a = \\min(amount_r, max\\_share_k \\cdot capacity_f / eff_a)`, for arcs with a
    link cost (others have no link decision).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.link`` added).
    d : ModelData
        The model's data.
    """
    xs = m._xs
    links = d.link_arcs.tolist()
    # x_a - M_a y_a <= 0 as relational expressions built up front (y in link_arcs order).
    exprs = {
        a: InequalityExpression((_linear([xs[a], MonomialTermExpression((-big_m, y))]), 0.0), False)
        for a, big_m, y in zip(links, d.arc_big_m[d.link_arcs].tolist(), m.y.values(), strict=True)
    }
    m.link = pyo.Constraint(m.L, rule=lambda _m, a: exprs[a])


def add_groups(m: pyo.ConcreteModel, d: ModelData) -> None:
    """(5) Group: :math:`\\sum_{c \\in g} b_c \\le 1` for each group of candidates (over
    years: also each candidate's build options); :math:`\\sum_{c \\in g} b_c = 1` for each
    set of ``must_build`` (``force_build`` over years).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.G`` and ``m.group`` added).
    d : ModelData
        The model's data.
    """
    groups = [g.tolist() for g in d.groups]
    m.G = pyo.RangeSet(0, len(groups) - 1) if groups else pyo.Set(initialize=[])
    m.group = pyo.Constraint(
        m.G, rule=lambda _m, g: (None, _linear([m.b[c] for c in groups[g]]), 1.0)
    )
    if d.must_build:  # force_build over years: exactly one of the candidate's options
        must = [g.tolist() for g in d.must_build]
        m.must_build = pyo.Constraint(
            pyo.RangeSet(0, len(must) - 1),
            rule=lambda _m, g: (1.0, _linear([m.b[c] for c in must[g]]), 1.0),
        )


def add_targets(m: pyo.ConcreteModel, d: ModelData) -> None:
    """(6) Total target and (7) stream targets:
    :math:`\\sum_{k \\in K_t} d_k + short_t \\ge amount_t`; :math:`short_t` is fixed at 0 for
    hard targets and priced by ``target.penalty`` for soft ones.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.target`` added).
    d : ModelData
        The model's data.
    """
    specs = {t.name: t for t in d.targets}

    def rule(_m: pyo.ConcreteModel, name: str) -> Any:
        spec = specs[name]
        terms: list[Any] = []
        if spec.supply_rows is None:
            for k in spec.input_rows:
                terms.extend(m._deliv_terms[int(k)])
        else:  # a prefecture's target: deliveries of its own supply rows only
            arcs = np.flatnonzero(spec.arc_mask(d.arc_input, d.arc_supply)).tolist()
            eff = d.arc_eff.tolist()
            terms.extend(MonomialTermExpression((eff[a], m._xs[a])) for a in arcs)
        terms.append(m.shortfall[name])
        return (spec.amount, _linear(terms), None)

    m.target = pyo.Constraint(m.T, rule=rule)


def add_co2_target(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""CO2 floor (``target.co2_avoided``):
    :math:`\sum_a (co2_{k(a)} eff_a - co2^{tr}_a) x_a / 1000 \ge co2\_min` (t/yr), always
    hard; no row without one.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.co2_target`` added).
    d : ModelData
        The model's data (``co2_min``, :meth:`~ModelData.arc_co2_avoided`).
    """
    coef = d.arc_co2_avoided().tolist()
    if d.co2_min is not None:
        terms = [MonomialTermExpression((c, x)) for c, x in zip(coef, m._xs, strict=True) if c]
        m.co2_target = pyo.Constraint(expr=(float(d.co2_min), _linear(terms), None))
    if d.co2_min_by_year:  # multi-year: one floor per year, on that year's arcs
        years = sorted(d.co2_min_by_year)
        arc_year = d.arc_year.tolist()

        def rule(_m: pyo.ConcreteModel, t: int) -> Any:
            terms = [
                MonomialTermExpression((c, x))
                for c, x, ty in zip(coef, m._xs, arc_year, strict=True)
                if c and ty == t
            ]
            return (d.co2_min_by_year[t], _linear(terms), None)

        m.co2_target_by_year = pyo.Constraint(years, rule=rule)


def add_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """(8) Limits: :math:`\\sum_c b_c \\le max\\_new\\_facilities`;
    :math:`\\sum_c capex_c b_c \\le capex\\_budget`, each only when the scenario sets it
    (over years: over the whole horizon, or, given per year, over the options of that year).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.max_new_facilities`` and ``m.capex_budget`` added).
    d : ModelData
        The model's data.
    """
    if d.max_new_facilities is not None:
        m.max_new_facilities = pyo.Constraint(
            expr=(None, _linear([m.b[c] for c in m.C]), float(d.max_new_facilities))
        )
    if d.capex_budget is not None:
        m.capex_budget = pyo.Constraint(
            expr=(
                None,
                _linear(
                    [MonomialTermExpression((float(d.facility_capex[c]), m.b[c])) for c in m.C]
                ),
                float(d.capex_budget),
            )
        )
    # multi-year: limits on the options built in one year
    built_in = {t: [c for c in m.C if int(d.facility_year[c]) == t] for t in range(len(d.years))}
    if d.max_new_by_year:
        m.max_new_facilities_by_year = pyo.Constraint(
            sorted(d.max_new_by_year),
            rule=lambda _m, t: (
                None,
                _linear([m.b[c] for c in built_in[t]]),
                d.max_new_by_year[t],
            ),
        )
    if d.capex_budget_by_year:
        m.capex_budget_by_year = pyo.Constraint(
            sorted(d.capex_budget_by_year),
            rule=lambda _m, t: (
                None,
                _linear(
                    [
                        MonomialTermExpression((float(d.facility_capex[c]), m.b[c]))
                        for c in built_in[t]
                    ]
                ),
                d.capex_budget_by_year[t],
            ),
        )


def add_objective(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Total annual system cost (CNY/yr), minimised:

    .. math::

        \\sum_c b_c (capex_c AF(r, n_c) + fixed\\_opex_c) + \\sum_{f\\,existing} fixed\\_opex_f
        + \\sum_a unit\\_cost_a x_a + \\sum_l link\\_cost_l y_l
        + \\sum_k (var\\_cost_k - value_k) d_k + \\sum_r u_r w_r
        \\; [+ \\; penalty \\sum_t short_t]

    The system cost alone is kept as the expression ``m.system_cost``. Over years, each
    arc's, link's, unused row's and shortfall's cost is weighted by its year's discount
    factor :math:`\\delta_t`, a build option's cost is already the discounted sum over its
    active years, and the existing facilities' constant is discounted the same way: the
    objective is the discounted total over the horizon (:mod:`symbiosis.milp.horizon`).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.system_cost`` and ``m.objective`` added).
    d : ModelData
        The model's data.
    """
    xs, ws = m._xs, m._ws
    arc_w = d.year_weight(d.arc_year, d.n_arcs)
    coef = (d.arc_unit_cost + d.input_net_cost[d.arc_input] * d.arc_eff) * arc_w
    link = d.arc_link_cost * arc_w
    terms: list[Any] = [
        MonomialTermExpression((c, x)) for c, x in zip(coef.tolist(), xs, strict=True) if c
    ]
    terms += [MonomialTermExpression((float(link[a]), m.y[a])) for a in d.link_arcs.tolist()]
    terms += [
        MonomialTermExpression((float(d.facility_annual_cost[c]), m.b[c]))
        for c in d.candidates.tolist()
    ]
    unused = d.supply_unused_cost * d.year_weight(d.supply_year, d.n_supply)
    terms += [MonomialTermExpression((u, w)) for u, w in zip(unused.tolist(), ws, strict=True) if u]
    terms.append(d.existing_fixed_opex)
    m.system_cost = pyo.Expression(expr=_linear(terms))
    if d.penalty is not None and len(d.targets):
        penalty = float(d.penalty)
        m.objective = pyo.Objective(
            expr=_linear(
                terms
                + [
                    MonomialTermExpression((penalty * t.weight, v))
                    for t, v in zip(d.targets, m.shortfall.values(), strict=True)
                ]
            ),
            sense=pyo.minimize,
        )
    else:
        m.objective = pyo.Objective(expr=m.system_cost, sense=pyo.minimize)


BUILD_STEPS: tuple[Callable[[pyo.ConcreteModel, ModelData], None], ...] = (
    add_variables,
    add_supply_balance,
    add_stocks,
    add_input_share,
    add_capacity,
    add_link_activation,
    add_groups,
    add_targets,
    add_co2_target,
    add_limits,
    add_objective,
)


def build_model(
    d: ModelData, extra_constraints: Sequence[ExtraConstraints] = ()
) -> pyo.ConcreteModel:
    """Build the Pyomo model: the steps of ``BUILD_STEPS`` in order, then each
    ``extra_constraints(m, d)`` hook a user passes (it may add variables, constraints or
    objective terms through ``m.system_cost``).

    Parameters
    ----------
    d : ModelData
        The model's data.
    extra_constraints : sequence of callables
        Hooks ``(m, d) -> None`` run after the build steps, in order (the valid
        inequalities of :mod:`symbiosis.milp.valid`, the CO2 terms of
        :mod:`symbiosis.milp.co2`, or a user's own).

    Returns
    -------
    pyomo.environ.ConcreteModel
        The model named ``symbiosis`` (the formulation of the module docstring).
    """
    m = pyo.ConcreteModel(name="symbiosis")
    # Python's cyclic garbage collector would scan the millions of Pyomo objects again and
    # again while they are created (twice the build time at 500k arcs): paused, as Pyomo
    # pauses it while it constructs a model.
    with PauseGC():
        for step in BUILD_STEPS:
            step(m, d)
        for hook in extra_constraints:
            hook(m, d)
    return m


def model_arrays(m: pyo.ConcreteModel) -> dict[str, list[Any]]:
    """The model's decision variables in the index order of :class:`ModelData`.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        A model of :func:`build_model`.

    Returns
    -------
    dict[str, list]
        ``x`` (per arc), ``y`` (per link arc), ``b`` (per candidate), ``w`` (per supply row)
        and ``shortfall`` (per target): lists of Pyomo variables.
    """
    return {
        "x": m._xs,
        "y": list(m.y.values()),
        "b": list(m.b.values()),
        "w": m._ws,
        "shortfall": list(m.shortfall.values()),
    }


__all__ = [
    "BUILD_STEPS",
    "ExtraConstraints",
    "add_capacity",
    "add_groups",
    "add_input_share",
    "add_limits",
    "add_link_activation",
    "add_objective",
    "add_stocks",
    "add_supply_balance",
    "add_targets",
    "add_variables",
    "build_model",
    "model_arrays",
]
