"""CO2 avoided as a model term, and the build steps that use it (the cost-CO2 front of
:mod:`symbiosis.pareto`): a floor on CO2 avoided, or CO2 avoided as the objective.

The twin of ``co2_avoided_t`` in summary.json (:mod:`symbiosis.results`), as a linear
expression of the flows.
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


def co2_floor(epsilon_t: float) -> ExtraConstraints:
    """A hook adding :math:`E(x) \\ge \\varepsilon` (t/yr) as ``m.co2_floor``.

    Parameters
    ----------
    epsilon_t : float
        :math:`\\varepsilon`, the least CO2 avoided, t/yr.

    Returns
    -------
    ExtraConstraints
        A hook ``(m, d) -> None`` for :func:`~symbiosis.milp.model.build_model`.
    """

    def hook(m: pyo.ConcreteModel, d: ModelData) -> None:
        m.co2_floor = pyo.Constraint(expr=(float(epsilon_t), co2_avoided_expression(m, d), None))

    return hook


def maximise_co2(m: pyo.ConcreteModel, d: ModelData) -> None:
    """A hook replacing the objective by :math:`\\max E(x)` (as ``m.co2_objective``).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model (its ``objective`` deactivated, ``co2_objective`` added).
    d : ModelData
        Its data.
    """
    m.objective.deactivate()
    m.co2_objective = pyo.Objective(expr=co2_avoided_expression(m, d), sense=pyo.maximize)


__all__ = ["co2_avoided_expression", "co2_floor", "maximise_co2"]
