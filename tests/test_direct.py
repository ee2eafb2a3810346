"""symbiosis.milp.direct: the numpy-built matrix is exactly the Pyomo model's, compiled, with
and without the valid inequalities (so the warm start solves the model's own relaxation, and
the benchmarks' "straight to HiGHS" is the same model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import TINY

from symbiosis.case import load_case
from symbiosis.generate import generate_case
from symbiosis.milp import build_model, build_model_data
from symbiosis.milp.direct import direct_form
from symbiosis.milp.valid import add_facility_links, add_target_cover
from symbiosis.network import build_arcs
from symbiosis.scenario import load_scenario
from symbiosis.solve.compile import standard_form

SCENARIOS = sorted(TINY.parent.glob("*/*.yaml"))
VARIANTS = [(False, False), (True, False), (False, True), (True, True)]


def check_direct(scenario_path: Path, facility_links: bool, target_cover: bool) -> None:
    scenario = load_scenario(scenario_path)
    case = load_case(scenario.case)
    d = build_model_data(case, build_arcs(case), scenario)
    if d.fixed_build:
        pytest.skip("force_build / forbid: the direct form keeps those columns (fixed by bounds)")
    if (d.multi_year or d.has_chains) and (facility_links or target_cover):
        pytest.skip("the valid inequalities are for the single-period model without chains")
    steps = [
        s
        for s, on in ((add_facility_links, facility_links), (add_target_cover, target_cover))
        if on
    ]
    m = build_model(d, steps)  # kept alive: variable names need their model
    fast = standard_form(m)
    direct = direct_form(d, facility_links=facility_links, target_cover=target_cover)
    # Align the direct form's columns (named like Pyomo's variables) with the compiled ones.
    position = {name: j for j, name in enumerate(direct.columns)}
    perm = np.array([position[v.name] for v in fast.columns], dtype=np.int64)
    assert direct.matrix.shape == fast.matrix.shape
    if fast.matrix.nnz:
        assert abs(direct.matrix[:, perm] - fast.matrix).max() == 0
    np.testing.assert_array_equal(direct.cost[perm], fast.cost)
    assert direct.offset == fast.offset
    np.testing.assert_array_equal(direct.row_lower, fast.row_lower)
    np.testing.assert_array_equal(direct.row_upper, fast.row_upper)
    np.testing.assert_array_equal(direct.col_lower[perm], fast.col_lower)
    np.testing.assert_array_equal(direct.col_upper[perm], fast.col_upper)
    np.testing.assert_array_equal(direct.integer[perm], fast.integer)
    # split() gives every array in ModelData order, whatever the blocks hold
    parts = direct.split(np.arange(len(direct.columns), dtype=float))
    assert len(parts["x"]) == d.n_arcs and len(parts["y"]) == len(d.link_arcs)
    assert len(parts["b"]) == len(d.candidates) and len(parts["w"]) == d.n_supply
    assert len(parts["shortfall"]) == len(d.targets)
    assert [direct.columns[int(j)] for j in parts["x"][:3]] == [
        f"x[{a}]" for a in range(min(3, d.n_arcs))
    ]


@pytest.mark.parametrize("links,cover", VARIANTS, ids=lambda v: str(v))
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_direct_is_the_same_matrix(path: Path, links: bool, cover: bool) -> None:
    try:
        load_scenario(path)
    except Exception as exc:
        pytest.skip(f"not a plain run scenario: {exc}")
    check_direct(path, links, cover)


@pytest.mark.parametrize("links,cover", VARIANTS, ids=lambda v: str(v))
def test_direct_form_of_a_generated_case(tmp_path: Path, links: bool, cover: bool) -> None:
    check_direct(generate_case(tmp_path, 40, seed=5).scenario, links, cover)


def test_solve_form_finds_the_hand_solved_optimum() -> None:
    """The tiny case solved from its direct form: EXPECTED.md's optimum, arrays in ModelData
    order (the same flows as the Pyomo path)."""
    from symbiosis.milp import build_model
    from symbiosis.options import SolveOptions
    from symbiosis.solve.highs import solve_form, solve_model

    scenario = load_scenario(TINY / "scenario.yaml")
    case = load_case(scenario.case)
    d = build_model_data(case, build_arcs(case), scenario)
    direct = solve_form(direct_form(d), SolveOptions(threads=1))
    assert direct.status == "optimal"
    assert direct.objective == pytest.approx(14_049_529.12, rel=1e-9)
    via_pyomo = solve_model(build_model(d), SolveOptions(threads=1))
    for name in ("x", "y", "b", "w"):
        np.testing.assert_allclose(direct.values[name], via_pyomo.values[name], atol=1e-6)
    # a first solution handed in is used: the optimum itself, with no search left to do
    bare = SolveOptions(
        threads=1, highs={"mip_max_nodes": 0, "mip_heuristic_effort": 0.0, "presolve": "off"}
    )
    assert not solve_form(direct_form(d), bare).has_solution
    started = solve_form(direct_form(d), bare, initial_values=via_pyomo.values)
    assert started.objective == pytest.approx(14_049_529.12, rel=1e-9)


def test_hardness_benchmark_brackets_the_optimum() -> None:
    """benchmarks.hardness on a small case: relaxing the links gives a lower bound, fixing the
    builds at the optimum's gives the optimum back (both solved to the gap)."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT))
    from benchmarks.hardness import measure

    _, rows = measure(20, 1, 60.0)
    full, relaxed, fixed = rows
    assert full["status"] == "Optimal"
    assert relaxed["objective"] <= full["objective"] * (1 + 1e-4)
    assert relaxed["objective"] < full["objective"]  # the links' LP is weaker
    assert fixed["objective"] == pytest.approx(full["objective"], rel=2e-4)


