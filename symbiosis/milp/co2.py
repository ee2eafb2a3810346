"""CO2 avoided as a model term, and the build steps that use it (the cost-CO2 front of
:mod:`symbiosis.pareto`): a floor on CO2 avoided, or CO2 avoided as the objective.

The twin of ``co2_avoided_t`` in summary.json (:mod:`symbiosis.results`), as a linear
expression of the flows.

A multi-year (time-expanded) model is bounded year by year, as ``target.co2_avoided`` is: the
floor :math:`E_t(x) \\ge \\varepsilon` holds in every year :math:`t` of the horizon, with
:math:`E_t` the CO2 avoided by that year's flows (t/yr), and the most CO2 that can be avoided
is the largest floor every year can meet, :math:`\\max \\min_t E_t(x)` (a variable
:math:`z \\le E_t(x)` for every :math:`t`, maximised).
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from symbiosis.milp.data import ModelData
from symbiosis.milp.model import ExtraConstraints


def co2_avoided_expression(m: pyo.ConcreteModel, d: ModelData) -> LinearExpression:
    """:math:`E(x) = \\sum_a (co2_{k(a)} eff_a - co2^{tr}_a) x_a / 1000`, t/yr (the
    ``co2_avoided_t`` of summary.json, as a linear expression of the flows).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        A model of :func:`~symbiosis.milp.model.build_model` (its flows ``m._xs``).
    d : ModelData
        Its data (:meth:`~symbiosis.milp.data.ModelData.arc_co2_avoided`).

    Returns
    -------
    LinearExpression
        :math:`E(x)`, over the arcs with a non-zero coefficient.
    """
    coef = d.arc_co2_avoided()
    return LinearExpression(
        [MonomialTermExpression((c, x)) for c, x in zip(coef.tolist(), m._xs, strict=True) if c]
    )


def co2_avoided_by_year(m: pyo.ConcreteModel, d: ModelData) -> list[LinearExpression]:
    """:math:`E_t(x)`, the CO2 avoided by the flows of each year of a multi-year model (t/yr).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        A model of :func:`~symbiosis.milp.model.build_model` (its flows ``m._xs``).
    d : ModelData
        Its data (``arc_year``: the year index of each arc copy).

    Returns
    -------
    list of LinearExpression
        One per year index of ``d.years``, over that year's arcs with a non-zero
        coefficient (a single-period model: one, :func:`co2_avoided_expression`).
    """
    if not d.multi_year:
        return [co2_avoided_expression(m, d)]
    coef = d.arc_co2_avoided().tolist()
    arc_year = d.arc_year.tolist()
    return [
        LinearExpression(
            [
                MonomialTermExpression((c, x))
                for c, x, ty in zip(coef, m._xs, arc_year, strict=True)
                if c and ty == t
            ]
        )
        for t in range(len(d.years))
    ]


def co2_floor(epsilon_t: float) -> ExtraConstraints:
    """A hook adding :math:`E(x) \\ge \\varepsilon` (t/yr) as ``m.co2_floor``; in a
    multi-year model :math:`E_t(x) \\ge \\varepsilon` in every year (``m.co2_floor[t]``,
    ``t`` the year index).

    Parameters
    ----------
    epsilon_t : float
        :math:`\\varepsilon`, the least CO2 avoided, t/yr (each year's, over years).

    Returns
    -------
    ExtraConstraints
        A hook ``(m, d) -> None`` for :func:`~symbiosis.milp.model.build_model`.
    """

    def hook(m: pyo.ConcreteModel, d: ModelData) -> None:
        if not d.multi_year:
            m.co2_floor = pyo.Constraint(
                expr=(float(epsilon_t), co2_avoided_expression(m, d), None)
            )
            return
        by_year = co2_avoided_by_year(m, d)
        m.co2_floor = pyo.Constraint(
            range(len(by_year)), rule=lambda _m, t: (float(epsilon_t), by_year[t], None)
        )

    return hook


def maximise_co2(m: pyo.ConcreteModel, d: ModelData) -> None:
    """A hook replacing the objective by :math:`\\max E(x)` (as ``m.co2_objective``); in a
    multi-year model by :math:`\\max z` s.t. :math:`z \\le E_t(x)` for every year
    (``m.co2_least`` and ``m.co2_least_row[t]``): the largest floor every year can meet.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model (its ``objective`` deactivated, ``co2_objective`` added).
    d : ModelData
        Its data.
    """
    m.objective.deactivate()
    if not d.multi_year:
        m.co2_objective = pyo.Objective(expr=co2_avoided_expression(m, d), sense=pyo.maximize)
        return
    by_year = co2_avoided_by_year(m, d)
    m.co2_least = pyo.Var(domain=pyo.Reals)
    minus_z = MonomialTermExpression((-1.0, m.co2_least))
    m.co2_least_row = pyo.Constraint(
        range(len(by_year)),
        rule=lambda _m, t: (0.0, LinearExpression([*by_year[t].args, minus_z]), None),
    )
    m.co2_objective = pyo.Objective(expr=m.co2_least, sense=pyo.maximize)


__all__ = ["co2_avoided_by_year", "co2_avoided_expression", "co2_floor", "maximise_co2"]
