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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from symbiosis.files import map_kind, write_file
from symbiosis.maps import styles
from symbiosis.maps.data import CRS_DATA, MapData, buffered_extent, fmt_amount
from symbiosis.maps.vector import facility_label

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
    path = write_file(
        Path(out),
        map_kind("png"),
        lambda p: fig.savefig(p, dpi=DPI, format="png", facecolor="white"),
        overwrite=overwrite,
    )
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
        in the order drawn.
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
    when = "" if data.year is None else f", {data.year}"
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
    _draw_legend(
        sheet,
        (
            (f"Flows by stream{when}", stream_handles),
            ("Line width: amount shipped", _width_handles(flows) if has_flows else []),
            (f"Facilities{when}", fac_handles),
            ("Base", handles),
        ),
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax, pt)
    _north_arrow(ax, data, pt)
    if province is not None and len(province):
        _locator_inset(sheet, province, view)
    _title_and_source(sheet, data, title)
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
    name = str(province["name"].iloc[0]) if "name" in province and len(province) else ""
    return Patch(
        facecolor=styles.PROVINCE_FILL,
        edgecolor=styles.PROVINCE_EDGE,
        label=f"Province ({name})" if name else "Province",
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
        label="Industrial park",
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
    return Line2D([], [], color="#999", lw=0.6, ls="--", label="Unused link")


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
                label=f"{styles.CHAINED_LABEL} (a facility's product)",
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
        [], [], marker="o", ls="", color=styles.SITE_COLOUR, ms=4, label="Site (waste source)"
    )


def _draw_facilities(
    ax: Any, facilities: gpd.GeoDataFrame, pt: float, year: int | None = None
) -> list[Line2D]:
    """Draw the facilities by state, built ones on top and labelled with their id (and build
    year, in a multi-year run).

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
    for _, row in built.iterrows():
        ax.annotate(
            facility_label(row),
            (row.geometry.x, row.geometry.y),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=7 * pt,
            fontweight="bold",
            zorder=8,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
        )
    return handles


def _draw_seats(ax: Any, seats: gpd.GeoDataFrame, pt: float) -> Line2D:
    """Draw the prefecture seats, labelled when inside the map.

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
    for _, row in seats.iterrows():
        x, y = row.geometry.x, row.geometry.y
        if xlim[0] <= x <= xlim[1] and ylim[0] <= y <= ylim[1]:
            ax.annotate(
                str(row.get("name_en", row.get("name", ""))),
                (x, y),
                xytext=(4, -3),
                textcoords="offset points",
                fontsize=7.5 * pt,
                style="italic",
                zorder=8,
                clip_on=True,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6},
            )
    return Line2D(
        [], [], marker="s", ls="", color=styles.SEAT_COLOUR, ms=4, label="Prefecture seat"
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
                    label=f"{fmt_amount(amount, unit)}/yr",
                )
            )
    return handles


def _draw_legend(sheet: _Sheet, sections: Sequence[tuple[str, list[Any]]]) -> None:
    """Stack the legend's sections down the legend column (empty ones left out).

    Parameters
    ----------
    sheet : _Sheet
        The sheet; its legend axes receive one legend per section.
    sections : sequence of (str, list)
        (heading, legend entries) from the top.
    """
    lax, pt = sheet.legend_ax, sheet.pt
    renderer = sheet.fig.canvas.get_renderer()  # type: ignore[attr-defined]
    y = 1.0
    for heading, items in sections:
        if not items:
            continue
        leg = lax.legend(
            handles=items,
            title=heading,
            loc="upper left",
            bbox_to_anchor=(0.0, y),
            frameon=False,
            fontsize=7.5 * pt,
            title_fontsize=8.5 * pt,
            alignment="left",
            handlelength=3.2,
            handletextpad=1.0,
        )
        lax.add_artist(leg)
        bbox = leg.get_window_extent(renderer).transformed(lax.transAxes.inverted())
        y = bbox.y0 - 0.03


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


def _title_and_source(sheet: _Sheet, data: MapData, title: str | None) -> None:
    """Write the title, the key figures under it and the source line at the bottom.

    Parameters
    ----------
    sheet : _Sheet
        The sheet.
    data : MapData
        The map (name, status, key figures, metadata).
    title : str or None
        The title; None: "Industrial-symbiosis network: scenario <name>" (", <year>" after
        it for a year of a multi-year run, whose key figures are that year's).
    """
    fig, pt = sheet.fig, sheet.pt
    heading = title or f"Industrial-symbiosis network: scenario {data.name}{data.year_label}"
    fig.text(0.03, 0.975, heading, fontsize=15 * pt, fontweight="bold", va="top")
    lines = data.kpi_lines()
    figures = [line for line in lines if "built" not in line]
    built = [line for line in lines if "built" in line]
    sub = f"Status {data.status}. " + "; ".join(figures) + (f"\n{built[0]}" if built else "")
    fig.text(0.03, 0.935, sub, fontsize=9 * pt, va="top", color="#333333", linespacing=1.4)
    fig.text(
        0.03, 0.035, _source_line(data), fontsize=6.5 * pt, va="top", color="#444444", wrap=True
    )


def _source_line(data: MapData) -> str:
    """The map's source: symbiosis version, run folder (and when it finished), case,
    projection and basemap credits.

    Parameters
    ----------
    data : MapData
        The map (its metadata).

    Returns
    -------
    str
        One line of text.
    """
    meta = data.metadata
    return (
        f"Source: symbiosis {meta.get('symbiosis_version', '')}, run folder "
        f"{Path(str(meta.get('run_folder', ''))).name}"
        + (f" ({str(meta['run_finished'])[:10]})" if meta.get("run_finished") else "")
        + f"; case {'/'.join(Path(str(meta.get('case', ''))).parts[-2:])}. "
        + f"Projection {meta['projected_crs_name']} "
        f"({meta['projected_crs']}). " + str(meta.get("credits", ""))
    )


def _scale_bar(ax: Any, pt: float) -> None:
    """Draw a scale bar of a round length (about a fifth of the map's width) in the lower
    right corner, on a white band, in four alternating parts.

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
    ax.add_patch(
        Rectangle(
            (x - (x_max - x_min) * 0.01, y - h * 1.5),
            length + (x_max - x_min) * 0.02,
            h * 6.5,
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
    label = f"{length / 1000:g} km"
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
        "N",
        ha="center",
        va="bottom",
        fontsize=11 * pt,
        fontweight="bold",
        zorder=10,
    )
