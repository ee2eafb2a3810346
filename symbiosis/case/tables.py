"""Read a case (a folder of CSV tables, see CASE_FORMAT.md) into typed tables and check it.

Reading is in two steps so that other containers (a GeoPackage, an Excel workbook) can share the
checks: a reader turns each table into a frame of *strings* (:class:`RawTable`), then
:func:`check_tables` converts and checks every cell and reference, collecting every problem
before raising one :class:`CaseError` that lists them all (file, row, column, value, what is
allowed).

Row numbers in messages are the line numbers a spreadsheet shows: the header is row 1, the
first record row 2.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from symbiosis.errors import CaseError, Problem
from symbiosis.i18n import gettext as _

ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
TABLES: tuple[str, ...] = (
    "streams",
    "sites",
    "supply",
    "facilities",
    "facility_inputs",
    "modes",
    "distances",
    "supply_years",
    "facility_outputs",
    "prefectures",
)
#: Tables a case may leave out (an empty table with its columns then): routes, the v2
#: extensions (yearly supply, chains of plants) and the prefectures' names and codes.
OPTIONAL_TABLES: frozenset[str] = frozenset(
    {"distances", "supply_years", "facility_outputs", "prefectures"}
)
REQUIRED_TABLES: frozenset[str] = frozenset(TABLES) - OPTIONAL_TABLES
PARK_LEVELS = ("national", "provincial", "other")
#: The first two digits of every GB/T 2260 code: the provinces, autonomous regions and
#: municipalities (71 Taiwan, 81 Hong Kong, 82 Macao included).
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65", "71", "81", "82"),
    }
)
CODE_PATTERN = re.compile(r"^[0-9]{6}$")


# --------------------------------------------------------------------------------------------
# Column specifications
# --------------------------------------------------------------------------------------------
Kind = Literal["id", "text", "number", "flag", "enum", "code"]


@dataclass(frozen=True)
class Column:
    """What a column may hold (one entry of :data:`SCHEMAS`).

    Attributes
    ----------
    name : str
        The column's header.
    kind : str
        ``number`` (a finite float; ``_`` separators allowed), ``flag`` (0 or 1), ``enum``
        (one of ``choices``), ``id`` (non-empty text, matching ``pattern`` if given),
        ``text`` or ``code`` (a GB/T 2260 administrative code of ``level``, or empty).
    required : bool
        Whether the column must be in the table's header.
    optional_value : bool
        Whether a cell may be empty (it then takes ``default``, or NaN).
    default : float or None
        The value of an empty cell when ``optional_value`` is true; None means NaN.
    lo, hi : float or None
        Bounds of a number (inclusive unless ``lo_open``/``hi_open``).
    lo_open, hi_open : bool
        Make the bound strict (``> lo``, ``< hi``).
    choices : tuple of str
        The values an ``enum`` allows.
    pattern : re.Pattern or None
        The pattern an ``id`` must match (:data:`ID_PATTERN` for stream ids).
    integer : bool
        A ``number`` that must be a whole number: a year (``2026``, not ``2026.5``).
    level : str
        For a ``code``: ``county`` (six digits, the last two not ``00``: 520121) or
        ``prefecture`` (six digits ending in ``00``, the middle two not: 520100).
    """

    name: str
    kind: Kind = "number"
    required: bool = True
    optional_value: bool = False
    default: float | None = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    integer: bool = False
    level: Literal["county", "prefecture"] = "county"

    def code_problem(self, code: str) -> str | None:
        """What is wrong with a GB/T 2260 code in this ``code`` column, if anything.

        Parameters
        ----------
        code : str
            A non-empty cell of the column.

        Returns
        -------
        str or None
            ``not six digits``, ``no province's code starts with NN``, ``a prefecture's
            code, not a county's`` (a county code ending in 00) or ``not a prefecture's
            code`` (a prefecture code not ending in 00, or ending in 0000); None for a
            code of the column's level.
        """
        if not CODE_PATTERN.match(code):
            return _("not six digits")
        if code[:2] not in PROVINCE_CODES:
            return _("no province's code starts with {prefix}").format(prefix=code[:2])
        if self.level == "county" and code[4:] == "00":
            return _("a prefecture's code, not a county's")
        if self.level == "prefecture" and (code[4:] != "00" or code[2:4] == "00"):
            return _("not a prefecture's code")
        return None

    def number_problem(self, number: float) -> str | None:
        """What is wrong with a number in this column, if anything.

        Parameters
        ----------
        number : float
            A value of a ``number`` column (an empty cell is not a number: not checked here).

        Returns
        -------
        str or None
            ``not a finite number``, ``not a whole number`` (an ``integer`` column) or ``out
            of range``; None for a number the column allows.
        """
        if not math.isfinite(number):
            return _("not a finite number")
        if self.integer and not number.is_integer():
            return _("not a whole number")
        low = self.lo is not None and (number < self.lo or (self.lo_open and number == self.lo))
        high = self.hi is not None and (number > self.hi or (self.hi_open and number == self.hi))
        return _("out of range") if low or high else None

    def text_problem(self, text: str) -> str | None:
        """The problem with a cell of an ``enum``, ``id``, ``code`` or ``text`` column.

        Parameters
        ----------
        text : str
            The cell, stripped ("" when empty).

        Returns
        -------
        str or None
            The message, ending in what the column allows (``bad id; allowed: ...``); None
            for a cell the column allows (any ``text``, an empty ``code``).
        """
        allowed = self.allowed()
        if self.kind == "enum" and text not in self.choices:
            return _("allowed: {allowed}").format(allowed=allowed)
        if self.kind == "id" and text == "":
            return _("empty id; allowed: {allowed}").format(allowed=allowed)
        if self.kind == "id" and self.pattern is not None and not self.pattern.match(text):
            return _("bad id; allowed: {allowed}").format(allowed=allowed)
        why = self.code_problem(text) if self.kind == "code" and text != "" else None
        if why is not None:
            return _("{problem}; allowed: {allowed}").format(problem=why, allowed=allowed)
        return None

    def allowed(self) -> str:
        """What the column allows, in the words problems end with ("allowed: ...").

        Returns
        -------
        str
            E.g. ``0 or 1``, ``'solid' or 'heat'``, ``a non-empty id matching [a-z0-9_]+``,
            ``text``, ``a finite number > 0 and <= 1 or empty``, ``an integer year from
            1900 to 2200 or empty``.
        """
        if self.kind == "flag":
            return _("0 or 1")
        if self.kind == "enum":
            return _(" or ").join(repr(c) for c in self.choices)
        if self.kind == "id":
            if self.pattern:
                return _("a non-empty id matching {pattern}").format(pattern="[a-z0-9_]+")
            return _("a non-empty id")
        if self.kind == "text":
            return _("text")
        if self.kind == "code" and self.level == "prefecture":
            return _("a six-digit GB/T 2260 prefecture code ending in 00 (e.g. 520100) or empty")
        if self.kind == "code":
            return _(
                "a six-digit GB/T 2260 county code: province, prefecture and county, two "
                "digits each, the county's not 00 (e.g. 520121) or empty"
            )
        if self.integer:
            text = _("an integer year from {lo} to {hi}").format(
                lo=f"{self.lo:g}", hi=f"{self.hi:g}"
            )
            return text + (_(" or empty") if self.optional_value else "")
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {self.hi:g}")
        if parts:
            text = _("a finite number {conditions}").format(conditions=_(" and ").join(parts))
        else:
            text = _("a finite number")
        if self.optional_value:
            text += _(" or empty")
        return text


def _num(name: str, **kw: Any) -> Column:
    return Column(name, "number", **kw)


NONNEG = {"lo": 0.0}
POSITIVE = {"lo": 0.0, "lo_open": True}
#: The years a case or scenario may name (the scenario's ``years`` has the same range).
YEAR_RANGE = (1900, 2200)
YEAR = {"integer": True, "lo": float(YEAR_RANGE[0]), "hi": float(YEAR_RANGE[1])}

SCHEMAS: dict[str, tuple[Column, ...]] = {
    "streams": (
        Column("stream", "id", pattern=ID_PATTERN),
        Column("name", "text"),
        Column("name_zh", "text", required=False),
        Column("kind", "enum", choices=("solid", "heat")),
        Column("unit", "enum", choices=("t", "MWh")),
        _num("disposal_cost", **NONNEG),
        _num("env_tax", **NONNEG),
        Column("target", "flag"),
    ),
    "sites": (
        Column("site", "id"),
        Column("name", "text"),
        Column("name_zh", "text", required=False),
        Column("park", "text"),
        Column("prefecture", "text"),
        Column("county_code", "code", required=False),
        _num("lon", lo=-180.0, hi=180.0),
        _num("lat", lo=-90.0, hi=90.0),
        Column("rail", "flag"),
    ),
    "supply": (
        Column("site", "id"),
        Column("stream", "id"),
        _num("amount", **POSITIVE),
        _num("unused_cost", required=False, optional_value=True, **NONNEG),
        # v2 years: growth per year from years[0] (empty 0), a pile drawn over the horizon.
        _num("growth", required=False, optional_value=True, default=0.0, lo=-1.0, lo_open=True),
        _num("stock", required=False, optional_value=True, **NONNEG),
    ),
    "facilities": (
        Column("facility", "id"),
        Column("name", "text"),
        Column("name_zh", "text", required=False),
        Column("tech", "text"),
        Column("site", "id"),
        Column("status", "enum", choices=("existing", "candidate")),
        _num("capacity", **POSITIVE),
        _num("capex", **NONNEG),
        _num("fixed_opex", **NONNEG),
        # Required for candidates only; checked below.
        _num("lifetime", optional_value=True, **POSITIVE),
        Column("group", "text"),
        # v2 years: a candidate's earliest build year, an existing facility's retirement.
        _num("available_from", required=False, optional_value=True, **YEAR),
        _num("retire_year", required=False, optional_value=True, **YEAR),
    ),
    "facility_inputs": (
        Column("facility", "id"),
        Column("stream", "id"),
        _num("max_share", optional_value=True, default=1.0, lo=0.0, lo_open=True, hi=1.0),
        _num("var_cost"),
        _num("value"),
        _num("co2"),
    ),
    "modes": (
        Column("mode", "id"),
        Column("kind", "enum", choices=("solid", "heat")),
        _num("cost_per_unit", **NONNEG),
        _num("cost_per_unit_km", **NONNEG),
        _num("link_cost", **NONNEG),
        _num("link_cost_per_km", **NONNEG),
        _num("max_km", **NONNEG),
        _num("circuity", lo=1.0),
        _num("co2_per_unit_km", **NONNEG),
        _num("loss_per_km", lo=0.0, hi=1.0, hi_open=True),
        Column("rail", "flag"),
    ),
    "distances": (
        Column("from_site", "id"),
        Column("to_site", "id"),
        Column("mode", "id"),
        _num("km", **NONNEG),
        # v2 explicit routes: where given, they replace the mode's figures for the pair.
        _num("cost_per_unit", required=False, optional_value=True, **NONNEG),
        _num("link_cost", required=False, optional_value=True, **NONNEG),
    ),
    # v2 years: a supply row's amount in one year (instead of its growth formula).
    "supply_years": (
        Column("site", "id"),
        Column("stream", "id"),
        _num("year", **YEAR),
        _num("amount", **NONNEG),
    ),
    # v2 chains: what a facility makes, per unit it takes in (over all its inputs).
    "facility_outputs": (
        Column("facility", "id"),
        Column("stream", "id"),
        _num("yield", **POSITIVE),
    ),
    # Names and codes of the prefectures sites.csv names (its ``prefecture`` column).
    "prefectures": (
        Column("prefecture", "id"),
        Column("name_zh", "text", required=False),
        Column("code", "code", required=False, level="prefecture"),
    ),
}


def table_columns(table: str) -> list[str]:
    """The columns of a case table in the order of CASE_FORMAT.md (e.g. for writing one).

    Parameters
    ----------
    table : str
        One of :data:`TABLES` (``streams``, ``sites``, ``supply`` ...).

    Returns
    -------
    list of str
        Every column of its schema, optional ones (``unused_cost``) included.

    Raises
    ------
    KeyError
        For a name that is not a case table.
    """
    return [column.name for column in SCHEMAS[table]]


KEYS: dict[str, tuple[str, ...]] = {
    "streams": ("stream",),
    "sites": ("site",),
    "supply": ("site", "stream"),
    "facilities": ("facility",),
    "facility_inputs": ("facility", "stream"),
    "modes": ("mode",),
    "distances": ("from_site", "to_site", "mode"),
    "supply_years": ("site", "stream", "year"),
    "facility_outputs": ("facility", "stream"),
    "prefectures": ("prefecture",),
}


# --------------------------------------------------------------------------------------------
# Raw tables and readers
# --------------------------------------------------------------------------------------------
@dataclass
class RawTable:
    """A table as read, before any check: every cell a stripped string.

    Attributes
    ----------
    name : str
        The case table it is (one of :data:`TABLES`).
    source : str
        What messages call it (``supply.csv``, ``case.gpkg:supply``).
    frame : pandas.DataFrame
        The cells as strings (empty cells ``""``), entirely empty rows dropped, index 0..n-1.
    rows : list of int
        For each row of ``frame``, its number in messages: the spreadsheet row (header row
        1) for a CSV file, the feature id for a GeoPackage layer.
    """

    name: str
    source: str  # what to call it in messages, e.g. "supply.csv"
    frame: pd.DataFrame
    rows: list[int]


def read_csv_table(path: Path, name: str) -> RawTable:
    """Read one CSV file as strings, tolerating a UTF-8 BOM, CRLF and padded cells.

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8, comma-separated, header row).
    name : str
        The case table it holds (one of :data:`TABLES`).

    Returns
    -------
    RawTable
        Its cells stripped, blank lines and entirely empty rows dropped, named after the
        file in messages, rows numbered as a spreadsheet shows them.

    Raises
    ------
    UnicodeDecodeError
        For a file that is not UTF-8.
    pandas.errors.ParserError, pandas.errors.EmptyDataError
        For a file that is not CSV, or is empty (:func:`load_case_folder` turns these into
        problems).
    """
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
        skipinitialspace=True,
        skip_blank_lines=True,
    )
    return _clean(frame, name, path.name)


def _clean(frame: pd.DataFrame, name: str, source: str) -> RawTable:
    frame = frame.rename(columns=lambda c: str(c).strip().lstrip("\ufeff"))
    frame = frame.map(lambda v: "" if v is None else str(v).strip())
    # Drop rows that are entirely empty (a spreadsheet's trailing ",,,,").
    keep = (frame != "").any(axis=1).to_numpy() if len(frame.columns) else np.ones(len(frame), bool)
    rows = [int(i) + 2 for i in np.flatnonzero(keep)]
    frame = frame.loc[keep].reset_index(drop=True)
    return RawTable(name, source, frame, rows)


def raw_from_frame(frame: pd.DataFrame, name: str, source: str) -> RawTable:
    """Make a :class:`RawTable` from any frame (e.g. a GeoPackage or Excel sheet).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, one record per row in order, of any dtypes; missing values become empty
        cells and every other value its ``str``.
    name : str
        The case table it holds (one of :data:`TABLES`).
    source : str
        What messages call it.

    Returns
    -------
    RawTable
        Rows numbered as if the frame's first row were spreadsheet row 2 (a caller with
        other numbers, e.g. feature ids, replaces ``rows``).
    """
    return _clean(frame.astype(object).where(frame.notna(), ""), name, source)


# --------------------------------------------------------------------------------------------
# The checked case
# --------------------------------------------------------------------------------------------
def empty_table(name: str) -> pd.DataFrame:
    """A case table with no rows: its columns, typed as a checked table's.

    Parameters
    ----------
    name : str
        One of :data:`TABLES` (what a case that leaves out an optional table holds).

    Returns
    -------
    pandas.DataFrame
        Every column of its schema, in order: ``number`` columns float64 (a required year
        int64), flags int64, ids and text ``object``.
    """

    def dtype(col: Column) -> str:
        if col.kind == "flag" or (col.integer and not col.optional_value):
            return "int64"
        return "float64" if col.kind == "number" else "object"

    return pd.DataFrame({c.name: pd.Series(dtype=dtype(c)) for c in SCHEMAS[name]})


#: The extra columns of :meth:`Case.supply_rows`, after supply.csv's own.
PRODUCED_COLUMNS = ("produced_by", "yield")


@dataclass
class Case:
    """A checked case: typed pandas tables, keyed by string ids.

    Numeric columns are float64 (``supply_years.year`` int64), flags int, ids and text
    ``object`` strings; optional empty values are filled with their default (``max_share``
    1, ``growth`` 0) or NaN (``unused_cost``, ``stock``, ``lifetime`` of existing
    facilities, ``available_from``, ``retire_year``); an optional column missing from a
    file is there all the same, every cell its default. Extra columns (``source``,
    ``confidence`` ...) are kept as text. Units as CASE_FORMAT.md: amounts and capacities
    per year (t or MWh), money in CNY (CNY/unit, CNY/yr), distances in km, ``co2`` in kg
    CO2 per unit.

    Attributes
    ----------
    path : Path
        Where it was read from (the CSV folder or the ``.gpkg``).
    streams, sites, supply, facilities, facility_inputs, modes : pandas.DataFrame
        The required tables, columns as :data:`SCHEMAS` lists them, rows in file order.
    distances : pandas.DataFrame
        The optional ``distances`` table; empty (with its columns) when not given.
    supply_years : pandas.DataFrame
        The optional ``supply_years`` table (v2 years: ``site``, ``stream``, ``year``,
        ``amount``, a supply row's amount in one year); empty when not given.
    facility_outputs : pandas.DataFrame
        The optional ``facility_outputs`` table (v2 chains: ``facility``, ``stream``,
        ``yield``, what a facility makes per unit it takes in); empty when not given.
    prefectures : pandas.DataFrame
        The optional ``prefectures`` table (``prefecture`` as sites.csv names it,
        ``name_zh``, GB/T 2260 ``code``); empty when not given.
    parks : dict or None
        ``parks.geojson`` as a GeoJSON FeatureCollection (EPSG:4326), if given.
    files : list of Path
        The files read, for the run's manifest (each with its sha256 there).
    """

    path: Path
    streams: pd.DataFrame
    sites: pd.DataFrame
    supply: pd.DataFrame
    facilities: pd.DataFrame
    facility_inputs: pd.DataFrame
    modes: pd.DataFrame
    distances: pd.DataFrame
    parks: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)
    supply_years: pd.DataFrame = field(default_factory=lambda: empty_table("supply_years"))
    facility_outputs: pd.DataFrame = field(default_factory=lambda: empty_table("facility_outputs"))
    prefectures: pd.DataFrame = field(default_factory=lambda: empty_table("prefectures"))

    @property
    def name(self) -> str:
        """The case's name: the path's stem if it has a suffix (``guizhou.gpkg`` ->
        ``guizhou``), else the folder's name."""
        return self.path.stem if self.path.suffix else self.path.name

    def stream_unit(self) -> dict[str, str]:
        """The unit of each stream.

        Returns
        -------
        dict of str to str
            Stream id -> ``t`` (solid) or ``MWh`` (heat).
        """
        return dict(zip(self.streams["stream"], self.streams["unit"], strict=True))

    def unused_cost(self) -> np.ndarray:
        """The cost of leaving one unit of each supply row unused, the objective's
        :math:`u_{is}` (CASE_FORMAT.md, "The MILP").

        .. math::

           u_{is} = \\begin{cases} unused\\_cost_{is} & \\text{if given} \\\\
                    disposal\\_cost_s + env\\_tax_s & \\text{otherwise} \\end{cases}

        Returns
        -------
        numpy.ndarray
            :math:`u_{is}` in CNY per unit (t or MWh), float, one per row of ``supply`` in
            its order.
        """
        return _unused_cost(self.streams, self.supply)

    def supply_rows(self) -> pd.DataFrame:
        """Every supply row of the model: supply.csv's, then one per facility output.

        A chained plant's output (v2 ``facility_outputs.csv``) is supply of its stream at
        the facility's site, at most :math:`yield_{fs} \\cdot capacity_f` (the most it can
        make, the bound of big-M terms).

        Returns
        -------
        pandas.DataFrame
            supply.csv's rows first, at the same positions and with the same columns, then
            one row per row of ``facility_outputs`` in its order: ``site`` the facility's,
            ``stream``, ``amount`` = yield x capacity, ``unused_cost`` NaN, ``growth`` 0,
            ``stock`` NaN (extra text columns ""). Two columns on every row:
            ``produced_by`` (the facility id, "" for supply.csv rows) and ``yield`` (0.0
            for supply.csv rows). Index 0..n-1.
        """
        given = self.supply.copy()
        given["produced_by"] = ""
        given["yield"] = 0.0
        outputs = self.facility_outputs
        if len(outputs) == 0:
            return given.reset_index(drop=True)
        facilities = self.facilities.set_index("facility")
        yields = outputs["yield"].to_numpy(dtype=float)
        capacity = facilities["capacity"].reindex(outputs["facility"]).to_numpy(dtype=float)
        produced = pd.DataFrame(
            {
                "site": facilities["site"].reindex(outputs["facility"]).to_numpy(),
                "stream": outputs["stream"].to_numpy(),
                "amount": yields * capacity,
                "unused_cost": np.nan,
                "growth": 0.0,
                "stock": np.nan,
                "produced_by": outputs["facility"].to_numpy(),
                "yield": yields,
            }
        )
        for column in given.columns:
            if column not in produced.columns:
                produced[column] = ""  # extra text columns of supply.csv (source ...)
        return pd.concat([given, produced[list(given.columns)]], ignore_index=True)

    def supply_rows_unused_cost(self) -> np.ndarray:
        """:meth:`unused_cost` for every row of :meth:`supply_rows`: a facility's output
        left unused pays its stream's :math:`disposal\\_cost_s + env\\_tax_s`.

        Returns
        -------
        numpy.ndarray
            CNY per unit, float, one per row of :meth:`supply_rows` in its order (the
            first ``len(supply)`` equal to :meth:`unused_cost`).
        """
        return _unused_cost(self.streams, self.supply_rows())


def _unused_cost(streams: pd.DataFrame, supply: pd.DataFrame) -> np.ndarray:
    """``unused_cost`` where given, else the stream's disposal cost plus its tax."""
    per_stream = streams.set_index("stream")
    default = (per_stream["disposal_cost"] + per_stream["env_tax"]).reindex(supply["stream"])
    given = supply["unused_cost"].to_numpy(dtype=float)
    return np.where(np.isnan(given), default.to_numpy(dtype=float), given)


def _convert_column(table: RawTable, col: Column, problems: list[Problem]) -> pd.Series:
    values = table.frame.get(col.name)
    n = len(table.frame)
    if values is None:
        if col.kind == "number":
            return pd.Series(np.full(n, np.nan if col.default is None else col.default))
        return pd.Series([""] * n, dtype=object)

    def bad(i: int, message: str) -> None:
        problems.append(
            Problem(table.source, message, table.rows[i], col.name, str(values.iloc[i]))
        )

    if col.kind == "number":
        out = np.empty(n)
        for i, text in enumerate(values.tolist()):
            if text == "":
                if col.optional_value:
                    out[i] = np.nan if col.default is None else col.default
                    continue
                bad(i, _("empty; allowed: {allowed}").format(allowed=col.allowed()))
                out[i] = np.nan
                continue
            try:
                number = float(text.replace("_", ""))
            except ValueError:
                bad(i, _("not a number; allowed: {allowed}").format(allowed=col.allowed()))
                out[i] = np.nan
                continue
            why = col.number_problem(number)
            if why is not None:
                bad(
                    i, _("{problem}; allowed: {allowed}").format(problem=why, allowed=col.allowed())
                )
            out[i] = number
        if col.integer and not col.optional_value and np.isfinite(out).all():
            return pd.Series(out.astype(np.int64))  # a required year: an int column
        return pd.Series(out)
    if col.kind == "flag":
        flags = np.zeros(n, dtype=np.int64)
        for i, text in enumerate(values.tolist()):
            if text in ("0", "1", "0.0", "1.0"):
                flags[i] = int(float(text))
            else:
                bad(i, _("allowed: {allowed}").format(allowed=col.allowed()))
        return pd.Series(flags)
    texts = values.astype(object)
    for i, text in enumerate(texts.tolist()):
        why = col.text_problem(text)
        if why is not None:
            bad(i, why)
    return texts


def _check_table(table: RawTable, problems: list[Problem]) -> pd.DataFrame:
    schema = SCHEMAS[table.name]
    missing = [c.name for c in schema if c.required and c.name not in table.frame.columns]
    for name in missing:
        problems.append(
            Problem(
                table.source,
                _("missing column '{name}'; required columns: {columns}").format(
                    name=name, columns=", ".join(c.name for c in schema if c.required)
                ),
            )
        )
    out = pd.DataFrame(index=range(len(table.frame)))
    for col in schema:
        out[col.name] = _convert_column(table, col, problems).to_numpy()
    known = {c.name for c in schema}
    for extra in table.frame.columns:
        if extra not in known:
            out[extra] = table.frame[extra].astype(object).to_numpy()
    # Duplicate keys.
    key = list(KEYS[table.name])
    if all(k in table.frame.columns for k in key) and len(out):
        dup = out.duplicated(subset=key, keep="first").to_numpy()
        for i in np.flatnonzero(dup):
            value = ", ".join(str(out.at[int(i), k]) for k in key)
            problems.append(
                Problem(
                    table.source,
                    _("duplicate {key}; each must be unique").format(key="/".join(key)),
                    table.rows[int(i)],
                    key[0] if len(key) == 1 else "/".join(key),
                    value,
                )
            )
    return out


def _check_refs(
    table: RawTable,
    frame: pd.DataFrame,
    column: str,
    known: Iterable[str],
    what: str,
    problems: list[Problem],
) -> None:
    known_set = set(known)
    if column not in table.frame.columns:
        return
    shown = ", ".join(sorted(known_set)[:8]) + (", ..." if len(known_set) > 8 else "")
    for i, value in enumerate(frame[column].tolist()):
        if value != "" and value not in known_set:
            problems.append(
                Problem(
                    table.source,
                    _("unknown {what}; allowed: one of the ids in {what}s ({shown})").format(
                        what=what, shown=shown
                    ),
                    table.rows[i],
                    column,
                    str(value),
                )
            )


def _check_parks(parks: dict[str, Any] | None, source: str, problems: list[Problem]) -> set[str]:
    ids: set[str] = set()
    if parks is None:
        return ids
    if parks.get("type") != "FeatureCollection" or not isinstance(parks.get("features"), list):
        problems.append(Problem(source, _("not a GeoJSON FeatureCollection")))
        return ids
    for n, feature in enumerate(parks["features"], start=1):
        props = feature.get("properties") or {}
        park = str(props.get("park", "")).strip()
        where = source + _(", feature {n}").format(n=n)
        if not park:
            problems.append(Problem(where, _("missing property 'park'")))
        elif park in ids:
            problems.append(Problem(where, _("duplicate park id"), value=park))
        ids.add(park)
        name_zh = props.get("name_zh")
        if name_zh is not None and not isinstance(name_zh, str):
            message = _("property 'name_zh' must be text")
            problems.append(Problem(where, message, value=str(name_zh)))
        level = props.get("level")
        if level is not None and level not in PARK_LEVELS:
            problems.append(
                Problem(
                    where,
                    _("property 'level' must be one of {levels}").format(levels=PARK_LEVELS),
                    value=str(level),
                )
            )
        gtype = (feature.get("geometry") or {}).get("type")
        if gtype not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem(where, _("geometry must be a Polygon or MultiPolygon"), value=str(gtype))
            )
    return ids


