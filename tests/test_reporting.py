"""What the terminal and summary.json report: one JSON array for several scenarios; soft
targets' cost, penalty, bound and gap on stated bases; console tables that never cut a number,
on a narrow terminal or piped.

Soft target: tests/cases/tiny_variants/soft.yaml (total 1.2 Mt, penalty 100 CNY/t; at most
1,000,000 t can be delivered): system cost 14,049,529.12, shortfall 200,000 t, penalty
20,000,000, total with penalty 34,049,529.12 (tests/test_model_families.py works it out).
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console
from test_solve_limits import write_hard_case
from typer.testing import CliRunner

import symbiosis.cli as cli
from symbiosis.cli import app
from symbiosis.display import summary_table
from symbiosis.runner import EXIT_OK, run_scenario
from symbiosis.scenario import Scenario, SolverOptions, Target

CASES = Path(__file__).resolve().parent / "cases"
TINY = CASES / "tiny" / "scenario.yaml"
SOFT = CASES / "tiny_variants" / "soft.yaml"
SOFT_COST = 14_049_529.12
SOFT_PENALTY = 20_000_000.0

runner = CliRunner()


def narrow_err(monkeypatch: pytest.MonkeyPatch, width: int) -> StringIO:
    """Send the CLI's console output to a buffer as a piped stream of ``width`` columns."""
    buffer = StringIO()
    monkeypatch.setattr(cli, "err", Console(file=buffer, width=width, highlight=False))
    return buffer


def rendered(renderable: Any, width: int) -> str:
    """``renderable`` as printed through :func:`print_table` on a piped console."""
    from symbiosis.display import print_table

    buffer = StringIO()
    print_table(Console(file=buffer, width=width, highlight=False), renderable)
    return buffer.getvalue()


def summary_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return data


def line_with(text: str, *parts: str) -> str:
    """The one line of ``text`` holding every part."""
    found = [line for line in text.splitlines() if all(p in line for p in parts)]
    assert len(found) == 1, (parts, text)
    return found[0]


# --------------------------------------------------------------------------------------------
# --json with several scenarios
# --------------------------------------------------------------------------------------------
def test_run_several_json_prints_one_array(tmp_path: Path) -> None:
    """Two scenarios with --json: stdout is one JSON array, one summary.json per scenario in
    the order given."""
    out = tmp_path / "runs"
    result = runner.invoke(app, ["run", str(TINY), str(SOFT), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert isinstance(printed, list)
    assert [s["name"] for s in printed] == ["tiny", "tiny-soft"]
    for summary in printed:
        assert summary == summary_of(out / summary["name"])


# --------------------------------------------------------------------------------------------
# Soft targets: objective, penalty, bound and gap
# --------------------------------------------------------------------------------------------
def test_summary_states_cost_penalty_and_bounds_on_one_basis(tmp_path: Path) -> None:
    """summary.json of a soft target: ``objective`` is the system cost without the penalty,
    ``objective_with_penalty`` what HiGHS minimised, ``bound_with_penalty`` HiGHS's bound on
    it, never above it; ``bound`` (a bound on ``objective``) is null, as HiGHS proves none.
    Of a hard target: ``bound`` <= ``objective``, and no with-penalty keys."""
    for scenario in (SOFT, TINY):
        result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / scenario.stem)])
        assert result.exit_code == 0, result.output
    s = summary_of(tmp_path / SOFT.stem)
    assert s["objective"] == pytest.approx(SOFT_COST, abs=0.01)
    assert s["shortfall_penalty"] == pytest.approx(SOFT_PENALTY)
    assert s["objective_with_penalty"] == pytest.approx(SOFT_COST + SOFT_PENALTY, abs=0.01)
    assert s["bound"] is None
    with_penalty = s["objective_with_penalty"]
    assert s["bound_with_penalty"] <= with_penalty + 1e-9 * abs(with_penalty)
    assert s["bound_with_penalty"] == pytest.approx(with_penalty, rel=2e-4)
    assert s["mip_gap"] is not None and 0 <= s["mip_gap"] <= 1e-4

    hard = summary_of(tmp_path / TINY.stem)
    assert hard["bound"] <= hard["objective"] + 1e-9 * abs(hard["objective"])
    assert not {"shortfall_penalty", "objective_with_penalty", "bound_with_penalty"} & set(hard)


