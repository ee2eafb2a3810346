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

import copy
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from symbiosis.case import SCHEMAS, Case, InputError, Problem
from symbiosis.case.tables import YEAR_RANGE
from symbiosis.i18n import N_, current_language
from symbiosis.i18n import gettext as _


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------------------------
# Values per year (v2): a number, or a mapping {year: number}
# --------------------------------------------------------------------------------------------
_T = TypeVar("_T", int, float)


def for_year(value: _T | Mapping[int, _T] | None, year: int | None) -> _T | None:
    """The value of a target or limit in one year.

    Parameters
    ----------
    value : int, float, mapping of int to number, or None
        A scenario's value: a number (the same every year, or the single period's), a
        mapping ``{year: value}`` (v2, with ``years``), or None (none set).
    year : int or None
        The year asked for; None for the single-period model.

    Returns
    -------
    int, float or None
        The number itself; for a mapping its value in ``year``, None when the mapping does
        not name that year (no target, no limit in that year); None for None.

    Raises
    ------
    ValueError
        For a mapping asked with ``year`` None: validation allows mappings only with
        ``years``, so the single-period model never meets one.
    """
    if value is None or not isinstance(value, Mapping):
        return value
    if year is None:
        raise ValueError("a per-year mapping has no single-period value; give a year")
    return value.get(year)


def _year_key(key: Any) -> int:
    """A mapping's key as a year: an int, or text of one (JSON keys are text)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and re.fullmatch(r"\s*\d{1,4}\s*", key):
        return int(key)
    reason = _("key {key} is not a year; allowed: an integer year").format(key=repr(key))
    raise PydanticCustomError("per_year", "{reason}", {"reason": reason})


def _number(value: Any, bounds: str, check: Callable[[float], bool], integer: bool) -> float:
    """``value`` as a finite number (text such as ``8e7`` too) within ``check``."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.replace("_", ""))
        except ValueError:
            number = None
    allowed = (_("an integer {bounds}") if integer else _("a number {bounds}")).format(
        bounds=_(bounds)
    )
    if number is None or not math.isfinite(number):
        reason = _("{value} is not a finite number; allowed: {allowed}")
    elif integer and not number.is_integer():
        reason = _("{value} is not a whole number; allowed: {allowed}")
    elif not check(number):
        reason = _("{value} is out of range; allowed: {allowed}")
    else:
        return number
    reason = reason.format(value=repr(value), allowed=allowed)
    raise PydanticCustomError("per_year", "{reason}", {"reason": reason})


#: what a per-year value may be, in messages
_MAPPING = "a number, or {year: number}"


def _per_year(bounds: str, check: Callable[[float], bool], integer: bool = False) -> Any:
    """A validator of "a number, or a mapping {year: number}" (each number within
    ``check``, described by ``bounds``), for :class:`pydantic.BeforeValidator`."""

    def validate(value: Any) -> Any:
        if value is None:
            return None
        convert = int if integer else float
        if isinstance(value, Mapping):
            if not value:
                raise PydanticCustomError(
                    "per_year",
                    "{reason}",
                    {"reason": _("an empty mapping; allowed: {allowed}").format(allowed=_MAPPING)},
                )
            out = {}
            for key, item in value.items():
                year = _year_key(key)
                try:
                    out[year] = convert(_number(item, bounds, check, integer))
                except PydanticCustomError as exc:
                    raise PydanticCustomError(
                        "per_year",
                        "{reason}",
                        {
                            "reason": _("year {year}: {reason}").format(
                                year=year, reason=exc.message()
                            )
                        },
                    ) from None
            return out
        return convert(_number(value, bounds, check, integer))

    return BeforeValidator(validate)


#: A number >= 0, or a mapping {year: number >= 0} (v2).
AmountPerYear = Annotated[float | dict[int, float] | None, _per_year(N_(">= 0"), lambda v: v >= 0)]
#: A share 0 < share <= 1, or a mapping {year: share} (v2).
SharePerYear = Annotated[
    float | dict[int, float] | None, _per_year(N_("> 0 and <= 1"), lambda v: 0 < v <= 1)
]
#: A count >= 0, or a mapping {year: count} (v2).
CountPerYear = Annotated[
    int | dict[int, int] | None, _per_year(N_(">= 0"), lambda v: v >= 0, integer=True)
]


