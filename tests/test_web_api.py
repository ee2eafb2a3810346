"""The web app's REST API (issue 14): through FastAPI's TestClient (the ASGI app in this
process), jobs run by the library's worker code in this process, and, for the faults, real
worker processes (spawned) started by the app's supervisor: a tiny job to done, a cancel that
keeps the incumbent, a killed worker, a restart that queues again what a stopped server left
running. Cases: tests/cases/tiny (solved in a second) and the generated hard case of
test_solve_limits (HiGHS cannot finish it within these tests).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_solve_limits import write_hard_case
from typer.testing import CliRunner

from symbiosis.cli import app as cli_app
from symbiosis.web import TOKEN_VAR, ServeOptions, checked_token
from symbiosis.web.app import INTERNAL_ERROR, AppOptions, create_app
from symbiosis.web.jobs import JobSpec, open_store
from symbiosis.web.scenarios import Places
from symbiosis.web.worker import WorkerConfig, run_queued

CASES = Path(__file__).resolve().parent / "cases"
TOKEN = "s3cret-token-for-tests"
TINY_YAML = "name: tiny\ncase: ../cases/tiny\ntarget:\n  total: 900000\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A server folder: the tiny case under cases/, a bundled scenario folder beside it
    (models/tiny.yaml and models/guizhou-demo.yaml, which extends it)."""
    folder = tmp_path / "data"
    shutil.copytree(CASES / "tiny" / "case", folder / "cases" / "tiny")
    (folder / "models").mkdir()
    (folder / "models" / "tiny.yaml").write_text(TINY_YAML, encoding="utf-8")
    (folder / "models" / "guizhou-demo.yaml").write_text(
        "extends: tiny.yaml\nname: guizhou-demo\n", encoding="utf-8"
    )
    return folder.resolve()


def places_of(data: Path) -> Places:
    return Places(data, data / "models", ())


def client(data: Path, **options: Any) -> TestClient:
    app = create_app(AppOptions(data_dir=data, places=places_of(data), **{"workers": 0, **options}))
    return TestClient(app, raise_server_exceptions=False)


def work(data: Path) -> int:
    """Run the queued jobs here, as a worker process does."""
    return run_queued(WorkerConfig(data, places_of(data)))


def wait_for(get: Callable[[], Any], done: Callable[[Any], bool], seconds: float) -> Any:
    end = time.monotonic() + seconds
    while True:
        value = get()
        if done(value) or time.monotonic() > end:
            return value
        time.sleep(0.2)


@pytest.fixture
def hard_data(data: Path) -> Path:
    """The hard case under cases/hard and a scenario asking half its supply."""
    total = write_hard_case(data / "cases" / "hard")
    (data / "models" / "hard.yaml").write_text(
        f"name: hard\ncase: ../cases/hard\ntarget:\n  total: {0.5 * total:.0f}\n",
        encoding="utf-8",
    )
    return data


# --------------------------------------------------------------------------------------------
# Scenarios and submitting
# --------------------------------------------------------------------------------------------
def test_scenarios_bundled_guizhou_first_then_uploaded(data: Path) -> None:
    with client(data) as c:
        before = c.get("/api/scenarios").json()
        assert [(s["name"], s["source"]) for s in before] == [
            ("guizhou-demo", "bundled"),
            ("tiny", "bundled"),
        ]
        text = "name: mine\ncase: cases/tiny\ntarget:\n  total: 500000\n"
        assert c.post("/api/runs", json={"scenario": text}).status_code == 202
        after = c.get("/api/scenarios").json()
        assert [(s["name"], s["source"]) for s in after][-1] == ("mine", "uploaded")
        # an uploaded scenario can be run again by its name
        again = c.post("/api/runs", json={"scenario": "mine"})
        assert again.status_code == 202, again.text


