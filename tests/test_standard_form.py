"""symbiosis.solve.compile: the fast compile gives exactly Pyomo's standard form."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from conftest import TINY
from pyomo.common.errors import InfeasibleConstraintException

from symbiosis.case import load_case
from symbiosis.generate import generate_case
from symbiosis.milp import build_model, build_model_data
from symbiosis.milp.form import StandardForm
from symbiosis.network import build_arcs
from symbiosis.scenario import load_scenario
from symbiosis.solve.compile import pyomo_standard_form, standard_form
from symbiosis.solve.highs import compile_model, solve_model


def assert_same(a: StandardForm, b: StandardForm) -> None:
    assert [id(v) for v in a.columns] == [id(v) for v in b.columns]
    assert [r.constraint for r in a.rows] == [r.constraint for r in b.rows]
    assert a.matrix.shape == b.matrix.shape
    assert abs(a.matrix - b.matrix).max() == 0 if a.matrix.nnz else b.matrix.nnz == 0
    np.testing.assert_array_equal(a.cost, b.cost)
    assert a.offset == pytest.approx(b.offset, rel=1e-15)
    np.testing.assert_array_equal(a.row_lower, b.row_lower)
    np.testing.assert_array_equal(a.row_upper, b.row_upper)
    np.testing.assert_array_equal(a.col_lower, b.col_lower)
    np.testing.assert_array_equal(a.col_upper, b.col_upper)
    np.testing.assert_array_equal(a.integer, b.integer)


def model_of(scenario_path: Path) -> pyo.ConcreteModel:
    scenario = load_scenario(scenario_path)
    case = load_case(scenario.case)
    return build_model(build_model_data(case, build_arcs(case), scenario))


def test_tiny_model_same_as_pyomo() -> None:
    m = model_of(TINY / "scenario.yaml")
    assert_same(standard_form(m), pyomo_standard_form(m))


def test_generated_model_same_as_pyomo(tmp_path: Path) -> None:
    gen = generate_case(tmp_path, 40, seed=3)
    m = model_of(gen.scenario)
    fast = standard_form(m)
    assert_same(fast, pyomo_standard_form(m))
    assert fast.matrix.shape[1] == gen.n_columns


def test_tiny_through_compile_model_gives_the_worked_optimum() -> None:
    """EXPECTED.md: 14,049,529.12 CNY/yr, with both compilers."""
    m = model_of(TINY / "scenario.yaml")
    assert solve_model(m).objective == pytest.approx(14_049_529.12, abs=0.01)
    compiled = compile_model(m, compiler="pyomo")
    compiled.highs.run()
    assert compiled.highs.getInfo().objective_function_value == pytest.approx(
        14_049_529.12, abs=0.01
    )


def hand_model() -> pyo.ConcreteModel:
    """max 3x + 2y + 5 (+ 0*u) with
    c1: x + y <= 4;  c2: 1 <= x - 2y + z_fixed(=1) <= 6 (ranged);  c3: x == y + p (p=1, a
    mutable Param, variables on both sides);  c4: y >= 0.5*p;  c5: 2 >= 1 (constant, kept out);
    plus an unused variable u that must not become a column.
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(None, 3))
    m.z = pyo.Var(initialize=1.0)
    m.z.fix()
    m.u = pyo.Var()
    m.p = pyo.Param(initialize=1.0, mutable=True)
    m.obj = pyo.Objective(expr=3 * m.x + 2 * m.y + 5 + 0 * m.u, sense=pyo.maximize)
    m.c1 = pyo.Constraint(expr=m.x + m.y <= 4)
    m.c2 = pyo.Constraint(expr=pyo.inequality(1, m.x - 2 * m.y + m.z, 6))
    m.c3 = pyo.Constraint(expr=m.x == m.y + m.p)
    m.c4 = pyo.Constraint(expr=m.y >= 0.5 * m.p)
    m.c5 = pyo.Constraint(expr=pyo.inequality(None, 2 * m.z, 3))
    return m


