"""One hand-checkable case per constraint family of CASE_FORMAT.md "The MILP".

Each case under ``tests/cases/<name>/`` is small enough to solve on paper; the working is in
the test's docstring. Every case is built so that its family changes the answer: dropping or
mis-writing the family gives a different objective, which the docstring states as well
("without it: ..."), so each test fails if its family is broken.

Objectives are the system cost of CASE_FORMAT.md in CNY/yr (summary ``objective``), compared
with ``pytest.approx``; the decisions that prove the family binds (projects built, flows, units
left unused) are asserted beside them.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosis.case import load_case
from symbiosis.milp import annuity_factor
from symbiosis.network import EARTH_RADIUS_KM, build_arcs
from symbiosis.runner import EXIT_INFEASIBLE, EXIT_OK, RunOutcome, run_scenario
from symbiosis.scenario import load_scenario

CASES = Path(__file__).resolve().parent / "cases"


@functools.cache
def solved(scenario: str) -> RunOutcome:
    """Solve ``tests/cases/<scenario>`` once per test session (no run folder)."""
    return run_scenario(load_scenario(CASES / scenario))


def objective(outcome: RunOutcome) -> float:
    """The summary's objective (system cost), checked against the solver's own objective
    (plus the shortfall penalty for soft targets), so that the model and the reported cost
    agree."""
    summary = outcome.results.summary
    value = summary["objective"]
    assert value is not None and outcome.solution is not None
    solver_objective = summary.get("objective_with_penalty", value)
    assert outcome.solution.objective == pytest.approx(solver_objective, rel=1e-9, abs=1e-6)
    return float(value)


def shipped(
    outcome: RunOutcome, facility: str, from_site: str | None = None, mode: str | None = None
) -> float:
    """Units shipped into ``facility`` (optionally from one site, by one mode)."""
    flows = outcome.results.flows
    keep = flows["facility"] == facility
    if from_site is not None:
        keep &= flows["from_site"] == from_site
    if mode is not None:
        keep &= flows["mode"] == mode
    return float(flows.loc[keep, "shipped"].sum())


def intake(outcome: RunOutcome, facility: str) -> float:
    fac = outcome.results.facilities
    return float(fac.loc[fac["facility"] == facility, "intake"].sum())


def unused(outcome: RunOutcome, site: str, stream: str) -> float:
    table = outcome.results.unused
    row = table[(table["site"] == site) & (table["stream"] == stream)]
    assert len(row) == 1
    return float(row["unused"].iloc[0])


def arcs_of(case_dir: str) -> pd.DataFrame:
    return build_arcs(load_case(CASES / case_dir))


def central_angle(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Angle between two points on the unit sphere from their 3-D unit vectors (chord
    length), a formula independent of the haversine the package uses."""

    def vec(lon: float, lat: float) -> np.ndarray:
        lo, la = math.radians(lon), math.radians(lat)
        return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])

    chord = float(np.linalg.norm(vec(lon1, lat1) - vec(lon2, lat2)))
    return 2.0 * math.asin(chord / 2.0)


# --------------------------------------------------------------------------------------------
# The worked example of CASE_FORMAT.md
# --------------------------------------------------------------------------------------------
def test_tiny_case_matches_expected_md() -> None:
    """tests/cases/tiny (EXPECTED.md).

    AF(0.06, 20) = 0.06 / (1 - 1.06^-20) = 0.0871846; P2 costs 160e6 x 0.0871846 + 3e6 =
    16,949,529.12/yr. K alone gives 200,000 t and K + P1 700,000 t < 900,000, so P2 (the
    group allows only one size) is built. Then K takes 200,000 t (-5/t), P2 800,000 t
    (+10/t < 55/t left), two road links 100,000, heat: 80,000 MWh delivered
    (84,210.53 shipped at eff 0.95) x -150 + 2,000,000 pipe = -10,000,000.

    objective = 16,949,529.12 - 1,000,000 + 8,000,000 + 100,000 - 10,000,000
              = 14,049,529.12; delivered 1,000,000 t; CO2 (200,000 x 5 + 800,000 x 20 +
    80,000 x 300 - 0.09 x (200,000 x 20 + 800,000 x 50)) / 1000 = 37,040 t/yr.
    """
    out = solved("tiny/scenario.yaml")
    s = out.results.summary
    assert out.exit_code == EXIT_OK and s["status"] == "optimal"
    assert objective(out) == pytest.approx(14_049_529.12, abs=0.01)
    assert s["built"] == ["P2"]
    assert s["delivered_target_t"] == pytest.approx(1_000_000)
    assert s["co2_avoided_t"] == pytest.approx(37_040)
    assert shipped(out, "K") == pytest.approx(200_000)
    assert shipped(out, "P2") == pytest.approx(800_000)
    assert shipped(out, "H") == pytest.approx(80_000 / 0.95)
    assert intake(out, "H") == pytest.approx(80_000)
    assert unused(out, "A", "phosphogypsum") == pytest.approx(0.0, abs=1e-6)


