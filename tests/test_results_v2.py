"""Model v2, results over years and chains of plants (symbiosis.results): the run folder of a
multi-year run (``year`` columns, plan.csv, the horizon's figures in summary.json and
kpis.csv), of a case with chained outputs (``from_facility``, ``produced_by``,
``chained_outputs``), and a v1 run folder as it was.

The figures checked are the hand-solved optima of tests/cases/years_build, years_supply and
chains (EXPECTED.md beside each case).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from symbiosis.generate import generate_case
from symbiosis.options import RunOptions
from symbiosis.results import PLAN_COLUMNS, read_run_folder
from symbiosis.runner import RunOutcome, run_scenario
from symbiosis.scenario import Scenario, load_scenario

CASES = Path(__file__).resolve().parent / "cases"
EXACT = RunOptions(solver={"mip_rel_gap": 0.0})


def _run(scenario: Scenario | Path, out: Path) -> RunOutcome:
    if isinstance(scenario, Path):
        scenario = load_scenario(scenario)
    outcome = run_scenario(scenario, out, options=EXACT)
    assert outcome.solution is not None and outcome.solution.has_solution
    return outcome


def _kpi(kpis: pd.DataFrame, kpi: str, year: int | None, key: str = "") -> float:
    at = (kpis["kpi"] == kpi) & (kpis["key"] == key)
    at &= kpis["year"].isna() if year is None else (kpis["year"] == year)
    assert at.sum() == 1, (kpi, year, key)
    return float(kpis.loc[at, "value"].iloc[0])


def _check_horizon(outcome: RunOutcome, out: Path) -> dict:
    """The objective is HiGHS's, the discounted sum of the years' costs, the sum of its
    parts; each year's parts add up to its cost; kpis.csv says the same."""
    summary = outcome.results.summary
    assert outcome.solution is not None
    years = summary["years"]
    assert summary["objective"] == pytest.approx(outcome.solution.objective, rel=1e-9, abs=1e-6)
    assert summary["objective"] == pytest.approx(
        sum(summary["discounted_cost_by_year"].values()), rel=1e-9, abs=1e-6
    )
    assert summary["objective"] == pytest.approx(
        sum(summary["cost_parts"].values()), rel=1e-12, abs=1e-9
    )
    rate = outcome.scenario.discount_rate
    kpis = read_run_folder(out).kpis
    assert _kpi(kpis, "total_cost", None) == pytest.approx(summary["objective"], rel=1e-9)
    for year in years:
        cost = summary["cost_by_year"][str(year)]
        factor = (1 + rate) ** -(year - years[0])
        assert summary["discounted_cost_by_year"][str(year)] == pytest.approx(cost * factor)
        assert _kpi(kpis, "total_cost", year) == pytest.approx(cost, rel=1e-9, abs=1e-6)
        parts = kpis[(kpis["kpi"] == "cost_part") & (kpis["year"] == year)]["value"]
        assert parts.sum() == pytest.approx(cost, rel=1e-9, abs=1e-6)
    return summary


def test_discounted_objective_is_highs_and_the_years_discounted_costs(tmp_path: Path) -> None:
    outcome = _run(CASES / "years_build" / "rate10.yaml", tmp_path / "run")
    summary = _check_horizon(outcome, tmp_path / "run")
    # EXPECTED.md: -1,736.8061603 = -21,372.5460512 + 11,313.9263181 / 1.1 + ... / 1.21
    assert summary["objective"] == pytest.approx(-1736.8061603, abs=1e-4)
    assert summary["cost_by_year"] == pytest.approx(
        {"2026": -21372.5460512, "2027": 11313.9263181, "2028": 11313.9263181}, abs=1e-4
    )
    assert summary["delivered_by_year"] == pytest.approx(
        {"2026": 3500.0, "2027": 3000.0, "2028": 3000.0}, abs=1e-6
    )
    assert summary["foresight"] == "perfect"
    assert summary["years"] == [2026, 2027, 2028]


def test_myopic_run_reports_its_foresight_and_the_horizon_objective(tmp_path: Path) -> None:
    outcome = _run(CASES / "myopic" / "myopic.yaml", tmp_path / "run")
    summary = _check_horizon(outcome, tmp_path / "run")
    assert summary["foresight"] == "myopic"
    assert [b["year"] for b in summary["build_plan"]] == [2026, 2027]


