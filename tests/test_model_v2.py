"""Model v2: the hand-solved cases of tests/cases (years_build, years_supply, chains, myopic;
optima worked on paper in each EXPECTED.md and re-solved by an independent formulation in
tests/cases/check_v2_independent.py) solved by symbiosis's model, perfect and myopic."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from symbiosis.case import CaseError, load_case
from symbiosis.milp import ModelData, build_model, build_model_data
from symbiosis.network import build_arcs
from symbiosis.options import SolveOptions
from symbiosis.scenario import load_scenario
from symbiosis.solve.highs import Solution, solve_model
from symbiosis.solve.myopic import solve_myopic

CASES = Path(__file__).resolve().parent / "cases"
EXACT = SolveOptions(mip_rel_gap=0.0)

#: scenario -> (objective in CNY from EXPECTED.md, builds as (facility, year or None))
EXPECTED: dict[str, tuple[float, set[tuple[str, int | None]]]] = {
    "years_build/rate0": (-1700.00, {("A", 2026), ("B", 2027), ("C", 2027)}),
    "years_build/rate10": (-1736.8061602, {("A", 2026), ("B", 2027), ("C", 2027)}),
    "years_build/target_by_year": (16300.00, {("A", 2026), ("C", 2026), ("B", 2027)}),
    "years_build/budget_by_year": (31466.4007768, {("A", 2026), ("C", 2027), ("B", 2028)}),
    "years_build/max_new": (68200.00, {("A", 2026), ("B", 2027)}),
    "years_supply/stock_binds": (-73495.8677686, set()),
    "years_supply/two_years": (-62000.00, set()),
    "chains/single_none": (500.00, set()),
    "chains/single": (1900.00, {("Q", None)}),
    "chains/two_years": (2518.1818182, {("Q", 2027)}),
    "myopic/perfect": (2055.9090909, {("LARGE", 2026)}),
    "myopic/perfect_rate0": (1650.00, {("LARGE", 2026)}),
    "myopic/myopic": (3050.9090909, {("SMALL", 2026), ("LARGE", 2027)}),
    "myopic/myopic_rate0": (2675.00, {("SMALL", 2026), ("LARGE", 2027)}),
}


def _builds(case_facilities: np.ndarray, d: ModelData, solution: Solution) -> set:
    chosen = d.candidates[np.round(solution.values["b"]).astype(bool)]
    if not d.multi_year:
        return {(str(case_facilities[c]), None) for c in chosen}
    return {(str(case_facilities[d.facility_base[c]]), d.years[d.facility_year[c]]) for c in chosen}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_solved_optimum(name: str) -> None:
    scenario = load_scenario(CASES / f"{name}.yaml")
    case = load_case(scenario.case)
    arcs = build_arcs(case)
    d = build_model_data(case, arcs, scenario)
    if scenario.foresight == "myopic":
        _, solution, steps = solve_myopic(case, arcs, scenario, EXACT)
        assert [s.year for s in steps] == scenario.years
    else:
        solution = solve_model(build_model(d), EXACT)
    objective, builds = EXPECTED[name]
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(objective, rel=1e-8, abs=1e-6)
    assert _builds(case.facilities["facility"].to_numpy(), d, solution) == builds


def test_myopic_costs_more_here() -> None:
    for rate in ("", "_rate0"):
        assert EXPECTED[f"myopic/myopic{rate}"][0] > EXPECTED[f"myopic/perfect{rate}"][0]


def test_a_cycle_that_does_not_shrink_is_refused() -> None:
    with pytest.raises(CaseError, match="chain cycle"):
        load_case(CASES / "chains" / "bad_cycle")


def test_the_independent_formulation_agrees_with_expected() -> None:
    """tests/cases/check_v2_independent.py (scipy's milp on its own dense formulation, no
    symbiosis code) reproduces every EXPECTED.md optimum of the v2 cases."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_v2", CASES / "check_v2_independent.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_v2"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.main([]) == 0


def test_valid_inequalities_and_reductions_refuse_v2_models() -> None:
    """They are proved for the single-period model only (the runner turns them off)."""
    from symbiosis.milp.reduce import reduce_model_data
    from symbiosis.milp.valid import add_facility_links

    scenario = load_scenario(CASES / "years_build" / "rate0.yaml")
    case = load_case(scenario.case)
    d = build_model_data(case, build_arcs(case), scenario)
    with pytest.raises(ValueError, match="single-period"):
        reduce_model_data(d)
    with pytest.raises(ValueError, match="single-period"):
        build_model(d, [add_facility_links])


def test_an_infeasible_year_is_diagnosed_by_name(tmp_path: Path) -> None:
    """A per-year target that cannot be met: exit 3, the diagnosis names the target and its
    year, and summary.json still says the horizon."""
    from symbiosis.runner import EXIT_INFEASIBLE, run_scenario

    scenario = load_scenario(CASES / "years_build" / "rate0.yaml")
    scenario = scenario.model_copy(
        update={"target": scenario.target.model_copy(update={"total": {2026: 9000.0}})}
    )
    outcome = run_scenario(scenario, tmp_path / "run")
    summary = outcome.results.summary
    assert outcome.exit_code == EXIT_INFEASIBLE
    assert summary["years"] == [2026, 2027, 2028]
    assert any(
        m.startswith("total@2026: at most 4,000 t") for m in summary["diagnosis"]["messages"]
    )


def test_a_myopic_plan_that_fails_names_its_year(tmp_path: Path) -> None:
    """Myopic foresight builds SMALL in 2026 (cheapest for 2026 alone); with at most one new
    project and 2,000 t asked in 2027 it cannot meet 2027, while perfect foresight (LARGE in
    2026) can. The diagnosis names 2027 and what was built before."""
    from symbiosis.runner import EXIT_INFEASIBLE, run_scenario

    scenario = load_scenario(CASES / "myopic" / "myopic.yaml")
    scenario = scenario.model_copy(
        update={
            "target": scenario.target.model_copy(update={"total": {2027: 2000.0}}),
            "limits": scenario.limits.model_copy(update={"max_new_facilities": 1}),
        }
    )
    outcome = run_scenario(scenario, tmp_path / "myopic")
    assert outcome.exit_code == EXIT_INFEASIBLE
    diagnosis = outcome.results.summary["diagnosis"]
    assert diagnosis["myopic_failed_year"] == 2027
    assert "2026: SMALL" in diagnosis["messages"][0]
    perfect = run_scenario(scenario.model_copy(update={"foresight": "perfect"}))
    assert perfect.results.summary["status"] == "optimal"
    assert perfect.results.summary["build_plan"][0]["facility"] == "LARGE"
