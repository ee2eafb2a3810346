"""Vector outputs: GeoPackage (styled for QGIS), GeoJSON and Shapefile folders, KML.

GeoPackage
    One file: every layer, plus the attribute tables ``field_units`` (layer, field, unit,
    description), ``map_metadata`` (key, value: CRS, projected CRS, run, case, credits) and
    ``run_kpis`` (the run's kpis.csv), and QGIS's ``layer_styles`` table holding a QML and an
    SLD style per layer marked ``useAsDefault``, so QGIS opens each layer styled. The table
    has the schema QGIS itself writes (``id, f_table_catalog, f_table_schema, f_table_name,
    f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui,
    update_time``) and is registered in ``gpkg_contents`` as an attribute table (QGIS's OGR
    provider only finds it there).
GeoJSON
    A folder: ``<layer>.geojson`` (RFC 7946, EPSG:4326), ``<layer>.qml`` beside each (QGIS
    loads a same-named .qml as the default style), ``fields.csv`` and ``metadata.json``.
Shapefile
    A folder: ``<layer>.shp`` (+ .shx, .dbf, .prj, .cpg UTF-8) per layer, ``<layer>.qml``, and
    ``fields.csv`` mapping each full field name to its 10-character shapefile name (see
    :func:`shapefile_names`), with unit and description; README.txt explains it.
KML
    One file for Google Earth: folders per layer (flows per stream), styled placemarks with
    names and an HTML table of figures as popup, and the attributes as ExtendedData.

Chains of plants: the flows that carry a facility's output (``chained`` = 1) are a category
of their own in every style (dashed in QGIS and SLD; a folder "<stream>, chained output" and
a dark outline in KML, which has no dashes) and their title names the facility. A year of a
multi-year run: the facilities' legend says what each state means in that year, ``retired``
included when an existing facility is, and titles name the year.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from symbiosis.files import map_kind, write_file, write_tree
from symbiosis.i18n import N_, current_language
from symbiosis.i18n import gettext as _
from symbiosis.maps import styles
from symbiosis.maps.data import GEOMETRY, MapData, fmt_amount, fmt_money
from symbiosis.maps.words import clauses, local_name, unit_text

STYLE_NAME = "symbiosis"
#: each layer's title (English; :func:`layer_title` translates)
LAYER_TITLES = {
    "province": N_("Province outline"),
    "prefecture_seats": N_("Prefecture seats"),
    "parks": N_("Industrial parks"),
    "links_candidate": N_("Candidate links (unused)"),
    "flows": N_("Flows"),
    "sites": N_("Sites (waste sources)"),
    "facilities": N_("Facilities"),
    "prefecture_summary": N_("Prefecture summary"),
}


def layer_title(layer: str) -> str:
    """A layer's title in the map's language (layer control, KML folder, GeoPackage).

    Parameters
    ----------
    layer : str
        A layer name (``LAYERS``).

    Returns
    -------
    str
        :data:`LAYER_TITLES` of it, translated; the name itself for an unknown layer.
    """
    return _(LAYER_TITLES[layer]) if layer in LAYER_TITLES else layer


def name_label(column: str = "name") -> str:
    """The QGIS label expression of a feature's name in the map's language.

    Parameters
    ----------
    column : str
        The English name's field (``name``, ``name_en`` for the basemap's seats).

    Returns
    -------
    str
        In English ``"name"``; in Chinese ``coalesce(nullif("name_zh", ''), "name")``, the
        Chinese name where there is one.
    """
    if current_language() != "zh":
        return f'"{column}"'
    return f'coalesce(nullif("name_zh", \'\'), "{column}")'


# --------------------------------------------------------------------------------------------
# Styles per layer
# --------------------------------------------------------------------------------------------
def layer_style(data: MapData, layer: str) -> tuple[str, str]:
    """(QML, SLD) for one layer.

    Parameters
    ----------
    data : MapData
        The map (stream colours and labels; the summary's largest amount).
    layer : str
        A layer name (``LAYERS``).

    Returns
    -------
    tuple of (str, str)
        The QGIS QML document and the SLD 1.1 document of the layer's default style.

    Raises
    ------
    KeyError
        A layer with no style.
    """
    return LAYER_STYLES[layer](data, layer)


def _streams_drawn(data: MapData, layer: str) -> list[str]:
    """The streams a line layer has features of, in the order of streams.csv.

    Parameters
    ----------
    data : MapData
        The map.
    layer : str
        ``flows`` or ``links_candidate``.

    Returns
    -------
    list of str
        The streams present; every stream when the layer has none (or is absent).
    """
    present = data.layers[layer]["stream"].unique().tolist() if layer in data.layers else []
    return [s for s in data.streams["stream"] if s in present] or list(data.streams["stream"])


#: the QGIS expression a case with chains categorises its flows by: ``fly_ash`` for supply
#: shipped, ``fly_ash (chained)`` for a facility's output
CHAIN_CATEGORY = "\"stream\" || if(\"chained\" = 1, ' (chained)', '')"


def _chained_streams(data: MapData, layer: str) -> list[str] | None:
    """The streams whose flows carry a facility's output, in the order of streams.csv.

    Parameters
    ----------
    data : MapData
        The map.
    layer : str
        ``flows``.

    Returns
    -------
    list of str or None
        None when the layer has no ``chained`` field (a case without chains of plants).
    """
    gdf = data.layers.get(layer)
    if gdf is None or "chained" not in gdf.columns:
        return None
    present = set(gdf.loc[gdf["chained"] == 1, "stream"])
    return [s for s in data.streams["stream"] if s in present]


def _flows_style(data: MapData, layer: str) -> tuple[str, str]:
    """Flows: categorised by stream, width from ``width_mm``, thin lines drawn over thick;
    in a case with chains of plants, the chained flows of each stream a category of their own
    (dashed, labelled with :data:`~symbiosis.maps.styles.CHAINED_LABEL`).

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    chained = _chained_streams(data, layer)
    if chained is not None:
        return _chained_flows_style(data, layer, chained)
    colours = data.colours
    labels = dict(zip(data.streams["stream"], data.streams["label"], strict=True))
    streams = _streams_drawn(data, layer)
    cats = [
        styles.Category(s, labels[s], styles.line_symbol(colours[s], 1.0, "width_mm"))
        for s in streams
    ]
    qml = styles.qml_categorised("stream", cats, "line", order_by='"width_mm"')
    rules = [
        styles.SldRule(labels[s], styles.sld_line_by_field(colours[s], "width_mm"), "stream", s)
        for s in streams
    ]
    return qml, styles.sld(layer, rules)


def _chained_flows_style(data: MapData, layer: str, chained: list[str]) -> tuple[str, str]:
    """Flows of a case with chains: a solid category per stream shipped from supply and a
    dashed one per stream shipped as a facility's output.

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.
    chained : list of str
        The streams with chained flows (:func:`_chained_streams`).

    Returns
    -------
    tuple of (str, str)
        The QML document (categorised by :data:`CHAIN_CATEGORY`) and the SLD document
        (rules on ``stream`` and ``chained``).
    """
    colours = data.colours
    labels = dict(zip(data.streams["stream"], data.streams["label"], strict=True))
    gdf = data.layers[layer]
    plain = set(gdf.loc[gdf["chained"] != 1, "stream"])
    solid = [s for s in _streams_drawn(data, layer) if s in plain or not chained]
    cats = [
        styles.Category(s, labels[s], styles.line_symbol(colours[s], 1.0, "width_mm"))
        for s in solid
    ]
    cats += [
        styles.Category(
            f"{s} (chained)",
            chained_title(labels[s]),
            styles.line_symbol(colours[s], 1.0, "width_mm", dashed=True),
        )
        for s in chained
    ]
    qml = styles.qml_categorised(CHAIN_CATEGORY, cats, "line", order_by='"width_mm"')
    rules = [
        styles.SldRule(
            labels[s],
            styles.sld_line_by_field(colours[s], "width_mm"),
            "stream",
            s,
            (("chained", "0"),),
        )
        for s in solid
    ]
    rules += [
        styles.SldRule(
            chained_title(labels[s]),
            styles.sld_line_by_field(colours[s], "width_mm", dashed=True),
            "stream",
            s,
            (("chained", "1"),),
        )
        for s in chained
    ]
    return qml, styles.sld(layer, rules)


def chained_title(label: str) -> str:
    """The title of a stream's chained flows: ``Fly ash (t), chained output``.

    Parameters
    ----------
    label : str
        The stream's label (name and unit).

    Returns
    -------
    str
        The label and :func:`~symbiosis.maps.styles.chained_label`, in the map's language.
    """
    return _("{stream}, {what}").format(stream=label, what=styles.chained_label())


def _links_style(data: MapData, layer: str) -> tuple[str, str]:
    """Unused candidate links: categorised by stream, thin, dashed, half transparent, and off
    when the layer is opened (each category unticked: the optimum does not use them).

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    colours = data.colours
    labels = dict(zip(data.streams["stream"], data.streams["label"], strict=True))
    streams = _streams_drawn(data, layer)
    unused = {s: _("{stream}, unused").format(stream=labels[s]) for s in streams}
    cats = [
        styles.Category(
            s,
            unused[s],
            styles.line_symbol(colours[s], 0.2, dashed=True, alpha=0.6),
            shown=False,
        )
        for s in streams
    ]
    qml = styles.qml_categorised("stream", cats, "line")
    rules = [
        styles.SldRule(unused[s], styles.sld_line(colours[s], 0.8, dashed=True), "stream", s)
        for s in streams
    ]
    return qml, styles.sld(layer, rules)


def _facilities_style(data: MapData, layer: str) -> tuple[str, str]:
    """Facilities: categorised by state (built, existing, not built), labelled by name (in
    the map's language).

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    labels = styles.facility_labels(data.year)
    states = facility_states(data)
    cats = [
        styles.Category(
            state,
            labels[state],
            styles.marker_symbol(
                styles.Marker(
                    styles.FACILITY_SHAPE[state],
                    styles.FACILITY_FILL[state],
                    styles.FACILITY_EDGE[state],
                    styles.FACILITY_SIZE_MM[state],
                )
            ),
        )
        for state in states
    ]
    qml = styles.qml_categorised("state", cats, "point", label_field=name_label())
    rules = [
        styles.SldRule(
            labels[state],
            styles.sld_point(
                styles.FACILITY_SHAPE[state],
                styles.FACILITY_FILL[state],
                styles.FACILITY_EDGE[state],
                styles.FACILITY_SIZE_MM[state] * styles.MM_TO_PX,
                hollow=state == "not_built",
            ),
            "state",
            state,
        )
        for state in states
    ]
    return qml, styles.sld(layer, rules)


def facility_states(data: MapData) -> tuple[str, ...]:
    """The facility states the map's styles and legends list (:func:`styles.facility_states`
    of the facilities layer).

    Parameters
    ----------
    data : MapData
        The map.

    Returns
    -------
    tuple of str
        built, existing, not_built, and retired when a facility of the year shown is.
    """
    facilities = data.layers.get("facilities")
    return styles.facility_states([] if facilities is None else facilities["state"])


def facility_label(row: pd.Series) -> str:
    """A facility's label on maps: its name in the map's language (its id when it has no
    name), with its build year in a multi-year run (``Cement kiln (2027)``).

    Parameters
    ----------
    row : Series
        A feature of the facilities layer.

    Returns
    -------
    str
        The label.
    """
    name = local_name(row) or str(row["facility"])
    built_in = row.get("build_year")
    if built_in is None or pd.isna(built_in):
        return name
    return f"{name} ({int(built_in)})"


def _sites_style(data: MapData, layer: str) -> tuple[str, str]:
    """Sites: small dark circles.

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    qml = styles.qml_single(
        styles.marker_symbol(styles.Marker("circle", styles.SITE_COLOUR, "#ffffff", 1.8, 0.2)),
        "point",
    )
    return qml, styles.sld(
        layer,
        [styles.SldRule(_("Site"), styles.sld_point("circle", styles.SITE_COLOUR, "#ffffff", 7))],
    )


def _parks_style(data: MapData, layer: str) -> tuple[str, str]:
    """Parks: translucent green, labelled by name (in the map's language).

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    qml = styles.qml_single(
        styles.fill_symbol(styles.PARK_FILL, styles.PARK_EDGE, 0.4, fill_alpha=90),
        "polygon",
        label_field=name_label(),
    )
    return qml, styles.sld(
        layer,
        [
            styles.SldRule(
                _("Industrial park"), styles.sld_polygon(styles.PARK_FILL, styles.PARK_EDGE)
            )
        ],
    )


def _province_style(data: MapData, layer: str) -> tuple[str, str]:
    """The province: an opaque pale background with a grey outline.

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    qml = styles.qml_single(
        styles.fill_symbol(styles.PROVINCE_FILL, styles.PROVINCE_EDGE, 0.6, fill_alpha=255),
        "polygon",
    )
    return qml, styles.sld(
        layer,
        [
            styles.SldRule(
                _("Province"), styles.sld_polygon(styles.PROVINCE_FILL, styles.PROVINCE_EDGE, 1.0)
            )
        ],
    )


def _seats_style(data: MapData, layer: str) -> tuple[str, str]:
    """Prefecture seats: black squares labelled with their name (Chinese or English, as the
    map's language).

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    qml = styles.qml_single(
        styles.marker_symbol(styles.Marker("square", styles.SEAT_COLOUR, "#ffffff", 1.6, 0.2)),
        "point",
        label_field=name_label("name_en"),
    )
    field = "name_zh" if current_language() == "zh" else "name_en"
    sym = styles.sld_point("square", styles.SEAT_COLOUR, "#ffffff", 6) + styles.sld_text(field)
    return qml, styles.sld(layer, [styles.SldRule(_("Prefecture seat"), sym)])


def _summary_style(data: MapData, layer: str) -> tuple[str, str]:
    """The prefecture summary: purple circles, their diameter (2-12 mm) growing with the
    square root of the target amount delivered, labelled by prefecture.

    Parameters
    ----------
    data : MapData
        The map (streams, colours and labels; the layer's features).
    layer : str
        The layer's name.

    Returns
    -------
    tuple of (str, str)
        The QML and SLD documents.
    """
    top = (
        float(np.nanmax(data.layers[layer]["delivered_target_t_yr"].to_numpy(float), initial=0.0))
        if layer in data.layers
        else 0.0
    )
    top = top if np.isfinite(top) and top > 0 else 1.0
    size = f'coalesce(scale_linear(sqrt("delivered_target_t_yr"), 0, {np.sqrt(top):.6g}, 2, 12), 2)'
    marker = styles.Marker("circle", styles.SUMMARY_COLOUR, "#3f007d", 4.0, 0.3, fill_alpha=110)
    qml = styles.qml_single(
        styles.marker_symbol(marker, size_expression=size),
        "point",
        label_field=name_label("prefecture").replace('"name_zh"', '"prefecture_zh"'),
    )
    return qml, styles.sld(
        layer,
        [
            styles.SldRule(
                _("Prefecture summary"),
                styles.sld_point("circle", styles.SUMMARY_COLOUR, "#3f007d", 14),
            )
        ],
    )


#: layer -> the function giving its (QML, SLD)
LAYER_STYLES: dict[str, Callable[[MapData, str], tuple[str, str]]] = {
    "flows": _flows_style,
    "links_candidate": _links_style,
    "facilities": _facilities_style,
    "sites": _sites_style,
    "parks": _parks_style,
    "province": _province_style,
    "prefecture_seats": _seats_style,
    "prefecture_summary": _summary_style,
}


# --------------------------------------------------------------------------------------------
# Writing helpers
# --------------------------------------------------------------------------------------------
def _geometry_type(gdf: gpd.GeoDataFrame, layer: str) -> tuple[str, bool]:
    """The geometry type a layer is written with.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer's features.
    layer : str
        Its name (:data:`~symbiosis.maps.data.GEOMETRY`).

    Returns
    -------
    tuple of (str, bool)
        The OGR geometry type, and whether single parts are promoted to multi-parts
        (polygons always; lines when some feature is a MultiLineString).
    """
    kind = GEOMETRY[layer]
    types = set(gdf.geometry.geom_type.dropna().unique()) if len(gdf) else set()
    if kind == "polygon":
        return "MultiPolygon", True
    if kind == "line":
        if any(t.startswith("Multi") for t in types):
            return "MultiLineString", True
        return "LineString", False
    return "Point", False


def _layer_description(data: MapData, layer: str) -> str:
    """A layer's description for the GeoPackage's metadata: what it is, the CRSs, the units.

    Parameters
    ----------
    data : MapData
        The map.
    layer : str
        The layer.

    Returns
    -------
    str
        One paragraph.
    """
    units = data.fields.loc[data.fields["layer"] == layer]
    with_units = [f"{f} [{u}]" for f, u in zip(units["field"], units["unit"], strict=True) if u]
    what = {"title": layer_title(layer), "run": data.name, "year": data.year}
    head = (
        _("{title} of run '{run}'").format(**what)
        if data.year is None
        else _("{title} of run '{run}' in {year}").format(**what)
    )
    return _(
        "{head}. CRS EPSG:4326; lengths and areas in {crs} ({crs_name}). Units: {units}"
    ).format(
        head=head,
        crs=data.metadata["projected_crs"],
        crs_name=data.metadata["projected_crs_name"],
        units="; ".join(with_units),
    )


def _write_layer(
    gdf: gpd.GeoDataFrame,
    path: Path,
    layer: str,
    driver: str,
    data: MapData,
    layer_options: dict[str, Any] | None = None,
) -> None:
    """Write one layer with pyogrio: plain column types, the layer's geometry type and, in a
    GeoPackage, its description and CRSs as layer metadata.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer's features (columns may be renamed, as for a shapefile).
    path : Path
        The file to write (or add the layer to).
    layer : str
        The layer's name (``LAYERS``).
    driver : str
        The OGR driver (``GPKG``, ``GeoJSON``, ``ESRI Shapefile``).
    data : MapData
        The map (its metadata and field dictionary).
    layer_options : dict or None
        OGR layer creation options.
    """
    gtype, promote = _geometry_type(gdf, layer)
    frame = _plain_types(gdf)
    kwargs: dict[str, Any] = {}
    if driver == "GPKG":
        meta = {
            "DESCRIPTION": _layer_description(data, layer)[:2000],
            "CRS": data.metadata["crs"],
            "PROJECTED_CRS": data.metadata["projected_crs"],
            "PROJECTED_CRS_NAME": data.metadata["projected_crs_name"],
        }
        kwargs["layer_metadata"] = meta
    pyogrio.write_dataframe(
        frame,
        path,
        layer=layer,
        driver=driver,
        geometry_type=gtype,
        promote_to_multi=promote,
        layer_options=layer_options or {},
        **kwargs,
    )


def _plain_types(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns as float, int or str (object columns with mixed content become text).

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer.

    Returns
    -------
    GeoDataFrame
        A copy whose object columns hold text or None (NaN becomes None).
    """
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        series = out[col]
        if series.dtype == object:
            out[col] = series.map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
    return out


# --------------------------------------------------------------------------------------------
# GeoPackage
# --------------------------------------------------------------------------------------------
def write_gpkg(data: MapData, layers: Sequence[str], out: Path, *, overwrite: bool = False) -> Path:
    """Write the layers, the attribute tables and the QGIS styles into one GeoPackage.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers to write, each present in ``data``.
    out : Path
        The .gpkg file.
    overwrite : bool
        No effect on a file: a file symbiosis did not write is never replaced (the output
        rule of :mod:`symbiosis.files`).

    Returns
    -------
    Path
        The file written: the layers, ``field_units``, ``map_metadata``, ``run_kpis`` (when
        the run has KPIs) and ``layer_styles`` (module docstring).
    """

    def write(path: Path) -> None:
        for layer in layers:
            _write_layer(
                data.layers[layer],
                path,
                layer,
                "GPKG",
                data,
                {"IDENTIFIER": layer_title(layer), "DESCRIPTION": _layer_description(data, layer)},
            )
        fields = data.fields.loc[data.fields["layer"].isin(layers)].reset_index(drop=True)
        pyogrio.write_dataframe(
            fields,
            path,
            layer="field_units",
            driver="GPKG",
            layer_options={"DESCRIPTION": _("unit and meaning of each field")},
        )
        meta = pd.DataFrame(
            [
                (k, json.dumps(v) if isinstance(v, list) else str(v))
                for k, v in data.metadata.items()
            ],
            columns=["key", "value"],
        )
        pyogrio.write_dataframe(
            meta,
            path,
            layer="map_metadata",
            driver="GPKG",
            layer_options={"DESCRIPTION": _("what produced this map; CRS")},
        )
        if len(data.kpis):
            kpis = data.kpis.copy()
            for col in ("kpi", "key", "unit"):
                kpis[col] = kpis[col].fillna("").astype(str)
            kpis["value"] = pd.to_numeric(kpis["value"], errors="coerce")
            pyogrio.write_dataframe(
                kpis,
                path,
                layer="run_kpis",
                driver="GPKG",
                layer_options={"DESCRIPTION": _("the run's kpis.csv")},
            )
        write_layer_styles(path, data, layers)

    return write_file(out, map_kind("gpkg"), write, overwrite=overwrite)


def write_layer_styles(path: Path, data: MapData, layers: Sequence[str]) -> None:
    """Add QGIS's ``layer_styles`` table: one default QML + SLD style per layer.

    Parameters
    ----------
    path : Path
        A GeoPackage holding ``layers``.
    data : MapData
        The map (:func:`layer_style` of each layer).
    layers : sequence of str
        The layers to style.
    """
    geometry_column = {
        name: info["geometry_name"] or "geom"
        for name in layers
        for info in [pyogrio.read_info(path, layer=name)]
    }
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    rows = []
    for layer in layers:
        qml, sld = layer_style(data, layer)
        rows.append(
            {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": layer,
                "f_geometry_column": geometry_column[layer],
                "styleName": STYLE_NAME,
                "styleQML": qml,
                "styleSLD": sld,
                "useAsDefault": True,
                "description": _("symbiosis default style: {title}").format(
                    title=layer_title(layer)
                ),
                "owner": "",
                "ui": "",
                "update_time": pd.Timestamp(now, tz="UTC"),
            }
        )
    frame = pd.DataFrame(rows)
    pyogrio.write_dataframe(
        frame, path, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"}
    )


# --------------------------------------------------------------------------------------------
# GeoJSON folder
# --------------------------------------------------------------------------------------------
def write_geojson_folder(
    data: MapData, layers: Sequence[str], out: Path, *, overwrite: bool = False
) -> Path:
    """One RFC 7946 GeoJSON file per layer, with .qml styles, fields.csv and metadata.json.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers to write, each present in ``data``.
    out : Path
        The folder.
    overwrite : bool
        Write it beside files symbiosis did not write (never replacing one).

    Returns
    -------
    Path
        The folder written.
    """

    def write(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for layer in layers:
            _write_layer(
                data.layers[layer],
                folder / f"{layer}.geojson",
                layer,
                "GeoJSON",
                data,
                {
                    "RFC7946": "YES",
                    "WRITE_NAME": "YES",
                    "DESCRIPTION": layer_title(layer),
                },
            )
            (folder / f"{layer}.qml").write_text(layer_style(data, layer)[0], encoding="utf-8")
        fields = data.fields.loc[data.fields["layer"].isin(layers)]
        fields.to_csv(folder / "fields.csv", index=False)
        (folder / "metadata.json").write_text(
            json.dumps(_metadata_json(data, layers), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )

    return write_tree(out, map_kind("geojson"), write, overwrite=overwrite)


def _metadata_json(data: MapData, layers: Sequence[str]) -> dict[str, Any]:
    """metadata.json of a GeoJSON or Shapefile folder.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers written.

    Returns
    -------
    dict
        The map's metadata, each layer's title, feature count and geometry, and the run's
        summary.
    """
    return {
        **data.metadata,
        "layers": {
            layer: {
                "title": layer_title(layer),
                "features": len(data.layers[layer]),
                "geometry": GEOMETRY[layer],
            }
            for layer in layers
        },
        "summary": data.summary,
    }


# --------------------------------------------------------------------------------------------
# Shapefile folder
# --------------------------------------------------------------------------------------------
SHAPEFILE_ABBREVIATIONS: dict[str, str] = {
    "facility_name": "fac_name",
    "from_facility": "from_fac",
    "from_facility_name": "from_fname",
    "geometry_source": "geom_src",
    "transport_cost_cny_yr": "trans_cny",
    "link_cost_cny_yr": "link_cny",
    "cost_cny_yr": "cost_cny",
    "co2_transport_t_yr": "co2_tr_t",
    "shipped_yr": "shipped",
    "delivered_yr": "delivered",
    "capacity_yr": "capacity",
    "intake_yr": "intake",
    "fixed_opex_cny_yr": "fopex_cny",
    "annual_cost_cny_yr": "ann_cny",
    "co2_avoided_t_yr": "co2_av_t",
    "unit_cost_cny_per_unit": "ucost_cny",
    "co2_kg_per_unit": "co2_kg_u",
    "max_flow_yr": "max_flow",
    "supply_target_t_yr": "sup_tgt_t",
    "unused_target_t_yr": "unu_tgt_t",
    "unused_cost_cny_yr": "unu_cny",
    "delivered_target_t_yr": "dlv_tgt_t",
    "facility_cost_cny_yr": "fac_cny",
    "n_facilities": "n_fac",
    "population_geonames": "population",
    "prefecture_en": "pref_en",
    "prefecture_zh": "pref_zh",
    "site_name_zh": "site_nm_zh",
    "from_name_zh": "from_nm_zh",
    "facility_name_zh": "fac_nm_zh",
    "from_facility_name_zh": "from_fn_zh",
}
_STREAM_FIELD = re.compile(r"^(supply|unused|intake|delivered)_(.+)_(t|mwh)_yr$")
_STREAM_PREFIX = {"supply": "s", "unused": "u", "intake": "i", "delivered": "d"}


def shapefile_names(columns: Sequence[str]) -> dict[str, str]:
    """Full field name -> shapefile name of at most 10 characters, unique per layer.

    Rules, in order: names of 10 characters or fewer are kept; fixed abbreviations
    (``SHAPEFILE_ABBREVIATIONS``, e.g. ``transport_cost_cny_yr`` -> ``trans_cny``); per-stream
    fields ``<supply|unused|intake|delivered>_<stream>_<unit>_yr`` -> ``<s|u|i|d>_<stream>``
    cut to 10; anything else cut to 10. A clash gets a digit in its last place(s). The unit
    dropped from a name is in fields.csv.

    Parameters
    ----------
    columns : sequence of str
        A layer's field names (without the geometry), in order.

    Returns
    -------
    dict of str to str
        Each field -> its shapefile name (unique ignoring case).
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        if len(col) <= 10:
            short = col
        elif col in SHAPEFILE_ABBREVIATIONS:
            short = SHAPEFILE_ABBREVIATIONS[col]
        elif m := _STREAM_FIELD.match(col):
            short = f"{_STREAM_PREFIX[m.group(1)]}_{m.group(2)}"[:10]
        else:
            short = col[:10]
        base, k = short, 1
        while short.lower() in taken:
            suffix = str(k)
            short = base[: 10 - len(suffix)] + suffix
            k += 1
        taken.add(short.lower())
        out[col] = short
    return out


def write_shapefile_folder(
    data: MapData, layers: Sequence[str], out: Path, *, overwrite: bool = False
) -> Path:
    """One shapefile per layer (UTF-8 .cpg), .qml styles, fields.csv and README.txt.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers to write, each present in ``data``.
    out : Path
        The folder.
    overwrite : bool
        Write it beside files symbiosis did not write (never replacing one).

    Returns
    -------
    Path
        The folder written; fields.csv maps each full field name to its shapefile name
        (:func:`shapefile_names`), with unit and description.
    """

    def write(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for layer in layers:
            gdf = data.layers[layer]
            names = shapefile_names([c for c in gdf.columns if c != gdf.geometry.name])
            renamed = gdf.rename(columns=names)
            _write_layer(
                renamed,
                folder / f"{layer}.shp",
                layer,
                "ESRI Shapefile",
                data,
                {"ENCODING": "UTF-8"},
            )
            qml = layer_style(data, layer)[0]
            for full, short in names.items():
                if full != short:
                    qml = qml.replace(f'"{full}"', f'"{short}"').replace(
                        f"&quot;{full}&quot;", f"&quot;{short}&quot;"
                    )
            (folder / f"{layer}.qml").write_text(qml, encoding="utf-8")
            described = data.fields.loc[data.fields["layer"] == layer].set_index("field")
            for full, short in names.items():
                rows.append(
                    (
                        layer,
                        full,
                        short,
                        described["unit"].get(full, "") if full in described.index else "",
                        described["description"].get(full, "") if full in described.index else "",
                    )
                )
        mapping = pd.DataFrame(
            rows, columns=["layer", "field", "shapefile_field", "unit", "description"]
        )
        mapping.to_csv(folder / "fields.csv", index=False)
        (folder / "metadata.json").write_text(
            json.dumps(_metadata_json(data, layers), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        (folder / "README.txt").write_text(_shapefile_readme(data, mapping), encoding="utf-8")

    return write_tree(out, map_kind("shp"), write, overwrite=overwrite)


def _shapefile_readme(data: MapData, mapping: pd.DataFrame) -> str:
    """README.txt of a Shapefile folder: the CRSs, the encoding and the field names.

    Parameters
    ----------
    data : MapData
        The map.
    mapping : DataFrame
        fields.csv: layer, field, shapefile_field, unit, description.

    Returns
    -------
    str
        The text.
    """
    meta = data.metadata
    lines = [
        _("symbiosis map of run '{run}' as shapefiles (one per layer).").format(run=data.name),
        "",
        _("Coordinates: EPSG:4326 (WGS 84 longitude/latitude), see each .prj."),
        _("Lengths (line_km) and areas (area_km2) were computed in {crs} ({crs_name}).").format(
            crs=meta["projected_crs"], crs_name=meta["projected_crs_name"]
        ),
        _("Text is UTF-8 (.cpg). QGIS loads <layer>.qml as the layer's style."),
        "",
        _(
            "Shapefile field names are limited to 10 characters. fields.csv maps every full "
            "field name (as in the GeoPackage and GeoJSON outputs) to its shapefile name, with "
            "its unit:"
        ),
        "",
    ]
    width = max([len(f) for f in mapping["field"]] + [5])
    for layer, group in mapping.groupby("layer", sort=False):
        lines.append(f"[{layer}]")
        for short, full, unit in zip(
            group["shapefile_field"], group["field"], group["unit"], strict=True
        ):
            shown = f"  [{unit}]" if unit else ""
            lines.append(f"  {short:<10}  {full:<{width}}{shown}")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# KML
# --------------------------------------------------------------------------------------------
def _kml_colour(colour: str, alpha: int = 255) -> str:
    """A colour as KML writes it: ``aabbggrr``.

    Parameters
    ----------
    colour : str
        ``#rrggbb``.
    alpha : int
        Opacity, 0-255.

    Returns
    -------
    str
        Eight hex digits.
    """
    r, g, b, _alpha = styles.rgb(colour)
    return f"{alpha:02x}{b:02x}{g:02x}{r:02x}"


def _cell(value: Any, field: str = "") -> str:
    """A value as popups and KML ExtendedData show it.

    Parameters
    ----------
    value : Any
        A feature's value.
    field : str
        Its field (percentages and efficiencies keep two decimals).

    Returns
    -------
    str
        Empty for None, NaN and infinity; a float with thousands separators, two decimals
        below 100 (and for ``*_pct``, ``efficiency``), none from 100; anything else as text.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, float | np.floating):
        if field.endswith(("_pct", "efficiency")) or abs(float(value)) < 100:
            return f"{value:,.2f}"
        return f"{value:,.0f}"
    return str(value)


def _id_words(column: str, value: str) -> str:
    """A tech or mode id in words (``cement kiln``, ``水泥窑``; the id when not known)."""
    from symbiosis.report.labels import mode_label, tech_label

    return tech_label(value) if column == "tech" else mode_label(value)


def popup_rows(data: MapData, layer: str, row: pd.Series) -> list[tuple[str, str, str]]:
    """(label with unit, formatted value, field) for a feature's popup.

    Parameters
    ----------
    data : MapData
        The map (the layer's units and field descriptions).
    layer : str
        The feature's layer.
    row : Series
        The feature.

    Returns
    -------
    list of (str, str, str)
        For every field but the geometry, width and coordinates: what it holds, in words
        and in the map's language (its description in the field dictionary, the field's
        name when it has none), with its unit (``amount shipped, measured at the source
        [t/yr]``); the value as text (a tech or mode id in words:
        :func:`symbiosis.report.labels.tech_label`, ``mode_label``); and the field's name.
        Empty values and zero per-stream amounts are left out.
    """
    units = data.units(layer)
    words = data.descriptions(layer)
    out = []
    for col, value in row.items():
        if col in ("geometry", "width_mm", "lon", "lat"):
            continue
        unit = units.get(str(col), "")
        if unit == "unit/yr" and "unit" in row:
            unit = f"{row['unit']}/yr"
        elif unit == "unit/yr":
            unit = "/yr"
        text = _cell(value, str(col))
        if col in ("tech", "mode") and text:
            text = _id_words(str(col), text)
        if text == "" or (
            isinstance(value, float)
            and value == 0
            and str(col).startswith(("supply_", "unused_", "intake_", "delivered_"))
            and not str(col).endswith("target_t_yr")
        ):
            continue
        label = words.get(str(col)) or str(col)
        out.append((f"{label} [{unit_text(unit)}]" if unit else label, text, str(col)))
    return out


def popup_html(title: str, rows: Sequence[tuple[str, ...]]) -> str:
    """A popup's HTML: the title in bold over a table of figures (all text escaped).

    Parameters
    ----------
    title : str
        The feature's title (:func:`feature_title`).
    rows : sequence of (str, str) or (str, str, str)
        (label, value[, field]) each (:func:`popup_rows`); a field's name is shown small
        and grey under its label, so that the popup and the attribute table meet.

    Returns
    -------
    str
        The HTML.
    """
    from html import escape

    cells = []
    for label, value, *field in rows:
        name = (
            f"<br><span style='font-weight:normal;color:#777;font-size:10px'>{escape(field[0])}"
            "</span>"
            if field and field[0] != label
            else ""
        )
        cells.append(
            f"<tr><th style='text-align:left;padding-right:8px'>{escape(label)}{name}</th>"
            f"<td style='text-align:right'>{escape(value)}</td></tr>"
        )
    return f"<b>{escape(title)}</b><table style='font-size:12px'>{''.join(cells)}</table>"


def feature_title(layer: str, row: pd.Series) -> str:
    """A feature's name in popups, tooltips and KML: ``A: Phosphate mine``, ``pg: A → P2 (road)``.

    Parameters
    ----------
    layer : str
        The feature's layer.
    row : Series
        The feature.

    Returns
    -------
    str
        Its title (the layer's name for an unknown layer).
    """
    if layer in ("flows", "links_candidate"):
        arc = {k: row.get(k, "") for k in ("stream", "from_site", "facility", "mode")}
        arc["mode"] = _id_words("mode", str(arc["mode"])) if arc["mode"] else arc["mode"]
        if layer == "flows" and row.get("chained") == 1:
            return _(
                "{stream} (chained output of {maker}): {from_site} \u2192 {facility} ({mode})"
            ).format(maker=row["from_facility"], **arc)
        return _("{stream}: {from_site} \u2192 {facility} ({mode})").format(**arc)
    if layer == "facilities":
        built_in = row.get("build_year")
        what = {"id": row["facility"], "name": local_name(row)}
        if built_in is not None and not pd.isna(built_in):  # a multi-year run's plan
            return _("{id}: {name} (built {year})").format(year=int(built_in), **what)
        return _("{id}: {name}").format(**what)
    if layer == "sites":
        return _("{id}: {name}").format(id=row["site"], name=local_name(row))
    if layer == "parks":
        return _("{id}: {name}").format(id=row["park"], name=local_name(row))
    if layer == "prefecture_seats":
        return local_name(row, "name_en", "name_zh") or str(row.get("name", ""))
    if layer == "prefecture_summary":
        chinese = row.get("prefecture_zh") if current_language() == "zh" else None
        return str(chinese) if isinstance(chinese, str) and chinese else str(row["prefecture"])
    if layer == "province":
        return local_name(row) or _("Province")
    return layer


def write_kml(data: MapData, layers: Sequence[str], out: Path, *, overwrite: bool = False) -> Path:
    """A KML document for Google Earth (simplekml).

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers to write, each present in ``data``: a folder each (flows and links with
        a sub-folder per stream); empty layers are left out.
    out : Path
        The .kml file.
    overwrite : bool
        No effect on a file: a file symbiosis did not write is never replaced (the output
        rule of :mod:`symbiosis.files`).

    Returns
    -------
    Path
        The file written.
    """
    import simplekml

    kml = simplekml.Kml(name=f"symbiosis: {data.name}" + (f" ({data.year})" if data.year else ""))
    kml.document.description = _(
        "Scenario {name} ({status}). {figures}. CRS EPSG:4326. {credits}"
    ).format(
        name=data.name,
        status=data.status_text,
        figures=clauses(data.kpi_lines()),
        credits=data.metadata.get("credits", ""),
    )
    for layer in layers:
        gdf = data.layers[layer]
        if len(gdf) == 0:
            continue
        folder = kml.newfolder(name=layer_title(layer))
        if layer in ("flows", "links_candidate"):
            _kml_lines(folder, data, layer, gdf)
        else:
            _kml_places(folder, data, layer, gdf)

    def write(path: Path) -> None:
        # Unformatted: minidom's pretty printing takes seconds for a few hundred features.
        text = kml.kml(format=False)
        if not text.startswith("<?xml"):
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + text
        path.write_text(text, encoding="utf-8")

    return write_file(out, map_kind("kml"), write, overwrite=overwrite)


def _kml_data(placemark: Any, row: pd.Series) -> None:
    """Every attribute of ``row`` (but the geometry) as the placemark's ExtendedData.

    Parameters
    ----------
    placemark : simplekml feature
        The placemark.
    row : Series
        Its feature.
    """
    for col, value in row.items():
        if col == "geometry":
            continue
        placemark.extendeddata.newdata(name=str(col), value=_cell(value, str(col)))


def _kml_lines(folder: Any, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """Flows or candidate links: a sub-folder per stream (and one per stream of chained
    flows, "<stream>, chained output"), a styled line per feature.

    Parameters
    ----------
    folder : simplekml.Folder
        The layer's folder.
    data : MapData
        The map (streams, colours, labels, units).
    layer : str
        ``flows`` or ``links_candidate``.
    gdf : GeoDataFrame
        Its lines.
    """
    colours = data.colours
    labels = dict(zip(data.streams["stream"], data.streams["label"], strict=True))
    chained = gdf["chained"] == 1 if "chained" in gdf.columns else pd.Series(False, gdf.index)
    for stream in [s for s in data.streams["stream"] if s in set(gdf["stream"])]:
        of_stream = gdf["stream"] == stream
        for rows, name in (
            (gdf.loc[of_stream & ~chained], labels[stream]),
            (gdf.loc[of_stream & chained], chained_title(labels[stream])),
        ):
            if len(rows) == 0:
                continue
            sub = folder.newfolder(name=name)
            for _index, row in rows.iterrows():
                _kml_line(sub, layer, row, colours[stream], data)
                _kml_data(sub.features[-1], row)


def _kml_places(folder: Any, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """Points and polygons: a styled placemark per feature with a popup and its data.

    Parameters
    ----------
    folder : simplekml.Folder
        The layer's folder.
    data : MapData
        The map (units for the popups).
    layer : str
        A point or polygon layer.
    gdf : GeoDataFrame
        Its features (those without geometry are left out).
    """
    for _index, row in gdf.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        title = feature_title(layer, row)
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            placemark = _kml_polygon(folder, layer, title, geom)
        else:
            placemark = folder.newpoint(name=title, coords=[(geom.x, geom.y)])
            _kml_point_style(placemark, layer, row)
        placemark.description = popup_html(title, popup_rows(data, layer, row))
        _kml_data(placemark, row)


def _kml_polygon(folder: Any, layer: str, title: str, geom: Any) -> Any:
    """A polygon placemark (a multi-geometry for several parts), with its holes; the
    province outline unfilled, parks in translucent green.

    Parameters
    ----------
    folder : simplekml.Folder
        The layer's folder.
    layer : str
        ``province`` or ``parks``.
    title : str
        The placemark's name.
    geom : shapely Polygon or MultiPolygon
        In EPSG:4326.

    Returns
    -------
    simplekml.Polygon or simplekml.MultiGeometry
        The placemark, styled.
    """
    polys = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
    rings = [
        {
            "outerboundaryis": list(p.exterior.coords),
            "innerboundaryis": [list(r.coords) for r in p.interiors],
        }
        for p in polys
    ]
    if len(polys) == 1:
        placemark = folder.newpolygon(name=title, **rings[0])
    else:
        placemark = folder.newmultigeometry(name=title)
        for ring in rings:
            placemark.newpolygon(**ring)
    fill, edge, alpha = (
        (styles.PROVINCE_FILL, styles.PROVINCE_EDGE, 0)
        if layer == "province"
        else (styles.PARK_FILL, styles.PARK_EDGE, 110)
    )
    placemark.style.polystyle.color = _kml_colour(fill, alpha)
    placemark.style.polystyle.fill = 1 if alpha else 0
    placemark.style.linestyle.color = _kml_colour(edge)
    placemark.style.linestyle.width = 2
    return placemark


def _kml_line(folder: Any, layer: str, row: pd.Series, colour: str, data: MapData) -> None:
    """A line placemark for a flow (width from ``width_mm``; a chained flow outlined in
    :data:`~symbiosis.maps.styles.CHAIN_OUTLINE`, gx:outerColor) or a candidate link (thin,
    half transparent), with its popup.

    Parameters
    ----------
    folder : simplekml.Folder
        The stream's folder.
    layer : str
        ``flows`` or ``links_candidate``.
    row : Series
        The feature (a LineString or MultiLineString).
    colour : str
        The stream's colour.
    data : MapData
        The map (units for the popup).
    """
    geom = row.geometry
    parts = [geom] if geom.geom_type == "LineString" else list(geom.geoms)
    title = feature_title(layer, row)
    coords = [c for part in parts for c in part.coords]
    line = folder.newlinestring(name=title, coords=coords, tessellate=1)
    if layer == "flows":
        line.style.linestyle.width = round(float(row["width_mm"]) * styles.MM_TO_PX, 1)
        line.style.linestyle.color = _kml_colour(colour)
        if row.get("chained") == 1:  # KML has no dashes: a dark outline marks a chain
            line.style.linestyle.gxoutercolor = _kml_colour(styles.CHAIN_OUTLINE)
            line.style.linestyle.gxouterwidth = 0.35
    else:
        line.style.linestyle.width = 1
        line.style.linestyle.color = _kml_colour(colour, 140)
    line.description = popup_html(title, popup_rows(data, layer, row))


def _kml_point_style(placemark: Any, layer: str, row: pd.Series) -> None:
    """Style a point placemark by its layer (facilities by state, labelled when built).

    Parameters
    ----------
    placemark : simplekml.Point
        The placemark.
    layer : str
        Its layer.
    row : Series
        Its feature.
    """
    icons = {
        "square": "http://maps.google.com/mapfiles/kml/shapes/placemark_square.png",
        "star": "http://maps.google.com/mapfiles/kml/shapes/star.png",
        "circle": "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png",
    }
    style = placemark.style
    if layer == "facilities":
        state = str(row["state"])
        style.iconstyle.icon.href = icons[styles.FACILITY_SHAPE[state]]
        style.iconstyle.color = _kml_colour(
            styles.FACILITY_FILL[state]
            if state not in ("not_built", styles.RETIRED)
            else styles.FACILITY_EDGE[state]
        )
        style.iconstyle.scale = 1.4 if state == "built" else 1.0
        style.labelstyle.scale = 0.9 if state == "built" else 0.0
    elif layer == "prefecture_summary":
        style.iconstyle.icon.href = icons["circle"]
        style.iconstyle.color = _kml_colour(styles.SUMMARY_COLOUR)
        style.labelstyle.scale = 0.8
    elif layer == "prefecture_seats":
        style.iconstyle.icon.href = icons["square"]
        style.iconstyle.color = _kml_colour(styles.SEAT_COLOUR)
        style.iconstyle.scale = 0.7
        style.labelstyle.scale = 0.9
    else:
        style.iconstyle.icon.href = icons["circle"]
        style.iconstyle.color = _kml_colour(styles.SITE_COLOUR)
        style.iconstyle.scale = 0.6
        style.labelstyle.scale = 0.0


__all__ = [
    "CHAIN_CATEGORY",
    "LAYER_TITLES",
    "chained_title",
    "facility_label",
    "facility_states",
    "fmt_amount",
    "fmt_money",
    "layer_style",
    "layer_title",
    "name_label",
    "popup_html",
    "popup_rows",
    "shapefile_names",
    "write_geojson_folder",
    "write_gpkg",
    "write_kml",
    "write_layer_styles",
    "write_shapefile_folder",
]
