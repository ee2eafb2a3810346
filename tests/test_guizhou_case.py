"""Headline figures of the bundled Guizhou case (data/parks/guizhou).

These numbers are the case as documented in its SOURCES.md; an edit to the CSVs that changes
them must update this file and SOURCES.md together.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point, shape

from symbiosis.case import load_case

CASE = Path(__file__).resolve().parents[1] / "data/parks/guizhou"
PREFECTURES = {
    "Guiyang",
    "Zunyi",
    "Liupanshui",
    "Anshun",
    "Bijie",
    "Tongren",
    "Qiandongnan",
    "Qiannan",
    "Qianxinan",
}
BULK_STREAMS = {
    "phosphogypsum",
    "fly_ash",
    "fgd_gypsum",
    "coal_gangue",
    "steel_slag",
    "bf_slag",
    "red_mud",
    "emr",
    "carbide_slag",
}
# Mt/yr (waste_heat: TWh/yr)
SUPPLY_BY_STREAM = {
    "coal_gangue": 35.80,
    "fly_ash": 21.31,
    "phosphogypsum": 18.80,
    "red_mud": 7.05,
    "tailings": 6.00,
    "fgd_gypsum": 5.24,
    "emr": 1.93,
    "bf_slag": 1.20,
    "p_slag": 1.10,
    "ferroalloy_slag": 0.30,
    "steel_slag": 0.92,
    "carbide_slag": 0.50,
    "waste_heat": 4.0015,
}
# target streams only, Mt/yr
SUPPLY_BY_PREFECTURE = {
    "Liupanshui": 30.40,
    "Bijie": 17.53,
    "Guiyang": 19.52,
    "Qiannan": 14.48,
    "Zunyi": 7.32,
    "Qianxinan": 4.72,
    "Anshun": 2.49,
    "Tongren": 2.55,
    "Qiandongnan": 1.14,
}


@pytest.fixture(scope="module")
def case():
    return load_case(CASE)


def _target_streams(case) -> set[str]:
    st = case.streams
    return set(st.loc[st["target"].astype(int) == 1, "stream"])


def test_counts(case):
    sites, fac = case.sites, case.facilities
    assert len(sites) == 207
    assert sites["site"].is_unique
    parks = sites["park"].dropna()
    parks = parks[parks.astype(str) != ""]
    assert parks.nunique() == 47
    assert set(sites["prefecture"]) == PREFECTURES
    assert int(sites["rail"].sum()) == 39
    assert len(case.supply) == 156
    assert len(fac) == 192
    assert int((fac["status"] == "existing").sum()) == 116
    assert int((fac["status"] == "candidate").sum()) == 76
    cand = fac[fac["status"] == "candidate"]
    assert cand["group"].dropna().astype(str).str.len().gt(0).all()
    assert cand["group"].nunique() == 61
    # the bases as product routes (issue 13): 24 route plants in 19 groups at 8 base sites
    routes = cand[cand["group"].astype(str).str.startswith("base_")]
    assert len(routes) == 24
    assert routes["group"].nunique() == 19
    assert routes["site"].nunique() == 8


def test_requirements_of_the_issue(case):
    """Issue 3: streams, >= 150 sites in >= 40 parks, >= 80 existing, >= 50 candidates."""
    streams = set(case.streams["stream"])
    assert BULK_STREAMS | {"waste_heat"} <= streams
    st = case.streams.set_index("stream")
    assert int(st.at["waste_heat", "target"]) == 0
    assert st.at["waste_heat", "unit"] == "MWh"
    for s in BULK_STREAMS:
        assert int(st.at[s, "target"]) == 1
    # Environmental Protection Tax Law, Art. 4(2): no tax on waste stored in a compliant
    # facility, which is what every stream's disposal_cost pays for (SOURCES.md, issue 13)
    assert (st["env_tax"] == 0).all()
    assert (st.loc[list(BULK_STREAMS), "disposal_cost"] > 0).all()
    assert case.sites["park"].nunique() >= 40
    assert int((case.facilities["status"] == "existing").sum()) >= 80
    assert int((case.facilities["status"] == "candidate").sum()) >= 50


def test_supply_by_stream(case):
    got = case.supply.groupby("stream")["amount"].sum() / 1e6
    assert set(got.index) == set(SUPPLY_BY_STREAM)
    for stream, mt in SUPPLY_BY_STREAM.items():
        assert got[stream] == pytest.approx(mt, abs=0.005), stream


def test_supply_totals(case):
    sup = case.supply
    target = sup[sup["stream"].isin(_target_streams(case))]
    assert target["amount"].sum() / 1e6 == pytest.approx(100.15, abs=0.005)
    stock = target[target["unused_cost"].fillna(-1) == 0]
    assert len(stock) == 25
    assert stock["amount"].sum() / 1e6 == pytest.approx(23.94, abs=0.005)
    new_pg = sup[(sup["stream"] == "phosphogypsum") & sup["unused_cost"].isna()]
    # guizhou-2025.yaml's phosphogypsum target is this amount ("以渣定产")
    assert new_pg["amount"].sum() == pytest.approx(11_800_000)


# 2018 coal-mine capacity by prefecture, Mt/yr (GUIZHOU_FACTS L184), of 157.18 in all
MINE_CAPACITY = {
    "Liupanshui": 58.83,
    "Bijie": 55.75,
    "Qianxinan": 16.17,
    "Zunyi": 14.01,
    "Anshun": 6.60,
    "Qiannan": 3.66,
    "Guiyang": 2.16,
}


def test_coal_gangue_by_one_method(case):
    """New gangue = coal output (131 Mt, 2023) x the prefecture's share of mine capacity x
    0.25 t/t in Liupanshui, 0.2 elsewhere; heaps at the 49 planned fills' pace (issue 13)."""
    sup = case.supply.merge(case.sites[["site", "prefecture"]], on="site")
    gangue = sup[sup["stream"] == "coal_gangue"]
    new = gangue[gangue["unused_cost"].isna()].groupby("prefecture")["amount"].sum() / 1e6
    assert set(new.index) == set(MINE_CAPACITY)
    for pref, capacity in MINE_CAPACITY.items():
        ratio = 0.25 if pref == "Liupanshui" else 0.2
        assert new[pref] == pytest.approx(131 * capacity / 157.18 * ratio, abs=0.006), pref
    assert new.sum() == pytest.approx(28.66, abs=0.005)
    heaps = gangue[gangue["unused_cost"] == 0]
    assert set(heaps["prefecture"]) == {"Liupanshui"}
    # 49 projects at the pilots' 2.186 Mt / 3 each, over the five years 2026-2030
    assert heaps["amount"].sum() / 1e6 == pytest.approx(49 * 2.186 / 3 / 5, abs=0.005)


