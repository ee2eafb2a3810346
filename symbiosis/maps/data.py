"""A run folder + its case -> GeoDataFrames, one per map layer.

Every layer is in EPSG:4326 (WGS 84 longitude/latitude). Lengths and areas are computed in a
projected CRS chosen for the data: the CGCS2000 3-degree Gauss-Kruger zone whose central
meridian is nearest the sites' mean longitude (EPSG:4534 + (CM - 75) / 3, e.g. EPSG:4545,
CM 108E, for most of Guizhou), or the UTM zone outside China. It is stated in
:attr:`MapData.metadata` and in every output's metadata.

Layers (``LAYERS``):

``sites`` (points)
    site, name, park, prefecture, lon, lat, rail, ``supply_<stream>_<unit>_yr`` and
    ``unused_<stream>_<unit>_yr`` per stream, ``supply_target_t_yr``, ``unused_target_t_yr``
    (streams with target = 1), ``unused_cost_cny_yr``.
``facilities`` (points)
    facility, name, tech, site, status (existing/candidate), built (0/1), state
    (existing/built/not_built), unit, capacity_yr and intake_yr (in ``unit``/yr), use_pct
    (intake / capacity x 100), ``intake_<stream>_<unit>_yr``, capex_cny, fixed_opex_cny_yr,
    annual_cost_cny_yr (annualised capex + fixed opex of a built candidate),
    co2_avoided_t_yr, group, prefecture, park, lon, lat.
``flows`` (lines, source site -> facility), one feature per arc with flow > 0
    from_site, from_name, facility, facility_name, to_site, stream, mode, unit, km (as
    modelled: distances.csv or great circle x circuity), line_km (length of the drawn line,
    projected CRS), shipped_yr, delivered_yr (``unit``/yr), transport_cost_cny_yr,
    link_cost_cny_yr, cost_cny_yr, co2_transport_t_yr, width_mm (line width of the styles),
    geometry_source (straight | route | onsite).
``links_candidate`` (lines): arcs the model could have used but did not
    from_site, facility, to_site, stream, mode, unit, km, line_km, unit_cost_cny_per_unit,
    link_cost_cny_yr, efficiency, co2_kg_per_unit, max_flow_yr, geometry_source.
``parks`` (polygons): the case's parks.geojson, plus area_km2, n_sites, n_facilities,
    n_built, supply_target_t_yr, delivered_target_t_yr.
``province`` (polygon) and ``prefecture_seats`` (points): the basemap layers of ``maps/``.
``prefecture_summary`` (points at the prefecture seat, or at the mean of the prefecture's
    sites when no seat matches; ``geometry_source`` says which)
    prefecture, seat, supply_target_t_yr, delivered_target_t_yr (at facilities in the
    prefecture), ``delivered_<stream>_<unit>_yr``, ``unused_<stream>_<unit>_yr``,
    unused_target_t_yr, facility_cost_cny_yr (annualised capex and fixed opex of the
    facilities there, with processing cost less product value), transport_cost_cny_yr
    (transport and links of flows leaving the prefecture), unused_cost_cny_yr and
    cost_cny_yr, their sum. Summed over prefectures, cost_cny_yr is the run's objective.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Point

import symbiosis
from symbiosis import units
from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.maps import styles
from symbiosis.results import RunFolder
from symbiosis.results import read_run_folder as read_results_folder

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
BASEMAP_CREDIT = (
    "Province outline: Natural Earth (public domain). Prefecture seats: GeoNames "
    "(geonames.org), CC BY 4.0."
)


def default_basemap_dir() -> Path:
    """``maps/`` beside the package (a source checkout)."""
    return Path(symbiosis.__file__).resolve().parents[1] / "maps"


def projected_crs_for(lon: float, lat: float = 27.0) -> pyproj.CRS:
    """The projected CRS used for lengths, areas and buffers around longitude ``lon``.

    CGCS2000 / 3-degree Gauss-Kruger with the nearest central meridian (75E-135E: EPSG 4534
    to 4554), else the WGS 84 UTM zone.
    """
    cm = 3 * round(lon / 3.0)
    if 75 <= cm <= 135 and 17 <= lat <= 54:
        return pyproj.CRS.from_epsg(4534 + (cm - 75) // 3)
    zone = int((lon + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass
class MapData:
    """Everything a map of one run shows.

    Attributes
    ----------
    name : the scenario name
    summary : the run's summary.json
    layers : layer name -> GeoDataFrame in EPSG:4326, in drawing order (``LAYERS``); a layer
        whose source is missing (no parks.geojson, no basemap) is absent
    streams : streams of the case with ``colour`` and ``label`` columns
    fields : one row per (layer, field): unit and description (the field dictionary)
    projected_crs : the CRS in which lengths and areas were computed
    metadata : what produced the map (run folder, case, CRS, credits, time)
    """

    name: str
    summary: dict[str, Any]
    layers: dict[str, gpd.GeoDataFrame]
    streams: pd.DataFrame
    fields: pd.DataFrame
    projected_crs: pyproj.CRS
    metadata: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    kpis: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["kpi", "key", "value", "unit"])
    )

    @property
    def colours(self) -> dict[str, str]:
        return dict(zip(self.streams["stream"], self.streams["colour"], strict=True))

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown"))

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        return self.layers.get(name)

    def units(self, layer: str) -> dict[str, str]:
        """Field -> unit for one layer (from the field dictionary), cached."""
        cache: dict[str, dict[str, str]] = self.__dict__.setdefault("_units", {})
        if layer not in cache:
            rows = self.fields.loc[self.fields["layer"] == layer]
            cache[layer] = dict(zip(rows["field"], rows["unit"], strict=True))
        return cache[layer]

    def bounds(self, layers: tuple[str, ...] = ("sites", "facilities", "flows")) -> np.ndarray:
        """[minx, miny, maxx, maxy] (degrees) of the given layers' features."""
        frames = [self.layers[n] for n in layers if n in self.layers and len(self.layers[n]) > 0]
        if not frames:
            frames = [f for f in self.layers.values() if len(f)]
        if not frames:
            return np.array([103.6, 24.6, 109.6, 29.3])  # Guizhou
        boxes = np.array([f.total_bounds for f in frames])
        return np.array(
            [boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()]
        )

    def kpi_lines(self) -> list[str]:
        """The key figures as short lines for titles and legends."""
        return kpi_lines(self.summary)


