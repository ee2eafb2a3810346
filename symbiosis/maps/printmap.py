"""The print-ready PNG: matplotlib, 300 dpi, A4 or A3 landscape.

Drawn in the projected CRS of the data (CGCS2000 Gauss-Kruger, metres), so the scale bar is
exact at the map's centre and the north arrow points to true north (rotated by the meridian
convergence of the projection there). Contents: province outline, prefecture seats (labelled),
parks, flows coloured by stream with width by amount shipped (chained outputs dashed), sites,
facilities by state (built projects labelled, with their build year in a multi-year run), a
legend, a scale bar, a north arrow, a title with the scenario's key figures (a multi-year run's
map: the year's, the title and legend naming it), a source line, and, when the data cover a
small part of the province, a locator inset.

:func:`write_png` returns the GeoDataFrames it drew (projected), so tests check the map's data
rather than its pixels.

Text is in the language of the command (:mod:`symbiosis.i18n`): a map in Chinese is drawn with
a CJK font (:mod:`symbiosis.maps.fonts`; without one, :func:`symbiosis.maps.export_map` draws
it in English and warns once), labels show names (Chinese where the case has them), and the
title, the key figures, the legend and the source line are wrapped and, where they must be,
made smaller until each lies inside the sheet, A4 or A3 (:func:`fit_legend`,
:func:`fit_text`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle
from matplotlib.text import Text

from symbiosis.files import map_kind, write_file
from symbiosis.i18n import current_language
from symbiosis.i18n import gettext as _
from symbiosis.maps import fonts, styles
from symbiosis.maps.data import CRS_DATA, MapData, buffered_extent, fmt_amount
from symbiosis.maps.vector import facility_label
from symbiosis.maps.words import clauses, local_name, per_year

SIZES_IN = {"A4": (11.69, 8.27), "A3": (16.54, 11.69)}
DPI = 300
MARKERS = {"square": "s", "star": "*", "circle": "o"}


def _nice_length(target_m: float) -> float:
    """The largest 1, 2 or 5 x 10^k metres not above ``target_m``.

    Parameters
    ----------
    target_m : float
        The longest the scale bar may be, in metres.

    Returns
    -------
    float
        Its length in metres (1 km when ``target_m`` is not positive).
    """
    if target_m <= 0:
        return 1000.0
    exp = np.floor(np.log10(target_m))
    for step in (5, 2, 1):
        value = step * 10**exp
        if value <= target_m:
            return float(value)
    return float(10**exp)


def _convergence_deg(data: MapData, x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise from grid up) of true north at map point (x, y).

    Parameters
    ----------
    data : MapData
        The map (its projected CRS).
    x, y : float
        The point, in the projected CRS.

    Returns
    -------
    float
        The meridian convergence there, in degrees.
    """
    pts = gpd.GeoSeries(gpd.points_from_xy([x], [y]), crs=data.projected_crs).to_crs(CRS_DATA)
    lon, lat = pts.x.iloc[0], pts.y.iloc[0]
    north = gpd.GeoSeries(gpd.points_from_xy([lon], [lat + 0.05]), crs=CRS_DATA).to_crs(
        data.projected_crs
    )
    dx, dy = north.x.iloc[0] - x, north.y.iloc[0] - y
    return float(np.degrees(np.arctan2(-dx, dy)))


def write_png(
    data: MapData,
    layers: Sequence[str],
    out: Path,
    size: str = "A4",
    title: str | None = None,
    *,
    overwrite: bool = False,
) -> tuple[Path, dict[str, gpd.GeoDataFrame]]:
    """Draw the map and save it as a PNG at 300 dpi; return the path and the frames drawn.

    Written by the output rule of :mod:`symbiosis.files` (``overwrite`` has no effect on a
    file: a PNG that symbiosis did not write is never replaced).

    Parameters
    ----------
    data : MapData
        The map.
    layers : sequence of str
        The layers to draw.
    out : Path
        The .png file.
    size : str
        The sheet, ``A4`` or ``A3`` landscape.
    title : str or None
        The title; None: one naming the scenario.
    overwrite : bool
        No effect (above).

    Returns
    -------
    tuple of (Path, dict of str to GeoDataFrame)
        The file written, and the layers drawn in the projected CRS (:func:`draw_map`).
    """
    fig, drawn = draw_map(data, layers, size, title)

    def save(path: Path) -> None:
        with matplotlib.rc_context({"font.family": fonts.font_families(current_language())}):
            fig.savefig(path, dpi=DPI, format="png", facecolor="white")

    path = write_file(Path(out), map_kind("png"), save, overwrite=overwrite)
    return path, drawn


