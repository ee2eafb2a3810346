"""Coal power, ferroalloy slag and barite of the Guizhou case (issue 13, "Missing").

SOURCES.md, "Coal power and ferroalloy slag (issue 13)": the utility coal plants the case
carries, their fly ash and FGD gypsum by the case's per-GW method, the plants FACTS names as
retired, cancelled or not yet built kept out, and the new ``ferroalloy_slag`` stream.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from symbiosis.case import load_case
from symbiosis.maps.styles import stream_colours

CASE = Path(__file__).resolve().parents[1] / "data/parks/guizhou"

#: utility plant site -> MW, as the rows' sources state it (GEM / SourceWatch, FACTS §2, B2a)
PLANTS_MW = {
    "zy_yaxi_power": 1200,
    "zy_tongzi_power": 1200,
    "zy_erlang_power": 1320,
    "lps_faer_power": 2400,
    "lps_panxian_power": 1320,
    "lps_panbei_power": 600,
    "lps_pannan_power": 2400,
    "lps_liuzhi_power": 1320,
    "as_anshun_power": 1200,
    "bj_dafang_power": 1200,
    "bj_qianbei_power": 1200,
    "bj_chayuan_power": 1320,
    "bj_qianxi_power": 1200,
    "bj_nayong1_power": 1200,
    "bj_nayong2_power": 1200,
    "bj_zhijin_power": 1320,
    "qdn_qiandong_power": 1200,
    "qxn_puan_power": 1320,
    "gy_tangzhai_power": 1200,
}
#: rows this issue added (site, stream)
NEW_ROWS = {
    ("gy_tangzhai_power", "fly_ash"),
    ("gy_tangzhai_power", "fgd_gypsum"),
    ("zy_erlang_power", "fly_ash"),
    ("zy_erlang_power", "fgd_gypsum"),
    ("lps_liuzhi_power", "fly_ash"),
    ("lps_liuzhi_power", "fgd_gypsum"),
    ("zy_etdz_ferro", "ferroalloy_slag"),
    ("tr_dalong_ferro", "ferroalloy_slag"),
}
NEW_SITES = {"gy_tangzhai_power", "zy_erlang_power", "lps_liuzhi_power", "tr_dalong_ferro"}
#: plants that must not supply: retired (exact GEM points), permitted or under construction
#: only (exact points); FACTS L76-L78, L201-L202, and the GEM pages cited in SOURCES.md
NOT_OPERATING = {
    "Guiyang (retired 2013)": (26.5473, 106.6851),
    "Zunyi (retired 2010)": (27.6710, 106.9087),
    "Qingzhen (retired 2004-2010)": (26.5139, 106.4465),
    "Sinopec Zhijin cogeneration (permitted/shelved)": (26.8891, 105.7863),
    "CR Dafang Wumeng (pre-permit)": (26.9957, 105.5078),
    "CR Qianxi (permitted)": (26.8918, 105.9124),
    "Weihe, Hezhang (under construction)": (27.2196, 104.6486),
}
#: cancelled plants, whose GEM points are only approximate: they must not be named
CANCELLED_NAMES = (
    "qingjiang",
    "清江",
    "jianhao",
    "建皓",
    "liuzhi gangue power",
    "liuzhi inferior",
    "六枝工矿",
    "wangjiazhai",
)


@pytest.fixture(scope="module")
def case():
    return load_case(CASE)


def _mw(source: str) -> int:
    """The plant's capacity: the first "<n> MW" of a fly-ash row's source."""
    found = re.search(r"(\d{3,4}) MW", source)
    assert found, source
    return int(found.group(1))


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points, km."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _plant_rows(case) -> pd.DataFrame:
    sup = case.supply
    return sup[sup["site"].str.endswith("_power") & (sup["stream"] == "fly_ash")]


def test_coal_power_capacity(case):
    """19 utility plants, 25.32 GW (21.48 before issue 13), each row stating its MW."""
    plants = _plant_rows(case)
    assert plants["site"].is_unique
    got = {site: _mw(src) for site, src in zip(plants["site"], plants["source"], strict=True)}
    assert got == PLANTS_MW
    assert sum(got.values()) / 1000 == pytest.approx(25.32)


def test_fly_ash_and_gypsum_per_gw(case):
    """Fly ash 0.5 Mt and FGD gypsum 0.2 Mt per GW-yr (SOURCES.md "Generation"), rounded to
    10 kt; Panbei (CFB on slime and gangue) by what it burns, without a gypsum row."""
    sup = case.supply
    for site, mw in PLANTS_MW.items():
        rows = sup[sup["site"] == site].set_index("stream")["amount"]
        if site == "lps_panbei_power":
            assert rows["fly_ash"] == pytest.approx(2.8e6 * 0.45, rel=0.05)
            assert "fgd_gypsum" not in rows
            continue
        assert rows["fly_ash"] == pytest.approx(mw * 500, abs=10_000), site
        assert rows["fgd_gypsum"] == pytest.approx(mw * 200, abs=10_000), site


def test_named_plants_of_the_facts(case):
    """FACTS B2a: Dafang (Huadian) 4x300 MW at its SourceWatch point, Tangzhai 2x600 MW
    (Qingzhen, Guiyang), Guodian Zhijin; GEM's exact points for Erlang and CR Liuzhi."""
    sites = case.sites.set_index("site")
    point = {s: (float(sites.at[s, "lat"]), float(sites.at[s, "lon"])) for s in sites.index}
    assert _km(point["bj_dafang_power"], (27.1006, 105.5658)) < 0.1
    assert _km(point["zy_erlang_power"], (28.163822, 106.352114)) < 0.1
    assert _km(point["lps_liuzhi_power"], (26.388345, 105.394992)) < 0.1
    assert sites.at["gy_tangzhai_power", "prefecture"] == "Guiyang"
    assert sites.at["gy_tangzhai_power", "county_code"] == "520181"  # 清镇市
    assert "塘寨" in sites.at["gy_tangzhai_power", "name_zh"]
    assert "bj_zhijin_power" in set(case.supply["site"])


