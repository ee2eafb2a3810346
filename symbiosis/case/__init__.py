"""Stage "case": read a case (CSV folder or GeoPackage) into typed tables and check it.

- :mod:`symbiosis.case.tables`: the tables of CASE_FORMAT.md, their column specifications,
  the CSV reader and every check (all problems collected, raised once);
- :mod:`symbiosis.case.gpkg`: the same tables read from a GeoPackage;
- :mod:`symbiosis.case.load`: :func:`load_case`, whatever holds the case;
- :mod:`symbiosis.case.names`: :func:`names`, what to call each stream, site, facility,
  park and prefecture in English or Chinese (``name`` / ``name_zh``).

Reading a case knows nothing of maps: writing one to a styled GeoPackage is
:mod:`symbiosis.maps.case_export`'s.
"""

from __future__ import annotations

from symbiosis.case.load import load_case
from symbiosis.case.names import NAME_KINDS, names
from symbiosis.case.tables import (
    KEYS,
    OPTIONAL_TABLES,
    PARK_LEVELS,
    REQUIRED_TABLES,
    SCHEMAS,
    TABLES,
    Case,
    ChainCycle,
    Column,
    RawTable,
    chain_cycles,
    check_tables,
    empty_table,
    load_case_folder,
    raw_from_frame,
    read_csv_table,
    table_columns,
)
from symbiosis.errors import CaseError, InputError, Problem

__all__ = [
    "KEYS",
    "NAME_KINDS",
    "OPTIONAL_TABLES",
    "PARK_LEVELS",
    "REQUIRED_TABLES",
    "SCHEMAS",
    "TABLES",
    "Case",
    "CaseError",
    "ChainCycle",
    "Column",
    "InputError",
    "Problem",
    "RawTable",
    "chain_cycles",
    "check_tables",
    "empty_table",
    "load_case",
    "load_case_folder",
    "names",
    "raw_from_frame",
    "read_csv_table",
    "table_columns",
]
