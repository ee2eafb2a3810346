"""symbiosis map: every format read back and compared with the run folder.

The run is the tiny case (EXPECTED.md): A ships 200,000 t of phosphogypsum to the kiln K
(20 km), 800,000 t to the board line P2 (built; 50 km), 84,210.5 MWh of heat to H (80,000 MWh
delivered after 5% loss); P1 stays a candidate not built; objective 14,049,529.12 CNY/yr.
"""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
pyogrio = pytest.importorskip("pyogrio")

from _maps_helpers import (  # noqa: E402
    DELIVERED_TARGET,
    OBJECTIVE,
    make_basemap,
    make_case,
    solve,
)
from typer.testing import CliRunner  # noqa: E402

from symbiosis.cli import app  # noqa: E402
from symbiosis.maps import build_map_data, export_map  # noqa: E402
from symbiosis.maps.data import LAYERS, default_basemap_dir, projected_crs_for  # noqa: E402
from symbiosis.maps.vector import shapefile_names  # noqa: E402
from symbiosis.maps.web import external_resources  # noqa: E402
from symbiosis.options import RunOptions  # noqa: E402

SPATIAL = {
    "province": "MultiPolygon",
    "prefecture_seats": "Point",
    "parks": "MultiPolygon",
    "links_candidate": "LineString",
    "flows": "LineString",
    "sites": "Point",
    "facilities": "Point",
    "prefecture_summary": "Point",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("maps")
    case_root = make_case(root)
    basemap = make_basemap(root)
    run = solve(case_root, root / "run")
    return {"root": root, "case_root": case_root, "basemap": basemap, "run": run}


@pytest.fixture(scope="module")
def run_tables(world: dict[str, Path]) -> dict[str, pd.DataFrame]:
    run = world["run"]
    return {
        "flows": pd.read_csv(run / "flows.csv"),
        "facilities": pd.read_csv(run / "facilities.csv"),
        "unused": pd.read_csv(run / "unused.csv"),
    }


def _by_stream(frame: pd.DataFrame, value: str, stream: str = "stream") -> dict[str, float]:
    return {str(k): float(v) for k, v in frame.groupby(stream)[value].sum().items()}


# --------------------------------------------------------------------------------------------
# The layers
# --------------------------------------------------------------------------------------------
def test_layers_agree_with_the_run_folder(world, run_tables):
    """Counts and totals of every layer equal the run folder's; the prefecture costs add up to
    the objective (14,049,529.12, EXPECTED.md) and the delivered target to 1,000,000 t."""
    data = build_map_data(world["run"], basemap_dir=world["basemap"])
    assert list(data.layers) == list(LAYERS)  # every layer, in drawing order
    flows = data.layers["flows"]
    assert len(flows) == int((run_tables["flows"]["shipped"] > 0).sum()) == 3
    assert _by_stream(flows, "shipped_yr") == pytest.approx(
        _by_stream(run_tables["flows"], "shipped")
    )
    assert _by_stream(flows, "delivered_yr") == pytest.approx(
        {"phosphogypsum": 1_000_000.0, "waste_heat": 80_000.0}
    )
    assert flows["cost_cny_yr"].sum() == pytest.approx(run_tables["flows"]["cost"].sum())
    fac = data.layers["facilities"].set_index("facility")
    assert fac.loc["P2", "state"] == "built" and fac.loc["P1", "state"] == "not_built"
    assert fac.loc["K", "state"] == "existing"
    assert fac.loc["P2", "use_pct"] == pytest.approx(800_000 / 900_000 * 100)
    assert fac.loc["P2", "intake_phosphogypsum_t_yr"] == pytest.approx(800_000)
    sites = data.layers["sites"].set_index("site")
    assert sites.loc["A", "supply_phosphogypsum_t_yr"] == pytest.approx(1_000_000)
    assert sites.loc["A", "unused_waste_heat_mwh_yr"] == pytest.approx(100_000 - 80_000 / 0.95)
    # The only unused arc: A -> P1 by road (50 km).
    cand = data.layers["links_candidate"]
    assert list(zip(cand["facility"], cand["mode"], strict=True)) == [("P1", "road")]
    summary = data.layers["prefecture_summary"].set_index("prefecture")
    assert summary["cost_cny_yr"].sum() == pytest.approx(OBJECTIVE)
    assert summary["delivered_target_t_yr"].sum() == pytest.approx(DELIVERED_TARGET)
    assert summary.loc["Qiannan", "seat"] == "Duyun"  # matched through prefecture_en
    assert summary.loc["Guiyang", "geometry_source"] == "seat"
    parks = data.layers["parks"].set_index("park")
    assert parks.loc["FQ", "n_sites"] == 3 and parks.loc["KY", "n_built"] == 1
    assert parks.loc["FQ", "delivered_target_t_yr"] == pytest.approx(200_000)
    # 0.24 x 0.24 degree square at 26.7 N: about 26.7 km x 24.0 km.
    assert parks.loc["FQ", "area_km2"] == pytest.approx(26.70 * 23.85, rel=0.02)
    # Line lengths in the projected CRS (EPSG:4545, CM 108E): A->B is 17.95 km great circle.
    ab = flows.set_index("facility").loc["K", "line_km"]
    assert ab == pytest.approx(17.95, rel=0.002)
    assert data.metadata["projected_crs"] == "EPSG:4545"
    every = data.fields.groupby("layer")["field"].apply(set)
    for name, gdf in data.layers.items():
        assert set(gdf.columns) - {"geometry"} <= every[name]


def test_projected_crs_is_the_nearest_gauss_kruger_zone():
    assert projected_crs_for(107.5, 26.7).to_epsg() == 4545  # CM 108E
    assert projected_crs_for(104.8, 26.6).to_epsg() == 4544  # CM 105E (Liupanshui)
    assert projected_crs_for(13.4, 52.5).to_epsg() == 32633  # outside China: UTM


def test_route_geometry_replaces_straight_lines(world, tmp_path):
    """A route given for A -> C by road is drawn instead of the straight line; km stays the
    modelled 50 km, line_km is the route's length."""
    routes = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"from_site": "A", "to_site": "C", "mode": "road"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[107.52, 26.69], [107.2, 26.6], [106.97, 27.06]],
                },
            }
        ],
    }
    file = tmp_path / "routes.geojson"
    file.write_text(json.dumps(routes))
    data = build_map_data(world["run"], basemap_dir=world["basemap"], routes=file)
    flows = data.layers["flows"].set_index("facility")
    assert flows.loc["P2", "geometry_source"] == "route"
    assert flows.loc["K", "geometry_source"] == "straight"
    assert flows.loc["P2", "km"] == pytest.approx(50.0)
    assert len(flows.loc["P2", "geometry"].coords) == 3
    assert flows.loc["P2", "line_km"] > 68.3  # longer than the straight line
    cand = data.layers["links_candidate"]
    assert cand["geometry_source"].tolist() == ["route"]  # A -> P1 shares the route


