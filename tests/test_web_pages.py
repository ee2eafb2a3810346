"""The web app's pages (issue 14, "The pages"), through the ASGI client: the four pages and
their scripts and styles are served, nothing in them comes from another host (no CDN: the
app must work with no internet), their words are in the catalogs in both languages, data is
put in the page as text only, and ``/api/runs/{id}/map.json`` gives the map its streams,
colours and province. The pages in a real browser: tests/test_web_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_web_api import TOKEN, client, work

from symbiosis.i18n import translations
from symbiosis.web.pages import CONTENT_SECURITY_POLICY, STATIC_DIR, STRINGS, request_language

PAGES = ("/", "/runs/0123abcd", "/runs/0123abcd/result", "/compare?runs=a,b")
#: every script and stylesheet a page loads: src= and href= (but not <a href>)
LOADED = re.compile(r"<(?:script|link)\b[^>]*\s(?:src|href)=\"([^\"]+)\"", re.IGNORECASE)
URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"')]*")
#: the URLs Leaflet's own files hold, none of them loaded: the SVG namespace, the link in
#: its attribution prefix and copyright comment, a bug report cited in a CSS comment
LEAFLET_URLS = {
    "http://www.w3.org/2000/svg",
    "https://leafletjs.com",
    "//bugzilla.mozilla.org/show_bug.cgi?id=888319",
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    import shutil

    from test_web_api import CASES, TINY_YAML

    folder = tmp_path / "data"
    shutil.copytree(CASES / "tiny" / "case", folder / "cases" / "tiny")
    (folder / "models").mkdir()
    (folder / "models" / "tiny.yaml").write_text(TINY_YAML, encoding="utf-8")
    return folder.resolve()


def assets_of(page: str) -> list[str]:
    return LOADED.findall(page)


def test_the_four_pages_are_served_with_their_assets(data: Path) -> None:
    with client(data) as c:
        for path in PAGES:
            answer = c.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["content-type"].startswith("text/html")
            assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            page = answer.text
            loaded = assets_of(page)
            scripts = [a for a in loaded if a.endswith(".js")]
            assert any(s.startswith("/static/") for s in scripts), (path, loaded)
            for asset in loaded:
                if asset == "data:,":  # the empty icon (no request for /favicon.ico)
                    continue
                assert asset.startswith("/"), f"{path} loads {asset} from elsewhere"
                got = c.get(asset)
                assert got.status_code == 200, asset
                kind = "javascript" if asset.endswith(".js") else "css"
                assert kind in got.headers["content-type"], asset
        # the result page's map: Leaflet from the installed xstatic-leaflet, its images too
        result = c.get("/runs/x/result").text
        assert "/vendor/leaflet/leaflet.js" in assets_of(result)
        assert "/vendor/leaflet/leaflet.css" in assets_of(result)
        assert c.get("/vendor/leaflet/images/layers.png").status_code == 200
        # each module a page imports is there
        for script in STATIC_DIR.glob("*.js"):
            for imported in re.findall(r'from "\./([\w.-]+)"', script.read_text("utf-8")):
                assert c.get(f"/static/{imported}").status_code == 200, (script.name, imported)
        assert c.get("/static/nothing.js").status_code == 404
        assert c.get("/static/../pages.py").status_code == 404


def test_no_page_or_asset_names_another_host(data: Path) -> None:
    """Nothing is loaded from the internet: our pages, scripts and styles hold no URL to
    another host at all, Leaflet's only the ones that are not loaded."""
    own = sorted(STATIC_DIR.iterdir())
    assert {p.suffix for p in own} == {".html", ".js", ".css"}
    for file in own:
        text = file.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), file.name
        assert not URL.findall(text), file.name
    with client(data) as c:
        for path in PAGES:
            assert not re.search(r"https?://", c.get(path).text), path
        for asset in ("/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css"):
            text = c.get(asset).text
            found = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[\w/.?=&-]*", text))
            assert found <= LEAFLET_URLS, (asset, found - LEAFLET_URLS)
            assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), asset


