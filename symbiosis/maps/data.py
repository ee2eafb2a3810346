"""A run folder + its case -> GeoDataFrames, one per map layer.

Every layer is in EPSG:4326 (WGS 84 longitude/latitude). Lengths and areas are computed in a
projected CRS chosen for the data: the CGCS2000 3-degree Gauss-Kruger zone whose central
meridian is nearest the sites' mean longitude (EPSG:4534 + (CM - 75) / 3, e.g. EPSG:4545,
CM 108E, for most of Guizhou), or the UTM zone outside China. It is stated in
:attr:`MapData.metadata` and in every output's metadata.

Layers (``LAYERS``):

``sites`` (points)
    site, name, name_zh, park, prefecture, lon, lat, rail, ``supply_<stream>_<unit>_yr`` and
    ``unused_<stream>_<unit>_yr`` per stream, ``supply_target_t_yr``, ``unused_target_t_yr``
    (streams with target = 1), ``unused_cost_cny_yr``.
``facilities`` (points)
    facility, name, name_zh, tech, site, site_name, site_name_zh, status
    (existing/candidate), built (0/1), state
    (existing/built/not_built), unit, capacity_yr and intake_yr (in ``unit``/yr), use_pct
    (intake / capacity x 100), ``intake_<stream>_<unit>_yr``, capex_cny, fixed_opex_cny_yr,
    annual_cost_cny_yr (annualised capex + fixed opex of a built candidate),
    co2_avoided_t_yr, group, prefecture, park, lon, lat.
``flows`` (lines, source site -> facility), one feature per arc with flow > 0
    from_site, from_name, from_name_zh, facility, facility_name, facility_name_zh,
    to_site, stream, mode, unit, km (as
    modelled: distances.csv or great circle x circuity), line_km (length of the drawn line,
    projected CRS), shipped_yr, delivered_yr (``unit``/yr), transport_cost_cny_yr,
    link_cost_cny_yr, cost_cny_yr, co2_transport_t_yr, width_mm (line width of the styles),
    geometry_source (straight | route | onsite).
``links_candidate`` (lines): arcs the model could have used but did not
    from_site, facility, to_site, stream, mode, unit, km, line_km, unit_cost_cny_per_unit,
    link_cost_cny_yr, efficiency, co2_kg_per_unit, max_flow_yr, geometry_source.
``parks`` (polygons): the case's parks.geojson (park, name, name_zh, prefecture, level
    first), plus area_km2, n_sites, n_facilities,
    n_built, supply_target_t_yr, delivered_target_t_yr.
``province`` (polygon) and ``prefecture_seats`` (points): the basemap layers of ``maps/``.
``prefecture_summary`` (points at the prefecture seat, or at the mean of the prefecture's
    sites when no seat matches; ``geometry_source`` says which)
    prefecture, prefecture_zh, seat, seat_zh, geometry_source, supply_target_t_yr,
    delivered_target_t_yr (at facilities in the
    prefecture), ``delivered_<stream>_<unit>_yr``, ``unused_<stream>_<unit>_yr``,
    unused_target_t_yr, facility_cost_cny_yr (annualised capex and fixed opex of the
    facilities there, with processing cost less product value), transport_cost_cny_yr
    (transport and links of flows leaving the prefecture), unused_cost_cny_yr and
    cost_cny_yr, their sum. Summed over prefectures, cost_cny_yr is the run's objective.

A multi-year run (issue 12) is mapped one year at a time (``year``, default the horizon's
last): the flows, facilities and unused amounts are that year's rows; ``facilities`` gets
``build_year`` after ``state``, a state ``retired`` (an existing facility no longer active
that year) and ``built`` = active that year; the sites' supply is that year's (growth and
supply_years.csv applied); the prefecture summary's ``cost_cny_yr`` sums to that year's cost
(undiscounted, ``cost_by_year``). A case with chains of plants (facility_outputs.csv) gives
the flows ``from_facility``, ``from_facility_name``, ``from_facility_name_zh`` and
``chained`` (1: the flow carries a facility's output), after ``from_name_zh``.

Names: every layer keeps the case's English name and its Chinese one (``name_zh``, empty
where the case has none) whatever the language; the words a map shows (layer titles, field
descriptions, legends, the metadata's prose) are in the language of the command
(:mod:`symbiosis.i18n`), while ids, field names and values are not translated. The metadata
names the run folder by its name and the case by its last two folders, never an absolute
path.

The builders are :mod:`symbiosis.maps.layers` (one per layer) and
:mod:`symbiosis.maps.prefectures` (the summary); this module reads the run, shares out what
they need (:class:`~symbiosis.maps.layers.LayerInputs`) and gathers their layers in
:class:`MapData`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from symbiosis import units
from symbiosis.case import Case, InputError, Problem, load_case, names
from symbiosis.files import sha256_file, symbiosis_version
from symbiosis.i18n import gettext as _
from symbiosis.i18n import ngettext
from symbiosis.maps import styles
from symbiosis.maps.layers import (
    BASEMAP_CREDIT,
    CRS_DATA,
    GEOMETRY,
    LAYERS,
    FieldDictionary,
    LayerInputs,
    basemap_layers,
    candidate_links_layer,
    default_basemap_dir,
    facilities_layer,
    flows_layer,
    parks_layer,
    read_routes,
    sites_layer,
)
from symbiosis.maps.prefectures import prefecture_summary_layer
from symbiosis.maps.words import chinese_names, local_name, per_year
from symbiosis.results import RUN_STATUSES, RunFolder
from symbiosis.results import read_run_folder as read_results_folder

#: a run's statuses (summary.json), translated where a map shows them
STATUSES: tuple[str, ...] = RUN_STATUSES


def projected_crs_for(lon: float, lat: float = 27.0) -> pyproj.CRS:
    """The projected CRS used for lengths, areas and buffers around longitude ``lon``.

    CGCS2000 / 3-degree Gauss-Kruger with the nearest central meridian (75E-135E: EPSG 4534
    to 4554), else the WGS 84 UTM zone.

    Parameters
    ----------
    lon : float
        Longitude (degrees east) of the data's centre.
    lat : float
        Its latitude (degrees north): China's zones serve 17N-54N.

    Returns
    -------
    pyproj.CRS
        EPSG:4534 + (CM - 75) / 3 for a central meridian CM from 75E to 135E, else the UTM
        zone (EPSG:326xx north, 327xx south).
    """
    cm = 3 * round(lon / 3.0)
    if 75 <= cm <= 135 and 17 <= lat <= 54:
        return pyproj.CRS.from_epsg(4534 + (cm - 75) // 3)
    zone = int((lon + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass
class MapData:
    """Everything a map of one run shows.

    Parameters
    ----------
    name : str
        The scenario name.
    summary : dict
        The run's summary.json.
    layers : dict of str to GeoDataFrame
        Layer name -> GeoDataFrame in EPSG:4326, in drawing order (``LAYERS``); a layer
        whose source is missing (no parks.geojson, no basemap) is absent.
    streams : DataFrame
        Streams of the case with ``colour`` and ``label`` columns.
    fields : DataFrame
        One row per (layer, field): unit and description (the field dictionary).
    projected_crs : pyproj.CRS
        The CRS in which lengths and areas were computed.
    metadata : dict
        What produced the map (run folder, case, CRS, credits, time).
    warnings : list of str
        What the user should know (the case changed since the run, a basemap file missing).
    kpis : DataFrame
        The run's kpis.csv (kpi, key, value, unit; and ``year`` first for a multi-year run).
    year : int or None
        The year a multi-year run's map shows (its layers are that year's); None: a
        single-period run.
    years : list of int
        A multi-year run's years ([] for a single-period run).
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
    year: int | None = None
    years: list[int] = field(default_factory=list)

    @property
    def colours(self) -> dict[str, str]:
        """Stream -> its colour (``#rrggbb``), the same in every format."""
        return dict(zip(self.streams["stream"], self.streams["colour"], strict=True))

    @property
    def status(self) -> str:
        """The run's status (summary.json), ``unknown`` if it has none."""
        return str(self.summary.get("status", "unknown"))

    @property
    def status_text(self) -> str:
        """The run's status in the map's language (:data:`STATUSES`; others as they are)."""
        return _(self.status) if self.status in STATUSES else self.status

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        """One layer.

        Parameters
        ----------
        name : str
            A layer name (``LAYERS``).

        Returns
        -------
        GeoDataFrame or None
            The layer, or None when the map has none of that name.
        """
        return self.layers.get(name)

    def units(self, layer: str) -> dict[str, str]:
        """Field -> unit for one layer (from the field dictionary), cached.

        Parameters
        ----------
        layer : str
            A layer name.

        Returns
        -------
        dict of str to str
            Each field of the layer -> its unit (empty for text and ids).
        """
        cache: dict[str, dict[str, str]] = self.__dict__.setdefault("_units", {})
        if layer not in cache:
            rows = self.fields.loc[self.fields["layer"] == layer]
            cache[layer] = dict(zip(rows["field"], rows["unit"], strict=True))
        return cache[layer]

    def descriptions(self, layer: str) -> dict[str, str]:
        """Field -> what it holds, in words, for one layer (the field dictionary's
        descriptions, in the language the map was built in), cached.

        Parameters
        ----------
        layer : str
            A layer name.

        Returns
        -------
        dict of str to str
            Each field of the layer -> its description.
        """
        cache: dict[str, dict[str, str]] = self.__dict__.setdefault("_descriptions", {})
        if layer not in cache:
            rows = self.fields.loc[self.fields["layer"] == layer]
            cache[layer] = dict(zip(rows["field"], rows["description"], strict=True))
        return cache[layer]

    def bounds(self, layers: tuple[str, ...] = ("sites", "facilities", "flows")) -> np.ndarray:
        """[minx, miny, maxx, maxy] (degrees) of the given layers' features.

        Parameters
        ----------
        layers : tuple of str
            The layers whose features count; when none of them has a feature, every layer
            counts.

        Returns
        -------
        ndarray
            The bounding box in degrees; Guizhou's when the map has no feature at all.
        """
        frames = [self.layers[n] for n in layers if n in self.layers and len(self.layers[n]) > 0]
        if not frames:
            frames = [f for f in self.layers.values() if len(f)]
        if not frames:
            return np.array([103.6, 24.6, 109.6, 29.3])  # Guizhou
        boxes = np.array([f.total_bounds for f in frames])
        return np.array(
            [boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()]
        )

    def kpi_lines(self, by_name: bool = False) -> list[str]:
        """The key figures as short lines for titles and legends.

        Parameters
        ----------
        by_name : bool
            Name the projects built by their names in the map's language (the case's
            ``name`` or ``name_zh``: :func:`~symbiosis.maps.words.local_name`; the id where
            a project has no name) instead of their ids (the print map, which has no
            popups to tell what an id is).

        Returns
        -------
        list of str
            :func:`kpi_lines` of the run's summary; for a year of a multi-year run,
            :func:`year_kpi_lines` (that year's figures, the horizon's discounted total and
            the projects active that year with their build years).
        """
        facilities = self.layers.get("facilities")
        names: dict[str, str] = {}
        if by_name and facilities is not None:
            for _index, row in facilities.iterrows():
                names[str(row["facility"])] = local_name(row) or str(row["facility"])
        if self.year is None:
            return kpi_lines(self.summary, names)
        active: list[tuple[str, int | None]] = []
        if facilities is not None and self.summary.get("objective") is not None:
            for _index, row in facilities.loc[facilities["state"] == "built"].iterrows():
                built_in = row.get("build_year")
                facility = str(row["facility"])
                active.append(
                    (names.get(facility, facility), None if pd.isna(built_in) else int(built_in))
                )
        return year_kpi_lines(self.summary, self.year, self.kpis, active)

    @property
    def year_label(self) -> str:
        """``", 2027"`` for a year of a multi-year run (titles append it), else ``""``."""
        return "" if self.year is None else f", {self.year}"