def kpi_lines(summary: dict[str, Any]) -> list[str]:
    lines = []
    if summary.get("objective") is not None:
        lines.append(f"Total cost {fmt_money(summary['objective'])}/yr")
    if summary.get("delivered_target_t") is not None:
        lines.append(
            f"Delivered (target streams) {fmt_amount(summary['delivered_target_t'], 't')}/yr"
        )
    if summary.get("co2_avoided_t") is not None:
        lines.append(f"CO\u2082 avoided {fmt_amount(summary['co2_avoided_t'], 't')}/yr")
    built = summary.get("built") or []
    if summary.get("objective") is not None:
        shown = ", ".join(built[:6]) + (", ..." if len(built) > 6 else "")
        lines.append(f"{len(built)} project(s) built" + (f": {shown}" if built else ""))
    return lines


def fmt_money(value: float) -> str:
    """14049529 -> '14.05 M CNY'."""
    return units.money_short(value)


def fmt_amount(value: float, unit: str) -> str:
    """1_000_000 t -> '1.00 Mt'; 80_000 MWh -> '80.0 k MWh'."""
    return units.amount_short(value, unit)


# --------------------------------------------------------------------------------------------
# Reading the run folder
# --------------------------------------------------------------------------------------------
RUN_FILES = ("summary.json", "flows.csv", "facilities.csv", "unused.csv")


def read_run_folder(path: Path) -> RunFolder:
    """Read a run folder for a map (:func:`symbiosis.results.read_run_folder`): InputError
    naming what is missing when it lacks a table the layers are built from."""
    run = read_results_folder(path)
    missing = [name for name in RUN_FILES if name in run.missing]
    if missing:
        raise InputError(
            [
                Problem(
                    str(Path(path) / name), "missing; a run folder holds " + ", ".join(RUN_FILES)
                )
                for name in missing
            ],
            "run folder",
        )
    return run


# --------------------------------------------------------------------------------------------
# Building the layers
# --------------------------------------------------------------------------------------------
def _unit_tag(unit: str) -> str:
    return unit.lower()


def _stream_field(prefix: str, stream: str, unit: str) -> str:
    return f"{prefix}_{stream}_{_unit_tag(unit)}_yr"


