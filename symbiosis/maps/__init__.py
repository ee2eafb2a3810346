"""Maps for GIS teams: a run folder -> GeoPackage, GeoJSON, Shapefile, KML, HTML and PNG.

``symbiosis map RUN_DIR --out PATH`` (see :func:`export_map`, and :class:`MapOptions` for its
choices). The package needs the ``maps`` extra (geopandas, pyogrio, pyproj, shapely, folium,
matplotlib, simplekml, xstatic-leaflet); geopandas is imported only here and in
:mod:`symbiosis.case.gpkg` (reading a case from a GeoPackage).

Modules: :mod:`~symbiosis.maps.data` (a run folder -> :class:`MapData`),
:mod:`~symbiosis.maps.layers` (one builder per layer: sites, facilities, flows, candidate
links, parks, basemap), :mod:`~symbiosis.maps.prefectures` (the prefecture summary),
:mod:`~symbiosis.maps.styles` (colours, QGIS QML and SLD), :mod:`~symbiosis.maps.vector`
(GeoPackage, GeoJSON, Shapefile, KML), :mod:`~symbiosis.maps.web` (the offline HTML map),
:mod:`~symbiosis.maps.printmap` (the print-ready PNG, its fonts in
:mod:`~symbiosis.maps.fonts`), :mod:`~symbiosis.maps.words` (names, units and amounts in the
command's language), :mod:`~symbiosis.maps.export` (format dispatch, :class:`MapOptions`) and
:mod:`~symbiosis.maps.case_export` (writing a case as a GeoPackage or a CSV folder).

Every map speaks the command's language (``--lang``, :mod:`symbiosis.i18n`): titles, legends,
layer names, popups, labels, KML names, GeoPackage titles and QGIS style labels.

The maps are in the ``report`` stage (:mod:`symbiosis.stages`): they read runs only through
:func:`symbiosis.results.read_run_folder` and format money and amounts in labels and legends
only through :mod:`symbiosis.units`.
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