def test_tiny_infeasible_variant_diagnosis() -> None:
    """tests/cases/tiny_variants/infeasible.yaml: target.total 1,200,000 t.

    Only 1,000,000 t of phosphogypsum exist (K + P2 could take 1,100,000), so the scenario
    is infeasible: exit 3, and the diagnosis says 1.00 Mt/yr reachable against 1.20 Mt/yr.
    """
    out = solved("tiny_variants/infeasible.yaml")
    s = out.results.summary
    assert out.exit_code == EXIT_INFEASIBLE
    assert s["status"] == "infeasible" and s["objective"] is None
    text = " ".join(s["diagnosis"]["messages"])
    assert "1.00 Mt" in text and "1.20 Mt" in text
    (reach,) = s["diagnosis"]["targets"]
    assert reach["reachable"] == pytest.approx(1_000_000)
    assert reach["required"] == pytest.approx(1_200_000)


def test_soft_target_reports_shortfall_tiny() -> None:
    """tests/cases/tiny_variants/soft.yaml: total 1,200,000 t with penalty 100 CNY/t.

    At most 1,000,000 t can be delivered (see above). Building P2 and delivering all of it
    costs the tiny optimum 14,049,529.12 plus 200,000 x 100 = 20,000,000 of penalty
    = 34,049,529.12; K + P1 would leave 500,000 t short (50,000,000 penalty) and 300,000 t
    unused (16,500,000), far dearer. So: status optimal (exit 0), system cost 14,049,529.12,
    shortfall 200,000 t reported, objective with penalty 34,049,529.12.
    """
    out = solved("tiny_variants/soft.yaml")
    s = out.results.summary
    assert out.exit_code == EXIT_OK and s["status"] == "optimal"
    assert objective(out) == pytest.approx(14_049_529.12, abs=0.01)
    assert s["objective_with_penalty"] == pytest.approx(34_049_529.12, abs=0.01)
    assert s["shortfall_penalty"] == pytest.approx(20_000_000)
    (target,) = s["targets"]
    assert target["shortfall"] == pytest.approx(200_000)
    assert target["delivered"] == pytest.approx(1_000_000)
    assert target["met"] is False
    assert s["built"] == ["P2"]


# --------------------------------------------------------------------------------------------
# (1) supply balance
# --------------------------------------------------------------------------------------------
def test_supply_balance() -> None:
    """tests/cases/supply: S1 300 t (10 km), S2 500 t (150 km) of slag; F (existing, 1000 t,
    var 3, value 20); road 0.2 CNY/t/km; leaving slag costs 5 + 0 CNY/t.

    From S1: 0.2 x 10 + 3 - 20 = -15 CNY/t, so all 300 t go (F has room for 1000).
    From S2: 0.2 x 150 + 3 - 20 = +13 CNY/t > 5 to leave it, so S2's 500 t stay unused.

    objective = 300 x -15 + 500 x 5 = -4,500 + 2,500 = -2,000.
    Without the supply rows F would take 1000 t from S1 (-15,000); with "<=" in place of "="
    the unused 500 t would not be paid for (-4,500).
    """
    out = solved("supply/scenario.yaml")
    assert objective(out) == pytest.approx(-2_000)
    assert shipped(out, "F", "S1") == pytest.approx(300)
    assert shipped(out, "F", "S2") == pytest.approx(0, abs=1e-6)
    assert unused(out, "S1", "slag") == pytest.approx(0, abs=1e-6)
    assert unused(out, "S2", "slag") == pytest.approx(500)
    assert out.results.summary["cost_parts"]["disposal"] == pytest.approx(2_500)


def test_unused_cost_per_row_overrides_disposal_and_tax() -> None:
    """tests/cases/unused_cost: phosphogypsum disposal 30 + env_tax 25 = 55 CNY/t; row A (an
    old stack) has ``unused_cost`` 3, row B is empty (so 55). F (1000 t) costs
    5 (road) + 40 (var) - 25 (value) = +20 CNY/t delivered, from either site.

    F has room for one row: taking B saves 55 - 20 = 35/t, taking A would cost 20 - 3 = 17/t
    more than leaving it. So B's 1000 t go to F and A's 1000 t stay at 3 CNY/t.

    objective = 1000 x 20 + 1000 x 3 = 23,000 (transport 5,000, processing 15,000,
    stock_left 3,000, disposal 0, env_tax 0). Ignoring ``unused_cost`` gives
    1000 x 20 + 1000 x 55 = 75,000.
    """
    out = solved("unused_cost/scenario.yaml")
    s = out.results.summary
    assert objective(out) == pytest.approx(23_000)
    assert shipped(out, "F", "B") == pytest.approx(1_000)
    assert shipped(out, "F", "A") == pytest.approx(0, abs=1e-6)
    assert unused(out, "A", "pg") == pytest.approx(1_000)
    parts = s["cost_parts"]
    assert parts["stock_left"] == pytest.approx(3_000)
    assert parts["disposal"] == pytest.approx(0, abs=1e-6)
    assert parts["env_tax"] == pytest.approx(0, abs=1e-6)
    assert parts["transport"] == pytest.approx(5_000)
    assert parts["processing"] == pytest.approx(15_000)
    rates = out.results.unused.set_index("site")["unused_cost_per_unit"]
    assert rates["A"] == pytest.approx(3) and rates["B"] == pytest.approx(55)


