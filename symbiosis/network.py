"""Case -> candidate arcs (vectorised); :mod:`symbiosis.graph` gives the networkx view.

The arcs are exactly those of CASE_FORMAT.md "Candidate links": for every supply row (site
``i``, stream ``s``) and every facility ``f`` with an input row for ``s``,

* if ``f`` stands on ``i``: one on-site arc (mode ``onsite``), km 0, no cost, no loss, no link;
* otherwise one arc per mode ``m`` of the stream's kind (rail modes only between two sites with
  a siding) with

  .. math::

     km = \\begin{cases} \\text{distances.csv}(i, site_f, m) & \\text{if given} \\\\
          \\text{haversine}(i, site_f) \\cdot circuity_m & \\text{otherwise} \\end{cases}

  kept when :math:`km \\le max\\_km_m` and :math:`loss_m \\cdot km < 1`, with unit cost
  :math:`cost\\_per\\_unit_m + cost\\_per\\_unit\\_km_m \\cdot km`, link cost
  :math:`link\\_cost_m + link\\_cost\\_per\\_km_m \\cdot km`, efficiency
  :math:`eff = 1 - loss_m \\cdot km` and transport CO2 :math:`co2\\_per\\_unit\\_km_m \\cdot km`
  per unit shipped. A ``distances.csv`` row's optional ``cost_per_unit`` and ``link_cost``
  (non-empty cells) replace that unit cost and link cost for its (i, site_f, m).

Everything is computed with pandas merges and numpy over whole columns; no Python loop over
pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from symbiosis.case import Case

EARTH_RADIUS_KM = 6371.0088
ONSITE = "onsite"

ARC_COLUMNS = (
    "supply_row",
    "input_row",
    "from_site",
    "to_site",
    "facility",
    "stream",
    "mode",
    "km",
    "unit_cost",
    "link_cost",
    "eff",
    "co2_per_unit",
    "big_m",
)


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km on a sphere of radius 6371.0088 km (degrees in).

    The haversine formula, with :math:`\\varphi` latitudes and :math:`\\lambda` longitudes in
    radians and :math:`R` = :data:`EARTH_RADIUS_KM`:

    .. math::

       d = 2 R \\arcsin \\sqrt{\\sin^2 \\frac{\\varphi_2 - \\varphi_1}{2}
           + \\cos \\varphi_1 \\cos \\varphi_2 \\sin^2 \\frac{\\lambda_2 - \\lambda_1}{2}}

    Parameters
    ----------
    lon1, lat1 : numpy.ndarray
        Longitudes and latitudes of the first points, WGS 84 degrees (anything
        ``numpy.asarray`` reads as floats).
    lon2, lat2 : numpy.ndarray
        Those of the second points, broadcastable against the first.

    Returns
    -------
    numpy.ndarray
        The distances in km, element by element (no circuity applied).
    """
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2.0) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _given_routes(
    distances: pd.DataFrame, off: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``distances.csv`` figures of each off-site arc: km, unit cost, link cost.

    Each is NaN where the arc's (from_site, to_site, mode) has no row, or its cell is empty
    (a v1 table, without the optional ``cost_per_unit`` and ``link_cost`` columns, gives
    NaN costs everywhere).
    """
    n = len(off)
    columns = ("km", "cost_per_unit", "link_cost")
    if not len(distances):
        return np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    given = distances.set_index(["from_site", "to_site", "mode"])
    index = pd.MultiIndex.from_arrays([off["from_site"], off["to_site"], off["mode"]])
    found = [
        given[col].astype(float).reindex(index).to_numpy(dtype=float)
        if col in given.columns
        else np.full(n, np.nan)
        for col in columns
    ]
    return found[0], found[1], found[2]


def build_arcs(case: Case) -> pd.DataFrame:
    """All candidate arcs of a case, one row each, in a deterministic order.

    For each supply row (site :math:`i`, stream :math:`s`) of ``Case.supply_rows()`` (the
    supply.csv rows, then the chained outputs of ``facility_outputs``, at their facility's
    site, with their most :math:`yield \\cdot capacity` as amount) and each input row
    (:math:`f`, :math:`s`) of the same stream (CASE_FORMAT.md, "Candidate links"): one
    on-site arc (mode ``onsite``: km 0, no cost, no link, :math:`eff = 1`) when :math:`f`
    stands on :math:`i`; otherwise one arc per mode :math:`m` of the stream's kind (a rail
    mode only between two sites with ``rail`` = 1), with

    .. math::

       km_a &= \\begin{cases} \\text{distances.csv}(i, site_f, m)
                & \\text{if given (no circuity)} \\\\
                \\text{haversine}(i, site_f) \\cdot circuity_m
                & \\text{otherwise} \\end{cases} \\\\
       unit\\_cost_a &= \\begin{cases} \\text{distances.csv } cost\\_per\\_unit(i, site_f, m)
                & \\text{if given (non-empty)} \\\\
                cost\\_per\\_unit_m + cost\\_per\\_unit\\_km_m \\cdot km_a
                & \\text{otherwise} \\end{cases} \\\\
       link\\_cost_a &= \\begin{cases} \\text{distances.csv } link\\_cost(i, site_f, m)
                & \\text{if given (non-empty)} \\\\
                link\\_cost_m + link\\_cost\\_per\\_km_m \\cdot km_a
                & \\text{otherwise} \\end{cases} \\\\
       eff_a &= 1 - loss\\_per\\_km_m \\cdot km_a \\\\
       co2\\_per\\_unit_a &= co2\\_per\\_unit\\_km_m \\cdot km_a

    kept only when :math:`km_a \\le max\\_km_m` and :math:`loss\\_per\\_km_m \\cdot km_a < 1`.
    The optional ``distances.csv`` columns ``cost_per_unit`` (CNY/unit) and ``link_cost``
    (CNY/yr) are a route's quoted freight rate and its own fixed cost: where a cell is
    given they *replace* the mode's figures for that (from_site, to_site, mode) arc, km
    terms included; an empty cell, a pair without a row, or a table without the columns
    (a v1 case) keeps the mode's figures. Efficiency and CO2 always follow the mode.
    Every arc gets its link's big-M
    :math:`M_a = \\min(amount_{is}, max\\_share_{fs} \\cdot capacity_f / eff_a)`, the most it
    can usefully carry.

    Parameters
    ----------
    case : Case
        The checked case (after any overrides): its supply, facilities, facility inputs,
        streams, sites, modes and distances.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ARC_COLUMNS`, sorted by ``supply_row``, ``input_row``, ``mode``:
        ``supply_row`` and ``input_row`` (int64 positions in ``case.supply_rows()`` and
        ``case.facility_inputs``), ``from_site``, ``to_site``, ``facility``, ``stream``,
        ``mode`` (``onsite`` for an on-site arc), ``km``, ``unit_cost`` (CNY per unit
        shipped), ``link_cost`` (CNY/yr if the link is opened), ``eff`` (fraction of a unit
        shipped that arrives), ``co2_per_unit`` (kg CO2 per unit shipped) and ``big_m``
        (:math:`M_a`, units/yr measured at the source).
    """
    supply = case.supply_rows()[["site", "stream", "amount"]].rename(columns={"site": "from_site"})
    supply["supply_row"] = np.arange(len(supply))
    inputs = case.facility_inputs[["facility", "stream", "max_share"]].copy()
    inputs["input_row"] = np.arange(len(inputs))
    facilities = case.facilities[["facility", "site", "capacity"]].rename(
        columns={"site": "to_site"}
    )
    pairs = supply.merge(inputs, on="stream").merge(facilities, on="facility")
    pairs = pairs.sort_values(["supply_row", "input_row"], kind="stable").reset_index(drop=True)

    onsite_mask = (pairs["from_site"] == pairs["to_site"]).to_numpy()
    onsite = pairs.loc[onsite_mask].copy()
    onsite["mode"] = ONSITE
    for col, value in (("km", 0.0), ("unit_cost", 0.0), ("link_cost", 0.0), ("eff", 1.0)):
        onsite[col] = value
    onsite["co2_per_unit"] = 0.0

    kind = case.streams[["stream", "kind"]]
    modes = case.modes
    off = pairs.loc[~onsite_mask].merge(kind, on="stream").merge(modes, on="kind")
    sites = case.sites.set_index("site")
    lon, lat, rail = (sites[c] for c in ("lon", "lat", "rail"))
    from_rail = rail.reindex(off["from_site"]).to_numpy()
    to_rail = rail.reindex(off["to_site"]).to_numpy()
    rail_ok = (off["rail"].to_numpy() == 0) | ((from_rail == 1) & (to_rail == 1))
    off = off.loc[rail_ok].reset_index(drop=True)

    km = (
        haversine_km(
            lon.reindex(off["from_site"]).to_numpy(),
            lat.reindex(off["from_site"]).to_numpy(),
            lon.reindex(off["to_site"]).to_numpy(),
            lat.reindex(off["to_site"]).to_numpy(),
        )
        * off["circuity"].to_numpy()
    )
    route_km, route_unit, route_link = _given_routes(case.distances, off)
    km = np.where(np.isnan(route_km), km, route_km)
    off["km"] = km
    loss = off["loss_per_km"].to_numpy() * km
    keep = (km <= off["max_km"].to_numpy()) & (loss < 1.0)
    off = off.loc[keep].reset_index(drop=True)
    route_unit, route_link = route_unit[keep], route_link[keep]
    km = off["km"].to_numpy()
    unit_cost = off["cost_per_unit"].to_numpy() + off["cost_per_unit_km"].to_numpy() * km
    link_cost = off["link_cost"].to_numpy() + off["link_cost_per_km"].to_numpy() * km
    off["unit_cost"] = np.where(np.isnan(route_unit), unit_cost, route_unit)
    off["link_cost"] = np.where(np.isnan(route_link), link_cost, route_link)
    off["eff"] = 1.0 - off["loss_per_km"].to_numpy() * km
    off["co2_per_unit"] = off["co2_per_unit_km"].to_numpy() * km

    arcs = pd.concat([onsite, off], ignore_index=True)
    arcs = arcs.sort_values(["supply_row", "input_row", "mode"], kind="stable")
    arcs = arcs.reset_index(drop=True)
    arcs["big_m"] = np.minimum(
        arcs["amount"].to_numpy(),
        arcs["max_share"].to_numpy() * arcs["capacity"].to_numpy() / arcs["eff"].to_numpy(),
    )
    out = arcs[list(ARC_COLUMNS)].copy()
    for col in ("supply_row", "input_row"):
        out[col] = out[col].astype(np.int64)
    return out
