"""Scenario sweeps: grids, point scenarios, re-runs, and real dask clusters on loopback.

The tiny case (tests/cases/tiny, EXPECTED.md) at three target levels and two discount rates
has these optima, worked out by hand (AF(r, 20) = r / (1 - (1 + r)^-20); P1 costs
100e6 AF + 2e6 a year, P2 160e6 AF + 3e6; K earns 5 CNY/t net on 200,000 t; each road link
50,000; the heat pipe nets -10,000,000; a tonne left unused costs 55):

* r = 0.06, any target up to 1 Mt: P2 built, 14,049,529.12 (EXPECTED.md);
* r = 0.5 (AF = 0.5 / (1 - 1.5^-20) = 0.50015041): P1 costs 52,015,041 and P2 83,024,066;

  - target 100,000 t: K alone meets it and no project pays for itself:
    -1,000,000 (K) + 50,000 (link) + 800,000 x 55 (unused) - 10,000,000 (heat) = 33,050,000;
  - target 500,000 t: P1 (700,000 t with K) beats P2: 52,015,041 - 1,000,000 + 500,000 x 10
    + 100,000 + 300,000 x 55 - 10,000,000 = 62,615,041;
  - target 900,000 t: only P2 reaches it: 83,024,066 - 1,000,000 + 800,000 x 10 + 100,000
    - 10,000,000 = 80,124,066.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import TINY
from typer.testing import CliRunner

from symbiosis.batch import BatchOptions, SilentEvents, StudyOptions, TaskResult
from symbiosis.case import InputError
from symbiosis.cli import app
from symbiosis.options import RunOptions
from symbiosis.runner import run_scenario
from symbiosis.scenario import deep_merge, load_scenario
from symbiosis.sweep import (
    SweepPoint,
    grid_points,
    load_points,
    parse_set,
    parse_values,
    point_scenario,
    run_sweep,
)

AF_HALF = 0.5 / (1 - 1.5**-20)
P2_06 = 160e6 * 0.06 / (1 - 1.06**-20) + 3e6  # 16,949,529.12
P1_HALF = 100e6 * AF_HALF + 2e6
P2_HALF = 160e6 * AF_HALF + 3e6
EXPECTED_HALF = {
    100_000: 33_050_000.0,
    500_000: P1_HALF - 1e6 + 5e6 + 1e5 + 300_000 * 55 - 10e6,
    900_000: P2_HALF - 1e6 + 8e6 + 1e5 - 10e6,
}
BUILT_HALF = {100_000: "", 500_000: "P1", 900_000: "P2"}
NO_REPORT = StudyOptions(report=False)


class Seen(SilentEvents):
    """Batch events that keep the names of the tasks done."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def task_done(self, result: TaskResult) -> None:
        self.names.append(result.task.name)


VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def base() -> Any:
    return load_scenario(TINY / "scenario.yaml")


# --------------------------------------------------------------------------------------------
# Grids and points
# --------------------------------------------------------------------------------------------
def test_parse_values_range_includes_both_ends() -> None:
    assert parse_values("60e6:100e6:5e6") == pytest.approx(
        [60e6 + 5e6 * i for i in range(9)], rel=1e-12
    )
    assert parse_values("1,2.5, 3_000") == [1.0, 2.5, 3000.0]
    assert parse_values("5:5:1") == [5.0]


@pytest.mark.parametrize("bad", ["60e6:100e6", "1:10:4", "10:1:1", "1:2:0", "a,b", "", "nan"])
def test_parse_values_rejects(bad: str) -> None:
    with pytest.raises(InputError):
        parse_values(bad)


def test_parse_set_reads_numbers_and_text() -> None:
    assert parse_set("discount_rate=0.04, 0.08") == ("discount_rate", [0.04, 0.08])
    assert parse_set("limits.max_new_facilities=1,null") == ("limits.max_new_facilities", [1, None])
    assert parse_set("target.total=6e7") == ("target.total", [6e7])
    assert parse_set("solver.profile=fast") == ("solver.profile", ["fast"])
    with pytest.raises(InputError):
        parse_set("discount_rate")


