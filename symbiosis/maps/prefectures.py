"""The prefecture summary layer: one point per prefecture with what is supplied, delivered and
left unused there, and what it costs.

The point stands on the prefecture seat of the basemap when one matches the prefecture's name
(English or Chinese, with or without "city", "prefecture", 市, 州 ...), else at the mean of
the prefecture's sites. Summed over prefectures, ``cost_cny_yr`` is the run's objective (on a
year of a multi-year run: that year's cost, undiscounted; a retired facility pays nothing):

.. math::

   cost_p = \\sum_{f \\in F_p} (annual_f + fixed^{existing}_f
            + \\sum_s (var_{fs} - value_{fs})\\, intake_{fs})
          + \\sum_{a: from(a) \\in p} (transport_a + link_a) + \\sum_{i \\in S_p} unused_i

with :math:`F_p` the facilities and :math:`S_p` the sites in prefecture :math:`p`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from symbiosis.i18n import N_
from symbiosis.i18n import gettext as _
from symbiosis.maps.layers import CRS_DATA, LayerInputs, stream_field
from symbiosis.maps.words import chinese_names

#: (field, unit, description) of the summary's fixed fields
SUMMARY_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("prefecture", "", N_("prefecture (as in sites.csv)")),
    ("prefecture_zh", "", N_("prefecture in Chinese (prefectures.csv name_zh, else the basemap)")),
    ("seat", "", N_("prefecture seat the point stands on (basemap)")),
    ("seat_zh", "", N_("that seat in Chinese (basemap)")),
    ("geometry_source", "", N_("seat (the prefecture seat) | site_centroid (mean of its sites)")),
    ("supply_target_t_yr", "t/yr", N_("supply of target streams at its sites")),
    ("delivered_target_t_yr", "t/yr", N_("target streams taken in by facilities there")),
    ("unused_target_t_yr", "t/yr", N_("target streams left unused at its sites")),
    (
        "facility_cost_cny_yr",
        "CNY/yr",
        N_("annualised capex + fixed opex + processing cost - product value of its facilities"),
    ),
    ("transport_cost_cny_yr", "CNY/yr", N_("transport and link cost of flows leaving it")),
    ("unused_cost_cny_yr", "CNY/yr", N_("cost of material left unused at its sites")),
    ("cost_cny_yr", "CNY/yr", N_("facility + transport + unused cost (sums to the objective)")),
)
COST_FIELDS = ("facility_cost_cny_yr", "transport_cost_cny_yr", "unused_cost_cny_yr", "cost_cny_yr")


def prefecture_summary_layer(
    inputs: LayerInputs, layers: dict[str, gpd.GeoDataFrame]
) -> gpd.GeoDataFrame:
    """One point per prefecture of the case's sites, with its amounts and costs.

    Parameters
    ----------
    inputs : LayerInputs
        The run, its case and streams.
    layers : dict of str to GeoDataFrame
        The layers built so far: ``sites``, ``facilities`` and ``flows`` are used, and
        ``prefecture_seats`` when the basemap has it.

    Returns
    -------
    GeoDataFrame
        The fields of :data:`SUMMARY_FIELDS` and the per-stream ``delivered_*`` and
        ``unused_*`` amounts; the costs are NaN when the run has no solution.
    """
    prefs = sorted({p for p in inputs.case.sites["prefecture"].astype(str) if p})
    if not prefs:
        prefs = [""]
    summary = pd.DataFrame({"prefecture": prefs})
    geoms = _place(summary, layers["sites"], layers.get("prefecture_seats"))
    listed = inputs.case.prefectures
    chinese = dict(zip(listed["prefecture"].astype(str), chinese_names(listed), strict=True))
    own = summary["prefecture"].map(chinese).fillna("")
    summary["prefecture_zh"] = own.where(own != "", summary["prefecture_zh"])
    _amounts(inputs, summary, layers["sites"], layers["facilities"])
    if inputs.solved:
        _costs(inputs, summary, layers)
    else:
        for col in COST_FIELDS:
            summary[col] = np.nan
    inputs.fields.add_all("prefecture_summary", SUMMARY_FIELDS)
    return gpd.GeoDataFrame(summary, geometry=gpd.GeoSeries(geoms, crs=CRS_DATA))


def _norm(text: Any) -> str:
    """A place name in lower case without its administrative suffix (市, 州, " city" ...).

    Parameters
    ----------
    text : Any
        A name (None and NaN count as empty).

    Returns
    -------
    str
        The name, stripped, lower case, without one suffix.
    """
    text = str(text or "").strip().lower()
    for suffix in ("市", "地区", "自治州", "州", " city", " prefecture"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)].strip()
    return text


def _zh(value: Any) -> str:
    """A Chinese name of the basemap as text (``""`` for None and NaN).

    Parameters
    ----------
    value : Any
        A cell of the basemap's seats.

    Returns
    -------
    str
        The text, stripped.
    """
    return value.strip() if isinstance(value, str) else ""


def _seat_keys(row: pd.Series) -> set[str]:
    """The names a prefecture seat may be found by.

    Parameters
    ----------
    row : Series
        A feature of the basemap's seats (name_en, prefecture_en, name_zh, prefecture_zh,
        name, prefecture: those present).

    Returns
    -------
    set of str
        Each name normalised (:func:`_norm`), whole and its first word, and the first two
        characters of the Chinese names.
    """
    keys = set()
    for col in ("name_en", "prefecture_en", "name_zh", "prefecture_zh", "name", "prefecture"):
        if col in row and isinstance(row[col], str) and row[col]:
            keys.add(_norm(row[col]))
            keys.add(_norm(row[col].split(" ")[0]))
            if col.endswith("_zh") and len(row[col]) >= 2:
                keys.add(row[col][:2])
    keys.discard("")
    return keys


def _place(
    summary: pd.DataFrame, sites: gpd.GeoDataFrame, seats: gpd.GeoDataFrame | None
) -> list[Point]:
    """Add ``seat`` and ``geometry_source`` to ``summary`` and return its points.

    Parameters
    ----------
    summary : DataFrame
        One row per prefecture (``prefecture``), changed in place.
    sites : GeoDataFrame
        The sites layer.
    seats : GeoDataFrame or None
        The basemap's prefecture seats, if any.

    Returns
    -------
    list of Point
        Per prefecture: the seat matching its name, else the mean of its sites.
    """
    seat_name: list[str] = []
    seat_zh: list[str] = []
    pref_zh: list[str] = []
    geoms: list[Point] = []
    source: list[str] = []
    seat_index: dict[str, int] = {}
    if seats is not None:
        for i, (_, row) in enumerate(seats.iterrows()):
            for key in _seat_keys(row):
                seat_index.setdefault(key, i)
    for pref in summary["prefecture"]:
        found = seat_index.get(_norm(pref), seat_index.get(_norm(pref.split(" ")[0])))
        if seats is not None and found is not None:
            row = seats.iloc[found]
            seat_name.append(str(row.get("name_en", row.get("name", ""))))
            seat_zh.append(_zh(row.get("name_zh")))
            pref_zh.append(_zh(row.get("prefecture_zh")))
            geoms.append(row.geometry)
            source.append("seat")
        else:
            members = sites.loc[sites["prefecture"] == pref]
            seat_name.append("")
            seat_zh.append("")
            pref_zh.append("")
            geoms.append(Point(float(members["lon"].mean()), float(members["lat"].mean())))
            source.append("site_centroid")
    summary["prefecture_zh"] = pref_zh
    summary["seat"] = seat_name
    summary["seat_zh"] = seat_zh
    summary["geometry_source"] = source
    return geoms


def _amounts(
    inputs: LayerInputs, summary: pd.DataFrame, sites: gpd.GeoDataFrame, fac: gpd.GeoDataFrame
) -> None:
    """Add the supply, delivered and unused amounts (target streams and per stream).

    Parameters
    ----------
    inputs : LayerInputs
        The streams and the field dictionary.
    summary : DataFrame
        One row per prefecture, changed in place.
    sites : GeoDataFrame
        The sites layer.
    fac : GeoDataFrame
        The facilities layer.
    """
    unit_of = inputs.unit_of
    by_pref_sites = sites.groupby("prefecture")
    summary["supply_target_t_yr"] = (
        summary["prefecture"].map(by_pref_sites["supply_target_t_yr"].sum()).fillna(0.0)
    )
    intake_target = [stream_field("intake", s, unit_of[s]) for s in inputs.target_streams]
    fac_by = fac.groupby("prefecture")
    if intake_target:
        delivered_target = (
            fac[intake_target].sum(axis=1, min_count=1).groupby(fac["prefecture"]).sum(min_count=1)
        )
    else:
        delivered_target = pd.Series(dtype=float)
    summary["delivered_target_t_yr"] = summary["prefecture"].map(delivered_target)
    for stream in inputs.streams["stream"]:
        col = stream_field("intake", stream, unit_of[stream])
        name = stream_field("delivered", stream, unit_of[stream])
        summary[name] = summary["prefecture"].map(fac_by[col].sum(min_count=1))
        inputs.fields.add(
            "prefecture_summary",
            name,
            f"{unit_of[stream]}/yr",
            _("{stream} taken in by facilities in the prefecture").format(
                stream=inputs.stream_name(stream)
            ),
        )
    for stream in inputs.streams["stream"]:
        col = stream_field("unused", stream, unit_of[stream])
        summary[col] = summary["prefecture"].map(by_pref_sites[col].sum(min_count=1))
        inputs.fields.add(
            "prefecture_summary",
            col,
            f"{unit_of[stream]}/yr",
            _("{stream} left unused at sites in the prefecture").format(
                stream=inputs.stream_name(stream)
            ),
        )
    summary["unused_target_t_yr"] = summary["prefecture"].map(
        by_pref_sites["unused_target_t_yr"].sum(min_count=1)
    )


def _costs(inputs: LayerInputs, summary: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Add the facility, transport and unused costs and their sum (a solved run).

    Parameters
    ----------
    inputs : LayerInputs
        The case (sites' prefectures, facility inputs) and streams.
    summary : DataFrame
        One row per prefecture with its amounts (:func:`_amounts`), changed in place; its
        delivered target amount becomes 0 where unknown.
    layers : dict of str to GeoDataFrame
        ``sites``, ``facilities`` and ``flows``.
    """
    fac = layers["facilities"]
    fac_cost = _facility_costs(inputs, fac)
    summary["facility_cost_cny_yr"] = (
        summary["prefecture"]
        .map(pd.Series(fac_cost).groupby(fac["prefecture"].to_numpy()).sum())
        .fillna(0.0)
    )
    flows = layers["flows"]
    flow_pref = flows["from_site"].map(inputs.site_map("prefecture"))
    summary["transport_cost_cny_yr"] = (
        summary["prefecture"].map(flows["cost_cny_yr"].groupby(flow_pref).sum()).fillna(0.0)
    )
    by_pref_sites = layers["sites"].groupby("prefecture")
    summary["unused_cost_cny_yr"] = (
        summary["prefecture"].map(by_pref_sites["unused_cost_cny_yr"].sum()).fillna(0.0)
    )
    summary["cost_cny_yr"] = (
        summary["facility_cost_cny_yr"]
        + summary["transport_cost_cny_yr"]
        + summary["unused_cost_cny_yr"]
    )
    summary["delivered_target_t_yr"] = summary["delivered_target_t_yr"].fillna(0.0)


