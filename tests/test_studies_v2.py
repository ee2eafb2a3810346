"""curve, pareto and sweep on multi-year scenarios (issue 12), on tests/cases/years_build.

The case (EXPECTED.md there): one site S with 4,000 t of slag a year, 2026-2028; E existing
(active 2026 only), candidates A (built 2026 at best), B (available from 2027), C (lifetime
2). At r = 0 the plan is A 2026, B 2027, C 2027: objective -1,700 CNY, year costs -22,000 /
10,150 / 10,150, delivered 3,500 / 3,000 / 3,000 t. With ``target.total: {2026: 4000, 2027:
3000}`` C must be built in 2026 instead: objective 16,300 (year costs -38,950 / 10,150 /
45,100).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import CASES
from typer.testing import CliRunner

from symbiosis.batch import StudyOptions, year_columns
from symbiosis.case import InputError
from symbiosis.cli import app
from symbiosis.curve import TargetScale, target_curve, target_scale
from symbiosis.display import sweep_table
from symbiosis.pareto import pareto_front
from symbiosis.scenario import load_scenario
from symbiosis.sweep import grid_points, parse_set, run_sweep

YEARS = CASES / "years_build"
NO_REPORT = StudyOptions(report=False)


# --------------------------------------------------------------------------------------------
# The target-cost curve
# --------------------------------------------------------------------------------------------
def test_curve_scales_every_years_target(tmp_path: Path) -> None:
    """target_by_year.yaml ({2026: 4000, 2027: 3000}; 2027 the reference year) at levels
    1,500 and 3,000 t/yr: factors 0.5 and 1, so {2026: 2000, 2027: 1500} (met by the r = 0
    plan, -1,700) and the scenario's own targets (16,300, EXPECTED.md). The marginal cost is
    (16,300 + 1,700) / 1,500 = 12 CNY per t/yr of the 2027 target; 2028 keeps no target."""
    scenario = load_scenario(YEARS / "target_by_year.yaml")
    result = target_curve(scenario, [1500, 3000], tmp_path / "curve", NO_REPORT)
    table = result.table
    assert table["status"].tolist() == ["optimal", "optimal"]
    assert table["objective"].tolist() == pytest.approx([-1700.0, 16300.0])
    assert table["marginal_cost_cny_per_t"].tolist() == pytest.approx([0.0, 12.0])
    assert table["target_t_2026"].tolist() == pytest.approx([2000.0, 4000.0])
    assert table["target_t_2027"].tolist() == pytest.approx([1500.0, 3000.0])
    assert table["target_t_2028"].isna().all()
    assert table["cost_2026"].tolist() == pytest.approx([-22_000.0, -38_950.0])
    assert table["cost_2028"].tolist() == pytest.approx([10_150.0, 45_100.0])
    assert table["delivered_target_t_2026"].tolist() == pytest.approx([3500.0, 4000.0])
    assert table["built_2026"].tolist() == ["A", "A C"]
    assert table["shadow_price_cny_per_t"].iloc[0] == pytest.approx(0.0)  # not binding
    assert result.lead_in["target_t"] == 0.0
    written = pd.read_csv(result.csv)
    assert list(written.columns[:13]) == list(table.columns[:13])
    assert "target_t_2027" in written.columns and "cost_2027" in written.columns
    manifest = json.loads((Path(table["run_dir"].iloc[0]) / "manifest.json").read_text())
    assert manifest["scenario"]["target"]["total"] == {"2026": 2000.0, "2027": 1500.0}


def test_curve_of_a_flat_target(tmp_path: Path) -> None:
    """rate0.yaml has no total target: a level is every year's target. 3,000 t/yr every year
    is what the r = 0 plan delivers at least (3,500 / 3,000 / 3,000): -1,700; 3,500 needs
    3,500 t in 2027 where A, B and C take 3,000 at most: infeasible."""
    result = target_curve(
        load_scenario(YEARS / "rate0.yaml"), [3000, 3500], tmp_path / "flat", NO_REPORT
    )
    table = result.table
    assert table["status"].tolist() == ["optimal", "infeasible"]
    assert table["objective"].iloc[0] == pytest.approx(-1700.0)
    assert (
        table[["target_t_2026", "target_t_2027", "target_t_2028"]].iloc[0].tolist() == [3000.0] * 3
    )


def test_curve_shadow_price_over_years() -> None:
    """dC/dL with the portfolio fixed: each year's dual times that year's target per unit of
    level (T0_y / T0_r), summed; a flat target weighs every year 1."""
    scale = target_scale(load_scenario(YEARS / "target_by_year.yaml"))
    assert scale == TargetScale((2026, 2027, 2028), {2026: 4000 / 3000, 2027: 1.0}, 2027)
    summary = {"target_shadow_prices": {"total@2026": 2.0, "total@2027": 3.0}}
    assert scale.shadow_price(summary) == pytest.approx(2.0 * 4 / 3 + 3.0)
    assert scale.shadow_price({"target_shadow_prices": {"total@2026": 2.0}}) is None
    flat = target_scale(load_scenario(YEARS / "rate0.yaml"))
    assert flat.reference == 2028 and flat.total(5.0) == 5.0
    prices = {"total@2026": 1.0, "total@2027": 2.0, "total@2028": 4.0}
    assert flat.shadow_price({"target_shadow_prices": prices}) == pytest.approx(7.0)


def test_curve_refuses_a_zero_reference_target(tmp_path: Path) -> None:
    """{2026: 4000, 2027: 0}: the 2027 target cannot be scaled to a level; exit 2, no folder."""
    scenario = tmp_path / "zero.yaml"
    scenario.write_text(
        f"name: zero\ncase: {YEARS / 'case'}\nyears: [2026, 2027, 2028]\n"
        "target:\n  total: {2026: 4000, 2027: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"target\.total of 2027"):
        target_curve(load_scenario(scenario), [1000], tmp_path / "c1", NO_REPORT)
    res = CliRunner().invoke(
        app, ["curve", str(scenario), "--targets", "1000", "--out", str(tmp_path / "c2")]
    )
    assert res.exit_code == 2, res.output
    assert "reference year" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "c2").exists()


# --------------------------------------------------------------------------------------------
# The cost-CO2 front
# --------------------------------------------------------------------------------------------
@pytest.fixture
def co2_scenario(tmp_path: Path) -> Path:
    """years_build at r = 0 with A, B and C avoiding 1 t CO2 per t of slag (E none)."""
    case = tmp_path / "case"
    shutil.copytree(YEARS / "case", case)
    (case / "facility_inputs.csv").write_text(
        "facility,stream,max_share,var_cost,value,co2\n"
        "E,slag,1,0,12,0\nA,slag,1,0,10,1000\nB,slag,1,0,8,1000\nC,slag,1,0,6,1000\n",
        encoding="utf-8",
    )
    scenario = tmp_path / "co2.yaml"
    scenario.write_text(
        "name: co2\ncase: case\nyears: [2026, 2027, 2028]\ndiscount_rate: 0\n", encoding="utf-8"
    )
    return scenario


def test_pareto_floor_per_year(co2_scenario: Path, tmp_path: Path) -> None:
    """The floor holds every year. At least cost (A 2026, B and C 2027) the years avoid
    1,000 / 3,000 / 3,000 t: least year 1,000. 2026 can avoid at most 2,000 (A and C, B not
    yet available): with C built in 2026 the years avoid 2,000 / 3,000 / 2,000, so the most
    every year can meet is 2,000. A floor of 1,500 needs C in 2026 taking 2026's 500 t gap:
    the runner-up plan, 16,300 (EXPECTED.md); 2,000 needs C to take 500 t more from E, 6 CNY/t
    dearer (E's value 12 against C's 6): 16,300 + 3,000 = 19,300."""
    result = pareto_front(load_scenario(co2_scenario), 3, tmp_path / "front", NO_REPORT)
    table = result.table
    assert result.co2_range == pytest.approx((1000.0, 2000.0))
    assert table["status"].tolist() == ["optimal"] * 3
    assert table["co2_avoided_t"].tolist() == pytest.approx([1000.0, 1500.0, 2000.0])
    assert table["objective"].tolist() == pytest.approx([-1700.0, 16_300.0, 19_300.0], abs=0.01)
    assert table["on_front"].tolist() == [True, True, True]
    assert table["epsilon_t"].iloc[1] == pytest.approx(1500.0)
    assert table["co2_avoided_total_t"].tolist() == pytest.approx([7000.0, 6500.0, 7000.0])
    assert table["co2_avoided_t_2026"].tolist() == pytest.approx([1000.0, 1500.0, 2000.0])
    assert table["co2_avoided_t_2028"].tolist() == pytest.approx([3000.0, 2000.0, 2000.0])
    assert table["built_2026"].tolist() == ["A", "A C", "A C"]
    assert (result.out_dir / "points" / "co2-pareto-max-co2" / "summary.json").is_file()
    assert "co2_avoided_t_2027" in pd.read_csv(result.csv).columns


# --------------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------------
def test_sweep_of_a_multi_year_scenario(tmp_path: Path) -> None:
    """rate0.yaml at r = 0 and 0.1 (EXPECTED.md): the discounted objective and each year's
    cost, delivery and builds; the terminal table shows the dimension, not the year columns."""
    base = load_scenario(YEARS / "rate0.yaml")
    points = grid_points(sets=[parse_set("discount_rate=0,0.1")])
    result = run_sweep(base, points, tmp_path / "sweep", NO_REPORT)
    table = result.table.set_index("discount_rate")
    assert table["objective"].tolist() == pytest.approx([-1700.0, -1736.8061602])
    assert table.loc[0.1, "cost_2026"] == pytest.approx(-21_372.5460512)
    assert table.loc[0.1, "cost_2027"] == pytest.approx(11_313.9263181)
    assert table.loc[0.0, "cost_2028"] == pytest.approx(10_150.0)
    assert table["delivered_target_t_2026"].tolist() == pytest.approx([3500.0, 3500.0])
    assert table["built_2026"].tolist() == ["A", "A"]
    assert table["built_2027"].tolist() == ["B;C", "B;C"]
    assert table["capex_built_2027"].tolist() == pytest.approx([8100.0, 8100.0])
    written = pd.read_csv(result.csv)
    assert list(written.columns[-3:]) == ["built_2026", "built_2027", "built_2028"]
    headers = [str(c.header) for c in sweep_table(result.table).columns]
    assert not any(h.startswith(("cost_", "built_")) for h in headers)


def test_year_columns_of_a_single_period_run() -> None:
    assert year_columns({"objective": 1.0, "built": []}) == {}
    assert year_columns({"years": [2026], "objective": None}) == {}
