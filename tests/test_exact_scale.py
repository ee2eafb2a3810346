"""benchmarks.exact_scale (issue 15's table): its instances and its table's cells."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks import exact_scale


def test_instances_end_with_generated_and_guizhou() -> None:
    names = exact_scale.names()
    assert names[-3:] == ["generated-300", "generated-1000", "guizhou-2025"]
    if (exact_scale.LARGE / "optima.csv").is_file():
        assert names[:12] == [f"cap{c}{i}" for c in "abc" for i in range(1, 5)]
    limits = {i.name: (i.time_limit, i.gap) for i in exact_scale.instances()}
    assert limits["generated-300"] == (300.0, 1e-4)
    assert limits["guizhou-2025"] == (600.0, 1e-4)


def test_table_cells() -> None:
    rows = [
        {
            "instance": "generated-300",
            "what": "symbiosis",
            "method": "direct",
            "status": "feasible",
            "objective": 864.9e6,
            "gap": 0.024,
            "seconds": 300.2,
            "published": None,
            "arcs": 13919,
            "binaries": 14003,
            "load": [1.0, 1.5],
        },
        {
            "instance": "guizhou-2025",
            "what": "highs",
            "status": "error",
            "why": "killed after 900 s",
        },
    ]
    text = exact_scale.table(rows)
    line = next(x for x in text.splitlines() if x.startswith("| generated-300 "))
    assert "| 13,919 | 14,003 | 300 s, 0.0001 | - | direct |" in line
    assert "feasible, 300.2 s, gap 2.40% (load 1.0-1.5) | not run |" in line
    guizhou = next(x for x in text.splitlines() if x.startswith("| guizhou-2025 "))
    assert "error (killed after 900 s)" in guizhou


@pytest.mark.parametrize("name", ["cap71", "cap101", "cap131"])
def test_lagrangian_bound_between_lp_bound_and_optimum(name: str, tmp_path: Path) -> None:
    """benchmarks.lagrangian: its bound is at most the published optimum and at least the
    strong LP bound (up to the subgradient's accuracy), and every warehouse it fixes has
    that value in the optimal plan (solved by symbiosis run)."""
    from benchmarks.lagrangian import fixings, lagrangian, lp_bound
    from symbiosis.orlib import published_optima, read_cap, write_case
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    orlib = ROOT / "benchmarks" / "orlib-cap"
    optimum = published_optima(orlib / "README.md")[name]
    inst = read_cap(orlib / f"{name}.txt")
    best, lam, _ = lagrangian(inst, optimum, 300)
    assert best.value <= optimum * (1 + 1e-9)
    assert best.value >= lp_bound(inst) * (1 - 1e-4)
    fixed = fixings(inst, best, lam, optimum)
    assert fixed
    outcome = run_scenario(load_scenario(write_case(inst, tmp_path / name)))
    assert outcome.solution is not None and outcome.solution.status == "optimal"
    plan = outcome.solution.values["b"]  # one candidate per warehouse, in file order
    for i, value in fixed.items():
        assert round(float(plan[i])) == value


def test_cover_knapsack_against_enumeration() -> None:
    import itertools

    import numpy as np

    from benchmarks.lagrangian import cover_knapsack

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 8))
        v, q, need = rng.normal(size=n), rng.integers(0, 10, size=n), int(rng.integers(0, 25))
        value, z = cover_knapsack(v, q, need)
        best = min(
            (
                float(np.array(bits) @ v)
                for bits in itertools.product([0, 1], repeat=n)
                if np.array(bits) @ q >= need
            ),
            default=float("inf"),
        )
        assert value == pytest.approx(best, abs=1e-9) if np.isfinite(best) else np.isinf(value)
        if np.isfinite(value):
            assert z @ q >= need and z @ v == pytest.approx(value, abs=1e-9)
