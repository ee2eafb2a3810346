"""Reading and checking a case: every kind of bad input is named with file, row, column,
value and what is allowed, all problems at once; what spreadsheets produce (BOM, CRLF,
padded cells, extra columns, non-ASCII names) is read as the clean file.

Each test copies tests/cases/tiny to a temporary folder and breaks one thing. Row numbers are
those a spreadsheet shows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from symbiosis.case import CaseError, InputError, Problem, load_case
from symbiosis.runner import run_scenario
from symbiosis.scenario import check_scenario_against_case, load_scenario

TINY = Path(__file__).resolve().parent / "cases" / "tiny"
TINY_OBJECTIVE = 14_049_529.12  # EXPECTED.md


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A private copy of tests/cases/tiny (scenario.yaml and case/)."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle)]


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(case: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the spreadsheet row (2 = first record)."""
    path = case / f"{table}.csv"
    rows = rows_of(path)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def append_row(case: Path, table: str, values: list[str]) -> int:
    """Append a record; return its spreadsheet row number."""
    path = case / f"{table}.csv"
    rows = rows_of(path)
    rows.append(values)
    write_rows(path, rows)
    return len(rows)


def drop_column(case: Path, table: str, column: str) -> None:
    path = case / f"{table}.csv"
    rows = rows_of(path)
    j = rows[0].index(column)
    write_rows(path, [r[:j] + r[j + 1 :] for r in rows])


def problems_of(case: Path) -> list[Problem]:
    with pytest.raises(CaseError) as info:
        load_case(case)
    return info.value.problems


def the_problem(
    problems: list[Problem], file: str, row: int | None = None, column: str | None = None
) -> Problem:
    """The one problem at (file, row, column); fails listing them all otherwise."""
    found = [
        p
        for p in problems
        if p.file == file
        and (row is None or p.row == row)
        and (column is None or p.column == column)
    ]
    assert len(found) == 1, "\n".join(str(p) for p in problems)
    return found[0]


# --------------------------------------------------------------------------------------------
# one test per kind of bad input
# --------------------------------------------------------------------------------------------
def test_missing_required_file(tiny: Path) -> None:
    (tiny / "case" / "modes.csv").unlink()
    problem = the_problem(problems_of(tiny / "case"), "modes.csv")
    assert "missing required table" in problem.message


def test_optional_distances_file_may_be_missing(tiny: Path) -> None:
    (tiny / "case" / "distances.csv").unlink()
    case = load_case(tiny / "case")
    assert len(case.distances) == 0


def test_missing_column(tiny: Path) -> None:
    drop_column(tiny / "case", "facilities", "capacity")
    problem = the_problem(problems_of(tiny / "case"), "facilities.csv")
    assert "missing column 'capacity'" in problem.message
    # ... and what is required instead.
    assert "required columns: facility, name, tech, site, status, capacity" in problem.message


def test_bad_number(tiny: Path) -> None:
    set_cell(tiny / "case", "supply", 2, "amount", "lots")
    problem = the_problem(problems_of(tiny / "case"), "supply.csv", 2, "amount")
    assert problem.value == "lots"
    assert "not a number" in problem.message
    assert "allowed: a finite number > 0" in problem.message
    assert str(problem) == (
        "supply.csv, row 2, column 'amount': not a number; allowed: a finite number > 0 "
        "(value 'lots')"
    )


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e999"])
def test_nan_and_inf(tiny: Path, text: str) -> None:
    set_cell(tiny / "case", "facilities", 3, "capacity", text)
    problem = the_problem(problems_of(tiny / "case"), "facilities.csv", 3, "capacity")
    assert problem.value == text
    assert "not a finite number" in problem.message
    assert "allowed: a finite number > 0" in problem.message


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "allowed"),
    [
        ("streams", 2, "disposal_cost", "-1", "a finite number >= 0"),
        ("supply", 3, "amount", "0", "a finite number > 0"),
        ("facility_inputs", 2, "max_share", "1.5", "> 0 and <= 1"),
        ("facility_inputs", 3, "max_share", "0", "> 0 and <= 1"),
        ("modes", 3, "loss_per_km", "1", ">= 0 and < 1"),
        ("modes", 2, "circuity", "0.9", ">= 1"),
        ("sites", 2, "lat", "91", ">= -90 and <= 90"),
        ("sites", 3, "lon", "-180.5", ">= -180 and <= 180"),
        ("facilities", 3, "lifetime", "0", "> 0"),
        ("distances", 2, "km", "-20", ">= 0"),
        ("sites", 4, "rail", "2", "0 or 1"),
        ("streams", 2, "target", "yes", "0 or 1"),
        ("facilities", 2, "status", "planned", "'existing' or 'candidate'"),
        ("streams", 3, "kind", "steam", "'solid' or 'heat'"),
        ("streams", 2, "stream", "Phospho Gypsum", "matching [a-z0-9_]+"),
    ],
)
def test_value_out_of_range_or_not_allowed(
    tiny: Path, table: str, row: int, column: str, value: str, allowed: str
) -> None:
    set_cell(tiny / "case", table, row, column, value)
    problem = the_problem(problems_of(tiny / "case"), f"{table}.csv", row, column)
    assert problem.value == value
    assert "allowed" in problem.message and allowed in problem.message


