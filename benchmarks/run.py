"""``make bench``: the optimiser on generated cases of growing size, and the external checks.

``python -m benchmarks.run [--sizes 5000,20000,...] [--time-limit 60] [--quick]``

For each size (candidate arcs aimed at) a case is generated (:mod:`symbiosis.generate`) into a
temporary folder and, in a fresh process per size (:mod:`benchmarks.worker`, so that peak
memory is that size's own), the stages of ``symbiosis run`` are timed: read, network, model
data, build (Pyomo), compile (standard form) and pass (to HiGHS), and HiGHS's solve under a
time limit (the gap reached is reported when it stops there), with peak memory. Beside it, the
floor: the same matrix built with numpy and passed to HiGHS. "Overhead" is everything but
HiGHS's own solve.

Then: Pyomo's own standard-form compiler and its persistent HiGHS interface at one or two
sizes (the hand-off choice, by measurement), HiGHS's parallel MIP (``parallel: on``, 2
threads) against its default on generated MILPs that take seconds to a minute, and the
twelve OR-Library capacitated warehouse location instances against their published optima,
and the bundled 2026-2030 Guizhou plan (Model v2), perfect and myopic foresight.

Everything is printed as markdown and written to ``benchmarks/results.md`` with the machine
it ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZES = (5_000, 20_000, 50_000, 100_000, 200_000, 500_000)
QUICK_SIZES = (5_000, 20_000)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for package in ("highspy", "pyomo", "numpy", "scipy", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "ram_gb": ram_gb,
        "platform": platform.platform(),
        "versions": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": os.getloadavg(),
    }


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------
def run_worker(task: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one :mod:`benchmarks.worker` task in a fresh Python; ``{"error": ...}`` when it
    fails or runs out of time (the child is killed)."""
    with tempfile.TemporaryDirectory() as tmp:
        args_path, out_path = Path(tmp) / "args.json", Path(tmp) / "out.json"
        args_path.write_text(json.dumps(args), encoding="utf-8")
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.worker", task, str(args_path), str(out_path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"stopped after {timeout:.0f} s", "timeout": timeout}
        if proc.returncode != 0 or not out_path.is_file():
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            return {"error": f"exit {proc.returncode}: {tail[0]}"}
        result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
        result["wall"] = time.perf_counter() - start
        return result


