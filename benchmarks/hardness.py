"""Where a generated case is hard: the link binaries or the build binaries?

``python -m benchmarks.hardness [--sources 300] [--seed 0] [--time-limit 120]``

Generates the case (:func:`symbiosis.generate.generate_case`), builds its model with numpy
(:func:`symbiosis.milp.direct.direct_form`) and solves three variants with HiGHS, each with
the same time limit and MIP gap 1e-4:

``full``
    The model as CASE_FORMAT.md writes it.
``links relaxed``
    Every link binary :math:`y_a` made continuous in [0, 1] (the build binaries stay
    integer). Its optimum is a lower bound of the full model's.
``builds fixed``
    The build decisions fixed at those of the ``full`` run's best solution: only the link
    binaries are left to decide. Its optimum is an upper bound of the full model's.

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


def solve(form: Any, time_limit: float, label: str) -> dict[str, Any]:
    from symbiosis.solve.compile import pass_to_highs
    from symbiosis.solve.highs import new_highs

    h = new_highs()
    pass_to_highs(h, form)
    h.setOptionValue("mip_rel_gap", 1e-4)
    h.setOptionValue("time_limit", time_limit)
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


def measure(sources: int, seed: int, time_limit: float) -> tuple[str, list[dict[str, Any]]]:
    """The case's description and one result per variant."""
    from symbiosis.case import load_case
    from symbiosis.generate import generate_case
    from symbiosis.milp import build_model_data
    from symbiosis.milp.direct import direct_form
    from symbiosis.network import build_arcs
    from symbiosis.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        gen = generate_case(Path(tmp), sources, seed=seed)
        scenario = load_scenario(gen.scenario)
        case = load_case(scenario.case)
        d = build_model_data(case, build_arcs(case), scenario)
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
    return gen.describe(), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hardness")
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args(argv)
    description, rows = measure(args.sources, args.seed, args.time_limit)

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
