"""The symbiosis network as a graph (networkx): who can send what to whom.

Nodes are supply rows (``("supply", site, stream)``, with the row's ``amount``),
facilities (``("facility", facility)``, with ``capacity`` and ``status``) and chained
outputs (``("output", facility, stream)``, ``kind="output"``: a stream a facility makes,
``facility_outputs``); there is an edge from a supply or output node to a facility node
when at least one candidate arc joins them (:func:`symbiosis.network.build_arcs`),
carrying the cheapest arc's ``unit_cost``, its ``mode`` and ``km``, and the number of arcs
(modes) between the two, and an edge (``kind="output"``) from each facility to its
outputs.

Used for what a graph is for:

* reachability: :func:`stranded_supply` (supply that no facility can take, whatever is
  built) and :func:`reachable_supply` (for each stream, the supply some facility can take),
  which the infeasibility diagnosis reports;
* network statistics (:func:`network_stats`), written to the run's manifest;
* chains of plants: facility -> output -> facility paths.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import pandas as pd

from symbiosis.case import Case

SupplyNode = tuple[str, str, str]
FacilityNode = tuple[str, str]


def supply_node(site: str, stream: str) -> SupplyNode:
    """The node of the supply row (``site``, ``stream``).

    Parameters
    ----------
    site : str
        The supply row's site id.
    stream : str
        Its stream id.

    Returns
    -------
    tuple of (str, str, str)
        ``("supply", site, stream)``.
    """
    return ("supply", site, stream)


def output_node(facility: str, stream: str) -> tuple[str, str, str]:
    """The node of a chained output: ``stream`` made by ``facility`` (``facility_outputs``).

    Parameters
    ----------
    facility : str
        The facility making it.
    stream : str
        The stream it makes.

    Returns
    -------
    tuple
        ``("output", facility, stream)``.
    """
    return ("output", facility, stream)


def facility_node(facility: str) -> FacilityNode:
    """The node of ``facility``.

    Parameters
    ----------
    facility : str
        The facility id.

    Returns
    -------
    tuple of (str, str)
        ``("facility", facility)``.
    """
    return ("facility", facility)


def symbiosis_graph(case: Case, arcs: pd.DataFrame) -> nx.DiGraph:
    """The directed graph of supply rows and facilities joined by candidate arcs.

    Parameters
    ----------
    case : Case
        The case (its supply and facilities become nodes).
    arcs : pandas.DataFrame
        Its candidate arcs (:func:`symbiosis.network.build_arcs`).

    Returns
    -------
    networkx.DiGraph
        Supply nodes carry ``kind="supply"``, ``site``, ``stream``, ``amount``,
        ``prefecture``; facility nodes ``kind="facility"``, ``facility``, ``capacity``,
        ``status``. An edge per joined pair carries ``unit_cost``, ``mode`` and ``km`` of
        its cheapest arc and ``arcs``, the number of arcs between the two.
    """
    graph = nx.DiGraph(name=case.name)
    prefecture = dict(zip(case.sites["site"], case.sites["prefecture"], strict=True))
    rows = case.supply_rows()
    nodes: list[Any] = []
    for site, stream, amount, made_by in zip(
        rows["site"], rows["stream"], rows["amount"], rows["produced_by"], strict=True
    ):
        node = output_node(made_by, stream) if made_by else supply_node(site, stream)
        nodes.append(node)
        graph.add_node(
            node,
            kind="output" if made_by else "supply",
            site=site,
            stream=stream,
            amount=float(amount),
            prefecture=prefecture.get(site, ""),
            **({"facility": made_by} if made_by else {}),
        )
    for fid, capacity, status in zip(
        case.facilities["facility"],
        case.facilities["capacity"],
        case.facilities["status"],
        strict=True,
    ):
        graph.add_node(
            facility_node(fid),
            kind="facility",
            facility=fid,
            capacity=float(capacity),
            status=status,
        )
    for made_by, stream in zip(
        case.facility_outputs["facility"], case.facility_outputs["stream"], strict=True
    ):
        graph.add_edge(facility_node(made_by), output_node(made_by, stream), kind="output")
    if len(arcs):
        cheapest = (
            arcs.sort_values("unit_cost", kind="stable")
            .groupby(["supply_row", "facility"], sort=False)
            .agg(
                unit_cost=("unit_cost", "first"),
                mode=("mode", "first"),
                km=("km", "first"),
                arcs=("unit_cost", "size"),
            )
            .reset_index()
        )
        graph.add_edges_from(
            (
                nodes[int(row)],
                facility_node(str(fid)),
                {"unit_cost": float(cost), "mode": str(mode), "km": float(km), "arcs": int(n)},
            )
            for row, fid, cost, mode, km, n in zip(
                cheapest["supply_row"],
                cheapest["facility"],
                cheapest["unit_cost"].to_numpy(dtype=float),
                cheapest["mode"],
                cheapest["km"].to_numpy(dtype=float),
                cheapest["arcs"].to_numpy(dtype=int),
                strict=True,
            )
        )
    return graph


def stranded_supply(graph: nx.DiGraph) -> pd.DataFrame:
    """Supply rows that no facility can take (no candidate arc leaves them), whatever is
    built.

    Parameters
    ----------
    graph : networkx.DiGraph
        The graph of :func:`symbiosis_graph`.

    Returns
    -------
    pandas.DataFrame
        Columns ``site``, ``stream``, ``prefecture``, ``amount`` (units/yr); one row per
        stranded supply row, in the graph's node order (empty, with those columns, when
        there is none).
    """
    rows = [
        {k: data[k] for k in ("site", "stream", "prefecture", "amount")}
        for node, data in graph.nodes(data=True)
        if data.get("kind") == "supply" and graph.out_degree(node) == 0
    ]
    return pd.DataFrame(rows, columns=["site", "stream", "prefecture", "amount"])


def reachable_supply(graph: nx.DiGraph) -> dict[str, float]:
    """For each stream, the supply that at least one facility (existing or candidate) can
    take: :math:`\\sum_{i: \\deg^+(i, s) > 0} amount_{is}`.

    An upper bound on what can be delivered of the stream, before capacities, shares and
    losses.

    Parameters
    ----------
    graph : networkx.DiGraph
        The graph of :func:`symbiosis_graph`.

    Returns
    -------
    dict of str to float
        Stream id -> reachable supply in units/yr (t or MWh); a stream none of whose
        supply can be taken is absent.
    """
    out: dict[str, float] = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "supply" and graph.out_degree(node) > 0:
            out[data["stream"]] = out.get(data["stream"], 0.0) + float(data["amount"])
    return out


def network_stats(graph: nx.DiGraph) -> dict[str, Any]:
    """Size and shape of the network, for the manifest and reports.

    Parameters
    ----------
    graph : networkx.DiGraph
        The graph of :func:`symbiosis_graph`.

    Returns
    -------
    dict
        ``supply_rows``, ``facilities``, ``links`` (joined supply-facility pairs),
        ``components`` (weakly connected components holding a link), ``largest_component``
        (nodes in the largest), ``stranded_supply_rows``, ``isolated_facilities``
        (facilities no supply can reach).
    """
    kinds = nx.get_node_attributes(graph, "kind")
    components = [c for c in nx.weakly_connected_components(graph) if len(c) > 1]
    return {
        "supply_rows": sum(1 for k in kinds.values() if k == "supply"),
        "facilities": sum(1 for k in kinds.values() if k == "facility"),
        "links": sum(1 for *_, kind in graph.edges(data="kind") if kind != "output"),
        "components": len(components),
        "largest_component": max((len(c) for c in components), default=0),
        "stranded_supply_rows": sum(
            1 for n, k in kinds.items() if k == "supply" and graph.out_degree(n) == 0
        ),
        "isolated_facilities": sum(
            1 for n, k in kinds.items() if k == "facility" and graph.in_degree(n) == 0
        ),
    }


__all__ = [
    "facility_node",
    "network_stats",
    "reachable_supply",
    "stranded_supply",
    "supply_node",
    "symbiosis_graph",
]
