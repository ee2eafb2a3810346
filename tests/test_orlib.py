"""OR-Library capacitated warehouse location (cap71-cap134): the external check.

Each instance is mapped onto the case format (symbiosis/orlib.py) and solved through the whole
pipeline; the optimum must equal the one published with the instances
(benchmarks/orlib-cap/README.md, from Beasley 1988 / OR-Library).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from symbiosis.case import InputError, load_case
from symbiosis.orlib import case_tables, large_instances, published_optima, read_cap, write_case
from symbiosis.runner import run_scenario
from symbiosis.scenario import load_scenario

ORLIB = ROOT / "benchmarks" / "orlib-cap"
OPTIMA = published_optima(ORLIB / "README.md")

SMALL = """2 3
10 0.
15 30.
5
10 50
10
20 40
5
50 10
"""


def solve(instance_path: Path, tmp_path: Path) -> tuple[float, list[str], object]:
    scenario = load_scenario(write_case(read_cap(instance_path), tmp_path / "run"))
    outcome = run_scenario(scenario)
    assert outcome.solution is not None
    assert outcome.solution.status == "optimal"
    return float(outcome.results.summary["objective"]), outcome.results.summary["built"], outcome


def test_published_table_has_all_twelve() -> None:
    assert len(OPTIMA) == 12
    assert OPTIMA["cap71"] == pytest.approx(932615.750)
    assert sorted(p.stem for p in ORLIB.glob("cap*.txt")) == sorted(OPTIMA)


def test_read_cap71() -> None:
    """The file's first numbers: 16 warehouses, 50 customers; warehouse 1 capacity 58268,
    fixed cost 7500; warehouse 11 fixed cost 0; customer 1 demand 146, cost 6739.725 to
    warehouse 1."""
    inst = read_cap(ORLIB / "cap71.txt")
    assert (inst.n_warehouses, inst.n_customers) == (16, 50)
    assert inst.capacity[0] == 58268 and inst.fixed_cost[0] == 7500
    assert inst.fixed_cost[10] == 0
    assert inst.demand[0] == 146
    assert inst.cost[0, 0] == pytest.approx(6739.725)
    assert inst.cost.shape == (50, 16)


def test_mapping_of_a_small_instance_by_hand(tmp_path: Path) -> None:
    """Two warehouses, three customers (file SMALL).

    W1: capacity 10, fixed cost 0; W2: capacity 15, fixed cost 30. Demands c1 5, c2 10, c3 5
    (total 20, more than either warehouse holds: both are needed). Cost per unit = cost of
    all demand / demand: c1 -> (W1 2, W2 10), c2 -> (2, 4), c3 -> (10, 2).
    c3 goes to W2 (5 x 2 = 10). c1 and c2 (15 units) share W1's 10 and W2's remaining 10;
    moving a unit to W2 costs c1 8 more and c2 only 2 more, so c1 goes to W1 (5 x 2 = 10),
    c2 sends 5 to W1 (10) and 5 to W2 (20). Allocation 10 + 10 + 20 + 10 = 50, fixed 0 + 30:
    the optimum is 80 with demand split.
    """
    path = tmp_path / "small.txt"
    path.write_text(SMALL, encoding="ascii")
    objective, built, outcome = solve(path, tmp_path)
    assert objective == pytest.approx(80.0, rel=1e-9)
    assert built == ["w1", "w2"]
    flows = outcome.results.flows  # type: ignore[attr-defined]
    shipped = {(r.from_site, r.facility): r.shipped for r in flows.itertuples(index=False)}
    assert shipped[("c2", "w1")] == pytest.approx(5.0)
    assert shipped[("c2", "w2")] == pytest.approx(5.0)
    assert shipped[("c1", "w1")] == pytest.approx(5.0)
    assert shipped[("c3", "w2")] == pytest.approx(5.0)


def test_case_is_a_valid_case_with_one_arc_per_pair(tmp_path: Path) -> None:
    inst = read_cap(ORLIB / "cap101.txt")
    write_case(inst, tmp_path)
    case = load_case(tmp_path / "case")
    assert len(case.facilities) == 25 and len(case.supply) == 50
    assert len(case.distances) == 25 * 50
    tables = case_tables(inst)
    assert (tables["facilities"]["status"] == "candidate").all()
    assert tables["distances"]["km"].iloc[0] == pytest.approx(inst.cost[0, 0] / inst.demand[0])


def test_bad_file_is_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("2 3\n10 0\n", encoding="ascii")
    with pytest.raises(InputError, match="2 \\+ 2m \\+ n\\(1 \\+ m\\)"):
        read_cap(path)


@pytest.mark.parametrize("name", ["cap71", "cap101", "cap131"])
def test_published_optimum(name: str, tmp_path: Path) -> None:
    """A few instances (one per set, a second or two each) in the fast suite."""
    objective, _, _ = solve(ORLIB / f"{name}.txt", tmp_path)
    assert objective == pytest.approx(OPTIMA[name], rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_published_optimum_all(name: str, tmp_path: Path) -> None:
    """All twelve instances (about 20 s together here)."""
    objective, _, _ = solve(ORLIB / f"{name}.txt", tmp_path)
    assert objective == pytest.approx(OPTIMA[name], rel=1e-6)


# --- the large instances capa, capb, capc (issue 15) ----------------------------------------

LARGE = ROOT.parent / "shared" / "benchmarks" / "orlib-large"
needs_large = pytest.mark.skipif(
    not (LARGE / "optima.csv").is_file(), reason=f"no large OR-Library files in {LARGE}"
)


@needs_large
def test_large_optima_table() -> None:
    """optima.csv: the 12 variants, the capacities and optima of the README's table."""
    entries = large_instances(LARGE)
    assert list(entries) == [f"cap{s}{k}" for s in "abc" for k in range(1, 5)]
    assert entries["capa1"].capacity == 8000 and entries["capc4"].capacity == 7250
    assert entries["capb4"].optimum == pytest.approx(13082516.496, abs=1e-3)
    assert entries["capa1"].original.name == "capa.txt"
    assert all(e.file.is_file() and e.original.is_file() for e in entries.values())


