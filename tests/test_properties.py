"""Property-based tests (hypothesis): corrupt the tiny case and the command line answers with
a clear error, exit 2, never a traceback, and writes nothing.

Every corruption drawn here makes the case invalid by CASE_FORMAT.md (the strategies are
written from the format, not from the checker): a cell set to something its column does not
allow (text where a number belongs, NaN, inf, empty, out of range, a value outside an enum or
flag, an unknown id), a required column deleted, a row duplicated (a duplicate key), a
required file dropped, or a reference broken.
"""

from __future__ import annotations

import csv
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
import typer.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from symbiosis.cli import app

TINY = Path(__file__).resolve().parent / "cases" / "tiny"
TABLES = ("streams", "sites", "supply", "facilities", "facility_inputs", "modes", "distances")
REQUIRED = tuple(t for t in TABLES if t != "distances")


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


ORIGINAL = {t: read(TINY / "case" / f"{t}.csv") for t in TABLES}

# Number columns from CASE_FORMAT.md: (lower bound, lower open, upper bound, upper open,
# empty allowed). None: no bound.
NUMBERS: dict[tuple[str, str], tuple[float | None, bool, float | None, bool, bool]] = {
    ("streams", "disposal_cost"): (0, False, None, False, False),
    ("streams", "env_tax"): (0, False, None, False, False),
    ("sites", "lon"): (-180, False, 180, False, False),
    ("sites", "lat"): (-90, False, 90, False, False),
    ("supply", "amount"): (0, True, None, False, False),
    ("facilities", "capacity"): (0, True, None, False, False),
    ("facilities", "capex"): (0, False, None, False, False),
    ("facilities", "fixed_opex"): (0, False, None, False, False),
    ("facility_inputs", "max_share"): (0, True, 1, False, True),
    ("facility_inputs", "var_cost"): (None, False, None, False, False),
    ("facility_inputs", "value"): (None, False, None, False, False),
    ("facility_inputs", "co2"): (None, False, None, False, False),
    ("modes", "cost_per_unit"): (0, False, None, False, False),
    ("modes", "cost_per_unit_km"): (0, False, None, False, False),
    ("modes", "link_cost"): (0, False, None, False, False),
    ("modes", "link_cost_per_km"): (0, False, None, False, False),
    ("modes", "max_km"): (0, False, None, False, False),
    ("modes", "circuity"): (1, False, None, False, False),
    ("modes", "co2_per_unit_km"): (0, False, None, False, False),
    ("modes", "loss_per_km"): (0, False, 1, True, False),
    ("distances", "km"): (0, False, None, False, False),
}
FLAGS = {("streams", "target"), ("sites", "rail"), ("modes", "rail")}
ENUMS = {
    ("streams", "kind"): {"solid", "heat"},
    ("streams", "unit"): {"t", "MWh"},
    ("facilities", "status"): {"existing", "candidate"},
}
# Id columns and the kind of id they hold; every id of the tiny case is referenced
# somewhere, so replacing a defining id orphans its references.
IDS = {
    ("streams", "stream"): "stream",
    ("sites", "site"): "site",
    ("supply", "site"): "site",
    ("supply", "stream"): "stream",
    ("facilities", "facility"): "facility",
    ("facilities", "site"): "site",
    ("facility_inputs", "facility"): "facility",
    ("facility_inputs", "stream"): "stream",
    ("modes", "mode"): "mode",
    ("distances", "from_site"): "site",
    ("distances", "to_site"): "site",
    ("distances", "mode"): "mode",
}
DEFINED_IN = {"stream": "streams", "site": "sites", "facility": "facilities", "mode": "modes"}
KNOWN_IDS = {
    kind: {row[ORIGINAL[table][0].index(kind)] for row in ORIGINAL[table][1:]}
    for kind, table in DEFINED_IN.items()
}
REFERRING = {
    kind: sorted({t for (t, c), k in IDS.items() if k == kind and t != DEFINED_IN[kind]})
    for kind in DEFINED_IN
}


def parses_as_number(text: str) -> bool:
    try:
        float(text.strip().replace("_", ""))
    except ValueError:
        return False
    return True


def not_in(values: set[str]) -> Callable[[str], bool]:
    """A filter: the cell, as read (stripped), is none of ``values``."""
    return lambda text: text.strip() not in values


def cell_text() -> st.SearchStrategy[str]:
    """Arbitrary cell text (commas, quotes, newlines, non-ASCII), as a spreadsheet might hold."""
    return st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
        min_size=1,
        max_size=12,
    )


def bad_number(
    lo: float | None, lo_open: bool, hi: float | None, hi_open: bool, empty_ok: bool
) -> st.SearchStrategy[str]:
    options = [
        cell_text().filter(lambda s: s.strip() != "" and not parses_as_number(s)),
        st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "1,5", "12 t"]),
    ]
    if not empty_ok:
        options.append(st.sampled_from(["", "   "]))
    if lo is not None:
        below = st.floats(max_value=lo, allow_nan=False, allow_infinity=False)
        if not lo_open:
            below = below.filter(lambda v: v < lo)
        options.append(below.map(repr))
    if hi is not None:
        above = st.floats(min_value=hi, allow_nan=False, allow_infinity=False)
        if not hi_open:
            above = above.filter(lambda v: v > hi)
        options.append(above.map(repr))
    return st.one_of(options)


