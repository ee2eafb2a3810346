"""The "Exact at scale" table (issue 15): 12 OR-Library instances, 2 generated cases and
Guizhou, each through `symbiosis run` and through HiGHS alone on the model as written.

The instances (:data:`INSTANCES`, in the table's order):

* ``capa1`` ... ``capc4``: OR-Library's large capacitated warehouse location instances
  (100 x 1,000, ``../shared/benchmarks/orlib-large``) converted by :mod:`symbiosis.orlib`;
  120 s, gap 1e-9, compared with the published optimum;
* ``generated-300``, ``generated-1000``: :func:`symbiosis.generate.generate_case` with 300
  and 1,000 sources, seed 0 (issue 5's cases, a link binary on every arc off site); 300 s,
  gap 1e-4, the gap reached is reported;
* ``guizhou-2025``: ``models/guizhou-2025.yaml`` with its overrides; 600 s (its own limit),
  its gap 1e-4.

Each measurement runs in a fresh process under ``timeout``: ``symbiosis`` is
:func:`symbiosis.runner.run_scenario` on the scenario (``solver.method`` as asked, default
``auto``; the scenario's other settings, with the limit and gap above), ``highs`` the same
model as written (CASE_FORMAT.md, no valid inequalities, reductions or warm start) passed
straight to HiGHS (:func:`symbiosis.milp.direct.direct_form`), both with the same time limit
and gap. One JSON line per measurement is appended to ``--out``; :func:`table` makes the
Markdown table from those lines.

    python -m benchmarks.exact_scale --names capb4,generated-300 --what symbiosis --out rows.jsonl
    python -m benchmarks.exact_scale --out rows.jsonl --table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LARGE = Path(os.environ.get("SYMBIOSIS_ORLIB_LARGE", ROOT.parent / "shared/benchmarks/orlib-large"))
GUIZHOU = ROOT / "models" / "guizhou-2025.yaml"
#: the gap asked of the OR-Library instances
GAP_OPTIMA = 1e-9


@dataclass(frozen=True)
class Instance:
    """One row of the table: its time limit, its gap and, for OR-Library, its optimum."""

    name: str
    time_limit: float
    gap: float
    published: float | None = None
    capacity: float | None = None


def instances() -> list[Instance]:
    """The table's rows (module docstring), the OR-Library ones when their files are here.

    Returns
    -------
    list[Instance]
        ``capa1`` ... ``capc4`` (if ``optima.csv`` is found), ``generated-300``,
        ``generated-1000``, ``guizhou-2025``.
    """
    from symbiosis.orlib import large_instances

    rows = []
    if (LARGE / "optima.csv").is_file():
        rows = [
            Instance(e.name, 120.0, GAP_OPTIMA, e.optimum, e.capacity)
            for e in large_instances(LARGE).values()
        ]
    rows += [Instance(f"generated-{n}", 300.0, 1e-4) for n in GENERATED]
    rows.append(Instance("guizhou-2025", 600.0, 1e-4))
    return rows


#: the generated cases: sources (seed 0)
GENERATED = (300, 1000)


def names() -> list[str]:
    """The names of :func:`instances`, in order.

    Returns
    -------
    list[str]
        ``capa1`` ... ``guizhou-2025``.
    """
    return [i.name for i in instances()]


def _scenario(name: str, folder: Path) -> Path:
    """The scenario file of instance ``name``, written under ``folder`` when converted or
    generated."""
    from symbiosis.generate import generate_case
    from symbiosis.orlib import large_instances, read_cap, write_case

    if name.startswith("generated-"):
        return generate_case(folder, int(name.split("-")[1]), seed=0).scenario
    if name == "guizhou-2025":
        return GUIZHOU
    return write_case(read_cap(large_instances(LARGE)[name].file), folder / name)


def measure(name: str, what: str, time_limit: float, method: str = "auto") -> dict[str, Any]:
    """One measurement in this process (see the module docstring).

    Parameters
    ----------
    name : str
        The instance (``capb4``, ``generated-300``, ``guizhou-2025``).
    what : str
        ``symbiosis`` or ``highs``.
    time_limit : float
        Seconds.
    method : str
        ``solver.method`` of the symbiosis run.

    Returns
    -------
    dict
        ``instance``, ``what``, ``method`` (the one that ran), ``status``, ``objective``,
        ``bound``, ``gap``, ``seconds`` (wall, from reading or converting the case),
        ``published``, ``arcs``, ``binaries``, ``load`` (1-min load average at the start
        and the end).
    """
    from symbiosis.case import load_case
    from symbiosis.milp import build_model_data
    from symbiosis.milp.direct import direct_form
    from symbiosis.network import build_arcs
    from symbiosis.options import RunOptions, SolveOptions
    from symbiosis.overrides import apply_overrides_logged
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario
    from symbiosis.solve.benders import auto_method
    from symbiosis.solve.highs import solve_form

    entry = {i.name: i for i in instances()}[name]
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    ran = method
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(_scenario(name, Path(tmp)))
        case = load_case(scenario.case)
        if not scenario.overrides.is_empty():
            case, _ = apply_overrides_logged(case, scenario.overrides, name)
        d = build_model_data(case, build_arcs(case), scenario)
        size = {"arcs": int(d.n_arcs), "binaries": len(d.link_arcs) + len(d.candidates)}
        if what == "symbiosis":
            started = time.perf_counter()  # the run reads the case itself
            solver = {"time_limit": time_limit, "mip_rel_gap": entry.gap, "method": method}
            outcome = run_scenario(scenario, options=RunOptions(solver=solver))
            sol = outcome.solution
            ran = auto_method(d) if method == "auto" else method
        else:
            sol = solve_form(
                direct_form(d),
                SolveOptions(time_limit=time_limit, mip_rel_gap=entry.gap, isolate=False),
            )
            ran = "highs"
    seconds = time.perf_counter() - started
    return {
        "instance": name,
        "what": what,
        "method": ran,
        "status": sol.status if sol is not None else "error",
        "objective": sol.objective if sol is not None else None,
        "bound": sol.bound if sol is not None else None,
        "gap": sol.mip_gap if sol is not None else None,
        "highs_status": sol.highs_status if sol is not None else None,
        "seconds": seconds,
        "published": entry.published,
        **size,
        "load": [load_start, os.getloadavg()[0]],
    }


def run_one(name: str, what: str, time_limit: float, method: str) -> dict[str, Any]:
    """:func:`measure` in a fresh process, killed ``time_limit + 300`` s after its start
    (conversion or generation, model build and a stop's grace included)."""
    code = (
        "import json,sys; from benchmarks.exact_scale import measure; "
        f"print(json.dumps(measure({name!r}, {what!r}, {time_limit!r}, {method!r})))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=time_limit + 300,
            check=False,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if lines:
            row: dict[str, Any] = json.loads(lines[-1])
            return row
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
    except subprocess.TimeoutExpired:
        reason = f"killed after {time_limit + 300:.0f} s"
    return {"instance": name, "what": what, "method": method, "status": "error", "why": reason}


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "not run"
    if row.get("status") == "error":
        return f"error ({row.get('why', '')})"
    obj, pub = row.get("objective"), row.get("published")
    gap = row.get("gap")
    text = f"{row['status']}, {row['seconds']:.1f} s"
    if obj is not None and pub:
        text += f", {(obj - pub) / pub:+.1e} vs optimum"
    if gap is not None and (row["status"] != "optimal" or not pub):
        text += f", gap {gap:.2%}" if gap >= 1e-4 else f", gap {gap:.1e}"
    text += f" (load {row['load'][0]:.1f}-{row['load'][1]:.1f})"
    return text


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of measurements: per instance, symbiosis and HiGHS alone.

    Parameters
    ----------
    rows : list of dict
        Measurements (:func:`measure`); the last of each (instance, what) counts.

    Returns
    -------
    str
        One line per instance: size, limit and gap asked, published optimum, symbiosis
        (method, status, wall seconds, difference from the optimum or gap, load) and HiGHS
        alone.
    """
    last = {(r["instance"], r["what"]): r for r in rows}
    head = (
        "| instance | arcs | binaries | limit, gap asked | published optimum | method | "
        "symbiosis run | HiGHS alone, model as written |\n"
        "|---|---:|---:|---|---:|---|---|---|\n"
    )
    lines = []
    for e in instances():
        mine, theirs = last.get((e.name, "symbiosis")), last.get((e.name, "highs"))
        known = mine or theirs or {}
        arcs, binaries = known.get("arcs"), known.get("binaries")
        lines.append(
            f"| {e.name} | {'-' if arcs is None else f'{arcs:,}'} | "
            f"{'-' if binaries is None else f'{binaries:,}'} | {e.time_limit:.0f} s, "
            f"{e.gap:g} | {'-' if e.published is None else f'{e.published:,.3f}'} | "
            f"{(mine or {}).get('method', '-')} | {_cell(mine)} | {_cell(theirs)} |"
        )
    return head + "\n".join(lines) + "\n"


def loop_seconds(name: str, settings: dict[str, Any], time_limit: float = 120.0) -> dict[str, Any]:
    """The Benders loop alone on an OR-Library instance, with ``settings`` changed
    (:class:`~symbiosis.solve.benders.BendersSettings`): how the loop's settings were chosen.

    Parameters
    ----------
    name : str
        ``capa1`` ... ``capc4``.
    settings : dict
        Fields of ``BendersSettings`` to change (``{"lp_stall": 2e-4}``).
    time_limit : float
        Seconds.

    Returns
    -------
    dict
        ``instance``, ``settings``, ``status``, ``seconds`` (the loop's, from the model data:
        no reading, conversion or shadow prices), ``vs_optimum``, ``highs_status`` (flow LPs,
        cuts, master MILPs, builds fixed).
    """
    from symbiosis.case import load_case
    from symbiosis.milp import build_model_data
    from symbiosis.network import build_arcs
    from symbiosis.options import SolveOptions
    from symbiosis.orlib import large_instances, read_cap, write_case
    from symbiosis.scenario import load_scenario
    from symbiosis.solve.benders import BendersSettings, solve_benders

    entry = large_instances(LARGE)[name]
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(read_cap(entry.file), Path(tmp) / name))
        case = load_case(scenario.case)
        d = build_model_data(case, build_arcs(case), scenario)
    started = time.perf_counter()
    sol = solve_benders(
        d,
        SolveOptions(time_limit=time_limit, mip_rel_gap=GAP_OPTIMA),
        settings=BendersSettings(**settings),
    )
    seconds = time.perf_counter() - started
    return {
        "instance": name,
        "settings": settings,
        "status": sol.status,
        "seconds": seconds,
        "vs_optimum": None
        if sol.objective is None
        else (sol.objective - entry.optimum) / entry.optimum,
        "highs_status": sol.highs_status,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure (``--names``, ``all`` for every instance) and/or print the table of
    ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exact_scale")
    parser.add_argument("--names", default="", help="instances, comma-separated, or all")
    parser.add_argument("--what", default="symbiosis,highs", help="symbiosis, highs or both")
    parser.add_argument("--method", default="auto", choices=["auto", "benders", "direct"])
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds (default: each instance's)"
    )
    parser.add_argument("--out", type=Path, default=Path("exact-scale.jsonl"))
    parser.add_argument("--table", action="store_true", help="print the table of --out")
    parser.add_argument(
        "--loop-settings",
        default=None,
        help="JSON of BendersSettings fields: time the Benders loop alone on --names "
        "(OR-Library) with them, e.g. '{\"lp_stall\": 2e-4}'",
    )
    args = parser.parse_args(argv)
    if args.loop_settings is not None:
        for name in [n for n in args.names.split(",") if n]:
            print(json.dumps(loop_seconds(name, json.loads(args.loop_settings))), flush=True)
        return 0
    limits = {i.name: i.time_limit for i in instances()}
    chosen = list(limits) if args.names == "all" else [n for n in args.names.split(",") if n]
    for name in chosen:
        for what in args.what.split(","):
            row = run_one(name, what, args.time_limit or limits[name], args.method)
            with args.out.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    if args.table:
        rows = [json.loads(x) for x in args.out.read_text(encoding="utf-8").splitlines() if x]
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
