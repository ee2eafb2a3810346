"""The interactive HTML map: folium (Leaflet) in one self-contained file that works offline.

Everything the page needs is inside it: Leaflet's JavaScript and CSS (with its images as data
URIs) are read from the installed ``xstatic-leaflet`` package and inlined, nothing is linked
from a CDN, and only Leaflet core is used (folium's Popup needs jQuery, so popups are bound
with a small element of our own). Tile layers (online basemaps) are optional backgrounds: when
they cannot load, the province outline, drawn as a filled vector layer, is the background.

Layers in the layer control: one per stream (``Flows: <stream> (<unit>)``, line width by
amount shipped), projects built (highlighted: large magenta stars with their id), existing
plants, candidates not built, sites, parks, prefecture seats, the prefecture summary and
(if asked) the unused candidate links. Every feature has a popup with its figures. A title box
shows the scenario's name and key figures; a legend explains colours, symbols and widths.
Chained flows (a facility's output shipped to another facility) are dashed, in groups of their
own (``Flows: <stream>, chained output``). A year of a multi-year run: the title, the groups
and the legend name the year, and its figures are that year's.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import validate_multi_locations

from symbiosis.case import InputError, Problem
from symbiosis.files import map_kind, write_file
from symbiosis.i18n import N_, current_language
from symbiosis.i18n import gettext as _
from symbiosis.maps import styles
from symbiosis.maps.data import MapData, buffered_extent, fmt_amount
from symbiosis.maps.vector import (
    chained_title,
    facility_label,
    facility_states,
    feature_title,
    layer_title,
    popup_html,
    popup_rows,
)
from symbiosis.maps.words import local_name, per_year

MAP_BACKGROUND = "#dde6ec"


# --------------------------------------------------------------------------------------------
# Offline assets
# --------------------------------------------------------------------------------------------
def leaflet_assets() -> tuple[str, str, str]:
    """(JavaScript, CSS with images inlined, version) of Leaflet from xstatic-leaflet.

    Returns
    -------
    tuple of (str, str, str)
        leaflet.js, leaflet.css with its PNG images as data URIs, and Leaflet's version.

    Raises
    ------
    InputError
        xstatic-leaflet is not installed (the ``maps`` extra).
    """
    try:
        from xstatic.pkg import leaflet
    except ImportError as exc:  # pragma: no cover - the maps extra installs it
        raise InputError(
            [
                Problem(
                    "html",
                    _(
                        "the offline HTML map needs the 'maps' extra (xstatic-leaflet): {error}"
                    ).format(error=exc),
                )
            ],
            "installation",
        ) from None
    base = Path(leaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        file = base / match.group(1)
        if not file.is_file():
            return match.group(0)
        data = base64.b64encode(file.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    return js, css, str(leaflet.VERSION)


_EXTERNAL = re.compile(
    r"<script[^>]*\ssrc=[\"']?([^\"'\s>]+)|<link[^>]*\shref=[\"']?([^\"'\s>]+)", re.IGNORECASE
)


def external_resources(page: str) -> list[str]:
    """URLs of scripts and stylesheets a page loads from elsewhere (must be empty offline).

    Parameters
    ----------
    page : str
        An HTML page.

    Returns
    -------
    list of str
        The ``src`` of each ``<script>`` and the ``href`` of each ``<link>`` that has one.
    """
    return [a or b for a, b in _EXTERNAL.findall(page)]


# --------------------------------------------------------------------------------------------
# Small Leaflet elements of our own (no jQuery)
# --------------------------------------------------------------------------------------------
class BoundPopup(MacroElement):
    """``layer.bindPopup(html)`` for its parent layer (folium's Popup needs jQuery).

    Parameters
    ----------
    content : str
        The popup's HTML (:func:`~symbiosis.maps.vector.popup_html`).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }},
                {"maxWidth": 460});
        {% endmacro %}
        """
    )

    def __init__(self, content: str):
        super().__init__()
        self._name = "BoundPopup"
        self.content = content


class FitBounds(MacroElement):
    """Fit the map to a box when the page loads.

    Parameters
    ----------
    bounds : list of list of float
        [[south, west], [north, east]] in degrees.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }},
                {"paddingTopLeft": [20, 140], "paddingBottomRight": [300, 20]});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "FitBounds"
        self.bounds = bounds