@dataclass(frozen=True)
class Corruption:
    kind: str
    table: str
    detail: str = ""
    row: int = 0  # index into the records (0 = first record)
    value: str = ""

    def expected_files(self) -> set[str]:
        """Files of which at least one must be named in the report."""
        if self.kind == "cell" and (self.table, self.detail) in IDS:
            id_kind = IDS[(self.table, self.detail)]
            if DEFINED_IN[id_kind] == self.table and self.value.strip() != "":
                # A renamed id: its references now dangle.
                return {f"{t}.csv" for t in REFERRING[id_kind]}
        return {f"{self.table}.csv"}


def corruptions() -> st.SearchStrategy[Corruption]:
    def cell(table_column: tuple[str, str]) -> st.SearchStrategy[Corruption]:
        table, column = table_column
        n = len(ORIGINAL[table]) - 1
        if table_column in NUMBERS:
            values = bad_number(*NUMBERS[table_column])
        elif table_column in FLAGS:
            values = cell_text().filter(not_in({"0", "1", "0.0", "1.0"}))
        elif table_column in ENUMS:
            values = cell_text().filter(not_in(ENUMS[table_column]))
        else:
            values = st.one_of(
                st.just(""), cell_text().filter(not_in(KNOWN_IDS[IDS[table_column]]))
            )
        return st.builds(
            Corruption,
            kind=st.just("cell"),
            table=st.just(table),
            detail=st.just(column),
            row=st.integers(0, n - 1),
            value=values,
        )

    columns = sorted(NUMBERS) + sorted(FLAGS) + sorted(ENUMS) + sorted(IDS)
    cells = st.sampled_from(columns).flatmap(cell)
    delete_column = st.sampled_from(TABLES).flatmap(
        lambda t: st.builds(
            Corruption,
            kind=st.just("delete_column"),
            table=st.just(t),
            detail=st.sampled_from(ORIGINAL[t][0]),
        )
    )
    duplicate_row = st.sampled_from(TABLES).flatmap(
        lambda t: st.builds(
            Corruption,
            kind=st.just("duplicate_row"),
            table=st.just(t),
            row=st.integers(0, len(ORIGINAL[t]) - 2),
        )
    )
    drop_file = st.builds(Corruption, kind=st.just("drop_file"), table=st.sampled_from(REQUIRED))
    refs = sorted(k for k in IDS if DEFINED_IN[IDS[k]] != k[0])
    break_ref = st.sampled_from(refs).flatmap(
        lambda tc: st.builds(
            Corruption,
            kind=st.just("cell"),
            table=st.just(tc[0]),
            detail=st.just(tc[1]),
            row=st.integers(0, len(ORIGINAL[tc[0]]) - 2),
            value=st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
                not_in(KNOWN_IDS[IDS[tc]])
            ),
        )
    )
    return st.one_of(cells, cells, break_ref, delete_column, duplicate_row, drop_file)


def apply(corruption: Corruption, case: Path) -> None:
    path = case / f"{corruption.table}.csv"
    if corruption.kind == "drop_file":
        path.unlink()
        return
    rows = [list(r) for r in ORIGINAL[corruption.table]]
    if corruption.kind == "cell":
        rows[corruption.row + 1][rows[0].index(corruption.detail)] = corruption.value
    elif corruption.kind == "delete_column":
        j = rows[0].index(corruption.detail)
        rows = [r[:j] + r[j + 1 :] for r in rows]
    elif corruption.kind == "duplicate_row":
        rows.append(list(rows[corruption.row + 1]))
    write(path, rows)


runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def build_command_once() -> Iterator[None]:
    """CliRunner rebuilds the click command from the Typer app on every call (about 0.15 s,
    most of an invalid run's time); build it once for this module's hundred-odd calls."""
    command = typer.main.get_command(app)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(typer.testing, "_get_command", lambda _app: command)
        yield


def check_rejected(corruption: Corruption, command: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(TINY, root / "tiny")
        apply(corruption, root / "tiny" / "case")
        runs = root / "runs"
        args = [command, str(root / "tiny" / "scenario.yaml")]
        if command == "run":
            args += ["--out", str(runs / "out")]
        result = runner.invoke(app, args)
        output = result.output
        assert result.exit_code == 2, (corruption, output, result.exception)
        assert "Traceback" not in output, output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception
        flat = " ".join(output.split())
        assert "invalid case" in flat, output
        assert any(name in flat for name in corruption.expected_files()), (corruption, output)
        assert not runs.exists(), "an invalid run wrote into its output folder"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corruption=corruptions())
def test_corrupted_case_run_exits_2_without_traceback(corruption: Corruption) -> None:
    check_rejected(corruption, "run")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corruption=corruptions())
def test_corrupted_case_validate_exits_2(corruption: Corruption) -> None:
    check_rejected(corruption, "validate")


@settings(max_examples=20, deadline=None)
@given(
    key=st.sampled_from(["discount_rate", "target", "limits", "solver"]),
    value=st.one_of(
        st.text(max_size=8),
        st.floats(allow_nan=True, allow_infinity=True).filter(
            lambda v: not (0 <= v < 1) or math.isnan(v)
        ),
        st.lists(st.integers(), max_size=3),
    ),
)
def test_corrupted_scenario_exits_2(key: str, value: object) -> None:
    """A scenario key given a value of the wrong type or range: exit 2, the file named."""
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(TINY, root / "tiny")
        path = root / "tiny" / "scenario.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data[key] = value
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = runner.invoke(app, ["run", str(path), "--out", str(root / "runs" / "out")])
        assert result.exit_code == 2, (key, value, result.output)
        assert "Traceback" not in result.output
        assert "scenario.yaml" in " ".join(result.output.split())
        assert not (root / "runs").exists()