def kpi_lines(summary: dict[str, Any], names: dict[str, str] | None = None) -> list[str]:
    """The key figures of a run as short lines for titles and legends.

    Parameters
    ----------
    summary : dict
        A run's summary.json.
    names : dict or None
        Facility id -> the name to show for a project built; None (or an id not in it):
        the id.

    Returns
    -------
    list of str
        Total cost, delivered target amount and CO2 avoided (each when known), and the
        projects built (at most six named) when the run has an objective.
    """
    lines = []
    if summary.get("objective") is not None:
        lines.append(
            _("Total cost {amount}").format(amount=per_year(fmt_money(summary["objective"])))
        )
    if summary.get("delivered_target_t") is not None:
        delivered = per_year(fmt_amount(summary["delivered_target_t"], "t"))
        lines.append(_("Delivered (target streams) {amount}").format(amount=delivered))
    if summary.get("co2_avoided_t") is not None:
        co2 = per_year(fmt_amount(summary["co2_avoided_t"], "t"))
        lines.append(_("CO\u2082 avoided {amount}").format(amount=co2))
    built = [(names or {}).get(str(b), str(b)) for b in summary.get("built") or []]
    if summary.get("objective") is not None:
        lines.append(_built_line(built))
    return lines


def _built_line(named: list[str], year: int | None = None) -> str:
    """The key figures' last line: how many projects are built (or active in ``year``) and
    the first six.

    Parameters
    ----------
    named : list of str
        The projects (ids, with their build year in a multi-year run).
    year : int or None
        The year of a multi-year run the line is about.

    Returns
    -------
    str
        ``2 projects built: P1, P2`` (at most six named, then ``, ...``), in the map's
        language.
    """
    n = len(named)
    shown = ", ".join(named[:6]) + (", ..." if n > 6 else "")
    if year is None:
        if not named:
            return ngettext("{count} project built", "{count} projects built", n).format(count=n)
        return ngettext(
            "{count} project built: {names}", "{count} projects built: {names}", n
        ).format(count=n, names=shown)
    if not named:
        return ngettext(
            "{count} project built, active in {year}",
            "{count} projects built, active in {year}",
            n,
        ).format(count=n, year=year)
    return ngettext(
        "{count} project built, active in {year}: {names}",
        "{count} projects built, active in {year}: {names}",
        n,
    ).format(count=n, year=year, names=shown)