# --------------------------------------------------------------------------------------------
# (2) input share
# --------------------------------------------------------------------------------------------
def test_input_share() -> None:
    """tests/cases/input_share: F (1000 t/yr) takes fly ash (max_share 0.3, value 30) and
    slag (max_share empty = 1, value 10); 1000 t of each at S; road 2 CNY/t; nothing costs
    to leave.

    Ash nets -28 CNY/t, slag -8: F fills with as much ash as allowed, 0.3 x 1000 = 300 t, and
    the remaining 700 t of capacity with slag.

    objective = 300 x -28 + 700 x -8 = -8,400 - 5,600 = -14,000.
    Without the share row F would take 1000 t of ash: -28,000.
    """
    out = solved("input_share/scenario.yaml")
    assert objective(out) == pytest.approx(-14_000)
    fac = out.results.facilities.set_index("facility")
    assert fac.at["F", "intake_ash"] == pytest.approx(300)
    assert fac.at["F", "intake_slag"] == pytest.approx(700)
    assert unused(out, "S", "ash") == pytest.approx(700)
    assert out.case is not None
    assert out.case.facility_inputs["max_share"].tolist() == [0.3, 1.0]


# --------------------------------------------------------------------------------------------
# (3) capacity
# --------------------------------------------------------------------------------------------
def test_capacity() -> None:
    """tests/cases/capacity: 400 t of slag at S; F1 (150 t, value 22) and F2 (1000 t, value 7)
    existing; candidate C beside F1 (1000 t, value 22, fixed_opex 5000, capex 0); road
    2 CNY/t; nothing costs to leave.

    F1 nets -20, F2 -5 CNY/t. F1 is full at 150 t, the other 250 t go to F2.
    Building C would move those 250 t from -5 to -20: 250 x 15 = 3,750 < 5,000, so C is not
    built (capacity x b_C = 0 shuts it).

    objective = 150 x -20 + 250 x -5 = -3,000 - 1,250 = -4,250.
    Without capacity rows F1 (or C, unbuilt) would take all 400 t: -8,000.
    """
    out = solved("capacity/scenario.yaml")
    assert objective(out) == pytest.approx(-4_250)
    assert intake(out, "F1") == pytest.approx(150)
    assert intake(out, "F2") == pytest.approx(250)
    assert intake(out, "C") == pytest.approx(0, abs=1e-6)
    assert out.results.summary["built"] == []
    fac = out.results.facilities.set_index("facility")
    assert fac.at["F1", "use"] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# (4) link activation
# --------------------------------------------------------------------------------------------
def test_link_activation() -> None:
    """tests/cases/link: S1 1000 t and S2 2000 t of slag, both 20 km from F (5000 t, value
    20). Two modes: ``truck`` 0.1 CNY/t/km with a 12,000 CNY/yr contract per link, and
    ``hauler`` 0.5 CNY/t/km with no link cost.

    S1: by truck 1000 x (2 - 20) + 12,000 = -6,000; by hauler 1000 x (10 - 20) = -10,000
        -> hauler, truck link not opened.
    S2: by truck 2000 x -18 + 12,000 = -24,000; by hauler 2000 x -10 = -20,000
        -> truck, link opened (once open, every tonne goes by truck: 2 < 10).

    objective = -10,000 - 24,000 = -34,000 (links 12,000).
    Without the link rows every tonne would go by truck for free: 3000 x -18 = -54,000.
    """
    out = solved("link/scenario.yaml")
    assert objective(out) == pytest.approx(-34_000)
    assert shipped(out, "F", "S1", "hauler") == pytest.approx(1_000)
    assert shipped(out, "F", "S1", "truck") == pytest.approx(0, abs=1e-6)
    assert shipped(out, "F", "S2", "truck") == pytest.approx(2_000)
    assert shipped(out, "F", "S2", "hauler") == pytest.approx(0, abs=1e-6)
    assert out.results.summary["cost_parts"]["links"] == pytest.approx(12_000)
    # The binaries themselves: one y per truck arc, only S2's is 1.
    assert out.data is not None and out.solution is not None
    arcs = arcs_of("link/case")
    y = dict(
        zip(out.data.link_arcs.tolist(), out.solution.values["y"].round().tolist(), strict=True)
    )
    opened = {(arcs.at[a, "from_site"], arcs.at[a, "mode"]) for a, v in y.items() if v > 0.5}
    assert set(arcs.loc[out.data.link_arcs, "mode"]) == {"truck"}
    assert opened == {("S2", "truck")}


# --------------------------------------------------------------------------------------------
# (5) groups
# --------------------------------------------------------------------------------------------
def test_group_allows_one_candidate() -> None:
    """tests/cases/group: 1000 t of slag; candidates C1 (600 t, fixed 1000) and C2 (600 t,
    fixed 1100) share group ``line``; C3 (300 t, fixed 2500) is alone in group ``solo``; all
    value 10 CNY/t, capex 0, no transport cost.

    Portfolios: C1 -5,000; C2 -4,900; C3 -500; C1+C3 3,500 - 9,000 = -5,500;
    C2+C3 -5,400; (C1+C2 2,100 - 10,000 = -7,900 and C1+C2+C3 -5,400, both barred by the
    group).

    objective = -5,500 with C1 and C3 built, 100 t left. Without the group row: -7,900
    (C1 and C2).
    """
    out = solved("group/scenario.yaml")
    assert objective(out) == pytest.approx(-5_500)
    assert out.results.summary["built"] == ["C1", "C3"]
    assert intake(out, "C1") == pytest.approx(600)
    assert intake(out, "C3") == pytest.approx(300)
    assert unused(out, "S", "slag") == pytest.approx(100)


