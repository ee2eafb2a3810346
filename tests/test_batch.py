"""The batch engine (symbiosis.batch): one engine, serial or on Dask, under batch runs, the
target-cost curve, the cost-CO2 front and sweeps.

The kink case (tests/cases/kink/EXPECTED.md): C(T) = 10 T up to 400,000 t, then
5,000,000 + 30 (T - 400,000); the tiny case (tests/cases/tiny/EXPECTED.md): 14,049,529.12
CNY/yr at its own target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import CASES, TINY
from typer.testing import CliRunner

from symbiosis.batch import (
    BatchOptions,
    RunTask,
    SilentEvents,
    StudyOptions,
    TaskResult,
    prepare_runs,
    run_batch,
    run_prepared,
)
from symbiosis.case import InputError, load_case
from symbiosis.cli import app
from symbiosis.curve import target_curve
from symbiosis.options import RunOptions
from symbiosis.runner import EXIT_ERROR, EXIT_OK
from symbiosis.scenario import load_scenario

KINK = CASES / "kink"
TINY_OPTIMUM = 14_049_529.12


class Recorder(SilentEvents):
    """Batch events kept in order: ("started", total, done), ("task", name), ("done", name,
    status)."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def batch_started(self, total: int, done: int) -> None:
        self.seen.append(("started", total, done))

    def task_started(self, task: RunTask) -> None:
        self.seen.append(("task", task.name))

    def task_done(self, result: TaskResult) -> None:
        self.seen.append(("done", result.task.name, result.status))


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------
def test_batch_options_refuse_no_workers() -> None:
    with pytest.raises(InputError, match="--workers"):
        BatchOptions(serial=False, workers=0)


def test_batch_options_refuse_negative_retries() -> None:
    with pytest.raises(InputError, match="--retries"):
        BatchOptions(retries=-1)


def test_batch_options_refuse_an_empty_scheduler() -> None:
    with pytest.raises(InputError, match="--scheduler"):
        BatchOptions(serial=False, scheduler=" ")


