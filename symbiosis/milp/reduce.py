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

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.i18n import gettext as _
from symbiosis.milp.data import ModelData, group_index
from symbiosis.options import DEFAULT, ReduceOptions


@dataclass
class Reduction:
    """A reduced :class:`ModelData` and how to map its solutions back.

    Attributes
    ----------
    original : ModelData
        The model data before the reductions.
    data : ModelData
        The reduced model data (fewer arcs, tightened capacities, shares and big-M).
    kept : numpy.ndarray
        ``kept[i]`` is the original index of reduced arc ``i``.
    stats : dict
        What each step did (``arcs_before``, ``arcs_after``, ``unprofitable_arcs``, ...,
        ``seconds``), for the manifest.
    """

    original: ModelData
    data: ModelData
    kept: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)

    def expand(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Variable values of the reduced model -> values on the original arcs (a dropped arc
        has ``x = 0`` and, if it has a link, ``y = 0``).

        Parameters
        ----------
        values : dict[str, numpy.ndarray]
            Arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` of the reduced model (any subset).

        Returns
        -------
        dict[str, numpy.ndarray]
            The same arrays with ``x`` and ``y`` on the original arcs and link arcs.
        """
        return expand_values(values, self.original, self.data, self.kept)

    def expand_solution(self, solution: Any) -> Any:
        """A :class:`~symbiosis.solve.Solution` of the reduced model on the original arcs.

        Parameters
        ----------
        solution : Solution
            A solution of the reduced model.

        Returns
        -------
        Solution
            A copy with its values expanded (:meth:`expand`); the same object when it has
            no values.
        """
        if not solution.values:
            return solution
        return replace(solution, values=self.expand(solution.values))

    def summary(self) -> str:
        """One line: arcs and link binaries before and after.

        Returns
        -------
        str
            ``<before> -> <after> arcs, <before> -> <after> link binaries``, in the language
            of the command (:mod:`symbiosis.i18n`): for the display only.
        """
        st = self.stats
        return _(
            "{arcs_before} -> {arcs_after} arcs, {links_before} -> {links_after} link binaries"
        ).format(
            arcs_before=f"{st.get('arcs_before', 0):,}",
            arcs_after=f"{st.get('arcs_after', 0):,}",
            links_before=f"{st.get('link_binaries_before', 0):,}",
            links_after=f"{st.get('link_binaries_after', 0):,}",
        )

    def restrict(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Values on the original arcs -> values of the reduced model (dropped arcs left out).

        Parameters
        ----------
        values : dict[str, numpy.ndarray]
            Arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` on the original arcs (any subset).

        Returns
        -------
        dict[str, numpy.ndarray]
            The same arrays with ``x`` and ``y`` on the reduced model's arcs and link arcs.
        """
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
    """Variable values of a reduced model on the original arcs (:meth:`Reduction.expand`).

    Parameters
    ----------
    values : dict[str, numpy.ndarray]
        Arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` of the reduced model (any subset).
    original : ModelData
        The model data before the reduction.
    reduced : ModelData
        The reduced model data.
    kept : numpy.ndarray
        The original index of each reduced arc.

    Returns
    -------
    dict[str, numpy.ndarray]
        The same arrays, ``x`` per original arc and ``y`` per original link arc (0 for the
        arcs dropped).
    """
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
    row (module docstring, ``dominated_arcs``): :math:`a` is dominated by :math:`b` when
    :math:`L_b \\le L_a` and :math:`c_b M + L_b \\le c_a M + L_a`; of two equal arcs the
    later one.

    Parameters
    ----------
    d : ModelData
        The model's data.

    Returns
    -------
    numpy.ndarray
        True for each arc to drop.
    """
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
    at least as much as leaving it unused,
    :math:`c_a + (var\\_cost_k - value_k) eff_a - n_k \\cdot penalty \\cdot eff_a \\ge u_r`.

    Parameters
    ----------
    d : ModelData
        The model's data.

    Returns
    -------
    numpy.ndarray
        True for each arc to drop.
    """
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
    that can ever be delivered to ``k``.

    Parameters
    ----------
    d : ModelData
        The model's data.

    Returns
    -------
    numpy.ndarray
        :math:`S_k` per input row (0 for rows no arc reaches).
    """
    if d.n_arcs == 0:
        return np.zeros(d.n_inputs)
    frame = pd.DataFrame({"r": d.arc_supply, "k": d.arc_input, "eff": d.arc_eff})
    best = frame.groupby(["r", "k"], sort=False)["eff"].max().reset_index()
    amount = d.supply_amount[best["r"].to_numpy()] * best["eff"].to_numpy()
    return np.bincount(best["k"].to_numpy(), weights=amount, minlength=d.n_inputs)


def tightened_capacity(d: ModelData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacities, shares and big-M tightened by the reachable supply (module docstring,
    ``tighten_capacity``): :math:`cap'_f = \\min(cap_f, \\sum_k \\min(share_k cap_f, S_k))`,
    :math:`share'_k = \\min(1, \\min(share_k cap_f, S_k) / cap'_f)` and
    :math:`M'_a = \\min(M_a, amount_r, share'_k cap'_f / eff_a)`.

    Parameters
    ----------
    d : ModelData
        The model's data.

    Returns
    -------
    capacity : numpy.ndarray
        :math:`cap'_f` per facility.
    share : numpy.ndarray
        :math:`share'_k` per input row.
    big_m : numpy.ndarray
        :math:`M'_a` per arc.
    """
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
    """The same model data with only the arcs ``keep``.

    Parameters
    ----------
    d : ModelData
        The model's data.
    keep : numpy.ndarray
        Indices of the arcs kept, ascending.

    Returns
    -------
    ModelData
        A copy with the arc arrays, link arcs and arc groupings of the kept arcs.
    """
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
    """Apply the arc reductions and capacity tightening of ``options`` to ``d``.

    Arcs dropped first (``unprofitable_arcs``, then ``dominated_arcs`` among those left),
    then capacities, shares and big-M tightened on what remains (``tighten_capacity``).

    Parameters
    ----------
    d : ModelData
        The model's data.
    options : ReduceOptions
        Which steps run.

    Returns
    -------
    Reduction
        The reduced data, the arcs kept and the statistics of each step.

    Raises
    ------
    ValueError
        For a multi-year or chained model (the reductions are proved for the single-period
        model without chains only; :func:`symbiosis.runner.run_scenario` turns them off).
    """
    if d.multi_year or d.has_chains:
        raise ValueError("model reductions are for the single-period model without chains")
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


__all__ = [
    "Reduction",
    "dominated_arcs",
    "expand_values",
    "reachable_supply",
    "reduce_model_data",
    "subset_arcs",
    "tightened_capacity",
    "unprofitable_arcs",
]