def test_supply_by_prefecture(case):
    sup = case.supply[case.supply["stream"].isin(_target_streams(case))]
    merged = sup.merge(case.sites[["site", "prefecture"]], on="site", how="left")
    assert merged["prefecture"].notna().all()
    got = merged.groupby("prefecture")["amount"].sum() / 1e6
    assert set(got.index) == PREFECTURES
    for pref, mt in SUPPLY_BY_PREFECTURE.items():
        assert got[pref] == pytest.approx(mt, abs=0.005), pref


def test_capacities(case):
    fac, inp = case.facilities, case.facility_inputs
    heat = set(inp.loc[inp["stream"] == "waste_heat", "facility"])
    solid = fac[~fac["facility"].isin(heat)]
    existing = solid.loc[solid["status"] == "existing", "capacity"].sum() / 1e6
    candidate = solid.loc[solid["status"] == "candidate", "capacity"].sum() / 1e6
    assert existing == pytest.approx(61.541, abs=0.001)
    assert candidate == pytest.approx(52.95, abs=0.001)
    # existing users alone cannot take 90 Mt/yr
    assert existing < 90


def test_units_and_references(case):
    unit = case.streams.set_index("stream")["unit"]
    units = case.facility_inputs.assign(unit=case.facility_inputs["stream"].map(unit))
    assert (units.groupby("facility")["unit"].nunique() == 1).all()
    assert set(case.supply["site"]) <= set(case.sites["site"])
    assert set(case.facilities["site"]) <= set(case.sites["site"])
    assert set(case.facility_inputs["facility"]) == set(case.facilities["facility"])
    for table in (case.sites, case.supply, case.facilities):
        assert table["confidence"].isin(["H", "M", "L"]).all()
        assert table["source"].astype(str).str.len().gt(0).all()


