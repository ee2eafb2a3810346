"""Writing reports: a comparison as ``.xlsx``, ``.html`` or ``.csv``, and the sweep's
fallback page; each written aside and moved in whole (:mod:`symbiosis.files`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from symbiosis.compare import Comparison
from symbiosis.errors import InputError, Problem
from symbiosis.files import (
    REPORT_CSV_KIND,
    REPORT_HTML_KIND,
    REPORT_XLSX_KIND,
    write_file,
    write_file_group,
)
from symbiosis.i18n import _
from symbiosis.report.excel import write_xlsx
from symbiosis.report.pages import compare_page, shown_path, sweep_page

#: The report types :func:`write_report` writes, by suffix.
REPORT_SUFFIXES = (".xlsx", ".html", ".csv")


def write_html(comparison: Comparison, path: Path, folder: Path | None = None) -> Path:
    """The comparison as one self-contained HTML file
    (:func:`~symbiosis.report.pages.compare_page`).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.
    path : pathlib.Path
        The file to write (as is).
    folder : pathlib.Path, optional
        Where the page will be read from (run folders are named relative to it); by default
        ``path``'s folder.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    page = compare_page(comparison, Path(path).parent if folder is None else folder)
    Path(path).write_text(page, encoding="utf-8")
    return path


def csv_writers(
    comparison: Comparison, name: str, folder: Path | None = None
) -> dict[str, Callable[[Path], object]]:
    """The files of a CSV report named ``name`` (the tables keep their field names, for
    programs to read; the overview's run folders are relative to ``folder`` or named by
    their own name, never absolute).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.
    name : str
        The report's file name (``cmp.csv``).
    folder : pathlib.Path, optional
        Where the report is written.

    Returns
    -------
    dict
        File name -> its writer: the KPI table as ``name``, the other tables as
        ``<stem>.<table>.csv``, the explanation (two runs) as ``<stem>.explanation.txt``.
    """
    stem = Path(name).stem

    def frame_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
        return lambda p: frame.to_csv(p, index=False, float_format="%.10g")

    writers: dict[str, Callable[[Path], object]] = {name: frame_writer(comparison.kpis)}
    for table, frame in comparison.tables().items():
        if table == "overview" and "folder" in frame:
            shown = [shown_path(run.path, folder) for run in comparison.runs]
            frame = frame.assign(folder=shown) if len(shown) == len(frame) else frame
        if table not in ("kpis", "explanation"):
            writers[f"{stem}.{table}.csv"] = frame_writer(frame)
    if comparison.explanation:
        text = "\n".join(comparison.explanation) + "\n"
        writers[f"{stem}.explanation.txt"] = lambda p: p.write_text(text, encoding="utf-8")
    return writers


def write_csv(comparison: Comparison, path: Path) -> list[Path]:
    """The comparison as CSV files (:func:`csv_writers`), written as one group
    (:func:`symbiosis.files.write_file_group`).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.
    path : pathlib.Path
        The KPI table; the other tables go beside it.

    Returns
    -------
    list of pathlib.Path
        The files written, the KPI table first.
    """
    folder = Path(path).absolute().parent
    return write_file_group(path, REPORT_CSV_KIND, csv_writers(comparison, Path(path).name, folder))


def write_report(comparison: Comparison, out: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write the comparison as ``.xlsx``, ``.html`` or ``.csv`` (chosen by the suffix of
    ``out``).

    The report is written aside and moved in whole (:mod:`symbiosis.files`): an existing
    report of the same type is replaced, any other file is never touched (refused with
    :class:`~symbiosis.files.OutputRefused`). A ``.csv`` report is a group of files beside
    ``out`` listed in ``<stem>.manifest.json``.

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.
    out : str or pathlib.Path
        The report's file.
    overwrite : bool
        Passed to :func:`symbiosis.files.write_file`.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        ``out``'s suffix is not one of :data:`REPORT_SUFFIXES`.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise InputError(
            [
                Problem(
                    str(out),
                    _("unknown report type {suffix}; allowed: {allowed}").format(
                        suffix=repr(suffix) if suffix else _("(none)"),
                        allowed=", ".join(REPORT_SUFFIXES),
                    ),
                )
            ],
            "command line",
        )
    folder = out.absolute().parent
    if suffix == ".xlsx":
        return [
            write_file(
                out,
                REPORT_XLSX_KIND,
                lambda p: write_xlsx(comparison, p, folder),
                overwrite=overwrite,
            )
        ]
    if suffix == ".html":
        return [
            write_file(
                out,
                REPORT_HTML_KIND,
                lambda p: write_html(comparison, p, folder),
                overwrite=overwrite,
            )
        ]
    return write_csv(comparison, out)


def write_sweep_page(out: Path, table: pd.DataFrame, reason: str = "") -> Path:
    """Write a sweep's table as ``out/report.html``
    (:func:`~symbiosis.report.pages.sweep_page`).

    Parameters
    ----------
    out : pathlib.Path
        The sweep's folder.
    table : pandas.DataFrame
        The sweep's table.
    reason : str
        Why the comparison report could not be written (shown when given, paths in it
        relative to ``out`` and never absolute).

    Returns
    -------
    pathlib.Path
        The page written.
    """
    page = sweep_page(table, reason, out)
    return write_file(out / "report.html", REPORT_HTML_KIND, lambda p: p.write_text(page, "utf-8"))


__all__ = [
    "REPORT_SUFFIXES",
    "csv_writers",
    "write_csv",
    "write_html",
    "write_report",
    "write_sweep_page",
]