def year_kpi_lines(
    summary: dict[str, Any],
    year: int,
    kpis: pd.DataFrame | None = None,
    active: list[tuple[str, int | None]] | None = None,
) -> list[str]:
    """The key figures of one year of a multi-year run, as short lines for titles and legends.

    Parameters
    ----------
    summary : dict
        The run's summary.json (``years``, ``cost_by_year``, ``delivered_by_year``,
        ``objective``).
    year : int
        The year.
    kpis : DataFrame or None
        The run's kpis.csv: its ``co2_avoided`` row of that year gives the CO2 avoided.
    active : list of (str, int or None) or None
        The projects (candidates) active that year, by id or name, and the year each was
        built.

    Returns
    -------
    list of str
        The year's cost with the horizon's discounted total (without a solution: the year
        and the horizon), the target amount delivered and the CO2 avoided that year (each
        when known), and the projects active that year (at most six named, each with its
        build year) when solved.
    """
    key = str(year)
    years = [int(y) for y in summary.get("years") or [year]]
    horizon = f"{years[0]}-{years[-1]}"
    cost = (summary.get("cost_by_year") or {}).get(key)
    if cost is not None:
        total = summary.get("objective")
        amount = per_year(fmt_money(cost))
        lines = [
            _("Cost in {year} {amount}").format(year=year, amount=amount)
            if total is None
            else _("Cost in {year} {amount} (horizon {horizon}, discounted: {total})").format(
                year=year, amount=amount, horizon=horizon, total=fmt_money(total)
            )
        ]
    else:
        lines = [_("Year {year} of {horizon}").format(year=year, horizon=horizon)]
    delivered = (summary.get("delivered_by_year") or {}).get(key)
    if delivered is not None:
        amount = per_year(fmt_amount(delivered, "t"))
        lines.append(_("Delivered (target streams) {amount}").format(amount=amount))
    co2 = _year_kpi(kpis, year, "co2_avoided")
    if co2 is not None:
        lines.append(_("CO\u2082 avoided {amount}").format(amount=per_year(fmt_amount(co2, "t"))))
    if summary.get("objective") is not None:
        named = [f"{f} ({y})" if y is not None else f for f, y in active or []]
        lines.append(_built_line(named, year))
    return lines


