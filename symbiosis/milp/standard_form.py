"""A linear Pyomo model -> sparse arrays for HiGHS, fast on models built from linear terms.

:func:`standard_form` computes what Pyomo's ``LinearStandardFormCompiler`` (``mixed_form``,
minimising) computes, with the same columns and rows in the same order, but reads the
expressions that :mod:`symbiosis.milp.model` builds (``LinearExpression`` of
``MonomialTermExpression`` and variables, named ``Expression`` objects, numbers) directly
instead of walking them with Pyomo's expression visitor. Any other expression (a user hook's
``SumExpression``, a ``Param`` coefficient, a product with a fixed variable ...) is handed to
Pyomo's ``generate_standard_repn``, so every linear model compiles; a nonlinear term raises
``ValueError``. At 500k arcs this takes a few seconds where Pyomo's compiler took about 20
(README, "Benchmark").

For a model with objective :math:`\\min c^T x + c_0` and constraints
:math:`l_i \\le a_i^T x + k_i \\le u_i` it returns :math:`c`, :math:`c_0`, the matrix
:math:`A = (a_i)` and the row bounds :math:`l_i - k_i`, :math:`u_i - k_i` (a ranged
constraint is one row with both bounds, as HiGHS takes it); fixed variables are constants;
columns are the variables that appear with a non-zero coefficient, grouped by component in
the order Pyomo's compiler uses (each component's indices together, components in order of
first appearance).
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.expression import ExpressionData, ScalarExpression
from pyomo.core.base.var import ScalarVar, VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.core.expr.numvalue import native_numeric_types
from pyomo.core.expr.relational_expr import (
    EqualityExpression,
    InequalityExpression,
    RangedExpression,
)
from pyomo.repn.standard_repn import generate_standard_repn
from pyomo.repn.util import FileDeterminism, FileDeterminism_to_SortComponents

#: One row: its constraint and kind (0 equality, 1 upper bound only, -1 lower bound only,
#: 2 both bounds).
Row = namedtuple("Row", ["constraint", "bound_type"])

_SORTER = FileDeterminism_to_SortComponents(FileDeterminism.ORDERED)
_VAR_TYPES = (VarData, ScalarVar)
_NAMED_EXPRESSIONS = (ExpressionData, ScalarExpression)


@dataclass
class StandardForm:
    """``min cost @ x + offset`` s.t. ``row_lower <= matrix @ x <= row_upper``,
    ``col_lower <= x <= col_upper``, ``x[integer]`` integer."""

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


class _Collector:
    """Accumulates the terms of each row (CSR: ``indptr``, ``cols``, ``values``) and the
    column order."""

    def __init__(self) -> None:
        self.col_of: dict[int, int] = {}  # id(var) -> column (-1 for a fixed variable)
        self.columns: list[Any] = []
        self.cols: list[int] = []
        self.values: list[Any] = []
        self.indptr: list[int] = [0]

    def register(self, var: Any) -> None:
        """Give every index of ``var``'s component a column, in the component's order
        (fixed variables get -1: they are constants)."""
        comp = var.parent_component()
        col_of, columns = self.col_of, self.columns
        data = getattr(comp, "_data", None)
        if isinstance(data, dict):
            members: Any = data.values()  # in the order the indices were constructed
        else:
            members = comp.values(_SORTER)
        for v in members:
            if id(v) not in col_of:
                if v._fixed:
                    col_of[id(v)] = -1
                else:
                    col_of[id(v)] = len(columns)
                    columns.append(v)
        if id(var) not in col_of:  # a variable that is not in its component (kernel-like)
            col_of[id(var)] = -1 if var._fixed else len(columns)
            if not var._fixed:
                columns.append(var)

    def column(self, var: Any) -> int:
        j = self.col_of.get(id(var))
        if j is None:
            self.register(var)
            j = self.col_of[id(var)]
        return j

    def add(self, expr: Any) -> float:
        """Record the linear terms of ``expr`` in the current row; return its constant."""
        cls = expr.__class__
        if cls is LinearExpression:
            args = expr.args
            mono, var_types = MonomialTermExpression, _VAR_TYPES
            pairs: list[Any] = [
                a._args_ if a.__class__ is mono else (1.0, a) if a.__class__ in var_types else None
                for a in args
            ]
            const = 0.0
            if None in pairs:
                natives = [a for a in args if a.__class__ in native_numeric_types]
                if len(natives) != pairs.count(None):
                    return self._slow_linear(args)
                const = float(sum(natives))
                pairs = [p for p in pairs if p is not None]
            col_of = self.col_of
            try:
                cols = [col_of[id(p[1])] for p in pairs]
            except KeyError:
                cols = [self.column(p[1]) for p in pairs]
            if cols and min(cols) < 0:  # fixed variables are constants
                const += sum(
                    pyo.value(p[0]) * _fixed_value(p[1])
                    for p, j in zip(pairs, cols, strict=True)
                    if j < 0
                )
                pairs = [p for p, j in zip(pairs, cols, strict=True) if j >= 0]
                cols = [j for j in cols if j >= 0]
            self.cols.extend(cols)
            self.values.extend([p[0] for p in pairs])
            return const
        if cls in native_numeric_types:
            return float(expr)
        if cls in _VAR_TYPES or cls is MonomialTermExpression:
            return self._slow_linear([expr])
        if cls in _NAMED_EXPRESSIONS or isinstance(expr, ExpressionData):
            return self.add(expr.expr)
        return self._generic(expr)

    def _slow_linear(self, args: Any) -> float:
        const = 0.0
        for arg in args:
            c = arg.__class__
            if c is MonomialTermExpression:
                coef, var = arg._args_
                if coef.__class__ not in native_numeric_types:
                    coef = pyo.value(coef)
                if var._fixed:
                    const += coef * _fixed_value(var)
                    continue
                self.cols.append(self.column(var))
                self.values.append(coef)
            elif c in native_numeric_types:
                const += arg
            elif c in _VAR_TYPES:
                if arg._fixed:
                    const += _fixed_value(arg)
                    continue
                self.cols.append(self.column(arg))
                self.values.append(1.0)
            else:
                const += self.add(arg)
        return const

    def _generic(self, expr: Any) -> float:
        repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None or repn.quadratic_vars:
            raise ValueError(f"not a linear expression: {expr}")
        for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
            self.cols.append(self.column(var))
            self.values.append(float(coef))
        return float(pyo.value(repn.constant))

    def end_row(self) -> None:
        self.indptr.append(len(self.cols))

    def float_values(self) -> np.ndarray:
        """The coefficients as floats; Pyomo objects (a mutable ``Param``) are evaluated."""
        try:
            return np.asarray(self.values, dtype=float)
        except TypeError:
            return np.asarray(
                [v if v.__class__ in native_numeric_types else pyo.value(v) for v in self.values],
                dtype=float,
            )


def _fixed_value(var: Any) -> float:
    if var.value is None:
        raise ValueError(f"variable {var.name} is fixed but has no value")
    return float(var.value)


def _native(bound: Any) -> bool:
    return bound is None or bound.__class__ in native_numeric_types


def _bounds(con: ConstraintData) -> tuple[float | None, Any, float | None]:
    """(lb, body, ub) of a constraint, with numeric (or None) bounds."""
    expr = con._expr
    cls = expr.__class__
    if cls is InequalityExpression or cls is EqualityExpression:
        lhs, rhs = expr._args_
        eq = cls is EqualityExpression
        if rhs.__class__ in native_numeric_types:
            return (rhs if eq else None), lhs, rhs
        if lhs.__class__ in native_numeric_types:
            return lhs, rhs, (lhs if eq else None)
    elif cls is RangedExpression:
        lb, body, ub = expr._args_
        if _native(lb) and _native(ub):
            return lb, body, ub
    return con.to_bounded_expression(evaluate_bounds=True)


def _finite(bound: float | None) -> float | None:
    if bound is None or (isinstance(bound, float) and math.isinf(bound)):
        return None
    return float(bound)


def standard_form(m: pyo.Block) -> StandardForm:
    """Compile the active objective and constraints of a linear model to sparse arrays.

    Raises
    ------
    InfeasibleConstraintException
        A constraint without variables violates its bounds.
    ValueError
        A nonlinear term, several active objectives, or a fixed variable without value.
    """
    acc = _Collector()
    objectives = list(m.component_data_objects(pyo.Objective, active=True, sort=_SORTER))
    if len(objectives) > 1:
        raise ValueError(f"{len(objectives)} active objectives; HiGHS takes one")
    offset = 0.0
    sign = 1.0
    if objectives:
        obj = objectives[0]
        sign = -1.0 if obj.sense == pyo.maximize else 1.0
        offset = sign * acc.add(obj.expr)
    obj_cols = np.asarray(acc.cols, dtype=np.int64)
    obj_vals = sign * acc.float_values()
    acc.cols, acc.values = [], []

    rows: list[Row] = []
    lower: list[float] = []
    upper: list[float] = []
    for con in m.component_data_objects(pyo.Constraint, active=True, sort=_SORTER):
        lb, body, ub = _bounds(con)
        if lb is not None and lb.__class__ is not float:
            lb = _finite(lb)
        if ub is not None and ub.__class__ is not float:
            ub = _finite(ub)
        if lb is None and ub is None:
            continue
        const = acc.add(body)
        if len(acc.cols) == acc.indptr[-1]:
            if (lb is None or lb <= const) and (ub is None or ub >= const):
                continue
            raise InfeasibleConstraintException(
                f"model contains a trivially infeasible constraint, '{con.name}'"
            )
        if lb is not None and ub is not None:
            kind = 0 if lb == ub else 2
        else:
            kind = 1 if lb is None else -1
        acc.end_row()
        rows.append(Row(con, kind))
        lower.append(-math.inf if lb is None else lb - const)
        upper.append(math.inf if ub is None else ub - const)

    n_cols = len(acc.columns)
    cost = np.zeros(n_cols)
    np.add.at(cost, obj_cols, obj_vals)
    matrix = sp.csr_array(
        (
            acc.float_values(),
            np.asarray(acc.cols, dtype=np.int64),
            np.asarray(acc.indptr, dtype=np.int64),
        ),
        shape=(len(rows), n_cols),
    )
    del acc.cols, acc.values
    matrix.sum_duplicates()
    matrix = matrix.tocsc()
    matrix.eliminate_zeros()
    used = (np.diff(matrix.indptr) > 0) | (cost != 0)
    columns = acc.columns
    if not used.all():
        keep = np.flatnonzero(used)
        matrix = matrix[:, keep]
        cost = cost[keep]
        columns = [columns[j] for j in keep.tolist()]

    col_lower, col_upper, integer = _column_bounds(columns)
    return StandardForm(
        columns=columns,
        rows=rows,
        cost=cost,
        offset=float(offset),
        matrix=sp.csc_array(matrix),
        row_lower=np.asarray(lower, dtype=float),
        row_upper=np.asarray(upper, dtype=float),
        col_lower=col_lower,
        col_upper=col_upper,
        integer=integer,
    )


def _column_bounds(columns: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds and integrality of each column, worked out once per (domain, lb, ub)."""
    keys = list(
        zip(
            map(id, [v._domain for v in columns]),
            [v._lb for v in columns],
            [v._ub for v in columns],
            strict=True,
        )
    )
    first: dict[tuple[int, Any, Any], int] = {}
    for j, key in enumerate(keys):
        first.setdefault(key, j)
    table = {key: _bounds_of(columns[j]) for key, j in first.items()}
    got = [table[k] for k in keys]
    lower = np.fromiter((g[0] for g in got), dtype=float, count=len(got))
    upper = np.fromiter((g[1] for g in got), dtype=float, count=len(got))
    integer = np.fromiter((g[2] for g in got), dtype=bool, count=len(got))
    return lower, upper, integer


