"""Scenarios for the web app: the bundled ones (``models/*.yaml`` of the source tree), the
ones uploaded as YAML text, and the checks that keep a scenario from reading anything but
the cases it may.

A scenario sent to the server is read with ``yaml.safe_load`` (no Python objects), within a
size limit, and may read only cases (and ``extends`` files) under the server's data folder
or the bundled ``data/`` and ``models/``; ``solver.profile`` must be a profile's name, and
``solver.options`` may not name a HiGHS option that reads or writes a file. Its problems are
raised as :class:`~symbiosis.errors.InputError` with the words the command line uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import symbiosis
from symbiosis.errors import InputError, Problem
from symbiosis.scenario import Scenario, deep_merge, scenario_from_dict

#: the default size limit of a scenario sent as text (bytes)
MAX_SCENARIO_BYTES = 256 * 1024
#: the name shown for a scenario sent as text, in its problems
UPLOAD = "upload"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def source_root() -> Path:
    """The source tree the package runs from (``models/``, ``data/`` and ``maps/`` are
    there in a checkout).

    Returns
    -------
    Path
        The folder above the ``symbiosis`` package.
    """
    return Path(symbiosis.__file__).resolve().parents[1]


@dataclass(frozen=True)
class Places:
    """Where a server finds scenarios and which folders they may read.

    Attributes
    ----------
    data_dir : Path
        The server's folder (``--data``): cases there may be read; scenarios sent as text
        have their relative paths start there.
    models_dir : Path
        The bundled scenarios (``models/`` of the source tree).
    readable : tuple of Path
        Further folders whose cases a scenario may read (the bundled ``data/`` and
        ``models/``).
    """

    data_dir: Path
    models_dir: Path
    readable: tuple[Path, ...]

    @classmethod
    def default(cls, data_dir: Path) -> Places:
        """The places of a server in a source checkout.

        Parameters
        ----------
        data_dir : Path
            The server's folder.

        Returns
        -------
        Places
            ``models/`` of the source tree; the bundled ``data/`` and ``models/`` readable.
        """
        root = source_root()
        return cls(Path(data_dir).resolve(), root / "models", (root / "data", root / "models"))

    def roots(self) -> tuple[Path, ...]:
        """Every folder a scenario may read from.

        Returns
        -------
        tuple of Path
            The data folder first, then :attr:`readable`, all resolved.
        """
        return (self.data_dir.resolve(), *(p.resolve() for p in self.readable))


def bundled(places: Places) -> list[dict[str, str]]:
    """The bundled scenarios, the Guizhou ones first.

    Parameters
    ----------
    places : Places
        Where they are.

    Returns
    -------
    list of dict
        ``name`` (the file's stem), ``file`` and ``source`` (``bundled``), sorted by name
        with names starting ``guizhou`` first.
    """
    if not places.models_dir.is_dir():
        return []
    files = sorted(
        places.models_dir.glob("*.yaml"), key=lambda p: (not p.stem.startswith("guizhou"), p.stem)
    )
    return [{"name": p.stem, "file": p.name, "source": "bundled"} for p in files]


def _within(path: Path, roots: tuple[Path, ...]) -> bool:
    resolved = path.resolve()
    return any(resolved == root or resolved.is_relative_to(root) for root in roots)


def check_size(text: str, limit: int = MAX_SCENARIO_BYTES) -> None:
    """Refuse a scenario's text over the size limit.

    Parameters
    ----------
    text : str
        The YAML.
    limit : int
        The limit in bytes (UTF-8).

    Raises
    ------
    InputError
        Text over the limit.
    """
    size = len(text.encode("utf-8"))
    if size > limit:
        raise InputError(
            [
                Problem(
                    UPLOAD, f"{size:,} bytes; a scenario sent as text may have {limit:,} at most"
                )
            ],
            "scenario",
        )


def read_text_scenario(text: str, source: str = UPLOAD) -> dict[str, Any]:
    """Read a scenario's YAML text safely (``yaml.safe_load``: no Python objects).

    Parameters
    ----------
    text : str
        The YAML.
    source : str
        The name its problems give (a file's name, or ``upload``).

    Returns
    -------
    dict
        The mapping read.

    Raises
    ------
    InputError
        YAML that cannot be read, or that is not a mapping.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError([Problem(source, f"cannot read YAML: {exc}")], "scenario") from None
    if not isinstance(data, dict):
        raise InputError(
            [Problem(source, "a scenario is a YAML mapping with at least the key 'case'")],
            "scenario",
        )
    return data


def _path_problems(
    data: dict[str, Any], base_dir: Path, source: str, places: Places
) -> list[Problem]:
    """``case`` and ``extends`` outside the folders a scenario may read."""
    roots = places.roots()
    allowed = "allowed: a case under the server's data folder or the bundled data"
    problems = []
    case = data.get("case")
    if isinstance(case, str | Path) and not _within(base_dir / str(case), roots):
        problems.append(
            Problem(
                source, f"case: outside the folders a scenario may read; {allowed}", value=str(case)
            )
        )
    extends = data.get("extends")
    for item in extends if isinstance(extends, list) else [extends] if extends else []:
        if isinstance(item, str | Path) and not _within(base_dir / str(item), roots):
            problems.append(
                Problem(
                    source,
                    f"extends: outside the folders a scenario may read; {allowed}",
                    value=str(item),
                )
            )
    return problems


def _solver_problems(data: dict[str, Any], source: str) -> list[Problem]:
    """``solver.profile`` given as a path, ``solver.options`` naming a file."""
    solver = data.get("solver")
    if not isinstance(solver, dict):
        return []
    problems = []
    profile = solver.get("profile")
    if profile is not None and not (
        isinstance(profile, str)
        and _NAME.match(profile)
        and not profile.endswith((".yaml", ".yml"))
    ):
        problems.append(
            Problem(
                source,
                "solver.profile: on the server a profile is named, not a path; allowed: "
                "the name of a profile in solvers/",
                value=str(profile),
            )
        )
    options = solver.get("options")
    if isinstance(options, dict):
        for key in options:
            if "file" in str(key).lower():
                problems.append(
                    Problem(
                        source,
                        f"solver.options.{key}: HiGHS options that read or write files are "
                        "not allowed on the server",
                    )
                )
    return problems


@dataclass(frozen=True)
class Resolved:
    """A scenario asked for, checked.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario (``overrides`` merged).
    text : str
        Its YAML text as given (before the overrides).
    base_dir : Path
        Where its relative paths start.
    source : str
        The bundled file's name, or ``upload``.
    """

    scenario: Scenario
    text: str
    base_dir: Path
    source: str


def check_scenario(
    text: str, base_dir: Path, source: str, overrides: dict[str, Any], places: Places
) -> Scenario:
    """Validate a scenario's text with the request's overrides merged over it.

    Parameters
    ----------
    text : str
        The scenario's YAML.
    base_dir : Path
        Where its relative paths start.
    source : str
        The name its problems give (a file's name, or ``upload``).
    overrides : dict
        Scenario keys merged over the text's (:func:`symbiosis.scenario.deep_merge`).
    places : Places
        The folders it may read.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InputError
        Every problem: the text's, a path it may not read, a solver setting not allowed on
        the server, and what :func:`symbiosis.scenario.scenario_from_dict` finds.
    """
    data = read_text_scenario(text, source)
    if overrides:
        data = deep_merge(data, overrides)
    problems = _path_problems(data, base_dir, source, places) + _solver_problems(data, source)
    if problems:
        raise InputError(problems, "scenario")
    scenario = scenario_from_dict(data, base_dir, source)
    if not _within(Path(scenario.case), places.roots()):  # a case inherited through extends
        raise InputError(
            [
                Problem(
                    source,
                    "case: outside the folders a scenario may read",
                    value=str(scenario.case),
                )
            ],
            "scenario",
        )
    return scenario


def resolve_request(
    name_or_text: str, overrides: dict[str, Any], places: Places, uploaded: dict[str, str]
) -> Resolved:
    """The scenario a request names (a bundled or uploaded scenario's name) or gives (YAML
    text), checked.

    Parameters
    ----------
    name_or_text : str
        A scenario's name (``guizhou-2025``, with or without ``.yaml``) or YAML text.
    overrides : dict
        Scenario keys to merge over it.
    places : Places
        Where scenarios are, and what they may read.
    uploaded : dict of str to str
        The scenarios uploaded before: name -> YAML text.

    Returns
    -------
    Resolved
        The scenario, its text, folder and source.

    Raises
    ------
    InputError
        A name that is no scenario's (the names allowed are listed), and every problem of
        :func:`check_scenario`.
    """
    stripped = name_or_text.strip()
    if "\n" not in stripped and ":" not in stripped:
        stem = stripped.removesuffix(".yaml")
        known = {entry["name"]: entry["file"] for entry in bundled(places)}
        if stem in known:
            path = places.models_dir / known[stem]
            text = path.read_text(encoding="utf-8-sig")
            scenario = check_scenario(text, places.models_dir, path.name, overrides, places)
            scenario.source = path.resolve()
            return Resolved(scenario, text, places.models_dir, path.name)
        if stem in uploaded:
            text = uploaded[stem]
            scenario = check_scenario(text, places.data_dir, UPLOAD, overrides, places)
            return Resolved(scenario, text, places.data_dir, UPLOAD)
        names = [*known, *(n for n in uploaded if n not in known)]
        raise InputError(
            [
                Problem(
                    "scenario",
                    "no scenario of that name; allowed: "
                    + (", ".join(names) if names else "none yet")
                    + ", or a scenario's YAML text",
                    value=stripped[:100],
                )
            ],
            "scenario",
        )
    scenario = check_scenario(name_or_text, places.data_dir, UPLOAD, overrides, places)
    return Resolved(scenario, name_or_text, places.data_dir, UPLOAD)


__all__ = [
    "MAX_SCENARIO_BYTES",
    "UPLOAD",
    "Places",
    "Resolved",
    "bundled",
    "check_scenario",
    "check_size",
    "read_text_scenario",
    "resolve_request",
    "source_root",
]
