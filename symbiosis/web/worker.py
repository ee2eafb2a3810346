"""The worker processes of the web app: each claims a queued job, runs it as ``symbiosis run``
does (:func:`symbiosis.runner.run_scenario`, the run folder ``DIR/runs/<id>`` written by the
output rule of :mod:`symbiosis.files`), and records its stages, incumbent and gap in the job
table as it goes.

Workers are started by the web process's supervisor with the ``spawn`` start method (a fresh
interpreter, never a fork of the web process): :func:`worker_main` is their entry point.

Stopping. A worker's run handles SIGINT and SIGTERM as the command line does
(:mod:`symbiosis.interrupt`): the solve stops and the best solution in hand is written. A
small thread of the worker polls the job table: when a job's cancelling is asked for
(``DELETE /api/runs/{id}``) it sends SIGINT to its own process, so a cancelled job keeps its
incumbent as Ctrl-C does, and the job ends ``cancelled``. A run stopped by any other signal
(the server shutting down, Ctrl-C in its terminal) is queued again for the next server, and
the worker exits; so does a worker whose web process has gone. Between jobs, SIGINT is
ignored and SIGTERM ends the worker.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from symbiosis.errors import InputError
from symbiosis.interrupt import Interrupted
from symbiosis.options import RunOptions
from symbiosis.runner import EXIT_ERROR, EXIT_OK, RunOutcome, run_scenario
from symbiosis.solve.highs import Progress
from symbiosis.web.jobs import Job, JobStore, open_store
from symbiosis.web.scenarios import Places, check_scenario

#: seconds between a worker's looks at the queue when it is empty
POLL_SECONDS = 0.25
#: seconds between two records of the solver's progress in the job table
PROGRESS_SECONDS = 1.0


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs to know (pickled to the spawned process).

    Attributes
    ----------
    data_dir : Path
        The server's folder: the job table and ``runs/`` are there.
    places : Places
        Where scenarios are and what they may read.
    parent_pid : int or None
        The web process: the worker exits when it has gone (None: never).
    poll_seconds : float
        Seconds between looks at an empty queue.
    database : str or None
        The job table's PostgreSQL URL (``--database``); None: the SQLite file in
        ``data_dir``.
    """

    data_dir: Path
    places: Places
    parent_pid: int | None = None
    poll_seconds: float = POLL_SECONDS
    database: str | None = None

    @property
    def runs_dir(self) -> Path:
        """Where run folders are written.

        Returns
        -------
        Path
            ``data_dir / "runs"``.
        """
        return self.data_dir / "runs"


def problem_dicts(exc: InputError) -> list[dict[str, Any]]:
    """The problems of invalid input as the API and the job table give them.

    Parameters
    ----------
    exc : InputError
        The error.

    Returns
    -------
    list of dict
        One per problem: file, row, column, value, message and ``text`` (the line the
        command line prints for it).
    """
    return [
        {
            "file": p.file,
            "row": p.row,
            "column": p.column,
            "value": p.value,
            "message": p.message,
            "text": str(p),
        }
        for p in exc.problems
    ]


class JobReporter:
    """A run's :class:`~symbiosis.runner.Reporter` that records it in the job table: each
    stage as it starts, the solver's incumbent, bound and gap at most every
    :data:`PROGRESS_SECONDS`.

    Parameters
    ----------
    store : JobStore
        The job table.
    job_id : str
        The job running.
    """

    def __init__(self, store: JobStore, job_id: str):
        self.store, self.job_id = store, job_id
        self.last = 0.0
        self.latest: dict[str, Any] = {}

    def stage_started(self, name: str) -> None:
        """Record the stage.

        Parameters
        ----------
        name : str
            The stage (``read``, ``network``, ``solve`` ...).
        """
        self.store.progress(self.job_id, {"stage": name})

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        """Record the solver's last report when the solve ends.

        Parameters
        ----------
        name : str
            The stage.
        seconds : float
            How long it took.
        detail : str
            The display's line (not recorded).
        """
        if name == "solve" and self.latest:
            self.store.progress(self.job_id, self.latest)

    def solver_progress(self, progress: Progress) -> None:
        """Record the incumbent, bound and gap (throttled).

        Parameters
        ----------
        progress : Progress
            The solver's report.
        """
        self.latest = {
            "incumbent": progress.incumbent,
            "bound": progress.bound,
            "gap": progress.gap,
        }
        if time.monotonic() - self.last >= PROGRESS_SECONDS:
            self.last = time.monotonic()
            self.store.progress(self.job_id, self.latest)


@dataclass
class _Watch:
    """Shared between the worker's main thread and its watching thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    job_id: str | None = None
    stopping: bool = False


def _watch(store: JobStore, watch: _Watch, parent_pid: int | None, every: float) -> None:
    """The watching thread: SIGINT to this process while the running job's cancelling is
    asked for (again at every look: one sent before the run handles signals is ignored,
    and the run keeps the first it handles); SIGTERM when the web process has gone."""
    me = os.getpid()
    while True:
        time.sleep(every)
        if parent_pid is not None and os.getppid() != parent_pid:
            watch.stopping = True
            os.kill(me, signal.SIGTERM)
            return
        with watch.lock:
            job_id = watch.job_id
            if job_id is None:
                continue
            try:
                cancel = store.cancel_requested(job_id)
            except Exception:  # a busy database: look again next time
                continue
            if cancel:
                os.kill(me, signal.SIGINT)


def _between_jobs(watch: _Watch) -> None:
    """SIGINT ignored, SIGTERM ends the worker after its job (handlers outside a run)."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        watch.stopping = True

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, on_term)


