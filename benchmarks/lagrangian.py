"""A Lagrangian bound for the capacitated facility location instances (issue 15's "Lagrangian
bounds to prune", measured).

``python -m benchmarks.lagrangian [--names capa1,capb1] [--iterations 300]``

For an instance of :mod:`symbiosis.orlib` (warehouses :math:`i` with capacity :math:`Q_i`
and fixed cost :math:`F_i`, customers :math:`j` with demand :math:`D_j`, :math:`C_{ij}` the
cost of serving all of :math:`j` from :math:`i`; :math:`x_{ij}` the share of :math:`j`
served by :math:`i`), the demand rows :math:`\\sum_i x_{ij} = 1` are relaxed with
multipliers :math:`\\lambda_j`; the capacity rows, the strong bounds
:math:`x_{ij} \\le z_i` and the cover :math:`\\sum_i Q_i z_i \\ge \\sum_j D_j` stay:

.. math::

    L(\\lambda) = \\sum_j \\lambda_j + \\min_{z \\in \\{0,1\\}} \\Big\\{ \\sum_i v_i z_i :
    \\sum_i Q_i z_i \\ge \\sum_j D_j \\Big\\}, \\qquad
    v_i = F_i + \\min_{0 \\le x \\le 1} \\Big\\{ \\sum_j (C_{ij} - \\lambda_j) x_{ij} :
    \\sum_j D_j x_{ij} \\le Q_i \\Big\\},

a continuous knapsack per warehouse (greedy by :math:`(C_{ij} - \\lambda_j) / D_j`) and one
0-1 covering knapsack over the warehouses (dynamic programming over the capacity covered).
Without the cover, every subproblem has the integrality property and :math:`\\max L` is the
strong LP bound; the cover's integrality can only raise it. :math:`\\max_\\lambda L` is
sought by subgradient steps (Polyak's rule toward the published optimum, the step halved
after 20 rounds without a better bound).

Relaxing the capacity rows instead (the issue's suggestion) leaves an uncapacitated facility
location problem to solve exactly at each step, itself NP-hard; it was not tried.

Reported per instance: the best Lagrangian bound, the strong LP bound (the LP relaxation
with :math:`x_{ij} \\le z_i` and the cover, by HiGHS), the published optimum, the gaps of
both bounds to it, and how many warehouses the Lagrangian bound fixes (:math:`L +` the cost
of flipping :math:`z_i` in the knapsack exceeds the optimum), which is what it would prune.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.exact_scale import LARGE


@dataclass
class Bound:
    """One evaluation of :math:`L(\\lambda)`: its value, the warehouses open in the
    knapsack, the per-warehouse values :math:`v_i` and the subgradient."""

    value: float
    open: np.ndarray
    v: np.ndarray
    subgradient: np.ndarray


def cover_knapsack(v: np.ndarray, q: np.ndarray, need: int) -> tuple[float, np.ndarray]:
    """:math:`\\min \\sum_i v_i z_i` s.t. :math:`\\sum_i q_i z_i \\ge need`, :math:`z`
    binary, by dynamic programming over the capacity covered (capped at ``need``).

    Parameters
    ----------
    v : numpy.ndarray
        Item costs (any sign).
    q : numpy.ndarray
        Item sizes, non-negative integers.
    need : int
        The capacity to cover.

    Returns
    -------
    value : float
        The optimum (inf if the items cannot cover ``need``).
    z : numpy.ndarray
        A minimiser (0/1 per item).
    """
    n = len(v)
    best = np.full(need + 1, np.inf)
    best[0] = 0.0
    take = np.zeros((n, need + 1), dtype=bool)
    origin = np.zeros((n, need + 1), dtype=np.int64)
    states = np.arange(need + 1)
    for i in range(n):
        size = int(q[i])
        cand = np.full(need + 1, np.inf)
        frm = states.copy()
        if size < need:  # states size .. need-1 come from c - size
            cand[size:need] = best[: need - size] + v[i]
            frm[size:need] = states[: need - size]
        low = max(need - size, 0)  # the capped state comes from any c >= need - size
        j = low + int(np.argmin(best[low:]))
        cand[need] = best[j] + v[i]
        frm[need] = j
        better = cand < best
        take[i] = better
        origin[i] = frm
        best = np.where(better, cand, best)
    z = np.zeros(n)
    c = need
    for i in range(n - 1, -1, -1):
        if take[i, c]:
            z[i] = 1.0
            c = int(origin[i, c])
    return float(best[need]), z


def evaluate(inst: Any, lam: np.ndarray) -> Bound:
    """:math:`L(\\lambda)` (module docstring) at ``lam``."""
    d = inst.demand
    reduced = inst.cost.T - lam[None, :]  # (m, n): C_ij - lambda_j
    m = len(inst.capacity)
    v = inst.fixed_cost.astype(float).copy()
    x = np.zeros((m, len(d)))
    for i in range(m):
        neg = np.flatnonzero(reduced[i] < 0)
        order = neg[np.argsort(reduced[i, neg] / d[neg], kind="stable")]
        room = float(inst.capacity[i])
        filled = np.cumsum(d[order])
        full = order[filled <= room]
        x[i, full] = 1.0
        left = room - float(d[full].sum())
        nxt = order[len(full)] if len(full) < len(order) else None
        if nxt is not None and left > 0:
            x[i, nxt] = left / d[nxt]
        v[i] += float(reduced[i] @ x[i])
    need = int(np.ceil(d.sum()))
    value, z = cover_knapsack(v, inst.capacity.astype(np.int64), need)
    served = (x * z[:, None]).sum(axis=0)
    return Bound(float(lam.sum()) + value, z, v, 1.0 - served)


def lagrangian(inst: Any, target: float, iterations: int) -> tuple[Bound, np.ndarray, float]:
    """The best :math:`L(\\lambda)` met in ``iterations`` subgradient steps from
    :math:`\\lambda_j = \\min_i C_{ij}` (Polyak steps toward ``target``)."""
    lam = inst.cost.min(axis=1).astype(float)
    best: Bound | None = None
    best_lam = lam.copy()
    theta, stall = 2.0, 0
    started = time.perf_counter()
    for _ in range(iterations):
        b = evaluate(inst, lam)
        if best is None or b.value > best.value + 1e-9:
            best, best_lam, stall = b, lam.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2, 0
        norm = float(b.subgradient @ b.subgradient)
        if norm < 1e-12 or theta < 1e-6:
            break
        lam = lam + theta * (target - b.value) / norm * b.subgradient
    assert best is not None
    return best, best_lam, time.perf_counter() - started


def fixings(inst: Any, bound: Bound, lam: np.ndarray, target: float) -> dict[int, int]:
    """The warehouses whose flip (open to closed or closed to open, in the knapsack at
    ``lam``) raises :math:`L` above ``target``, and the value each is fixed at: every plan
    that costs at most ``target`` keeps it there.

    Parameters
    ----------
    inst : CapInstance
        The instance.
    bound : Bound
        :func:`evaluate` at ``lam``.
    lam : numpy.ndarray
        The multipliers.
    target : float
        The cost to beat (the published optimum here).

    Returns
    -------
    dict[int, int]
        Warehouse index -> 0 or 1.
    """
    need = int(np.ceil(inst.demand.sum()))
    q = inst.capacity.astype(np.int64)
    fixed: dict[int, int] = {}
    for i in range(len(q)):
        others_v, others_q = np.delete(bound.v, i), np.delete(q, i)
        if bound.open[i] == 0:  # forced open
            rest, _ = cover_knapsack(others_v, others_q, max(need - int(q[i]), 0))
            flipped = float(bound.v[i]) + rest
        else:  # forced closed
            flipped, _ = cover_knapsack(others_v, others_q, need)
        if float(lam.sum()) + flipped > target + 1e-9 * abs(target):
            fixed[i] = int(bound.open[i])
    return fixed


def lp_bound(instance: Any) -> float:
    """The strong LP bound of the instance's case (:math:`x \\le M b` and the cover), by
    HiGHS on the LP relaxation of :func:`symbiosis.milp.direct.direct_form`."""
    import tempfile

    from symbiosis.case import load_case
    from symbiosis.milp import build_model_data
    from symbiosis.milp.direct import direct_form
    from symbiosis.network import build_arcs
    from symbiosis.options import SolveOptions
    from symbiosis.orlib import write_case
    from symbiosis.scenario import load_scenario
    from symbiosis.solve.highs import solve_form

    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(instance, Path(tmp) / instance.name))
        case = load_case(scenario.case)
        d = build_model_data(case, build_arcs(case), scenario)
    form = direct_form(d, facility_links=True, target_cover=True)
    form.integer[:] = False
    sol = solve_form(form, SolveOptions(isolate=False))
    return float(sol.objective or 0.0)


def main(argv: list[str] | None = None) -> int:
    """Print the table (module docstring) for ``--names``."""
    from symbiosis.orlib import large_instances, read_cap

    parser = argparse.ArgumentParser(prog="python -m benchmarks.lagrangian")
    parser.add_argument("--names", default="capa1,capa4,capb1,capb4,capc1,capc4")
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args(argv)
    entries = large_instances(LARGE)
    print(
        "| instance | published optimum | strong LP bound | Lagrangian bound | LP gap | "
        "Lagrangian gap | warehouses fixed | seconds |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for name in [n for n in args.names.split(",") if n]:
        entry = entries[name]
        inst = read_cap(entry.file)
        lp = lp_bound(inst)
        best, lam, seconds = lagrangian(inst, entry.optimum, args.iterations)
        fixed = len(fixings(inst, best, lam, entry.optimum))
        opt = entry.optimum
        print(
            f"| {name} | {opt:,.1f} | {lp:,.1f} | {best.value:,.1f} | {(opt - lp) / opt:.3%} | "
            f"{(opt - best.value) / opt:.3%} | {fixed} of {len(inst.capacity)} | {seconds:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
