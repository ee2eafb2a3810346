"""The web app's job table (issue 14): one contract, two stores. Every test runs against the
SQLite file of a server's folder and against PostgreSQL (``--database postgresql://...``, a
throwaway server from tests/_postgres.py: these skip without PostgreSQL, and fail under CI).

Then the PostgreSQL store behind the real command: ``symbiosis serve --database ...`` runs a
tiny job to done, and its password is never printed.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _postgres import PostgresServer
from typer.testing import CliRunner

from symbiosis.cli import app as cli_app
from symbiosis.web.jobs import (
    JobSpec,
    PostgresJobStore,
    SqliteJobStore,
    SqlJobStore,
    open_store,
    parse_database,
)

#: the session fixture postgres_server (a throwaway PostgreSQL on 127.0.0.1)
pytest_plugins = ("_postgres",)

SPEC = JobSpec("tiny", "tiny.yaml", "name: tiny\n", "/nowhere", {"target": {"total": 1}}, 30.0)
_names = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqlJobStore:
    """An empty job table in each store."""
    if request.param == "sqlite":
        return open_store(tmp_path)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"jobs_{os.getpid()}_{next(_names)}"
    return open_store(tmp_path, server.create_database(name, postgis=False))


def dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def test_open_store_chooses_by_the_url(store: SqlJobStore) -> None:
    expected = PostgresJobStore if isinstance(store, PostgresJobStore) else SqliteJobStore
    assert type(store) is expected


def test_submit_queues_in_order_up_to_the_limit(store: SqlJobStore) -> None:
    first = store.submit(SPEC, 2)
    second = store.submit(SPEC, 2)
    assert first is not None and second is not None
    assert store.submit(SPEC, 2) is None  # the queue is full
    assert [j.id for j in store.jobs()] == [second.id, first.id]
    got = store.get(first.id)
    assert got is not None and got.spec == SPEC and got.status == "queued"
    assert got.spec.time_limit == 30.0 and got.spec.overrides == {"target": {"total": 1}}
    assert store.get("nope") is None
    assert store.counts() == {"queued": 2, "running": 0, "done": 0, "failed": 0, "cancelled": 0}


def test_claim_progress_and_finish(store: SqlJobStore) -> None:
    first = store.submit(SPEC, 10)
    store.submit(SPEC, 10)
    assert first is not None
    job = store.claim(4242)
    assert job is not None and job.id == first.id  # the oldest first
    assert (job.status, job.worker_pid, job.attempts) == ("running", 4242, 1)
    store.progress(job.id, {"stage": "solve", "gap": 0.125, "incumbent": 1.5e9, "other": 1})
    now = store.get(job.id)
    assert now is not None and (now.stage, now.gap, now.incumbent) == ("solve", 0.125, 1.5e9)
    assert not store.finish(job.id, 1, "done", {})  # another worker: left alone
    problems = [{"file": "supply.csv", "row": 2}]
    assert store.finish(job.id, 4242, "failed", {"error": "bad", "problems": problems})
    ended = store.get(job.id)
    assert ended is not None and ended.status == "failed" and ended.problems == problems
    assert ended.finished is not None
    assert not store.finish(job.id, 4242, "done", {})  # ended already
    with pytest.raises(ValueError, match="a job ends in one of"):
        store.finish(job.id, 4242, "running", {})


def test_two_workers_claiming_at_once_never_take_the_same_job(store: SqlJobStore) -> None:
    ids = set()
    for _ in range(30):
        job = store.submit(SPEC, 100)
        assert job is not None
        ids.add(job.id)
    taken: list[str] = []
    lock = threading.Lock()

    def worker(pid: int) -> None:
        while (job := store.claim(pid)) is not None:
            with lock:
                taken.append(job.id)

    threads = [threading.Thread(target=worker, args=(100 + i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == sorted(ids)  # each exactly once
    assert store.counts()["running"] == 30


def test_cancel_queued_and_running(store: SqlJobStore) -> None:
    queued = store.submit(SPEC, 10)
    running = store.submit(SPEC, 10)
    assert queued is not None and running is not None
    assert store.cancel("nope") is None
    cancelled = store.cancel(queued.id)
    assert cancelled is not None and cancelled.status == "cancelled"
    claimed = store.claim(7)
    assert claimed is not None and claimed.id == running.id
    assert not store.cancel_requested(running.id)
    asked = store.cancel(running.id)
    assert asked is not None and asked.status == "running" and asked.cancel_requested
    assert store.cancel_requested(running.id)
    assert store.claim(8) is None  # nothing queued


def test_a_dead_worker_fails_its_job_with_the_reason(store: SqlJobStore) -> None:
    job = store.submit(SPEC, 10)
    assert job is not None and store.claim(99) is not None
    assert store.fail_worker(98, "no") == []
    assert store.fail_worker(99, "worker process 99 died (killed by SIGKILL)") == [job.id]
    failed = store.get(job.id)
    assert failed is not None and failed.status == "failed"
    assert failed.error == "worker process 99 died (killed by SIGKILL)"


def test_a_restart_queues_again_what_a_stopped_server_left_running(store: SqlJobStore) -> None:
    left = store.submit(SPEC, 10)
    asked = store.submit(SPEC, 10)
    alive = store.submit(SPEC, 10)
    assert left is not None and asked is not None and alive is not None
    gone = dead_pid()
    store.claim(gone)
    store.claim(gone)
    store.cancel(asked.id)
    store.claim(os.getpid())
    assert store.requeue_orphans(lambda pid: pid == os.getpid()) == [left.id]
    again = store.get(left.id)
    assert again is not None and (again.status, again.worker_pid) == ("queued", None)
    ended = store.get(asked.id)
    assert ended is not None and ended.status == "cancelled"
    still = store.get(alive.id)
    assert still is not None and still.status == "running"  # its worker lives
    reclaimed = store.claim(5)
    assert reclaimed is not None and (reclaimed.id, reclaimed.attempts) == (left.id, 2)
    assert store.requeue(left.id, 5)
    assert not store.requeue(left.id, 5)  # queued already


def test_uploaded_scenarios_by_name(store: SqlJobStore) -> None:
    store.submit(JobSpec("mine", "upload", "name: mine\n# 1\n", "/x"), 10)
    store.submit(SPEC, 10)
    latest = store.submit(JobSpec("mine", "upload", "name: mine\n# 2\n", "/x"), 10)
    uploaded = store.uploaded()
    assert list(uploaded) == ["mine"] and latest is not None
    assert uploaded["mine"].id == latest.id


# --------------------------------------------------------------------------------------------
# PostgreSQL only: the URL, the password, the command
# --------------------------------------------------------------------------------------------
def test_database_url_checked_with_its_password_masked() -> None:
    from symbiosis.errors import InputError

    target = parse_database(
        "postgresql://me:pa55word@db.example:5433/jobs?schema=web&sslmode=require"
    )
    assert target.schema == "web" and "schema" not in target.url and "sslmode" in target.url
    assert target.shown() == "postgresql://me:***@db.example:5433/jobs?sslmode=require"
    for bad, words in [
        ("mysql://me:pa55word@h/db", "not a PostgreSQL URL"),
        ("postgresql://me:pa55word@h", "names no database"),
        ("postgresql://me:pa55word@h:99999/db", "port out of range"),
        ("postgresql://me:pa55word@h/db?schema=a;drop", "schema 'a;drop'"),
    ]:
        with pytest.raises(InputError) as caught:
            parse_database(bad)
        assert words in caught.value.report() and "pa55word" not in caught.value.report()


def test_an_unreachable_database_is_exit_2_without_the_password(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    wrong = postgres_server.url().replace(postgres_server.password, "not-the-Pa55word")
    result = CliRunner().invoke(
        cli_app, ["serve", "--data", str(tmp_path / "d"), "--database", wrong]
    )
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "--database" in text and "cannot use the job table" in text
    assert "password authentication failed" in text
    assert "not-the-Pa55word" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "d").exists()  # refused before anything was made


@pytest.fixture
def served(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[dict[str, object]]:
    """``symbiosis serve --database URL`` (one worker) on a free port, the tiny case in its
    data folder; stopped with SIGTERM at the end."""
    import shutil

    from test_web_api import CASES, free_port

    data = tmp_path / "data"
    shutil.copytree(CASES / "tiny" / "case", data / "cases" / "tiny")
    url = postgres_server.create_database(f"serve_{os.getpid()}_{next(_names)}", postgis=False)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("symbiosis")),
            "serve",
            *("--port", str(port), "--data", str(data), "--workers", "1"),
            *("--database", url),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    state: dict[str, object] = {"port": port, "data": data, "url": url, "server": server}
    try:
        yield state
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                out, err = server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                out, err = server.communicate()
            state["output"] = out + err


def test_symbiosis_serve_keeps_its_jobs_in_postgresql(
    served: dict[str, object], postgres_server: PostgresServer
) -> None:
    import httpx
    from test_web_api import wait_for

    base = f"http://127.0.0.1:{served['port']}/api"

    def ask() -> int:
        try:
            return httpx.get(f"{base}/runs", timeout=5).status_code
        except httpx.TransportError:
            return 0

    assert wait_for(ask, lambda code: code != 0, 60) == 200
    text = "name: tiny\ncase: cases/tiny\ntarget:\n  total: 900000\n"
    answer = httpx.post(f"{base}/runs", json={"scenario": text}, timeout=10)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    job = wait_for(
        lambda: httpx.get(f"{base}/runs/{job_id}", timeout=10).json(),
        lambda j: j["status"] in ("done", "failed"),
        120,
    )
    assert job["status"] == "done", job
    assert httpx.get(f"{base}/runs/{job_id}/summary", timeout=10).json()["status"] == "optimal"
    # the row is in PostgreSQL, not in a SQLite file of the folder
    database = str(served["url"]).rsplit("/", 1)[1]
    row = postgres_server.sql(f"SELECT status, attempts FROM jobs WHERE id = '{job_id}'", database)
    assert row == "done|1"
    assert not (Path(str(served["data"])) / "jobs.sqlite").exists()
    server = served["server"]
    assert isinstance(server, subprocess.Popen)
    server.send_signal(signal.SIGTERM)
    out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert postgres_server.password not in out + err