def test_scripts_put_data_in_the_page_as_text_only() -> None:
    """No HTML is ever built from a string in the pages' scripts: values from data (names,
    ids, messages) go in with textContent or as attributes of elements made one by one."""
    for script in STATIC_DIR.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, (script.name, sink)
        # Leaflet popups are given elements, not HTML strings
        for call in re.findall(r"bindPopup\((.{0,5})", text):
            assert call == "() =>", (script.name, call)


def test_page_words_in_english_and_chinese(data: Path) -> None:
    with client(data) as c:
        en = c.get("/ui/strings.json?lang=en").json()
        zh = c.get("/ui/strings.json", params={"lang": "zh"}).json()
        bad = c.get("/ui/strings.json?lang=fr")
    assert en == {**STRINGS, "lang": "en"}
    assert zh["lang"] == "zh" and set(zh) == set(en)
    catalog = translations("zh")
    for key, english in STRINGS.items():
        # every word is translated (the same only where Chinese writes it so), with the
        # same {fields}
        assert zh[key] == catalog.gettext(english)
        if english not in ("API",):
            assert zh[key] != english, f"{key}: {english!r} has no Chinese translation"
        assert re.findall(r"\{\w+\}", zh[key]) == re.findall(r"\{\w+\}", english), key
    assert zh["nav_scenarios"] == "情景" and zh["run"] == "开始计算"
    assert bad.status_code == 422 and "en, zh" in bad.text
    # every word a page or script asks for is one the server gives
    asked: set[str] = set()
    for file in STATIC_DIR.iterdir():
        text = file.read_text(encoding="utf-8")
        asked |= set(re.findall(r'data-t(?:-placeholder|-title)?="(\w+)"', text))
        asked |= set(re.findall(r'\bt\("(\w+)"', text))
    assert asked, "no words found in the pages"
    assert asked <= set(STRINGS), asked - set(STRINGS)


def test_api_answers_in_the_language_asked(data: Path) -> None:
    assert request_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert request_language("zh") == "zh"
    assert request_language("en-GB,zh;q=0.5") == "en"
    assert request_language("") == "en"
    body = {"scenario": "tiny", "overrides": {"target": {"total": -5}}}
    with client(data) as c:
        english = c.post("/api/runs", json=body)
        chinese = c.post("/api/runs", json=body, headers={"Accept-Language": "zh-CN"})
    assert english.status_code == chinese.status_code == 422
    assert "allowed" in english.json()["problems"][0]["message"]
    message = chinese.json()["problems"][0]["message"]
    assert "允许" in message or "取值" in message, message
    assert "target.total" in message  # the key named the same in both


def test_map_json_gives_streams_colours_and_the_province(data: Path) -> None:
    from symbiosis.case import load_case
    from symbiosis.maps.styles import stream_colours

    with client(data) as c:
        job = c.post("/api/runs", json={"scenario": "tiny"}).json()["id"]
        assert c.get(f"/api/runs/{job}/map.json").status_code == 404  # no result yet
        assert work(data) == 1
        answer = c.get(f"/api/runs/{job}/map.json")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert c.get("/api/runs/nosuchrun/map.json").status_code == 404
    case = load_case(data / "cases" / "tiny")
    streams = case.streams["stream"].tolist()
    assert [s["stream"] for s in body["streams"]] == streams
    assert {s["stream"]: s["colour"] for s in body["streams"]} == stream_colours(streams)
    flows = {s["stream"] for s in body["streams"]}
    assert {"phosphogypsum", "waste_heat"} <= flows
    assert set(body) == {"streams", "province", "prefecture_seats"}


def test_map_json_asks_for_the_token_the_pages_do_not(data: Path) -> None:
    with client(data, token=TOKEN) as c:
        assert c.get("/api/runs/x/map.json").status_code == 401
        assert (
            c.get("/api/runs/x/map.json", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 404
        )
        # the pages hold no data: they load without the token, then ask for it
        assert c.get("/").status_code == 200
        assert c.get("/ui/strings.json?lang=zh").status_code == 200
        assert c.get("/static/common.js").status_code == 200