# --------------------------------------------------------------------------------------------
# GeoPackage
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gpkg(world) -> Path:
    return export_map(
        world["run"], world["root"] / "out" / "tiny.gpkg", basemap_dir=world["basemap"]
    ).path


def test_geopackage_reads_back(gpkg, run_tables):
    listed = {str(name): str(kind) for name, kind in pyogrio.list_layers(gpkg)}
    for layer, kind in SPATIAL.items():
        assert listed[layer] == kind
    for table in ("field_units", "map_metadata", "run_kpis", "layer_styles"):
        assert listed[table] == "None"
    flows = pyogrio.read_dataframe(gpkg, layer="flows")
    assert flows.crs.to_epsg() == 4326
    assert len(flows) == 3
    assert _by_stream(flows, "shipped_yr") == pytest.approx(
        _by_stream(run_tables["flows"], "shipped")
    )
    facilities = pyogrio.read_dataframe(gpkg, layer="facilities")
    assert len(facilities) == len(run_tables["facilities"])
    assert facilities["intake_yr"].sum() == pytest.approx(run_tables["facilities"]["intake"].sum())
    sites = pyogrio.read_dataframe(gpkg, layer="sites")
    assert sites["unused_waste_heat_mwh_yr"].sum() == pytest.approx(
        run_tables["unused"].query("stream == 'waste_heat'")["unused"].sum()
    )
    for layer in SPATIAL:
        assert pyogrio.read_info(gpkg, layer=layer)["crs"] == "EPSG:4326"
    meta = pyogrio.read_dataframe(gpkg, layer="map_metadata").set_index("key")["value"]
    assert meta["projected_crs"] == "EPSG:4545"
    assert "Gauss-Kruger" in meta["projected_crs_name"]
    units = pyogrio.read_dataframe(gpkg, layer="field_units")
    row = units.loc[(units["layer"] == "flows") & (units["field"] == "cost_cny_yr")]
    assert row["unit"].tolist() == ["CNY/yr"]
    info = pyogrio.read_info(gpkg, layer="flows")
    assert "EPSG:4545" in info["layer_metadata"]["PROJECTED_CRS"]