@pytest.mark.parametrize(("sources", "seed"), [(12, 1), (14, 2), (16, 3)])
def test_hardness_benchmark_more_variants_are_exact(sources: int, seed: int) -> None:
    """benchmarks.hardness --more: the full model handed its best solution and the Benders
    loop with the link binaries in its master both return the full model's optimum (the
    latter is measured as a method for models with link binaries, issue 15)."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT))
    from benchmarks.hardness import measure

    _, rows = measure(sources, seed, 60.0, more=True)
    by = {r["variant"]: r for r in rows}
    full = by["full"]
    assert full["status"] == "Optimal"
    assert by["full, its best solution given"]["objective"] == pytest.approx(
        full["objective"], rel=1e-4
    )
    links_master = by["benders, links in the master"]
    assert links_master["status"].startswith("Optimal")
    assert links_master["objective"] == pytest.approx(full["objective"], rel=1e-4)
    assert links_master["bound"] <= full["objective"] * (1 + 1e-9)


def _families(module: object) -> dict[str, object]:
    """The ``add_*`` functions a module defines (not the ones it imports)."""
    name = getattr(module, "__name__", "")
    return {
        key: value
        for key, value in vars(module).items()
        if key.startswith("add_") and callable(value) and value.__module__ == name
    }


def test_every_family_has_its_numpy_twin() -> None:
    """Each constraint family of the Pyomo model (milp/model.py's ``add_*`` build steps and
    milp/valid.py's valid inequalities) has a function of the same name in milp/direct.py,
    and both builders run them in the same order: a family added to one file alone fails."""
    from symbiosis.milp import direct, model, valid
    from symbiosis.options import ReduceOptions

    twins = _families(direct)
    for module in (model, valid):
        missing = sorted(set(_families(module)) - set(twins))
        assert not missing, f"{module.__name__} families with no twin in milp/direct.py: {missing}"
    extra = sorted(set(twins) - set(_families(model)) - set(_families(valid)))
    assert not extra, f"milp/direct.py families with no Pyomo twin: {extra}"
    assert [s.__name__ for s in direct.BUILD_STEPS] == [s.__name__ for s in model.BUILD_STEPS]
    for links, cover in VARIANTS:
        options = ReduceOptions(facility_links=links, target_cover=cover)
        assert [s.__name__ for s in direct.strengthening_steps(options)] == [
            s.__name__ for s in valid.strengthening_steps(options)
        ]