def check_tables(
    raw: dict[str, RawTable],
    path: Path,
    parks: dict[str, Any] | None = None,
    parks_source: str = "parks.geojson",
    files: list[Path] | None = None,
) -> Case:
    """Convert and check raw tables; raise :class:`CaseError` listing every problem.

    The checks, all run before anything is raised: each table's required columns, every
    cell against its :class:`Column` (numbers, ranges, flags, enums, ids, GB/T 2260 codes),
    unique keys (:data:`KEYS`), references between tables (supply and facility sites,
    streams, facilities, distances' sites and modes, facility outputs' facilities and
    streams, sites' parks when ``parks`` is given, sites' prefectures when ``prefectures``
    is, supply_years' (site, stream) against supply.csv), each site's ``county_code``
    within its prefecture's ``code`` (the first four digits), the parks' GeoJSON (a
    ``name_zh`` property is text), each stream's unit against its kind (solid ``t``, heat
    ``MWh``), a lifetime for every candidate, one unit for all inputs of a facility, and
    cycles of chained plants (:func:`chain_cycles`: each product of yields < 1).

    Parameters
    ----------
    raw : dict of str to RawTable
        The tables read, by name; a missing required table is a problem, a missing
        optional one (:data:`OPTIONAL_TABLES`) an empty table.
    path : Path
        Where the case was read from (the returned ``Case.path``; named in "missing
        table" problems).
    parks : dict or None
        The parks as a GeoJSON FeatureCollection, if the case has them.
    parks_source : str
        What messages call the parks (``parks.geojson``, ``case.gpkg:parks``).
    files : list of Path or None
        The files read (the returned ``Case.files``); None for none.

    Returns
    -------
    Case
        The checked case, its columns typed (see :class:`Case`).

    Raises
    ------
    CaseError
        Listing every problem, each with its table's ``source``, row, column, the value
        found and what is allowed.
    """
    problems: list[Problem] = []
    typed: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        if name not in raw:
            if name in REQUIRED_TABLES:
                problems.append(
                    Problem(
                        f"{name}.csv",
                        _("missing required table (looked in {path})").format(path=path),
                    )
                )
            typed[name] = empty_table(name)
            continue
        typed[name] = _check_table(raw[name], problems)

    def refs(table: str, column: str, target: str, what: str) -> None:
        # A missing or unreadable target table (or its id column) is reported once, not as
        # a dangling reference on every row that points into it.
        if table in raw and target in raw and what in raw[target].frame.columns:
            _check_refs(raw[table], typed[table], column, typed[target][what], what, problems)

    refs("supply", "site", "sites", "site")
    refs("supply", "stream", "streams", "stream")
    refs("facilities", "site", "sites", "site")
    refs("facility_inputs", "facility", "facilities", "facility")
    refs("facility_inputs", "stream", "streams", "stream")
    refs("distances", "from_site", "sites", "site")
    refs("distances", "to_site", "sites", "site")
    refs("distances", "mode", "modes", "mode")
    refs("facility_outputs", "facility", "facilities", "facility")
    refs("facility_outputs", "stream", "streams", "stream")
    _check_supply_years(raw, typed, problems)
    _check_chains(raw, typed, problems)
    refs("sites", "prefecture", "prefectures", "prefecture")
    _check_county_codes(raw, typed, problems)

    park_ids = _check_parks(parks, parks_source, problems)
    if parks is not None and "sites" in raw:
        _check_refs(raw["sites"], typed["sites"], "park", park_ids, "park", problems)

    streams = typed["streams"]
    if "streams" in raw:
        for i, (kind, unit) in enumerate(zip(streams["kind"], streams["unit"], strict=True)):
            expected = {"solid": "t", "heat": "MWh"}.get(kind)
            if expected is not None and unit in ("t", "MWh") and unit != expected:
                problems.append(
                    Problem(
                        raw["streams"].source,
                        _("a {kind} stream is measured in {unit}").format(kind=kind, unit=expected),
                        raw["streams"].rows[i],
                        "unit",
                        unit,
                    )
                )

    facilities = typed["facilities"]
    if "facilities" in raw:
        lifetime = facilities["lifetime"].to_numpy(dtype=float)
        status = facilities["status"].to_numpy()
        for i in range(len(facilities)):
            if status[i] == "candidate" and np.isnan(lifetime[i]):
                problems.append(
                    Problem(
                        raw["facilities"].source,
                        _("a candidate needs a lifetime; allowed: a number > 0"),
                        raw["facilities"].rows[i],
                        "lifetime",
                        "",
                    )
                )

    inputs = typed["facility_inputs"]
    if "facility_inputs" in raw and "streams" in raw and len(inputs):
        unit_of = dict(zip(streams["stream"], streams["unit"], strict=True))
        first_unit: dict[str, tuple[str, str]] = {}
        for i, (fac, stream) in enumerate(zip(inputs["facility"], inputs["stream"], strict=True)):
            unit = unit_of.get(stream)
            if unit is None:
                continue
            if fac in first_unit and first_unit[fac][0] != unit:
                problems.append(
                    Problem(
                        raw["facility_inputs"].source,
                        _(
                            "facility '{facility}' mixes units: '{first}' is in {first_unit}, "
                            "this stream in {unit}; all inputs of one facility must share a unit"
                        ).format(
                            facility=fac,
                            first=first_unit[fac][1],
                            first_unit=first_unit[fac][0],
                            unit=unit,
                        ),
                        raw["facility_inputs"].rows[i],
                        "stream",
                        stream,
                    )
                )
            first_unit.setdefault(fac, (unit, stream))

    if problems:
        raise CaseError(problems)
    return Case(
        path=path,
        streams=typed["streams"],
        sites=typed["sites"],
        supply=typed["supply"],
        facilities=typed["facilities"],
        facility_inputs=typed["facility_inputs"],
        modes=typed["modes"],
        distances=typed["distances"],
        parks=parks,
        files=files or [],
        supply_years=typed["supply_years"],
        facility_outputs=typed["facility_outputs"],
        prefectures=typed["prefectures"],
    )


