"""Write a case out: to a GeoPackage (sites as points, parks as polygons, the other tables as
attribute tables, QGIS styles for the two layers) that :func:`symbiosis.case.load_case` reads
back unchanged, or to a folder of CSV files (CASE_FORMAT.md) plus parks.geojson.

Both keep both name fields (``name`` and ``name_zh``) and the sites' ``county_code``; the
GeoPackage's QGIS styles label sites and parks with ``name_zh`` when the command speaks
Chinese and the case has Chinese names, else with ``name``.

Both follow the output rule of :mod:`symbiosis.files`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from symbiosis.case import OPTIONAL_TABLES, SCHEMAS, TABLES, Case
from symbiosis.case.gpkg import CRS_DATA
from symbiosis.files import CASE_FOLDER_KIND, CASE_GPKG_KIND, write_file, write_folder
from symbiosis.i18n import current_language


def label_field(names: list[str]) -> str:
    """The field a QGIS style labels features with, in the command's language.

    Parameters
    ----------
    names : list of str
        The layer's ``name_zh`` values (empty where a feature has none).

    Returns
    -------
    str
        ``name_zh`` when the language is Chinese and some feature has a Chinese name,
        else ``name``.
    """
    if current_language() == "zh" and any(str(n).strip() for n in names):
        return "name_zh"
    return "name"


def _table_frame(case: Case, name: str) -> pd.DataFrame:
    """One table of a case with the column types a GeoPackage keeps.

    Parameters
    ----------
    case : Case
        The case.
    name : str
        A table (:data:`symbiosis.case.TABLES`).

    Returns
    -------
    DataFrame
        A copy: number columns float, flags int64, everything else text ("" for None).
    """
    frame: pd.DataFrame = getattr(case, name).copy()
    schema = {c.name: c for c in SCHEMAS[name]}
    for col in frame.columns:
        column = schema.get(col)
        if column is not None and column.kind == "number":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        elif column is not None and column.kind == "flag":
            frame[col] = frame[col].astype(np.int64)
        else:
            frame[col] = frame[col].map(lambda v: "" if v is None else str(v)).astype(object)
    return frame


def export_case_gpkg(case: Case, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write a case to a GeoPackage that :func:`symbiosis.case.load_case` reads back unchanged.

    ``sites`` becomes a point layer (keeping ``lon``/``lat`` columns), ``parks`` a polygon
    layer, every other table an attribute table (``distances``, ``supply_years``,
    ``facility_outputs`` and ``prefectures`` only when they have rows, and ``routes`` when
    the case folder has routes.geojson); QGIS styles for sites and parks (labelled by
    :func:`label_field`) are stored in ``layer_styles``.

    Parameters
    ----------
    case : Case
        The case.
    out : str or Path
        The .gpkg file.
    overwrite : bool
        No effect on a file: a file symbiosis did not write is never replaced (the output
        rule of :mod:`symbiosis.files`).

    Returns
    -------
    Path
        The file written.
    """
    out = Path(out)

    def write(target: Path) -> None:
        for name in TABLES:
            frame = _table_frame(case, name)
            if name in OPTIONAL_TABLES and len(frame) == 0:
                continue
            if name == "sites":
                gdf = gpd.GeoDataFrame(
                    frame,
                    geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                    crs=CRS_DATA,
                )
                pyogrio.write_dataframe(
                    gdf,
                    target,
                    layer=name,
                    driver="GPKG",
                    geometry_type="Point",
                    layer_options={"DESCRIPTION": "sites.csv as points"},
                )
            else:
                pyogrio.write_dataframe(
                    frame,
                    target,
                    layer=name,
                    driver="GPKG",
                    layer_options={"DESCRIPTION": f"{name}.csv"},
                )
        if case.parks is not None and case.parks.get("features"):
            parks = gpd.GeoDataFrame.from_features(case.parks["features"], crs=CRS_DATA)
            pyogrio.write_dataframe(
                parks,
                target,
                layer="parks",
                driver="GPKG",
                geometry_type="MultiPolygon",
                promote_to_multi=True,
                layer_options={"DESCRIPTION": "parks.geojson"},
            )
        if case.path.is_dir() and (case.path / "routes.geojson").is_file():
            routes = gpd.read_file(case.path / "routes.geojson")
            pyogrio.write_dataframe(routes, target, layer="routes", driver="GPKG")
        _case_styles(target, case)

    return write_file(out, CASE_GPKG_KIND, write, overwrite=overwrite)


