"""Shared fixtures: paths of the bundled cases."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).resolve().parent / "cases"
TINY = CASES / "tiny"


@pytest.fixture
def tiny_dir() -> Path:
    """The worked example of CASE_FORMAT.md (EXPECTED.md beside it)."""
    return TINY


@pytest.fixture
def tiny_scenario() -> Path:
    return TINY / "scenario.yaml"
