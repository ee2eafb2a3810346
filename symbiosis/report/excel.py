"""The comparison as an Excel workbook, in the current language: one sheet per table, named
and headed in words with units (:mod:`symbiosis.report.labels`), number formats with
thousands separators, frozen header rows, print setup (A4 landscape, one page wide, the
header row on every page, page numbers), charts with units on their value axes; marked as
symbiosis's output by its keywords (:func:`symbiosis.files.xlsx_keywords`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.compare import Comparison, unit_text
from symbiosis.files import REPORT_XLSX_KIND, xlsx_keywords
from symbiosis.i18n import N_, _
from symbiosis.report.labels import (
    TEXT,
    column_label,
    named_text,
    projects_table,
    scenario_table,
)
from symbiosis.report.pages import shown_path
from symbiosis.report.tables import number_format

#: the workbook's sheets: table -> its sheet's name (translated; at most 31 characters)
SHEETS: dict[str, str] = {
    "overview": N_("Overview"),
    "kpis": N_("KPIs"),
    "cost_parts": N_("Cost parts"),
    "by_year": N_("By year"),
    "projects": N_("Projects"),
    "flow_changes": N_("Flow changes"),
    "scenario_changes": N_("Scenario changes"),
    "explanation": N_("Explanation"),
}


def excel_format(column: str, unit: str = "") -> str:
    """The Excel number format of a column (:func:`~symbiosis.report.tables.number_format`
    in Excel's words).

    Parameters
    ----------
    column : str
        The column's name.
    unit : str
        The row's unit, when the table has one.

    Returns
    -------
    str
        ``#,##0``, ``#,##0.00``, ``0.0%``, ``0.00E+00`` or ``0``.
    """
    spec = number_format(column, unit)
    return {".2e": "0.00E+00", ".1%": "0.0%", ",.2f": "#,##0.00", "d": "0"}.get(spec, "#,##0")


def _cell_value(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass(frozen=True)
class SheetView:
    """How a table is written as a sheet.

    Attributes
    ----------
    unit_column : str or None
        The column holding each row's unit (it picks the row's number format).
    integer : set of str
        Columns shown as whole numbers without separators (years, 0/1 flags).
    text : mapping
        Column -> how its text cells read (:data:`symbiosis.report.labels.TEXT`).
    label : callable
        Column -> its header (:func:`symbiosis.report.labels.column_label`).
    """

    unit_column: str | None = None
    integer: frozenset[str] = frozenset()
    text: Mapping[str, Callable[[Any], str]] = field(default_factory=lambda: TEXT)
    label: Callable[[str], str] = column_label


def _shown(value: Any, column: str, view: SheetView) -> Any:
    """A cell's value: numbers as numbers, booleans and words in the current language."""
    value = _cell_value(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and column in view.text:
        return view.text[column](value)
    return value


def print_setup(ws: Any, title_rows: str = "1:1") -> None:
    """A sheet that prints: A4 landscape, one page wide (as many pages down as it needs),
    ``title_rows`` repeated on every page, page numbers in the footer.

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        The sheet.
    title_rows : str
        The rows repeated at the top of every printed page (the header row).
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    ws.oddFooter.left.text = "&A"


def _sheet(wb: Any, name: str, frame: pd.DataFrame, view: SheetView) -> Any:
    """A sheet of ``frame``: headers in words (bold, wrapped), number formats with
    thousands separators (``integer`` columns as ``0``), column widths, frozen first row and
    column, print setup (:func:`print_setup`)."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name[:31])
    headers = [view.label(str(c)) for c in frame.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE5EE")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    columns = [str(c) for c in frame.columns]
    for record in frame.itertuples(index=False):
        ws.append([_shown(v, c, view) for v, c in zip(record, columns, strict=True)])
    unit_column = view.unit_column
    units = [str(u) for u in frame[unit_column]] if unit_column and unit_column in frame else None
    for j, column in enumerate(frame.columns, start=1):
        longest = max([len(str(v)) for v in frame[column].head(200)], default=0)
        width = max(min(len(headers[j - 1]), 28), longest)
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(9, width + 2))
        if not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        for i in range(len(frame)):
            unit = units[i] if units else ""
            fmt = "0" if column in view.integer else excel_format(str(column), unit)
            ws.cell(row=i + 2, column=j).number_format = fmt
    ws.freeze_panes = "B2"
    print_setup(ws)
    return ws


def _value_axis(chart: Any, title: str, from_zero: bool) -> None:
    """A chart's axes shown, its value axis titled with its unit, numbers with thousands
    separators, from zero when ``from_zero``."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.title = title
    chart.y_axis.number_format = "#,##0"
    if from_zero:
        chart.y_axis.scaling.min = 0


def _overview_chart(ws: Any, overview: pd.DataFrame, multi_year: bool) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.title = column_label("objective", multi_year)
    unit = unit_text("CNY" if multi_year else "CNY/yr")
    _value_axis(chart, _("Cost ({unit})").format(unit=unit), True)
    col = list(overview.columns).index("objective") + 1
    n = len(overview)
    chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.legend = None
    ws.add_chart(chart, f"B{n + 4}")


def _cost_parts_chart(ws: Any, n: int, runs: int, multi_year: bool) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = _("Cost parts by run")
    unit = unit_text("CNY" if multi_year else "CNY/yr")
    _value_axis(chart, _("Cost ({unit})").format(unit=unit), False)
    chart.add_data(
        Reference(ws, min_col=2, max_col=1 + runs, min_row=1, max_row=n + 1),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.width, chart.height = 22, 10
    ws.add_chart(chart, f"A{n + 4}")


def write_xlsx(comparison: Comparison, path: Path, folder: Path | None = None) -> Path:
    """The comparison as an Excel workbook, in the current language: one sheet per table
    (``by_year`` with multi-year runs) named and headed in words with units, number formats
    with thousands separators, frozen header rows, print setup (:func:`print_setup`) and
    charts (total cost per run; cost parts per run).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.
    path : pathlib.Path
        The workbook to write (as is: :func:`symbiosis.report.write_report` writes it aside
        and moves it in).
    folder : pathlib.Path, optional
        Where the workbook will be read from: run folders inside it are named relative to
        it, others by their own name (never an absolute path); by default ``path``'s folder.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    RuntimeError
        openpyxl is not installed (the ``reports`` extra).
    """
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError(f"Excel reports need the 'reports' extra (openpyxl): {exc}") from None

    labels = comparison.labels
    multi = any(run.years for run in comparison.runs)
    plain = SheetView(text=named_text(comparison), label=partial(column_label, multi_year=multi))
    overview = comparison.overview.copy()
    if "folder" in overview and len(overview) == len(comparison.runs):
        where = Path(path).absolute().parent if folder is None else folder
        overview["folder"] = [shown_path(run.path, where) for run in comparison.runs]
    wb = Workbook()
    wb.remove(wb.active)
    ws = _sheet(wb, _(SHEETS["overview"]), overview, plain)
    if len(overview):
        _overview_chart(ws, overview, multi)
    by_year = SheetView("unit", frozenset({"year"}), plain.text, plain.label)
    _sheet(wb, _(SHEETS["kpis"]), comparison.kpis, by_year)
    ws = _sheet(wb, _(SHEETS["cost_parts"]), comparison.cost_parts, plain)
    if len(comparison.cost_parts):
        _cost_parts_chart(ws, len(comparison.cost_parts), len(labels), multi)
    if len(comparison.by_year):
        _sheet(wb, _(SHEETS["by_year"]), comparison.by_year, by_year)
    build_years = {str(c) for c in comparison.projects.columns if str(c).startswith("build year")}
    flags = SheetView(
        None, frozenset({*labels, *build_years}), named_text(comparison, False), plain.label
    )
    _sheet(wb, _(SHEETS["projects"]), projects_table(comparison), flags)
    years = SheetView(None, frozenset({"year"}), plain.text, plain.label)
    _sheet(wb, _(SHEETS["flow_changes"]), comparison.flow_changes, years)
    _sheet(wb, _(SHEETS["scenario_changes"]), scenario_table(comparison), plain)
    if comparison.explanation:
        explanation = pd.DataFrame({_("What drives the difference"): comparison.explanation})
        ws = _sheet(wb, _(SHEETS["explanation"]), explanation, SheetView(label=str))
        ws.column_dimensions["A"].width = 110
        for row in ws.iter_rows(min_row=2):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    wb.properties.creator = "symbiosis"
    wb.properties.keywords = xlsx_keywords(REPORT_XLSX_KIND)
    wb.save(path)
    return path


__all__ = ["SHEETS", "SheetView", "excel_format", "print_setup", "write_xlsx"]