def test_grid_is_the_product_with_readable_names() -> None:
    points = grid_points([1e5, 9e5], [("discount_rate", [0.06, 0.5])])
    assert [p.name for p in points] == [
        "total=100000-discount_rate=0.06",
        "total=100000-discount_rate=0.5",
        "total=900000-discount_rate=0.06",
        "total=900000-discount_rate=0.5",
    ]
    assert points[3].changes == {"target": {"total": 9e5}, "discount_rate": 0.5}
    assert [p.name for p in grid_points()] == ["base"]
    scaled = grid_points(sets=[("overrides.scale.modes.cost_per_unit_km", [0.8, 1.2])])
    assert [p.name for p in scaled] == ["xcost_per_unit_km=0.8", "xcost_per_unit_km=1.2"]
    assert scaled[0].changes == {"overrides": {"scale": {"modes.cost_per_unit_km": 0.8}}}
    with pytest.raises(InputError, match="unique"):
        grid_points(listed=[SweepPoint("a", {}), SweepPoint("a", {"discount_rate": 0.1})])


def test_deep_merge_follows_the_extends_rules() -> None:
    base = {
        "target": {"total": 1, "penalty": 5},
        "limits": {"max_new_facilities": 3},
        "overrides": {
            "forbid": ["P1", "P3"],
            "set": [{"table": "modes", "values": {"max_km": 100}}],
            "scale": {"facilities.capex": 1.2},
        },
        "x": [1],
    }
    changes = {
        "target": {"total": 2},
        "limits": {"max_new_facilities": None},
        "overrides": {
            "forbid": ["P2"],
            "force_build": ["P3"],
            "set": [{"table": "modes", "values": {"max_km": 50}}],
            "scale": {"modes.cost_per_unit_km": 0.9},
        },
        "x": [2],
    }
    assert deep_merge(base, changes) == {
        "target": {"total": 2, "penalty": 5},
        "limits": {},
        "overrides": {
            "forbid": ["P1", "P2"],
            "force_build": ["P3"],
            "set": [
                {"table": "modes", "values": {"max_km": 100}},
                {"table": "modes", "values": {"max_km": 50}},
            ],
            "scale": {"facilities.capex": 1.2, "modes.cost_per_unit_km": 0.9},
        },
        "x": [2],
    }
    assert base["target"] == {"total": 1, "penalty": 5}  # not modified


def test_load_points_file(tmp_path: Path, base: Any) -> None:
    path = tmp_path / "points.yaml"
    path.write_text(
        "- {name: cheap money, discount_rate: 0.01}\n- target.total: 500000\n", encoding="utf-8"
    )
    points = load_points(path)
    assert [p.name for p in points] == ["cheap_money", "p002"]
    assert points[1].changes == {"target": {"total": 500000}}
    scenario = point_scenario(base, points[0])
    assert scenario.discount_rate == 0.01
    assert scenario.target.total == 900000  # from the base
    assert scenario.name == "cheap_money"
    path.write_text("discount_rate: 0.01\n", encoding="utf-8")
    with pytest.raises(InputError, match="list"):
        load_points(path)


def test_invalid_point_stops_before_anything_runs(tmp_path: Path, base: Any) -> None:
    points = [SweepPoint("ok", {}), SweepPoint("bad", {"discount_rate": 1.5, "colour": "red"})]
    with pytest.raises(InputError) as info:
        run_sweep(base, points, tmp_path / "out")
    text = info.value.report()
    assert "point bad" in text and "discount_rate" in text and "colour" in text
    assert not (tmp_path / "out").exists()


def test_cost_factor_points_apply_overrides(tmp_path: Path, base: Any) -> None:
    """``--scale modes.cost_per_unit_km=0.5,1``: at half the per-km cost, road costs
    5 + 0.25 km: 10 CNY/t to K (20 km) and 17.5 to the board line (50 km). P2 is still built
    (target 900,000 t): 16,949,529.12 + 200,000 x (10 + 10 - 30) + 800,000 x (17.5 + 40 -
    60) + 100,000 (links) - 10,000,000 (heat, no per-km cost) = 3,049,529.12. At factor 1:
    EXPECTED.md, 14,049,529.12. The report compares both."""
    points = grid_points(sets=[("overrides.scale.modes.cost_per_unit_km", [0.5, 1])])
    result = run_sweep(base, points, tmp_path / "sw")
    objectives = dict(zip(result.table["name"], result.table["objective"], strict=True))
    assert objectives == {
        "xcost_per_unit_km=0.5": pytest.approx(P2_06 - 2e6 - 2e6 + 1e5 - 10e6, rel=1e-9),
        "xcost_per_unit_km=1": pytest.approx(14_049_529.12, rel=1e-9),
    }
    assert result.table["overrides.scale.modes.cost_per_unit_km"].tolist() == [0.5, 1]
    assert result.report == tmp_path / "sw" / "report.html"
    page = result.report.read_text(encoding="utf-8")
    assert "xcost_per_unit_km=0.5" in page and "xcost_per_unit_km=1" in page