#: the order the layers are projected and drawn in (z-order aside)
DRAW_ORDER = (
    "province",
    "parks",
    "links_candidate",
    "flows",
    "sites",
    "facilities",
    "prefecture_seats",
)


@dataclass(frozen=True)
class _Sheet:
    """The figure and its parts: the map axes, the legend column and the font scale.

    ``width`` and ``height`` are the map axes' size in inches; ``pt`` scales text and
    symbols with the sheet (1 on A4).
    """

    fig: Figure
    ax: Any
    legend_ax: Any
    pt: float
    width: float
    height: float


@dataclass(frozen=True)
class _View:
    """The map's window in the projected CRS: its centre and half sizes (metres)."""

    cx: float
    cy: float
    half_w: float
    half_h: float


def draw_map(
    data: MapData, layers: Sequence[str], size: str = "A4", title: str | None = None
) -> tuple[Any, dict[str, gpd.GeoDataFrame]]:
    """The matplotlib figure of the map, and the GeoDataFrames drawn (projected CRS).

    Parameters
    ----------
    data : MapData
        The map's layers and metadata.
    layers : sequence of str
        The layers to draw (those missing from ``data`` are skipped).
    size : str
        The sheet, ``A4`` or ``A3`` landscape (any case).
    title : str or None
        The title; None: "Industrial-symbiosis network: scenario <name>".

    Returns
    -------
    tuple of (Figure, dict of str to GeoDataFrame)
        The figure (no pyplot: nothing global), and each layer drawn in the projected CRS,
        in the order drawn. Its text is in the current language, drawn with
        :func:`symbiosis.maps.fonts.font_families` of it (a CJK font for Chinese).
    """
    with matplotlib.rc_context({"font.family": fonts.font_families(current_language())}):
        return _draw(data, layers, size, title)


def _draw(
    data: MapData, layers: Sequence[str], size: str, title: str | None
) -> tuple[Any, dict[str, gpd.GeoDataFrame]]:
    """:func:`draw_map`, its fonts set.

    Parameters
    ----------
    data : MapData
        The map's layers and metadata.
    layers : sequence of str
        The layers to draw.
    size : str
        The sheet, ``A4`` or ``A3``.
    title : str or None
        The title; None: one naming the scenario.

    Returns
    -------
    tuple of (Figure, dict of str to GeoDataFrame)
        As :func:`draw_map`.
    """
    sheet = _sheet(size)
    view = _fit_view(sheet, data)
    pcrs = data.projected_crs
    drawn = {
        name: data.layers[name].to_crs(pcrs)
        for name in DRAW_ORDER
        if name in layers and name in data.layers
    }
    ax, pt = sheet.ax, sheet.pt
    handles: list[Any] = []  # the legend's "Base" entries
    province = drawn.get("province")
    if province is not None:
        handles.append(_draw_province(ax, province, pt))
    parks = drawn.get("parks")
    if parks is not None and len(parks):
        handles.append(_draw_parks(ax, parks, pt))
    links = drawn.get("links_candidate")
    if links is not None and len(links):
        handles.append(_draw_links(ax, links, data.colours, pt))
    flows = drawn.get("flows")
    has_flows = flows is not None and len(flows) > 0
    stream_handles = _draw_flows(ax, flows, data) if flows is not None and has_flows else []
    sites = drawn.get("sites")
    if sites is not None and len(sites):
        handles.append(_draw_sites(ax, sites, pt))
    facilities = drawn.get("facilities")
    fac_handles = (
        _draw_facilities(ax, facilities, pt, data.year)
        if facilities is not None and len(facilities)
        else []
    )
    seats = drawn.get("prefecture_seats")
    if seats is not None and len(seats):
        handles.append(_draw_seats(ax, seats, pt))
    year = data.year
    footer = _title_and_source(sheet, data, title)
    fit_legend(
        sheet,
        (
            (
                _("Flows by stream")
                if year is None
                else _("Flows by stream, {year}").format(year=year),
                stream_handles,
            ),
            (_("Line width: amount shipped"), _width_handles(flows) if has_flows else []),
            (
                _("Facilities") if year is None else _("Facilities, {year}").format(year=year),
                fac_handles,
            ),
            (_("Base"), handles),
        ),
        footer,
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax, pt)
    _north_arrow(ax, data, pt)
    if province is not None and len(province):
        _locator_inset(sheet, province, view)
    return sheet.fig, drawn