def test_soft_target_stopped_early_gap_matches_objective_and_bound(tmp_path: Path) -> None:
    """A soft target on the generated hard case (tests/test_solve_limits.py), stopped by a
    0.5 s time limit with a gap: the gap is (objective_with_penalty - bound_with_penalty) /
    |objective_with_penalty|, the bound is below the objective it bounds."""
    folder = tmp_path / "hard"
    supply = write_hard_case(folder)
    scenario = Scenario(
        name="hard-soft",
        case=folder,
        target=Target(total=2 * supply, penalty=30),
        solver=SolverOptions(time_limit=0.5),
    )
    outcome = run_scenario(scenario)
    assert outcome.exit_code == EXIT_OK
    s = outcome.results.summary
    assert s["status"] in ("feasible", "optimal")
    assert s["bound"] is None
    with_penalty, bound = s["objective_with_penalty"], s["bound_with_penalty"]
    assert with_penalty == pytest.approx(s["objective"] + s["shortfall_penalty"], rel=1e-12)
    assert s["shortfall_penalty"] == pytest.approx(30 * s["targets"][0]["shortfall"])
    assert s["targets"][0]["shortfall"] >= supply * (1 - 1e-9)  # the target is twice supply
    assert bound <= with_penalty + 1e-9 * abs(with_penalty)
    assert s["mip_gap"] == pytest.approx((with_penalty - bound) / abs(with_penalty), abs=1e-6)


