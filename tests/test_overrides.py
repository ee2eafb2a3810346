"""Scenario ``extends:`` and ``overrides:``: each override changes exactly what it says, the
manifest shows the resolved scenario and the values changed, bad overrides are exit-2 errors.

Objectives are worked out by hand from the tiny case (tests/cases/tiny/EXPECTED.md): with the
annuity factor AF = 0.06 / (1 - 1.06^-20) = 0.0871846 and, at the optimum of the tiny case,
P2 built (160 M capex, 3 M fixed opex), K taking 200,000 t at -5 CNY/t, P2 800,000 t at
+10 CNY/t, two road links 100,000 and the heat pipe -10,000,000:

    tiny = 160e6 AF + 3e6 - 1e6 + 8e6 + 1e5 - 1e7 = 14,049,529.12
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import TINY
from typer.testing import CliRunner

from symbiosis.case import TABLES, InputError, load_case
from symbiosis.cli import app
from symbiosis.overrides import apply_overrides, apply_overrides_logged
from symbiosis.runner import EXIT_INFEASIBLE, EXIT_OK, run_scenario
from symbiosis.scenario import Overrides, load_scenario

AF = 0.06 / (1 - 1.06**-20)
TINY_OBJECTIVE = 160e6 * AF + 3e6 - 1e6 + 8e6 + 1e5 - 1e7


@pytest.fixture(scope="module")
def tiny_case() -> Any:
    return load_case(TINY / "case")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def only_differences(before: Any, after: Any) -> dict[str, pd.DataFrame]:
    """Tables that differ between two cases (compared cell by cell)."""
    out = {}
    for name in TABLES:
        a, b = getattr(before, name), getattr(after, name)
        if a.shape != b.shape or not a.equals(b):
            out[name] = b
    return out


# --------------------------------------------------------------------------------------------
# apply_overrides on the case: exactly what is said, nothing else
# --------------------------------------------------------------------------------------------
def test_scale_changes_one_column_and_nothing_else(tiny_case: Any) -> None:
    changed = apply_overrides(tiny_case, Overrides(scale={"facilities.capex": "x1.2"}))
    assert list(only_differences(tiny_case, changed)) == ["facilities"]
    expected = tiny_case.facilities.copy()
    expected["capex"] = expected["capex"] * 1.2
    pd.testing.assert_frame_equal(changed.facilities, expected)
    assert changed.facilities.set_index("facility")["capex"].to_dict() == pytest.approx(
        {"K": 0.0, "P1": 120e6, "P2": 192e6, "H": 0.0}
    )
    # the case given is not modified
    assert tiny_case.facilities.set_index("facility").at["P2", "capex"] == 160e6


def test_set_selects_by_tech_prefecture_and_stream(tiny_case: Any) -> None:
    overrides = Overrides.model_validate(
        {
            "set": [
                # facility_inputs selected through the facility's tech
                {
                    "table": "facility_inputs",
                    "where": {"tech": "cement_kiln"},
                    "values": {"value": 40},
                },
                # supply selected through the site's prefecture, and a factor
                {
                    "table": "supply",
                    "where": {"prefecture": "Qiannan", "stream": "phosphogypsum"},
                    "values": {"amount": "x1.1"},
                },
                # a list of ids; the unused_cost of a row that had none
                {
                    "table": "supply",
                    "where": {"id": ["A"], "stream": "waste_heat"},
                    "values": {"unused_cost": 3},
                },
            ]
        }
    )
    changed, log = apply_overrides_logged(tiny_case, overrides)
    assert sorted(only_differences(tiny_case, changed)) == ["facility_inputs", "supply"]
    inputs = changed.facility_inputs.set_index("facility")
    assert inputs.at["K", "value"] == 40
    assert (
        inputs.drop("K")["value"].tolist()
        == tiny_case.facility_inputs.set_index("facility").drop("K")["value"].tolist()
    )
    supply = changed.supply.set_index("stream")
    assert supply.at["phosphogypsum", "amount"] == pytest.approx(1_100_000)
    assert supply.at["waste_heat", "amount"] == 100_000
    assert supply.at["waste_heat", "unused_cost"] == 3
    assert pd.isna(supply.at["phosphogypsum", "unused_cost"])
    # the log lists each change with its old and new value
    assert [(e["table"], e["column"], e["changes"]) for e in log] == [
        ("facility_inputs", "value", [{"row": "K/phosphogypsum", "from": 30.0, "to": 40.0}]),
        ("supply", "amount", [{"row": "A/phosphogypsum", "from": 1e6, "to": pytest.approx(1.1e6)}]),
        ("supply", "unused_cost", [{"row": "A/waste_heat", "from": None, "to": 3.0}]),
    ]


def test_disable_modes_removes_the_mode_and_its_distances(tiny_case: Any) -> None:
    changed = apply_overrides(tiny_case, Overrides(disable_modes=["heat_pipe"]))
    assert sorted(only_differences(tiny_case, changed)) == ["distances", "modes"]
    assert changed.modes["mode"].tolist() == ["road"]
    assert changed.distances["mode"].tolist() == ["road", "road"]


def test_force_and_forbid_leave_the_data_alone(tiny_case: Any) -> None:
    changed, log = apply_overrides_logged(tiny_case, Overrides(force_build=["P1"], forbid=["P2"]))
    assert only_differences(tiny_case, changed) == {}
    assert [(e["override"], e["facilities"], e["fixed_to"]) for e in log] == [
        ("overrides.force_build", ["P1"], 1),
        ("overrides.forbid", ["P2"], 0),
    ]


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (
            {
                "set": [
                    {"table": "facilities", "where": {"tech": "cement_kil"}, "values": {"capex": 1}}
                ]
            },
            ["no row of facilities has tech = 'cement_kil'", "known: cement_kiln, drying"],
        ),
        (
            {"set": [{"table": "facilities", "where": {"colour": "red"}, "values": {"capex": 1}}]},
            ["facilities has no column 'colour' to select on", "allowed: facility, name"],
        ),
        (
            {
                "set": [
                    {
                        "table": "facilities",
                        "where": {"tech": "drying", "status": "candidate"},
                        "values": {"capex": 1},
                    }
                ]
            },
            ["no row of facilities matches all of tech = 'drying', status = 'candidate'"],
        ),
        (
            {
                "set": [
                    {
                        "table": "facility_inputs",
                        "where": {"facility": "K"},
                        "values": {"max_share": 1.5},
                    }
                ]
            },
            [
                "facility_inputs.max_share becomes out of range for K/phosphogypsum",
                "allowed: a finite number > 0 and <= 1",
            ],
        ),
        ({"scale": {"facilities.capacity": 0}}, ["facilities.capacity becomes out of range"]),
        ({"force_build": ["K"]}, ["'K' is an existing facility"]),
        ({"forbid": ["P9"]}, ["unknown facility 'P9'; candidates: P1, P2"]),
        ({"force_build": ["P1", "P2"]}, ["P1, P2 share group 'board'"]),
        ({"disable_modes": ["rail"]}, ["unknown mode(s) rail; known: heat_pipe, road"]),
        ({"set": [{"table": "streams", "values": {"target": 2}}]}, ["is a flag; allowed: 0 or 1"]),
    ],
)
def test_overrides_that_do_not_fit_the_case(
    tiny_case: Any, overrides: dict[str, Any], fragments: list[str]
) -> None:
    with pytest.raises(InputError) as info:
        apply_overrides(tiny_case, Overrides.model_validate(overrides), "s.yaml")
    report = info.value.report()
    assert report.startswith("1 problem(s)") or "P1" in report
    for fragment in fragments:
        assert fragment in report
    assert all(p.file == "s.yaml" for p in info.value.problems)


# --------------------------------------------------------------------------------------------
# The grammar in the scenario file
# --------------------------------------------------------------------------------------------
def test_scenario_level_errors_list_what_is_allowed(tmp_path: Path) -> None:
    scenario = write(
        tmp_path / "bad.yaml",
        f"""
