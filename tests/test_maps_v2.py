"""symbiosis map on Model v2 runs (issue 12): one year of a multi-year run (``--year``) and
chained flows (facility_outputs.csv), in every format.

The runs are hand-solved cases (EXPECTED.md beside each):

* tests/cases/years_build/rate0.yaml, 2026-2028 at r = 0: E (existing, retire_year 2027)
  takes 2,500 t in 2026 only; A is built in 2026, B and C in 2027. Slag delivered 3,500 /
  3,000 / 3,000 t; year costs -22,000 / 10,150 / 10,150 CNY.
* tests/cases/chains/two_years.yaml, 2026-2027: P (existing) burns 1,000 t of gangue a year
  and makes 500 t of fly ash; the kiln Q is built in 2027 and takes that fly ash (500 t X -> Y
  by road, a chained flow); in 2026 the fly ash is left unused. Year costs 500 / 2,220 CNY.
* tests/cases/chains/single.yaml, no years: Q built, 500 t of P's fly ash X -> Y.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
pyogrio = pytest.importorskip("pyogrio")

from _maps_helpers import make_basemap  # noqa: E402
from conftest import CASES  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from symbiosis.cli import app  # noqa: E402
from symbiosis.maps import MapOptions, build_map_data, export_map  # noqa: E402
from symbiosis.maps.printmap import draw_map  # noqa: E402

KML = "{http://www.opengis.net/kml/2.2}"
GX = "{http://www.google.com/kml/ext/2.2}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three runs, solved once, and a small basemap."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    root = tmp_path_factory.mktemp("maps_v2")
    out = {"basemap": make_basemap(root)}
    for name, scenario in (
        ("years", CASES / "years_build" / "rate0.yaml"),
        ("chains", CASES / "chains" / "two_years.yaml"),
        ("single", CASES / "chains" / "single.yaml"),
    ):
        outcome = run_scenario(load_scenario(scenario), root / name)
        assert outcome.exit_code == 0, name
        out[name] = root / name
    return out


def _kml_style(root: ET.Element, placemark: ET.Element) -> ET.Element:
    """The Style a placemark refers to (simplekml writes shared styles and a styleUrl)."""
    ref = placemark.findtext(f"{KML}styleUrl").lstrip("#")
    return next(s for s in root.iter(f"{KML}Style") if s.get("id") == ref)


def _summary(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# One year of a multi-year run
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("year", "states", "built_in"),
    [
        (2026, {"E": "existing", "A": "built", "B": "not_built", "C": "not_built"}, {"A": 2026}),
        (2027, {"E": "retired", "A": "built", "B": "built", "C": "built"}, {"B": 2027}),
        (2028, {"E": "retired", "A": "built", "B": "built", "C": "built"}, {"C": 2027}),
    ],
)
def test_a_year_of_the_plan(runs, year, states, built_in):
    """Each year's map holds that year's flows (delivered = delivered_by_year), facilities
    active that year (E retired from 2027; B and C from 2027), the plan's build years, and
    prefecture costs adding up to that year's cost (EXPECTED.md: -22,000 / 10,150 / 10,150;
    E's fixed opex counts in 2026 only)."""
    data = build_map_data(runs["years"], basemap_dir=runs["basemap"], year=year)
    summary = _summary(runs["years"])
    assert data.year == year and data.years == [2026, 2027, 2028]
    flows = data.layers["flows"]
    assert flows["delivered_yr"].sum() == pytest.approx(summary["delivered_by_year"][str(year)])
    assert flows["delivered_yr"].sum() == pytest.approx({2026: 3500, 2027: 3000, 2028: 3000}[year])
    fac = data.layers["facilities"].set_index("facility")
    assert fac["state"].to_dict() == states
    assert fac.loc["E", "built"] == (1 if year == 2026 else 0)
    build_years = {f: None if pd.isna(y) else int(y) for f, y in fac["build_year"].items()}
    assert build_years == {"E": None, "A": 2026, "B": 2027, "C": 2027}
    for facility, when in built_in.items():
        assert fac.loc[facility, "build_year"] == when
    cost = data.layers["prefecture_summary"]["cost_cny_yr"].sum()
    assert cost == pytest.approx(summary["cost_by_year"][str(year)])
    assert cost == pytest.approx({2026: -22_000, 2027: 10_150, 2028: 10_150}[year])
    sites = data.layers["sites"].set_index("site")
    assert sites.loc["S", "unused_slag_t_yr"] == pytest.approx(4000 - flows["shipped_yr"].sum())
    assert data.metadata["year"] == year and data.metadata["title"].endswith(f"({year})")
    lines = data.kpi_lines()
    assert lines[0].startswith(f"Cost in {year}") and "discounted" in lines[0]
    assert any("A (2026)" in line for line in lines)


