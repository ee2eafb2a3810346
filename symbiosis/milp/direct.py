"""The MILP of CASE_FORMAT.md "The MILP" written straight into sparse arrays with numpy.

:func:`direct_form` builds, for a :class:`~symbiosis.milp.data.ModelData`, the same rows and
columns as the Pyomo model of :mod:`symbiosis.milp.model` compiled by
:mod:`symbiosis.solve.compile` (row order: supply balance, input share, capacity, link,
group, targets, limits, then the valid inequalities asked for; columns x, y, b, w
[, shortfall]), without Pyomo. ``tests/test_direct.py`` checks the two matrices are
identical.

Two uses:

* the warm start of :mod:`symbiosis.milp.reduce` solves its LP relaxation and its restricted
  MILPs from this form: a second Pyomo model of a 500k-arc case would double the run's memory
  and add tens of seconds;
* the benchmarks pass it straight to HiGHS as the floor of the hand-off and as "the same
  model passed straight to HiGHS".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from symbiosis.milp.data import ModelData
from symbiosis.milp.form import StandardForm


@dataclass
class DirectForm(StandardForm):
    """A :class:`StandardForm` whose columns come in blocks: ``blocks[name]`` is the slice of
    the columns holding the variable array ``name`` (``x``, ``y``, ``b``, ``w``,
    ``shortfall``) in :class:`ModelData` index order."""

    blocks: dict[str, slice]
    n_targets: int = 0

    def split(self, column_values: np.ndarray) -> dict[str, np.ndarray]:
        """Column values -> arrays ``x``, ``y``, ``b``, ``w``, ``shortfall`` (a hard target
        has no shortfall column: its shortfall is 0)."""
        values = np.asarray(column_values, dtype=float)
        out = {name: values[block].copy() for name, block in self.blocks.items()}
        if not len(out["shortfall"]):
            out["shortfall"] = np.zeros(self.n_targets)
        return out


def direct_form(
    d: ModelData, facility_links: bool = False, target_cover: bool = False
) -> DirectForm:
    """The standard form of the model of ``d`` built with numpy (``columns`` holds the Pyomo
    names of the variables, ``x[3]``, ``y[3]``, ``b[0]``, ``w[1]``, ``shortfall[total]``;
    ``rows`` is empty). A build decision fixed by ``force_build`` / ``forbid`` stays a column
    with equal bounds (the compiled model drops it instead).

    Rows (each a block of COO triplets):

    * supply :math:`\\sum_{a \\in out(r)} x_a + w_r = amount_r`;
    * input share, for input rows with max_share < 1 and at least one arc:
      :math:`\\sum_{a \\to k} eff_a x_a - s_k Q_f b_f \\le 0` (candidate) or
      :math:`\\le s_k Q_f` (existing);
    * capacity, for facilities with at least one arc: the same with :math:`Q_f`;
    * link :math:`x_a - M_a y_a \\le 0`; group :math:`\\sum_{c \\in g} b_c \\le 1`;
    * target :math:`\\sum_{k \\in K_t} \\sum_{a \\to k} eff_a x_a [+ short_t] \\ge amount_t`;
    * limits on :math:`\\sum b_c` and :math:`\\sum capex_c b_c`;
    * with ``facility_links``: :math:`\\sum_{a \\in P} y_a - b_f \\le 0` per pair :math:`P` of
      linked arcs into a candidate, then :math:`x_a - M_a b_f \\le 0` for its unlinked arcs
      (:func:`symbiosis.milp.reduce.add_facility_links`);
    * with ``target_cover``: :math:`\\sum_c \\hat C_{ct} b_c [+ short_t] \\ge amount_t -
      \\sum_{f\\ existing} \\hat C_{ft}` per target that needs candidates
      (:func:`symbiosis.milp.reduce.add_target_cover`).
    """
    n_a, n_l, n_c, n_r = d.n_arcs, len(d.link_arcs), len(d.candidates), d.n_supply
    soft = d.penalty is not None and len(d.targets) > 0
    n_t = len(d.targets) if soft else 0
    x0, y0, b0, w0, t0 = 0, n_a, n_a + n_l, n_a + n_l + n_c, n_a + n_l + n_c + n_r
    n_col = t0 + n_t
    b_col = np.full(d.n_facilities, -1, dtype=np.int64)
    b_col[d.candidates] = b0 + np.arange(n_c)
    arcs = np.arange(n_a)
    eff = d.arc_eff
    arc_fac = d.input_facility[d.arc_input]

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    n_row = 0

    def block(
        r: np.ndarray, c: np.ndarray, v: np.ndarray, lo: np.ndarray, up: np.ndarray, name: str
    ) -> None:
        nonlocal n_row
        rows.append(r + n_row)
        cols.append(c)
        vals.append(v)
        lower.append(lo)
        upper.append(up)
        n_row += len(lo)

    # (1) supply balance
    block(
        np.concatenate([d.arc_supply, np.arange(n_r)]),
        np.concatenate([x0 + arcs, w0 + np.arange(n_r)]),
        np.ones(n_a + n_r),
        d.supply_amount,
        d.supply_amount,
        "supply_balance",
    )

    # (2) input share and (3) capacity: delivered amounts against a (built) capacity
    def delivered_rows(
        key_of_arc: np.ndarray, keys: np.ndarray, fac_of_key: np.ndarray, limit: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        pos = np.full(key_of_arc.max(initial=-1) + 2, -1, dtype=np.int64)
        pos[keys] = np.arange(len(keys))
        row_of_arc = pos[key_of_arc]
        on = row_of_arc >= 0
        cand = b_col[fac_of_key] >= 0
        r = np.concatenate([row_of_arc[on], np.flatnonzero(cand)])
        c = np.concatenate([x0 + arcs[on], b_col[fac_of_key[cand]]])
        v = np.concatenate([eff[on], -limit[cand]])
        up = np.where(cand, 0.0, limit)
        return r, c, v, np.full(len(keys), -math.inf), up

    with_arcs = np.zeros(d.n_inputs, dtype=bool)
    with_arcs[d.arc_input] = True
    share_rows = np.flatnonzero((d.input_max_share < 1) & with_arcs)
    fac_k = d.input_facility[share_rows]
    block(
        *delivered_rows(
            d.arc_input,
            share_rows,
            fac_k,
            d.input_max_share[share_rows] * d.facility_capacity[fac_k],
        ),
        "input_share",
    )
    facs = np.unique(arc_fac)
    block(*delivered_rows(arc_fac, facs, facs, d.facility_capacity[facs]), "capacity")

    # (4) link
    links = d.link_arcs
    block(
        np.concatenate([np.arange(n_l), np.arange(n_l)]),
        np.concatenate([x0 + links, y0 + np.arange(n_l)]),
        np.concatenate([np.ones(n_l), -d.arc_big_m[links]]),
        np.full(n_l, -math.inf),
        np.zeros(n_l),
        "link",
    )

    # (5) groups
    if d.groups:
        sizes = np.array([len(g) for g in d.groups])
        members = np.concatenate(d.groups)
        block(
            np.repeat(np.arange(len(d.groups)), sizes),
            b_col[members],
            np.ones(len(members)),
            np.full(len(d.groups), -math.inf),
            np.ones(len(d.groups)),
            "group",
        )

    # (6, 7) targets
    for t, spec in enumerate(d.targets):
        in_t = np.isin(d.arc_input, spec.input_rows)
        r = np.zeros(int(in_t.sum()) + (1 if soft else 0), dtype=np.int64)
        c = x0 + arcs[in_t]
        v = eff[in_t]
        if soft:
            c = np.append(c, t0 + t)
            v = np.append(v, 1.0)
        block(r, c, v, np.array([spec.amount]), np.array([math.inf]), f"target[{spec.name}]")

    # (8) limits
    if d.max_new_facilities is not None and n_c:
        block(
            np.zeros(n_c, dtype=np.int64),
            b0 + np.arange(n_c),
            np.ones(n_c),
            np.array([-math.inf]),
            np.array([float(d.max_new_facilities)]),
            "max_new_facilities",
        )
    if d.capex_budget is not None and n_c:
        block(
            np.zeros(n_c, dtype=np.int64),
            b0 + np.arange(n_c),
            d.facility_capex[d.candidates],
            np.array([-math.inf]),
            np.array([float(d.capex_budget)]),
            "capex_budget",
        )

    # valid inequalities, in the order symbiosis.milp.reduce adds them
    if facility_links:
        cand = d.facility_candidate[arc_fac]
        y_col = np.full(n_a, -1, dtype=np.int64)
        y_col[links] = y0 + np.arange(n_l)
        linked = np.flatnonzero(cand & (y_col >= 0))
        pairs = (
            pd.DataFrame({"r": d.arc_supply[linked], "k": d.arc_input[linked], "eff": eff[linked]})
            .groupby(["r", "k", "eff"], sort=True)
            .ngroup()
        )
        pair_of_arc = pairs.to_numpy()
        n_p = int(pair_of_arc.max(initial=-1)) + 1
        first = np.full(n_p, -1, dtype=np.int64)
        first[pair_of_arc[::-1]] = linked[::-1]
        block(
            np.concatenate([pair_of_arc, np.arange(n_p)]),
            np.concatenate([y_col[linked], b_col[arc_fac[first]]]),
            np.concatenate([np.ones(len(linked)), -np.ones(n_p)]),
            np.full(n_p, -math.inf),
            np.zeros(n_p),
            "valid_link_build",
        )
        unlinked = np.flatnonzero(cand & (y_col < 0))
        n_u = len(unlinked)
        block(
            np.concatenate([np.arange(n_u), np.arange(n_u)]),
            np.concatenate([x0 + unlinked, b_col[arc_fac[unlinked]]]),
            np.concatenate([np.ones(n_u), -d.arc_big_m[unlinked]]),
            np.full(n_u, -math.inf),
            np.zeros(n_u),
            "valid_flow_build",
        )
    if target_cover:
        from symbiosis.milp.valid import target_cover_coefficients

        for t, spec in enumerate(d.targets):
            coef = target_cover_coefficients(d, spec)
            need = spec.amount - float(coef[~d.facility_candidate].sum())
            cover = d.candidates[coef[d.candidates] > 0]
            if need <= 0 or not len(cover):
                continue
            c = b_col[cover]
            v = coef[cover]
            if soft:
                c = np.append(c, t0 + t)
                v = np.append(v, 1.0)
            block(
                np.zeros(len(c), dtype=np.int64),
                c,
                v,
                np.array([need]),
                np.array([math.inf]),
                f"valid_target_cover[{spec.name}]",
            )

    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_row, n_col),
    )
    cost = np.concatenate(
        [
            d.arc_unit_cost + d.input_net_cost[d.arc_input] * eff,
            d.arc_link_cost[links],
            d.facility_annual_cost[d.candidates],
            d.supply_unused_cost,
            np.full(n_t, float(d.penalty or 0.0)),
        ]
    )
    integer = np.zeros(n_col, dtype=bool)
    integer[y0:w0] = True
    col_upper = np.full(n_col, math.inf)
    col_upper[y0:w0] = 1.0
    col_lower = np.zeros(n_col)
    for f, value in d.fixed_build.items():  # force_build / forbid: b fixed by its bounds
        col_lower[b_col[f]] = col_upper[b_col[f]] = float(value)
    return DirectForm(
        columns=[
            *(f"x[{a}]" for a in range(n_a)),
            *(f"y[{a}]" for a in links.tolist()),
            *(f"b[{c}]" for c in d.candidates.tolist()),
            *(f"w[{r}]" for r in range(n_r)),
            *(f"shortfall[{t.name}]" for t in d.targets[:n_t]),
        ],
        rows=[],
        cost=cost,
        offset=float(d.existing_fixed_opex),
        matrix=matrix,
        row_lower=np.concatenate(lower),
        row_upper=np.concatenate(upper),
        col_lower=col_lower,
        col_upper=col_upper,
        integer=integer,
        blocks={
            "x": slice(x0, y0),
            "y": slice(y0, b0),
            "b": slice(b0, w0),
            "w": slice(w0, t0),
            "shortfall": slice(t0, t0 + n_t),
        },
        n_targets=len(d.targets),
    )


__all__ = ["DirectForm", "direct_form"]
