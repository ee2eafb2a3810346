"""One benchmark measurement in a fresh process (so that peak memory is its own).

Run by :mod:`benchmarks.run` as ``python -m benchmarks.worker TASK ARGS.json OUT.json``;
writes a JSON object of timings (seconds), sizes and peak memory (MB) to ``OUT.json``.

Tasks:

``model``
    The modelling layer on the model as written (no reductions): read (scenario + case),
    network (arcs), model data, build (Pyomo model), compile (standard form) and pass (to
    HiGHS), with peak memory; then the floor: the same matrix built with numpy
    (:mod:`symbiosis.milp.direct`) and passed to a fresh HiGHS.
``run``
    ``symbiosis run``'s pipeline as it is (``run_scenario``: reductions, warm start, solve
    under a time limit, results, shadow prices), with its stage timings and peak memory.
``pyomo_compile``
    Builds the model, then times Pyomo's ``LinearStandardFormCompiler`` path and ours.
``persistent``
    Builds the model, then times ``set_instance`` of Pyomo's persistent HiGHS interface
    (``pyomo.contrib.solver``'s ``highs``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from symbiosis.case import load_case
from symbiosis.milp import build_model, build_model_data
from symbiosis.network import build_arcs
from symbiosis.scenario import check_scenario_against_case, load_scenario


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _model(scenario_path: str, out: dict[str, Any]) -> tuple[Any, Any]:
    t = time.perf_counter()
    scenario = load_scenario(scenario_path)
    case = load_case(scenario.case)
    check_scenario_against_case(scenario, case)
    out["read"] = time.perf_counter() - t
    t = time.perf_counter()
    arcs = build_arcs(case)
    out["network"] = time.perf_counter() - t
    t = time.perf_counter()
    data = build_model_data(case, arcs, scenario)
    out["model_data"] = time.perf_counter() - t
    t = time.perf_counter()
    model = build_model(data)
    out["build"] = time.perf_counter() - t
    out["arcs"] = data.n_arcs
    out["binaries"] = int(len(data.link_arcs) + len(data.candidates))
    return data, model


def model(args: dict[str, Any]) -> dict[str, Any]:
    """The modelling layer alone, on the model as CASE_FORMAT.md writes it (no reductions):
    read, network, model data, build, compile + pass to HiGHS; peak memory; then the floor."""
    from symbiosis.milp.direct import direct_form
    from symbiosis.solve.compile import pass_to_highs
    from symbiosis.solve.highs import compile_model, new_highs

    out: dict[str, Any] = {}
    data, built = _model(args["scenario"], out)
    compiled = compile_model(built)
    out["compile"], out["pass"] = compiled.seconds_compile, compiled.seconds_pass
    n_row, n_col = compiled.highs.getNumRow(), compiled.highs.getNumCol()
    out.update(columns=n_col, rows=n_row, integer_columns=compiled.n_integer)
    out["overhead"] = sum(
        out[k] for k in ("read", "network", "model_data", "build", "compile", "pass")
    )
    out["peak_mb"] = peak_mb()
    del compiled, built
    t = time.perf_counter()
    form = direct_form(data)
    out["floor_build"] = time.perf_counter() - t
    h = new_highs()
    t = time.perf_counter()
    pass_to_highs(h, form)
    out["floor_pass"] = time.perf_counter() - t
    out["floor_same_size"] = form.matrix.shape == (n_row, n_col)
    return out


def run(args: dict[str, Any]) -> dict[str, Any]:
    """``symbiosis run``'s pipeline as it is (:func:`symbiosis.runner.run_scenario`, with its
    default reductions and warm start), no run folder written; HiGHS options from ``args``."""
    from symbiosis.options import RunOptions
    from symbiosis.runner import run_scenario

    overrides = {"time_limit": args.get("time_limit"), **args.get("options", {})}
    scenario = load_scenario(args["scenario"])
    if args.get("foresight"):
        from symbiosis.scenario import with_foresight

        scenario = with_foresight(scenario, args["foresight"])
    reduce = None if args.get("reduce", True) else False
    outcome = run_scenario(scenario, None, options=RunOptions(solver=overrides, reduce=reduce))
    solution = outcome.solution
    out: dict[str, Any] = {f"run_{k}": v for k, v in outcome.timings.items()}
    out["peak_mb"] = peak_mb()
    if solution is not None:
        out.update(
            status=solution.status,
            objective=solution.objective,
            bound=solution.bound,
            gap=solution.mip_gap,
            solve=solution.timings.get("solve"),
            columns=solution.size.get("columns"),
            rows=solution.size.get("rows"),
            integer_columns=solution.size.get("integer_columns"),
        )
    out["arcs"] = outcome.data.n_arcs if outcome.data is not None else None
    summary = outcome.results.summary
    for key in ("years", "cost_by_year", "delivered_by_year", "build_plan", "stock_left"):
        if summary.get(key) is not None:
            out[key] = summary[key]
    if outcome.data is not None:
        out["binaries"] = int(len(outcome.data.link_arcs) + len(outcome.data.candidates))
    return out


def pyomo_compile(args: dict[str, Any]) -> dict[str, Any]:
    from symbiosis.solve.highs import compile_model

    out: dict[str, Any] = {}
    _, model = _model(args["scenario"], out)
    compiled = compile_model(model, compiler="pyomo")
    out["pyomo_compile"], out["pyomo_pass"] = compiled.seconds_compile, compiled.seconds_pass
    compiled.highs.clear()
    del compiled
    compiled = compile_model(model)
    out["compile"], out["pass"] = compiled.seconds_compile, compiled.seconds_pass
    out["peak_mb"] = peak_mb()
    return out


def persistent(args: dict[str, Any]) -> dict[str, Any]:
    from pyomo.contrib.solver.solvers.highs import Highs

    out: dict[str, Any] = {}
    _, model = _model(args["scenario"], out)
    opt = Highs()
    t = time.perf_counter()
    opt.set_instance(model)
    out["persistent_set_instance"] = time.perf_counter() - t
    out["peak_mb"] = peak_mb()
    return out


TASKS = {"model": model, "run": run, "pyomo_compile": pyomo_compile, "persistent": persistent}


def main(argv: list[str]) -> int:
    task, args_path, out_path = argv
    args = json.loads(Path(args_path).read_text(encoding="utf-8"))
    result = TASKS[task](args)
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
