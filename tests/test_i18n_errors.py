"""Invalid input in both languages (issue 13, "Error messages for bad input in both
languages"; docs/i18n.md).

- Every problem the package reports (each ``Problem(file, message, ...)`` and each message
  replaced into one) has its words marked for the catalog, never a bare English literal or
  f-string (found by walking the source with ast); the catalog tests of test_i18n.py then
  check each marked message has its Chinese.
- The command line with ``--lang zh``: a bad sweep points file, a bad run folder given to
  ``compare`` and to ``map``, options HiGHS rejects, a bad OR-Library file: the same file,
  row, column and value as in English, in Chinese words, exit 2, no traceback.
- What a diagnosis shows of a target (``85% of supply``) and of a stop request, in the
  language, while summary.json keeps its English.
"""

from __future__ import annotations

import ast
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbiosis.cli import app
from symbiosis.i18n import shown, use_language
from symbiosis.interrupt import StopRequest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "symbiosis"
TINY = ROOT / "tests" / "cases" / "tiny"
#: the functions that mark a message for the catalog
MARKERS = {"_", "gettext", "ngettext", "N_", "Message"}
#: messages that are another piece of work still under way: the web app's (issue 14, its own
#: developers mark them), as ``path`` or ``path:text``; every other problem is checked
NOT_YET = ("symbiosis/web/", 'symbiosis/cli.py:f"{exc}; install it with: pip install')

runner = CliRunner()


def _has_words(node: ast.expr) -> bool:
    """Whether an expression is English text written in place: a string literal, an
    f-string, ``"..." + x`` or ``"...".format(...)`` whose literal parts hold letters."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_has_words(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _has_words(node.left) or _has_words(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _has_words(node.func.value)
    return False


def unmarked_problems(source: str) -> list[tuple[int, str]]:
    """The problem messages in ``source`` written as bare English (line, text)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        message: ast.expr | None = None
        if name == "Problem":
            message = node.args[1] if len(node.args) > 1 else None
        if name in ("Problem", "replace"):
            message = next((k.value for k in node.keywords if k.arg == "message"), message)
        if message is not None and _has_words(message):
            found.append((node.lineno, ast.unparse(message)[:80]))
    return found


def test_the_check_finds_bare_english() -> None:
    """The walker itself: literals, f-strings and formatted literals are found; marked
    messages and punctuation-only joins are not."""
    source = (
        "Problem(f, 'no such file')\n"
        "Problem(f, f'{x} is not a number', row=2)\n"
        "Problem(f, 'cannot read: {e}'.format(e=e))\n"
        "replace(p, message=f'point {n}: {p.message}')\n"
        "Problem(f, _('no such file'))\n"
        "Problem(f, _('{x}: bad').format(x=x))\n"
        "Problem(f, f'{name}: {column}: {why}')\n"
        "Problem(f, message)\n"
    )
    assert [line for line, _text in unmarked_problems(source)] == [1, 2, 3, 4]


def test_every_problem_message_goes_through_the_catalog() -> None:
    """No module reports a problem in English words that the catalog cannot translate."""
    bare = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative.startswith(NOT_YET):
            continue
        found = [
            (line, text)
            for line, text in unmarked_problems(path.read_text(encoding="utf-8"))
            if not f"{relative}:{text}".startswith(NOT_YET)
        ]
        if found:
            bare[relative] = found
    assert not bare, f"mark these with _() and translate them (docs/i18n.md): {bare}"


# --------------------------------------------------------------------------------------------
# The command line, in Chinese
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of the tiny case (written once for the module)."""
    out = tmp_path_factory.mktemp("runs") / "tiny"
    result = runner.invoke(app, ["run", str(TINY / "scenario.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _invalid(args: list[str]) -> str:
    """The output of a command that must refuse its input: exit 2, no traceback."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return " ".join(result.output.split())  # lines wrapped by the console joined


def test_bad_sweep_points_file_in_chinese(tmp_path: Path) -> None:
    points = tmp_path / "points.yaml"
    points.write_text("- {name: low, discount_rate: 0.05}\n- 3\n", encoding="utf-8")
    args = ["sweep", str(TINY / "scenario.yaml"), "--points", str(points), "--serial"]
    args += ["--out", str(tmp_path / "sweep")]
    english = _invalid(args)
    assert "points.yaml, row 2: point 2 is not a mapping" in english
    chinese = _invalid([*args, "--lang", "zh"])
    assert "参数扫描中有 1 个问题：" in chinese
    assert "points.yaml，第 2 行：第 2 个点不是映射" in chinese, chinese
    values = _invalid([*args[:2], "--targets", "5:1:1", "--lang", "zh"])
    assert "--targets：'5:1:1'：需要 STEP > 0 且 STOP >= START" in values, values


def _broken_copy(run: Path, folder: Path, table: str, old: str, new: str) -> Path:
    broken = Path(shutil.copytree(run, folder))
    text = (broken / table).read_text(encoding="utf-8")
    assert old in text
    (broken / table).write_text(text.replace(old, new, 1), encoding="utf-8")
    return broken