def test_geopackage_holds_qgis_styles(gpkg):
    """layer_styles has QGIS's schema, is registered in gpkg_contents, and has one default QML
    (and SLD) per layer: flows categorised by stream with a data-defined width, facilities
    categorised by state (built / existing / not built)."""
    with sqlite3.connect(gpkg) as con:
        columns = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        assert columns == [
            "id",
            "f_table_catalog",
            "f_table_schema",
            "f_table_name",
            "f_geometry_column",
            "styleName",
            "styleQML",
            "styleSLD",
            "useAsDefault",
            "description",
            "owner",
            "ui",
            "update_time",
        ]
        registered = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
        assert registered == ("attributes",)
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault, "
            "update_time FROM layer_styles"
        ).fetchall()
        geometry_columns = dict(
            con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
        )
    styles = {r[0]: r for r in rows}
    assert set(styles) == set(SPATIAL)
    for name, geom_col, qml, sld, default, updated in rows:
        assert geom_col == geometry_columns[name]
        assert default == 1
        assert updated.endswith("Z") and "T" in updated
        ET.fromstring(sld.split("\n", 1)[1])  # well-formed SLD
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.tag == "qgis"
    flows = ET.fromstring(styles["flows"][2].split("\n", 1)[1]).find("renderer-v2")
    assert flows.get("type") == "categorizedSymbol" and flows.get("attr") == "stream"
    assert [c.get("value") for c in flows.iter("category")] == ["phosphogypsum", "waste_heat"]
    assert [c.get("label") for c in flows.iter("category")] == [
        "Phosphogypsum (t)",
        "Waste heat (MWh)",
    ]
    widths = [o for o in flows.iter("Option") if o.get("name") == "outlineWidth"]
    assert len(widths) == 2
    assert all(any(x.get("value") == "width_mm" for x in w.iter("Option")) for w in widths)
    fac = ET.fromstring(styles["facilities"][2].split("\n", 1)[1]).find("renderer-v2")
    assert fac.get("attr") == "state"
    assert [c.get("value") for c in fac.iter("category")] == ["built", "existing", "not_built"]


