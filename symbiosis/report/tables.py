"""Tables as the pages show them: every cell's text chosen here (numbers formatted, missing
values blank), so the templates only lay the cells out."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.i18n import _


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, and whether it is a number (right-aligned)."""

    text: str
    number: bool = False


@dataclass(frozen=True)
class Table:
    """A table ready for the page: column headings and rows of cells."""

    columns: list[str]
    rows: list[list[Cell]]


def number_format(column: str, unit: str = "") -> str:
    """How to show a number: a Python format spec chosen from the column name or unit.

    Parameters
    ----------
    column : str
        The column's name: a gap is shown in scientific notation, a share or ``%`` column as
        a percentage, a price or marginal cost with two decimals.
    unit : str
        The row's unit, when the table has one (``CNY/t`` and the like: two decimals).

    Returns
    -------
    str
        A format spec for :func:`format` (``",.0f"`` unless one of the above).
    """
    name = column.lower()
    if "gap" in name:
        return ".2e"
    if name.endswith("%") or "share" in name or name == "use":
        return ".1%"
    if "price" in name or "marginal" in name or (unit.startswith("CNY/") and unit != "CNY/yr"):
        return ",.2f"
    return ",.0f"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number_cell(number: float, spec: str) -> Cell:
    if not math.isfinite(number):
        return Cell("", number=True)
    shown = format(round(number), spec) if spec.endswith("d") else format(number, spec)
    return Cell(shown, number=True)


def table_view(
    frame: pd.DataFrame,
    formats: dict[str, str] | None = None,
    unit_column: str | None = None,
    signed: Sequence[str] = (),
    text: Mapping[str, Callable[[Any], str]] | None = None,
) -> Table:
    """A DataFrame as the pages show it: numbers formatted, missing values blank.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    formats : dict, optional
        Column -> format spec (by default :func:`number_format` of the column and the row's
        unit).
    unit_column : str, optional
        The column holding each row's unit, which picks the row's format.
    signed : sequence of str
        Columns shown with a sign (every ``change...`` column is, too).
    text : mapping, optional
        Column -> how its text cells read (a KPI's or status's words,
        :data:`symbiosis.report.labels.TEXT`); formats are still chosen from the data.

    Returns
    -------
    Table
        The headings (the columns' names: :func:`with_headers` puts words there) and the
        cells' texts (booleans as ``yes``/``no`` in the current language).
    """
    formats = formats or {}
    text = text or {}
    rows: list[list[Cell]] = []
    for _index, row in frame.iterrows():
        unit = str(row[unit_column]) if unit_column and unit_column in frame else ""
        cells = []
        for column in frame.columns:
            value = row[column]
            if isinstance(value, bool | np.bool_):
                cells.append(Cell(_("yes") if value else _("no")))
            elif isinstance(value, int | float | np.integer | np.floating):
                spec = formats.get(str(column)) or number_format(str(column), unit)
                if str(column) in signed or str(column).startswith("change"):
                    spec = "+" + spec
                cells.append(_number_cell(float(value), spec))
            elif _is_missing(value):
                cells.append(Cell(""))
            else:
                shown = text.get(str(column))
                cells.append(Cell(shown(value) if shown else str(value)))
        rows.append(cells)
    return Table([str(c) for c in frame.columns], rows)


def with_headers(table: Table, label: Callable[[str], str]) -> Table:
    """The table with each column's heading replaced by ``label(column)``.

    Parameters
    ----------
    table : Table
        A table whose headings are the data's column names.
    label : callable
        Column name -> its heading (:func:`symbiosis.report.labels.column_label`).

    Returns
    -------
    Table
        The same cells under the new headings.
    """
    return Table([label(c) for c in table.columns], table.rows)


__all__ = ["Cell", "Table", "number_format", "table_view", "with_headers"]
