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
postgis    tables in a PostgreSQL schema, styled for QGIS  all (with ``links_candidate``)
           (``--out postgresql://user@host/db?schema=s``)
=========  ==============================================  ===================================
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from symbiosis.case import Case, InputError, Problem, load_case
from symbiosis.i18n import N_, use_language
from symbiosis.i18n import gettext as _
from symbiosis.maps import fonts
from symbiosis.maps.data import LAYERS, MapData, build_map_data, read_run_folder

#: each format and what it is (English; translated where shown)
FORMATS: dict[str, str] = {
    "gpkg": N_("GeoPackage (.gpkg), styled for QGIS"),
    "geojson": N_("GeoJSON, one file per layer in a folder"),
    "shp": N_("Shapefile, one per layer in a folder (with a field-name mapping)"),
    "kml": N_("KML for Google Earth (.kml)"),
    "html": N_("interactive Leaflet map (.html), works offline"),
    "png": N_("print-ready map (.png), 300 dpi"),
    "postgis": N_("PostGIS tables (--out postgresql://user@host/db?schema=s), styled for QGIS"),
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


def format_for(out: Path | str, fmt: str | None = None) -> str:
    """The output format: ``postgis`` for a database URL, ``fmt`` if given, else from the
    extension of ``out``.

    Parameters
    ----------
    out : Path or str
        The output file or folder, or a ``postgresql://`` URL (a str).
    fmt : str or None
        A format name (``gpkg``, ``geojson``, ``shp``, ``kml``, ``html``, ``png``,
        ``postgis``; also ``geopackage``, ``shapefile``, ``json``, ``htm``, ``postgresql``,
        any case, with or without a dot).

    Returns
    -------
    str
        A key of :data:`FORMATS`.

    Raises
    ------
    InputError
        An unknown ``fmt``, or no ``fmt`` and an extension that names no format; a URL with
        a ``fmt`` other than ``postgis``, or ``postgis`` without a URL.
    """
    from symbiosis.maps.postgis import FORM, is_database_url

    if fmt is not None:
        key = fmt.lower().lstrip(".")
        key = {
            "geopackage": "gpkg",
            "shapefile": "shp",
            "json": "geojson",
            "htm": "html",
            "postgresql": "postgis",
        }.get(key, key)
        if key in FORMATS and (key == "postgis") != is_database_url(out):
            raise InputError(
                [
                    Problem(
                        "--format",
                        _("format {key} writes to {form}, not to a file").format(key=key, form=FORM)
                        if key == "postgis"
                        else _("a database URL is written as postgis, not {key}").format(key=key),
                        value=fmt,
                    )
                ],
                "map options",
            )
        if key not in FORMATS:
            raise InputError(
                [
                    Problem(
                        "--format",
                        _("unknown format; allowed: {allowed}").format(allowed=", ".join(FORMATS)),
                        value=fmt,
                    )
                ],
                "map options",
            )
        return key
    if is_database_url(out):
        return "postgis"
    found = EXTENSIONS.get(Path(out).suffix.lower())
    if found is None:
        raise InputError(
            [
                Problem(
                    str(out),
                    _(
                        "cannot tell the format from the extension; use one of {extensions} "
                        "or --format"
                    ).format(extensions=", ".join(sorted(set(EXTENSIONS)))),
                )
            ],
            "map options",
        )
    return found


def default_layers(fmt: str) -> tuple[str, ...]:
    """The layers a format shows when none are asked for (module docstring).

    Parameters
    ----------
    fmt : str
        A key of :data:`FORMATS`.

    Returns
    -------
    tuple of str
        Layer names in drawing order.
    """
    if fmt == "png":
        return PNG_LAYERS
    if fmt in ("kml", "html"):
        return tuple(name for name in LAYERS if name != "links_candidate")
    return LAYERS


def parse_layers(text: str | Sequence[str] | None) -> list[str] | None:
    """``"flows,facilities"`` -> ["flows", "facilities"]; checks the names.

    Parameters
    ----------
    text : str, sequence of str or None
        Comma-separated layer names, or a sequence of them.

    Returns
    -------
    list of str or None
        The names, stripped, in the order given; None when ``text`` is None.

    Raises
    ------
    InputError
        A name not in :data:`~symbiosis.maps.data.LAYERS`, or no name at all.
    """
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in items if n.strip()]
    bad = [n for n in names if n not in LAYERS]
    if bad or not names:
        raise InputError(
            [
                Problem(
                    "--layers",
                    _("unknown layer; allowed: {allowed}").format(allowed=", ".join(LAYERS)),
                    value=n,
                )
                for n in bad or [str(text)]
            ],
            "map options",
        )
    return names


@dataclass(frozen=True)
class MapOptions:
    """What a map shows and how it is written: every choice of :func:`export_map` but the
    run folder, the output and its format.

    Parameters
    ----------
    layers : str, sequence of str or None
        Layer names (a sequence, or comma-separated text as ``--layers`` takes them); None:
        the format's default layers (module docstring). A sequence is kept as a tuple.
    case : Case, str, Path or None
        The case (or its path) to use instead of the one the run's manifest names
        (``scenario.case``).
    basemap_dir : Path or None
        Folder with the basemap GeoJSON files; None: ``maps/`` of the source tree.
    routes : Path or None
        Route geometry (LineStrings with from_site, to_site[, mode]) drawn instead of
        straight lines; None: the case folder's routes.geojson if there is one.
    size : str
        The PNG sheet, ``A4`` or ``A3`` (any case).
    title : str or None
        A title instead of the scenario name (HTML, PNG, metadata).
    overwrite : bool
        Write a GeoJSON or Shapefile folder beside files symbiosis did not write (never
        replacing one); files (.gpkg, .kml, .html, .png) are never written over a file
        symbiosis did not write, with or without it.
    year : int or None
        The year of a multi-year run to map (its flows, the facilities active that year,
        the title and legends naming it); None: the horizon's last year. A year not in the
        run, or any year for a single-period run, is an error listing the run's years.
    """

    layers: str | Sequence[str] | None = None
    case: Case | str | Path | None = None
    basemap_dir: Path | None = None
    routes: Path | None = None
    size: str = "A4"
    title: str | None = None
    overwrite: bool = False
    year: int | None = None

    def __post_init__(self) -> None:
        if self.layers is not None and not isinstance(self.layers, str):
            object.__setattr__(self, "layers", tuple(self.layers))


#: the keyword arguments :func:`export_map` took before :class:`MapOptions` (fields added
#: since, such as ``year``, are options only)
LEGACY_KEYWORDS = tuple(f.name for f in fields(MapOptions) if f.name != "year")


@dataclass
class MapExport:
    """What :func:`export_map` wrote.

    Parameters
    ----------
    path : Path
        The file or folder written.
    format : str
        Its format, a key of :data:`FORMATS`.
    layers : list of str
        The layers written, in drawing order.
    data : MapData
        The layers and metadata the map was drawn from.
    skipped : list of str
        Layers asked for (or of the format's default) that have no data in this run.
    drawn : dict of str to GeoDataFrame
        PNG only: the frames drawn (projected CRS), for tests to check the map's data.
    target : str
        Where it was written, as shown to the user: the path, or for PostGIS the database
        URL with its password masked (``path`` is then ``Path()``: no file was written).
    """

    path: Path
    format: str
    layers: list[str]
    data: MapData
    skipped: list[str] = field(default_factory=list)
    drawn: dict[str, Any] = field(default_factory=dict)  # PNG: the GeoDataFrames drawn
    target: str = ""


def map_options(
    options: MapOptions | str | Sequence[str] | None, legacy: dict[str, Any]
) -> MapOptions:
    """``options``, or the :class:`MapOptions` that the old keyword arguments stood for.

    Parameters
    ----------
    options : MapOptions, str, sequence of str or None
        The options; text or a sequence of names is the old fourth positional argument,
        ``layers``.
    legacy : dict
        The old keyword arguments (names in :data:`LEGACY_KEYWORDS`), applied over
        ``options`` with a DeprecationWarning.

    Returns
    -------
    MapOptions
        The options to export with.

    Raises
    ------
    TypeError
        A keyword that :func:`export_map` never took.
    """
    if options is not None and not isinstance(options, MapOptions):
        legacy = {"layers": options, **legacy}
        options = None
    chosen = options or MapOptions()
    if not legacy:
        return chosen
    unknown = sorted(set(legacy) - set(LEGACY_KEYWORDS))
    if unknown:
        raise TypeError(f"export_map() got unexpected keyword argument(s) {', '.join(unknown)}")
    names = ", ".join(f"{k}=" for k in legacy)
    warnings.warn(
        f"export_map({names}) is deprecated: pass options=MapOptions({names})",
        DeprecationWarning,
        stacklevel=3,
    )
    return replace(chosen, **legacy)


def export_map(
    run_dir: str | Path,
    out: str | Path,
    fmt: str | None = None,
    options: MapOptions | None = None,
    **legacy: Any,
) -> MapExport:
    """Export the map of a run folder to ``out``.

    Parameters
    ----------
    run_dir : str or Path
        A run folder written by ``symbiosis run``.
    out : str or Path
        The output file (or folder for geojson/shp); its extension gives the format. A str
        ``postgresql://user@host/db?schema=s`` writes PostGIS tables
        (:mod:`symbiosis.maps.postgis`).
    fmt : str or None
        One of :data:`FORMATS`, overriding the extension.
    options : MapOptions or None
        Layers, case, basemap, routes, PNG size, title, the overwrite rule and the year of a
        multi-year run; None: the defaults of :class:`MapOptions`.
    **legacy
        The keyword arguments taken before :class:`MapOptions` (``layers``, ``case``,
        ``basemap_dir``, ``routes``, ``size``, ``title``, ``overwrite``): still accepted,
        with a DeprecationWarning.

    Returns
    -------
    MapExport
        The path written, its format, the layers written and skipped, and the map's data.
        Its words are in the current language (:mod:`symbiosis.i18n`); a PNG in Chinese
        without a CJK font is drawn in English, with a warning in ``data.warnings``
        (:func:`symbiosis.maps.fonts.print_language`).

    Raises
    ------
    InputError
        Unknown format, layer or size, missing run folder or case, a year that is not one
        of the run's (CLI exit 2).
    """
    opts = map_options(options, legacy)
    kind = format_for(out, fmt)
    from symbiosis.maps.postgis import PostgisTarget, parse_target

    # a URL is checked before the (slow) map is built
    target: PostgisTarget | None = parse_target(str(out)) if kind == "postgis" else None
    out = Path(out) if target is None else Path()
    chosen = parse_layers(opts.layers)
    size = _sheet_size(kind, opts.size)
    run = read_run_folder(Path(run_dir))
    case = load_case(opts.case) if isinstance(opts.case, str | Path) else opts.case
    want = list(chosen or default_layers(kind))
    lang, note = fonts.print_language() if kind == "png" else (None, None)
    with use_language(lang):
        data = build_map_data(
            run,
            case,
            opts.basemap_dir,
            opts.routes,
            with_candidates="links_candidate" in want,
            year=opts.year,
        )
        if note is not None:
            data.warnings.append(note)
        if opts.title:
            data.metadata["title"] = opts.title
        present, skipped = _split_layers(want, data, asked=bool(chosen))
        result = MapExport(out, kind, present, data, skipped)
        if target is not None:
            from symbiosis.maps.postgis import write_postgis

            result.target = write_postgis(data, present, target)
            return result
        result.path, result.drawn = _write(kind, data, present, out, replace(opts, size=size))
        result.target = str(result.path)
    return result


def _sheet_size(kind: str, size: str) -> str:
    """The PNG sheet ``size`` in capitals, checked for a PNG.

    Parameters
    ----------
    kind : str
        The output format.
    size : str
        ``A4`` or ``A3``, any case.

    Returns
    -------
    str
        ``size`` in capitals.

    Raises
    ------
    InputError
        A PNG with another size.
    """
    size_key = size.upper()
    if kind == "png" and size_key not in ("A4", "A3"):
        raise InputError([Problem("--size", _("allowed: A4 or A3"), value=size)], "map options")
    return size_key


def _split_layers(
    want: Sequence[str], data: MapData, *, asked: bool
) -> tuple[list[str], list[str]]:
    """The layers of ``want`` that have data, and those that have none.

    Parameters
    ----------
    want : sequence of str
        The layers asked for, or the format's default.
    data : MapData
        The map's layers.
    asked : bool
        ``want`` was given by the caller (``--layers``), not the format's default.

    Returns
    -------
    tuple of (list of str, list of str)
        (present, skipped), each in the order of ``want``.

    Raises
    ------
    InputError
        Layers were asked for and none of them has data.
    """
    present = [name for name in want if name in data.layers]
    skipped = [name for name in want if name not in data.layers]
    if asked and skipped and not present:
        raise InputError(
            [
                Problem(
                    "--layers",
                    _("no data for this layer in this run (no parks.geojson or no basemap?)"),
                    value=name,
                )
                for name in skipped
            ],
            "map options",
        )
    return present, skipped


def _write(
    kind: str, data: MapData, layers: list[str], out: Path, opts: MapOptions
) -> tuple[Path, dict[str, Any]]:
    """Write the map in format ``kind`` (each writer is imported only when used).

    Parameters
    ----------
    kind : str
        A key of :data:`FORMATS`.
    data : MapData
        The map's layers.
    layers : list of str
        The layers to write, all present in ``data``.
    out : Path
        The output as given (a .geojson or .shp name stands for a folder of that name).
    opts : MapOptions
        ``size`` (already checked, capitals), ``title`` and ``overwrite`` are used.

    Returns
    -------
    tuple of (Path, dict)
        The path written, and the frames drawn (PNG; empty for the other formats).
    """
    overwrite = opts.overwrite
    if kind == "png":
        from symbiosis.maps.printmap import write_png

        return write_png(data, layers, out, size=opts.size, title=opts.title, overwrite=overwrite)
    if kind == "gpkg":
        from symbiosis.maps.vector import write_gpkg

        path = write_gpkg(data, layers, out, overwrite=overwrite)
    elif kind == "geojson":
        from symbiosis.maps.vector import write_geojson_folder

        path = write_geojson_folder(data, layers, _folder(out, ".geojson"), overwrite=overwrite)
    elif kind == "shp":
        from symbiosis.maps.vector import write_shapefile_folder

        path = write_shapefile_folder(data, layers, _folder(out, ".shp"), overwrite=overwrite)
    elif kind == "kml":
        from symbiosis.maps.vector import write_kml

        path = write_kml(data, layers, out, overwrite=overwrite)
    else:
        from symbiosis.maps.web import write_html

        path = write_html(data, layers, out, title=opts.title, overwrite=overwrite)
    return path, {}


def _folder(out: Path, suffix: str) -> Path:
    """``maps/run.shp`` -> the folder ``maps/run`` (a folder named after the file).

    Parameters
    ----------
    out : Path
        The output as given.
    suffix : str
        The format's extension (``.geojson``, ``.shp``).

    Returns
    -------
    Path
        ``out`` without ``suffix``, or ``out`` itself when it has another extension.
    """
    return out.with_suffix("") if out.suffix.lower() == suffix else out


__all__ = [
    "FORMATS",
    "LEGACY_KEYWORDS",
    "MapExport",
    "MapOptions",
    "default_layers",
    "export_map",
    "format_for",
    "map_options",
    "parse_layers",
]
