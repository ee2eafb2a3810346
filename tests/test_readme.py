"""The README's examples run as written on the bundled Guizhou case.

Every fenced block and inline command of README.md is read here, so an edit that breaks one
fails the suite:

* a ```` ```yaml ```` block whose first line names a file (``# models/gz-variant.yaml``) is
  written there in a copy of the repository's layout (``models/`` copied, ``data/`` linked);
  a block with ``extends:`` or ``case:`` is a scenario and must name its file, and is checked
  as ``symbiosis validate`` checks it, with every override selecting at least one row;
* every ``symbiosis`` (or ``.venv/bin/symbiosis``) line of a ```` ```sh ```` block is parsed
  by the real command line (command, options, values); the scenarios, sweep points, target
  levels and run folders it names must exist and be valid; cheap commands (``validate``,
  ``case export``) are run for real;
* inline commands (```symbiosis run --no-reduce```) must name a command and options that exist;
* the ```` ```python ```` block runs on the tiny case (fast) and as written (slow).

The slow test runs every README command in order in that copy, solves included (with a short
``--time-limit`` appended to commands that solve, so it ends in minutes).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from symbiosis.case import InputError, load_case
from symbiosis.cli import app
from symbiosis.curve import parse_levels
from symbiosis.overrides import apply_overrides, apply_overrides_logged
from symbiosis.scenario import check_scenario_against_case, load_scenario
from symbiosis.sweep import grid_points, load_points, parse_set, parse_values, point_scenario

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TINY_SCENARIO = ROOT / "tests" / "cases" / "tiny" / "scenario.yaml"

#: Commands cheap enough to run for real in the fast suite.
CHEAP = {("validate",), ("case", "export")}
#: Commands that solve: the slow test appends ``--time-limit SLOW_TIME_LIMIT`` to them.
SOLVING = {("run",), ("curve",), ("pareto",), ("sweep",)}
SLOW_TIME_LIMIT = "10"
#: ``make run`` (README, "Two commands") writes this run folder (Makefile: OUT).
MAKE_RUN_FOLDER = "runs/guizhou-2025"

runner = CliRunner()

#: click's exceptions (typer >= 0.2x carries its own copy of click as ``typer._click``).
try:
    CLICK_ERRORS: Any = importlib.import_module("typer._click.exceptions")
except ImportError:  # pragma: no cover - older typer on click
    CLICK_ERRORS = importlib.import_module("click.exceptions")


# --------------------------------------------------------------------------------------------
# Reading the README
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, text and first line number in README.md."""

    lang: str
    text: str
    line: int

    @property
    def header_file(self) -> str | None:
        """The file a block names on its first line (``# models/x.yaml``), if any."""
        first = self.text.splitlines()[0] if self.text.strip() else ""
        match = re.match(r"#\s*([\w./-]+\.ya?ml)\b", first)
        return match.group(1) if match else None


@dataclass(frozen=True)
class Command:
    """A ``symbiosis`` command line of the README: its words after ``symbiosis``."""

    words: tuple[str, ...]
    line: int
    text: str

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.text}"


def readme_blocks(text: str) -> list[Block]:
    """Every fenced code block of ``text``."""
    blocks = []
    for match in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 2
        blocks.append(Block(match.group(1), match.group(2), line))
    return blocks


def _symbiosis_words(line: str) -> tuple[str, ...] | None:
    words = shlex.split(line, comments=True)
    if words and words[0] in ("symbiosis", ".venv/bin/symbiosis"):
        return tuple(words[1:])
    return None


def block_commands(blocks: list[Block]) -> list[Command]:
    """The ``symbiosis`` lines of the ``sh`` blocks (backslash continuations joined)."""
    commands = []
    for block in blocks:
        if block.lang not in ("sh", "bash", "shell", "console"):
            continue
        lines = block.text.splitlines()
        i = 0
        while i < len(lines):
            start, line = i, lines[i]
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i].strip()
            i += 1
            words = _symbiosis_words(line)
            if words is not None:
                commands.append(Command(words, block.line + start, line.strip()))
    return commands


def inline_commands(text: str) -> list[Command]:
    """Commands quoted inline in the prose: ```symbiosis run --no-reduce```."""
    fenced = re.sub(
        r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S | re.M
    )
    commands = []
    for match in re.finditer(r"`((?:\.venv/bin/)?symbiosis [^`]+)`", fenced):
        line = text.count("\n", 0, match.start()) + 1
        spaced = " ".join(match.group(1).split())
        words = _symbiosis_words(spaced)
        if words is not None:
            commands.append(Command(words, line, spaced))
    return commands