def test_parks_geojson(case):
    assert case.parks is not None
    feats = case.parks["features"]
    props = pd.DataFrame([f["properties"] for f in feats])
    used = set(case.sites["park"].dropna().astype(str)) - {""}
    assert used <= set(props["park"])
    assert set(props["level"]) <= {"national", "provincial", "other"}
    assert set(props["prefecture"]) == PREFECTURES
    for f in feats:
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        coords = f["geometry"]["coordinates"]
        polygons = coords if f["geometry"]["type"] == "MultiPolygon" else [coords]
        points = [p for poly in polygons for ring in poly for p in ring]
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        assert min(lons) > 103.0 and max(lons) < 110.0
        assert min(lats) > 24.3 and max(lats) < 29.5


def test_sites_inside_the_province(case):
    """Every site lies inside the province outline of maps/ (issue 13: an EMR yard lay 3 km
    outside it)."""
    outline = json.loads((CASE.parents[2] / "maps/guizhou_province.geojson").read_text())
    province = shape(outline["features"][0]["geometry"])
    sites = case.sites
    outside = [
        site
        for site, lon, lat in zip(sites["site"], sites["lon"], sites["lat"], strict=True)
        if not province.contains(Point(float(lon), float(lat)))
    ]
    assert outside == []


def test_modes(case):
    modes = case.modes.set_index("mode")
    assert set(modes.index) == {"road", "rail", "heat_pipe"}
    assert modes.at["road", "max_km"] == pytest.approx(250)
    assert int(modes.at["rail", "rail"]) == 1
    assert modes.at["rail", "link_cost"] > modes.at["road", "link_cost"] > 0
    assert modes.at["heat_pipe", "kind"] == "heat"


def test_yearly_columns(case):
    """The v2 columns (SOURCES.md, "Years 2026-2030"): growth, stock, available_from."""
    sup, fac = case.supply, case.facilities
    falling = sup[sup["growth"] != 0]
    assert set(falling["growth"]) == {-0.014}
    # yellow-phosphorus slag and the P4 plants' tail-gas heat
    assert len(falling) == 10
    assert set(falling["stream"]) == {"p_slag", "waste_heat"}
    stocked = sup[sup["stock"].notna()]
    assert len(stocked) == 8
    assert (stocked["unused_cost"] == 0).all()
    by_stream = stocked.groupby("stream")["stock"].sum() / 1e6
    assert by_stream.to_dict() == pytest.approx({"phosphogypsum": 120.0, "coal_gangue": 200.0})
    # each row's growth or stock basis closes its source
    assert sup["source"].str.contains(r"; (?:growth|stock)", regex=True).all()
    candidate = fac["status"] == "candidate"
    assert fac.loc[~candidate, "available_from"].isna().all()
    years = fac.loc[candidate, "available_from"].astype(int).value_counts().to_dict()
    assert years == {2026: 30, 2027: 25, 2028: 15, 2029: 6}
    routes = fac[fac["group"].fillna("").astype(str).str.startswith("base_")]
    assert len(routes) == 24 and (routes["available_from"] == 2026).all()
    assert fac["retire_year"].isna().all()