class _Fields:
    """Collects the field dictionary (layer, field, unit, description)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, layer: str, name: str, unit: str, description: str) -> None:
        self.rows.append((layer, name, unit, description))

    def frame(self, layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
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
                    extra.append((layer, col, "", "as in the source data"))
        if extra:
            frame = pd.concat(
                [frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True
            )
        return frame


def _points(frame: pd.DataFrame, lon: str = "lon", lat: str = "lat") -> gpd.GeoSeries:
    return gpd.GeoSeries(
        gpd.points_from_xy(frame[lon].astype(float), frame[lat].astype(float)),
        index=frame.index,
        crs=CRS_DATA,
    )


def _lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    coords = np.stack([np.stack([x0, y0], axis=1), np.stack([x1, y1], axis=1)], axis=1)
    return shapely.linestrings(coords.astype(float))


def _line_km(geoms: gpd.GeoSeries, crs: pyproj.CRS) -> np.ndarray:
    if len(geoms) == 0:
        return np.zeros(0)
    return np.round(geoms.to_crs(crs).length.to_numpy() / 1000.0, 3)


def _read_routes(routes: Path | gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if routes is None:
        return None
    if isinstance(routes, gpd.GeoDataFrame):
        gdf = routes
    else:
        try:
            gdf = gpd.read_file(routes)
        except Exception as exc:
            raise InputError(
                [Problem(str(routes), f"cannot read route geometry: {exc}")], "routes"
            ) from None
    needed = {"from_site", "to_site"}
    if not needed <= set(gdf.columns):
        raise InputError(
            [
                Problem(
                    str(routes),
                    "route features need properties from_site and to_site "
                    "(and optionally mode) with LineString geometry",
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
    """Replace straight lines by route geometry where a route matches (from, to[, mode])."""
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


def _empty_gdf(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in columns}, geometry=gpd.GeoSeries([], crs=CRS_DATA)
    )


def build_map_data(
    run: RunFolder | Path,
    case: Case | None = None,
    basemap_dir: Path | None = None,
    routes: Path | gpd.GeoDataFrame | None = None,
    with_candidates: bool = True,
) -> MapData:
    """All map layers of a run.

    Parameters
    ----------
    run : a run folder (path or :class:`RunFolder`)
    case : the case it was solved on; default: the case named in its manifest.json
    basemap_dir : folder with guizhou_province.geojson and guizhou_cities.geojson; default
        ``maps/`` of the source tree; the basemap layers are left out when the files are not
        there
    routes : optional route geometry (LineStrings with from_site, to_site[, mode]); default:
        the case folder's routes.geojson if there is one
    with_candidates : also build ``links_candidate`` (all unused candidate arcs)
    """
    if not isinstance(run, RunFolder):
        run = read_run_folder(Path(run))
    notes: list[str] = []
    if case is None:
        if run.case_path is None:
            raise InputError(
                [
                    Problem(
                        str(run.path / "manifest.json"),
                        "names no case (scenario.case); give one with --case",
                    )
                ],
                "run folder",
            )
        case = load_case(run.case_path)
    notes += _check_inputs(run, case)
    if routes is None and case.path.is_dir() and (case.path / "routes.geojson").is_file():
        routes = case.path / "routes.geojson"
    route_gdf = _read_routes(routes)

    sites = case.sites.copy()
    centre_lon = float(sites["lon"].mean()) if len(sites) else 106.7
    centre_lat = float(sites["lat"].mean()) if len(sites) else 26.8
    pcrs = projected_crs_for(centre_lon, centre_lat)

    streams = case.streams[["stream", "name", "kind", "unit", "target"]].copy()
    streams["colour"] = streams["stream"].map(stream_colour_map(case))
    streams["label"] = streams["name"].astype(str) + " (" + streams["unit"] + ")"
    unit_of = dict(zip(streams["stream"], streams["unit"], strict=True))
    target_streams = set(streams.loc[streams["target"] == 1, "stream"])
    site_name = dict(zip(sites["site"], sites["name"], strict=True))
    site_pref = dict(zip(sites["site"], sites["prefecture"], strict=True))
    solved = run.summary.get("objective") is not None

    fd = _Fields()
    layers: dict[str, gpd.GeoDataFrame] = {}

    # --- sites ---------------------------------------------------------------------------
    supply = case.supply
    unused = run.unused
    site_layer = sites[["site", "name", "park", "prefecture", "lon", "lat", "rail"]].copy()
    fd.add("sites", "site", "", "site id (sites.csv)")
    fd.add("sites", "name", "", "site name")
    fd.add("sites", "park", "", "industrial park id (empty: outside a park)")
    fd.add("sites", "prefecture", "", "prefecture-level division")
    fd.add("sites", "lon", "degree", "longitude, WGS 84")
    fd.add("sites", "lat", "degree", "latitude, WGS 84")
    fd.add("sites", "rail", "0/1", "1 if the site has a rail siding")
    for stream in streams["stream"]:
        unit = unit_of[stream]
        rows = supply["stream"] == stream
        amount = supply.loc[rows].groupby("site")["amount"].sum()
        name = _stream_field("supply", stream, unit)
        site_layer[name] = site_layer["site"].map(amount).fillna(0.0).astype(float)
        fd.add("sites", name, f"{unit}/yr", f"supply of {stream} (supply.csv amount)")
        name_u = _stream_field("unused", stream, unit)
        if solved and len(unused):
            left = unused.loc[unused["stream"] == stream].groupby("site")["unused"].sum()
            site_layer[name_u] = site_layer["site"].map(left).fillna(0.0).astype(float)
        else:
            site_layer[name_u] = np.where(site_layer[name] > 0, np.nan, 0.0)
        fd.add("sites", name_u, f"{unit}/yr", f"{stream} left unused in the optimum")
    supply_cols = [_stream_field("supply", s, unit_of[s]) for s in target_streams]
    unused_cols = [_stream_field("unused", s, unit_of[s]) for s in target_streams]
    site_layer["supply_target_t_yr"] = site_layer[supply_cols].sum(axis=1) if supply_cols else 0.0
    site_layer["unused_target_t_yr"] = (
        site_layer[unused_cols].sum(axis=1, min_count=1) if unused_cols else 0.0
    )
    fd.add("sites", "supply_target_t_yr", "t/yr", "supply of the streams with target = 1")
    fd.add("sites", "unused_target_t_yr", "t/yr", "unused amount of the streams with target = 1")
    if solved and len(unused):
        cost = unused.groupby("site")["unused_cost"].sum()
        site_layer["unused_cost_cny_yr"] = site_layer["site"].map(cost).fillna(0.0)
    else:
        site_layer["unused_cost_cny_yr"] = np.nan
    fd.add(
        "sites",
        "unused_cost_cny_yr",
        "CNY/yr",
        "cost of leaving material unused (disposal + environmental tax, or unused_cost)",
    )
    layers["sites"] = gpd.GeoDataFrame(site_layer, geometry=_points(site_layer), crs=CRS_DATA)

    # --- facilities ------------------------------------------------------------------------
    fac_unit = (
        case.facility_inputs.assign(unit=case.facility_inputs["stream"].map(unit_of))
        .drop_duplicates("facility")
        .set_index("facility")["unit"]
    )
    facilities = _facility_table(run, case, streams, solved)
    fac = pd.DataFrame(
        {
            "facility": facilities["facility"],
            "name": facilities["name"],
            "tech": facilities["tech"],
            "site": facilities["site"],
            "site_name": facilities["site"].map(site_name),
            "status": facilities["status"],
            "built": facilities["built"].astype(int),
        }
    )
    fac["state"] = np.where(
        fac["status"] == "existing", "existing", np.where(fac["built"] == 1, "built", "not_built")
    )
    fac["unit"] = fac["facility"].map(fac_unit).fillna("")
    fac["capacity_yr"] = facilities["capacity"].astype(float)
    fac["intake_yr"] = facilities["intake"].astype(float)
    fac["use_pct"] = np.round(facilities["use"].astype(float) * 100.0, 4)
    for stream in streams["stream"]:
        col = f"intake_{stream}"
        name = _stream_field("intake", stream, unit_of[stream])
        fac[name] = facilities[col].astype(float) if col in facilities else 0.0
        fd.add("facilities", name, f"{unit_of[stream]}/yr", f"{stream} taken in (delivered)")
    fac["capex_cny"] = facilities["capex"].astype(float)
    fac["fixed_opex_cny_yr"] = facilities["fixed_opex"].astype(float)
    fac["annual_cost_cny_yr"] = facilities["annual_cost"].astype(float)
    fac["co2_avoided_t_yr"] = facilities["co2_avoided_t"].astype(float)
    fac["group"] = facilities["group"].fillna("").astype(str)
    fac["prefecture"] = fac["site"].map(site_pref)
    fac["park"] = fac["site"].map(dict(zip(sites["site"], sites["park"], strict=True)))
    fac["lon"] = fac["site"].map(dict(zip(sites["site"], sites["lon"], strict=True)))
    fac["lat"] = fac["site"].map(dict(zip(sites["site"], sites["lat"], strict=True)))
    for name, unit, text in (
        ("facility", "", "facility id (facilities.csv)"),
        ("name", "", "facility name"),
        ("tech", "", "technology label"),
        ("site", "", "site id where it stands"),
        ("site_name", "", "site name"),
        ("status", "", "existing, or candidate (a project the optimiser may build)"),
        ("built", "0/1", "1 if it runs in the optimum (existing, or a candidate built)"),
        ("state", "", "existing | built (candidate built) | not_built (candidate left out)"),
        ("unit", "", "unit of its input streams (t or MWh)"),
        ("capacity_yr", "unit/yr", "capacity, total intake over its streams"),
        ("intake_yr", "unit/yr", "intake in the optimum (delivered amount)"),
        ("use_pct", "%", "use of capacity: intake / capacity x 100"),
        ("capex_cny", "CNY", "investment of a candidate"),
        ("fixed_opex_cny_yr", "CNY/yr", "fixed operating cost if built"),
        ("annual_cost_cny_yr", "CNY/yr", "annualised capex + fixed opex of a built candidate"),
        ("co2_avoided_t_yr", "t CO2/yr", "CO2 avoided by its intake (before transport)"),
        ("group", "", "mutually exclusive candidate group"),
        ("prefecture", "", "prefecture of its site"),
        ("park", "", "park of its site"),
        ("lon", "degree", "longitude, WGS 84"),
        ("lat", "degree", "latitude, WGS 84"),
    ):
        fd.add("facilities", name, unit, text)
    layers["facilities"] = gpd.GeoDataFrame(fac, geometry=_points(fac), crs=CRS_DATA)

    # --- flows -----------------------------------------------------------------------------
    flows = run.flows
    flow_cols = [
        "from_site",
        "from_name",
        "facility",
        "facility_name",
        "to_site",
        "stream",
        "mode",
        "unit",
        "km",
        "line_km",
        "shipped_yr",
        "delivered_yr",
        "transport_cost_cny_yr",
        "link_cost_cny_yr",
        "cost_cny_yr",
        "co2_transport_t_yr",
        "width_mm",
        "geometry_source",
    ]
    fac_name = dict(zip(case.facilities["facility"], case.facilities["name"], strict=True))
    if len(flows):
        fl = pd.DataFrame(
            {
                "from_site": flows["from_site"],
                "from_name": flows["from_site"].map(site_name),
                "facility": flows["facility"],
                "facility_name": flows["facility"].map(fac_name),
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
        fl = fl.loc[fl["shipped_yr"] > 0].reset_index(drop=True)
        ends = flows.loc[flows["shipped"].astype(float) > 0].reset_index(drop=True)
        geoms = _lines(
            ends["from_lon"].to_numpy(float),
            ends["from_lat"].to_numpy(float),
            ends["to_lon"].to_numpy(float),
            ends["to_lat"].to_numpy(float),
        )
        geoms, source = _apply_routes(fl, geoms, route_gdf)
        fl["width_mm"] = styles.flow_widths(fl["shipped_yr"].to_numpy(), fl["unit"].tolist())
        fl["geometry_source"] = source
        gflows = gpd.GeoDataFrame(fl, geometry=gpd.GeoSeries(geoms, crs=CRS_DATA))
        gflows.insert(9, "line_km", _line_km(gflows.geometry, pcrs))
        layers["flows"] = gflows[[*flow_cols, "geometry"]]
    else:
        layers["flows"] = _empty_gdf(flow_cols)
    for name, unit, text in (
        ("from_site", "", "source site id"),
        ("from_name", "", "source site name"),
        ("facility", "", "receiving facility id"),
        ("facility_name", "", "receiving facility name"),
        ("to_site", "", "site of the facility"),
        ("stream", "", "waste stream id"),
        ("mode", "", "transport mode (onsite: same site, no transport)"),
        ("unit", "", "unit of shipped_yr and delivered_yr (t or MWh)"),
        ("km", "km", "route length as modelled (distances.csv, else great circle x circuity)"),
        ("line_km", "km", "length of the drawn line, computed in the projected CRS"),
        ("shipped_yr", "unit/yr", "amount shipped, measured at the source"),
        ("delivered_yr", "unit/yr", "amount delivered (after losses)"),
        ("transport_cost_cny_yr", "CNY/yr", "handling + per-km transport cost"),
        ("link_cost_cny_yr", "CNY/yr", "annual cost of opening the link"),
        ("cost_cny_yr", "CNY/yr", "transport + link cost"),
        ("co2_transport_t_yr", "t CO2/yr", "CO2 emitted by the transport"),
        ("width_mm", "mm", "line width used by the styles (square root of shipped, per unit)"),
        ("geometry_source", "", "straight (line between the sites) | route | onsite (0 km)"),
    ):
        fd.add("flows", name, unit, text)

    # --- candidate links -----------------------------------------------------------------
    if with_candidates:
        layers["links_candidate"] = _candidate_links(case, run, pcrs, route_gdf, fd)

    # --- parks -----------------------------------------------------------------------------
    if case.parks is not None and case.parks.get("features"):
        layers["parks"] = _parks_layer(case, layers, target_streams, unit_of, pcrs, fd)

    # --- basemap ---------------------------------------------------------------------------
    base = basemap_dir if basemap_dir is not None else default_basemap_dir()
    basemap_used: list[str] = []
    for layer, filename in BASEMAP_FILES.items():
        file = Path(base) / filename
        if file.is_file():
            gdf = gpd.read_file(file)
            gdf = gdf.set_crs(CRS_DATA) if gdf.crs is None else gdf.to_crs(CRS_DATA)
            if layer == "province":
                gdf["area_km2"] = np.round(gdf.to_crs(pcrs).area.to_numpy() / 1e6, 1)
                fd.add("province", "area_km2", "km2", "area, computed in the projected CRS")
            layers[layer] = gdf
            basemap_used.append(str(file))
        elif basemap_dir is not None:
            notes.append(f"basemap file not found: {file}")

    # --- prefecture summary -----------------------------------------------------------------
    layers["prefecture_summary"] = _prefecture_summary(
        case, run, layers, streams, target_streams, unit_of, solved, fd
    )

    ordered = {name: layers[name] for name in LAYERS if name in layers}
    metadata = {
        "title": f"symbiosis map: {run.summary.get('name', '')}",
        "scenario": run.summary.get("name", ""),
        "status": run.summary.get("status", ""),
        "run_folder": str(run.path),
        "case": str(case.path),
        "crs": CRS_DATA,
        "crs_name": "WGS 84 (longitude, latitude in degrees)",
        "projected_crs": f"EPSG:{pcrs.to_epsg()}",
        "projected_crs_name": pcrs.name,
        "projected_crs_use": "line_km, area_km2 and map buffers are computed in this CRS",
        "basemap": basemap_used,
        "credits": BASEMAP_CREDIT if basemap_used else "",
        "symbiosis_version": _version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_finished": (run.manifest or {}).get("finished", ""),
        "units": "amounts per year; t for solid streams, MWh for heat; money in CNY; km",
    }
    return MapData(
        name=str(run.summary.get("name", run.path.name)),
        summary=run.summary,
        layers=ordered,
        streams=streams.reset_index(drop=True),
        fields=fd.frame(ordered),
        projected_crs=pcrs,
        metadata=metadata,
        warnings=notes,
        kpis=run.kpis,
    )


def stream_colour_map(case: Case) -> dict[str, str]:
    return styles.stream_colours(case.streams["stream"].tolist())


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("symbiosis")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_inputs(run: RunFolder, case: Case) -> list[str]:
    """Warn when the case's files differ from the checksums the run recorded."""
    recorded = (run.manifest or {}).get("inputs") or {}
    changed = []
    for file in case.files:
        digest = recorded.get(str(file))
        if digest is not None and file.is_file() and _sha256(file) != digest:
            changed.append(file.name)
    if changed:
        return [
            "the case changed since the run (" + ", ".join(changed) + "): names, coordinates "
            "and candidate links are those of the case as it is now"
        ]
    return []