def _outcome_values(outcome: RunOutcome) -> tuple[str, dict[str, Any]]:
    """A finished run's job status and the values recorded with it."""
    summary = outcome.results.summary
    values: dict[str, Any] = {
        "result": summary.get("status"),
        "exit_code": outcome.exit_code,
        "gap": summary.get("mip_gap"),
        "incumbent": summary.get("objective"),
    }
    if outcome.out_dir is None or outcome.exit_code not in (EXIT_OK, 3):
        status = str(outcome.solution.highs_status) if outcome.solution is not None else ""
        values["error"] = "the run found no solution" + (f" ({status})" if status else "")
        return "failed", values
    return "done", values


def run_job(store: JobStore, job: Job, config: WorkerConfig, watch: _Watch) -> None:
    """Run one claimed job to its end and record it.

    Parameters
    ----------
    store : JobStore
        The job table.
    job : Job
        The job, claimed by this process.
    config : WorkerConfig
        The server's folders.
    watch : _Watch
        Shared with the watching thread (which job runs, whether the worker is stopping).
    """
    pid = os.getpid()
    spec = job.spec
    with watch.lock:
        watch.job_id = job.id
    try:
        if watch.stopping:
            store.requeue(job.id, pid)
            return
        if store.cancel_requested(job.id):
            store.finish(job.id, pid, "cancelled", {"error": "cancelled before it started"})
            return
        scenario = check_scenario(
            spec.scenario, Path(spec.base_dir), spec.source, spec.overrides, config.places
        )
        options = RunOptions(solver={"time_limit": spec.time_limit})
        outcome = run_scenario(
            scenario, config.runs_dir / job.id, JobReporter(store, job.id), options
        )
    except InputError as exc:
        store.finish(
            job.id,
            pid,
            "failed",
            {"error": exc.report(), "problems": problem_dicts(exc), "exit_code": 2},
        )
        return
    except Interrupted as exc:  # stopped with no solution in hand: nothing written
        if store.cancel_requested(job.id):
            store.finish(
                job.id,
                pid,
                "cancelled",
                {"error": f"cancelled ({exc}): no solution yet, nothing written"},
            )
        else:
            watch.stopping = True
            store.requeue(job.id, pid)
        return
    except Exception as exc:
        store.finish(
            job.id,
            pid,
            "failed",
            {"error": f"{type(exc).__name__}: {exc}", "exit_code": EXIT_ERROR},
        )
        return
    finally:
        with watch.lock:
            watch.job_id = None
    status, values = _outcome_values(outcome)
    if outcome.interruption is not None:
        if store.cancel_requested(job.id):
            values["error"] = "cancelled: the best solution found before it is kept"
            store.finish(job.id, pid, "cancelled", values)
        else:
            watch.stopping = True
            store.requeue(job.id, pid)
        return
    store.finish(job.id, pid, status, values)


def work(store: JobStore, config: WorkerConfig, watch: _Watch, once: bool = False) -> int:
    """Claim and run jobs until the worker is told to stop (or, with ``once``, until the
    queue is empty).

    Parameters
    ----------
    store : JobStore
        The job table.
    config : WorkerConfig
        The server's folders.
    watch : _Watch
        Shared with the watching thread.
    once : bool
        Return when no job is queued (tests; a worker process waits for more).

    Returns
    -------
    int
        How many jobs it ran.
    """
    ran = 0
    while not watch.stopping:
        job = store.claim(os.getpid())
        if job is None:
            if once:
                break
            time.sleep(config.poll_seconds)
            continue
        run_job(store, job, config, watch)
        ran += 1
    return ran


def run_queued(config: WorkerConfig) -> int:
    """Run the queued jobs in this process, one after another (no watching thread).

    Parameters
    ----------
    config : WorkerConfig
        The server's folders.

    Returns
    -------
    int
        How many jobs it ran.
    """
    return work(open_store(config.data_dir, config.database), config, _Watch(), once=True)


def worker_main(config: WorkerConfig) -> None:
    """A worker process's entry point: run jobs until SIGTERM or the web process goes.

    Parameters
    ----------
    config : WorkerConfig
        The server's folders and the web process's id.
    """
    store = open_store(config.data_dir, config.database)
    watch = _Watch()
    _between_jobs(watch)
    threading.Thread(
        target=_watch,
        args=(store, watch, config.parent_pid, min(0.5, config.poll_seconds * 2)),
        name="symbiosis-job-watch",
        daemon=True,
    ).start()
    work(store, config, watch)


__all__ = [
    "PROGRESS_SECONDS",
    "JobReporter",
    "WorkerConfig",
    "problem_dicts",
    "run_job",
    "run_queued",
    "work",
    "worker_main",
]