class StreamTarget(_Strict):
    """Delivered amount of one stream (``target.streams.<s>``): exactly one of ``amount``
    or ``share``.

    The model's constraint 7 (CASE_FORMAT.md): :math:`\\sum_f d_{fs} \\ge amount`, or
    :math:`\\sum_f d_{fs} \\ge share \\cdot \\sum_i amount_{is}`.

    Attributes
    ----------
    amount : float, dict of int to float, or None
        Units of the stream per year (t/yr or MWh/yr) to deliver, >= 0; with ``years``
        also a mapping ``{year: amount}`` (years not named have no target).
    share : float, dict of int to float, or None
        Fraction of the stream's total supply to deliver, 0 < share <= 1; or a mapping
        ``{year: share}``.
    """

    amount: AmountPerYear = None
    share: SharePerYear = None

    @model_validator(mode="after")
    def _one_of(self) -> StreamTarget:
        if (self.amount is None) == (self.share is None):
            raise ValueError(_("give exactly one of 'amount' or 'share'"))
        return self


class Target(_Strict):
    """Delivery targets (the scenario's ``target:``).

    Attributes
    ----------
    total : float, dict of int to float, or None
        Units delivered per year (t/yr for solid streams) summed over the streams with
        ``target`` = 1, >= 0 (constraint 6:
        :math:`\\sum_{f, s: target_s = 1} d_{fs} \\ge total`); None: no total target.
        With ``years``, a number is every year's target and a mapping ``{year: total}``
        names the years that have one.
    streams : dict of str to StreamTarget
        Stream id -> its own target (constraint 7).
    penalty : float or None
        CNY per missing unit, > 0: makes every target soft, its shortfall priced at this in
        the objective instead of forbidden; None: hard targets.
    prefectures : dict of str to StreamTarget
        Prefecture (as in ``sites.csv``) -> what it must deliver: ``amount`` (t/yr) or
        ``share`` of its own supply of the streams with ``target`` = 1, counting deliveries
        of supply from its sites only (v2 extensions of CASE_FORMAT.md):
        :math:`\\sum_{a: site(a) \\in P, target_{s(a)} = 1} eff_a x_a \\ge amount_P`.
    co2_avoided : float or None
        t CO2/yr, >= 0: the portfolio must avoid at least this much CO2 (the ``co2_avoided_t``
        of summary.json; always a hard floor,
        :math:`\\sum_a (co2_{k(a)} eff_a - co2^{tr}_a) x_a / 1000 \\ge co2\\_avoided`);
        None: no floor.
    """

    total: AmountPerYear = None
    streams: dict[str, StreamTarget] = Field(default_factory=dict)
    penalty: float | None = Field(default=None, gt=0)
    co2_avoided: float | None = Field(default=None, ge=0)
    prefectures: dict[str, StreamTarget] = Field(default_factory=dict)


class Limits(_Strict):
    """Portfolio limits on candidate projects (constraint 8; the scenario's ``limits:``).

    Attributes
    ----------
    max_new_facilities : int, dict of int to int, or None
        At most this many candidates built, >= 0 (:math:`\\sum_c b_c \\le` it); None: no
        limit. With ``years``, a number limits the whole horizon and a mapping
        ``{year: count}`` the builds of each year it names.
    capex_budget : float, dict of int to float, or None
        CNY, >= 0: the investment of the candidates built may not exceed it
        (:math:`\\sum_c capex_c \\, b_c \\le` it); None: no limit. With ``years``, as
        ``max_new_facilities``: the horizon's, or a mapping ``{year: CNY}``.
    """

    max_new_facilities: CountPerYear = None
    capex_budget: AmountPerYear = None