def generated(folder: Path, arcs: int, seed: int = 0) -> tuple[Path, dict[str, Any]]:
    """A generated case with about ``arcs`` arcs (the same one for the same aim and seed)."""
    from symbiosis.generate import generate_case, sizes_for_arcs

    t = time.perf_counter()
    sources, facilities = sizes_for_arcs(arcs, seed=seed)
    gen = generate_case(folder / f"arcs{arcs}", sources, facilities, seed=seed)
    info = {
        "aim": arcs,
        "sources": sources,
        "facilities": facilities,
        "generate_s": time.perf_counter() - t,
    }
    log(f"  generated: {gen.describe()} ({info['generate_s']:.1f} s)")
    return gen.scenario, info


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
def s(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def n(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def status_text(r: dict[str, Any]) -> str:
    if "error" in r:
        return str(r["error"])
    gap = r.get("gap")
    if r.get("status") == "optimal":
        return "optimal"
    if gap is not None:
        return f"{r.get('status')}, gap {100 * gap:.2f} %"
    return str(r.get("status"))


def model_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| arcs | columns | binaries | rows | read | network | model data | build | compile "
        "| pass | **overhead** | peak MB | floor: pass (numpy build) |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        m = r["model"]
        if "error" in m:
            lines.append(f"| ~{n(r['aim'])} | {m['error']} |" + " |" * 11)
            continue
        lines.append(
            f"| {n(m.get('arcs'))} | {n(m.get('columns'))} | {n(m.get('binaries'))} "
            f"| {n(m.get('rows'))} | {s(m.get('read'), 2)} | {s(m.get('network'), 2)} "
            f"| {s(m.get('model_data'), 2)} | {s(m.get('build'), 2)} | {s(m.get('compile'), 2)} "
            f"| {s(m.get('pass'), 2)} | **{s(m.get('overhead'), 1)}** | {s(m.get('peak_mb'), 0)} "
            f"| {s(m.get('floor_pass'), 2)} ({s(m.get('floor_build'), 2)}) |"
        )
    return head + "\n".join(lines) + "\n"


def run_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| arcs | read + network + data | reduce | build | warm start | compile + pass "
        "| solve | result | columns solved | results + shadow prices | peak MB |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        x = r["run"]
        if "error" in x:
            lines.append(f"| ~{n(r['aim'])} |" + " |" * 6 + f" {x['error']} | | | |")
            continue
        pre = sum(x.get(f"run_{k}", 0.0) for k in ("read", "network", "model data"))
        post = sum(x.get(f"run_{k}", 0.0) for k in ("results", "shadow price"))
        handoff = x.get("run_compile", 0.0) + x.get("run_pass_to_highs", 0.0)
        lines.append(
            f"| {n(x.get('arcs'))} | {s(pre, 2)} | {s(x.get('run_reduce'), 2)} "
            f"| {s(x.get('run_build model'), 2)} | {s(x.get('run_warm start'), 1)} "
            f"| {s(handoff, 2)} | {s(x.get('solve'), 1)} | {status_text(x)} "
            f"| {n(x.get('columns'))} | {s(post, 1)} | {s(x.get('peak_mb'), 0)} |"
        )
    return head + "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------------------------
def bench_sizes(folder: Path, sizes: list[int], time_limit: float) -> list[dict[str, Any]]:
    rows = []
    for aim in sizes:
        log(f"size ~{aim:,} arcs")
        scenario, info = generated(folder, aim)
        model = run_worker("model", {"scenario": str(scenario)}, timeout=1800)
        log(
            f"  model: overhead {model.get('overhead', float('nan')):.1f} s, peak "
            f"{model.get('peak_mb', float('nan')):.0f} MB, floor pass "
            f"{model.get('floor_pass', float('nan')):.2f} s {model.get('error', '')}"
        )
        result = run_worker(
            "run",
            {"scenario": str(scenario), "time_limit": time_limit},
            timeout=3 * time_limit + 1800,
        )
        log(
            f"  run: solve {result.get('solve', float('nan')):.1f} s ({status_text(result)}), "
            f"peak {result.get('peak_mb', float('nan')):.0f} MB"
        )
        rows.append({**info, "model": model, "run": result})
    return rows


def bench_handoff(
    folder: Path, compiler_sizes: list[int], persistent_sizes: list[int], timeout: float
) -> list[dict[str, Any]]:
    """Pyomo's standard-form compiler and its persistent interface against ours."""
    rows = []
    for aim in sorted(set(compiler_sizes) | set(persistent_sizes)):
        log(f"hand-off at ~{aim:,} arcs")
        scenario, _ = generated(folder, aim)
        row: dict[str, Any] = {"aim": aim}
        if aim in compiler_sizes:
            r = run_worker("pyomo_compile", {"scenario": str(scenario)}, timeout=timeout)
            row.update({k: r.get(k) for k in ("arcs", "compile", "pass", "pyomo_compile")})
            row["pyomo_pass"] = r.get("pyomo_pass")
            row["compile_error"] = r.get("error")
        if aim in persistent_sizes:
            r = run_worker("persistent", {"scenario": str(scenario)}, timeout=timeout)
            row["arcs"] = row.get("arcs") or r.get("arcs")
            row["persistent"] = r.get("persistent_set_instance")
            row["persistent_error"] = r.get("error")
        log(f"  {row}")
        rows.append(row)
    return rows


def handoff_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| arcs | ours: compile + pass | Pyomo LinearStandardFormCompiler + pass "
        "| Pyomo persistent HiGHS (`set_instance`) |\n|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        ours = f"{r['compile']:.1f} + {r['pass']:.2f} s" if r.get("compile") is not None else "-"
        pyomo = (
            f"{r['pyomo_compile']:.1f} + {r['pyomo_pass']:.2f} s"
            if r.get("pyomo_compile") is not None
            else (r.get("compile_error") or "not measured")
        )
        pers = (
            f"{r['persistent']:.1f} s"
            if r.get("persistent") is not None
            else (r.get("persistent_error") or "not measured")
        )
        lines.append(f"| {n(r.get('arcs'))} | {ours} | {pyomo} | {pers} |")
    return head + "\n".join(lines) + "\n"


PARALLEL_SETTINGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("HiGHS defaults", {"threads": 0, "parallel": "choose"}),
    ("threads 2", {"threads": 2, "parallel": "choose"}),
    ("parallel on, threads 2", {"threads": 2, "parallel": "on"}),
)


def bench_parallel(
    folder: Path,
    cases: list[tuple[int, int]],
    time_limit: float,
    repeats: int,
    reduce: bool = True,
) -> list[dict[str, Any]]:
    """HiGHS's defaults (threads 0: HiGHS decides, ``parallel: choose``) against 2 threads
    and against ``parallel: on`` with 2 threads, same gap (1e-4), each solve in a fresh
    process (HiGHS fixes its thread pool at the first solve of a process), the settings
    alternating, ``repeats`` times; ``reduce`` False solves the model as written (HiGHS
    alone, without the reductions and warm start of ``symbiosis run``)."""
    from symbiosis.generate import generate_case

    rows = []
    for sources, seed in cases:
        gen = generate_case(folder / f"mip{sources}_{seed}", sources, seed=seed)
        log(f"parallel MIP: {gen.describe()}")
        for rep in range(repeats):
            for label, options in PARALLEL_SETTINGS:
                r = run_worker(
                    "run",
                    {
                        "scenario": str(gen.scenario),
                        "time_limit": time_limit,
                        "options": options,
                        "reduce": reduce,
                    },
                    timeout=3 * time_limit + 600,
                )
                r.update(sources=sources, seed=seed, setting=label, repeat=rep + 1)
                log(f"  {label}: {s(r.get('solve'))} s, {status_text(r)}, {r.get('objective')}")
                rows.append(r)
    return rows


def parallel_table(rows: list[dict[str, Any]]) -> str:
    """One line per case and setting: the solve times of each repeat and their mean."""
    head = (
        "| case | arcs | binaries | setting | solve s (each run) | mean | result |\n"
        "|---|---:|---:|---|---:|---:|---|\n"
    )
    lines = []
    keys = sorted({(r["sources"], r["seed"]) for r in rows})
    for sources, seed in keys:
        for label, _ in PARALLEL_SETTINGS:
            runs = [
                r for r in rows if (r["sources"], r["seed"], r["setting"]) == (sources, seed, label)
            ]
            if not runs:
                continue
            times = [r.get("solve") for r in runs]
            known = [t for t in times if t is not None]
            mean = sum(known) / len(known) if known else None
            results = sorted({status_text(r) for r in runs})
            lines.append(
                f"| {sources} sources, seed {seed} | {n(runs[0].get('arcs'))} "
                f"| {n(runs[0].get('binaries'))} | {label} "
                f"| {', '.join(s(t) for t in times)} | {s(mean)} | {'; '.join(results)} |"
            )
    return head + "\n".join(lines) + "\n"


def bench_orlib(folder: Path) -> list[dict[str, Any]]:
    """The twelve OR-Library instances through ``run_scenario``, in this process."""
    from symbiosis.orlib import published_optima, read_cap, write_case
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    orlib = ROOT / "benchmarks" / "orlib-cap"
    optima = published_optima(orlib / "README.md")
    rows = []
    for name in sorted(optima, key=lambda k: (len(k), k)):
        t = time.perf_counter()
        scenario = load_scenario(write_case(read_cap(orlib / f"{name}.txt"), folder / name))
        outcome = run_scenario(scenario)
        sol = outcome.solution
        objective = sol.objective if sol is not None else None
        row = {
            "instance": name,
            "published": optima[name],
            "objective": objective,
            "status": sol.status if sol is not None else "error",
            "seconds": time.perf_counter() - t,
            "solve": sol.timings.get("solve") if sol is not None else None,
        }
        row["ok"] = objective is not None and abs(objective - optima[name]) <= 1e-6 * optima[name]
        log(f"  {name}: {objective} vs {optima[name]} ({row['seconds']:.2f} s)")
        rows.append(row)
    return rows


def orlib_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| instance | published optimum | found | relative difference | status | seconds "
        "(whole run) |\n|---|---:|---:|---:|---|---:|\n"
    )
    lines = []
    for r in rows:
        diff = (
            f"{(r['objective'] - r['published']) / r['published']:.1e}"
            if r["objective"] is not None
            else "-"
        )
        found = f"{r['objective']:,.3f}" if r["objective"] is not None else "-"
        lines.append(
            f"| {r['instance']} | {r['published']:,.3f} | {found} | {diff} | {r['status']} "
            f"| {r['seconds']:.2f} |"
        )
    ok = sum(bool(r["ok"]) for r in rows)
    return head + "\n".join(lines) + f"\n\n{ok} of {len(rows)} published optima reproduced.\n"