def _sheet(size: str) -> _Sheet:
    """A landscape sheet: the map frame on the left, the legend column on the right, a title
    band on top and the source line at the bottom.

    Parameters
    ----------
    size : str
        ``A4`` or ``A3``, any case.

    Returns
    -------
    _Sheet
        The figure, laid out at 100 dpi (sizes are in points, so the layout is the same at
        the 300 dpi it is saved at).
    """
    width_in, height_in = SIZES_IN[size.upper()]
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    FigureCanvasAgg(fig)  # no pyplot: no global state, no GUI backend
    ax = fig.add_axes((0.03, 0.08, 0.72, 0.80))
    lax = fig.add_axes((0.765, 0.08, 0.215, 0.80))
    lax.axis("off")
    pt = width_in / 11.69  # font scale: A3 text grows with the sheet
    return _Sheet(fig, ax, lax, pt, 0.72 * width_in, 0.80 * height_in)


def _fit_view(sheet: _Sheet, data: MapData) -> _View:
    """Set the map axes to the data's buffered extent, widened to the axes' aspect ratio.

    Parameters
    ----------
    sheet : _Sheet
        The sheet whose map axes are set (limits, equal aspect, background, no ticks).
    data : MapData
        The map (:func:`~symbiosis.maps.data.buffered_extent`, projected CRS).

    Returns
    -------
    _View
        The window shown, in the projected CRS.
    """
    minx, miny, maxx, maxy = buffered_extent(data)
    frame = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=CRS_DATA).to_crs(
        data.projected_crs
    )
    x0, y0, x1, y1 = frame.total_bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
    if half_w / half_h < sheet.width / sheet.height:
        half_w = half_h * sheet.width / sheet.height
    else:
        half_h = half_w * sheet.height / sheet.width
    ax = sheet.ax
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_aspect("equal")
    ax.set_facecolor("#e9eef2")
    ax.set_xticks([])
    ax.set_yticks([])
    return _View(cx, cy, half_w, half_h)


# --------------------------------------------------------------------------------------------
# One function per layer: draw it, return its legend entries
# --------------------------------------------------------------------------------------------
def _draw_province(ax: Any, province: gpd.GeoDataFrame, pt: float) -> Patch:
    """Draw the province outline (filled).

    Parameters
    ----------
    ax : Axes
        The map axes.
    province : GeoDataFrame
        The outline, projected.
    pt : float
        The sheet's scale (line width).

    Returns
    -------
    Patch
        The legend entry, naming the province when the basemap does.
    """
    province.plot(
        ax=ax,
        color=styles.PROVINCE_FILL,
        edgecolor=styles.PROVINCE_EDGE,
        linewidth=1.0 * pt,
        zorder=1,
    )
    name = local_name(province.iloc[0]) if len(province) else ""
    return Patch(
        facecolor=styles.PROVINCE_FILL,
        edgecolor=styles.PROVINCE_EDGE,
        label=_("Province ({name})").format(name=name) if name else _("Province"),
    )


def _draw_parks(ax: Any, parks: gpd.GeoDataFrame, pt: float) -> Patch:
    """Draw the industrial parks, translucent.

    Parameters
    ----------
    ax : Axes
        The map axes.
    parks : GeoDataFrame
        The parks, projected (not empty).
    pt : float
        The sheet's scale (line width).

    Returns
    -------
    Patch
        The legend entry.
    """
    parks.plot(
        ax=ax,
        color=styles.PARK_FILL,
        alpha=0.35,
        edgecolor=styles.PARK_EDGE,
        linewidth=0.6 * pt,
        zorder=2,
    )
    return Patch(
        facecolor=styles.PARK_FILL,
        alpha=0.5,
        edgecolor=styles.PARK_EDGE,
        label=_("Industrial park"),
    )


def _draw_links(ax: Any, links: gpd.GeoDataFrame, colours: dict[str, str], pt: float) -> Line2D:
    """Draw the unused candidate links, thin and dashed in their stream's colour.

    Parameters
    ----------
    ax : Axes
        The map axes.
    links : GeoDataFrame
        The links, projected (not empty).
    colours : dict of str to str
        Stream -> colour (grey for a stream without one).
    pt : float
        The sheet's scale (line width).

    Returns
    -------
    Line2D
        The legend entry.
    """
    for stream, group in links.groupby("stream"):
        group.plot(
            ax=ax,
            color=colours.get(str(stream), "#999"),
            linewidth=0.4 * pt,
            linestyle=(0, (3, 2)),
            alpha=0.5,
            zorder=3,
        )
    return Line2D([], [], color="#999", lw=0.6, ls="--", label=_("Unused link"))