# --------------------------------------------------------------------------------------------
# (6) total target and (7) stream targets
# --------------------------------------------------------------------------------------------
# tests/cases/targets: phosphogypsum (target = 1) 600 t at S1 and 400 t at S2, fly ash
# (target = 0) 1000 t at S1; E (existing, 5000 t) nets +5 CNY/t on pg (var 5, value 0) and
# -1 CNY/t on ash; nothing costs to leave or to ship.


def test_no_target_baseline() -> None:
    """tests/cases/targets/none.yaml: no target, so pg (+5/t) stays, ash (-1/t) goes:
    objective = 1000 x -1 = -1,000."""
    out = solved("targets/none.yaml")
    assert objective(out) == pytest.approx(-1_000)
    assert out.results.summary["delivered_by_stream"].get("pg", 0.0) == pytest.approx(0, abs=1e-6)


def test_total_target_counts_target_streams_only() -> None:
    """tests/cases/targets/total.yaml, target.total 600 t.

    Only pg has target = 1, so 600 t of pg must be delivered at +5: 3,000; ash still goes
    (-1,000). objective = 3,000 - 1,000 = 2,000; delivered toward the target 600 t.
    If ash counted toward the total the target would be met by ash alone (-1,000); without
    the target row, -1,000 too.
    """
    out = solved("targets/total.yaml")
    s = out.results.summary
    assert objective(out) == pytest.approx(2_000)
    assert s["delivered_target_t"] == pytest.approx(600)
    assert s["delivered_by_stream"]["pg"] == pytest.approx(600)
    assert s["delivered_by_stream"]["ash"] == pytest.approx(1_000)
    assert s["targets"][0]["met"] is True
    assert unused(out, "S1", "pg") + unused(out, "S2", "pg") == pytest.approx(400)


def test_stream_target_amount() -> None:
    """tests/cases/targets/stream_amount.yaml, target.streams.pg.amount 400 t.

    400 t of pg at +5 = 2,000; ash -1,000. objective = 1,000; pg delivered 400 t.
    """
    out = solved("targets/stream_amount.yaml")
    s = out.results.summary
    assert objective(out) == pytest.approx(1_000)
    assert s["delivered_by_stream"]["pg"] == pytest.approx(400)
    (target,) = s["targets"]
    assert target["name"] == "pg"
    assert target["required"] == pytest.approx(400)
    assert target["delivered"] == pytest.approx(400)
    assert target["shortfall"] == pytest.approx(0, abs=1e-9)
    assert target["met"] is True


def test_stream_target_share() -> None:
    """tests/cases/targets/stream_share.yaml, target.streams.pg.share 0.25.

    pg supply is 600 + 400 = 1000 t over two rows, so 0.25 x 1000 = 250 t: 250 x 5 = 1,250;
    ash -1,000. objective = 250. (Taking the share of one row only would give 150 or 100.)
    """
    out = solved("targets/stream_share.yaml")
    s = out.results.summary
    assert objective(out) == pytest.approx(250)
    assert s["delivered_by_stream"]["pg"] == pytest.approx(250)
    assert s["targets"][0]["required"] == pytest.approx(250)


def test_soft_target_priced_below_cost_is_missed() -> None:
    """tests/cases/targets/soft_cheap.yaml: total 600 t, penalty 3 CNY/t.

    Delivering pg costs 5/t, missing it 3/t: nothing is delivered, shortfall 600 t.
    System cost -1,000 (ash); penalty 600 x 3 = 1,800; objective with penalty 800.
    """
    out = solved("targets/soft_cheap.yaml")
    s = out.results.summary
    assert out.exit_code == EXIT_OK
    assert objective(out) == pytest.approx(-1_000)
    assert s["shortfall_penalty"] == pytest.approx(1_800)
    assert s["objective_with_penalty"] == pytest.approx(800)
    assert s["targets"][0]["shortfall"] == pytest.approx(600)
    assert s["targets"][0]["met"] is False


def test_soft_target_priced_above_cost_is_met() -> None:
    """tests/cases/targets/soft_dear.yaml: total 600 t, penalty 7 CNY/t > 5 to deliver.

    The target is met: objective 600 x 5 - 1,000 = 2,000, shortfall 0, no penalty.
    """
    out = solved("targets/soft_dear.yaml")
    s = out.results.summary
    assert objective(out) == pytest.approx(2_000)
    assert s["objective_with_penalty"] == pytest.approx(2_000)
    assert s["targets"][0]["shortfall"] == pytest.approx(0, abs=1e-6)
    assert s["delivered_target_t"] == pytest.approx(600)


def test_total_target_out_of_reach_is_infeasible() -> None:
    """tests/cases/targets/infeasible.yaml: total 1500 t, but only 1000 t of pg exist (ash
    does not count): infeasible, exit 3, diagnosis "at most 1,000 t/yr", nothing else to
    blame (no limits)."""
    out = solved("targets/infeasible.yaml")
    s = out.results.summary
    assert out.exit_code == EXIT_INFEASIBLE and s["status"] == "infeasible"
    text = " ".join(s["diagnosis"]["messages"])
    assert "1,000 t/yr" in text and "1,500 t/yr" in text
    assert s["diagnosis"]["binding"] == []


