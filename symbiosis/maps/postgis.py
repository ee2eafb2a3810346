"""PostGIS output: the GeoPackage's layers and QGIS styles written into a PostgreSQL schema.

``symbiosis map RUN --out postgresql://user@host:5432/db?schema=s`` writes, into schema ``s``
(``public`` when the URL names none; created when absent):

* every map layer as a PostGIS table: the same rows, fields (``name`` and ``name_zh`` both)
  and geometry as the GeoPackage's layer, in the same CRS (EPSG:4326), geometry column
  ``geom`` of the GeoPackage's geometry type, primary key ``fid``, a spatial index;
* the attribute tables ``field_units``, ``map_metadata`` and ``run_kpis`` (when the run has
  KPIs), as in the GeoPackage;
* one row per layer in ``public.layer_styles``, the table QGIS itself creates and reads in a
  PostgreSQL database (:data:`LAYER_STYLES_DDL`, created if absent): the GeoPackage's QML and
  SLD, ``useasdefault`` true, so QGIS opens each table styled.

Each table symbiosis writes carries the comment :data:`MARK` (``COMMENT ON TABLE``): it is
how a later write knows the table is its own. Like the file outputs (:mod:`symbiosis.files`)
it replaces only what it wrote: a table of one of these names without the mark is never
dropped, with or without ``--overwrite`` (exit 2, naming it; write to another schema). The
tables symbiosis wrote in the schema before are all replaced, so the schema holds one map.

The whole write is one transaction: the tables appear whole or not at all, and another
session sees the previous map until it commits. The password comes from the URL, else from
``PGPASSWORD`` or ``~/.pgpass`` (libpq's rules, as ``psql`` reads them); it is never shown:
messages name the URL with ``***`` in its place and nothing written holds it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from symbiosis.errors import InputError, Problem, hide_password
from symbiosis.files import OutputRefused, map_kind
from symbiosis.i18n import gettext as _
from symbiosis.maps.data import MapData

#: the URL schemes taken as a PostgreSQL database (``postgis://`` too, as some tools write)
SCHEMES = ("postgresql", "postgres", "postgis", "postgresql+psycopg")
#: the comment on every table symbiosis writes (its start marks the table as symbiosis's)
MARK = "symbiosis-output: " + map_kind("postgis")
GEOMETRY_COLUMN = "geom"
STYLES_SCHEMA = "public"
#: QGIS's own DDL of ``layer_styles`` (QgsPostgresUtils::createStylesTable, QGIS 3.x)
LAYER_STYLES_DDL = (
    "CREATE TABLE IF NOT EXISTS public.layer_styles("
    "id SERIAL PRIMARY KEY"
    ",f_table_catalog varchar"
    ",f_table_schema varchar"
    ",f_table_name varchar"
    ",f_geometry_column varchar"
    ",styleName text"
    ",styleQML xml"
    ",styleSLD xml"
    ",useAsDefault boolean"
    ",description text"
    ",owner varchar(63) DEFAULT CURRENT_USER"
    ",ui xml"
    ",update_time timestamp DEFAULT CURRENT_TIMESTAMP"
    ",type varchar"
    ",r_raster_column varchar"
    ")"
)
#: QGIS's ``type`` of a style: the layer's geometry (QgsWkbTypes::geometryDisplayString)
STYLE_TYPE = {"point": "Point", "line": "Line", "polygon": "Polygon"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def is_database_url(text: object) -> bool:
    """Whether ``text`` is a PostgreSQL URL (``postgresql://``, ``postgres://``, ``postgis://``).

    Parameters
    ----------
    text : object
        An ``--out`` value (a str; a Path is never a URL).

    Returns
    -------
    bool
        True for a str starting with one of :data:`SCHEMES` and ``://`` (any case).
    """
    if not isinstance(text, str):
        return False
    scheme, sep, _rest = text.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


@dataclass(frozen=True)
class PostgisTarget:
    """A parsed ``--out postgresql://...``: where to connect and the schema to write.

    Parameters
    ----------
    url : sqlalchemy.engine.URL
        The connection URL, driver psycopg, without the ``schema`` query parameter.
    schema : str
        The schema the layers go to.
    """

    url: Any
    schema: str

    def shown(self) -> str:
        """The target as messages show it: the URL with its password as ``***``.

        Returns
        -------
        str
            ``postgresql://user:***@host:port/db?schema=s`` (no ``:***`` when the URL has
            no password).
        """
        text = self.url.set(drivername="postgresql").render_as_string(hide_password=True)
        joiner = "&" if "?" in text else "?"
        return f"{text}{joiner}schema={self.schema}"

    def masked(self, text: str) -> str:
        """``text`` with the URL's password, should it appear, replaced by ``***``.

        Parameters
        ----------
        text : str
            A message (a driver's error, say).

        Returns
        -------
        str
            The message, safe to print.
        """
        password = self.url.password
        return hide_password(text, str(password) if password else None)


def _url_problem(text: str, why: str) -> InputError:
    """An invalid ``--out`` URL (exit 2), named without its password.

    Parameters
    ----------
    text : str
        The URL given.
    why : str
        What is wrong with it.

    Returns
    -------
    InputError
        The error to raise.
    """
    return InputError([Problem("--out", why, value=hide_password(text))], "map options")


def parse_target(text: str) -> PostgisTarget:
    """Parse ``postgresql://[user[:password]@]host[:port]/database[?schema=s&...]``.

    Parameters
    ----------
    text : str
        The URL; query parameters other than ``schema`` (``sslmode``, ...) go to libpq.

    Returns
    -------
    PostgisTarget
        The URL for SQLAlchemy + psycopg and the schema (``public`` when none is given).

    Raises
    ------
    InputError
        A URL that does not parse, names no database, or a schema that is not a plain
        identifier (letters, digits, ``_``; at most 63 characters).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text)
        port = url.port
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port {port} out of range 1-65535")
    except (ArgumentError, ValueError) as exc:
        raise _url_problem(
            text, _("not a PostgreSQL URL ({why}); expected {form}").format(why=exc, form=FORM)
        ) from None
    if not url.database:
        raise _url_problem(text, _("the URL names no database; expected {form}").format(form=FORM))
    query = dict(url.query)
    schema = query.pop("schema", STYLES_SCHEMA)
    if isinstance(schema, tuple):
        schema = schema[-1]
    if not _IDENTIFIER.match(schema):
        raise _url_problem(
            text,
            _("schema {schema!r}: allowed letters, digits and _ (at most 63)").format(
                schema=schema
            ),
        )
    url = url.set(drivername="postgresql+psycopg", port=port, query=query)
    return PostgisTarget(url, schema)


