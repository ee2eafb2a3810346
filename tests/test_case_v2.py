"""Model v2's case tables (issue 12, CASE_FORMAT.md "v2 extensions"): the optional columns
supply.growth / stock and facilities.available_from / retire_year, the optional tables
supply_years.csv and facility_outputs.csv, their references, the chain-cycle check, the
extended supply rows of chained plants, and the GeoPackage / CSV round trip.

Each test copies tests/cases/tiny to a temporary folder and adds or breaks one thing. Row
numbers are those a spreadsheet shows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from symbiosis.case import CaseError, InputError, Problem, chain_cycles, load_case
from symbiosis.cli import app
from symbiosis.overrides import apply_overrides
from symbiosis.scenario import Overrides

TINY = Path(__file__).resolve().parent / "cases" / "tiny"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A private copy of tests/cases/tiny/case."""
    return Path(shutil.copytree(TINY / "case", tmp_path / "case"))


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def add_column(case: Path, table: str, column: str, values: list[str]) -> None:
    """Add ``column`` to ``table``.csv, one value per record row."""
    path = case / f"{table}.csv"
    rows = rows_of(path)
    assert len(values) == len(rows) - 1
    write_rows(
        path, [[*rows[0], column]] + [[*r, v] for r, v in zip(rows[1:], values, strict=True)]
    )


def add_stream(case: Path, stream: str, disposal: str = "10", tax: str = "5") -> None:
    path = case / "streams.csv"
    write_rows(path, [*rows_of(path), [stream, stream, "solid", "t", disposal, tax, "1"]])


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


def with_v2(case: Path) -> Path:
    """Every v2 column and table given: growth/stock on supply, available_from/retire_year
    on facilities, two supply_years rows, and P1 making 'fines' (taken by K)."""
    add_column(case, "supply", "growth", ["0.05", ""])
    add_column(case, "supply", "stock", ["120000000", ""])
    add_column(case, "facilities", "available_from", ["", "2028", "", ""])
    add_column(case, "facilities", "retire_year", ["2029", "", "", ""])
    write_rows(
        case / "supply_years.csv",
        [
            ["site", "stream", "year", "amount"],
            ["A", "phosphogypsum", "2027", "1_100_000"],
            ["A", "waste_heat", "2026", "0"],
        ],
    )
    add_stream(case, "fines")
    write_rows(
        case / "facility_outputs.csv", [["facility", "stream", "yield"], ["P1", "fines", "0.1"]]
    )
    path = case / "facility_inputs.csv"
    write_rows(path, [*rows_of(path), ["K", "fines", "1", "5", "20", "0"]])
    return case


# --------------------------------------------------------------------------------------------
# accepted and read
# --------------------------------------------------------------------------------------------
def test_every_v2_column_and_table_is_read(case: Path) -> None:
    c = load_case(with_v2(case))
    assert c.supply["growth"].tolist() == [0.05, 0.0]  # empty: 0
    assert c.supply["stock"].iloc[0] == 120_000_000 and math.isnan(c.supply["stock"].iloc[1])
    assert c.facilities["available_from"].tolist()[1] == 2028
    assert c.facilities["retire_year"].tolist()[0] == 2029
    assert c.facilities[["available_from", "retire_year"]].isna().sum().tolist() == [3, 3]
    assert c.supply_years.to_dict("list") == {
        "site": ["A", "A"],
        "stream": ["phosphogypsum", "waste_heat"],
        "year": [2027, 2026],
        "amount": [1_100_000.0, 0.0],
    }
    assert c.supply_years["year"].dtype == np.int64
    assert c.facility_outputs.to_dict("list") == {
        "facility": ["P1"],
        "stream": ["fines"],
        "yield": [0.1],
    }
    assert {p.name for p in c.files} >= {"supply_years.csv", "facility_outputs.csv"}


def test_a_v1_case_gets_the_defaults_and_empty_tables(case: Path) -> None:
    c = load_case(case)
    assert c.supply["growth"].tolist() == [0.0, 0.0]
    assert c.supply["stock"].isna().all()
    assert c.facilities[["available_from", "retire_year"]].isna().all().all()
    assert len(c.supply_years) == 0
    assert list(c.supply_years.columns) == ["site", "stream", "year", "amount"]
    assert len(c.facility_outputs) == 0
    assert list(c.facility_outputs.columns) == ["facility", "stream", "yield"]
    # supply_rows() of a case without chains: supply.csv's rows and the two extra columns.
    rows = c.supply_rows()
    assert rows["produced_by"].tolist() == ["", ""] and rows["yield"].tolist() == [0.0, 0.0]
    pd.testing.assert_frame_equal(rows[list(c.supply.columns)], c.supply)
    assert c.supply_rows_unused_cost().tolist() == c.unused_cost().tolist() == [55.0, 0.0]