def test_hand_model_matrix() -> None:
    """Columns x, y (z fixed, u unused). Minimising form: cost (-3, -2), offset -5.
    Rows: c1 x + y in (-inf, 4]; c2 x - 2y in [1 - 1, 6 - 1] (z = 1 moved to the bounds, one
    ranged row); c3 x - y = 1; c4 y >= 0.5. The optimum: x = y + 1, x + y <= 4 gives
    y <= 1.5, y integer and >= 0.5 gives y = 1, x = 2 (c2: 2 - 2 = 0 in [0, 5]); 6 + 2 + 5 = 13.
    """
    m = hand_model()
    form = standard_form(m)
    assert [v.name for v in form.columns] == ["x", "y"]
    assert [r.constraint.name for r in form.rows] == ["c1", "c2", "c3", "c4"]
    assert [r.bound_type for r in form.rows] == [1, 2, 0, -1]
    np.testing.assert_array_equal(form.cost, [-3.0, -2.0])
    assert form.offset == -5.0
    np.testing.assert_array_equal(form.matrix.toarray(), [[1, 1], [1, -2], [1, -1], [0, 1]])
    np.testing.assert_array_equal(form.row_lower, [-math.inf, 0.0, 1.0, 0.5])
    np.testing.assert_array_equal(form.row_upper, [4.0, 5.0, 1.0, math.inf])
    np.testing.assert_array_equal(form.col_lower, [0.0, 0.0])
    np.testing.assert_array_equal(form.col_upper, [10.0, 3.0])
    np.testing.assert_array_equal(form.integer, [False, True])
    compiled = compile_model(m)
    compiled.highs.run()
    # HiGHS minimises -(3x + 2y + 5): -13 at x = 2, y = 1.
    assert compiled.highs.getInfo().objective_function_value == pytest.approx(-13.0)
    np.testing.assert_allclose(compiled.highs.getSolution().col_value, [2.0, 1.0])


def test_mutable_param_value_is_read_at_compile_time() -> None:
    m = hand_model()
    m.p = 2.0
    form = standard_form(m)
    assert form.row_lower[2] == form.row_upper[2] == 2.0
    assert form.row_lower[3] == 1.0


def test_constant_infeasible_constraint_raises() -> None:
    m = hand_model()
    m.c6 = pyo.Constraint(expr=pyo.inequality(None, 2 * m.z, 1))
    with pytest.raises(InfeasibleConstraintException, match="c6"):
        standard_form(m)


def test_nonlinear_raises() -> None:
    m = hand_model()
    m.c7 = pyo.Constraint(expr=m.x * m.y <= 3)
    with pytest.raises(ValueError, match="not a linear expression"):
        standard_form(m)


def test_two_objectives_raise() -> None:
    m = hand_model()
    m.obj2 = pyo.Objective(expr=m.x)
    with pytest.raises(ValueError, match="2 active objectives"):
        standard_form(m)


SCENARIOS = sorted((TINY.parent).glob("*/*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_test_case_same_as_pyomo(path: Path) -> None:
    """Every bundled test scenario (soft targets, groups, limits, heat, rail, ...)."""
    try:
        m = model_of(path)
    except Exception as exc:  # a scenario written for another command's keys
        pytest.skip(f"not a plain run scenario: {exc}")
    assert_same(standard_form(m), pyomo_standard_form(m))


def test_odd_terms_inside_a_linear_expression() -> None:
    """A LinearExpression holding a Param coefficient, a fixed variable, a constant and a
    nested sum: 2x + y + 3z(=1, fixed) + 4 + (x - y) <= 10, i.e. 3x <= 10 - 3 - 4 = 3."""
    from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.y = pyo.Var(bounds=(0, None))
    m.z = pyo.Var(initialize=1.0)
    m.z.fix()
    m.p = pyo.Param(initialize=2.0, mutable=True)
    body = LinearExpression(
        [
            MonomialTermExpression((m.p, m.x)),
            m.y,
            MonomialTermExpression((3.0, m.z)),
            4.0,
            m.x - m.y,
        ]
    )
    m.c = pyo.Constraint(expr=body <= 10)
    m.obj = pyo.Objective(expr=-m.x)
    form = standard_form(m)
    assert [v.name for v in form.columns] == ["x"]
    np.testing.assert_array_equal(form.matrix.toarray(), [[3.0]])
    np.testing.assert_array_equal(form.row_upper, [3.0])
    assert_same(form, pyomo_standard_form(m))