class SolverOptions(_Strict):
    """HiGHS options (the scenario's ``solver:``), resolved into
    :class:`~symbiosis.options.SolveOptions` by :func:`symbiosis.options.resolve_options`.

    Attributes
    ----------
    time_limit : float or None
        Seconds, > 0; None: the default (no limit).
    mip_rel_gap : float or None
        Relative MIP gap at which HiGHS stops, 0 <= gap < 1; None: the default (1e-4).
    threads : int or None
        HiGHS threads, >= 0 (0: HiGHS decides); None: the default (2).
    profile : str or None
        Names a file ``solvers/<profile>.yaml`` of HiGHS options
        (:func:`symbiosis.options.load_profile`).
    options : dict
        Any further HiGHS option by its HiGHS name.
    reduce : bool, dict or None
        Model reductions before HiGHS (:mod:`symbiosis.milp.reduce`): true (the defaults),
        false (none), or a mapping of :class:`~symbiosis.options.ReduceOptions` field names
        to values, e.g. ``{warm_start: false}``; None: the defaults.
    method : str or None
        How the model is solved: ``direct`` (HiGHS on the whole MILP), ``benders``
        (:mod:`symbiosis.solve.benders`) or ``auto`` (chosen from the model's shape,
        :func:`symbiosis.solve.benders.auto_method`); None: the default (``auto``).
    """

    time_limit: float | None = Field(default=None, gt=0)
    mip_rel_gap: float | None = Field(default=None, ge=0, lt=1)
    threads: int | None = Field(default=None, ge=0)
    profile: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    #: model reductions before HiGHS (symbiosis.milp.reduce): true (its defaults), false
    #: (none), or a mapping of step names to true/false, e.g. ``{warm_start: false}``
    reduce: bool | dict[str, bool | float] | None = None
    #: direct | benders | auto (symbiosis.solve.benders.auto_method); None: auto
    method: Literal["direct", "benders", "auto"] | None = None


FACTOR = re.compile(r"^\s*[x×*]\s*([-+0-9.eE_]+)\s*$")
#: Text columns an override may set (ids and enums may not be changed: references hang on them).
SETTABLE_TEXT = ("name", "tech", "group")


def parse_factor(value: Any) -> float | None:
    """Read a factor as overrides write it: ``"x1.2"`` (also ``"×1.2"``, ``"*1.2"``) -> 1.2.

    Parameters
    ----------
    value : Any
        A value from the scenario (a number, a string ...). Spaces around the sign and the
        number, and ``_`` separators in the number, are allowed.

    Returns
    -------
    float or None
        The factor; None for anything that is not such a string (a plain number included).
    """
    if isinstance(value, str):
        match = FACTOR.match(value)
        if match:
            try:
                return float(match.group(1).replace("_", ""))
            except ValueError:
                return None
    return None


def numeric_columns(table: str) -> list[str]:
    """Columns of ``table`` an override may scale (numbers and 0/1 flags).

    Parameters
    ----------
    table : str
        A case table (one of :data:`symbiosis.case.SCHEMAS`).

    Returns
    -------
    list of str
        Its number and flag columns, in the order of CASE_FORMAT.md.

    Raises
    ------
    KeyError
        For a name that is not a case table.
    """
    return [c.name for c in SCHEMAS[table] if c.kind in ("number", "flag")]


def settable_columns(table: str) -> list[str]:
    """Columns of ``table`` an override may set: numbers, flags and free text labels.

    Parameters
    ----------
    table : str
        A case table (one of :data:`symbiosis.case.SCHEMAS`).

    Returns
    -------
    list of str
        Its number and flag columns and the text columns of :data:`SETTABLE_TEXT`
        (``name``, ``tech``, ``group``), in the order of CASE_FORMAT.md; never an id or an
        enum, which references hang on.

    Raises
    ------
    KeyError
        For a name that is not a case table.
    """
    return [
        c.name
        for c in SCHEMAS[table]
        if c.kind in ("number", "flag") or (c.kind == "text" and c.name in SETTABLE_TEXT)
    ]