def _check_county_codes(
    raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], problems: list[Problem]
) -> None:
    """A site's county code must lie in its prefecture: the first four digits agree."""
    sites, table = typed["sites"], raw.get("sites")
    if table is None or "prefectures" not in raw or "county_code" not in table.frame.columns:
        return
    prefectures = typed["prefectures"]
    code_of = dict(zip(prefectures["prefecture"], prefectures["code"], strict=True))
    county_column = next(c for c in SCHEMAS["sites"] if c.name == "county_code")
    code_column = next(c for c in SCHEMAS["prefectures"] if c.name == "code")
    for i, (prefecture, county) in enumerate(
        zip(sites["prefecture"], sites["county_code"], strict=True)
    ):
        county, code = str(county), str(code_of.get(prefecture, ""))
        if not county or not code:
            continue
        if county_column.code_problem(county) or code_column.code_problem(code):
            continue  # reported already
        if county[:4] != code[:4]:
            problems.append(
                Problem(
                    table.source,
                    _(
                        "county code not in prefecture {prefecture} ({code} in {file}); "
                        "allowed: a county code starting {prefix}, or empty"
                    ).format(
                        prefecture=prefecture,
                        code=code,
                        file=raw["prefectures"].source,
                        prefix=code[:4],
                    ),
                    table.rows[i],
                    "county_code",
                    str(county),
                )
            )