# --------------------------------------------------------------------------------------------
# GeoJSON, Shapefile, KML
# --------------------------------------------------------------------------------------------
def test_geojson_folder(world, run_tables):
    result = export_map(
        world["run"], world["root"] / "out" / "gj.geojson", basemap_dir=world["basemap"]
    )
    folder = result.path
    assert folder.is_dir() and folder.name == "gj"
    for layer, kind in SPATIAL.items():
        gdf = gpd.read_file(folder / f"{layer}.geojson")
        assert gdf.crs.to_epsg() == 4326
        assert set(gdf.geom_type) <= {kind, kind.replace("Multi", "")}
        assert (folder / f"{layer}.qml").is_file()
    flows = gpd.read_file(folder / "flows.geojson")
    assert _by_stream(flows, "delivered_yr") == pytest.approx(
        _by_stream(run_tables["flows"], "delivered")
    )
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["projected_crs"] == "EPSG:4545"
    assert meta["layers"]["flows"]["features"] == 3
    assert (folder / "fields.csv").is_file()


def test_shapefile_folder_maps_long_names(world, run_tables):
    result = export_map(
        world["run"], world["root"] / "out" / "shp", fmt="shp", basemap_dir=world["basemap"]
    )
    folder = result.path
    mapping = pd.read_csv(folder / "fields.csv", keep_default_na=False)
    assert (mapping["shapefile_field"].str.len() <= 10).all()
    assert not mapping.duplicated(["layer", "shapefile_field"]).any()
    short = mapping.set_index(["layer", "field"])["shapefile_field"]
    flows = gpd.read_file(folder / "flows.shp")
    assert flows.crs.to_epsg() == 4326
    assert len(flows) == 3
    shipped = short["flows", "shipped_yr"]
    assert _by_stream(flows, shipped) == pytest.approx(_by_stream(run_tables["flows"], "shipped"))
    cost = flows[short["flows", "transport_cost_cny_yr"]].sum()
    assert cost == pytest.approx(run_tables["flows"]["transport_cost"].sum())
    sites = gpd.read_file(folder / "sites.shp")
    assert sites[short["sites", "supply_phosphogypsum_t_yr"]].sum() == pytest.approx(1_000_000)
    assert (folder / "flows.cpg").read_text().strip().upper().startswith("UTF")
    assert (folder / "flows.prj").is_file() and (folder / "flows.qml").is_file()
    readme = (folder / "README.txt").read_text()
    assert "transport_cost_cny_yr" in readme and "10 characters" in readme


def test_shapefile_names_are_unique_and_short():
    names = shapefile_names(
        [
            "supply_manganese_slag_t_yr",
            "supply_manganese_residue_t_yr",
            "transport_cost_cny_yr",
            "a_very_long_field_name_1",
            "a_very_long_field_name_2",
            "km",
        ]
    )
    assert names["supply_manganese_slag_t_yr"] == "s_manganes"
    assert names["supply_manganese_residue_t_yr"] == "s_mangane1"
    assert names["transport_cost_cny_yr"] == "trans_cny"
    assert names["a_very_long_field_name_2"] == "a_very_lo1"
    assert names["km"] == "km"
    assert len({v.lower() for v in names.values()}) == len(names)


def test_kml_for_google_earth(world):
    result = export_map(
        world["run"], world["root"] / "out" / "tiny.kml", basemap_dir=world["basemap"]
    )
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ET.parse(result.path).getroot()
    folders = {f.findtext("k:name", namespaces=ns): f for f in root.iter(f"{{{ns['k']}}}Folder")}
    assert {
        "Flows",
        "Facilities",
        "Sites (waste sources)",
        "Industrial parks",
        "Province outline",
        "Prefecture seats",
        "Prefecture summary",
    } <= set(folders)
    assert "Candidate links (unused)" not in folders  # not a default KML layer
    flows = folders["Flows"].findall(".//k:Placemark", ns)
    assert len(flows) == 3
    names = [p.findtext("k:name", namespaces=ns) for p in flows]
    assert "phosphogypsum: A \u2192 P2 (road)" in names
    description = flows[names.index("phosphogypsum: A \u2192 P2 (road)")].findtext(
        "k:description", namespaces=ns
    )
    assert "800,000" in description and "shipped_yr" in description
    facilities = folders["Facilities"].findall(".//k:Placemark", ns)
    assert len(facilities) == 4
    # GDAL reads it too (one layer per folder).
    listed = [str(n) for n, _ in pyogrio.list_layers(result.path)]
    assert "Phosphogypsum (t)" in listed and "Facilities" in listed