def test_cli_sweep_with_no_workers_is_invalid_input(tmp_path: Path) -> None:
    """Exit 2 naming the option, nothing solved or written."""
    out = tmp_path / "sw"
    args = ["sweep", str(TINY / "scenario.yaml"), "--targets", "1e5", "--workers", "0"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output and "give 1 or more" in result.output
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# The engine, serially
# --------------------------------------------------------------------------------------------
def test_serial_batch_writes_each_folder_with_the_tasks_manifest_entries(tmp_path: Path) -> None:
    """Two tasks: each run folder written by the engine, the task's manifest entries over the
    run's own; events in order."""
    scenario = load_scenario(TINY / "scenario.yaml")
    tasks = [
        RunTask("a", scenario, RunOptions(), tmp_path / "a", manifest={"study": {"point": 1}}),
        RunTask("b", scenario, RunOptions(shadow_prices=False), tmp_path / "b"),
    ]
    events = Recorder()
    done = run_batch(tasks, BatchOptions(), events)
    assert [r.status for r in done.results] == ["optimal", "optimal"]
    assert done.exit_code == EXIT_OK and done.interruption is None
    for result in done.results:
        assert result.folder == tmp_path / result.task.name
        summary = json.loads((result.folder / "summary.json").read_text())
        assert summary["objective"] == pytest.approx(TINY_OPTIMUM)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["study"] == {"point": 1}
    assert manifest["scenario"]["name"] == "tiny"
    assert "study" not in json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert events.seen == [
        ("task", "a"),
        ("done", "a", "optimal"),
        ("task", "b"),
        ("done", "b", "optimal"),
    ]


def test_serial_batch_retries_a_failed_task(tmp_path: Path) -> None:
    """A build step that raises on its first call only: with retries=1 the task is solved on
    its second try; with retries=0 it is an ``error`` (no folder) and the next task runs."""
    calls = [0]

    def fails_once(model: Any, data: Any) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("transient")

    scenario = load_scenario(TINY / "scenario.yaml")
    task = RunTask("a", scenario, RunOptions(extra_constraints=(fails_once,)), tmp_path / "a")
    retried = run_batch([task], BatchOptions(retries=1)).results[0]
    assert retried.status == "optimal" and calls[0] == 2
    calls[0] = 0
    other = RunTask("b", scenario, RunOptions(), tmp_path / "b")
    failed, next_one = run_batch([task, other], BatchOptions(retries=0)).results
    assert failed.status == "error" and failed.exit_code == EXIT_ERROR
    assert "RuntimeError: transient" in failed.error and failed.folder is None
    assert next_one.status == "optimal"


def test_stop_on_error_raises_the_tasks_error(tmp_path: Path) -> None:
    def boom(model: Any, data: Any) -> None:
        raise RuntimeError("boom")

    scenario = load_scenario(TINY / "scenario.yaml")
    task = RunTask("a", scenario, RunOptions(extra_constraints=(boom,)), tmp_path / "a")
    with pytest.raises(RuntimeError, match="boom"):
        run_batch([task], BatchOptions(stop_on_error=True))


def test_prepared_runs_share_the_case_read_once(tmp_path: Path) -> None:
    """run_prepared: one task per scenario, into out/<name>, on the case read once."""
    paths = []
    for name in ("a", "b"):
        text = (TINY / "scenario.yaml").read_text(encoding="utf-8")
        text = text.replace("name: tiny", f"name: {name}")
        text = text.replace("case: case", f"case: {TINY / 'case'}")
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    read: list[Any] = []
    prepared = prepare_runs(paths, tmp_path / "runs", on_read=read.append)
    assert len(read) == 1
    events = Recorder()
    done = run_prepared(prepared, RunOptions(), None, events)
    assert events.seen[0] == ("started", 2, 0)
    assert [r.folder for r in done.results] == [tmp_path / "runs" / "a", tmp_path / "runs" / "b"]
    assert [r.summary["objective"] for r in done.results] == pytest.approx([TINY_OPTIMUM] * 2)


# --------------------------------------------------------------------------------------------
# Serial and Dask: the same rows for the same plan
# --------------------------------------------------------------------------------------------
def test_curve_on_dask_equals_the_serial_curve(tmp_path: Path) -> None:
    """The kink curve at 300,000 ... 500,000 t (and its lead-in at 200,000 t) solved serially
    and on a LocalCluster of two workers: the same rows (but the folders), the same flows in
    every point's folder, each point reported once."""
    scenario = load_scenario(KINK / "scenario.yaml")
    case = load_case(KINK / "case")
    levels = [300_000, 400_000, 500_000]
    serial = target_curve(scenario, levels, tmp_path / "serial", StudyOptions(report=False))
    events = Recorder()
    options = StudyOptions(batch=BatchOptions(serial=False, workers=2), report=False)
    on_dask = target_curve(scenario, levels, tmp_path / "dask", options, events, case)
    assert serial.exit_code == on_dask.exit_code == EXIT_OK
    assert on_dask.table["marginal_cost_cny_per_t"].tolist() == pytest.approx([10, 10, 40])
    pd.testing.assert_frame_equal(
        serial.table.drop(columns=["run_dir"]), on_dask.table.drop(columns=["run_dir"])
    )
    assert serial.lead_in["objective"] == pytest.approx(on_dask.lead_in["objective"])
    done = sorted(e[1] for e in events.seen if e[0] == "done")
    assert done == sorted(p.name for p in (tmp_path / "dask" / "points").iterdir())
    assert len(done) == 4
    for a, b in zip(serial.table["run_dir"], on_dask.table["run_dir"], strict=True):
        assert Path(a).name == Path(b).name
        pd.testing.assert_frame_equal(
            pd.read_csv(Path(a) / "flows.csv"), pd.read_csv(Path(b) / "flows.csv")
        )