def _year_kpi(kpis: pd.DataFrame | None, year: int, kpi: str) -> float | None:
    """One KPI of one year from kpis.csv (its row without a key).

    Parameters
    ----------
    kpis : DataFrame or None
        A multi-year run's kpis.csv (``year`` first).
    year : int
        The year.
    kpi : str
        The KPI's name (``co2_avoided`` ...).

    Returns
    -------
    float or None
        Its value; None when the table has no such row.
    """
    if kpis is None or "year" not in kpis.columns or not len(kpis):
        return None
    rows = kpis.loc[(kpis["year"] == year) & (kpis["kpi"] == kpi)]
    if "key" in rows.columns:
        rows = rows.loc[rows["key"].fillna("").astype(str) == ""]
    if not len(rows):
        return None
    value = pd.to_numeric(rows["value"], errors="coerce").iloc[0]
    return None if pd.isna(value) else float(value)


def fmt_money(value: float) -> str:
    """14049529 -> '14.05 M CNY' (:func:`symbiosis.units.money_short`).

    Parameters
    ----------
    value : float
        Money in CNY.

    Returns
    -------
    str
        The short form for map labels and legends.
    """
    return units.money_short(value)


def fmt_amount(value: float, unit: str) -> str:
    """1_000_000 t -> '1.00 Mt'; 80_000 MWh -> '80.0 k MWh' (:func:`symbiosis.units.amount_short`).

    Parameters
    ----------
    value : float
        The amount, in ``unit``.
    unit : str
        Its unit (``t``, ``MWh``).

    Returns
    -------
    str
        The short form for map labels and legends.
    """
    return units.amount_short(value, unit)


