"""symbiosis map --out postgresql://: the GeoPackage's layers and QGIS styles in PostGIS.

A throwaway PostgreSQL + PostGIS server (tests/_postgres.py) on 127.0.0.1; the tiny case's
run (tests/_maps_helpers.py) with Chinese site names is mapped to a GeoPackage and into
PostGIS, and the two are compared table by table.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
pyogrio = pytest.importorskip("pyogrio")
sa = pytest.importorskip("sqlalchemy")
pytest.importorskip("geoalchemy2")
pytest.importorskip("psycopg")

from _maps_helpers import make_basemap, make_case, solve  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from symbiosis.cli import app  # noqa: E402
from symbiosis.maps import MapOptions, export_map  # noqa: E402
from symbiosis.maps import postgis as postgis_module  # noqa: E402
from symbiosis.maps.postgis import MARK  # noqa: E402

if TYPE_CHECKING:
    from _postgres import PostgresServer

#: the session fixture postgres_server (a throwaway PostgreSQL + PostGIS on 127.0.0.1)
pytest_plugins = ("_postgres",)

SITE_NAMES_ZH = {"A": "磷酸厂", "B": "水泥厂", "C": "石膏板厂", "D": "热用户"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny run (sites named in Chinese too), its basemap and its GeoPackage."""
    root = tmp_path_factory.mktemp("postgis")
    case_root = make_case(root)
    sites_csv = case_root / "case" / "sites.csv"
    sites = pd.read_csv(sites_csv, dtype=str, keep_default_na=False)
    sites["name_zh"] = sites["site"].map(SITE_NAMES_ZH).fillna("")
    sites.to_csv(sites_csv, index=False)
    basemap = make_basemap(root)
    run = solve(case_root, root / "run")
    gpkg = export_map(run, root / "tiny.gpkg", options=MapOptions(basemap_dir=basemap)).path
    return {"root": root, "run": run, "basemap": basemap, "gpkg": gpkg}


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def write(world: dict[str, Path], url: str, *args: str) -> tuple[int, str]:
    """``symbiosis map RUN --out URL --basemap ...``: exit code and everything printed."""
    result = CliRunner().invoke(
        app,
        ["map", str(world["run"]), "--out", url, "--basemap", str(world["basemap"]), *args],
    )
    return result.exit_code, result.output


def spatial_layers(gpkg: Path) -> list[str]:
    return [str(name) for name, kind in pyogrio.list_layers(gpkg) if kind]


def test_layers_are_the_geopackages(world: dict[str, Path], postgres_server: PostgresServer):
    url = postgres_server.url()
    code, output = write(world, url + "?schema=maps")
    assert code == 0, output
    assert postgres_server.password not in output
    assert "***" in output
    layers = spatial_layers(world["gpkg"])
    assert {"flows", "facilities", "sites", "parks", "province"} <= set(layers)
    engine = engine_for(url)
    with engine.connect() as conn:
        written = set(sa.inspect(conn).get_table_names(schema="maps"))
        for layer in layers:
            pg = gpd.read_postgis(
                f'SELECT * FROM maps."{layer}" ORDER BY fid', conn, geom_col="geom"
            )
            ours = pyogrio.read_dataframe(world["gpkg"], layer=layer)
            assert pg.crs.to_epsg() == 4326 == ours.crs.to_epsg(), layer
            assert list(pg["fid"]) == list(range(1, len(ours) + 1)), layer
            pg = pg.drop(columns="fid")
            assert list(pg.columns[:-1]) == list(ours.columns[:-1]), layer
            assert len(pg) == len(ours) > 0, layer
            assert set(pg.geom_type) == set(ours.geom_type), layer
            assert pg.geometry.geom_equals_exact(ours.geometry, tolerance=0).all(), layer
            pd.testing.assert_frame_equal(
                pd.DataFrame(pg.drop(columns="geom")),
                pd.DataFrame(ours.drop(columns="geometry")),
                check_dtype=False,
                obj=layer,
            )
        for table in ("field_units", "map_metadata", "run_kpis"):
            pg_rows = pd.read_sql(f'SELECT * FROM maps."{table}"', conn)
            gpkg_rows = pyogrio.read_dataframe(world["gpkg"], layer=table)
            if table == "map_metadata":  # made twice: when differs
                pg_rows, gpkg_rows = (
                    rows.loc[rows["key"] != "created"].reset_index(drop=True)
                    for rows in (pg_rows, gpkg_rows)
                )
            pd.testing.assert_frame_equal(pg_rows, gpkg_rows, check_dtype=False, obj=table)
        sites = pd.read_sql("SELECT site, name, name_zh FROM maps.sites ORDER BY site", conn)
        comments = conn.execute(
            sa.text(
                "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'maps' "
                "AND c.relkind = 'r'"
            )
        ).all()
        metadata = " ".join(pd.read_sql("SELECT value FROM maps.map_metadata", conn)["value"])
    assert written == set(layers) | {"field_units", "map_metadata", "run_kpis"}
    assert dict(zip(sites["site"], sites["name_zh"], strict=True)) == {
        site: SITE_NAMES_ZH[site] for site in sites["site"]
    }
    assert sites["name"].str.len().gt(0).all()
    assert {name for name, note in comments if note and note.startswith(MARK)} == written
    assert postgres_server.password not in metadata
    assert all(postgres_server.password not in (note or "") for _name, note in comments)


