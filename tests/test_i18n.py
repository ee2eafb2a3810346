"""The languages of what symbiosis prints (symbiosis.i18n, docs/i18n.md).

- The catalogs: every string marked in the code is in the Chinese catalog with a checked
  translation (not empty, not fuzzy, the same ``{fields}``), pybabel extracts exactly the
  catalog's messages (none hidden in an f-string, none left over), and every ``what`` an
  InputError is raised with can be translated.
- ``--lang zh`` and ``SYMBIOSIS_LANG=zh``: the console of ``symbiosis run`` in Chinese, with the
  same numbers, ids and a run folder identical to the golden one (files are not translated);
  invalid input reported in Chinese with the same file, row, column and value; a language
  symbiosis does not speak is invalid input (exit 2); English stays the default.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from rich.console import Console
from typer.testing import CliRunner

import symbiosis.cli as cli
from symbiosis import i18n
from symbiosis.cli import app
from symbiosis.errors import WHATS, CaseError, Problem
from symbiosis.i18n import current_language, gettext, ngettext, use_language

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "symbiosis"
TINY = ROOT / "tests" / "cases" / "tiny"
GOLDEN_TINY = ROOT / "tests" / "golden" / "tests__cases__tiny__scenario"
#: the functions that mark a message, and the positions of its msgid (and plural)
MARKERS = {"_": (0,), "gettext": (0,), "N_": (0,), "ngettext": (0, 1)}
FIELD = re.compile(r"\{[^{}]*\}")

runner = CliRunner()


def zh_catalog() -> Catalog:
    with i18n.catalog_path("zh").open("rb") as handle:
        return read_po(handle, locale="zh")


def messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]  # without the header


def msgids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def msgstrs(message: Message) -> tuple[str, ...]:
    s = message.string
    return tuple(s) if isinstance(s, tuple | list) else (s or "",)


def marked_in_code() -> dict[str, str]:
    """Every literal message marked in the package's code -> the file it is in (read with
    ast, which sees inside f-strings too)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            for position in MARKERS.get(str(name), ()):
                if position < len(node.args):
                    arg = node.args[position]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.setdefault(arg.value, str(path.relative_to(ROOT)))
    return found


def extracted() -> set[str]:
    """What ``make messages`` extracts (pybabel's extractor, babel.cfg's mapping)."""
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")]
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


# --------------------------------------------------------------------------------------------
# The catalogs
# --------------------------------------------------------------------------------------------
def test_every_chinese_message_is_translated_and_checked() -> None:
    """No empty msgstr, no fuzzy entry (nor a fuzzy catalog), the same {fields}."""
    catalog = zh_catalog()
    assert not catalog.fuzzy
    entries = messages(catalog)
    assert len(entries) > 150
    for message in entries:
        assert "fuzzy" not in message.flags, message.id
        strings = msgstrs(message)
        assert strings and all(s.strip() for s in strings), f"no translation: {message.id!r}"
        fields = {f for m in msgids(message) for f in FIELD.findall(m)}
        for string in strings:
            assert set(FIELD.findall(string)) == fields, (message.id, string)


def test_every_marked_message_is_extracted_and_in_the_catalog() -> None:
    """The code, pybabel and the catalog agree: a message marked in the code but hidden from
    pybabel (inside an f-string), missing from the catalog or left over in it fails."""
    in_code = marked_in_code()
    seen_by_pybabel = extracted()
    hidden = {m: f for m, f in in_code.items() if m not in seen_by_pybabel}
    assert not hidden, f"marked inside f-strings (pybabel cannot see them): {hidden}"
    in_catalog = {m for message in messages(zh_catalog()) for m in msgids(message)}
    missing = sorted(seen_by_pybabel - in_catalog)
    assert not missing, f"not in the zh catalog: run `make messages` and translate: {missing}"
    left_over = sorted(in_catalog - seen_by_pybabel)
    assert not left_over, f"in the catalog, no longer in the code: {left_over}"


def _raises_input_error(node: ast.Call, in_subclass: bool) -> bool:
    """``InputError(problems, what)``, or ``super().__init__(problems, what)`` in a subclass."""
    if getattr(node.func, "id", "") == "InputError":
        return True
    return in_subclass and getattr(node.func, "attr", "") == "__init__"