@pytest.mark.parametrize("seed", [3, 5])
def test_generated_multi_year_objective_adds_up(tmp_path: Path, seed: int) -> None:
    generated = generate_case(tmp_path / "case", 14, seed=seed)
    scenario = load_scenario(generated.scenario).model_copy(
        update={"years": [2026, 2027, 2029], "discount_rate": 0.08}
    )
    outcome = _run(scenario, tmp_path / "run")
    summary = _check_horizon(outcome, tmp_path / "run")
    run = read_run_folder(tmp_path / "run")
    # each year's facilities: annual cost of the active candidates, nothing else
    for year in summary["years"]:
        fac = run.facilities[run.facilities["year"] == year]
        candidates = fac[fac["status"] == "candidate"]
        assert (candidates.loc[candidates["built"] == 0, "annual_cost"] == 0).all()
        new = _kpi(run.kpis, "cost_part", year, "capex_annualised")
        fixed_new = candidates.loc[candidates["built"] == 1, "fixed_opex"].sum()
        assert candidates["annual_cost"].sum() == pytest.approx(new + fixed_new, rel=1e-9)


def test_soft_targets_over_years_objective_with_penalty_is_highs(tmp_path: Path) -> None:
    scenario = load_scenario(CASES / "years_build" / "rate10.yaml")
    target = scenario.target.model_copy(update={"total": {2026: 5000.0}, "penalty": 100.0})
    outcome = _run(scenario.model_copy(update={"target": target}), tmp_path / "run")
    summary = outcome.results.summary
    assert outcome.solution is not None
    # 2026 can deliver at most 4,000 t of slag: 1,000 t short, at 100 CNY/t (2026: D = 1)
    assert summary["shortfall_penalty"] == pytest.approx(100.0 * 1000.0, rel=1e-9)
    assert summary["objective_with_penalty"] == pytest.approx(outcome.solution.objective, rel=1e-9)
    assert summary["objective"] == pytest.approx(
        sum(summary["discounted_cost_by_year"].values()), rel=1e-9
    )
    (target_2026,) = summary["targets"]
    assert target_2026["year"] == 2026 and target_2026["name"] == "total@2026"