def _marker_svg(state: str) -> tuple[str, int]:
    """The SVG marker of a facility state (as in the legend): a star, a square or a circle.

    Parameters
    ----------
    state : str
        ``built``, ``existing``, ``not_built`` or ``retired`` (a smaller grey square).

    Returns
    -------
    tuple of (str, int)
        The SVG and its size in pixels.
    """
    fill = styles.FACILITY_FILL[state]
    edge = styles.FACILITY_EDGE[state]
    if state == "built":
        size = 26
        pts = []
        for k in range(10):
            r = 12 if k % 2 == 0 else 5
            a = np.pi / 2 + k * np.pi / 5
            pts.append(f"{13 + r * np.cos(a):.1f},{13 - r * np.sin(a):.1f}")
        shape = (
            f'<polygon points="{" ".join(pts)}" fill="{fill}" stroke="{edge}" stroke-width="1.2"/>'
        )
    elif state in ("existing", styles.RETIRED):
        size = 14 if state == "existing" else 12
        side = size - 3
        shape = (
            f'<rect x="1.5" y="1.5" width="{side}" height="{side}" fill="{fill}" '
            f'stroke="{edge}" stroke-width="1.5"/>'
        )
    else:
        size = 12
        shape = f'<circle cx="6" cy="6" r="4.5" fill="{fill}" stroke="{edge}" stroke-width="1.5"/>'
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">{shape}</svg>'
    )
    return svg, size


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------
def _latlon(coords: Sequence[Sequence[float]]) -> list[list[float]]:
    """Leaflet's ``[lat, lon]`` pairs of shapely (x, y[, z]) coordinates.

    Parameters
    ----------
    coords : sequence of sequence of float
        Coordinates (lon, lat, ...).

    Returns
    -------
    list of list of float
        ``[lat, lon]`` each.
    """
    return [[float(y), float(x)] for x, y, *_ in coords]


def _polygon_locations(geom: Any) -> list[Any]:
    """Leaflet latlngs of a Polygon or MultiPolygon (or a collection holding polygons).

    Parameters
    ----------
    geom : shapely geometry in EPSG:4326

    Returns
    -------
    list
        One polygon: its rings (exterior first, then holes) of ``[lat, lon]`` pairs. Several
        polygons: one such list of rings per polygon, the nesting of a Leaflet multi-polygon.
        Empty when ``geom`` is missing or holds no polygon.
    """
    out = [
        [_latlon(poly.exterior.coords)] + [_latlon(ring.coords) for ring in poly.interiors]
        for poly in _polygons(geom)
    ]
    return out[0] if len(out) == 1 else out


def _polygons(geom: Any) -> list[Any]:
    """The non-empty Polygons in ``geom`` (a Polygon, MultiPolygon or collection).

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry.

    Returns
    -------
    list
        Its polygons, collections searched through.
    """
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    return [poly for part in getattr(geom, "geoms", []) for poly in _polygons(part)]


def _depth(locations: Any) -> int:
    """How deeply nested a list of Leaflet locations is.

    Parameters
    ----------
    locations : Any
        Nested lists, ending in numbers.

    Returns
    -------
    int
        The number of list levels down the first elements (a ring of points: 2).
    """
    depth = 0
    while isinstance(locations, list) and locations:
        depth, locations = depth + 1, locations[0]
    return depth


