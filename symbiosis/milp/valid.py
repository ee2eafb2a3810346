"""Valid inequalities: rows every feasible solution of the model satisfies (or that remove
only solutions some no more costly one replaces), appended to the model as build steps to
strengthen its LP relaxation. Their mathematics is in :mod:`symbiosis.milp.reduce`'s module
docstring (``facility_links``, ``target_cover``); their twins in the numpy form are in
:mod:`symbiosis.milp.direct`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from symbiosis.milp.data import ModelData, TargetSpec
from symbiosis.milp.reduce import reachable_supply
from symbiosis.options import DEFAULT, ReduceOptions


def target_cover_coefficients(d: ModelData, spec: TargetSpec) -> np.ndarray:
    """:math:`\\hat C_{ft}` per facility: the most it can count toward target ``spec``,
    :math:`\\hat C_{ft} = \\min(Q_f, \\sum_{k \\in in(f) \\cap K_t} \\min(s_k Q_f,
    S_k))` with :math:`S_k` the supply that can reach input row :math:`k`
    (:func:`~symbiosis.milp.reduce.reachable_supply`).

    Parameters
    ----------
    d : ModelData
        The model's data.
    spec : TargetSpec
        The target.

    Returns
    -------
    numpy.ndarray
        One coefficient per facility.
    """
    reach = reachable_supply(d)
    rows = np.asarray(spec.input_rows, dtype=np.int64)
    f_of_k = d.input_facility[rows]
    limit = np.minimum(d.input_max_share[rows] * d.facility_capacity[f_of_k], reach[rows])
    per_fac = np.bincount(f_of_k, weights=limit, minlength=d.n_facilities)
    return np.minimum(d.facility_capacity, per_fac)


def add_facility_links(m: pyo.ConcreteModel, d: ModelData) -> None:
    r""":math:`\sum_{a \in P} y_a \le b_f` for the links of each pair :math:`P` (one supply
    row, one input row of a candidate :math:`f`, one efficiency), and :math:`x_a \le M_a b_f`
    for arcs into candidates without a link (module docstring, ``facility_links``).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.valid_link_build`` and ``m.valid_flow_build`` added).
    d : ModelData
        The model's data.
    """
    _single_period(d)
    fac = d.input_facility[d.arc_input]
    cand = d.facility_candidate[fac]
    has_link = np.zeros(d.n_arcs, dtype=bool)
    has_link[d.link_arcs] = True
    linked = np.flatnonzero(cand & has_link)
    pairs = (
        pd.DataFrame(
            {
                "arc": linked,
                "r": d.arc_supply[linked],
                "k": d.arc_input[linked],
                "eff": d.arc_eff[linked],
            }
        )
        .groupby(["r", "k", "eff"], sort=True)["arc"]
        .apply(list)
        .tolist()
    )
    unlinked = np.flatnonzero(cand & ~has_link).tolist()
    fac_l = fac.tolist()
    big_m = d.arc_big_m.tolist()
    xs = m._xs

    def link_rule(_m: pyo.ConcreteModel, p: int) -> Any:
        arcs = pairs[p]
        terms: list[Any] = [m.y[a] for a in arcs]
        terms.append(MonomialTermExpression((-1.0, m.b[fac_l[arcs[0]]])))
        return (None, LinearExpression(terms), 0.0)

    def flow_rule(_m: pyo.ConcreteModel, a: int) -> Any:
        return (
            None,
            LinearExpression([xs[a], MonomialTermExpression((-big_m[a], m.b[fac_l[a]]))]),
            0.0,
        )

    m.valid_link_build = pyo.Constraint(range(len(pairs)), rule=link_rule)
    m.valid_flow_build = pyo.Constraint(unlinked, rule=flow_rule)


def add_target_cover(m: pyo.ConcreteModel, d: ModelData) -> None:
    """The knapsack on build decisions of each target (module docstring, ``target_cover``):
    :math:`\\sum_c \\hat C_{ct} b_c + short_t \\ge amount_t - \\sum_{f\\ existing}
    \\hat C_{ft}`, for the targets whose right-hand side is positive, over the candidates
    with :math:`\\hat C_{ct} > 0` (:func:`target_cover_coefficients`).

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model being built (``m.valid_target_cover`` added).
    d : ModelData
        The model's data.
    """
    _single_period(d)
    rows: dict[str, tuple[list[Any], float]] = {}
    for spec in d.targets:
        coef = target_cover_coefficients(d, spec)
        need = spec.amount - float(coef[~d.facility_candidate].sum())
        cand = [int(c) for c in d.candidates if coef[c] > 0]
        if need <= 0 or not cand:
            continue
        terms: list[Any] = [MonomialTermExpression((float(coef[c]), m.b[c])) for c in cand]
        terms.append(m.shortfall[spec.name])
        rows[spec.name] = (terms, need)
    m.valid_target_cover = pyo.Constraint(
        list(rows), rule=lambda _m, t: (rows[t][1], LinearExpression(rows[t][0]), None)
    )


def strengthening_steps(options: ReduceOptions) -> list[Any]:
    """The build steps (``(m, d) -> None``) of the valid inequalities ``options`` asks for,
    to append to :func:`~symbiosis.milp.model.build_model`.

    Parameters
    ----------
    options : ReduceOptions
        Its ``facility_links`` and ``target_cover`` are read.

    Returns
    -------
    list
        :func:`add_facility_links` and / or :func:`add_target_cover`, in that order.
    """
    steps: list[Any] = []
    if options.facility_links:
        steps.append(add_facility_links)
    if options.target_cover:
        steps.append(add_target_cover)
    return steps


def add_valid_inequalities(
    m: pyo.ConcreteModel, d: ModelData, options: ReduceOptions = DEFAULT
) -> None:
    """Add every valid inequality ``options`` asks for to a model built from ``d``.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        A model of :func:`~symbiosis.milp.model.build_model` (constraints added).
    d : ModelData
        Its data.
    options : ReduceOptions
        Which valid inequalities (``facility_links``, ``target_cover``).
    """
    for step in strengthening_steps(options):
        step(m, d)


def _single_period(d: ModelData) -> None:
    """The valid inequalities are proved for the single-period model without chains."""
    if d.multi_year or d.has_chains:
        raise ValueError("valid inequalities are for the single-period model without chains")


__all__ = [
    "add_facility_links",
    "add_target_cover",
    "add_valid_inequalities",
    "strengthening_steps",
    "target_cover_coefficients",
]