def test_default_year_is_the_last(runs):
    data = build_map_data(runs["years"], basemap_dir=runs["basemap"])
    assert data.year == 2028
    single = build_map_data(runs["single"], basemap_dir=runs["basemap"])
    assert single.year is None and single.years == []
    assert "build_year" not in single.layers["facilities"].columns
    assert "year" not in single.metadata


def test_a_year_not_in_the_run_is_refused(runs, tmp_path):
    """Exit 2, naming the run's years; --year on a single-period run is refused too."""
    runner = CliRunner()
    bad = runner.invoke(
        app, ["map", str(runs["years"]), "--out", str(tmp_path / "m.gpkg"), "--year", "2030"]
    )
    assert bad.exit_code == 2, bad.output
    assert "2026, 2027, 2028" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "m.gpkg").exists()
    bad = runner.invoke(
        app, ["map", str(runs["single"]), "--out", str(tmp_path / "s.gpkg"), "--year", "2027"]
    )
    assert bad.exit_code == 2 and "single-period" in bad.output
    good = runner.invoke(
        app,
        [
            "map",
            str(runs["years"]),
            "--out",
            str(tmp_path / "y.gpkg"),
            "--year",
            "2026",
            "--basemap",
            str(runs["basemap"]),
        ],
    )
    assert good.exit_code == 0, good.output
    flows = pyogrio.read_dataframe(tmp_path / "y.gpkg", layer="flows")
    assert sorted(flows["facility"]) == ["A", "E"]


def test_a_year_in_every_format(runs, tmp_path):
    """2026 of the chains run (no fly ash shipped) in each format: that year's features only,
    the year in the title, the legend and the metadata, the build year in the attributes."""
    options = MapOptions(basemap_dir=runs["basemap"], year=2026)
    run = runs["chains"]
    gpkg = export_map(run, tmp_path / "m.gpkg", options=options).path
    flows = pyogrio.read_dataframe(gpkg, layer="flows")
    assert flows["stream"].tolist() == ["gangue"]
    fac = pyogrio.read_dataframe(gpkg, layer="facilities").set_index("facility")
    assert fac.loc["Q", "state"] == "not_built" and fac.loc["Q", "build_year"] == 2027
    meta = pyogrio.read_dataframe(gpkg, layer="map_metadata").set_index("key")["value"]
    assert meta["year"] == "2026" and json.loads(meta["years"]) == [2026, 2027]
    folder = export_map(run, tmp_path / "m.geojson", options=options).path
    assert len(gpd.read_file(folder / "flows.geojson")) == 1
    assert json.loads((folder / "metadata.json").read_text())["year"] == 2026
    shp = export_map(run, tmp_path / "s.shp", options=options).path
    shp_fac = gpd.read_file(shp / "facilities.shp").set_index("facility")
    assert shp_fac.loc["Q", "build_year"] == 2027
    kml = ET.parse(export_map(run, tmp_path / "m.kml", options=options).path).getroot()
    assert kml.find(f"{KML}Document/{KML}name").text.endswith("(2026)")
    page = export_map(run, tmp_path / "m.html", options=options).path.read_text()
    assert "<h1>Scenario chains-two-years, 2026</h1>" in page
    assert "<title>symbiosis: chains-two-years, 2026</title>" in page
    assert "Flows in 2026" in page and "Candidates not active in 2026" in page
    assert "Q: Cement kiln (built 2027)" in page  # the build year in the popup's title
    data = build_map_data(run, basemap_dir=runs["basemap"], year=2026)
    fig, drawn = draw_map(data, ["flows", "sites", "facilities"])
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert any(t.endswith("scenario chains-two-years, 2026") for t in texts)
    assert "Facilities, 2026" in texts and "Candidate not active in 2026" in texts
    assert len(drawn["flows"]) == 1


