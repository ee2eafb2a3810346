"""Reports a consultant hands on, in English and in Chinese (issue 13, "Outputs a consultant
hands on"): the HTML pages, the Excel workbook and the plots of compare, curve, pareto and
sweep.

- ``--lang zh`` (use_language): Chinese headings, column headers and labels, no English
  label left; English stays the default.
- Headers are words with units, never field names (``delivered_target_t``).
- No absolute local path in any report file (HTML, Excel, CSV, the sweep's page).
- Excel sheets print: landscape, fit to one page wide, header row repeated, frozen header,
  thousands separators.
- Plots: a unit on every value axis, t and MWh never on one axis, no offset or 1e7
  notation, cost axes from zero; Chinese labels only with a font that has Chinese
  characters (else English, with a warning).
- The explanation says in words what changed in the scenarios: no raw JSON.
"""

from __future__ import annotations

import re
import shutil
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import TINY

from symbiosis import report
from symbiosis.compare import Comparison, compare_runs
from symbiosis.i18n import use_language
from symbiosis.report import plots
from symbiosis.runner import run_scenario
from symbiosis.scenario import Overrides, StreamTarget, load_scenario

#: English words of the reports that must not be left in a Chinese report
ENGLISH_LABELS = (
    "Runs",
    "What drives the difference",
    "KPIs",
    "Cost parts",
    "Projects built",
    "Largest changes in flows",
    "Scenario differences",
    "Folders",
    "total annual cost",
    "Total annual cost",
    "delivered",
    "Delivered",
    "costs",
    "more than",
    "annualised investment",
    "transport",
    "Indicator",
    "optimal",
    "status",
    "Status",
    "change",
    "Change",
    "yes",
    "no solution",
)
#: field names that must never be a header
FIELD_NAMES = (
    "delivered_target_t",
    "co2_avoided_t",
    "capex_built",
    "target_shadow_price_cny_per_t",
    "supply_rows_out_of_reach",
    "total_cost",
    "cost_part",
    "capex_annualised",
    "marginal_cost_cny_per_t",
    "objective",
    "mip_gap",
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """tiny as it is; no-p2 (P2 forbidden, no total target) on a copy of the case (another
    case folder); dear (capex x1.2: an overrides.scale that the others leave empty)."""
    root = tmp_path_factory.mktemp("reports")
    shutil.copytree(TINY, root / "copy")
    run_scenario(load_scenario(TINY / "scenario.yaml"), root / "runs" / "tiny")
    variant = load_scenario(root / "copy" / "scenario.yaml")
    variant.name = "no-p2"
    variant.target.total = None
    variant.overrides = Overrides(forbid=["P2"])
    run_scenario(variant, root / "runs" / "no-p2")
    dear = load_scenario(TINY / "scenario.yaml")
    dear.name = "dear"
    dear.overrides = Overrides(scale={"facilities.capex": 1.2})
    run_scenario(dear, root / "runs" / "dear")
    return root / "runs" / "tiny", root / "runs" / "no-p2", root / "runs" / "dear"


def visible_text(page: str) -> str:
    """The words of an HTML page a reader sees: no tags, no styles, no data URIs."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", page)


def english_left(text: str) -> list[str]:
    return [w for w in ENGLISH_LABELS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


def workbook_text(path: Path) -> str:
    """Every XML part of a workbook, as text (sheets, shared strings, charts, properties)."""
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def header_rows(path: Path) -> dict[str, list[Any]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [c.value for c in ws[1]] for ws in wb.worksheets}


# --------------------------------------------------------------------------------------------
# Chinese reports
# --------------------------------------------------------------------------------------------
def test_chinese_compare_report(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    with use_language("zh"):
        comparison = compare_runs(list(runs[:2]))
        report.write_report(comparison, tmp_path / "cmp.html")
        report.write_report(comparison, tmp_path / "cmp.xlsx")
    text = visible_text((tmp_path / "cmp.html").read_text(encoding="utf-8"))
    for chinese in (
        "方案",
        "差异的主要原因",
        "关键指标",
        "年度总成本（元/年）",
        "计入目标的利用量（t/年）",
        "新建项目",
        "年化投资",
        "最优",
        "no-p2 的成本比 tiny 高",
    ):
        assert chinese in text, chinese
    assert english_left(text) == []
    assert not [f for f in FIELD_NAMES if f in text]
    sheets = header_rows(tmp_path / "cmp.xlsx")
    assert list(sheets) == [
        *("概览", "关键指标", "成本构成", "新建项目", "流量变化", "情景差异", "差异说明")
    ]
    assert sheets["概览"][:3] == ["方案", "状态", "年度总成本（元/年）"]
    assert sheets["关键指标"][:5] == ["指标", "分项", "单位", "tiny", "no-p2"]
    every_header = " ".join(str(v) for row in sheets.values() for v in row)
    assert english_left(every_header) == [] and not [f for f in FIELD_NAMES if f in every_header]


def test_english_stays_the_default(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    report.write_report(compare_runs(list(runs[:2])), tmp_path / "cmp.xlsx")
    sheets = header_rows(tmp_path / "cmp.xlsx")
    assert list(sheets)[:3] == ["Overview", "KPIs", "Cost parts"]
    assert sheets["Overview"][:3] == ["Run", "Status", "Total annual cost (CNY/yr)"]
    assert "Delivered toward the target (t/yr)" in sheets["Overview"]
    every_header = " ".join(str(v) for row in sheets.values() for v in row)
    assert not [f for f in FIELD_NAMES if f in every_header]


def curve_table() -> pd.DataFrame:
    """Three levels near Guizhou's size: costs of about 1.4 bn CNY/yr that differ in the
    fourth digit (what made matplotlib write an offset), the third level infeasible."""
    return pd.DataFrame(
        {
            "target_t": [88e6, 89e6, 90e6],
            "status": ["optimal", "optimal", "infeasible"],
            "objective": [1.4120e9, 1.4123e9, None],
            "marginal_cost_cny_per_t": [10.0, 20.0, None],
            "built": ["", "P2", ""],
            "previous_target_t": [87e6, 88e6, 89e6],
            "shadow_price_cny_per_t": [10.0, 20.0, None],
            "added": ["", "P2", ""],
            "dropped": ["", "", ""],
            "delivered_target_t": [88e6, 89e6, None],
            "co2_avoided_t": [15.1e6, 15.2e6, None],
            "capex_built": [0.0, 1e7, None],
            "run_dir": ["points/a", "points/b", "points/c"],
        }
    )


def pareto_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point": [1, 2, 3],
            "epsilon_t": [None, 15.20e6, 15.21e6],
            "co2_avoided_t": [15.19e6, 15.20e6, 15.21e6],
            "objective": [1.4120e9, 1.4121e9, 1.4125e9],
            "built": ["", "P2", "P2 P3"],
            "status": ["optimal", "optimal", "optimal"],
            "on_front": [True, True, True],
            "delivered_target_t": [90e6, 90e6, 90e6],
            "capex_built": [0.0, 1e7, 2e7],
            "run_dir": ["points/1", "points/2", "points/3"],
        }
    )


def sweep_table(folder: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["a", "b"],
            "target_t": [88e6, 90e6],
            "status": ["optimal", "infeasible"],
            "objective": [1.412e9, None],
            "mip_gap": [0.0, None],
            "delivered_target_t": [88e6, None],
            "built": ["P2", ""],
            "reused": [False, False],
            "error": ["", ""],
            "folder": [folder, ""],
        }
    )


@pytest.fixture
def with_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Plots as on a machine with a Chinese font (the test machine may have none)."""
    monkeypatch.setattr(plots, "cjk_font", lambda: "DejaVu Sans")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu Sans lacks the glyphs; the labels are checked
        yield


def test_chinese_curve_pareto_and_sweep_pages(with_font: None, tmp_path: Path) -> None:
    with use_language("zh"):
        curve = report.curve_html(
            curve_table(), "gz", b"png", {"target_t": 87e6, "status": "optimal"}
        )
        pareto = report.pareto_html(pareto_table(), "gz", b"png", (15.19e6, 15.21e6))
        sweep = report.sweep_page(sweep_table())
    for page, chinese in (
        (curve, ["目标-成本曲线", "边际成本（元/t）", "总量目标（t/年）", "不可行"]),
        (pareto, ["成本-CO2 帕累托前沿", "CO2 减排量（t/年）", "是"]),
        (sweep, ["参数扫描", "年度总成本（元/年）", "不可行"]),
    ):
        text = visible_text(page)
        for word in chinese:
            assert word in text, (word, text)
        assert english_left(text) == [], text
        assert not [f for f in FIELD_NAMES if f in text], text
        assert 'lang="zh-CN"' in page


def test_chinese_plot_labels_need_a_chinese_font(
    monkeypatch: pytest.MonkeyPatch, with_font: None
) -> None:
    with use_language("zh"):
        fig = plots.curve_figure(curve_table(), "gz")
    labels = [ax.get_ylabel() for ax in fig.axes] + [fig.axes[-1].get_xlabel()]
    assert labels == ["年度总成本（亿元/年）", "边际成本（元/t）", "总量目标（万吨/年）"]
    monkeypatch.setattr(plots, "cjk_font", lambda: None)
    with use_language("zh"), pytest.warns(UserWarning, match="fonts-noto-cjk"):
        fig = plots.curve_figure(curve_table(), "gz")
    assert fig.axes[0].get_ylabel() == "Total annual cost (M CNY/yr)"  # English, not boxes


# --------------------------------------------------------------------------------------------
# No absolute local path
# --------------------------------------------------------------------------------------------
def test_no_absolute_path_in_any_report_file(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root = runs[0].parents[1]  # the runs' tmp folder: the case copy and the runs are in it
    comparison = compare_runs(list(runs[:2]))
    out = tmp_path / "out"
    out.mkdir()
    written = [
        *report.write_report(comparison, out / "cmp.html"),
        *report.write_report(comparison, out / "cmp.xlsx"),
        *report.write_report(comparison, out / "cmp.csv"),
        report.write_sweep_page(
            out, sweep_table(str(runs[0])), f"OSError: cannot read {runs[0] / 'kpis.csv'}"
        ),
    ]
    assert len(written) > 5
    for path in written:
        text = workbook_text(path) if path.suffix == ".xlsx" else path.read_text("utf-8")
        for absolute in (str(root), str(tmp_path), str(TINY.parents[2])):
            assert absolute not in text, (path.name, absolute)
    page = (out / "cmp.html").read_text("utf-8")
    assert "copy/case" in page and "tiny/case" in page  # the two cases, by name


# --------------------------------------------------------------------------------------------
# Excel: printable, thousands separators
# --------------------------------------------------------------------------------------------
def test_excel_sheets_print_landscape_one_page_wide_with_repeated_headers(
    runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "cmp.xlsx"
    report.write_report(compare_runs(list(runs[:2])), path)
    wb = openpyxl.load_workbook(path)
    assert len(wb.worksheets) == 7
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.freeze_panes in ("A2", "B2"), ws.title
    kpis = wb["KPIs"]
    numbers = [c for row in kpis.iter_rows(min_row=2, min_col=4, max_col=6) for c in row]
    numbers = [c for c in numbers if isinstance(c.value, float)]
    assert numbers and all("#,##0" in c.number_format for c in numbers)
    overview = wb["Overview"]
    header = [c.value for c in overview[1]]
    cost = overview.cell(row=2, column=header.index("Total annual cost (CNY/yr)") + 1)
    assert cost.number_format == "#,##0" and cost.value > 1e7


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------
UNIT = re.compile(r"\((?:[^()]*[/ ])?(t|Mt|kt|MWh|GWh|CNY|M CNY|bn CNY)(/[a-zA-Z]+)?\)$")


def drawn(fig: Any) -> Any:
    fig.canvas.draw()  # tick labels and offset texts are set when drawn
    return fig


def assert_value_axes(fig: Any, cost_axes: int) -> None:
    """Every y axis (and the x axis of line plots) labelled with one unit in brackets, no
    offset text, ticks without scientific notation; the first ``cost_axes`` from zero."""
    for i, ax in enumerate(drawn(fig).axes):
        axes = [ax.yaxis] + ([ax.xaxis] if ax.get_xlabel() else [])
        for axis in axes:
            label = axis.get_label().get_text()
            assert UNIT.search(label), label
            assert axis.get_offset_text().get_text() == "", label
            ticks = [t.get_text() for t in axis.get_ticklabels()]
            assert not [t for t in ticks if "e" in t.lower()], ticks
        if i < cost_axes:
            assert ax.get_ylim()[0] == 0, ax.get_ylabel()


def test_curve_and_pareto_axes_have_units_no_offset_and_costs_from_zero() -> None:
    fig = plots.curve_figure(curve_table(), "gz")
    assert_value_axes(fig, cost_axes=1)
    assert fig.axes[0].get_ylabel() == "Total annual cost (M CNY/yr)"
    assert fig.axes[1].get_xlabel() == "Total target (Mt/yr)"
    fig = plots.pareto_figure(pareto_table(), "gz")
    assert_value_axes(fig, cost_axes=1)
    assert fig.axes[0].get_xlabel() == "CO2 avoided (Mt/yr)"


def test_comparison_plots_never_put_t_and_mwh_on_one_axis(
    runs: tuple[Path, Path, Path],
) -> None:
    """tiny delivers phosphogypsum (t) and waste heat (MWh): one plot each."""
    figures = plots.comparison_figures(compare_runs(list(runs[:2])))
    units = []
    for title, fig in figures.items():
        assert_value_axes(fig, cost_axes=0)
        label = fig.axes[0].get_ylabel()
        units.append(label)
        assert not ("t/" in label and "MWh" in label), (title, label)
    assert "Delivered by stream (t/yr)" in units or "Delivered by stream (Mt/yr)" in units
    assert "Delivered by stream (MWh/yr)" in units


# --------------------------------------------------------------------------------------------
# The explanation in words
# --------------------------------------------------------------------------------------------
def test_the_explanation_says_what_changed_in_words(runs: tuple[Path, Path, Path]) -> None:
    comparison: Comparison = compare_runs([runs[0], runs[2]])
    text = " ".join(comparison.explanation)
    for raw in ("{}", "null", "->", "[]", '"'):
        assert raw not in text, (raw, text)
    assert "scale factor of facilities.capex: none in tiny, ×1.2 in dear" in text, text
    # an empty overrides.scale against none is no difference
    keys = list(comparison.scenario_changes["key"])
    assert keys == ["overrides.scale.facilities.capex"], keys
    with use_language("zh"):
        chinese = " ".join(compare_runs([runs[0], runs[2]]).explanation)
    assert "facilities.capex 的缩放系数：tiny 为 无，dear 为 ×1.2" in chinese, chinese


def test_templates_write_no_words_of_their_own() -> None:
    """Every word on a page comes from its function, in the page's language: the templates
    hold only markup, Jinja tags and comments."""
    env = report.environment()
    assert env.loader is not None
    for name in env.list_templates(extensions=["html"]):
        source = env.loader.get_source(env, name)[0]
        source = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
        source = re.sub(r"<[^>]+>", " ", source)
        assert not re.findall(r"[^\W\d_]{2,}", source), (name, source)


@pytest.fixture(scope="module")
def named_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """tiny and no-p2 on a copy of the tiny case that names its streams, sites, facilities
    and prefectures in Chinese (name_zh, prefectures.csv)."""
    root = tmp_path_factory.mktemp("named")
    case = Path(shutil.copytree(TINY, root / "tiny")) / "case"
    chinese = {
        "streams.csv": {"phosphogypsum": "磷石膏", "waste_heat": "余热"},
        "sites.csv": {"A": "磷酸厂", "B": "水泥厂", "C": "石膏板厂"},
        "facilities.csv": {"P1": "石膏板生产线（50 万吨）", "P2": "石膏板生产线（90 万吨）"},
    }
    for table, named in chinese.items():
        frame = pd.read_csv(case / table, dtype=str, keep_default_na=False)
        frame["name_zh"] = [named.get(i, "") for i in frame.iloc[:, 0]]
        frame.to_csv(case / table, index=False)
    (case / "prefectures.csv").write_text(
        "prefecture,name_zh,code\nGuiyang,贵阳市,520100\nQiannan,黔南州,522700\n", "utf-8"
    )
    run_scenario(load_scenario(root / "tiny" / "scenario.yaml"), root / "a")
    variant = load_scenario(root / "tiny" / "scenario.yaml")
    variant.name = "no-p2"
    variant.target.total = None
    variant.target.streams = {"phosphogypsum": StreamTarget(amount=500_000)}
    variant.overrides = Overrides(forbid=["P2"])
    run_scenario(variant, root / "b")
    return root / "a", root / "b"


def test_chinese_reports_name_things_by_their_chinese_names(
    named_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    with use_language("zh"):
        comparison = compare_runs(list(named_runs))
        report.write_report(comparison, tmp_path / "cmp.html")
        report.write_report(comparison, tmp_path / "cmp.xlsx")
    text = visible_text((tmp_path / "cmp.html").read_text(encoding="utf-8"))
    explanation = " ".join(comparison.explanation)
    # tech and mode in words (symbiosis.case.words), ids in English below
    assert "石膏板生产线（50 万吨）（P1，石膏板，贵阳市，投资 100,000,000 元）" in explanation
    assert "磷酸厂 → 石膏板生产线（90 万吨）（磷石膏，公路）-800,000 t" in explanation
    assert "磷石膏的目标量：tiny 为 无，no-p2 为 0.500 Mt/年" in explanation
    for name in ("磷石膏", "余热", "贵阳市", "黔南州", "石膏板生产线（90 万吨）", "磷酸厂"):
        assert name in text, name
    kpis = openpyxl.load_workbook(tmp_path / "cmp.xlsx")["关键指标"]
    keys = {row[1] for row in kpis.iter_rows(min_row=2, values_only=True)}
    assert {"磷石膏", "余热", "贵阳市", "黔南州", "年化投资"} <= keys
    # in English: the ids, as the run folders have them
    english = compare_runs(list(named_runs))
    text = " ".join(english.explanation)
    assert english.names == {} and "P1 (gypsum_board, Guiyang" in text
    assert "target for phosphogypsum: none in tiny, 0.500 Mt/yr in no-p2" in text
