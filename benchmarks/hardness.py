"""Where a case is hard: the link binaries or the build binaries?

``python -m benchmarks.hardness [--sources 300] [--seed 0] [--time-limit 120]``
``python -m benchmarks.hardness --scenario models/guizhou-2025.yaml [--more]``

Generates the case (:func:`symbiosis.generate.generate_case`), or reads a scenario (its
overrides applied), builds its model with numpy (:func:`symbiosis.milp.direct.direct_form`)
and solves variants with HiGHS, each with the same time limit and the MIP gap 1e-4:

``full``
    The model as CASE_FORMAT.md writes it.
``links relaxed``
    Every link binary :math:`y_a` made continuous in [0, 1] (the build binaries stay
    integer). Its optimum is a lower bound of the full model's.
``builds fixed``
    The build decisions fixed at those of the ``full`` run's best solution: only the link
    binaries are left to decide. Its optimum is an upper bound of the full model's.

With ``--more`` (issue 15's methods on models with link binaries), also:

``full, its best solution given``
    The full model again, handed the ``full`` run's best solution at the start: the time
    HiGHS needs to prove a solution it already has.
``benders, links in the master``
    The Benders loop of :mod:`symbiosis.solve.benders` with the link binaries moved into the
    master beside the builds (the flows' LP as subproblem; ``x_a - M_a y_a <= 0`` become
    the flows' variable upper bounds like ``x_a - M_a b_f <= 0``). Exact, like the method
    itself; measured here only, since ``solver.method: benders`` refuses link binaries.

If ``links relaxed`` proves its gap quickly and ``builds fixed`` does not, the hardness lies in
the fixed-charge links (a fixed-charge transportation problem), not in choosing projects.
Prints a markdown table (status, gap, objective, bound, seconds, B&B nodes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def solve(
    form: Any, time_limit: float, label: str, start: np.ndarray | None = None
) -> dict[str, Any]:
    import highspy

    from symbiosis.solve.compile import pass_to_highs
    from symbiosis.solve.highs import new_highs

    h = new_highs()
    pass_to_highs(h, form)
    h.setOptionValue("mip_rel_gap", 1e-4)
    h.setOptionValue("time_limit", time_limit)
    if start is not None:
        given = highspy.HighsSolution()
        given.col_value = list(start)
        given.value_valid = True
        h.setSolution(given)
    start = time.perf_counter()
    h.run()
    info = h.getInfo()
    has = info.primal_solution_status == 2
    out = {
        "variant": label,
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": float(info.objective_function_value) if has else None,
        "bound": float(info.mip_dual_bound),
        "gap": float(info.mip_gap) if has else None,
        "seconds": time.perf_counter() - start,
        "nodes": int(info.mip_node_count),
        "values": np.asarray(h.getSolution().col_value) if has else None,
    }
    h.clear()
    return out


def benders_links_in_master(d: Any, time_limit: float) -> dict[str, Any]:
    """The ``benders, links in the master`` variant (module docstring)."""
    from symbiosis.options import SolveOptions
    from symbiosis.solve import benders

    form, _ = benders._form_with_targets(d)
    split = benders.split_form(form, master_blocks=("b", "y"))
    options = SolveOptions(time_limit=time_limit, mip_rel_gap=1e-4, isolate=False)
    start = time.perf_counter()
    loop = benders._Loop(split, options, None, benders.BendersSettings())
    if loop.start_up():
        loop.lp_phase()
        if not loop.closed():
            loop.milp_phase()
    st = loop.state
    has = st.best_b is not None
    return {
        "variant": "benders, links in the master",
        "status": ("Optimal" if loop.closed() else loop.stopped or "stopped")
        + f" ({st.iterations} flow LPs, {st.masters} master MILPs)",
        "objective": st.best if has else None,
        "bound": st.bound if np.isfinite(st.bound) else None,
        "gap": benders.mip_gap(st.best if has else None, st.bound),
        "seconds": time.perf_counter() - start,
        "nodes": 0,
        "values": None,
    }


def model_data(sources: int, seed: int, scenario_path: Path | None) -> tuple[str, Any]:
    """The case's description and its model data: generated, or a scenario's."""
    from symbiosis.case import load_case
    from symbiosis.generate import generate_case
    from symbiosis.milp import build_model_data
    from symbiosis.network import build_arcs
    from symbiosis.overrides import apply_overrides_logged
    from symbiosis.scenario import load_scenario

    if scenario_path is not None:
        scenario = load_scenario(scenario_path)
        case = load_case(scenario.case)
        if not scenario.overrides.is_empty():
            case, _ = apply_overrides_logged(case, scenario.overrides, scenario_path.name)
        d = build_model_data(case, build_arcs(case), scenario)
        text = (
            f"{scenario_path}: {d.n_arcs:,} arcs, {len(d.link_arcs):,} link and "
            f"{len(d.candidates):,} build binaries"
        )
        return text, d
    with tempfile.TemporaryDirectory() as tmp:
        gen = generate_case(Path(tmp), sources, seed=seed)
        scenario = load_scenario(gen.scenario)
        case = load_case(scenario.case)
        d = build_model_data(case, build_arcs(case), scenario)
    return gen.describe(), d


def measure(
    sources: int,
    seed: int,
    time_limit: float,
    scenario: Path | None = None,
    more: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """The case's description and one result per variant (module docstring)."""
    from symbiosis.milp.direct import direct_form

    description, d = model_data(sources, seed, scenario)
    rows = []
    full = solve(direct_form(d), time_limit, "full")
    rows.append(full)
    relaxed = direct_form(d)
    relaxed.integer[relaxed.blocks["y"]] = False
    rows.append(solve(relaxed, time_limit, "links relaxed"))
    if full["values"] is not None:
        fixed = direct_form(d)
        b = fixed.blocks["b"]
        builds = np.round(full["values"][b])
        fixed.col_lower[b] = builds
        fixed.col_upper[b] = builds
        rows.append(solve(fixed, time_limit, "builds fixed"))
        if more:
            rows.append(
                solve(direct_form(d), time_limit, "full, its best solution given", full["values"])
            )
    if more:
        rows.append(benders_links_in_master(d, time_limit))
    return description, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hardness")
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--scenario", type=Path, default=None, help="a scenario instead")
    parser.add_argument("--more", action="store_true", help="also the issue-15 variants")
    args = parser.parse_args(argv)
    description, rows = measure(args.sources, args.seed, args.time_limit, args.scenario, args.more)

    def num(value: Any) -> str:
        return "-" if value is None else f"{value:,.0f}"

    print(
        f"{description}\n\n"
        "| variant | status | gap | objective | bound | seconds | B&B nodes |\n"
        "|---|---|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        gap = "-" if r["gap"] is None else f"{100 * r['gap']:.3f} %"
        print(
            f"| {r['variant']} | {r['status']} | {gap} | {num(r['objective'])} | "
            f"{num(r['bound'])} | {r['seconds']:.1f} | {r['nodes']:,} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