def test_qgis_styles_in_layer_styles(world: dict[str, Path], postgres_server: PostgresServer):
    url = postgres_server.url()
    code, output = write(world, url + "?schema=styled")
    assert code == 0, output
    with sqlite3.connect(world["gpkg"]) as con:
        gpkg_styles = {
            table: (qml, sld)
            for table, qml, sld in con.execute(
                "SELECT f_table_name, styleQML, styleSLD FROM layer_styles WHERE useAsDefault"
            )
        }
    with engine_for(url).connect() as conn:
        columns = list(
            conn.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                    "'public' AND table_name = 'layer_styles' ORDER BY ordinal_position"
                )
            ).scalars()
        )
        rows = conn.execute(
            sa.text(
                "SELECT f_table_catalog, f_table_name, f_geometry_column, stylename, "
                "styleqml::text, stylesld::text, useasdefault, owner, type "
                "FROM public.layer_styles WHERE f_table_schema = 'styled'"
            )
        ).all()
        # the query QGIS runs to load a layer's default style
        loaded = {
            layer: conn.execute(
                sa.text(
                    "SELECT styleqml::text FROM layer_styles WHERE f_table_catalog = :cat "
                    "AND f_table_schema = 'styled' AND f_table_name = :t "
                    "AND f_geometry_column = 'geom' "
                    "ORDER BY CASE WHEN useasdefault THEN 1 ELSE 2 END, update_time DESC LIMIT 1"
                ),
                {"cat": "symbiosis_test", "t": layer},
            ).scalar()
            for layer in gpkg_styles
        }
    assert columns == [
        "id",
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "stylename",
        "styleqml",
        "stylesld",
        "useasdefault",
        "description",
        "owner",
        "ui",
        "update_time",
        "type",
        "r_raster_column",
    ]
    assert sorted(row[1] for row in rows) == sorted(gpkg_styles)
    for catalog, table, geom, style, qml, sld, default, owner, kind in rows:
        assert (catalog, geom, style, default, owner) == (
            "symbiosis_test",
            "geom",
            "symbiosis",
            True,
            postgres_server.user,
        )
        assert (qml, sld) == gpkg_styles[table], table
        assert kind in ("Point", "Line", "Polygon")
    assert loaded == {layer: qml for layer, (qml, _sld) in gpkg_styles.items()}