# --------------------------------------------------------------------------------------------
# Reading the run folder
# --------------------------------------------------------------------------------------------
RUN_FILES = ("summary.json", "flows.csv", "facilities.csv", "unused.csv")


def read_run_folder(path: Path) -> RunFolder:
    """Read a run folder for a map (:func:`symbiosis.results.read_run_folder`).

    Parameters
    ----------
    path : Path
        The run folder.

    Returns
    -------
    RunFolder
        The run as :func:`symbiosis.results.read_run_folder` reads it.

    Raises
    ------
    InputError
        The folder lacks a table the layers are built from (:data:`RUN_FILES`), naming it.
    """
    run = read_results_folder(path)
    missing = [name for name in RUN_FILES if name in run.missing]
    if missing:
        raise InputError(
            [
                Problem(
                    str(Path(path) / name),
                    _("missing; a run folder holds {files}").format(files=", ".join(RUN_FILES)),
                )
                for name in missing
            ],
            "run folder",
        )
    return run


# --------------------------------------------------------------------------------------------
# Building the layers
# --------------------------------------------------------------------------------------------
def build_map_data(
    run: RunFolder | Path,
    case: Case | None = None,
    basemap_dir: Path | None = None,
    routes: Path | gpd.GeoDataFrame | None = None,
    with_candidates: bool = True,
    year: int | None = None,
) -> MapData:
    """All map layers of a run.

    Parameters
    ----------
    run : RunFolder or Path
        A run folder (path or :class:`RunFolder`).
    case : Case or None
        The case it was solved on; default: the case named in its manifest.json.
    basemap_dir : Path or None
        Folder with guizhou_province.geojson and guizhou_cities.geojson; default ``maps/``
        of the source tree; the basemap layers are left out when the files are not there.
    routes : Path, GeoDataFrame or None
        Optional route geometry (LineStrings with from_site, to_site[, mode]); default: the
        case folder's routes.geojson if there is one.
    with_candidates : bool
        Also build ``links_candidate`` (all unused candidate arcs).
    year : int or None
        The year of a multi-year run to map (module docstring); None: the horizon's last.
        Must be None for a single-period run.

    Returns
    -------
    MapData
        The layers in drawing order, the streams, the field dictionary, the projected CRS,
        the metadata and the warnings (the case changed since the run, a basemap file
        missing from ``basemap_dir``).

    Raises
    ------
    InputError
        A run folder missing a table, no case (none given and none in the manifest), route
        geometry that cannot be read, or a ``year`` that is not one of the run's (listing
        them) or given for a single-period run.
    """
    if not isinstance(run, RunFolder):
        run = read_run_folder(Path(run))
    years = run_years(run)
    year = map_year(years, year)
    if case is None:
        case = _manifest_case(run)
    notes = _check_inputs(run, case)
    inputs = _layer_inputs(year_view(run, year), case, routes, year)
    layers: dict[str, gpd.GeoDataFrame] = {"sites": sites_layer(inputs)}
    layers["facilities"] = facilities_layer(inputs)
    layers["flows"] = flows_layer(inputs)
    if with_candidates:
        layers["links_candidate"] = candidate_links_layer(inputs)
    if case.parks is not None and case.parks.get("features"):
        layers["parks"] = parks_layer(inputs, layers["sites"], layers["facilities"])
    basemap, basemap_used, missing = basemap_layers(inputs, basemap_dir)
    layers.update(basemap)
    notes += missing
    layers["prefecture_summary"] = prefecture_summary_layer(inputs, layers)
    ordered = {name: layers[name] for name in LAYERS if name in layers}
    return MapData(
        name=str(run.summary.get("name", run.path.name)),
        summary=run.summary,
        layers=ordered,
        streams=inputs.streams.reset_index(drop=True),
        fields=inputs.fields.frame(ordered),
        projected_crs=inputs.pcrs,
        metadata=_metadata(run, case, inputs.pcrs, basemap_used, year),
        warnings=notes,
        kpis=run.kpis,
        year=year,
        years=years,
    )