@needs_large
@pytest.mark.parametrize(("name", "total"), [("capa", 50886), ("capb", 51406), ("capc", 50937)])
def test_read_large_original_with_its_capacity(name: str, total: float) -> None:
    """The originals write the word 'capacity'; with the variant's number they read as the
    variant's file (sizes 100 x 1000, total demand as quoted in the README)."""
    entry = large_instances(LARGE)[f"{name}2"]
    original = read_cap(entry.original, capacity=entry.capacity)
    variant = read_cap(entry.file)
    assert (original.n_warehouses, original.n_customers) == (100, 1000)
    assert original.demand.sum() == pytest.approx(total)
    assert (original.capacity == entry.capacity).all()
    for field in ("capacity", "fixed_cost", "demand", "cost"):
        assert np.array_equal(getattr(original, field), getattr(variant, field))


@needs_large
def test_large_original_without_capacity_is_input_error() -> None:
    with pytest.raises(InputError, match="word 'capacity'"):
        read_cap(LARGE / "capa.txt")


@needs_large
def test_large_case_is_a_valid_case(tmp_path: Path) -> None:
    """capc1 written as a case: 100 candidates, 1000 supply rows, 100,000 distances."""
    entry = large_instances(LARGE)["capc1"]
    write_case(read_cap(entry.file), tmp_path)
    case = load_case(tmp_path / "case")
    assert len(case.facilities) == 100 and len(case.supply) == 1000
    assert len(case.distances) == 100_000
    assert float(case.supply["amount"].sum()) == pytest.approx(50937)


def test_optima_csv_bad_number_is_input_error(tmp_path: Path) -> None:
    (tmp_path / "optima.csv").write_text(
        "instance,file,original_file,capacity,ms_opt_capopt\ncapx1,x.txt,x.txt,lots,1.0\n",
        encoding="utf-8",
    )
    with pytest.raises(
        InputError, match="row 2, column 'capacity': not a number \\(value 'lots'\\)"
    ):
        large_instances(tmp_path)
