"""Helpers for the map tests: the tiny case with parks, a small basemap, a solved run.

The tiny case (tests/cases/tiny, EXPECTED.md) is copied with a parks.geojson added: park FQ
(Fuquan, sites A, B, D) and park KY (Kaiyang, site C), small squares around their sites. The
basemap is made here too (a province square around the sites and two prefecture seats,
Guiyang and Duyun), so the tests depend on no file outside the repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import TINY

OBJECTIVE = 14_049_529.12  # EXPECTED.md, worked out by hand
DELIVERED_TARGET = 1_000_000.0


def _square(lon: float, lat: float, half: float) -> list[list[list[float]]]:
    return [
        [
            [lon - half, lat - half],
            [lon + half, lat - half],
            [lon + half, lat + half],
            [lon - half, lat + half],
            [lon - half, lat - half],
        ]
    ]


def make_case(root: Path) -> Path:
    """tests/cases/tiny copied under ``root`` with a parks.geojson."""
    target = root / "tiny"
    shutil.copytree(TINY, target)
    parks = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "park": "FQ",
                    "name": "Fuquan phosphorus chemical park",
                    "prefecture": "Qiannan",
                    "level": "provincial",
                },
                "geometry": {"type": "Polygon", "coordinates": _square(107.6, 26.7, 0.12)},
            },
            {
                "type": "Feature",
                "properties": {
                    "park": "KY",
                    "name": "Kaiyang phosphorus park",
                    "prefecture": "Guiyang",
                    "level": "provincial",
                },
                "geometry": {"type": "Polygon", "coordinates": _square(106.97, 27.06, 0.05)},
            },
        ],
    }
    (target / "case" / "parks.geojson").write_text(json.dumps(parks), encoding="utf-8")
    return target


def make_basemap(root: Path) -> Path:
    """A basemap folder like maps/: a province polygon and two prefecture seats."""
    folder = root / "basemap"
    folder.mkdir()
    province = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Testland", "name_zh": "测试省"},
                "geometry": {"type": "Polygon", "coordinates": _square(107.2, 26.8, 0.9)},
            }
        ],
    }
    seats = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name_en": "Guiyang",
                    "name_zh": "贵阳市",
                    "prefecture_en": "Guiyang",
                    "prefecture_zh": "贵阳市",
                },
                "geometry": {"type": "Point", "coordinates": [106.71667, 26.58333]},
            },
            {
                "type": "Feature",
                "properties": {
                    "name_en": "Duyun",
                    "name_zh": "都匀市",
                    "prefecture_en": "Qiannan Buyei and Miao Autonomous Prefecture",
                    "prefecture_zh": "黔南布依族苗族自治州",
                },
                "geometry": {"type": "Point", "coordinates": [107.51667, 26.26667]},
            },
        ],
    }
    (folder / "guizhou_province.geojson").write_text(json.dumps(province), encoding="utf-8")
    (folder / "guizhou_cities.geojson").write_text(
        json.dumps(seats, ensure_ascii=False), encoding="utf-8"
    )
    return folder


def solve(case_root: Path, out: Path) -> Path:
    """Solve the copied tiny scenario into the run folder ``out``."""
    from symbiosis.runner import run_scenario
    from symbiosis.scenario import load_scenario

    outcome = run_scenario(load_scenario(case_root / "scenario.yaml"), out)
    assert outcome.exit_code == 0
    return out