class LeafletPolygon(folium.Polygon):
    """``L.polygon`` for a Polygon or a MultiPolygon, with its holes.

    Leaflet takes either nesting (rings -> points, or polygons -> rings -> points), but
    ``folium.Polygon`` only checks the first; this checks both.

    Parameters
    ----------
    locations : :func:`_polygon_locations` of a geometry (not empty)
    **kwargs : path options, tooltip and popup, as for ``folium.Polygon``
    """

    def __init__(self, locations: list[Any], **kwargs: Any):
        depth = _depth(locations)
        if depth not in (3, 4):
            raise ValueError(
                "polygon locations must be rings of [lat, lon] or polygons of such rings; "
                f"got a nesting of {depth}"
            )
        parts = locations if depth == 4 else [locations]
        super().__init__(parts[0], **kwargs)  # folium checks one polygon's rings...
        checked: list[Any] = [validate_multi_locations(rings) for rings in parts]  # ...all
        self.locations = checked if depth == 4 else checked[0]


def _line_locations(geom: Any) -> list[Any]:
    """Leaflet latlngs of a LineString or a MultiLineString.

    Parameters
    ----------
    geom : shapely geometry
        The line, EPSG:4326.

    Returns
    -------
    list
        ``[lat, lon]`` pairs, or one list of them per part.
    """
    if geom.geom_type == "LineString":
        return _latlon(geom.coords)
    return [_latlon(part.coords) for part in geom.geoms]


def build_html_map(data: MapData, layers: Sequence[str], title: str | None = None) -> folium.Map:
    """The folium map of a run (see the module docstring).

    Parameters
    ----------
    data : MapData
        The map's layers and metadata.
    layers : sequence of str
        The layers to show, each present in ``data``, in drawing order.
    title : str or None
        The page's title; None: the scenario name.

    Returns
    -------
    folium.Map
        The map with Leaflet inlined, a layer control, the title box and the legend; render
        it with ``m.get_root().render()``.
    """
    minx, miny, maxx, maxy = buffered_extent(data)
    m = _new_map(data, title, [(miny + maxy) / 2, (minx + maxx) / 2])
    for layer in layers:
        add = LAYER_ADDERS.get(layer)
        if add is not None:
            add(m, data, layer, data.layers[layer])
    m.add_child(FitBounds([[miny, minx], [maxy, maxx]]))
    # collapsed: an open layer list would cover the legend in the lower right corner
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    root: Any = m.get_root()
    root.html.add_child(Element(_title_box(data, title)), name="symbiosis_title")
    root.html.add_child(Element(_legend_box(data, layers)), name="symbiosis_legend")
    return m


def _new_map(data: MapData, title: str | None, centre: list[float]) -> folium.Map:
    """An empty map with Leaflet inlined (nothing from a CDN), the page's style and two
    backgrounds: online tiles and none.

    Parameters
    ----------
    data : MapData
        The map (its name titles the page when ``title`` is None).
    title : str or None
        The page's title.
    centre : list of float
        [lat, lon] the map opens on (before :class:`FitBounds` fits it).

    Returns
    -------
    folium.Map
        The map, with no layer of the run yet.
    """
    m = folium.Map(location=centre, zoom_start=8, tiles=None, control_scale=True)
    # Nothing from a CDN: Leaflet is inlined below, and no other library is used.
    m.default_js = []
    m.default_css = []
    js, css, _version = leaflet_assets()
    root: Any = m.get_root()  # a branca Figure: header, html, script
    root.title = title or f"symbiosis: {data.name}{data.year_label}"
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    root.header.add_child(Element(_page_css()), name="symbiosis_css")
    folium.TileLayer("OpenStreetMap", name=_("OpenStreetMap (online tiles)"), opacity=0.6).add_to(m)
    folium.FeatureGroup(name=_("No tiles (offline)"), overlay=False, show=False).add_to(m)
    return m


