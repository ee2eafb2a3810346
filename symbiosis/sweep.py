"""Stage "studies": many scenarios at once, a plan on the batch engine
(:mod:`symbiosis.batch`): a list or grid of variations of one scenario, gathered into
``sweep.csv`` and one comparison report.

A sweep starts from a base scenario and a list of *points*. Each point is a nested mapping of
scenario keys merged into the base (``{"target": {"total": 6e7}}``,
``{"discount_rate": 0.08}``, or a whole block of ``overrides``) by
:func:`symbiosis.scenario.deep_merge` (the rules of ``extends:``); the merged mapping is
validated by :func:`~symbiosis.scenario.scenario_from_dict` before anything runs, so a bad
point stops the sweep with exit code 2 and nothing solved. Points come from a grid (the
Cartesian product of ``--targets`` and each ``--set KEY=V1,V2,...``) and/or a YAML list.

Execution. Each point is one :class:`~symbiosis.batch.RunTask`, run by
:func:`~symbiosis.batch.run_batch` on Dask (a ``LocalCluster`` with one single-threaded
worker process per core by default, or any running cluster given by its scheduler address)
or serially in this process. HiGHS runs with one thread per point so that workers do not
oversubscribe the cores. The case is read once, on the client, and shipped with each task,
and the solver profile is resolved here, so workers need neither the case files nor the
output folder: the client writes ``DIR/points/<name>/`` atomically as each point completes,
its manifest completed here (scenario file, input checksums, the point and its hash). A
worker that dies loses only the point it was solving (the scheduler reschedules it on another
worker; after repeated deaths it is recorded as ``error``); every finished point is already on
disk. A re-run skips every point whose folder holds a ``summary.json`` and a manifest with the
same *point hash*: the sha256 of the resolved scenario, the checksums of the case files and
the solver options (anything that can change the answer).

Multi-year scenarios (``years``) sweep like any other: ``objective`` is the horizon's
discounted cost (``delivered_target_t`` and ``co2_avoided_t`` summed over the horizon), and
sweep.csv ends with each year's figures (:func:`symbiosis.batch.year_columns`:
``cost_<year>`` undiscounted, ``delivered_target_t_<year>``, ``co2_avoided_t_<year>``,
``capex_built_<year>``, ``built_<year>``) after the points' own columns. ``--targets`` sets
``target.total`` to a number: every year's target.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from symbiosis import interrupt
from symbiosis.batch import (
    POINTS_DIR,
    YEAR_COLUMN,
    BatchEvents,
    RunTask,
    SilentEvents,
    StudyOptions,
    TaskResult,
    run_batch,
    year_columns,
)
from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.files import SWEEP_KIND, open_folder, write_text_atomic
from symbiosis.i18n import _
from symbiosis.interrupt import StopRequest
from symbiosis.options import RunOptions, resolve_options
from symbiosis.report import write_sweep_page
from symbiosis.results import read_run_folder
from symbiosis.scenario import (
    Scenario,
    check_scenario_against_case,
    deep_merge,
    scenario_from_dict,
)

SWEEP_CSV = "sweep.csv"
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
    """One variation of the base scenario.

    Attributes
    ----------
    name : str
        The point's name (its folder under ``points/``).
    changes : dict
        The nested scenario keys it changes (merged by :func:`symbiosis.scenario.deep_merge`).
    """

    name: str
    changes: dict[str, Any] = field(default_factory=dict)


def parse_values(text: str, what: str = "--targets") -> list[float]:
    """Numbers from ``START:STOP:STEP`` (both ends included) or ``V1,V2,...``.

    ``60e6:100e6:5e6`` gives 60, 65, ..., 100 million: :math:`n = round((stop - start) / step)
    + 1` values :math:`start + i \\cdot step`, where ``stop`` must lie on the grid to within
    1e-9 of a step.

    Parameters
    ----------
    text : str
        The range or list (``_`` separators allowed).
    what : str
        The option it came from, for messages.

    Returns
    -------
    list of float
        The values, in the order given (at most 100,000).

    Raises
    ------
    InputError
        For text that is not numbers, a bad range, or no value.
    """
    text = text.strip()

    def number(token: str) -> float:
        try:
            value = float(token.replace("_", ""))
        except ValueError:
            raise InputError(
                [
                    Problem(
                        what,
                        _("{token} is not a number; allowed: START:STOP:STEP or V1,V2,...").format(
                            token=repr(token)
                        ),
                    )
                ],
                "sweep",
            ) from None
        if not math.isfinite(value):
            message = _("{token} is not a finite number").format(token=repr(token))
            raise InputError([Problem(what, message)], "sweep")
        return value

    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise InputError(
                [
                    Problem(
                        what,
                        _("{text}: a range is START:STOP:STEP, e.g. 60e6:100e6:5e6").format(
                            text=repr(text)
                        ),
                    )
                ],
                "sweep",
            )
        start, stop, step = (number(p) for p in parts)
        if step <= 0 or stop < start:
            message = _("{text}: need STEP > 0 and STOP >= START").format(text=repr(text))
            raise InputError([Problem(what, message)], "sweep")
        steps = (stop - start) / step
        n = round(steps)
        if abs(steps - n) > 1e-9 * max(1.0, steps):
            raise InputError(
                [
                    Problem(
                        what,
                        _("{text}: STOP is not START plus a whole number of STEPs").format(
                            text=repr(text)
                        ),
                    )
                ],
                "sweep",
            )
        if n + 1 > 100_000:
            message = _("{text}: more than {most} values").format(text=repr(text), most="100,000")
            raise InputError([Problem(what, message)], "sweep")
        return [start + i * step for i in range(n + 1)]
    values = [number(p) for p in text.split(",") if p.strip()]
    if not values:
        raise InputError([Problem(what, _("no values given"))], "sweep")
    return values


def parse_set(text: str) -> tuple[str, list[Any]]:
    """A ``--set`` grid dimension.

    Parameters
    ----------
    text : str
        ``KEY=V1,V2,...``, e.g. ``discount_rate=0.04,0.08``.

    Returns
    -------
    tuple of str and list
        The dotted key and its values, each read as an int, a float (``6e7`` too),
        null/true/false, or text.

    Raises
    ------
    InputError
        Without ``=``, a key or values.
    """
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key or not rest.strip():
        raise InputError(
            [
                Problem(
                    "--set",
                    _("{text}: write KEY=V1,V2,... e.g. discount_rate=0.04,0.08").format(
                        text=repr(text)
                    ),
                )
            ],
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

    Parameters
    ----------
    dotted : str
        A dotted scenario key.
    value : Any
        Its value.

    Returns
    -------
    dict
        The nested mapping holding ``value`` at ``dotted``.
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
    """A folder-safe point name.

    Parameters
    ----------
    text : str
        Any name.

    Returns
    -------
    str
        ``text`` with every run of other characters than letters, digits and ``._=+-``
        replaced by ``_`` (``point`` when nothing is left).
    """
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

    Parameters
    ----------
    targets : sequence of float
        ``target.total`` levels (none: no such dimension).
    sets : sequence of (str, sequence)
        Further dimensions: a dotted key and its values (:func:`parse_set`).
    listed : sequence of SweepPoint
        Points from a file (:func:`load_points`).

    Returns
    -------
    list of SweepPoint
        The points (one named ``base`` when nothing varies).

    Raises
    ------
    InputError
        A dimension without values, or point names that are not unique.
    """
    dims: list[list[tuple[str, Any]]] = []
    if targets:
        dims.append([("target.total", float(t)) for t in targets])
    for key, values in sets:
        if not values:
            message = _("{key}: no values given").format(key=key)
            raise InputError([Problem("--set", message)], "sweep")
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
                    "sweep",
                    _("point names must be unique and non-empty: {names}").format(
                        names=", ".join(duplicates)
                    ),
                )
            ],
            "sweep",
        )
    return points