def _facility_costs(inputs: LayerInputs, fac: gpd.GeoDataFrame) -> np.ndarray:
    """Each facility's cost: annualised capex + fixed opex (new and existing) + processing
    less product value.

    Parameters
    ----------
    inputs : LayerInputs
        The case's facility inputs (var_cost, value) and the streams.
    fac : GeoDataFrame
        The facilities layer (per-stream intake, costs, status).

    Returns
    -------
    ndarray
        CNY/yr per facility, in the order of ``fac``.
    """
    inputs_table = inputs.case.facility_inputs
    net = (inputs_table["var_cost"] - inputs_table["value"]).to_numpy(float)
    lookup: dict[tuple[str, str], float] = {}
    for stream in inputs.streams["stream"]:
        col = stream_field("intake", stream, inputs.unit_of[stream])
        lookup.update(
            {(f, stream): float(v) for f, v in zip(fac["facility"], fac[col], strict=True)}
        )
    intake_by_input = np.array(
        [
            lookup.get((f, s), 0.0)
            for f, s in zip(inputs_table["facility"], inputs_table["stream"], strict=True)
        ],
        dtype=float,
    )
    processing = pd.Series(net * intake_by_input).groupby(inputs_table["facility"].to_numpy()).sum()
    # an existing facility retired by the year a multi-year map shows pays nothing that year
    fixed_existing = np.where(fac["state"] == "existing", fac["fixed_opex_cny_yr"], 0.0)
    cost: np.ndarray = (
        fac["annual_cost_cny_yr"].fillna(0.0).to_numpy()
        + fixed_existing
        + fac["facility"].map(processing).fillna(0.0).to_numpy()
    )
    return cost


__all__ = ["COST_FIELDS", "SUMMARY_FIELDS", "prefecture_summary_layer"]
