"""Model v2, years: metamorphic checks of the time-expanded model (symbiosis.milp.horizon)
against the single-period model as written, on the hand-solved cases and on generated ones.

* a one-year horizon has the v1 model's optimum;
* with every year the same (no growth, no stocks, every candidate's lifetime covering the
  horizon) the optimum is the sum of the discount factors times the single-year optimum;
* myopic foresight never costs less than perfect foresight;
* stock draws never exceed the stock;
* the direct numpy form is the Pyomo model, compiled (v2 families included).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symbiosis.case import load_case
from symbiosis.generate import generate_case
from symbiosis.milp import build_model, build_model_data
from symbiosis.milp.horizon import discount_factors, supply_by_year
from symbiosis.network import build_arcs
from symbiosis.options import SolveOptions
from symbiosis.scenario import Scenario, load_scenario
from symbiosis.solve.highs import Solution, solve_model
from symbiosis.solve.myopic import solve_myopic

ROOT = Path(__file__).resolve().parents[1]
V1_CASES = [
    p
    for p in sorted((ROOT / "tests" / "cases").rglob("*.yaml"))
    if "years" not in load_scenario(p).model_fields_set
]
EXACT = SolveOptions(mip_rel_gap=0.0, time_limit=120)


def _solve(scenario: Scenario) -> tuple[Solution, object]:
    case = load_case(scenario.case)
    data = build_model_data(case, build_arcs(case), scenario)
    solution = solve_model(build_model(data), EXACT)
    return solution, data


def _with_years(scenario: Scenario, years: list[int], **changes: object) -> Scenario:
    return scenario.model_copy(update={"years": years, **changes})


@pytest.mark.parametrize("path", V1_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_one_year_horizon_is_the_v1_model(path: Path) -> None:
    scenario = load_scenario(path)
    if scenario.overrides.force_build or scenario.overrides.forbid:
        pass  # options fixed by bounds: the same optimum either way
    v1, _ = _solve(scenario)
    v2, data = _solve(_with_years(scenario, [2026]))
    assert data.multi_year  # type: ignore[attr-defined]
    assert v2.status == v1.status
    if v1.has_solution:
        assert v2.objective == pytest.approx(v1.objective, rel=1e-9, abs=1e-6)


def _long_lived(tmp_path: Path, seed: int, n: int) -> Path:
    """A generated case whose candidates all outlive a 3-year horizon."""
    generated = generate_case(tmp_path / f"g{seed}", n, seed=seed)
    fac_file = generated.scenario.parent / "case" / "facilities.csv"
    fac = pd.read_csv(fac_file, dtype=str, keep_default_na=False)
    fac.loc[fac["status"] == "candidate", "lifetime"] = "20"
    fac.to_csv(fac_file, index=False)
    return generated.scenario


@pytest.mark.parametrize("rate", [0.0, 0.08])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_identical_years_cost_the_discounted_sum(tmp_path: Path, seed: int, rate: float) -> None:
    scenario = load_scenario(_long_lived(tmp_path, seed, 14)).model_copy(
        update={"discount_rate": rate}
    )
    single, _ = _solve(scenario)
    years = [2026, 2027, 2028]
    multi, _ = _solve(_with_years(scenario, years))
    assert single.status == multi.status == "optimal"
    factor = float(discount_factors(rate, years).sum())
    assert multi.objective == pytest.approx(factor * single.objective, rel=1e-7, abs=1e-4)


@pytest.mark.parametrize("path", V1_CASES[:12], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_identical_years_on_the_hand_solved_cases(path: Path) -> None:
    scenario = load_scenario(path)
    case = load_case(scenario.case)
    if (case.facilities["lifetime"].fillna(99) < 3).any():
        pytest.skip("a lifetime shorter than the horizon")
    single, _ = _solve(scenario)
    years = [2030, 2031, 2032]
    multi, _ = _solve(_with_years(scenario, years))
    assert multi.status == single.status
    if single.has_solution:
        factor = float(discount_factors(scenario.discount_rate, years).sum())
        assert multi.objective == pytest.approx(factor * single.objective, rel=1e-7, abs=1e-4)


def _growing(tmp_path: Path, seed: int) -> Scenario:
    """A generated case with growth, stocks and short lifetimes over four years."""
    path = _long_lived(tmp_path, seed, 12)
    case_dir = path.parent / "case"
    supply = pd.read_csv(case_dir / "supply.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    supply["growth"] = [f"{g:.3f}" for g in rng.uniform(-0.05, 0.15, len(supply))]
    amount = supply["amount"].astype(float)
    supply["stock"] = [
        f"{a * rng.uniform(0.3, 1.2):.0f}" if rng.random() < 0.5 else "" for a in amount
    ]
    supply.to_csv(case_dir / "supply.csv", index=False)
    fac = pd.read_csv(case_dir / "facilities.csv", dtype=str, keep_default_na=False)
    cand = fac["status"] == "candidate"
    fac.loc[cand, "lifetime"] = [str(int(v)) for v in rng.integers(2, 6, int(cand.sum()))]
    fac["available_from"] = ""
    first = rng.integers(2026, 2029, int(cand.sum()))
    fac.loc[cand, "available_from"] = [str(int(v)) for v in first]
    fac.to_csv(case_dir / "facilities.csv", index=False)
    scenario = load_scenario(path)
    total = scenario.target.total
    return scenario.model_copy(
        update={
            "years": [2026, 2027, 2028, 2029],
            "target": scenario.target.model_copy(
                update={
                    "total": None if total is None else 0.5 * float(total),
                    "streams": {},
                    "penalty": 5000.0,  # soft: early years may lack the plants
                }
            ),
        }
    )


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_stock_draws_never_exceed_the_stock(tmp_path: Path, seed: int) -> None:
    scenario = _growing(tmp_path, seed)
    case = load_case(scenario.case)
    solution, data = _solve(scenario)
    assert solution.has_solution
    x = solution.values["x"]
    drawn = np.bincount(data.arc_supply, weights=x, minlength=data.n_supply)  # type: ignore[attr-defined]
    assert data.stock_rows  # type: ignore[attr-defined]
    binding = 0
    for copies, stock in zip(data.stock_rows, data.stock_amount, strict=True):  # type: ignore[attr-defined]
        assert drawn[copies].sum() <= stock * (1 + 1e-9) + 1e-6
        binding += drawn[copies].sum() >= stock * (1 - 1e-9) - 1e-6
    assert binding  # the stocks matter: some are drawn to the end
    # each year's draw stays within the year's amount (growth applied)
    amounts = supply_by_year(case, scenario.years or []).reshape(-1)
    assert (drawn <= amounts * (1 + 1e-9) + 1e-6).all()


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_myopic_never_beats_perfect_foresight(tmp_path: Path, seed: int) -> None:
    scenario = _growing(tmp_path, seed)
    case = load_case(scenario.case)
    arcs = build_arcs(case)
    perfect, _ = _solve(scenario)
    _, myopic, steps = solve_myopic(case, arcs, scenario, EXACT)
    assert [s.year for s in steps] == scenario.years
    assert perfect.status == "optimal" and myopic.status == "optimal"
    assert myopic.objective >= perfect.objective - 1e-6 * max(1.0, abs(perfect.objective))


@pytest.mark.parametrize("seed", [7, 8])
def test_a_cheap_long_lived_project_is_not_deferred(tmp_path: Path, seed: int) -> None:
    """A candidate that costs nothing, lives past the horizon, is available from the first
    year and takes supply that would otherwise pay to be left unused is built in the first
    year (deferring it only loses that year's saving)."""
    path = _long_lived(tmp_path, seed, 10)
    case_dir = path.parent / "case"
    fac = pd.read_csv(case_dir / "facilities.csv", dtype=str, keep_default_na=False)
    inputs = pd.read_csv(case_dir / "facility_inputs.csv", dtype=str, keep_default_na=False)
    supply = pd.read_csv(case_dir / "supply.csv", dtype=str, keep_default_na=False)
    row = supply.iloc[0]
    free = fac.iloc[0].copy()
    free.update(
        {
            "facility": "free_line",
            "site": row["site"],
            "status": "candidate",
            "capacity": row["amount"],
            "capex": "0",
            "fixed_opex": "0",
            "lifetime": "50",
            "group": "",
        }
    )
    pd.concat([fac, free.to_frame().T]).to_csv(case_dir / "facilities.csv", index=False)
    line = inputs.iloc[0].copy()
    line.update(
        {
            "facility": "free_line",
            "stream": row["stream"],
            "max_share": "",
            "var_cost": "0",
            "value": "0",
            "co2": "0",
        }
    )
    pd.concat([inputs, line.to_frame().T]).to_csv(case_dir / "facility_inputs.csv", index=False)
    scenario = load_scenario(path)
    scenario = _with_years(
        scenario,
        [2026, 2027, 2028],
        target=scenario.target.model_copy(update={"total": None, "streams": {}}),
    )
    case = load_case(scenario.case)
    assert case.unused_cost()[0] > 0  # leaving the row unused costs something
    solution, data = _solve(scenario)
    names = case.facilities["facility"].to_numpy()
    chosen = data.candidates[np.round(solution.values["b"]).astype(bool)]  # type: ignore[attr-defined]
    years = {
        int(data.facility_year[c])  # type: ignore[attr-defined]
        for c in chosen
        if names[data.facility_base[c]] == "free_line"  # type: ignore[attr-defined]
    }
    assert years == {0}
