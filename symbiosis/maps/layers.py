"""The layers of a map, one builder each: sites, facilities, flows, candidate links, parks and
the basemap (the prefecture summary, built from these, is in :mod:`symbiosis.maps.prefectures`).

Each builder takes the :class:`LayerInputs` of one run (the run folder, its case, the streams
with their units and colours, the projected CRS, the route geometry) and returns one
GeoDataFrame in EPSG:4326, adding the unit and meaning of each of its fields to the run's
:class:`FieldDictionary`. :func:`symbiosis.maps.data.build_map_data` calls them in drawing
order; its module docstring lists every layer's fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

import symbiosis
from symbiosis.case import Case, InputError, Problem
from symbiosis.i18n import N_
from symbiosis.i18n import gettext as _
from symbiosis.maps import styles
from symbiosis.maps.words import chinese_names, local_name
from symbiosis.results import RunFolder

CRS_DATA = "EPSG:4326"
LAYERS: tuple[str, ...] = (
    "province",
    "prefecture_seats",
    "parks",
    "links_candidate",
    "flows",
    "sites",
    "facilities",
    "prefecture_summary",
)
GEOMETRY: dict[str, str] = {
    "province": "polygon",
    "prefecture_seats": "point",
    "parks": "polygon",
    "links_candidate": "line",
    "flows": "line",
    "sites": "point",
    "facilities": "point",
    "prefecture_summary": "point",
}
BASEMAP_FILES = {
    "province": "guizhou_province.geojson",
    "prefecture_seats": "guizhou_cities.geojson",
}
#: the basemap's sources and licences (English; translated where shown)
BASEMAP_CREDIT = N_(
    "Province outline: Natural Earth (public domain). Prefecture seats: GeoNames "
    "(geonames.org), CC BY 4.0."
)

#: (field, unit, description) of the sites layer's fixed fields, in the dictionary's order
SITE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("site", "", N_("site id (sites.csv)")),
    ("name", "", N_("site name")),
    ("name_zh", "", N_("site name in Chinese (empty: the case has none)")),
    ("park", "", N_("industrial park id (empty: outside a park)")),
    ("prefecture", "", N_("prefecture-level division")),
    ("lon", "degree", N_("longitude, WGS 84")),
    ("lat", "degree", N_("latitude, WGS 84")),
    ("rail", "0/1", N_("1 if the site has a rail siding")),
)
FACILITY_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("facility", "", N_("facility id (facilities.csv)")),
    ("name", "", N_("facility name")),
    ("name_zh", "", N_("facility name in Chinese (empty: the case has none)")),
    ("tech", "", N_("technology label")),
    ("site", "", N_("site id where it stands")),
    ("site_name", "", N_("site name")),
    ("site_name_zh", "", N_("site name in Chinese")),
    ("status", "", N_("existing, or candidate (a project the optimiser may build)")),
    ("built", "0/1", N_("1 if it runs in the optimum (existing, or a candidate built)")),
    ("state", "", N_("existing | built (candidate built) | not_built (candidate left out)")),
    ("unit", "", N_("unit of its input streams (t or MWh)")),
    ("capacity_yr", "unit/yr", N_("capacity, total intake over its streams")),
    ("intake_yr", "unit/yr", N_("intake in the optimum (delivered amount)")),
    ("use_pct", "%", N_("use of capacity: intake / capacity x 100")),
    ("capex_cny", "CNY", N_("investment of a candidate")),
    ("fixed_opex_cny_yr", "CNY/yr", N_("fixed operating cost if built")),
    ("annual_cost_cny_yr", "CNY/yr", N_("annualised capex + fixed opex of a built candidate")),
    ("co2_avoided_t_yr", "t CO2/yr", N_("CO2 avoided by its intake (before transport)")),
    ("group", "", N_("mutually exclusive candidate group")),
    ("prefecture", "", N_("prefecture of its site")),
    ("park", "", N_("park of its site")),
    ("lon", "degree", N_("longitude, WGS 84")),
    ("lat", "degree", N_("latitude, WGS 84")),
)
FLOW_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("from_site", "", N_("source site id")),
    ("from_name", "", N_("source site name")),
    ("from_name_zh", "", N_("source site name in Chinese")),
    ("facility", "", N_("receiving facility id")),
    ("facility_name", "", N_("receiving facility name")),
    ("facility_name_zh", "", N_("receiving facility name in Chinese")),
    ("to_site", "", N_("site of the facility")),
    ("stream", "", N_("waste stream id")),
    ("mode", "", N_("transport mode (onsite: same site, no transport)")),
    ("unit", "", N_("unit of shipped_yr and delivered_yr (t or MWh)")),
    ("km", "km", N_("route length as modelled (distances.csv, else great circle x circuity)")),
    ("line_km", "km", N_("length of the drawn line, computed in the projected CRS")),
    ("shipped_yr", "unit/yr", N_("amount shipped, measured at the source")),
    ("delivered_yr", "unit/yr", N_("amount delivered (after losses)")),
    ("transport_cost_cny_yr", "CNY/yr", N_("handling + per-km transport cost")),
    ("link_cost_cny_yr", "CNY/yr", N_("annual cost of opening the link")),
    ("cost_cny_yr", "CNY/yr", N_("transport + link cost")),
    ("co2_transport_t_yr", "t CO2/yr", N_("CO2 emitted by the transport")),
    ("width_mm", "mm", N_("line width used by the styles (square root of shipped, per unit)")),
    ("geometry_source", "", N_("straight (line between the sites) | route | onsite (0 km)")),
)
#: the flows' fields of a case with chains of plants (facility_outputs.csv), after from_name_zh
CHAIN_FIELDS: tuple[tuple[str, str, str], ...] = (
    (
        "from_facility",
        "",
        N_("facility whose output the flow carries (a chained output); empty: supply.csv"),
    ),
    ("from_facility_name", "", N_("name of that facility")),
    ("from_facility_name_zh", "", N_("name of that facility in Chinese")),
    (
        "chained",
        "0/1",
        N_("1 if the flow carries a facility's output to another (chain of plants)"),
    ),
)
#: the facilities' field of a multi-year run's map, after state
BUILD_YEAR_FIELD = (
    "build_year",
    "year",
    N_("year the plan builds the candidate (empty: never built, or an existing facility)"),
)
CANDIDATE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("from_site", "", N_("source site id")),
    ("facility", "", N_("facility id")),
    ("to_site", "", N_("site of the facility")),
    ("stream", "", N_("waste stream id")),
    ("mode", "", N_("transport mode")),
    ("unit", "", N_("unit of the stream (t or MWh)")),
    ("km", "km", N_("route length as modelled")),
    ("line_km", "km", N_("length of the drawn line, computed in the projected CRS")),
    ("unit_cost_cny_per_unit", "CNY/unit", N_("handling + per-km cost per unit shipped")),
    ("link_cost_cny_yr", "CNY/yr", N_("annual cost of opening the link")),
    ("efficiency", "fraction", N_("share delivered of what is shipped (1 - loss)")),
    ("co2_kg_per_unit", "kg CO2/unit", N_("transport CO2 per unit shipped")),
    ("max_flow_yr", "unit/yr", N_("largest flow the arc can carry (big M)")),
    ("geometry_source", "", N_("straight | route | onsite")),
)
PARK_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("park", "", N_("park id")),
    ("name", "", N_("park name")),
    ("name_zh", "", N_("park name in Chinese (empty: the case has none)")),
    ("prefecture", "", N_("prefecture")),
    ("level", "", N_("national, provincial or other")),
    ("area_km2", "km2", N_("area, computed in the projected CRS")),
    ("n_sites", "count", N_("sites in the park")),
    ("n_facilities", "count", N_("facilities (existing and candidate) in the park")),
    ("n_built", "count", N_("candidates built in the park")),
    ("supply_target_t_yr", "t/yr", N_("supply of target streams at the park's sites")),
    ("delivered_target_t_yr", "t/yr", N_("target streams taken in by the park's facilities")),
)


def default_basemap_dir() -> Path:
    """``maps/`` beside the package (a source checkout).

    Returns
    -------
    Path
        The folder holding :data:`BASEMAP_FILES` in a source checkout (it may not exist in
        an installed package).
    """
    return Path(symbiosis.__file__).resolve().parents[1] / "maps"


def stream_field(prefix: str, stream: str, unit: str) -> str:
    """The name of a per-stream field: ``supply_phosphogypsum_t_yr``, ``intake_heat_mwh_yr``.

    Parameters
    ----------
    prefix : str
        What the field holds (``supply``, ``unused``, ``intake``, ``delivered``).
    stream : str
        The stream id.
    unit : str
        The stream's unit (``t``, ``MWh``), written in lower case.

    Returns
    -------
    str
        ``<prefix>_<stream>_<unit>_yr``.
    """
    return f"{prefix}_{stream}_{unit.lower()}_yr"


class FieldDictionary:
    """The field dictionary of a map, collected while its layers are built: one row per
    (layer, field) with its unit and description.

    It takes no parameters: the builders describe their fields with :meth:`add` and
    :meth:`add_all`, and :meth:`frame` gives the dictionary of the layers built.

    Attributes
    ----------
    rows : list of (str, str, str, str)
        (layer, field, unit, description) in the order described.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, layer: str, name: str, unit: str, description: str) -> None:
        """Describe one field.

        Parameters
        ----------
        layer : str
            The layer.
        name : str
            The field.
        unit : str
            Its unit (empty for text and ids).
        description : str
            What it holds.
        """
        self.rows.append((layer, name, unit, description))

    def add_all(self, layer: str, rows: Iterable[tuple[str, str, str]]) -> None:
        """Describe several fields of one layer, in order, in the map's language.

        Parameters
        ----------
        layer : str
            The layer.
        rows : iterable of (str, str, str)
            (field, unit, description) each, the description in English (marked with
            ``N_``: it is translated here).
        """
        for name, unit, description in rows:
            self.add(layer, name, unit, _(description))

    def frame(self, layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
        """The dictionary of the fields the layers have.

        Parameters
        ----------
        layers : dict of str to GeoDataFrame
            The map's layers, in drawing order.

        Returns
        -------
        DataFrame
            Columns layer, field, unit, description: the described fields present in a
            layer, in the order described (the first description of a field kept), then any
            column described nowhere, with an empty unit and "as in the source data".
        """
        frame = pd.DataFrame(self.rows, columns=["layer", "field", "unit", "description"])
        keep = [
            layer in layers and name in layers[layer].columns
            for layer, name in zip(frame["layer"], frame["field"], strict=True)
        ]
        frame = frame.loc[keep].drop_duplicates(["layer", "field"]).reset_index(drop=True)
        # Any column not described gets an empty row, so the dictionary is complete.
        extra = []
        for layer, gdf in layers.items():
            known = set(frame.loc[frame["layer"] == layer, "field"])
            for col in gdf.columns:
                if col != gdf.geometry.name and col not in known:
                    extra.append((layer, col, "", _("as in the source data")))
        if extra:
            frame = pd.concat(
                [frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True
            )
        return frame


@dataclass(frozen=True)
class LayerInputs:
    """What the layers of one run's map are built from.

    Parameters
    ----------
    run : RunFolder
        The run folder.
    case : Case
        The case it was solved on.
    streams : DataFrame
        The case's streams: stream, name, kind, unit, target, colour, label.
    solved : bool
        The run has a solution (its summary has an objective).
    pcrs : pyproj.CRS
        The projected CRS of lengths and areas.
    routes : GeoDataFrame or None
        Route geometry drawn instead of straight lines (from_site, to_site, mode).
    fields : FieldDictionary
        Receives the unit and meaning of every field the builders write.
    year : int or None
        The year a multi-year run's map shows (``run`` holds that year's rows only, without
        their ``year`` column); None: a single-period run.
    """

    run: RunFolder
    case: Case
    streams: pd.DataFrame
    solved: bool
    pcrs: pyproj.CRS
    routes: gpd.GeoDataFrame | None
    fields: FieldDictionary
    year: int | None = None

    @property
    def unit_of(self) -> dict[str, str]:
        """Stream -> its unit."""
        return dict(zip(self.streams["stream"], self.streams["unit"], strict=True))

    @property
    def target_streams(self) -> set[str]:
        """The streams with target = 1 (counted by the delivery target)."""
        return set(self.streams.loc[self.streams["target"] == 1, "stream"])

    def site_map(self, column: str) -> dict[str, object]:
        """Site id -> one column of the case's sites.

        Parameters
        ----------
        column : str
            A column of sites.csv (``name``, ``prefecture``, ``park``, ``lon``, ``lat``);
            ``name_zh`` is ``""`` for every site of a case without it.

        Returns
        -------
        dict
            Site id -> the column's value.
        """
        sites = self.case.sites
        values = chinese_names(sites) if column == "name_zh" else sites[column]
        return dict(zip(sites["site"], values, strict=True))

    def stream_name(self, stream: str) -> str:
        """A stream's name in the map's language (its id when the case names it not).

        Parameters
        ----------
        stream : str
            The stream id.

        Returns
        -------
        str
            ``name_zh`` in Chinese where the case has it, else ``name``.
        """
        rows = self.streams.loc[self.streams["stream"] == stream]
        return (local_name(rows.iloc[0]) if len(rows) else "") or stream


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------
def _points(frame: pd.DataFrame, lon: str = "lon", lat: str = "lat") -> gpd.GeoSeries:
    """Points at the ``lon``, ``lat`` columns of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        Rows with coordinates in degrees.
    lon, lat : str
        The columns of longitude and latitude.

    Returns
    -------
    GeoSeries
        One point per row, EPSG:4326, with the index of ``frame``.
    """
    return gpd.GeoSeries(
        gpd.points_from_xy(frame[lon].astype(float), frame[lat].astype(float)),
        index=frame.index,
        crs=CRS_DATA,
    )


def _lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Straight LineStrings from (x0, y0) to (x1, y1), one per element.

    Parameters
    ----------
    x0, y0, x1, y1 : ndarray
        Start and end coordinates (degrees), all of one length.

    Returns
    -------
    ndarray
        Shapely LineStrings.
    """
    coords = np.stack([np.stack([x0, y0], axis=1), np.stack([x1, y1], axis=1)], axis=1)
    return shapely.linestrings(coords.astype(float))


def _line_km(geoms: gpd.GeoSeries, crs: pyproj.CRS) -> np.ndarray:
    """Lengths of ``geoms`` in km, measured in ``crs``, to the metre.

    Parameters
    ----------
    geoms : GeoSeries
        Lines in any CRS.
    crs : pyproj.CRS
        The projected CRS to measure in.

    Returns
    -------
    ndarray
        Lengths in km, rounded to 3 decimals.
    """
    if len(geoms) == 0:
        return np.zeros(0)
    return np.round(geoms.to_crs(crs).length.to_numpy() / 1000.0, 3)


def _empty_gdf(columns: list[str]) -> gpd.GeoDataFrame:
    """A layer with ``columns`` and no feature.

    Parameters
    ----------
    columns : list of str
        Its fields.

    Returns
    -------
    GeoDataFrame
        No rows, object columns, an empty EPSG:4326 geometry.
    """
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in columns}, geometry=gpd.GeoSeries([], crs=CRS_DATA)
    )


def read_routes(routes: Path | gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Route geometry, checked, in EPSG:4326.

    Parameters
    ----------
    routes : Path, GeoDataFrame or None
        A file GeoPandas reads (GeoJSON, GeoPackage ...) or a frame: LineStrings with
        from_site, to_site and optionally mode; no CRS means EPSG:4326.

    Returns
    -------
    GeoDataFrame or None
        The routes with from_site, to_site and mode as text (mode empty when not given);
        None when ``routes`` is None.

    Raises
    ------
    InputError
        The file cannot be read, or lacks from_site or to_site.
    """
    if routes is None:
        return None
    if isinstance(routes, gpd.GeoDataFrame):
        gdf = routes
    else:
        try:
            gdf = gpd.read_file(routes)
        except Exception as exc:
            raise InputError(
                [Problem(str(routes), _("cannot read route geometry: {error}").format(error=exc))],
                "routes",
            ) from None
    needed = {"from_site", "to_site"}
    if not needed <= set(gdf.columns):
        raise InputError(
            [
                Problem(
                    str(routes),
                    _(
                        "route features need properties from_site and to_site "
                        "(and optionally mode) with LineString geometry"
                    ),
                )
            ],
            "routes",
        )
    if gdf.crs is None:
        gdf = gdf.set_crs(CRS_DATA)
    gdf = gdf.to_crs(CRS_DATA)
    if "mode" not in gdf.columns:
        gdf["mode"] = ""
    gdf = gdf.assign(
        from_site=gdf["from_site"].astype(str),
        to_site=gdf["to_site"].astype(str),
        mode=gdf["mode"].fillna("").astype(str),
    )
    return gdf


def _apply_routes(
    frame: pd.DataFrame, geoms: np.ndarray, routes: gpd.GeoDataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """Replace straight lines by route geometry where a route matches (from, to[, mode]).

    A route of the same mode is taken first, then one with no mode, then one of any mode.

    Parameters
    ----------
    frame : DataFrame
        The arcs: from_site, to_site, mode.
    geoms : ndarray
        Their straight lines.
    routes : GeoDataFrame or None
        :func:`read_routes`; None: the straight lines are kept.

    Returns
    -------
    tuple of (ndarray, ndarray)
        The geometries, and each one's source: ``route``, ``onsite`` (from and to the same
        site) or ``straight``.
    """
    source = np.where(
        frame["from_site"].to_numpy() == frame["to_site"].to_numpy(), "onsite", "straight"
    ).astype(object)
    if routes is None or len(frame) == 0:
        return geoms, source
    by_mode = {
        (f, t, m): g
        for f, t, m, g in zip(
            routes["from_site"], routes["to_site"], routes["mode"], routes.geometry, strict=True
        )
        if g is not None and not g.is_empty
    }
    any_mode = {(f, t): g for (f, t, _m), g in by_mode.items()}
    geoms = geoms.copy()
    for i, (f, t, m) in enumerate(
        zip(frame["from_site"], frame["to_site"], frame["mode"], strict=True)
    ):
        g = by_mode.get((f, t, m)) or by_mode.get((f, t, "")) or any_mode.get((f, t))
        if g is not None:
            geoms[i] = g
            source[i] = "route"
    return geoms, source


# --------------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------------
def sites_layer(inputs: LayerInputs) -> gpd.GeoDataFrame:
    """The sites, with their supply and what is left unused of each stream.

    Parameters
    ----------
    inputs : LayerInputs
        The run, its case and streams.

    Returns
    -------
    GeoDataFrame
        One point per site (fields: :mod:`symbiosis.maps.data`); the unused amounts and
        cost are NaN when the run has no solution.
    """
    fd = inputs.fields
    site_layer = inputs.case.sites[["site", "name", "park", "prefecture", "lon", "lat", "rail"]]
    site_layer = site_layer.copy()
    site_layer.insert(2, "name_zh", chinese_names(inputs.case.sites))
    fd.add_all("sites", SITE_FIELDS)
    _site_streams(inputs, site_layer)
    _site_targets(inputs, site_layer)
    unused = inputs.run.unused
    if inputs.solved and len(unused):
        cost = unused.groupby("site")["unused_cost"].sum()
        site_layer["unused_cost_cny_yr"] = site_layer["site"].map(cost).fillna(0.0)
    else:
        site_layer["unused_cost_cny_yr"] = np.nan
    fd.add(
        "sites",
        "unused_cost_cny_yr",
        "CNY/yr",
        _("cost of leaving material unused (disposal + environmental tax, or unused_cost)"),
    )
    return gpd.GeoDataFrame(site_layer, geometry=_points(site_layer), crs=CRS_DATA)


def _site_streams(inputs: LayerInputs, site_layer: pd.DataFrame) -> None:
    """Add ``supply_<stream>_<unit>_yr`` and ``unused_<stream>_<unit>_yr`` per stream.

    Parameters
    ----------
    inputs : LayerInputs
        The case's supply, the run's unused amounts, the streams.
    site_layer : DataFrame
        The sites, changed in place; an unknown unused amount (no solution) is NaN where
        the site has supply of the stream, 0 elsewhere.
    """
    fd, unit_of, unused = inputs.fields, inputs.unit_of, inputs.run.unused
    supply, source = _supply_amounts(inputs)
    for stream in inputs.streams["stream"]:
        unit = unit_of[stream]
        rows = supply["stream"] == stream
        amount = supply.loc[rows].groupby("site")["amount"].sum()
        name = stream_field("supply", stream, unit)
        site_layer[name] = site_layer["site"].map(amount).fillna(0.0).astype(float)
        words = inputs.stream_name(stream)
        fd.add(
            "sites",
            name,
            f"{unit}/yr",
            _("supply of {stream} ({source})").format(stream=words, source=source),
        )
        name_u = stream_field("unused", stream, unit)
        if inputs.solved and len(unused):
            left = unused.loc[unused["stream"] == stream].groupby("site")["unused"].sum()
            site_layer[name_u] = site_layer["site"].map(left).fillna(0.0).astype(float)
        else:
            site_layer[name_u] = np.where(site_layer[name] > 0, np.nan, 0.0)
        fd.add(
            "sites",
            name_u,
            f"{unit}/yr",
            _("{stream} left unused in the optimum").format(stream=words),
        )


def _supply_amounts(inputs: LayerInputs) -> tuple[pd.DataFrame, str]:
    """The supply at each site: supply.csv's, or the year's of a multi-year run.

    Parameters
    ----------
    inputs : LayerInputs
        The case's supply; for a year of a solved multi-year run, that year's unused.csv
        (its ``amount``, with growth, supply_years.csv and stocks applied).

    Returns
    -------
    tuple of (DataFrame, str)
        Rows with site, stream and amount (chained outputs' rows left out), and where the
        amounts come from (for the field dictionary).
    """
    unused = inputs.run.unused
    if inputs.year is None or not inputs.solved or "amount" not in unused.columns:
        return inputs.case.supply, _("supply.csv amount")
    rows = unused
    if "produced_by" in rows.columns:  # a facility's output is not supply of its site
        rows = rows.loc[rows["produced_by"].fillna("").astype(str) == ""]
    return rows, _("in {year}: supply.csv with growth and supply_years.csv").format(
        year=inputs.year
    )


def _site_targets(inputs: LayerInputs, site_layer: pd.DataFrame) -> None:
    """Add ``supply_target_t_yr`` and ``unused_target_t_yr``: the sums over target streams.

    Parameters
    ----------
    inputs : LayerInputs
        The streams (their targets).
    site_layer : DataFrame
        The sites with their per-stream fields (:func:`_site_streams`), changed in place.
    """
    unit_of, target_streams = inputs.unit_of, inputs.target_streams
    supply_cols = [stream_field("supply", s, unit_of[s]) for s in target_streams]
    unused_cols = [stream_field("unused", s, unit_of[s]) for s in target_streams]
    site_layer["supply_target_t_yr"] = site_layer[supply_cols].sum(axis=1) if supply_cols else 0.0
    site_layer["unused_target_t_yr"] = (
        site_layer[unused_cols].sum(axis=1, min_count=1) if unused_cols else 0.0
    )
    inputs.fields.add(
        "sites", "supply_target_t_yr", "t/yr", _("supply of the streams with target = 1")
    )
    inputs.fields.add(
        "sites", "unused_target_t_yr", "t/yr", _("unused amount of the streams with target = 1")
    )


# --------------------------------------------------------------------------------------------
# Facilities
# --------------------------------------------------------------------------------------------
def facilities_layer(inputs: LayerInputs) -> gpd.GeoDataFrame:
    """The facilities: existing, built or not built, with their intake and costs.

    Parameters
    ----------
    inputs : LayerInputs
        The run, its case and streams.

    Returns
    -------
    GeoDataFrame
        One point per facility, at its site (fields: :mod:`symbiosis.maps.data`); without a
        solution the case's facilities, existing ones built, intake and costs NaN.
    """
    case, unit_of = inputs.case, inputs.unit_of
    fac_unit = (
        case.facility_inputs.assign(unit=case.facility_inputs["stream"].map(unit_of))
        .drop_duplicates("facility")
        .set_index("facility")["unit"]
    )
    facilities = _facility_table(inputs)
    fac = pd.DataFrame(
        {
            "facility": facilities["facility"],
            "name": facilities["name"],
            "name_zh": facilities["facility"].map(_facility_names(case, "name_zh")),
            "tech": facilities["tech"],
            "site": facilities["site"],
            "site_name": facilities["site"].map(inputs.site_map("name")),
            "site_name_zh": facilities["site"].map(inputs.site_map("name_zh")),
            "status": facilities["status"],
            "built": facilities["built"].astype(int),
        }
    )
    fac["state"] = np.where(
        fac["status"] == "existing", "existing", np.where(fac["built"] == 1, "built", "not_built")
    )
    if inputs.year is not None:
        _year_states(inputs, facilities, fac)
    fac["unit"] = fac["facility"].map(fac_unit).fillna("")
    fac["capacity_yr"] = facilities["capacity"].astype(float)
    fac["intake_yr"] = facilities["intake"].astype(float)
    fac["use_pct"] = np.round(facilities["use"].astype(float) * 100.0, 4)
    for stream in inputs.streams["stream"]:
        col = f"intake_{stream}"
        name = stream_field("intake", stream, unit_of[stream])
        fac[name] = facilities[col].astype(float) if col in facilities else 0.0
        inputs.fields.add(
            "facilities",
            name,
            f"{unit_of[stream]}/yr",
            _("{stream} taken in (delivered)").format(stream=inputs.stream_name(stream)),
        )
    fac["capex_cny"] = facilities["capex"].astype(float)
    fac["fixed_opex_cny_yr"] = facilities["fixed_opex"].astype(float)
    fac["annual_cost_cny_yr"] = facilities["annual_cost"].astype(float)
    fac["co2_avoided_t_yr"] = facilities["co2_avoided_t"].astype(float)
    fac["group"] = facilities["group"].fillna("").astype(str)
    for column in ("prefecture", "park", "lon", "lat"):
        fac[column] = fac["site"].map(inputs.site_map(column))
    inputs.fields.add_all("facilities", FACILITY_FIELDS)
    if inputs.year is not None:
        inputs.fields.add("facilities", *BUILD_YEAR_FIELD)
    return gpd.GeoDataFrame(fac, geometry=_points(fac), crs=CRS_DATA)


def _facility_names(case: Case, column: str) -> dict[str, str]:
    """Facility id -> its name (``name``) or its Chinese name (``name_zh``).

    Parameters
    ----------
    case : Case
        The case.
    column : str
        ``name`` or ``name_zh`` (``""`` for every facility of a case without it).

    Returns
    -------
    dict of str to str
        One entry per facility of facilities.csv.
    """
    table = case.facilities
    values = chinese_names(table) if column == "name_zh" else table[column].astype(str)
    return dict(zip(table["facility"].astype(str), values, strict=True))


def _year_states(inputs: LayerInputs, facilities: pd.DataFrame, fac: pd.DataFrame) -> None:
    """A multi-year run's facilities in the year the map shows: ``built`` is 1 for those
    active that year, an existing one no longer active is ``retired``, and ``build_year``
    follows ``state``.

    Parameters
    ----------
    inputs : LayerInputs
        The year shown.
    facilities : DataFrame
        That year's rows of facilities.csv (``built`` = active that year, ``build_year``),
        or the case's facilities when the run has no solution.
    fac : DataFrame
        The layer being built (``status``, ``built``, ``state``), changed in place.
    """
    retired = (fac["status"] == "existing") & (fac["built"] == 0)
    fac.loc[retired, "state"] = styles.RETIRED
    if "build_year" in facilities.columns:
        build_year = pd.to_numeric(facilities["build_year"]).astype("Int64")
    else:
        build_year = pd.Series(pd.NA, index=fac.index, dtype="Int64")
    fac.insert(list(fac.columns).index("state") + 1, "build_year", build_year)


def _facility_table(inputs: LayerInputs) -> pd.DataFrame:
    """facilities.csv of the run, or the case's facilities when the run has no solution.

    Parameters
    ----------
    inputs : LayerInputs
        The run and its case.

    Returns
    -------
    DataFrame
        The run's table (ids as text); or the case's facilities with ``built`` 1 for the
        existing ones and intake, use, annual cost, CO2 avoided and per-stream intake NaN.
    """
    run, case = inputs.run, inputs.case
    if inputs.solved and len(run.facilities):
        table = run.facilities.copy()
        table["facility"] = table["facility"].astype(str)
        return table
    table = case.facilities.copy()
    table["built"] = (table["status"] == "existing").astype(int)
    for col in ("intake", "use", "annual_cost", "co2_avoided_t"):
        table[col] = np.nan
    for stream in inputs.streams["stream"]:
        table[f"intake_{stream}"] = np.nan
    return table


# --------------------------------------------------------------------------------------------
# Flows and candidate links
# --------------------------------------------------------------------------------------------
def flows_layer(inputs: LayerInputs) -> gpd.GeoDataFrame:
    """The flows of the optimum: one line per arc that ships something.

    Parameters
    ----------
    inputs : LayerInputs
        The run (flows.csv), its case (site and facility names) and the routes.

    Returns
    -------
    GeoDataFrame
        Lines from the source site to the facility's site, or the route's geometry where a
        route matches (fields: :data:`FLOW_FIELDS`); no feature when nothing is shipped.
    """
    flows = inputs.run.flows
    described = flow_fields("from_facility" in flows.columns)
    flow_cols = [name for name, _, _ in described]
    if len(flows):
        layer = _flow_lines(inputs, flows)
        layer.insert(9, "line_km", _line_km(layer.geometry, inputs.pcrs))
        layer = layer[[*flow_cols, "geometry"]]
    else:
        layer = _empty_gdf(flow_cols)
    inputs.fields.add_all("flows", described)
    return layer


def flow_fields(chains: bool) -> tuple[tuple[str, str, str], ...]:
    """The flows layer's fields, in order.

    Parameters
    ----------
    chains : bool
        The run's flows.csv has ``from_facility`` (a case with facility_outputs.csv).

    Returns
    -------
    tuple of (str, str, str)
        (field, unit, description) each: :data:`FLOW_FIELDS`, with :data:`CHAIN_FIELDS`
        after ``from_name_zh`` for a case with chains.
    """
    if not chains:
        return FLOW_FIELDS
    at = [name for name, _, _ in FLOW_FIELDS].index("from_name_zh") + 1
    return (*FLOW_FIELDS[:at], *CHAIN_FIELDS, *FLOW_FIELDS[at:])


def _flow_lines(inputs: LayerInputs, flows: pd.DataFrame) -> gpd.GeoDataFrame:
    """The flows with shipped > 0 as lines, with width_mm and geometry_source (no line_km yet).

    Parameters
    ----------
    inputs : LayerInputs
        The case (names) and the routes.
    flows : DataFrame
        The run's flows.csv (not empty).

    Returns
    -------
    GeoDataFrame
        One line per flow that ships something, in the order of flows.csv.
    """
    case = inputs.case
    fac_name = _facility_names(case, "name")
    fac_name_zh = _facility_names(case, "name_zh")
    fl = pd.DataFrame(
        {
            "from_site": flows["from_site"],
            "from_name": flows["from_site"].map(inputs.site_map("name")),
            "from_name_zh": flows["from_site"].map(inputs.site_map("name_zh")),
            "facility": flows["facility"],
            "facility_name": flows["facility"].map(fac_name),
            "facility_name_zh": flows["facility"].map(fac_name_zh),
            "to_site": flows["to_site"],
            "stream": flows["stream"],
            "mode": flows["mode"],
            "unit": flows["unit"],
            "km": flows["km"].astype(float),
            "shipped_yr": flows["shipped"].astype(float),
            "delivered_yr": flows["delivered"].astype(float),
            "transport_cost_cny_yr": flows["transport_cost"].astype(float),
            "link_cost_cny_yr": flows["link_cost"].astype(float),
            "cost_cny_yr": flows["cost"].astype(float),
            "co2_transport_t_yr": flows["co2_transport_t"].astype(float),
        }
    )
    if "from_facility" in flows.columns:  # chains of plants: whose output each flow carries
        made_by = flows["from_facility"].fillna("").astype(str)
        fl["from_facility"] = made_by
        fl["from_facility_name"] = made_by.map(fac_name).fillna("")
        fl["from_facility_name_zh"] = made_by.map(fac_name_zh).fillna("")
        fl["chained"] = (made_by != "").astype(int)
    fl = fl.loc[fl["shipped_yr"] > 0].reset_index(drop=True)
    ends = flows.loc[flows["shipped"].astype(float) > 0].reset_index(drop=True)
    geoms = _lines(
        ends["from_lon"].to_numpy(float),
        ends["from_lat"].to_numpy(float),
        ends["to_lon"].to_numpy(float),
        ends["to_lat"].to_numpy(float),
    )
    geoms, source = _apply_routes(fl, geoms, inputs.routes)
    fl["width_mm"] = styles.flow_widths(fl["shipped_yr"].to_numpy(), fl["unit"].tolist())
    fl["geometry_source"] = source
    return gpd.GeoDataFrame(fl, geometry=gpd.GeoSeries(geoms, crs=CRS_DATA))


def candidate_links_layer(inputs: LayerInputs) -> gpd.GeoDataFrame:
    """The arcs the model could have used but did not (no flow in the run).

    Parameters
    ----------
    inputs : LayerInputs
        The run (its flows), its case (whose arcs are built again by
        :func:`symbiosis.network.build_arcs`) and the routes.

    Returns
    -------
    GeoDataFrame
        One line per unused arc (fields: :data:`CANDIDATE_FIELDS`).
    """
    from symbiosis.network import build_arcs

    cols = [name for name, _, _ in CANDIDATE_FIELDS]
    inputs.fields.add_all("links_candidate", CANDIDATE_FIELDS)
    arcs = build_arcs(inputs.case)
    if len(arcs) == 0:
        return _empty_gdf(cols)
    arcs = _unused_arcs(arcs, inputs.run.flows)
    if len(arcs) == 0:
        return _empty_gdf(cols)
    sites = inputs.case.sites.set_index("site")
    unit_of = inputs.case.stream_unit()
    frame = pd.DataFrame(
        {
            "from_site": arcs["from_site"],
            "facility": arcs["facility"],
            "to_site": arcs["to_site"],
            "stream": arcs["stream"],
            "mode": arcs["mode"],
            "unit": arcs["stream"].map(unit_of),
            "km": arcs["km"].astype(float),
            "unit_cost_cny_per_unit": arcs["unit_cost"].astype(float),
            "link_cost_cny_yr": arcs["link_cost"].astype(float),
            "efficiency": arcs["eff"].astype(float),
            "co2_kg_per_unit": arcs["co2_per_unit"].astype(float),
            "max_flow_yr": arcs["big_m"].astype(float),
        }
    )
    geoms = _lines(
        sites["lon"].reindex(frame["from_site"]).to_numpy(float),
        sites["lat"].reindex(frame["from_site"]).to_numpy(float),
        sites["lon"].reindex(frame["to_site"]).to_numpy(float),
        sites["lat"].reindex(frame["to_site"]).to_numpy(float),
    )
    geoms, source = _apply_routes(frame, geoms, inputs.routes)
    frame["geometry_source"] = source
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CRS_DATA))
    gdf["line_km"] = _line_km(gdf.geometry, inputs.pcrs)
    return gdf[[*cols, "geometry"]]


def _unused_arcs(arcs: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """The arcs that carry no flow of the run.

    Parameters
    ----------
    arcs : DataFrame
        :func:`symbiosis.network.build_arcs` of the case.
    flows : DataFrame
        The run's flows.csv (an arc is from_site, facility, stream, mode).

    Returns
    -------
    DataFrame
        The arcs not in ``flows``, re-indexed from 0.
    """
    used = set(
        zip(
            flows.get("from_site", []),
            flows.get("facility", []),
            flows.get("stream", []),
            flows.get("mode", []),
            strict=False,
        )
    )
    keep = np.array(
        [
            key not in used
            for key in zip(
                arcs["from_site"], arcs["facility"], arcs["stream"], arcs["mode"], strict=True
            )
        ],
        dtype=bool,
    )
    return arcs.loc[keep].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Parks and the basemap
# --------------------------------------------------------------------------------------------
def parks_layer(
    inputs: LayerInputs, sites: gpd.GeoDataFrame, fac: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The case's parks with their area and what their sites and facilities hold.

    Parameters
    ----------
    inputs : LayerInputs
        The case (its parks.geojson, which must have features) and streams.
    sites : GeoDataFrame
        The sites layer (:func:`sites_layer`).
    fac : GeoDataFrame
        The facilities layer (:func:`facilities_layer`).

    Returns
    -------
    GeoDataFrame
        The parks' polygons with park, name, prefecture, level first, then their other
        properties, then the fields of :data:`PARK_FIELDS`.
    """
    assert inputs.case.parks is not None
    parks = gpd.GeoDataFrame.from_features(inputs.case.parks["features"], crs=CRS_DATA)
    for col in ("park", "name", "name_zh", "prefecture", "level"):
        if col not in parks:
            parks[col] = ""
    parks["park"] = parks["park"].astype(str)
    parks["name_zh"] = chinese_names(parks)
    front = ["park", "name", "name_zh", "prefecture", "level"]
    parks = parks[
        [*front, *[c for c in parks.columns if c not in (*front, "geometry")], "geometry"]
    ]
    parks["area_km2"] = np.round(parks.to_crs(inputs.pcrs).area.to_numpy() / 1e6, 3)
    parks["n_sites"] = parks["park"].map(sites.groupby("park").size()).fillna(0).astype(int)
    parks["n_facilities"] = parks["park"].map(fac.groupby("park").size()).fillna(0).astype(int)
    parks["n_built"] = (
        parks["park"]
        .map(fac.loc[fac["state"] == "built"].groupby("park").size())
        .fillna(0)
        .astype(int)
    )
    parks["supply_target_t_yr"] = (
        parks["park"].map(sites.groupby("park")["supply_target_t_yr"].sum()).fillna(0.0)
    )
    unit_of = inputs.unit_of
    intake_cols = [stream_field("intake", s, unit_of[s]) for s in inputs.target_streams]
    delivered = fac[intake_cols].sum(axis=1, min_count=1) if intake_cols else fac["intake_yr"] * 0
    parks["delivered_target_t_yr"] = (
        parks["park"].map(delivered.groupby(fac["park"]).sum(min_count=1)).fillna(0.0)
    )
    inputs.fields.add_all("parks", PARK_FIELDS)
    return parks


def basemap_layers(
    inputs: LayerInputs, basemap_dir: Path | None
) -> tuple[dict[str, gpd.GeoDataFrame], list[str], list[str]]:
    """The province outline and the prefecture seats, from the basemap's GeoJSON files.

    Parameters
    ----------
    inputs : LayerInputs
        The projected CRS (the province's area) and the field dictionary.
    basemap_dir : Path or None
        The folder holding :data:`BASEMAP_FILES`; None: :func:`default_basemap_dir`.

    Returns
    -------
    tuple of (dict, list of str, list of str)
        The layers found (``province`` with ``area_km2``, ``prefecture_seats``), the files
        read, and a warning per file missing from a ``basemap_dir`` that was given (none
        for the default folder).
    """
    base = basemap_dir if basemap_dir is not None else default_basemap_dir()
    layers: dict[str, gpd.GeoDataFrame] = {}
    used: list[str] = []
    notes: list[str] = []
    for layer, filename in BASEMAP_FILES.items():
        file = Path(base) / filename
        if file.is_file():
            gdf = gpd.read_file(file)
            gdf = gdf.set_crs(CRS_DATA) if gdf.crs is None else gdf.to_crs(CRS_DATA)
            if layer == "province":
                gdf["area_km2"] = np.round(gdf.to_crs(inputs.pcrs).area.to_numpy() / 1e6, 1)
                inputs.fields.add(
                    "province", "area_km2", "km2", _("area, computed in the projected CRS")
                )
            layers[layer] = gdf
            used.append(str(file))
        elif basemap_dir is not None:
            notes.append(_("basemap file not found: {file}").format(file=file))
    return layers, used, notes


__all__ = [
    "BASEMAP_CREDIT",
    "BASEMAP_FILES",
    "BUILD_YEAR_FIELD",
    "CHAIN_FIELDS",
    "CRS_DATA",
    "GEOMETRY",
    "LAYERS",
    "FieldDictionary",
    "LayerInputs",
    "basemap_layers",
    "candidate_links_layer",
    "default_basemap_dir",
    "facilities_layer",
    "flow_fields",
    "flows_layer",
    "parks_layer",
    "read_routes",
    "sites_layer",
    "stream_field",
]
