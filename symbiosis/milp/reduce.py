"""Shrink and strengthen the MILP before HiGHS sees it, without changing its optimum.

Every step here keeps the optimal objective of the model of CASE_FORMAT.md "The MILP": a step
either removes only solutions that some other, no more costly, solution replaces (an arc that
another arc between the same ends beats at every flow, a link opened for a project not built),
or adds an inequality that every feasible solution satisfies. Results are always reported on
the original arcs: :meth:`Reduction.expand` maps a solution of the reduced model back (a
dropped arc carries no flow and has no link open).

Steps, each an option of :class:`ReduceOptions`. On by default are the steps that measurably
helped on generated cases (``benchmarks/reductions.py``; HiGHS's work, B&B nodes and simplex
iterations, compared because seconds on the shared machine varied by +-30 % for the same
model): ``unprofitable_arcs`` (HiGHS's presolve removes the same columns, so its work is
unchanged, but the Pyomo model to build and compile is smaller: 30-50 % fewer arcs with a soft
target), ``tighten_capacity`` (6 % fewer simplex iterations over six 60-source cases, 38 %
fewer on one) and ``warm_start`` (models with 1,000 binaries or more: at 1,000 sources the
gap after 300 s fell from 13.6 % to 10.4 %, at 80 sources the time to 1e-4 from 56 s to 40 s,
at 300 sources the gap after 300 s stayed at 2.77 %). Off by default, kept for comparison:
``facility_links`` (80 % more B&B nodes over six 60-source cases; at 1,000 sources its 74,000
rows slowed HiGHS's LP and heuristics so that the gap after 300 s doubled), ``target_cover``
(no change) and ``dominated_arcs`` (few arcs on the generated cases, 9 % more simplex
iterations).

``dominated_arcs``
    Arc :math:`a` is dropped when another arc :math:`b` joins the same supply row and input
    row with the same efficiency, and costs no more at every flow the arc can carry:
    :math:`L_b \\le L_a` and :math:`c_b M + L_b \\le c_a M + L_a` (unit costs :math:`c`, link
    costs :math:`L`, :math:`M = M_a = M_b` the most either can carry). Moving :math:`a`'s flow
    onto :math:`b` leaves every delivered amount :math:`d_k` unchanged and changes the cost by
    :math:`(c_b - c_a) x_a + L_b [y_b = 0] - L_a \\le 0`. Of two equal arcs the later one is
    dropped.
``unprofitable_arcs``
    Arc :math:`a` from supply row :math:`r` into input row :math:`k` is dropped when no hard
    target counts :math:`k` and a unit shipped never pays:
    :math:`c_a + (var\\_cost_k - value_k) eff_a - n_k \\cdot penalty \\cdot eff_a \\ge u_r`
    (:math:`n_k` the soft targets counting :math:`k`). Leaving its flow unused instead keeps
    every constraint (capacity, share and link rows are upper bounds; soft-target shortfalls
    absorb the rest) and does not raise the cost.
``tighten_capacity``
    A facility can never take in more of stream :math:`s` than the supply that reaches it:
    :math:`S_k = \\sum_{r \\to k} amount_r \\max_{a: r \\to k} eff_a`. Capacities and shares
    become :math:`cap'_f = \\min(cap_f, \\sum_k \\min(share_k cap_f, S_k))` and
    :math:`share'_k = \\min(1, \\min(share_k cap_f, S_k) / cap'_f)`, and each link's big-M
    :math:`M_a = \\min(amount_r, share'_k cap'_f / eff_a)`. Every feasible solution still
    satisfies the tightened rows (:math:`d_k \\le S_k` always), and the LP relaxation of
    :math:`\\sum_k d_k \\le cap'_f b_f` is stronger.
``facility_links`` (valid inequalities, :func:`add_valid_inequalities`)
    :math:`\\sum_{a \\in P} y_a \\le b_f` for the links of each pair :math:`P` of arcs
    between one supply row and one input row of a candidate :math:`f` (one per mode, same
    efficiency), and :math:`x_a \\le M_a b_f` for each arc without a link into a candidate.
    The second holds for every feasible solution
    (:math:`eff_a x_a \\le d_k \\le share_k cap_f b_f`). The first removes only solutions
    that some no more costly one replaces: a link into a project not built carries nothing
    and can be closed, and of two links of one pair both open, the flow of the one dearer per
    unit can move to the other and its link be closed. Together with
    :math:`x_a \\le M_a y_a` they give the LP relaxation the strong facility-location form
    :math:`\\sum_{a \\in P} x_a \\le M_P b_f`.
``target_cover`` (valid inequality)
    For each target :math:`t`:
    :math:`\\sum_{c} \\hat C_{ct} b_c + short_t \\ge amount_t - \\sum_{f\\,existing} \\hat C_{ft}`
    with :math:`\\hat C_{ft} = \\min(cap_f, \\sum_{k \\in f \\cap t} \\min(share_k cap_f, S_k))`
    the most facility :math:`f` can count toward :math:`t`: a knapsack on the build decisions
    from which HiGHS derives cover cuts.
``warm_start``
    A first solution for HiGHS (:func:`warm_start_values`): from the LP relaxation of the
    strengthened model, builds rounded within groups and limits and flows found by slope
    scaling of the link costs, then a MILP restricted to the arcs the LP prices cheapest;
    the best solution is passed to HiGHS (``setSolution``), which checks it against the
    full model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from symbiosis import interrupt
from symbiosis.milp.data import ModelData, TargetSpec, group_index
from symbiosis.milp.standard_form import pass_to_highs


@dataclass(frozen=True)
class ReduceOptions:
    """Which reductions run (see the module docstring). ``ReduceOptions.none()`` switches
    all off; :data:`DEFAULT` is what ``symbiosis run`` uses."""

    dominated_arcs: bool = False
    unprofitable_arcs: bool = True
    tighten_capacity: bool = True
    facility_links: bool = False
    target_cover: bool = False
    warm_start: bool = True
    #: seconds for the warm start (also at most a tenth of the time limit of the solve); its
    #: LP relaxation and rounding may take up to a quarter of the time limit
    #: (:func:`warm_start_values`)
    warm_start_seconds: float = 60.0
    #: no warm start for models with fewer binaries: HiGHS solves those in seconds, and the
    #: restricted MILP took about as long as the whole solve (benchmarks/reductions.py)
    warm_start_min_binaries: int = 1000
    #: LP solves of the slope scaling that turns the rounded builds into a first solution
    #: (1: plain LP rounding)
    warm_start_slope_iterations: int = 25

    @classmethod
    def none(cls) -> ReduceOptions:
        return cls(**{f.name: False for f in fields(cls) if f.type in ("bool", bool)})

    @classmethod
    def all(cls) -> ReduceOptions:
        return cls(**{f.name: True for f in fields(cls) if f.type in ("bool", bool)})

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.type in ("bool", bool))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT = ReduceOptions()


def scenario_reduce_options(
    value: bool | dict[str, bool | float] | None,
) -> ReduceOptions | bool | None:
    """The scenario's ``solver.reduce``: a bool, or a mapping of :class:`ReduceOptions` field
    names to values applied over :data:`DEFAULT` (unknown names are an input error)."""
    if not isinstance(value, dict):
        return value
    names = {f.name for f in fields(ReduceOptions)}
    unknown = sorted(set(value) - names)
    if unknown:
        from symbiosis.case import InputError, Problem

        raise InputError(
            [
                Problem(
                    "scenario",
                    f"solver.reduce: unknown step(s) {', '.join(unknown)}; allowed: "
                    + ", ".join(sorted(names)),
                )
            ],
            "scenario",
        )
    return replace(DEFAULT, **value)  # type: ignore[arg-type]


def reduce_options(reduce: ReduceOptions | bool | None, has_hooks: bool = False) -> ReduceOptions:
    """The options of one run: ``False`` none, ``True``/``None`` :data:`DEFAULT`.

    With user ``extra_constraints`` hooks only the valid inequalities stay: a hook may add
    constraints (a CO2 cap, a minimum CO2 avoided) under which a dropped arc is needed, may
    read the data it is handed, or may not hold on a warm start built without it.
    """
    if reduce is False:
        options = ReduceOptions.none()
    elif reduce is True or reduce is None:
        options = DEFAULT
    else:
        options = reduce
    if has_hooks:
        options = replace(
            options,
            dominated_arcs=False,
            unprofitable_arcs=False,
            tighten_capacity=False,
            warm_start=False,
        )
    return options


@dataclass
class Reduction:
    """A reduced :class:`ModelData` and how to map its solutions back.

    ``kept[i]`` is the original index of reduced arc ``i``.
    """

    original: ModelData
    data: ModelData
    kept: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)

    def expand(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Variable values of the reduced model -> values on the original arcs (a dropped arc
        has ``x = 0`` and, if it has a link, ``y = 0``)."""
        return expand_values(values, self.original, self.data, self.kept)

    def expand_solution(self, solution: Any) -> Any:
        """A :class:`~symbiosis.solve.Solution` of the reduced model on the original arcs."""
        if not solution.values:
            return solution
        return replace(solution, values=self.expand(solution.values))

    def summary(self) -> str:
        """One line: arcs and link binaries before and after."""
        st = self.stats
        return (
            f"{st.get('arcs_before', 0):,} -> {st.get('arcs_after', 0):,} arcs, "
            f"{st.get('link_binaries_before', 0):,} -> {st.get('link_binaries_after', 0):,} "
            "link binaries"
        )

    def restrict(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Values on the original arcs -> values of the reduced model (dropped arcs left out)."""
        out = dict(values)
        if "x" in values:
            out["x"] = np.asarray(values["x"])[self.kept]
        if "y" in values:
            y_full = np.zeros(self.original.n_arcs)
            y_full[self.original.link_arcs] = values["y"]
            out["y"] = y_full[self.kept][self.data.link_arcs]
        return out


def expand_values(
    values: dict[str, np.ndarray], original: ModelData, reduced: ModelData, kept: np.ndarray
) -> dict[str, np.ndarray]:
    """See :meth:`Reduction.expand`."""
    out = dict(values)
    if "x" in values:
        x = np.zeros(original.n_arcs)
        x[kept] = values["x"]
        out["x"] = x
    if "y" in values:
        y_arc = np.zeros(original.n_arcs)
        y_arc[kept[reduced.link_arcs]] = values["y"]
        out["y"] = y_arc[original.link_arcs]
    return out


# --------------------------------------------------------------------------------------------
# Arc reductions on ModelData
# --------------------------------------------------------------------------------------------
def dominated_arcs(d: ModelData) -> np.ndarray:
    """Boolean mask of arcs dominated by another arc between the same supply row and input
    row (module docstring, ``dominated_arcs``)."""
    n = d.n_arcs
    if n < 2:
        return np.zeros(n, dtype=bool)
    frame = pd.DataFrame(
        {
            "arc": np.arange(n),
            "r": d.arc_supply,
            "k": d.arc_input,
            "eff": d.arc_eff,
            "c": d.arc_unit_cost,
            "L": d.arc_link_cost,
            "M": d.arc_big_m,
        }
    )
    multi = frame.duplicated(["r", "k", "eff"], keep=False).to_numpy()
    if not multi.any():
        return np.zeros(n, dtype=bool)
    sub = frame.loc[multi]
    pairs = sub.merge(sub, on=["r", "k", "eff"], suffixes=("_a", "_b"))
    pairs = pairs.loc[pairs["arc_a"] != pairs["arc_b"]]
    m = np.maximum(pairs["M_a"].to_numpy(), pairs["M_b"].to_numpy())
    la, lb = pairs["L_a"].to_numpy(), pairs["L_b"].to_numpy()
    ca, cb = pairs["c_a"].to_numpy(), pairs["c_b"].to_numpy()
    at_most = (lb <= la) & (cb * m + lb <= ca * m + la)
    # b beats a outright, or they tie and a comes later.
    reverse = (la <= lb) & (ca * m + la <= cb * m + lb)
    beats = at_most & (~reverse | (pairs["arc_b"].to_numpy() < pairs["arc_a"].to_numpy()))
    out = np.zeros(n, dtype=bool)
    out[pairs["arc_a"].to_numpy()[beats]] = True
    return out


def unprofitable_arcs(d: ModelData) -> np.ndarray:
    """Boolean mask of arcs no optimal solution needs (module docstring,
    ``unprofitable_arcs``): into input rows no hard target counts, where a unit shipped costs
    at least as much as leaving it unused."""
    hard = np.zeros(d.n_inputs, dtype=bool)
    soft_count = np.zeros(d.n_inputs)
    for spec in d.targets:
        if d.penalty is None:
            hard[spec.input_rows] = True
        else:
            soft_count[spec.input_rows] += 1
    penalty = float(d.penalty or 0.0)
    k = d.arc_input
    per_unit = (
        d.arc_unit_cost + d.input_net_cost[k] * d.arc_eff - soft_count[k] * penalty * d.arc_eff
    )
    return (~hard[k]) & (per_unit >= d.supply_unused_cost[d.arc_supply])


def reachable_supply(d: ModelData) -> np.ndarray:
    """:math:`S_k = \\sum_{r \\to k} amount_r \\max_{a: r \\to k} eff_a` per input row: the most
    that can ever be delivered to ``k``."""
    if d.n_arcs == 0:
        return np.zeros(d.n_inputs)
    frame = pd.DataFrame({"r": d.arc_supply, "k": d.arc_input, "eff": d.arc_eff})
    best = frame.groupby(["r", "k"], sort=False)["eff"].max().reset_index()
    amount = d.supply_amount[best["r"].to_numpy()] * best["eff"].to_numpy()
    return np.bincount(best["k"].to_numpy(), weights=amount, minlength=d.n_inputs)


def tightened_capacity(d: ModelData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(capacity per facility, max share per input row, big-M per arc) tightened by the
    reachable supply (module docstring, ``tighten_capacity``)."""
    reach = reachable_supply(d)
    cap = d.facility_capacity
    f_of_k = d.input_facility
    limit_k = np.minimum(d.input_max_share * cap[f_of_k], reach)  # most d_k can be
    new_cap = np.minimum(cap, np.bincount(f_of_k, weights=limit_k, minlength=d.n_facilities))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(new_cap[f_of_k] > 0, limit_k / new_cap[f_of_k], 1.0)
    # share' = 1 drops the row: it is then implied by the capacity row, d_k <= cap'_f B_f.
    share = np.minimum(1.0, share)
    k = d.arc_input
    big_m = np.minimum(
        d.supply_amount[d.arc_supply],
        share[k] * new_cap[f_of_k[k]] / d.arc_eff,
    )
    big_m = np.minimum(big_m, d.arc_big_m)
    return new_cap, share, big_m


def subset_arcs(d: ModelData, keep: np.ndarray) -> ModelData:
    """The same model data with only the arcs ``keep`` (indices, ascending)."""
    keep = np.asarray(keep, dtype=np.int64)
    arc_supply = d.arc_supply[keep]
    arc_input = d.arc_input[keep]
    link_cost = d.arc_link_cost[keep]
    return replace(
        d,
        arc_supply=arc_supply,
        arc_input=arc_input,
        arc_eff=d.arc_eff[keep],
        arc_unit_cost=d.arc_unit_cost[keep],
        arc_link_cost=link_cost,
        arc_big_m=d.arc_big_m[keep],
        arc_co2=d.arc_co2[keep] if len(d.arc_co2) == d.n_arcs else d.arc_co2,
        link_arcs=np.flatnonzero(link_cost > 0),
        arcs_by_supply=group_index(arc_supply, d.n_supply),
        arcs_by_input=group_index(arc_input, d.n_inputs),
    )


def reduce_model_data(d: ModelData, options: ReduceOptions = DEFAULT) -> Reduction:
    """Apply the arc reductions and capacity tightening of ``options`` to ``d``."""
    start = time.perf_counter()
    drop = np.zeros(d.n_arcs, dtype=bool)
    stats: dict[str, Any] = {"arcs_before": d.n_arcs, "link_binaries_before": len(d.link_arcs)}
    if options.unprofitable_arcs:
        mask = unprofitable_arcs(d)
        stats["unprofitable_arcs"] = int(mask.sum())
        drop |= mask
    if options.dominated_arcs:
        # Dominance among the arcs still there (an arc dropped as unprofitable cannot
        # dominate: its dominated twin is unprofitable too, since it costs at least as much).
        mask = dominated_arcs(d) & ~drop
        stats["dominated_arcs"] = int(mask.sum())
        drop |= mask
    kept = np.flatnonzero(~drop)
    reduced = subset_arcs(d, kept) if drop.any() else d
    if options.tighten_capacity and reduced.n_arcs:
        cap, share, big_m = tightened_capacity(reduced)
        stats["capacities_tightened"] = int((cap < reduced.facility_capacity - 1e-9).sum())
        stats["big_m_tightened"] = int((big_m < reduced.arc_big_m * (1 - 1e-12)).sum())
        reduced = replace(reduced, facility_capacity=cap, input_max_share=share, arc_big_m=big_m)
    stats["arcs_after"] = reduced.n_arcs
    stats["link_binaries_after"] = len(reduced.link_arcs)
    stats["seconds"] = round(time.perf_counter() - start, 4)
    return Reduction(d, reduced, kept, stats)


# --------------------------------------------------------------------------------------------
# Valid inequalities (a build step appended to build_model)
# --------------------------------------------------------------------------------------------
def target_cover_coefficients(d: ModelData, spec: TargetSpec) -> np.ndarray:
    """:math:`\\hat C_{ft}` per facility: the most it can count toward target ``spec``."""
    reach = reachable_supply(d)
    rows = np.asarray(spec.input_rows, dtype=np.int64)
    f_of_k = d.input_facility[rows]
    limit = np.minimum(d.input_max_share[rows] * d.facility_capacity[f_of_k], reach[rows])
    per_fac = np.bincount(f_of_k, weights=limit, minlength=d.n_facilities)
    return np.minimum(d.facility_capacity, per_fac)


def add_facility_links(m: pyo.ConcreteModel, d: ModelData) -> None:
    r""":math:`\sum_{a \in P} y_a \le b_f` for the links of each pair :math:`P` (one supply
    row, one input row of a candidate :math:`f`, one efficiency), and :math:`x_a \le M_a b_f`
    for arcs into candidates without a link (module docstring, ``facility_links``)."""
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
    """The knapsack on build decisions of each target (module docstring, ``target_cover``)."""
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
    to append to :func:`~symbiosis.milp.model.build_model`."""
    steps: list[Any] = []
    if options.facility_links:
        steps.append(add_facility_links)
    if options.target_cover:
        steps.append(add_target_cover)
    return steps


def add_valid_inequalities(
    m: pyo.ConcreteModel, d: ModelData, options: ReduceOptions = DEFAULT
) -> None:
    """Add every valid inequality ``options`` asks for to a model built from ``d``."""
    for step in strengthening_steps(options):
        step(m, d)


# --------------------------------------------------------------------------------------------
# Warm start
# --------------------------------------------------------------------------------------------
def _lp_highs(
    form: Any, threads: int, time_limit: float, deadline: float | None = None
) -> tuple[Any, Any]:
    """``form`` with every column continuous, passed to a fresh HiGHS with ``threads`` and
    ``time_limit`` (at least 0.5 s, cut to ``deadline``) and no other option; returns the
    HiGHS and its options."""
    from symbiosis.solve import SolveOptions, configure, new_highs

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
    from symbiosis.solve import run_highs

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
    positive LP value are taken, unless ``permissive`` (then every candidate that fits is)."""
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
    (:func:`symbiosis.solve.wait_highs`); the cheapest solution met so far is returned."""
    import highspy

    from symbiosis.milp.direct import direct_form
    from symbiosis.solve import wait_highs

    deadline = time.perf_counter() + time_limit
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
    """
    from symbiosis.milp.direct import direct_form
    from symbiosis.solve import SolveOptions, solve_form

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
    penalty)."""
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


def is_finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


__all__ = [
    "DEFAULT",
    "ReduceOptions",
    "Reduction",
    "add_facility_links",
    "add_target_cover",
    "add_valid_inequalities",
    "dominated_arcs",
    "expand_values",
    "reachable_supply",
    "reduce_model_data",
    "reduce_options",
    "round_builds",
    "rounded_solution",
    "strengthening_steps",
    "subset_arcs",
    "target_cover_coefficients",
    "tightened_capacity",
    "unprofitable_arcs",
    "warm_start_values",
]
