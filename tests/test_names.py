"""Names in two languages and county codes (issue 13): the optional ``name_zh`` columns,
``county_code`` on sites.csv, prefectures.csv, their checks, :func:`symbiosis.case.names`,
the GeoPackage round trip and the Chinese end-of-run table.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY
from typer.testing import CliRunner

from symbiosis.case import TABLES, CaseError, load_case, names
from symbiosis.cli import app
from symbiosis.i18n import use_language

runner = CliRunner()

STREAMS_ZH = """stream,name,name_zh,kind,unit,disposal_cost,env_tax,target
phosphogypsum,Phosphogypsum,磷石膏,solid,t,30,25,1
waste_heat,Waste heat,,heat,MWh,0,0,0
"""
SITES_ZH = """site,name,name_zh,park,prefecture,county_code,lon,lat,rail
A,Phosphoric acid plant,瓮福磷酸厂,FQ,Qiannan,522702,107.520,26.690,0
B,Cement works,福泉水泥厂,FQ,Qiannan,522702,107.700,26.700,0
C,Board plant site,开阳石膏板项目选址,KY,Guiyang,520121,106.970,27.060,0
D,Drying hall,,FQ,Qiannan,,107.530,26.700,0
"""
FACILITIES_ZH = (
    "facility,name,name_zh,tech,site,status,capacity,capex,fixed_opex,lifetime,group\n"
    "K,Cement kiln,水泥窑,cement_kiln,B,existing,200000,0,0,,\n"
    "P1,Gypsum board line 0.5 Mt,石膏板生产线，50万吨,gypsum_board,C,candidate,"
    "500000,100000000,2000000,20,board\n"
    "P2,Gypsum board line 0.9 Mt,石膏板生产线，90万吨,gypsum_board,C,candidate,"
    "900000,160000000,3000000,20,board\n"
    "H,Drying hall heat user,,drying,D,existing,80000,0,0,,\n"
)
PREFECTURES = """prefecture,name_zh,code
Qiannan,黔南布依族苗族自治州,522700
Guiyang,贵阳市,520100
"""


def _square(lon: float, lat: float) -> dict:
    ring = [[lon - 0.05, lat - 0.05], [lon + 0.05, lat - 0.05], [lon + 0.05, lat + 0.05]]
    return {"type": "Polygon", "coordinates": [[*ring, [lon - 0.05, lat + 0.05], ring[0]]]}


def named_tiny(root: Path) -> Path:
    """tests/cases/tiny with Chinese names, county codes, prefectures.csv and two parks (the
    second without a Chinese name); returns the scenario file."""
    tiny = Path(shutil.copytree(TINY, root / "tiny"))
    case = tiny / "case"
    (case / "streams.csv").write_text(STREAMS_ZH, encoding="utf-8")
    (case / "sites.csv").write_text(SITES_ZH, encoding="utf-8")
    (case / "facilities.csv").write_text(FACILITIES_ZH, encoding="utf-8")
    (case / "prefectures.csv").write_text(PREFECTURES, encoding="utf-8")
    parks = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"park": "FQ", "name": "Fuquan park", "name_zh": "福泉磷化工基地"},
                "geometry": _square(107.6, 26.7),
            },
            {
                "type": "Feature",
                "properties": {"park": "KY", "name": "Kaiyang park"},
                "geometry": _square(106.97, 27.06),
            },
        ],
    }
    (case / "parks.geojson").write_text(json.dumps(parks, ensure_ascii=False), encoding="utf-8")
    return tiny / "scenario.yaml"


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    return named_tiny(tmp_path).parent / "case"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The format: optional columns, read as they are written
# --------------------------------------------------------------------------------------------
def test_the_optional_columns_are_read(case_dir: Path) -> None:
    case = load_case(case_dir)
    assert case.streams["name_zh"].tolist() == ["磷石膏", ""]
    assert case.sites["county_code"].tolist() == ["522702", "522702", "520121", ""]
    assert case.prefectures.to_dict("records") == [
        {"prefecture": "Qiannan", "name_zh": "黔南布依族苗族自治州", "code": "522700"},
        {"prefecture": "Guiyang", "name_zh": "贵阳市", "code": "520100"},
    ]
    assert case_dir / "prefectures.csv" in case.files


def test_a_case_without_them_has_empty_columns() -> None:
    case = load_case(TINY / "case")
    assert case.sites["name_zh"].tolist() == [""] * 4
    assert case.sites["county_code"].tolist() == [""] * 4
    assert case.facilities["name_zh"].tolist() == [""] * 4
    assert case.prefectures.empty and list(case.prefectures.columns) == [
        "prefecture",
        "name_zh",
        "code",
    ]


# --------------------------------------------------------------------------------------------
# Checks: bad codes rejected with file, row, column, value and what is allowed
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("52270", "not six digits"),
        ("5227021", "not six digits"),
        ("52270x", "not six digits"),
        ("522702.0", "not six digits"),
        ("992702", "no province's code starts with 99"),
        ("522700", "a prefecture's code, not a county's"),
    ],
)
def test_bad_county_codes_are_rejected(case_dir: Path, code: str, why: str) -> None:
    _edit(case_dir / "sites.csv", "Guiyang,520121,", f"Guiyang,{code},")
    with pytest.raises(CaseError) as caught:
        load_case(case_dir)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "sites.csv",
        4,
        "county_code",
        code,
    )
    assert problem.message.startswith(why + "; allowed: a six-digit GB/T 2260 county code")


def test_a_county_code_outside_its_prefecture_is_rejected(case_dir: Path) -> None:
    """Site C is in Guiyang (5201): a Qiannan county's code (5227) is not its county."""
    _edit(case_dir / "sites.csv", "Guiyang,520121,", "Guiyang,522702,")
    with pytest.raises(CaseError) as caught:
        load_case(case_dir)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "sites.csv",
        4,
        "county_code",
        "522702",
    )
    assert problem.message == (
        "county code not in prefecture Guiyang (520100 in prefectures.csv); allowed: a county "
        "code starting 5201, or empty"
    )