class SetRule(_Strict):
    """Set (or multiply) values of the rows of ``table`` that match ``where``.

    Attributes
    ----------
    table : str
        The case table whose rows change (one of :data:`symbiosis.case.SCHEMAS`).
    where : dict
        A column (or ``id``, ``prefecture``, ``park``, ``tech``, ``status`` where the table
        references a site or facility: :func:`symbiosis.overrides.selection_view`) -> a
        value or a list of values (any of them); all keys must match; no ``where`` selects
        every row.
    values : dict
        A column (:func:`settable_columns`) -> a number (the new value), ``"x1.2"``
        (multiply the current value) or, for ``name``, ``tech`` and ``group``, a text; at
        least one.
    """

    table: str
    where: dict[str, str | float | list[str | float]] = Field(default_factory=dict)
    values: dict[str, float | str]

    @field_validator("table")
    @classmethod
    def _known_table(cls, table: str) -> str:
        if table not in SCHEMAS:
            raise ValueError(
                _("unknown table {table}; allowed: {allowed}").format(
                    table=repr(table), allowed=", ".join(SCHEMAS)
                )
            )
        return table

    @model_validator(mode="after")
    def _known_columns(self) -> SetRule:
        if not self.values:
            raise ValueError(_("'values' is empty; give at least one column to change"))
        allowed = settable_columns(self.table)
        text = set(SETTABLE_TEXT)
        for column, value in self.values.items():
            if column not in allowed:
                raise ValueError(
                    _(
                        "values.{column}: {table} has no column {name} that can be set; "
                        "allowed: {allowed}"
                    ).format(
                        column=column,
                        table=self.table,
                        name=repr(column),
                        allowed=", ".join(allowed),
                    )
                )
            if isinstance(value, str) and column not in text and parse_factor(value) is None:
                raise ValueError(
                    _(
                        "values.{column}: {value} is neither a number nor a factor like 'x1.2'"
                    ).format(column=column, value=repr(value))
                )
        return self