# --------------------------------------------------------------------------------------------
# Names in Chinese and county codes (issue 13, "Names and language")
# --------------------------------------------------------------------------------------------
#: GB/T 2260 code of each prefecture: the first four digits of its counties' codes
PREFECTURE_CODES = {
    "Guiyang": "5201",
    "Liupanshui": "5202",
    "Zunyi": "5203",
    "Anshun": "5204",
    "Bijie": "5205",
    "Tongren": "5206",
    "Qianxinan": "5223",
    "Qiandongnan": "5226",
    "Qiannan": "5227",
}


def _chinese(text: object) -> bool:
    """Non-empty text with at least one CJK ideograph."""
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(
    ("table", "key"), [("streams", "stream"), ("sites", "site"), ("facilities", "facility")]
)
def test_every_row_has_a_chinese_name(case, table, key):
    frame = getattr(case, table)
    missing = frame.loc[~frame["name_zh"].map(_chinese), key].tolist()
    assert not missing, f"{table}.csv rows without a Chinese name_zh: {missing}"


def test_every_park_and_prefecture_has_a_chinese_name(case):
    parks = [f["properties"] for f in case.parks["features"]]
    assert [p["park"] for p in parks if not _chinese(p.get("name_zh"))] == []
    prefectures = case.prefectures.set_index("prefecture")
    assert set(prefectures.index) == PREFECTURES
    assert prefectures["name_zh"].map(_chinese).all()
    assert prefectures.at["Liupanshui", "name_zh"] == "六盘水市"
    assert prefectures.at["Qiannan", "name_zh"] == "黔南布依族苗族自治州"
    assert {p: c[:4] for p, c in prefectures["code"].items()} == PREFECTURE_CODES


def test_chinese_names_of_the_streams(case):
    """The names Chinese sources use for each stream."""
    zh = case.streams.set_index("stream")["name_zh"]
    for stream, name in {
        "phosphogypsum": "磷石膏",
        "fly_ash": "粉煤灰",
        "fgd_gypsum": "脱硫石膏",
        "coal_gangue": "煤矸石",
        "red_mud": "赤泥",
        "emr": "电解锰渣",
        "carbide_slag": "电石渣",
        "steel_slag": "钢渣",
    }.items():
        assert name in zh[stream], stream
    parks = {f["properties"]["park"]: f["properties"]["name_zh"] for f in case.parks["features"]}
    assert parks["guiyang_etdz"] == "贵阳经济技术开发区"
    assert parks["kaiyang_pchem"] == "开阳磷化工园区"


def test_county_codes(case):
    """Six-digit GB/T 2260 codes in the site's prefecture, on all but the sites whose county
    is not known (aggregate or unplaced points); current codes, not retired ones."""
    sites = case.sites.set_index("site")
    coded = sites[sites["county_code"] != ""]
    assert len(coded) >= 195
    assert coded["county_code"].str.fullmatch(r"52\d{4}").all()
    prefix = coded["prefecture"].map(PREFECTURE_CODES)
    wrong = coded.index[coded["county_code"].str[:4] != prefix].tolist()
    assert not wrong, wrong
    # codes of counties that became districts or cities: the old ones are gone
    retired = {"520221", "520222", "520321", "520421", "520522", "522322", "522201"}
    assert not set(coded["county_code"]) & retired
    for site, code in {
        "gy_kl_kaiyang": "520121",  # 开阳县
        "lps_shuigang": "520201",  # 钟山区
        "lps_shuicheng_mines": "520204",  # 水城区 (水城县 520221 until 2020)
        "lps_panxian_power": "520281",  # 盘州市
        "zy_yaxi_power": "520304",  # 播州区 (鸭溪镇)
        "bj_qianxi_power": "520581",  # 黔西市
        "qn_wengfu_mcp": "522702",  # 福泉市
        "tr_sanhe_mn": "520628",  # 松桃苗族自治县
        "qxn_xingren_mines": "522302",  # 兴仁市
    }.items():
        assert sites.at[site, "county_code"] == code, site