ROUTES = Path(__file__).resolve().parent / "cases" / "routes"


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (3, "cost_per_unit", "-10", "out of range"),
        (2, "link_cost", "-300000", "out of range"),
        (4, "cost_per_unit", "cheap", "not a number"),
    ],
)
def test_route_costs_are_checked_like_every_column(
    tmp_path: Path, row: int, column: str, value: str, message: str
) -> None:
    """distances.csv's optional cost_per_unit / link_cost (v2 explicit routes): numbers >= 0
    or empty; a bad cell is named with file, row, column, value and what is allowed, and the
    CLI exits 2 without a traceback."""
    from typer.testing import CliRunner

    from symbiosis.cli import app

    routes = Path(shutil.copytree(ROUTES, tmp_path / "routes"))
    set_cell(routes / "case", "distances", row, column, value)
    problem = the_problem(problems_of(routes / "case"), "distances.csv", row, column)
    assert problem.value == value
    assert message in problem.message
    assert "allowed: a finite number >= 0 or empty" in problem.message
    result = CliRunner().invoke(app, ["validate", str(routes / "scenario.yaml")])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"distances.csv, row {row}, column '{column}'" in text
    assert "allowed: a finite number >= 0 or empty" in text
    assert "Traceback" not in result.output


def test_unit_must_match_kind(tiny: Path) -> None:
    set_cell(tiny / "case", "streams", 3, "unit", "t")
    problem = the_problem(problems_of(tiny / "case"), "streams.csv", 3, "unit")
    assert "heat stream is measured in MWh" in problem.message


def test_duplicate_id(tiny: Path) -> None:
    row = append_row(
        tiny / "case",
        "facilities",
        ["K", "Second kiln", "cement_kiln", "B", "existing", "1000", "0", "0", "", ""],
    )
    problem = the_problem(problems_of(tiny / "case"), "facilities.csv", row, "facility")
    assert problem.value == "K"
    assert "duplicate facility; each must be unique" in problem.message


def test_duplicate_key(tiny: Path) -> None:
    row = append_row(tiny / "case", "supply", ["A", "phosphogypsum", "5"])
    problem = the_problem(problems_of(tiny / "case"), "supply.csv", row)
    assert problem.column == "site/stream"
    assert problem.value == "A, phosphogypsum"
    assert "duplicate site/stream" in problem.message


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "what"),
    [
        ("supply", 2, "site", "Z", "site"),
        ("facilities", 2, "site", "Z", "site"),
        ("distances", 2, "from_site", "Z", "site"),
        ("distances", 3, "to_site", "Z", "site"),
        ("supply", 3, "stream", "gypsum", "stream"),
        ("facility_inputs", 2, "stream", "gypsum", "stream"),
        ("facility_inputs", 4, "facility", "P3", "facility"),
        ("distances", 4, "mode", "ship", "mode"),
    ],
)
def test_dangling_reference(
    tiny: Path, table: str, row: int, column: str, value: str, what: str
) -> None:
    set_cell(tiny / "case", table, row, column, value)
    problem = the_problem(problems_of(tiny / "case"), f"{table}.csv", row, column)
    assert problem.value == value
    assert f"unknown {what}" in problem.message
    assert f"allowed: one of the ids in {what}s" in problem.message


def test_dangling_park_reference(tiny: Path) -> None:
    """With parks.geojson present, a site's park must be one of its parks (site C names KY,
    the file only has FQ)."""
    parks = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"park": "FQ", "name": "Fuquan", "level": "provincial"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[107.4, 26.6], [107.8, 26.6], [107.8, 26.8], [107.4, 26.6]]],
                },
            }
        ],
    }
    (tiny / "case" / "parks.geojson").write_text(json.dumps(parks), encoding="utf-8")
    problem = the_problem(problems_of(tiny / "case"), "sites.csv", 4, "park")
    assert problem.value == "KY"
    assert "unknown park" in problem.message and "FQ" in problem.message


def test_mixed_units_on_one_facility(tiny: Path) -> None:
    row = append_row(tiny / "case", "facility_inputs", ["K", "waste_heat", "1", "0", "0", "0"])
    problem = the_problem(problems_of(tiny / "case"), "facility_inputs.csv", row, "stream")
    assert problem.value == "waste_heat"
    assert "mixes units" in problem.message and "must share a unit" in problem.message