def _draw_flows(ax: Any, flows: gpd.GeoDataFrame, data: MapData) -> list[Line2D]:
    """Draw the flows, coloured by stream, width by amount shipped (widest first, so thin
    lines lie on top); chained flows (a facility's output) dashed.

    Parameters
    ----------
    ax : Axes
        The map axes.
    flows : GeoDataFrame
        The flows, projected (not empty), with ``width_mm``.
    data : MapData
        The map (streams, colours, labels).

    Returns
    -------
    list of Line2D
        A legend entry per stream drawn, in the order of streams.csv, and one for chained
        outputs when a flow is one.
    """
    colours = data.colours
    labels = data.streams.set_index("stream")["label"]
    order = flows.sort_values("width_mm", ascending=False)
    chained = (
        order["chained"] == 1 if "chained" in order.columns else order["stream"] != order["stream"]
    )
    handles = []
    for stream in data.streams["stream"]:
        of_stream = order["stream"] == stream
        if not of_stream.any():
            continue
        for group, dashes in (
            (order.loc[of_stream & ~chained], None),
            (order.loc[of_stream & chained], styles.CHAIN_DASH),
        ):
            if len(group) == 0:
                continue
            group.plot(
                ax=ax,
                color=colours[stream],
                linewidth=group["width_mm"].to_numpy(float) * styles.MM_TO_PT,
                alpha=0.85,
                zorder=4,
                capstyle="round",
                linestyle="solid" if dashes is None else (0, dashes),
            )
        handles.append(Line2D([], [], color=colours[stream], lw=3, label=str(labels[stream])))
    if chained.any():
        handles.append(
            Line2D(
                [],
                [],
                color="#555555",
                lw=2,
                ls=(0, styles.CHAIN_DASH),
                label=_("chained output (a facility's product)"),
            )
        )
    return handles


def _draw_sites(ax: Any, sites: gpd.GeoDataFrame, pt: float) -> Line2D:
    """Draw the sites as small dots.

    Parameters
    ----------
    ax : Axes
        The map axes.
    sites : GeoDataFrame
        The sites, projected (not empty).
    pt : float
        The sheet's scale (dot size).

    Returns
    -------
    Line2D
        The legend entry.
    """
    ax.scatter(
        sites.geometry.x,
        sites.geometry.y,
        s=(6 * pt) ** 2 / 4,
        c=styles.SITE_COLOUR,
        edgecolors="white",
        linewidths=0.3,
        zorder=5,
    )
    return Line2D(
        [], [], marker="o", ls="", color=styles.SITE_COLOUR, ms=4, label=_("Site (waste source)")
    )


def _draw_facilities(
    ax: Any, facilities: gpd.GeoDataFrame, pt: float, year: int | None = None
) -> list[Line2D]:
    """Draw the facilities by state, built ones on top and labelled with their name in the
    map's language (and build year, in a multi-year run).

    Parameters
    ----------
    ax : Axes
        The map axes.
    facilities : GeoDataFrame
        The facilities, projected (not empty).
    pt : float
        The sheet's scale (label size).
    year : int or None
        The year of a multi-year run the map shows (the legend's words).

    Returns
    -------
    list of Line2D
        A legend entry per state (not built, [retired,] existing, built), drawn or not.
    """
    handles = []
    labels = styles.facility_labels(year)
    states = styles.facility_states(facilities["state"])
    for state in [s for s in ("not_built", styles.RETIRED, "existing", "built") if s in states]:
        group = facilities.loc[facilities["state"] == state]
        marker = MARKERS[styles.FACILITY_SHAPE[state]]
        ms = styles.FACILITY_SIZE_MM[state] * styles.MM_TO_PT * 1.4
        if len(group):
            ax.scatter(
                group.geometry.x,
                group.geometry.y,
                marker=marker,
                s=ms**2,
                c=styles.FACILITY_FILL[state],
                edgecolors=styles.FACILITY_EDGE[state],
                linewidths=0.6,
                zorder=6 if state != "built" else 7,
            )
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                ls="",
                ms=ms * 0.8,
                markerfacecolor=styles.FACILITY_FILL[state],
                markeredgecolor=styles.FACILITY_EDGE[state],
                label=labels[state],
            )
        )
    built = facilities.loc[facilities["state"] == "built"]
    place_labels(
        ax,
        [(facility_label(row), row.geometry.x, row.geometry.y) for _i, row in built.iterrows()],
        fontsize=7 * pt,
        fontweight="bold",
        zorder=8,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
    )
    return handles


