"""Many scenarios at once: a list or grid of variations of one scenario, solved on
dask.distributed, gathered into ``sweep.csv`` and one comparison report.

A sweep starts from a base scenario and a list of *points*. Each point is a nested mapping of
scenario keys merged into the base (``{"target": {"total": 6e7}}``,
``{"discount_rate": 0.08}``, or a whole block of ``overrides``); the merged mapping is
validated by :func:`~symbiosis.scenario.scenario_from_dict` before anything runs, so a bad
point stops the sweep with exit code 2 and nothing solved. Points come from a grid (the
Cartesian product of ``--targets`` and each ``--set KEY=V1,V2,...``) and/or a YAML list.

Execution. Each point is one :func:`run_scenario` call in a dask worker (a ``LocalCluster``
with one single-threaded worker process per core by default, or any running cluster given by
its scheduler address). HiGHS runs with one thread per point so that workers do not
oversubscribe the cores. The case is read once, on the client, and shipped with each task, so
workers need neither the case files nor the output folder: the worker returns the run folder's
files and the client writes ``DIR/points/<name>/`` atomically as each point completes. A
worker that dies loses only the point it was solving (the scheduler reschedules it on another
worker; after repeated deaths it is recorded as ``error``); every finished point is already on
disk. A re-run skips every point whose folder holds a ``summary.json`` and a manifest with the
same *point hash*: the sha256 of the resolved scenario, the checksums of the case files and
the solver options (anything that can change the answer).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from symbiosis import interrupt
from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.files import (
    RUN_KIND,
    SWEEP_KIND,
    open_folder,
    write_folder,
    write_text_atomic,
)
from symbiosis.interrupt import Interrupted, StopRequest
from symbiosis.options import RunOptions, resolve_options
from symbiosis.report import write_sweep_page
from symbiosis.results import read_run_folder, write_run_folder
from symbiosis.scenario import Scenario, check_scenario_against_case, scenario_from_dict

SWEEP_CSV = "sweep.csv"
POINTS_DIR = "points"
#: Columns of ``sweep.csv`` before the per-point change columns.
SWEEP_COLUMNS = (
    "name",
    "target_t",
    "status",
    "objective",
    "mip_gap",
    "bound",
    "delivered_target_t",
    "co2_avoided_t",
    "capex_built",
    "n_built",
    "built",
    "seconds",
    "reused",
    "error",
    "folder",
)
_NAME_BAD = re.compile(r"[^A-Za-z0-9._=+-]+")


# --------------------------------------------------------------------------------------------
# Points: grids and lists
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPoint:
    """One variation of the base scenario: a name and the nested keys it changes."""

    name: str
    changes: dict[str, Any] = field(default_factory=dict)


def parse_values(text: str, what: str = "--targets") -> list[float]:
    """Numbers from ``START:STOP:STEP`` (both ends included) or ``V1,V2,...``.

    ``60e6:100e6:5e6`` gives 60, 65, ..., 100 million: :math:`n = round((stop - start) / step)
    + 1` values :math:`start + i \\cdot step`, where ``stop`` must lie on the grid to within
    1e-9 of a step.
    """
    text = text.strip()

    def number(token: str) -> float:
        try:
            value = float(token.replace("_", ""))
        except ValueError:
            raise InputError(
                [Problem(what, f"{token!r} is not a number (use START:STOP:STEP or V1,V2,...)")],
                "sweep",
            ) from None
        if not math.isfinite(value):
            raise InputError([Problem(what, f"{token!r} is not a finite number")], "sweep")
        return value

    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise InputError(
                [Problem(what, f"{text!r}: a range is START:STOP:STEP, e.g. 60e6:100e6:5e6")],
                "sweep",
            )
        start, stop, step = (number(p) for p in parts)
        if step <= 0 or stop < start:
            raise InputError([Problem(what, f"{text!r}: need STEP > 0 and STOP >= START")], "sweep")
        steps = (stop - start) / step
        n = round(steps)
        if abs(steps - n) > 1e-9 * max(1.0, steps):
            raise InputError(
                [Problem(what, f"{text!r}: STOP is not START plus a whole number of STEPs")],
                "sweep",
            )
        if n + 1 > 100_000:
            raise InputError([Problem(what, f"{text!r}: more than 100,000 values")], "sweep")
        return [start + i * step for i in range(n + 1)]
    values = [number(p) for p in text.split(",") if p.strip()]
    if not values:
        raise InputError([Problem(what, "no values given")], "sweep")
    return values


def parse_set(text: str) -> tuple[str, list[Any]]:
    """``KEY=V1,V2,...`` -> (dotted key, values); each value is read as YAML (numbers, null,
    true/false, text)."""
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key or not rest.strip():
        raise InputError(
            [Problem("--set", f"{text!r}: write KEY=V1,V2,... e.g. discount_rate=0.04,0.08")],
            "sweep",
        )
    values = [_scalar(token.strip()) for token in rest.split(",") if token.strip()]
    return key, values


def _scalar(token: str) -> Any:
    """A ``--set`` value: an int, a float (``6e7`` too), null/true/false, or text."""
    words = {"null": None, "none": None, "true": True, "false": False}
    if token.lower() in words:
        return words[token.lower()]
    plain = token.replace("_", "")
    for kind in (int, float):
        try:
            return kind(plain)
        except ValueError:
            pass
    return token


def nested(dotted: str, value: Any) -> dict[str, Any]:
    """``nested("target.total", 6e7)`` -> ``{"target": {"total": 6e7}}``.

    Under ``overrides.scale`` the rest is one key (``table.column``):
    ``overrides.scale.modes.cost_per_unit_km`` -> ``{"overrides": {"scale":
    {"modes.cost_per_unit_km": value}}}``.
    """
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    if parts[:2] == ["overrides", "scale"] and len(parts) > 3:
        parts = [*parts[:2], ".".join(parts[2:])]
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


#: Lists under ``overrides:`` that a point adds to the base's instead of replacing them.
STACKED_OVERRIDES = ("set", "disable_modes")


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with a point's ``changes`` merged in, by the rules of ``extends:``
    (:mod:`symbiosis.scenario`): mappings merge key by key, any other value (number, text,
    list) replaces, ``null`` removes (back to the default); under ``overrides`` the lists
    ``set`` and ``disable_modes`` stack, ``scale`` merges by key, and a project the point
    forces in (``force_build``) leaves the base's ``forbid`` and vice versa."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif key == "overrides" and isinstance(old, dict) and isinstance(value, dict):
            out[key] = _merge_overrides(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = deep_merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_overrides(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif key in STACKED_OVERRIDES and isinstance(old, list) and isinstance(value, list):
            out[key] = old + [v for v in value if key == "set" or v not in old]
        elif key == "scale" and isinstance(old, dict) and isinstance(value, dict):
            out[key] = {**old, **value}
        elif key in ("force_build", "forbid") and isinstance(old, list) and isinstance(value, list):
            out[key] = old + [v for v in value if v not in old]
        else:
            out[key] = copy.deepcopy(value)
    for key, other in (("force_build", "forbid"), ("forbid", "force_build")):
        mine = changes.get(key)
        if isinstance(mine, list) and isinstance(out.get(other), list):
            out[other] = [v for v in out[other] if v not in mine]
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, int | float | np.floating | np.integer):
        v = float(value)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}"
    return str(value)


def safe_name(text: str) -> str:
    """A folder-safe point name (letters, digits, ``._=+-``)."""
    name = _NAME_BAD.sub("_", text).strip("._")
    return name or "point"


def grid_points(
    targets: Sequence[float] = (),
    sets: Sequence[tuple[str, Sequence[Any]]] = (),
    listed: Sequence[SweepPoint] = (),
) -> list[SweepPoint]:
    """The Cartesian product of the listed points (or one empty point), the target levels
    (``target.total``) and each ``--set`` dimension, in that nesting order.

    A grid point is named by its coordinates, ``total=60000000-discount_rate=0.08``, after the
    listed point's own name when there is one.
    """
    dims: list[list[tuple[str, Any]]] = []
    if targets:
        dims.append([("target.total", float(t)) for t in targets])
    for key, values in sets:
        if not values:
            raise InputError([Problem("--set", f"{key}: no values given")], "sweep")
        dims.append([(key, v) for v in values])
    base_points = list(listed) or [SweepPoint("", {})]
    points: list[SweepPoint] = []
    for point in base_points:
        for combo in itertools.product(*dims):
            changes = copy.deepcopy(point.changes)
            labels = [point.name] if point.name else []
            for key, value in combo:
                changes = deep_merge(changes, nested(key, value))
                label = key.rsplit(".", 1)[-1]
                if key.startswith("overrides.scale."):
                    label = f"x{label}"
                labels.append(f"{label}={_fmt(value)}")
            points.append(SweepPoint(safe_name("-".join(labels)) if labels else "", changes))
    if len(points) == 1 and not points[0].name:
        points = [SweepPoint("base", points[0].changes)]
    names = [p.name for p in points]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates or "" in names:
        raise InputError(
            [
                Problem(
                    "sweep", f"point names must be unique and non-empty: {', '.join(duplicates)}"
                )
            ],
            "sweep",
        )
    return points


def load_points(path: str | Path) -> list[SweepPoint]:
    """Read a YAML list of points: each item a mapping of scenario keys (dotted keys such as
    ``target.total`` allowed) with an optional ``name``; or a mapping with the key ``points``
    holding that list."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError([Problem(str(path), "no such file")], "sweep") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(path.name, f"cannot read YAML: {exc}")], "sweep") from None
    if isinstance(data, dict) and "points" in data:
        data = data["points"]
    if not isinstance(data, list) or not data:
        raise InputError(
            [Problem(path.name, "a points file is a non-empty YAML list of mappings")], "sweep"
        )
    points, problems = [], []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(path.name, f"point {i} is not a mapping", row=i))
            continue
        item = dict(item)
        name = item.pop("name", None)
        changes: dict[str, Any] = {}
        for key, value in item.items():
            changes = deep_merge(changes, nested(str(key), value))
        points.append(
            SweepPoint(safe_name(str(name)) if name is not None else f"p{i:03d}", changes)
        )
    if problems:
        raise InputError(problems, "sweep")
    return points


