"""Scenario YAML -> a validated :class:`Scenario` (targets, limits, solver options).

Unknown keys are errors that list the keys allowed at that place; every problem is reported at
once through :class:`~symbiosis.case.InputError` (exit code 2 on the command line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from symbiosis.case import Case, InputError, Problem


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


class Scenario(_Strict):
    """A scenario: which case, which targets and limits, which solver options."""

    name: str
    case: Path
    discount_rate: float = Field(default=0.06, ge=0, lt=1)
    target: Target = Field(default_factory=Target)
    limits: Limits = Field(default_factory=Limits)
    solver: SolverOptions = Field(default_factory=SolverOptions)
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
        if getattr(current, "__origin__", None) is dict and len(args) == 2:
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


def scenario_from_dict(data: dict[str, Any], base_dir: Path, source: str) -> Scenario:
    """Validate a scenario mapping; ``case`` is resolved relative to ``base_dir``."""
    data = dict(data)
    data.setdefault("name", Path(source).stem)
    if "case" in data and isinstance(data["case"], str | Path):
        data["case"] = (base_dir / str(data["case"])).resolve()
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(scenario_problems(exc, source), what="scenario") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError([Problem(str(path), "no such scenario file")], "scenario") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(path.name, f"cannot read YAML: {exc}")], "scenario") from None
    if not isinstance(data, dict):
        raise InputError(
            [Problem(path.name, "a scenario is a YAML mapping with at least the key 'case'")],
            "scenario",
        )
    scenario = scenario_from_dict(data, path.parent, path.name)
    scenario.source = path.resolve()
    return scenario


def scenario_for_case(case_path: str | Path, name: str | None = None) -> Scenario:
    """A default scenario (no targets, no limits) for a bare case folder."""
    case_path = Path(case_path).resolve()
    return Scenario(name=name or case_path.name, case=case_path)


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