#: the bundled multi-year plan (Model v2) whose every year can be met, solved as the issue
#: asks, to a 1e-3 gap in 5 min: the plan with the totals the corrected case can reach (the
#: plan itself asks more than the case can give)
PLAN = ROOT / "models" / "guizhou-2026-2030-reachable.yaml"


def bench_plan(time_limit: float) -> list[dict[str, Any]]:
    """The bundled 2026-2030 Guizhou plan through ``symbiosis run``'s pipeline, perfect and
    myopic foresight, each in a fresh process (the scenario's gap, ``time_limit`` s)."""
    rows = []
    for foresight in ("perfect", "myopic"):
        log(f"plan: {PLAN.name}, {foresight} foresight")
        args = {"scenario": str(PLAN), "time_limit": time_limit, "foresight": foresight}
        result = run_worker("run", args, timeout=time_limit * 3 + 600)
        rows.append({"foresight": foresight, **result})
    return rows


def plan_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| foresight | arcs (all years) | binaries | build model | solve | result "
        "| discounted cost, bn CNY | builds (by year) |\n"
        "|---|---:|---:|---:|---:|---|---:|---|\n"
    )
    lines = []
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['foresight']} | | | | | {r['error']} | | |")
            continue
        per_year: dict[int, int] = {}
        for build in r.get("build_plan") or []:
            per_year[build["year"]] = per_year.get(build["year"], 0) + 1
        builds = ", ".join(f"{y}: {k}" for y, k in sorted(per_year.items())) or "none"
        cost = r.get("objective")
        gap = f", gap {r['gap']:.2e}" if r.get("status") == "optimal" and r.get("gap") else ""
        lines.append(
            f"| {r['foresight']} | {n(r.get('arcs'))} | {n(r.get('binaries'))} "
            f"| {s(r.get('run_build model'), 1)} | {s(r.get('run_solve'), 1)} "
            f"| {status_text(r)}{gap} | {'-' if cost is None else f'{cost / 1e9:,.3f}'} "
            f"| {builds} |"
        )
    return head + "\n".join(lines) + "\n"