# --------------------------------------------------------------------------------------------
# Point scenarios and their hash
# --------------------------------------------------------------------------------------------
def base_mapping(base: Scenario) -> dict[str, Any]:
    """The base scenario as a plain mapping (defaults filled in, case path absolute)."""
    return base.resolved()


def point_scenario(base: Scenario, point: SweepPoint) -> Scenario:
    """The base scenario with the point's changes, validated; named after the point."""
    data = deep_merge(base_mapping(base), point.changes)
    data["name"] = point.name
    # The base is already resolved: its ``extends`` chain is kept as a record, not re-read.
    chain = data.pop("extends", None)
    base_dir = base.source.parent if base.source else Path.cwd()
    source = f"sweep point {point.name}"
    scenario = scenario_from_dict(data, base_dir, source)
    if chain:
        scenario.extends = list(chain)
    scenario.source = base.source
    return scenario


def input_hashes(scenario: Scenario, case: Case) -> dict[str, str]:
    """sha256 of the scenario file and of every case file (as in a run's manifest)."""
    from symbiosis.files import sha256_file

    paths = [*([scenario.source] if scenario.source else []), *case.files]
    return {str(p): sha256_file(Path(p)) for p in paths}


def point_hash(scenario: Scenario, case_hashes: dict[str, str], options: dict[str, Any]) -> str:
    """sha256 of everything that can change a point's answer: its resolved scenario, the case
    files' checksums and the solver options."""
    payload = {
        "scenario": scenario.resolved(),
        "case_files": {k: case_hashes[k] for k in sorted(case_hashes)},
        "solver": options,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class PointTask:
    """What a worker needs to solve one point: no file on the worker's disk is read."""

    name: str
    scenario: Scenario  # with the solver profile already resolved into ``overrides``
    case: Case
    solver_overrides: dict[str, Any]
    run_options: dict[str, Any] = field(default_factory=dict)


def run_point(task: PointTask) -> dict[str, Any]:
    """Solve one point (in a worker) and return its summary and run folder files.

    Invalid input is returned as status ``invalid`` (retrying cannot help); any other error
    propagates so that dask may retry the task.
    """
    from symbiosis.runner import run_scenario

    start = time.perf_counter()
    try:
        outcome = run_scenario(
            task.scenario,
            None,
            None,
            RunOptions(solver=task.solver_overrides, **task.run_options),
            case=task.case,
        )
    except InputError as exc:
        return {
            "name": task.name,
            "status": "invalid",
            "error": exc.report(),
            "seconds": time.perf_counter() - start,
        }
    # (serial sweeps: a signal now must not lose the solution in hand)
    with interrupt.deferred(), tempfile.TemporaryDirectory(prefix="symbiosis-point-") as tmp:
        folder = write_run_folder(Path(tmp) / "run", outcome.results, outcome.manifest)
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    return {
        "name": task.name,
        "status": outcome.results.summary.get("status"),
        "summary": outcome.results.summary,
        "manifest": outcome.manifest,
        "files": files,
        "seconds": time.perf_counter() - start,
        "exit_code": outcome.exit_code,
    }


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    """What a sweep produced."""

    table: pd.DataFrame  # the rows of sweep.csv
    out_dir: Path
    csv: Path
    report: Path | None = None
    solved: int = 0
    reused: int = 0
    failed: int = 0
    #: the SIGINT/SIGTERM that stopped the sweep early (points not finished: ``not_run``)
    interruption: StopRequest | None = None

    @property
    def exit_code(self) -> int:
        """130 when a stop request left points not run, else 1 when any point failed, else
        0."""
        if self.interruption is not None and (self.table["status"] == "not_run").any():
            return 130
        return 1 if self.failed else 0


@dataclass
class _Prepared:
    point: SweepPoint
    scenario: Scenario
    hash: str
    folder: Path


def _row(
    prep: _Prepared,
    summary: dict[str, Any] | None,
    status: str,
    seconds: float | None,
    reused: bool,
    error: str = "",
) -> dict[str, Any]:
    summary = summary or {}
    built = summary.get("built") or []
    row: dict[str, Any] = {
        "name": prep.point.name,
        "target_t": prep.scenario.target.total,
        "status": status,
        "objective": summary.get("objective"),
        "mip_gap": summary.get("mip_gap"),
        "bound": summary.get("bound"),
        "delivered_target_t": summary.get("delivered_target_t"),
        "co2_avoided_t": summary.get("co2_avoided_t"),
        "capex_built": summary.get("capex_built"),
        "n_built": len(built) if summary else None,
        "built": ";".join(built),
        "seconds": None if seconds is None else round(float(seconds), 3),
        "reused": reused,
        "error": error,
        "folder": str(prep.folder) if summary else "",
    }
    for key, value in _flatten(prep.point.changes).items():
        if key != "target.total":
            row[key] = value if not isinstance(value, list | dict) else json.dumps(value)
    return row


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def finished_summary(folder: Path, expected_hash: str) -> dict[str, Any] | None:
    """The summary of an earlier run of this point, if its folder is complete and its hash
    matches; else None."""
    try:
        run = read_run_folder(folder, tables=False)
    except InputError:
        return None
    if (run.manifest.get("sweep") or {}).get("hash") != expected_hash:
        return None
    return dict(run.summary)


def _write_point(prep: _Prepared, result: dict[str, Any], extra: dict[str, Any]) -> Path:
    manifest = dict(result["manifest"])
    manifest.update(extra)
    files = {k: v for k, v in result["files"].items() if k != "manifest.json"}

    def writer(data: bytes) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            path.write_bytes(data)

        return write

    return write_folder(
        prep.folder,
        RUN_KIND,
        {name: writer(data) for name, data in files.items()},
        manifest=manifest,
    )


ProgressCallback = Callable[[int, int, dict[str, Any]], None]


def run_sweep(
    base: Scenario,
    points: Sequence[SweepPoint],
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    serial: bool = False,
    solver_overrides: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
    retries: int = 1,
    force: bool = False,
    report: bool = True,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[int, int], None] | None = None,
    overwrite: bool = False,
) -> SweepResult:
    """Solve every point and gather ``DIR/sweep.csv`` and a comparison report.

    Parameters
    ----------
    base : the scenario every point varies.
    points : the variations (:func:`grid_points`, :func:`load_points`).
    out_dir : ``DIR``; point ``p`` is written to ``DIR/points/p/``.
    scheduler : address of a running dask scheduler (``tcp://host:port``) or a scheduler
        file; None starts a ``LocalCluster`` of ``n_workers`` single-threaded worker
        processes (default: one per core).
    serial : solve in this process, one point after the other, without dask.
    solver_overrides : solver options over the scenario's (``time_limit``, ``mip_rel_gap``,
        ``threads``, HiGHS options); ``threads`` defaults to 1 per point.
    run_options : further keyword arguments of :func:`~symbiosis.runner.run_scenario`.
    retries : times dask retries a point whose solve raised an error.
    force : solve every point even if an earlier run of it is complete.
    report : write the comparison report of the solved points.
    on_progress : called as ``on_progress(done, total, row)`` after each point.
    on_start : called as ``on_start(total, already_done)`` once the points are prepared.

    SIGINT or SIGTERM (:mod:`symbiosis.interrupt`) stops the sweep at once: points finished
    are on disk and in sweep.csv, the point under way keeps its best solution when solved
    in this process (``serial``; a dask worker's point is cancelled), the rest are listed
    as ``not_run``; the comparison report is not written (a re-run reuses the finished
    points and writes it).
    overwrite : use a ``DIR`` that holds files symbiosis did not write (the sweep's files
        are written beside them, none replaced); without it such a ``DIR`` is refused
        (:class:`~symbiosis.files.OutputRefused`). A sweep folder of an earlier sweep is
        used as it is: points already done are kept.
    """
    out = Path(out_dir).resolve()
    case = load_case(base.case)
    base_dir = base.source.parent if base.source else None
    overrides = {
        "threads": 1,
        **{k: v for k, v in (solver_overrides or {}).items() if v is not None},
    }

    # Validate every point before anything runs.
    prepared: list[_Prepared] = []
    problems: list[Problem] = []
    hashes: dict[str, str] | None = None
    for point in points:
        try:
            scenario = point_scenario(base, point)
            point_case = case
            if not scenario.overrides.is_empty():
                from symbiosis.overrides import apply_overrides

                point_case = apply_overrides(case, scenario.overrides, f"point {point.name}")
            check_scenario_against_case(scenario, point_case)
        except InputError as exc:
            problems.extend(
                replace(p, message=f"point {point.name}: {p.message}") for p in exc.problems
            )
            continue
        if scenario.case != base.case:
            problems.append(
                Problem("sweep", f"point {point.name}: a sweep varies one case; 'case' changed")
            )
            continue
        if hashes is None:
            hashes = input_hashes(scenario, case)
        options = resolve_options(scenario.solver, base_dir, overrides).as_dict()
        prepared.append(
            _Prepared(
                point,
                scenario,
                point_hash(scenario, hashes, options),
                out / POINTS_DIR / point.name,
            )
        )
    if problems:
        raise InputError(problems, "sweep")
    hashes = hashes or {}
    open_folder(out, SWEEP_KIND, [POINTS_DIR, SWEEP_CSV, "report.html"], overwrite=overwrite)

    rows: dict[str, dict[str, Any]] = {}
    todo: list[_Prepared] = []
    for prep in prepared:
        summary = None if force else finished_summary(prep.folder, prep.hash)
        if summary is None:
            todo.append(prep)
        else:
            rows[prep.point.name] = _row(prep, summary, str(summary.get("status")), None, True)
    total = len(prepared)
    if on_start is not None:
        on_start(total, len(rows))
    done = len(rows)
    for name in list(rows):
        if on_progress is not None:
            on_progress(done, total, rows[name])

    def tasks() -> Iterable[tuple[_Prepared, PointTask]]:
        for prep in todo:
            yield prep, _task(prep, case, base_dir, overrides, run_options or {})

    def record(prep: _Prepared, result: dict[str, Any] | None, error: str) -> None:
        with interrupt.deferred():  # a point in hand is written whatever comes
            _record(prep, result, error)

    def _record(prep: _Prepared, result: dict[str, Any] | None, error: str) -> None:
        nonlocal done
        if result is not None and "files" in result:
            extra = {
                "scenario": prep.scenario.resolved(),
                "scenario_file": str(base.source) if base.source else None,
                "inputs": hashes,
                "command": sys.argv,
                "sweep": {
                    "point": prep.point.name,
                    "hash": prep.hash,
                    "changes": prep.point.changes,
                    "base_scenario": str(base.source) if base.source else base.name,
                },
            }
            _write_point(prep, result, extra)
            row = _row(prep, result["summary"], str(result["status"]), result["seconds"], False)
        else:
            status = "invalid" if result is not None else "error"
            seconds = result.get("seconds") if result is not None else None
            message = (result or {}).get("error", "") or error
            row = _row(prep, None, status, seconds, False, message.strip())
        rows[prep.point.name] = row
        done += 1
        if on_progress is not None:
            on_progress(done, total, row)

    with interrupt.handle_signals(), interrupt.deferred():
        interrupt.set_stage("sweep" if serial else "sweep (dask)")
        try:
            if todo:
                with interrupt.interruptible():
                    if serial:
                        _run_serial(tasks(), record)
                    else:
                        _run_dask(list(tasks()), record, scheduler, n_workers, retries)
        except Interrupted:
            pass  # the points finished are recorded; the rest are not_run
        finally:
            table = _table(prepared, rows)
            csv_path = out / SWEEP_CSV
            write_text_atomic(csv_path, table.to_csv(index=False, float_format="%.10g"))
        stop = interrupt.requested()

        result = SweepResult(
            table,
            out,
            csv_path,
            solved=int(((~table["reused"]) & table["folder"].astype(bool)).sum()),
            reused=int(table["reused"].sum()),
            failed=int((~table["folder"].astype(bool)).sum()),
            interruption=stop,
        )
        if report and stop is None:
            result.report = write_report(out, table)
    return result