# --------------------------------------------------------------------------------------------
# (8) limits: max_new_facilities and capex_budget; the annuity
# --------------------------------------------------------------------------------------------
def test_max_new_facilities_unlimited_baseline() -> None:
    """tests/cases/max_new/unlimited.yaml: 1000 t of slag; candidates C1, C2, C3 of 400 t each
    (fixed 100, 110, 120; capex 0), value 10 CNY/t.

    All three: 330 - 10 x 1000 = -9,670 (beats any two: 800 t, -7,790). objective -9,670.
    """
    out = solved("max_new/unlimited.yaml")
    assert objective(out) == pytest.approx(-9_670)
    assert out.results.summary["built"] == ["C1", "C2", "C3"]


def test_max_new_facilities_binds() -> None:
    """tests/cases/max_new/two.yaml: max_new_facilities 2.

    The two cheapest, C1 and C2: 100 + 110 - 10 x 800 = -7,790; 200 t left unused.
    Without the limit: -9,670 (all three).
    """
    out = solved("max_new/two.yaml")
    assert objective(out) == pytest.approx(-7_790)
    assert out.results.summary["built"] == ["C1", "C2"]
    assert unused(out, "S", "slag") == pytest.approx(200)


def test_max_new_facilities_named_when_infeasible() -> None:
    """tests/cases/max_new/infeasible.yaml: total 900 t with max_new_facilities 2.

    Two projects take at most 800 t < 900: infeasible (exit 3). Without the limit all 1000 t
    can be delivered, so the diagnosis names max_new_facilities: "800 t/yr reachable with
    max_new_facilities = 2; target 900 t/yr".
    """
    out = solved("max_new/infeasible.yaml")
    s = out.results.summary
    assert out.exit_code == EXIT_INFEASIBLE and s["status"] == "infeasible"
    diagnosis = s["diagnosis"]
    assert diagnosis["binding"] == ["max_new_facilities"]
    text = " ".join(diagnosis["messages"])
    assert "800 t/yr reachable with max_new_facilities = 2" in text
    assert "900 t/yr" in text
    (reach,) = diagnosis["targets"]
    assert reach["reachable"] == pytest.approx(800)
    assert reach["reachable_without"]["max_new_facilities"] == pytest.approx(1_000)


def test_discount_rate_zero_annuity_is_one_over_n() -> None:
    """tests/cases/budget/rate0.yaml: discount_rate 0, so AF = 1/n = 1/10.

    1000 t of slag, value 20 CNY/t. C1: 500 t, capex 10,000 -> 1,000/yr; C2: 1000 t,
    capex 30,000 -> 3,000/yr.
    C1 alone 1,000 - 10,000 = -9,000; C2 alone 3,000 - 20,000 = -17,000; both
    4,000 - 20,000 = -16,000. objective = -17,000 with C2 built.
    """
    assert annuity_factor(0.0, 10.0) == pytest.approx(0.1)
    out = solved("budget/rate0.yaml")
    assert objective(out) == pytest.approx(-17_000)
    assert out.results.summary["built"] == ["C2"]
    assert out.results.summary["cost_parts"]["capex_annualised"] == pytest.approx(3_000)


def test_discount_rate_six_percent_annuity() -> None:
    """tests/cases/budget/rate6.yaml: discount_rate 0.06.

    AF(0.06, 10) = 0.06 / (1 - 1.06^-10) = 0.06 / (1 - 0.5583948) = 0.1358680.
    C2: 30,000 x 0.1358680 = 4,076.04/yr; objective = 4,076.04 - 20,000 = -15,923.96
    (C1 alone -8,641.32; both 5,434.72 - 20,000 = -14,565.28).
    """
    assert annuity_factor(0.06, 10.0) == pytest.approx(0.06 / (1 - 1.06**-10))
    out = solved("budget/rate6.yaml")
    assert objective(out) == pytest.approx(-15_923.96, abs=0.01)
    assert out.results.summary["built"] == ["C2"]


def test_capex_budget_binds() -> None:
    """tests/cases/budget/budget.yaml: discount_rate 0, capex_budget 20,000.

    C2 (capex 30,000) and C1 + C2 (40,000) exceed the budget; only C1 (10,000) fits:
    objective = 1,000 - 20 x 500 = -9,000, 500 t left. Without the budget: -17,000 (C2).
    """
    out = solved("budget/budget.yaml")
    s = out.results.summary
    assert objective(out) == pytest.approx(-9_000)
    assert s["built"] == ["C1"]
    assert s["capex_built"] == pytest.approx(10_000)
    assert unused(out, "S", "slag") == pytest.approx(500)


