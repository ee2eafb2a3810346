"""Solve speed: the reductions of :mod:`symbiosis.milp.reduce` against the model passed as is.

``python -m benchmarks.reductions [--sources 40,80,300,1000] [--time-limit 300]
[--ablation 40,80] [--out benchmarks/reductions.md]``

For each size (number of source sites; facilities follow :func:`symbiosis.generate` 's
default ratio) one case is generated, and each variant runs in a fresh process with the same
wall-clock budget, counted from reading the case (HiGHS gets what is left of it):

``highs``
    The unreduced model built with numpy (:func:`symbiosis.milp.direct.direct_form`: the same rows
    and columns as the Pyomo model) and passed straight to HiGHS.
``before``
    ``symbiosis run --no-reduce``'s pipeline: Pyomo model, compiled, HiGHS.
``after``
    ``symbiosis run``'s pipeline with the default reductions, valid inequalities and warm
    start.
``<step>`` (ablation sizes only)
    Only that step of :class:`~symbiosis.milp.reduce.ReduceOptions` switched on.

Reported per variant: model size as HiGHS sees it, seconds before HiGHS starts, HiGHS's
seconds, total wall seconds, status, the gap reached, objective and bound; "to 1e-4" is the
wall time when the gap 1e-4 was proven, else the gap left when the budget ran out. Every run
uses MIP gap 1e-4 and HiGHS's default options. The table is printed as markdown and written to
``--out``; :mod:`benchmarks.run` (``make bench``) includes it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (40, 80, 300, 1000)
QUICK_SOURCES = (40,)
ABLATION = (40, 80)
STEPS = (
    "dominated_arcs",
    "unprofitable_arcs",
    "tighten_capacity",
    "facility_links",
    "target_cover",
    "warm_start",
)
GAP = 1e-4


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# One measurement (in a fresh process)
# --------------------------------------------------------------------------------------------
def measure(variant: str, scenario_path: str, budget: float, threads: int = 0) -> dict[str, Any]:
    """Read the case, build the variant's model, solve it within ``budget`` wall seconds."""
    import resource

    from symbiosis.case import load_case
    from symbiosis.milp import build_model, build_model_data
    from symbiosis.milp.model import model_arrays
    from symbiosis.milp.reduce import reduce_model_data
    from symbiosis.milp.valid import strengthening_steps
    from symbiosis.network import build_arcs
    from symbiosis.options import ReduceOptions, SolveOptions
    from symbiosis.scenario import load_scenario
    from symbiosis.solve.highs import compile_model, set_initial_values
    from symbiosis.solve.warm_start import warm_start_values

    start = time.perf_counter()
    out: dict[str, Any] = {"variant": variant}
    scenario = load_scenario(scenario_path)
    case = load_case(scenario.case)
    data = build_model_data(case, build_arcs(case), scenario)
    out["arcs"] = data.n_arcs

    def options(limit: float) -> SolveOptions:
        return SolveOptions(time_limit=max(limit, 1.0), mip_rel_gap=GAP, threads=threads)

    if variant == "highs":
        from symbiosis.milp.direct import direct_form
        from symbiosis.solve.compile import pass_to_highs
        from symbiosis.solve.highs import new_highs

        form = direct_form(data)
        h = new_highs()
        pass_to_highs(h, form)
        h.setOptionValue("mip_rel_gap", GAP)
        h.setOptionValue("time_limit", max(budget - (time.perf_counter() - start), 1.0))
        if threads:
            h.setOptionValue("threads", threads)
        out["prep"] = time.perf_counter() - start
        _run(h, out)
        out.update(
            columns=int(form.matrix.shape[1]),
            rows=int(form.matrix.shape[0]),
            integer_columns=int(form.integer.sum()),
        )
    else:
        if variant == "before":
            reduce = ReduceOptions.none()
        elif variant == "after":
            reduce = ReduceOptions()
        elif variant.startswith("after-no-"):
            reduce = ReduceOptions(
                **{**ReduceOptions().as_dict(), variant[len("after-no-") :]: False}
            )
        else:
            reduce = ReduceOptions.none()
            reduce = ReduceOptions(**{**reduce.as_dict(), variant: True})
        model_data = data
        if any(reduce.as_dict()[s] for s in STEPS[:3]):
            reduction = reduce_model_data(data, reduce)
            model_data = reduction.data
            out["reduction"] = reduction.stats
        model = build_model(model_data, strengthening_steps(reduce))
        initial = None
        if reduce.warm_start:
            left = budget - (time.perf_counter() - start)
            initial, info_ws = warm_start_values(model_data, options(left), reduce, left)
            out["warm_start"] = info_ws
        compiled = compile_model(model)
        h = compiled.highs
        h.setOptionValue("mip_rel_gap", GAP)
        h.setOptionValue("time_limit", max(budget - (time.perf_counter() - start), 1.0))
        if threads:
            h.setOptionValue("threads", threads)
        if initial is not None:
            set_initial_values(h, compiled, model_arrays(model), initial)
        out["prep"] = time.perf_counter() - start
        _run(h, out)
        out.update(
            columns=len(compiled.columns),
            rows=len(compiled.rows),
            integer_columns=compiled.n_integer,
        )
    out["wall"] = time.perf_counter() - start
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def _run(h: Any, out: dict[str, Any]) -> None:
    """Run HiGHS and record status, objective, bound, gap and its work (B&B nodes and
    simplex iterations: the same on any machine for the same model)."""
    import highspy

    t = time.perf_counter()
    h.run()
    out["solve"] = time.perf_counter() - t
    info = h.getInfo()
    has = info.primal_solution_status == 2
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    out.update(
        status="optimal" if optimal else ("feasible" if has else h.getModelStatus().name),
        objective=float(info.objective_function_value) if has else None,
        bound=float(info.mip_dual_bound),
        gap=float(info.mip_gap) if has else None,
        nodes=int(info.mip_node_count),
        lp_iterations=int(info.simplex_iteration_count),
    )