TEXT = README.read_text(encoding="utf-8")
BLOCKS = readme_blocks(TEXT)
COMMANDS = block_commands(BLOCKS)
INLINE = inline_commands(TEXT)


def _is_scenario(block: Block) -> bool:
    if block.lang not in ("yaml", "yml"):
        return False
    data = yaml.safe_load(block.text)
    return isinstance(data, dict) and ("extends" in data or "case" in data)


SCENARIO_BLOCKS = [b for b in BLOCKS if _is_scenario(b)]
PYTHON_BLOCKS = [b for b in BLOCKS if b.lang == "python"]


def _block_id(block: Block) -> str:
    return f"line{block.line}-{block.header_file or 'unnamed'}"


def _command_id(command: Command) -> str:
    return f"line{command.line}-{'-'.join(command.words[:2])}"


# --------------------------------------------------------------------------------------------
# The repository's layout with the README's files written into it
# --------------------------------------------------------------------------------------------
def make_workspace(root: Path) -> Path:
    """A copy of the repository's layout at ``root``: ``models/`` copied, ``data``, ``maps``
    and ``solvers`` linked, and every file a README block names written where it says."""
    (root / "models").mkdir(parents=True)
    for scenario in (ROOT / "models").glob("*.yaml"):
        shutil.copy2(scenario, root / "models" / scenario.name)
    for shared in ("data", "maps", "solvers"):
        (root / shared).symlink_to(ROOT / shared, target_is_directory=True)
    for block in BLOCKS:
        name = block.header_file
        if block.lang in ("yaml", "yml") and name is not None:
            path = root / name
            assert not path.exists() or path.parent.name == "models", (
                f"README.md:{block.line}: {name} would replace a file of the repository"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("readme") / "repo")


def validate_scenario(path: Path) -> list[dict[str, Any]]:
    """What ``symbiosis validate`` does, returning the overrides log (raises InputError)."""
    scenario = load_scenario(path)
    case = load_case(scenario.case)
    log: list[dict[str, Any]] = []
    if not scenario.overrides.is_empty():
        case, log = apply_overrides_logged(case, scenario.overrides, path.name)
    check_scenario_against_case(scenario, case)
    return log


# --------------------------------------------------------------------------------------------
# Parsing a command line with the real command-line interface
# --------------------------------------------------------------------------------------------
@functools.cache
def _cli() -> Any:
    return typer.main.get_command(app)


def resolve(words: tuple[str, ...]) -> tuple[tuple[str, ...], Any, list[str]]:
    """The (sub)command path, its click command and the remaining words."""
    command: Any = _cli()
    path: list[str] = []
    rest = list(words)
    while hasattr(command, "list_commands"):  # a group of commands
        assert rest, f"no command after {' '.join(['symbiosis', *path])}"
        name = rest.pop(0)
        sub = command.get_command(typer.Context(command), name)
        known = sorted(command.list_commands(typer.Context(command)))
        assert sub is not None, f"symbiosis has no command {' '.join([*path, name])!r}: {known}"
        path.append(name)
        command = sub
    return tuple(path), command, rest


@dataclass(frozen=True)
class Parsed:
    """A command line as ``symbiosis`` parses it: the command path, the positional
    arguments and the options by their command-line name (``--out``)."""

    path: tuple[str, ...]
    arguments: list[Any]
    options: dict[str, Any]

    def option(self, name: str) -> Any:
        return self.options.get(name)


def parse(words: tuple[str, ...]) -> Parsed:
    """Parse a command line as ``symbiosis`` would.

    Raises click's UsageError (unknown command or option, missing or bad value)."""
    path, command, rest = resolve(words)
    ctx = command.make_context(" ".join(["symbiosis", *path]), rest)
    arguments: list[Any] = []
    options: dict[str, Any] = {}
    for param in command.params:
        value = ctx.params.get(param.name)
        if param.param_type_name == "argument":
            arguments += value if isinstance(value, list | tuple) else [value]
        else:
            for opt in param.opts:
                options[opt] = value
    return Parsed(path, [a for a in arguments if a is not None], options)