def test_retired_cancelled_and_unbuilt_plants_absent(case):
    sup = case.supply.merge(case.sites, on="site")
    ash = sup[sup["stream"].isin(["fly_ash", "fgd_gypsum"])]
    near = [
        (plant, site)
        for plant, where in NOT_OPERATING.items()
        for site, lat, lon in zip(ash["site"], ash["lat"], ash["lon"], strict=True)
        if _km(where, (float(lat), float(lon))) < 3.0
    ]
    assert near == []
    names = (case.sites["name"] + " " + case.sites["name_zh"]).str.lower()
    assert not names.str.contains("|".join(CANCELLED_NAMES)).any()


def test_ferroalloy_slag_stream(case):
    st = case.streams.set_index("stream")
    row = st.loc["ferroalloy_slag"]
    assert row["name"] == "Ferroalloy slag"
    assert row["name_zh"] == "铁合金渣"
    assert int(row["target"]) == 1 and row["kind"] == "solid" and row["unit"] == "t"
    # compliant storage pays no environmental protection tax (SOURCES.md "Corrections" 9);
    # its disposal cost sits with the other smelting slags'
    assert row["env_tax"] == 0
    assert (
        st.at["bf_slag", "disposal_cost"]
        <= row["disposal_cost"]
        <= st.at["steel_slag", "disposal_cost"]
    )
    sup = case.supply[case.supply["stream"] == "ferroalloy_slag"].merge(case.sites, on="site")
    assert set(sup["prefecture"]) == {"Zunyi", "Tongren"}
    assert sup["amount"].sum() / 1e6 == pytest.approx(0.30)


def test_ferroalloy_slag_users(case):
    """Existing kilns and the grinding station take it at the shares the case gives yellow-
    phosphorus slag (the other granulated electric-furnace slag); no candidate, no new plant."""
    inp = case.facility_inputs.merge(case.facilities, on="facility")
    users = inp[inp["stream"] == "ferroalloy_slag"]
    assert len(users) == 11
    assert (users["status"] == "existing").all()
    p_slag = inp[(inp["stream"] == "p_slag") & (inp["status"] == "existing")]
    for tech, share in users.groupby("tech")["max_share"].max().items():
        assert share <= p_slag.loc[p_slag["tech"] == tech, "max_share"].max(), tech
    sites = case.sites.set_index("site")
    assert set(users["site"].map(sites["prefecture"])) == {"Zunyi", "Tongren"}


def test_new_rows_cited_or_estimated(case):
    sup = case.supply
    new = sup[[(s, t) in NEW_ROWS for s, t in zip(sup["site"], sup["stream"], strict=True)]]
    assert len(new) == len(NEW_ROWS)
    cited = new["source"].str.contains(r"gem\.wiki|sourcewatch\.org")
    assert (new["source"].str.startswith("estimate:") & (cited | (new["confidence"] == "L"))).all()
    assert (new["growth"] == 0).all()
    assert new["source"].str.contains("; growth 0 ").all()
    sites = case.sites[case.sites["site"].isin(NEW_SITES)]
    assert len(sites) == len(NEW_SITES)
    assert (sites["source"].str.contains("estimate:") | (sites["confidence"] == "H")).all()
    assert sites["county_code"].str.fullmatch(r"52\d{4}").all()


def test_every_stream_its_own_colour(case):
    """Maps: 13 streams, 13 colours (ferroalloy_slag would otherwise cycle onto a used one)."""
    colours = stream_colours(case.streams["stream"])
    assert len(set(colours.values())) == len(colours) == 13