def _facility_table(
    run: RunFolder, case: Case, streams: pd.DataFrame, solved: bool
) -> pd.DataFrame:
    """facilities.csv of the run, or the case's facilities when the run has no solution."""
    if solved and len(run.facilities):
        table = run.facilities.copy()
        table["facility"] = table["facility"].astype(str)
        return table
    table = case.facilities.copy()
    table["built"] = (table["status"] == "existing").astype(int)
    for col in ("intake", "use", "annual_cost", "co2_avoided_t"):
        table[col] = np.nan
    for stream in streams["stream"]:
        table[f"intake_{stream}"] = np.nan
    return table


def _candidate_links(
    case: Case,
    run: RunFolder,
    pcrs: pyproj.CRS,
    routes: gpd.GeoDataFrame | None,
    fd: _Fields,
) -> gpd.GeoDataFrame:
    from symbiosis.network import build_arcs

    cols = [
        "from_site",
        "facility",
        "to_site",
        "stream",
        "mode",
        "unit",
        "km",
        "line_km",
        "unit_cost_cny_per_unit",
        "link_cost_cny_yr",
        "efficiency",
        "co2_kg_per_unit",
        "max_flow_yr",
        "geometry_source",
    ]
    for name, unit, text in (
        ("from_site", "", "source site id"),
        ("facility", "", "facility id"),
        ("to_site", "", "site of the facility"),
        ("stream", "", "waste stream id"),
        ("mode", "", "transport mode"),
        ("unit", "", "unit of the stream (t or MWh)"),
        ("km", "km", "route length as modelled"),
        ("line_km", "km", "length of the drawn line, computed in the projected CRS"),
        ("unit_cost_cny_per_unit", "CNY/unit", "handling + per-km cost per unit shipped"),
        ("link_cost_cny_yr", "CNY/yr", "annual cost of opening the link"),
        ("efficiency", "fraction", "share delivered of what is shipped (1 - loss)"),
        ("co2_kg_per_unit", "kg CO2/unit", "transport CO2 per unit shipped"),
        ("max_flow_yr", "unit/yr", "largest flow the arc can carry (big M)"),
        ("geometry_source", "", "straight | route | onsite"),
    ):
        fd.add("links_candidate", name, unit, text)
    arcs = build_arcs(case)
    if len(arcs) == 0:
        return _empty_gdf(cols)
    used = set(
        zip(
            run.flows.get("from_site", []),
            run.flows.get("facility", []),
            run.flows.get("stream", []),
            run.flows.get("mode", []),
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
    arcs = arcs.loc[keep].reset_index(drop=True)
    if len(arcs) == 0:
        return _empty_gdf(cols)
    sites = case.sites.set_index("site")
    unit_of = case.stream_unit()
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
    geoms, source = _apply_routes(frame, geoms, routes)
    frame["geometry_source"] = source
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CRS_DATA))
    gdf["line_km"] = _line_km(gdf.geometry, pcrs)
    return gdf[[*cols, "geometry"]]