def test_supply_rows_add_one_row_per_facility_output(case: Path) -> None:
    """P1 (site C, capacity 500,000 t) makes fines at yield 0.1: supply of at most 50,000 t
    at C; unused it pays the stream's disposal cost + tax (10 + 5)."""
    c = load_case(with_v2(case))
    rows = c.supply_rows()
    assert len(rows) == 3
    pd.testing.assert_frame_equal(rows.iloc[:2][list(c.supply.columns)], c.supply)
    made = rows.iloc[2]
    assert (made["site"], made["stream"], made["produced_by"]) == ("C", "fines", "P1")
    assert made["amount"] == pytest.approx(50_000.0)
    assert made["yield"] == 0.1 and made["growth"] == 0.0
    assert math.isnan(made["unused_cost"]) and math.isnan(made["stock"])
    assert rows["produced_by"].tolist()[:2] == ["", ""]
    assert rows["yield"].tolist()[:2] == [0.0, 0.0]
    assert c.supply_rows_unused_cost().tolist() == [55.0, 0.0, 15.0]
    assert c.unused_cost().tolist() == [55.0, 0.0]  # supply.csv's rows only, as before


# --------------------------------------------------------------------------------------------
# rejected, with file, row, column and what is allowed
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "column", "values", "row", "why", "allowed"),
    [
        ("supply", "growth", ["-1", ""], 2, "out of range", "a finite number > -1 or empty"),
        ("supply", "growth", ["", "fast"], 3, "not a number", "> -1"),
        ("supply", "stock", ["-5", ""], 2, "out of range", "a finite number >= 0 or empty"),
        (
            "facilities",
            "available_from",
            ["", "2026.5", "", ""],
            3,
            "not a whole number",
            "allowed: an integer year",
        ),
        (
            "facilities",
            "retire_year",
            ["2029.5", "", "", ""],
            2,
            "not a whole number",
            "allowed: an integer year",
        ),
        (
            "facilities",
            "retire_year",
            ["", "", "", "1850"],
            5,
            "out of range",
            "allowed: an integer year from 1900 to 2200 or empty",
        ),
        ("facilities", "available_from", ["", "", "soon", ""], 4, "not a number", "integer year"),
    ],
)
def test_bad_v2_column_values(
    case: Path,
    table: str,
    column: str,
    values: list[str],
    row: int,
    why: str,
    allowed: str,
) -> None:
    add_column(case, table, column, values)
    problem = the_problem(problems_of(case), f"{table}.csv", row, column)
    assert problem.value == values[row - 2]
    assert why in problem.message and allowed in problem.message


@pytest.mark.parametrize(
    ("table", "rows", "row", "column", "why"),
    [
        (
            "supply_years",
            [["A", "phosphogypsum", "2027.5", "10"]],
            2,
            "year",
            "not a whole number; allowed: an integer year from 1900 to 2200",
        ),
        (
            "supply_years",
            [["A", "phosphogypsum", "2027", "1"], ["A", "waste_heat", "2027", "-1"]],
            3,
            "amount",
            "out of range; allowed: a finite number >= 0",
        ),
        ("supply_years", [["A", "phosphogypsum", "", "1"]], 2, "year", "empty; allowed"),
        (
            "supply_years",
            [["A", "phosphogypsum", "2027", "1"], ["A", "phosphogypsum", "2027", "2"]],
            3,
            "site/stream/year",
            "duplicate site/stream/year",
        ),
        (
            "facility_outputs",
            [["P1", "fines", "0"]],
            2,
            "yield",
            "out of range; allowed: a finite number > 0",
        ),
        ("facility_outputs", [["P1", "fines", "much"]], 2, "yield", "not a number"),
        (
            "facility_outputs",
            [["P1", "fines", "0.1"], ["P1", "fines", "0.2"]],
            3,
            "facility/stream",
            "duplicate facility/stream",
        ),
    ],
)
def test_bad_v2_table_values(
    case: Path, table: str, rows: list[list[str]], row: int, column: str, why: str
) -> None:
    add_stream(case, "fines")
    header = {
        "supply_years": ["site", "stream", "year", "amount"],
        "facility_outputs": ["facility", "stream", "yield"],
    }[table]
    write_rows(case / f"{table}.csv", [header, *rows])
    problem = the_problem(problems_of(case), f"{table}.csv", row, column)
    assert why in problem.message


