"""The Guizhou bases as product routes (issue 13, "routes").

The 23 generic ``utilisation_base`` candidates (no product, no market, one flat capex of 150 CNY
per t/yr) are replaced by product-route plants at the base sites: each route is a facility of a
real tech with its own costs, a product (``output``) and a capacity bounded by a stated market
(data/parks/guizhou/SOURCES.md, "Product routes of the bases (issue 13)").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from symbiosis.case import load_case

CASE = Path(__file__).resolve().parents[1] / "data/parks/guizhou"
ROUTE_TECHS = {"aggregate", "cement_grinding", "road_base", "brick_block", "aac_block"}
#: words that mark a route's base as named by a source, and what its source must then cite
NAMED = "Guiyang national pilot base"
NAMED_CITATION = ("first 12", "MIIT", "Guiyang Municipal Industry and Information Technology")


@pytest.fixture(scope="module")
def facilities() -> pd.DataFrame:
    return load_case(CASE).facilities


@pytest.fixture(scope="module")
def routes(facilities: pd.DataFrame) -> pd.DataFrame:
    """Candidates of a base's route group (``base_<place>_<route>``)."""
    grp = facilities["group"].fillna("").astype(str)
    return facilities[(facilities["status"] == "candidate") & grp.str.startswith("base_")]


def test_no_generic_base_left(facilities: pd.DataFrame) -> None:
    assert "utilisation_base" not in set(facilities["tech"])


def test_routes_are_real_facilities(routes: pd.DataFrame) -> None:
    assert len(routes) >= 20
    assert set(routes["tech"]) <= ROUTE_TECHS
    # each route names its product
    out = routes["output"].fillna("").astype(str).str.strip()
    assert (out != "").all(), routes.loc[out == "", "facility"].tolist()
    # one group per route per base: a group holds one tech at one site (size options only)
    per_group = routes.groupby("group").agg(techs=("tech", "nunique"), sites=("site", "nunique"))
    assert (per_group["techs"] == 1).all() and (per_group["sites"] == 1).all()


def test_route_capex_is_not_flat(routes: pd.DataFrame) -> None:
    per_t = routes["capex"] / routes["capacity"]
    # no longer one figure for every base, and each tech has its own
    assert per_t.nunique() >= 4
    by_tech = per_t.groupby(routes["tech"]).agg(["min", "max"])
    assert (by_tech["min"] == by_tech["max"]).all()  # one capex rate per tech
    assert by_tech["min"].is_unique  # and a different one for each tech
    # grinding is costed per t of waste intake: 60 CNY per t/yr of cement / 0.4 (issue 13)
    assert by_tech.loc["cement_grinding", "min"] == pytest.approx(150.0)


def test_route_inputs_match_the_product(routes: pd.DataFrame) -> None:
    inputs = load_case(CASE).facility_inputs
    inputs = inputs[inputs["facility"].isin(routes["facility"])]
    tech = routes.set_index("facility")["tech"]
    assert len(tech) > 0 and set(tech) <= ROUTE_TECHS
    streams = inputs.groupby("facility")["stream"].apply(set)
    assert set(streams.index) == set(routes["facility"])
    for fid, got in streams.items():
        if tech[fid] == "aggregate":
            assert got == {"coal_gangue"}
        elif tech[fid] == "aac_block":
            assert got == {"fly_ash"}
        elif tech[fid] == "cement_grinding":
            assert "fly_ash" in got or "bf_slag" in got
            assert "coal_gangue" not in got
    # a product value per input row, never the old flat base figures alone
    assert (inputs["value"] >= 0).all() and (inputs["var_cost"] > 0).all()


def test_every_base_site_has_two_routes(routes: pd.DataFrame) -> None:
    per_site = routes.groupby("site")["group"].nunique()
    assert len(per_site) >= 8
    assert (per_site >= 2).all(), per_site[per_site < 2].to_dict()


def test_bases_are_named_or_said_to_be_candidates(routes: pd.DataFrame) -> None:
    named = routes["name"].str.contains(NAMED, regex=False)
    candidate = routes["name"].str.contains("candidate base", regex=False)
    assert (named ^ candidate).all()
    assert named.any()
    for src in routes.loc[named, "source"]:
        assert all(word in src for word in NAMED_CITATION), src
        assert "zoushunyingdingyiwen" not in src  # the mirror, never cited
    for src in routes.loc[candidate, "source"]:
        assert src.startswith("estimate:") and "no source names them" in src
    assert (routes["confidence"] == "L").all()
    assert routes["name_zh"].str.contains("基地|开发区", regex=True).all()