# --------------------------------------------------------------------------------------------
# Arcs: heat losses, rail, distances, on-site
# --------------------------------------------------------------------------------------------
def test_heat_losses() -> None:
    """tests/cases/heat: 1000 MWh of waste heat at S; H1 (500 MWh, value 100, co2 300 kg/MWh)
    10 km away, H2 (1000 MWh, value 1000) 60 km away; heat_pipe: 8 CNY/MWh shipped, link
    1000 CNY/yr per km, loss 0.02 per km, max_km 100.

    S -> H1: eff = 1 - 0.02 x 10 = 0.8, link 10,000, M = min(1000, 500 / 0.8) = 625.
    S -> H2: 0.02 x 60 = 1.2 >= 1, so no arc despite its value (and km <= max_km).
    Per MWh delivered at H1: 8 / 0.8 - 100 = -90, so H1 is filled: 500 MWh delivered need
    625 shipped; 375 MWh stay.

    objective = 625 x 8 + 10,000 - 500 x 100 = 5,000 + 10,000 - 50,000 = -35,000;
    CO2 avoided 500 x 300 / 1000 = 150 t/yr.
    Ignoring losses: 500 shipped, -36,000; a big-M without /eff caps shipping at 500 and
    delivery at 400: -26,000.
    """
    arcs = arcs_of("heat/case")
    assert arcs["facility"].tolist() == ["H1"]
    assert arcs.at[0, "eff"] == pytest.approx(0.8)
    assert arcs.at[0, "big_m"] == pytest.approx(625)
    assert arcs.at[0, "link_cost"] == pytest.approx(10_000)
    out = solved("heat/scenario.yaml")
    assert objective(out) == pytest.approx(-35_000)
    flow = out.results.flows.set_index("facility").loc["H1"]
    assert flow["shipped"] == pytest.approx(625)
    assert flow["delivered"] == pytest.approx(500)
    assert unused(out, "S", "heat") == pytest.approx(375)
    assert out.results.summary["co2_avoided_t"] == pytest.approx(150)


def test_rail_only_between_sidings() -> None:
    """tests/cases/rail: S (siding) 300 t and S2 (no siding) 800 t of slag; F1 at T1
    (siding, 600 t) and F2 at T2 (no siding, 500 t), value 20 each. road 0.1 CNY/t/km,
    rail 0.02 CNY/t/km (rail = 1); distances.csv: 100 km everywhere, but S -> T2 by rail 50.

    Rail exists only S -> T1 (both sidings): 100 x 0.02 = 2 -> -18 CNY/t. Every road arc:
    10 -> -10. (The distances row S,T2,rail does not create an arc.)
    S's 300 t go to F1 by rail (-5,400); S2 fills F1 (300 t) and F2 (500 t) by road (-8,000).

    objective = -5,400 - 8,000 = -13,400.
    If rail ignored the source end (S2 -> T1 by rail): F1 all by rail, -15,800; if it ignored
    the destination end (S -> T2 by rail at 1 CNY/t): -13,700.
    """
    arcs = arcs_of("rail/case")
    rail = arcs[arcs["mode"] == "rail"]
    assert list(zip(rail["from_site"], rail["to_site"], strict=True)) == [("S", "T1")]
    assert len(arcs[arcs["mode"] == "road"]) == 4
    out = solved("rail/scenario.yaml")
    assert objective(out) == pytest.approx(-13_400)
    assert shipped(out, "F1", "S", "rail") == pytest.approx(300)
    assert shipped(out, "F1", "S2", "road") == pytest.approx(300)
    assert shipped(out, "F2", "S2", "road") == pytest.approx(500)


def test_distances_computed_overridden_and_max_km() -> None:
    """tests/cases/distances: 300 t of slag at A (106.00 E, 26.00 N); road 0.1 CNY/t/km,
    circuity 1.25, max_km 200; value 50 at FB and FC, 1000 at FD and FE (100 t each).

    A -> B (106 E, 27 N), computed: one degree of a meridian, pi / 180 x 6371.0088
      = 111.19508 km, x 1.25 = 138.99385 km -> 13.899385 CNY/t.
    A -> C (107 E, 26 N): distances.csv says 40 km, used as is (no circuity): 4 CNY/t
      (computed it would be 99.94 x 1.25 = 124.9 km).
    A -> D (108 E, 26 N): 199.9 x 1.25 = 249.9 km > max_km: no arc.
    A -> E (106.01 E, 26 N): about 1 km, but distances.csv says 250 > max_km: no arc.

    objective = 100 x (13.899385 - 50) + 100 x (4 - 50) = -3,610.0615 - 4,600
              = -8,210.0615; 100 t left (FD and FE, worth 1000/t, are out of reach).
    With circuity applied to the override: 5 CNY/t, -8,110.06.
    """
    case = load_case(CASES / "distances/case")
    arcs = build_arcs(case).set_index("facility")
    assert sorted(arcs.index) == ["FB", "FC"]
    lonlat = {
        s: (float(lo), float(la)) for s, lo, la in case.sites[["site", "lon", "lat"]].to_numpy()
    }
    # Independent check of the great-circle distance (3-D chord, not haversine).
    angle = central_angle(*lonlat["A"], *lonlat["B"])
    assert arcs.at["FB", "km"] == pytest.approx(angle * EARTH_RADIUS_KM * 1.25, rel=1e-9)
    assert arcs.at["FB", "km"] == pytest.approx(math.pi / 180 * 6371.0088 * 1.25, rel=1e-12)
    assert arcs.at["FB", "km"] == pytest.approx(138.99385, abs=1e-5)
    assert arcs.at["FC", "km"] == pytest.approx(40.0)
    assert arcs.at["FC", "unit_cost"] == pytest.approx(4.0)
    # D is out of reach on its computed distance; check that distance independently.
    d_km = central_angle(106.0, 26.0, 108.0, 26.0) * EARTH_RADIUS_KM * 1.25
    assert d_km > 200.0
    out = solved("distances/scenario.yaml")
    assert objective(out) == pytest.approx(-8_210.0615, abs=1e-3)
    assert shipped(out, "FB") == pytest.approx(100)
    assert shipped(out, "FC") == pytest.approx(100)
    assert unused(out, "A", "slag") == pytest.approx(100)
    km = out.results.flows.set_index("facility")["km"]
    assert km["FB"] == pytest.approx(138.99385, abs=1e-5)
    assert km["FC"] == pytest.approx(40.0)