def test_plan_csv_lists_the_builds_with_their_years(tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = _run(CASES / "years_build" / "target_by_year.yaml", out)
    summary = outcome.results.summary
    assert summary["objective"] == pytest.approx(16300.0, abs=1e-4)
    run = read_run_folder(out)
    assert run.missing == ()
    plan = run.plan
    assert list(plan.columns) == list(PLAN_COLUMNS)
    got = {r.facility: (r.year, r.active_until) for r in plan.itertuples()}
    # A (lifetime 10) 2026 -> 2028; C (lifetime 2) built 2026 lapses after 2027; B 2027
    assert got == {"A": (2026, 2028), "B": (2027, 2028), "C": (2026, 2027)}
    assert plan["year"].tolist() == sorted(plan["year"].tolist())
    assert set(plan.loc[plan["facility"] == "C", "capex"]) == {2100.0}
    assert summary["build_plan"] == [
        {"facility": "A", "year": 2026, "capacity": 1000.0, "capex": 10000.0},
        {"facility": "C", "year": 2026, "capacity": 1000.0, "capex": 2100.0},
        {"facility": "B", "year": 2027, "capacity": 1000.0, "capex": 6000.0},
    ]
    assert run.build_years == {"A": 2026, "C": 2026, "B": 2027}
    assert summary["built"] == ["A", "B", "C"]
    # plan.csv is this run's output (listed in the manifest) like the other files
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = manifest["symbiosis_outputs"]
    assert "plan.csv" in entry["files"]
    # facilities.csv: one row per year and facility; built = active that year
    fac = run.facilities.set_index(["year", "facility"])
    assert fac.loc[(2028, "C"), "built"] == 0 and fac.loc[(2028, "C"), "build_year"] == 2026
    assert fac.loc[(2026, "B"), "built"] == 0 and fac.loc[(2026, "B"), "build_year"] == 2027
    assert fac.loc[(2027, "E"), "built"] == 0  # retire_year 2027
    assert fac["build_year"].isna()[(2026, "E")] and fac.loc[(2026, "E"), "built"] == 1
    assert fac.loc[(2027, "C"), "annual_cost"] == pytest.approx(1050.0)  # 2,100 / 2, r = 0
    assert fac.loc[(2028, "C"), "annual_cost"] == 0.0
    flows = run.flows.groupby(["year", "facility"])["delivered"].sum()
    assert flows[(2026, "C")] == pytest.approx(500.0) and (2028, "C") not in flows.index
    unused = run.unused.set_index("year")["unused"]
    assert unused.to_dict() == pytest.approx({2026: 0.0, 2027: 1000.0, 2028: 2000.0})
    # per-year targets in their year's rows of kpis.csv
    assert _kpi(run.kpis, "target_delivered", 2026, "total@2026") == pytest.approx(4000.0)


@pytest.mark.parametrize(
    ("name", "left", "drawn_by_year"),
    [("stock_binds", 0.0, [800.0, 500.0, 200.0]), ("two_years", 200.0, [800.0, 500.0])],
)
def test_stock_left_is_the_stock_less_the_draws(
    tmp_path: Path, name: str, left: float, drawn_by_year: list[float]
) -> None:
    out = tmp_path / "run"
    outcome = _run(CASES / "years_supply" / f"{name}.yaml", out)
    (stock,) = outcome.results.summary["stock_left"]
    run = read_run_folder(out)
    from_pile = run.flows[(run.flows["from_site"] == "P")]
    drawn = from_pile.groupby("year")["shipped"].sum()
    assert drawn.tolist() == pytest.approx(drawn_by_year)
    assert stock["site"] == "P" and stock["stream"] == "phosphogypsum"
    assert stock["stock"] == 1500.0
    assert stock["drawn"] == pytest.approx(drawn.sum())
    assert stock["left"] >= 0.0
    assert stock["left"] == pytest.approx(stock["stock"] - stock["drawn"], abs=1e-6)
    assert stock["left"] == pytest.approx(left, abs=1e-6)
    # unused.csv: the pile's yearly offer (800) less that year's draw
    pile = run.unused[run.unused["site"] == "P"]
    assert pile["amount"].tolist() == [800.0] * len(drawn_by_year)
    assert pile["unused"].tolist() == pytest.approx([800.0 - d for d in drawn_by_year])


def test_chained_outputs_say_where_each_output_went(tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = _run(CASES / "chains" / "single.yaml", out)
    summary = outcome.results.summary
    assert summary["objective"] == pytest.approx(1900.0, abs=1e-6)
    assert outcome.solution is not None
    assert summary["objective"] == pytest.approx(outcome.solution.objective, rel=1e-9)
    assert summary["objective"] == pytest.approx(sum(summary["cost_parts"].values()))
    (output,) = summary["chained_outputs"]
    assert (output["facility"], output["stream"]) == ("P", "fly_ash")
    assert [output[k] for k in ("made", "shipped", "unused")] == pytest.approx([500, 500, 0])
    assert output["to"] == [
        {"facility": "Q", "shipped": pytest.approx(500.0), "delivered": pytest.approx(500.0)}
    ]
    run = read_run_folder(out)
    assert "year" not in run.flows.columns and run.plan.empty
    assert list(run.flows.columns[:2]) == ["from_site", "from_facility"]
    by_stream = run.flows.set_index("stream")
    assert by_stream.loc["fly_ash", "from_facility"] == "P"
    assert by_stream.loc["fly_ash", "facility"] == "Q"
    assert by_stream.loc["gangue", "from_facility"] == ""
    unused = run.unused.set_index("stream")
    assert unused.loc["fly_ash", "produced_by"] == "P" and unused.loc["gangue", "produced_by"] == ""
    assert unused.loc["fly_ash", "amount"] == pytest.approx(500.0)  # made


def test_chained_output_left_unused_pays_disposal_and_tax(tmp_path: Path) -> None:
    outcome = _run(CASES / "chains" / "single_none.yaml", tmp_path / "run")
    summary = outcome.results.summary
    # 500 t of fly ash left at 8 + 2 CNY/t (EXPECTED.md: 500.00 in all)
    assert summary["cost_parts"]["disposal"] == pytest.approx(4000.0)
    assert summary["cost_parts"]["env_tax"] == pytest.approx(1000.0)
    assert summary["objective"] == pytest.approx(500.0, abs=1e-6)
    assert summary["objective"] == pytest.approx(sum(summary["cost_parts"].values()))
    (output,) = summary["chained_outputs"]
    assert output["to"] == [] and output["unused"] == pytest.approx(500.0)


def test_chained_outputs_over_years(tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = _run(CASES / "chains" / "two_years.yaml", out)
    summary = _check_horizon(outcome, out)
    assert summary["objective"] == pytest.approx(2518.1818182, abs=1e-6)
    outputs = {o["year"]: o for o in summary["chained_outputs"]}
    assert outputs[2026]["to"] == [] and outputs[2026]["unused"] == pytest.approx(500.0)
    assert outputs[2027]["to"] == [
        {"facility": "Q", "shipped": pytest.approx(500.0), "delivered": pytest.approx(500.0)}
    ]
    run = read_run_folder(out)
    fly_ash = run.flows[run.flows["stream"] == "fly_ash"]
    assert fly_ash[["year", "from_facility", "facility"]].values.tolist() == [[2027, "P", "Q"]]
    assert list(run.unused.columns[:4]) == ["year", "site", "stream", "produced_by"]
    assert run.plan["facility"].tolist() == ["Q"] and run.plan["year"].tolist() == [2027]


def test_a_v1_run_has_no_year_column_and_no_plan(tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = _run(CASES / "tiny" / "scenario.yaml", out)
    assert outcome.results.plan is None
    assert not (out / "plan.csv").exists()
    run = read_run_folder(out)
    assert run.missing == () and run.years == [] and run.build_years == {}
    assert run.plan.empty and list(run.plan.columns) == list(PLAN_COLUMNS)
    for table in (run.flows, run.facilities, run.unused, run.kpis):
        assert "year" not in table.columns
    assert "from_facility" not in run.flows.columns
    assert "produced_by" not in run.unused.columns
    assert "build_year" not in run.facilities.columns
    for key in ("years", "cost_by_year", "build_plan", "stock_left", "chained_outputs"):
        assert key not in outcome.results.summary
    assert outcome.solution is not None
    assert outcome.results.summary["objective"] == pytest.approx(outcome.solution.objective)


# --------------------------------------------------------------------------------------------
# symbiosis compare on multi-year runs
# --------------------------------------------------------------------------------------------
def test_compare_two_multi_year_runs_shows_build_years_and_cost_by_year(tmp_path: Path) -> None:
    from symbiosis.compare import compare_runs
    from symbiosis.report import write_report

    a, b = tmp_path / "rate0", tmp_path / "target"
    _run(CASES / "years_build" / "rate0.yaml", a)
    _run(CASES / "years_build" / "target_by_year.yaml", b)
    comparison = compare_runs([a, b])
    la, lb = comparison.labels
    projects = comparison.projects.set_index("facility")
    # C: 2027 in rate0, 2026 with the 2026 target (EXPECTED.md); A and B the same years
    assert projects.loc["C", f"build year: {la}"] == 2027
    assert projects.loc["C", f"build year: {lb}"] == 2026
    assert projects.loc["B", f"build year: {lb}"] == 2027
    by_year = comparison.by_year
    cost = by_year.loc[by_year["kpi"] == "cost"].set_index("year")
    assert cost[la].to_dict() == pytest.approx({2026: -22000.0, 2027: 10150.0, 2028: 10150.0})
    assert cost[lb].to_dict() == pytest.approx({2026: -38950.0, 2027: 10150.0, 2028: 45100.0})
    assert cost[f"change: {lb}"].to_dict() == pytest.approx({2026: -16950, 2027: 0, 2028: 34950})
    # the KPIs keep their year: the horizon's total and each year's are different rows
    kpis = comparison.kpis
    total = kpis.loc[kpis["kpi"] == "total_cost"]
    assert total["year"].isna().sum() == 1 and sorted(total["year"].dropna()) == [2026, 2027, 2028]
    assert total.loc[total["year"].isna(), lb].iloc[0] == pytest.approx(16300.0)
    text = " ".join(comparison.explanation)
    assert "C 2027 → 2026" in text and "18,000 CNY more" in text
    assert "discounted over 2026-2028" in text
    assert list(comparison.overview["years"]) == ["2026-2028 (3)"] * 2
    for suffix in ("html", "xlsx", "csv"):
        written = write_report(comparison, tmp_path / f"report.{suffix}")
        assert written[0].is_file()
    by_year_csv = pd.read_csv(tmp_path / "report.by_year.csv")
    assert len(by_year_csv) == 9  # three figures x three years
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "By year" in page and "2,026" not in page


def test_compare_v1_runs_has_no_year_tables(tmp_path: Path) -> None:
    from symbiosis.compare import compare_runs

    a, b = tmp_path / "a", tmp_path / "b"
    _run(CASES / "tiny" / "scenario.yaml", a)
    _run(CASES / "max_new" / "two.yaml", b)
    comparison = compare_runs([a, b])
    assert comparison.by_year.empty and "by_year" not in comparison.tables()
    assert "year" not in comparison.kpis.columns
    assert not any(str(c).startswith("build year") for c in comparison.projects.columns)
    assert "years" not in comparison.overview.columns


def test_shadow_prices_over_years_are_in_each_years_money(tmp_path: Path) -> None:
    """Over years a target's shadow price is its dual divided by its year's discount factor
    (CNY per t in that year's money): with every year the same (the prefectures case, its
    lifetimes covering two years), each year's price is the single-period price, whatever
    the discount rate."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    path = Path(__file__).resolve().parent / "cases" / "prefectures" / "scenario.yaml"
    single = run_scenario(load_scenario(path)).results.summary["target_shadow_prices"][
        "prefecture:East"
    ]
    assert single > 0
    years = load_scenario(path).model_copy(update={"years": [2026, 2027]})
    assert years.discount_rate > 0  # else the two would agree anyway
    prices = run_scenario(years, tmp_path / "run").results.summary["target_shadow_prices"]
    assert prices["prefecture:East@2026"] == pytest.approx(single, rel=1e-6)
    assert prices["prefecture:East@2027"] == pytest.approx(single, rel=1e-6)