FORM = "postgresql://user@host:5432/database?schema=name"


def write_postgis(data: MapData, layers: Sequence[str], target: str | PostgisTarget) -> str:
    """Write the layers, the attribute tables and the QGIS styles into PostGIS, atomically.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers to write, each present in ``data``.
    target : str or PostgisTarget
        The database URL (:func:`parse_target`) or its parsed form.

    Returns
    -------
    str
        The target as shown to the user (password masked, :meth:`PostgisTarget.shown`).

    Raises
    ------
    InputError
        A bad URL, a server that cannot be reached or refuses the login, a database without
        PostGIS, or any database error (exit 2; the message never holds the password).
    OutputRefused
        A table of one of the names to write exists and is not symbiosis's (no :data:`MARK`).
    """
    try:
        import geoalchemy2  # noqa: F401  (to_postgis needs it)
        import sqlalchemy as sa
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError
    except ImportError as exc:
        raise InputError(
            [
                Problem(
                    "--out",
                    _("PostGIS output needs {module}: pip install 'symbiosis[maps]'").format(
                        module=exc.name
                    ),
                )
            ],
            "map options",
        ) from None
    parsed = target if isinstance(target, PostgisTarget) else parse_target(target)
    engine = sa.create_engine(
        parsed.url,
        connect_args={"connect_timeout": 10, "application_name": "symbiosis map"},
        poolclass=sa.pool.NullPool,
    )
    try:
        with engine.begin() as conn:
            _write_all(conn, data, layers, parsed)
    except InputError:
        raise
    except DBAPIError as exc:
        raise _database_problem(parsed, exc.orig, connecting=exc.connection_invalidated) from None
    except SQLAlchemyError as exc:
        raise _database_problem(parsed, exc, connecting=False) from None
    finally:
        engine.dispose()
    return parsed.shown()