def machine_text(m: dict[str, Any]) -> str:
    v = m["versions"]
    load_end = m.get("load_end")
    return (
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram_gb']:.0f} GB RAM, {m['platform']}; "
        f"Python {v['python']}, highspy {v['highspy']}, Pyomo {v['pyomo']}, numpy "
        f"{v['numpy']}, scipy {v['scipy']}, pandas {v['pandas']}; {m['date']}. Load average "
        f"(1 min) {m['load_start'][0]:.1f} at the start"
        + (f", {load_end[0]:.1f} at the end" if load_end else "")
        + " (the machine is shared: a load above its CPU count inflates every time).\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sizes", help="comma-separated arc counts to aim at")
    parser.add_argument("--time-limit", type=float, default=60.0, help="HiGHS seconds per size")
    parser.add_argument("--quick", action="store_true", help="small sizes and checks only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    parser.add_argument(
        "--skip",
        default="",
        help="parts to skip: sizes,handoff,parallel,orlib,exact,reductions,plan",
    )
    parser.add_argument("--keep", type=Path, help="keep the generated cases in this folder")
    parser.add_argument(
        "--no-reduce",
        action="store_true",
        help="parallel MIP part: solve the model as written (no reductions, no warm start)",
    )
    args = parser.parse_args(argv)
    skip = {p.strip() for p in args.skip.split(",") if p.strip()}
    if args.sizes:
        sizes = [int(float(x)) for x in args.sizes.split(",")]
    else:
        sizes = list(QUICK_SIZES if args.quick else SIZES)
    if args.quick:
        compiler_sizes, persistent_sizes = [20_000], [20_000]
        parallel_cases, parallel_limit, repeats = [(30, 0)], 60.0, 1
    else:
        compiler_sizes, persistent_sizes = [100_000, 500_000], [20_000, 100_000]
        parallel_cases, parallel_limit, repeats = [(60, 0), (60, 1), (100, 1)], 300.0, 2

    info = machine()
    log(machine_text(info))
    sections: list[str] = []

    def write() -> str:
        """Write what is measured so far (after every part: a later failure keeps it)."""
        info["load_end"] = os.getloadavg()
        text = "# Benchmark results\n\n" + machine_text(info) + "\n" + "\n".join(sections)
        args.out.write_text(text, encoding="utf-8")
        return text

    def part(name: str, measure: Any) -> None:
        if name in skip:
            return
        try:
            sections.append(measure())
        except Exception as exc:  # one part failing must not lose the others
            log(f"{name}: failed: {type(exc).__name__}: {exc}")
            sections.append(f"## {name}\n\nFailed: {type(exc).__name__}: {exc}\n")
        write()

    with tempfile.TemporaryDirectory(prefix="symbiosis-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)

        def sizes_part() -> str:
            rows = bench_sizes(folder, sizes, args.time_limit)
            return (
                "## Generated cases of growing size\n\n"
                "### The modelling layer\n\nThe model as CASE_FORMAT.md writes it (no "
                "reductions), seconds per stage. Overhead = read + network + model data + "
                "build + compile + pass: everything but HiGHS's own solve. Peak MB = the "
                "process's peak resident memory up to the hand-off. Floor = the same matrix "
                "built with numpy and passed to HiGHS (the pass alone, the numpy build in "
                "brackets).\n\n"
                + model_table(rows)
                + "\n### `symbiosis run` as it is\n\nThe whole pipeline (`run_scenario`, "
                "with its default reductions, valid inequalities and warm start), HiGHS "
                f"limited to {args.time_limit:.0f} s (MIP gap 1e-4), in a fresh process; "
                "peak MB includes HiGHS's solve.\n\n" + run_table(rows)
            )

        def handoff_part() -> str:
            rows = bench_handoff(folder, compiler_sizes, persistent_sizes, timeout=900)
            return (
                "## Hand-off from Pyomo to HiGHS\n\nSeconds to turn the built Pyomo model into "
                "a HiGHS model (each path in its own process; the persistent interface stopped "
                "after 900 s).\n\n" + handoff_table(rows)
            )

        def parallel_part() -> str:
            rows = bench_parallel(
                folder, parallel_cases, parallel_limit, repeats, reduce=not args.no_reduce
            )
            return (
                "## HiGHS parallel MIP\n\nThe same MILP (a generated case; "
                + (
                    "the model as written, no reductions or warm start"
                    if args.no_reduce
                    else "`symbiosis run`'s pipeline with its reductions and warm start"
                )
                + ") solved with HiGHS's defaults (`threads: 0`, HiGHS decides; "
                "`parallel: choose`), with `threads: 2`, and with `parallel: on`, `threads: 2` "
                f"(MIP gap 1e-4, time limit {parallel_limit:.0f} s), each solve in a fresh "
                "process, the settings taking turns.\n\n" + parallel_table(rows)
            )

        def orlib_part() -> str:
            rows = bench_orlib(folder)
            return (
                "## OR-Library capacitated warehouse location\n\nBeasley's cap71-cap134 "
                "mapped onto the case format (symbiosis/orlib.py) and solved by `symbiosis "
                "run`'s pipeline.\n\n" + orlib_table(rows)
            )

        def exact_part() -> str:
            from benchmarks import exact_scale

            rows = [
                exact_scale.run_one(entry.name, what, entry.time_limit, "auto")
                for entry in exact_scale.instances()
                for what in ("symbiosis", "highs")
            ]
            return (
                "## Exact at scale (issue 15)\n\nOR-Library capa-capc (100 x 1,000, when "
                "../shared/benchmarks/orlib-large is here), the generated cases of 300 and "
                "1,000 sources (seed 0) and guizhou-2025, each through `symbiosis run` "
                "(`solver.method: auto`) and the same model as written passed straight to "
                "HiGHS, each in a fresh process, with the limit and gap in the table "
                "(`python -m benchmarks.exact_scale`; skip with `--skip exact`).\n\n"
                + exact_scale.table(rows)
            )

        def reductions_part() -> str:
            from benchmarks import reductions

            return reductions.bench(
                folder,
                list(reductions.QUICK_SOURCES if args.quick else reductions.SOURCES),
                60.0 if args.quick else 300.0,
                [] if args.quick else list(reductions.ABLATION),
            )

        def plan_part() -> str:
            rows = bench_plan(60.0 if args.quick else 300.0)
            return (
                "## The Guizhou plan 2026-2030 (Model v2)\n\n`models/guizhou-2026-2030"
                "-reachable.yaml` (five years, per-year targets, build years, stocks, at most "
                "35 new projects; the plan with yearly totals the corrected case can meet, "
                "73, 84, 88, 90 and 90 Mt/yr, not a published path) through `symbiosis run`'s "
                "pipeline, "
                "each foresight in a fresh process, HiGHS to the scenario's "
                "gap (1e-3) within its time limit. Myopic solves one model per year (the "
                "past fixed); its solve time is the sum.\n\n" + plan_table(rows)
            )

        part("sizes", sizes_part)
        part("handoff", handoff_part)
        part("parallel", parallel_part)
        part("orlib", orlib_part)
        part("exact", exact_part)
        part("reductions", reductions_part)
        part("plan", plan_part)
    print(write())
    log(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
