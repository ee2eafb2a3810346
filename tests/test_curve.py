"""Target-cost curve, shadow prices of targets, and the cost-CO2 front on the kink case.

The kink case (tests/cases/kink/EXPECTED.md): 1,000,000 t/yr of slag; an existing kiln K1
takes up to 400,000 t at 10 CNY/t (10 kg CO2/t avoided); a candidate mill P (1,000,000
CNY/yr if built) takes up to 600,000 t at 30 CNY/t (50 kg/t). Leaving slag costs nothing.

* Curve: C(T) = 10 T up to 400,000 t, then 5,000,000 + 30 (T - 400,000). With levels
  100,000 ... 800,000 every 100,000 and a lead-in at 0, the marginal cost of each step is
  10, 10, 10, 10, then 40 (P's annuity in the step: 30 + 1e6 / 1e5), then 30, 30, 30.
* Shadow price at a fixed portfolio: 10 below 400,000 t (K1 has room), 30 above (P has).
* Front at T = 400,000 t: (4,000 t, 4.0 M), (14,000 t, 10.0 M), (24,000 t, 15.4 M),
  (34,000 t, 23.0 M) for 4 points.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import CASES
from typer.testing import CliRunner

from symbiosis.case import InputError
from symbiosis.cli import app
from symbiosis.curve import CURVE_COLUMNS, CurveResult, parse_levels, target_curve
from symbiosis.pareto import ParetoResult, non_dominated, pareto_front
from symbiosis.runner import EXIT_OK, run_scenario
from symbiosis.scenario import StreamTarget, load_scenario

KINK = CASES / "kink"


def cost(target: float) -> float:
    """C(T) of EXPECTED.md."""
    return 10 * target if target <= 400_000 else 5e6 + 30 * (target - 400_000)


# --------------------------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("100000:400000:100000", [1e5, 2e5, 3e5, 4e5]),
        ("60e6:70e6:5e6", [60e6, 65e6, 70e6]),
        ("60e6:71e6:5e6", [60e6, 65e6, 70e6]),  # STOP not on the grid: not passed
        ("3e5, 1e5,2e5", [1e5, 2e5, 3e5]),
        ("1_000_000", [1e6]),
    ],
)
def test_parse_levels(text: str, levels: list[float]) -> None:
    assert parse_levels(text) == pytest.approx(levels)


@pytest.mark.parametrize("text", ["1:2", "5:1:1", "1:5:0", "a,b", "-1,2", "", "0:1e9:1"])
def test_parse_levels_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_levels(text)


# --------------------------------------------------------------------------------------------
# Shadow prices
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("total", "price"), [(300_000, 10.0), (600_000, 30.0)])
def test_shadow_price_of_the_total_target(total: float, price: float) -> None:
    scenario = load_scenario(KINK / "scenario.yaml")
    scenario.target.total = total
    outcome = run_scenario(scenario)
    summary = outcome.results.summary
    assert summary["objective"] == pytest.approx(cost(total))
    assert summary["target_shadow_price_cny_per_t"] == pytest.approx(price)
    assert summary["targets"][0]["shadow_price"] == pytest.approx(price)
    kpis = outcome.results.kpis.set_index(["kpi", "key"])
    assert kpis.at[("target_shadow_price", "total"), "value"] == pytest.approx(price)
    assert kpis.at[("target_shadow_price", "total"), "unit"] == "CNY/t"


def test_shadow_price_of_a_stream_target() -> None:
    """A stream target of 300,000 t of slag: the kiln takes it at 10 CNY/t."""
    scenario = load_scenario(KINK / "scenario.yaml")
    scenario.target.streams = {"slag": StreamTarget(amount=300_000)}
    summary = run_scenario(scenario).results.summary
    assert summary["target_shadow_prices"] == {"slag": pytest.approx(10.0)}
    assert summary["target_shadow_price_cny_per_t"] is None  # no total target


def test_shadow_price_of_a_target_that_does_not_bind_is_zero(tiny_scenario: Path) -> None:
    """The tiny case delivers 1,000,000 t against a 900,000 t target (cheaper than leaving
    phosphogypsum at 55 CNY/t), so one more tonne of target costs nothing."""
    summary = run_scenario(load_scenario(tiny_scenario)).results.summary
    assert summary["delivered_target_t"] == pytest.approx(1e6)
    assert summary["target_shadow_price_cny_per_t"] == 0.0


def test_shadow_price_of_a_soft_target_is_the_penalty() -> None:
    """1,100,000 t asked, 1,000,000 t exist, 25 CNY per missing tonne: K1 takes 400,000 t
    (10 < 25), P is not worth building (30 > 25), 700,000 t are missing; one more tonne of
    target costs 25 more."""
    scenario = load_scenario(KINK / "scenario.yaml")
    scenario.target.total = 1_100_000
    scenario.target.penalty = 25
    summary = run_scenario(scenario).results.summary
    assert summary["objective"] == pytest.approx(4e6)
    assert summary["objective_with_penalty"] == pytest.approx(4e6 + 700_000 * 25)
    assert summary["target_shadow_price_cny_per_t"] == pytest.approx(25.0)


def test_shadow_price_is_written_to_every_run_folder(tmp_path: Path) -> None:
    scenario = load_scenario(KINK / "scenario.yaml")
    run_scenario(scenario, tmp_path / "no-target")
    summary = json.loads((tmp_path / "no-target" / "summary.json").read_text())
    assert summary["target_shadow_price_cny_per_t"] is None
    assert summary["target_shadow_prices"] == {}
    manifest = json.loads((tmp_path / "no-target" / "manifest.json").read_text())
    assert "shadow price" not in manifest["timings_s"]  # no target, no LP
    scenario.target.total = 500_000
    run_scenario(scenario, tmp_path / "target")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert manifest["timings_s"]["shadow price"] >= 0


# --------------------------------------------------------------------------------------------
# The curve
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def curve(tmp_path_factory: pytest.TempPathFactory) -> CurveResult:
    out = tmp_path_factory.mktemp("curve")
    return target_curve(
        load_scenario(KINK / "scenario.yaml"), parse_levels("100000:800000:100000"), out
    )


def test_curve_finds_the_kink(curve: CurveResult) -> None:
    table = curve.table
    levels = [1e5 * i for i in range(1, 9)]
    assert table["target_t"].tolist() == levels
    assert table["status"].tolist() == ["optimal"] * 8
    assert table["objective"].tolist() == pytest.approx([cost(t) for t in levels])
    assert table["marginal_cost_cny_per_t"].tolist() == pytest.approx(
        [10, 10, 10, 10, 40, 30, 30, 30]
    )
    assert table["built"].tolist() == [""] * 4 + ["P"] * 4
    assert table["added"].tolist() == [""] * 4 + ["P"] + [""] * 3
    assert table["previous_target_t"].tolist() == [0.0, *levels[:-1]]
    shadow = table["shadow_price_cny_per_t"].tolist()
    assert shadow[:3] == pytest.approx([10, 10, 10])  # 400,000 t is degenerate: skipped
    assert shadow[4:] == pytest.approx([30, 30, 30, 30])
    # the kink: where the marginal cost jumps
    jumps = table["marginal_cost_cny_per_t"].diff()
    assert table.loc[jumps.idxmax(), "target_t"] == 500_000
    assert curve.lead_in["target_t"] == 0.0
    assert curve.lead_in["objective"] == pytest.approx(0.0)
    assert curve.exit_code == EXIT_OK


def test_curve_files(curve: CurveResult) -> None:
    written = pd.read_csv(curve.csv, keep_default_na=False)
    assert tuple(written.columns) == CURVE_COLUMNS
    assert list(written.columns[:5]) == [
        "target_t",
        "status",
        "objective",
        "marginal_cost_cny_per_t",
        "built",
    ]
    assert written["marginal_cost_cny_per_t"].astype(float).tolist() == pytest.approx(
        [10, 10, 10, 10, 40, 30, 30, 30]
    )
    points = sorted(p.name for p in (curve.out_dir / "points").iterdir())
    assert len(points) == 9  # 8 levels and the lead-in
    assert "kink-target-0-lead-in" in points
    for run_dir in written["run_dir"]:
        summary = json.loads((Path(run_dir) / "summary.json").read_text())
        assert summary["status"] == "optimal"
    assert curve.png is not None and curve.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert curve.html is not None
    page = curve.html.read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in page
    assert not re.search(r'(src|href)="(?!data:)', page)


def test_curve_past_the_supply_reports_infeasible_levels(tmp_path: Path) -> None:
    """Levels 0.9, 1.0, 1.1 Mt: the last is beyond the 1,000,000 t that exist."""
    result = target_curve(
        load_scenario(KINK / "scenario.yaml"), [900_000, 1_000_000, 1_100_000], tmp_path
    )
    table = result.table
    assert table["status"].tolist() == ["optimal", "optimal", "infeasible"]
    assert table["objective"].tolist()[:2] == pytest.approx([cost(9e5), cost(1e6)])
    assert table["marginal_cost_cny_per_t"].tolist()[:2] == pytest.approx([30, 30])
    assert pd.isna(table["marginal_cost_cny_per_t"].iloc[2])
    assert result.exit_code == EXIT_OK


def test_cli_curve(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "curve",
            str(KINK / "scenario.yaml"),
            "--targets",
            "300000:500000:100000",
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "point 4/4" in result.output  # the lead-in and three levels
    table = pd.read_csv(tmp_path / "c" / "curve.csv")
    assert table["marginal_cost_cny_per_t"].tolist() == pytest.approx([10, 10, 40])
    assert (tmp_path / "c" / "curve.png").is_file()
    assert (tmp_path / "c" / "curve.html").is_file()


def test_cli_curve_bad_targets() -> None:
    result = CliRunner().invoke(
        app, ["curve", str(KINK / "scenario.yaml"), "--targets", "5:1:1", "--out", "x"]
    )
    assert result.exit_code == 2
    assert "STOP is below START" in result.output


# --------------------------------------------------------------------------------------------
# The cost-CO2 front
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> ParetoResult:
    return pareto_front(load_scenario(KINK / "pareto.yaml"), 4, tmp_path_factory.mktemp("pareto"))


def test_pareto_points_as_worked_out_by_hand(front: ParetoResult) -> None:
    table = front.table
    assert front.co2_range == pytest.approx((4_000, 34_000))
    assert table["status"].tolist() == ["optimal"] * 4
    assert table["co2_avoided_t"].tolist() == pytest.approx([4_000, 14_000, 24_000, 34_000])
    assert table["objective"].tolist() == pytest.approx([4e6, 10e6, 15.4e6, 23e6], rel=1e-6)
    assert table["built"].tolist() == ["", "P", "P", "P"]
    assert table["epsilon_t"].tolist()[1:] == pytest.approx([14_000, 24_000, 34_000])


def test_pareto_points_are_non_dominated_and_ordered(front: ParetoResult) -> None:
    table = front.table
    assert table["on_front"].tolist() == [True] * 4
    cost, co2 = table["objective"].tolist(), table["co2_avoided_t"].tolist()
    assert cost == sorted(cost) and co2 == sorted(co2)
    for i in range(len(cost)):
        for j in range(len(cost)):
            if i != j:
                assert not (cost[j] <= cost[i] and co2[j] >= co2[i]), (i, j)


def test_pareto_files(front: ParetoResult) -> None:
    assert front.csv is not None
    written = pd.read_csv(front.csv, keep_default_na=False)
    assert list(written.columns[:7]) == [
        "point",
        "epsilon_t",
        "co2_avoided_t",
        "objective",
        "built",
        "status",
        "on_front",
    ]
    for run_dir in written["run_dir"]:
        summary = json.loads((Path(run_dir) / "summary.json").read_text())
        assert summary["status"] == "optimal"
    assert front.png is not None and front.png.is_file()
    assert front.html is not None and "data:image/png;base64," in front.html.read_text()


def test_non_dominated_flags_a_dominated_point() -> None:
    # point 2 costs more than point 3 and avoids less CO2
    assert non_dominated([1.0, 3.0, 2.0, 4.0], [10.0, 15.0, 20.0, 30.0]) == [
        True,
        False,
        True,
        True,
    ]
    # equal points do not dominate each other
    assert non_dominated([1.0, 1.0], [5.0, 5.0]) == [True, True]


def test_pareto_without_trade_off(tmp_path: Path) -> None:
    """Everything delivered (1,000,000 t): K1 400,000 t and P 600,000 t is the only
    portfolio, so the cheapest is also the one avoiding the most CO2 (34,000 t): one point."""
    scenario = load_scenario(KINK / "scenario.yaml")
    scenario.target.total = 1_000_000
    result = pareto_front(scenario, 3, tmp_path)
    assert len(result.table) == 1
    assert result.co2_range == pytest.approx((34_000, 34_000))
    assert result.table["objective"].tolist() == pytest.approx([cost(1e6)])


def test_cli_pareto(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["pareto", str(KINK / "pareto.yaml"), "--points", "3", "--out", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "p" / "pareto.csv")
    # epsilon 19,000 t: all 400,000 t moved but 1,000 t -> 5e6 + 0.5 x 15e6
    assert table["objective"].tolist() == pytest.approx([4e6, 12.5e6, 23e6], rel=1e-6)
    assert (tmp_path / "p" / "pareto.png").is_file()


def test_cli_pareto_needs_two_points() -> None:
    result = CliRunner().invoke(app, ["pareto", str(KINK / "pareto.yaml"), "--points", "1"])
    assert result.exit_code == 2
    assert "at least 2 points" in result.output