def _database_problem(
    target: PostgisTarget, exc: BaseException | None, *, connecting: bool
) -> InputError:
    """The error of a failed connection or statement, without the password.

    Parameters
    ----------
    target : PostgisTarget
        The database written to.
    exc : BaseException or None
        The driver's exception.
    connecting : bool
        The connection itself was lost.

    Returns
    -------
    InputError
        Exit 2, naming the masked URL and the driver's first lines.
    """
    import psycopg

    text = " ".join(str(exc).split()) if exc is not None else ""
    if isinstance(exc, psycopg.OperationalError) or connecting:
        why = _("cannot connect or write: {error}")
    else:
        why = _("the database refused the write: {error}")
    return InputError(
        [Problem(target.shown(), why.format(error=target.masked(text)[:600]))],
        "output database",
    )


def _write_all(conn: Any, data: MapData, layers: Sequence[str], target: PostgisTarget) -> None:
    """Everything :func:`write_postgis` writes, on one connection inside its transaction.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        The connection, in a transaction.
    data : MapData
        The map.
    layers : sequence of str
        The layers to write.
    target : PostgisTarget
        The schema (and the masked URL for messages).
    """
    import psycopg.sql
    import sqlalchemy as sa

    has_postgis = conn.execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
    ).first()
    if has_postgis is None:
        raise InputError(
            [
                Problem(
                    target.shown(),
                    _("the database has no PostGIS: run CREATE EXTENSION postgis; in it first"),
                )
            ],
            "output database",
        )
    schema = target.schema
    conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {_quote(conn, schema)}"))
    tables = attribute_tables(data, layers)
    names = list(layers) + list(tables)
    ours = _claim_tables(conn, target, names)
    for name in ours:
        conn.execute(sa.text(f"DROP TABLE {_quote(conn, schema)}.{_quote(conn, name)}"))
    for layer in layers:
        _write_layer(conn, data, layer, schema)
    for name, frame in tables.items():
        frame.to_sql(name, conn, schema=schema, index=False)
    for name in names:
        # COMMENT takes no bind parameter: psycopg composes the literal
        statement = psycopg.sql.SQL("COMMENT ON TABLE {} IS {}").format(
            psycopg.sql.Identifier(schema, name),
            psycopg.sql.Literal(f"{MARK}; {_table_comment(data, name)}"),
        )
        with conn.connection.cursor() as cursor:
            cursor.execute(statement)
    _write_styles(conn, data, layers, schema, sorted(set(ours) | set(names)))


def _quote(conn: Any, name: str) -> str:
    """``name`` quoted as a PostgreSQL identifier.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        The connection (its dialect quotes).
    name : str
        A schema or table name.

    Returns
    -------
    str
        The quoted identifier (quotes only where needed).
    """
    return str(conn.dialect.identifier_preparer.quote(name))


def _claim_tables(conn: Any, target: PostgisTarget, names: Sequence[str]) -> list[str]:
    """The tables symbiosis wrote in the schema before, after checking ``names`` are free.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        The connection, in the write's transaction.
    target : PostgisTarget
        The schema.
    names : sequence of str
        The tables about to be written.

    Returns
    -------
    list of str
        Every table of the schema whose comment starts with :data:`MARK`, to drop.

    Raises
    ------
    OutputRefused
        A relation (table, view, ...) named as one of ``names`` that is not marked.
    """
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text(
            "SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        ),
        {"schema": target.schema},
    ).all()
    marked = {name for name, kind, note in rows if kind == "r" and (note or "").startswith(MARK)}
    foreign = sorted(name for name, _kind, _note in rows if name in names and name not in marked)
    if foreign:
        listed = ", ".join(f"{target.schema}.{name}" for name in foreign)
        raise OutputRefused(
            target.shown(),  # type: ignore[arg-type]
            _(
                "{tables}: not written by symbiosis (no '{mark}' comment); symbiosis never "
                "replaces a table it did not write, --overwrite included: write to another "
                "schema (?schema=...) or drop the table yourself"
            ).format(tables=listed, mark=MARK),
        )
    return sorted(marked)