def test_candidate_without_lifetime(tiny: Path) -> None:
    set_cell(tiny / "case", "facilities", 3, "lifetime", "")
    problem = the_problem(problems_of(tiny / "case"), "facilities.csv", 3, "lifetime")
    assert "a candidate needs a lifetime" in problem.message
    assert "allowed: a number > 0" in problem.message


def test_existing_facility_may_have_no_lifetime(tiny: Path) -> None:
    case = load_case(tiny / "case")
    assert case.facilities.set_index("facility")["lifetime"].isna().tolist() == [
        True,
        False,
        False,
        True,
    ]


def write_scenario(tiny: Path, text: str) -> Path:
    path = tiny / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_stream_target_for_unknown_stream(tiny: Path) -> None:
    path = write_scenario(
        tiny, "name: t\ncase: case\ntarget:\n  streams:\n    gypsum: {share: 0.5}\n"
    )
    scenario = load_scenario(path)
    with pytest.raises(InputError) as info:
        check_scenario_against_case(scenario, load_case(scenario.case))
    (problem,) = info.value.problems
    assert problem.file == "scenario.yaml"
    assert "target.streams.gypsum: unknown stream" in problem.message
    assert "allowed: phosphogypsum, waste_heat" in problem.message


def test_stream_target_for_unsupplied_stream(tiny: Path) -> None:
    append_row(tiny / "case", "streams", ["red_mud", "Red mud", "solid", "t", "10", "5", "1"])
    path = write_scenario(
        tiny, "name: t\ncase: case\ntarget:\n  streams:\n    red_mud: {amount: 10}\n"
    )
    with pytest.raises(InputError) as info:
        run_scenario(load_scenario(path))
    (problem,) = info.value.problems
    assert "target.streams.red_mud: no site supplies this stream" in problem.message