def test_bad_run_folder_for_compare_in_chinese(tiny_run: Path, tmp_path: Path) -> None:
    """A cell that is not a number and a year that is not a year: the file, row, column
    and value named, in Chinese words (and the same place in English)."""
    header = (tiny_run / "flows.csv").read_text(encoding="utf-8").splitlines()[1]
    km = header.split(",")[5]
    broken = _broken_copy(tiny_run, tmp_path / "broken", "flows.csv", f",{km},", ",far,")
    flows = broken / "flows.csv"
    english = _invalid(["compare", str(tiny_run), str(broken), "--out", str(tmp_path / "r.html")])
    assert f"{flows}, row 2, column 'km': not a number; allowed: a number, or empty" in english
    assert "(value 'far')" in english
    chinese = _invalid(
        ["compare", str(tiny_run), str(broken), "--out", str(tmp_path / "r.html"), "--lang", "zh"]
    )
    assert "运行结果文件夹中有 1 个问题：" in chinese, chinese
    assert f"{flows}，第 2 行，'km' 列：不是数字；允许：数字或留空（值为 'far'）" in chinese

    years = Path(shutil.copytree(tiny_run, tmp_path / "years"))
    lines = (years / "facilities.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",build_year"] + [line + ",2030" for line in lines[1:]]
    lines[2] = lines[2].rsplit(",", 1)[0] + ",soon"
    (years / "facilities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    chinese = _invalid(
        ["compare", str(tiny_run), str(years), "--out", str(tmp_path / "y.html"), "--lang", "zh"]
    )
    assert (
        f"{years / 'facilities.csv'}，第 3 行，'build_year' 列：不是年份；"
        "允许：整数年份（如 2030）或留空（值为 'soon'）"
    ) in chinese, chinese


def test_missing_run_folder_for_map_in_chinese(tiny_run: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    chinese = _invalid(["map", str(missing), "--out", str(tmp_path / "m.html"), "--lang", "zh"])
    assert f"{missing}：运行结果文件夹不存在（请用 `symbiosis run` 生成）" in chinese, chinese
    broken = _broken_copy(tiny_run, tmp_path / "broken", "summary.json", "{", "[")
    chinese = _invalid(["map", str(broken), "--out", str(tmp_path / "b.html"), "--lang", "zh"])
    assert f"{broken / 'summary.json'}：" in chinese and "无法读取：" in chinese, chinese


def test_rejected_solver_option_in_chinese(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        f"extends: {TINY / 'scenario.yaml'}\nsolver:\n  options:\n    no_such_option: 1\n",
        encoding="utf-8",
    )
    chinese = _invalid(["run", str(scenario), "--out", str(tmp_path / "out"), "--lang", "zh"])
    assert "求解器选项：HiGHS 不接受选项 'no_such_option' = 1" in chinese, chinese


def test_bad_orlib_file_in_chinese(tmp_path: Path) -> None:
    """An OR-Library file (read by benchmarks/run.py, no command of its own): the line and
    the value that is not a number, in both languages."""
    from symbiosis.errors import InputError
    from symbiosis.orlib import read_cap

    bad = tmp_path / "capx.txt"
    bad.write_text("1 1\n 10 5\n 3 2.5x\n", encoding="ascii")
    with pytest.raises(InputError) as english:
        read_cap(bad)
    assert "capx.txt, row 3: value 2 on the line is not a number (value '2.5x')" in str(
        english.value
    )
    with use_language("zh"), pytest.raises(InputError) as chinese:
        read_cap(bad)
    assert "capx.txt，第 3 行：该行第 2 个值不是数字（值为 '2.5x'）" in str(chinese.value)


# --------------------------------------------------------------------------------------------
# Shown in the language, written in English
# --------------------------------------------------------------------------------------------
def test_target_asked_in_the_language(tmp_path: Path) -> None:
    """A share target as the diagnosis quotes it: English in the model data (and so in
    summary.json), Chinese where it is shown."""
    from symbiosis.case import load_case
    from symbiosis.milp import build_model_data
    from symbiosis.network import build_arcs
    from symbiosis.scenario import load_scenario

    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        f"extends: {TINY / 'scenario.yaml'}\ntarget:\n  total: null\n"
        "  streams:\n    phosphogypsum: {share: 0.85}\n",
        encoding="utf-8",
    )
    loaded = load_scenario(scenario)
    case = load_case(loaded.case)
    data = build_model_data(case, build_arcs(case), loaded)
    asked = next(t.asked for t in data.targets if t.name == "phosphogypsum")
    assert asked.startswith("85% of supply (") and asked.endswith(" Mt/yr)"), asked
    with use_language("zh"):
        assert shown(asked).startswith("供应量的 85%（") and shown(asked).endswith(" Mt/年）")


def test_stop_request_in_the_language() -> None:
    stop = StopRequest("SIGINT", datetime(2026, 1, 1, 6, 0, 0, tzinfo=UTC), 0.0, "solve")
    english = stop.describe()
    assert english.startswith("SIGINT at ") and english.endswith(" during solve")
    with use_language("zh"):
        chinese = stop.describe()
    assert chinese.startswith("SIGINT（") and chinese.endswith("，于 solve 阶段"), chinese
