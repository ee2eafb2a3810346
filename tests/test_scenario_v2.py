"""Model v2's scenario keys (issue 12): ``years``, ``foresight`` and per-year mappings of
targets and limits, their checks (every message names the key and what is allowed), the
helper ``for_year`` and ``symbiosis run --myopic``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from symbiosis import cli
from symbiosis.case import InputError
from symbiosis.scenario import Scenario, for_year, load_scenario, scenario_from_dict

TINY = Path(__file__).resolve().parent / "cases" / "tiny"


def scenario(data: dict[str, Any]) -> Scenario:
    return scenario_from_dict({"case": "case", **data}, Path("."), "plan.yaml")


def problems(data: dict[str, Any]) -> list[str]:
    """The messages of the problems of an invalid scenario (fails if it is valid)."""
    with pytest.raises(InputError) as info:
        scenario(data)
    assert all(p.file == "plan.yaml" for p in info.value.problems)
    return [p.message for p in info.value.problems]


YEARS = [2026, 2027, 2028, 2029, 2030]


# --------------------------------------------------------------------------------------------
# accepted
# --------------------------------------------------------------------------------------------
def test_a_v1_scenario_has_no_years_and_perfect_foresight() -> None:
    s = scenario({"target": {"total": 900000}})
    assert s.years is None and s.foresight == "perfect"
    assert s.target.total == 900000.0
    assert s.resolved()["years"] is None and s.resolved()["foresight"] == "perfect"


def test_years_and_every_per_year_mapping_are_accepted() -> None:
    s = scenario(
        {
            "years": YEARS,
            "foresight": "myopic",
            "target": {
                "total": {2026: 8.0e7, 2030: "1.2e8"},
                "streams": {"pg": {"amount": {2027: 5}}, "ash": {"share": {2028: 0.5}}},
                "prefectures": {"Bijie": {"share": {2030: 0.6}}, "Liupanshui": {"amount": 2.5e7}},
            },
            "limits": {"max_new_facilities": {2026: 2, 2027: 0}, "capex_budget": {2029: 1e9}},
        }
    )
    assert s.years == YEARS and s.foresight == "myopic"
    assert s.target.total == {2026: 8.0e7, 2030: 1.2e8}
    assert s.target.streams["pg"].amount == {2027: 5.0}
    assert s.target.streams["ash"].share == {2028: 0.5}
    assert s.target.prefectures["Bijie"].share == {2030: 0.6}
    assert s.target.prefectures["Liupanshui"].amount == 2.5e7  # a number: every year
    assert s.limits.max_new_facilities == {2026: 2, 2027: 0}
    assert isinstance(s.limits.max_new_facilities[2026], int)
    assert s.limits.capex_budget == {2029: 1e9}


def test_numbers_stay_numbers_with_years() -> None:
    s = scenario({"years": [2026], "target": {"total": 5}, "limits": {"max_new_facilities": 3}})
    assert s.target.total == 5.0 and s.limits.max_new_facilities == 3


def test_the_resolved_scenario_reads_back_the_same() -> None:
    """manifest.json's scenario (JSON: the years of a mapping become text keys) validates to
    the same scenario."""
    s = scenario({"years": [2026, 2027], "target": {"total": {2027: 3.5}}})
    data = json.loads(json.dumps(s.resolved()))
    assert data["target"]["total"] == {"2027": 3.5}
    again = scenario_from_dict(data, Path("."), "plan.yaml")
    assert again.target.total == {2027: 3.5} and again.years == [2026, 2027]


# --------------------------------------------------------------------------------------------
# rejected, each message naming its key and what is allowed
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"target": {"total": {2026: 1.0}}}, "target.total"),
        ({"target": {"streams": {"pg": {"amount": {2026: 1.0}}}}}, "target.streams.pg.amount"),
        ({"target": {"prefectures": {"B": {"share": {2026: 0.5}}}}}, "target.prefectures.B.share"),
        ({"limits": {"max_new_facilities": {2026: 1}}}, "limits.max_new_facilities"),
        ({"limits": {"capex_budget": {2026: 1e9}}}, "limits.capex_budget"),
    ],
)
def test_a_mapping_without_years_is_an_error(data: dict[str, Any], key: str) -> None:
    [message] = problems(data)
    assert message.startswith(f"{key}: a mapping {{year: value}} needs years")
    assert "allowed: a number" in message


def test_every_mapping_key_must_be_one_of_the_years() -> None:
    messages = problems(
        {
            "years": [2026, 2027],
            "target": {"total": {2026: 1, 2031: 2}, "streams": {"pg": {"share": {2025: 0.5}}}},
            "limits": {"capex_budget": {2030: 1e9}},
        }
    )
    assert messages == [
        "target.total: year 2031 is not one of years (2026, 2027); allowed: one of years",
        "target.streams.pg.share: year 2025 is not one of years (2026, 2027); allowed: one "
        "of years",
        "limits.capex_budget: year 2030 is not one of years (2026, 2027); allowed: one of years",
    ]


def test_myopic_foresight_needs_years() -> None:
    [message] = problems({"foresight": "myopic"})
    assert message.startswith("foresight: 'myopic'") and "needs years" in message
    [message] = problems({"foresight": "hindsight"})
    assert message.startswith("foresight:") and "'perfect' or 'myopic'" in message


@pytest.mark.parametrize(
    ("years", "words"),
    [
        ([], "at least one year"),
        ([2027, 2026], "strictly increasing"),
        ([2026, 2026], "strictly increasing"),
        ([1850, 2026], "1850 outside 1900..2200"),
        ([2026.5], "valid integer"),
        ("2026", "valid list"),
    ],
)
def test_bad_years(years: Any, words: str) -> None:
    [message] = problems({"years": years})
    assert message.startswith("years") and words in message


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({"target": {"total": {2026: -1}}}, "target.total", "year 2026: -1 is out of range"),
        (
            {"target": {"streams": {"pg": {"share": {2026: 1.5}}}}},
            "target.streams.pg.share",
            "year 2026: 1.5 is out of range; allowed: a number > 0 and <= 1",
        ),
        (
            {"limits": {"max_new_facilities": {2026: 1.5}}},
            "limits.max_new_facilities",
            "year 2026: 1.5 is not a whole number; allowed: an integer >= 0",
        ),
        (
            {"limits": {"max_new_facilities": 2.5}},
            "limits.max_new_facilities",
            "2.5 is not a whole number",
        ),
        ({"target": {"total": {"soon": 1}}}, "target.total", "key 'soon' is not a year"),
        ({"target": {"total": {}}}, "target.total", "an empty mapping"),
        ({"target": {"total": "lots"}}, "target.total", "'lots' is not a finite number"),
        ({"limits": {"capex_budget": -5}}, "limits.capex_budget", "-5 is out of range"),
    ],
)
def test_bad_per_year_values(data: dict[str, Any], key: str, words: str) -> None:
    [message] = problems({"years": [2026], **data})
    assert message.startswith(f"{key}: ") and words in message


# --------------------------------------------------------------------------------------------
# for_year
# --------------------------------------------------------------------------------------------
def test_for_year() -> None:
    assert for_year(5.0, None) == 5.0  # single period
    assert for_year(5.0, 2027) == 5.0  # a number: every year
    assert for_year(3, 2027) == 3
    assert for_year(None, 2027) is None and for_year(None, None) is None
    assert for_year({2026: 1.0, 2028: 2.0}, 2028) == 2.0
    assert for_year({2026: 1.0, 2028: 2.0}, 2027) is None  # a year not named: none
    with pytest.raises(ValueError, match="give a year"):
        for_year({2026: 1.0}, None)


# --------------------------------------------------------------------------------------------
# symbiosis run --myopic
# --------------------------------------------------------------------------------------------
@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


def test_run_myopic_sets_the_foresight(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--myopic hands run_scenario the scenario with foresight 'myopic' (the model's
    year-by-year solve is the lead's and tested there)."""
    seen: list[Scenario] = []

    def fake_run(scenario: Scenario, *args: Any, **kwargs: Any) -> Any:
        seen.append(scenario)
        return SimpleNamespace(results=SimpleNamespace(summary={}), out_dir=None, exit_code=0)

    monkeypatch.setattr(cli, "run_scenario", fake_run)
    path = tiny / "plan.yaml"
    path.write_text("case: case\nyears: [2026, 2027]\ntarget:\n  total: {2027: 900000}\n")
    out = tiny / "run"
    result = CliRunner().invoke(cli.app, ["run", str(path), "--myopic", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [s.foresight for s in seen] == ["myopic"]
    assert seen[0].source == path.resolve() and seen[0].target.total == {2027: 900000.0}
    assert load_scenario(path).foresight == "perfect"  # the file is not changed
    result = CliRunner().invoke(cli.app, ["run", str(path), "-q", "-o", str(out)])
    assert [s.foresight for s in seen] == ["myopic", "perfect"]


def test_run_myopic_without_years_exits_2(tiny: Path) -> None:
    result = CliRunner().invoke(cli.app, ["run", str(tiny / "scenario.yaml"), "--myopic"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "foresight: 'myopic'" in text and "needs years" in text
    assert "Traceback" not in result.output


def test_run_myopic_takes_one_scenario(tiny: Path) -> None:
    path = tiny / "scenario.yaml"
    result = CliRunner().invoke(cli.app, ["run", str(path), str(path), "--myopic"])
    assert result.exit_code == 2, result.output
    assert "--myopic takes one scenario" in " ".join(result.output.split())
    assert "Traceback" not in result.output