def test_console_summary_shows_penalty_and_shortfall(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The end-of-run table of a soft target: the cost, the penalty paid, the total with it,
    and the shortfall of the target."""
    buffer = narrow_err(monkeypatch, 100)
    result = runner.invoke(app, ["run", str(SOFT), "--out", str(tmp_path / "soft")])
    text = buffer.getvalue()
    assert result.exit_code == 0, result.output + text
    assert "14,049,529" in line_with(text, "total annual cost")
    assert "20,000,000" in line_with(text, "shortfall penalty")
    assert "34,049,529" in line_with(text, "│ cost with penalty")
    assert "short by 0.200 Mt" in line_with(text, "target total")


def test_batch_table_shows_the_shortfall(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two scenarios, one short of its soft target: its row says so, with the penalty."""
    buffer = narrow_err(monkeypatch, 300)
    result = runner.invoke(app, ["run", str(TINY), str(SOFT), "--out", str(tmp_path / "runs")])
    text = buffer.getvalue()
    assert result.exit_code == 0, result.output + text
    table = text[text.index("symbiosis: 2 scenarios") :]
    soft = line_with(table, "tiny-soft")
    assert "optimal (short 0.200 Mt)" in soft
    assert "20,000,000" in soft
    hard = line_with(table, "tiny ")
    assert "short" not in hard and "optimal" in hard


# --------------------------------------------------------------------------------------------
# Narrow or piped consoles: numbers never cut
# --------------------------------------------------------------------------------------------
WIDTHS = (60, 40, 24)


def soft_summary() -> dict[str, Any]:
    return dict(run_scenario(Scenario.model_validate(_soft_mapping())).results.summary)


def _soft_mapping() -> dict[str, Any]:
    return {
        "name": "a-rather-long-scenario-name-for-a-narrow-terminal",
        "case": CASES / "tiny" / "case",
        "target": {"total": 1_200_000, "penalty": 100},
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_summary_table_never_cuts_numbers_or_names(width: int) -> None:
    s = soft_summary()
    text = rendered(summary_table(s), width)
    assert "…" not in text
    numbers = ["14,049,529", "20,000,000", "34,049,529", "-32,000,000", "13,949,529", "37,040"]
    for number in numbers:
        assert number in text, (number, text)
    for name in ("capex_annualised", "stock_left", "fixed_opex"):
        assert name in text, (name, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_batch_table_never_cuts_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int
) -> None:
    """The batch table through the command, piped at ``width`` columns."""
    buffer = narrow_err(monkeypatch, width)
    result = runner.invoke(app, ["run", str(TINY), str(SOFT), "--out", str(tmp_path / "r")])
    text = buffer.getvalue()
    assert result.exit_code == 0, result.output + text
    table = text[text.index("symbiosis: 2 scenarios") :]
    assert "…" not in table
    assert table.count("14,049,529") == 2
    assert "20,000,000" in table
    assert table.count("1.000 Mt") == 2


def sweep_frame() -> pd.DataFrame:
    """Rows as sweep.csv has them: a target and a scale factor vary, a discount rate does
    not."""
    rows = []
    for i, (target, factor) in enumerate([(6e7, 0.8), (6e7, 1.2), (1e8, 0.8), (1e8, 1.2)]):
        rows.append(
            {
                "name": f"point-{i + 1}",
                "target_t": target,
                "status": "optimal",
                "objective": 1_428_190_123.0 + 1_000_000 * i,
                "mip_gap": 9.96e-05,
                "bound": 1_428_000_000.0,
                "n_built": 10,
                "built": "GZ-B-LPS;GZ-B-PZ;GZ-B-QZ",
                "discount_rate": 0.06,
                "overrides.scale.modes.cost_per_unit_km": factor,
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_table_shows_varied_keys_and_never_cuts_numbers(width: int) -> None:
    from symbiosis.display import sweep_table

    text = rendered(sweep_table(sweep_frame()), width)
    assert "…" not in text
    for i in range(4):
        assert f"1,{428 + i},190,123" in text, text
    assert "9.96e-05" in text
    # the dimensions that vary are columns, their values intact; the constant one is not
    assert "cost_per_unit_km" in text and "target" in text
    assert "discount_rate" not in text
    assert text.count("60.000 Mt") == 2 and text.count("100.000 Mt") == 2
    for factor in ("0.8", "1.2"):
        assert len(re.findall(rf"(?<![\d.,]){re.escape(factor)}(?!\d)", text)) == 2, text
    for name in sweep_frame()["name"]:
        assert name in text


@pytest.mark.parametrize("width", WIDTHS)
def test_frame_table_never_cuts_numbers(width: int) -> None:
    from symbiosis.display import frame_table

    frame = pd.DataFrame(
        {
            "target_t": [60e6, 65e6],
            "status": ["optimal", "feasible"],
            "objective": [1_428_190_123.4, 1_512_345_678.9],
            "marginal_cost_cny_per_t": [48.96, 1234.5],
            "built": ["GZ-B-LPS GZ-B-PZ", "GZ-B-LPS GZ-B-PZ GZ-B-QZ"],
        }
    )
    columns = {
        "target_t": "tonnes",
        "status": "text",
        "objective": "money",
        "marginal_cost_cny_per_t": "price",
        "built": "text",
    }
    text = rendered(frame_table("target-cost curve", frame, columns), width)
    assert "…" not in text
    for number in ("60.000 Mt", "65.000 Mt", "1,428,190,123", "1,512,345,679", "48.96", "1,234.50"):
        assert number in text, (number, text)
    for name in ("GZ-B-LPS", "GZ-B-QZ", "feasible"):
        assert name in text, (name, text)


def test_cli_sweep_table_on_a_narrow_pipe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``symbiosis sweep`` on the tiny case (optima in tests/test_sweep.py), piped at 40
    columns: the progress line and the table cut nothing, and the table has a column for each
    dimension that varies (target, discount_rate) but none for one that does not."""
    buffer = narrow_err(monkeypatch, 40)
    args = ["sweep", str(TINY), "--targets", "100000,900000", "--set", "discount_rate=0.06,0.5"]
    args += ["--scale", "modes.cost_per_unit_km=1", "--serial", "--no-report"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "sw")])
    text = buffer.getvalue()
    assert result.exit_code == 0, result.output + text
    assert "…" not in text
    table = text[text.index(" sweep ") :]
    assert "discount_rate" in table and "target" in table
    assert "cost_per_unit_km" not in line_with(table, "discount_rate")
    for objective in ("14,049,529", "33,050,000", "80,124,066"):
        assert objective in table
    assert table.count("0.100 Mt") == 2 and table.count("0.900 Mt") == 2
    assert "4/4" in text  # the progress count, whole


def test_summary_table_of_a_multi_year_run(tmp_path: Path) -> None:
    """Over years the end-of-run table shows the horizon, the discounted total and each
    year's cost and delivery, the build year of each project and the stock left."""
    from rich.console import Console

    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    cases = Path(__file__).resolve().parent / "cases"
    summary = run_scenario(load_scenario(cases / "years_supply" / "two_years.yaml")).results.summary
    console = Console(width=200, record=True)
    console.print(summary_table(summary))
    text = console.export_text()
    assert "discounted total cost" in text and "total annual cost" not in text
    assert "cost 2026" in text and "cost 2027" in text and "delivered 2027" in text
    assert "stock left P phosphogypsum" in text and "200 t" in text
    summary = run_scenario(load_scenario(cases / "years_build" / "rate0.yaml")).results.summary
    console = Console(width=200, record=True)
    console.print(summary_table(summary))
    assert "A (2026), B (2027), C (2027)" in console.export_text()