def _check_supply_years(
    raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], problems: list[Problem]
) -> None:
    """Each supply_years row must name a (site, stream) row of supply.csv."""
    table = raw.get("supply_years")
    columns = ("site", "stream")
    if table is None or "supply" not in raw:
        return
    if not all(c in table.frame.columns and c in raw["supply"].frame.columns for c in columns):
        return  # the missing column is reported already
    supply = typed["supply"]
    known = set(zip(supply["site"], supply["stream"], strict=True))
    frame = typed["supply_years"]
    for i, pair in enumerate(zip(frame["site"], frame["stream"], strict=True)):
        if pair not in known and "" not in pair:
            problems.append(
                Problem(
                    table.source,
                    _(
                        "no supply.csv row for site {site} and stream {stream}; "
                        "allowed: a (site, stream) pair of supply.csv"
                    ).format(site=repr(pair[0]), stream=repr(pair[1])),
                    table.rows[i],
                    "site/stream",
                    ", ".join(pair),
                )
            )


def _check_chains(
    raw: dict[str, RawTable], typed: dict[str, pd.DataFrame], problems: list[Problem]
) -> None:
    """Chains of plants may loop only where they shrink (see :func:`chain_cycles`)."""
    table = raw.get("facility_outputs")
    if table is None or len(typed["facility_outputs"]) == 0:
        return
    for cycle in chain_cycles(typed["facility_inputs"], typed["facility_outputs"]):
        if cycle.product < 1.0:
            continue
        first = cycle.output_rows[0]
        problems.append(
            Problem(
                table.source,
                _(
                    "chain cycle {cycle}: the product of its yields is {product}; allowed: "
                    "cycles of streams through facilities whose product of yields is < 1 "
                    "(each pass makes less)"
                ).format(cycle=cycle.describe(), product=f"{cycle.product:.6g}"),
                table.rows[first],
                "yield",
                str(table.frame.at[first, "yield"]),
            )
        )