def test_supply_years_must_name_a_row_of_supply(case: Path) -> None:
    """(site, stream) must be a row of supply.csv: site C supplies nothing, site A no
    'fines'; both rows named, with the pair and what is allowed."""
    add_stream(case, "fines")
    write_rows(
        case / "supply_years.csv",
        [
            ["site", "stream", "year", "amount"],
            ["A", "phosphogypsum", "2027", "5"],
            ["C", "phosphogypsum", "2027", "5"],
            ["A", "fines", "2028", "5"],
        ],
    )
    problems = problems_of(case)
    assert len(problems) == 2, "\n".join(map(str, problems))
    first = the_problem(problems, "supply_years.csv", 3, "site/stream")
    assert first.value == "C, phosphogypsum"
    assert "no supply.csv row" in first.message
    assert "allowed: a (site, stream) pair of supply.csv" in first.message
    assert the_problem(problems, "supply_years.csv", 4, "site/stream").value == "A, fines"


def test_facility_outputs_must_name_facilities_and_streams(case: Path) -> None:
    write_rows(
        case / "facility_outputs.csv",
        [["facility", "stream", "yield"], ["P9", "phosphogypsum", "0.1"], ["K", "dust", "0.1"]],
    )
    problems = problems_of(case)
    facility = the_problem(problems, "facility_outputs.csv", 2, "facility")
    assert facility.value == "P9" and "unknown facility" in facility.message
    stream = the_problem(problems, "facility_outputs.csv", 3, "stream")
    assert stream.value == "dust" and "unknown stream" in stream.message


def test_every_v2_problem_is_reported_at_once(case: Path) -> None:
    """A bad year, a bad growth, a dangling supply_years pair and a bad yield: one error."""
    add_column(case, "facilities", "available_from", ["", "2026.5", "", ""])
    add_column(case, "supply", "growth", ["-2", ""])
    write_rows(
        case / "supply_years.csv",
        [["site", "stream", "year", "amount"], ["B", "phosphogypsum", "2027", "5"]],
    )
    write_rows(
        case / "facility_outputs.csv", [["facility", "stream", "yield"], ["P1", "waste_heat", "-1"]]
    )
    problems = problems_of(case)
    the_problem(problems, "facilities.csv", 3, "available_from")
    the_problem(problems, "supply.csv", 2, "growth")
    the_problem(problems, "supply_years.csv", 2, "site/stream")
    the_problem(problems, "facility_outputs.csv", 2, "yield")
    assert len(problems) == 4, "\n".join(map(str, problems))