def _popup(data: MapData, layer: str, row: pd.Series) -> BoundPopup:
    """The popup of one feature: its title and a table of its figures.

    Parameters
    ----------
    data : MapData
        The map (units).
    layer : str
        The feature's layer.
    row : Series
        The feature.

    Returns
    -------
    BoundPopup
        To add to the feature's Leaflet layer.
    """
    return BoundPopup(popup_html(feature_title(layer, row), popup_rows(data, layer, row)))


# --------------------------------------------------------------------------------------------
# One function per layer: add its feature group(s) to the map
# --------------------------------------------------------------------------------------------
def _add_province(m: folium.Map, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """The province outline as a filled background that takes no clicks.

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (unused: the outline has no popup).
    layer : str
        ``province``.
    gdf : GeoDataFrame
        Its polygons.
    """
    group = folium.FeatureGroup(name=layer_title(layer), show=True)
    for _index, row in gdf.iterrows():
        locations = _polygon_locations(row.geometry)
        if not locations:
            continue
        LeafletPolygon(
            locations,
            color=styles.PROVINCE_EDGE,
            weight=2,
            fill=True,
            fill_color=styles.PROVINCE_FILL,
            fill_opacity=0.55,
            interactive=False,
        ).add_to(group)
    group.add_to(m)


def _add_parks(m: folium.Map, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """The parks: one Leaflet layer per park (all its parts and holes), with a popup.

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (units for the popups).
    layer : str
        ``parks``.
    gdf : GeoDataFrame
        Its polygons.
    """
    group = folium.FeatureGroup(name=layer_title(layer))
    for _index, row in gdf.iterrows():
        locations = _polygon_locations(row.geometry)
        if not locations:
            continue
        poly = LeafletPolygon(
            locations,
            color=styles.PARK_EDGE,
            weight=1.5,
            fill=True,
            fill_color=styles.PARK_FILL,
            fill_opacity=0.35,
            tooltip=html.escape(feature_title(layer, row)),
        )
        poly.add_child(_popup(data, layer, row))
        poly.add_to(group)
    group.add_to(m)


def _add_seats(m: folium.Map, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """The prefecture seats: small dots with their names always shown.

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (unused: seats have no popup).
    layer : str
        ``prefecture_seats``.
    gdf : GeoDataFrame
        Its points.
    """
    group = folium.FeatureGroup(name=layer_title(layer))
    for _index, row in gdf.iterrows():
        name = local_name(row, "name_en", "name_zh") or str(row.get("name", ""))
        marker = folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=3.5,
            color="#ffffff",
            weight=1,
            fill=True,
            fill_color=styles.SEAT_COLOUR,
            fill_opacity=1.0,
        )
        marker.add_child(
            folium.Tooltip(
                html.escape(name),
                permanent=True,
                direction="right",
                class_name="seat-label",
            )
        )
        marker.add_to(group)
    group.add_to(m)


def _add_lines(m: folium.Map, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """Flows or unused candidate links: one feature group per stream (and one per stream
    of chained flows, "<stream>, chained output", dashed).

    Flows are drawn widest first with their width by amount shipped; links thin and dashed,
    hidden until switched on. On-site flows (no length) have no line.

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (streams, colours, units for the popups).
    layer : str
        ``flows`` or ``links_candidate``.
    gdf : GeoDataFrame
        Its lines.
    """
    labels = dict(zip(data.streams["stream"], data.streams["label"], strict=True))
    candidate = layer == "links_candidate"
    chained = gdf["chained"] == 1 if "chained" in gdf.columns else pd.Series(False, gdf.index)
    for stream in data.streams["stream"]:
        of_stream = gdf["stream"] == stream
        if candidate:
            name = _("Unused links: {stream}").format(stream=labels[stream])
        elif data.year is None:
            name = _("Flows: {stream}").format(stream=labels[stream])
        else:
            name = _("Flows {year}: {stream}").format(year=data.year, stream=labels[stream])
        for rows, group_name in (
            (gdf.loc[of_stream & ~chained], name),
            (gdf.loc[of_stream & chained], chained_title(name)),
        ):
            if len(rows):
                _add_line_group(m, data, layer, rows, group_name)


def _add_line_group(
    m: folium.Map, data: MapData, layer: str, rows: gpd.GeoDataFrame, name: str
) -> None:
    """One feature group of lines of one stream: flows shipped from supply, chained flows
    (dashed: a facility's output) or unused links (thin, dashed, hidden until switched on).

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (colours, units for the popups).
    layer : str
        ``flows`` or ``links_candidate``.
    rows : GeoDataFrame
        The lines, all of one stream (not empty).
    name : str
        The group's name in the layer control.
    """
    candidate = layer == "links_candidate"
    colour = data.colours[str(rows["stream"].iloc[0])]
    group = folium.FeatureGroup(name=name, show=not candidate)
    order = rows.sort_values("width_mm", ascending=False) if not candidate else rows
    for _index, row in order.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty or geom.length == 0:
            continue  # on-site flows: no line to draw (see the facility popup)
        weight = 1.2 if candidate else max(1.2, float(row["width_mm"]) * styles.MM_TO_PX)
        dash = "4 4" if candidate else None
        if row.get("chained") == 1:
            dash = styles.CHAIN_DASH_ARRAY
        line = folium.PolyLine(
            _line_locations(geom),
            color=colour,
            weight=weight,
            opacity=0.55 if candidate else 0.85,
            dash_array=dash,
            tooltip=html.escape(_flow_tooltip(row)),
        )
        line.add_child(_popup(data, layer, row))
        line.add_to(group)
    group.add_to(m)


def _add_sites(m: folium.Map, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """The sites: small dark dots with a popup.

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (units for the popups).
    layer : str
        ``sites``.
    gdf : GeoDataFrame
        Its points.
    """
    group = folium.FeatureGroup(name=layer_title(layer))
    for _index, row in gdf.iterrows():
        marker = folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=3,
            color="#ffffff",
            weight=1,
            fill=True,
            fill_color=styles.SITE_COLOUR,
            fill_opacity=1.0,
            tooltip=html.escape(feature_title(layer, row)),
        )
        marker.add_child(_popup(data, layer, row))
        marker.add_to(group)
    group.add_to(m)


#: the layer control's name of each facility state's group (English; :func:`facility_groups`
#: translates)
FACILITY_GROUPS = {
    "built": N_("Projects built (new)"),
    "existing": N_("Existing plants"),
    "not_built": N_("Candidates not built"),
}


def _add_facilities(m: folium.Map, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """The facilities: one group per state, SVG markers; built projects on top with their id
    always shown.

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (units for the popups).
    layer : str
        ``facilities``.
    gdf : GeoDataFrame
        Its points.
    """
    groups = facility_groups(data.year)
    drawn = [s for s in ("not_built", styles.RETIRED, "existing", "built") if s in groups]
    for state in drawn:
        rows = gdf.loc[gdf["state"] == state]
        if state == styles.RETIRED and len(rows) == 0:
            continue
        group = folium.FeatureGroup(name=groups[state])
        svg, size = _marker_svg(state)
        for _index, row in rows.iterrows():
            pin = folium.Marker(
                [row.geometry.y, row.geometry.x],
                icon=folium.DivIcon(
                    html=svg,
                    icon_size=(size, size),
                    icon_anchor=(size // 2, size // 2),
                    class_name=f"facility-{state}",
                ),
                tooltip=html.escape(feature_title(layer, row)),
                z_index_offset=1000 if state == "built" else 0,
            )
            pin.add_child(_popup(data, layer, row))
            pin.add_to(group)
            if state == "built":
                _built_label(row).add_to(group)
        group.add_to(m)


def facility_groups(year: int | None) -> dict[str, str]:
    """The layer control's name of each facility state's group.

    Parameters
    ----------
    year : int or None
        The year of a multi-year run the map shows; None: a single-period run.

    Returns
    -------
    dict of str to str
        :data:`FACILITY_GROUPS`, or for a year: projects active that year, existing plants,
        candidates not active that year, existing plants retired by then; in the map's
        language.
    """
    if year is None:
        return {state: _(name) for state, name in FACILITY_GROUPS.items()}
    return {
        "built": _("Projects active in {year}").format(year=year),
        "existing": _("Existing plants"),
        "not_built": _("Candidates not active in {year}").format(year=year),
        styles.RETIRED: _("Existing plants retired by {year}").format(year=year),
    }


def _built_label(row: pd.Series) -> folium.CircleMarker:
    """An invisible point carrying a built project's name (and build year, in a multi-year
    run) as a permanent label.

    Parameters
    ----------
    row : Series
        The built facility.

    Returns
    -------
    folium.CircleMarker
        The label's point.
    """
    label = folium.CircleMarker(
        [row.geometry.y, row.geometry.x],
        radius=0,
        opacity=0,
        fill=False,
        interactive=False,
    )
    label.add_child(
        folium.Tooltip(
            html.escape(facility_label(row)),
            permanent=True,
            direction="top",
            offset=(0, -10),
            class_name="built-label",
        )
    )
    return label


def _add_summary(m: folium.Map, data: MapData, layer: str, gdf: gpd.GeoDataFrame) -> None:
    """The prefecture summary: circles whose area grows with the target amount delivered,
    hidden until switched on.

    Parameters
    ----------
    m : folium.Map
        The map.
    data : MapData
        The map's data (units for the popups).
    layer : str
        ``prefecture_summary``.
    gdf : GeoDataFrame
        Its points.
    """
    group = folium.FeatureGroup(name=layer_title(layer), show=False)
    top = float(np.nanmax(gdf["delivered_target_t_yr"].to_numpy(float), initial=0.0))
    for _index, row in gdf.iterrows():
        value = (
            float(row["delivered_target_t_yr"]) if pd.notna(row["delivered_target_t_yr"]) else 0.0
        )
        radius = 5 + 25 * np.sqrt(value / top) if top > 0 else 5
        marker = folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=float(radius),
            color="#3f007d",
            weight=1.5,
            fill=True,
            fill_color=styles.SUMMARY_COLOUR,
            fill_opacity=0.35,
            tooltip=html.escape(
                _("{prefecture}: {amount} delivered").format(
                    prefecture=feature_title(layer, row), amount=per_year(fmt_amount(value, "t"))
                )
            ),
        )
        marker.add_child(_popup(data, layer, row))
        marker.add_to(group)
    group.add_to(m)


#: layer -> the function that adds it to the map
LAYER_ADDERS: dict[str, Callable[[folium.Map, MapData, str, gpd.GeoDataFrame], None]] = {
    "province": _add_province,
    "parks": _add_parks,
    "prefecture_seats": _add_seats,
    "flows": _add_lines,
    "links_candidate": _add_lines,
    "sites": _add_sites,
    "facilities": _add_facilities,
    "prefecture_summary": _add_summary,
}


def _flow_tooltip(row: pd.Series) -> str:
    """A line's tooltip: stream, source -> facility and the amount per year.

    Parameters
    ----------
    row : Series
        A flow (``shipped_yr``) or a candidate link (``max_flow_yr``).

    Returns
    -------
    str
        The text (not escaped).
    """
    amount = per_year(
        fmt_amount(float(row.get("shipped_yr", row.get("max_flow_yr", 0)) or 0), row["unit"])
    )
    arc = {k: row[k] for k in ("stream", "from_site", "facility")}
    if row.get("chained") == 1:
        return _(
            "{stream} (chained output of {maker}): {from_site} \u2192 {facility}, {amount}"
        ).format(maker=row["from_facility"], amount=amount, **arc)
    return _("{stream}: {from_site} \u2192 {facility}, {amount}").format(amount=amount, **arc)


def _page_css() -> str:
    """The page's own style: background, title box, legend, labels, facility markers.

    Returns
    -------
    str
        A ``<style>`` element.
    """
    return (
        "<style>"
        f".folium-map, .leaflet-container {{ background: {MAP_BACKGROUND}; }}"
        ".symbiosis-box { position: fixed; z-index: 1000; background: rgba(255,255,255,0.93);"
        " border: 1px solid #888; border-radius: 4px; padding: 8px 10px;"
        " font: 13px/1.35 'Helvetica Neue', Arial, 'Noto Sans CJK SC', 'PingFang SC',"
        " 'Microsoft YaHei', sans-serif; box-shadow: 0 1px 4px #0004; }"
        "#symbiosis-title { top: 10px; left: 60px; max-width: 420px; }"
        "#symbiosis-title h1 { font-size: 17px; margin: 0 0 4px 0; }"
        "#symbiosis-legend { bottom: 28px; right: 10px; max-width: 280px; max-height: 45vh;"
        " overflow-y: auto; }"
        "#symbiosis-legend h2 { font-size: 13px; margin: 6px 0 3px 0; }"
        "#symbiosis-legend .row { display: flex; align-items: center; gap: 6px; margin: 1px 0; }"
        ".seat-label, .built-label { background: rgba(255,255,255,0.8); border: none;"
        " box-shadow: none; font-weight: 600; padding: 0 3px; }"
        ".seat-label::before, .built-label::before { display: none; }"
        ".facility-built, .facility-existing, .facility-not_built { background: none;"
        " border: none; }"
        "</style>"
    )


def _title_box(data: MapData, title: str | None) -> str:
    """The title box: the title, the run's status and its key figures.

    Parameters
    ----------
    data : MapData
        The map.
    title : str or None
        The title; None: "Scenario <name>" (", <year>" after it for a year of a multi-year
        run, whose key figures are that year's).

    Returns
    -------
    str
        The box's HTML (text escaped).
    """
    heading = html.escape(title or _("Scenario {name}").format(name=data.name + data.year_label))
    status = html.escape(_("Status: {status}")).format(
        status=f"<b>{html.escape(data.status_text)}</b>"
    )
    lines = "".join(f"<div>{html.escape(line)}</div>" for line in data.kpi_lines())
    return (
        f'<div id="symbiosis-title" class="symbiosis-box"><h1>{heading}</h1>'
        f"<div>{status}</div>{lines}</div>"
    )


def _legend_box(data: MapData, layers: Sequence[str]) -> str:
    """The legend: flow colours and widths (chained outputs dashed), facility states, other
    symbols, CRS and credits; a multi-year run's map names its year.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers shown (only their entries are listed).

    Returns
    -------
    str
        The legend's HTML (text escaped).
    """
    legend = html.escape(_("Legend"))
    parts = [f'<div id="symbiosis-legend" class="symbiosis-box"><h2>{legend}</h2>']
    flows = data.layers.get("flows")
    if "flows" in layers and flows is not None and len(flows):
        heading = (
            _("Flows (colour: stream; width: amount shipped)")
            if data.year is None
            else _("Flows in {year} (colour: stream; width: amount shipped)").format(year=data.year)
        )
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        for _index, s in data.streams.iterrows():
            if s["stream"] not in set(flows["stream"]):
                continue
            parts.append(
                f'<div class="row"><svg width="34" height="10"><line x1="1" y1="5" x2="33" '
                f'y2="5" stroke="{s["colour"]}" stroke-width="4"/></svg>'
                f"{html.escape(str(s['label']))}</div>"
            )
        if "chained" in flows.columns and (flows["chained"] == 1).any():
            words = html.escape(_("chained output (a facility's product, dashed)"), quote=False)
            parts.append(
                f'<div class="row"><svg width="34" height="10"><line x1="1" y1="5" x2="33" '
                f'y2="5" stroke="#555" stroke-width="3" '
                f'stroke-dasharray="{styles.CHAIN_DASH_ARRAY}"/></svg>'
                f"{words}</div>"
            )
        for unit in sorted(set(flows["unit"])):
            top = float(flows.loc[flows["unit"] == unit, "shipped_yr"].max())
            for share in (1.0, 0.25):
                amount = top * share
                width = styles.width_for(amount, top) * styles.MM_TO_PX
                parts.append(
                    f'<div class="row"><svg width="34" height="14"><line x1="1" y1="7" x2="33" '
                    f'y2="7" stroke="#555" stroke-width="{width:.1f}"/></svg>'
                    f"{html.escape(per_year(fmt_amount(amount, unit)))}</div>"
                )
    if "facilities" in layers:
        heading = (
            _("Facilities")
            if data.year is None
            else _("Facilities in {year}").format(year=data.year)
        )
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        labels = styles.facility_labels(data.year)
        for state in facility_states(data):
            svg, _size = _marker_svg(state)
            parts.append(f'<div class="row">{svg}{html.escape(labels[state])}</div>')
    extra = []
    if "sites" in layers:
        extra.append(
            (
                f'<svg width="14" height="14"><circle cx="7" cy="7" r="3.5" '
                f'fill="{styles.SITE_COLOUR}"/></svg>',
                _("Site (waste source)"),
            )
        )
    if "parks" in layers and "parks" in data.layers:
        extra.append(
            (
                f'<svg width="14" height="14"><rect x="1" y="1" width="12" height="12" '
                f'fill="{styles.PARK_FILL}" fill-opacity="0.5" stroke="{styles.PARK_EDGE}"'
                "/></svg>",
                _("Industrial park"),
            )
        )
    if "prefecture_seats" in layers and "prefecture_seats" in data.layers:
        extra.append(
            (
                f'<svg width="14" height="14"><circle cx="7" cy="7" r="3.5" '
                f'fill="{styles.SEAT_COLOUR}"/></svg>',
                _("Prefecture seat"),
            )
        )
    if extra:
        other = html.escape(_("Other"))
        parts.append(f"<h2>{other}</h2>")
        parts += [f'<div class="row">{svg}{html.escape(text)}</div>' for svg, text in extra]
    credits = data.metadata.get("credits", "")
    crs = _("CRS EPSG:4326; lengths in {crs}.").format(crs=data.metadata["projected_crs"])
    parts.append(
        f'<div style="margin-top:6px;font-size:11px;color:#555">{html.escape(crs)} '
        f"{html.escape(credits)}</div></div>"
    )
    return "".join(parts)


def write_html(
    data: MapData,
    layers: Sequence[str],
    out: Path,
    title: str | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Render the map to one self-contained HTML file; refuse if anything would be linked.

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers to show, each present in ``data``.
    out : Path
        The .html file.
    title : str or None
        The page's title; None: the scenario name.
    overwrite : bool
        No effect on a file: a file symbiosis did not write is never replaced (the output
        rule of :mod:`symbiosis.files`).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    RuntimeError
        The page would load a script or stylesheet from the network.
    """
    m = build_html_map(data, layers, title)
    page = m.get_root().render()
    if current_language() == "zh":  # browsers pick Chinese glyphs (not Japanese) for Han text
        page = page.replace("<html>", '<html lang="zh-CN">', 1)
    linked = external_resources(page)
    if linked:  # a folium element brought its own CDN link: the page would break offline
        raise RuntimeError(
            "the HTML map would load resources from the network: " + ", ".join(linked)
        )

    def write(path: Path) -> None:
        path.write_text(page, encoding="utf-8")

    return write_file(Path(out), map_kind("html"), write, overwrite=overwrite)


__all__ = ["build_html_map", "external_resources", "leaflet_assets", "write_html"]