def run_years(run: RunFolder) -> list[int]:
    """The years of a run: its summary's, or its scenario's (manifest) when it has no
    solution.

    Parameters
    ----------
    run : RunFolder
        The run.

    Returns
    -------
    list of int
        The horizon's years, ascending; [] for a single-period run.
    """
    years = run.years
    if not years:
        scenario = (run.manifest or {}).get("scenario") or {}
        years = [int(y) for y in scenario.get("years") or []]
    return years


def map_year(years: list[int], year: int | None) -> int | None:
    """The year a map shows.

    Parameters
    ----------
    years : list of int
        The run's years (:func:`run_years`; [] for a single-period run).
    year : int or None
        The year asked for (``--year``); None: the horizon's last.

    Returns
    -------
    int or None
        The year; None for a single-period run.

    Raises
    ------
    InputError
        ``year`` is not one of ``years`` (they are listed), or is given for a single-period
        run.
    """
    if not years:
        if year is not None:
            raise InputError(
                [
                    Problem(
                        "--year",
                        _(
                            "the run is single-period (its scenario has no years); --year "
                            "picks a year of a multi-year run"
                        ),
                        value=str(year),
                    )
                ],
                "map options",
            )
        return None
    if year is None:
        return years[-1]
    if year not in years:
        raise InputError(
            [
                Problem(
                    "--year",
                    _("not a year of the run; its years: {years}").format(
                        years=", ".join(str(y) for y in years)
                    ),
                    value=str(year),
                )
            ],
            "map options",
        )
    return int(year)