def test_cli_exits_2_naming_the_bad_year_without_a_traceback(case: Path) -> None:
    add_column(case, "facilities", "available_from", ["", "2026.5", "", ""])
    result = CliRunner().invoke(app, ["validate", str(case)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "facilities.csv, row 3, column 'available_from': not a whole number" in text
    assert "allowed: an integer year" in text
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------
# chains of plants: cycles must shrink
# --------------------------------------------------------------------------------------------
def chain_case(case: Path, outputs: list[list[str]], inputs: list[list[str]]) -> Path:
    """Streams 'ash' and 'slag' added; ``inputs`` appended to facility_inputs.csv and
    ``outputs`` written as facility_outputs.csv."""
    add_stream(case, "ash")
    add_stream(case, "slag")
    path = case / "facility_inputs.csv"
    write_rows(path, [*rows_of(path), *inputs])
    write_rows(case / "facility_outputs.csv", [["facility", "stream", "yield"], *outputs])
    return case


def test_a_shrinking_cycle_is_accepted(case: Path) -> None:
    """P1 takes ash, makes slag (0.8); K takes slag, makes ash (0.9): 0.72 < 1 per pass."""
    chain_case(
        case,
        [["P1", "slag", "0.8"], ["K", "ash", "0.9"]],
        [["P1", "ash", "1", "0", "0", "0"], ["K", "slag", "1", "0", "0", "0"]],
    )
    c = load_case(case)
    cycles = chain_cycles(c.facility_inputs, c.facility_outputs)
    # P1 also takes phosphogypsum (no cycle through it): the one cycle is ash -> slag -> ash.
    assert [(cy.streams, cy.facilities) for cy in cycles] == [(("ash", "slag"), ("P1", "K"))]
    assert cycles[0].product == pytest.approx(0.72)


@pytest.mark.parametrize(("y1", "y2", "product"), [("1.25", "0.9", "1.125"), ("2", "0.5", "1")])
def test_a_cycle_that_does_not_shrink_is_rejected(
    case: Path, y1: str, y2: str, product: str
) -> None:
    chain_case(
        case,
        [["P1", "slag", y1], ["K", "ash", y2]],
        [["P1", "ash", "1", "0", "0", "0"], ["K", "slag", "1", "0", "0", "0"]],
    )
    problems = problems_of(case)
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = the_problem(problems, "facility_outputs.csv", 2, "yield")
    assert "chain cycle ash -[P1, yield " + f"{float(y1):g}]-> slag -[K, yield " in problem.message
    assert f"the product of its yields is {product}" in problem.message
    assert "allowed: cycles" in problem.message and "< 1" in problem.message


def test_a_self_loop_is_a_cycle(case: Path) -> None:
    """K takes phosphogypsum and makes phosphogypsum again at yield 1: rejected; at 0.5 not."""
    write_rows(
        case / "facility_outputs.csv",
        [["facility", "stream", "yield"], ["K", "phosphogypsum", "1"]],
    )
    problem = the_problem(problems_of(case), "facility_outputs.csv", 2, "yield")
    assert "phosphogypsum -[K, yield 1]-> phosphogypsum" in problem.message
    write_rows(
        case / "facility_outputs.csv",
        [["facility", "stream", "yield"], ["K", "phosphogypsum", "0.5"]],
    )
    assert len(load_case(case).facility_outputs) == 1


def test_the_worst_of_parallel_facilities_decides(case: Path) -> None:
    """Two plants turn ash into slag (0.5 and 1.2), one slag into ash (0.9): the cycle
    through the 1.2 plant grows (1.08), so the case is rejected naming that plant."""
    chain_case(
        case,
        [["P1", "slag", "0.5"], ["P2", "slag", "1.2"], ["K", "ash", "0.9"]],
        [
            ["P1", "ash", "1", "0", "0", "0"],
            ["P2", "ash", "1", "0", "0", "0"],
            ["K", "slag", "1", "0", "0", "0"],
        ],
    )
    problem = the_problem(problems_of(case), "facility_outputs.csv", 3, "yield")
    assert "ash -[P2, yield 1.2]-> slag -[K, yield 0.9]-> ash" in problem.message
    assert "1.08" in problem.message


# --------------------------------------------------------------------------------------------
# overrides keep the years whole
# --------------------------------------------------------------------------------------------
def test_an_override_may_not_make_a_year_fractional(case: Path) -> None:
    c = load_case(with_v2(case))
    rule = {"table": "facilities", "where": {"id": "P1"}, "values": {"available_from": 2027.5}}
    with pytest.raises(InputError) as info:
        apply_overrides(c, Overrides.model_validate({"set": [rule]}), "s.yaml")
    assert "allowed: an integer year" in info.value.report()
    rule["values"] = {"available_from": 2027}
    changed = apply_overrides(c, Overrides.model_validate({"set": [rule]}), "s.yaml")
    assert changed.facilities["available_from"].tolist()[1] == 2027


# --------------------------------------------------------------------------------------------
# GeoPackage and CSV: the new tables and columns survive the round trip
# --------------------------------------------------------------------------------------------
def test_v2_case_round_trips_through_geopackage_and_csv(case: Path, tmp_path: Path) -> None:
    pytest.importorskip("geopandas")
    from symbiosis.maps.case_export import export_case_folder

    c = load_case(with_v2(case))
    gpkg = tmp_path / "v2.gpkg"
    result = CliRunner().invoke(app, ["case", "export", str(case), "--out", str(gpkg)])
    assert result.exit_code == 0, result.output
    back = load_case(gpkg)
    again = load_case(export_case_folder(back, tmp_path / "csv"))
    for other in (back, again):
        for name in ("supply", "facilities", "supply_years", "facility_outputs"):
            pd.testing.assert_frame_equal(
                getattr(c, name).reset_index(drop=True),
                getattr(other, name).reset_index(drop=True),
                check_dtype=False,
            )
        pd.testing.assert_frame_equal(c.supply_rows(), other.supply_rows(), check_dtype=False)
    assert (tmp_path / "csv" / "supply_years.csv").is_file()
    assert (tmp_path / "csv" / "facility_outputs.csv").is_file()


def test_geopackage_problems_in_v2_tables_name_the_layer(case: Path, tmp_path: Path) -> None:
    pytest.importorskip("geopandas")
    import pyogrio

    from symbiosis.maps.case_export import export_case_gpkg

    gpkg = export_case_gpkg(load_case(with_v2(case)), tmp_path / "v2.gpkg")
    bad = pd.DataFrame(
        {"site": ["C"], "stream": ["phosphogypsum"], "year": [2027.5], "amount": [1.0]}
    )
    pyogrio.write_dataframe(bad, gpkg, layer="supply_years", driver="GPKG")
    problems = problems_of(gpkg)
    year = [p for p in problems if p.column == "year"]
    pair = [p for p in problems if p.column == "site/stream"]
    assert len(year) == 1 and year[0].file == "v2.gpkg:supply_years"
    assert "allowed: an integer year" in year[0].message
    assert len(pair) == 1 and pair[0].value == "C, phosphogypsum"