def load_points(path: str | Path) -> list[SweepPoint]:
    """Read a YAML list of points.

    Parameters
    ----------
    path : str or Path
        A YAML list whose items are mappings of scenario keys (dotted keys such as
        ``target.total`` allowed) with an optional ``name``; or a mapping with the key
        ``points`` holding that list.

    Returns
    -------
    list of SweepPoint
        The points, named ``p001``, ``p002`` ... when they have no name.

    Raises
    ------
    InputError
        A missing or unreadable file, or items that are not mappings (every one named).
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError([Problem(str(path), _("no such file"))], "sweep") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problem = Problem(path.name, _("cannot read YAML: {error}").format(error=exc))
        raise InputError([problem], "sweep") from None
    if isinstance(data, dict) and "points" in data:
        data = data["points"]
    if not isinstance(data, list) or not data:
        raise InputError(
            [Problem(path.name, _("a points file is a non-empty YAML list of mappings"))], "sweep"
        )
    points, problems = [], []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(
                Problem(path.name, _("point {number} is not a mapping").format(number=i), row=i)
            )
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
    """The base scenario as a plain mapping.

    Parameters
    ----------
    base : Scenario
        The base scenario.

    Returns
    -------
    dict
        Its resolved mapping (defaults filled in, case path absolute).
    """
    return base.resolved()


def point_scenario(base: Scenario, point: SweepPoint) -> Scenario:
    """The base scenario with a point's changes, validated; named after the point.

    Parameters
    ----------
    base : Scenario
        The base scenario.
    point : SweepPoint
        The point.

    Returns
    -------
    Scenario
        The point's scenario (its ``source`` the base's file).

    Raises
    ------
    InputError
        When the merged mapping is not a valid scenario.
    """
    data = deep_merge(base_mapping(base), point.changes)
    data["name"] = point.name
    # The base is already resolved: its ``extends`` chain is kept as a record, not re-read.
    chain = data.pop("extends", None)
    base_dir = base.source.parent if base.source else Path.cwd()
    source = _("sweep point {name}").format(name=point.name)
    scenario = scenario_from_dict(data, base_dir, source)
    if chain:
        scenario.extends = list(chain)
    scenario.source = base.source
    return scenario


def input_hashes(scenario: Scenario, case: Case) -> dict[str, str]:
    """The checksums of a sweep's input files, as a run's manifest records them.

    Parameters
    ----------
    scenario : Scenario
        A point's scenario (its file, the base's, is hashed).
    case : Case
        The case as read (its files are hashed).

    Returns
    -------
    dict
        File path -> sha256.
    """
    from symbiosis.files import sha256_file

    paths = [*([scenario.source] if scenario.source else []), *case.files]
    return {str(p): sha256_file(Path(p)) for p in paths}


def point_hash(scenario: Scenario, case_hashes: dict[str, str], options: dict[str, Any]) -> str:
    """The hash of everything that can change a point's answer.

    Parameters
    ----------
    scenario : Scenario
        The point's scenario (hashed as resolved).
    case_hashes : dict
        The input files' checksums (:func:`input_hashes`).
    options : dict
        The solver options resolved for the point (:meth:`SolveOptions.as_dict
        <symbiosis.options.SolveOptions.as_dict>`).

    Returns
    -------
    str
        The sha256 (hex) of the three as sorted JSON.
    """
    payload = {
        "scenario": scenario.resolved(),
        "case_files": {k: case_hashes[k] for k in sorted(case_hashes)},
        "solver": options,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    table : pandas.DataFrame
        The rows of sweep.csv, one per point in the sweep's order.
    out_dir : Path
        The sweep folder.
    csv : Path
        sweep.csv.
    report : Path or None
        report.html (None: not written).
    solved, reused, failed : int
        Points solved now, kept from an earlier sweep, and without a run folder.
    interruption : StopRequest or None
        The SIGINT/SIGTERM that stopped the sweep early (points not finished: ``not_run``).
    """

    table: pd.DataFrame
    out_dir: Path
    csv: Path
    report: Path | None = None
    solved: int = 0
    reused: int = 0
    failed: int = 0
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
        "target_t": _cell(prep.scenario.target.total),
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
    row.update(year_columns(summary, prep.folder if summary else None, sep=";"))
    for key, value in _flatten(prep.point.changes).items():
        if key != "target.total":
            row[key] = value if not isinstance(value, list | dict) else json.dumps(value)
    return row


