"""The web app's operations (issue 14): downloads made on demand (GeoPackage, print map,
Excel report), progress as server-sent events, and the request-body limit for chunked bodies.
Through FastAPI's TestClient, jobs run by the worker code in this process (as in
test_web_api.py).
"""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_web_api import CASES, TINY_YAML, client, work

from symbiosis.files import file_kind
from symbiosis.web.downloads import MADE


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A server folder with the tiny case and models/tiny.yaml."""
    folder = tmp_path / "data"
    shutil.copytree(CASES / "tiny" / "case", folder / "cases" / "tiny")
    (folder / "models").mkdir()
    (folder / "models" / "tiny.yaml").write_text(TINY_YAML, encoding="utf-8")
    return folder.resolve()


@pytest.fixture
def done(data: Path) -> Iterator[tuple[TestClient, str]]:
    """A client and the id of a tiny run done."""
    with client(data) as c:
        job_id = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        assert work(data) == 1
        yield c, job_id


# --------------------------------------------------------------------------------------------
# Downloads made on demand
# --------------------------------------------------------------------------------------------
def test_downloads_are_made_once_in_the_run_folder_and_served(
    done: tuple[TestClient, str], data: Path
) -> None:
    c, job_id = done
    folder = data / "runs" / job_id
    assert not any((folder / name).exists() for name in MADE)
    listed = c.get(f"/api/runs/{job_id}/files").json()
    assert set(MADE) <= set(listed) and "flows.csv" in listed

    gpkg = c.get(f"/api/runs/{job_id}/download/map.gpkg")
    assert gpkg.status_code == 200, gpkg.text
    assert gpkg.content == (folder / "map.gpkg").read_bytes()
    assert 'filename="map.gpkg"' in gpkg.headers["content-disposition"]
    assert file_kind(folder / "map.gpkg") == "map-gpkg"  # the map command's output
    with sqlite3.connect(folder / "map.gpkg") as db:
        tables = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
        (flows,) = db.execute("SELECT COUNT(*) FROM flows").fetchone()
    assert {"flows", "facilities"} <= tables
    assert flows == len((folder / "flows.csv").read_text(encoding="utf-8").splitlines()) - 1

    png = c.get(f"/api/runs/{job_id}/download/map.png")
    assert png.status_code == 200, png.text
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 10_000
    assert file_kind(folder / "map.png") == "map-png"

    xlsx = c.get(f"/api/runs/{job_id}/download/report.xlsx")
    assert xlsx.status_code == 200, xlsx.text
    assert file_kind(folder / "report.xlsx") == "report-xlsx"
    with zipfile.ZipFile(folder / "report.xlsx") as book:
        assert "xl/workbook.xml" in book.namelist()

    # made once: served again from the run folder, not made anew
    made = {name: (folder / name).stat().st_mtime_ns for name in MADE}
    start = time.perf_counter()
    again = c.get(f"/api/runs/{job_id}/download/map.png")
    assert again.content == png.content and time.perf_counter() - start < 1.0
    assert {name: (folder / name).stat().st_mtime_ns for name in MADE} == made
    # written aside and moved in: nothing left beside them
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_only_the_fixed_names_are_made(done: tuple[TestClient, str], data: Path) -> None:
    c, job_id = done
    folder = data / "runs" / job_id
    before = sorted(p.name for p in folder.iterdir())
    for name in ("map.kml", "map.html", "report.html", "map.GPKG", "x.png", "map.gpkg.tmp"):
        answer = c.get(f"/api/runs/{job_id}/download/{name}")
        assert answer.status_code == 404, (name, answer.status_code)
    assert sorted(p.name for p in folder.iterdir()) == before
    queued = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
    assert c.get(f"/api/runs/{queued}/download/map.gpkg").status_code == 404  # no result yet
    assert c.get("/api/runs/nope/download/map.gpkg").status_code == 404


def test_a_download_that_cannot_be_made_is_422_in_words(
    done: tuple[TestClient, str], data: Path
) -> None:
    c, job_id = done
    shutil.rmtree(data / "cases" / "tiny")  # the run's case is gone: no map can be drawn
    answer = c.get(f"/api/runs/{job_id}/download/map.gpkg")
    assert answer.status_code == 422, answer.text
    assert "cases/tiny" in answer.json()["detail"] and "Traceback" not in answer.text
    assert not (data / "runs" / job_id / "map.gpkg").exists()


# --------------------------------------------------------------------------------------------
# Server-sent events
# --------------------------------------------------------------------------------------------
def parse_events(text: str) -> list[tuple[str, dict[str, object]]]:
    """(event name, data) of each event of a text/event-stream body."""
    found = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith(":")]
        fields = dict(line.split(": ", 1) for line in lines)
        if "data" in fields:
            found.append((fields.get("event", "message"), json.loads(fields["data"])))
    return found


def test_events_follow_a_run_until_it_ends(data: Path) -> None:
    with client(data) as c:
        job_id = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        later = threading.Timer(1.5, work, args=(data,))
        later.start()
        try:
            answer = c.get(f"/api/runs/{job_id}/events")
        finally:
            later.join()
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = parse_events(answer.text)
        names = [name for name, _ in events]
        assert names[-1] == "end" and names.count("end") == 1
        statuses = [data_["status"] for _, data_ in events]
        assert statuses[0] == "queued" and statuses[-1] == "done"
        assert "running" in statuses
        assert statuses.index("running") < statuses.index("done")
        # one event per change: no two in a row alike
        watched = [
            tuple(d[k] for k in ("status", "stage", "gap", "incumbent", "bound"))
            for _, d in events[:-1]
        ]
        assert all(a != b for a, b in itertools.pairwise(watched))
        assert events[-1][1] == c.get(f"/api/runs/{job_id}").json()  # polling agrees
        # an ended run: its state and the end at once
        again = parse_events(c.get(f"/api/runs/{job_id}/events").text)
        assert [name for name, _ in again] == ["message", "end"]
        assert c.get("/api/runs/nope/events").status_code == 404


def test_a_run_faster_than_the_stream_looks_is_still_shown_running(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job that starts and ends between two looks at the table (a tiny case on a busy
    machine) is shown running once, with its final figures, before it is shown done."""
    monkeypatch.setattr("symbiosis.web.events.EVENT_SECONDS", 4.0)
    with client(data) as c:
        job_id = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        later = threading.Timer(0.5, work, args=(data,))  # well within the first 4 s
        later.start()
        try:
            answer = c.get(f"/api/runs/{job_id}/events")
        finally:
            later.join()
        statuses = [d["status"] for _, d in parse_events(answer.text)]
        assert statuses == ["queued", "running", "done", "done"]


# --------------------------------------------------------------------------------------------
# Request-body limit
# --------------------------------------------------------------------------------------------
def test_a_chunked_body_over_the_limit_is_refused(data: Path) -> None:
    def chunks(total: int) -> Iterator[bytes]:
        body = json.dumps({"scenario": "x" * total}).encode()
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    with client(data, max_scenario_bytes=1000) as c:
        headers = {"content-type": "application/json"}
        big = c.post("/api/runs", content=chunks(200_000), headers=headers)
        assert big.status_code == 413, big.text
        assert "too large" in big.json()["detail"]
        small = json.dumps({"scenario": "tiny"}).encode()
        ok = c.post("/api/runs", content=iter([small[:5], small[5:]]), headers=headers)
        assert ok.status_code == 202, ok.text
        assert len(c.get("/api/runs").json()) == 1
