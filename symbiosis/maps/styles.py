"""Colours, symbols and layer styles shared by every map format.

One palette serves the GeoPackage's QGIS styles, the KML, the HTML map and the PNG, so a stream
has the same colour everywhere. Facilities are drawn by *state*: ``existing`` (blue square),
``built`` (a candidate the optimiser builds: magenta star, larger), ``not_built`` (a
candidate left out: hollow grey circle) and, on a year of a multi-year run, ``retired`` (an
existing facility past its ``retire_year``: small grey square). Chained flows (a facility's
output shipped on) are dashed in their stream's colour.

Flow line widths grow with the square root of the amount shipped, per unit (t and MWh are
scaled separately):

.. math::

   width = w_{min} + (w_{max} - w_{min}) \\sqrt{shipped / \\max_{same\\ unit} shipped}

in millimetres (``width_mm``, stored on the flows layer so QGIS, KML, HTML and PNG agree).

:func:`qml` and :func:`sld` write the QGIS and OGC styles stored in a GeoPackage's
``layer_styles`` table (and beside shapefiles and GeoJSON files as ``<layer>.qml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import numpy as np

from symbiosis.i18n import N_, gettext

WIDTH_MIN_MM = 0.35
WIDTH_MAX_MM = 3.2
MM_TO_PX = 96.0 / 25.4  # CSS pixels per millimetre
MM_TO_PT = 72.0 / 25.4

KNOWN_STREAM_COLOURS: dict[str, str] = {
    "phosphogypsum": "#1b9e77",
    "fly_ash": "#7570b3",
    "steel_slag": "#1f78b4",
    "slag": "#1f78b4",
    "red_mud": "#a6761d",
    "manganese_slag": "#984ea3",
    "manganese_residue": "#984ea3",
    "coal_gangue": "#4d4d4d",
    "gangue": "#4d4d4d",
    "waste_heat": "#e31a1c",
    "desulfurization_gypsum": "#66a61e",
    "fgd_gypsum": "#66a61e",
    # outside PALETTE: the Guizhou case's 13th stream would otherwise cycle onto fgd_gypsum's
    "ferroalloy_slag": "#f781bf",
}
PALETTE: tuple[str, ...] = (
    "#d95f02",
    "#1b9e77",
    "#7570b3",
    "#e6ab02",
    "#1f78b4",
    "#66a61e",
    "#a6761d",
    "#984ea3",
    "#e31a1c",
    "#4d4d4d",
    "#17becf",
    "#bcbd22",
)

FACILITY_STATES: tuple[str, ...] = ("built", "existing", "not_built")
#: the state of an existing facility no longer active in the year a map shows (multi-year runs)
RETIRED = "retired"
#: the legend's words for each facility state (English; :func:`facility_labels` translates)
FACILITY_LABELS = {
    "built": N_("Built by the optimiser (new project)"),
    "existing": N_("Existing plant"),
    "not_built": N_("Candidate not built"),
    RETIRED: N_("Existing plant, retired"),
}
FACILITY_FILL = {
    "built": "#c51b7d",
    "existing": "#4575b4",
    "not_built": "#ffffff",
    RETIRED: "#d9d9d9",
}
FACILITY_EDGE = {
    "built": "#000000",
    "existing": "#1a3a6b",
    "not_built": "#7f7f7f",
    RETIRED: "#6e6e6e",
}
FACILITY_SHAPE = {"built": "star", "existing": "square", "not_built": "circle", RETIRED: "square"}
FACILITY_SIZE_MM = {"built": 5.0, "existing": 3.2, "not_built": 2.6, RETIRED: 2.8}

#: the legend's words for a chained flow: a facility's output shipped to another facility
#: (English; :func:`chained_label` translates)
CHAINED_LABEL = N_("chained output")
#: chained flows are dashed in their stream's colour: dash and gap, in line widths (QGIS,
#: matplotlib) and as an SVG/Leaflet dash array (pixels)
CHAIN_DASH = (3.0, 1.5)
CHAIN_DASH_ARRAY = "8 5"
#: KML has no dashes: a chained flow gets this outline (gx:outerColor) instead
CHAIN_OUTLINE = "#111111"


def facility_states(present: Iterable[str]) -> tuple[str, ...]:
    """The facility states a map's legends and styles list.

    Parameters
    ----------
    present : iterable of str
        The states of the facilities layer's features.

    Returns
    -------
    tuple of str
        :data:`FACILITY_STATES`, and :data:`RETIRED` after them when a feature has it (a
        multi-year run's map of a year after an existing facility's ``retire_year``).
    """
    return (*FACILITY_STATES, RETIRED) if RETIRED in set(present) else FACILITY_STATES


def facility_labels(year: int | None = None) -> dict[str, str]:
    """The legend's text for each facility state.

    Parameters
    ----------
    year : int or None
        The year a multi-year run's map shows; None: a single-period run.

    Returns
    -------
    dict of str to str
        State -> label in the map's language: :data:`FACILITY_LABELS` for a single-period
        run; for a year, what the state means in that year (a candidate active in it, or
        not active in it; an existing plant retired by it).
    """
    if year is None:
        return {state: gettext(label) for state, label in FACILITY_LABELS.items()}
    return {
        "built": gettext("Project active in {year} (new)").format(year=year),
        "existing": gettext("Existing plant"),
        "not_built": gettext("Candidate not active in {year}").format(year=year),
        RETIRED: gettext("Existing plant, retired by {year}").format(year=year),
    }


def chained_label() -> str:
    """The legend's words for a chained flow, in the map's language.

    Returns
    -------
    str
        :data:`CHAINED_LABEL`, translated.
    """
    return gettext(CHAINED_LABEL)


SITE_COLOUR = "#222222"
PARK_FILL = "#74c476"
PARK_EDGE = "#238b45"
PROVINCE_FILL = "#f4f1e8"
PROVINCE_EDGE = "#5a5a5a"
SEAT_COLOUR = "#000000"
CANDIDATE_LINK_COLOUR = "#9e9e9e"
SUMMARY_COLOUR = "#6a51a3"


def stream_colours(streams: Iterable[str]) -> dict[str, str]:
    """A colour per stream: fixed for well-known ids, else the palette in order.

    The same case always gets the same colours (the order is that of streams.csv).

    Parameters
    ----------
    streams : iterable of str
        The stream ids, in the order of streams.csv.

    Returns
    -------
    dict of str to str
        Stream id -> ``#rrggbb``: :data:`KNOWN_STREAM_COLOURS` for a known id (each colour
        once), the unused colours of :data:`PALETTE` in order for the others, cycling through
        the palette when they run out.
    """
    streams = list(streams)
    out: dict[str, str] = {}
    used: set[str] = set()
    for s in streams:
        if s in KNOWN_STREAM_COLOURS and KNOWN_STREAM_COLOURS[s] not in used:
            out[s] = KNOWN_STREAM_COLOURS[s]
            used.add(out[s])
    free = [c for c in PALETTE if c not in used]
    k = 0
    for s in streams:
        if s in out:
            continue
        if k < len(free):
            out[s] = free[k]
        else:  # more streams than colours: cycle, still deterministic
            out[s] = PALETTE[k % len(PALETTE)]
        used.add(out[s])
        k += 1
    return out


def flow_widths(shipped: np.ndarray, units: Sequence[str]) -> np.ndarray:
    """Line width in mm for each flow: square-root scaling per unit (see module docstring).

    Parameters
    ----------
    shipped : ndarray
        The amount shipped by each flow.
    units : sequence of str
        Each flow's unit; flows of one unit are scaled against the largest of that unit.

    Returns
    -------
    ndarray
        Widths in mm from :data:`WIDTH_MIN_MM` to :data:`WIDTH_MAX_MM`, to the micrometre.
    """
    shipped = np.asarray(shipped, dtype=float)
    units_arr = np.asarray(list(units), dtype=object)
    width = np.full(len(shipped), WIDTH_MIN_MM)
    for unit in set(units_arr.tolist()):
        rows = units_arr == unit
        top = float(np.nanmax(shipped[rows])) if rows.any() else 0.0
        if top > 0:
            share = np.sqrt(np.clip(shipped[rows] / top, 0.0, 1.0))
            width[rows] = WIDTH_MIN_MM + (WIDTH_MAX_MM - WIDTH_MIN_MM) * share
    return np.round(width, 3)


def width_for(amount: float, top: float) -> float:
    """The width (mm) :func:`flow_widths` gives ``amount`` when the largest flow is ``top``.

    Parameters
    ----------
    amount : float
        An amount shipped.
    top : float
        The largest amount shipped in the same unit.

    Returns
    -------
    float
        The line width in mm (:data:`WIDTH_MIN_MM` when ``top`` is not positive).
    """
    if top <= 0:
        return WIDTH_MIN_MM
    return WIDTH_MIN_MM + (WIDTH_MAX_MM - WIDTH_MIN_MM) * float(
        np.sqrt(min(max(amount / top, 0.0), 1.0))
    )


def rgb(colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    """``#rrggbb`` -> (r, g, b, a) integers.

    Parameters
    ----------
    colour : str
        ``#rrggbb`` (the ``#`` may be left out).
    alpha : int
        The opacity to return with it, 0-255.

    Returns
    -------
    tuple of int
        (red, green, blue, alpha), each 0-255.
    """
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16), alpha


def _qcolour(colour: str, alpha: int = 255) -> str:
    """A colour as QGIS writes it: ``r,g,b,a``.

    Parameters
    ----------
    colour : str
        ``#rrggbb``.
    alpha : int
        Opacity, 0-255.

    Returns
    -------
    str
        Four integers separated by commas.
    """
    r, g, b, a = rgb(colour, alpha)
    return f"{r},{g},{b},{a}"


# --------------------------------------------------------------------------------------------
# QGIS QML
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    """One class of a categorised style: features whose field equals ``value``.

    Parameters
    ----------
    value : str
        The field's value.
    label : str
        The legend's text.
    symbol : str
        The ``<symbol>`` XML (:func:`line_symbol`, :func:`marker_symbol`,
        :func:`fill_symbol`); :func:`qml_categorised` names it.
    shown : bool
        The category is drawn when the layer is opened (False: its box in QGIS's layer
        panel is unticked, as for candidate links the optimum does not use).
    """

    value: str
    label: str
    symbol: str  # XML of a <symbol> without its name attribute filled (see _symbol)
    shown: bool = True


def _props(props: dict[str, str]) -> str:
    """A symbol layer's ``<prop k=... v=.../>`` elements.

    Parameters
    ----------
    props : dict of str to str
        Property -> value.

    Returns
    -------
    str
        The XML, attributes quoted.
    """
    return "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())


def _data_defined(properties: dict[str, tuple[str, str]]) -> str:
    """``<data_defined_properties>``: name -> (kind 'field'|'expression', field or expression).

    Parameters
    ----------
    properties : dict of str to (str, str)
        QGIS property name (``outlineWidth``, ``size`` ...) -> (``field`` or ``expression``,
        the field's name or the expression).

    Returns
    -------
    str
        The XML (an empty collection when ``properties`` is empty).
    """
    if not properties:
        return (
            '<data_defined_properties><Option type="Map"><Option name="name" value="" '
            'type="QString"/><Option name="properties"/><Option name="type" value="collection" '
            'type="QString"/></Option></data_defined_properties>'
        )
    items = []
    for name, (kind, text) in properties.items():
        if kind == "field":
            body = (
                f'<Option name="field" value={quoteattr(text)} type="QString"/>'
                '<Option name="type" value="2" type="int"/>'
            )
        else:
            body = (
                f'<Option name="expression" value={quoteattr(text)} type="QString"/>'
                '<Option name="type" value="3" type="int"/>'
            )
        items.append(
            f'<Option name={quoteattr(name)} type="Map">'
            '<Option name="active" value="true" type="bool"/>' + body + "</Option>"
        )
    return (
        '<data_defined_properties><Option type="Map"><Option name="name" value="" type="QString"/>'
        '<Option name="properties" type="Map">' + "".join(items) + "</Option>"
        '<Option name="type" value="collection" type="QString"/></Option>'
        "</data_defined_properties>"
    )


def _symbol(kind: str, layer_xml: str, name: str = "0", alpha: float = 1.0) -> str:
    """A ``<symbol>`` holding one symbol layer.

    Parameters
    ----------
    kind : str
        ``marker``, ``line`` or ``fill``.
    layer_xml : str
        The ``<layer>`` XML.
    name : str
        The symbol's name in its renderer.
    alpha : float
        Its opacity, 0-1.

    Returns
    -------
    str
        The XML.
    """
    return (
        f'<symbol name={quoteattr(name)} type="{kind}" alpha="{alpha:g}" clip_to_extent="1" '
        f'force_rhr="0">{layer_xml}</symbol>'
    )


def line_symbol(
    colour: str,
    width_mm: float,
    width_field: str | None = None,
    dashed: bool = False,
    alpha: float = 1.0,
    name: str = "0",
) -> str:
    """A QGIS simple line symbol; ``width_field`` makes the width data-defined (mm).

    Parameters
    ----------
    colour : str
        ``#rrggbb``.
    width_mm : float
        The width in mm (when no ``width_field``).
    width_field : str or None
        A field holding each feature's width in mm.
    dashed : bool
        A dashed line instead of a solid one.
    alpha : float
        The symbol's opacity, 0-1.
    name : str
        The symbol's name in its renderer.

    Returns
    -------
    str
        The ``<symbol>`` XML.
    """
    props = {
        "line_color": _qcolour(colour),
        "line_width": f"{width_mm:g}",
        "line_width_unit": "MM",
        "line_style": "dash" if dashed else "solid",
        "capstyle": "round",
        "joinstyle": "round",
        "offset": "0",
        "offset_unit": "MM",
        "use_custom_dash": "0",
        "draw_inside_polygon": "0",
    }
    dd = {"outlineWidth": ("field", width_field)} if width_field else {}
    layer = (
        '<layer class="SimpleLine" enabled="1" locked="0" pass="0">'
        + _props(props)
        + _data_defined(dd)
        + "</layer>"
    )
    return _symbol("line", layer, name, alpha)


@dataclass(frozen=True)
class Marker:
    """The look of a simple point marker.

    Parameters
    ----------
    shape : str
        QGIS's name of the shape (``circle``, ``square``, ``star``, ...).
    fill : str
        Fill colour, ``#rrggbb``.
    edge : str
        Outline colour, ``#rrggbb``.
    size_mm : float
        Diameter in millimetres.
    edge_width_mm : float
        Outline width in millimetres.
    fill_alpha : int
        Opacity of the fill, 0-255.
    """

    shape: str
    fill: str
    edge: str
    size_mm: float
    edge_width_mm: float = 0.3
    fill_alpha: int = 255


def marker_symbol(marker: Marker, size_expression: str | None = None, name: str = "0") -> str:
    """A QGIS simple marker symbol.

    Parameters
    ----------
    marker : Marker
        Its shape, colours and size.
    size_expression : str or None
        A QGIS expression giving the size (mm) per feature; None: ``marker.size_mm`` for all.
    name : str
        The symbol's name in its renderer.

    Returns
    -------
    str
        The ``<symbol>`` XML.
    """
    shape, fill, edge = marker.shape, marker.fill, marker.edge
    size_mm, edge_width_mm, fill_alpha = marker.size_mm, marker.edge_width_mm, marker.fill_alpha
    props = {
        "name": shape,
        "color": _qcolour(fill, fill_alpha),
        "outline_color": _qcolour(edge),
        "outline_style": "solid",
        "outline_width": f"{edge_width_mm:g}",
        "outline_width_unit": "MM",
        "size": f"{size_mm:g}",
        "size_unit": "MM",
        "scale_method": "diameter",
        "angle": "0",
        "joinstyle": "miter",
        "horizontal_anchor_point": "1",
        "vertical_anchor_point": "1",
        "offset": "0,0",
        "offset_unit": "MM",
    }
    dd = {"size": ("expression", size_expression)} if size_expression else {}
    layer = (
        '<layer class="SimpleMarker" enabled="1" locked="0" pass="0">'
        + _props(props)
        + _data_defined(dd)
        + "</layer>"
    )
    return _symbol("marker", layer, name)


def fill_symbol(
    fill: str, edge: str, edge_width_mm: float = 0.4, fill_alpha: int = 255, name: str = "0"
) -> str:
    """A QGIS simple fill (``fill_alpha`` 0 for an outline only).

    Parameters
    ----------
    fill : str
        Fill colour, ``#rrggbb``.
    edge : str
        Outline colour, ``#rrggbb``.
    edge_width_mm : float
        Outline width in mm.
    fill_alpha : int
        Opacity of the fill, 0-255 (0: no fill).
    name : str
        The symbol's name in its renderer.

    Returns
    -------
    str
        The ``<symbol>`` XML.
    """
    props = {
        "color": _qcolour(fill, fill_alpha),
        "style": "solid" if fill_alpha > 0 else "no",
        "outline_color": _qcolour(edge),
        "outline_style": "solid",
        "outline_width": f"{edge_width_mm:g}",
        "outline_width_unit": "MM",
        "joinstyle": "round",
        "offset": "0,0",
        "offset_unit": "MM",
    }
    layer = (
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        + _props(props)
        + _data_defined({})
        + "</layer>"
    )
    return _symbol("fill", layer, name)


def _with_name(symbol: str, name: str) -> str:
    """``symbol`` renamed ``name`` (symbols are made with the name ``0``).

    Parameters
    ----------
    symbol : str
        A ``<symbol>`` XML named ``0``.
    name : str
        Its new name.

    Returns
    -------
    str
        The XML.
    """
    return symbol.replace('<symbol name="0"', f"<symbol name={quoteattr(name)}", 1)


def _labeling(field: str, size_pt: float = 8.0, colour: str = "#000000") -> str:
    """QGIS simple labelling by ``field``: text with a white buffer, beside the feature.

    Parameters
    ----------
    field : str
        The field to label with, or a QGIS expression (``"name"``, ``coalesce(...)``: any
        text that is not a plain field name).
    size_pt : float
        Font size in points.
    colour : str
        Text colour, ``#rrggbb``.

    Returns
    -------
    str
        The ``<labeling>`` XML.
    """
    r, g, b, a = rgb(colour)
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f"<text-style fieldName={quoteattr(field)} "
        f'isExpression="{0 if field.isidentifier() else 1}" fontSize="{size_pt:g}" '
        f'fontSizeUnit="Point" textColor="{r},{g},{b},{a}" fontFamily="Sans Serif" '
        'fontWeight="50" fontItalic="0" textOpacity="1" multilineHeight="1"/>'
        '<text-format wrapChar="" autoWrapLength="0" plussign="0" reverseDirectionSymbol="0" '
        'formatNumbers="0" decimals="3" rightDirectionSymbol="&gt;" leftDirectionSymbol="&lt;" '
        'addDirectionSymbol="0" placeDirectionSymbol="0" multilineAlign="0"/>'
        '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.85" bufferJoinStyle="128" '
        'bufferNoFill="1"/>'
        '<placement placement="6" dist="1.2" distUnits="MM" quadOffset="2" offsetType="0" '
        'priority="5" xOffset="0" yOffset="0" offsetUnits="MM"/>'
        '<rendering scaleVisibility="0" obstacle="1" fontLimitPixelSize="0" drawLabels="1" '
        'upsidedownLabels="0" limitNumLabels="0" displayAll="0" labelPerPart="0" '
        'mergeLines="0" minFeatureSize="0" zIndex="0"/>'
        "</settings></labeling>"
    )


_GEOMETRY_CODE = {"point": 0, "line": 1, "polygon": 2}


def qml_single(symbol: str, geometry: str, label_field: str | None = None) -> str:
    """A QML document with a single-symbol renderer.

    Parameters
    ----------
    symbol : str
        The ``<symbol>`` XML, named ``0``.
    geometry : str
        ``point``, ``line`` or ``polygon``.
    label_field : str or None
        A field to label features with; None: no labels.

    Returns
    -------
    str
        The QML document.
    """
    renderer = (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{symbol}</symbols><rotation/><sizescale/></renderer-v2>"
    )
    return _qml_document(renderer, geometry, label_field)


def qml_categorised(
    field: str,
    categories: Sequence[Category],
    geometry: str,
    label_field: str | None = None,
    order_by: str | None = None,
) -> str:
    """A QML document with a categorised renderer on ``field``.

    ``order_by`` (an expression) sets the rendering order, e.g. thin lines under thick ones.

    Parameters
    ----------
    field : str
        The field whose value picks the category.
    categories : sequence of Category
        The categories, in legend order.
    geometry : str
        ``point``, ``line`` or ``polygon``.
    label_field : str or None
        A field to label features with; None: no labels.
    order_by : str or None
        A QGIS expression features are drawn in ascending order of; None: the data's order.

    Returns
    -------
    str
        The QML document.
    """
    cats = "".join(
        f'<category symbol="{i}" value={quoteattr(c.value)} label={quoteattr(c.label)} '
        f'render="{"true" if c.shown else "false"}" type="string"/>'
        for i, c in enumerate(categories)
    )
    symbols = "".join(_with_name(c.symbol, str(i)) for i, c in enumerate(categories))
    order = ""
    enable_order = "0"
    if order_by:
        enable_order = "1"
        order = (
            '<orderby><orderByClause asc="1" nullsFirst="0">'
            + order_by.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            + "</orderByClause></orderby>"
        )
    renderer = (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
        f'enableorderby="{enable_order}" forceraster="0">'
        f"<categories>{cats}</categories><symbols>{symbols}</symbols>"
        f"{order}<rotation/><sizescale/></renderer-v2>"
    )
    return _qml_document(renderer, geometry, label_field)


def _qml_document(renderer: str, geometry: str, label_field: str | None) -> str:
    """A whole QML document around a renderer.

    Parameters
    ----------
    renderer : str
        The ``<renderer-v2>`` XML.
    geometry : str
        ``point``, ``line`` or ``polygon``.
    label_field : str or None
        A field to label features with; None: labels off.

    Returns
    -------
    str
        The QML document (QGIS 3.22, symbology and labelling).
    """
    labels = _labeling(label_field) if label_field else ""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0-Białowieża" styleCategories="Symbology|Labeling" '
        f'labelsEnabled="{1 if label_field else 0}" hasScaleBasedVisibilityFlag="0" '
        'minScale="100000000" maxScale="0">\n'
        f"{renderer}\n{labels}\n"
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        "<layerOpacity>1</layerOpacity>"
        f"<layerGeometryType>{_GEOMETRY_CODE[geometry]}</layerGeometryType>\n"
        "</qgis>\n"
    )


# --------------------------------------------------------------------------------------------
# OGC SLD 1.1 (for GeoServer, ArcGIS, ... and the styleSLD column)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SldRule:
    """One SLD rule: a title, an optional ``field = value`` filter and a symbolizer.

    Parameters
    ----------
    title : str
        The rule's name and legend title.
    symbolizer : str
        The symbolizer XML (:func:`sld_line`, :func:`sld_point`, :func:`sld_polygon` ...).
    field : str or None
        The field of the filter; None: every feature.
    value : str or None
        The value ``field`` must equal.
    also : tuple of (str, str)
        Further ``(field, value)`` pairs the feature must equal too (all of them: an
        ``ogc:And`` filter); only with ``field``.
    """

    title: str
    symbolizer: str
    field: str | None = None
    value: str | None = None
    also: tuple[tuple[str, str], ...] = ()


def sld_line(colour: str, width_px: float, dashed: bool = False) -> str:
    """An SLD line symbolizer of fixed width.

    Parameters
    ----------
    colour : str
        ``#rrggbb``.
    width_px : float
        The width in pixels.
    dashed : bool
        Dashed (4 on, 2 off) instead of solid.

    Returns
    -------
    str
        The ``<se:LineSymbolizer>`` XML.
    """
    dash = '<se:SvgParameter name="stroke-dasharray">4 2</se:SvgParameter>' if dashed else ""
    return (
        "<se:LineSymbolizer><se:Stroke>"
        f'<se:SvgParameter name="stroke">{colour}</se:SvgParameter>'
        f'<se:SvgParameter name="stroke-width">{width_px:.2f}</se:SvgParameter>'
        '<se:SvgParameter name="stroke-linecap">round</se:SvgParameter>'
        f"{dash}</se:Stroke></se:LineSymbolizer>"
    )


def sld_line_by_field(colour: str, field: str, dashed: bool = False) -> str:
    """A stroke whose width (mm) is read from ``field`` and converted to pixels.

    Parameters
    ----------
    colour : str
        ``#rrggbb``.
    field : str
        The field holding each feature's width in mm.
    dashed : bool
        Dashed (:data:`CHAIN_DASH_ARRAY`, a chained flow) instead of solid.

    Returns
    -------
    str
        The ``<se:LineSymbolizer>`` XML.
    """
    dash = (
        f'<se:SvgParameter name="stroke-dasharray">{CHAIN_DASH_ARRAY}</se:SvgParameter>'
        if dashed
        else ""
    )
    return (
        "<se:LineSymbolizer><se:Stroke>"
        f'<se:SvgParameter name="stroke">{colour}</se:SvgParameter>'
        '<se:SvgParameter name="stroke-width"><ogc:Mul>'
        f"<ogc:PropertyName>{field}</ogc:PropertyName><ogc:Literal>{MM_TO_PX:.4f}</ogc:Literal>"
        "</ogc:Mul></se:SvgParameter>"
        '<se:SvgParameter name="stroke-linecap">round</se:SvgParameter>'
        f"{dash}</se:Stroke></se:LineSymbolizer>"
    )


def sld_point(shape: str, fill: str, edge: str, size_px: float, hollow: bool = False) -> str:
    """An SLD point symbolizer: a well-known mark.

    Parameters
    ----------
    shape : str
        ``circle``, ``square`` or ``star`` (anything else: a circle).
    fill : str
        Fill colour, ``#rrggbb``.
    edge : str
        Outline colour, ``#rrggbb``.
    size_px : float
        The size in pixels.
    hollow : bool
        No fill, the outline only.

    Returns
    -------
    str
        The ``<se:PointSymbolizer>`` XML.
    """
    well_known = {"circle": "circle", "square": "square", "star": "star"}.get(shape, "circle")
    fill_xml = (
        ""
        if hollow
        else f'<se:Fill><se:SvgParameter name="fill">{fill}</se:SvgParameter></se:Fill>'
    )
    return (
        "<se:PointSymbolizer><se:Graphic><se:Mark>"
        f"<se:WellKnownName>{well_known}</se:WellKnownName>{fill_xml}"
        f'<se:Stroke><se:SvgParameter name="stroke">{edge}</se:SvgParameter>'
        '<se:SvgParameter name="stroke-width">1</se:SvgParameter></se:Stroke>'
        f"</se:Mark><se:Size>{size_px:.1f}</se:Size></se:Graphic></se:PointSymbolizer>"
    )


def sld_polygon(fill: str | None, edge: str, opacity: float = 0.35) -> str:
    """An SLD polygon symbolizer.

    Parameters
    ----------
    fill : str or None
        Fill colour, ``#rrggbb``; None: the outline only.
    edge : str
        Outline colour, ``#rrggbb``.
    opacity : float
        Opacity of the fill, 0-1.

    Returns
    -------
    str
        The ``<se:PolygonSymbolizer>`` XML.
    """
    fill_xml = (
        ""
        if fill is None
        else (
            f'<se:Fill><se:SvgParameter name="fill">{fill}</se:SvgParameter>'
            f'<se:SvgParameter name="fill-opacity">{opacity:g}</se:SvgParameter></se:Fill>'
        )
    )
    return (
        f"<se:PolygonSymbolizer>{fill_xml}<se:Stroke>"
        f'<se:SvgParameter name="stroke">{edge}</se:SvgParameter>'
        '<se:SvgParameter name="stroke-width">1</se:SvgParameter>'
        "</se:Stroke></se:PolygonSymbolizer>"
    )


def sld_text(field: str) -> str:
    """An SLD text symbolizer: labels from ``field`` with a white halo.

    Parameters
    ----------
    field : str
        The field to label features with.

    Returns
    -------
    str
        The ``<se:TextSymbolizer>`` XML.
    """
    return (
        "<se:TextSymbolizer><se:Label>"
        f"<ogc:PropertyName>{field}</ogc:PropertyName></se:Label>"
        '<se:Font><se:SvgParameter name="font-size">11</se:SvgParameter></se:Font>'
        '<se:Halo><se:Radius>1.5</se:Radius><se:Fill><se:SvgParameter name="fill">#ffffff'
        "</se:SvgParameter></se:Fill></se:Halo></se:TextSymbolizer>"
    )


def sld(layer: str, rules: Sequence[SldRule]) -> str:
    """An SLD 1.1 document with one rule per entry (a legend entry each).

    Parameters
    ----------
    layer : str
        The layer's name.
    rules : sequence of SldRule
        The rules, in legend order.

    Returns
    -------
    str
        The SLD document.
    """
    body = []
    for rule in rules:
        flt = ""
        if rule.field is not None:
            tests = "".join(
                "<ogc:PropertyIsEqualTo>"
                f"<ogc:PropertyName>{name}</ogc:PropertyName>"
                f"<ogc:Literal>{_xml_text(value or '')}</ogc:Literal>"
                "</ogc:PropertyIsEqualTo>"
                for name, value in ((rule.field, rule.value), *rule.also)
            )
            flt = (
                f"<ogc:Filter>{f'<ogc:And>{tests}</ogc:And>' if rule.also else tests}</ogc:Filter>"
            )
        body.append(
            f"<se:Rule><se:Name>{_xml_text(rule.title)}</se:Name>"
            f"<se:Description><se:Title>{_xml_text(rule.title)}</se:Title></se:Description>"
            f"{flt}{rule.symbolizer}</se:Rule>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" '
        'xmlns:ogc="http://www.opengis.net/ogc" xmlns:se="http://www.opengis.net/se" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1.0" '
        'xsi:schemaLocation="http://www.opengis.net/sld '
        'http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
        f"<NamedLayer><se:Name>{_xml_text(layer)}</se:Name><UserStyle>"
        f"<se:Name>{_xml_text(layer)}</se:Name><se:FeatureTypeStyle>"
        + "".join(body)
        + "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )


def _xml_text(text: str) -> str:
    """``text`` escaped for XML element content (&, <, >).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The escaped text.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
