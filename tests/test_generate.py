"""symbiosis.generate and `symbiosis generate`: valid, reproducible cases of a chosen size."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from symbiosis.case import load_case
from symbiosis.cli import app
from symbiosis.generate import (
    LAT_RANGE,
    LON_RANGE,
    count_arcs,
    generate_case,
    max_deliverable,
    sizes_for_arcs,
)
from symbiosis.network import build_arcs
from symbiosis.options import RunOptions
from symbiosis.runner import run_scenario
from symbiosis.scenario import load_scenario


def test_generated_case_is_valid_and_as_described(tmp_path: Path) -> None:
    gen = generate_case(tmp_path, 80, seed=1)
    case = load_case(gen.path)  # every check of the case format passes
    assert gen.scenario.is_file()
    assert len(case.facilities) == gen.n_facilities == round(80 * 160 / 300)
    assert gen.n_candidates == round(0.6 * gen.n_facilities)
    sites = case.sites
    assert sites["lon"].between(*LON_RANGE).all() and sites["lat"].between(*LAT_RANGE).all()
    streams = case.streams.set_index("stream")
    assert (streams["kind"] == "solid").sum() == 5
    assert list(streams.index[streams["kind"] == "heat"]) == ["waste_heat"]
    assert streams.loc["waste_heat", "target"] == 0
    assert set(case.modes["mode"]) == {"road", "rail", "heat_pipe"}
    assert set(case.facilities["status"]) == {"existing", "candidate"}
    groups = case.facilities.loc[case.facilities["group"] != "", "group"]
    assert len(groups) and (groups.value_counts() == 2).all()
    arcs = build_arcs(case)
    assert len(arcs) == gen.n_arcs
    assert set(arcs["mode"]) >= {"road", "rail", "heat_pipe"}
    assert (arcs.loc[arcs["mode"] != "onsite", "link_cost"] > 0).all()
    parks = json.loads((gen.path / "parks.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["park"] for f in parks["features"]} >= set(sites["park"]) - {""}


def test_same_seed_same_files_other_seed_other_case(tmp_path: Path) -> None:
    a = generate_case(tmp_path / "a", 50, seed=7)
    b = generate_case(tmp_path / "b", 50, seed=7)
    c = generate_case(tmp_path / "c", 50, seed=8)
    names = sorted(p.name for p in a.path.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a.path, b.path, names, shallow=False)
    assert match == names and not mismatch and not errors
    assert (a.scenario.read_text().replace("/a", "")) == b.scenario.read_text().replace("/b", "")
    assert (a.path / "supply.csv").read_text() != (c.path / "supply.csv").read_text()


def test_target_is_reachable_and_solves(tmp_path: Path) -> None:
    """The target is 0.8 x a maximum flow computed in whole kilotonnes rounded down, so a
    solve is never infeasible; a 25-source case solves in about a second."""
    gen = generate_case(tmp_path, 25, seed=2)
    case = load_case(gen.path)
    assert gen.target_total <= 0.8 * max_deliverable(case, build_arcs(case))
    assert gen.target_total > 0
    outcome = run_scenario(
        load_scenario(gen.scenario), options=RunOptions(solver={"time_limit": 60})
    )
    assert outcome.solution is not None and outcome.solution.has_solution
    assert outcome.results.summary["delivered_target_t"] >= gen.target_total * (1 - 1e-6)


def test_max_deliverable_by_hand(tiny_dir: Path) -> None:
    """Tiny case: 1,000,000 t of phosphogypsum; K (0.2 Mt), P1 (0.5 Mt) and P2 (0.9 Mt) can
    take 1.6 Mt together, so at most the whole supply, 1,000,000 t, can be delivered."""
    case = load_case(tiny_dir / "case")
    assert max_deliverable(case, build_arcs(case)) == pytest.approx(1_000_000.0)


def test_default_sizes_give_the_documented_columns(tmp_path: Path) -> None:
    """300 sources x 160 facilities: about 26k columns (docstring: 28.4k with seed 0)."""
    gen = generate_case(tmp_path, 300, 160, seed=0)
    assert 24_000 <= gen.n_columns <= 31_000
    assert gen.n_columns == gen.n_arcs + gen.n_link_binaries + gen.n_candidates + len(
        load_case(gen.path).supply
    )


@pytest.mark.parametrize("aim", [3_000, 20_000])
def test_sizes_for_arcs_hits_the_aim(aim: int) -> None:
    sources, facilities = sizes_for_arcs(aim, seed=0)
    got = count_arcs(sources, facilities, seed=0)
    assert abs(got - aim) / aim <= 0.05
    assert facilities == round(sources * 160 / 300)


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_sources"):
        generate_case(tmp_path, 0)
    with pytest.raises(ValueError, match="n_candidates"):
        generate_case(tmp_path, 10, 5, 6)
    with pytest.raises(ValueError, match="target_share"):
        generate_case(tmp_path, 10, target_share=1.5)


def test_cli_generate(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["generate", str(tmp_path / "g"), "--sources", "30", "--seed", "4", "--streams", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "arcs" in result.output
    case = load_case(tmp_path / "g" / "case")
    assert (case.streams["kind"] == "solid").sum() == 3
    assert np.isclose(
        load_scenario(tmp_path / "g" / "scenario.yaml").target.total or 0.0,
        float((tmp_path / "g" / "scenario.yaml").read_text().split("total:")[1].split()[0]),
    )
    bad = CliRunner().invoke(app, ["generate", str(tmp_path / "h"), "--sources", "0"])
    assert bad.exit_code == 2
