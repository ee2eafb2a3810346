"""Maps in the command's language (issue 13): every format's words in Chinese with
``--lang zh``, both name fields in the GIS layers, a PNG drawn with a CJK font (or in English
with one warning when there is none), a legend and source line inside the sheet, the HTML
map's defaults, and no local path in what a map writes.

The run is the tiny case (EXPECTED.md) with Chinese names added (``name_zh`` on its streams,
sites, facilities and parks): A ships phosphogypsum to the kiln K and the board line P2
(built), and heat to the drying hall H.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
pyogrio = pytest.importorskip("pyogrio")

from _maps_helpers import make_basemap, make_case, solve  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from symbiosis import units  # noqa: E402
from symbiosis.cli import app  # noqa: E402
from symbiosis.i18n import use_language  # noqa: E402
from symbiosis.maps import MapOptions, build_map_data, export_map  # noqa: E402

KML = "{http://www.opengis.net/kml/2.2}"
NAMES_ZH = {
    "streams.csv": {"phosphogypsum": "磷石膏", "waste_heat": "余热"},
    "sites.csv": {"A": "磷酸厂", "B": "水泥厂", "C": "石膏板厂址", "D": "烘干车间"},
    "facilities.csv": {
        "K": "水泥窑",
        "P1": "石膏板生产线（50 万吨）",
        "P2": "石膏板生产线（90 万吨）",
        "H": "烘干车间用热",
    },
}


def _add_chinese_names(case: Path) -> None:
    """``name_zh`` after ``name`` in streams.csv, sites.csv and facilities.csv, and a
    ``name_zh`` property on each park."""
    for table, chinese in NAMES_ZH.items():
        frame = pd.read_csv(case / table, dtype=str, keep_default_na=False)
        frame.insert(2, "name_zh", frame.iloc[:, 0].map(chinese))
        frame.to_csv(case / table, index=False)
    parks = json.loads((case / "parks.geojson").read_text(encoding="utf-8"))
    for feature, name in zip(parks["features"], ("福泉磷化工园区", "开阳磷化工园区"), strict=True):
        feature["properties"]["name_zh"] = name
    (case / "parks.geojson").write_text(json.dumps(parks, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("maps_i18n")
    case_root = make_case(root)
    _add_chinese_names(case_root / "case")
    return {
        "root": root,
        "basemap": make_basemap(root),
        "run": solve(case_root, root / "run"),
    }


def _unescaped(page: str) -> str:
    """An HTML page with the \\uXXXX escapes of its JavaScript (layer names, popups) read."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip()]


# --------------------------------------------------------------------------------------------
# Amounts, and the words of every format
# --------------------------------------------------------------------------------------------
def test_short_amounts_in_chinese():
    """Map labels count in 万 and 亿 in Chinese (万吨, 万元), in k and M in English."""
    with use_language("zh"):
        assert units.amount_short(1_000_000, "t") == "100 万吨"
        assert units.amount_short(80_000, "t") == "8.0 万吨"
        assert units.amount_short(950, "t") == "950 吨"
        assert units.amount_short(84_210.5, "MWh") == "8.4 万 MWh"
        assert units.money_short(14_049_529.12) == "1,405 万元"
        assert units.money_short(1.41e9) == "14.10 亿元"
    assert units.amount_short(1_000_000, "t") == "1.00 Mt"
    assert units.money_short(14_049_529.12) == "14.05 M CNY"