def test_submit_answers_202_at_once_and_429_when_the_queue_is_full(data: Path) -> None:
    with client(data, max_queued=2) as c:
        took = []
        for _ in range(2):
            start = time.perf_counter()
            answer = c.post("/api/runs", json={"scenario": "tiny"})
            took.append(time.perf_counter() - start)
            assert answer.status_code == 202, answer.text
            assert c.get(f"/api/runs/{answer.json()['id']}").json()["status"] == "queued"
        assert max(took) < 1.0
        full = c.post("/api/runs", json={"scenario": "tiny"})
        assert full.status_code == 429
        assert "queue is full" in full.json()["detail"]
        assert len(c.get("/api/runs").json()) == 2  # the refused one was not kept


def test_a_run_done_with_its_summary_layers_files_and_comparison(data: Path) -> None:
    with client(data) as c:
        first = c.post(
            "/api/runs",
            json={"scenario": "tiny", "overrides": {"target": {"total": 800000}}},
        ).json()["id"]
        second = c.post("/api/runs", json={"scenario": "tiny", "time_limit": 30}).json()["id"]
        assert c.get(f"/api/runs/{first}/summary").status_code == 404  # not run yet
        assert work(data) == 2
        job = c.get(f"/api/runs/{first}").json()
        assert job["status"] == "done", job
        assert job["result"] == "optimal" and job["exit_code"] == 0
        assert job["stage"] == "write" and job["incumbent"] is not None
        folder = data / "runs" / first
        summary = c.get(f"/api/runs/{first}/summary").json()
        assert summary == json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert summary["targets"][0]["required"] == 800000  # the override reached the run
        assert job["incumbent"] == pytest.approx(summary["objective"])

        flows = c.get(f"/api/runs/{first}/flows.geojson")
        assert flows.headers["content-type"].startswith("application/geo+json")
        features = flows.json()["features"]
        table = (folder / "flows.csv").read_text(encoding="utf-8").splitlines()
        assert len(features) == len(table) - 1 > 0
        assert {f["geometry"]["type"] for f in features} == {"LineString"}
        facilities = c.get(f"/api/runs/{first}/facilities.geojson").json()["features"]
        built = {f["properties"]["facility"] for f in facilities if f["properties"]["built"]}
        assert set(summary["built"]) <= built

        files = c.get(f"/api/runs/{first}/files").json()
        assert "flows.csv" in files and "summary.json" in files
        got = c.get(f"/api/runs/{first}/download/flows.csv")
        assert got.status_code == 200 and got.content == (folder / "flows.csv").read_bytes()

        compared = c.get(f"/api/compare?runs={first},{second}")
        assert compared.status_code == 200, compared.text
        body = compared.json()
        assert body["runs"] == [first, second] and body["explanation"]
        assert "0.800 Mt/yr" in " ".join(body["explanation"])
        assert str(data) not in compared.text  # no server path
        one = c.get(f"/api/compare?runs={first}")
        assert one.status_code == 422 and "two run ids or more" in one.text


def test_download_gives_only_files_of_the_run_folder(data: Path) -> None:
    with client(data) as c:
        job_id = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        work(data)
        folder = data / "runs" / job_id
        (folder / "link.csv").symlink_to(data / "jobs.sqlite")
        (folder / ".hidden").write_text("x", encoding="utf-8")
        for name in (
            "..%2F..%2Fjobs.sqlite",
            "%2E%2E",
            "%2E%2E%2F%2E%2E%2Fjobs.sqlite",
            "link.csv",
            ".hidden",
            "nothing.csv",
        ):
            answer = c.get(f"/api/runs/{job_id}/download/{name}")
            assert answer.status_code == 404, (name, answer.status_code)
            assert b"SQLite" not in answer.content
        for path in ("..", "../../jobs.sqlite", "../../../jobs.sqlite"):  # the client folds them
            answer = c.get(f"/api/runs/{job_id}/download/{path}")
            assert b"SQLite" not in answer.content
            assert "content-disposition" not in answer.headers
        assert c.get(f"/api/runs/{job_id}/download/kpis.csv").status_code == 200
        assert c.get("/api/runs/nope/download/kpis.csv").status_code == 404


