"""A case in a GeoPackage: export, read back, same checks, same optimum."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
pyogrio = pytest.importorskip("pyogrio")

from _maps_helpers import OBJECTIVE, make_case  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from symbiosis.case import TABLES, CaseError, load_case  # noqa: E402
from symbiosis.case.gpkg import load_case_gpkg  # noqa: E402
from symbiosis.cli import app  # noqa: E402
from symbiosis.maps.case_export import export_case_folder, export_case_gpkg  # noqa: E402


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    return make_case(tmp_path) / "case"


def _assert_same_case(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(
            getattr(a, name).reset_index(drop=True),
            getattr(b, name).reset_index(drop=True),
            check_dtype=False,
        )
    assert [f["properties"]["park"] for f in a.parks["features"]] == [
        f["properties"]["park"] for f in b.parks["features"]
    ]


def test_round_trip(case_dir, tmp_path):
    case = load_case(case_dir)
    out = export_case_gpkg(case, tmp_path / "case.gpkg")
    listed = {str(n): str(k) for n, k in pyogrio.list_layers(out)}
    assert listed["sites"] == "Point" and listed["parks"] == "MultiPolygon"
    assert listed["supply"] == "None" and listed["facilities"] == "None"
    with sqlite3.connect(out) as con:
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
    assert styled == {"sites", "parks"}
    back = load_case(out)  # load_case dispatches .gpkg to load_case_gpkg
    _assert_same_case(case, back)
    assert back.files == [out] and back.name == "case"
    # and back to CSV
    again = load_case(export_case_folder(back, tmp_path / "csv"))
    _assert_same_case(case, again)


def test_gpkg_case_solves_to_the_same_optimum(case_dir, tmp_path):
    """The tiny scenario on its GeoPackage copy: 14,049,529.12 CNY/yr (EXPECTED.md)."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    export_case_gpkg(load_case(case_dir), case_dir.parent / "case.gpkg")
    scenario_file = case_dir.parent / "gpkg.yaml"
    scenario_file.write_text("name: tiny-gpkg\ncase: case.gpkg\ntarget:\n  total: 900000\n")
    outcome = run_scenario(load_scenario(scenario_file), tmp_path / "run")
    assert outcome.exit_code == 0
    assert outcome.results.summary["objective"] == pytest.approx(OBJECTIVE)
    assert outcome.results.summary["built"] == ["P2"]


def test_route_costs_round_trip(tmp_path):
    """tests/cases/routes: distances' optional cost_per_unit / link_cost (given and empty
    cells) survive CSV -> GeoPackage -> CSV, and the GeoPackage copy solves to the routes
    optimum, -2,200,470.88 CNY/yr (EXPECTED.md)."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    routes = Path(__file__).resolve().parent / "cases" / "routes"
    case = load_case(routes / "case")
    gpkg = export_case_gpkg(case, tmp_path / "case.gpkg")
    back = load_case(gpkg)
    again = load_case(export_case_folder(back, tmp_path / "csv"))
    for other in (back, again):
        for name in TABLES:
            pd.testing.assert_frame_equal(
                getattr(case, name).reset_index(drop=True),
                getattr(other, name).reset_index(drop=True),
                check_dtype=False,
            )
    routes_given = again.distances.set_index(["from_site", "to_site"])
    assert routes_given.at[("A", "C"), "cost_per_unit"] == pytest.approx(10.0)
    assert routes_given.at[("A", "B"), "link_cost"] == pytest.approx(300_000)
    assert pd.isna(routes_given.at[("A", "B"), "cost_per_unit"])
    assert pd.isna(routes_given.at[("A", "C"), "link_cost"])
    scenario_file = tmp_path / "gpkg.yaml"
    scenario_file.write_text(
        "name: routes-gpkg\ncase: case.gpkg\ndiscount_rate: 0.06\ntarget:\n  total: 900000\n"
    )
    outcome = run_scenario(load_scenario(scenario_file), tmp_path / "run")
    assert outcome.exit_code == 0
    assert outcome.results.summary["objective"] == pytest.approx(-2_200_470.88, abs=0.01)


def test_problems_name_the_layer_and_the_feature(case_dir, tmp_path):
    """Every check of the CSV reader applies; messages say case.gpkg:<layer>, the row is the
    feature id."""
    case = load_case(case_dir)
    supply = case.supply.copy()
    supply.loc[1, "amount"] = -5.0
    streams = case.streams.copy()
    streams.loc[0, "kind"] = "liquid"
    path = tmp_path / "case.gpkg"
    export_case_gpkg(case, path)
    pyogrio.write_dataframe(supply, path, layer="supply", driver="GPKG")  # replaces the layer
    pyogrio.write_dataframe(streams, path, layer="streams", driver="GPKG")
    with pytest.raises(CaseError) as info:
        load_case_gpkg(path)
    report = info.value.report()
    assert "case.gpkg:supply, row 2, column 'amount'" in report
    assert "case.gpkg:streams, row 1, column 'kind'" in report
    assert "'solid' or 'heat'" in report


def test_missing_tables_are_listed(tmp_path):
    path = tmp_path / "partial.gpkg"
    pyogrio.write_dataframe(
        pd.DataFrame({"mode": ["road"], "kind": ["solid"]}), path, layer="modes", driver="GPKG"
    )
    with pytest.raises(CaseError) as info:
        load_case_gpkg(path)
    report = info.value.report()
    for name in ("streams", "sites", "supply", "facilities", "facility_inputs"):
        assert f"partial.gpkg:{name}: missing layer or table" in report
    assert "partial.gpkg:distances" not in report  # optional
    assert "partial.gpkg:modes" in report  # its missing columns


def test_site_points_give_the_coordinates(case_dir, tmp_path):
    """A sites point layer in another CRS (EPSG:4545) without lon/lat columns: lon/lat come
    from the points, reprojected to EPSG:4326."""
    case = load_case(case_dir)
    path = tmp_path / "case.gpkg"
    export_case_gpkg(case, path)
    sites = case.sites.drop(columns=["lon", "lat"])
    points = gpd.GeoDataFrame(
        sites, geometry=gpd.points_from_xy(case.sites["lon"], case.sites["lat"]), crs=4326
    ).to_crs(4545)
    pyogrio.write_dataframe(points, path, layer="sites", driver="GPKG")
    back = load_case_gpkg(path)
    assert back.sites["lon"].tolist() == pytest.approx(case.sites["lon"].tolist(), abs=1e-9)
    assert back.sites["lat"].tolist() == pytest.approx(case.sites["lat"].tolist(), abs=1e-9)


def test_cli_case_export(case_dir, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["case", "export", str(case_dir), "--out", str(tmp_path / "c.gpkg")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["validate", str(tmp_path / "c.gpkg")])
    assert res.exit_code == 0 and "4 sites" in " ".join(res.output.split())
    res = runner.invoke(app, ["case", "export", str(tmp_path / "nope"), "--out", "x.gpkg"])
    assert res.exit_code == 2