def test_every_format_in_chinese_keeps_both_names(world, tmp_path):
    """``--lang zh``: layer titles, legends, QGIS style labels, KML folders and popups in
    Chinese; every GIS layer keeps ``name`` and ``name_zh`` (in either language)."""
    options = MapOptions(basemap_dir=world["basemap"])
    with use_language("zh"):
        gpkg = export_map(world["run"], tmp_path / "zh.gpkg", options=options).path
        kml = export_map(world["run"], tmp_path / "zh.kml", options=options).path
        page = _unescaped(
            export_map(world["run"], tmp_path / "zh.html", options=options).path.read_text()
        )
    english = export_map(world["run"], tmp_path / "en.gpkg", options=options).path
    for path in (gpkg, english):
        sites = pyogrio.read_dataframe(path, layer="sites").set_index("site")
        assert sites.loc["A", ["name", "name_zh"]].tolist() == ["Phosphoric acid plant", "磷酸厂"]
        fac = pyogrio.read_dataframe(path, layer="facilities").set_index("facility")
        assert fac.loc["P2", ["name", "name_zh"]].tolist() == [
            "Gypsum board line 0.9 Mt",
            "石膏板生产线（90 万吨）",
        ]
        flows = pyogrio.read_dataframe(path, layer="flows").set_index("facility")
        assert flows.loc["P2", "facility_name_zh"] == "石膏板生产线（90 万吨）"
        parks = pyogrio.read_dataframe(path, layer="parks").set_index("park")
        assert parks.loc["FQ", ["name", "name_zh"]].tolist() == [
            "Fuquan phosphorus chemical park",
            "福泉磷化工园区",
        ]
        summary = pyogrio.read_dataframe(path, layer="prefecture_summary")
        assert "黔南布依族苗族自治州" in set(summary["prefecture_zh"])
    with sqlite3.connect(gpkg) as con:
        described = dict(con.execute("SELECT table_name, identifier FROM gpkg_contents"))
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    assert described["flows"] == "物流" and described["facilities"] == "设施"
    assert 'label="磷石膏（t）"' in styles["flows"]
    assert 'label="优化选定建设（新建项目）"' in styles["facilities"]
    assert (
        "coalesce(nullif(&quot;name_zh&quot;, &#x27;&#x27;), &quot;name&quot;)"
        in (styles["facilities"])
        or "coalesce(nullif(&quot;name_zh&quot;, ''), &quot;name&quot;)" in styles["facilities"]
    )
    units_zh = pyogrio.read_dataframe(gpkg, layer="field_units").set_index(["layer", "field"])
    assert units_zh.loc[("flows", "shipped_yr"), "description"] == "运出量，在起点计量"
    root = ET.parse(kml).getroot()
    folders = {f.findtext(f"{KML}name") for f in root.iter(f"{KML}Folder")}
    assert {"物流", "设施", "园区", "磷石膏（t）", "地点（固废产生源）"} <= folders
    marks = {p.findtext(f"{KML}name") for p in root.iter(f"{KML}Placemark")}
    assert "P2：石膏板生产线（90 万吨）" in marks
    for words in (
        "物流：磷石膏（t）",
        "新建项目",
        "图例",
        "情景 tiny",
        "求解状态：",
        "1,405 万元",
        "都匀市",
    ):
        assert words in page, words
    assert '<html lang="zh-CN">' in page
    assert "运出量，在起点计量 [t/年]" in page  # a popup's row: what the field holds, its unit


def test_cli_map_in_chinese(world, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "map",
            str(world["run"]),
            "--out",
            str(tmp_path / "m.html"),
            "--basemap",
            str(world["basemap"]),
            "--lang",
            "zh",
        ],
    )
    assert result.exit_code == 0, result.output
    page = _unescaped((tmp_path / "m.html").read_text(encoding="utf-8"))
    assert "物流：余热（MWh）" in page and "Flows:" not in page


# --------------------------------------------------------------------------------------------
# The PNG: a CJK font, or English and one warning
# --------------------------------------------------------------------------------------------
def test_chinese_png_uses_a_cjk_font(world):
    """Every text of the Chinese map is drawn with the CJK font (DejaVu Sans only behind it)
    and no glyph is missing; labels show names (the built project's Chinese name), not ids."""
    from symbiosis.maps import fonts
    from symbiosis.maps.printmap import draw_map

    cjk = fonts.cjk_font()
    if cjk is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk; .ci/run does)")
    with use_language("zh"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = build_map_data(world["run"], basemap_dir=world["basemap"])
        fig, _drawn = draw_map(data, ["province", "prefecture_seats", "flows", "facilities"])
        fig.savefig(io.BytesIO(), format="png", dpi=100)
    missing = [str(w.message) for w in caught if re.search(r"Glyph .* missing", str(w.message))]
    assert missing == []
    texts = _texts(fig)
    assert texts and all(t.get_fontfamily()[0] == cjk for t in texts)
    shown = {t.get_text() for t in texts}
    assert "产业共生网络：情景 tiny" in shown
    assert {"图例", "物流（按物料流）", "磷石膏（t）", "设施", "底图", "省域（测试省）"} <= shown
    assert "石膏板生产线（90 万吨）" in shown and "P2" not in shown  # the name, not the id
    assert any(t.startswith("比例尺 1:") for t in shown) and "北" in shown


def test_without_a_cjk_font_the_png_is_english_with_one_warning(world, tmp_path, monkeypatch):
    from symbiosis.maps import fonts, printmap

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    figures = []
    draw = printmap.draw_map

    def spy(*args, **kwargs):
        fig, drawn = draw(*args, **kwargs)
        figures.append(fig)
        return fig, drawn

    monkeypatch.setattr(printmap, "draw_map", spy)
    options = MapOptions(basemap_dir=world["basemap"])
    with use_language("zh"):
        result = export_map(world["run"], tmp_path / "m.png", options=options)
    notes = [n for n in result.data.warnings if "fonts-noto-cjk" in n]
    assert len(notes) == 1 and notes[0].startswith("未找到中文（CJK）字体")
    shown = {t.get_text() for t in _texts(figures[0])}
    assert "Industrial-symbiosis network: scenario tiny" in shown
    assert {"Legend", "Phosphogypsum (t)", "Gypsum board line 0.9 Mt"} <= shown
    assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in shown)  # no Chinese: no boxes


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_legend_and_source_line_inside_the_sheet(world, size):
    """A long stream name (as Guizhou's tailings) and a long source line: every legend lies
    inside the sheet and above the source line, which lies inside the sheet too."""
    from symbiosis.maps.printmap import draw_map

    data = build_map_data(world["run"], basemap_dir=world["basemap"])
    long = "Tailings (phosphate, gold, lead-zinc, manganese and other non-ferrous ores) (t)"
    data.streams.loc[data.streams["stream"] == "phosphogypsum", "label"] = long
    data.metadata["credits"] = " ".join([data.metadata["credits"]] * 4)
    fig, _drawn = draw_map(data, ["province", "parks", "flows", "sites", "facilities"], size)
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    footer = next(t for t in fig.texts if t.get_text().startswith("Source:"))
    source = footer.get_window_extent(renderer)
    assert page.x0 <= source.x0 and source.x1 <= page.x1
    assert page.y0 <= source.y0 and source.y1 <= page.y1
    legends = [leg for leg in fig.findobj(Legend) if leg.get_texts()]
    assert long in {t.get_text() for leg in legends for t in leg.get_texts()}
    for leg in legends:
        box = leg.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1, (leg.get_title().get_text(), box)
        assert source.y1 <= box.y0 and box.y1 <= page.y1, (leg.get_title().get_text(), box)


