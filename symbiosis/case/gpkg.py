"""A case in a GeoPackage: the same tables as CASE_FORMAT.md, as layers or attribute tables.

GIS teams keep their data in GeoPackages. :func:`load_case_gpkg` reads one: every table of the
case format (``streams``, ``sites``, ``supply``, ``facilities``, ``facility_inputs``,
``modes``, optional ``distances``, ``supply_years``, ``facility_outputs`` and
``prefectures``) is a layer or an attribute table of that name with the same columns (both
name fields, ``name`` and ``name_zh``, where the table has them), and ``parks`` is an
optional polygon layer (properties park, name, name_zh, prefecture, level). ``sites`` may be
a point layer: a site's point gives its ``lon``/``lat`` (in EPSG:4326, reprojected if the
layer has another CRS), and the ``lon``/``lat`` columns are used only for sites without a
point. An optional line
layer ``routes`` (from_site, to_site[, mode]) is the route geometry ``symbiosis map`` draws.

Every cell goes through the same checks as a CSV case (:func:`symbiosis.case.check_tables`);
messages name ``case.gpkg:<layer>`` and the row is the feature id (fid) QGIS shows.

Writing a case to a GeoPackage (with QGIS styles) is the maps stage's:
:mod:`symbiosis.maps.case_export`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from symbiosis.case.tables import (
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    TABLES,
    Case,
    RawTable,
    check_tables,
    raw_from_frame,
)
from symbiosis.errors import CaseError, Problem
from symbiosis.i18n import gettext as _

CRS_DATA = "EPSG:4326"


def _source(path: Path, layer: str) -> str:
    return f"{path.name}:{layer}"


def _read_layer(path: Path, layer: str, problems: list[Problem]) -> tuple[pd.DataFrame, Any]:
    """A layer as a frame of its attributes (fid index) and its GeoSeries (or None)."""
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    except Exception as exc:
        problems.append(
            Problem(_source(path, layer), _("cannot read layer: {error}").format(error=exc))
        )
        return pd.DataFrame(), None
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry
        if geometry.crs is not None and len(geometry):
            geometry = geometry.to_crs(CRS_DATA)
        attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        return attrs, geometry
    return frame, None


def _raw(frame: pd.DataFrame, name: str, path: Path) -> RawTable:
    """Strings for the checks; the row numbers are the features' fids."""
    fids = [int(i) for i in frame.index]
    text = frame.copy()
    for col in text.columns:
        if pd.api.types.is_float_dtype(text[col]):
            # 1000000.0 -> "1000000" so ids and flags read as written; other floats as repr.
            text[col] = text[col].map(_float_text)
    raw = raw_from_frame(text.reset_index(drop=True), name, "")
    raw.source = _source(path, name)
    raw.rows = [fids[r - 2] for r in raw.rows]
    return raw


def _float_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def load_case_gpkg(path: str | Path) -> Case:
    """Read and check a case stored in a GeoPackage (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The GeoPackage. Layers or attribute tables named as the case's tables are read;
        ``distances``, ``supply_years``, ``facility_outputs``, ``prefectures``, ``parks``
        and ``routes`` may be absent.

    Returns
    -------
    Case
        The checked case, as from a CSV folder; site coordinates from the ``sites`` points
        (EPSG:4326) where they have one, ``parks`` as a GeoJSON FeatureCollection, and
        ``files`` the GeoPackage alone.

    Raises
    ------
    CaseError
        Listing every problem, each named ``<file>.gpkg:<layer>`` with the feature id as row;
        also for a file that does not exist or cannot be opened as a GeoPackage, and for
        each missing required layer.
    """
    path = Path(path)
    if not path.is_file():
        raise CaseError([Problem(str(path), _("no such GeoPackage"))])
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:
        raise CaseError(
            [Problem(str(path), _("cannot open as a GeoPackage: {error}").format(error=exc))]
        ) from None
    names = {str(row[0]) for row in listed}
    problems: list[Problem] = []
    raw: dict[str, RawTable] = {}
    for name in TABLES:
        if name not in names:
            continue
        frame, geometry = _read_layer(path, name, problems)
        if name == "sites" and geometry is not None:
            frame = _sites_from_points(frame, geometry)
        raw[name] = _raw(frame, name, path)
    missing = [n for n in TABLES if n not in names and n in REQUIRED_TABLES]
    for name in missing:
        problems.append(
            Problem(
                _source(path, name),
                _(
                    "missing layer or table; a case GeoPackage holds {tables}, parks and "
                    "routes ({optional}, parks and routes optional)"
                ).format(
                    tables=", ".join(TABLES),
                    optional=", ".join(t for t in TABLES if t in OPTIONAL_TABLES),
                ),
            )
        )
    parks = None
    if "parks" in names:
        parks = _parks_geojson(path, problems)
    try:
        case = check_tables(
            {k: v for k, v in raw.items()},
            path,
            parks,
            parks_source=_source(path, "parks"),
            files=[path],
        )
    except CaseError as exc:
        raise CaseError(problems + exc.problems) from None
    if problems:
        raise CaseError(problems)
    return case


def _sites_from_points(frame: pd.DataFrame, geometry: gpd.GeoSeries) -> pd.DataFrame:
    frame = frame.copy()
    has_point = np.asarray(
        [g is not None and not g.is_empty and g.geom_type == "Point" for g in geometry],
        dtype=bool,
    )
    lon = np.array([g.x if ok else np.nan for g, ok in zip(geometry, has_point, strict=True)])
    lat = np.array([g.y if ok else np.nan for g, ok in zip(geometry, has_point, strict=True)])
    for col, values in (("lon", lon), ("lat", lat)):
        given = (
            frame[col].to_numpy(dtype=object)
            if col in frame
            else np.full(len(frame), None, dtype=object)
        )
        frame[col] = [
            repr(float(v)) if ok else g for v, ok, g in zip(values, has_point, given, strict=True)
        ]
    return frame


def _parks_geojson(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        parks = pyogrio.read_dataframe(path, layer="parks")
    except Exception as exc:
        problems.append(
            Problem(_source(path, "parks"), _("cannot read layer: {error}").format(error=exc))
        )
        return None
    if not isinstance(parks, gpd.GeoDataFrame):
        problems.append(Problem(_source(path, "parks"), _("must be a polygon layer")))
        return None
    if parks.crs is not None and len(parks):
        parks = parks.to_crs(CRS_DATA)
    data: dict[str, Any] = json.loads(parks.to_json(na="null", drop_id=True))
    for feature in data.get("features", []):
        props = feature.get("properties") or {}
        feature["properties"] = {k: ("" if v is None else v) for k, v in props.items()}
    return data


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


__all__ = ["CRS_DATA", "load_case_gpkg"]