def _parks_layer(
    case: Case,
    layers: dict[str, gpd.GeoDataFrame],
    target_streams: set[str],
    unit_of: dict[str, str],
    pcrs: pyproj.CRS,
    fd: _Fields,
) -> gpd.GeoDataFrame:
    assert case.parks is not None
    parks = gpd.GeoDataFrame.from_features(case.parks["features"], crs=CRS_DATA)
    for col in ("park", "name", "prefecture", "level"):
        if col not in parks:
            parks[col] = ""
    parks["park"] = parks["park"].astype(str)
    front = ["park", "name", "prefecture", "level"]
    parks = parks[
        [*front, *[c for c in parks.columns if c not in (*front, "geometry")], "geometry"]
    ]
    parks["area_km2"] = np.round(parks.to_crs(pcrs).area.to_numpy() / 1e6, 3)
    sites = layers["sites"]
    fac = layers["facilities"]
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
    intake_cols = [_stream_field("intake", s, unit_of[s]) for s in target_streams]
    delivered = fac[intake_cols].sum(axis=1, min_count=1) if intake_cols else fac["intake_yr"] * 0
    parks["delivered_target_t_yr"] = (
        parks["park"].map(delivered.groupby(fac["park"]).sum(min_count=1)).fillna(0.0)
    )
    for name, unit, text in (
        ("park", "", "park id"),
        ("name", "", "park name"),
        ("prefecture", "", "prefecture"),
        ("level", "", "national, provincial or other"),
        ("area_km2", "km2", "area, computed in the projected CRS"),
        ("n_sites", "count", "sites in the park"),
        ("n_facilities", "count", "facilities (existing and candidate) in the park"),
        ("n_built", "count", "candidates built in the park"),
        ("supply_target_t_yr", "t/yr", "supply of target streams at the park's sites"),
        ("delivered_target_t_yr", "t/yr", "target streams taken in by the park's facilities"),
    ):
        fd.add("parks", name, unit, text)
    return parks


