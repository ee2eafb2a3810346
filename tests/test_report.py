"""Report pages (symbiosis.report): names from data come out escaped on every page (compare,
curve, pareto, sweep), and the templates use no variable their page does not give."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import TINY
from jinja2 import StrictUndefined, UndefinedError, meta

from symbiosis import report
from symbiosis.compare import compare_runs
from symbiosis.report import pages
from symbiosis.runner import run_scenario
from symbiosis.scenario import Overrides, load_scenario

#: A name that would run as a script if a page wrote it as it is.
EVIL = '<script>alert("x")</script> & co'
#: How it reads once escaped (either quote style).
QUOTE = "(&#34;|&quot;)"
ESCAPED = re.compile(rf"&lt;script&gt;alert\({QUOTE}x{QUOTE}\)&lt;/script&gt; &amp; co")


def assert_escaped(page: str, times: int = 1) -> None:
    """No tag from the name is left in ``page``; the name is there, escaped, ``times`` times
    at least."""
    assert "<script" not in page
    assert "</script>" not in page
    assert len(ESCAPED.findall(page)) >= times, page


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def evil_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny case with P2 named EVIL; the baseline scenario named EVIL too, and a variant
    that forbids P2 (so P1 and P2 both show in the projects table)."""
    root = tmp_path_factory.mktemp("evil")
    shutil.copytree(TINY, root / "tiny")
    facilities = root / "tiny" / "case" / "facilities.csv"
    table = pd.read_csv(facilities, dtype=str, keep_default_na=False)
    table.loc[table["facility"] == "P2", "name"] = EVIL
    table.to_csv(facilities, index=False)
    base = load_scenario(root / "tiny" / "scenario.yaml")
    base.name = EVIL
    run_scenario(base, root / "base")
    variant = load_scenario(root / "tiny" / "scenario.yaml")
    variant.name = "no-p2"
    variant.target.total = None
    variant.overrides = Overrides(forbid=["P2"])
    run_scenario(variant, root / "no-p2")
    return root / "base", root / "no-p2"


def test_compare_page_escapes_scenario_and_facility_names(
    evil_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "cmp.html"
    assert report.write_report(compare_runs(list(evil_runs)), out) == [out]
    page = out.read_text(encoding="utf-8")
    # the title, the overview, the KPI and cost-part headings, the explanation ... and P2's
    # name in the projects table
    assert_escaped(page, times=6)
    projects = page[page.index("Projects built") :]
    assert ESCAPED.search(projects[: projects.index("</table>")])


def test_compare_page_names_run_folders_without_absolute_paths(
    evil_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    page = report.compare_page(compare_runs(list(evil_runs)), evil_runs[0].parent)
    assert "Folders: base; no-p2" in page
    assert str(evil_runs[0].parent) not in page
    elsewhere = report.compare_page(compare_runs(list(evil_runs)), tmp_path)
    assert "Folders: base; no-p2" in elsewhere  # outside the page's folder: by their name


def curve_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "target_t": [1e5, 2e5, 3e5],
            "status": ["optimal", "optimal", "infeasible"],
            "objective": [1e6, 3e6, None],
            "marginal_cost_cny_per_t": [10.0, 20.0, None],
            "built": ["", EVIL, ""],
            "previous_target_t": [0.0, 1e5, 2e5],
            "shadow_price_cny_per_t": [10.0, 20.0, None],
            "added": ["", EVIL, ""],
            "dropped": ["", "", ""],
            "delivered_target_t": [1e5, 2e5, None],
            "co2_avoided_t": [1e3, 2e3, None],
            "capex_built": [0.0, 1e7, None],
            "run_dir": ["points/a", "points/b", "points/c"],
        }
    )


def pareto_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point": [1, 2, 3],
            "epsilon_t": [None, 2e3, 3e3],
            "co2_avoided_t": [1e3, 2e3, 3e3],
            "objective": [1e6, 2e6, 4e6],
            "built": ["", EVIL, f"{EVIL} P3"],
            "status": ["optimal", "optimal", "optimal"],
            "on_front": [True, True, True],
            "delivered_target_t": [1e5, 1e5, 1e5],
            "capex_built": [0.0, 1e7, 2e7],
            "run_dir": ["points/1", "points/2", "points/3"],
        }
    )


def test_curve_page_escapes_names() -> None:
    table = curve_table()
    png = report.curve_plot(table, EVIL)
    page = report.curve_html(table, EVIL, png, {"target_t": 0.0, "status": EVIL})
    # title, heading, the lead-in's status in the note, built and added of the second level
    assert_escaped(page, times=5)


def test_pareto_page_escapes_names() -> None:
    table = pareto_table()
    png = report.pareto_plot(table, EVIL)
    page = report.pareto_html(table, EVIL, png, (1e3, 3e3))
    assert_escaped(page, times=4)  # title, heading, two points' built


def sweep_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [EVIL, "b"],
            "target_t": [1e5, 2e5],
            "status": ["optimal", "optimal"],
            "objective": [1e6, 2e6],
            "mip_gap": [0.0, 1e-5],
            "built": [EVIL, ""],
            "reused": [False, False],
            "error": ["", ""],
            "folder": ["", ""],
        }
    )


def test_sweep_page_escapes_names(tmp_path: Path) -> None:
    written = report.write_sweep_page(tmp_path, sweep_table(), f"ValueError: {EVIL}")
    page = written.read_text(encoding="utf-8")
    assert_escaped(page, times=3)  # the reason, the point's name and what it built
    assert "<svg" in page  # two levels with a solution: the curve


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------
@pytest.fixture
def rendered(
    monkeypatch: pytest.MonkeyPatch, evil_runs: tuple[Path, Path]
) -> Iterator[dict[str, Mapping[str, Any]]]:
    """Every page rendered once, its template's name -> the variables it was given."""
    seen: dict[str, Mapping[str, Any]] = {}
    original = pages.render

    def recording(template: str, context: Mapping[str, Any]) -> str:
        seen[template] = context
        return original(template, context)

    monkeypatch.setattr(pages, "render", recording)
    report.compare_page(compare_runs(list(evil_runs)))
    report.curve_html(curve_table(), "c", b"png", None)
    report.pareto_html(pareto_table(), "p", b"png", None)
    report.sweep_page(sweep_table())
    yield seen


def test_templates_autoescape_and_refuse_undefined_variables() -> None:
    env = report.environment()
    assert env.undefined is StrictUndefined
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(UndefinedError):
        env.get_template("base.html").render(title="t")  # no meta


def test_every_variable_a_template_uses_is_given(rendered: dict[str, Mapping[str, Any]]) -> None:
    """Read from the template sources (every branch, not only those a render took): each
    page's template and the base it extends use only the variables its function gives."""
    env = report.environment()
    assert set(env.list_templates()) == {
        "base.html",
        "macros.html",
        "style.css",
        *rendered,
    }, "a template no page renders (or a page not covered here)"
    assert sorted(rendered) == ["compare.html", "curve.html", "pareto.html", "sweep.html"]
    assert env.loader is not None
    base = meta.find_undeclared_variables(env.parse(env.loader.get_source(env, "base.html")[0]))
    for name, context in rendered.items():
        source = env.loader.get_source(env, name)[0]
        used = meta.find_undeclared_variables(env.parse(source)) | base
        assert used <= set(context), f"{name}: not given {sorted(used - set(context))}"
    macros = env.loader.get_source(env, "macros.html")[0]
    assert meta.find_undeclared_variables(env.parse(macros)) == set()
