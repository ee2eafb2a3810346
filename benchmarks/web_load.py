"""Load and fault figures of the web app (issue 14, "Real use, real faults").

Starts a real ``symbiosis serve`` on 127.0.0.1 (a free port, a temporary data folder holding
the tiny case, N workers, a small queue), then C clients submit one run each at the same
moment (a barrier) and poll their run's status until it ends, while a monitor asks for the
status of a run every 50 ms. Every ``GET /api/runs/{id}`` is timed on the client.

It checks that every run asked for either ends (``done``) or is refused with 429, that none
is lost (the job table holds exactly the accepted runs, all ended), and prints: jobs
accepted, refused, done, lost; the wall time from the submits to the last run's end; the
status latency p50/p95/max over all calls; and the machine's load.

    .venv/bin/python benchmarks/web_load.py [--clients 20] [--workers 2] [--max-queued 5]

Loopback only: the server listens on 127.0.0.1 and the clients are threads of this process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TINY_CASE = ROOT / "tests" / "cases" / "tiny" / "case"
SCENARIO = "name: load-{n}\ncase: cases/tiny\ntarget:\n  total: 900000\n"
FINISHED = ("done", "failed", "cancelled")


@dataclass
class LoadFigures:
    """What one load run measured.

    Attributes
    ----------
    clients : int
        Runs asked for, all at once.
    accepted, refused : int
        Answered 202, answered 429.
    other : list of int
        Other answers to the submits (none expected).
    statuses : dict of str to int
        How the accepted runs ended.
    lost : list of str
        Accepted runs that did not end in time or are missing from the job table.
    wall : float
        Seconds from the submits to the last accepted run's end.
    latencies : list of float
        Seconds of every ``GET /api/runs/{id}``.
    load_before, load_after : tuple of float
        The machine's 1, 5 and 15-minute load averages.
    """

    clients: int
    accepted: int = 0
    refused: int = 0
    other: list[int] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def latency(self, which: str) -> float:
        """A status-call latency in milliseconds.

        Parameters
        ----------
        which : str
            ``p50``, ``p95`` or ``max``.

        Returns
        -------
        float
            Milliseconds.
        """
        values = sorted(self.latencies)
        if not values:
            return float("nan")
        if which == "max":
            return 1000 * values[-1]
        if which == "p50":
            return 1000 * statistics.median(values)
        return 1000 * values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]

    def lines(self) -> list[str]:
        """The figures as printed.

        Returns
        -------
        list of str
            One line per figure.
        """
        return [
            f"clients (runs asked for at once): {self.clients}",
            f"accepted (202): {self.accepted}; refused (429, queue full): {self.refused}; "
            f"other answers: {self.other or 'none'}",
            f"ended: {self.statuses}; lost: {len(self.lost)}",
            f"wall time, submits to the last run's end: {self.wall:.1f} s",
            f"GET /api/runs/{{id}}: {len(self.latencies)} calls, p50 {self.latency('p50'):.1f} ms,"
            f" p95 {self.latency('p95'):.1f} ms, max {self.latency('max'):.1f} ms",
            f"machine: {os.cpu_count()} cores, load average before "
            f"{'/'.join(f'{x:.2f}' for x in self.load_before)}, after "
            f"{'/'.join(f'{x:.2f}' for x in self.load_after)}",
        ]


def free_port() -> int:
    """A TCP port free on 127.0.0.1.

    Returns
    -------
    int
        The port.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A ``symbiosis serve`` subprocess on loopback.

    Attributes
    ----------
    process : subprocess.Popen
        The command.
    base : str
        ``http://127.0.0.1:PORT/api``.
    data : Path
        Its data folder.
    """

    process: subprocess.Popen[str]
    base: str
    data: Path

    def stop(self) -> int:
        """SIGTERM, then wait (kill after 30 s).

        Returns
        -------
        int
            Its exit code.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def start_server(folder: Path, workers: int, max_queued: int) -> Server:
    """Start ``symbiosis serve`` with the tiny case in ``folder/cases/tiny``.

    Parameters
    ----------
    folder : Path
        Its data folder (made here).
    workers : int
        Worker processes.
    max_queued : int
        The queue's length.

    Returns
    -------
    Server
        The server, answering.
    """
    import httpx

    shutil.copytree(TINY_CASE, folder / "cases" / "tiny")
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("symbiosis")),
        "serve",
        *("--port", str(port), "--data", str(folder)),
        *("--workers", str(workers), "--max-queued", str(max_queued)),
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("SYMBIOSIS_TOKEN",)}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    server = Server(process, f"http://127.0.0.1:{port}/api", folder)
    end = time.monotonic() + 90
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"symbiosis serve ended with exit code {process.returncode}")
        try:
            if httpx.get(f"{server.base}/runs", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("symbiosis serve did not answer within 90 s")


def _client(n: int, base: str, start: threading.Barrier, out: dict[str, Any]) -> None:
    """One client: submit at the barrier, then poll the run until it ends."""
    import httpx

    with httpx.Client(base_url=base, timeout=30) as http:
        start.wait()
        answer = http.post("/runs", json={"scenario": SCENARIO.format(n=n)})
        with out["lock"]:
            out["codes"].append(answer.status_code)
        if answer.status_code != 202:
            return
        job_id = answer.json()["id"]
        with out["lock"]:
            out["ids"].append(job_id)
        while time.monotonic() < out["deadline"]:
            asked = time.perf_counter()
            job = http.get(f"/runs/{job_id}").json()
            took = time.perf_counter() - asked
            with out["lock"]:
                out["latencies"].append(took)
            if job["status"] in FINISHED:
                with out["lock"]:
                    out["ended"][job_id] = time.monotonic()
                return
            time.sleep(0.2)


def _monitor(base: str, out: dict[str, Any], stop: threading.Event) -> None:
    """Ask for a run's status every 50 ms while the clients run."""
    import httpx

    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            with out["lock"]:
                ids = list(out["ids"])
            if ids:
                asked = time.perf_counter()
                http.get(f"/runs/{ids[-1]}")
                took = time.perf_counter() - asked
                with out["lock"]:
                    out["latencies"].append(took)
            stop.wait(0.05)


def measure(server: Server, clients: int = 20, seconds: float = 600.0) -> LoadFigures:
    """Submit ``clients`` runs at once to a running server and follow them to their end.

    Parameters
    ----------
    server : Server
        From :func:`start_server`.
    clients : int
        Client threads, one run each.
    seconds : float
        How long the runs may take before those not ended count as lost.

    Returns
    -------
    LoadFigures
        The figures.
    """
    import httpx

    figures = LoadFigures(clients, load_before=os.getloadavg())
    out: dict[str, Any] = {
        "lock": threading.Lock(),
        "codes": [],
        "ids": [],
        "latencies": [],
        "ended": {},
        "deadline": time.monotonic() + seconds,
    }
    start = threading.Barrier(clients + 1)
    threads = [
        threading.Thread(target=_client, args=(n, server.base, start, out)) for n in range(clients)
    ]
    stop = threading.Event()
    monitor = threading.Thread(target=_monitor, args=(server.base, out, stop))
    for thread in threads:
        thread.start()
    monitor.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    stop.set()
    monitor.join()
    figures.load_after = os.getloadavg()
    figures.accepted = out["codes"].count(202)
    figures.refused = out["codes"].count(429)
    figures.other = [code for code in out["codes"] if code not in (202, 429)]
    figures.latencies = out["latencies"]
    figures.wall = max(out["ended"].values(), default=began) - began
    table = {job["id"]: job for job in httpx.get(f"{server.base}/runs?limit=1000").json()}
    for job_id in out["ids"]:
        job = table.get(job_id)
        if job is None or job["status"] not in FINISHED:
            figures.lost.append(job_id)
            continue
        figures.statuses[job["status"]] = figures.statuses.get(job["status"], 0) + 1
    figures.lost += [i for i in table if i not in out["ids"]]  # a refused run kept
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print its figures.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (``--clients``, ``--workers``, ``--max-queued``).

    Returns
    -------
    int
        0 when every run ended or was refused and none was lost, else 1.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-queued", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="symbiosis-load-") as tmp:
        server = start_server(Path(tmp) / "data", args.workers, args.max_queued)
        try:
            figures = measure(server, args.clients)
        finally:
            code = server.stop()
    print(f"symbiosis serve --workers {args.workers} --max-queued {args.max_queued}")
    for line in figures.lines():
        print(line)
    print(f"server exit code after SIGTERM: {code}")
    done = figures.statuses.get("done", 0)
    good = not figures.lost and not figures.other and done == figures.accepted
    return 0 if good and code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