@dataclass(frozen=True)
class ChainCycle:
    """A cycle of streams through facilities (``facility_outputs.csv``).

    Attributes
    ----------
    streams : tuple of str
        The streams in order; the last feeds the first again.
    facilities : tuple of str
        ``facilities[k]`` takes ``streams[k]`` in and makes ``streams[k + 1]`` (the first
        for the last), the one with the highest yield where several do.
    yields : tuple of float
        The yield of each step.
    output_rows : tuple of int
        The position in ``facility_outputs`` of each step's row.
    """

    streams: tuple[str, ...]
    facilities: tuple[str, ...]
    yields: tuple[float, ...]
    output_rows: tuple[int, ...]

    @property
    def product(self) -> float:
        """The product of the yields: what one unit becomes after one pass."""
        return math.prod(self.yields)

    def describe(self) -> str:
        """The cycle as text.

        Returns
        -------
        str
            E.g. ``fly_ash -[F1, yield 0.9]-> slag -[F2, yield 1.2]-> fly_ash``.
        """
        steps = [
            f"{s} -[{f}, " + _("yield {value}").format(value=f"{y:g}") + "]-> "
            for s, f, y in zip(self.streams, self.facilities, self.yields, strict=True)
        ]
        return "".join(steps) + self.streams[0]