def test_every_input_error_what_is_translatable() -> None:
    """Each literal ``what`` an InputError (or a subclass) is raised with is one of
    errors.WHATS, so that its report's title is translated."""
    whats: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        subclasses = [
            c
            for c in ast.walk(tree)
            if isinstance(c, ast.ClassDef)
            and any(getattr(b, "id", "") in ("InputError", "CaseError") for b in c.bases)
        ]
        scopes = [(tree, False), *((c, True) for c in subclasses)]
        for scope, in_subclass in scopes:
            for node in ast.walk(scope):
                if isinstance(node, ast.Call) and _raises_input_error(node, in_subclass):
                    given = node.args[1:2] + [k.value for k in node.keywords if k.arg == "what"]
                    whats |= {
                        a.value
                        for a in given
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    }
    assert {"case", "output", "command line"} <= whats
    assert whats <= set(WHATS), whats - set(WHATS)


def test_languages_nest_and_plural_forms() -> None:
    assert current_language() == "en"
    with use_language("zh"):
        assert gettext("total annual cost") == "年度总成本"
        assert ngettext("{count} site", "{count} sites", 1).format(count=1) == "1 个地点"
        with use_language("en"):
            assert gettext("total annual cost") == "total annual cost"
            assert ngettext("{count} site", "{count} sites", 1) == "{count} site"
            assert ngettext("{count} site", "{count} sites", 2) == "{count} sites"
        assert current_language() == "zh"
    assert current_language() == "en"
    with pytest.raises(ValueError, match="allowed: en, zh"), use_language("fr"):
        pass


def test_environment_variable_chooses_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMBIOSIS_LANG", "zh")
    assert current_language() == "zh"
    assert str(CaseError([Problem("supply.csv", "x", 2, "amount", "y")])).startswith(
        "案例数据中有 1 个问题："
    )
    monkeypatch.setenv("SYMBIOSIS_LANG", "ZH ")
    assert current_language() == "zh"
    monkeypatch.setenv("SYMBIOSIS_LANG", "")
    assert current_language() == "en"


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------
@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch) -> Iterator[StringIO]:
    """The CLI's stderr console, wide enough that no line wraps."""
    buffer = StringIO()
    monkeypatch.setattr(cli, "err", Console(file=buffer, width=200, highlight=False))
    yield buffer


def stable_summary(folder: Path) -> dict[str, object]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary.pop("highs_status", None)
    return dict(summary)


def test_run_in_chinese(console: StringIO, tmp_path: Path) -> None:
    """``symbiosis run tiny --lang zh``: stages, summary labels and statuses in Chinese; the
    same numbers and ids; the run folder the same as the golden (English) one."""
    out = tmp_path / "tiny"
    result = runner.invoke(
        app, ["run", str(TINY / "scenario.yaml"), "--out", str(out), "--lang", "zh"]
    )
    text = console.getvalue()
    assert result.exit_code == 0, result.output + text
    for stage in ("读取数据", "构建运输网络", "构建模型", "求解", "写出结果"):
        assert re.search(rf"✓ {stage}\s+\d+\.\d\d s", text), (stage, text)
    assert "4 个地点，2 条供给记录，4 个设施" in text
    assert "最优，间隙 0.00e+00" in text
    for label, value in (
        ("状态", "最优"),
        ("年度总成本", "14,049,529 元/年"),
        ("综合利用量（计入目标）", "1.000 Mt/年"),
        ("CO2 减排量", "37,040 t/年"),
        ("年化投资", "13,949,529"),
        ("加工处理净成本", "-32,000,000"),
        ("新建项目", "1: P2"),
        ("总量目标", "0.90 Mt/yr: 已达成"),  # as the scenario asked it (summary.json)
    ):
        assert re.search(rf"│ +{re.escape(label)} +│ +{re.escape(value)} │", text), (label, text)
    assert f"运行结果文件夹：{out}" in text
    for english in ("total annual cost", "status", "delivered", "projects built", "run folder"):
        assert english not in text, english
    # files are not translated: the run folder is the golden one, byte for byte
    assert stable_summary(out) == json.loads((GOLDEN_TINY / "summary.json").read_text("utf-8"))
    for table in ("flows.csv", "facilities.csv", "unused.csv", "kpis.csv"):
        assert (out / table).read_text("utf-8") == (GOLDEN_TINY / table).read_text("utf-8")