def _norm(text: Any) -> str:
    text = str(text or "").strip().lower()
    for suffix in ("市", "地区", "自治州", "州", " city", " prefecture"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)].strip()
    return text


def _seat_keys(row: pd.Series) -> set[str]:
    keys = set()
    for col in ("name_en", "prefecture_en", "name_zh", "prefecture_zh", "name", "prefecture"):
        if col in row and isinstance(row[col], str) and row[col]:
            keys.add(_norm(row[col]))
            keys.add(_norm(row[col].split(" ")[0]))
            if col.endswith("_zh") and len(row[col]) >= 2:
                keys.add(row[col][:2])
    keys.discard("")
    return keys


def _prefecture_summary(
    case: Case,
    run: RunFolder,
    layers: dict[str, gpd.GeoDataFrame],
    streams: pd.DataFrame,
    target_streams: set[str],
    unit_of: dict[str, str],
    solved: bool,
    fd: _Fields,
) -> gpd.GeoDataFrame:
    sites = layers["sites"]
    fac = layers["facilities"]
    prefs = sorted({p for p in case.sites["prefecture"].astype(str) if p})
    if not prefs:
        prefs = [""]
    summary = pd.DataFrame({"prefecture": prefs})
    seats = layers.get("prefecture_seats")
    seat_name: list[str] = []
    geoms: list[Point] = []
    source: list[str] = []
    seat_index: dict[str, int] = {}
    if seats is not None:
        for i, (_, row) in enumerate(seats.iterrows()):
            for key in _seat_keys(row):
                seat_index.setdefault(key, i)
    for pref in prefs:
        found = seat_index.get(_norm(pref), seat_index.get(_norm(pref.split(" ")[0])))
        if seats is not None and found is not None:
            row = seats.iloc[found]
            seat_name.append(str(row.get("name_en", row.get("name", ""))))
            geoms.append(row.geometry)
            source.append("seat")
        else:
            members = sites.loc[sites["prefecture"] == pref]
            seat_name.append("")
            geoms.append(Point(float(members["lon"].mean()), float(members["lat"].mean())))
            source.append("site_centroid")
    summary["seat"] = seat_name
    summary["geometry_source"] = source

    by_pref_sites = sites.groupby("prefecture")
    summary["supply_target_t_yr"] = (
        summary["prefecture"].map(by_pref_sites["supply_target_t_yr"].sum()).fillna(0.0)
    )
    intake_target = [_stream_field("intake", s, unit_of[s]) for s in target_streams]
    fac_by = fac.groupby("prefecture")
    if intake_target:
        delivered_target = (
            fac[intake_target].sum(axis=1, min_count=1).groupby(fac["prefecture"]).sum(min_count=1)
        )
    else:
        delivered_target = pd.Series(dtype=float)
    summary["delivered_target_t_yr"] = summary["prefecture"].map(delivered_target)
    for stream in streams["stream"]:
        col = _stream_field("intake", stream, unit_of[stream])
        name = _stream_field("delivered", stream, unit_of[stream])
        summary[name] = summary["prefecture"].map(fac_by[col].sum(min_count=1))
        fd.add(
            "prefecture_summary",
            name,
            f"{unit_of[stream]}/yr",
            f"{stream} taken in by facilities in the prefecture",
        )
    for stream in streams["stream"]:
        col = _stream_field("unused", stream, unit_of[stream])
        summary[col] = summary["prefecture"].map(by_pref_sites[col].sum(min_count=1))
        fd.add(
            "prefecture_summary",
            col,
            f"{unit_of[stream]}/yr",
            f"{stream} left unused at sites in the prefecture",
        )
    summary["unused_target_t_yr"] = summary["prefecture"].map(
        by_pref_sites["unused_target_t_yr"].sum(min_count=1)
    )

    if solved:
        # Facility cost: annualised capex + fixed opex (new and existing) + processing less
        # product value, located by the facility's site.
        inputs = case.facility_inputs
        net = (inputs["var_cost"] - inputs["value"]).to_numpy(float)
        lookup: dict[tuple[str, str], float] = {}
        for stream in streams["stream"]:
            col = _stream_field("intake", stream, unit_of[stream])
            lookup.update(
                {(f, stream): float(v) for f, v in zip(fac["facility"], fac[col], strict=True)}
            )
        intake_by_input = np.array(
            [
                lookup.get((f, s), 0.0)
                for f, s in zip(inputs["facility"], inputs["stream"], strict=True)
            ],
            dtype=float,
        )
        processing = pd.Series(net * intake_by_input).groupby(inputs["facility"].to_numpy()).sum()
        fixed_existing = np.where(fac["status"] == "existing", fac["fixed_opex_cny_yr"], 0.0)
        fac_cost = (
            fac["annual_cost_cny_yr"].fillna(0.0).to_numpy()
            + fixed_existing
            + fac["facility"].map(processing).fillna(0.0).to_numpy()
        )
        summary["facility_cost_cny_yr"] = (
            summary["prefecture"]
            .map(pd.Series(fac_cost).groupby(fac["prefecture"].to_numpy()).sum())
            .fillna(0.0)
        )
        flows = layers["flows"]
        flow_pref = flows["from_site"].map(
            dict(zip(case.sites["site"], case.sites["prefecture"], strict=True))
        )
        summary["transport_cost_cny_yr"] = (
            summary["prefecture"].map(flows["cost_cny_yr"].groupby(flow_pref).sum()).fillna(0.0)
        )
        summary["unused_cost_cny_yr"] = (
            summary["prefecture"].map(by_pref_sites["unused_cost_cny_yr"].sum()).fillna(0.0)
        )
        summary["cost_cny_yr"] = (
            summary["facility_cost_cny_yr"]
            + summary["transport_cost_cny_yr"]
            + summary["unused_cost_cny_yr"]
        )
        summary["delivered_target_t_yr"] = summary["delivered_target_t_yr"].fillna(0.0)
    else:
        for col in (
            "facility_cost_cny_yr",
            "transport_cost_cny_yr",
            "unused_cost_cny_yr",
            "cost_cny_yr",
        ):
            summary[col] = np.nan
    for name, unit, text in (
        ("prefecture", "", "prefecture (as in sites.csv)"),
        ("seat", "", "prefecture seat the point stands on (basemap)"),
        ("geometry_source", "", "seat (the prefecture seat) | site_centroid (mean of its sites)"),
        ("supply_target_t_yr", "t/yr", "supply of target streams at its sites"),
        ("delivered_target_t_yr", "t/yr", "target streams taken in by facilities there"),
        ("unused_target_t_yr", "t/yr", "target streams left unused at its sites"),
        (
            "facility_cost_cny_yr",
            "CNY/yr",
            "annualised capex + fixed opex + processing cost - product value of its facilities",
        ),
        ("transport_cost_cny_yr", "CNY/yr", "transport and link cost of flows leaving it"),
        ("unused_cost_cny_yr", "CNY/yr", "cost of material left unused at its sites"),
        ("cost_cny_yr", "CNY/yr", "facility + transport + unused cost (sums to the objective)"),
    ):
        fd.add("prefecture_summary", name, unit, text)
    return gpd.GeoDataFrame(summary, geometry=gpd.GeoSeries(geoms, crs=CRS_DATA))


def buffered_extent(data: MapData, km: float | None = None) -> tuple[float, float, float, float]:
    """The data's extent grown by ``km`` (default: 12% of its span, at least 8 km), computed in
    the projected CRS, returned in degrees."""
    box = data.bounds()
    geom = gpd.GeoSeries([shapely.box(*box)], crs=CRS_DATA).to_crs(data.projected_crs)
    minx, miny, maxx, maxy = geom.total_bounds
    if km is None:
        km = max(8.0, 0.12 * max(maxx - minx, maxy - miny) / 1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grown = geom.buffer(km * 1000.0, join_style="mitre").to_crs(CRS_DATA)
    b = grown.total_bounds
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


__all__ = [
    "CRS_DATA",
    "GEOMETRY",
    "LAYERS",
    "MapData",
    "RunFolder",
    "buffered_extent",
    "build_map_data",
    "default_basemap_dir",
    "fmt_amount",
    "fmt_money",
    "kpi_lines",
    "projected_crs_for",
    "read_run_folder",
]