def chain_cycles(inputs: pd.DataFrame, outputs: pd.DataFrame) -> list[ChainCycle]:
    """The cycles of the stream graph of chained plants, each with its largest yields.

    The graph has an edge :math:`s \\to s'` for each facility :math:`f` with an input row of
    :math:`s` and an output row of :math:`s'`, weighted by :math:`yield_{fs'}`; where several
    facilities link the same two streams the highest yield stands for them (the worst
    case). A cycle whose product of yields is :math:`\\ge 1` would let a unit make itself
    again, without end: the case check rejects it.

    Parameters
    ----------
    inputs : pandas.DataFrame
        ``facility_inputs`` (``facility``, ``stream``).
    outputs : pandas.DataFrame
        ``facility_outputs`` (``facility``, ``stream``, ``yield``).

    Returns
    -------
    list of ChainCycle
        Every simple cycle (networkx's ``simple_cycles``), self-loops included, each
        starting at its smallest stream id, sorted by their streams.
    """
    import networkx as nx  # only for cases with chains

    graph = nx.DiGraph()
    takes = inputs.groupby("facility")["stream"].apply(list).to_dict()
    for row, (fac, made, y) in enumerate(
        zip(outputs["facility"], outputs["stream"], outputs["yield"].astype(float), strict=True)
    ):
        for source in takes.get(fac, []):
            edge = graph.get_edge_data(source, made)
            if math.isfinite(y) and (edge is None or y > edge["yield"]):
                graph.add_edge(source, made, facility=fac, row=row, **{"yield": y})
    cycles = []
    for nodes in nx.simple_cycles(graph):
        k = nodes.index(min(nodes))
        nodes = nodes[k:] + nodes[:k]
        steps = [graph[a][b] for a, b in zip(nodes, nodes[1:] + nodes[:1], strict=True)]
        cycles.append(
            ChainCycle(
                tuple(nodes),
                tuple(e["facility"] for e in steps),
                tuple(float(e["yield"]) for e in steps),
                tuple(int(e["row"]) for e in steps),
            )
        )
    return sorted(cycles, key=lambda c: c.streams)


