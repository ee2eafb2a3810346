"""Guizhou case: sources cite originals, never content-farm mirrors (issue 13).

The mirror domains below copy or repost articles whose original publisher is known (or
unknown); SOURCES.md, section "Sources: originals, not mirrors (issue 13)", maps each to the
original cited instead. That section is the one place allowed to name them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

CASE = Path(__file__).resolve().parents[1] / "data" / "parks" / "guizhou"
SECTION = "## Sources: originals, not mirrors (issue 13)"

#: Content farms, reposting sites and aggregators: never cited as a source.
MIRRORS = (
    "gittisbaby.com",
    "buildingchn.com",
    "ttnews.xyz",
    "tupvw34.cn",
    "501483.com",
    "dy256.com",
    "tfgypsum.com",
    "adcg.com.cn",
    "mgbq.cn",
    "ksswc.com",
    "intimate-ladies.com",
    "b529.cn",
    "nengyuanjie.net",
    "fudaoke.com",
    "jiejinghe.cn",
    "xianjichina.com",
    "buttsets.com",
    "gzjnhbw.com",
    "publicvfx.com",
    "71sl.com",
    "kizkgnv.cn",
    "rumenshu.com",
    "guc884.cn",
    "taotu.cn",
    "handmsg.com",
    "jizihe.com",
    "86079.cn",
    "reportify.cn",
    "bailiqin.com",
    "jxxfw.com",
    "jinchutou.com",
    "shoufuban.net",
    "kivarchemicals.com",
    "falvjieda.com",
    "fangxingfoods.com",
    "zoushunyingdingyiwen.com",
    "shxiatang.com",
    "tadalafil-citrate.com",
    "hbjhenv.com",
    "dhirubhai.net",
    "langguan-vision.com",
    "nettplinkrepeater.net",
)

TABLES = ("sites.csv", "supply.csv", "facilities.csv")


def _rows(case: Path, name: str) -> list[dict[str, str]]:
    with open(case / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def mirror_cells(case: Path) -> list[str]:
    """Source cells of the case that name a mirror domain.

    Parameters
    ----------
    case : Path
        The case folder.

    Returns
    -------
    list of str
        ``"file row n: domain"`` for each hit.
    """
    hits = []
    for name in TABLES:
        for n, row in enumerate(_rows(case, name), start=2):
            cell = row.get("source", "").lower()
            hits += [f"{name} row {n}: {d}" for d in MIRRORS if d in cell]
    return hits


def mirror_lines(case: Path) -> list[str]:
    """Lines of SOURCES.md outside the mirrors section that name a mirror domain.

    Parameters
    ----------
    case : Path
        The case folder.

    Returns
    -------
    list of str
        ``"line n: domain"`` for each hit.
    """
    hits, inside = [], False
    text = (case / "SOURCES.md").read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            inside = line.strip() == SECTION
        if not inside:
            hits += [f"line {n}: {d}" for d in MIRRORS if d in line.lower()]
    return hits


def confidence_errors(case: Path) -> list[str]:
    """Rows whose confidence is not H/M/L, or H on an estimate.

    Parameters
    ----------
    case : Path
        The case folder.

    Returns
    -------
    list of str
        ``"file row n: problem"`` for each bad row.
    """
    errors = []
    for name in TABLES:
        for n, row in enumerate(_rows(case, name), start=2):
            conf = row.get("confidence", "")
            if conf not in ("H", "M", "L"):
                errors.append(f"{name} row {n}: confidence {conf!r} not in H, M, L")
            elif conf == "H" and row["source"].strip().lower().startswith("estimate"):
                errors.append(f"{name} row {n}: an estimate graded H")
    return errors


def test_no_source_cell_cites_a_mirror() -> None:
    assert mirror_cells(CASE) == []


def test_sources_md_cites_no_mirror_outside_its_table() -> None:
    assert mirror_lines(CASE) == []


@pytest.mark.parametrize("domain", MIRRORS)
def test_each_mirror_is_mapped_to_an_original(domain: str) -> None:
    text = (CASE / "SOURCES.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    assert domain in section


def test_confidence_is_h_m_or_l_and_estimates_are_not_h() -> None:
    assert confidence_errors(CASE) == []