def option_names(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def _posix(path: Path | str) -> str:
    return Path(path).as_posix().rstrip("/")


def folders_written(parsed: Parsed, root: Path) -> list[str]:
    """The run folders a ``symbiosis run`` writes (``out``, ``out/<name>`` for several
    scenarios, ``runs/<name>`` without ``--out``)."""
    if parsed.path != ("run",):
        return []
    names = [load_scenario(root / s).name for s in parsed.arguments]
    out = parsed.option("--out")
    if out is None:
        return [f"runs/{n}" for n in names]
    if len(names) == 1:
        return [_posix(out)]
    return [f"{_posix(out)}/{n}" for n in names]


def check_sweep(parsed: Parsed, root: Path, command: Command) -> None:
    """Every point of a ``symbiosis sweep`` grid validates, as the sweep checks them."""
    base = load_scenario(root / parsed.arguments[0])
    listed = []
    points = parsed.option("--points")
    if points is not None:
        assert (root / points).is_file(), (
            f"{command}\n  no such points file {points}: give it a yaml block whose first "
            "line is '# <file>'"
        )
        listed = load_points(root / points)
    targets = parsed.option("--targets")
    grid = grid_points(
        parse_values(targets) if targets else [],
        [parse_set(s) for s in parsed.option("--set") or []]
        + [parse_set(f"overrides.scale.{s}") for s in parsed.option("--scale") or []],
        listed,
    )
    assert grid
    case = load_case(base.case)
    for point in grid:
        scenario = point_scenario(base, point)
        point_case = case
        if not scenario.overrides.is_empty():
            point_case = apply_overrides(case, scenario.overrides, f"point {point.name}")
        check_scenario_against_case(scenario, point_case)


def check_command(command: Command, root: Path, written: set[str]) -> None:
    """Parse ``command``, then check what it names exists in ``root`` and is valid."""
    try:
        parsed = parse(command.words)
    except CLICK_ERRORS.ClickException as exc:
        pytest.fail(f"{command}\n  does not parse: {exc.format_message()}")
    path = parsed.path
    if path in (("run",), ("validate",), ("curve",), ("pareto",), ("sweep",)):
        assert parsed.arguments
        for name in parsed.arguments:
            target = root / name
            assert target.exists(), f"{command}\n  no such scenario {name}"
            if target.suffix in (".yaml", ".yml"):
                validate_scenario(target)
            else:
                load_case(target)
    if path == ("curve",) and parsed.option("--targets"):
        assert parse_levels(parsed.option("--targets"))
    if path == ("sweep",):
        check_sweep(parsed, root, command)
    if path in (("compare",), ("map",)):
        for run in parsed.arguments:
            assert _posix(run) in written, (
                f"{command}\n  {run} is not a run folder written by `make run` or a "
                f"`symbiosis run` earlier in the README; those are: {', '.join(sorted(written))}"
            )


# --------------------------------------------------------------------------------------------
# Fast tests
# --------------------------------------------------------------------------------------------
def test_the_readme_has_examples_to_check() -> None:
    """The extraction finds what the README holds (so the tests below are not vacuous)."""
    paths = {resolve(c.words)[0] for c in COMMANDS}
    assert {("validate",), ("run",), ("compare",), ("curve",), ("pareto",)} <= paths
    assert {("sweep",), ("map",)} <= paths
    assert len(SCENARIO_BLOCKS) >= 2
    assert any("overrides" in yaml.safe_load(b.text) for b in SCENARIO_BLOCKS)
    assert PYTHON_BLOCKS
    assert any(c.words[:2] == ("case", "export") for c in INLINE)
    assert any("make run" in b.text for b in BLOCKS if b.lang == "sh")


@pytest.mark.parametrize("block", SCENARIO_BLOCKS, ids=_block_id)
def test_scenario_block_is_valid_on_the_bundled_case(block: Block, workspace: Path) -> None:
    """A scenario block names its file, and validates there as `symbiosis validate` would;
    every ``set`` rule selects rows and every ``force_build``/``forbid`` is a candidate."""
    name = block.header_file
    assert name is not None, (
        f"README.md:{block.line}: a scenario block starts with '# models/<name>.yaml' (the "
        "file it is, so its relative case/extends resolve)"
    )
    path = workspace / name
    log = validate_scenario(path)
    data = yaml.safe_load(block.text)
    rules = (data.get("overrides") or {}).get("set") or []
    selected = [e for e in log if str(e["override"]).startswith("overrides.set[")]
    assert len({e["override"] for e in selected}) >= len(rules)
    for entry in selected:
        assert entry["rows_selected"] > 0, f"README.md:{block.line}: {entry}"
    scenario = load_scenario(path)
    facilities = load_case(scenario.case).facilities.set_index("facility")
    for key in ("force_build", "forbid"):
        for fid in getattr(scenario.overrides, key):
            assert facilities.at[fid, "status"] == "candidate"


@pytest.mark.parametrize("command", COMMANDS, ids=_command_id)
def test_readme_command_parses_and_names_what_exists(command: Command, workspace: Path) -> None:
    """Each command parses; its scenarios, points and run folders exist and are valid."""
    written = {MAKE_RUN_FOLDER}
    for earlier in COMMANDS[: COMMANDS.index(command)]:
        try:
            written.update(folders_written(parse(earlier.words), workspace))
        except (CLICK_ERRORS.ClickException, InputError):
            continue  # reported by that command's own test
    check_command(command, workspace, written)


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if resolve(c.words)[0] in CHEAP], ids=_command_id
)
def test_cheap_readme_command_runs(
    command: Command, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate` and `case export` lines run for real and succeed."""
    monkeypatch.chdir(workspace)
    result = runner.invoke(app, list(command.words))
    assert result.exit_code == 0, f"{command}\n{result.output}"


@pytest.mark.parametrize("command", INLINE, ids=_command_id)
def test_inline_command_exists(
    command: Command, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command quoted in the prose names a command and options that exist; a complete
    one parses, and a cheap complete one runs."""
    path, click_command, rest = resolve(command.words)
    known = option_names(click_command)
    for word in rest:
        if word.startswith("-"):
            assert word.split("=")[0] in known, (
                f"{command}\n  symbiosis {' '.join(path)} has no option {word}: {sorted(known)}"
            )
    try:
        click_command.make_context(" ".join(path), list(rest))
    except CLICK_ERRORS.MissingParameter:
        return  # a fragment such as `symbiosis run --no-reduce`
    except CLICK_ERRORS.ClickException as exc:
        pytest.fail(f"{command}\n  does not parse: {exc.format_message()}")
    if path in CHEAP:
        monkeypatch.chdir(workspace)
        result = runner.invoke(app, list(command.words))
        assert result.exit_code == 0, f"{command}\n{result.output}"


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_block_id)
def test_python_block_runs_on_the_tiny_case(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Python example, with its scenario swapped for the tiny case's (fast)."""
    code, swapped = re.subn(r"(['\"])models/[\w.-]+\.ya?ml\1", repr(str(TINY_SCENARIO)), block.text)
    assert swapped, f"README.md:{block.line}: the example names no models/<scenario>.yaml"
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md:{block.line}", "exec"), {"__name__": "readme"})


# --------------------------------------------------------------------------------------------
# Slow: every command as written, in order
# --------------------------------------------------------------------------------------------
def _script() -> str:
    script = Path(sys.executable).parent / "symbiosis"
    return str(script) if script.exists() else "symbiosis"


@pytest.mark.slow
def test_readme_runs_as_written(tmp_path: Path) -> None:
    """Every README command in order, in a copy of the repository's layout (solving commands
    with ``--time-limit`` appended); then the Python example as written."""
    root = make_workspace(tmp_path / "repo")
    env = {**os.environ, "BROWSER": "true"}  # `map --open`: no browser
    # `make run` first, as the README's "Two commands" says.
    make_run = [_script(), "run", "models/guizhou-2025.yaml", "--out", MAKE_RUN_FOLDER]
    subprocess.run(
        [*make_run, "--quiet", "--time-limit", SLOW_TIME_LIMIT],
        cwd=root,
        env=env,
        check=True,
        timeout=900,
    )
    for command in COMMANDS:
        parsed = parse(command.words)
        if parsed.option("--scheduler"):
            continue  # needs a running dask cluster; parsed and validated in the fast tests
        if parsed.path == ("serve",):
            continue  # a server runs until stopped: tests/test_web_api.py runs and stops it
        if str(parsed.option("--out") or "").startswith("postgresql://"):
            continue  # the README's example server: tests/test_maps_postgis.py writes to a real one
        words = list(command.words)
        if parsed.path in SOLVING:
            words += ["--time-limit", SLOW_TIME_LIMIT]
        done = subprocess.run(
            [_script(), *words], cwd=root, env=env, capture_output=True, text=True, timeout=1800
        )
        # a line whose comment says the run is infeasible must exit 3 (diagnosis written)
        expected = 3 if re.search(r"#.*\b(infeasible|exit 3)\b", command.text) else 0
        assert done.returncode == expected, f"{command}\n{done.stderr[-3000:]}"
        if parsed.option("--json"):
            assert json.loads(done.stdout)
        out = parsed.option("--out")
        if out is not None:
            assert (root / out).exists(), f"{command}\n  wrote no {out}"
    for block in PYTHON_BLOCKS:
        done = subprocess.run(
            [sys.executable, "-c", block.text],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert done.returncode == 0, f"README.md:{block.line}\n{done.stderr[-3000:]}"