def attribute_tables(data: MapData, layers: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The GeoPackage's attribute tables: ``field_units``, ``map_metadata``, ``run_kpis``.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers written (their fields are described).

    Returns
    -------
    dict of str to DataFrame
        Table name -> rows; ``run_kpis`` only when the run has KPIs.
    """
    import json

    fields = data.fields.loc[data.fields["layer"].isin(layers)].reset_index(drop=True)
    meta = pd.DataFrame(
        [(k, json.dumps(v) if isinstance(v, list) else str(v)) for k, v in data.metadata.items()],
        columns=["key", "value"],
    )
    tables = {"field_units": fields, "map_metadata": meta}
    if len(data.kpis):
        kpis = data.kpis.copy()
        for col in ("kpi", "key", "unit"):
            kpis[col] = kpis[col].fillna("").astype(str)
        kpis["value"] = pd.to_numeric(kpis["value"], errors="coerce")
        tables["run_kpis"] = kpis
    return tables


def _table_comment(data: MapData, name: str) -> str:
    """What a table holds, after the mark in its comment.

    Parameters
    ----------
    data : MapData
        The map.
    name : str
        A layer or attribute table.

    Returns
    -------
    str
        The layer's description as in the GeoPackage, or the attribute table's.
    """
    from symbiosis.maps.vector import _layer_description

    described = {
        "field_units": _("unit and meaning of each field"),
        "map_metadata": _("what produced this map; CRS"),
        "run_kpis": _("the run's kpis.csv"),
    }
    return described.get(name) or _layer_description(data, name)


def postgis_frame(data: MapData, layer: str) -> gpd.GeoDataFrame:
    """A layer as written to PostGIS: the GeoPackage's columns, geometry ``geom`` of its type.

    Parameters
    ----------
    data : MapData
        The map.
    layer : str
        The layer.

    Returns
    -------
    GeoDataFrame
        Plain column types (as in the GeoPackage), parts promoted to multi-parts where the
        GeoPackage promotes them, index ``fid`` from 1.
    """
    from symbiosis.maps.vector import _geometry_type, _plain_types

    _gtype, promote = _geometry_type(data.layers[layer], layer)
    frame = _plain_types(data.layers[layer]).rename_geometry(GEOMETRY_COLUMN)
    if promote:
        frame[GEOMETRY_COLUMN] = gpd.GeoSeries(
            [_as_multi(geom) for geom in frame.geometry], index=frame.index, crs=frame.crs
        )
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="fid")
    # the geometry last, as the GeoPackage's readers show it
    return frame[[c for c in frame.columns if c != GEOMETRY_COLUMN] + [GEOMETRY_COLUMN]]


def _as_multi(geom: Any) -> Any:
    """A Polygon or LineString as a one-part MultiPolygon or MultiLineString.

    Parameters
    ----------
    geom : shapely geometry or None
        A feature's geometry.

    Returns
    -------
    shapely geometry or None
        The multi-part geometry; anything else (multi-parts, None) unchanged.
    """
    if isinstance(geom, shapely.Polygon):
        return shapely.MultiPolygon([geom])
    if isinstance(geom, shapely.LineString):
        return shapely.MultiLineString([geom])
    return geom


def _write_layer(conn: Any, data: MapData, layer: str, schema: str) -> None:
    """One layer as a PostGIS table with primary key ``fid`` and a spatial index.

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        The connection, in the write's transaction.
    data : MapData
        The map.
    layer : str
        The layer.
    schema : str
        The schema.
    """
    import sqlalchemy as sa
    from geoalchemy2 import Geometry

    from symbiosis.maps.vector import _geometry_type

    frame = postgis_frame(data, layer)
    gtype, _promote = _geometry_type(data.layers[layer], layer)
    frame.to_postgis(
        layer,
        conn,
        schema=schema,
        index=True,
        index_label="fid",
        dtype={GEOMETRY_COLUMN: Geometry(gtype.upper(), srid=4326)},
    )
    table = f"{_quote(conn, schema)}.{_quote(conn, layer)}"
    conn.execute(sa.text(f"ALTER TABLE {table} ADD PRIMARY KEY (fid)"))
    # to_postgis copies CSV, where an empty text is NULL: put the GeoPackage's "" back
    for column in frame.columns.drop(GEOMETRY_COLUMN):
        empty = frame.index[frame[column].map(lambda v: isinstance(v, str) and v == "")]
        if len(empty):
            conn.execute(
                sa.text(f"UPDATE {table} SET {_quote(conn, column)} = '' WHERE fid = ANY(:ids)"),
                {"ids": [int(fid) for fid in empty]},
            )
    srid = conn.execute(
        sa.text("SELECT Find_SRID(:s, :t, :g)"), {"s": schema, "t": layer, "g": GEOMETRY_COLUMN}
    ).scalar()
    if srid != 4326:  # geopandas takes the CRS from the frame: the layers are EPSG:4326
        raise RuntimeError(f"{schema}.{layer}: written with SRID {srid}, not 4326")


def _write_styles(
    conn: Any, data: MapData, layers: Sequence[str], schema: str, replaced: Sequence[str]
) -> None:
    """The layers' default QML + SLD styles in ``public.layer_styles`` (QGIS's table).

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        The connection, in the write's transaction.
    data : MapData
        The map.
    layers : sequence of str
        The layers written.
    schema : str
        Their schema.
    replaced : sequence of str
        The tables whose earlier symbiosis styles are removed (old and new).
    """
    import sqlalchemy as sa

    from symbiosis.maps.data import GEOMETRY
    from symbiosis.maps.vector import STYLE_NAME, layer_style, layer_title

    conn.execute(sa.text(LAYER_STYLES_DDL))
    columns = set(
        conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = 'layer_styles'"
            )
        ).scalars()
    )
    catalog = conn.execute(sa.text("SELECT current_database()")).scalar()
    conn.execute(
        sa.text(
            "DELETE FROM public.layer_styles WHERE f_table_catalog = :cat "
            "AND f_table_schema = :schema AND stylename = :style "
            "AND f_table_name = ANY(:tables)"
        ),
        {"cat": catalog, "schema": schema, "style": STYLE_NAME, "tables": list(replaced)},
    )
    with_type = "type" in columns
    insert = sa.text(
        "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
        "f_geometry_column, stylename, styleqml, stylesld, useasdefault, description"
        + (", type" if with_type else "")
        + ") VALUES (:cat, :schema, :table, :geom, :style, XMLPARSE(DOCUMENT :qml), "
        "XMLPARSE(DOCUMENT :sld), true, :description" + (", :type" if with_type else "") + ")"
    )
    for layer in layers:
        qml, sld = layer_style(data, layer)
        description = _("symbiosis default style: {title}").format(title=layer_title(layer))
        conn.execute(
            insert,
            {
                "cat": catalog,
                "schema": schema,
                "table": layer,
                "geom": GEOMETRY_COLUMN,
                "style": STYLE_NAME,
                "qml": qml,
                "sld": sld,
                "description": description,
                "type": STYLE_TYPE[GEOMETRY[layer]],
            },
        )


__all__ = [
    "FORM",
    "LAYER_STYLES_DDL",
    "MARK",
    "PostgisTarget",
    "attribute_tables",
    "is_database_url",
    "parse_target",
    "postgis_frame",
    "write_postgis",
]
