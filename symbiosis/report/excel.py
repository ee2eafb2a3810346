"""The comparison as an Excel workbook: one sheet per table, number formats, frozen header
rows, charts; marked as symbiosis's output by its keywords
(:func:`symbiosis.files.xlsx_keywords`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.compare import Comparison
from symbiosis.files import REPORT_XLSX_KIND, xlsx_keywords
from symbiosis.report.tables import number_format


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


def _sheet(
    wb: Any, name: str, frame: pd.DataFrame, unit_column: str | None, integer: set[str]
) -> Any:
    """A sheet of ``frame``: bold header, number formats (``integer`` columns as ``0``),
    column widths, frozen first row and column."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name[:31])
    ws.append([str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE5EE")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for record in frame.itertuples(index=False):
        ws.append([_cell_value(value) for value in record])
    units = [str(u) for u in frame[unit_column]] if unit_column and unit_column in frame else None
    for j, column in enumerate(frame.columns, start=1):
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(9, width + 2))
        if not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        for i in range(len(frame)):
            unit = units[i] if units else ""
            fmt = "0" if column in integer else excel_format(str(column), unit)
            ws.cell(row=i + 2, column=j).number_format = fmt
    ws.freeze_panes = "B2"
    return ws


def _overview_chart(ws: Any, overview: pd.DataFrame) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.title = "Total annual cost"
    chart.y_axis.title = "CNY/yr"
    col = list(overview.columns).index("objective") + 1
    n = len(overview)
    chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.legend = None
    ws.add_chart(chart, f"B{n + 4}")


def _cost_parts_chart(ws: Any, n: int, runs: int) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Cost parts by run"
    chart.y_axis.title = "CNY/yr"
    chart.add_data(
        Reference(ws, min_col=2, max_col=1 + runs, min_row=1, max_row=n + 1),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.width, chart.height = 22, 10
    ws.add_chart(chart, f"A{n + 4}")


def write_xlsx(comparison: Comparison, path: Path) -> Path:
    """The comparison as an Excel workbook: one sheet per table (``by_year`` with
    multi-year runs), number formats, frozen header rows, and charts (total cost per run;
    cost parts per run).

    Parameters
    ----------
    comparison : symbiosis.compare.Comparison
        The runs side by side.
    path : pathlib.Path
        The workbook to write (as is: :func:`symbiosis.report.write_report` writes it aside
        and moves it in).

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
    wb = Workbook()
    wb.remove(wb.active)
    ws = _sheet(wb, "overview", comparison.overview, None, set())
    if len(comparison.overview):
        _overview_chart(ws, comparison.overview)
    _sheet(wb, "kpis", comparison.kpis, "unit", {"year"})
    ws = _sheet(wb, "cost_parts", comparison.cost_parts, None, set())
    if len(comparison.cost_parts):
        _cost_parts_chart(ws, len(comparison.cost_parts), len(labels))
    if len(comparison.by_year):
        _sheet(wb, "by_year", comparison.by_year, "unit", {"year"})
    build_years = {str(c) for c in comparison.projects.columns if str(c).startswith("build year")}
    _sheet(wb, "projects", comparison.projects, None, set(labels) | build_years)
    _sheet(wb, "flow_changes", comparison.flow_changes, None, {"year"})
    _sheet(wb, "scenario_changes", comparison.scenario_changes, None, set())
    if comparison.explanation:
        explanation = pd.DataFrame({"explanation": comparison.explanation})
        ws = _sheet(wb, "explanation", explanation, None, set())
        ws.column_dimensions["A"].width = 120
        for row in ws.iter_rows(min_row=2):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    wb.properties.creator = "symbiosis"
    wb.properties.keywords = xlsx_keywords(REPORT_XLSX_KIND)
    wb.save(path)
    return path


__all__ = ["excel_format", "write_xlsx"]