case: {TINY / "case"}
overrides:
  scale: {{facilities.capx: 2, nope: 1, facilities.capex: x-1}}
  set:
    - {{table: facility, values: {{capex: 1}}}}
    - {{table: facilities, wher: {{tech: a}}, values: {{capex: 1}}}}
    - {{table: facilities, values: {{status: candidate}}}}
    - {{table: facilities, values: {{capex: y2}}}}
  force_build: [P1]
  forbid: [P1]
  colour: red
""",
    )
    with pytest.raises(InputError) as info:
        load_scenario(scenario)
    report = info.value.report()
    for fragment in [
        "'facilities.capx': facilities has no numeric column 'capx'; allowed: capacity, capex",
        "'nope': write table.column",
        "'facilities.capex': a factor must be >= 0",
        "overrides.set.0.table",
        "unknown table 'facility'; allowed: streams, sites, supply, facilities",
        "overrides.set.1.wher: unknown key; allowed keys: table, where, values",
        "values.status: facilities has no column 'status' that can be set",
        "values.capex: 'y2' is neither a number nor a factor",
        "overrides.colour: unknown key; allowed keys: scale, set, force_build, forbid, "
        "disable_modes",
    ]:
        assert fragment in report, fragment


def test_force_build_and_forbid_of_one_project() -> None:
    with pytest.raises(ValueError, match="force_build and forbid both name P1"):
        Overrides(force_build=["P1", "P2"], forbid=["P1"])


def test_nested_scale_is_read_like_dotted() -> None:
    overrides = Overrides.model_validate({"scale": {"modes": {"cost_per_unit_km": "x0.9"}}})
    assert overrides.scale == {"modes.cost_per_unit_km": 0.9}


# --------------------------------------------------------------------------------------------
# extends:
# --------------------------------------------------------------------------------------------
def test_extends_chain_merges_by_the_documented_rules(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "variants").mkdir()
    # the case path is relative to the file that states it (base/), not to the leaf
    (tmp_path / "base" / "tiny_case").symlink_to(TINY / "case", target_is_directory=True)
    write(
        tmp_path / "base" / "base.yaml",
        """
