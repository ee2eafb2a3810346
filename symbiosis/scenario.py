"""Scenario YAML -> a validated :class:`Scenario` (targets, limits, solver options).

Unknown keys are errors that list the keys allowed at that place; every problem is reported at
once through :class:`~symbiosis.case.InputError` (exit code 2 on the command line).

Variants of a scenario
----------------------
``extends: base.yaml`` (a path relative to the extending file, or a list of them, merged in
order) starts from another scenario and changes only what the extending file says:

* mappings merge key by key, the extending file winning; any other value (number, string,
  list) replaces the inherited one; ``null`` removes an inherited value (back to the default);
* ``name`` is never inherited: it defaults to the extending file's name;
* ``case`` is resolved relative to the file that states it;
* under ``overrides:`` the lists ``set``, ``force_build``, ``forbid`` and ``disable_modes`` are
  *added* to the inherited ones (so variants stack), a project forced in by the extending
  file is taken out of an inherited ``forbid`` and vice versa; ``scale`` merges key by key.

Chains (a extends b extends c) are allowed; a cycle is an error naming the files.

``overrides:`` change the case's data without copying it (see :mod:`symbiosis.overrides` for
how they are applied and checked against the case)::

    overrides:
      scale: {facilities.capex: 1.2, modes.cost_per_unit_km: x0.9}
      set:
        - {table: facilities, where: {tech: cement_kiln}, values: {fixed_opex: 0}}
        - {table: supply, where: {prefecture: Qiannan, stream: phosphogypsum},
           values: {amount: x1.1}}
      force_build: [P2]
      forbid: [P1]
      disable_modes: [rail]

The scenario as resolved (after ``extends``, with the ``extends`` chain and the overrides
listed) is what :meth:`Scenario.resolved` returns and a run writes into ``manifest.json``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from symbiosis.case import SCHEMAS, Case, InputError, Problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StreamTarget(_Strict):
    """Delivered amount of one stream: ``amount`` (units/yr) or ``share`` of its supply."""

    amount: float | None = Field(default=None, ge=0)
    share: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _one_of(self) -> StreamTarget:
        if (self.amount is None) == (self.share is None):
            raise ValueError("give exactly one of 'amount' or 'share'")
        return self


class Target(_Strict):
    """Delivery targets. ``penalty`` (CNY per missing unit) makes them soft."""

    total: float | None = Field(default=None, ge=0)
    streams: dict[str, StreamTarget] = Field(default_factory=dict)
    penalty: float | None = Field(default=None, gt=0)


class Limits(_Strict):
    """Portfolio limits on candidate projects."""

    max_new_facilities: int | None = Field(default=None, ge=0)
    capex_budget: float | None = Field(default=None, ge=0)


class SolverOptions(_Strict):
    """HiGHS options. ``profile`` names a file ``solvers/<profile>.yaml`` of HiGHS options;
    ``options`` passes any further HiGHS option by name."""

    time_limit: float | None = Field(default=None, gt=0)
    mip_rel_gap: float | None = Field(default=None, ge=0, lt=1)
    threads: int | None = Field(default=None, ge=0)
    profile: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    #: model reductions before HiGHS (symbiosis.milp.reduce): true (its defaults), false
    #: (none), or a mapping of step names to true/false, e.g. ``{warm_start: false}``
    reduce: bool | dict[str, bool | float] | None = None


FACTOR = re.compile(r"^\s*[x×*]\s*([-+0-9.eE_]+)\s*$")
#: Text columns an override may set (ids and enums may not be changed: references hang on them).
SETTABLE_TEXT = ("name", "tech", "group")


def parse_factor(value: Any) -> float | None:
    """``"x1.2"`` (also ``"×1.2"``, ``"*1.2"``) -> 1.2; anything else -> None."""
    if isinstance(value, str):
        match = FACTOR.match(value)
        if match:
            try:
                return float(match.group(1).replace("_", ""))
            except ValueError:
                return None
    return None


def numeric_columns(table: str) -> list[str]:
    """Columns of ``table`` an override may scale (numbers and 0/1 flags)."""
    return [c.name for c in SCHEMAS[table] if c.kind in ("number", "flag")]


def settable_columns(table: str) -> list[str]:
    """Columns of ``table`` an override may set: numbers, flags and free text labels."""
    return [
        c.name
        for c in SCHEMAS[table]
        if c.kind in ("number", "flag") or (c.kind == "text" and c.name in SETTABLE_TEXT)
    ]


class SetRule(_Strict):
    """Set (or multiply) values of the rows of ``table`` that match ``where``.

    ``where`` maps a column (or ``id``, ``prefecture``, ``park``, ``tech``, ``status`` where
    the table references a site or facility) to a value or a list of values (any of them);
    all keys must match; no ``where`` selects every row. ``values`` maps a column to a
    number (the new value), ``"x1.2"`` (multiply the current value) or, for ``name``,
    ``tech`` and ``group``, a text.
    """

    table: str
    where: dict[str, str | float | list[str | float]] = Field(default_factory=dict)
    values: dict[str, float | str]

    @field_validator("table")
    @classmethod
    def _known_table(cls, table: str) -> str:
        if table not in SCHEMAS:
            raise ValueError(f"unknown table {table!r}; allowed: {', '.join(SCHEMAS)}")
        return table

    @model_validator(mode="after")
    def _known_columns(self) -> SetRule:
        if not self.values:
            raise ValueError("'values' is empty; give at least one column to change")
        allowed = settable_columns(self.table)
        text = set(SETTABLE_TEXT)
        for column, value in self.values.items():
            if column not in allowed:
                raise ValueError(
                    f"values.{column}: {self.table} has no column {column!r} that can be "
                    f"set; allowed: {', '.join(allowed)}"
                )
            if isinstance(value, str) and column not in text and parse_factor(value) is None:
                raise ValueError(
                    f"values.{column}: {value!r} is neither a number nor a factor like 'x1.2'"
                )
        return self


class Overrides(_Strict):
    """Changes to the case's data, applied after it is read (see :mod:`symbiosis.overrides`).

    ``scale`` maps ``table.column`` to a factor (``1.2`` or ``"x1.2"``) applied to every
    row (``{table: {column: factor}}`` is read the same way); ``set`` is a list of
    :class:`SetRule`; ``force_build`` and ``forbid`` fix the build decision of candidates to
    1 or 0; ``disable_modes`` removes transport modes.
    """

    scale: dict[str, float] = Field(default_factory=dict)
    set: list[SetRule] = Field(default_factory=list)
    force_build: list[str] = Field(default_factory=list)
    forbid: list[str] = Field(default_factory=list)
    disable_modes: list[str] = Field(default_factory=list)

    @field_validator("scale", mode="before")
    @classmethod
    def _factors(cls, scale: Any) -> Any:
        """``"x1.2"`` -> 1.2; ``{facilities: {capex: 1.2}}`` -> ``{facilities.capex: 1.2}``."""
        if not isinstance(scale, dict):
            return scale
        out: dict[str, Any] = {}
        for key, value in scale.items():
            if isinstance(value, dict):
                for column, inner in value.items():
                    factor = parse_factor(inner)
                    out[f"{key}.{column}"] = factor if factor is not None else inner
                continue
            factor = parse_factor(value)
            out[key] = factor if factor is not None else value
        return out

    @field_validator("scale")
    @classmethod
    def _scale_targets(cls, scale: dict[str, float]) -> dict[str, float]:
        wrong = []
        for key, factor in scale.items():
            table, _, column = str(key).partition(".")
            if table not in SCHEMAS or not column:
                wrong.append(
                    f"{key!r}: write table.column, e.g. facilities.capex; tables: "
                    + ", ".join(SCHEMAS)
                )
            elif column not in numeric_columns(table):
                wrong.append(
                    f"{key!r}: {table} has no numeric column {column!r}; allowed: "
                    + ", ".join(numeric_columns(table))
                )
            elif not factor >= 0:
                wrong.append(f"{key!r}: a factor must be >= 0 (got {factor!r})")
        if wrong:
            raise ValueError("; ".join(wrong))
        return scale

    @model_validator(mode="after")
    def _consistent(self) -> Overrides:
        both = sorted(set(self.force_build) & set(self.forbid))
        if both:
            raise ValueError(f"force_build and forbid both name {', '.join(both)}")
        return self

    def is_empty(self) -> bool:
        return not (self.scale or self.set or self.force_build or self.forbid or self.disable_modes)


class Scenario(_Strict):
    """A scenario: which case, which targets and limits, which solver options, and which
    changes to the case's data (``overrides``). ``extends`` lists the scenario files it was
    built on (absolute paths, nearest first) once resolved."""

    name: str
    case: Path
    extends: list[str] = Field(default_factory=list)
    discount_rate: float = Field(default=0.06, ge=0, lt=1)
    target: Target = Field(default_factory=Target)
    limits: Limits = Field(default_factory=Limits)
    solver: SolverOptions = Field(default_factory=SolverOptions)
    overrides: Overrides = Field(default_factory=Overrides)
    source: Path | None = Field(default=None, exclude=True)

    def resolved(self) -> dict[str, Any]:
        """The scenario as a plain dict, with every default filled in and paths absolute."""
        data = self.model_dump(mode="json")
        data["case"] = str(self.case)
        return data


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The field names allowed at ``loc`` (the location of an unknown key)."""
    current: Any = model
    key_next = False  # inside dict[str, Model]: the next part is a key, not a field
    for part in loc[:-1]:
        if key_next:
            key_next = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = field.annotation
        args: tuple[Any, ...] = tuple(getattr(current, "__args__", ()))
        if getattr(current, "__origin__", None) in (dict, list) and args:
            # dict[str, Model] or list[Model]: the next part is a key or an index
            current, key_next = args[-1], True
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name, f in current.model_fields.items() if not f.exclude]
    return None


