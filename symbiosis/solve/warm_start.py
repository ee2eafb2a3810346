"""A first solution for HiGHS (the ``warm_start`` step of :mod:`symbiosis.milp.reduce`):
from the LP relaxation of the strengthened model, builds rounded within groups and limits and
flows found by slope scaling of the link costs, then a MILP restricted to the arcs the LP
prices cheapest; the best solution is passed to HiGHS (``setSolution``), which checks it
against the full model.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from symbiosis import interrupt
from symbiosis.milp.data import ModelData
from symbiosis.milp.reduce import expand_values, subset_arcs
from symbiosis.options import DEFAULT, ReduceOptions, SolveOptions
from symbiosis.solve.compile import pass_to_highs


def _lp_highs(
    form: Any, threads: int, time_limit: float, deadline: float | None = None
) -> tuple[Any, Any]:
    """``form`` with every column continuous, passed to a fresh HiGHS with ``threads`` and
    ``time_limit`` (at least 0.5 s, cut to ``deadline``) and no other option; returns the
    HiGHS and its options."""
    from symbiosis.solve.highs import configure, new_highs

    form.integer[:] = False
    h = new_highs()
    pass_to_highs(h, form)
    options = SolveOptions(
        time_limit=max(time_limit, 0.5), threads=threads, highs={}, deadline=deadline
    )
    configure(h, options)
    return h, options


def _lp_relaxation(
    d: ModelData, threads: int, time_limit: float, deadline: float | None = None
) -> tuple[dict[str, np.ndarray], np.ndarray, float] | None:
    """Solve the LP relaxation of the model of ``d`` strengthened by every valid inequality
    of this module (built with numpy, :func:`~symbiosis.milp.direct.direct_form`); return its
    values, a per-arc price (the reduced cost of :math:`x_a` plus that of :math:`y_a` spread
    over :math:`M_a`: what forcing a unit onto the arc costs at the LP optimum) and its
    value (None if it was not solved to optimality: stopped, or out of time)."""
    from symbiosis.milp.direct import direct_form
    from symbiosis.solve.highs import run_highs

    form = direct_form(d, facility_links=True, target_cover=True)
    h, options = _lp_highs(form, threads, time_limit, deadline)
    run = run_highs(h, options, None, has_integer=False)
    if run.status != "optimal" or run.col_value is None or run.col_dual is None:
        return None
    values = form.split(run.col_value)
    duals = form.split(run.col_dual)
    price = np.maximum(duals["x"], 0.0)
    rc_y = np.zeros(d.n_arcs)
    rc_y[d.link_arcs] = np.maximum(duals["y"], 0.0)
    price = price + rc_y / np.maximum(d.arc_big_m, 1e-9)
    return values, price, float(run.objective or 0.0)


def round_builds(d: ModelData, b_lp: np.ndarray, permissive: bool = False) -> np.ndarray:
    """Build decisions (0/1 per candidate, in ``d.candidates`` order) rounded from LP values
    ``b_lp``, within the groups and limits: forced builds first, then candidates by LP value
    (ties: larger capacity first), skipping one whose group is taken or that would break
    ``max_new_facilities`` or ``capex_budget``; forbidden ones never. Only candidates with a
    positive LP value are taken, unless ``permissive`` (then every candidate that fits is).

    Parameters
    ----------
    d : ModelData
        The model's data.
    b_lp : numpy.ndarray
        LP value of :math:`b_c` per candidate.
    permissive : bool
        Take every candidate that fits, not only those with a positive LP value.

    Returns
    -------
    numpy.ndarray
        0.0 / 1.0 per candidate.
    """
    n_c = len(d.candidates)
    position = {int(f): i for i, f in enumerate(d.candidates)}
    group_of: dict[int, int] = {}
    for g, members in enumerate(d.groups):
        for f in members:
            group_of[int(f)] = g
    capex = d.facility_capex[d.candidates]
    chosen = np.zeros(n_c, dtype=bool)
    fixed = {position[f]: v for f, v in d.fixed_build.items() if f in position}
    taken: set[int] = set()
    count, spent = 0, 0.0

    def take(i: int) -> None:
        nonlocal count, spent
        chosen[i] = True
        count += 1
        spent += float(capex[i])
        g = group_of.get(int(d.candidates[i]))
        if g is not None:
            taken.add(g)

    for i, value in fixed.items():
        if value == 1:
            take(i)
    order = np.lexsort((-d.facility_capacity[d.candidates], -np.asarray(b_lp, dtype=float)))
    for i in order.tolist():
        if chosen[i] or i in fixed:
            continue
        if not permissive and b_lp[i] <= 1e-6:
            break
        if group_of.get(int(d.candidates[i])) in taken:
            continue
        if d.max_new_facilities is not None and count >= d.max_new_facilities:
            break
        if d.capex_budget is not None and spent + capex[i] > d.capex_budget * (1 + 1e-9):
            continue
        take(i)
    return chosen.astype(float)


def rounded_solution(
    d: ModelData,
    builds: np.ndarray,
    threads: int,
    time_limit: float,
    iterations: int = 1,
    deadline: float | None = None,
) -> dict[str, np.ndarray] | None:
    """A feasible solution with the build decisions ``builds``, by dynamic slope scaling.

    With the builds fixed, the links are dropped from the model and their cost is charged
    per unit instead: arc :math:`a` costs :math:`c_a + F_a / \\bar x_a` per unit shipped, with
    :math:`\\bar x_a = M_a` at first (the LP relaxation's own linearisation). Each LP solution
    becomes a solution of the MILP by opening every link with flow (:math:`y_a = 1` where
    :math:`x_a > 0`, which keeps :math:`x_a \\le M_a y_a`) and not building a candidate that
    receives nothing (unless forced). Then :math:`\\bar x_a` is set to the flow of each arc
    that carried some, and the LP is solved again (from the last basis), ``iterations``
    times at most or until the flows repeat: an arc that carries little is charged its link
    in full next time, which concentrates the flows on fewer links (Kim and Pardalos' slope
    scaling for fixed-charge network flow). The cheapest solution met is returned; None if
    the first LP has no solution (the builds cannot meet the targets) or no time. Each LP
    stops at ``deadline`` (``time.perf_counter()``) and on SIGINT/SIGTERM
    (:func:`symbiosis.solve.wait_highs`); the cheapest solution met so far is returned.

    Parameters
    ----------
    d : ModelData
        The model's data.
    builds : numpy.ndarray
        0 / 1 per candidate (:func:`round_builds`).
    threads : int
        HiGHS threads (0: HiGHS's default).
    time_limit : float
        Seconds for all the LPs together.
    iterations : int
        LP solves at most.
    deadline : float or None
        When to stop at the latest (``time.perf_counter()``, the run's deadline): the LPs
        stop at the earlier of it and ``now + time_limit``.

    Returns
    -------
    dict[str, numpy.ndarray] or None
        Arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` of the cheapest solution met.
    """
    import highspy

    from symbiosis.milp.direct import direct_form
    from symbiosis.solve.highs import wait_highs

    own = time.perf_counter() + time_limit
    deadline = own if deadline is None else min(deadline, own)
    form = direct_form(d)
    b, y, x = form.blocks["b"], form.blocks["y"], form.blocks["x"]
    form.col_lower[b] = builds
    form.col_upper[b] = builds
    form.col_lower[y] = 1.0  # links open in the LP; their cost moves onto the flows
    form.cost[y] = 0.0
    base = form.cost[x].copy()
    link = np.zeros(d.n_arcs)
    link[d.link_arcs] = d.arc_link_cost[d.link_arcs]
    slope_at = np.maximum(d.arc_big_m, 1e-9).astype(float)
    form.cost[x] = base + link / slope_at
    h, lp_options = _lp_highs(form, threads, time_limit, deadline)
    x_cols = np.arange(x.start, x.stop, dtype=np.int32)
    forced = np.array([d.fixed_build.get(int(f)) == 1 for f in d.candidates], dtype=bool)
    best: dict[str, np.ndarray] | None = None
    best_cost = math.inf
    for _ in range(max(iterations, 1)):
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        run_options = replace(lp_options, time_limit=max(left, 0.1))
        limit = run_options.limit_now()
        h.setOptionValue("time_limit", float(limit if limit is not None else left))
        watch, _ = wait_highs(h, run_options)
        if watch.interrupted or h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        values = form.split(np.asarray(h.getSolution().col_value, dtype=float))
        flow = values["x"]
        values["y"] = (flow[d.link_arcs] > 0).astype(float)
        intake = np.bincount(
            d.input_facility[d.arc_input], weights=flow * d.arc_eff, minlength=d.n_facilities
        )
        values["b"] = np.where(
            (np.asarray(builds) > 0.5) & ((intake[d.candidates] > 0) | forced), 1.0, 0.0
        )
        cost = objective_of(d, values)
        if cost < best_cost:
            best, best_cost = values, cost
        new_slope_at = np.where(flow > 1e-9, flow, slope_at)
        if np.allclose(new_slope_at, slope_at, rtol=1e-9, atol=0.0):
            break
        slope_at = new_slope_at
        h.changeColsCost(len(x_cols), x_cols, base + link / slope_at)
    h.clear()
    return best


def warm_start_values(
    d: ModelData,
    solve_options: Any,
    options: ReduceOptions = DEFAULT,
    time_limit: float | None = None,
) -> tuple[dict[str, np.ndarray] | None, dict[str, Any]]:
    """A feasible solution of the model of ``d`` (values in its index order), or None:

    1. The LP relaxation of the model strengthened by every valid inequality of this module
       is solved. The *kernel* is the set of arcs with LP flow; the other arcs are ranked by
       their LP price (reduced cost of the flow plus that of the link over :math:`M_a`),
       cheapest first; the *restricted* arcs are the kernel and the next :math:`2 |K|`.
    2. LP rounding and slope scaling (:func:`round_builds`, :func:`rounded_solution`): the
       builds rounded from the LP within groups and limits, then the flows over the
       restricted arcs with those builds re-solved ``options.warm_start_slope_iterations``
       times at most, each link charged over the flow it carried last, every link with flow
       opened. If those builds cannot meet the targets, every candidate that fits the
       groups and limits is tried instead. This gives a solution from a few LPs, when the
       MILPs of large cases have none after minutes.
    3. The MILP restricted to those arcs (with the valid inequalities ``options`` asks for,
       and the rounded solution as its start) is solved (gap 1e-4) within what is left of
       the budget.

    The budget is ``options.warm_start_seconds``, and at most a tenth of ``time_limit``,
    counted from the start of step 1; steps 1 and 2 may go on past it up to a quarter of
    ``time_limit`` (on the largest cases the LP alone takes longer, and HiGHS may find no
    solution for minutes without it), step 3 runs only within it. The best solution found
    is returned. Everything is built with numpy (:func:`~symbiosis.milp.direct.direct_form`),
    not Pyomo, so the warm start adds no second model to the run's memory. Models with fewer
    than ``options.warm_start_min_binaries`` binaries get none.

    Stops: every HiGHS run ends by ``solve_options.deadline`` (the run's time limit), and on
    SIGINT/SIGTERM (:mod:`symbiosis.interrupt`) the warm start returns at once with the best
    solution found so far (``info["interrupted"]``); the restricted MILP runs in a child
    process that can be killed when it is large (``solve_options.isolate``).

    On the generated benchmark cases the optimal arcs outside the kernel were among the
    cheapest :math:`2 |K|`. Every restricted solution, expanded with zero flow on the other
    arcs, is feasible for the full model.

    Parameters
    ----------
    d : ModelData
        The model's data (after the arc reductions).
    solve_options : SolveOptions
        ``threads``, ``highs``, ``isolate`` and ``deadline`` of the run.
    options : ReduceOptions
        ``warm_start_seconds``, ``warm_start_min_binaries``,
        ``warm_start_slope_iterations`` and the valid inequalities of the restricted MILP.
    time_limit : float or None
        The run's time limit (the budgets above are shares of it).

    Returns
    -------
    values : dict[str, numpy.ndarray] or None
        The best solution found, in the index order of ``d``; None if none was.
    info : dict[str, Any]
        What happened, for the manifest: ``skipped``, ``lp_seconds``, ``lp_status``,
        ``lp_bound``, ``restricted_arcs``, ``rounded_objective``, ``rounded_seconds``,
        ``restricted_status``, ``seconds``, ``objective``, ``interrupted`` (those that
        apply).
    """
    from symbiosis.milp.direct import direct_form
    from symbiosis.solve.highs import solve_form

    info: dict[str, Any] = {}
    binaries = len(d.link_arcs) + len(d.candidates)
    if binaries < options.warm_start_min_binaries:
        info["skipped"] = f"{binaries} binaries < {options.warm_start_min_binaries}"
        return None, info
    start = time.perf_counter()
    threads = int(solve_options.threads or 0)
    budget = options.warm_start_seconds
    if time_limit is not None:
        budget = min(budget, 0.1 * time_limit)

    # The LP and the rounding may run longer than the budget, up to a quarter of the time
    # limit: on the largest cases the LP alone takes longer than the budget (26 s at 200k
    # arcs, 102 s at 476k on a 2-core machine), and without it HiGHS may have no solution
    # for minutes.
    first_budget = budget if time_limit is None else max(budget, 0.25 * time_limit)

    def left(limit: float = budget) -> float:
        return limit - (time.perf_counter() - start)

    # The kernel comes from the strengthened LP whatever the main model uses: its support is
    # closer to the MILP optimum's (on the generated cases with 300 sources the warm start
    # found 859.8 M against 866.7 M from the plain LP's kernel).
    deadline = getattr(solve_options, "deadline", None)
    lp = _lp_relaxation(d, threads, first_budget, deadline)
    info["lp_seconds"] = round(time.perf_counter() - start, 3)
    if interrupt.requested() is not None:
        info["interrupted"] = True
        return None, info
    if lp is None:
        info["lp_status"] = "not optimal"
        return None, info
    lp_values, price, info["lp_bound"] = lp
    kernel = np.flatnonzero(lp_values["x"] > 1e-9)
    rest = np.setdiff1d(np.arange(d.n_arcs), kernel)
    rest = rest[np.argsort(price[rest], kind="stable")]
    used = np.union1d(kernel, rest[: 2 * max(len(kernel), 25)])
    sub = subset_arcs(d, used)
    info["restricted_arcs"] = [len(used)]

    best: dict[str, np.ndarray] | None = None
    best_obj = math.inf
    for permissive in (False, True):
        if left(first_budget) < 0.5 or interrupt.requested() is not None:
            break
        rounded = rounded_solution(
            sub,
            round_builds(d, lp_values["b"], permissive),
            threads,
            left(first_budget),
            options.warm_start_slope_iterations,
            deadline,
        )
        if rounded is not None:
            best, best_obj = rounded, objective_of(sub, rounded)
            info["rounded_objective"] = best_obj
            info["rounded_seconds"] = round(time.perf_counter() - start, 3)
            break

    if interrupt.requested() is not None:
        info["restricted_status"] = "not run: interrupted"
    elif left() >= 0.5:
        solution = solve_form(
            direct_form(sub, options.facility_links, options.target_cover),
            SolveOptions(
                time_limit=left(),
                mip_rel_gap=1e-4,
                threads=solve_options.threads,
                highs=dict(solve_options.highs),
                isolate=getattr(solve_options, "isolate", "auto"),
                deadline=deadline,
            ),
            initial_values=best,
        )
        info["restricted_status"] = solution.status
        if (
            solution.has_solution
            and solution.objective is not None
            and solution.objective < best_obj
        ):
            best, best_obj = solution.values, float(solution.objective)
    else:
        info["restricted_status"] = "no time left"
    info["seconds"] = round(time.perf_counter() - start, 3)
    if interrupt.requested() is not None:
        info["interrupted"] = True
    if best is None:
        return None, info
    info["objective"] = best_obj
    return expand_values(best, d, sub, used), info


def objective_of(d: ModelData, values: dict[str, np.ndarray]) -> float:
    """The objective of CASE_FORMAT.md at ``values`` (system cost plus any shortfall
    penalty):

    .. math::

        \\sum_a unit\\_cost_a x_a + \\sum_l link\\_cost_l y_l + \\sum_c annual_c b_c
        + \\sum_k (var\\_cost_k - value_k) d_k + \\sum_r u_r w_r
        + \\sum_{f\\,existing} fixed\\_opex_f \\; [+ \\; penalty \\sum_t short_t]

    Parameters
    ----------
    d : ModelData
        The model's data.
    values : dict[str, numpy.ndarray]
        Arrays ``x``, ``y``, ``b``, ``w`` [, ``shortfall``] in the index order of ``d``.

    Returns
    -------
    float
        CNY/yr.
    """
    x, w = values["x"], values["w"]
    delivered = np.bincount(d.arc_input, weights=x * d.arc_eff, minlength=d.n_inputs)
    cost = (
        float((d.arc_unit_cost * x).sum())
        + float((d.arc_link_cost[d.link_arcs] * values["y"]).sum())
        + float((d.facility_annual_cost[d.candidates] * values["b"]).sum())
        + float((d.input_net_cost * delivered).sum())
        + float((d.supply_unused_cost * w).sum())
        + d.existing_fixed_opex
    )
    if d.penalty is not None and len(values.get("shortfall", [])):
        cost += float(d.penalty) * float(np.sum(values["shortfall"]))
    return cost


__all__ = [
    "objective_of",
    "round_builds",
    "rounded_solution",
    "warm_start_values",
]