def year_view(run: RunFolder, year: int | None) -> RunFolder:
    """The run as one year of it: flows, facilities and unused rows of ``year`` only,
    without their ``year`` column (the layers are built from these as from a single-period
    run's).

    Parameters
    ----------
    run : RunFolder
        The run.
    year : int or None
        A year of the run; None: the run as it is.

    Returns
    -------
    RunFolder
        A copy with the tables of that year (kpis.csv and plan.csv kept whole).
    """
    if year is None:
        return run

    def of_year(frame: pd.DataFrame) -> pd.DataFrame:
        if "year" not in frame.columns:
            return frame
        rows = frame.loc[(frame["year"] == year).fillna(False).to_numpy(bool)]
        return rows.drop(columns="year").reset_index(drop=True)

    return replace(
        run,
        flows=of_year(run.flows),
        facilities=of_year(run.facilities),
        unused=of_year(run.unused),
    )


def _manifest_case(run: RunFolder) -> Case:
    """The case named in the run's manifest.json (``scenario.case``).

    Parameters
    ----------
    run : RunFolder
        The run.

    Returns
    -------
    Case
        The case, loaded.

    Raises
    ------
    InputError
        The manifest names no case.
    """
    if run.case_path is None:
        raise InputError(
            [
                Problem(
                    str(run.path / "manifest.json"),
                    _("names no case (scenario.case); give one with --case"),
                )
            ],
            "run folder",
        )
    return load_case(run.case_path)


def _layer_inputs(
    run: RunFolder, case: Case, routes: Path | gpd.GeoDataFrame | None, year: int | None = None
) -> LayerInputs:
    """What the layer builders share: the streams, the projected CRS, the routes.

    Parameters
    ----------
    run : RunFolder
        The run.
    case : Case
        Its case.
    routes : Path, GeoDataFrame or None
        Route geometry; None: the case folder's routes.geojson if there is one.
    year : int or None
        The year of a multi-year run shown (``run`` is :func:`year_view` of it).

    Returns
    -------
    LayerInputs
        With an empty field dictionary.
    """
    if routes is None and case.path.is_dir() and (case.path / "routes.geojson").is_file():
        routes = case.path / "routes.geojson"
    route_gdf = read_routes(routes)
    sites = case.sites
    centre_lon = float(sites["lon"].mean()) if len(sites) else 106.7
    centre_lat = float(sites["lat"].mean()) if len(sites) else 26.8
    streams = case.streams[["stream", "name", "kind", "unit", "target"]].copy()
    streams.insert(2, "name_zh", chinese_names(case.streams))
    streams["colour"] = streams["stream"].map(stream_colour_map(case))
    named = names(case)["stream"]  # in the map's language
    streams["label"] = [
        _("{name} ({unit})").format(name=named.get(stream, stream), unit=unit)
        for stream, unit in zip(streams["stream"], streams["unit"], strict=True)
    ]
    return LayerInputs(
        run=run,
        case=case,
        streams=streams,
        solved=run.summary.get("objective") is not None,
        pcrs=projected_crs_for(centre_lon, centre_lat),
        routes=route_gdf,
        fields=FieldDictionary(),
        year=year,
    )


def _metadata(
    run: RunFolder, case: Case, pcrs: pyproj.CRS, basemap_used: list[str], year: int | None
) -> dict[str, Any]:
    """What produced the map, stored in every output.

    Parameters
    ----------
    run : RunFolder
        The run.
    case : Case
        Its case.
    pcrs : pyproj.CRS
        The projected CRS of lengths and areas.
    basemap_used : list of str
        The basemap files read.
    year : int or None
        The year of a multi-year run the map shows.

    Returns
    -------
    dict
        Title, scenario, status, run folder, case, the two CRSs, basemap files and credits,
        symbiosis version, creation time (UTC), the run's end and the units; for a year of
        a multi-year run also ``year`` and ``years`` (the title names the year).
    """
    meta = _base_metadata(run, case, pcrs, basemap_used)
    if year is not None:
        meta["title"] += f" ({year})"
        meta["year"] = year
        meta["years"] = run_years(run)
        meta["units"] = _(
            "amounts and costs of {year} (per year, undiscounted); t for solid streams, MWh "
            "for heat; money in CNY; km"
        ).format(year=year)
    return meta