def test_computed_distance_off_meridian() -> None:
    """The A -> C distance of tests/cases/distances computed without its override, checked
    against the 3-D chord formula: at 26 N one degree of longitude is
    2 asin(cos 26 deg x sin 0.5 deg) x 6371.0088 = 99.94 km; x circuity 1.25 = 124.93 km."""
    case = load_case(CASES / "distances/case")
    case.distances = case.distances.iloc[0:0]
    arcs = build_arcs(case).set_index("facility")
    expected = central_angle(106.0, 26.0, 107.0, 26.0) * EARTH_RADIUS_KM * 1.25
    hand = 2 * math.asin(math.cos(math.radians(26)) * math.sin(math.radians(0.5))) * 6371.0088
    assert expected == pytest.approx(hand * 1.25, rel=1e-9)
    assert arcs.at["FC", "km"] == pytest.approx(expected, rel=1e-9)
    assert arcs.at["FC", "km"] == pytest.approx(124.93, abs=0.01)
    # Without the override, E (about 1.25 km) comes within reach.
    assert "FE" in arcs.index and arcs.loc[["FE"], "km"].iloc[0] < 2.0


def test_explicit_routes_replace_the_mode_figures() -> None:
    """tests/cases/routes (EXPECTED.md): tiny with a quoted rate of 10 CNY/t on A -> C road
    (instead of 5 + 0.5 x 50 = 30; link empty, so the mode's 50,000) and a link cost of
    300,000 CNY/yr on A -> B road (instead of 50,000; rate empty, so 5 + 0.5 x 20 = 15).

    The board line nets 10 + 40 - 60 = -10/t, better than K (-5/t): P2 (16,949,529.12/yr,
    needed for 900,000 t) takes 900,000 t, K 100,000 t (-500,000 + 300,000 link beats
    5,500,000 unused); heat as in tiny (-10,000,000).

    objective = 16,949,529.12 - 9,000,000 - 500,000 + 350,000 - 10,000,000 = -2,200,470.88.
    Without the routes (the mode's figures): 14,049,529.12 with K 200,000 t, P2 800,000 t.
    """
    arcs = arcs_of("routes/case").set_index("facility")
    assert arcs.at["K", "unit_cost"] == pytest.approx(15.0)
    assert arcs.at["K", "link_cost"] == pytest.approx(300_000)
    assert arcs.at["P2", "unit_cost"] == pytest.approx(10.0)
    assert arcs.at["P2", "link_cost"] == pytest.approx(50_000)
    assert arcs.at["H", "link_cost"] == pytest.approx(2_000_000)
    out = solved("routes/scenario.yaml")
    s = out.results.summary
    assert out.exit_code == EXIT_OK and s["status"] == "optimal"
    assert objective(out) == pytest.approx(-2_200_470.88, abs=0.01)
    assert s["built"] == ["P2"]
    assert s["co2_avoided_t"] == pytest.approx(38_270)
    assert shipped(out, "P2", "A", "road") == pytest.approx(900_000)
    assert shipped(out, "K", "A", "road") == pytest.approx(100_000)
    assert shipped(out, "H") == pytest.approx(80_000 / 0.95)
    assert unused(out, "A", "phosphogypsum") == pytest.approx(0.0, abs=1e-6)
    flows = out.results.flows.set_index("facility")
    assert flows.at["K", "link_cost"] == pytest.approx(300_000)
    assert flows.at["P2", "transport_cost"] == pytest.approx(9_000_000)


def test_onsite_arcs_have_no_cost_and_no_link() -> None:
    """tests/cases/onsite: at S 1000 t of phosphogypsum and 100 MWh of heat; FO (400 t) and
    HU (100 MWh) stand on S, FT (1000 t) 20 km away; value 10 CNY/t at FO and FT, 5 CNY/MWh
    at HU; road 3 + 0.1 CNY/t/km with a 1000 CNY/yr link; heat_pipe a 500 CNY/yr link and
    loss 0.01/km.

    On-site arcs (one each, mode ``onsite``, km 0, no cost, no loss, no link): FO 400 t at
    -10 = -4,000; HU 100 MWh at -5 = -500. FT by road: 3 + 2 = 5 CNY/t, so the other
    600 t net -5 each and pay the link: -3,000 + 1,000 = -2,000.

    objective = -4,000 - 500 - 2,000 = -6,500; links 1,000 (FT's road link only).
    Charging on-site arcs like road: FO at 3 CNY/t and a link, -1,800 instead of -4,000.
    """
    arcs = arcs_of("onsite/case")
    onsite = arcs[arcs["mode"] == "onsite"]
    assert sorted(onsite["facility"]) == ["FO", "HU"]
    assert (onsite["km"] == 0).all() and (onsite["unit_cost"] == 0).all()
    assert (onsite["link_cost"] == 0).all() and (onsite["eff"] == 1).all()
    assert set(arcs.loc[arcs["facility"] == "FO", "mode"]) == {"onsite"}
    out = solved("onsite/scenario.yaml")
    assert out.data is not None
    assert len(out.data.link_arcs) == 1  # only S -> FT by road gets a y
    assert objective(out) == pytest.approx(-6_500)
    assert shipped(out, "FO", "S", "onsite") == pytest.approx(400)
    assert shipped(out, "HU", "S", "onsite") == pytest.approx(100)
    assert intake(out, "HU") == pytest.approx(100)
    assert shipped(out, "FT", "S", "road") == pytest.approx(600)
    assert out.results.summary["cost_parts"]["links"] == pytest.approx(1_000)


