"""Benders decomposition of the model of CASE_FORMAT.md, exact (``solver.method: benders``).

The model (:func:`symbiosis.milp.direct.direct_form`, with the ``facility_links`` and
``target_cover`` valid inequalities: the strong formulation :math:`x_a \\le M_a b_f` on arcs
into candidates and the capacity cover, both exact) is split by its columns:

* the **master** holds the build binaries :math:`b` and one estimate :math:`\\theta` of the
  flow cost, the rows on :math:`b` alone (groups, limits, cover) and the cuts:

  .. math::

      \\min\\; F^T b + \\theta \\quad\\text{s.t.}\\quad G b \\ge g, \\quad
      \\theta \\ge \\alpha_k + \\beta_k^T b \\;(k \\in \\text{opt}), \\quad
      0 \\ge \\alpha_k + \\beta_k^T b \\;(k \\in \\text{feas}), \\quad b \\in \\{0,1\\};

* the **subproblem** is the flow LP with the builds fixed, every other column (flows, unused
  amounts, shortfalls): :math:`v(\\bar b) = \\min c^T x` s.t.
  :math:`L - A_b \\bar b \\le A_x x \\le U - A_b \\bar b`, :math:`l \\le x \\le u`. Rows with a
  single flow column (the variable upper bounds :math:`x_a - M_a b_f \\le 0`) become that
  column's upper bound :math:`M_a \\bar b_f`, so the LP has only the supply, capacity, share
  and target rows; it is kept in one HiGHS instance and re-solved warm after each change of
  bounds.

Cuts. With :math:`y` the row duals and :math:`r` the reduced costs of the subproblem at
:math:`\\bar b` (HiGHS: :math:`y_i > 0` at a lower bound, :math:`< 0` at an upper one), weak
duality gives, for every :math:`b`,

.. math::

    v(b) \\ge \\sum_i y_i \\big(\\ell_i - (A_b b)_i\\big) + \\sum_j r_j\\, u_j(b)
    = \\alpha + \\beta^T b,

:math:`\\ell_i` the row bound at which :math:`y_i` is signed, :math:`u_j(b)` the column bound
at which :math:`r_j` is signed (affine in :math:`b` for a bound from a variable-upper-bound
row). When the subproblem is infeasible the same is done on its phase-1 LP (unit cost on
slack columns of the rows): :math:`0 \\ge \\alpha + \\beta^T b` (feasibility cut).

Method. A requirement checked first (:func:`benders_refusal`): in every row with a flow
column, :math:`b` has only coefficients :math:`\\le 0` on an upper bound (opening more only
relaxes the flows' rows), so :math:`v` is non-increasing and :math:`v(\\mathbf 1)` bounds
:math:`\\theta` from below. Then

1. the LP master with in-out stabilisation (Ben-Ameur and Neto; Fischetti, Ljubic and Sinnl,
   Management Science 2017): cuts separated at :math:`\\lambda b_{out} + (1-\\lambda) b_{in}`
   between the master's LP point and a core point, until the LP bound is reached;
   then, before each MILP master, the builds whose reduced cost in the last LP master
   exceeds the incumbent's distance to the LP bound are fixed (reduced-cost fixing: a
   plan moving one of them costs more than the incumbent);
2. the MILP master re-solved by HiGHS with the cuts found so far, given the best solution
   known (the incumbent with :math:`\\theta = v(b)`); each master's solution is evaluated
   (a new cut if :math:`\\theta < v(b)`), until the incumbent's cost is within the gap of the
   master's bound.

Every incumbent is a feasible plan with its exact cost (the subproblem LP), every master
bound is a valid lower bound: the answer is optimal when they meet, and a time limit or a
stop keeps the incumbent with its gap. The run's values are the final subproblem LP's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from symbiosis import interrupt
from symbiosis.i18n import _
from symbiosis.milp.data import ModelData
from symbiosis.milp.direct import (
    BUILD_STEPS,
    DirectForm,
    DirectModel,
    add_targets,
    add_valid_inequalities,
)
from symbiosis.options import ReduceOptions, SolveOptions
from symbiosis.solve.child import mip_gap, new_highs, use_threads
from symbiosis.solve.highs import Progress, Solution, configure, wait_highs

INF = math.inf
#: a cut must cut off the master's point by this much (relative to the objective) to be added
CUT_TOL = 1e-9


def benders_refusal(d: ModelData) -> str | None:
    """Why the Benders method cannot solve the model of ``d`` (None when it can).

    Parameters
    ----------
    d : ModelData
        The model's data.

    Returns
    -------
    str or None
        A sentence: multi-year models, link binaries (arcs with a link cost) and models
        without candidates are not solved by it.
    """
    if d.multi_year:
        return _("benders solves single-year models only")
    if len(d.link_arcs):
        return _(
            "benders does not take link binaries: {count} arcs have a link cost "
            "(use solver.method: direct)"
        ).format(count=f"{len(d.link_arcs):,}")
    if not len(d.candidates):
        return _("benders needs candidate facilities (there is nothing to decompose)")
    return None


def auto_method(d: ModelData) -> str:
    """The method ``solver.method: auto`` picks for the model of ``d``.

    Benders when it can solve the model (:func:`benders_refusal`) and the flows outnumber the
    build binaries by at least :data:`AUTO_ARCS_PER_BUILD` and there are at least
    :data:`AUTO_MIN_ARCS` arcs: then the master is small and every subproblem an LP over many
    arcs; else ``direct``.

    Parameters
    ----------
    d : ModelData
        The model's data.

    Returns
    -------
    str
        ``"benders"`` or ``"direct"``.
    """
    if benders_refusal(d) is None and benders_shape(d.n_arcs, len(d.candidates)):
        return "benders"
    return "direct"


def benders_shape(n_arcs: int, n_builds: int) -> bool:
    r"""The shape rule of :func:`auto_method`: many flows per build binary.

    Parameters
    ----------
    n_arcs : int
        Arcs (flow columns).
    n_builds : int
        Build binaries (candidates).

    Returns
    -------
    bool
        :math:`n\_arcs \ge` :data:`AUTO_MIN_ARCS` and
        :math:`n\_arcs \ge` :data:`AUTO_ARCS_PER_BUILD` :math:`\cdot n\_builds`.
    """
    return n_arcs >= AUTO_MIN_ARCS and n_arcs >= AUTO_ARCS_PER_BUILD * n_builds


#: ``auto`` picks Benders from this many arcs per build binary ...
AUTO_ARCS_PER_BUILD = 100
#: ... and this many arcs
AUTO_MIN_ARCS = 20_000


@dataclass
class Split:
    """The model's rows and columns split between master and subproblem.

    Attributes
    ----------
    form : DirectForm
        The whole model.
    b_cols, s_cols : numpy.ndarray
        Columns of the master (builds) and of the subproblem.
    master_rows, sub_rows, vub_rows : numpy.ndarray
        Rows on builds only; rows of the subproblem; rows with one subproblem column turned
        into that column's upper bound.
    """

    form: DirectForm
    b_cols: np.ndarray
    s_cols: np.ndarray
    master_rows: np.ndarray
    sub_rows: np.ndarray
    vub_rows: np.ndarray


def split_form(form: DirectForm, master_blocks: tuple[str, ...] = ("b",)) -> Split:
    """Split ``form`` (module docstring).

    Parameters
    ----------
    form : DirectForm
        The model with its valid inequalities.
    master_blocks : tuple of str
        The column blocks of the master: the builds; ``("b", "y")`` also moves the link
        binaries there (their rows :math:`x_a - M_a y_a \\le 0` become variable upper bounds
        of the flows, like those of the builds). Measured by ``benchmarks.hardness --more``,
        not offered as a method (it did not pay, benchmarks/results.md).

    Returns
    -------
    Split
        The partition.

    Raises
    ------
    ValueError
        A row with flow columns gives builds a positive coefficient or a lower bound.
    """
    n_col = form.matrix.shape[1]
    is_b = np.zeros(n_col, dtype=bool)
    for block in master_blocks:
        is_b[form.blocks[block]] = True
    csr = sp.csr_array(form.matrix)
    nz_rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    on_b = is_b[csr.indices]
    n_s = np.bincount(nz_rows[~on_b], minlength=csr.shape[0])
    has_b = np.bincount(nz_rows[on_b], minlength=csr.shape[0]) > 0
    pos_b = np.bincount(nz_rows[on_b & (csr.data > 0)], minlength=csr.shape[0]) > 0
    bad = (n_s > 0) & has_b & (pos_b | np.isfinite(form.row_lower))
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} rows with flows give builds a positive coefficient or a lower "
            "bound: the flows' LP is not monotone in the builds"
        )
    s_coef = np.zeros(csr.shape[0])
    np.add.at(s_coef, nz_rows[~on_b], csr.data[~on_b])
    vub = (n_s == 1) & (s_coef > 0) & ~np.isfinite(form.row_lower) & np.isfinite(form.row_upper)
    return Split(
        form=form,
        b_cols=np.flatnonzero(is_b),
        s_cols=np.flatnonzero(~is_b),
        master_rows=np.flatnonzero(n_s == 0),
        sub_rows=np.flatnonzero((n_s > 0) & ~vub),
        vub_rows=np.flatnonzero(vub),
    )


@dataclass
class Cut:
    """:math:`\\alpha + \\beta^T b` (module docstring); ``value`` the subproblem's value at
    the point it was made (the phase-1 infeasibility for a feasibility cut)."""

    alpha: float
    beta: np.ndarray
    value: float
    feasible: bool


class Subproblem:
    """The flow LP with the builds fixed, in one HiGHS instance (module docstring).

    Parameters
    ----------
    split : Split
        The partition of the model.
    threads : int
        HiGHS threads for the LP.
    """

    def __init__(self, split: Split, threads: int) -> None:
        f = split.form
        csc = sp.csc_array(f.matrix)
        rows, vub = split.sub_rows, split.vub_rows
        self.n_s = len(split.s_cols)
        self.a_ss = sp.csc_array(csc[rows][:, split.s_cols])
        self.a_sb = sp.csr_array(csc[rows][:, split.b_cols])
        self.lower, self.upper = f.row_lower[rows], f.row_upper[rows]
        self.cost = f.cost[split.s_cols]
        self.offset = float(f.offset)
        self.col_lower = f.col_lower[split.s_cols].astype(float)
        self.col_upper = f.col_upper[split.s_cols].astype(float)
        v_s = sp.csr_array(csc[vub][:, split.s_cols])
        self.vub_col = v_s.indices.astype(np.int64)  # one column per VUB row
        self.vub_coef = v_s.data.astype(float)
        self.vub_upper = f.row_upper[vub].astype(float)
        self.vub_b = sp.csr_array(csc[vub][:, split.b_cols])
        self.vub_cols = np.unique(self.vub_col)
        # slack columns, for phase 1: +e_i for a finite lower bound, -e_i for a finite upper
        lo, up = np.flatnonzero(np.isfinite(self.lower)), np.flatnonzero(np.isfinite(self.upper))
        self.slack_rows = np.concatenate([lo, up])
        slack_sign = np.concatenate([np.ones(len(lo)), -np.ones(len(up))])
        n_sl = len(self.slack_rows)
        slack = sp.csc_array(
            (slack_sign, (self.slack_rows, np.arange(n_sl))), shape=(len(rows), n_sl)
        )
        self.h: Any = new_highs()  # changeRowsBounds is missing from highspy's stubs
        use_threads(self.h, int(threads))
        matrix = sp.csc_array(sp.hstack([self.a_ss, slack]))
        lp_cost = np.concatenate([self.cost, np.zeros(n_sl)])
        self._pass(matrix, lp_cost, n_sl)
        self.n_sl = n_sl
        self.active = np.full(self.n_s, -1, dtype=np.int64)

    def _pass(self, matrix: sp.csc_array, cost: np.ndarray, n_sl: int) -> None:
        import highspy

        lp = highspy.HighsLp()
        lp.num_col_ = matrix.shape[1]
        lp.num_row_ = matrix.shape[0]
        lp.col_cost_ = cost
        lp.col_lower_ = np.concatenate([self.col_lower, np.zeros(n_sl)])
        lp.col_upper_ = np.concatenate([self.col_upper, np.zeros(n_sl)])
        lp.row_lower_ = self.lower
        lp.row_upper_ = self.upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        self.h.passModel(lp)

    def _set_builds(self, b: np.ndarray) -> None:
        shift = self.a_sb @ b
        idx = np.arange(len(self.lower), dtype=np.int32)
        self.h.changeRowsBounds(len(idx), idx, self.lower - shift, self.upper - shift)
        cand = (self.vub_upper - self.vub_b @ b) / self.vub_coef
        least = np.full(self.n_s, INF)
        np.minimum.at(least, self.vub_col, cand)
        winner = np.flatnonzero(cand <= least[self.vub_col])  # the row giving that least
        self.active[:] = -1
        self.active[self.vub_col[winner]] = winner
        upper = self.col_upper.copy()
        tighter = least < upper
        upper[tighter] = least[tighter]
        self.active[~tighter] = -1
        upper = np.maximum(upper, self.col_lower)
        sel = self.vub_cols.astype(np.int32)
        self.h.changeColsBounds(len(sel), sel, self.col_lower[sel], upper[sel])
        self._upper_now = upper

    def solve(self, b: np.ndarray) -> tuple[Cut, np.ndarray | None]:
        """Solve the subproblem at ``b`` and return its cut and, when feasible, its column
        values (subproblem columns in :attr:`Split.s_cols` order).

        Parameters
        ----------
        b : numpy.ndarray
            The builds (binary or fractional).

        Returns
        -------
        cut : Cut
            An optimality cut (``feasible``) or a feasibility cut.
        x : numpy.ndarray or None
            The subproblem's column values when feasible.
        """
        self._set_builds(b)
        self.h.run()
        status = self.h.getModelStatus().name
        if status == "kOptimal":
            sol = self.h.getSolution()
            value = float(self.h.getInfo().objective_function_value) + self.offset
            cut = self._cut(sol, b, value, feasible=True)
            return cut, np.asarray(sol.col_value)[: self.n_s].copy()
        if status not in ("kInfeasible", "kUnboundedOrInfeasible"):
            raise RuntimeError(f"the flows' LP ended {status}")
        return self._phase_one(b), None

    def _phase_one(self, b: np.ndarray) -> Cut:
        n, n_sl = self.n_s, self.n_sl
        all_cols = np.arange(n + n_sl, dtype=np.int32)
        self.h.changeColsCost(len(all_cols), all_cols, np.r_[np.zeros(n), np.ones(n_sl)])
        sl = np.arange(n, n + n_sl, dtype=np.int32)
        self.h.changeColsBounds(n_sl, sl, np.zeros(n_sl), np.full(n_sl, INF))
        self.h.run()
        sol = self.h.getSolution()
        value = float(self.h.getInfo().objective_function_value)
        cut = self._cut(sol, b, value, feasible=False)
        self.h.changeColsCost(len(all_cols), all_cols, np.r_[self.cost, np.zeros(n_sl)])
        self.h.changeColsBounds(n_sl, sl, np.zeros(n_sl), np.zeros(n_sl))
        return cut

    def _cut(self, sol: Any, b: np.ndarray, value: float, feasible: bool) -> Cut:
        y = np.asarray(sol.row_dual, dtype=float)
        rc = np.asarray(sol.col_dual, dtype=float)[: self.n_s]
        tol = 1e-12
        y = np.where(np.abs(y) > tol, y, 0.0)
        bound = np.where(y > 0, self.lower, self.upper)
        y = np.where(np.isfinite(bound), y, 0.0)
        bound = np.where(y != 0, bound, 0.0)
        alpha = float(y @ bound) + (self.offset if feasible else 0.0)
        beta = -(self.a_sb.T @ y)
        rc = np.where(np.abs(rc) > tol, rc, 0.0)
        at_lower = rc > 0
        alpha += float(
            rc[at_lower] @ np.where(np.isfinite(self.col_lower), self.col_lower, 0)[at_lower]
        )
        at_upper = np.flatnonzero(rc < 0)
        from_vub = at_upper[self.active[at_upper] >= 0]
        own = at_upper[self.active[at_upper] < 0]
        alpha += float(rc[own] @ np.where(np.isfinite(self.col_upper[own]), self.col_upper[own], 0))
        rows = self.active[from_vub]
        scale = rc[from_vub] / self.vub_coef[rows]
        alpha += float(scale @ self.vub_upper[rows])
        beta = beta - (self.vub_b[rows].T @ scale)
        return Cut(alpha=alpha, beta=np.asarray(beta, dtype=float), value=value, feasible=feasible)


@dataclass
class BendersState:
    """What the loop knows: cuts, incumbent, bounds, counts."""

    cuts: list[Cut] = field(default_factory=list)
    best: float = INF
    best_b: np.ndarray | None = None
    best_x: np.ndarray | None = None
    bound: float = -INF
    lp_bound: float = -INF
    iterations: int = 0
    masters: int = 0
    seconds_sub: float = 0.0
    seconds_master: float = 0.0
    fixed: int = 0


class _Master:
    """The master problem over the builds and one estimate :math:`\\theta`."""

    def __init__(self, split: Split, theta_lower: float) -> None:
        f = split.form
        self.n_b = len(split.b_cols)
        csr = sp.csr_array(f.matrix)[split.master_rows][:, split.b_cols]
        self.rows = sp.csr_array(csr)
        self.row_lower = f.row_lower[split.master_rows]
        self.row_upper = f.row_upper[split.master_rows]
        self.cost = np.r_[f.cost[split.b_cols], 1.0]
        self.col_lower = np.r_[f.col_lower[split.b_cols], theta_lower]
        self.col_upper = np.r_[f.col_upper[split.b_cols], INF]

    def highs(self, cuts: list[Cut], integer: bool, options: SolveOptions) -> Any:
        """A HiGHS instance holding the master with ``cuts``."""
        import highspy

        n = self.n_b + 1
        blocks = [sp.hstack([self.rows, sp.csr_array((self.rows.shape[0], 1))])]
        lower, upper = [self.row_lower], [self.row_upper]
        if cuts:
            beta = np.vstack([c.beta for c in cuts])
            theta = np.array([1.0 if c.feasible else 0.0 for c in cuts])[:, None]
            blocks.append(sp.csr_array(np.hstack([-beta, theta])))
            lower.append(np.array([c.alpha for c in cuts]))
            upper.append(np.full(len(cuts), INF))
        matrix = sp.csc_array(sp.vstack(blocks))
        h = new_highs()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, matrix.shape[0]
        lp.col_cost_ = self.cost
        lp.col_lower_, lp.col_upper_ = self.col_lower, self.col_upper
        lp.row_lower_ = np.concatenate(lower)
        lp.row_upper_ = np.concatenate(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * self.n_b + [
                highspy.HighsVarType.kContinuous
            ]
        h.passModel(lp)
        configure(h, options)
        return h


@dataclass(frozen=True)
class BendersSettings:
    """Settings of the loop.

    Attributes
    ----------
    stabilisation : float
        :math:`\\lambda`, the weight of the master's point in the separation point of the LP
        phase (1: no stabilisation).
    lp_rounds : int
        At most this many rounds of the LP phase.
    lp_tolerance : float
        The LP phase ends when its bounds are this close (relative).
    lp_stall : float
        ... or when its bound rose less than this (relative) in the last ten rounds: the
        tail of the LP phase is slow, and the MILP phase adds the cuts that matter. 1e-4 to
        3e-4 were measured faster than 2e-5 on capa1, capa2, capb1, capb3 and capc1 (16.8-25.1
        s against 18.2-32.5 s; benchmarks/results.md, "What did the work on capa-capc").
    master_gap : float
        The MILP masters stop at this gap (or the one asked, if larger) until one adds no
        cut; then they are solved to the gap asked. Cheap masters find the cuts; only the
        last must be proven.
    reduced_cost_fixing : bool
        Before each MILP master, fix the builds whose reduced cost in the last LP master
        proves that moving them cannot beat the incumbent (:meth:`_Loop.fix_by_reduced_costs`).
    """

    stabilisation: float = 0.5
    lp_rounds: int = 300
    lp_tolerance: float = 1e-6
    lp_stall: float = 2e-4
    master_gap: float = 1e-4
    reduced_cost_fixing: bool = True


def _violation(cut: Cut, b: np.ndarray, theta: float) -> float:
    """How much ``(b, theta)`` violates ``cut`` (> 0: cut off)."""
    rhs = cut.alpha + float(cut.beta @ b)
    return rhs - theta if cut.feasible else rhs


class _Loop:
    """One Benders run (module docstring): the subproblem, the master, the state."""

    def __init__(
        self,
        split: Split,
        options: SolveOptions,
        on_progress: Callable[[Progress], None] | None,
        settings: BendersSettings,
    ) -> None:
        self.split, self.options, self.on_progress, self.settings = (
            split,
            options,
            on_progress,
            settings,
        )
        self.sub = Subproblem(split, options.threads)
        self.state = BendersState()
        self.start = time.perf_counter()
        limit = options.limit_now()
        self.deadline = INF if limit is None else self.start + limit
        self.fixed_cost = split.form.cost[split.b_cols]
        self.master: _Master | None = None
        self.stopped = ""
        self.proven = False
        self.master_gap = max(options.mip_rel_gap, settings.master_gap)
        self.tried: set[bytes] = set()
        #: the last LP master's bound, point and reduced costs (for reduced-cost fixing)
        self.last_lp: tuple[float, np.ndarray, np.ndarray] | None = None

    def out_of_time(self) -> bool:
        if interrupt.requested() is not None:
            self.stopped = "interrupted"
            return True
        if time.perf_counter() >= self.deadline:
            self.stopped = "time limit reached"
            return True
        return False

    def report(self, nodes: int | None = None) -> None:
        if self.on_progress is None:
            return
        s = self.state
        best = s.best if math.isfinite(s.best) else None
        bound = s.bound if math.isfinite(s.bound) else None
        self.on_progress(
            Progress(
                elapsed=time.perf_counter() - self.start,
                incumbent=best,
                bound=bound,
                gap=mip_gap(best, bound),
                nodes=nodes,
            )
        )

    def evaluate(self, b: np.ndarray) -> Cut:
        """The subproblem at ``b``; an integer ``b`` that is feasible may become the
        incumbent."""
        started = time.perf_counter()
        cut, x = self.sub.solve(b)
        self.state.seconds_sub += time.perf_counter() - started
        self.state.iterations += 1
        integral = bool(np.all(np.abs(b - np.round(b)) < 1e-9))
        if x is not None and integral and self.master_feasible(b):
            total = float(self.fixed_cost @ b) + cut.value
            if total < self.state.best:
                self.state.best, self.state.best_b, self.state.best_x = total, b.copy(), x
        return cut

    def try_plan(self, b: np.ndarray) -> None:
        """Evaluate an integer plan (a possible incumbent) when the master's rows allow it;
        its cut is kept when it cuts anything (it is valid everywhere)."""
        key = b.tobytes()
        if key in self.tried or not self.master_feasible(b):
            return
        self.tried.add(key)
        cut = self.evaluate(b)
        self.state.cuts.append(cut)

    def master_feasible(self, b: np.ndarray) -> bool:
        m = self.master
        if m is None:
            return False
        act = m.rows @ b
        tol = 1e-9 * (1 + np.abs(act))
        return bool(
            np.all(act >= m.row_lower - tol)
            and np.all(act <= m.row_upper + tol)
            and np.all(b >= m.col_lower[:-1] - 1e-9)
            and np.all(b <= m.col_upper[:-1] + 1e-9)
        )

    def add(self, cut: Cut, b: np.ndarray, theta: float) -> bool:
        scale = 1e-7 * max(1.0, abs(theta), abs(cut.value))
        if _violation(cut, b, theta) > scale:
            self.state.cuts.append(cut)
            return True
        return False

    def start_up(self) -> bool:
        """The subproblem with every candidate open that may be (the most relaxed flows):
        its value bounds :math:`\\theta`; False when it is infeasible (so is the model)."""
        b_hi = self.split.form.col_upper[self.split.b_cols]
        self.b_core = b_hi.astype(float).copy()
        cut, _ = self.sub.solve(self.b_core)
        if not cut.feasible:
            return False
        self.master = _Master(self.split, cut.value - 1e-9 * abs(cut.value))
        self.state.cuts.append(cut)
        if self.master_feasible(self.b_core):  # the all-open plan may be the first incumbent
            self.evaluate(self.b_core)
        return True

    def master_options(self, integer: bool) -> SolveOptions:
        left = self.deadline - time.perf_counter()
        limit = None if not math.isfinite(left) else max(left, 0.05)
        gap = self.master_gap if integer else 0.0
        return replace(self.options, time_limit=limit, mip_rel_gap=gap, deadline=None)

    def lp_phase(self) -> None:
        """Cuts on the LP master, in-out stabilised (module docstring, step 1)."""
        assert self.master is not None
        lam = self.settings.stabilisation
        b_in = self.b_core
        stalls = rounds = 0
        history: list[float] = []
        for _round in range(self.settings.lp_rounds):
            if self.out_of_time():
                return
            started = time.perf_counter()
            h = self.master.highs(self.state.cuts, False, self.master_options(False))
            h.run()
            self.state.seconds_master += time.perf_counter() - started
            if h.getModelStatus().name != "kOptimal":
                return
            solution = h.getSolution()
            point = np.asarray(solution.col_value)
            b_out, theta = point[:-1], float(point[-1])
            lp_bound = float(h.getInfo().objective_function_value)
            self.state.lp_bound = lp_bound
            self.last_lp = (lp_bound, b_out.copy(), np.asarray(solution.col_dual)[:-1].copy())
            self.state.bound = max(self.state.bound, lp_bound)
            b_sep = lam * b_out + (1 - lam) * b_in
            cut = self.evaluate(b_sep)
            added = self.add(cut, b_out, theta)
            if not added:
                cut = self.evaluate(b_out)
                added = self.add(cut, b_out, theta)
                if cut.feasible:
                    upper = float(self.fixed_cost @ b_out) + cut.value
                    if upper - lp_bound <= self.settings.lp_tolerance * max(1.0, abs(upper)):
                        return
            b_in = 0.5 * (b_in + b_out)
            rounds += 1  # noqa: SIM113 (not every round gets here)
            if rounds & (rounds - 1) == 0:  # rounds 1, 2, 4, 8 ...: a rounded plan
                self.try_plan((b_out > 0.5).astype(float))
            stalls = 0 if added else stalls + 1
            self.report()
            history.append(lp_bound)
            slow = len(history) > 10 and history[-1] - history[-11] < (
                self.settings.lp_stall * max(1.0, abs(lp_bound))
            )
            if stalls >= 2 or slow:
                return

    def milp_phase(self) -> None:
        """The MILP master re-solved with the cuts (module docstring, step 2)."""
        assert self.master is not None
        import highspy

        n_b = self.master.n_b
        while not self.out_of_time():
            if self.settings.reduced_cost_fixing:
                self.state.fixed += self.fix_by_reduced_costs()
            options = self.master_options(True)
            h = self.master.highs(self.state.cuts, True, options)
            if self.state.best_b is not None:
                theta = self.state.best - float(self.fixed_cost @ self.state.best_b)
                h.setSolution(highspy.HighsSolution())  # cleared, then the incumbent
                sol = highspy.HighsSolution()
                sol.col_value = list(np.r_[self.state.best_b, theta])
                sol.value_valid = True
                h.setSolution(sol)
            found: list[np.ndarray] = []
            h.cbMipImprovingSolution.subscribe(_collector(found))
            started = time.perf_counter()
            watch, _ = wait_highs(h, options, lambda _s: self.report())
            self.state.seconds_master += time.perf_counter() - started
            self.state.masters += 1
            info = h.getInfo()
            status = h.getModelStatus().name
            if status == "kInfeasible":
                self.state.bound = INF
                return
            if math.isfinite(info.mip_dual_bound):
                self.state.bound = max(self.state.bound, float(info.mip_dual_bound))
            if info.primal_solution_status == 2:
                found.append(np.asarray(h.getSolution().col_value, dtype=float))
            if watch.interrupted or status != "kOptimal":
                if watch.interrupted:
                    self.stopped = "interrupted"
                elif status == "kTimeLimit":
                    self.stopped = "time limit reached"
                self.state.bound = min(self.state.bound, self.state.best)
                return
            added = False
            seen: set[bytes] = set()
            for point in reversed(found):
                b = np.round(point[:n_b])
                key = b.tobytes()
                if key in seen:
                    continue
                seen.add(key)
                cut = self.evaluate(b)
                added |= self.add(cut, b, float(point[n_b]))
            self.state.bound = min(self.state.bound, self.state.best)
            self.report()
            if not added and self.master_gap > self.options.mip_rel_gap:
                self.master_gap = self.options.mip_rel_gap  # now to the gap asked
            elif not added:  # the master's optimum is priced right: solved to its gap
                self.proven = True
            if self.closed():
                return

    def fix_by_reduced_costs(self) -> int:
        r"""Fix builds by the last LP master's reduced costs (module docstring, end of step 1).

        With :math:`z_{LP}` the LP master's bound and :math:`d_j` the reduced cost of build
        :math:`j` at a bound of its LP solution, every plan that moves :math:`b_j` off that
        bound costs at least :math:`z_{LP} + |d_j|` (LP duality; the LP master with its cuts
        relaxes the model). When that exceeds the incumbent's cost, no plan better than the
        incumbent moves it: :math:`b_j` is fixed at its bound in the MILP masters.

        Returns
        -------
        int
            Builds newly fixed.
        """
        if self.last_lp is None or self.master is None or not math.isfinite(self.state.best):
            return 0
        lp_bound, point, reduced = self.last_lp
        m = self.master
        lower, upper = m.col_lower[:-1], m.col_upper[:-1]
        free = lower < upper
        margin = self.state.best - lp_bound + 1e-9 * max(1.0, abs(self.state.best))
        to_zero = free & (point <= 1e-9) & (reduced > margin)
        to_one = free & (point >= 1 - 1e-9) & (-reduced > margin)
        upper[to_zero] = 0.0
        lower[to_one] = 1.0
        return int(to_zero.sum() + to_one.sum())

    def closed(self) -> bool:
        """Whether the incumbent is proven within the gap (or the master proved it)."""
        gap = mip_gap(self.state.best, self.state.bound)
        return self.proven or (gap is not None and gap <= self.options.mip_rel_gap + 1e-12)


def _collector(found: list[np.ndarray]) -> Callable[[Any], None]:
    """A callback appending each improving solution of a master to ``found``."""

    def keep(event: Any) -> None:
        found.append(np.asarray(event.data_out.mip_solution, dtype=float).copy())

    return keep


def solve_benders(
    d: ModelData,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None = None,
    settings: BendersSettings | None = None,
) -> Solution:
    """Solve the model of ``d`` by Benders decomposition (module docstring).

    Parameters
    ----------
    d : ModelData
        The model's data (single-year, no link binaries: :func:`benders_refusal`).
    options : SolveOptions
        Time limit, deadline, ``mip_rel_gap`` (the loop stops when the incumbent is that
        close to the bound), threads.
    on_progress : callable or None
        Called with a :class:`~symbiosis.solve.highs.Progress` (incumbent, bound, gap of the
        whole problem) after each round and while a master runs.
    settings : BendersSettings or None
        The loop's settings (defaults if None).

    Returns
    -------
    Solution
        ``optimal`` when the gap is reached, ``feasible`` with the incumbent when stopped by
        the time limit or a signal, ``infeasible`` or ``no_solution``; values from the final
        flows' LP at the incumbent's builds.

    Raises
    ------
    ValueError
        The model cannot be solved by this method (:func:`benders_refusal`).
    """
    refusal = benders_refusal(d)
    if refusal is not None:
        raise ValueError(refusal)
    started = time.perf_counter()
    form, target_rows = _form_with_targets(d)
    split = split_form(form)
    loop = _Loop(split, options, on_progress, settings or BendersSettings())
    with interrupt.handle_signals(), interrupt.deferred():
        feasible = loop.start_up()
        if feasible:
            loop.lp_phase()
            if not loop.closed():
                loop.milp_phase()
    solution = _solution(loop, feasible, time.perf_counter() - started)
    if solution.has_solution and loop.state.best_b is not None:
        solution.row_duals = target_duals(loop, d, target_rows)
    return solution


def _form_with_targets(d: ModelData) -> tuple[DirectForm, list[int]]:
    """:func:`~symbiosis.milp.direct.direct_form` with both valid inequalities, and the
    row of each target (in ``d.targets`` order)."""
    f = DirectModel()
    target_rows: list[int] = []
    for step in BUILD_STEPS:
        before = f.n_row
        step(f, d)
        if step is add_targets:
            target_rows = list(range(before, f.n_row))
    add_valid_inequalities(f, d, ReduceOptions(facility_links=True, target_cover=True))
    return f.form(len(d.targets)), target_rows


def target_duals(loop: _Loop, d: ModelData, target_rows: list[int]) -> dict[str, float]:
    """The target rows' duals in the flows' LP at the incumbent's builds: the targets'
    shadow prices with the portfolio fixed (:mod:`symbiosis.solve.shadow`), from the same LP
    the run's values come from.

    Parameters
    ----------
    loop : _Loop
        The finished loop (its incumbent and subproblem).
    d : ModelData
        The model's data (its targets, in the order of ``target_rows``).
    target_rows : list[int]
        The row of each target in the model's form.

    Returns
    -------
    dict[str, float]
        ``target[<name>]`` -> dual (CNY per unit), for the targets whose row is in the LP.
    """
    assert loop.state.best_b is not None
    sub = loop.sub
    sub.solve(loop.state.best_b)
    duals = np.asarray(sub.h.getSolution().row_dual, dtype=float)
    position = {int(r): i for i, r in enumerate(loop.split.sub_rows.tolist())}
    out = {}
    for spec, row in zip(d.targets, target_rows, strict=True):
        if row in position:
            out[f"target[{spec.name}]"] = float(duals[position[row]])
    return out


def _solution(loop: _Loop, feasible: bool, seconds: float) -> Solution:
    s, split = loop.state, loop.split
    form = split.form
    size = {
        "columns": int(form.matrix.shape[1]),
        "rows": int(form.matrix.shape[0]),
        "integer_columns": len(split.b_cols),
    }
    timings = {"solve": seconds, "benders_sub": s.seconds_sub, "benders_master": s.seconds_master}
    interrupted = interrupt.requested() is not None or loop.stopped == "interrupted"
    if not feasible or (s.best_b is None and math.isinf(s.bound) and s.bound > 0):
        return Solution(
            "infeasible",
            "Infeasible (benders)",
            None,
            None,
            None,
            {},
            {},
            timings,
            interrupted,
            size,
        )
    if s.best_b is None or s.best_x is None:
        why = loop.stopped or "no solution"
        return Solution(
            "no_solution", f"{why} (benders)", None, None, None, {}, {}, timings, interrupted, size
        )
    col = np.zeros(form.matrix.shape[1])
    col[split.b_cols] = s.best_b
    col[split.s_cols] = s.best_x
    objective = float(form.cost @ col) + float(form.offset)
    # no bound yet (stopped before the first master or LP phase): none is reported, rather
    # than -inf, which is not JSON
    bound: float | None = min(s.bound, objective) if math.isfinite(s.bound) else None
    gap = mip_gap(objective, bound)
    optimal = loop.closed()
    status = "optimal" if optimal else "feasible"
    text = (
        f"Optimal (benders: {s.iterations} flow LPs, {len(s.cuts)} cuts, {s.masters} master "
        f"MILPs, {s.fixed} builds fixed by reduced costs)"
        if optimal
        else f"{(loop.stopped or 'stopped').capitalize()} (benders); the incumbent is kept"
    )
    return Solution(
        status=status,
        highs_status=text,
        objective=objective,
        bound=bound,
        mip_gap=gap if gap is not None else None,
        values=form.split(col),
        row_duals={},
        timings=timings,
        interrupted=interrupted,
        size=size,
    )


__all__ = [
    "AUTO_ARCS_PER_BUILD",
    "AUTO_MIN_ARCS",
    "BendersSettings",
    "Cut",
    "Split",
    "Subproblem",
    "auto_method",
    "benders_refusal",
    "benders_shape",
    "solve_benders",
    "split_form",
    "target_duals",
]
