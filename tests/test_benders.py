"""The Benders method (symbiosis.solve.benders) returns the optimum of the direct model.

Checked against HiGHS on the whole MILP (``solve_model``) on generated cases without link
costs (the method takes no link binaries), with hard, soft and no targets, groups of size
options, limits and forced / forbidden builds; against the published optima of OR-Library
cap71-cap134 through ``symbiosis run``'s pipeline; and for its refusals, its choice under
``auto``, and a stop keeping the incumbent.
"""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from symbiosis import interrupt
from symbiosis.case import Case, InputError, load_case
from symbiosis.generate import GenerateParams, check_generated, generate_tables
from symbiosis.milp import ModelData, build_model, build_model_data
from symbiosis.network import build_arcs
from symbiosis.options import RunOptions, SolveOptions
from symbiosis.orlib import published_optima, read_cap, write_case
from symbiosis.runner import run_scenario
from symbiosis.scenario import Scenario, load_scenario
from symbiosis.solve import benders as benders_module
from symbiosis.solve.benders import (
    AUTO_ARCS_PER_BUILD,
    AUTO_MIN_ARCS,
    auto_method,
    benders_refusal,
    benders_shape,
    solve_benders,
)
from symbiosis.solve.highs import Progress, solve_model
from symbiosis.solve.warm_start import objective_of

ORLIB = ROOT / "benchmarks" / "orlib-cap"
OPTIMA = published_optima(ORLIB / "README.md")
EXACT = SolveOptions(mip_rel_gap=0.0, threads=1)


def generated(tmp_path: Path, seed: int, n: int = 14, links: bool = False) -> Case:
    """A generated case; without link costs unless ``links``."""
    tables, parks = generate_tables(GenerateParams(n, seed=seed))
    if not links:
        tables["modes"] = tables["modes"].assign(link_cost=0.0, link_cost_per_km=0.0)
    return check_generated(tables, parks, tmp_path / f"g{seed}")


def data_of(case: Case, **scenario: Any) -> ModelData:
    sc = Scenario(name="b", case=Path("b"), **scenario)
    return build_model_data(case, build_arcs(case), sc)


def both(d: ModelData) -> tuple[Any, Any]:
    return solve_model(build_model(d), EXACT), solve_benders(d, EXACT)


