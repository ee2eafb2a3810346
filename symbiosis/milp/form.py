"""The MILP as arrays: what both builders produce (the Pyomo model compiled by
:mod:`symbiosis.solve.compile`, and :mod:`symbiosis.milp.direct` straight from the data) and
what HiGHS is handed.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

#: One row: its constraint and kind (0 equality, 1 upper bound only, -1 lower bound only,
#: 2 both bounds).
Row = namedtuple("Row", ["constraint", "bound_type"])


@dataclass
class StandardForm:
    """``min cost @ x + offset`` s.t. ``row_lower <= matrix @ x <= row_upper``,
    ``col_lower <= x <= col_upper``, ``x[integer]`` integer.

    Attributes
    ----------
    columns : list
        One entry per column: the Pyomo variable (compiled model) or its name (numpy form).
    rows : list[Row]
        One entry per row: its Pyomo constraint and bound type (empty for the numpy form).
    cost : numpy.ndarray
        Objective coefficient per column; ``offset`` the objective's constant.
    matrix : scipy.sparse.csc_array
        The constraint matrix, rows x columns.
    row_lower, row_upper : numpy.ndarray
        Row bounds (``-inf`` / ``inf`` where there is none).
    col_lower, col_upper : numpy.ndarray
        Column bounds.
    integer : numpy.ndarray
        True for integer (here binary) columns.
    """

    columns: list[Any]
    rows: list[Row]
    cost: np.ndarray
    offset: float
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray


__all__ = ["Row", "StandardForm"]