def _read_json(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(path.name, _("cannot read JSON: {error}").format(error=exc)))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(path.name, _("not a GeoJSON object")))
        return None
    return data


def load_case_folder(path: Path) -> Case:
    """Read and check a case folder of CSV files (CASE_FORMAT.md).

    Parameters
    ----------
    path : Path
        The folder: ``<table>.csv`` for each of :data:`TABLES` (``distances.csv``,
        ``supply_years.csv``, ``facility_outputs.csv`` and ``prefectures.csv`` optional)
        and an optional ``parks.geojson``; other files are ignored.

    Returns
    -------
    Case
        The checked case; ``files`` lists the CSV files and ``parks.geojson`` read.

    Raises
    ------
    CaseError
        Listing every problem: files that cannot be read as UTF-8 CSV or JSON, and every
        problem :func:`check_tables` finds (a file that cannot be read is not also reported
        missing).
    """
    problems: list[Problem] = []
    raw: dict[str, RawTable] = {}
    files: list[Path] = []
    for name in TABLES:
        file = path / f"{name}.csv"
        if not file.is_file():
            continue
        try:
            raw[name] = read_csv_table(file, name)
            files.append(file)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            problems.append(
                Problem(file.name, _("cannot read as UTF-8 CSV: {error}").format(error=exc))
            )
    parks = None
    parks_file = path / "parks.geojson"
    if parks_file.is_file():
        parks = _read_json(parks_file, problems)
        files.append(parks_file)
    try:
        case = check_tables(raw, path, parks, files=files)
    except CaseError as exc:
        # A file that exists but cannot be read is not also "missing" (the only problem
        # check_tables can find in a table it was not given: one without a row).
        unreadable = {p.file for p in problems}
        later = [p for p in exc.problems if not (p.file in unreadable and p.row is None)]
        raise CaseError(problems + later) from None
    if problems:
        raise CaseError(problems)
    return case