def scenario_problems(exc: ValidationError, source: str) -> list[Problem]:
    """Translate pydantic's errors into :class:`Problem` rows naming key, value and rule."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        value = err.get("input")
        shown = None if isinstance(value, dict) else repr(value)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(Scenario, loc)
            msg = "unknown key" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
            problems.append(Problem(source, f"{key}: {msg}"))
        else:
            problems.append(Problem(source, f"{key}: {err['msg']}", value=shown))
    return problems


#: Lists under ``overrides:`` that an extending scenario adds to instead of replacing.
_STACKED = ("set", "disable_modes")


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``child`` into ``base`` (rules in the module docstring)."""
    out = dict(base)
    for key, value in child.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif key == "overrides" and isinstance(old, dict) and isinstance(value, dict):
            out[key] = _merge_overrides(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = _merge(old, value)
        else:
            out[key] = value
    return out


def _merge_overrides(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Merge two ``overrides:`` mappings: lists stack, ``scale`` merges by key, and a project
    forced in (out) by the child leaves the inherited ``forbid`` (``force_build``)."""
    out = dict(base)
    for key, value in child.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif key in _STACKED and isinstance(old, list) and isinstance(value, list):
            out[key] = old + [v for v in value if key == "set" or v not in old]
        elif key == "scale" and isinstance(old, dict) and isinstance(value, dict):
            out[key] = {**old, **value}
        elif key not in ("force_build", "forbid"):
            out[key] = value
    pairs = (("force_build", "forbid"), ("forbid", "force_build"))
    for key, other in pairs:
        mine, theirs = child.get(key), child.get(other)
        inherited = base.get(key)
        if key in child and not isinstance(mine, list):
            out[key] = mine  # let validation report the wrong type
            continue
        if not isinstance(inherited, list):
            if key in child:
                out[key] = mine
            continue
        kept = [v for v in inherited if not (isinstance(theirs, list) and v in theirs)]
        out[key] = kept + [v for v in (mine or []) if v not in kept]
    return out


def _read_mapping(path: Path, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError([Problem(source, "no such scenario file")], "scenario") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(source, f"cannot read YAML: {exc}")], "scenario") from None
    if not isinstance(data, dict):
        raise InputError(
            [Problem(source, "a scenario is a YAML mapping with at least the key 'case'")],
            "scenario",
        )
    return data


def _resolve_extends(
    data: dict[str, Any], base_dir: Path, source: str, chain: tuple[Path, ...]
) -> tuple[dict[str, Any], list[str]]:
    """Merge the scenarios ``data`` extends under it.

    Returns the merged mapping (without ``extends``; ``case`` made absolute) and the files it
    was built on, nearest first. ``chain`` holds the files being resolved, to catch cycles.
    """
    own = {k: v for k, v in data.items() if k != "extends"}
    if isinstance(own.get("case"), str | Path):
        own["case"] = str((base_dir / str(own["case"])).resolve())
    parents = data.get("extends")
    if parents is None:
        return own, []
    if isinstance(parents, str):
        parents = [parents]
    if not (isinstance(parents, list) and all(isinstance(p, str) for p in parents)):
        raise InputError(
            [Problem(source, "extends: give a scenario file (or a list of them)")], "scenario"
        )
    merged: dict[str, Any] = {}
    files: list[str] = []
    for parent in parents:
        path = (base_dir / parent).resolve()
        if path in chain:
            cycle = " -> ".join(str(p) for p in (*chain[chain.index(path) :], path))
            raise InputError(
                [Problem(source, f"extends: scenarios extend each other in a cycle: {cycle}")],
                "scenario",
            )
        if not path.is_file():
            raise InputError(
                [Problem(source, f"extends: no such scenario file {path}")], "scenario"
            )
        parent_data, parent_files = _resolve_extends(
            _read_mapping(path, str(path)), path.parent, path.name, (*chain, path)
        )
        parent_data.pop("name", None)  # a variant is never named after its base
        merged = _merge(merged, parent_data)
        files += [str(path), *parent_files]
    return _merge(merged, own), files


def scenario_from_dict(data: dict[str, Any], base_dir: Path, source: str) -> Scenario:
    """Validate a scenario mapping; ``case`` is resolved relative to ``base_dir``, and the
    scenarios it ``extends`` are merged under it (rules in the module docstring)."""
    data = dict(data)
    shown = source
    if "extends" in data:
        top = (base_dir / source).resolve()
        data, files = _resolve_extends(data, base_dir, source, (top,))
        data["extends"] = files
        if files:
            shown = f"{source} (extends {', '.join(Path(f).name for f in files)})"
    data.setdefault("name", Path(source).stem)
    if "case" in data and isinstance(data["case"], str | Path):
        data["case"] = (base_dir / str(data["case"])).resolve()
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(scenario_problems(exc, shown), what="scenario") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML file (and the files it ``extends``)."""
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(str(path), "no such scenario file")], "scenario")
    data = _read_mapping(path, path.name)
    scenario = scenario_from_dict(data, path.parent, path.name)
    scenario.source = path.resolve()
    return scenario


def check_scenario_against_case(scenario: Scenario, case: Case) -> None:
    """Cross-checks: every stream target names a stream that exists and has supply."""
    source = scenario.source.name if scenario.source else "scenario"
    problems = []
    known = set(case.streams["stream"])
    supplied = set(case.supply["stream"])
    for stream in scenario.target.streams:
        if stream not in known:
            problems.append(
                Problem(
                    source,
                    f"target.streams.{stream}: unknown stream; allowed: "
                    + ", ".join(sorted(known)),
                )
            )
        elif stream not in supplied:
            problems.append(
                Problem(
                    source,
                    f"target.streams.{stream}: no site supplies this stream, so no target "
                    "can be set for it",
                )
            )
    if problems:
        raise InputError(problems, what="scenario")