def _base_metadata(
    run: RunFolder, case: Case, pcrs: pyproj.CRS, basemap_used: list[str]
) -> dict[str, Any]:
    """:func:`_metadata` of any run (a single-period run's whole metadata).

    Parameters
    ----------
    run : RunFolder
        The run.
    case : Case
        Its case.
    pcrs : pyproj.CRS
        The projected CRS of lengths and areas.
    basemap_used : list of str
        The basemap files read.

    Returns
    -------
    dict
        Title, scenario, status, run folder, case, the two CRSs, basemap files and credits,
        symbiosis version, creation time (UTC), the run's end and the units; the words in
        the map's language. No absolute local path: the run folder by its name, the case by
        :func:`case_label`, the basemap by its files' names.
    """
    return {
        "title": _("symbiosis map: {name}").format(name=run.summary.get("name", "")),
        "scenario": run.summary.get("name", ""),
        "status": run.summary.get("status", ""),
        "run_folder": run.path.name,
        "case": case_label(case.path),
        "crs": CRS_DATA,
        "crs_name": _("WGS 84 (longitude, latitude in degrees)"),
        "projected_crs": f"EPSG:{pcrs.to_epsg()}",
        "projected_crs_name": pcrs.name,
        "projected_crs_use": _("line_km, area_km2 and map buffers are computed in this CRS"),
        "basemap": [Path(file).name for file in basemap_used],
        "credits": _(BASEMAP_CREDIT) if basemap_used else "",
        "symbiosis_version": symbiosis_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_finished": (run.manifest or {}).get("finished", ""),
        "units": _("amounts per year; t for solid streams, MWh for heat; money in CNY; km"),
    }


def case_label(path: Path) -> str:
    """How a map names its case: the case's last two path parts, never an absolute path.

    Parameters
    ----------
    path : Path
        The case's folder or GeoPackage.

    Returns
    -------
    str
        ``parks/guizhou``, ``tiny/case``, ``case.gpkg`` (the last two parts joined by ``/``,
        or the only one).
    """
    return "/".join(Path(path).parts[-2:])


def stream_colour_map(case: Case) -> dict[str, str]:
    """A colour per stream of the case (:func:`symbiosis.maps.styles.stream_colours`).

    Parameters
    ----------
    case : Case
        The case.

    Returns
    -------
    dict of str to str
        Stream id -> ``#rrggbb``, in the order of streams.csv.
    """
    return styles.stream_colours(case.streams["stream"].tolist())


def _check_inputs(run: RunFolder, case: Case) -> list[str]:
    """Warn when the case's files differ from the checksums the run recorded.

    Parameters
    ----------
    run : RunFolder
        The run (its manifest's ``inputs``: path -> sha256).
    case : Case
        The case the map is drawn from.

    Returns
    -------
    list of str
        One warning naming the files changed, or none.
    """
    recorded = (run.manifest or {}).get("inputs") or {}
    changed = []
    for file in case.files:
        digest = recorded.get(str(file))
        if digest is not None and file.is_file() and sha256_file(file) != digest:
            changed.append(file.name)
    if changed:
        return [
            _(
                "the case changed since the run ({files}): names, coordinates and candidate "
                "links are those of the case as it is now"
            ).format(files=", ".join(changed))
        ]
    return []


def buffered_extent(data: MapData, km: float | None = None) -> tuple[float, float, float, float]:
    """The data's extent grown by ``km``, computed in the projected CRS, in degrees.

    Parameters
    ----------
    data : MapData
        The map (:meth:`MapData.bounds` gives the extent).
    km : float or None
        The margin; None: 12% of the extent's larger side, at least 8 km.

    Returns
    -------
    tuple of float
        (minx, miny, maxx, maxy) in degrees.
    """
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
    "RUN_FILES",
    "STATUSES",
    "MapData",
    "RunFolder",
    "buffered_extent",
    "build_map_data",
    "case_label",
    "default_basemap_dir",
    "fmt_amount",
    "fmt_money",
    "kpi_lines",
    "map_year",
    "projected_crs_for",
    "read_run_folder",
    "run_years",
    "stream_colour_map",
    "year_kpi_lines",
    "year_view",
]
