"""A solve stopped early keeps its best solution: by a time limit, or by Ctrl-C.

The case is generated (numpy, fixed seed): 40 slag yards and 25 candidate projects in a
2 x 1.5 degree box, a road link with a fixed cost on every pair (1000 link binaries, 25
build binaries). Leaving slag costs 65 CNY/t, so doing nothing is a feasible (poor)
solution that HiGHS's trivial heuristics find at once, and building pays. HiGHS needs far
longer than these tests allow to prove optimality (gap still about 1.6 % after 20 s on the
development machine), so a short time limit or an interrupt stops it with an incumbent.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from symbiosis.case import load_case
from symbiosis.milp import build_model, build_model_data
from symbiosis.network import build_arcs
from symbiosis.options import RunOptions, SolveOptions
from symbiosis.runner import EXIT_OK, SilentReporter, run_scenario
from symbiosis.scenario import Scenario, SolverOptions
from symbiosis.solve.highs import Progress, Solution, solve_model

N_SOURCES, N_PROJECTS, SEED = 40, 25, 7
UNUSED_COST = 65.0  # disposal 40 + env_tax 25 CNY/t


def write_hard_case(folder: Path) -> float:
    """Write the generated case; return its total supply (t/yr)."""
    rng = np.random.default_rng(SEED)
    folder.mkdir(parents=True, exist_ok=True)

    def sites(prefix: str, n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "site": [f"{prefix}{i}" for i in range(n)],
                "name": prefix,
                "park": "",
                "prefecture": "P",
                "lon": 106.0 + rng.uniform(0, 2, n),
                "lat": 26.5 + rng.uniform(0, 1.5, n),
                "rail": 0,
            }
        )

    src, fac = sites("s", N_SOURCES), sites("f", N_PROJECTS)
    pd.concat([src, fac]).to_csv(folder / "sites.csv", index=False)
    pd.DataFrame(
        [["slag", "Slag", "solid", "t", 40, 25, 1]],
        columns=["stream", "name", "kind", "unit", "disposal_cost", "env_tax", "target"],
    ).to_csv(folder / "streams.csv", index=False)
    amount = rng.integers(50, 150, N_SOURCES) * 1000
    pd.DataFrame({"site": src["site"], "stream": "slag", "amount": amount}).to_csv(
        folder / "supply.csv", index=False
    )
    cap = rng.integers(150, 400, N_PROJECTS) * 1000
    ids = [f"c{j}" for j in range(N_PROJECTS)]
    pd.DataFrame(
        {
            "facility": ids,
            "name": "project",
            "tech": "slag_powder",
            "site": fac["site"],
            "status": "candidate",
            "capacity": cap,
            "capex": cap * rng.uniform(80, 120, N_PROJECTS),
            "fixed_opex": cap * rng.uniform(3, 6, N_PROJECTS),
            "lifetime": 20,
            "group": "",
        }
    ).to_csv(folder / "facilities.csv", index=False)
    pd.DataFrame(
        {"facility": ids, "stream": "slag", "max_share": 1, "var_cost": 5, "value": 0, "co2": 10}
    ).to_csv(folder / "facility_inputs.csv", index=False)
    pd.DataFrame(
        [["road", "solid", 2, 0.4, 200_000, 2_000, 1000, 1.3, 0.09, 0, 0]],
        columns=[
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
        ],
    ).to_csv(folder / "modes.csv", index=False)
    return float(amount.sum())


@pytest.fixture(scope="module")
def hard_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    folder = tmp_path_factory.mktemp("hard") / "case"
    return folder, write_hard_case(folder)


def hard_model(folder: Path) -> pyo.ConcreteModel:
    case = load_case(folder)
    data = build_model_data(case, build_arcs(case), Scenario(name="hard", case=folder))
    return build_model(data)


def assert_kept_incumbent(solution: Solution, total_supply: float) -> None:
    """A usable incumbent: values, an objective no worse than doing nothing, a bound below
    it, and (when not proven optimal) a reported gap."""
    assert solution.status in ("feasible", "optimal"), solution.highs_status
    assert solution.objective is not None and solution.bound is not None
    assert solution.mip_gap is not None and np.isfinite(solution.mip_gap)
    do_nothing = UNUSED_COST * total_supply
    assert solution.objective <= do_nothing * (1 + 1e-9)
    assert solution.bound <= solution.objective * (1 + 1e-9) + 1e-6
    if solution.status == "feasible":
        assert solution.mip_gap > 0
    assert len(solution.values["x"]) == N_SOURCES * N_PROJECTS
    assert len(solution.values["b"]) == N_PROJECTS


def test_time_limit_keeps_best_solution_with_gap(hard_case: tuple[Path, float]) -> None:
    """time_limit 0.5 s: HiGHS stops with its incumbent; status feasible (or optimal if this
    machine happens to finish), an objective no worse than leaving all slag (65 CNY/t x total
    supply), and a gap."""
    folder, total = hard_case
    start = time.perf_counter()
    solution = solve_model(hard_model(folder), SolveOptions(time_limit=0.5))
    assert_kept_incumbent(solution, total)
    assert solution.timings["solve"] < 15.0
    assert not solution.interrupted
    assert time.perf_counter() - start < 30.0


def test_highs_running_past_its_limit_is_stopped(hard_case: tuple[Path, float]) -> None:
    """HiGHS does not check its time limit everywhere (ERGO-Code/HiGHS#885). Simulated by
    telling HiGHS itself 1000 s while the solve's limit is 0.5 s: symbiosis asks it to stop
    ``overrun_grace`` (1 s) after the limit; the incumbent is kept and the HiGHS status says
    what happened. Not an interruption by the user."""
    folder, total = hard_case
    options = SolveOptions(time_limit=0.5, overrun_grace=1.0)
    options.highs["time_limit"] = 1000.0
    start = time.perf_counter()
    solution = solve_model(hard_model(folder), options)
    assert time.perf_counter() - start < 20.0
    if solution.status == "optimal":  # this machine solved it within 1.5 s: nothing to stop
        pytest.skip("solved before the limit")
    assert_kept_incumbent(solution, total)
    assert solution.timings["solve"] < 10.0
    assert not solution.interrupted
    assert "stopped" in solution.highs_status


def test_time_limited_run_writes_feasible_summary(
    hard_case: tuple[Path, float], tmp_path: Path
) -> None:
    """Through the runner: exit 0, a complete run folder whose summary has status feasible
    (or optimal) and reports mip_gap and bound; its objective is the solver's."""
    folder, total = hard_case
    outcome = run_scenario(
        Scenario(name="hard", case=folder),
        tmp_path / "run",
        options=RunOptions(solver={"time_limit": 0.5}),
    )
    assert outcome.exit_code == EXIT_OK
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in ("feasible", "optimal")
    assert summary["mip_gap"] is not None and summary["bound"] is not None
    assert outcome.solution is not None
    assert summary["objective"] == pytest.approx(outcome.solution.objective, rel=1e-9)
    assert summary["objective"] <= UNUSED_COST * total
    assert (tmp_path / "run" / "flows.csv").is_file()


def test_keyboard_interrupt_in_progress_callback_keeps_incumbent(
    hard_case: tuple[Path, float],
) -> None:
    """Ctrl-C landing in the progress callback (the display) cancels the solve, which hands
    back its incumbent: status feasible (or optimal), ``interrupted`` True, long before the
    20 s time limit."""
    folder, total = hard_case
    raised: list[float] = []

    def on_progress(progress: Progress) -> None:
        if not raised and (progress.incumbent is not None or progress.elapsed > 2.0):
            raised.append(progress.elapsed)
            raise KeyboardInterrupt

    start = time.perf_counter()
    try:
        solution = solve_model(
            hard_model(folder),
            SolveOptions(time_limit=20.0, progress_interval=0.05),
            on_progress=on_progress,
        )
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped solve_model instead of stopping HiGHS")
    assert raised, "the progress callback was never called"
    assert solution.interrupted
    assert_kept_incumbent(solution, total)
    assert time.perf_counter() - start < 30.0


def test_sigint_during_solve_keeps_incumbent(hard_case: tuple[Path, float]) -> None:
    """A real SIGINT (Ctrl-C) while the main thread waits on HiGHS: same outcome."""
    folder, total = hard_case
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    fired = threading.Event()

    def send() -> None:
        fired.set()
        os.kill(os.getpid(), signal.SIGINT)

    def on_progress(progress: Progress) -> None:
        if not fired.is_set() and (progress.incumbent is not None or progress.elapsed > 2.0):
            fired.set()
            threading.Timer(0.1, send).start()

    try:
        start = time.perf_counter()
        try:
            solution = solve_model(
                hard_model(folder),
                SolveOptions(time_limit=20.0, progress_interval=0.3),
                on_progress=on_progress,
            )
        except KeyboardInterrupt:
            pytest.fail("KeyboardInterrupt escaped solve_model instead of stopping HiGHS")
        elapsed = time.perf_counter() - start
        time.sleep(0.3)  # let a late signal land here rather than in another test
    finally:
        signal.signal(signal.SIGINT, previous)
    assert fired.is_set()
    assert solution.interrupted
    assert_kept_incumbent(solution, total)
    assert elapsed < 30.0


class InterruptingReporter(SilentReporter):
    """A display that receives Ctrl-C while drawing the solver's progress."""

    def __init__(self) -> None:
        self.raised = False

    def solver_progress(self, progress: Progress) -> None:
        if not self.raised and (progress.incumbent is not None or progress.elapsed > 2.0):
            self.raised = True
            raise KeyboardInterrupt


def test_interrupted_run_writes_incumbent(hard_case: tuple[Path, float], tmp_path: Path) -> None:
    """Through the runner: an interrupted solve still writes a complete run folder (exit 0)
    whose summary says status feasible (or optimal) and ``interrupted: true``."""
    folder, total = hard_case
    reporter = InterruptingReporter()
    try:
        outcome = run_scenario(
            Scenario(name="hard", case=folder, solver=SolverOptions(time_limit=20.0)),
            tmp_path / "run",
            reporter=reporter,
        )
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped run_scenario instead of stopping HiGHS")
    assert reporter.raised
    assert outcome.exit_code == EXIT_OK
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in ("feasible", "optimal")
    assert summary["interrupted"] is True
    assert summary["objective"] <= UNUSED_COST * total
    assert summary["mip_gap"] is not None


def test_gap_is_computed_from_objective_and_bound_not_read_from_highs() -> None:
    """Issue 15 saw ``gap: null`` in summary.json beside a finite bound after a time limit:
    the gap was HiGHS's ``info.mip_gap`` (which can hold inf). It is now computed from the
    objective and the bound reported with it, by the formula every method uses. A stand-in
    HiGHS whose info says ``mip_gap = inf`` beside a finite bound gives a finite gap."""
    from types import SimpleNamespace

    from symbiosis.solve.child import mip_gap, read_outcome

    class FakeHighs:
        def getModelStatus(self) -> SimpleNamespace:
            return SimpleNamespace(name="kTimeLimit")

        def modelStatusToString(self, status: SimpleNamespace) -> str:
            return "Time limit reached"

        def getInfo(self) -> SimpleNamespace:
            return SimpleNamespace(
                primal_solution_status=2,
                objective_function_value=13_855_000.0,
                mip_dual_bound=9_940_000.0,
                mip_gap=float("inf"),
            )

        def getSolution(self) -> SimpleNamespace:
            return SimpleNamespace(col_value=[0.0, 1.0])

    out = read_outcome(FakeHighs(), has_integer=True)  # type: ignore[arg-type]
    assert out["status"] == "feasible"
    assert out["gap"] == pytest.approx((13_855_000.0 - 9_940_000.0) / 13_855_000.0)
    assert mip_gap(None, 1.0) is None and mip_gap(1.0, float("-inf")) is None