name: base
case: tiny_case
discount_rate: 0.05
target: {total: 900000, penalty: 100}
limits: {max_new_facilities: 3, capex_budget: 1.0e9}
overrides:
  scale: {facilities.capex: 1.2, modes.cost_per_unit: 2}
  set: [{table: facilities, where: {tech: cement_kiln}, values: {fixed_opex: 1}}]
  forbid: [P1]
""",
    )
    write(
        tmp_path / "variants" / "mid.yaml",
        """
extends: ../base/base.yaml
target: {penalty: null}
overrides:
  scale: {facilities.capex: 1.5}
  set: [{table: supply, where: {stream: phosphogypsum}, values: {amount: x1.1}}]
  force_build: [P1]
""",
    )
    leaf = write(
        tmp_path / "variants" / "leaf.yaml",
        """
extends: mid.yaml
limits: {capex_budget: null}
overrides:
  forbid: [P2]
  disable_modes: [heat_pipe]
""",
    )
    scenario = load_scenario(leaf)
    resolved = scenario.resolved()
    assert resolved["name"] == "leaf"  # never inherited
    assert Path(resolved["case"]) == (tmp_path / "base" / "tiny_case").resolve()
    assert resolved["extends"] == [
        str((tmp_path / "variants" / "mid.yaml").resolve()),
        str((tmp_path / "base" / "base.yaml").resolve()),
    ]
    assert resolved["discount_rate"] == 0.05
    assert resolved["target"] == {
        "total": 900000.0,
        "streams": {},
        "penalty": None,
        "co2_avoided": None,
        "prefectures": {},
    }
    assert resolved["limits"] == {"max_new_facilities": 3, "capex_budget": None}
    overrides = resolved["overrides"]
    assert overrides["scale"] == {"facilities.capex": 1.5, "modes.cost_per_unit": 2.0}
    assert [rule["table"] for rule in overrides["set"]] == ["facilities", "supply"]
    # mid forced P1 in (so it left base's forbid), leaf forbade P2
    assert overrides["force_build"] == ["P1"]
    assert overrides["forbid"] == ["P2"]
    assert overrides["disable_modes"] == ["heat_pipe"]


def test_extends_cycle_is_an_error_naming_the_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: b.yaml\ncase: x\n")
    write(tmp_path / "b.yaml", "extends: [c.yaml]\n")
    write(tmp_path / "c.yaml", "extends: a.yaml\n")
    with pytest.raises(InputError) as info:
        load_scenario(tmp_path / "a.yaml")
    report = info.value.report()
    assert "cycle" in report
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        assert str(tmp_path / name) in report


def test_extends_a_missing_file(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: nowhere.yaml\n")
    with pytest.raises(InputError, match="extends: no such scenario file"):
        load_scenario(tmp_path / "a.yaml")


# --------------------------------------------------------------------------------------------
# Runs: the optimum moves exactly as the hand calculation says
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "total", "built", "objective"),
    [
        # P2's capex x1.2: P2's annuity grows by 32e6 AF, nothing else moves
        ({"scale": {"facilities.capex": 1.2}}, 900000, ["P2"], TINY_OBJECTIVE + 32e6 * AF),
        # no pipe: the heat saving of 10,000,000 is lost (unused heat costs nothing)
        ({"disable_modes": ["heat_pipe"]}, 900000, ["P2"], TINY_OBJECTIVE + 1e7),
        # K's product worth 40 instead of 30: 200,000 t x -10 more
        (
            {
                "set": [
                    {
                        "table": "facility_inputs",
                        "where": {"tech": "cement_kiln"},
                        "values": {"value": 40},
                    }
                ]
            },
            900000,
            ["P2"],
            TINY_OBJECTIVE - 2e6,
        ),
        # 10% more phosphogypsum in Qiannan: P2 takes 100,000 t more at +10 CNY/t (full)
        (
            {
                "set": [
                    {
                        "table": "supply",
                        "where": {"prefecture": "Qiannan", "stream": "phosphogypsum"},
                        "values": {"amount": "x1.1"},
                    }
                ]
            },
            900000,
            ["P2"],
            TINY_OBJECTIVE + 1e6,
        ),
        # no target, P2 forbidden: P1 (100 M, 2 M opex) takes 500,000 t at +10, K 200,000 t
        # at -5, 300,000 t left at 55
        (
            {"forbid": ["P2"]},
            None,
            ["P1"],
            100e6 * AF + 2e6 - 1e6 + 5e6 + 1e5 + 300000 * 55 - 1e7,
        ),
        # forcing P1 in keeps P2 out (same group): the same portfolio
        (
            {"force_build": ["P1"]},
            None,
            ["P1"],
            100e6 * AF + 2e6 - 1e6 + 5e6 + 1e5 + 300000 * 55 - 1e7,
        ),
    ],
)
def test_runs_move_as_worked_out_by_hand(
    tmp_path: Path,
    overrides: dict[str, Any],
    total: float | None,
    built: list[str],
    objective: float,
) -> None:
    scenario = load_scenario(TINY / "scenario.yaml")
    scenario.target.total = total
    scenario.overrides = Overrides.model_validate(overrides)
    outcome = run_scenario(scenario)
    assert outcome.exit_code == EXIT_OK
    assert outcome.results.built == built
    assert outcome.results.summary["objective"] == pytest.approx(objective, rel=1e-9)


def test_forced_project_can_make_a_target_unreachable() -> None:
    """P1 forced in keeps P2 out: K 200,000 + P1 500,000 = 700,000 t < 900,000 t."""
    scenario = load_scenario(TINY / "scenario.yaml")
    scenario.overrides = Overrides(force_build=["P1"])
    outcome = run_scenario(scenario)
    assert outcome.exit_code == EXIT_INFEASIBLE


def test_manifest_shows_the_resolved_scenario_and_the_values_changed(tmp_path: Path) -> None:
    variant = write(
        tmp_path / "dear.yaml",
        f"""
