"""benchmarks.floor: the numpy-built matrix is exactly the model's (so its pass time is a
fair floor)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, TINY

from symbiosis.case import load_case
from symbiosis.generate import generate_case
from symbiosis.milp import build_model, build_model_data
from symbiosis.milp.standard_form import standard_form
from symbiosis.network import build_arcs
from symbiosis.scenario import load_scenario

sys.path.insert(0, str(ROOT))
from benchmarks.floor import floor_form

SCENARIOS = sorted(TINY.parent.glob("*/*.yaml"))


def check_floor(scenario_path: Path) -> None:
    scenario = load_scenario(scenario_path)
    case = load_case(scenario.case)
    d = build_model_data(case, build_arcs(case), scenario)
    if d.fixed_build:
        pytest.skip("force_build / forbid: the floor keeps those columns (fixed by bounds)")
    m = build_model(d)  # kept alive: variable names need their model
    fast = standard_form(m)
    floor = floor_form(d)
    # Align the floor's columns (named like Pyomo's variables) with the compiled ones.
    position = {name: j for j, name in enumerate(floor.columns)}
    perm = np.array([position[v.name] for v in fast.columns], dtype=np.int64)
    assert floor.matrix.shape == fast.matrix.shape
    assert abs(floor.matrix[:, perm] - fast.matrix).max() == 0 if fast.matrix.nnz else True
    np.testing.assert_array_equal(floor.cost[perm], fast.cost)
    assert floor.offset == fast.offset
    np.testing.assert_array_equal(floor.row_lower, fast.row_lower)
    np.testing.assert_array_equal(floor.row_upper, fast.row_upper)
    np.testing.assert_array_equal(floor.col_lower[perm], fast.col_lower)
    np.testing.assert_array_equal(floor.col_upper[perm], fast.col_upper)
    np.testing.assert_array_equal(floor.integer[perm], fast.integer)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_floor_is_the_same_matrix(path: Path) -> None:
    try:
        load_scenario(path)
    except Exception as exc:
        pytest.skip(f"not a plain run scenario: {exc}")
    check_floor(path)


def test_floor_of_a_generated_case(tmp_path: Path) -> None:
    check_floor(generate_case(tmp_path, 40, seed=5).scenario)
