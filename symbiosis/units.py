"""Numbers as people read them: money and amounts with their units, the one place every
console table, report, map label and message formats them.

Two styles: *exact* (:func:`money`, :func:`amount`: every digit to the unit, or megatonnes
with fixed decimals, for tables and messages) and *short* (:func:`money_short`,
:func:`amount_short`: three significant magnitudes, for map labels and legends).
"""

from __future__ import annotations

import math

from symbiosis.i18n import current_language

#: tonnes from which amounts are shown in megatonnes
MEGATONNE_FROM = 1e5


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(float(value))


def money(value: float | None, missing: str = "-") -> str:
    """``1,234,567`` (CNY, no decimals), or ``missing`` for no value.

    Parameters
    ----------
    value : float or None
        An amount of money in CNY (or any count).
    missing : str
        What to show for None, NaN or an infinite value.

    Returns
    -------
    str
        The value rounded to the unit with thousands separators and no unit, or
        ``missing``.
    """
    return missing if _missing(value) else f"{float(value):,.0f}"  # type: ignore[arg-type]


def signed(value: float, unit: str = "") -> str:
    """``+1,234`` or ``-1,234``, with `` unit`` if given: a change, as comparisons show it.

    Parameters
    ----------
    value : float
        The change (CNY, t, MWh ...), rounded to the unit.
    unit : str
        Appended after a space when not empty (``CNY/yr``, ``t``).

    Returns
    -------
    str
        The sign (``+`` for zero too), the magnitude with thousands separators, and the
        unit if given.
    """
    sign = "+" if value >= 0 else "-"
    return f"{sign}{abs(value):,.0f}{(' ' + unit) if unit else ''}"


def amount(
    value: float | None,
    unit: str = "t",
    *,
    digits: int = 3,
    per_year: bool = False,
    missing: str = "-",
) -> str:
    """An amount with its unit: tonnes from :data:`MEGATONNE_FROM` up in megatonnes
    (``12.345 Mt``, ``digits`` decimals), anything else to the unit (``1,234 MWh``).

    Parameters
    ----------
    value : float or None
        The amount, in ``unit``.
    unit : str
        Its unit (``t``, ``MWh``); only tonnes switch to megatonnes.
    digits : int
        Decimals of megatonnes.
    per_year : bool
        Append ``/yr``.
    missing : str
        What to show for None, NaN or an infinite value.

    Returns
    -------
    str
        ``12.345 Mt`` when ``unit`` is ``t`` and ``|value|`` >= :data:`MEGATONNE_FROM`,
        else ``1,234 MWh`` (rounded to the unit, thousands separators); ``missing`` for no
        value.
    """
    if _missing(value):
        return missing
    v = float(value)  # type: ignore[arg-type]
    text = (
        f"{v / 1e6:,.{digits}f} Mt"
        if unit == "t" and abs(v) >= MEGATONNE_FROM
        else f"{v:,.0f} {unit}"
    )
    return text + ("/yr" if per_year else "")


def money_short(value: float) -> str:
    """``14.05 M CNY``, ``1.20 bn CNY``, ``950 CNY``: money for a map label or legend.

    Parameters
    ----------
    value : float
        An amount of money in CNY (or CNY/yr).

    Returns
    -------
    str
        ``value`` divided by the largest of 1e9 (``bn``), 1e6 (``M``) and 1e3 (``k``) that
        ``|value|`` reaches, with two decimals, or the value to the unit below 1,000;
        always followed by `` CNY``. In Chinese (:func:`symbiosis.i18n.current_language`)
        in 万元 and 亿元 (:func:`_chinese_short`: ``1,405 万元``).
    """
    value = float(value)
    if current_language() == "zh":
        return _chinese_short(value, "元")
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.2f} {suffix} CNY"
    return f"{value:,.0f} CNY"


def amount_short(value: float, unit: str) -> str:
    """``1.00 Mt``, ``80.0 kt``, ``80.0 k MWh``, ``950 t``: an amount for a map label or
    legend.

    Parameters
    ----------
    value : float
        The amount, in ``unit`` (per year for supply and flows).
    unit : str
        Its unit: ``t`` gives ``Mt``/``kt``; any other (``MWh``) gives ``M MWh``/``k MWh``.

    Returns
    -------
    str
        Millions with two decimals from ``|value|`` >= 1e6, thousands with one decimal from
        1e3, else the value to the unit, each followed by its unit. In Chinese in 万 and 亿
        (:func:`_chinese_short`: ``100 万吨``, ``8.0 万 MWh``, ``950 吨``).
    """
    value = float(value)
    if current_language() == "zh":
        return _chinese_short(value, "吨" if unit == "t" else f" {unit}")
    mega, kilo = ("Mt", "kt") if unit == "t" else (f"M {unit}", f"k {unit}")
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} {mega}"
    if abs(value) >= 1e3:
        return f"{value / 1e3:,.1f} {kilo}"
    return f"{value:,.0f} {unit}"


def _chinese_short(value: float, unit: str) -> str:
    """A short amount as Chinese readers count it: in 亿 (1e8) and 万 (1e4), not thousands.

    Parameters
    ----------
    value : float
        The amount (CNY, t, MWh ...).
    unit : str
        What follows 万 or 亿: ``元``, ``吨``, or `` MWh`` (a symbol, with its space).

    Returns
    -------
    str
        ``1.20 亿元`` (two decimals from 1e8), ``1,405 万元`` (no decimal from 1e6),
        ``8.0 万吨`` (one decimal from 1e4), else the value to the unit (``950 吨``).
    """
    if abs(value) >= 1e8:
        return f"{value / 1e8:,.2f} 亿{unit}"
    if abs(value) >= 1e6:
        return f"{value / 1e4:,.0f} 万{unit}"
    if abs(value) >= 1e4:
        return f"{value / 1e4:,.1f} 万{unit}"
    return f"{value:,.0f} {unit.strip()}"


__all__ = ["MEGATONNE_FROM", "amount", "amount_short", "money", "money_short", "signed"]