def test_without_prefectures_csv_codes_are_checked_alone(case_dir: Path) -> None:
    (case_dir / "prefectures.csv").unlink()
    _edit(case_dir / "sites.csv", "Guiyang,520121,", "Guiyang,522702,")
    assert load_case(case_dir).sites.at[2, "county_code"] == "522702"


@pytest.mark.parametrize("code", ["522702", "520000", "5227", "992700"])
def test_bad_prefecture_codes_are_rejected(case_dir: Path, code: str) -> None:
    _edit(case_dir / "prefectures.csv", "522700", code)
    with pytest.raises(CaseError) as caught:
        load_case(case_dir)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "prefectures.csv",
        2,
        "code",
        code,
    )
    assert "allowed: a six-digit GB/T 2260 prefecture code ending in 00" in problem.message


def test_a_prefecture_missing_from_prefectures_csv_is_rejected(case_dir: Path) -> None:
    _edit(case_dir / "prefectures.csv", "Guiyang,贵阳市,520100\n", "")
    with pytest.raises(CaseError) as caught:
        load_case(case_dir)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "sites.csv",
        4,
        "prefecture",
        "Guiyang",
    )
    assert problem.message.startswith("unknown prefecture; allowed: one of the ids")


def test_a_park_name_zh_must_be_text(case_dir: Path) -> None:
    parks_file = case_dir / "parks.geojson"
    parks = json.loads(parks_file.read_text(encoding="utf-8"))
    parks["features"][0]["properties"]["name_zh"] = 12
    parks_file.write_text(json.dumps(parks), encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        load_case(case_dir)
    [problem] = caught.value.problems
    assert problem.file == "parks.geojson, feature 1"
    assert problem.message == "property 'name_zh' must be text"


def test_a_bad_code_on_the_command_line_in_both_languages(case_dir: Path) -> None:
    _edit(case_dir / "sites.csv", "Guiyang,520121,", "Guiyang,5201,")
    scenario = str(case_dir.parent / "scenario.yaml")
    english = runner.invoke(app, ["validate", scenario])
    chinese = runner.invoke(app, ["validate", scenario, "--lang", "zh"])
    assert english.exit_code == chinese.exit_code == 2
    assert "Traceback" not in english.output + chinese.output
    assert "sites.csv, row 4, column 'county_code': not six digits; allowed:" in english.output
    assert "(value '5201')" in english.output
    where = "sites.csv，第 4 行，'county_code' 列："
    assert where + "不是六位数字；允许：六位 GB/T 2260" in chinese.output
    assert "（值为 '5201'）" in chinese.output


# --------------------------------------------------------------------------------------------
# names(case, lang)
# --------------------------------------------------------------------------------------------
def test_names_in_each_language(case_dir: Path) -> None:
    case = load_case(case_dir)
    zh = names(case, "zh")
    en = names(case, "en")
    assert set(zh) == set(en) == {"stream", "site", "facility", "park", "prefecture"}
    assert zh["stream"] == {"phosphogypsum": "磷石膏", "waste_heat": "Waste heat"}
    assert en["stream"] == {"phosphogypsum": "Phosphogypsum", "waste_heat": "Waste heat"}
    assert zh["site"]["C"] == "开阳石膏板项目选址" and zh["site"]["D"] == "Drying hall"
    assert zh["facility"]["P2"] == "石膏板生产线，90万吨" and en["facility"]["P2"] == (
        "Gypsum board line 0.9 Mt"
    )
    assert zh["park"] == {"FQ": "福泉磷化工基地", "KY": "Kaiyang park"}
    assert en["park"] == {"FQ": "Fuquan park", "KY": "Kaiyang park"}
    assert zh["prefecture"] == {"Qiannan": "黔南布依族苗族自治州", "Guiyang": "贵阳市"}
    assert en["prefecture"] == {"Qiannan": "Qiannan", "Guiyang": "Guiyang"}
    with use_language("zh"):
        assert names(case) == zh  # the command's language by default
    with use_language("en"):
        assert names(case) == en


def test_names_without_fallback_are_only_those_given(case_dir: Path) -> None:
    zh = names(load_case(case_dir), "zh", fallback=False)
    assert zh["stream"] == {"phosphogypsum": "磷石膏"}
    assert set(zh["site"]) == {"A", "B", "C"} and set(zh["facility"]) == {"K", "P1", "P2"}
    assert zh["park"] == {"FQ": "福泉磷化工基地"}
    assert zh["prefecture"] == {"Qiannan": "黔南布依族苗族自治州", "Guiyang": "贵阳市"}
    assert names(load_case(TINY / "case"), "zh", fallback=False) == {
        "stream": {},
        "site": {},
        "facility": {},
        "park": {},
        "prefecture": {},
    }


def test_names_of_a_case_without_chinese_are_the_english_ones() -> None:
    case = load_case(TINY / "case")
    zh = names(case, "zh")
    assert zh == names(case, "en")
    assert zh["facility"]["K"] == "Cement kiln" and zh["prefecture"]["Qiannan"] == "Qiannan"
    assert zh["park"] == {"FQ": "FQ", "KY": "KY"}  # no parks.geojson: the ids


# --------------------------------------------------------------------------------------------
# GeoPackage and case export: both name fields, the codes, prefectures
# --------------------------------------------------------------------------------------------
def test_round_trip_through_a_geopackage_and_back_to_csv(case_dir: Path, tmp_path: Path) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    from symbiosis.maps.case_export import export_case_folder, export_case_gpkg

    case = load_case(case_dir)
    gpkg = export_case_gpkg(case, tmp_path / "case.gpkg")
    assert "prefectures" in {str(n) for n, _kind in pyogrio.list_layers(gpkg)}
    sites = pyogrio.read_dataframe(gpkg, layer="sites")
    assert {"name", "name_zh", "county_code"} <= set(sites.columns)
    assert sites["county_code"].tolist()[:3] == ["522702", "522702", "520121"]
    back = load_case(gpkg)
    again = load_case(export_case_folder(back, tmp_path / "csv"))
    for other in (back, again):
        for name in TABLES:
            pd.testing.assert_frame_equal(
                getattr(case, name).reset_index(drop=True),
                getattr(other, name).reset_index(drop=True),
                check_dtype=False,
            )
        assert names(other, "zh") == names(case, "zh")
    assert (tmp_path / "csv" / "prefectures.csv").is_file()


@pytest.mark.parametrize(("lang", "field"), [("en", "name"), ("zh", "name_zh")])
def test_qgis_styles_label_in_the_command_language(
    case_dir: Path, tmp_path: Path, lang: str, field: str
) -> None:
    pytest.importorskip("pyogrio")
    out = tmp_path / "case.gpkg"
    result = runner.invoke(app, ["case", "export", str(case_dir), "-o", str(out), "--lang", lang])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(out) as con:
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    for layer in ("sites", "parks"):
        assert f'fieldName="{field}"' in styles[layer], styles[layer][:2000]


def test_a_case_without_chinese_names_is_labelled_in_english_even_in_chinese(
    tmp_path: Path,
) -> None:
    pytest.importorskip("pyogrio")
    from symbiosis.maps.case_export import export_case_gpkg

    with use_language("zh"):
        out = export_case_gpkg(load_case(TINY / "case"), tmp_path / "case.gpkg")
    with sqlite3.connect(out) as con:
        [qml] = [r[0] for r in con.execute("SELECT styleQML FROM layer_styles")]
    assert 'fieldName="name"' in qml


# --------------------------------------------------------------------------------------------
# The console in Chinese; run folders the same in every language
# --------------------------------------------------------------------------------------------
RUN_TABLES = ("summary.json", "flows.csv", "facilities.csv", "unused.csv", "kpis.csv")


def test_end_of_run_table_names_the_projects_in_chinese(tmp_path: Path) -> None:
    scenario = named_tiny(tmp_path)
    chinese = runner.invoke(app, ["run", str(scenario), "--lang", "zh", "-o", str(tmp_path / "zh")])
    english = runner.invoke(app, ["run", str(scenario), "-o", str(tmp_path / "en")])
    plain = runner.invoke(app, ["run", str(TINY / "scenario.yaml"), "-o", str(tmp_path / "plain")])
    assert chinese.exit_code == english.exit_code == plain.exit_code == 0, chinese.output
    assert "石膏板生产线，90万吨" in chinese.output  # P2, the project built (EXPECTED.md)
    assert "P2" not in chinese.output.split("新建项目")[1].splitlines()[0]
    # English: ids, as before
    assert "│ projects built" in english.output and "1: P2" in english.output
    assert "石膏板" not in english.output
    for table in RUN_TABLES:
        # run folders do not depend on the language, nor on the case having Chinese names
        zh = (tmp_path / "zh" / table).read_text(encoding="utf-8")
        en = (tmp_path / "en" / table).read_text(encoding="utf-8")
        assert zh == en, table
        if table != "summary.json":
            assert (tmp_path / "plain" / table).read_text(encoding="utf-8") == en, table


def test_summary_table_names_targets_piles_and_planned_builds() -> None:
    """A stream's target, a pile left and a build plan's projects by their names."""
    from io import StringIO

    from rich.console import Console

    from symbiosis.display import print_table, summary_table

    summary = {
        "name": "n",
        "status": "optimal",
        "objective": 1.0,
        "mip_gap": 0.0,
        "delivered_target_t": 1.0,
        "co2_avoided_t": 0.0,
        "built": ["P2"],
        "build_plan": [{"facility": "P2", "year": 2027}],
        "stock_left": [{"site": "C", "stream": "phosphogypsum", "left": 5.0}],
        "targets": [
            {"name": "phosphogypsum", "asked": "1 t/yr", "met": True, "shortfall": 0.0},
        ],
    }
    named = {
        "facility": {"P2": "石膏板生产线，90万吨"},
        "site": {"C": "开阳石膏板项目选址"},
        "stream": {"phosphogypsum": "磷石膏"},
    }
    shown = {}
    for key, given in (("ids", None), ("names", named)):
        out = StringIO()
        with use_language("zh"):
            print_table(Console(file=out, width=200), summary_table(summary, given))
        shown[key] = out.getvalue()
    assert "石膏板生产线，90万吨 (2027)" in shown["names"]
    assert "剩余堆存 开阳石膏板项目选址 磷石膏" in shown["names"]
    assert "目标 磷石膏" in shown["names"]
    assert "P2 (2027)" in shown["ids"] and "phosphogypsum" in shown["ids"]
