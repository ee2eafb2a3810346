"""Reductions, valid inequalities and warm start (symbiosis.milp.reduce) keep the optimum.

The hand-worked case below ("two streams, three modes") has one source S and one facility
site F, 20 km apart by every mode (distances.csv):

* slag: 100,000 t at S, disposal 30 CNY/t, counted toward the total target; F1 (existing,
  capacity 100,000 t) takes it at no processing cost or value;
* ash: 50,000 t at S, disposal 10 CNY/t, not counted; F2 (existing, 50,000 t) takes it;
* modes: road 5 + 0.5/km (15 CNY/t at 20 km), link 50,000; truck 6 + 0.5/km (16 CNY/t),
  link 60,000; rail 4 + 0.1/km (6 CNY/t), link 2,000,000.

Arcs (per stream, road/truck/rail; the most an arc can carry, M, is 100,000 t for slag and
50,000 t for ash):

* truck is dominated by road for both streams (dearer per tonne and per link);
* rail is dominated by road: at M, road costs 15 M + 50,000 and rail 6 M + 2,000,000
  (slag 1,550,000 <= 2,600,000; ash 800,000 <= 2,300,000);
* without an ash target, ash by road (15 CNY/t) or truck (16) costs more than leaving it
  (10), so both are unprofitable.

Optima: without targets, slag goes by road (1,500,000 + 50,000 = 1,550,000 < 3,000,000 left)
and ash is left (500,000): 2,050,000. With a hard ash target of 50,000 t it goes by road
(750,000 + 50,000 = 800,000): 2,350,000. With a soft ash target at 4 CNY/t short, leaving
ash costs 10 + 4 = 14 < 15 by road: system cost 2,050,000, with penalty 2,250,000.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from conftest import TINY
from typer.testing import CliRunner

from symbiosis.case import Case, check_tables, raw_from_frame
from symbiosis.cli import app
from symbiosis.generate import GenerateParams, check_generated, generate_tables
from symbiosis.milp import build_model, build_model_data
from symbiosis.milp.reduce import (
    dominated_arcs,
    reachable_supply,
    reduce_model_data,
    tightened_capacity,
    unprofitable_arcs,
)
from symbiosis.milp.valid import add_valid_inequalities, strengthening_steps
from symbiosis.network import build_arcs
from symbiosis.options import DEFAULT, ReduceOptions, RunOptions, SolveOptions, reduce_options
from symbiosis.runner import run_scenario
from symbiosis.scenario import Scenario, load_scenario
from symbiosis.solve.highs import solve_model
from symbiosis.solve.warm_start import (
    objective_of,
    round_builds,
    rounded_solution,
    warm_start_values,
)

EXACT = {"mip_rel_gap": 0.0, "threads": 1}
#: every step on, the warm start even on small models
ALL = replace(ReduceOptions.all(), warm_start_min_binaries=0)


def frames(
    f1_capacity: float = 100_000, f1_status: str = "existing", far_source: bool = False
) -> dict[str, pd.DataFrame]:
    streams = pd.DataFrame(
        [
            ["slag", "Slag", "solid", "t", 30, 0, 1],
            ["ash", "Ash", "solid", "t", 10, 0, 0],
        ],
        columns=["stream", "name", "kind", "unit", "disposal_cost", "env_tax", "target"],
    )
    sites = pd.DataFrame(
        [["S", "Source", "", "P", 106.0, 26.0, 1], ["F", "Plant", "", "P", 106.1, 26.1, 1]],
        columns=["site", "name", "park", "prefecture", "lon", "lat", "rail"],
    )
    supply = pd.DataFrame(
        [["S", "slag", 100_000], ["S", "ash", 50_000]], columns=["site", "stream", "amount"]
    )
    if far_source:
        sites.loc[len(sites)] = ["S2", "Far source", "", "P", 107.0, 27.0, 0]
        supply.loc[len(supply)] = ["S2", "slag", 900_000]
    capex, lifetime = (0, "") if f1_status == "existing" else (10_000_000, 10)
    facilities = pd.DataFrame(
        [
            ["F1", "Slag plant", "t", "F", f1_status, f1_capacity, capex, 0, lifetime, ""],
            ["F2", "Ash plant", "t", "F", "existing", 50_000, 0, 0, "", ""],
        ],
        columns=[
            "facility",
            "name",
            "tech",
            "site",
            "status",
            "capacity",
            "capex",
            "fixed_opex",
            "lifetime",
            "group",
        ],
    )
    inputs = pd.DataFrame(
        [["F1", "slag", 1, 0, 0, 0], ["F2", "ash", 1, 0, 0, 0]],
        columns=["facility", "stream", "max_share", "var_cost", "value", "co2"],
    )
    mode_cols = [
        "mode",
        "kind",
        "cost_per_unit",
        "cost_per_unit_km",
        "link_cost",
        "link_cost_per_km",
        "max_km",
        "circuity",
        "co2_per_unit_km",
        "loss_per_km",
        "rail",
    ]
    modes = pd.DataFrame(
        [
            ["road", "solid", 5, 0.5, 50_000, 0, 300, 1.3, 0.1, 0, 0],
            ["truck", "solid", 6, 0.5, 60_000, 0, 300, 1.3, 0.1, 0, 0],
            ["rail", "solid", 4, 0.1, 2_000_000, 0, 500, 1.2, 0.02, 0, 1],
        ],
        columns=mode_cols,
    )
    distances = pd.DataFrame(
        [["S", "F", m, 20] for m in ("road", "truck", "rail")]
        + ([["S2", "F", m, 100] for m in ("road", "truck")] if far_source else []),
        columns=["from_site", "to_site", "mode", "km"],
    )
    return {
        "streams": streams,
        "sites": sites,
        "supply": supply,
        "facilities": facilities,
        "facility_inputs": inputs,
        "modes": modes,
        "distances": distances,
    }


def make_case(tables: dict[str, pd.DataFrame]) -> Case:
    raw = {name: raw_from_frame(frame, name, f"{name}.csv") for name, frame in tables.items()}
    return check_tables(raw, Path("hand"))


def scenario(**kwargs: Any) -> Scenario:
    return Scenario(name="hand", case=Path("hand"), **kwargs)


def data_of(case: Case, sc: Scenario) -> Any:
    return build_model_data(case, build_arcs(case), sc)


# --------------------------------------------------------------------------------------------
# Hand-worked reductions
# --------------------------------------------------------------------------------------------
def test_dominated_and_unprofitable_arcs_by_hand() -> None:
    """Module docstring: truck and rail are dominated by road for both streams; without an
    ash target, ash by road and truck is unprofitable."""
    case = make_case(frames())
    arcs = build_arcs(case)
    d = data_of(case, scenario())
    label = [f"{s}/{m}" for s, m in zip(arcs["stream"], arcs["mode"], strict=True)]
    dominated = {label[a] for a in np.flatnonzero(dominated_arcs(d))}
    assert dominated == {"slag/truck", "slag/rail", "ash/truck", "ash/rail"}
    unprofitable = {label[a] for a in np.flatnonzero(unprofitable_arcs(d))}
    assert unprofitable == {"ash/road", "ash/truck"}
    reduction = reduce_model_data(d, ALL)
    assert reduction.stats["unprofitable_arcs"] == 2
    assert reduction.stats["dominated_arcs"] == 3  # ash/truck was already gone
    assert [label[a] for a in reduction.kept] == ["slag/road"]


def test_equal_arcs_keep_the_first() -> None:
    tables = frames()
    modes = tables["modes"]
    modes.loc[modes["mode"] == "truck", ["cost_per_unit", "link_cost"]] = [5, 50_000]
    case = make_case(tables)
    arcs = build_arcs(case)
    d = data_of(case, scenario())
    dropped = np.flatnonzero(dominated_arcs(d))
    kept_modes = set(arcs["mode"]) - set(arcs["mode"].to_numpy()[dropped])
    # road and truck tie; arcs are sorted by mode (rail, road, truck): truck, later, goes.
    assert kept_modes == {"road"}


@pytest.mark.parametrize(
    ("target", "system_cost", "with_penalty"),
    [
        ({}, 2_050_000.0, None),
        ({"streams": {"ash": {"amount": 50_000}}}, 2_350_000.0, None),
        ({"streams": {"ash": {"amount": 50_000}}, "penalty": 4.0}, 2_050_000.0, 2_250_000.0),
    ],
)
def test_hand_case_optimum_with_and_without_reductions(
    target: dict[str, Any], system_cost: float, with_penalty: float | None
) -> None:
    """The three optima of the module docstring, reduced and not; flows on original arcs."""
    case = make_case(frames())
    sc = scenario(target=target)
    outcomes = {
        key: run_scenario(sc, case=case, options=RunOptions(solver=EXACT, reduce=reduce))
        for key, reduce in (("none", False), ("default", None), ("all", ALL))
    }
    for outcome in outcomes.values():
        summary = outcome.results.summary
        assert summary["status"] == "optimal"
        assert summary["objective"] == pytest.approx(system_cost, rel=1e-9)
        if with_penalty is not None:
            assert summary["objective_with_penalty"] == pytest.approx(with_penalty, rel=1e-9)
        assert outcome.solution is not None
        assert len(outcome.solution.values["x"]) == len(build_arcs(case))
    flows = outcomes["all"].results.flows
    assert set(zip(flows["stream"], flows["mode"], strict=True)) <= {
        ("slag", "road"),
        ("ash", "road"),
    }
    reductions = outcomes["all"].manifest["reductions"]
    assert reductions["arcs_before"] == 6
    if not target:
        assert reductions["arcs_after"] == 1
    assert outcomes["none"].manifest["reductions"]["options"]["unprofitable_arcs"] is False


def test_capacity_tightened_by_reachable_supply() -> None:
    """F1 (1,000,000 t) can only ever get the 100,000 t of slag at S: its capacity becomes
    100,000. As a candidate (capex 10,000,000 over 10 years at 6 %: AF = 0.135868, so
    1,358,680 a year) its LP relaxation then pays the whole annuity for the slag it takes
    (b >= 1) instead of a tenth of it."""
    case = make_case(frames(f1_capacity=1_000_000, f1_status="candidate"))
    d = data_of(case, scenario())
    assert reachable_supply(d).tolist() == [100_000.0, 50_000.0]
    cap, share, _ = tightened_capacity(d)
    assert cap.tolist() == [100_000.0, 50_000.0]
    assert share.tolist() == [1.0, 1.0]

    def lp_bound(data: Any) -> float:
        m = build_model(data)
        for v in [*m.y.values(), *m.b.values()]:
            v.domain = pyo.UnitInterval
        sol = solve_model(m, SolveOptions())
        assert sol.objective is not None
        return sol.objective

    plain = lp_bound(d)
    tight = lp_bound(reduce_model_data(d, ReduceOptions(dominated_arcs=False)).data)
    annuity = 10_000_000 * 0.06 / (1 - 1.06**-10)
    # LP: slag by road (15 CNY/t, link 50,000 x flow/M) plus annuity x b; ash left (500,000).
    assert plain == pytest.approx(1_550_000 + 0.1 * annuity + 500_000, rel=1e-6)
    assert tight == pytest.approx(1_550_000 + annuity + 500_000, rel=1e-6)


def _lp_and_mip(d: Any, valid: bool) -> tuple[float, float]:
    out = []
    for relax in (True, False):
        m = build_model(d)
        if valid:
            add_valid_inequalities(m, d, ALL)
        if relax:
            for v in [*m.y.values(), *m.b.values()]:
                v.domain = pyo.UnitInterval
        sol = solve_model(m, SolveOptions(mip_rel_gap=0.0))
        assert sol.objective is not None
        out.append(sol.objective)
    return out[0], out[1]


def test_facility_link_inequality_closes_the_lp_gap_by_hand() -> None:
    """The hand case with F1 a candidate of 1,000,000 t (capex 10,000,000 over 10 years at
    6 %: annuity A = 1,358,679.58) and a far source S2 of 900,000 t slag, 100 km by road
    (55 CNY/t, dearer than leaving it at 30; no siding, so no rail). F1 can be reached by
    1,000,000 t, so its capacity is not tightened.

    MILP: building F1 for S's slag costs A + 1,550,000 = 2,908,679.58 < 3,000,000 (leaving
    it), so F1 is built; S2's slag (27,000,000) and the ash (500,000) are left:
    30,408,679.58. LP without the valid inequalities: b = 100,000 / 1,000,000, so
    1,550,000 + 0.1 A + 27,500,000 = 29,185,867.96. With y <= b: the link to F1 is fully
    open (y = x / M = 1), so b = 1 and the LP bound is the MILP optimum."""
    case = make_case(frames(f1_capacity=1_000_000, f1_status="candidate", far_source=True))
    d = data_of(case, scenario())
    annuity = 10_000_000 * 0.06 / (1 - 1.06**-10)
    plain_lp, plain_mip = _lp_and_mip(d, valid=False)
    valid_lp, valid_mip = _lp_and_mip(d, valid=True)
    assert plain_mip == pytest.approx(annuity + 1_550_000 + 27_500_000, rel=1e-9)
    assert valid_mip == pytest.approx(plain_mip, rel=1e-9)
    assert plain_lp == pytest.approx(1_550_000 + 0.1 * annuity + 27_500_000, rel=1e-9)
    assert valid_lp == pytest.approx(valid_mip, rel=1e-9)


def test_valid_inequalities_keep_the_tiny_optimum() -> None:
    """EXPECTED.md: 14,049,529.12 with or without the valid inequalities."""
    sc = load_scenario(TINY / "scenario.yaml")
    outcome = run_scenario(sc, options=RunOptions(solver=EXACT, reduce=False))
    assert outcome.data is not None
    for valid in (False, True):
        lp, mip = _lp_and_mip(outcome.data, valid)
        assert mip == pytest.approx(14_049_529.12, rel=1e-9)
        assert lp <= mip


def test_warm_start_is_feasible_and_used_by_highs(tmp_path: Path) -> None:
    """The warm start of a generated case is a solution HiGHS accepts: with no branching,
    no heuristics and no presolve, HiGHS has a solution only when it is handed one."""
    tables, parks = generate_tables(GenerateParams(12, seed=3))
    case = check_generated(tables, parks, tmp_path)
    d = data_of(case, scenario(target={"total": 1_000_000.0}))
    values, info = warm_start_values(d, SolveOptions(threads=1), ReduceOptions())
    assert values is None and "skipped" in info  # a small model
    values, info = warm_start_values(
        d, SolveOptions(threads=1), ReduceOptions(warm_start_min_binaries=0)
    )
    assert values is not None, info
    assert len(values["x"]) == d.n_arcs
    bare = SolveOptions(highs={"mip_max_nodes": 0, "mip_heuristic_effort": 0.0, "presolve": "off"})
    m = build_model(d)
    with_start = solve_model(m, bare, initial_values=values)
    assert with_start.has_solution
    assert with_start.objective == pytest.approx(info["objective"], rel=1e-6)


BARE = SolveOptions(
    threads=1, highs={"mip_max_nodes": 0, "mip_heuristic_effort": 0.0, "presolve": "off"}
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_builds_keeps_groups_limits_and_fixed_builds(tmp_path: Path, seed: int) -> None:
    """Rounded builds never take two of a group, more than max_new_facilities, more capex than
    the budget, a forbidden candidate; they always take a forced one; only LP-positive ones
    unless permissive."""
    tables, parks = generate_tables(GenerateParams(30, seed=seed))
    case = check_generated(tables, parks, tmp_path)
    d = data_of(case, scenario(target={"total": 1_000_000.0}))
    assert d.groups, "the generated case has size options"
    rng = np.random.default_rng(seed)
    cand = d.candidates
    capex = d.facility_capex[cand]
    forced, forbidden = int(cand[0]), int(cand[-1])
    limited = replace(
        d,
        max_new_facilities=len(cand) // 3,
        capex_budget=float(capex.sum()) / 4,
        fixed_build={forced: 1, forbidden: 0},
    )
    for _ in range(20):
        b_lp = np.where(rng.random(len(cand)) < 0.3, 0.0, rng.random(len(cand)))
        for permissive in (False, True):
            chosen = round_builds(limited, b_lp, permissive).astype(bool)
            picked = set(cand[chosen].tolist())
            assert forced in picked and forbidden not in picked
            assert chosen.sum() <= limited.max_new_facilities
            assert capex[chosen & (cand != forced)].sum() <= limited.capex_budget * (1 + 1e-9)
            for members in d.groups:
                assert len(picked & set(members.tolist())) <= 1
            if not permissive:
                assert all(b_lp[i] > 0 for i in np.flatnonzero(chosen) if cand[i] != forced)
    # no limits, no groups taken: every LP-positive candidate is built, permissive adds the rest
    free = replace(d, groups=[])
    b_lp = np.linspace(0.0, 1.0, len(cand))
    assert round_builds(free, b_lp).sum() == len(cand) - 1
    assert round_builds(free, b_lp, permissive=True).sum() == len(cand)


def test_rounded_solution_is_feasible_and_priced_as_the_model(tmp_path: Path) -> None:
    """The LP-rounding start is a solution HiGHS accepts (HiGHS with no search has one only
    when handed it), at the cost objective_of computes; builds that cannot meet the target
    give None."""
    tables, parks = generate_tables(GenerateParams(30, seed=4))
    case = check_generated(tables, parks, tmp_path)
    d = data_of(case, scenario(target={"total": 2_000_000.0}))
    every = round_builds(d, np.zeros(len(d.candidates)), permissive=True)
    values = rounded_solution(d, every, threads=1, time_limit=30)
    assert values is not None
    assert set(np.unique(values["y"])) <= {0.0, 1.0}
    m = build_model(d)
    assert not solve_model(m, BARE).has_solution
    with_start = solve_model(build_model(d), BARE, initial_values=values)
    assert with_start.has_solution
    assert with_start.objective == pytest.approx(objective_of(d, values), rel=1e-9)
    # slope scaling: never worse than the plain rounding (its first LP), still feasible
    scaled = rounded_solution(d, every, threads=1, time_limit=30, iterations=25)
    assert scaled is not None
    assert objective_of(d, scaled) <= objective_of(d, values) + 1e-6
    # on this case it concentrates flows onto fewer links (180.53 M -> 180.50 M when measured)
    assert objective_of(d, scaled) < objective_of(d, values) - 1_000.0
    scaled_start = solve_model(build_model(d), BARE, initial_values=scaled)
    assert scaled_start.objective == pytest.approx(objective_of(d, scaled), rel=1e-9)
    # nothing built and a target beyond the existing plants: no solution
    existing_only = data_of(case, scenario(target={"total": 1e12}))
    none = np.zeros(len(d.candidates))
    assert rounded_solution(existing_only, none, threads=1, time_limit=30) is None
    # the run's deadline binds when it is earlier than the warm start's own time limit
    import time

    late = rounded_solution(d, every, threads=1, time_limit=30, deadline=time.perf_counter() - 1)
    assert late is None


def test_warm_start_is_at_least_as_good_as_its_rounding(tmp_path: Path) -> None:
    tables, parks = generate_tables(GenerateParams(40, seed=2))
    case = check_generated(tables, parks, tmp_path)
    d = data_of(case, scenario(target={"total": 3_000_000.0}))
    values, info = warm_start_values(
        d, SolveOptions(threads=1), ReduceOptions(warm_start_min_binaries=0)
    )
    assert values is not None, info
    assert "rounded_objective" in info
    assert info["objective"] <= info["rounded_objective"] + 1e-6
    assert objective_of(d, values) == pytest.approx(info["objective"], rel=1e-9)


def test_hooks_switch_off_arc_reductions() -> None:
    options = reduce_options(None, has_hooks=True)
    assert not (options.dominated_arcs or options.unprofitable_arcs or options.warm_start)
    assert options.facility_links == DEFAULT.facility_links
    assert not reduce_options(False).any


def test_cli_no_reduce(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", str(TINY / "scenario.yaml"), "--out", str(out), "--no-reduce", "-q"]
    )
    assert result.exit_code == 0, result.output
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert not any(
        v for k, v in manifest["reductions"]["options"].items() if not k.startswith("warm_start_")
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(14_049_529.12, rel=1e-9)


# --------------------------------------------------------------------------------------------
# Many generated cases: reduced and unreduced optima agree
# --------------------------------------------------------------------------------------------
def generated_case(seed: int, tmp: Path) -> tuple[Case, Scenario]:
    """A small generated case with an extra dominated mode (``truck``: road dearer by 1 CNY/t
    and 10,000 CNY/yr a link) and a drawn scenario: no target, a hard total target, a soft
    one, or a stream target, sometimes a limit on new projects."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 11))
    tables, parks = generate_tables(
        GenerateParams(
            n, n_facilities=int(rng.integers(3, 7)), seed=seed, streams=int(rng.integers(1, 4))
        )
    )
    modes = tables["modes"]
    truck = modes.loc[modes["mode"] == "road"].copy()
    truck["mode"] = "truck"
    truck["cost_per_unit"] += 1.0
    truck["link_cost"] += 10_000.0
    tables["modes"] = pd.concat([modes, truck], ignore_index=True)
    case = check_generated(tables, parks, tmp / f"case{seed}")
    supply = float(case.supply.loc[case.supply["stream"] != "waste_heat", "amount"].sum())
    kind = seed % 4
    target: dict[str, Any] = {}
    if kind == 1:
        target = {"total": round(float(rng.uniform(0.1, 0.5)) * supply, -3)}
    elif kind == 2:
        target = {"total": round(0.6 * supply, -3), "penalty": float(rng.uniform(5, 80))}
    elif kind == 3:
        stream = str(case.supply["stream"].iloc[0])
        target = {"streams": {stream: {"share": 0.3}}}
    limits = {"max_new_facilities": int(rng.integers(1, 3))} if seed % 3 == 0 else {}
    return case, Scenario(name=f"g{seed}", case=tmp, target=target, limits=limits)