def test_second_write_replaces_only_its_own_tables(
    world: dict[str, Path], postgres_server: PostgresServer
):
    url = postgres_server.url()
    postgres_server.sql(
        "CREATE SCHEMA again; CREATE TABLE again.notes (note text); "
        "INSERT INTO again.notes VALUES ('kept')"
    )
    assert write(world, url + "?schema=again")[0] == 0
    code, output = write(world, url + "?schema=again", "--layers", "flows,facilities")
    assert code == 0, output
    with engine_for(url).connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema="again"))
        styles = conn.execute(
            sa.text(
                "SELECT f_table_name, count(*) FROM public.layer_styles "
                "WHERE f_table_schema = 'again' GROUP BY f_table_name"
            )
        ).all()
        flows = conn.execute(sa.text("SELECT count(*) FROM again.flows")).scalar()
        notes = conn.execute(sa.text("SELECT note FROM again.notes")).scalars().all()
    gpkg_flows = len(pyogrio.read_dataframe(world["gpkg"], layer="flows"))
    assert tables == {"flows", "facilities", "field_units", "map_metadata", "run_kpis", "notes"}
    assert dict(styles) == {"flows": 1, "facilities": 1}
    assert flows == gpkg_flows
    assert notes == ["kept"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_foreign_table_is_refused(
    world: dict[str, Path], postgres_server: PostgresServer, overwrite: bool
):
    schema = f"foreign_{int(overwrite)}"
    postgres_server.sql(
        f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.flows (id int); "
        f"INSERT INTO {schema}.flows VALUES (7)"
    )
    url = postgres_server.url()
    code, output = write(world, f"{url}?schema={schema}", *(["--overwrite"] if overwrite else []))
    assert code == 2, output
    assert f"{schema}.flows" in output and "not written by symbiosis" in output
    assert "Traceback" not in output and postgres_server.password not in output
    with engine_for(url).connect() as conn:
        assert set(sa.inspect(conn).get_table_names(schema=schema)) == {"flows"}
        assert conn.execute(sa.text(f"SELECT id FROM {schema}.flows")).scalars().all() == [7]
        styles = conn.execute(
            sa.text("SELECT count(*) FROM public.layer_styles WHERE f_table_schema = :s"),
            {"s": schema},
        ).scalar()
    assert styles == 0


def test_failed_write_leaves_the_previous_map(
    world: dict[str, Path], postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
):
    url = postgres_server.url() + "?schema=whole"
    options = MapOptions(basemap_dir=world["basemap"])
    export_map(world["run"], url, options=options)

    def broken(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("INSERT", {}, RuntimeError("server went away"))

    monkeypatch.setattr(postgis_module, "_write_styles", broken)
    with pytest.raises(postgis_module.InputError, match="server went away"):
        export_map(
            world["run"], url, options=MapOptions(layers="flows", basemap_dir=world["basemap"])
        )
    with engine_for(postgres_server.url()).connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema="whole"))
    assert tables == set(spatial_layers(world["gpkg"])) | {
        "field_units",
        "map_metadata",
        "run_kpis",
    }


def test_password_from_pgpassword_and_pgpass(
    world: dict[str, Path],
    postgres_server: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):
    url = postgres_server.url(password=False) + "?schema=env"
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "missing"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    code, output = write(world, url)
    assert code == 2, output  # no password anywhere: the server refuses
    monkeypatch.setenv("PGPASSWORD", postgres_server.password)
    code, output = write(world, url)
    assert code == 0, output
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(
        f"127.0.0.1:{postgres_server.port}:*:{postgres_server.user}:{postgres_server.password}\n"
    )
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    code, output = write(world, url)
    assert code == 0, output
    assert postgres_server.password not in output


def test_connection_errors_exit_2_without_the_password(
    world: dict[str, Path], postgres_server: PostgresServer
):
    from _postgres import free_port

    secret = "Sesame-4711"
    wrong = f"postgresql://{postgres_server.user}:{secret}@127.0.0.1:{postgres_server.port}/"
    code, output = write(world, wrong + "symbiosis_test?schema=x")
    assert code == 2, output
    assert "password authentication failed" in output
    assert secret not in output and "Traceback" not in output and "***" in output
    closed = f"postgresql://u:{secret}@127.0.0.1:{free_port()}/db"
    code, output = write(world, closed)
    assert code == 2, output
    assert "cannot connect" in output and secret not in output and "Traceback" not in output
    for bad, why in (
        (f"postgresql://u:{secret}@127.0.0.1:{postgres_server.port}", "names no database"),
        (f"postgresql://u:{secret}@127.0.0.1:99999999/db", "not a PostgreSQL URL"),
        (f"postgresql://u:{secret}@h/db?schema=a;drop", "schema"),
    ):
        code, output = write(world, bad)
        assert code == 2, (bad, output)
        assert why in output and secret not in output and "Traceback" not in output


def test_database_without_postgis(world: dict[str, Path], postgres_server: PostgresServer):
    url = postgres_server.create_database("plain_db", postgis=False)
    code, output = write(world, url)
    assert code == 2, output
    assert "no PostGIS" in output and "CREATE EXTENSION postgis" in output


def test_format_and_target_must_agree(world: dict[str, Path]):
    code, output = write(world, str(world["root"] / "x.gpkg"), "--format", "postgis")
    assert code == 2 and "postgresql://" in output
    code, output = write(world, "postgresql://u@h/db", "--format", "gpkg")
    assert code == 2 and "postgis" in output
