"""Shadow prices of the delivery targets at the chosen portfolio.

A MIP has no duals. Once a portfolio is chosen, fixing every binary at its value (links
:math:`y_l` and builds :math:`b_c`) leaves a linear programme over the flows; its optimum is
the MIP's (the same flows remain optimal), and the dual :math:`\\lambda_t` of each target row

.. math:: \\sum_{k \\in K_t} d_k + short_t \\ge amount_t

is the marginal system cost of one more unit delivered toward target :math:`t` *with the
portfolio fixed*: :math:`\\lambda_t = \\partial\\, cost / \\partial\\, amount_t` in CNY per unit
(CNY/t for the total target and solid streams, CNY/MWh for heat). It is 0 when the target is
not binding (more is delivered than asked because delivering is cheaper than disposal). At a
degenerate point (the target exactly fills a facility) the dual is not unique and HiGHS
returns one of the valid values. With a soft target (``target.penalty``) it is at most the
penalty.

Cost: one LP of the MIP's size (compile + simplex from scratch, binaries fixed), normally a
small fraction of the MIP's solve time, but 31 s on a generated case of 324,900 arcs.
``run_scenario(..., shadow_prices=False)`` skips it; so does the run when its time limit is
spent, and the LP stops at the run's deadline and on SIGINT/SIGTERM (in-process HiGHS,
polled: :func:`symbiosis.solve.wait_highs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from symbiosis.milp.data import ModelData
from symbiosis.options import SolveOptions
from symbiosis.solve.highs import Solution, solve_model


@dataclass
class ShadowPrices:
    """Target duals at a fixed portfolio.

    Attributes
    ----------
    prices : dict[str, float or None]
        Target name -> dual in CNY per unit of the target (None if the LP had no dual for
        that row, e.g. a target with no arc into it).
    status : str
        Status of the LP with the binaries fixed (``not_computed`` when it was not run).
    objective : float or None
        Its objective (equals the MIP's incumbent up to tolerances).
    seconds : float
        Compile + solve time of the LP.
    """

    prices: dict[str, float | None] = field(default_factory=dict)
    status: str = "not_computed"
    objective: float | None = None
    seconds: float = 0.0

    @property
    def total(self) -> float | None:
        return self.prices.get("total")


def clean_dual(value: float) -> float:
    """Round solver noise (a dual of -1e-12, or -0.0) to 0.

    Parameters
    ----------
    value : float
        A dual from HiGHS.

    Returns
    -------
    float
        0.0 when :math:`|value| < 10^{-9}`, else ``value``.
    """
    return 0.0 if abs(value) < 1e-9 else float(value)


def target_shadow_prices(
    m: pyo.ConcreteModel,
    d: ModelData,
    solution: Solution,
    options: SolveOptions | None = None,
) -> ShadowPrices:
    """Fix the binaries of ``m`` at ``solution``'s values, solve the LP, read the target
    duals, then restore ``m`` (variables unfixed as they were).

    The dual of target row :math:`\\sum_{k \\in K_t} d_k + short_t \\ge amount_t` is
    :math:`\\partial\\, cost / \\partial\\, amount_t` with the portfolio (:math:`y`,
    :math:`b`) held: what one more unit of target costs at this portfolio.

    Parameters
    ----------
    m : pyomo.environ.ConcreteModel
        The model the MIP was solved on.
    d : ModelData
        Its data.
    solution : Solution
        The MIP solution (must have values).
    options : SolveOptions or None
        Solver options; the LP uses the same time limit, deadline, thread count and HiGHS
        options.

    Returns
    -------
    ShadowPrices
        The prices, or none and the LP's status when it was not solved to optimality.
    """
    if not solution.has_solution or not d.targets:
        return ShadowPrices(status="not_computed")
    start = time.perf_counter()
    fixed_here = []
    for name, var in (("y", m.y), ("b", m.b)):
        values = np.round(solution.values[name]).tolist()
        for v, value in zip(var.values(), values, strict=True):
            if not v.fixed:
                v.fix(max(0.0, value) + 0.0)
                fixed_here.append(v)
    try:
        lp_options = SolveOptions(
            time_limit=options.time_limit if options else None,
            threads=options.threads if options else 0,
            highs={k: v for k, v in (options.highs if options else {}).items()},
            deadline=options.deadline if options else None,
        )
        lp = solve_model(m, lp_options)
    finally:
        for v in fixed_here:
            v.unfix()
    seconds = time.perf_counter() - start
    if lp.status != "optimal":
        return ShadowPrices(status=lp.status, seconds=seconds)
    prices: dict[str, float | None] = {}
    for spec in d.targets:
        dual = lp.row_duals.get(m.target[spec.name].name)  # Pyomo quotes some indices
        prices[spec.name] = None if dual is None else clean_dual(dual)
    return ShadowPrices(prices, lp.status, lp.objective, seconds)


__all__ = ["ShadowPrices", "clean_dual", "target_shadow_prices"]