def _bounds_of(v: Any) -> tuple[float, float, bool]:
    lb, ub = v.lb, v.ub
    return (
        -math.inf if lb is None else float(lb),
        math.inf if ub is None else float(ub),
        bool(v.is_integer()),
    )


def pyomo_standard_form(m: pyo.Block) -> StandardForm:
    """The same arrays through Pyomo's ``LinearStandardFormCompiler`` (``mixed_form``,
    minimising): slower on large models, kept to check :func:`standard_form` against and to
    measure (README, "Benchmark"). A ranged constraint gives two rows here."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    repn = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=pyo.minimize)
    columns = list(repn.columns)
    n_col = len(columns)
    cost = np.asarray(repn.c.toarray()).ravel() if repn.c.shape[0] else np.zeros(n_col)
    offset = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
    rhs = np.asarray(repn.rhs, dtype=float)
    kinds = np.fromiter((r.bound_type for r in repn.rows), dtype=np.int8, count=len(repn.rows))
    col_lower, col_upper, integer = _column_bounds(columns)
    return StandardForm(
        columns=columns,
        rows=[Row(r.constraint, r.bound_type) for r in repn.rows],
        cost=cost,
        offset=offset,
        matrix=sp.csc_array(repn.A),
        row_lower=np.where(kinds == 1, -math.inf, rhs),
        row_upper=np.where(kinds == -1, math.inf, rhs),
        col_lower=col_lower,
        col_upper=col_upper,
        integer=integer,
    )


def pass_to_highs(h: Any, form: StandardForm) -> None:
    """Pass ``form`` to a ``highspy.Highs`` in one ``passModel`` call (column-wise matrix),
    then mark its integer columns."""
    import highspy

    n_row, n_col = form.matrix.shape
    a = form.matrix
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = form.cost
    lp.col_lower_ = form.col_lower
    lp.col_upper_ = form.col_upper
    lp.row_lower_ = form.row_lower
    lp.row_upper_ = form.row_upper
    lp.offset_ = form.offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    h.passModel(lp)
    idx = np.flatnonzero(form.integer).astype(np.int32)
    if len(idx):
        h.changeColsIntegrality(
            len(idx), idx, np.full(len(idx), highspy.HighsVarType.kInteger, dtype=np.uint8)
        )


__all__ = ["Row", "StandardForm", "pass_to_highs", "pyomo_standard_form", "standard_form"]
