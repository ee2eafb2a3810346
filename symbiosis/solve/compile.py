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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.common.gc_manager import PauseGC
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

from symbiosis.milp.form import Row, StandardForm

_SORTER = FileDeterminism_to_SortComponents(FileDeterminism.ORDERED)
_VAR_TYPES = (VarData, ScalarVar)
_NAMED_EXPRESSIONS = (ExpressionData, ScalarExpression)


@dataclass
class _Batch:
    rows: np.ndarray  # the constraint positions read in the batch
    entry_rows: np.ndarray  # per term: its constraint position
    cols: np.ndarray
    values: np.ndarray


class _Collector:
    """Accumulates terms (``cols``, ``values``) and the columns.

    Columns are found by ``id`` with a sorted numpy array rather than a dict: at a million
    variables, hashing every term's variable into a dict of that size costs more than all the
    rest of the compile.
    """

    def __init__(self) -> None:
        self.columns: list[Any] = []  # every registered variable (fixed ones too)
        self.cols: list[int] = []
        self.values: list[Any] = []
        self._ids: list[np.ndarray] = []
        self._fixed: list[np.ndarray] = []
        self._components: set[int] = set()
        self._index: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def register(self, var: Any) -> None:
        """Give every index of ``var``'s component a column, in the component's order."""
        comp = var.parent_component()
        if id(comp) in self._components:
            members: list[Any] = [var]  # not among its component's data (kernel-like)
        else:
            self._components.add(id(comp))
            data = getattr(comp, "_data", None)
            # A dict holds the data in the order the indices were constructed.
            members = list(data.values()) if isinstance(data, dict) else list(comp.values(_SORTER))
        self.columns.extend(members)
        self._ids.append(np.fromiter(map(id, members), dtype=np.int64, count=len(members)))
        self._fixed.append(np.fromiter((v._fixed for v in members), dtype=bool, count=len(members)))
        self._index = None

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Columns of the variables with these ``id``: -1 for a fixed variable, -3 for an
        object that is not a registered variable."""
        if self._index is None:
            all_ids = np.concatenate(self._ids) if self._ids else np.empty(0, np.int64)
            order = np.argsort(all_ids, kind="stable")
            fixed = np.concatenate(self._fixed) if self._fixed else np.empty(0, bool)
            self._index = (all_ids[order], order, fixed)
        sorted_ids, order, fixed = self._index
        if not len(sorted_ids):
            return np.full(len(ids), -3, dtype=np.int64)
        pos = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        found = sorted_ids[pos] == ids
        cols = np.where(found, order[pos], -3)
        cols[found & fixed[np.maximum(cols, 0)]] = -1
        return cols

    def column(self, var: Any) -> int:
        j = int(self.lookup(np.array([id(var)], dtype=np.int64))[0])
        if j == -3:
            self.register(var)
            j = int(self.lookup(np.array([id(var)], dtype=np.int64))[0])
        return j

    def terms(self, args: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Columns and coefficients of terms that are monomials or variables; -1 marks a fixed
        variable, -3 anything else (its coefficient is then meaningless)."""
        mono, var_types = MonomialTermExpression, _VAR_TYPES
        ids = np.fromiter(
            (id(a._args_[1]) if a.__class__ is mono else id(a) for a in args),
            dtype=np.int64,
            count=len(args),
        )
        cols = self.lookup(ids)
        while True:  # register the components of unknown variables, first seen first
            missing = np.flatnonzero(cols == -3)
            for k in missing:
                a = args[k]
                var = a._args_[1] if a.__class__ is mono else a
                if var.__class__ in var_types:
                    self.register(var)
                    break
            else:
                break
            cols[missing] = self.lookup(ids[missing])
        values = [a._args_[0] if a.__class__ is mono else 1.0 for a in args]
        try:
            val_arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            val_arr = np.asarray(
                [
                    v if v.__class__ in native_numeric_types else pyo.value(v) if c >= 0 else 0.0
                    for v, c in zip(values, cols.tolist(), strict=True)
                ],
                dtype=float,
            )
        return cols, val_arr

    def add(self, expr: Any) -> float:
        """Record the linear terms of ``expr``; return its constant."""
        cls = expr.__class__
        if cls is LinearExpression:
            args = expr.args
            cols, values = self.terms(args)
            const = 0.0
            odd = np.flatnonzero(cols < 0)
            if len(odd):
                mono = MonomialTermExpression
                for k in odd.tolist():
                    a = args[k]
                    if cols[k] == -1:  # a fixed variable: a constant
                        coef, var = a._args_ if a.__class__ is mono else (1.0, a)
                        const += pyo.value(coef) * _fixed_value(var)
                    elif a.__class__ in native_numeric_types:
                        const += a
                    else:  # a nested expression: its own terms, then its constant
                        const += self.add(a)
                keep = cols >= 0
                cols, values = cols[keep], values[keep]
            self.cols.extend(cols.tolist())
            self.values.extend(values.tolist())
            return const
        if cls in native_numeric_types:
            return float(expr)
        if cls in _VAR_TYPES or cls is MonomialTermExpression:
            return self.add(LinearExpression([expr]))
        if cls in _NAMED_EXPRESSIONS or isinstance(expr, ExpressionData):
            return self.add(expr.expr)
        return self._generic(expr)

    def _generic(self, expr: Any) -> float:
        repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None or repn.quadratic_vars:
            raise ValueError(f"not a linear expression: {expr}")
        for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
            self.cols.append(self.column(var))
            self.values.append(float(coef))
        return float(pyo.value(repn.constant))

    def batch(self, bodies: list[Any], candidates: list[int]) -> _Batch:
        """Read the ``LinearExpression`` bodies ``bodies[i]`` for ``i`` in ``candidates`` in
        one pass over all their terms; a row with anything but free variables and monomials
        of them (a constant, a fixed variable, a nested expression) is left out for
        :meth:`add`."""
        lengths = [bodies[i]._nargs for i in candidates]
        flat = [a for i in candidates for a in bodies[i]._args_[: bodies[i]._nargs]]
        cols, values = self.terms(flat)
        del flat
        rows = np.asarray(candidates, dtype=np.int64)
        owner = np.repeat(rows, lengths)
        bad = cols < 0  # odd terms (-3) and fixed variables (-1): their rows go to add()
        if bad.any():
            bad_rows = np.unique(owner[bad])
            ok = ~np.isin(owner, bad_rows)
            owner, cols, values = owner[ok], cols[ok], values[ok]
            rows = np.setdiff1d(rows, bad_rows)
        return _Batch(rows, owner, cols, values)

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
    """Compile the active objective and constraints of a linear model to sparse arrays
    (with Python's cyclic garbage collector paused, as Pyomo's writers do: it would scan the
    model's millions of objects again and again).

    For :math:`\\min c^T x + c_0` s.t. :math:`l_i \\le a_i^T x + k_i \\le u_i`: :math:`c`,
    :math:`c_0`, :math:`A = (a_i)` and the row bounds :math:`l_i - k_i`, :math:`u_i - k_i`
    (a maximised objective is negated).

    Parameters
    ----------
    m : pyomo.environ.Block
        A linear model (one active objective at most).

    Returns
    -------
    StandardForm
        Columns (the variables, in Pyomo's compiler order) and rows (the constraints, a
        ranged one as one row with both bounds).

    Raises
    ------
    InfeasibleConstraintException
        A constraint without variables violates its bounds.
    ValueError
        A nonlinear term, several active objectives, or a fixed variable without value.
    """
    with PauseGC():
        return _standard_form(m)


