"""OR-Library capa/capb/capc (100 x 1,000) through `symbiosis run` and HiGHS alone (issue 15).

Each measurement runs in a fresh process under ``timeout``: ``symbiosis`` is
:func:`symbiosis.runner.run_scenario` on the converted case (``solver.method`` as asked,
default ``auto``), ``highs`` the same model as written (CASE_FORMAT.md, no valid inequalities,
no reductions) passed straight to HiGHS (:func:`symbiosis.milp.direct.direct_form`), both with
the same time limit and gap 1e-9. One JSON line per measurement is appended to ``--out``;
:func:`table` makes the Markdown table from those lines.

    python -m benchmarks.orlib_large --names capb4,capa1 --what symbiosis --out rows.jsonl
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

ROOT = Path(__file__).resolve().parent.parent
LARGE = Path(os.environ.get("SYMBIOSIS_ORLIB_LARGE", ROOT.parent / "shared/benchmarks/orlib-large"))
GAP = 1e-9


def names() -> list[str]:
    """The twelve instances of ``optima.csv``, in its order.

    Returns
    -------
    list[str]
        ``capa1`` ... ``capc4``.
    """
    from symbiosis.orlib import large_instances

    return list(large_instances(LARGE))


def measure(name: str, what: str, time_limit: float, method: str = "auto") -> dict[str, Any]:
    """One measurement in this process (see the module docstring).

    Parameters
    ----------
    name : str
        The instance (``capb4``).
    what : str
        ``symbiosis`` or ``highs``.
    time_limit : float
        Seconds.
    method : str
        ``solver.method`` of the symbiosis run.

    Returns
    -------
    dict
        ``instance``, ``what``, ``method``, ``status``, ``objective``, ``bound``, ``gap``,
        ``seconds`` (wall, from the case's conversion), ``published``, ``load`` (1-min load
        average at the start and the end).
    """
    from symbiosis.case import load_case
    from symbiosis.milp import build_model_data
    from symbiosis.milp.direct import direct_form
    from symbiosis.network import build_arcs
    from symbiosis.options import RunOptions, SolveOptions
    from symbiosis.orlib import large_instances, read_cap, write_case
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario
    from symbiosis.solve.highs import solve_form

    entry = large_instances(LARGE)[name]
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(read_cap(entry.file), Path(tmp) / name))
        if what == "symbiosis":
            solver = {"time_limit": time_limit, "mip_rel_gap": GAP, "method": method}
            outcome = run_scenario(scenario, options=RunOptions(solver=solver))
            sol = outcome.solution
        else:
            case = load_case(scenario.case)
            d = build_model_data(case, build_arcs(case), scenario)
            sol = solve_form(
                direct_form(d),
                SolveOptions(time_limit=time_limit, mip_rel_gap=GAP, isolate=False),
            )
    seconds = time.perf_counter() - started
    return {
        "instance": name,
        "what": what,
        "method": method if what == "symbiosis" else "highs",
        "status": sol.status if sol is not None else "error",
        "objective": sol.objective if sol is not None else None,
        "bound": sol.bound if sol is not None else None,
        "gap": sol.mip_gap if sol is not None else None,
        "highs_status": sol.highs_status if sol is not None else None,
        "seconds": seconds,
        "published": entry.optimum,
        "load": [load_start, os.getloadavg()[0]],
    }


def run_one(name: str, what: str, time_limit: float, method: str) -> dict[str, Any]:
    """:func:`measure` in a fresh process, killed ``time_limit + 120`` s after its start
    (conversion, model build and a stop's grace included)."""
    code = (
        "import json,sys; from benchmarks.orlib_large import measure; "
        f"print(json.dumps(measure({name!r}, {what!r}, {time_limit!r}, {method!r})))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=time_limit + 120,
            check=False,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if lines:
            row: dict[str, Any] = json.loads(lines[-1])
            return row
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
    except subprocess.TimeoutExpired:
        reason = f"killed after {time_limit + 120:.0f} s"
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
    if gap is not None and row["status"] != "optimal":
        text += f", gap {gap:.2%}"
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
        One line per instance: published optimum, capacity, symbiosis (status, wall
        seconds, difference from the optimum, gap if not optimal, load) and HiGHS alone.
    """
    from symbiosis.orlib import large_instances

    entries = large_instances(LARGE)
    last = {(r["instance"], r["what"]): r for r in rows}
    head = (
        "| instance | capacity | published optimum | symbiosis run (benders) | "
        "HiGHS alone, model as written |\n|---|---:|---:|---|---|\n"
    )
    lines = [
        f"| {e.name} | {e.capacity:g} | {e.optimum:,.3f} | "
        f"{_cell(last.get((e.name, 'symbiosis')))} | {_cell(last.get((e.name, 'highs')))} |"
        for e in entries.values()
    ]
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure (``--names``) and/or print the table of ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.orlib_large")
    parser.add_argument("--names", default="", help="instances, comma-separated")
    parser.add_argument("--what", default="symbiosis", choices=["symbiosis", "highs"])
    parser.add_argument("--method", default="auto", choices=["auto", "benders", "direct"])
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=Path("orlib-large.jsonl"))
    parser.add_argument("--table", action="store_true", help="print the table of --out")
    args = parser.parse_args(argv)
    for name in [n for n in args.names.split(",") if n]:
        row = run_one(name, args.what, args.time_limit, args.method)
        with args.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)
    if args.table:
        rows = [json.loads(x) for x in args.out.read_text(encoding="utf-8").splitlines() if x]
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