def run_measure(variant: str, scenario: Path, budget: float, threads: int) -> dict[str, Any]:
    """:func:`measure` in a fresh Python, killed after twice the budget (plus a minute)."""
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "out.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.reductions",
            "--measure",
            variant,
            str(scenario),
            str(budget),
            str(threads),
            str(out_path),
        ]
        try:
            proc = subprocess.run(
                cmd, cwd=ROOT, capture_output=True, text=True, timeout=2 * budget + 60
            )
        except subprocess.TimeoutExpired:
            return {"variant": variant, "error": f"stopped after {2 * budget + 60:.0f} s"}
        if proc.returncode != 0 or not out_path.is_file():
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            return {"variant": variant, "error": f"exit {proc.returncode}: {tail[0]}"}
        result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
        return result


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def to_gap(r: dict[str, Any]) -> str:
    """Wall seconds to the proven gap, or the gap left."""
    if "error" in r:
        return r["error"]
    if r.get("status") == "optimal" and (r.get("gap") or 0.0) <= GAP * (1 + 1e-9):
        return f"**{r['wall']:,.1f} s**"
    if r.get("gap") is None:
        return f"no solution ({r.get('status')})"
    return f"gap {100 * r['gap']:.3f} % at {r['wall']:,.0f} s"


def table(size: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    head = (
        f"### {size['sources']} sources x {size['facilities']} facilities, seed "
        f"{size['seed']}: {size['arcs']:,} arcs\n\n"
        "| variant | columns | rows | binaries | arcs kept | before HiGHS s | HiGHS s | "
        "wall s | to 1e-4 | B&B nodes | LP iterations | warm start | objective | bound |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|\n"
    )
    lines = []
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['variant']} | | | | | | | | {r['error']} | | | | | |")
            continue
        kept = (r.get("reduction") or {}).get("arcs_after", r.get("arcs"))
        ws = r.get("warm_start") or {}
        start = (
            f"{ws['objective']:,.0f} in {ws.get('seconds', 0):.1f} s"
            if ws.get("objective") is not None
            else ("-" if not ws else str(ws.get("skipped") or "none"))
        )
        lines.append(
            f"| {r['variant']} | {r.get('columns', 0):,} | {r.get('rows', 0):,} | "
            f"{r.get('integer_columns', 0):,} | {kept:,} | {_num(r.get('prep'))} | "
            f"{_num(r.get('solve'))} | {_num(r.get('wall'))} | {to_gap(r)} | "
            f"{_num(r.get('nodes'), 0)} | {_num(r.get('lp_iterations'), 0)} | {start} | "
            f"{_num(r.get('objective'), 0)} | {_num(r.get('bound'), 0)} |"
        )
    return head + "\n".join(lines) + "\n"