# --------------------------------------------------------------------------------------------
# Defaults and paths
# --------------------------------------------------------------------------------------------
def test_html_layer_control_collapsed_and_candidate_links_off(world, tmp_path):
    """The layer control starts collapsed (the legend shows); candidate links, when asked
    for, are in the control but not on the map; in QGIS their categories are unticked."""
    layers = ["province", "links_candidate", "flows", "facilities"]
    options = MapOptions(basemap_dir=world["basemap"], layers=layers)
    page = export_map(world["run"], tmp_path / "m.html", options=options).path.read_text()
    control = re.search(r"L\.control\.layers\((.*?)\)\.addTo", page, re.DOTALL)
    assert control is not None and '"collapsed": true' in control.group(1)
    groups = dict(re.findall(r'"([^"]+)" : (feature_group_\w+)', page))
    links, flows = groups["Unused links: Phosphogypsum (t)"], groups["Flows: Phosphogypsum (t)"]
    assert f"{flows}.addTo(" in page and f"{links}.addTo(" not in page
    gpkg = export_map(world["run"], tmp_path / "m.gpkg", options=options).path
    with sqlite3.connect(gpkg) as con:
        qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    renders = lambda name: re.findall(r'<category [^>]*render="(\w+)"', qml[name])  # noqa: E731
    assert renders("links_candidate") == ["false"]
    assert renders("flows") == ["true", "true"]


def test_no_local_path_in_what_a_map_writes(world, tmp_path):
    """GeoPackage (every byte), HTML, KML and a GeoJSON folder's metadata name the run by its
    folder's name and the case by its last folders, never by an absolute path."""
    options = MapOptions(basemap_dir=world["basemap"])
    local = [str(world["root"]), str(world["root"].resolve()), str(tmp_path)]
    written = [
        export_map(world["run"], tmp_path / name, options=options).path
        for name in ("m.gpkg", "m.html", "m.kml")
    ]
    folder = export_map(world["run"], tmp_path / "m.geojson", options=options).path
    written.append(folder / "metadata.json")
    for path in written:
        content = path.read_bytes()
        for prefix in local:
            assert prefix.encode() not in content, (path.name, prefix)
    meta = pyogrio.read_dataframe(written[0], layer="map_metadata").set_index("key")["value"]
    assert meta["run_folder"] == "run" and meta["case"] == "tiny/case"
    assert json.loads(meta["basemap"]) == ["guizhou_province.geojson", "guizhou_cities.geojson"]


def test_print_map_key_figures_name_the_projects(world):
    """The PNG's key-figures line names the projects built by their names in the map's
    language (no popups on paper), not by ids; other formats keep the ids."""
    from symbiosis.maps.printmap import draw_map

    for lang in ("en", "zh"):
        with use_language(lang), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no CJK font: drawn in English, with a warning
            data = build_map_data(world["run"], basemap_dir=world["basemap"])
            assert data.kpi_lines()[-1].endswith("P2")  # ids where popups tell what they are
            built = data.kpi_lines(by_name=True)[-1]
            expected = data.layers["facilities"].set_index("facility").loc["P2"]
            wanted = expected["name_zh"] if lang == "zh" else expected["name"]
            assert built.endswith(wanted) and "P2" not in built, built
            fig, _drawn = draw_map(data, ["province", "facilities"])
        assert any(built in t.get_text() for t in _texts(fig)), lang
