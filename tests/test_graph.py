"""symbiosis.graph on the tiny case (tests/cases/tiny), checked by hand.

Supply: A phosphogypsum 1,000,000 t and A waste heat 100,000 MWh. Facilities K (at B), P1
and P2 (at C) take phosphogypsum, H (at D) takes heat. distances.csv: A-B 20 km and A-C 50 km
by road, A-D 5 km by heat pipe; so phosphogypsum reaches K, P1, P2 (3 links, road) and heat
reaches H (1 link). Road unit cost = 5 + 0.5 km: 15 CNY/t to K, 30 to P1/P2.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from symbiosis.case import load_case
from symbiosis.graph import (
    facility_node,
    network_stats,
    reachable_supply,
    stranded_supply,
    supply_node,
    symbiosis_graph,
)
from symbiosis.network import build_arcs

TINY = Path(__file__).resolve().parent / "cases" / "tiny" / "case"


def test_tiny_graph_by_hand() -> None:
    case = load_case(TINY)
    graph = symbiosis_graph(case, build_arcs(case))
    pg = supply_node("A", "phosphogypsum")
    assert set(graph.successors(pg)) == {facility_node(f) for f in ("K", "P1", "P2")}
    assert list(graph.successors(supply_node("A", "waste_heat"))) == [facility_node("H")]
    assert graph.edges[pg, facility_node("K")]["unit_cost"] == pytest.approx(15.0)
    assert graph.edges[pg, facility_node("P1")]["unit_cost"] == pytest.approx(30.0)
    assert graph.edges[pg, facility_node("K")]["km"] == pytest.approx(20.0)
    assert graph.nodes[facility_node("P2")]["capacity"] == 900_000
    assert reachable_supply(graph) == {"phosphogypsum": 1_000_000, "waste_heat": 100_000}
    assert stranded_supply(graph).empty
    assert network_stats(graph) == {
        "supply_rows": 2,
        "facilities": 4,
        "links": 4,
        "components": 2,
        "largest_component": 4,
        "stranded_supply_rows": 0,
        "isolated_facilities": 0,
    }


def test_supply_beyond_every_mode_is_stranded() -> None:
    """Road max_km cut to 10 km: phosphogypsum reaches nothing (K is 20 km away)."""
    case = load_case(TINY)
    modes = case.modes.copy()
    modes.loc[modes["mode"] == "road", "max_km"] = 10.0
    case = replace(case, modes=modes)
    graph = symbiosis_graph(case, build_arcs(case))
    stranded = stranded_supply(graph)
    assert stranded.to_dict("records") == [
        {"site": "A", "stream": "phosphogypsum", "prefecture": "Qiannan", "amount": 1_000_000}
    ]
    assert reachable_supply(graph) == {"waste_heat": 100_000}
    stats = network_stats(graph)
    assert stats["stranded_supply_rows"] == 1
    assert stats["isolated_facilities"] == 3
    assert stats["links"] == 1


def test_empty_arcs() -> None:
    case = load_case(TINY)
    graph = symbiosis_graph(case, build_arcs(case).iloc[0:0])
    assert isinstance(stranded_supply(graph), pd.DataFrame)
    assert len(stranded_supply(graph)) == 2
    assert network_stats(graph)["components"] == 0


def test_diagnosis_names_supply_out_of_reach(tmp_path: Path) -> None:
    """Tiny case with road max_km 10: the 900,000 t target cannot be met, and the diagnosis
    says why in graph terms: A's 1,000,000 t of phosphogypsum reach no facility. The
    manifest records the network's statistics."""
    import shutil

    from symbiosis.runner import EXIT_INFEASIBLE, run_scenario
    from symbiosis.scenario import load_scenario

    root = tmp_path / "tiny"
    shutil.copytree(TINY.parent, root)
    modes = root / "case" / "modes.csv"
    modes.write_text(modes.read_text(encoding="utf-8").replace(",300,1.3,", ",10,1.3,"), "utf-8")
    outcome = run_scenario(load_scenario(root / "scenario.yaml"))
    assert outcome.exit_code == EXIT_INFEASIBLE
    diagnosis = outcome.results.summary["diagnosis"]
    assert diagnosis["unreachable_supply"] == [
        {"site": "A", "stream": "phosphogypsum", "prefecture": "Qiannan", "amount": 1_000_000}
    ]
    assert any(
        m.startswith("phosphogypsum: 1.000 Mt of supply at 1 site(s) (A) is out of reach")
        for m in diagnosis["messages"]
    )
    assert outcome.manifest["network"]["stranded_supply_rows"] == 1
