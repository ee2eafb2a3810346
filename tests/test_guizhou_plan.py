"""The bundled 2026-2030 Guizhou plan, slow: what must hold of its answer whatever incumbent
the time limit leaves (a golden byte-for-byte test would depend on the machine's load): every
year's targets met, builds not before their available_from, at most the limit over the horizon,
stocks never overdrawn, the discounted cost by year adding up to the objective, and myopic
foresight costing at least as much.

Since issue 13's corrections of the case (coal gangue by one method, heaps at the planned
fills' pace, the bases as product-route plants) the plan itself cannot reach any of its
92-100 Mt/yr years (2026: 74.62 Mt/yr at most), so these checks run on
models/guizhou-2026-2030-reachable.yaml: the plan with totals the case can meet each year
(73, 84, 88, 90, 90 Mt/yr, measured; not a published path)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from symbiosis.case import load_case
from symbiosis.runner import run_scenario
from symbiosis.scenario import load_scenario, with_foresight

PLAN = Path(__file__).resolve().parents[1] / "models" / "guizhou-2026-2030-reachable.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def perfect(tmp_path_factory: pytest.TempPathFactory) -> dict:
    outcome = run_scenario(load_scenario(PLAN), tmp_path_factory.mktemp("plan") / "run")
    return outcome.results.summary


def test_the_plan_meets_every_year(perfect: dict) -> None:
    assert perfect["status"] in ("optimal", "feasible")
    assert perfect["years"] == [2026, 2027, 2028, 2029, 2030]
    assert perfect["targets"] and all(t["met"] for t in perfect["targets"])
    assert {t["year"] for t in perfect["targets"]} == set(perfect["years"])
    if perfect["status"] == "optimal":
        assert perfect["mip_gap"] <= 1e-3


def test_the_build_schedule_respects_the_case(perfect: dict) -> None:
    scenario = load_scenario(PLAN)
    facilities = load_case(scenario.case).facilities.set_index("facility")
    plan = perfect["build_plan"]
    assert scenario.limits.max_new_facilities == 35  # the plan's limit, over the horizon
    assert 0 < len(plan) <= 35
    for build in plan:
        first = facilities.at[build["facility"], "available_from"]
        assert pd.isna(first) or build["year"] >= int(first)
    assert len({b["facility"] for b in plan}) == len(plan)  # each built once


def test_stocks_and_costs_add_up(perfect: dict) -> None:
    for pile in perfect["stock_left"]:
        assert pile["left"] >= -1e-6
        assert pile["drawn"] + pile["left"] == pytest.approx(pile["stock"])
    discounted = sum(perfect["discounted_cost_by_year"].values())
    assert discounted == pytest.approx(perfect["objective"], rel=1e-9)


def test_myopic_costs_at_least_as_much_or_falls_short(perfect: dict, tmp_path: Path) -> None:
    scenario = with_foresight(load_scenario(PLAN), "myopic")
    myopic = run_scenario(scenario, tmp_path / "myopic").results.summary
    assert myopic["foresight"] == "myopic"
    if myopic["status"] == "infeasible":
        # deciding year by year can spend the 35 projects before the later, higher targets,
        # which perfect foresight meets; the notes say which year failed
        assert perfect["targets"] and all(t["met"] for t in perfect["targets"])
        assert any("infeasible" in note for note in myopic["notes"])
        return
    assert myopic["status"] == "optimal"
    if perfect["status"] == "optimal":
        # perfect foresight's optimum is within its gap of the best plan
        assert myopic["objective"] >= perfect["objective"] * (1 - perfect["mip_gap"]) - 1.0
