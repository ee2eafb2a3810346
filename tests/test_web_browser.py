"""The web app's pages in a real headless Chromium against a real ``symbiosis serve``
(issue 14, "Tests"): pick the Guizhou scenario, ask 80 Mt/yr with a short time limit, run it,
see the progress move, see the flows drawn on the map, compare it with a second run, switch to
Chinese; a scenario named with ``<script>`` is shown as text; every page's screenshot at
1366x768 is not blank; nothing is asked of another host.

Needs Debian's ``chromium`` and the ``playwright`` Python package (as test_map_browser.py;
skipped with the reason when either is missing). The server runs on a free loopback port with
a temporary data folder and two workers; the Guizhou runs stop at their time limit
(``feasible``), so the test takes about a minute on a loaded 2-core machine.

``SYMBIOSIS_SCREENSHOTS=DIR`` also copies the screenshots there (the README's
docs/img/web-result.png is the result page's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_map_browser import CHROMIUM_ARGS, _chromium
from test_web_api import CASES, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

VIEWPORT = {"width": 1366, "height": 768}
#: the UI's run: Guizhou 2025 at 80 Mt/yr, stopped by the time limit (or the gap) as feasible
UI_TIME_LIMIT = "12"
UI_GAP = "0.05"
EVIL = "evil <script>window.__pwned = 1</script> & co"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium); .ci/run installs it")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``symbiosis serve`` on a free loopback port, two workers, a fresh data folder (with
    the tiny case under cases/ for an uploaded scenario)."""
    import httpx

    data = tmp_path_factory.mktemp("web") / "data"
    shutil.copytree(CASES / "tiny" / "case", data / "cases" / "tiny")
    port = free_port()
    command = [str(Path(sys.executable).with_name("symbiosis")), "serve", "--port", str(port)]
    command += ["--data", str(data), "--workers", "2"]
    env = {k: v for k, v in os.environ.items() if k not in ("SYMBIOSIS_TOKEN", "SYMBIOSIS_LANG")}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/api/scenarios", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        assert wait_for(up, bool, 60), "symbiosis serve did not answer within 60 s"
        yield base
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def not_blank(png: Path) -> None:
    """A screenshot with something drawn: many colours, and grey levels that vary."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
    pixels = np.asarray(image, dtype=float)
    assert pixels.std() > 20, f"{png.name}: nearly one colour (std {pixels.std():.1f})"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200, png.name


def shoot(page: Any, folder: Path, name: str) -> None:
    path = folder / name
    page.screenshot(path=str(path))
    not_blank(path)
    keep = os.environ.get("SYMBIOSIS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)


class Watch:
    """A page's JavaScript errors and every request it makes."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        page.on("request", lambda request: self.requests.append(request.url))

    def check(self, base: str) -> None:
        assert self.errors == []
        elsewhere = [u for u in self.requests if not u.startswith((base + "/", "data:"))]
        assert elsewhere == [], f"requests to other hosts: {elsewhere}"


def submit_api(base: str, body: dict[str, Any]) -> str:
    import httpx

    answer = httpx.post(f"{base}/api/runs", json=body, timeout=30)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def wait_done(base: str, job: str, seconds: float) -> dict[str, Any]:
    import httpx

    state = wait_for(
        lambda: httpx.get(f"{base}/api/runs/{job}", timeout=10).json(),
        lambda j: j["status"] in ("done", "failed", "cancelled"),
        seconds,
    )
    assert state["status"] == "done", state
    return dict(state)