# --------------------------------------------------------------------------------------------
# HTML (the browser test is in test_map_browser.py) and PNG
# --------------------------------------------------------------------------------------------
def test_html_is_self_contained(world):
    result = export_map(
        world["run"], world["root"] / "out" / "tiny.html", basemap_dir=world["basemap"]
    )
    page = result.path.read_text(encoding="utf-8")
    assert external_resources(page) == []  # nothing from a CDN
    assert "L.map(" in page and "Leaflet" in page  # Leaflet inlined
    for name in (
        "Flows: Phosphogypsum (t)",
        "Flows: Waste heat (MWh)",
        "Projects built (new)",
        "Existing plants",
        "Province outline",
        "Industrial parks",
    ):
        assert name in page
    assert "Scenario tiny" in page and "14.05 M CNY" in page
    assert "links_candidate" not in result.layers


def test_png_print_map(world, run_tables):
    """A4 at 300 dpi is 3508 x 2480 px (give or take one); the drawn frames hold the run's
    data in the projected CRS; the image is not blank and shows the streams' colours."""
    from PIL import Image

    result = export_map(
        world["run"], world["root"] / "out" / "tiny.png", basemap_dir=world["basemap"]
    )
    with Image.open(result.path) as img:
        assert abs(img.size[0] - 3508) <= 1 and abs(img.size[1] - 2480) <= 1
        assert img.info["dpi"][0] == pytest.approx(300, abs=0.5)
        pixels = np.asarray(img.convert("RGB"))[::2, ::2]
    assert pixels.std() > 20  # not blank
    colours = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in ("#1b9e77", "#c51b7d")}
    for colour in colours:
        assert (np.abs(pixels.astype(int) - colour).sum(axis=2) < 30).sum() > 125
    drawn = result.drawn
    assert set(drawn) == {"province", "prefecture_seats", "parks", "flows", "sites", "facilities"}
    assert drawn["flows"].crs.to_epsg() == 4545
    assert len(drawn["flows"]) == 3
    assert _by_stream(drawn["flows"], "shipped_yr") == pytest.approx(
        _by_stream(run_tables["flows"], "shipped")
    )
    assert drawn["facilities"]["state"].value_counts().to_dict() == {
        "existing": 2,
        "built": 1,
        "not_built": 1,
    }


@pytest.mark.slow
def test_png_a3(world):
    from PIL import Image

    result = export_map(
        world["run"], world["root"] / "out" / "a3.png", size="A3", basemap_dir=world["basemap"]
    )
    with Image.open(result.path) as img:
        assert abs(img.size[0] - 4961) <= 1 and abs(img.size[1] - 3508) <= 1