def test_point_with_a_bad_override_stops_the_sweep(tmp_path: Path, base: Any) -> None:
    points = [SweepPoint("ok", {}), SweepPoint("typo", {"overrides": {"forbid": ["P9"]}})]
    with pytest.raises(InputError, match="P9"):
        run_sweep(base, points, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# Serial sweeps: hand-worked optima, re-runs, failures
# --------------------------------------------------------------------------------------------
def test_serial_sweep_matches_hand_worked_optima(tmp_path: Path, base: Any) -> None:
    """The six optima of the module docstring, and sweep.csv / the point folders."""
    points = grid_points([1e5, 5e5, 9e5], [("discount_rate", [0.06, 0.5])])
    result = run_sweep(base, points, tmp_path / "sw")
    table = pd.read_csv(result.csv, keep_default_na=False)
    assert list(table.columns[:4]) == ["name", "target_t", "status", "objective"]
    assert len(table) == 6 and set(table["status"]) == {"optimal"}
    for row in table.itertuples():
        target = int(row.target_t)
        if row.discount_rate == 0.06:
            assert float(row.objective) == pytest.approx(14_049_529.12, rel=1e-9)
            assert row.built == "P2"
        else:
            assert float(row.objective) == pytest.approx(EXPECTED_HALF[target], rel=1e-9)
            assert row.built == BUILT_HALF[target]
        folder = Path(row.folder)
        assert folder == tmp_path / "sw" / "points" / row.name
        summary = json.loads((folder / "summary.json").read_text())
        manifest = json.loads((folder / "manifest.json").read_text())
        assert summary["name"] == row.name
        assert manifest["scenario"]["target"]["total"] == target
        assert manifest["sweep"]["point"] == row.name
        assert str(TINY / "case" / "supply.csv") in manifest["inputs"]
    assert result.report is not None and result.report.is_file()
    assert (result.solved, result.reused, result.failed) == (6, 0, 0)


def test_rerun_skips_finished_points_and_redoes_changed_ones(tmp_path: Path, base: Any) -> None:
    points = grid_points([1e5, 9e5])
    out = tmp_path / "sw"
    first = run_sweep(base, points, out, NO_REPORT)
    assert first.solved == 2
    again = run_sweep(base, points, out, NO_REPORT)
    assert (again.solved, again.reused) == (0, 2)
    assert again.table["objective"].tolist() == first.table["objective"].tolist()
    # A lost folder is solved again; the other point is kept.
    import shutil

    shutil.rmtree(out / "points" / "total=100000")
    third = run_sweep(base, points, out, NO_REPORT)
    assert (third.solved, third.reused) == (1, 1)
    # Other solver options change the point hash: everything is solved again.
    fourth = run_sweep(
        base, points, out, StudyOptions(run=RunOptions(solver={"mip_rel_gap": 1e-6}), report=False)
    )
    assert (fourth.solved, fourth.reused) == (2, 0)


def test_failed_point_is_recorded_and_others_kept(tmp_path: Path, base: Any) -> None:
    """A point whose solve raises is an ``error`` row with the message; it has no folder, so
    a re-run tries it again; the other points are written."""

    def explode_at_half_mt(m: Any, d: Any) -> None:
        if d.targets and d.targets[0].amount == 5e5:
            raise RuntimeError("boom")

    points = grid_points([1e5, 5e5, 9e5])
    out = tmp_path / "sw"
    result = run_sweep(
        base, points, out, StudyOptions(run=RunOptions(extra_constraints=(explode_at_half_mt,)))
    )
    table = result.table.set_index("name")
    assert table.loc["total=500000", "status"] == "error"
    assert "boom" in table.loc["total=500000", "error"]
    assert not (out / "points" / "total=500000").exists()
    assert table.loc["total=900000", "status"] == "optimal"
    assert result.failed == 1
    rerun = run_sweep(base, points, out)
    assert (rerun.solved, rerun.reused, rerun.failed) == (1, 2, 0)


def test_infeasible_point_is_a_finished_point(tmp_path: Path, base: Any) -> None:
    """1.2 Mt cannot be delivered (1 Mt exists): the point is ``infeasible`` with its
    diagnosis in the folder, and the sweep succeeds."""
    result = run_sweep(base, grid_points([1.2e6]), tmp_path / "sw")
    row = result.table.iloc[0]
    assert row["status"] == "infeasible" and result.failed == 0
    summary = json.loads((Path(row["folder"]) / "summary.json").read_text())
    assert "diagnosis" in summary


# --------------------------------------------------------------------------------------------
# Real clusters on loopback
# --------------------------------------------------------------------------------------------
def _serial_answers(base: Any, points: list[SweepPoint], tmp: Path) -> dict[str, Any]:
    """Each point solved by a plain run_scenario call (no sweep machinery)."""
    answers = {}
    for point in points:
        scenario = point_scenario(base, point)
        outcome = run_scenario(scenario, tmp / "serial" / point.name)
        answers[point.name] = outcome
    return answers


def _assert_same_as_serial(table: pd.DataFrame, serial: dict[str, Any]) -> None:
    assert set(table["name"]) == set(serial)
    for row in table.itertuples():
        outcome = serial[row.name]
        assert row.status == outcome.results.summary["status"] == "optimal"
        assert row.objective == pytest.approx(outcome.results.summary["objective"], rel=1e-9)
        assert row.built == ";".join(outcome.results.summary["built"])
        flows = pd.read_csv(Path(row.folder) / "flows.csv")
        expected = pd.read_csv(outcome.out_dir / "flows.csv")
        pd.testing.assert_frame_equal(flows, expected, rtol=1e-9)


HALF_POINTS = grid_points([1e5, 5e5, 9e5], [("discount_rate", [0.5])])


def test_local_cluster_sweep_equals_serial_and_survives_a_dying_worker(
    tmp_path: Path, base: Any
) -> None:
    """A LocalCluster of two single-threaded worker processes on 127.0.0.1. The worker that
    first solves the 500,000 t point dies (os._exit) in the middle of it; the scheduler
    reschedules the point on a restarted worker and the sweep completes, equal to serial
    runs."""
    flag = tmp_path / "killed-once"

    def die_once(m: Any, d: Any) -> None:
        import os as _os

        if d.targets and d.targets[0].amount == 5e5 and not flag.exists():
            flag.write_text("a worker died here")
            _os._exit(17)

    seen = Seen()
    options = StudyOptions(
        run=RunOptions(extra_constraints=(die_once,)),
        batch=BatchOptions(serial=False, workers=2),
        report=False,
    )
    result = run_sweep(base, HALF_POINTS, tmp_path / "sw", options, seen)
    assert flag.exists(), "the worker did not die: the test proves nothing"
    assert sorted(seen.names) == sorted(p.name for p in HALF_POINTS)
    assert result.failed == 0
    _assert_same_as_serial(result.table, _serial_answers(base, HALF_POINTS, tmp_path))
    for row in result.table.itertuples():
        assert row.objective == pytest.approx(EXPECTED_HALF[int(row.target_t)], rel=1e-9)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two workers, each a separate process (own session), on 127.0.0.1;
    yields the scheduler address and kills every process it started."""
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
    procs: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "dask.log").open("wb")

    def start(*args: str) -> None:
        procs.append(
            subprocess.Popen(
                [str(VENV_BIN / "dask"), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                cwd=tmp_path,
            )
        )

    try:
        start(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(sched_file),
        )
        deadline = time.monotonic() + 60
        while not sched_file.exists() or not sched_file.read_text().strip():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            start(
                "worker",
                "--scheduler-file",
                str(sched_file),
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            _kill_group(proc)
        log.close()


def test_cli_sweep_on_a_running_scheduler_equals_serial(
    tmp_path: Path, base: Any, dask_cluster: str
) -> None:
    """``symbiosis sweep --scheduler tcp://127.0.0.1:PORT`` on a scheduler and two workers
    started as separate processes; then a re-run skips every point."""
    out = tmp_path / "sw"
    args = [
        "sweep",
        str(TINY / "scenario.yaml"),
        "--out",
        str(out),
        "--targets",
        "1e5:9e5:4e5",
        "--set",
        "discount_rate=0.5",
        "--scheduler",
        dask_cluster,
        "--no-report",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv", keep_default_na=False)
    assert list(table["name"]) == [p.name for p in HALF_POINTS]
    assert not table["reused"].any()
    _assert_same_as_serial(table, _serial_answers(base, HALF_POINTS, tmp_path))

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "3 points already done" in again.output
    assert pd.read_csv(out / "sweep.csv")["reused"].all()