def test_guizhou_in_the_browser(browser: Any, server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    # the second run to compare with, on the other worker: fewer projects allowed
    other = submit_api(
        server,
        {
            "scenario": "guizhou-2025",
            "overrides": {"target": {"total": 80_000_000}, "limits": {"max_new_facilities": 20}},
            "time_limit": 10,
        },
    )
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    page = context.new_page()
    watch = Watch(page)

    # --- the scenario page: Guizhou first, the form filled, the run started
    page.goto(f"{server}/")
    page.wait_for_selector("#scenario option", state="attached")
    options = page.eval_on_selector_all("#scenario option", "els => els.map(e => e.value)")
    assert options[0].startswith("guizhou") and "guizhou-2025" in options
    page.select_option("#scenario", "guizhou-2025")
    page.fill("#target-total", "80")
    page.fill("#time-limit", UI_TIME_LIMIT)
    page.fill("#mip-gap", UI_GAP)
    shoot(page, tmp_path, "web-scenario.png")
    page.click("#submit")
    page.wait_for_url("**/runs/*")
    job = page.url.rstrip("/").rsplit("/", 1)[-1]

    # --- the run page: the progress moves, then the result is there
    seen: list[tuple[str, str, str]] = []
    shot = False
    end = time.monotonic() + 150
    while time.monotonic() < end:
        state = (
            page.get_attribute("#run-status", "data-status") or "",
            page.inner_text("#stage"),
            page.inner_text("#gap"),
        )
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] == "running" and state[1] == "solve" and not shot:
            shoot(page, tmp_path, "web-run.png")
            shot = True
        if state[0] in ("done", "failed", "cancelled"):
            break
        page.wait_for_timeout(250)
    assert seen[-1][0] == "done", seen
    assert len(seen) >= 3, f"the progress did not move: {seen}"
    assert any(s[0] == "running" for s in seen), seen
    assert any(s[2] not in ("–", "") for s in seen), "no gap shown"
    assert page.locator("#stages li.current, #stages li.past").count() >= 5
    if not shot:
        shoot(page, tmp_path, "web-run.png")
    assert page.is_visible("#show-result") and not page.is_visible("#cancel")

    # --- the result page: flows on the map, projects highlighted, KPIs, table, downloads
    page.click("#show-result")
    page.wait_for_url(f"**/runs/{job}/result")
    # (selectors, not wait_for_function: the pages' CSP forbids the eval it needs)
    page.wait_for_selector(".leaflet-overlay-pane path.flow", state="attached", timeout=60_000)
    flows = page.locator(".leaflet-overlay-pane path.flow").count()
    built = page.locator(".leaflet-overlay-pane path.facility-built").count()
    assert flows > 50 and built > 0
    strokes = set(
        page.eval_on_selector_all(
            ".leaflet-overlay-pane path.flow", "els => els.map(e => e.getAttribute('stroke'))"
        )
    )
    assert len(strokes) >= 5  # coloured by stream
    assert "#1b9e77" in strokes  # phosphogypsum, as on every map of the project
    assert "80.00 Mt/yr" in page.inner_text("#kpis")
    assert page.locator("#projects-table tbody tr").count() == built
    page.wait_for_selector("#downloads a")
    files = page.eval_on_selector_all("#downloads a", "els => els.map(e => e.textContent)")
    assert "flows.csv" in files and "summary.json" in files
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert links and all(link.startswith(server + "/") for link in links), links
    page.wait_for_timeout(300)  # the map's last paint
    shoot(page, tmp_path, "web-result.png")

    # --- the compare page: the two runs, KPIs side by side and the explanation
    wait_done(server, other, 120)
    page.goto(f"{server}/compare?runs={job},{other}")
    page.wait_for_selector("#explanation li")
    explanation = page.inner_text("#explanation")
    assert "guizhou-2025" in explanation and "most new projects" in explanation
    assert page.locator("#kpis-table tbody tr").count() > 5
    assert page.locator("#overview-table thead th").count() == 3  # a column per run
    shoot(page, tmp_path, "web-compare.png")

    # --- in Chinese: the switch reloads the page in zh, the API's explanation too
    page.select_option("#lang", "zh")
    page.wait_for_url("**lang=zh**")
    page.wait_for_selector("#explanation li")
    assert page.inner_text("h1") == "方案对比"
    assert page.inner_text("#explanation-card h2") == "差异及其原因"
    assert "新建项目数上限" in page.inner_text("#explanation")  # "most new projects"
    shoot(page, tmp_path, "web-compare-zh.png")
    page.goto(f"{server}/runs/{job}/result")  # the language is kept
    page.wait_for_selector(".leaflet-overlay-pane path.flow", state="attached")
    assert "万吨/年" in page.inner_text("#kpis")
    assert page.inner_text("#legend").count("磷石膏") == 1  # streams by their Chinese names
    table = page.inner_text("#projects-table")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in table)  # projects by their Chinese names
    shoot(page, tmp_path, "web-result-zh.png")
    watch.check(server)
    context.close()
    assert time.monotonic() - started < 240


def test_a_scenario_named_with_script_is_shown_as_text(browser: Any, server: str) -> None:
    yaml = f'name: "{EVIL}"\ncase: cases/tiny\ntarget:\n  total: 900000\n'
    job = submit_api(server, {"scenario": yaml})
    wait_done(server, job, 60)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{server}/")
    page.wait_for_selector("#runs-table")
    assert EVIL in page.inner_text("#runs-table")
    options = page.eval_on_selector_all("#scenario option", "els => els.map(e => e.textContent)")
    assert any(EVIL in o for o in options)
    for path in (f"/runs/{job}", f"/runs/{job}/result"):
        page.goto(f"{server}{path}")
        page.wait_for_selector("#run-name:not(:empty)")
        assert page.inner_text("#run-name") == EVIL
        assert page.locator("main script").count() == 0
    assert page.evaluate("window.__pwned") is None
    watch.check(server)
    context.close()