def _cell(value: Any) -> Any:
    """A number as it is; a per-year mapping (v2) as JSON text, years as keys."""
    return json.dumps({str(k): v for k, v in value.items()}) if isinstance(value, dict) else value


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
    """The summary of an earlier run of a point, if its folder is complete and its hash
    matches.

    Parameters
    ----------
    folder : Path
        The point's run folder.
    expected_hash : str
        The point's hash now (:func:`point_hash`).

    Returns
    -------
    dict or None
        The folder's summary.json; None when the folder is missing, incomplete, or was
        written for another hash.
    """
    try:
        run = read_run_folder(folder, tables=False)
    except InputError:
        return None
    if (run.manifest.get("sweep") or {}).get("hash") != expected_hash:
        return None
    return dict(run.summary)


def _result_row(prep: _Prepared, result: TaskResult) -> dict[str, Any]:
    """A point's row from what the batch made of it (a point under way when a stop came, or
    never started: ``not_run``)."""
    if result.folder is not None:
        return _row(prep, result.summary, result.status, result.seconds, False)
    if not result.finished:
        return _row(prep, None, "not_run", None, False)
    seconds = result.seconds if result.status == "invalid" else None
    return _row(prep, None, result.status, seconds, False, result.error.strip())


class _Recorder:
    """The display, with each point's row recorded as it finishes (so that sweep.csv holds
    every finished point whatever comes next)."""

    def __init__(self, events: BatchEvents, preps: Sequence[_Prepared]):
        self.events = events
        self.preps = {prep.point.name: prep for prep in preps}
        self.rows: dict[str, dict[str, Any]] = {}

    def stage_started(self, name: str) -> None:
        self.events.stage_started(name)

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        self.events.stage_finished(name, seconds, detail)

    def solver_progress(self, progress: Any) -> None:
        self.events.solver_progress(progress)

    def batch_started(self, total: int, done: int) -> None:
        self.events.batch_started(total, done)

    def task_started(self, task: RunTask) -> None:
        self.events.task_started(task)

    def task_done(self, result: TaskResult) -> None:
        prep = self.preps[result.task.name]
        if result.reused:
            row = _row(prep, result.summary, result.status, None, True)
        else:
            row = _result_row(prep, result)
        self.rows[prep.point.name] = row
        self.events.task_done(result)

    def note(self, text: str) -> None:
        self.events.note(text)