VARIANTS: dict[str, dict[str, Any]] = {
    "no target": {},
    "total target": {"target": {"total": 400_000.0}},
    "soft target": {"target": {"total": 900_000.0, "penalty": 80.0}},
    "limits": {"target": {"total": 300_000.0}, "limits": {"max_new_facilities": 2}},
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_same_optimum_as_direct(tmp_path: Path, seed: int, variant: str) -> None:
    """Objective (to 1e-6), status and a plan whose cost is its objective."""
    d = data_of(generated(tmp_path, seed), **VARIANTS[variant])
    assert benders_refusal(d) is None
    direct, benders = both(d)
    assert benders.status == direct.status
    if direct.status != "optimal":
        return
    assert benders.objective == pytest.approx(direct.objective, rel=1e-6, abs=1e-3)
    assert objective_of(d, benders.values) == pytest.approx(benders.objective, rel=1e-9)
    assert benders.mip_gap is not None and benders.mip_gap <= 1e-9


def test_reduced_cost_fixing_keeps_the_optimum(tmp_path: Path) -> None:
    """Reduced-cost fixing (on by default) fixes builds on some of these cases and leaves
    the optimum where the loop without it, and HiGHS on the whole MILP, put it."""
    fixed_any = 0
    for seed in range(3000, 3004):
        d = data_of(generated(tmp_path, seed, n=30), target={"total": 300_000.0})
        direct = solve_model(build_model(d), EXACT)
        plain = solve_benders(
            d, EXACT, settings=benders_module.BendersSettings(reduced_cost_fixing=False)
        )
        fixing = solve_benders(d, EXACT)
        assert direct.status == plain.status == fixing.status == "optimal"
        assert fixing.objective == pytest.approx(direct.objective, rel=1e-6, abs=1e-3)
        assert plain.objective == pytest.approx(direct.objective, rel=1e-6, abs=1e-3)
        assert "0 builds fixed" in plain.highs_status
        fixed_any += int(fixing.highs_status.split(" builds fixed")[0].rsplit(" ", 1)[1])
    assert fixed_any > 0


def test_same_optimum_with_forced_and_forbidden_builds(tmp_path: Path) -> None:
    d = data_of(generated(tmp_path, 7, n=20), target={"total": 300_000.0})
    cand = d.candidates
    d = replace(d, fixed_build={int(cand[0]): 1, int(cand[1]): 0})
    direct, benders = both(d)
    assert direct.status == benders.status == "optimal"
    assert benders.objective == pytest.approx(direct.objective, rel=1e-6)
    col = {int(c): i for i, c in enumerate(cand.tolist())}
    assert benders.values["b"][col[int(cand[0])]] == 1.0
    assert benders.values["b"][col[int(cand[1])]] == 0.0


def test_infeasible_target_is_infeasible(tmp_path: Path) -> None:
    """A target above all the supply: the flows' LP is infeasible with every candidate
    open, and so is the model."""
    d = data_of(generated(tmp_path, 1), target={"total": 1e12})
    direct, benders = both(d)
    assert direct.status == "infeasible"
    assert benders.status == "infeasible"


def test_refuses_link_binaries_and_auto_picks_direct(tmp_path: Path) -> None:
    d = data_of(generated(tmp_path, 2, links=True))
    assert len(d.link_arcs)
    assert "link binaries" in (benders_refusal(d) or "")
    assert auto_method(d) == "direct"
    with pytest.raises(ValueError, match="link binaries"):
        solve_benders(d, EXACT)


def test_auto_rule_from_the_shape(tmp_path: Path) -> None:
    """``auto``: benders from AUTO_MIN_ARCS arcs and AUTO_ARCS_PER_BUILD arcs per build
    binary, when it can; direct on small models (the small OR-Library ones)."""
    assert auto_method(data_of(generated(tmp_path, 3))) == "direct"  # small
    assert benders_shape(100_000, 100)  # capa..capc
    assert not benders_shape(AUTO_MIN_ARCS - 1, 1)
    assert benders_shape(AUTO_ARCS_PER_BUILD * 300, 300)
    assert not benders_shape(AUTO_ARCS_PER_BUILD * 300 - 1, 300)
    case = load_case(write_case(read_cap(ORLIB / "cap131.txt"), tmp_path / "o").parent / "case")
    assert auto_method(data_of(case, target={"streams": {"demand": {"share": 1.0}}})) == "direct"


def run_orlib(name: str, tmp_path: Path, **solver: Any) -> Any:
    scenario = load_scenario(write_case(read_cap(ORLIB / f"{name}.txt"), tmp_path / "run"))
    return run_scenario(scenario, options=RunOptions(solver=solver))


@pytest.mark.parametrize("name", ["cap71", "cap101", "cap131"])
def test_published_optimum_by_benders(name: str, tmp_path: Path) -> None:
    """A few instances in the fast suite: `symbiosis run` with solver.method benders."""
    outcome = run_orlib(name, tmp_path, method="benders")
    assert outcome.solution.status == "optimal"
    assert "benders" in outcome.solution.highs_status
    assert float(outcome.results.summary["objective"]) == pytest.approx(OPTIMA[name], rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_published_optimum_by_benders_all(name: str, tmp_path: Path) -> None:
    outcome = run_orlib(name, tmp_path, method="benders")
    assert outcome.solution.status == "optimal"
    assert float(outcome.results.summary["objective"]) == pytest.approx(OPTIMA[name], rel=1e-6)


def test_benders_asked_for_links_is_input_error(tmp_path: Path) -> None:
    """solver.method: benders on a case with link costs: an input error naming the reason."""
    case = generated(tmp_path, 4, links=True)
    scenario = Scenario(name="b", case=tmp_path / "g4" / "case")
    with pytest.raises(InputError, match=r"solver.method: benders: .*link binaries"):
        run_scenario(scenario, options=RunOptions(solver={"method": "benders"}), case=case)


def test_unknown_method_is_input_error() -> None:
    with pytest.raises(InputError, match=r"solver.method: 'fast' is not one of direct"):
        SolveOptions(method="fast")  # type: ignore[arg-type]


def test_stop_keeps_the_incumbent(tmp_path: Path) -> None:
    """A SIGINT at the first progress report (cap131: every warehouse open is the first
    incumbent): the loop stops and keeps the best plan found so far, flagged interrupted,
    with a bound below the optimum."""
    path = write_case(read_cap(ORLIB / "cap131.txt"), tmp_path / "o")
    scenario = load_scenario(path)
    case = load_case(scenario.case)
    d = build_model_data(case, build_arcs(case), scenario)
    sent: list[Progress] = []

    def stop(progress: Progress) -> None:
        if not sent:
            os.kill(os.getpid(), signal.SIGINT)
        sent.append(progress)

    with interrupt.handle_signals():
        solution = solve_benders(d, EXACT, on_progress=stop)
    assert solution.interrupted
    assert solution.status == "feasible"
    assert solution.objective is not None and solution.objective > OPTIMA["cap131"] * (1 + 1e-6)
    assert solution.bound is not None and solution.bound <= OPTIMA["cap131"] * (1 + 1e-9)
    assert objective_of(d, solution.values) == pytest.approx(solution.objective, rel=1e-9)


def test_a_stop_before_any_bound_reports_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped right after its first incumbent, before any master or LP phase has given a
    bound: the incumbent is kept, and bound and gap are None (never -inf, which is not JSON)."""
    path = write_case(read_cap(ORLIB / "cap131.txt"), tmp_path / "o")
    scenario = load_scenario(path)
    case = load_case(scenario.case)
    d = build_model_data(case, build_arcs(case), scenario)
    loop = benders_module._Loop
    plain = loop.out_of_time

    def after_first_incumbent(self: Any) -> bool:
        if self.state.best_b is not None:
            self.stopped = "time limit"
            return True
        return plain(self)

    monkeypatch.setattr(loop, "out_of_time", after_first_incumbent)
    solution = solve_benders(d, EXACT)
    assert solution.status == "feasible"
    assert solution.objective is not None and solution.objective > OPTIMA["cap131"]
    assert solution.bound is None and solution.mip_gap is None
    json.dumps({"bound": solution.bound}, allow_nan=False)


def test_run_folder_and_shadow_price_as_direct(tmp_path: Path) -> None:
    """cap131 through `symbiosis run` by both methods: the same files in the run folder, the
    same objective, and a target shadow price from benders' last flows' LP (no Pyomo model
    is built). The prices are not compared: the target asks for all of the supply, so the
    LP is degenerate and its duals not unique (direct 36.81, benders 40.15 CNY/t: the
    target's dual trades against the supply rows' duals)."""
    scenario = load_scenario(write_case(read_cap(ORLIB / "cap131.txt"), tmp_path / "c"))
    outcomes = {}
    for method in ("direct", "benders"):
        out = tmp_path / method
        run_scenario(scenario, out, options=RunOptions(solver={"method": method}))
        outcomes[method] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert sorted(p.name for p in out.iterdir()) == sorted(
            p.name for p in (tmp_path / "direct").iterdir()
        )
    direct, benders = outcomes["direct"], outcomes["benders"]
    assert benders["objective"] == pytest.approx(direct["objective"], rel=1e-9)
    assert direct["targets"][0]["shadow_price"] > 0
    assert benders["targets"][0]["shadow_price"] > 0
    assert "benders" in benders["highs_status"]


HAND_CASES = sorted((ROOT / "tests" / "cases").glob("*/*.yaml"))


@pytest.mark.parametrize("path", HAND_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_hand_solved_cases_as_direct(path: Path) -> None:
    """Every hand-solved scenario of tests/cases that benders takes (single-year, no link
    binaries, candidates; chains, groups, budgets, limits, infeasible ones included): the
    same status and objective as the direct method."""
    scenario = load_scenario(path)
    if scenario.foresight == "myopic":
        pytest.skip("a myopic run solves year by year with the direct method")
    case = load_case(scenario.case)
    if benders_refusal(build_model_data(case, build_arcs(case), scenario)) is not None:
        pytest.skip("benders refuses it")
    found = {}
    for method in ("direct", "benders"):
        options = RunOptions(solver={"method": method, "mip_rel_gap": 0.0})
        found[method] = run_scenario(scenario, options=options, case=case).solution
    assert found["benders"].status == found["direct"].status
    if found["direct"].has_solution:
        assert found["benders"].objective == pytest.approx(
            found["direct"].objective, rel=1e-9, abs=1e-6
        )
