"""Stage "batch": one engine for many runs, in this process or on Dask.

A batch is a list of :class:`RunTask` (a scenario, its :class:`~symbiosis.options.RunOptions`
and where to write its run folder); :func:`run_batch` runs them under one
:class:`BatchOptions`:

- **serially**, one after another in this process (each run's stages and the solver's
  progress go to the :class:`BatchEvents` as they happen), or
- **on Dask**: a ``LocalCluster`` of single-threaded worker processes on this machine
  (``workers``, default one per core) or a running cluster given by its scheduler address
  (``tcp://host:port``) or scheduler file. Each task is shipped whole (scenario, case as read,
  options); the worker solves it with :func:`solve_task`, writes nothing, and returns the
  results; a worker that dies loses only the task it was solving (the scheduler reschedules
  it; after repeated deaths it is recorded as ``error``).

Either way the run folder is written here, by :func:`results.write_run_folder
<symbiosis.results.write_run_folder>` under the output rule of :mod:`symbiosis.files`, as
each task finishes, with the task's own manifest entries (:attr:`RunTask.manifest`) over the
run's. A task whose solve raises is tried again up to ``retries`` times, then recorded with
status ``error`` (invalid input: ``invalid``, never retried), or raised at once with
``stop_on_error``.

Stop when asked (:mod:`symbiosis.interrupt`): SIGINT or SIGTERM stops the batch at once. The
tasks finished are written; the task under way in this process keeps its best solution if it
has one (else its status is ``interrupted``); a Dask task under way is cancelled; every task
not finished is returned with status ``not_run`` (or ``interrupted``) and exit code 130.

The plans on this engine: :func:`prepare_runs` and :func:`run_prepared` (``symbiosis run
a.yaml b.yaml``, below), :mod:`symbiosis.curve` (target-cost curve), :mod:`symbiosis.pareto`
(cost-CO2 front) and :mod:`symbiosis.sweep` (grids of scenarios). The terminal display of a
batch is :class:`symbiosis.display.BatchReporter`; this module prints nothing.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from symbiosis import interrupt
from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.i18n import _
from symbiosis.interrupt import Interrupted, StopRequest
from symbiosis.options import RunOptions
from symbiosis.results import (
    Results,
    check_run_target,
    empty_results,
    read_run_folder,
    write_run_folder,
)
from symbiosis.runner import (
    EXIT_ERROR,
    EXIT_INFEASIBLE,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    Reporter,
    SilentReporter,
    run_scenario,
)
from symbiosis.scenario import Scenario, check_scenario_against_case, load_scenario

#: the folder of a study (curve, front, sweep) that holds its points' run folders
POINTS_DIR = "points"
#: statuses of the tasks a stop request left without a solution
STOPPED_STATUSES = ("interrupted", "not_run")


# --------------------------------------------------------------------------------------------
# Options, tasks and what they produce
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchOptions:
    """How a batch is run.

    Attributes
    ----------
    serial : bool
        Run the tasks one after another in this process (True), or on Dask (False).
    scheduler : str or None
        With ``serial`` False: a running Dask scheduler (``tcp://host:port``) or a scheduler
        file; None starts a ``LocalCluster`` on this machine. Ignored when ``serial``.
    workers : int or None
        Worker processes of the ``LocalCluster`` (one thread each); None: one per core.
    retries : int
        Times a task whose solve raised an error is tried again (0: none).
    force : bool
        For plans that resume (:func:`symbiosis.sweep.run_sweep`): solve every task again,
        even one whose run folder is complete from an earlier batch.
    stop_on_error : bool
        Raise the first task's error (after its retries) at once, as a single run would,
        instead of recording it with status ``error`` (or ``invalid``) and going on.

    Raises
    ------
    InputError
        For ``workers`` below 1, ``retries`` below 0, or an empty ``scheduler``.
    """

    serial: bool = True
    scheduler: str | None = None
    workers: int | None = None
    retries: int = 0
    force: bool = False
    stop_on_error: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.workers is not None and self.workers < 1:
            problems.append(
                Problem("--workers", _("give 1 or more worker processes"), value=str(self.workers))
            )
        if self.retries < 0:
            problems.append(Problem("--retries", _("give 0 or more"), value=str(self.retries)))
        if self.scheduler is not None and not self.scheduler.strip():
            problems.append(
                Problem("--scheduler", _("give tcp://host:port or a scheduler file"), value="")
            )
        if problems:
            raise InputError(problems, "command line")


@dataclass(frozen=True)
class RunTask:
    """One run of a batch: what to solve, how, and where to write it.

    Attributes
    ----------
    name : str
        The task's name (the run's name in tables and messages).
    scenario : Scenario
        The scenario to solve.
    options : RunOptions
        How to run it (solver overrides, reductions, shadow prices, extra constraints ...).
    out_dir : Path or None
        The run folder to write; None writes nothing.
    case : Case or None
        The case as read (the scenario's overrides are applied by the run); None: read by
        the run. On Dask the case is shipped with the task, so workers need no case files.
    label : str
        What a display shows for the task (default: ``name``).
    manifest : mapping
        Entries written into the run folder's manifest.json over the run's own (a sweep's
        point hash, the scenario file and checksums of a task whose scenario was detached
        from its files).
    """

    name: str
    scenario: Scenario
    options: RunOptions = field(default_factory=RunOptions)
    out_dir: Path | None = None
    case: Case | None = None
    label: str = ""
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """What a display shows: :attr:`label`, else :attr:`name`."""
        return self.label or self.name


@dataclass(frozen=True)
class TaskResult:
    """What became of one task.

    Attributes
    ----------
    task : RunTask
        The task.
    summary : dict
        The run's summary.json; for a task with no answer, a summary with ``name``, the
        ``status`` (``interrupted``, ``not_run``, ``error``, ``invalid``) and no objective.
    exit_code : int
        The run's exit code (:data:`~symbiosis.runner.EXIT_OK` ...); 130 for a task a stop
        left without a solution, 1 for an error, 2 for invalid input.
    folder : Path or None
        The run folder written (None: none).
    seconds : float or None
        Wall time of the solve (None: not run, or reused).
    error : str
        Why a task failed (``error``, ``invalid``), else "".
    reused : bool
        The run folder was complete from an earlier batch and kept (plans that resume).
    interruption : StopRequest or None
        The SIGINT/SIGTERM that stopped the task, if one did.
    """

    task: RunTask
    summary: dict[str, Any]
    exit_code: int
    folder: Path | None = None
    seconds: float | None = None
    error: str = ""
    reused: bool = False
    interruption: StopRequest | None = None

    @property
    def status(self) -> str:
        """The run's status (``optimal``, ``infeasible``, ``not_run`` ...)."""
        return str(self.summary.get("status"))

    @property
    def finished(self) -> bool:
        """Whether the task ran to an answer (anything but ``interrupted``/``not_run``)."""
        return self.status not in STOPPED_STATUSES


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` produced.

    Attributes
    ----------
    results : tuple of TaskResult
        One per task, in the tasks' order.
    interruption : StopRequest or None
        The SIGINT/SIGTERM that stopped the batch early, if one did.
    """

    results: tuple[TaskResult, ...]
    interruption: StopRequest | None = None

    @property
    def exit_code(self) -> int:
        """The highest exit code of the tasks (0 for none)."""
        return max((r.exit_code for r in self.results), default=0)


def unrun(task: RunTask, status: str = "not_run") -> TaskResult:
    """The result of a task a stop request left without a solution.

    Parameters
    ----------
    task : RunTask
        The task.
    status : str
        ``interrupted`` (stopped under way with nothing to keep) or ``not_run`` (never
        started).

    Returns
    -------
    TaskResult
        No folder, exit code 130; the summary says ``interrupted`` and, when a signal came,
        ``interruption`` (signal, time, stage).
    """
    stop = interrupt.requested()
    extra: dict[str, Any] = {"interrupted": True}
    if stop is not None:
        extra["interruption"] = stop.as_dict()
    summary = empty_results(status, task.scenario.name, extra).summary
    return TaskResult(task, summary, EXIT_INTERRUPTED, interruption=stop)


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------
class BatchEvents(Reporter, Protocol):
    """Receives a batch's progress (implemented by :class:`symbiosis.display.BatchReporter`).

    The :class:`~symbiosis.runner.Reporter` methods receive the stages of the task run in
    this process (serial batches only). A plan calls :meth:`batch_started` once, then the
    engine :meth:`task_started` (serial batches only) and :meth:`task_done` per task.
    """

    def batch_started(self, total: int, done: int) -> None: ...
    def task_started(self, task: RunTask) -> None: ...
    def task_done(self, result: TaskResult) -> None: ...
    def note(self, text: str) -> None: ...


class SilentEvents(SilentReporter):
    """Batch events that show nothing (``--quiet``, ``--json``, the Python API)."""

    def batch_started(self, total: int, done: int) -> None:
        """Ignore the start of a batch.

        Parameters
        ----------
        total : int
            Tasks in the batch.
        done : int
            Tasks already done (reused).
        """

    def task_started(self, task: RunTask) -> None:
        """Ignore the start of a task.

        Parameters
        ----------
        task : RunTask
            The task.
        """

    def task_done(self, result: TaskResult) -> None:
        """Ignore the end of a task.

        Parameters
        ----------
        result : TaskResult
            What became of it.
        """

    def note(self, text: str) -> None:
        """Ignore a note of the plan.

        Parameters
        ----------
        text : str
            The note.
        """


# --------------------------------------------------------------------------------------------
# One task
# --------------------------------------------------------------------------------------------
@dataclass
class TaskRun:
    """What :func:`solve_task` returns (from a Dask worker too): nothing written yet.

    Attributes
    ----------
    results : Results or None
        The run's results (None: invalid input, see ``problems``).
    manifest : dict
        The run's manifest.
    exit_code : int
        The run's exit code.
    seconds : float
        Wall time of the solve.
    interruption : StopRequest or None
        The stop request that cut the run short, if one did.
    problems : list of Problem
        Invalid input found by the run (a worker returns it rather than raising it, so that
        it is not retried).
    what : str
        What the invalid input was (:attr:`~symbiosis.errors.InputError.what`).
    """

    results: Results | None
    manifest: dict[str, Any]
    exit_code: int
    seconds: float
    interruption: StopRequest | None = None
    problems: list[Problem] = field(default_factory=list)
    what: str = ""


def solve_task(task: RunTask, reporter: Reporter | None = None) -> TaskRun:
    """Solve one task without writing anything (what a Dask worker runs).

    Parameters
    ----------
    task : RunTask
        The task (its ``out_dir`` is not used here).
    reporter : Reporter or None
        Receives the run's stages and the solver's progress (None: silent).

    Returns
    -------
    TaskRun
        The results and manifest to write, the exit code and the time taken; invalid input
        is returned in ``problems`` rather than raised.

    Raises
    ------
    Interrupted
        A stop with nothing to keep (in this process only).
    """
    start = time.perf_counter()
    try:
        outcome = run_scenario(task.scenario, None, reporter, task.options, case=task.case)
    except InputError as exc:
        return TaskRun(
            None, {}, EXIT_INVALID, time.perf_counter() - start, None, exc.problems, exc.what
        )
    return TaskRun(
        outcome.results,
        outcome.manifest,
        outcome.exit_code,
        time.perf_counter() - start,
        outcome.interruption,
    )


def _finish(task: RunTask, run: TaskRun, reporter: Reporter) -> TaskResult:
    """Write a solved task's run folder (signals deferred: a solution in hand is kept)."""
    if run.results is None:
        summary = empty_results("invalid", task.scenario.name).summary
        error = InputError(run.problems, run.what).report()
        return TaskResult(task, summary, EXIT_INVALID, None, run.seconds, error)
    folder = None
    if task.out_dir is not None:
        manifest = {**run.manifest, **task.manifest}
        with interrupt.deferred():
            interrupt.set_stage("write")
            reporter.stage_started("write")
            start = time.perf_counter()
            folder = write_run_folder(
                task.out_dir, run.results, manifest, overwrite=task.options.overwrite
            )
            reporter.stage_finished("write", time.perf_counter() - start)
    return TaskResult(
        task,
        run.results.summary,
        run.exit_code,
        folder,
        run.seconds,
        interruption=run.interruption,
    )


def _failed(task: RunTask, message: str, seconds: float | None = None) -> TaskResult:
    summary = empty_results("error", task.scenario.name).summary
    return TaskResult(task, summary, EXIT_ERROR, None, seconds, message)


def _check_target(task: RunTask) -> None:
    """Refuse, before any solve, a run folder the output rule would refuse."""
    if task.out_dir is not None:
        check_run_target(task.out_dir, overwrite=task.options.overwrite)


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------
def run_batch(
    tasks: Sequence[RunTask],
    options: BatchOptions | None = None,
    events: BatchEvents | None = None,
) -> BatchResult:
    """Run every task, serially or on Dask, writing each run folder as it finishes.

    Parameters
    ----------
    tasks : sequence of RunTask
        The runs.
    options : BatchOptions or None
        Serial or Dask, retries, errors (None: the defaults, serial).
    events : BatchEvents or None
        Receives each task's start and end (and, serially, its stages); None: silent.

    Returns
    -------
    BatchResult
        One :class:`TaskResult` per task in the tasks' order, and the stop request if one
        came (the tasks not finished then are ``interrupted`` or ``not_run``).

    Raises
    ------
    InputError, Exception
        With ``stop_on_error``: the first task's error, at once.
    """
    options = options or BatchOptions()
    events = events or SilentEvents()
    done: dict[int, TaskResult] = {}

    def record(index: int, result: TaskResult) -> None:
        done[index] = result
        events.task_done(result)

    with interrupt.handle_signals(), interrupt.deferred():
        try:
            if options.serial:
                _run_serial(tasks, options, events, record)
            elif tasks:
                with interrupt.interruptible():
                    _run_dask(tasks, options, record)
        except Interrupted:
            pass  # the tasks finished are recorded; the rest are not_run
        results = tuple(done.get(i) or unrun(task) for i, task in enumerate(tasks))
        return BatchResult(results, interrupt.requested())


def _run_serial(
    tasks: Sequence[RunTask],
    options: BatchOptions,
    events: BatchEvents,
    record: Callable[[int, TaskResult], None],
) -> None:
    """Each task in this process, one after the other (signals deferred around them)."""
    for index, task in enumerate(tasks):
        if interrupt.requested() is not None:
            return  # the rest: not_run
        events.task_started(task)
        record(index, _attempt(task, options, events))


def _attempt(task: RunTask, options: BatchOptions, events: BatchEvents) -> TaskResult:
    """One task in this process, tried again on an error up to ``options.retries`` times."""
    for attempt in range(options.retries + 1):
        start = time.perf_counter()
        try:
            _check_target(task)
            with interrupt.interruptible():
                run = solve_task(task, events)
        except Interrupted:
            return unrun(task, "interrupted")
        except InputError as exc:
            if options.stop_on_error:
                raise
            run = TaskRun(
                None, {}, EXIT_INVALID, time.perf_counter() - start, None, exc.problems, exc.what
            )
        except Exception as exc:
            if attempt < options.retries:
                continue
            if options.stop_on_error:
                raise
            return _failed(task, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)
        if run.results is None and options.stop_on_error:
            raise InputError(run.problems, run.what)
        return _finish(task, run, events)
    raise AssertionError("unreachable")  # pragma: no cover


def default_workers() -> int:
    """The worker processes of a ``LocalCluster`` by default: one per core.

    Returns
    -------
    int
        The cores this process may use (at least 1).
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def _dask_client(options: BatchOptions) -> Iterator[Any]:
    """A client of the scheduler asked for, or of a new ``LocalCluster``; closed on exit
    (signals deferred then: a second Ctrl-C must not leave workers behind)."""
    from distributed import Client, LocalCluster

    cluster = None
    if options.scheduler is None:
        cluster = LocalCluster(
            n_workers=options.workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    elif "://" in options.scheduler:
        client = Client(options.scheduler, timeout="20s")
    else:
        client = Client(scheduler_file=options.scheduler, timeout="20s")
    try:
        yield client
    finally:
        with interrupt.deferred():
            client.close()
            if cluster is not None:
                cluster.close()


def _run_dask(
    tasks: Sequence[RunTask],
    options: BatchOptions,
    record: Callable[[int, TaskResult], None],
) -> None:
    """Every task on Dask; each result written here as it arrives."""
    from distributed import as_completed

    for task in tasks:
        _check_target(task)  # before anything is solved
    batch = uuid.uuid4().hex[:12]
    with _dask_client(options) as client:
        futures: dict[str, tuple[Any, int]] = {}
        for index, task in enumerate(tasks):
            future = client.submit(
                solve_task,
                task,
                key=f"symbiosis-{batch}-{index}-{task.name}",
                pure=False,
                retries=options.retries,
            )
            futures[future.key] = (future, index)
        try:
            for future in as_completed([f for f, _ in futures.values()]):
                _, index = futures.pop(future.key)
                task = tasks[index]
                try:
                    run = future.result()
                except Exception as exc:
                    if options.stop_on_error:
                        raise
                    result = _failed(task, _dask_error(exc))
                else:
                    if run.results is None and options.stop_on_error:
                        raise InputError(run.problems, run.what)
                    with interrupt.deferred():  # a result in hand is written whatever comes
                        result = _finish(task, run, SilentReporter())
                record(index, result)
                future.release()
        except BaseException:
            with interrupt.deferred():
                for future, _ in futures.values():
                    future.cancel()
            raise


def _dask_error(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "the worker solving this task died (more than the scheduler's allowed failures)"
    return f"{name}: {exc}"


# --------------------------------------------------------------------------------------------
# What the studies (curve, front, sweep) share
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyOptions:
    """How a study (:mod:`symbiosis.curve`, :mod:`symbiosis.pareto`, :mod:`symbiosis.sweep`)
    runs its points and writes its folder.

    Attributes
    ----------
    run : RunOptions
        How each point is run (solver overrides over the scenario's, reductions, extra
        constraints ...); a study adds what its points need (a CO2 floor, no diagnosis).
    batch : BatchOptions
        Serial or Dask, retries, resume, errors.
    report : bool
        Write the study's report: curve.png and curve.html, pareto.png and pareto.html (they
        need matplotlib), or a sweep's report.html.
    overwrite : bool
        Write into a study folder that holds files symbiosis did not write (beside them).
    """

    run: RunOptions = field(default_factory=RunOptions)
    batch: BatchOptions = field(default_factory=BatchOptions)
    report: bool = True
    overwrite: bool = False


def final_path(path: Path | None, stage: Path, final: Path) -> str:
    """Where a path written inside a staged folder will be once the folder is moved.

    Parameters
    ----------
    path : Path or None
        A path inside ``stage``.
    stage : Path
        The staged folder (:func:`symbiosis.files.staged`).
    final : Path
        Where ``stage`` is moved when complete.

    Returns
    -------
    str
        The path under ``final``; "" for no path.
    """
    if path is None:
        return ""
    return str(final / Path(path).relative_to(stage))


def study_exit_code(statuses: Sequence[str]) -> int:
    """The exit code of a study from its points' statuses.

    Parameters
    ----------
    statuses : sequence of str
        The points' statuses.

    Returns
    -------
    int
        0 when any point has a solution; 3 when every point is infeasible; else 1.
    """
    if any(s in ("optimal", "feasible") for s in statuses):
        return EXIT_OK
    if statuses and all(s == "infeasible" for s in statuses):
        return EXIT_INFEASIBLE
    return EXIT_ERROR


def kpi_by_year(folder: Path | None, kpi: str) -> dict[int, float]:
    """One KPI of a multi-year run, per year, from its run folder's kpis.csv.

    Parameters
    ----------
    folder : Path or None
        The run folder (None: no run folder, no figures).
    kpi : str
        The KPI (``co2_avoided``, ``delivered_target`` ...): its rows without a key.

    Returns
    -------
    dict of int to float
        Year -> value, for the years kpis.csv has a row of; {} for a single-period run or
        a folder that cannot be read.
    """
    if folder is None:
        return {}
    try:
        kpis = read_run_folder(folder).kpis
    except InputError:
        return {}
    if "year" not in kpis.columns or not len(kpis):
        return {}
    rows = kpis.loc[kpis["year"].notna() & (kpis["kpi"] == kpi)]
    rows = rows.loc[rows["key"].fillna("").astype(str) == ""]
    return {int(y): float(v) for y, v in zip(rows["year"], rows["value"], strict=True)}


#: the names :func:`year_columns` gives its columns (``cost_2027``, ``built_2030`` ...)
YEAR_COLUMN = re.compile(r"^(cost|delivered_target_t|co2_avoided_t|capex_built|built)_\d{4}$")


def year_columns(
    summary: Mapping[str, Any], folder: Path | None = None, sep: str = " "
) -> dict[str, Any]:
    """A multi-year run's figures per year, as the columns of a study's table.

    Parameters
    ----------
    summary : mapping
        The run's summary.json (``years``, ``cost_by_year``, ``delivered_by_year``,
        ``build_plan``).
    folder : Path or None
        Its run folder (kpis.csv: the CO2 avoided per year); None: those columns empty.
    sep : str
        Between the ids of the projects built in a year.

    Returns
    -------
    dict
        For each figure, one column per year, in this order: ``cost_<year>`` (that year's
        cost, undiscounted, CNY/yr: ``cost_by_year``), ``delivered_target_t_<year>``,
        ``co2_avoided_t_<year>`` (t/yr), ``capex_built_<year>`` (capex of the projects built
        that year) and ``built_<year>`` (their ids); {} for a single-period run or a run
        without a solution.
    """
    years = [int(y) for y in summary.get("years") or []]
    if not years or summary.get("objective") is None:
        return {}
    co2 = kpi_by_year(folder, "co2_avoided")
    plan = list(summary.get("build_plan") or [])
    figures: list[tuple[str, Callable[[int], Any]]] = [
        ("cost", lambda y: (summary.get("cost_by_year") or {}).get(str(y))),
        ("delivered_target_t", lambda y: (summary.get("delivered_by_year") or {}).get(str(y))),
        ("co2_avoided_t", co2.get),
        ("capex_built", lambda y: sum(float(b["capex"]) for b in plan if int(b["year"]) == y)),
        ("built", lambda y: sep.join(str(b["facility"]) for b in plan if int(b["year"]) == y)),
    ]
    return {f"{name}_{y}": value(y) for name, value in figures for y in years}


def load_checked(scenario: Scenario, case: Case | None) -> Case:
    """The scenario's case, read unless given, checked against the scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    case : Case or None
        Its case as read, if already loaded.

    Returns
    -------
    Case
        The case as read (the scenario's overrides not applied).

    Raises
    ------
    InputError
        When the scenario does not fit its case (:func:`check_prepared`).
    """
    if case is None:
        case = load_case(scenario.case)
    check_prepared(scenario, case)
    return case


# --------------------------------------------------------------------------------------------
# A plan: several scenario files, each into its own run folder (symbiosis run a.yaml b.yaml)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedRun:
    """A scenario checked against its case, ready to solve.

    Attributes
    ----------
    scenario : Scenario
        The scenario.
    case : Case
        Its case as read (the scenario's overrides are applied by the run).
    out_dir : Path
        Its run folder.
    """

    scenario: Scenario
    case: Case
    out_dir: Path


def check_prepared(scenario: Scenario, case: Case) -> None:
    """Check what :func:`~symbiosis.runner.run_scenario` checks before solving.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    case : Case
        Its case as read.

    Raises
    ------
    InputError
        When the overrides do not fit the case, or the scenario does not fit the case with
        its overrides applied.
    """
    changed = case
    if not scenario.overrides.is_empty():
        from symbiosis.overrides import apply_overrides

        source = scenario.source.name if scenario.source else "scenario"
        changed = apply_overrides(case, scenario.overrides, source)
    check_scenario_against_case(scenario, changed)


def _run_folder(out: Path | None, scenario: Scenario, several: bool) -> Path:
    if out is None:
        return Path("runs") / scenario.name
    return out / scenario.name if several else out


def prepare_runs(
    paths: Sequence[str | Path],
    out: Path | None = None,
    on_read: Callable[[Case], None] | None = None,
    *,
    overwrite: bool = False,
    check_folders: bool = True,
) -> list[PreparedRun]:
    """Load and check every scenario (and read each case once) before any is solved.

    Parameters
    ----------
    paths : sequence of str or Path
        The scenario files.
    out : Path or None
        The run folder of one scenario, or the parent folder of several (``out/<name>``);
        None: ``runs/<name>``.
    on_read : callable or None
        Called with each case once it is read.
    overwrite : bool
        The folders may hold files symbiosis did not write (written beside them).
    check_folders : bool
        Check that every run folder may be written (:mod:`symbiosis.files`); False: the
        folders are not looked at.

    Returns
    -------
    list of PreparedRun
        One per scenario, in the order given.

    Raises
    ------
    InputError
        Listing every problem of every scenario: invalid scenarios and cases, two scenarios
        writing to the same folder, folders that may not be written.
    """
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except InputError as exc:
            problems += exc.problems
    cases: dict[Path, Case | None] = {}
    prepared: list[PreparedRun] = []
    folders: dict[Path, str] = {}
    for scenario in scenarios:
        key = Path(scenario.case).resolve()
        if key not in cases:
            try:
                cases[key] = load_case(key)
                if on_read is not None and cases[key] is not None:
                    on_read(cases[key])  # type: ignore[arg-type]
            except InputError as exc:
                problems += exc.problems
                cases[key] = None
        case = cases[key]
        if case is None:
            continue
        try:
            check_prepared(scenario, case)
        except InputError as exc:
            problems += exc.problems
            continue
        target = _run_folder(out, scenario, len(scenarios) > 1)
        source = str(scenario.source or scenario.name)
        if target.resolve() in folders:
            problems.append(
                Problem(
                    source,
                    _(
                        "writes to the same run folder {folder} as {other}; "
                        "give the scenarios different names"
                    ).format(folder=target, other=folders[target.resolve()]),
                )
            )
        folders[target.resolve()] = source
        try:
            if check_folders:
                check_run_target(target, overwrite=overwrite)
        except InputError as exc:
            problems += exc.problems
            continue
        prepared.append(PreparedRun(scenario, case, target))
    if problems:
        raise InputError(problems, "scenarios")
    return prepared


def load_base(path: str | Path) -> tuple[Scenario, Case]:
    """Load a scenario and its case and check them (every problem at once).

    Parameters
    ----------
    path : str or Path
        The scenario file.

    Returns
    -------
    tuple of Scenario and Case
        The scenario and its case as read (its overrides not applied).

    Raises
    ------
    InputError
        Listing every problem of the scenario and its case.
    """
    prepared = prepare_runs([path], out=Path("."), check_folders=False)
    return prepared[0].scenario, prepared[0].case


def run_prepared(
    runs: Sequence[PreparedRun],
    options: RunOptions | None = None,
    batch: BatchOptions | None = None,
    events: BatchEvents | None = None,
) -> BatchResult:
    """Solve prepared runs, each into its own folder, on the batch engine.

    Parameters
    ----------
    runs : sequence of PreparedRun
        From :func:`prepare_runs`.
    options : RunOptions or None
        How every run is run (None: the defaults).
    batch : BatchOptions or None
        Serial or Dask, retries, errors (None: serial, an error raised at once as a single
        run would).
    events : BatchEvents or None
        The display (its :meth:`~BatchEvents.batch_started` is called here); None: silent.

    Returns
    -------
    BatchResult
        One result per run. SIGINT or SIGTERM stops the batch at once: the run under way
        keeps its best solution if it has one (else its status is ``interrupted``), the
        runs not started are ``not_run``, both with exit code 130.
    """
    options = options or RunOptions()
    batch = batch or BatchOptions(stop_on_error=True)
    events = events or SilentEvents()
    tasks = [
        RunTask(run.scenario.name, run.scenario, options, run.out_dir, run.case) for run in runs
    ]
    events.batch_started(len(tasks), 0)
    return run_batch(tasks, batch, events)


__all__ = [
    "POINTS_DIR",
    "STOPPED_STATUSES",
    "YEAR_COLUMN",
    "BatchEvents",
    "BatchOptions",
    "BatchResult",
    "PreparedRun",
    "RunTask",
    "SilentEvents",
    "StudyOptions",
    "TaskResult",
    "TaskRun",
    "check_prepared",
    "default_workers",
    "final_path",
    "kpi_by_year",
    "load_base",
    "load_checked",
    "prepare_runs",
    "run_batch",
    "run_prepared",
    "solve_task",
    "study_exit_code",
    "unrun",
    "year_columns",
]
