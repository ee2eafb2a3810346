"""The command line through Typer's CliRunner: ``validate`` and ``run``, their exit codes
(0 solved, 1 anything else, 2 invalid input, 3 infeasible), what they print, and the run
folder they write (atomically, or not at all)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from symbiosis.cli import app

CASES = Path(__file__).resolve().parent / "cases"
TINY = CASES / "tiny"
TINY_OBJECTIVE = 14_049_529.12  # EXPECTED.md

runner = CliRunner()

SUMMARY_KEYS = {
    "name",
    "status",
    "objective",
    "mip_gap",
    "bound",
    "delivered_target_t",
    "co2_avoided_t",
    "built",
    "capex_built",
    "cost_parts",
    "delivered_by_stream",
    "targets",
    "highs_status",
}
COST_PARTS = {
    "capex_annualised",
    "fixed_opex",
    "transport",
    "links",
    "processing",
    "disposal",
    "env_tax",
    "stock_left",
}
FLOW_COLUMNS = [
    "from_site",
    "facility",
    "to_site",
    "stream",
    "mode",
    "km",
    "unit",
    "shipped",
    "delivered",
    "transport_cost",
    "link_cost",
    "cost",
    "co2_transport_t",
    "from_lon",
    "from_lat",
    "to_lon",
    "to_lat",
]
FACILITY_COLUMNS = [
    "facility",
    "name",
    "tech",
    "site",
    "status",
    "capacity",
    "capex",
    "fixed_opex",
    "group",
    "built",
    "intake",
    "use",
    "annual_cost",
    "co2_avoided_t",
    "intake_phosphogypsum",
    "intake_waste_heat",
    "prefecture",
    "park",
    "lon",
    "lat",
]
UNUSED_COLUMNS = [
    "site",
    "stream",
    "amount",
    "unit",
    "shipped",
    "unused",
    "unused_cost_per_unit",
    "unused_cost",
    "prefecture",
    "lon",
    "lat",
]
MANIFEST_KEYS = {
    "scenario",
    "scenario_file",
    "inputs",
    "versions",
    "solver_options",
    "highs_status",
    "model_size",
    "timings_s",
    "started",
    "finished",
    "command",
    "machine",
}


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def summary_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


def break_case(tiny: Path) -> None:
    """Two problems: a bad number in supply.csv and an unknown site in facilities.csv."""
    supply = tiny / "case" / "supply.csv"
    supply.write_text(
        supply.read_text(encoding="utf-8").replace("1000000", "a million"), encoding="utf-8"
    )
    facilities = tiny / "case" / "facilities.csv"
    facilities.write_text(
        facilities.read_text(encoding="utf-8").replace("cement_kiln,B,", "cement_kiln,Z,"),
        encoding="utf-8",
    )


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------
def test_validate_clean_scenario_exits_0() -> None:
    result = runner.invoke(app, ["validate", str(TINY / "scenario.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok:")
    assert "4 facilities (2 candidates)" in flat(result.stdout)


def test_validate_clean_case_folder_exits_0() -> None:
    result = runner.invoke(app, ["validate", str(TINY / "case")])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.stdout


def test_validate_bad_case_exits_2_naming_every_problem(tiny: Path) -> None:
    break_case(tiny)
    for target in (tiny / "scenario.yaml", tiny / "case"):
        result = runner.invoke(app, ["validate", str(target)])
        assert result.exit_code == 2, result.output
        text = flat(result.output)
        assert "2 problem(s) in the case" in text
        assert (
            "supply.csv, row 2, column 'amount': not a number; allowed: a finite number > 0 "
            "(value 'a million')" in text
        )
        assert "facilities.csv, row 2, column 'site': unknown site" in text
        assert "(value 'Z')" in text
        assert "Traceback" not in result.output
        assert result.stdout == ""  # the report goes to stderr


def test_validate_unknown_scenario_key_exits_2(tiny: Path) -> None:
    (tiny / "scenario.yaml").write_text(
        "name: tiny\ncase: case\ntarget:\n  totl: 5\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["validate", str(tiny / "scenario.yaml")])
    assert result.exit_code == 2
    text = flat(result.output)
    assert "invalid scenario" in text
    assert "target.totl: unknown key; allowed keys: total, streams, penalty" in text


def test_validate_stream_target_for_unsupplied_stream_exits_2(tiny: Path) -> None:
    streams = tiny / "case" / "streams.csv"
    streams.write_text(
        streams.read_text(encoding="utf-8") + "red_mud,Red mud,solid,t,10,5,1\n", encoding="utf-8"
    )
    (tiny / "scenario.yaml").write_text(
        "name: tiny\ncase: case\ntarget:\n  streams:\n    red_mud: {share: 0.5}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(tiny / "scenario.yaml")])
    assert result.exit_code == 2
    assert "target.streams.red_mud: no site supplies this stream" in flat(result.output)


def test_validate_missing_scenario_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such scenario file" in flat(result.output)


def test_validate_missing_case_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such case folder" in flat(result.output)


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------
def test_run_optimal_writes_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "tiny"
    result = runner.invoke(app, ["run", str(TINY / "scenario.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {
        "summary.json",
        "flows.csv",
        "facilities.csv",
        "unused.csv",
        "kpis.csv",
        "manifest.json",
    }
    summary = summary_of(out)
    assert set(summary) >= SUMMARY_KEYS
    assert set(summary["cost_parts"]) == COST_PARTS
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(TINY_OBJECTIVE, abs=0.01)
    assert sum(summary["cost_parts"].values()) == pytest.approx(summary["objective"])
    assert summary["built"] == ["P2"]
    assert summary["mip_gap"] == pytest.approx(0, abs=1e-4)

    assert header(out / "flows.csv")[: len(FLOW_COLUMNS)] == FLOW_COLUMNS
    flows = records(out / "flows.csv")
    assert {(f["from_site"], f["facility"], f["mode"]) for f in flows} == {
        ("A", "K", "road"),
        ("A", "P2", "road"),
        ("A", "H", "heat_pipe"),
    }
    assert header(out / "facilities.csv")[: len(FACILITY_COLUMNS)] == FACILITY_COLUMNS
    built = {f["facility"]: f["built"] for f in records(out / "facilities.csv")}
    assert built == {"K": "1", "P1": "0", "P2": "1", "H": "1"}
    assert header(out / "unused.csv")[: len(UNUSED_COLUMNS)] == UNUSED_COLUMNS
    assert header(out / "kpis.csv") == ["kpi", "key", "value", "unit"]
    kpis = {(k["kpi"], k["key"]): float(k["value"]) for k in records(out / "kpis.csv")}
    assert kpis[("total_cost", "")] == pytest.approx(TINY_OBJECTIVE, abs=0.01)
    assert kpis[("co2_avoided", "")] == pytest.approx(37_040)

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) >= MANIFEST_KEYS
    assert any(path.endswith("supply.csv") for path in manifest["inputs"])
    # Nothing left beside the run folder (no temporary or old folders).
    assert [p.name for p in out.parent.iterdir()] == ["tiny"]
    assert "Traceback" not in result.output


def test_run_infeasible_exits_3_with_diagnosis(tmp_path: Path) -> None:
    out = tmp_path / "inf"
    scenario = CASES / "tiny_variants" / "infeasible.yaml"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 3, result.output
    summary = summary_of(out)
    assert summary["status"] == "infeasible"
    assert summary["objective"] is None
    messages = " ".join(summary["diagnosis"]["messages"])
    assert "1.00 Mt" in messages and "1.20 Mt" in messages
    assert "1.00 Mt" in flat(result.output)  # shown on the terminal too
    assert header(out / "flows.csv")[: len(FLOW_COLUMNS)] == FLOW_COLUMNS
    assert records(out / "flows.csv") == []


def test_run_json_prints_only_json_on_stdout(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    result = runner.invoke(app, ["run", str(TINY / "scenario.yaml"), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert printed == summary_of(out)
    assert printed["objective"] == pytest.approx(TINY_OBJECTIVE, abs=0.01)


def test_run_json_stdout_is_clean_in_a_real_process(tmp_path: Path) -> None:
    """In a fresh process, where HiGHS prints its banner to file descriptor 1 the first time
    it is created (CliRunner cannot see that), stdout is still exactly the summary JSON."""
    out = tmp_path / "tiny"
    code = "from symbiosis.cli import main; main()"
    args = [sys.executable, "-c", code, "run", str(TINY / "scenario.yaml"), "--out", str(out)]
    done = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == summary_of(out)
    assert "Traceback" not in done.stderr


def test_run_json_infeasible(tmp_path: Path) -> None:
    scenario = CASES / "tiny_variants" / "infeasible.yaml"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "x"), "--json"])
    assert result.exit_code == 3
    printed = json.loads(result.stdout)
    assert printed["status"] == "infeasible" and printed["diagnosis"]["messages"]


def test_run_quiet_prints_nothing(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    result = runner.invoke(app, ["run", str(TINY / "scenario.yaml"), "--out", str(out), "-q"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""
    assert summary_of(out)["status"] == "optimal"


def test_run_solver_options_accepted(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    args = ["run", str(TINY / "scenario.yaml"), "--out", str(out), "--quiet"]
    args += ["--time-limit", "30", "--gap", "0.001", "--threads", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["solver_options"]["time_limit"] == 30
    assert manifest["solver_options"]["mip_rel_gap"] == 0.001
    assert manifest["solver_options"]["threads"] == 1
    assert summary_of(out)["objective"] == pytest.approx(TINY_OBJECTIVE, abs=0.01)


def test_run_bad_option_value_exits_2(tmp_path: Path) -> None:
    args = ["run", str(TINY / "scenario.yaml"), "--out", str(tmp_path / "x"), "--time-limit"]
    result = runner.invoke(app, [*args, "soon"])
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists()


def test_run_invalid_case_exits_2_and_writes_nothing(tiny: Path, tmp_path: Path) -> None:
    break_case(tiny)
    out = tmp_path / "runs" / "x"
    result = runner.invoke(app, ["run", str(tiny / "scenario.yaml"), "--out", str(out)])
    assert result.exit_code == 2
    assert "supply.csv, row 2, column 'amount'" in flat(result.output)
    assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()


def test_rerun_replaces_folder_atomically(tmp_path: Path) -> None:
    """A second run into the same run folder replaces it whole; no temporary or old folder
    is left beside it. A run folder holding a file symbiosis did not write is refused (exit
    2, the file kept) unless --overwrite, which writes beside it."""
    out = tmp_path / "runs" / "tiny"
    args = ["run", str(TINY / "scenario.yaml"), "--out", str(out), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    first = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert runner.invoke(app, args).exit_code == 0
    second = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert second["started"] >= first["started"]
    assert summary_of(out)["objective"] == pytest.approx(TINY_OBJECTIVE, abs=0.01)
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["tiny"]

    (out / "my_notes.txt").write_text("scratch", encoding="utf-8")
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "my_notes.txt" in flat(refused.output) and "--overwrite" in flat(refused.output)
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "scratch"
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "scratch"
    assert summary_of(out)["objective"] == pytest.approx(TINY_OBJECTIVE, abs=0.01)
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["tiny"]


def test_failing_run_leaves_existing_folder_untouched(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs" / "tiny"
    assert (
        runner.invoke(app, ["run", str(TINY / "scenario.yaml"), "--out", str(out), "-q"]).exit_code
        == 0
    )
    (out / "my_notes.txt").write_text("keep me", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    break_case(tiny)
    result = runner.invoke(app, ["run", str(tiny / "scenario.yaml"), "--out", str(out)])
    assert result.exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["tiny"]


def test_unexpected_error_exits_1_in_one_line(tmp_path: Path) -> None:
    """--out below a regular file cannot be created: exit 1, one line, no traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = runner.invoke(
        app, ["run", str(TINY / "scenario.yaml"), "--out", str(blocker / "run"), "-q"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")
    assert "Traceback" not in result.output
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_several_scenarios_checked_before_any_is_solved(tiny: Path, tmp_path: Path) -> None:
    """Two scenarios, the second invalid: exit 2 and neither run folder is written."""
    bad = tiny / "bad.yaml"
    bad.write_text("name: bad\ncase: case\nlimits:\n  max_new: 1\n", encoding="utf-8")
    out = tmp_path / "runs"
    result = runner.invoke(app, ["run", str(TINY / "scenario.yaml"), str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "limits.max_new: unknown key" in flat(result.output)
    assert not out.exists() or list(out.iterdir()) == []


def test_run_scenario_keeps_its_old_keywords_with_a_warning() -> None:
    """The keyword arguments of run_scenario before RunOptions still work, with a
    DeprecationWarning naming the RunOptions field to use; the answer is the same."""
    from symbiosis.options import RunOptions
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    scenario = load_scenario(TINY / "scenario.yaml")
    new = run_scenario(scenario, options=RunOptions(solver={"threads": 1}, shadow_prices=False))
    with pytest.warns(DeprecationWarning, match=r"RunOptions\(solver=, shadow_prices=\)"):
        old = run_scenario(scenario, solver_overrides={"threads": 1}, shadow_prices=False)
    with pytest.warns(DeprecationWarning, match=r"RunOptions\(solver=\)"):
        positional = run_scenario(scenario, None, None, {"threads": 1})  # type: ignore[arg-type]
    for outcome in (old, positional):
        assert outcome.results.summary["objective"] == new.results.summary["objective"]
    assert old.results.summary["shadow_price_status"] == "not_computed"
    with pytest.raises(TypeError, match="no_such_option"):
        run_scenario(scenario, no_such_option=1)