extends: {TINY / "scenario.yaml"}
overrides:
  scale: {{facilities.capex: x1.2}}
  set:
    - {{table: supply, where: {{prefecture: Qiannan, stream: phosphogypsum}},
        values: {{amount: x1.1}}}}
""",
    )
    outcome = run_scenario(load_scenario(variant), tmp_path / "run")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    scenario = manifest["scenario"]
    assert scenario["name"] == "dear"
    assert scenario["extends"] == [str(TINY / "scenario.yaml")]
    assert scenario["target"]["total"] == 900000  # inherited
    assert scenario["overrides"]["scale"] == {"facilities.capex": 1.2}
    assert scenario["overrides"]["set"][0]["values"] == {"amount": "x1.1"}
    applied = {(e["table"], e["column"]): e["changes"] for e in manifest["overrides_applied"]}
    assert applied[("facilities", "capex")] == [
        {"row": "P1", "from": 100e6, "to": pytest.approx(120e6)},
        {"row": "P2", "from": 160e6, "to": pytest.approx(192e6)},
    ]
    assert applied[("supply", "amount")] == [
        {"row": "A/phosphogypsum", "from": 1e6, "to": pytest.approx(1.1e6)}
    ]
    # both scenario files are listed among the inputs with their checksums
    assert str(variant.resolve()) in manifest["inputs"]
    assert str(TINY / "scenario.yaml") in manifest["inputs"]
    # both overrides act: capex x1.2 adds 32e6 AF, P2 takes 100,000 t more at +10
    assert outcome.results.summary["objective"] == pytest.approx(
        TINY_OBJECTIVE + 32e6 * AF + 1e6, rel=1e-9
    )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
def test_validate_reports_bad_overrides_with_exit_2(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.yaml",
        f"extends: {TINY / 'scenario.yaml'}\noverrides: {{forbid: [K], disable_modes: [rail]}}\n",
    )
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "'K' is an existing facility" in result.output
    assert "unknown mode(s) rail" in result.output
    assert "Traceback" not in result.output


def test_run_several_checks_all_before_solving_any(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", f"extends: {TINY / 'scenario.yaml'}\n")
    bad = write(
        tmp_path / "bad.yaml",
        f"extends: {TINY / 'scenario.yaml'}\noverrides: {{forbid: [nope]}}\n",
    )
    also_bad = write(tmp_path / "also.yaml", f"case: {TINY / 'case'}\ntarget: {{totl: 1}}\n")
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", str(good), str(bad), str(also_bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "unknown facility 'nope'" in result.output
    assert "target.totl: unknown key" in result.output
    assert not out.exists()  # nothing solved, nothing written


def test_run_several_with_one_display_and_a_folder_each(tmp_path: Path) -> None:
    first = write(tmp_path / "first.yaml", f"extends: {TINY / 'scenario.yaml'}\n")
    second = write(
        tmp_path / "second.yaml",
        f"extends: {TINY / 'scenario.yaml'}\ntarget: {{total: null}}\n"
        "overrides: {forbid: [P2]}\n",
    )
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", str(first), str(second), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "scenario 1/2: first" in result.output
    assert "scenario 2/2: second" in result.output
    for name, built in (("first", ["P2"]), ("second", ["P1"])):
        summary = json.loads((out / name / "summary.json").read_text())
        assert summary["built"] == built


def test_two_scenarios_with_one_name_would_share_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    one = write(tmp_path / "one.yaml", f"extends: {TINY / 'scenario.yaml'}\nname: same\n")
    two = write(tmp_path / "x" / "two.yaml", f"extends: {TINY / 'scenario.yaml'}\nname: same\n")
    result = CliRunner().invoke(app, ["run", str(one), str(two), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "writes to the same run folder" in result.output
