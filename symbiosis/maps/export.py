"""``symbiosis map``: pick the format from the extension (or ``--format``), the layers, write.

=========  ==============================================  ===================================
format     output                                          default layers
=========  ==============================================  ===================================
gpkg       one GeoPackage, styled for QGIS                 all (with ``links_candidate``)
geojson    a folder, one ``<layer>.geojson`` each          all
shp        a folder, one shapefile each + fields.csv       all
kml        one KML file for Google Earth                   all but ``links_candidate``
html       one self-contained Leaflet page (offline)       all but ``links_candidate``
png        a print-ready map, 300 dpi, A4 or A3            province, seats, parks, flows,
                                                           sites, facilities
=========  ==============================================  ===================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.maps.data import LAYERS, MapData, build_map_data, read_run_folder

FORMATS: dict[str, str] = {
    "gpkg": "GeoPackage (.gpkg), styled for QGIS",
    "geojson": "GeoJSON, one file per layer in a folder",
    "shp": "Shapefile, one per layer in a folder (with a field-name mapping)",
    "kml": "KML for Google Earth (.kml)",
    "html": "interactive Leaflet map (.html), works offline",
    "png": "print-ready map (.png), 300 dpi",
}
EXTENSIONS = {
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".shp": "shp",
    ".kml": "kml",
    ".html": "html",
    ".htm": "html",
    ".png": "png",
}
PNG_LAYERS = ("province", "prefecture_seats", "parks", "flows", "sites", "facilities")


def format_for(out: Path, fmt: str | None = None) -> str:
    """The output format: ``fmt`` if given, else from the extension of ``out``."""
    if fmt is not None:
        key = fmt.lower().lstrip(".")
        key = {"geopackage": "gpkg", "shapefile": "shp", "json": "geojson", "htm": "html"}.get(
            key, key
        )
        if key not in FORMATS:
            raise InputError(
                [Problem("--format", f"unknown format; allowed: {', '.join(FORMATS)}", value=fmt)],
                "map options",
            )
        return key
    found = EXTENSIONS.get(Path(out).suffix.lower())
    if found is None:
        raise InputError(
            [
                Problem(
                    str(out),
                    "cannot tell the format from the extension; use one of "
                    + ", ".join(sorted(set(EXTENSIONS)))
                    + " or --format",
                )
            ],
            "map options",
        )
    return found


def default_layers(fmt: str) -> tuple[str, ...]:
    if fmt == "png":
        return PNG_LAYERS
    if fmt in ("kml", "html"):
        return tuple(name for name in LAYERS if name != "links_candidate")
    return LAYERS


def parse_layers(text: str | Sequence[str] | None) -> list[str] | None:
    """``"flows,facilities"`` -> ["flows", "facilities"]; checks the names."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in items if n.strip()]
    bad = [n for n in names if n not in LAYERS]
    if bad or not names:
        raise InputError(
            [
                Problem("--layers", f"unknown layer; allowed: {', '.join(LAYERS)}", value=n)
                for n in bad or [str(text)]
            ],
            "map options",
        )
    return names


@dataclass
class MapExport:
    """What :func:`export_map` wrote."""

    path: Path
    format: str
    layers: list[str]
    data: MapData
    skipped: list[str] = field(default_factory=list)
    drawn: dict[str, Any] = field(default_factory=dict)  # PNG: the GeoDataFrames drawn


def export_map(
    run_dir: Path,
    out: Path,
    fmt: str | None = None,
    layers: str | Sequence[str] | None = None,
    case: Case | Path | None = None,
    basemap_dir: Path | None = None,
    routes: Path | None = None,
    size: str = "A4",
    title: str | None = None,
    *,
    overwrite: bool = False,
) -> MapExport:
    """Export the map of a run folder to ``out``.

    Parameters
    ----------
    run_dir : a run folder written by ``symbiosis run``
    out : the output file (or folder for geojson/shp); its extension gives the format
    fmt : one of ``FORMATS``, overriding the extension
    layers : layer names (list or comma-separated); default per format (module docstring)
    case : the case (or its path) to use instead of the manifest's ``scenario.case``
    basemap_dir : folder with the basemap GeoJSON files (default ``maps/``)
    routes : route geometry to draw instead of straight lines
    size : ``A4`` or ``A3`` (PNG)
    title : a title instead of the scenario name (HTML, PNG)
    overwrite : write a GeoJSON or Shapefile folder beside files symbiosis did not write
        (never replacing one); files (.gpkg, .kml, .html, .png) are never written over a
        file symbiosis did not write, with or without it

    Raises
    ------
    InputError
        Unknown format or layer, missing run folder or case (CLI exit 2).
    """
    out = Path(out)
    kind = format_for(out, fmt)
    chosen = parse_layers(layers)
    size_key = size.upper()
    if kind == "png" and size_key not in ("A4", "A3"):
        raise InputError([Problem("--size", "allowed: A4 or A3", value=size)], "map options")
    run = read_run_folder(Path(run_dir))
    if isinstance(case, str | Path):
        case = load_case(case)
    want = list(chosen or default_layers(kind))
    data = build_map_data(run, case, basemap_dir, routes, with_candidates="links_candidate" in want)
    if title:
        data.metadata["title"] = title
    present = [name for name in want if name in data.layers]
    skipped = [name for name in want if name not in data.layers]
    if chosen and skipped and not present:
        raise InputError(
            [
                Problem(
                    "--layers",
                    "no data for this layer in this run (no parks.geojson or no basemap?)",
                    value=name,
                )
                for name in skipped
            ],
            "map options",
        )
    result = MapExport(out, kind, present, data, skipped)
    if kind == "gpkg":
        from symbiosis.maps.vector import write_gpkg

        result.path = write_gpkg(data, present, out, overwrite=overwrite)
    elif kind == "geojson":
        from symbiosis.maps.vector import write_geojson_folder

        result.path = write_geojson_folder(
            data, present, _folder(out, ".geojson"), overwrite=overwrite
        )
    elif kind == "shp":
        from symbiosis.maps.vector import write_shapefile_folder

        result.path = write_shapefile_folder(
            data, present, _folder(out, ".shp"), overwrite=overwrite
        )
    elif kind == "kml":
        from symbiosis.maps.vector import write_kml

        result.path = write_kml(data, present, out, overwrite=overwrite)
    elif kind == "html":
        from symbiosis.maps.web import write_html

        result.path = write_html(data, present, out, title=title, overwrite=overwrite)
    else:
        from symbiosis.maps.printmap import write_png

        result.path, result.drawn = write_png(
            data, present, out, size=size_key, title=title, overwrite=overwrite
        )
    return result


def _folder(out: Path, suffix: str) -> Path:
    """``maps/run.shp`` -> the folder ``maps/run`` (a folder named after the file)."""
    return out.with_suffix("") if out.suffix.lower() == suffix else out