def _agree(seed: int, tmp: Path) -> None:
    case, sc = generated_case(seed, tmp)
    plain = run_scenario(
        sc, case=case, options=RunOptions(solver=EXACT, reduce=False, shadow_prices=False)
    )
    reduced = run_scenario(
        sc, case=case, options=RunOptions(solver=EXACT, reduce=ALL, shadow_prices=False)
    )
    p, r = plain.results.summary, reduced.results.summary
    assert r["status"] == p["status"], (seed, sc.target)
    if p["status"] != "optimal":
        return
    key = "objective_with_penalty" if "objective_with_penalty" in p else "objective"
    assert r[key] == pytest.approx(p[key], rel=1e-6), (seed, reduced.manifest["reductions"])
    assert reduced.solution is not None and reduced.data is not None
    # Results are on the original arcs: every flow row is an arc of the case.
    x = reduced.solution.values["x"]
    assert len(x) == reduced.data.n_arcs == len(build_arcs(case))
    flows = reduced.results.flows
    arcs = build_arcs(case).set_index(["from_site", "facility", "stream", "mode"])
    assert arcs.index.is_unique
    assert flows.set_index(["from_site", "facility", "stream", "mode"]).index.isin(arcs.index).all()


@pytest.mark.parametrize("seed", range(12))
def test_reduced_optimum_equals_unreduced(seed: int, tmp_path: Path) -> None:
    _agree(seed, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(12, 112))
