"""Parks (and a province) given as MultiPolygons, as in data/parks/guizhou/parks.geojson.

The tiny case (tests/cases/tiny) with park FQ as a MultiPolygon of two parts (the second with
a hole) and park KY as a Polygon; the province of the basemap is a MultiPolygon too (the
square of tests/_maps_helpers.py plus an island). Every map format is exported and the parks
read back from it (for the HTML map: the Leaflet polygons built for the page; for the PNG: the
frames drawn) must be the parks.geojson geometry, parts and holes included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

gpd = pytest.importorskip("geopandas")
pyogrio = pytest.importorskip("pyogrio")

import folium  # noqa: E402
import shapely  # noqa: E402
from _maps_helpers import make_basemap, make_case, solve  # noqa: E402
from shapely.geometry import MultiPolygon, Polygon, shape  # noqa: E402

from symbiosis.maps import build_map_data, export_map  # noqa: E402
from symbiosis.maps.web import build_html_map  # noqa: E402

FORMATS = ("gpkg", "geojson", "shp", "kml", "html", "png")


def _ring(lon: float, lat: float, half: float) -> list[list[float]]:
    """A square ring, counter-clockwise, corners rounded to 4 decimals (exact in GeoJSON)."""
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    return [[round(lon + dx * half, 4), round(lat + dy * half, 4)] for dx, dy in corners]


# FQ: one part around sites A and D, one around B with a hole north-east of B.
FQ = {
    "type": "MultiPolygon",
    "coordinates": [
        [_ring(107.525, 26.695, 0.04)],
        [_ring(107.7, 26.7, 0.05), _ring(107.725, 26.725, 0.01)],
    ],
}
KY = {"type": "Polygon", "coordinates": [_ring(106.97, 27.06, 0.05)]}
PROVINCE = {
    "type": "MultiPolygon",
    "coordinates": [[_ring(107.2, 26.8, 0.9)], [_ring(108.5, 27.9, 0.1)]],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("maps_multi")
    case_root = make_case(root)
    parks_file = case_root / "case" / "parks.geojson"
    parks = json.loads(parks_file.read_text(encoding="utf-8"))
    geometry = {"FQ": FQ, "KY": KY}
    for feature in parks["features"]:
        feature["geometry"] = geometry[feature["properties"]["park"]]
    parks_file.write_text(json.dumps(parks), encoding="utf-8")
    basemap = make_basemap(root)
    province_file = basemap / "guizhou_province.geojson"
    province = json.loads(province_file.read_text(encoding="utf-8"))
    province["features"][0]["geometry"] = PROVINCE
    province_file.write_text(json.dumps(province, ensure_ascii=False), encoding="utf-8")
    run = solve(case_root, root / "run")
    return {"root": root, "basemap": basemap, "run": run}


def _same(got: Any, want: dict[str, Any], tolerance: float = 0.0) -> None:
    """``got`` is the GeoJSON geometry ``want``: same parts, rings and holes (2D), vertex by
    vertex within ``tolerance`` degrees (0: topologically equal)."""
    got = shapely.force_2d(got)
    expected = shape(want)
    assert got.is_valid
    assert shapely.get_num_geometries(got) == shapely.get_num_geometries(expected)
    if tolerance:
        assert shapely.equals_exact(got.normalize(), expected.normalize(), tolerance)
    else:
        assert got.equals(expected), f"{got.wkt} != {expected.wkt}"


def _check_parks(by_park: dict[str, Any], tolerance: float = 0.0) -> None:
    assert set(by_park) == {"FQ", "KY"}
    _same(by_park["FQ"], FQ, tolerance)
    _same(by_park["KY"], KY, tolerance)


def _from_leaflet(locations: list[Any]) -> Polygon | MultiPolygon:
    """Leaflet latlngs ([lat, lon] rings; polygons -> rings -> points for a multi-polygon)."""

    def polygon(rings: list[Any]) -> Polygon:
        lonlat = [[(lon, lat) for lat, lon in ring] for ring in rings]
        return Polygon(lonlat[0], lonlat[1:])

    depth, probe = 0, locations
    while isinstance(probe, list):
        depth, probe = depth + 1, probe[0]
    if depth == 4:
        return MultiPolygon([polygon(part) for part in locations])
    assert depth == 3, f"unexpected nesting {depth}"
    return polygon(locations)


def _leaflet_polygons(group: Any) -> dict[str, Any]:
    """Park id -> geometry of each polygon in a folium FeatureGroup (from its tooltip)."""
    out = {}
    for child in group._children.values():
        if not isinstance(child, folium.Polygon):
            continue
        tips = [c for c in child._children.values() if isinstance(c, folium.Tooltip)]
        key = tips[0].text.split(":")[0] if tips else "province"
        assert key not in out, f"{key} drawn twice"
        out[key] = _from_leaflet(child.locations)
    return out


def _read_parks(fmt: str, path: Path) -> dict[str, Any]:
    """Park id -> geometry, read back from an export."""
    if fmt == "gpkg":
        gdf = pyogrio.read_dataframe(path, layer="parks")
    elif fmt in ("geojson", "shp"):
        gdf = gpd.read_file(path / f"parks.{fmt}")
    else:  # kml: one layer per folder; GDAL's LIBKML driver reads the ExtendedData
        gdf = pyogrio.read_dataframe(path, layer="Industrial parks")
    assert gdf.crs.to_epsg() == 4326
    return dict(zip(gdf["park"], gdf.geometry, strict=True))


def test_every_format_exports_multipolygon_parks(world):
    """gpkg, geojson, shp, kml, html and png all export; each keeps FQ's two parts and hole."""
    out = world["root"] / "out"
    for fmt in FORMATS:
        result = export_map(world["run"], out / fmt / f"multi.{fmt}", basemap_dir=world["basemap"])
        assert result.format == fmt
        assert "parks" in result.layers
        if fmt == "html":
            page = result.path.read_text(encoding="utf-8")
            assert "L.map(" in page and "Industrial parks" in page
            assert page.count("L.polygon(") == 3  # two parks and the province, one each
        elif fmt == "png":
            drawn = result.drawn["parks"]  # in the projected CRS: back to degrees
            assert drawn.crs == result.data.projected_crs
            lonlat = drawn.to_crs(4326)
            _check_parks(dict(zip(lonlat["park"], lonlat.geometry, strict=True)), 1e-9)
        else:
            _check_parks(_read_parks(fmt, result.path))
        if fmt == "gpkg":
            area = pyogrio.read_dataframe(result.path, layer="parks").set_index("park")
            # Squares of 0.08 and 0.1 degrees less a hole of 0.02, at 26.7 N: about 161 km2.
            expected = (0.08**2 + 0.1**2 - 0.02**2) * 111.2**2 * 0.8934
            assert area.loc["FQ", "area_km2"] == pytest.approx(expected, rel=0.02)


def test_html_parks_are_leaflet_multipolygons(world):
    """One Leaflet polygon per park (one tooltip and popup), holding every part and hole:
    FQ as polygons -> rings -> [lat, lon], KY as rings -> [lat, lon]; the province as well."""
    data = build_map_data(world["run"], basemap_dir=world["basemap"])
    m = build_html_map(data, ["province", "parks"])
    groups = {
        child.layer_name: child
        for child in m._children.values()
        if isinstance(child, folium.FeatureGroup)
    }
    parks = _leaflet_polygons(groups["Industrial parks"])
    _check_parks(parks)
    province = _leaflet_polygons(groups["Province outline"])
    _same(province["province"], PROVINCE)