def _prepare(
    base: Scenario, points: Sequence[SweepPoint], case: Case, out: Path, run: RunOptions
) -> tuple[list[_Prepared], dict[str, str]]:
    """Every point's scenario, checked against the case, and its hash (every problem of
    every point at once); and the checksums of the input files."""
    base_dir = base.source.parent if base.source else None
    prepared: list[_Prepared] = []
    problems: list[Problem] = []
    hashes: dict[str, str] | None = None
    for point in points:
        try:
            scenario = point_scenario(base, point)
            point_case = case
            if not scenario.overrides.is_empty():
                from symbiosis.overrides import apply_overrides

                point_case = apply_overrides(
                    case, scenario.overrides, _("point {name}").format(name=point.name)
                )
            check_scenario_against_case(scenario, point_case)
        except InputError as exc:
            problems.extend(
                replace(
                    p,
                    message=_("point {name}: {message}").format(name=point.name, message=p.message),
                )
                for p in exc.problems
            )
            continue
        if scenario.case != base.case:
            problems.append(
                Problem(
                    "sweep",
                    _("point {name}: a sweep varies one case; 'case' changed").format(
                        name=point.name
                    ),
                )
            )
            continue
        if hashes is None:
            hashes = input_hashes(scenario, case)
        options = resolve_options(scenario.solver, base_dir, dict(run.solver)).as_dict()
        folder = out / POINTS_DIR / point.name
        prepared.append(_Prepared(point, scenario, point_hash(scenario, hashes, options), folder))
    if problems:
        raise InputError(problems, "sweep")
    return prepared, hashes or {}