def _task(
    prep: _Prepared,
    case: Case,
    base_dir: Path | None,
    overrides: dict[str, Any],
    run_options: dict[str, Any],
) -> PointTask:
    """A task whose scenario needs no file on the worker: the solver profile is resolved here
    into explicit options, and the scenario's source is dropped (the client writes the
    manifest's scenario and input checksums)."""
    options = resolve_options(prep.scenario.solver, base_dir, overrides)
    explicit = {
        "time_limit": options.time_limit,
        "mip_rel_gap": options.mip_rel_gap,
        "threads": options.threads,
        **options.highs,
    }
    solver = prep.scenario.solver.model_copy(update={"profile": None, "options": {}})
    scenario = prep.scenario.model_copy(update={"solver": solver, "source": None})
    worker_case = replace(case, files=[])
    return PointTask(prep.point.name, scenario, worker_case, explicit, dict(run_options))


def _run_serial(
    tasks: Iterable[tuple[_Prepared, PointTask]],
    record: Callable[[_Prepared, dict[str, Any] | None, str], None],
) -> None:
    for prep, task in tasks:
        interrupt.check()
        try:
            result = run_point(task)
        except Exception as exc:
            record(prep, None, f"{type(exc).__name__}: {exc}")
        else:
            record(prep, result, "")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _run_dask(
    tasks: list[tuple[_Prepared, PointTask]],
    record: Callable[[_Prepared, dict[str, Any] | None, str], None],
    scheduler: str | None,
    n_workers: int | None,
    retries: int,
) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    elif "://" in scheduler:
        client = Client(scheduler, timeout="20s")
    else:
        client = Client(scheduler_file=scheduler, timeout="20s")
    try:
        futures = {}
        for prep, task in tasks:
            future = client.submit(
                run_point,
                task,
                key=f"symbiosis-point-{prep.point.name}-{prep.hash[:12]}",
                pure=False,
                retries=retries,
            )
            futures[future.key] = (future, prep)
        try:
            for future in as_completed([f for f, _ in futures.values()]):
                _, prep = futures.pop(future.key)
                try:
                    result = future.result()
                except Exception as exc:
                    record(prep, None, _dask_error(exc))
                else:
                    record(prep, result, "")
                future.release()
        except BaseException:
            with interrupt.deferred():
                for future, _ in futures.values():
                    future.cancel()
            raise
    finally:
        with interrupt.deferred():  # a second Ctrl-C must not leave workers behind
            client.close()
            if cluster is not None:
                cluster.close()


