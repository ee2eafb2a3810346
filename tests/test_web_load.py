"""Load and faults on a real server (issue 14, "Real use, real faults"): 20 clients submit a
run each at the same moment to ``symbiosis serve`` (loopback, 2 workers, a queue of 5): every
run ends ``done`` or is refused with 429, none is lost, and the status call answers quickly
throughout (benchmarks/web_load.py prints the same figures). Then a chunked request body over
the limit, sent to the real server (uvicorn), is refused with 413.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks.web_load import Server, measure, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = start_server(tmp_path / "data", workers=2, max_queued=5)
    try:
        yield running
    finally:
        assert running.stop() == 0


def test_twenty_clients_at_once_none_lost(server: Server) -> None:
    figures = measure(server, clients=20, seconds=300)
    report = "\n".join(figures.lines())
    assert figures.other == [], report
    assert figures.accepted + figures.refused == 20, report
    assert figures.refused > 0, report  # the queue of 5 filled up
    assert figures.lost == [], report
    assert figures.statuses == {"done": figures.accepted}, report
    assert figures.latency("p95") < 200, report
    assert figures.latency("max") < 1000, report


def test_a_chunked_body_over_the_limit_is_refused_by_the_real_server(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        body = json.dumps({"scenario": "x" * 3_000_000}).encode()
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    answer = httpx.post(
        f"{server.base}/runs",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 413, answer.text
    assert "too large" in answer.json()["detail"]
    assert httpx.get(f"{server.base}/runs", timeout=10).json() == []
