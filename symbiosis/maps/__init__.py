"""Maps for GIS teams: a run folder -> GeoPackage, GeoJSON, Shapefile, KML, HTML and PNG.

``symbiosis map RUN_DIR --out PATH`` (see :func:`export_map`, and :class:`MapOptions` for its
choices). The package needs the ``maps`` extra (geopandas, pyogrio, pyproj, shapely, folium,
matplotlib, simplekml, xstatic-leaflet); geopandas is imported only here and in
:mod:`symbiosis.case.gpkg` (reading a case from a GeoPackage).

Modules: :mod:`~symbiosis.maps.data` (results -> GeoDataFrames), :mod:`~symbiosis.maps.styles`
(colours, QGIS QML and SLD), :mod:`~symbiosis.maps.vector` (GeoPackage, GeoJSON, Shapefile,
KML), :mod:`~symbiosis.maps.web` (the offline HTML map), :mod:`~symbiosis.maps.printmap` (the
print-ready PNG) and :mod:`~symbiosis.maps.export` (format dispatch).
"""

from __future__ import annotations

from symbiosis.maps.data import LAYERS, MapData, build_map_data, read_run_folder
from symbiosis.maps.export import (
    FORMATS,
    MapExport,
    MapOptions,
    default_layers,
    export_map,
    format_for,
)

__all__ = [
    "FORMATS",
    "LAYERS",
    "MapData",
    "MapExport",
    "MapOptions",
    "build_map_data",
    "default_layers",
    "export_map",
    "format_for",
    "read_run_folder",
]