def test_co2_floor_moves_phosphogypsum_to_the_board_line() -> None:
    """tests/cases/co2/EXPECTED.md: a floor of 37,655 t/yr moves 50,000 t from K to P2 at
    +15 CNY/t: objective 14,799,529.12, CO2 avoided exactly the floor."""
    outcome = solved("co2/scenario.yaml")
    assert outcome.exit_code == EXIT_OK
    assert objective(outcome) == pytest.approx(14_799_529.12, abs=0.01)
    assert shipped(outcome, "K") == pytest.approx(150_000, abs=1e-3)
    assert shipped(outcome, "P2") == pytest.approx(850_000, abs=1e-3)
    assert outcome.results.summary["co2_avoided_t"] == pytest.approx(37_655, abs=1e-6)


def test_co2_floor_out_of_reach_is_infeasible() -> None:
    """More than the 38,270 t/yr the tiny case can avoid: infeasible, exit 3."""
    outcome = solved("co2/infeasible.yaml")
    assert outcome.exit_code == EXIT_INFEASIBLE
    assert outcome.results.summary["status"] == "infeasible"


def test_co2_floor_switches_the_arc_reductions_off() -> None:
    """The arc reductions assume only targets and costs decide an arc's worth; under a CO2
    floor they are off (the valid inequalities may stay), as with extra constraints."""
    from symbiosis.options import RunOptions, resolve_run

    _, plain = resolve_run(load_scenario(CASES / "tiny" / "scenario.yaml"), RunOptions())
    _, floor = resolve_run(load_scenario(CASES / "co2" / "scenario.yaml"), RunOptions())
    assert plain.unprofitable_arcs and plain.tighten_capacity
    assert not (floor.unprofitable_arcs or floor.tighten_capacity or floor.dominated_arcs)
    assert not floor.warm_start


def test_prefecture_targets_by_hand() -> None:
    """tests/cases/prefectures/EXPECTED.md: only deliveries of a prefecture's own supply
    count toward its target, as an amount or a share of that supply."""
    none = solved("prefectures/none.yaml")
    assert objective(none) == pytest.approx(-1_000_000, abs=0.01)
    assert shipped(none, "K", "A") == pytest.approx(0, abs=1e-6)
    amount = solved("prefectures/scenario.yaml")
    assert objective(amount) == pytest.approx(-200_000, abs=0.01)
    assert shipped(amount, "K", "A") == pytest.approx(40_000, abs=1e-3)
    assert shipped(amount, "K", "B") == pytest.approx(100_000, abs=1e-3)
    east = {t["name"]: t for t in amount.results.summary["targets"]}["prefecture:East"]
    assert east["delivered"] == pytest.approx(40_000, abs=1e-3) and east["met"]
    assert amount.results.summary["target_shadow_prices"]["prefecture:East"] == pytest.approx(
        20.0, abs=1e-6
    )
    share = solved("prefectures/share.yaml")
    assert objective(share) == pytest.approx(900_000, abs=0.01)
    assert shipped(share, "K", "A") == pytest.approx(60_000, abs=1e-3)
    assert shipped(share, "K", "B") == pytest.approx(90_000, abs=1e-3)


def test_prefecture_target_out_of_reach_is_diagnosed() -> None:
    """The East supplies 100,000 t: a 120,000 t target is infeasible, and the diagnosis
    says how much the prefecture can deliver."""
    outcome = solved("prefectures/infeasible.yaml")
    assert outcome.exit_code == EXIT_INFEASIBLE
    messages = " ".join(outcome.results.summary["diagnosis"]["messages"])
    assert "prefecture:East: at most 0.10 Mt/yr can be delivered (83% of the target)" in messages


def test_prefecture_target_names_a_known_prefecture(tmp_path: Path) -> None:
    from symbiosis.case import InputError, load_case
    from symbiosis.scenario import check_scenario_against_case

    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: x\ncase: {CASES / 'prefectures' / 'case'}\n"
        "target:\n  prefectures:\n    North: {amount: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"target\.prefectures\.North: unknown prefecture; "):
        check_scenario_against_case(load_scenario(path), load_case(CASES / "prefectures" / "case"))


def test_prefecture_targets_keep_the_reductions_exact() -> None:
    """Every reduction and valid inequality on, or none: the same optimum under a
    prefecture target (its input rows count as a target's, so no arc into them is dropped)."""
    from symbiosis.options import ReduceOptions, RunOptions

    scenario = load_scenario(CASES / "prefectures" / "share.yaml")
    plain = run_scenario(scenario, options=RunOptions(reduce=False))
    every = run_scenario(scenario, options=RunOptions(reduce=ReduceOptions.all()))
    assert objective(every) == pytest.approx(objective(plain), abs=0.01)
    assert objective(plain) == pytest.approx(900_000, abs=0.01)
