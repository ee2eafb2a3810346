"""``symbiosis compare``: two runs with a known difference, and the three report formats.

The runs: the tiny case as it is (P2 built, objective 14,049,529.12, EXPECTED.md) and a
variant with no total target and P2 forbidden. Worked by hand, with AF = 0.06 / (1 - 1.06^-20):

* tiny: 160e6 AF + 3e6 - 1e6 (K) + 8e6 (P2 800,000 t x 10) + 1e5 (links) - 1e7 (heat)
* no-p2: P1 is built (building it saves 45 CNY/t on 500,000 t, more than its annuity):
  100e6 AF + 2e6 - 1e6 + 5e6 (P1 500,000 t x 10) + 1e5 + 300,000 x 55 (left unused) - 1e7

so no-p2 costs 7,268,926.58 CNY/yr more: 60e6 AF less capex, 1e6 less fixed opex,
3e6 less processing at the board line, 16.5e6 more disposal and tax. P1 is built only in
no-p2, P2 only in tiny; the flow A -> P2 falls by 800,000 t and A -> P1 rises by 500,000 t.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import TINY
from typer.testing import CliRunner

from symbiosis.cli import app
from symbiosis.compare import compare_runs
from symbiosis.report import write_report
from symbiosis.runner import run_scenario
from symbiosis.scenario import Overrides, load_scenario

AF = 0.06 / (1 - 1.06**-20)
COST_TINY = 160e6 * AF + 3e6 - 1e6 + 8e6 + 1e5 - 1e7
COST_NO_P2 = 100e6 * AF + 2e6 - 1e6 + 5e6 + 1e5 + 300_000 * 55 - 1e7


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("compare")
    base = load_scenario(TINY / "scenario.yaml")
    run_scenario(base, root / "tiny")
    variant = load_scenario(TINY / "scenario.yaml")
    variant.name = "no-p2"
    variant.target.total = None
    variant.overrides = Overrides(forbid=["P2"])
    run_scenario(variant, root / "no-p2")
    return root / "tiny", root / "no-p2"


def test_compare_finds_the_known_difference(runs: tuple[Path, Path]) -> None:
    comparison = compare_runs(list(runs))
    assert comparison.labels == ["tiny", "no-p2"]

    kpis = comparison.kpis.set_index(["kpi", "key"])
    assert kpis.at[("total_cost", ""), "tiny"] == pytest.approx(COST_TINY)
    assert kpis.at[("total_cost", ""), "no-p2"] == pytest.approx(COST_NO_P2)
    assert kpis.at[("total_cost", ""), "change: no-p2"] == pytest.approx(COST_NO_P2 - COST_TINY)
    assert kpis.at[("cost_part", "capex_annualised"), "change: no-p2"] == pytest.approx(-60e6 * AF)
    assert kpis.at[("cost_part", "disposal"), "change: no-p2"] == pytest.approx(300_000 * 30)
    assert kpis.at[("cost_part", "env_tax"), "change: no-p2"] == pytest.approx(300_000 * 25)
    assert kpis.at[("delivered_by_stream", "phosphogypsum"), "change: no-p2"] == pytest.approx(
        -300_000
    )
    # delivered by prefecture: the board line is in Guiyang, the kiln in Qiannan
    assert kpis.at[("delivered_target_by_prefecture", "Guiyang"), "no-p2"] == pytest.approx(500_000)
    assert kpis.at[("capex_built", ""), "change: no-p2"] == pytest.approx(-60e6)

    projects = comparison.projects.set_index("facility")
    assert projects.loc["P1", ["tiny", "no-p2"]].tolist() == [0, 1]
    assert projects.loc["P2", ["tiny", "no-p2"]].tolist() == [1, 0]
    assert projects.at["P1", "in"] == "no-p2"
    assert projects.at["P2", "in"] == "tiny"

    flows = comparison.flow_changes.set_index(["from_site", "facility"])
    assert flows.at[("A", "P2"), "change: no-p2"] == pytest.approx(-800_000)
    assert flows.at[("A", "P1"), "change: no-p2"] == pytest.approx(500_000)
    assert comparison.flow_changes.iloc[0]["facility"] == "P2"  # largest first
    assert ("A", "B") not in flows.index  # K's flow did not change

    changes = comparison.scenario_changes.set_index("key")
    assert changes.at["overrides.forbid", "no-p2"] == '["P2"]'
    assert changes.at["target.total", "tiny"] == "900000.0"


def test_the_explanation_names_what_drives_the_difference(runs: tuple[Path, Path]) -> None:
    text = " ".join(compare_runs(list(runs)).explanation)
    assert f"no-p2 costs {COST_NO_P2 - COST_TINY:,.0f} CNY/yr more than tiny" in text
    assert "projects forbidden: none in tiny, P2 in no-p2" in text
    assert "no-p2 builds P1 (gypsum_board, Guiyang, capex 100,000,000 CNY)" in text
    assert "tiny builds P2" in text
    # the biggest cost parts that move, with their signs
    assert "transport -9,000,000" in text
    assert "disposal of waste left unused +9,000,000" in text
    assert "1.000 Mt → 0.700 Mt" in text
    assert "A → P2 (phosphogypsum, road) -800,000 t" in text


def test_xlsx_has_a_sheet_per_table_formats_frozen_headers_and_charts(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    assert write_report(compare_runs(list(runs)), path) == [path]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Overview",
        "KPIs",
        "Cost parts",
        "Projects",
        "Flow changes",
        "Scenario changes",
        "Explanation",
    ]
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("B2", "A2")
        assert all(cell.font.bold for cell in ws[1])
    kpis = wb["KPIs"]
    header = [c.value for c in kpis[1]]
    assert header[:6] == ["Indicator", "Item", "Unit", "tiny", "no-p2", "Change: no-p2"]
    rows = {(r[0].value, r[1].value or ""): r for r in kpis.iter_rows(min_row=2)}
    total = rows[("Total cost", "")]
    assert total[2].value == "CNY/yr"
    assert total[3].value == pytest.approx(COST_TINY)
    assert total[4].value == pytest.approx(COST_NO_P2)
    assert total[3].number_format == "#,##0"
    assert rows[("Shadow price of the target", "total target")][3].number_format == "#,##0.00"
    assert rows[("Cost part", "annualised investment")][3].value == pytest.approx(160e6 * AF)
    overview = wb["Overview"]
    assert [c.value for c in overview["A"]][1:] == ["tiny", "no-p2"]
    assert overview["D1"].value == "MIP gap"
    assert overview["D2"].number_format == "0.00E+00"  # mip_gap
    assert len(overview._charts) == 1
    assert len(wb["Cost parts"]._charts) == 1
    projects = {r[0].value: [c.value for c in r] for r in wb["Projects"].iter_rows(min_row=2)}
    assert projects["P1"][-3:] == [0, 1, "no-p2"]
    assert projects["P2"][-1] == "tiny"
    assert "no-p2 costs" in wb["Explanation"]["A2"].value


def test_html_is_one_self_contained_file(runs: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    assert write_report(compare_runs(list(runs)), path) == [path]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "<style>" in page
    images = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(images) == 3  # cost parts; delivered by stream in t, and in MWh (apart)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    # nothing is fetched from elsewhere
    assert not re.search(r'(src|href)="(?!data:)', page)
    assert "<script" not in page and "<link" not in page
    assert "What drives the difference" in page
    assert f"{COST_NO_P2:,.0f}" in page


def test_csv_writes_the_kpis_and_the_other_tables_beside_it(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "cmp.csv"
    written = write_report(compare_runs(list(runs)), path)
    assert [p.name for p in written] == [
        "cmp.csv",
        "cmp.overview.csv",
        "cmp.cost_parts.csv",
        "cmp.projects.csv",
        "cmp.flow_changes.csv",
        "cmp.scenario_changes.csv",
        "cmp.explanation.txt",
    ]
    kpis = pd.read_csv(path, keep_default_na=False)
    total = kpis.loc[kpis["kpi"] == "total_cost"].iloc[0]
    assert float(total["change: no-p2"]) == pytest.approx(COST_NO_P2 - COST_TINY)


def test_three_runs_compare_against_the_first(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """A third run: the tiny case with capex x1.2 (P2's annuity + 32e6 AF)."""
    third = load_scenario(TINY / "scenario.yaml")
    third.name = "dear"
    third.overrides = Overrides(scale={"facilities.capex": 1.2})
    run_scenario(third, tmp_path / "dear")
    comparison = compare_runs([*runs, tmp_path / "dear"])
    kpis = comparison.kpis.set_index(["kpi", "key"])
    assert kpis.at[("total_cost", ""), "change: dear"] == pytest.approx(32e6 * AF)
    assert "change %" not in comparison.kpis  # only for two runs
    assert comparison.explanation == []
    assert comparison.projects.set_index("facility").at["P2", "in"] == "tiny, dear"


def test_an_infeasible_run_is_compared_without_numbers(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    infeasible = load_scenario(TINY / "scenario.yaml")
    infeasible.name = "too-much"
    infeasible.target.total = 1_200_000
    run_scenario(infeasible, tmp_path / "too-much")
    comparison = compare_runs([runs[0], tmp_path / "too-much"])
    assert "too-much has no solution (status infeasible)" in comparison.explanation[0]
    overview = comparison.overview.set_index("run")
    assert pd.isna(overview.at["too-much", "objective"])
    write_report(comparison, tmp_path / "r.xlsx")
    write_report(comparison, tmp_path / "r.html")


def test_cli_compare(runs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(app, ["compare", *map(str, runs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert "no-p2 costs" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--out", "x.pdf"], "unknown report type '.pdf'; allowed: .xlsx, .html, .csv"),
        (["--out", "x.html", "nowhere"], "no such run folder (write one with `symbiosis run`)"),
    ],
)
def test_cli_compare_bad_input(
    runs: tuple[Path, Path], tmp_path: Path, arguments: list[str], message: str
) -> None:
    extra = [str(tmp_path / a) if a == "nowhere" else a for a in arguments]
    outputs = [str(tmp_path / e) if e.startswith("x.") else e for e in extra]
    result = CliRunner().invoke(app, ["compare", *map(str, runs), *outputs])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_summary_files_are_read_back_as_written(runs: tuple[Path, Path]) -> None:
    summary: dict[str, Any] = json.loads((runs[0] / "summary.json").read_text())
    comparison = compare_runs(list(runs))
    assert comparison.runs[0].summary == summary


def test_overview_shows_the_network_shape(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """The overview carries each run's network statistics (symbiosis.graph, recorded in the
    manifest): the tiny case has 4 supply-facility links and no supply out of reach (its
    tests/test_graph.py hand count); the HTML page shows the columns."""
    comparison = compare_runs(list(runs))
    overview = comparison.overview.set_index("run")
    assert overview["supply_facility_links"].tolist() == [4, 4]
    assert overview["supply_rows_out_of_reach"].tolist() == [0, 0]
    from symbiosis.report import write_report

    page = write_report(comparison, tmp_path / "cmp.html")[0].read_text(encoding="utf-8")
    assert "supply_rows_out_of_reach" in page or "out of reach" in page


def test_a_run_against_itself_has_no_flow_changes(runs: tuple[Path, Path]) -> None:
    """No flow differs: the table is empty and the explanation names no flow (it once had
    rows of NaN: the changes assigned to an empty selection)."""
    comparison = compare_runs([runs[0], runs[0]])
    assert comparison.flow_changes.empty
    text = " ".join(comparison.explanation)
    assert "nan" not in text and "Largest changes in flows" not in text
