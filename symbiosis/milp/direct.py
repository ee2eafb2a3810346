"""The MILP of CASE_FORMAT.md "The MILP" written straight into sparse arrays with numpy.

:func:`direct_form` builds, for a :class:`~symbiosis.milp.data.ModelData`, the same rows and
columns as the Pyomo model of :mod:`symbiosis.milp.model` compiled by
:mod:`symbiosis.solve.compile`, without Pyomo. It is written in the same shape as
:mod:`symbiosis.milp.model`: one function per constraint family, of the same name, run in the
same order (:data:`BUILD_STEPS`, the twin of :data:`symbiosis.milp.model.BUILD_STEPS`: from
:func:`add_variables` to :func:`add_objective`), then the valid inequalities of
:mod:`symbiosis.milp.valid` asked for (:func:`add_facility_links`, :func:`add_target_cover`).
Each works on a :class:`DirectModel`, the numpy counterpart of the Pyomo model:
``add_variables`` lays out its columns (x, y, b, w [, shortfall]), each family appends its
rows as a block of COO triplets, ``add_objective`` sets the cost.

A new constraint family is added in both files in the same shape; ``tests/test_direct.py``
checks that every family has its twin here and that the two matrices are identical.

Two uses:

* the warm start of :mod:`symbiosis.solve.warm_start` solves its LP relaxation and its
  restricted MILPs from this form: a second Pyomo model of a 500k-arc case would double the
  run's memory and add tens of seconds;
* the benchmarks pass it straight to HiGHS as the floor of the hand-off and as "the same
  model passed straight to HiGHS".

Notation as in :mod:`symbiosis.milp.model`: arcs :math:`a`, supply rows :math:`r`, input rows
:math:`k = (f, s)`, facilities :math:`f`, candidates :math:`c`; :math:`Q_f` the capacity,
:math:`s_k` the input's ``max_share``; :math:`B_f = 1` for existing facilities and
:math:`b_f` for candidates; :math:`d_k = \\sum_{a \\to k} eff_a x_a` the delivered amount.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from symbiosis.milp.data import ModelData
from symbiosis.milp.form import StandardForm
from symbiosis.milp.valid import target_cover_coefficients
from symbiosis.options import DEFAULT, ReduceOptions


@dataclass
class DirectForm(StandardForm):
    """A :class:`StandardForm` whose columns come in blocks.

    Attributes
    ----------
    blocks : dict[str, slice]
        ``blocks[name]`` is the slice of the columns holding the variable array ``name``
        (``x``, ``y``, ``b``, ``w``, ``shortfall``) in :class:`ModelData` index order.
    n_targets : int
        The number of targets (a hard target has no shortfall column).
    """

    blocks: dict[str, slice]
    n_targets: int = 0

    def split(self, column_values: np.ndarray) -> dict[str, np.ndarray]:
        """Column values as the model's variable arrays.

        Parameters
        ----------
        column_values : numpy.ndarray
            One value per column, in column order.

        Returns
        -------
        dict[str, numpy.ndarray]
            Arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` in :class:`ModelData` index
            order (a hard target has no shortfall column: its shortfall is 0).
        """
        values = np.asarray(column_values, dtype=float)
        out = {name: values[block].copy() for name, block in self.blocks.items()}
        if not len(out["shortfall"]):
            out["shortfall"] = np.zeros(self.n_targets)
        return out


def _no_ints() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _no_floats() -> np.ndarray:
    return np.zeros(0)


@dataclass
class DirectModel:
    """The numpy counterpart of the Pyomo model while it is built.

    :func:`add_variables` lays out the columns, each constraint family appends its rows with
    :meth:`add_rows`, :func:`add_objective` sets the cost; :meth:`form` returns the
    :class:`DirectForm`.

    Attributes
    ----------
    x0, y0, b0, w0, t0 : int
        First column of the blocks x (flows), y (links), b (builds), w (unused amounts) and
        shortfall.
    n_col : int
        Number of columns.
    soft : bool
        Whether the targets are soft (then each has a shortfall column).
    b_col : numpy.ndarray
        Column of :math:`b_f` per facility (-1 for existing facilities).
    columns : list[str]
        The Pyomo names of the columns (``x[3]``, ``y[3]``, ``b[0]``, ``w[1]``,
        ``shortfall[total]``).
    col_lower, col_upper, integer : numpy.ndarray
        Column bounds and integrality.
    cost : numpy.ndarray
        Cost per column; ``offset`` the objective's constant.
    n_row : int
        Number of rows appended so far.
    """

    x0: int = 0
    y0: int = 0
    b0: int = 0
    w0: int = 0
    t0: int = 0
    n_col: int = 0
    soft: bool = False
    b_col: np.ndarray = field(default_factory=_no_ints)
    columns: list[str] = field(default_factory=list)
    col_lower: np.ndarray = field(default_factory=_no_floats)
    col_upper: np.ndarray = field(default_factory=_no_floats)
    integer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cost: np.ndarray = field(default_factory=_no_floats)
    offset: float = 0.0
    n_row: int = 0
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    _lower: list[np.ndarray] = field(default_factory=list)
    _upper: list[np.ndarray] = field(default_factory=list)

    def add_rows(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        """Append a block of rows ``lower <= A_block @ x <= upper``.

        Parameters
        ----------
        rows : numpy.ndarray
            Row of each coefficient, numbered from 0 within the block.
        cols : numpy.ndarray
            Column of each coefficient.
        vals : numpy.ndarray
            The coefficients.
        lower, upper : numpy.ndarray
            Bounds of each row of the block (``-inf`` / ``inf`` where there is none); their
            length is the number of rows added.
        """
        self._rows.append(rows + self.n_row)
        self._cols.append(cols)
        self._vals.append(vals)
        self._lower.append(lower)
        self._upper.append(upper)
        self.n_row += len(lower)

    def form(self, n_targets: int) -> DirectForm:
        """The rows and columns built so far as a standard form.

        Parameters
        ----------
        n_targets : int
            The number of targets of the model (for :meth:`DirectForm.split`).

        Returns
        -------
        DirectForm
            With ``rows`` empty (the rows have no Pyomo constraint).
        """
        matrix = sp.csc_array(
            (np.concatenate(self._vals), (np.concatenate(self._rows), np.concatenate(self._cols))),
            shape=(self.n_row, self.n_col),
        )
        return DirectForm(
            columns=self.columns,
            rows=[],
            cost=self.cost,
            offset=self.offset,
            matrix=matrix,
            row_lower=np.concatenate(self._lower),
            row_upper=np.concatenate(self._upper),
            col_lower=self.col_lower,
            col_upper=self.col_upper,
            integer=self.integer,
            blocks={
                "x": slice(self.x0, self.y0),
                "y": slice(self.y0, self.b0),
                "b": slice(self.b0, self.w0),
                "w": slice(self.w0, self.t0),
                "shortfall": slice(self.t0, self.n_col),
            },
            n_targets=n_targets,
        )


Step = Callable[[DirectModel, ModelData], None]


def add_variables(f: DirectModel, d: ModelData) -> None:
    """The columns, in blocks: :math:`x_a \\ge 0` per arc, :math:`y_l \\in \\{0, 1\\}` per
    arc with a link cost, :math:`b_c \\in \\{0, 1\\}` per candidate, :math:`w_r \\ge 0` per
    supply row, and :math:`short_t \\ge 0` per target only when targets are soft (a hard
    target's shortfall is 0 and has no column).

    A build decision fixed by ``force_build`` / ``forbid`` (``d.fixed_build``) stays a column
    with equal bounds (the compiled Pyomo model drops it instead).

    Parameters
    ----------
    f : DirectModel
        The form being built (its column layout, bounds, integrality and names are set).
    d : ModelData
        The model's data.
    """
    n_a, n_l, n_c, n_r = d.n_arcs, len(d.link_arcs), len(d.candidates), d.n_supply
    f.soft = d.penalty is not None and len(d.targets) > 0
    n_t = len(d.targets) if f.soft else 0
    f.x0, f.y0, f.b0, f.w0 = 0, n_a, n_a + n_l, n_a + n_l + n_c
    f.t0 = f.w0 + n_r
    f.n_col = f.t0 + n_t
    f.b_col = np.full(d.n_facilities, -1, dtype=np.int64)
    f.b_col[d.candidates] = f.b0 + np.arange(n_c)
    f.integer = np.zeros(f.n_col, dtype=bool)
    f.integer[f.y0 : f.w0] = True
    f.col_upper = np.full(f.n_col, math.inf)
    f.col_upper[f.y0 : f.w0] = 1.0
    f.col_lower = np.zeros(f.n_col)
    for fac, value in d.fixed_build.items():  # force_build / forbid: b fixed by its bounds
        f.col_lower[f.b_col[fac]] = f.col_upper[f.b_col[fac]] = float(value)
    f.columns = [
        *(f"x[{a}]" for a in range(n_a)),
        *(f"y[{a}]" for a in d.link_arcs.tolist()),
        *(f"b[{c}]" for c in d.candidates.tolist()),
        *(f"w[{r}]" for r in range(n_r)),
        *(f"shortfall[{t.name}]" for t in d.targets[:n_t]),
    ]


def add_supply_balance(f: DirectModel, d: ModelData) -> None:
    """(1) Supply, one row per supply row :math:`r`:
    :math:`\\sum_{a \\in out(r)} x_a + w_r = amount_r`.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    n_a, n_r = d.n_arcs, d.n_supply
    made_rows, made_arcs, made_vals = _made_entries(d)
    f.add_rows(
        np.concatenate([d.arc_supply, np.arange(n_r), made_rows]),
        np.concatenate([f.x0 + np.arange(n_a), f.w0 + np.arange(n_r), f.x0 + made_arcs]),
        np.concatenate([np.ones(n_a + n_r), made_vals]),
        d.supply_amount,
        d.supply_amount,
    )


def _made_entries(d: ModelData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chains: for each supply row r made by facility f with yield y_r, the entries
    :math:`-y_r eff_a` of the arcs a into f (rows, arcs, values)."""
    if not d.has_chains:
        return _no_ints(), _no_ints(), _no_floats()
    rows, arcs, vals = [], [], []
    for r in np.flatnonzero(d.supply_source >= 0).tolist():
        inputs = d.members(d.inputs_by_facility, int(d.supply_source[r]))
        into = np.concatenate([d.members(d.arcs_by_input, int(k)) for k in inputs] or [_no_ints()])
        rows.append(np.full(len(into), r, dtype=np.int64))
        arcs.append(into.astype(np.int64))
        vals.append(-float(d.supply_yield[r]) * d.arc_eff[into])
    return np.concatenate(rows), np.concatenate(arcs), np.concatenate(vals)


def add_stocks(f: DirectModel, d: ModelData) -> None:
    """Stocks (v2, multi-year), one row per supply row with a ``stock`` :math:`S_r` and at
    least one arc: :math:`\\sum_t \\sum_{a \\in out(r_t)} x_a \\le S_r`.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data (``stock_rows``, ``stock_amount``).
    """
    row_cols, limits = [], []
    for s, copies in enumerate(d.stock_rows):
        arcs = np.concatenate([d.members(d.arcs_by_supply, int(r)) for r in copies])
        if len(arcs):
            row_cols.append(arcs)
            limits.append(float(d.stock_amount[s]))
    if not row_cols:
        return
    sizes = np.array([len(c) for c in row_cols])
    f.add_rows(
        np.repeat(np.arange(len(row_cols)), sizes),
        f.x0 + np.concatenate(row_cols),
        np.ones(int(sizes.sum())),
        np.full(len(row_cols), -math.inf),
        np.array(limits),
    )


def _delivered_rows(
    f: DirectModel,
    d: ModelData,
    key_of_arc: np.ndarray,
    keys: np.ndarray,
    fac_of_key: np.ndarray,
    limit: np.ndarray,
) -> None:
    """One row per key (input row or facility): the amount delivered on the arcs of that key
    against ``limit`` times the facility's build decision: :math:`\\sum eff_a x_a - limit
    \\cdot b_f \\le 0` (candidate) or :math:`\\sum eff_a x_a \\le limit` (existing)."""
    pos = np.full(key_of_arc.max(initial=-1) + 2, -1, dtype=np.int64)
    pos[keys] = np.arange(len(keys))
    row_of_arc = pos[key_of_arc]
    on = row_of_arc >= 0
    cand = d.facility_candidate[fac_of_key]
    b_rows, b_cols, b_vals = [], [], []
    for i in np.flatnonzero(cand).tolist():
        options = d.builds_of(int(fac_of_key[i]))
        b_rows.append(np.full(len(options), i, dtype=np.int64))
        b_cols.append(f.b_col[options])
        b_vals.append(np.full(len(options), -limit[i]))
    f.add_rows(
        np.concatenate([row_of_arc[on], *b_rows]),
        np.concatenate([f.x0 + np.arange(d.n_arcs)[on], *b_cols]),
        np.concatenate([d.arc_eff[on], *b_vals]),
        np.full(len(keys), -math.inf),
        np.where(cand, 0.0, limit),
    )


def add_input_share(f: DirectModel, d: ModelData) -> None:
    """(2) Input share: :math:`d_k \\le s_k Q_f B_f`, that is
    :math:`\\sum_{a \\to k} eff_a x_a - s_k Q_f b_f \\le 0` for a candidate and
    :math:`\\le s_k Q_f` for an existing facility.

    Only for input rows with :math:`s_k < 1` (the others are implied by the capacity row) and
    at least one arc (the others are trivially met), in input-row order.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    with_arcs = np.zeros(d.n_inputs, dtype=bool)
    with_arcs[d.arc_input] = True
    share_rows = np.flatnonzero((d.input_max_share < 1) & with_arcs)
    fac_k = d.input_facility[share_rows]
    limit = d.input_max_share[share_rows] * d.facility_capacity[fac_k]
    _delivered_rows(f, d, d.arc_input, share_rows, fac_k, limit)


def add_capacity(f: DirectModel, d: ModelData) -> None:
    """(3) Capacity: :math:`\\sum_{k \\in in(f)} d_k \\le Q_f B_f`, for facilities with at
    least one arc, in facility order.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    arc_fac = d.input_facility[d.arc_input]
    facs = np.unique(arc_fac)
    _delivered_rows(f, d, arc_fac, facs, facs, d.facility_capacity[facs])


def add_link_activation(f: DirectModel, d: ModelData) -> None:
    """(4) Link: :math:`x_a - M_a y_a \\le 0` with
    :math:`M_a = \\min(amount_r, s_k Q_f / eff_a)`, for the arcs with a link cost, in
    ``d.link_arcs`` order.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    links = d.link_arcs
    n_l = len(links)
    f.add_rows(
        np.concatenate([np.arange(n_l), np.arange(n_l)]),
        np.concatenate([f.x0 + links, f.y0 + np.arange(n_l)]),
        np.concatenate([np.ones(n_l), -d.arc_big_m[links]]),
        np.full(n_l, -math.inf),
        np.zeros(n_l),
    )


def add_groups(f: DirectModel, d: ModelData) -> None:
    """(5) Group: :math:`\\sum_{c \\in g} b_c \\le 1` for each group of candidates.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    for sets, lower in ((d.groups, -math.inf), (d.must_build, 1.0)):
        if not sets:
            continue
        sizes = np.array([len(g) for g in sets])
        members = np.concatenate(sets)
        f.add_rows(
            np.repeat(np.arange(len(sets)), sizes),
            f.b_col[members],
            np.ones(len(members)),
            np.full(len(sets), lower),
            np.ones(len(sets)),
        )


def add_targets(f: DirectModel, d: ModelData) -> None:
    """(6) Total target and (7) stream targets, one row per target :math:`t`:
    :math:`\\sum_{k \\in K_t} \\sum_{a \\to k} eff_a x_a [+ short_t] \\ge amount_t`, the
    shortfall column only when targets are soft.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    x_cols = f.x0 + np.arange(d.n_arcs)
    for t, spec in enumerate(d.targets):
        in_t = spec.arc_mask(d.arc_input, d.arc_supply)
        r = np.zeros(int(in_t.sum()) + (1 if f.soft else 0), dtype=np.int64)
        c = x_cols[in_t]
        v = d.arc_eff[in_t]
        if f.soft:
            c = np.append(c, f.t0 + t)
            v = np.append(v, 1.0)
        f.add_rows(r, c, v, np.array([spec.amount]), np.array([math.inf]))


def add_co2_target(f: DirectModel, d: ModelData) -> None:
    r"""CO2 floor (``target.co2_avoided``), one row when set:
    :math:`\sum_a (co2_{k(a)} eff_a - co2^{tr}_a) x_a / 1000 \ge co2\_min`.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    coef = d.arc_co2_avoided()
    if d.co2_min is not None:
        nonzero = np.flatnonzero(coef)
        f.add_rows(
            np.zeros(len(nonzero), dtype=np.int64),
            f.x0 + nonzero,
            coef[nonzero],
            np.array([float(d.co2_min)]),
            np.array([math.inf]),
        )
    for t in sorted(d.co2_min_by_year):  # multi-year: one floor per year
        nonzero = np.flatnonzero((coef != 0) & (d.arc_year == t))
        f.add_rows(
            np.zeros(len(nonzero), dtype=np.int64),
            f.x0 + nonzero,
            coef[nonzero],
            np.array([d.co2_min_by_year[t]]),
            np.array([math.inf]),
        )


def add_limits(f: DirectModel, d: ModelData) -> None:
    """(8) Limits, when the scenario sets them and there are candidates:
    :math:`\\sum_c b_c \\le max\\_new\\_facilities`;
    :math:`\\sum_c capex_c b_c \\le capex\\_budget`.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    n_c = len(d.candidates)
    b_cols = f.b0 + np.arange(n_c)
    if d.max_new_facilities is not None and n_c:
        f.add_rows(
            np.zeros(n_c, dtype=np.int64),
            b_cols,
            np.ones(n_c),
            np.array([-math.inf]),
            np.array([float(d.max_new_facilities)]),
        )
    if d.capex_budget is not None and n_c:
        f.add_rows(
            np.zeros(n_c, dtype=np.int64),
            b_cols,
            d.facility_capex[d.candidates],
            np.array([-math.inf]),
            np.array([float(d.capex_budget)]),
        )
    # multi-year: limits on the options built in one year
    option_year = d.facility_year[d.candidates] if d.multi_year else np.zeros(n_c, np.int64)
    for by_year, coef in (
        (d.max_new_by_year, np.ones(n_c)),
        (d.capex_budget_by_year, d.facility_capex[d.candidates]),
    ):
        for t in sorted(by_year):
            on = option_year == t
            f.add_rows(
                np.zeros(int(on.sum()), dtype=np.int64),
                b_cols[on],
                coef[on],
                np.array([-math.inf]),
                np.array([by_year[t]]),
            )


def add_objective(f: DirectModel, d: ModelData) -> None:
    """Total annual system cost (CNY/yr), minimised: the column costs and the constant

    .. math::

        \\sum_c b_c (capex_c AF(r, n_c) + fixed\\_opex_c) + \\sum_{f\\,existing} fixed\\_opex_f
        + \\sum_a unit\\_cost_a x_a + \\sum_l link\\_cost_l y_l
        + \\sum_k (var\\_cost_k - value_k) d_k + \\sum_r u_r w_r
        \\; [+ \\; penalty \\sum_t short_t]

    where the :math:`d_k` terms are folded into the flows' costs
    (:math:`(var\\_cost_k - value_k) eff_a` on each arc into :math:`k`) and the existing
    facilities' fixed opex is the ``offset``.

    Parameters
    ----------
    f : DirectModel
        The form being built (``cost`` and ``offset`` set).
    d : ModelData
        The model's data.
    """
    n_t = f.n_col - f.t0
    arc_w = d.year_weight(d.arc_year, d.n_arcs)
    f.cost = np.concatenate(
        [
            (d.arc_unit_cost + d.input_net_cost[d.arc_input] * d.arc_eff) * arc_w,
            (d.arc_link_cost * arc_w)[d.link_arcs],
            d.facility_annual_cost[d.candidates],
            d.supply_unused_cost * d.year_weight(d.supply_year, d.n_supply),
            float(d.penalty or 0.0) * np.array([t.weight for t in d.targets[:n_t]]),
        ]
    )
    f.offset = float(d.existing_fixed_opex)


def add_facility_links(f: DirectModel, d: ModelData) -> None:
    """Valid inequality ``facility_links`` (:func:`symbiosis.milp.valid.add_facility_links`).

    :math:`\\sum_{a \\in P} y_a - b_f \\le 0` for each pair :math:`P` of linked arcs into a
    candidate :math:`f` (one supply row, one input row, one efficiency; pairs in sorted
    order), then :math:`x_a - M_a b_f \\le 0` for each arc into a candidate without a link.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    n_a, links = d.n_arcs, d.link_arcs
    arc_fac = d.input_facility[d.arc_input]
    cand = d.facility_candidate[arc_fac]
    y_col = np.full(n_a, -1, dtype=np.int64)
    y_col[links] = f.y0 + np.arange(len(links))
    linked = np.flatnonzero(cand & (y_col >= 0))
    pairs = (
        pd.DataFrame(
            {"r": d.arc_supply[linked], "k": d.arc_input[linked], "eff": d.arc_eff[linked]}
        )
        .groupby(["r", "k", "eff"], sort=True)
        .ngroup()
    )
    pair_of_arc = pairs.to_numpy()
    n_p = int(pair_of_arc.max(initial=-1)) + 1
    first = np.full(n_p, -1, dtype=np.int64)
    first[pair_of_arc[::-1]] = linked[::-1]
    f.add_rows(
        np.concatenate([pair_of_arc, np.arange(n_p)]),
        np.concatenate([y_col[linked], f.b_col[arc_fac[first]]]),
        np.concatenate([np.ones(len(linked)), -np.ones(n_p)]),
        np.full(n_p, -math.inf),
        np.zeros(n_p),
    )
    unlinked = np.flatnonzero(cand & (y_col < 0))
    n_u = len(unlinked)
    f.add_rows(
        np.concatenate([np.arange(n_u), np.arange(n_u)]),
        np.concatenate([f.x0 + unlinked, f.b_col[arc_fac[unlinked]]]),
        np.concatenate([np.ones(n_u), -d.arc_big_m[unlinked]]),
        np.full(n_u, -math.inf),
        np.zeros(n_u),
    )


def add_target_cover(f: DirectModel, d: ModelData) -> None:
    """Valid inequality ``target_cover`` (:func:`symbiosis.milp.valid.add_target_cover`).

    For each target :math:`t` that needs candidates, the knapsack
    :math:`\\sum_c \\hat C_{ct} b_c [+ short_t] \\ge amount_t - \\sum_{f\\ existing}
    \\hat C_{ft}`, with :math:`\\hat C_{ft}` the most facility :math:`f` can count toward
    :math:`t` (:func:`~symbiosis.milp.valid.target_cover_coefficients`); over the candidates
    with :math:`\\hat C_{ct} > 0`, none when the right-hand side is :math:`\\le 0`.

    Parameters
    ----------
    f : DirectModel
        The form being built (rows appended).
    d : ModelData
        The model's data.
    """
    for t, spec in enumerate(d.targets):
        coef = target_cover_coefficients(d, spec)
        need = spec.amount - float(coef[~d.facility_candidate].sum())
        cover = d.candidates[coef[d.candidates] > 0]
        if need <= 0 or not len(cover):
            continue
        c = f.b_col[cover]
        v = coef[cover]
        if f.soft:
            c = np.append(c, f.t0 + t)
            v = np.append(v, 1.0)
        f.add_rows(np.zeros(len(c), dtype=np.int64), c, v, np.array([need]), np.array([math.inf]))


#: The build steps, in the order (and with the names) of
#: :data:`symbiosis.milp.model.BUILD_STEPS`.
BUILD_STEPS: tuple[Step, ...] = (
    add_variables,
    add_supply_balance,
    add_stocks,
    add_input_share,
    add_capacity,
    add_link_activation,
    add_groups,
    add_targets,
    add_co2_target,
    add_limits,
    add_objective,
)


def strengthening_steps(options: ReduceOptions) -> list[Step]:
    """The build steps of the valid inequalities ``options`` asks for, in the order of
    :func:`symbiosis.milp.valid.strengthening_steps`.

    Parameters
    ----------
    options : ReduceOptions
        Its ``facility_links`` and ``target_cover`` are read.

    Returns
    -------
    list
        Functions ``(f, d) -> None`` to run after :data:`BUILD_STEPS`.
    """
    steps: list[Step] = []
    if options.facility_links:
        steps.append(add_facility_links)
    if options.target_cover:
        steps.append(add_target_cover)
    return steps


def add_valid_inequalities(f: DirectModel, d: ModelData, options: ReduceOptions = DEFAULT) -> None:
    """Add every valid inequality ``options`` asks for (the twin of
    :func:`symbiosis.milp.valid.add_valid_inequalities`).

    Parameters
    ----------
    f : DirectModel
        The form being built, after :data:`BUILD_STEPS` (rows appended).
    d : ModelData
        The model's data.
    options : ReduceOptions
        Which valid inequalities (``facility_links``, ``target_cover``).
    """
    for step in strengthening_steps(options):
        step(f, d)


def direct_form(
    d: ModelData, facility_links: bool = False, target_cover: bool = False
) -> DirectForm:
    """The standard form of the model of ``d``, built with numpy.

    Runs :data:`BUILD_STEPS`, then the valid inequalities asked for, on a fresh
    :class:`DirectModel`. Rows in the order of the compiled Pyomo model: one block per
    family of :data:`BUILD_STEPS` (supply balance, input share, capacity, link, group,
    targets, CO2 floor, limits), then ``valid_link_build``,
    ``valid_flow_build`` and ``valid_target_cover``; columns x, y, b, w [, shortfall].

    Parameters
    ----------
    d : ModelData
        The model's data.
    facility_links : bool
        Add the ``facility_links`` valid inequalities (:func:`add_facility_links`).
    target_cover : bool
        Add the ``target_cover`` valid inequalities (:func:`add_target_cover`).

    Returns
    -------
    DirectForm
        ``columns`` holds the Pyomo names of the variables (``x[3]``, ``y[3]``, ``b[0]``,
        ``w[1]``, ``shortfall[total]``); ``rows`` is empty. A build decision fixed by
        ``force_build`` / ``forbid`` stays a column with equal bounds (the compiled model
        drops it instead).
    """
    f = DirectModel()
    for step in BUILD_STEPS:
        step(f, d)
    options = ReduceOptions(facility_links=facility_links, target_cover=target_cover)
    add_valid_inequalities(f, d, options)
    return f.form(len(d.targets))


__all__ = [
    "BUILD_STEPS",
    "DirectForm",
    "DirectModel",
    "add_capacity",
    "add_facility_links",
    "add_groups",
    "add_input_share",
    "add_limits",
    "add_link_activation",
    "add_objective",
    "add_stocks",
    "add_supply_balance",
    "add_target_cover",
    "add_targets",
    "add_valid_inequalities",
    "add_variables",
    "direct_form",
    "strengthening_steps",
]
