"""Read a case from whatever holds it: a folder of CSV files, or a GeoPackage."""

from __future__ import annotations

from pathlib import Path

from symbiosis.case.tables import Case, load_case_folder
from symbiosis.errors import CaseError, Problem
from symbiosis.i18n import gettext as _


def load_case(path: str | Path) -> Case:
    """Read and check a case: a CSV folder, or a GeoPackage (``.gpkg``) if the maps extra is
    installed.

    Parameters
    ----------
    path : str or Path
        A folder of the CSV tables of CASE_FORMAT.md
        (:func:`~symbiosis.case.tables.load_case_folder`), or a file ending in ``.gpkg``
        (:func:`~symbiosis.case.gpkg.load_case_gpkg`).

    Returns
    -------
    Case
        The checked case, its tables typed (amounts per year, money in CNY, km).

    Raises
    ------
    CaseError
        Listing every problem found, each with file, row, column, value and what is allowed;
        also for a path that does not exist, a file that is not a ``.gpkg``, or a
        GeoPackage without the maps extra installed.
    """
    path = Path(path)
    if path.suffix.lower() == ".gpkg":
        try:
            from symbiosis.case.gpkg import load_case_gpkg  # geometry stack only when needed
        except ImportError as exc:
            message = _("reading a GeoPackage needs the 'maps' extra ({error})")
            raise CaseError([Problem(str(path), message.format(error=exc))]) from None
        return load_case_gpkg(path)
    if not path.exists():
        raise CaseError([Problem(str(path), _("no such case folder or file"))])
    if not path.is_dir():
        raise CaseError(
            [Problem(str(path), _("a case is a folder of CSV files (or a .gpkg GeoPackage)"))]
        )
    return load_case_folder(path)


__all__ = ["load_case"]