# --------------------------------------------------------------------------------------------
# Chained flows
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("run_name", ["chains", "single"])
def test_chained_flows_in_every_format(runs, run_name, tmp_path):
    """P's fly ash shipped X -> Q is a chained flow in every format: from_facility P and
    chained 1 in the attributes (from_fac in the shapefile), a dashed style of its own with a
    "chained output" legend entry (QML, SLD, HTML, PNG), an outline and its own folder in KML,
    and a popup naming P."""
    run = runs[run_name]
    options = MapOptions(basemap_dir=runs["basemap"])
    gpkg = export_map(run, tmp_path / "m.gpkg", options=options).path
    flows = pyogrio.read_dataframe(gpkg, layer="flows").set_index("stream")
    assert flows.loc["fly_ash", "from_facility"] == "P"
    assert flows.loc["fly_ash", "from_facility_name"] == "Gangue power plant"
    assert flows.loc["fly_ash", "chained"] == 1 and flows.loc["gangue", "chained"] == 0
    assert flows.loc["fly_ash", "shipped_yr"] == pytest.approx(500)
    styles = pyogrio.read_dataframe(gpkg, layer="layer_styles").set_index("f_table_name")
    qml, sld = styles.loc["flows", "styleQML"], styles.loc["flows", "styleSLD"]
    assert 'value="fly_ash (chained)" label="Fly ash (t), chained output"' in qml
    assert '<prop k="line_style" v="dash"/>' in qml and "&quot;chained&quot; = 1" in qml
    assert "stroke-dasharray" in sld and "<ogc:And>" in sld
    units = pyogrio.read_dataframe(gpkg, layer="field_units")
    assert "from_facility" in set(units.loc[units["layer"] == "flows", "field"])
    folder = export_map(run, tmp_path / "m.geojson", options=options).path
    feats = json.loads((folder / "flows.geojson").read_text())["features"]
    chained = [f["properties"] for f in feats if f["properties"]["chained"] == 1]
    assert [(p["from_facility"], p["facility"]) for p in chained] == [("P", "Q")]
    shp = export_map(run, tmp_path / "s.shp", options=options).path
    shp_flows = gpd.read_file(shp / "flows.shp").set_index("stream")
    assert shp_flows.loc["fly_ash", "from_fac"] == "P"
    assert "from_facility,from_fac" in (shp / "fields.csv").read_text()
    root = ET.parse(export_map(run, tmp_path / "m.kml", options=options).path).getroot()
    folders = {f.findtext(f"{KML}name"): f for f in root.iter(f"{KML}Folder")}
    marks = folders["Fly ash (t), chained output"].findall(f"{KML}Placemark")
    assert len(marks) == 1
    assert marks[0].findtext(f"{KML}name") == "fly_ash (chained output of P): X \u2192 Q (road)"
    data = {d.get("name"): d.findtext(f"{KML}value") for d in marks[0].iter(f"{KML}Data")}
    assert data["from_facility"] == "P" and data["chained"] == "1"
    assert _kml_style(root, marks[0]).find(f"{KML}LineStyle/{GX}outerColor") is not None
    gangue = folders["Coal gangue (t)"].findall(f"{KML}Placemark")
    assert _kml_style(root, gangue[0]).find(f"{KML}LineStyle/{GX}outerColor") is None
    page = export_map(run, tmp_path / "m.html", options=options).path.read_text()
    assert "Fly ash (t), chained output" in page and '"dashArray": "8 5"' in page
    assert "chained output (a facility's product, dashed)" in page
    assert "chained output of P" in page
    map_data = build_map_data(run, basemap_dir=runs["basemap"])
    fig, drawn = draw_map(map_data, ["flows", "sites", "facilities"])
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert "chained output (a facility's product)" in texts
    dashed = [
        c
        for c in fig.axes[0].collections
        if any(offset is not None and dashes for offset, dashes in c.get_linestyle())
    ]
    assert len(dashed) == 1  # the one chained flow, dashed; gangue's on-site flow solid
    assert drawn["flows"].set_index("stream").loc["fly_ash", "chained"] == 1