def bench(
    folder: Path,
    sources: list[int],
    budget: float,
    ablation: list[int],
    threads: int = 0,
    seeds: tuple[int, ...] = (0,),
) -> str:
    """Generate each size (one case per seed), run the variants, return the markdown."""
    from symbiosis.generate import generate_case

    parts = []
    for n, seed in [(n, seed) for n in sources for seed in seeds]:
        gen = generate_case(folder / f"sources{n}-seed{seed}", n, seed=seed)
        size = {"sources": n, "facilities": gen.n_facilities, "arcs": gen.n_arcs, "seed": seed}
        log(f"reductions: {gen.describe()}")
        variants = ["highs", "before", "after"]
        if n in ablation:
            variants += list(STEPS)
        rows = []
        for variant in variants:
            r = run_measure(variant, gen.scenario, budget, threads)
            log(f"  {variant}: {to_gap(r)}")
            rows.append(r)
        parts.append(table(size, rows))
    return (
        "## Solve speed: reductions, valid inequalities, warm start\n\n"
        f"Generated cases (seeds {', '.join(map(str, seeds))}); every variant in a fresh "
        f"process with {budget:.0f} s "
        "of wall time from reading the case (HiGHS gets what is left), MIP gap 1e-4, HiGHS "
        "default options. `highs`: the unreduced model built with numpy and passed straight "
        "to HiGHS; `before`: `symbiosis run --no-reduce`; `after`: `symbiosis run` (default "
        "reductions); other rows: that step alone. Bold: wall seconds to the proven gap. "
        "Warm start: the first solution handed to HiGHS and the seconds it took (part of "
        "the seconds before HiGHS). "
        "B&B nodes and LP iterations are HiGHS's work: unlike seconds, the same on any machine "
        "and at any load for the same model and start.\n\n" + "\n".join(parts)
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--measure":
        variant, scenario, budget, threads, out = argv[1:6]
        result = measure(variant, scenario, float(budget), int(threads))
        Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.reductions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sources", help="comma-separated numbers of source sites")
    parser.add_argument("--time-limit", type=float, default=300.0, help="wall seconds per run")
    parser.add_argument("--ablation", default=",".join(map(str, ABLATION)))
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seeds", default="0", help="comma-separated generator seeds")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reductions.md")
    args = parser.parse_args(argv)
    if args.sources:
        sources = [int(x) for x in args.sources.split(",")]
    else:
        sources = list(QUICK_SOURCES if args.quick else SOURCES)
    ablation = [int(x) for x in args.ablation.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="symbiosis-reduce-") as tmp:
        seeds = tuple(int(x) for x in args.seeds.split(",") if x.strip())
        text = bench(Path(tmp), sources, args.time_limit, ablation, args.threads, seeds)
    load = os.getloadavg()
    import platform
    from importlib.metadata import version

    text = (
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}; Python "
        f"{platform.python_version()}, highspy {version('highspy')}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (end).\n\n" + text
    )
    text += f"\nLoad average at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}.\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")
    log(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