def _dask_error(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "the worker solving this point died (more than the scheduler's allowed failures)"
    return f"{name}: {exc}"


def _table(prepared: Sequence[_Prepared], rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    records = []
    for prep in prepared:
        row = rows.get(prep.point.name)
        if row is None:
            row = _row(prep, None, "not_run", None, False)
        records.append(row)
    table = pd.DataFrame.from_records(records)
    if table.empty:
        table = pd.DataFrame(columns=list(SWEEP_COLUMNS))
    extra = [c for c in table.columns if c not in SWEEP_COLUMNS]
    table = table[[*SWEEP_COLUMNS, *extra]]
    table["reused"] = table["reused"].astype(bool)
    return table


# --------------------------------------------------------------------------------------------
# The comparison report
# --------------------------------------------------------------------------------------------
def write_report(out: Path, table: pd.DataFrame) -> Path | None:
    """One comparison report of every point that wrote a run folder, in sweep order (the
    first is the baseline): :func:`symbiosis.compare.compare_runs` written as
    ``DIR/report.html``. Should that fail (the sweep's results are on disk either way), a
    plain table of the sweep is written there instead and the reason printed in it."""
    folders = [Path(f) for f in table["folder"] if f]
    if not folders:
        return None
    try:
        from symbiosis.compare import compare_runs
        from symbiosis.report import write_report as write_comparison

        written = write_comparison(compare_runs(folders), out / "report.html")
        return written[0]
    except Exception as exc:  # the report must not lose a finished sweep
        return write_sweep_page(out, table, f"{type(exc).__name__}: {exc}")


__all__ = [
    "SWEEP_COLUMNS",
    "PointTask",
    "SweepPoint",
    "SweepResult",
    "deep_merge",
    "grid_points",
    "load_points",
    "parse_set",
    "parse_values",
    "point_hash",
    "point_scenario",
    "run_point",
    "run_sweep",
]