# --------------------------------------------------------------------------------------------
# Bad input, security
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\ncase: ../../etc\n", "case: outside the folders a scenario may read"),
        ("name: x\ncase: /etc\n", "case: outside the folders a scenario may read"),
        ("name: x\ncase: cases/tiny\nextends: /etc/passwd\n", "extends: outside the folders"),
        ("name: x\ncase: escape\n", "case: outside the folders a scenario may read"),
        ("name: x\ncase: cases/tiny\nsolver:\n  profile: /tmp/x.yaml\n", "solver.profile"),
        (
            "name: x\ncase: cases/tiny\nsolver:\n  options:\n    log_file: /tmp/h.log\n",
            "solver.options.log_file: HiGHS options that read or write files",
        ),
        ("!!python/object/apply:os.system ['true']\n", "cannot read YAML"),
        ("- a\n- b\n", "a scenario is a YAML mapping"),
    ],
)
def test_a_scenario_reads_only_what_it_may(data: Path, text: str, words: str) -> None:
    (data / "escape").symlink_to("/etc")
    with client(data) as c:
        answer = c.post("/api/runs", json={"scenario": text})
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"]
        assert "Traceback" not in answer.text
        assert c.get("/api/runs").json() == []  # nothing queued


def test_size_limits(data: Path) -> None:
    with client(data, max_scenario_bytes=1000) as c:
        text = "name: big\ncase: cases/tiny\n# " + "x" * 2000 + "\n"
        answer = c.post("/api/runs", json={"scenario": text})
        assert answer.status_code == 422
        assert "1,000 at most" in answer.json()["detail"]
        huge = c.post(
            "/api/runs",
            content=json.dumps({"scenario": "x" * 200_000}),
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413


def test_invalid_input_in_the_command_lines_words(data: Path, tmp_path: Path) -> None:
    """The same problem lines as `symbiosis validate` prints for the same scenario file."""
    bad = data / "models" / "bad.yaml"
    bad.write_text(TINY_YAML.replace("900000", "lots"), encoding="utf-8")
    cli = CliRunner().invoke(cli_app, ["validate", str(bad)])
    assert cli.exit_code == 2
    cli_lines = [line.strip() for line in cli.output.splitlines() if line.strip().startswith("-")]
    assert cli_lines
    with client(data) as c:
        answer = c.post("/api/runs", json={"scenario": "bad"})
        assert answer.status_code == 422
        api_lines = [f"- {p['text']}" for p in answer.json()["problems"]]
        assert api_lines == cli_lines
        # overrides are checked the same way (the problem names the scenario file)
        over = c.post(
            "/api/runs",
            json={"scenario": "tiny", "overrides": {"limits": {"max_new": 1}}},
        )
        assert over.status_code == 422
        assert over.json()["problems"][0]["file"] == "tiny.yaml"
        assert "max_new" in over.json()["detail"]
        unknown = c.post("/api/runs", json={"scenario": "nope"})
        assert unknown.status_code == 422
        assert "no scenario of that name; allowed: guizhou-demo, bad, tiny" in unknown.text
        body = c.post("/api/runs", json={"scenario": "tiny", "time_limit": -1})
        assert body.status_code == 422
        assert body.json()["problems"][0]["text"].startswith("request: time_limit:")


def test_invalid_case_data_fails_the_job_with_row_and_column(data: Path) -> None:
    broken = data / "cases" / "broken"
    shutil.copytree(data / "cases" / "tiny", broken)
    supply = (broken / "supply.csv").read_text(encoding="utf-8").splitlines()
    header = supply[0].split(",")
    row = supply[1].split(",")
    row[header.index("amount")] = "many"
    supply[1] = ",".join(row)
    (broken / "supply.csv").write_text("\n".join(supply) + "\n", encoding="utf-8")
    cli = CliRunner().invoke(cli_app, ["validate", str(broken)])
    assert cli.exit_code == 2
    with client(data) as c:
        job_id = c.post(
            "/api/runs", json={"scenario": "name: broken\ncase: cases/broken\n"}
        ).json()["id"]
        work(data)
        job = c.get(f"/api/runs/{job_id}").json()
        assert job["status"] == "failed" and job["exit_code"] == 2
        problem = next(p for p in job["problems"] if p["column"] == "amount")
        assert problem["file"] == "supply.csv" and problem["row"] == 2
        assert problem["text"] in " ".join(cli.output.split())


def test_unexpected_errors_are_one_plain_sentence(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symbiosis.web.jobs import SqliteJobStore

    def broken(self: Any, job_id: str) -> Any:
        raise RuntimeError("secret internals at /srv/x.py line 3")

    monkeypatch.setattr(SqliteJobStore, "get", broken)
    with client(data) as c:
        answer = c.get("/api/runs/abc")
        assert answer.status_code == 500
        assert answer.json() == {"detail": INTERNAL_ERROR}
        assert "secret" not in answer.text and "Traceback" not in answer.text


def test_token_required_when_set(data: Path) -> None:
    with client(data, token=TOKEN) as c:
        assert c.get("/api/scenarios").status_code == 401
        wrong = c.get("/api/scenarios", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert c.post("/api/runs", json={"scenario": "tiny"}).status_code == 401
        right = c.get("/api/scenarios", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
    with client(data) as c:  # none set: loopback only, no token asked
        assert c.get("/api/scenarios").status_code == 200


def test_serve_refuses_a_public_address_without_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(TOKEN_VAR, raising=False)
    result = CliRunner().invoke(
        cli_app, ["serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d")]
    )
    assert result.exit_code == 2
    assert "0.0.0.0 is not a loopback address" in " ".join(result.output.split())
    assert not (tmp_path / "d").exists()  # refused before anything was made
    assert checked_token(ServeOptions(host="127.0.0.1")) is None
    assert checked_token(ServeOptions(host="::1")) is None
    monkeypatch.setenv(TOKEN_VAR, TOKEN)
    assert checked_token(ServeOptions(host="0.0.0.0")) == TOKEN


def test_cancel_a_queued_run(data: Path) -> None:
    with client(data) as c:
        job_id = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        answer = c.delete(f"/api/runs/{job_id}")
        assert answer.status_code == 202
        assert answer.json()["status"] == "cancelled"
        assert work(data) == 0  # nothing left to run
        assert c.delete(f"/api/runs/{job_id}").status_code == 409
        assert c.delete("/api/runs/nope").status_code == 404


# --------------------------------------------------------------------------------------------
# Real worker processes
# --------------------------------------------------------------------------------------------
def status_of(c: TestClient, job_id: str) -> Callable[[], dict[str, Any]]:
    return lambda: c.get(f"/api/runs/{job_id}").json()


def spawned(pid: int) -> bool:
    """A process started by multiprocessing's spawn method (a fresh interpreter)."""
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    return b"multiprocessing.spawn" in cmdline


def test_a_spawned_worker_runs_a_job_to_done(data: Path) -> None:
    with client(data, workers=1) as c:
        job_id = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        job = wait_for(status_of(c, job_id), lambda j: j["status"] == "done", 90)
        assert job["status"] == "done", job
        assert job["worker_pid"] != os.getpid()
        assert spawned(job["worker_pid"])
        assert c.get(f"/api/runs/{job_id}/summary").json()["status"] == "optimal"
    # the server stopped: its worker is gone
    proc = Path(f"/proc/{job['worker_pid']}")
    assert wait_for(proc.exists, lambda alive: not alive, 15) is False


def test_cancel_stops_the_solve_and_keeps_the_incumbent(hard_data: Path) -> None:
    with client(hard_data, workers=1) as c:
        job_id = c.post("/api/runs", json={"scenario": "hard", "time_limit": 120}).json()["id"]
        job = wait_for(
            status_of(c, job_id),
            lambda j: j["stage"] == "solve" and j["incumbent"] is not None,
            120,
        )
        assert job["status"] == "running" and job["stage"] == "solve", job
        asked = time.monotonic()
        assert c.delete(f"/api/runs/{job_id}").status_code == 202
        job = wait_for(status_of(c, job_id), lambda j: j["status"] != "running", 30)
        assert job["status"] == "cancelled", job
        assert time.monotonic() - asked < 15
        assert "best solution found before it is kept" in job["error"]
        summary = c.get(f"/api/runs/{job_id}/summary").json()
        assert summary["status"] == "feasible" and summary["interrupted"] is True
        assert summary["interruption"]["signal"] == "SIGINT"
        assert job["result"] == "feasible"


def test_a_killed_worker_fails_its_job_and_is_replaced(hard_data: Path) -> None:
    with client(hard_data, workers=1) as c:
        hard = c.post("/api/runs", json={"scenario": "hard", "time_limit": 120}).json()["id"]
        job = wait_for(status_of(c, hard), lambda j: j["stage"] in ("build model", "solve"), 120)
        assert job["status"] == "running", job
        os.kill(job["worker_pid"], signal.SIGKILL)
        failed = wait_for(status_of(c, hard), lambda j: j["status"] != "running", 20)
        assert failed["status"] == "failed", failed
        assert failed["error"] == (
            f"worker process {job['worker_pid']} died (killed by SIGKILL) while running this job"
        )
        tiny = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        done = wait_for(status_of(c, tiny), lambda j: j["status"] == "done", 90)
        assert done["status"] == "done", done
        assert done["worker_pid"] != job["worker_pid"]


def test_a_restart_queues_again_what_a_stopped_server_left_running(data: Path) -> None:
    store = open_store(data)
    spec = JobSpec("tiny", "tiny.yaml", TINY_YAML, str(data / "models"))
    left = store.submit(spec, 10)
    assert left is not None
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert store.claim(gone.pid) is not None  # "running" in a worker that no longer exists
    with client(data, workers=1) as c:
        assert c.get(f"/api/runs/{left.id}").json()["status"] in ("queued", "running", "done")
        job = wait_for(status_of(c, left.id), lambda j: j["status"] == "done", 90)
        assert job["status"] == "done", job
        assert job["attempts"] == 2


@pytest.fixture(autouse=True)
def _no_stray_workers() -> Iterator[None]:
    """Every test ends with the workers it started gone."""
    yield
    import multiprocessing

    for child in multiprocessing.active_children():
        child.kill()


def test_a_stopping_server_queues_its_running_job_again(hard_data: Path) -> None:
    """The app's shutdown sends SIGTERM to its workers: the job being solved goes back to
    the queue (not cancelled, not failed) for the next server."""
    with client(hard_data, workers=1) as c:
        job_id = c.post("/api/runs", json={"scenario": "hard", "time_limit": 120}).json()["id"]
        job = wait_for(status_of(c, job_id), lambda j: j["stage"] == "solve", 120)
        assert job["status"] == "running", job
    left = open_store(hard_data).get(job_id)
    assert left is not None
    assert (left.status, left.worker_pid, left.attempts) == ("queued", None, 1)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_symbiosis_serve_answers_and_stops_on_sigterm(data: Path) -> None:
    """The command itself: it listens on loopback, asks for the token it was given, and
    SIGTERM stops it (and its workers) with exit code 0."""
    import httpx

    port = free_port()
    env = {**os.environ, TOKEN_VAR: TOKEN}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("symbiosis")),
            "serve",
            "--port",
            str(port),
            "--data",
            str(data),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/runs"
        auth = {"Authorization": f"Bearer {TOKEN}"}

        def ask() -> int:
            try:
                return httpx.get(url, headers=auth, timeout=5).status_code
            except httpx.TransportError:
                return 0

        assert wait_for(ask, lambda code: code != 0, 60) == 200
        assert httpx.get(url, timeout=5).status_code == 401
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
        assert "Traceback" not in err and "interrupted" not in err
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