def _case_styles(target: Path, case: Case) -> None:
    """Add QGIS's ``layer_styles`` table: a default style for sites (and parks, if any).

    Parameters
    ----------
    target : Path
        The GeoPackage being written.
    case : Case
        The case (whether it has parks).
    """
    from datetime import UTC, datetime

    from symbiosis.maps import styles

    rows = [
        (
            "sites",
            styles.qml_single(
                styles.marker_symbol(
                    styles.Marker("circle", styles.SITE_COLOUR, "#ffffff", 2.2, 0.2)
                ),
                "point",
                label_field=label_field(case.sites["name_zh"].astype(str).tolist()),
            ),
            styles.sld(
                "sites",
                [
                    styles.SldRule(
                        "Site", styles.sld_point("circle", styles.SITE_COLOUR, "#ffffff", 8)
                    )
                ],
            ),
        )
    ]
    if case.parks is not None and case.parks.get("features"):
        rows.append(
            (
                "parks",
                styles.qml_single(
                    styles.fill_symbol(styles.PARK_FILL, styles.PARK_EDGE, 0.4, fill_alpha=90),
                    "polygon",
                    label_field=label_field(
                        [
                            str((f.get("properties") or {}).get("name_zh") or "")
                            for f in case.parks["features"]
                        ]
                    ),
                ),
                styles.sld(
                    "parks",
                    [
                        styles.SldRule(
                            "Industrial park",
                            styles.sld_polygon(styles.PARK_FILL, styles.PARK_EDGE),
                        )
                    ],
                ),
            )
        )
    now = pd.Timestamp(datetime.now(UTC).replace(microsecond=0))
    frame = pd.DataFrame(
        [
            {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": layer,
                "f_geometry_column": "geom",
                "styleName": "symbiosis",
                "styleQML": qml,
                "styleSLD": sld,
                "useAsDefault": True,
                "description": "symbiosis case style",
                "owner": "",
                "ui": "",
                "update_time": now,
            }
            for layer, qml, sld in rows
        ]
    )
    pyogrio.write_dataframe(
        frame, target, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"}
    )


def export_case_folder(case: Case, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write a case as a folder of CSV files (CASE_FORMAT.md) plus parks.geojson, by the
    output rule of :mod:`symbiosis.files`.

    Parameters
    ----------
    case : Case
        The case.
    out : str or Path
        The folder.
    overwrite : bool
        Write it beside files symbiosis did not write (never replacing one).

    Returns
    -------
    Path
        The folder written: one CSV per table (``distances.csv``, ``supply_years.csv``,
        ``facility_outputs.csv`` and ``prefectures.csv`` only when they have rows) and
        parks.geojson when the case has parks.
    """
    out = Path(out)

    def csv(frame: pd.DataFrame) -> Callable[[Path], None]:
        return lambda p: frame.to_csv(p, index=False, float_format="%.10g")

    def text(content: str) -> Callable[[Path], None]:
        def write(p: Path) -> None:
            p.write_text(content, encoding="utf-8")

        return write

    writers: dict[str, Callable[[Path], None]] = {}
    for name in TABLES:
        frame = getattr(case, name)
        if name in OPTIONAL_TABLES and len(frame) == 0:
            continue
        writers[f"{name}.csv"] = csv(frame)
    if case.parks is not None:
        writers["parks.geojson"] = text(json.dumps(case.parks, ensure_ascii=False, indent=1) + "\n")

    return write_folder(out, CASE_FOLDER_KIND, writers, overwrite=overwrite)


def export_case(case: Case, out: str | Path, *, overwrite: bool = False) -> Path:
    """``.gpkg`` -> :func:`export_case_gpkg`; anything else -> a CSV folder
    (:func:`export_case_folder`).

    Parameters
    ----------
    case : Case
        The case.
    out : str or Path
        The output; its extension picks the format.
    overwrite : bool
        As for the two writers.

    Returns
    -------
    Path
        The file or folder written.
    """
    out = Path(out)
    if out.suffix.lower() == ".gpkg":
        return export_case_gpkg(case, out, overwrite=overwrite)
    return export_case_folder(case, out, overwrite=overwrite)


__all__ = ["export_case", "export_case_folder", "export_case_gpkg", "label_field"]
