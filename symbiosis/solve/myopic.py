"""Myopic foresight (``foresight: myopic``, ``symbiosis run --myopic``): a multi-year scenario
solved year by year, each year's builds chosen without knowing the years after it.

For year :math:`t_j` of the horizon, the model of the years :math:`t_0 .. t_j`
(:func:`symbiosis.milp.horizon.expand_years` on that prefix) is solved with every decision
of the earlier years that ties the years together fixed at the value chosen before: the
build options :math:`b_{(f, y)}`, :math:`y < t_j`, and the draw on each stock (through
:math:`w` of the stock rows' earlier copies). Year :math:`t_j`'s options are priced over
the prefix only (one year of annuity), so each step minimises the cost of its own year
given the past, the convention of PyPSA's myopic foresight. The last step is the model of
the whole horizon: its solution is the run's answer and its objective the discounted
cost of the whole horizon, directly comparable with perfect foresight's (never lower).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from symbiosis.case import Case
from symbiosis.milp.data import ModelData
from symbiosis.milp.horizon import expand_years
from symbiosis.milp.model import ExtraConstraints, build_model
from symbiosis.options import SolveOptions
from symbiosis.scenario import Scenario
from symbiosis.solve.highs import Progress, Solution, solve_model


@dataclass
class MyopicStep:
    """One year of a myopic solve.

    Attributes
    ----------
    year : int
        The year decided.
    status : str
        The solve's status.
    objective : float or None
        The discounted cost of the years up to this one.
    built : list[str]
        The candidates built in this year.
    """

    year: int
    status: str
    objective: float | None
    built: list[str]


def _fix_past(m: pyo.ConcreteModel, prev: ModelData, values: dict[str, np.ndarray]) -> None:
    """Fix, in model ``m`` of a longer prefix, the builds and stock draws of ``prev``'s
    years at the values ``values`` of ``prev``'s solution (copies are year-major, so the
    earlier years' copies keep their positions)."""
    for position, c in enumerate(prev.candidates.tolist()):
        m.b[c].fix(float(round(values["b"][position])))
    ws = list(m.w.values())
    for copies in prev.stock_rows:
        for r in copies.tolist():
            ws[r].fix(max(0.0, float(values["w"][r])))


def solve_myopic(
    case: Case,
    arcs: pd.DataFrame,
    scenario: Scenario,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None = None,
    extra_constraints: Sequence[ExtraConstraints] = (),
) -> tuple[pyo.ConcreteModel, Solution, list[MyopicStep]]:
    """Solve a multi-year scenario with myopic foresight (module docstring).

    Parameters
    ----------
    case : Case
        The checked case (after overrides).
    arcs : pandas.DataFrame
        Its candidate arcs.
    scenario : Scenario
        A scenario with ``years``.
    options : SolveOptions
        Gap, time limit and deadline (shared by all the steps), threads, HiGHS options.
    on_progress : callable or None
        Receives the HiGHS progress of each step.
    extra_constraints : sequence of callables
        Hooks added to each step's model (:func:`~symbiosis.milp.model.build_model`).

    Returns
    -------
    model : pyomo.environ.ConcreteModel
        The last step's model (the whole horizon, past decisions fixed).
    solution : Solution
        Its solution: the run's answer (or the first step that found none).
    steps : list[MyopicStep]
        One per year solved.
    """
    years = list(scenario.years or [])
    names = case.facilities["facility"].to_numpy()
    prev: tuple[ModelData, dict[str, np.ndarray]] | None = None
    steps: list[MyopicStep] = []
    model: pyo.ConcreteModel | None = None
    solution: Solution | None = None
    for j, year in enumerate(years):
        data = expand_years(case, arcs, scenario.model_copy(update={"years": years[: j + 1]}))
        model = build_model(data, extra_constraints)
        if prev is not None:
            _fix_past(model, *prev)
        solution = solve_model(model, options, on_progress=on_progress)
        built: list[str] = []
        if solution.has_solution:
            b = np.round(solution.values["b"]).astype(bool)
            now = data.candidates[b & (data.facility_year[data.candidates] == j)]
            built = sorted(names[data.facility_base[now]].tolist())
        steps.append(MyopicStep(year, solution.status, solution.objective, built))
        if not solution.has_solution or solution.interrupted:
            break
        prev = (data, solution.values)
    assert model is not None and solution is not None
    return model, solution, steps


__all__ = ["MyopicStep", "solve_myopic"]
