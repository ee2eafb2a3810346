"""The HTML map in a real headless Chromium, offline: no JavaScript error, the layers are
there, the lines are drawn, the screenshot is not blank and shows the province background.

Needs Debian's ``chromium`` (``.ci/run`` installs it) and the ``playwright`` Python package
(dev extra), which drives the system Chromium; nothing is downloaded. Skipped, with the
reason, when either is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

gpd = pytest.importorskip("geopandas")

from _maps_helpers import make_basemap, make_case, solve  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        pytest.skip(
            "no Chromium found (apt-get install chromium chromium-driver); "
            ".ci/run installs it so CI always runs this test"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_html_map_in_chromium(browser, tmp_path: Path):
    from PIL import Image

    from symbiosis.maps import export_map

    case_root = make_case(tmp_path)
    run = solve(case_root, tmp_path / "run")
    page_file = export_map(run, tmp_path / "map.html", basemap_dir=make_basemap(tmp_path)).path

    # offline=True: as on a machine without internet, tiles cannot load.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.goto(page_file.as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-control-layers-overlays", state="attached")
    page.wait_for_timeout(500)
    assert errors == []

    # The layer control opens collapsed: a button that leaves the legend in view.
    control = page.locator(".leaflet-control-layers")
    assert "leaflet-control-layers-expanded" not in (control.get_attribute("class") or "")
    assert not page.locator(".leaflet-control-layers-overlays").is_visible()
    button, legend = control.bounding_box(), page.locator("#symbiosis-legend").bounding_box()
    assert button is not None and legend is not None
    assert button["y"] + button["height"] < legend["y"]  # the button is above the legend

    overlays = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label",
        "els => els.map(e => e.textContent.trim())",
    )
    for name in (
        "Province outline",
        "Prefecture seats",
        "Industrial parks",
        "Flows: Phosphogypsum (t)",
        "Flows: Waste heat (MWh)",
        "Sites (waste sources)",
        "Existing plants",
        "Projects built (new)",
        "Candidates not built",
        "Prefecture summary",
    ):
        assert name in overlays
    # Three flows, two parks, the province: SVG paths in the overlay pane.
    strokes = page.eval_on_selector_all(
        ".leaflet-overlay-pane path", "els => els.map(e => e.getAttribute('stroke'))"
    )
    assert strokes.count("#1b9e77") == 2  # phosphogypsum: A->K, A->P2
    assert strokes.count("#e31a1c") == 1  # waste heat: A->D
    assert page.locator(".facility-built").count() == 1
    assert "Scenario tiny" in page.inner_text("#symbiosis-title")

    # Switching a stream off removes its lines (the control opens under the mouse).
    control.hover()
    page.wait_for_selector(".leaflet-control-layers-overlays", state="visible")
    page.get_by_text("Flows: Waste heat (MWh)").click()
    strokes = page.eval_on_selector_all(
        ".leaflet-overlay-pane path", "els => els.map(e => e.getAttribute('stroke'))"
    )
    assert strokes.count("#e31a1c") == 0

    # A popup with the figures.
    page.evaluate("""() => {
        const map = Object.values(window).find(v => v && v instanceof L.Map);
        map.eachLayer(l => { if (l.getPopup && l.getPopup() && l instanceof L.Polyline
            && !(l instanceof L.Polygon)) { l.openPopup(); } });
    }""")
    popup = page.inner_text(".leaflet-popup-content")
    assert "shipped_yr" in popup

    # Zoomed out, the province outline is the background where tiles cannot load.
    page.evaluate("""() => { const map = Object.values(window).find(v => v && v instanceof L.Map);
        map.closePopup(); map.setZoom(7, {animate: false}); }""")  # no animation to wait for
    page.wait_for_timeout(300)
    shot = tmp_path / "map.png"
    page.screenshot(path=str(shot))
    context.close()
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.std() > 15  # not blank
    background = np.array([0xDD, 0xE6, 0xEC])
    # The province fill #f4f1e8 at opacity 0.55 over the background #dde6ec: (234, 236, 234).
    province = np.array([234, 236, 234])
    near = lambda c: (np.abs(pixels - c).sum(axis=2) < 6).mean()  # noqa: E731
    assert near(background) > 0.3  # no tiles: the page's own background
    assert near(province) > 0.01  # the 1.8 x 1.8 degree test province at zoom 7