# --------------------------------------------------------------------------------------------
# CLI and edge cases
# --------------------------------------------------------------------------------------------
def test_cli_map(world):
    runner = CliRunner()
    out = world["root"] / "cli" / "flows.gpkg"
    res = runner.invoke(
        app,
        [
            "map",
            str(world["run"]),
            "--out",
            str(out),
            "--layers",
            "flows,facilities",
            "--basemap",
            str(world["basemap"]),
        ],
    )
    assert res.exit_code == 0, res.output
    assert [str(n) for n, _ in pyogrio.list_layers(out)][:2] == ["flows", "facilities"]
    bad = runner.invoke(app, ["map", str(world["run"]), "--out", str(out), "--layers", "roads"])
    assert bad.exit_code == 2 and "unknown layer" in bad.output
    bad = runner.invoke(app, ["map", str(world["run"]), "--out", str(out.with_suffix(".doc"))])
    assert bad.exit_code == 2 and "--format" in bad.output
    bad = runner.invoke(app, ["map", str(world["root"] / "nope"), "--out", str(out)])
    assert bad.exit_code == 2 and "no such run folder" in bad.output
    # --format wins over the extension; --case overrides the manifest's case.
    res = runner.invoke(
        app,
        [
            "map",
            str(world["run"]),
            "--out",
            str(world["root"] / "cli" / "x"),
            "--format",
            "kml",
            "--case",
            str(world["case_root"] / "case"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (world["root"] / "cli" / "x").read_text().startswith("<?xml")


def test_map_options_and_the_old_keywords(world, tmp_path):
    """export_map takes its choices as one frozen MapOptions; the keyword arguments it took
    before still work, with a DeprecationWarning naming the MapOptions fields."""
    from dataclasses import FrozenInstanceError

    from symbiosis.maps import MapOptions

    options = MapOptions(
        layers=["flows", "sites"], basemap_dir=world["basemap"], title="Options", size="a3"
    )
    assert options.layers == ("flows", "sites")
    with pytest.raises(FrozenInstanceError):
        options.title = "changed"  # type: ignore[misc]
    result = export_map(world["run"], tmp_path / "new.kml", options=options)
    assert result.layers == ["flows", "sites"] and result.format == "kml"
    assert result.data.metadata["title"] == "Options"
    with pytest.warns(DeprecationWarning, match=r"MapOptions\(layers=, title=\)"):
        old = export_map(world["run"], tmp_path / "old.kml", layers="flows,sites", title="Options")
    assert old.layers == result.layers
    assert old.data.metadata["title"] == "Options"
    with pytest.raises(TypeError, match="colour"):
        export_map(world["run"], tmp_path / "bad.kml", colour="red")


def test_infeasible_run_still_maps_the_case(world, tmp_path):
    """target.total 1,200,000 t is infeasible (EXPECTED.md): no flows, facilities from the case
    (existing ones running, candidates not built), costs unknown."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    scenario = load_scenario(world["case_root"] / "scenario.yaml")
    scenario = scenario.model_copy(
        update={"target": scenario.target.model_copy(update={"total": 1_200_000.0})}
    )
    outcome = run_scenario(
        scenario, tmp_path / "run", options=RunOptions(diagnose_infeasible=False)
    )
    assert outcome.exit_code == 3
    result = export_map(tmp_path / "run", tmp_path / "inf.gpkg", basemap_dir=world["basemap"])
    flows = pyogrio.read_dataframe(result.path, layer="flows")
    assert len(flows) == 0
    fac = pyogrio.read_dataframe(result.path, layer="facilities").set_index("facility")
    assert fac.loc["K", "state"] == "existing" and fac.loc["P2", "state"] == "not_built"
    assert len(pyogrio.read_dataframe(result.path, layer="links_candidate")) == 4


def test_without_basemap_the_basemap_layers_are_left_out(world, tmp_path):
    data = build_map_data(world["run"], basemap_dir=tmp_path)
    assert "province" not in data.layers and "prefecture_seats" not in data.layers
    summary = data.layers["prefecture_summary"]
    assert set(summary["geometry_source"]) == {"site_centroid"}
    assert summary["cost_cny_yr"].sum() == pytest.approx(OBJECTIVE)


def test_repository_basemap(world, tmp_path):
    """The bundled maps/ basemap (the province outline and the 9 prefecture seats)."""
    base = default_basemap_dir()
    if not (base / "guizhou_province.geojson").is_file():
        pytest.skip(f"no basemap in {base} yet")
    data = build_map_data(world["run"])
    assert len(data.layers["prefecture_seats"]) == 9
    # Guizhou is about 176,000 km2.
    assert data.layers["province"]["area_km2"].sum() == pytest.approx(176_000, rel=0.03)
    summary = data.layers["prefecture_summary"].set_index("prefecture")
    assert summary.loc["Qiannan", "seat"] == "Duyun"
    assert summary.loc["Guiyang", "seat"] == "Guiyang"