def test_environment_variable_and_option(
    console: StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SYMBIOSIS_LANG=zh speaks Chinese; --lang en overrides it; both are restored after."""
    monkeypatch.setenv("SYMBIOSIS_LANG", "zh")
    scenario = str(TINY / "scenario.yaml")
    result = runner.invoke(app, ["run", scenario, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "年度总成本" in console.getvalue()
    console.truncate(0)
    console.seek(0)
    result = runner.invoke(app, ["run", scenario, "--out", str(tmp_path / "b"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "total annual cost" in console.getvalue() and "年度总成本" not in console.getvalue()
    assert current_language() == "zh"  # the environment's again
    monkeypatch.delenv("SYMBIOSIS_LANG")
    assert current_language() == "en"


def test_bad_case_in_chinese(tmp_path: Path) -> None:
    """A bad number and an unknown id: the Chinese report names the same file, row, column
    and value as the English one."""
    tiny = Path(shutil.copytree(TINY, tmp_path / "tiny"))
    supply = tiny / "case" / "supply.csv"
    supply.write_text(supply.read_text("utf-8").replace("1000000", "lots"), encoding="utf-8")
    facilities = tiny / "case" / "facilities.csv"
    facilities.write_text(
        facilities.read_text("utf-8").replace("cement_kiln,B,", "cement_kiln,Z,"), encoding="utf-8"
    )
    scenario = str(tiny / "scenario.yaml")
    english = runner.invoke(app, ["validate", scenario])
    chinese = runner.invoke(app, ["validate", scenario, "--lang", "zh"])
    assert english.exit_code == chinese.exit_code == 2
    assert "Traceback" not in chinese.output
    assert "supply.csv, row 2, column 'amount': not a number" in english.output
    lines = chinese.output.splitlines()
    assert lines[:2] == ["案例数据无效", "案例数据中有 2 个问题："], lines
    assert (
        "  - supply.csv，第 2 行，'amount' 列：不是数字；允许：满足 > 0 的有限数值（值为 'lots'）"
        in lines
    )
    unknown = [line for line in lines if "facilities.csv，第 2 行，'site' 列：未知的 site" in line]
    assert len(unknown) == 1 and unknown[0].endswith("（值为 'Z'）"), lines


def test_missing_table_in_chinese(tmp_path: Path) -> None:
    tiny = Path(shutil.copytree(TINY, tmp_path / "tiny"))
    (tiny / "case" / "modes.csv").unlink()
    result = runner.invoke(app, ["run", str(tiny / "scenario.yaml"), "--lang", "zh"])
    assert result.exit_code == 2
    assert "  - modes.csv：缺少必需的表（查找位置：" in result.output


@pytest.mark.parametrize(
    ("args", "env", "where"),
    [(["--lang", "fr"], None, "--lang"), ([], "de", "SYMBIOSIS_LANG")],
)
def test_unknown_language_is_invalid_input(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: str | None, where: str
) -> None:
    if env is not None:
        monkeypatch.setenv("SYMBIOSIS_LANG", env)
    result = runner.invoke(app, ["validate", str(TINY / "scenario.yaml"), *args])
    assert result.exit_code == 2, result.output
    value = args[1] if args else env
    assert f"  - {where}: unknown language; allowed: en, zh (value '{value}')" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------
# Scenario and override checks, --help, the diagnosis, tech and mode words (issue 13)
# --------------------------------------------------------------------------------------------
def test_bad_scenario_in_chinese(tmp_path: Path) -> None:
    """A scenario value out of range, an unknown key, and an override that makes a cell out
    of range: the Chinese report names the same file, key, column and value as the English
    one, exit 2, no traceback."""
    tiny = Path(shutil.copytree(TINY, tmp_path / "tiny"))
    scenario = tiny / "scenario.yaml"
    scenario.write_text(
        scenario.read_text("utf-8")
        + "discount_rate: 2\nspeed: 3\n"
        + "overrides:\n  set:\n    - {table: facilities, where: {facility: P2}, "
        "values: {capex: -5}}\n",
        encoding="utf-8",
    )
    english = runner.invoke(app, ["validate", str(scenario)])
    chinese = runner.invoke(app, ["validate", str(scenario), "--lang", "zh"])
    assert english.exit_code == chinese.exit_code == 2, english.output + chinese.output
    assert "Traceback" not in chinese.output
    assert "  - scenario.yaml: discount_rate: Input should be less than 1 (value '2')" in (
        english.output
    )
    lines = chinese.output.splitlines()
    assert lines[0] == "情景无效", lines
    assert "  - scenario.yaml：discount_rate：应小于 1（值为 '2'）" in lines, lines
    assert any(
        line.startswith("  - scenario.yaml：speed：未知的键；允许的键：name, case,")
        for line in lines
    ), lines
    # the override's problem, once the scenario itself is valid
    scenario.write_text(
        scenario.read_text("utf-8").replace("discount_rate: 2\nspeed: 3\n", ""), encoding="utf-8"
    )
    chinese = runner.invoke(app, ["validate", str(scenario), "--lang", "zh"])
    assert chinese.exit_code == 2, chinese.output
    assert (
        "  - scenario.yaml，'capex' 列：overrides.set[1] (facilities)：P2 的 facilities.capex "
        "超出范围；允许：满足 >= 0 的有限数值（值为 '-5.0'）"
    ) in chinese.output.splitlines(), chinese.output


def test_help_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--help`` in the language of ``--lang`` (read from the command line before it is
    parsed) or of SYMBIOSIS_LANG; English by default."""
    chinese = runner.invoke(app, ["validate", "--help", "--lang", "zh"])
    assert chinese.exit_code == 0, chinese.output
    text = " ".join(chinese.output.split())
    assert "检查情景及其案例" in text and "情景 YAML 文件或案例文件夹。" in text, text
    english = runner.invoke(app, ["validate", "--help"])
    assert "Check a scenario and its case" in english.output and "检查" not in english.output
    monkeypatch.setenv("SYMBIOSIS_LANG", "zh")
    top = runner.invoke(app, ["--help"])
    assert "优化产业共生网络" in " ".join(top.output.split()), top.output
    assert cli.help_language(["run", "--lang=en"]) == "en"
    assert cli.help_language(["run", "--lang", "fr"]) == "en"  # the command reports it


def test_diagnosis_and_notes_in_chinese(console: StringIO, tmp_path: Path) -> None:
    """An infeasible run's diagnosis and a run's notes are printed in Chinese; its
    summary.json keeps the English sentences of the golden run folder."""
    cases = ROOT / "tests" / "cases"
    out = tmp_path / "infeasible"
    scenario = cases / "tiny_variants" / "infeasible.yaml"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--lang", "zh"])
    assert result.exit_code == 3, result.output + console.getvalue()
    text = console.getvalue()
    assert "total：最多可利用 1.00 Mt/年（目标的 83%）；目标为 1.20 Mt/年" in text, text
    assert "供给量及其运输范围内的处理能力不足" in text
    golden = GOLDEN_TINY.parent / "tests__cases__tiny_variants__infeasible" / "summary.json"
    written = json.loads((out / "summary.json").read_text("utf-8"))
    assert written["diagnosis"] == json.loads(golden.read_text("utf-8"))["diagnosis"]
    console.truncate(0)
    console.seek(0)
    myopic = cases / "myopic" / "myopic.yaml"
    result = runner.invoke(app, ["run", str(myopic), "--out", str(tmp_path / "m"), "--lang", "zh"])
    assert result.exit_code == 0, result.output + console.getvalue()
    text = console.getvalue()
    assert "短视（逐年）求解：2026 年最优，新建 SMALL；2027 年最优，新建 LARGE" in text, text
    assert "多年模型和链式模型不做模型约简和热启动" in text


def test_message_is_english_and_shown_in_the_language() -> None:
    """i18n.Message: a str of its English (pickled, copied and dumped as such), shown in
    the current language, fields and concatenations too."""
    import copy
    import pickle

    from symbiosis.i18n import N_, Message, shown

    part = Message(N_("{target} short by {amount}"), target="total", amount="1 t")
    joined = Message.concat(part, Message(N_(", ")), "x")
    assert joined == "total short by 1 t, x" and json.dumps([joined]) == '["total short by 1 t, x"]'
    for same in (pickle.loads(pickle.dumps(joined)), copy.deepcopy(joined)):
        assert isinstance(same, Message) and same == joined
        with use_language("zh"):
            assert shown(same) == "total 缺口 1 t，x"
    assert shown("plain") == "plain"


def test_tech_and_mode_words() -> None:
    """Tech and mode ids in words in both languages; an unknown id as it is."""
    from symbiosis.report.labels import mode_label, tech_label

    assert tech_label("cement_kiln") == "cement kiln" and mode_label("heat_pipe") == "heat pipe"
    with use_language("zh"):
        assert tech_label("cement_kiln") == "水泥窑"
        assert mode_label("road") == "公路" and mode_label("rail") == "铁路"
        assert tech_label("my_own_tech") == "my_own_tech" and mode_label("barge") == "barge"
    guizhou = ROOT / "data" / "parks" / "guizhou" / "facilities.csv"
    import pandas as pd

    from symbiosis.report.labels import TECHS

    techs = set(pd.read_csv(guizhou, usecols=["tech"])["tech"])
    assert techs <= set(TECHS), techs - set(TECHS)


# --------------------------------------------------------------------------------------------
# compare: a diagnosis read back, tech words, limits in words (issue 13)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def infeasible_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Run folders: tiny (solved), tiny asked 1.2 Mt (infeasible, no limit) and max_new's
    900 t with at most two new projects (infeasible, the limit binding)."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    root = tmp_path_factory.mktemp("infeasible")
    cases = ROOT / "tests" / "cases"
    run_scenario(load_scenario(TINY / "scenario.yaml"), root / "tiny")
    run_scenario(load_scenario(cases / "tiny_variants" / "infeasible.yaml"), root / "short")
    run_scenario(load_scenario(cases / "max_new" / "infeasible.yaml"), root / "limited")
    return root / "tiny", root / "short", root / "limited"


def test_compare_shows_an_infeasible_runs_diagnosis_in_chinese(
    console: StringIO, infeasible_runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """``compare --lang zh`` of an infeasible run: its diagnosis, read back from summary.json
    (English there), is shown in Chinese, rebuilt from the diagnosis's structure with the
    diagnosis's own templates; in English the explanation keeps summary.json's sentence."""
    tiny, short, _limited = infeasible_runs
    out = tmp_path / "cmp.html"
    result = runner.invoke(app, ["compare", str(tiny), str(short), "--out", str(out)])
    assert result.exit_code == 0, result.output + console.getvalue()
    english = " ".join(console.getvalue().split())  # the console wraps
    written = json.loads((short / "summary.json").read_text("utf-8"))["diagnosis"]["messages"]
    assert f"status infeasible), so the costs cannot be compared. {written[0]}" in english
    console.truncate(0)
    console.seek(0)
    args = ["compare", str(tiny), str(short), "--out", str(out), "--lang", "zh"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output + console.getvalue()
    text = "".join(console.getvalue().split())  # the console wraps
    assert "total：最多可利用1.00Mt/年（目标的83%）；目标为1.20Mt/年" in text, text
    assert "供给量及其运输范围内的处理能力不足" in text and "canbedelivered" not in text
    page = out.read_text("utf-8")
    assert "total：最多可利用 1.00 Mt/年（目标的 83%）" in page


def test_a_diagnosis_names_limits_in_words(infeasible_runs: tuple[Path, Path, Path]) -> None:
    """A limit in the diagnosis is shown in words in both languages, live and read back
    (compare); summary.json keeps its id (the golden run folder's sentence)."""
    from symbiosis.compare import compare_runs
    from symbiosis.i18n import Message, shown
    from symbiosis.solve.diagnose import diagnosis_messages, held_limit, limit_name

    tiny, _short, limited = infeasible_runs
    summary = json.loads((limited / "summary.json").read_text("utf-8"))
    golden = ROOT / "tests" / "golden" / "tests__cases__max_new__infeasible" / "summary.json"
    assert summary["diagnosis"] == json.loads(golden.read_text("utf-8"))["diagnosis"]
    assert "max_new_facilities = 2" in summary["diagnosis"]["messages"][0]
    english = " ".join(compare_runs([tiny, limited]).explanation)
    assert (
        "total: 800 t/yr reachable with at most 2 new projects; target 900 t/yr. Without the "
        "limit on new projects: 1,000 t/yr (enough to meet it)"
    ) in english, english
    with use_language("zh"):
        chinese = " ".join(compare_runs([tiny, limited]).explanation)
    assert (
        "total：在现有限制（最多新建 2 个项目）下最多可达 800 t/年；目标为 900 t/年。"
        "取消新建项目数上限时：1,000 t/年（足以达成）"
    ) in chinese, chinese
    assert "max_new_facilities" not in chinese
    # each limit, written as its id and shown in words
    for limit, words in (
        ("capex_budget", "投资预算"),
        ("co2_floor", "CO2 减排量下限"),
        ("capex_budget@2027", "2027 年的投资预算"),
        ("max_new_facilities_by_year", "各年新建项目数上限"),
        ("all limits", "所有限制"),
    ):
        name = limit_name(limit)
        assert name == limit and json.dumps(name) == json.dumps(limit)
        with use_language("zh"):
            assert shown(name) == words, limit
    budget = held_limit("capex_budget", 5e6)
    assert budget == "capex_budget = 5e+06"
    assert shown(budget) == "an investment budget of 5,000,000 CNY"
    with use_language("zh"):
        assert shown(budget) == "投资预算 5,000,000 元"
    # a sentence the structure does not rebuild stays as written
    (kept,) = diagnosis_messages({"messages": ["something else"], "targets": []})
    assert kept == "something else" and not isinstance(kept, Message)


def test_compare_names_techs_and_modes_in_words(
    infeasible_runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """compare's explanation names a project's tech (and a flow's mode) in words in Chinese
    (symbiosis.case.words, the one owner, which the reports use too); ids in English."""
    from symbiosis.compare import compare_runs
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import Overrides, load_scenario

    variant = load_scenario(TINY / "scenario.yaml")
    variant.name = "no-p2"
    variant.target.total = None
    variant.overrides = Overrides(forbid=["P2"])
    run_scenario(variant, tmp_path / "no-p2")
    runs = [infeasible_runs[0], tmp_path / "no-p2"]
    english = " ".join(compare_runs(runs).explanation)
    assert "P1 (gypsum_board, Guiyang" in english and "(phosphogypsum, road)" in english
    with use_language("zh"):
        chinese = " ".join(compare_runs(runs).explanation)
    assert "P1（石膏板，Guiyang" in chinese, chinese
    assert "（phosphogypsum，公路）" in chinese and "gypsum_board" not in chinese


def test_web_pages_name_targets_and_compare_columns_in_words(
    infeasible_runs: tuple[Path, Path, Path],
) -> None:
    """The web pages' words (/ui/strings.json) name a target (``Targets: total``) and every
    column of the compare page's tables and its KPIs in both languages, in the reports'
    words (symbiosis.report.labels, their one owner); the scripts ask for them."""
    pytest.importorskip("fastapi")
    from symbiosis.compare import compare_runs
    from symbiosis.report.labels import column_label, kpi_label
    from symbiosis.web.pages import STATIC_DIR, page_strings

    en, zh = page_strings("en"), page_strings("zh")
    assert en["column_objective"] == "Total annual cost (CNY/yr)"
    assert en["target_name_total"] == "total"
    assert zh["target_name_total"] == "总量" and zh["target_name_year"] == "{target}（{year} 年）"
    assert zh["target_name_prefecture"].format(name="Guiyang") == "Guiyang（市州）"
    tables = compare_runs(list(infeasible_runs[:2])).tables()
    with use_language("zh"):
        for column in [*tables["overview"].columns, "kpi", "key", "unit", "change %"]:
            key = f"column_{column.replace(' %', '_pct')}"
            assert zh.get(key) == column_label(column), column
        for kpi in set(tables["kpis"]["kpi"]):
            assert zh.get(f"kpi_{kpi}") == kpi_label(kpi), kpi
    assert zh["column_mip_gap"] != en["column_mip_gap"]
    scripts = {name: (STATIC_DIR / name).read_text("utf-8") for name in ("compare.js", "result.js")}
    assert "column_${" in scripts["compare.js"] and "kpi_${" in scripts["compare.js"]
    assert (
        't("target_name_total")' in scripts["result.js"]
        and "targetName(target.name" in (scripts["result.js"])
    )
