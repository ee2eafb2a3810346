"""The words of the maps in the command's language (:mod:`symbiosis.i18n`): names, units,
amounts per year.

A case names things in English (``name``) and, where it knows them, in Chinese
(``name_zh``); a map in Chinese shows the Chinese name where there is one and the English
one where there is none, and every GIS layer keeps both fields whatever the language.
Units in the field dictionary (``CNY/yr``, ``t/yr``, ``count``) stay as they are in the
files; :func:`unit_text` gives them in the map's language for legends and popups (unit
symbols such as t, MWh and km are not translated; ``CNY/yr`` becomes ``元/年``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from symbiosis.i18n import N_, current_language, gettext

#: the suffix of a name's Chinese column: ``name`` -> ``name_zh``
ZH_SUFFIX = "_zh"
#: the words of units that are translated (the others are symbols: t, MWh, km, %)
UNIT_WORDS: tuple[str, ...] = (
    N_("CNY"),
    # TRANSLATORS: "per year", in units such as CNY/yr
    N_("yr"),
    N_("degree"),
    N_("count"),
    N_("fraction"),
    N_("year"),
    # TRANSLATORS: a unit of the stream shipped (t or MWh), in units such as CNY/unit
    N_("unit"),
)


def _text(value: Any) -> str:
    """``value`` as text, ``""`` for None, NaN and NA.

    Parameters
    ----------
    value : Any
        A cell of a table.

    Returns
    -------
    str
        The text, stripped.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def local_name(
    row: Mapping[str, Any] | pd.Series, column: str = "name", chinese: str | None = None
) -> str:
    """A feature's name in the map's language.

    Parameters
    ----------
    row : mapping or Series
        The feature (a row of a layer or of a case table).
    column : str
        The English name's column (``name``, ``facility_name``, ``from_name``).
    chinese : str or None
        The Chinese name's column; None: ``<column>_zh`` (the basemap's seats have
        ``name_en`` and ``name_zh``).

    Returns
    -------
    str
        In Chinese, the Chinese column when the row has one that is not empty; else
        ``<column>`` (``""`` when the row has neither).
    """
    if current_language() == "zh":
        found = _text(row.get(chinese or column + ZH_SUFFIX))
        if found:
            return found
    return _text(row.get(column))


def chinese_names(frame: pd.DataFrame, column: str = "name") -> pd.Series:
    """The Chinese names of a table's rows, for a layer's ``<column>_zh`` field.

    Parameters
    ----------
    frame : DataFrame
        A case table (sites, facilities, streams, parks).
    column : str
        The English name's column.

    Returns
    -------
    Series
        ``<column>_zh`` as text (``""`` where it is empty, and everywhere when the table
        has no such column), with the index of ``frame``.
    """
    zh = column + ZH_SUFFIX
    if zh not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[zh].map(_text)


def unit_text(unit: str) -> str:
    """A unit of the field dictionary in the map's language.

    Parameters
    ----------
    unit : str
        ``CNY/yr``, ``t/yr``, ``t CO2/yr``, ``count``, ``km`` ...

    Returns
    -------
    str
        Each part between slashes translated when it is a word (:data:`UNIT_WORDS`),
        symbols kept: ``元/年``, ``t/年``, ``t CO2/年``, ``个``, ``km``.
    """
    return "/".join(gettext(part) if part in UNIT_WORDS else part for part in unit.split("/"))


def clauses(items: list[str]) -> str:
    """Key figures joined into one sentence: ``a; b; c`` (full-width ``；`` in Chinese).

    Parameters
    ----------
    items : list of str
        The clauses, in the map's language.

    Returns
    -------
    str
        The clauses joined.
    """
    return ("；" if current_language() == "zh" else "; ").join(items)


def per_year(amount: str) -> str:
    """An amount per year: ``1.00 Mt/yr``, ``100 万吨/年``.

    Parameters
    ----------
    amount : str
        The amount with its unit (:func:`symbiosis.units.amount_short`).

    Returns
    -------
    str
        The amount followed by "per year" in the map's language.
    """
    return gettext("{amount}/yr").format(amount=amount)


__all__ = [
    "UNIT_WORDS",
    "ZH_SUFFIX",
    "chinese_names",
    "clauses",
    "local_name",
    "per_year",
    "unit_text",
]