@pytest.mark.parametrize(
    ("yaml_text", "key", "allowed"),
    [
        (
            "case: case\ntargets:\n  total: 5\n",
            "targets",
            "name, case, discount_rate, target, limits, solver",
        ),
        ("case: case\ntarget:\n  totl: 5\n", "target.totl", "total, streams, penalty"),
        (
            "case: case\nlimits:\n  max_new: 5\n",
            "limits.max_new",
            "max_new_facilities, capex_budget",
        ),
        (
            "case: case\ntarget:\n  streams:\n    phosphogypsum: {amout: 5}\n",
            "target.streams.phosphogypsum.amout",
            "amount, share",
        ),
        (
            "case: case\nsolver:\n  timelimit: 5\n",
            "solver.timelimit",
            "time_limit, mip_rel_gap, threads, profile, options",
        ),
    ],
)
def test_unknown_scenario_key_lists_allowed_keys(
    tiny: Path, yaml_text: str, key: str, allowed: str
) -> None:
    path = write_scenario(tiny, yaml_text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    problems = [p for p in info.value.problems if "unknown key" in p.message]
    assert len(problems) == 1, info.value.report()
    assert problems[0].file == "scenario.yaml"
    assert problems[0].message.startswith(f"{key}: unknown key; allowed keys: ")
    listed = problems[0].message.split("allowed keys: ", 1)[1].split(", ")
    assert set(allowed.split(", ")) <= set(listed)  # the project may add keys


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("case: case\ndiscount_rate: 1.5\n", "discount_rate"),
        ("case: case\ntarget:\n  total: -1\n", "target.total"),
        ("case: case\ntarget:\n  streams:\n    phosphogypsum: {share: 1.5}\n", "share"),
        ("case: case\ntarget:\n  streams:\n    phosphogypsum: {}\n", "phosphogypsum"),
        ("case: case\nlimits:\n  max_new_facilities: -2\n", "limits.max_new_facilities"),
        ("case: case\nsolver:\n  time_limit: 0\n", "solver.time_limit"),
        ("case: case\nsolver:\n  mip_rel_gap: 1\n", "solver.mip_rel_gap"),
        ("name: no-case\n", "case"),
    ],
)
def test_scenario_ranges(tiny: Path, yaml_text: str, key: str) -> None:
    path = write_scenario(tiny, yaml_text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert any(key in p.message for p in info.value.problems), info.value.report()
    assert all(p.file == "scenario.yaml" for p in info.value.problems)


def test_all_problems_reported_at_once(tiny: Path) -> None:
    """Five problems in five files: one error lists them all, each located."""
    case = tiny / "case"
    set_cell(case, "supply", 2, "amount", "abc")
    set_cell(case, "facilities", 4, "capacity", "-5")
    drop_column(case, "modes", "circuity")
    set_cell(case, "distances", 3, "to_site", "Q")
    set_cell(case, "streams", 3, "env_tax", "")
    problems = problems_of(case)
    the_problem(problems, "supply.csv", 2, "amount")
    the_problem(problems, "facilities.csv", 4, "capacity")
    assert "missing column 'circuity'" in the_problem(problems, "modes.csv").message
    the_problem(problems, "distances.csv", 3, "to_site")
    assert "empty" in the_problem(problems, "streams.csv", 3, "env_tax").message
    assert len(problems) == 5
    report = CaseError(problems).report()
    assert report.startswith("5 problem(s) in the case:")


def test_unreadable_file_is_a_problem_not_a_crash(tiny: Path) -> None:
    """A Latin-1 file and an empty file: each named once as unreadable (not also "missing"),
    and the rows pointing into them are not all reported as dangling references."""
    (tiny / "case" / "sites.csv").write_bytes("site,name\nA,caf\xe9\n".encode("latin-1"))
    (tiny / "case" / "modes.csv").write_text("", encoding="utf-8")
    problems = problems_of(tiny / "case")
    assert "cannot read as UTF-8 CSV" in the_problem(problems, "sites.csv").message
    assert "cannot read" in the_problem(problems, "modes.csv").message
    assert len(problems) == 2, "\n".join(str(p) for p in problems)


def test_missing_table_is_not_reported_on_every_reference(tiny: Path) -> None:
    (tiny / "case" / "sites.csv").unlink()
    problems = problems_of(tiny / "case")
    assert [str(p).split(" (looked")[0] for p in problems] == ["sites.csv: missing required table"]


def test_missing_id_column_is_not_reported_on_every_reference(tiny: Path) -> None:
    drop_column(tiny / "case", "modes", "mode")
    problems = problems_of(tiny / "case")
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    assert "missing column 'mode'" in problems[0].message


# --------------------------------------------------------------------------------------------
# what spreadsheets produce
# --------------------------------------------------------------------------------------------
SITE_IDS = {"A": "福泉磷化工", "B": "水泥厂", "C": "开阳板材", "D": "烘干车间"}


def spreadsheet_copy(src: Path, dst: Path) -> None:
    """Rewrite every CSV of ``src`` into ``dst`` as a spreadsheet might save it: UTF-8 BOM,
    CRLF line ends, cells padded with spaces, an extra ``source`` column, a trailing empty
    row, and non-ASCII site ids and names (Chinese)."""
    dst.mkdir(parents=True)
    for path in sorted(src.glob("*.csv")):
        rows = rows_of(path)
        header = rows[0]
        site_cols = [j for j, c in enumerate(header) if c in ("site", "from_site", "to_site")]
        name_col = header.index("name") if "name" in header else None
        out = [[f" {c} " for c in [*header, "source"]]]
        for n, row in enumerate(rows[1:]):
            row = list(row)
            for j in site_cols:
                row[j] = SITE_IDS[row[j]]
            if name_col is not None:
                row[name_col] = f"{row[name_col]}（贵州, 第{n + 1}号）"
            out.append([f"  {v}  " if v else v for v in row] + ["统计年鉴 2023"])
        out.append([""] * (len(header) + 1))
        with (dst / path.name).open("w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows(out)


def test_spreadsheet_quirks_read_as_the_clean_file(tmp_path: Path) -> None:
    """The rewritten tiny case loads, keeps its extra column, and solves to the same optimum
    (EXPECTED.md: 14,049,529.12, P2 built, 1,000,000 t delivered)."""
    spreadsheet_copy(TINY / "case", tmp_path / "case")
    raw = (tmp_path / "case" / "supply.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"  1000000  " in raw
    case = load_case(tmp_path / "case")
    clean = load_case(TINY / "case")
    assert case.sites["site"].tolist() == list(SITE_IDS.values())
    assert case.supply["amount"].tolist() == clean.supply["amount"].tolist()
    assert case.facilities["capacity"].tolist() == clean.facilities["capacity"].tolist()
    assert case.facilities["group"].tolist() == clean.facilities["group"].tolist()
    assert set(case.supply["source"]) == {"统计年鉴 2023"}
    assert len(case.supply) == 2  # the trailing empty row is dropped
    (tmp_path / "scenario.yaml").write_text(
        "name: 贵州-tiny\ncase: case\ntarget:\n  total: 900000\n", encoding="utf-8"
    )
    outcome = run_scenario(load_scenario(tmp_path / "scenario.yaml"))
    summary = outcome.results.summary
    assert summary["objective"] == pytest.approx(TINY_OBJECTIVE, abs=0.01)
    assert summary["built"] == ["P2"]
    assert summary["delivered_target_t"] == pytest.approx(1_000_000)
    assert set(outcome.results.flows["from_site"]) == {"福泉磷化工"}


def test_bom_in_scenario_yaml(tiny: Path) -> None:
    path = tiny / "scenario.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    scenario = load_scenario(path)
    assert scenario.target.total == 900_000
