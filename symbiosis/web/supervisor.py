"""The web process's supervisor of its worker processes.

It starts N workers with the ``spawn`` start method (:func:`symbiosis.web.worker.worker_main`
in fresh interpreters, never forks of the web process), looks at them every half second
(:meth:`Supervisor.check`, called by the app's event loop), and replaces a worker that died:
the job it was running is marked ``failed`` with the reason (its exit code or the signal that
killed it). When it starts, jobs left ``running`` by a server that stopped are queued again;
when it stops, its workers get SIGTERM (their runs are queued again for the next server) and
are killed if they have not ended within a grace.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import dataclass, field, replace
from multiprocessing.process import BaseProcess

from symbiosis.files import pid_alive
from symbiosis.web.jobs import JobStore
from symbiosis.web.worker import WorkerConfig, worker_main

#: seconds a worker is given to end after SIGTERM before it is killed
STOP_GRACE = 10.0


def death_reason(pid: int, exitcode: int | None) -> str:
    """Why a worker's job failed, in words.

    Parameters
    ----------
    pid : int
        The worker's process id.
    exitcode : int or None
        ``Process.exitcode``: negative for the signal that killed it.

    Returns
    -------
    str
        E.g. ``worker process 4242 died (killed by SIGKILL) while running this job``.
    """
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    return f"worker process {pid} died ({how}) while running this job"


@dataclass
class Supervisor:
    """Starts, watches and replaces the worker processes.

    Parameters
    ----------
    store : JobStore
        The job table.
    config : WorkerConfig
        What each worker is given (its ``parent_pid`` is set to this process).
    workers : int
        How many worker processes to keep running.
    """

    store: JobStore
    config: WorkerConfig
    workers: int
    processes: list[BaseProcess] = field(default_factory=list)
    #: (pid, reason) of each worker that died, oldest first
    deaths: list[tuple[int, str]] = field(default_factory=list)
    stopping: bool = False

    def _spawn(self) -> BaseProcess:
        context = multiprocessing.get_context("spawn")
        config = replace(self.config, parent_pid=os.getpid())
        process = context.Process(
            target=worker_main, args=(config,), name="symbiosis-worker", daemon=False
        )
        process.start()
        return process

    def start(self) -> list[str]:
        """Queue again the jobs of a server that stopped, then start the workers.

        Returns
        -------
        list of str
            The ids of the jobs queued again.
        """
        requeued = self.store.requeue_orphans(pid_alive)
        self.processes = [self._spawn() for _ in range(self.workers)]
        return requeued

    def pids(self) -> list[int]:
        """The workers' process ids.

        Returns
        -------
        list of int
            One per worker now running.
        """
        return [p.pid for p in self.processes if p.pid is not None and p.is_alive()]

    def check(self) -> list[tuple[int, str]]:
        """Replace every worker that died, failing its job with the reason.

        Returns
        -------
        list of tuple
            ``(pid, reason)`` of each worker found dead now.
        """
        found = []
        for position, process in enumerate(self.processes):
            if process.is_alive() or self.stopping:
                continue
            pid = process.pid or 0
            reason = death_reason(pid, process.exitcode)
            self.store.fail_worker(pid, reason)
            process.close()
            self.processes[position] = self._spawn()
            found.append((pid, reason))
        self.deaths += found
        return found

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop the workers: SIGTERM (a running job is queued again), then SIGKILL for any
        still alive after ``grace`` seconds (its job is queued again by the next start).

        Parameters
        ----------
        grace : float
            Seconds to wait for the workers to end.
        """
        import time

        self.stopping = True
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + grace
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5.0)
        self.processes = []


__all__ = ["STOP_GRACE", "Supervisor", "death_reason", "pid_alive"]