class Overrides(_Strict):
    """Changes to the case's data, applied after it is read (see :mod:`symbiosis.overrides`).

    Attributes
    ----------
    scale : dict of str to float
        ``table.column`` (a number or flag column, :func:`numeric_columns`) -> a factor
        >= 0 (``1.2`` or ``"x1.2"``) applied to every row; ``{table: {column: factor}}`` is
        read the same way.
    set : list of SetRule
        Changes to selected rows, applied in order after ``scale``.
    force_build : list of str
        Candidates whose build decision :math:`b_f` is fixed to 1.
    forbid : list of str
        Candidates whose build decision :math:`b_f` is fixed to 0 (none also in
        ``force_build``).
    disable_modes : list of str
        Transport modes removed, with their ``distances`` rows.
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
            table, _dot, column = str(key).partition(".")
            if table not in SCHEMAS or not column:
                wrong.append(
                    _("{key}: write table.column, e.g. facilities.capex; tables: {tables}").format(
                        key=repr(key), tables=", ".join(SCHEMAS)
                    )
                )
            elif column not in numeric_columns(table):
                wrong.append(
                    _("{key}: {table} has no numeric column {column}; allowed: {allowed}").format(
                        key=repr(key),
                        table=table,
                        column=repr(column),
                        allowed=", ".join(numeric_columns(table)),
                    )
                )
            elif not factor >= 0:
                wrong.append(
                    _("{key}: a factor must be >= 0 (got {factor})").format(
                        key=repr(key), factor=repr(factor)
                    )
                )
        if wrong:
            raise ValueError(_("; ").join(wrong))
        return scale

    @model_validator(mode="after")
    def _consistent(self) -> Overrides:
        both = sorted(set(self.force_build) & set(self.forbid))
        if both:
            raise ValueError(
                _("force_build and forbid both name {ids}").format(ids=", ".join(both))
            )
        return self

    def is_empty(self) -> bool:
        """Whether the overrides change nothing.

        Returns
        -------
        bool
            True when no scale, set rule, forced or forbidden candidate or disabled mode is
            given.
        """
        return not (self.scale or self.set or self.force_build or self.forbid or self.disable_modes)


class Scenario(_Strict):
    """A scenario: which case, which targets and limits, which solver options, and which
    changes to the case's data (``overrides``).

    Attributes
    ----------
    name : str
        The scenario's name (default: its file's stem; never inherited).
    case : Path
        The case folder or ``.gpkg`` (absolute once loaded).
    extends : list of str
        The scenario files it was built on (absolute paths, nearest first) once resolved.
    discount_rate : float
        :math:`r` of the annuity factor :math:`AF(r, n) = r / (1 - (1 + r)^{-n})`,
        0 <= r < 1 (default 0.06).
    years : list of int or None
        v2: the years of a build plan, strictly increasing, each 1900..2200 (year
        :math:`t` weighted :math:`(1 + r)^{-(t - years_0)}`); None: the single-period model.
    foresight : str
        ``perfect`` (default: every year solved at once) or ``myopic`` (year by year,
        earlier builds fixed; needs ``years``).
    target : Target
        Delivery targets.
    limits : Limits
        Limits on candidate projects.
    solver : SolverOptions
        HiGHS options and reductions.
    overrides : Overrides
        Changes to the case's data (:mod:`symbiosis.overrides`).
    source : Path or None
        The YAML file it was read from (absolute), None when built from a mapping; not
        part of :meth:`resolved`.
    """

    name: str
    case: Path
    extends: list[str] = Field(default_factory=list)
    discount_rate: float = Field(default=0.06, ge=0, lt=1)
    years: list[int] | None = None
    foresight: Literal["perfect", "myopic"] = "perfect"
    target: Target = Field(default_factory=Target)
    limits: Limits = Field(default_factory=Limits)
    solver: SolverOptions = Field(default_factory=SolverOptions)
    overrides: Overrides = Field(default_factory=Overrides)
    source: Path | None = Field(default=None, exclude=True)

    @field_validator("years")
    @classmethod
    def _increasing_years(cls, years: list[int] | None) -> list[int] | None:
        if years is None:
            return None
        lo, hi = YEAR_RANGE
        if not years:
            raise ValueError(_("give at least one year, e.g. [2026, 2027, 2028]"))
        outside = [y for y in years if not lo <= y <= hi]
        if outside:
            raise ValueError(
                _("{years} outside {lo}..{hi}; allowed: years from {lo} to {hi}").format(
                    years=", ".join(map(str, outside)), lo=lo, hi=hi
                )
            )
        if any(b <= a for a, b in itertools.pairwise(years)):
            raise ValueError(_("the years must be strictly increasing, each named once"))
        return years

    @model_validator(mode="after")
    def _years_named(self) -> Scenario:
        problems = per_year_problems(self)
        if problems:
            raise PydanticCustomError(
                "years", "{text}", {"text": "; ".join(problems), "problems": problems}
            )
        return self

    def per_year_values(self) -> Iterator[tuple[str, Any]]:
        """Every target and limit that may be given per year, by its dotted key.

        Yields
        ------
        tuple of (str, Any)
            ``(key, value)``: ``target.total``, ``target.streams.<s>.amount`` / ``share``,
            ``target.prefectures.<p>.amount`` / ``share``, ``limits.max_new_facilities``,
            ``limits.capex_budget``, each with its value (a number, a mapping or None).
        """
        yield "target.total", self.target.total
        for group in ("streams", "prefectures"):
            for name, spec in getattr(self.target, group).items():
                yield f"target.{group}.{name}.amount", spec.amount
                yield f"target.{group}.{name}.share", spec.share
        yield "limits.max_new_facilities", self.limits.max_new_facilities
        yield "limits.capex_budget", self.limits.capex_budget

    def resolved(self) -> dict[str, Any]:
        """The scenario as resolved, what a run writes into ``manifest.json``.

        Returns
        -------
        dict
            Every field (``source`` excepted) as JSON-able data, every default filled in,
            ``case`` an absolute path as text, and ``extends`` the chain of files merged.
        """
        data = self.model_dump(mode="json")
        data["case"] = str(self.case)
        return data


def per_year_problems(scenario: Scenario) -> list[str]:
    """What is wrong with a scenario's years: mappings without ``years``, mapping keys that
    are not among them, myopic foresight without them.

    Parameters
    ----------
    scenario : Scenario
        The scenario (its fields each valid on their own).

    Returns
    -------
    list of str
        One message per problem, each starting with the dotted key and saying what is
        allowed; empty when all is well.
    """
    problems: list[str] = []
    years = scenario.years
    if scenario.foresight == "myopic" and not years:
        problems.append(
            _(
                "foresight: 'myopic' solves a plan year by year and needs years; allowed: "
                "'perfect', or give years: [...]"
            )
        )
    for key, value in scenario.per_year_values():
        if not isinstance(value, Mapping):
            continue
        if not years:
            problems.append(
                _(
                    "{key}: a mapping {{year: value}} needs years (the scenario has none); "
                    "allowed: a number, or give years: [...]"
                ).format(key=key)
            )
            continue
        shown = ", ".join(map(str, years))
        problems += [
            _("{key}: year {year} is not one of years ({years}); allowed: one of years").format(
                key=key, year=year, years=shown
            )
            for year in value
            if year not in years
        ]
    return problems


def with_foresight(scenario: Scenario, foresight: Literal["perfect", "myopic"]) -> Scenario:
    """A copy of ``scenario`` with another foresight (``symbiosis run --myopic``), checked.

    Parameters
    ----------
    scenario : Scenario
        The scenario (not changed).
    foresight : {"perfect", "myopic"}
        The foresight of the copy.

    Returns
    -------
    Scenario
        The copy, ``source`` kept.

    Raises
    ------
    InputError
        For myopic foresight on a scenario without ``years``.
    """
    data = scenario.model_dump()
    data["foresight"] = foresight
    source = scenario.source.name if scenario.source else scenario.name
    try:
        variant = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(scenario_problems(exc, source), what="scenario") from None
    variant.source = scenario.source
    return variant


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
    """Translate pydantic's errors into :class:`Problem` rows naming key, value and rule.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The errors of validating a :class:`Scenario`.
    source : str
        What the problems' ``file`` says (the scenario file's name, with the files it
        extends).

    Returns
    -------
    list of Problem
        One per error, in pydantic's order: its message starts with the dotted key
        (``target.streams.phosphogypsum.share``), then pydantic's rule, with the value found
        (unless it is a mapping); an unknown key lists the keys allowed at that place; the
        years' cross-checks (:func:`per_year_problems`) one each.
    """
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or _("(top level)")
        value = err.get("input")
        shown = None if isinstance(value, dict) else repr(value)
        if err["type"] == "years":
            problems += [Problem(source, text) for text in err.get("ctx", {})["problems"]]
        elif err["type"] == "extra_forbidden":
            allowed = _allowed_keys(Scenario, loc)
            msg = (
                _("unknown key; allowed keys: {allowed}").format(allowed=", ".join(allowed))
                if allowed
                else _("unknown key")
            )
            problems.append(Problem(source, _("{where}: {message}").format(where=key, message=msg)))
        else:
            message = _("{where}: {message}").format(where=key, message=pydantic_message(err))
            problems.append(Problem(source, message, value=shown))
    return problems


#: pydantic's messages (its error ``type`` -> its English template, whose fields are the
#: error's ``ctx``), for translation; a type not listed is shown in pydantic's English
PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("Field required"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "bool_type": N_("Input should be a valid boolean"),
    "string_type": N_("Input should be a valid string"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "literal_error": N_("Input should be {expected}"),
    "path_type": N_("Input is not a valid path"),
    "finite_number": N_("Input should be a finite number"),
}


def _ctx_text(value: Any) -> str:
    """A value of a pydantic error's ``ctx`` as pydantic's message shows it (``1``, not
    ``1.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pydantic_message(err: Mapping[str, Any]) -> str:
    """One of pydantic's validation errors in the current language.

    Parameters
    ----------
    err : mapping
        An entry of :meth:`pydantic.ValidationError.errors` (``type``, ``msg``, ``ctx``).

    Returns
    -------
    str
        pydantic's ``msg`` in English (as pydantic words it); in another language, the
        translation of its template (:data:`PYDANTIC_MESSAGES`) with the error's ``ctx``,
        or, for a check of this module (``value_error``), its own message, already in the
        language (without pydantic's ``Value error,``); pydantic's English for a type not
        listed.
    """
    msg = str(err["msg"])
    if current_language() == "en":
        return msg
    ctx = dict(err.get("ctx") or {})
    if err["type"] == "value_error" and "error" in ctx:
        return str(ctx["error"])
    template = PYDANTIC_MESSAGES.get(str(err["type"]))
    if template is None:
        return msg
    try:
        return _(template).format(**{k: _ctx_text(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return msg


#: Lists under ``overrides:`` that an extending scenario adds to instead of replacing.
_STACKED = ("set", "disable_modes")


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``changes`` merged in, by the rules of ``extends:``.

    The one merge of scenario mappings: a scenario over the ones it extends, and a sweep's
    point over its base (:mod:`symbiosis.sweep`). Rules (module docstring): mappings merge
    key by key, ``changes`` winning; any other value (number, text, list) replaces; ``null``
    removes (back to the default); under ``overrides`` the lists ``set``, ``force_build``,
    ``forbid`` and ``disable_modes`` stack, ``scale`` merges by key, and a project forced in
    (``force_build``) leaves the inherited ``forbid`` and vice versa.

    Parameters
    ----------
    base : dict
        The mapping merged into (not modified).
    changes : dict
        What changes (not modified).

    Returns
    -------
    dict
        A new mapping sharing no mutable value with ``base`` or ``changes``.
    """
    out = copy.deepcopy(base)
    for key, value in changes.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif key == "overrides" and isinstance(old, dict) and isinstance(value, dict):
            out[key] = _merge_overrides(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = deep_merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_overrides(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Merge two ``overrides:`` mappings: lists stack, ``scale`` merges by key, and a project
    forced in (out) by the child leaves the inherited ``forbid`` (``force_build``)."""
    out = copy.deepcopy(base)
    for key, value in child.items():
        old = out.get(key)
        if value is None:
            out.pop(key, None)
        elif key in _STACKED and isinstance(old, list) and isinstance(value, list):
            out[key] = old + [copy.deepcopy(v) for v in value if key == "set" or v not in old]
        elif key == "scale" and isinstance(old, dict) and isinstance(value, dict):
            out[key] = {**old, **copy.deepcopy(value)}
        elif key not in ("force_build", "forbid"):
            out[key] = copy.deepcopy(value)
    pairs = (("force_build", "forbid"), ("forbid", "force_build"))
    for key, other in pairs:
        mine, theirs = child.get(key), child.get(other)
        inherited = base.get(key)
        if key in child and mine is None:
            continue  # removed above: back to the default
        if key in child and not isinstance(mine, list):
            out[key] = copy.deepcopy(mine)  # let validation report the wrong type
            continue
        if not isinstance(inherited, list):
            if key in child:
                out[key] = copy.deepcopy(mine)
            continue
        kept = [v for v in inherited if not (isinstance(theirs, list) and v in theirs)]
        out[key] = copy.deepcopy(kept + [v for v in (mine or []) if v not in kept])
    return out


def _read_mapping(path: Path, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError([Problem(source, _("no such scenario file"))], "scenario") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problem = Problem(source, _("cannot read YAML: {error}").format(error=exc))
        raise InputError([problem], "scenario") from None
    if not isinstance(data, dict):
        raise InputError(
            [Problem(source, _("a scenario is a YAML mapping with at least the key 'case'"))],
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
            [Problem(source, _("extends: give a scenario file (or a list of them)"))], "scenario"
        )
    merged: dict[str, Any] = {}
    files: list[str] = []
    for parent in parents:
        path = (base_dir / parent).resolve()
        if path in chain:
            cycle = " -> ".join(str(p) for p in (*chain[chain.index(path) :], path))
            message = _("extends: scenarios extend each other in a cycle: {cycle}")
            raise InputError([Problem(source, message.format(cycle=cycle))], "scenario")
        if not path.is_file():
            message = _("extends: no such scenario file {path}")
            raise InputError([Problem(source, message.format(path=path))], "scenario")
        parent_data, parent_files = _resolve_extends(
            _read_mapping(path, str(path)), path.parent, path.name, (*chain, path)
        )
        parent_data.pop("name", None)  # a variant is never named after its base
        merged = deep_merge(merged, parent_data)
        files += [str(path), *parent_files]
    return deep_merge(merged, own), files


def scenario_from_dict(data: dict[str, Any], base_dir: Path, source: str) -> Scenario:
    """Validate a scenario mapping; ``case`` is resolved relative to ``base_dir``, and the
    scenarios it ``extends`` are merged under it (rules in the module docstring).

    Parameters
    ----------
    data : dict
        The scenario as read from YAML (not changed).
    base_dir : Path
        The folder ``case`` and ``extends`` paths are relative to (the scenario file's).
    source : str
        The scenario's file name: the default ``name`` (its stem) and what problems name.

    Returns
    -------
    Scenario
        The validated scenario, ``case`` absolute, ``extends`` the files merged (nearest
        first); ``source`` is not set.

    Raises
    ------
    InputError
        Listing every problem (unknown keys with the keys allowed, values out of range,
        a missing ``case``), or for an ``extends`` that names no file or forms a cycle, or
        a file it names that cannot be read as a YAML mapping.
    """
    data = dict(data)
    shown = source
    if "extends" in data:
        top = (base_dir / source).resolve()
        data, files = _resolve_extends(data, base_dir, source, (top,))
        data["extends"] = files
        if files:
            shown = _("{source} (extends {files})").format(
                source=source, files=", ".join(Path(f).name for f in files)
            )
    data.setdefault("name", Path(source).stem)
    if "case" in data and isinstance(data["case"], str | Path):
        data["case"] = (base_dir / str(data["case"])).resolve()
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(scenario_problems(exc, shown), what="scenario") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML file (and the files it ``extends``).

    Parameters
    ----------
    path : str or Path
        The scenario file (UTF-8 YAML, a mapping with at least ``case``).

    Returns
    -------
    Scenario
        The validated scenario (:func:`scenario_from_dict`), ``source`` the file's absolute
        path.

    Raises
    ------
    InputError
        For a file that does not exist, cannot be read as YAML or is not a mapping, and for
        every problem :func:`scenario_from_dict` finds.
    """
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(str(path), _("no such scenario file"))], "scenario")
    data = _read_mapping(path, path.name)
    scenario = scenario_from_dict(data, path.parent, path.name)
    scenario.source = path.resolve()
    return scenario


def check_scenario_against_case(scenario: Scenario, case: Case) -> None:
    """Cross-checks: every stream target names a stream that exists and has supply.

    Parameters
    ----------
    scenario : Scenario
        The scenario (its ``target.streams``).
    case : Case
        The case it runs on (after its overrides).

    Raises
    ------
    InputError
        Listing every stream target whose stream is not in ``streams.csv`` (with the
        streams allowed) or has no row in ``supply.csv``.
    """
    source = scenario.source.name if scenario.source else "scenario"
    problems = []
    known = set(case.streams["stream"])
    supplied = set(case.supply["stream"])
    for stream in scenario.target.streams:
        if stream not in known:
            problems.append(
                Problem(
                    source,
                    _("target.streams.{stream}: unknown stream; allowed: {allowed}").format(
                        stream=stream, allowed=", ".join(sorted(known))
                    ),
                )
            )
        elif stream not in supplied:
            problems.append(
                Problem(
                    source,
                    _(
                        "target.streams.{stream}: no site supplies this stream, so no target "
                        "can be set for it"
                    ).format(stream=stream),
                )
            )
    prefectures = set(case.sites["prefecture"])
    counted = set(case.streams.loc[case.streams["target"] == 1, "stream"])
    site_pref = dict(zip(case.sites["site"], case.sites["prefecture"], strict=True))
    with_supply = {
        site_pref.get(site)
        for site, stream in zip(case.supply["site"], case.supply["stream"], strict=True)
        if stream in counted
    }
    for prefecture in scenario.target.prefectures:
        if prefecture not in prefectures:
            problems.append(
                Problem(
                    source,
                    _(
                        "target.prefectures.{prefecture}: unknown prefecture; allowed: {allowed}"
                    ).format(
                        prefecture=prefecture,
                        allowed=", ".join(sorted(str(p) for p in prefectures)),
                    ),
                )
            )
        elif prefecture not in with_supply:
            problems.append(
                Problem(
                    source,
                    _(
                        "target.prefectures.{prefecture}: no site there supplies a stream that "
                        "counts toward targets, so no target can be set for it"
                    ).format(prefecture=prefecture),
                )
            )
    if problems:
        raise InputError(problems, what="scenario")