def _point_task(
    prep: _Prepared, case: Case, base: Scenario, hashes: dict[str, str], run: RunOptions
) -> RunTask:
    """A task whose scenario needs no file on the worker: the solver profile is resolved here
    into explicit options, the scenario's source and the case's files are dropped, and the
    manifest entries the worker cannot know (scenario, its file, the input checksums, the
    point and its hash) are written here."""
    base_dir = base.source.parent if base.source else None
    options = resolve_options(prep.scenario.solver, base_dir, dict(run.solver))
    explicit = {
        "time_limit": options.time_limit,
        "mip_rel_gap": options.mip_rel_gap,
        "threads": options.threads,
        **options.highs,
    }
    solver = prep.scenario.solver.model_copy(update={"profile": None, "options": {}})
    scenario = prep.scenario.model_copy(update={"solver": solver, "source": None})
    manifest = {
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
    worker_case = replace(case, files=[])
    return RunTask(
        prep.point.name,
        scenario,
        replace(run, solver=explicit),
        prep.folder,
        worker_case,
        prep.point.name,
        manifest,
    )


def run_sweep(
    base: Scenario,
    points: Sequence[SweepPoint],
    out_dir: str | Path,
    options: StudyOptions | None = None,
    events: BatchEvents | None = None,
) -> SweepResult:
    """Solve every point and gather ``DIR/sweep.csv`` and a comparison report.

    Parameters
    ----------
    base : Scenario
        The scenario every point varies.
    points : sequence of SweepPoint
        The variations (:func:`grid_points`, :func:`load_points`).
    out_dir : str or Path
        ``DIR``; point ``p`` is written to ``DIR/points/p/``.
    options : StudyOptions or None
        ``run``: how each point is run (solver options over the scenario's, ``threads`` 1
        per point unless given; reductions, extra constraints); ``batch``: serial or Dask
        (scheduler, workers), retries, ``force`` (solve every point even if an earlier run
        of it is complete); ``report``: write the comparison report of the solved points;
        ``overwrite``: use a ``DIR`` that holds files symbiosis did not write (the sweep's
        files are written beside them, none replaced; without it such a ``DIR`` is refused,
        :class:`~symbiosis.files.OutputRefused`). A sweep folder of an earlier sweep is used
        as it is: points already done are kept. None: the defaults (serial).
    events : BatchEvents or None
        The display: ``batch_started(total, already done)`` once the points are prepared,
        then ``task_done`` per point, reused ones first (None: silent).

    Returns
    -------
    SweepResult
        The table, the files written, the counts and the exit code.

    Raises
    ------
    InputError
        Any invalid point (every problem at once), before anything is solved.

    Notes
    -----
    SIGINT or SIGTERM (:mod:`symbiosis.interrupt`) stops the sweep at once: points finished
    are on disk and in sweep.csv, the point under way keeps its best solution when solved
    in this process (serial; a Dask worker's point is cancelled), the rest are listed as
    ``not_run``; the comparison report is not written (a re-run reuses the finished points
    and writes it).
    """
    options = options or StudyOptions()
    out = Path(out_dir).resolve()
    case = load_case(base.case)
    solver = {k: v for k, v in options.run.solver.items() if v is not None}
    run = replace(options.run, solver={"threads": 1, **solver})
    prepared, hashes = _prepare(base, points, case, out, run)
    open_folder(
        out, SWEEP_KIND, [POINTS_DIR, SWEEP_CSV, "report.html"], overwrite=options.overwrite
    )
    recorder = _Recorder(events or SilentEvents(), prepared)
    todo: list[RunTask] = []
    kept: list[TaskResult] = []
    for prep in prepared:
        task = _point_task(prep, case, base, hashes, run)
        summary = None if options.batch.force else finished_summary(prep.folder, prep.hash)
        if summary is None:
            todo.append(task)
        else:
            kept.append(TaskResult(task, summary, 0, prep.folder, reused=True))
    recorder.batch_started(len(prepared), len(kept))
    for done in kept:
        recorder.task_done(done)
    with interrupt.handle_signals(), interrupt.deferred():
        interrupt.set_stage("sweep" if options.batch.serial else "sweep (dask)")
        try:
            if todo:
                run_batch(todo, options.batch, recorder)
        finally:
            table = _table(prepared, recorder.rows)
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
        if options.report and stop is None:
            result.report = write_report(out, table)
    return result


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
    # the points' changes, then a multi-year run's figures per year
    extra = [c for c in table.columns if c not in SWEEP_COLUMNS and not YEAR_COLUMN.match(c)]
    by_year = [c for c in table.columns if YEAR_COLUMN.match(c)]
    table = table[[*SWEEP_COLUMNS, *extra, *by_year]]
    table["reused"] = table["reused"].astype(bool)
    return table


# --------------------------------------------------------------------------------------------
# The comparison report
# --------------------------------------------------------------------------------------------
def write_report(out: Path, table: pd.DataFrame) -> Path | None:
    """One comparison report of every point that wrote a run folder, in sweep order (the
    first is the baseline): :func:`symbiosis.compare.compare_runs` written as
    ``DIR/report.html``. Should that fail (the sweep's results are on disk either way), a
    plain table of the sweep is written there instead and the reason printed in it.

    Parameters
    ----------
    out : Path
        The sweep folder.
    table : pandas.DataFrame
        The rows of sweep.csv.

    Returns
    -------
    Path or None
        report.html; None when no point wrote a run folder.
    """
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
    "SweepPoint",
    "SweepResult",
    "finished_summary",
    "grid_points",
    "load_points",
    "parse_set",
    "parse_values",
    "point_hash",
    "point_scenario",
    "run_sweep",
]