def _standard_form(m: pyo.Block) -> StandardForm:
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

    datas = list(m.component_data_objects(pyo.Constraint, active=True, sort=_SORTER))
    triples = [_bounds(con) for con in datas]
    lbs = [t[0] if t[0] is None or t[0].__class__ is float else _finite(t[0]) for t in triples]
    ubs = [t[2] if t[2] is None or t[2].__class__ is float else _finite(t[2]) for t in triples]
    bodies = [t[1] for t in triples]
    del triples
    bounded = [lb is not None or ub is not None for lb, ub in zip(lbs, ubs, strict=True)]

    # Rows whose body is a LinearExpression of free variables (and monomials of them) are read
    # in one batch; the others (constants, fixed variables, other expressions) one by one.
    candidates = [
        i
        for i, (ok, body) in enumerate(zip(bounded, bodies, strict=True))
        if ok and body.__class__ is LinearExpression and body._nargs
    ]
    batch = acc.batch(bodies, candidates)
    in_batch = np.zeros(len(datas), dtype=bool)
    in_batch[batch.rows] = True
    keep = in_batch.copy()
    const = np.zeros(len(datas))
    single_rows: list[int] = []
    for i in np.flatnonzero(np.asarray(bounded, dtype=bool) & ~in_batch).tolist():
        mark = len(acc.cols)
        c = acc.add(bodies[i])
        n_terms = len(acc.cols) - mark
        if not n_terms:
            lb, ub = lbs[i], ubs[i]
            if (lb is None or lb <= c) and (ub is None or ub >= c):
                continue
            raise InfeasibleConstraintException(
                f"model contains a trivially infeasible constraint, '{datas[i].name}'"
            )
        const[i] = c
        keep[i] = True
        single_rows.extend([i] * n_terms)
    del bodies

    kept = np.flatnonzero(keep)
    lo = np.array([-math.inf if b is None else b for b in lbs], dtype=float)[kept]
    up = np.array([math.inf if b is None else b for b in ubs], dtype=float)[kept]
    has_lo, has_up = np.isfinite(lo), np.isfinite(up)
    kinds = np.where(has_lo & has_up, np.where(lo == up, 0, 2), np.where(has_lo, -1, 1))
    rows = list(map(Row, [datas[i] for i in kept.tolist()], kinds.tolist()))
    del datas, lbs, ubs
    new_id = np.cumsum(keep) - 1
    entry_rows = new_id[np.concatenate([batch.entry_rows, np.asarray(single_rows, np.int64)])]
    entry_cols = np.concatenate([batch.cols, np.asarray(acc.cols, dtype=np.int64)])
    entry_vals = np.concatenate([batch.values, acc.float_values()])
    del batch, single_rows
    acc.cols, acc.values = [], []

    n_cols = len(acc.columns)
    cost = np.zeros(n_cols)
    np.add.at(cost, obj_cols, obj_vals)
    matrix = sp.csc_array((entry_vals, (entry_rows, entry_cols)), shape=(len(rows), n_cols))
    del entry_rows, entry_cols, entry_vals
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    used = (np.diff(matrix.indptr) > 0) | (cost != 0)
    columns = acc.columns
    if not used.all():
        keep_cols = np.flatnonzero(used)
        matrix = matrix[:, keep_cols]
        cost = cost[keep_cols]
        columns = [columns[j] for j in keep_cols.tolist()]

    col_lower, col_upper, integer = _column_bounds(columns)
    return StandardForm(
        columns=columns,
        rows=rows,
        cost=cost,
        offset=float(offset),
        matrix=sp.csc_array(matrix),
        row_lower=lo - const[kept],
        row_upper=up - const[kept],
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
    first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
    table = {key: _bounds_of(columns[j]) for key, j in first.items()}
    got = list(map(table.__getitem__, keys))
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
    measure (README, "Benchmark"). A ranged constraint gives two rows here.

    Parameters
    ----------
    m : pyomo.environ.Block
        A linear model.

    Returns
    -------
    StandardForm
        The compiler's columns, rows, cost, matrix and bounds.
    """
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
    then mark its integer columns (:func:`symbiosis.solve.child.pass_problem`).

    Parameters
    ----------
    h : highspy.Highs
        The instance to load.
    form : StandardForm
        The model.
    """
    from symbiosis.solve.child import pass_problem, problem_arrays

    pass_problem(
        h,
        problem_arrays(form),
    )


__all__ = ["Row", "StandardForm", "pass_to_highs", "pyomo_standard_form", "standard_form"]