def test_reduced_optimum_equals_unreduced_many(seed: int, tmp_path: Path) -> None:
    _agree(seed, tmp_path)


def test_default_options_name_every_step() -> None:
    assert set(DEFAULT.as_dict()) == {
        "dominated_arcs",
        "unprofitable_arcs",
        "tighten_capacity",
        "facility_links",
        "target_cover",
        "warm_start",
        "warm_start_seconds",
        "warm_start_min_binaries",
        "warm_start_slope_iterations",
    }
    assert len(strengthening_steps(ReduceOptions.none())) == 0


def test_warm_start_lp_and_rounding_may_outrun_the_budget(tmp_path: Path) -> None:
    """With no budget left for the restricted MILP, the LP and the rounding still run (up to
    a quarter of the time limit) and give the start."""
    tables, parks = generate_tables(GenerateParams(30, seed=4))
    case = check_generated(tables, parks, tmp_path)
    d = data_of(case, scenario(target={"total": 2_000_000.0}))
    options = ReduceOptions(warm_start_min_binaries=0, warm_start_seconds=0.0)
    values, info = warm_start_values(d, SolveOptions(threads=1), options, time_limit=60.0)
    assert values is not None, info
    assert info["restricted_status"] == "no time left"
    assert info["objective"] == pytest.approx(info["rounded_objective"], rel=1e-12)
    # without a time limit the budget is all there is: nothing fits in it
    values, info = warm_start_values(d, SolveOptions(threads=1), options, time_limit=None)
    assert values is None