#: where a label may stand beside its point: offset (points), horizontal and vertical
#: alignment, in order of preference
LABEL_SPOTS: tuple[tuple[float, float, str, str], ...] = (
    (5, 4, "left", "bottom"),
    (5, -4, "left", "top"),
    (-5, 4, "right", "bottom"),
    (-5, -4, "right", "top"),
    (5, 13, "left", "bottom"),
    (5, -13, "left", "top"),
    (-5, 13, "right", "bottom"),
    (-5, -13, "right", "top"),
    (0, 22, "center", "bottom"),
    (0, -22, "center", "top"),
    (5, 24, "left", "bottom"),
    (5, -24, "left", "top"),
    (-5, 24, "right", "bottom"),
    (-5, -24, "right", "top"),
    (0, 34, "center", "bottom"),
    (0, -34, "center", "top"),
)


def place_labels(ax: Any, labels: Sequence[tuple[str, float, float]], **style: Any) -> list[Any]:
    """Write labels beside their points, each at the first spot of :data:`LABEL_SPOTS`
    where it overlaps no label already placed and stays inside the map (else at the first).

    Parameters
    ----------
    ax : Axes
        The map axes (its limits set).
    labels : sequence of (str, float, float)
        Each label's text and its point (projected CRS), placed from the top of the map
        down.
    **style
        Text properties of every label (``fontsize``, ``fontweight``, ``bbox`` ...).

    Returns
    -------
    list of Annotation
        The labels, in the order placed.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken: list[Any] = []
    placed = []
    for text, x, y in sorted(labels, key=lambda item: -item[2]):
        chosen = None
        for dx, dy, ha, va in LABEL_SPOTS:
            note = ax.annotate(
                text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **style
            )
            box = note.get_window_extent(renderer).expanded(1.04, 1.1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
            if inside and box.y1 <= frame.y1 and not any(box.overlaps(t) for t in taken):
                chosen = note, box
                break
            note.remove()
        if chosen is None:
            dx, dy, ha, va = LABEL_SPOTS[0]
            note = ax.annotate(
                text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **style
            )
            chosen = note, note.get_window_extent(renderer)
        placed.append(chosen[0])
        taken.append(chosen[1])
    return placed


def _draw_seats(ax: Any, seats: gpd.GeoDataFrame, pt: float) -> Line2D:
    """Draw the prefecture seats, labelled with their name (Chinese in a Chinese map) when
    inside the map.

    Parameters
    ----------
    ax : Axes
        The map axes (its limits already set).
    seats : GeoDataFrame
        The seats, projected (not empty).
    pt : float
        The sheet's scale (marker and label size).

    Returns
    -------
    Line2D
        The legend entry.
    """
    ax.scatter(
        seats.geometry.x,
        seats.geometry.y,
        marker="s",
        s=(4 * pt) ** 2 / 2,
        c=styles.SEAT_COLOUR,
        zorder=6,
    )
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    for _index, row in seats.iterrows():
        x, y = row.geometry.x, row.geometry.y
        if xlim[0] <= x <= xlim[1] and ylim[0] <= y <= ylim[1]:
            ax.annotate(
                local_name(row, "name_en", "name_zh") or str(row.get("name", "")),
                (x, y),
                xytext=(4, -3),
                textcoords="offset points",
                fontsize=7.5 * pt,
                style="italic" if current_language() != "zh" else "normal",  # no CJK italic
                zorder=8,
                clip_on=True,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6},
            )
    return Line2D(
        [], [], marker="s", ls="", color=styles.SEAT_COLOUR, ms=4, label=_("Prefecture seat")
    )


# --------------------------------------------------------------------------------------------
# Legend, inset, title and source
# --------------------------------------------------------------------------------------------
def _width_handles(flows: gpd.GeoDataFrame) -> list[Line2D]:
    """Legend entries for line widths: the largest flow of each unit, a quarter and 4% of it.

    Parameters
    ----------
    flows : GeoDataFrame
        The flows drawn (not empty).

    Returns
    -------
    list of Line2D
        Three entries per unit, labelled with the amount per year.
    """
    handles = []
    for unit in sorted(set(flows["unit"])):
        top = float(flows.loc[flows["unit"] == unit, "shipped_yr"].max())
        for share in (1.0, 0.25, 0.04):
            amount = top * share
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#555555",
                    lw=styles.width_for(amount, top) * styles.MM_TO_PT,
                    label=per_year(fmt_amount(amount, unit)),
                )
            )
    return handles


#: the legend's sizes tried, from the full size down, until every section fits its column
LEGEND_SCALES: tuple[float, ...] = (1.0, 0.9, 0.8, 0.72, 0.64, 0.56, 0.5)
#: the space kept free at each edge of the sheet, in points (at A4; A3 scales it)
MARGIN_PT = 6.0


def fit_legend(
    sheet: _Sheet, sections: Sequence[tuple[str, list[Any]]], footer: Text | None = None
) -> list[Any]:
    """Stack the legend's sections down the legend column (empty ones left out), as large as
    they fit: inside the sheet on the right, above the source line at the bottom.

    Each size of :data:`LEGEND_SCALES` is tried in one column, then in two for the longest
    section (many streams); the first layout whose sections all lie inside the sheet is
    kept, else the smallest.

    Parameters
    ----------
    sheet : _Sheet
        The sheet; its legend axes receive one legend per section.
    sections : sequence of (str, list)
        (heading, legend entries) from the top.
    footer : Text or None
        The source line: the legend stays above it.

    Returns
    -------
    list of Legend
        The legends drawn, from the top.
    """
    fig = sheet.fig
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    margin = MARGIN_PT * sheet.pt * fig.dpi / 72.0
    floor = margin
    if footer is not None:
        floor = max(floor, footer.get_window_extent(renderer).y1 + margin)
    right = fig.bbox.width - margin
    longest = max((len(items) for _heading, items in sections), default=0)
    legends: list[Any] = []
    for columns in (1, 2):
        for scale in LEGEND_SCALES:
            for leg in legends:
                leg.remove()
            legends = _stack_legend(sheet, sections, scale, columns, longest)
            boxes = [leg.get_window_extent(renderer) for leg in legends]
            if all(b.y0 >= floor and b.x1 <= right for b in boxes):
                return legends
    return legends


def _stack_legend(
    sheet: _Sheet,
    sections: Sequence[tuple[str, list[Any]]],
    scale: float,
    columns: int,
    longest: int,
) -> list[Any]:
    """The legend's sections at one size, stacked from the top of the legend column.

    Parameters
    ----------
    sheet : _Sheet
        The sheet.
    sections : sequence of (str, list)
        (heading, legend entries) from the top; empty ones are left out.
    scale : float
        The size, 1 for the full size (7.5 pt entries, 8.5 pt headings on A4).
    columns : int
        Columns of the section with the most entries (the others have one).
    longest : int
        The number of entries of that section.

    Returns
    -------
    list of Legend
        The legends added to the legend axes: the column's title ("Legend"), then one per
        section.
    """
    lax, pt = sheet.legend_ax, sheet.pt
    renderer = sheet.fig.canvas.get_renderer()  # type: ignore[attr-defined]
    title = lax.legend(
        handles=[],
        title=_("Legend"),
        loc="upper left",
        bbox_to_anchor=(0.0, 1.0),
        frameon=False,
        title_fontsize=10 * pt * scale,
        alignment="left",
    )
    title.get_title().set_fontweight("bold")
    lax.add_artist(title)
    legends = [title]
    y = title.get_window_extent(renderer).transformed(lax.transAxes.inverted()).y0 - 0.01
    for heading, items in sections:
        if not items:
            continue
        leg = lax.legend(
            handles=items,
            title=heading,
            loc="upper left",
            bbox_to_anchor=(0.0, y),
            frameon=False,
            fontsize=7.5 * pt * scale,
            title_fontsize=8.5 * pt * scale,
            alignment="left",
            handlelength=3.2,
            handletextpad=1.0,
            ncols=columns if len(items) == longest else 1,
            columnspacing=1.0,
        )
        lax.add_artist(leg)
        legends.append(leg)
        bbox = leg.get_window_extent(renderer).transformed(lax.transAxes.inverted())
        y = bbox.y0 - 0.03 * scale
    return legends


def _locator_inset(sheet: _Sheet, province: gpd.GeoDataFrame, view: _View) -> None:
    """When the map shows less than a quarter of the province's box, a small map of the
    province in the lower left corner with the window shown marked.

    Parameters
    ----------
    sheet : _Sheet
        The sheet (its map axes hold the inset).
    province : GeoDataFrame
        The province outline, projected (not empty).
    view : _View
        The window the map shows.
    """
    pb = province.total_bounds
    view_area = (view.half_w * 2) * (view.half_h * 2)
    if view_area >= 0.25 * (pb[2] - pb[0]) * (pb[3] - pb[1]):
        return
    inset = sheet.ax.inset_axes(
        (0.0, 0.0, 0.2, 0.2 * (pb[3] - pb[1]) / (pb[2] - pb[0]) * sheet.width / sheet.height)
    )
    province.plot(
        ax=inset, color=styles.PROVINCE_FILL, edgecolor=styles.PROVINCE_EDGE, linewidth=0.5
    )
    inset.add_patch(
        Rectangle(
            (view.cx - view.half_w, view.cy - view.half_h),
            2 * view.half_w,
            2 * view.half_h,
            fill=False,
            edgecolor="#c51b7d",
            linewidth=1.0,
        )
    )
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_facecolor("white")
    inset.set_aspect("equal")
    for spine in inset.spines.values():
        spine.set_edgecolor("#888888")


def _title_and_source(sheet: _Sheet, data: MapData, title: str | None) -> Text:
    """Write the title, the key figures under it and the source line at the bottom, each
    wrapped to the sheet's width and made smaller where it would not fit (:func:`fit_text`).

    Parameters
    ----------
    sheet : _Sheet
        The sheet.
    data : MapData
        The map (name, status, key figures, metadata).
    title : str or None
        The title; None: "Industrial-symbiosis network: scenario <name>" (", <year>" after
        it for a year of a multi-year run, whose key figures are that year's).

    Returns
    -------
    Text
        The source line (the legend stays above it).
    """
    fig, pt = sheet.fig, sheet.pt
    heading = title or _("Industrial-symbiosis network: scenario {name}").format(
        name=data.name + data.year_label
    )
    top = 1.0 - 0.025
    below_title = fit_text(
        sheet, heading, (0.03, top), 0.05, fontsize=15 * pt, fontweight="bold"
    ).get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    lines = data.kpi_lines(by_name=True)  # no popups on paper: projects by their names
    built = lines[-1:] if data.summary.get("objective") is not None else []
    figures = lines[: len(lines) - len(built)]
    sub = _("Status {status}. {figures}").format(status=data.status_text, figures=clauses(figures))
    sub = "\n".join([sub.strip(), *built])
    space_top = below_title.y0 / fig.bbox.height - 0.006
    axes_top = sheet.ax.get_position().y1 + 0.006
    fit_text(
        sheet,
        sub,
        (0.03, space_top),
        max(space_top - axes_top, 0.02),
        fontsize=9 * pt,
        color="#333333",
        linespacing=1.4,
    )
    axes_bottom = sheet.ax.get_position().y0 - 0.006
    return fit_text(
        sheet,
        _source_line(data),
        (0.03, axes_bottom),
        axes_bottom - 0.008,
        fontsize=6.5 * pt,
        color="#444444",
    )


#: where a line of text may break: after a space, or around any CJK character or punctuation
_BREAKS = re.compile(
    r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+\s*|\s+"
)


def wrap_text(text: str, width_px: float, props: Any, renderer: Any) -> list[str]:
    """``text`` broken into lines no wider than ``width_px`` when drawn with ``props``.

    Lines break at spaces, and between Chinese characters (which have none); the lines of
    ``text`` are kept. A word wider than the width stands alone on its line.

    Parameters
    ----------
    text : str
        The text.
    width_px : float
        The widest a line may be, in display pixels.
    props : FontProperties
        The font it is drawn with.
    renderer : RendererBase
        The figure's renderer (to measure).

    Returns
    -------
    list of str
        The lines.
    """

    def width(line: str) -> float:
        return float(renderer.get_text_width_height_descent(line, props, ismath=False)[0])

    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _BREAKS.findall(paragraph):
            if line and not token.isspace() and width(line + token.rstrip()) > width_px:
                out.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        out.append(line.rstrip())
    return out


def fit_text(
    sheet: _Sheet, text: str, at: tuple[float, float], height: float, **style: Any
) -> Text:
    """Write ``text`` down from ``at`` (figure fraction, upper left), wrapped to the sheet's
    width, its font made smaller (to half its size at most) until it is no taller than
    ``height``.

    Parameters
    ----------
    sheet : _Sheet
        The sheet.
    text : str
        The text (lines kept).
    at : tuple of float
        Its upper left corner, in figure fraction.
    height : float
        The most it may take down the sheet, in figure fraction.
    **style
        Text properties (``fontsize`` in points, required; ``fontweight``, ``color`` ...).

    Returns
    -------
    Text
        The text written.
    """
    fig = sheet.fig
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    margin = MARGIN_PT * sheet.pt * fig.dpi / 72.0
    width_px = fig.bbox.width * (1.0 - at[0]) - margin
    size = float(style.pop("fontsize"))
    written: Text | None = None
    for factor in (1.0, 0.92, 0.85, 0.78, 0.7, 0.62, 0.55, 0.5):
        if written is not None:
            written.remove()
        written = fig.text(at[0], at[1], text, fontsize=size * factor, va="top", **style)
        lines = wrap_text(text, width_px, written.get_fontproperties(), renderer)
        written.set_text("\n".join(lines))
        if written.get_window_extent(renderer).height <= height * fig.bbox.height:
            break
    assert written is not None
    return written


def _source_line(data: MapData) -> str:
    """The map's source: symbiosis version, run folder (and when it finished), case,
    projection and basemap credits, in the map's language.

    Parameters
    ----------
    data : MapData
        The map (its metadata).

    Returns
    -------
    str
        One line of text (:func:`fit_text` wraps it).
    """
    meta = data.metadata
    run = Path(str(meta.get("run_folder", ""))).name
    if meta.get("run_finished"):
        run = _("{run} ({date})").format(run=run, date=str(meta["run_finished"])[:10])
    return (
        _(
            "Source: symbiosis {version}, run folder {run}; case {case}. Projection {crs_name} "
            "({crs}). {credits}"
        )
        .format(
            version=meta.get("symbiosis_version", ""),
            run=run,
            case="/".join(Path(str(meta.get("case", ""))).parts[-2:]),
            crs_name=meta["projected_crs_name"],
            crs=meta["projected_crs"],
            credits=str(meta.get("credits", "")),
        )
        .strip()
    )


def _scale_bar(ax: Any, pt: float) -> None:
    """Draw a scale bar of a round length (about a fifth of the map's width) in the lower
    right corner, on a white band, in four alternating parts, under the map's scale as a
    ratio (``Scale 1:2,400,000`` at the sheet's size, two significant digits).

    Parameters
    ----------
    ax : Axes
        The map axes (its limits set, in metres of the projected CRS).
    pt : float
        The sheet's scale (label size).
    """
    x_min, x_max = ax.get_xlim()
    y_min, y_max = ax.get_ylim()
    length = _nice_length((x_max - x_min) * 0.2)
    x = x_min + (x_max - x_min) * 0.74
    y = y_min + (y_max - y_min) * 0.04
    h = (y_max - y_min) * 0.008
    paper_m = ax.get_window_extent().width / ax.figure.dpi * 0.0254
    ratio = float(f"{(x_max - x_min) / paper_m:.2g}")
    ax.text(
        x,
        y + h * 4.4,
        _("Scale 1:{ratio}").format(ratio=f"{ratio:,.0f}"),
        ha="left",
        va="bottom",
        fontsize=7 * pt,
        zorder=10,
    )
    ax.add_patch(
        Rectangle(
            (x - (x_max - x_min) * 0.01, y - h * 1.5),
            length + (x_max - x_min) * 0.02,
            h * 8.5,
            facecolor="white",
            alpha=0.8,
            edgecolor="none",
            zorder=9,
        )
    )
    for k in range(4):
        ax.add_patch(
            Rectangle(
                (x + k * length / 4, y),
                length / 4,
                h,
                facecolor="black" if k % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.5,
                zorder=10,
            )
        )
    label = _("{length} km").format(length=f"{length / 1000:g}")
    for pos, text in ((0, "0"), (length / 2, f"{length / 2000:g}"), (length, label)):
        ax.text(x + pos, y + h * 1.6, text, ha="center", va="bottom", fontsize=7 * pt, zorder=10)


def _north_arrow(ax: Any, data: MapData, pt: float) -> None:
    """Draw an arrow pointing to true north (rotated by the meridian convergence) in the upper
    right corner, marked N.

    Parameters
    ----------
    ax : Axes
        The map axes (its limits set).
    data : MapData
        The map (its projected CRS).
    pt : float
        The sheet's scale (letter size).
    """
    x_min, x_max = ax.get_xlim()
    y_min, y_max = ax.get_ylim()
    x = x_min + (x_max - x_min) * 0.95
    y = y_min + (y_max - y_min) * 0.86
    angle = np.radians(_convergence_deg(data, x, y))
    length = (y_max - y_min) * 0.08
    dx, dy = -np.sin(angle) * length, np.cos(angle) * length
    ax.add_patch(
        FancyArrow(
            x - dx / 2,
            y - dy / 2,
            dx,
            dy,
            width=length * 0.12,
            head_width=length * 0.35,
            head_length=length * 0.35,
            length_includes_head=True,
            color="black",
            zorder=10,
        )
    )
    ax.text(
        x + dx * 0.75,
        y + dy * 0.75,
        # TRANSLATORS: the letter on the north arrow of the print map
        _("N"),
        ha="center",
        va="bottom",
        fontsize=11 * pt,
        fontweight="bold",
        zorder=10,
    )
