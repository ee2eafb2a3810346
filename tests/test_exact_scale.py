"""benchmarks.exact_scale (issue 15's table): its instances and its table's cells."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks import exact_scale


def test_instances_end_with_generated_and_guizhou() -> None:
    names = exact_scale.names()
    assert names[-3:] == ["generated-300", "generated-1000", "guizhou-2025"]
    if (exact_scale.LARGE / "optima.csv").is_file():
        assert names[:12] == [f"cap{c}{i}" for c in "abc" for i in range(1, 5)]
    limits = {i.name: (i.time_limit, i.gap) for i in exact_scale.instances()}
    assert limits["generated-300"] == (300.0, 1e-4)
    assert limits["guizhou-2025"] == (600.0, 1e-4)


def test_table_cells() -> None:
    rows = [
        {
            "instance": "generated-300",
            "what": "symbiosis",
            "method": "direct",
            "status": "feasible",
            "objective": 864.9e6,
            "gap": 0.024,
            "seconds": 300.2,
            "published": None,
            "arcs": 13919,
            "binaries": 14003,
            "load": [1.0, 1.5],
        },
        {
            "instance": "guizhou-2025",
            "what": "highs",
            "status": "error",
            "why": "killed after 900 s",
        },
    ]
    text = exact_scale.table(rows)
    line = next(x for x in text.splitlines() if x.startswith("| generated-300 "))
    assert "| 13,919 | 14,003 | 300 s, 0.0001 | - | direct |" in line
    assert "feasible, 300.2 s, gap 2.40% (load 1.0-1.5) | not run |" in line
    guizhou = next(x for x in text.splitlines() if x.startswith("| guizhou-2025 "))
    assert "error (killed after 900 s)" in guizhou
