"""Explain an infeasible scenario by solving the elastic problem.

For each target :math:`t` the model is re-solved with every target made elastic (its shortfall
free) and the objective replaced by "deliver as much toward :math:`t` as possible":

.. math:: reach_t = \\max \\sum_{k \\in K_t} d_k \\quad \\text{s.t. (1)-(5), (8)}

first with the scenario's limits, then with each limit relaxed on its own, then with all
limits relaxed. A target whose reach falls short is reported with what stops it (a limit, or
supply and capacity). If every target can be met on its own but not all together, the
problem of least total relative shortfall names the targets in conflict.

Each solve ends by the run's deadline (``SolveOptions.deadline``: the run's time limit covers
the diagnosis too) and at most 120 s; when the time is spent, the diagnosis stops and says so
(``complete`` false). SIGINT/SIGTERM stop it too (:mod:`symbiosis.interrupt`: the caller
catches :class:`~symbiosis.interrupt.Interrupted`). A large MIP runs in a child process that
can be killed (``SolveOptions.isolate``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from symbiosis import interrupt, units
from symbiosis.i18n import N_, Message
from symbiosis.milp.data import ModelData, TargetSpec, asked_message
from symbiosis.milp.model import build_model
from symbiosis.options import SolveOptions
from symbiosis.solve.highs import solve_model

#: the limits a diagnosis relaxes one at a time (the model data's field and constraint)
LIMIT_LABELS = {
    "max_new_facilities": "max_new_facilities",
    "capex_budget": "capex_budget",
}
#: limits as people read them, in every language (:func:`limit_name`; summary.json keeps
#: the ids): the scenario's ``limits``, their per-year forms, the CO2 floor of a Pareto
#: front, and ``all limits``
LIMIT_WORDS: dict[str, str] = {
    "max_new_facilities": N_("the limit on new projects"),
    "capex_budget": N_("the investment budget"),
    "max_new_facilities_by_year": N_("the yearly limits on new projects"),
    "capex_budget_by_year": N_("the yearly investment budgets"),
    "co2_floor": N_("the floor on CO2 avoided"),
    "all limits": N_("all limits"),
}
#: a limit of one year: ``max_new_facilities@2027``
_LIMIT_OF_YEAR = re.compile(r"^(?P<limit>.+)@(?P<year>\d{4})$")
#: how close to a target an amount must come to meet it
_TOLERANCE = (1e-7, 1e-6)


#: seconds a solve of the diagnosis needs at least; with less left before the deadline it
#: stops
MIN_SOLVE_SECONDS = 0.5


class _OutOfTime(Exception):
    """The run's deadline leaves no time for the next solve."""


@dataclass
class TargetReach:
    """How much of one target can be delivered, :math:`reach_t` of the module docstring.

    Attributes
    ----------
    name : str
        The target (``total`` or a stream).
    asked : str
        How the scenario put it.
    required : float
        :math:`amount_t`.
    reachable : float or None
        :math:`reach_t` with the scenario's limits (None: not solved).
    without_limit : dict[str, float or None]
        Limit relaxed (or ``all limits``) -> :math:`reach_t` without it.
    proven : bool
        False when the solve stopped before proving its bound.
    """

    name: str
    asked: str
    required: float
    reachable: float | None
    without_limit: dict[str, float | None] = field(default_factory=dict)
    proven: bool = True


def _fmt(amount: float | None, unit: str = "t") -> Message:
    """``12.35 Mt/yr`` (its ``/yr`` in the language it is shown in)."""
    return Message(
        N_("{amount}/yr"), amount=units.amount(amount, unit, digits=2, missing="unknown")
    )


def limit_name(limit: str) -> str:
    """A limit as people read it, in the current language; its id in files.

    Parameters
    ----------
    limit : str
        ``max_new_facilities``, ``capex_budget``, ``co2_floor``, a per-year form
        (``max_new_facilities_by_year``, or one year's: ``capex_budget@2027``) or ``all
        limits``.

    Returns
    -------
    str
        A :class:`~symbiosis.i18n.Message` equal to ``limit`` (summary.json keeps the id)
        shown in words (:data:`LIMIT_WORDS`: ``the limit on new projects``, ``新建项目数上限``;
        one year's: ``the investment budget in 2027``); a limit not listed as it is.
    """
    year = _LIMIT_OF_YEAR.match(limit)
    if year is not None and year["limit"] in LIMIT_WORDS:
        words = Message(
            N_("{limit} in {year}"), limit=Message(LIMIT_WORDS[year["limit"]]), year=year["year"]
        )
        return Message.keeping(limit, words)
    if limit in LIMIT_WORDS:
        return Message.keeping(limit, Message(LIMIT_WORDS[limit]))
    return limit


def held_limit(limit: str, value: float) -> str:
    """A limit and its value, as a diagnosis says what the targets were reached with.

    Parameters
    ----------
    limit : str
        The limit (:func:`limit_name`).
    value : float
        Its value in the scenario.

    Returns
    -------
    str
        A :class:`~symbiosis.i18n.Message` written ``max_new_facilities = 2`` (summary.json)
        and shown ``at most 2 new projects`` / ``最多新建 2 个项目`` (an investment budget in
        CNY; another limit: its words ``= value``).
    """
    count = f"{value:,g}"
    if limit == "max_new_facilities":
        words: str = Message(N_("at most {count} new projects"), count=count)
    elif limit == "capex_budget":
        words = Message(N_("an investment budget of {amount} CNY"), amount=units.money(value))
    else:
        words = Message(N_("{limit} = {value}"), limit=limit_name(limit), value=count)
    return Message.keeping(f"{limit} = {count}", words)


def _meets(value: float | None, amount: float) -> bool:
    """Whether ``value`` meets a target of ``amount`` (to the diagnosis's tolerance)."""
    relative, absolute = _TOLERANCE
    return value is not None and value >= amount * (1 - relative) - absolute


def _without(limit: str, amount: Message, enough: bool, first: bool) -> Message:
    """``Without max_new_facilities: 12.35 Mt/yr (enough to meet it)`` (``without`` after
    the first; the limit shown in words)."""
    shown = limit_name(limit)
    if first:
        template = (
            N_("Without {limit}: {amount} (enough to meet it)")
            if enough
            else N_("Without {limit}: {amount} (still short)")
        )
    else:
        template = (
            N_("without {limit}: {amount} (enough to meet it)")
            if enough
            else N_("without {limit}: {amount} (still short)")
        )
    return Message(template, limit=shown, amount=amount)


def _separated(items: list[str], separator: str) -> list[str]:
    """``items`` with ``separator`` between each two."""
    out: list[str] = []
    for item in items:
        out += [separator, item] if out else [item]
    return out


def _limit_value(d: ModelData, limit: str) -> Any:
    return d.max_new_facilities if limit == "max_new_facilities" else d.capex_budget


def _reach(
    m: pyo.ConcreteModel,
    d: ModelData,
    spec: TargetSpec,
    active_limits: set[str],
    options: SolveOptions,
) -> tuple[float | None, bool]:
    """Max delivered toward ``spec`` with the given limits active and all targets elastic.

    Raises :class:`~symbiosis.interrupt.Interrupted` when a stop was asked for, and
    :class:`_OutOfTime` when the deadline leaves no time to solve."""
    _before_solve(options)
    for v in m.shortfall.values():
        v.unfix()
    for limit in LIMIT_LABELS:
        if hasattr(m, limit):
            getattr(m, limit).activate() if limit in active_limits else getattr(
                m, limit
            ).deactivate()
    m.objective.deactivate()
    if hasattr(m, "reach_objective"):
        m.del_component(m.reach_objective)
    terms: list[Any] = []
    if spec.supply_rows is None:
        for k in spec.input_rows:
            terms.extend(m._deliv_terms[int(k)])
    else:
        eff = d.arc_eff.tolist()
        for a in np.flatnonzero(spec.arc_mask(d.arc_input, d.arc_supply)).tolist():
            terms.append(MonomialTermExpression((eff[a], m._xs[a])))
    m.reach_objective = pyo.Objective(expr=-LinearExpression(terms) if terms else 0.0)
    if not terms:
        return 0.0, True
    solution = solve_model(m, options)
    interrupt.check()
    if not solution.has_solution or solution.objective is None:
        return None, False
    return -solution.objective, solution.status == "optimal"


def _before_solve(options: SolveOptions) -> None:
    interrupt.check()
    left = options.seconds_left()
    if left is not None and left < MIN_SOLVE_SECONDS:
        raise _OutOfTime


def _explain_target(
    m: pyo.ConcreteModel,
    d: ModelData,
    spec: TargetSpec,
    limits: set[str],
    opts: SolveOptions,
    units: dict[str, str],
) -> tuple[TargetReach, str, set[str]]:
    """How far target ``spec`` can be reached, with the limits and without each; the
    sentence that says so when it falls short ("" when it does not), and the limits that,
    relaxed alone, would let it be met."""
    reach, proven = _reach(m, d, spec, limits, opts)
    entry = TargetReach(spec.name, spec.asked, spec.amount, reach, proven=proven)
    short = reach is not None and not _meets(reach, spec.amount)
    if short and limits:
        for limit in sorted(limits):
            entry.without_limit[limit], _ = _reach(m, d, spec, limits - {limit}, opts)
        if len(limits) > 1:
            entry.without_limit["all limits"], _ = _reach(m, d, spec, set(), opts)
    binding = {
        limit
        for limit, value in entry.without_limit.items()
        if limit != "all limits" and _meets(value, spec.amount)
    }
    held = {limit: _limit_value(d, limit) for limit in limits}
    return entry, target_sentence(entry, held, units.get(spec.name, "t")), binding


def target_sentence(reach: TargetReach, limits: Mapping[str, float], unit: str = "t") -> str:
    """The diagnosis's sentence on a target it found short: how much can be reached with the
    limits, without each, and whether supply and capacity fall short even so.

    Written by :func:`diagnose` and rebuilt from summary.json by
    :func:`diagnosis_messages` (the one place that words it).

    Parameters
    ----------
    reach : TargetReach
        The target and what the diagnosis found of it.
    limits : Mapping[str, float]
        The limits in force (:data:`LIMIT_LABELS`) -> their values; empty: none.
    unit : str
        The target's unit (``t``, ``MWh``).

    Returns
    -------
    str
        A :class:`~symbiosis.i18n.Message` (English, shown in the language); ``""`` when
        the target is met or its reach unknown.
    """
    if reach.reachable is None or _meets(reach.reachable, reach.required):
        return ""
    reach_text = _fmt(reach.reachable, unit)
    parts: list[str] = []
    if limits:
        held = [held_limit(limit, limits[limit]) for limit in sorted(limits)]
        parts.append(
            Message(
                N_("{target}: {reach} reachable with {limits}; target {asked}"),
                target=reach.name,
                reach=reach_text,
                limits=Message.concat(*_separated(held, Message(N_(", ")))),
                asked=reach.asked,
            )
        )
        freed: list[str] = []
        for limit, value in reach.without_limit.items():
            if value is not None:
                enough = _meets(value, reach.required)
                freed.append(_without(limit, _fmt(value, unit), enough, first=not freed))
        if freed:
            parts += [Message(N_(". ")), *_separated(freed, Message(N_("; ")))]
        no_limits = reach.without_limit.get(
            "all limits", reach.without_limit.get(next(iter(limits)))
        )
        if no_limits is not None and not _meets(no_limits, reach.required):
            parts.append(
                Message(
                    N_(
                        ". Even without limits, supply and the capacity within reach of it "
                        "fall short"
                    )
                )
            )
    else:
        template = (
            N_(
                "{target}: at most {reach} can be delivered ({share} of the target); the "
                "target asks {asked}; supply and the capacity within reach of it fall short"
            )
            if reach.required
            else N_(
                "{target}: at most {reach} can be delivered; the target asks {asked}; supply "
                "and the capacity within reach of it fall short"
            )
        )
        share = f"{reach.reachable / reach.required:.0%}" if reach.required else ""
        parts.append(
            Message(template, target=reach.name, reach=reach_text, share=share, asked=reach.asked)
        )
    if not reach.proven:
        parts.append(Message(N_(" (bound not proven within the time limit)")))
    return Message.concat(*parts)


def _joint_shortfall(
    m: pyo.ConcreteModel,
    d: ModelData,
    limits: set[str],
    opts: SolveOptions,
    units: dict[str, str],
) -> str:
    """Each target can be met alone, not all together: the sentence naming the least
    relative shortfall (:math:`\\min \\sum_t short_t / amount_t` with every limit).

    The objective is solved multiplied by :math:`\\max_t amount_t` (the same minimum): at
    tens of Mt, :math:`1 / amount_t` per tonne lies below HiGHS's optimality tolerance, and
    missing every target in full would pass for optimal."""
    for v in m.shortfall.values():
        v.unfix()
    for limit in limits:
        getattr(m, limit).activate()
    m.objective.deactivate()
    if hasattr(m, "reach_objective"):
        m.del_component(m.reach_objective)
    largest = max([1.0, *(t.amount for t in d.targets)])
    m.reach_objective = pyo.Objective(
        expr=sum(m.shortfall[t.name] * (largest / max(t.amount, 1.0)) for t in d.targets)
    )
    _before_solve(opts)
    solution = solve_model(m, opts)
    interrupt.check()
    if not solution.has_solution:
        return Message(N_("no target is out of reach on its own; the conflict lies elsewhere"))
    shorts = solution.values["shortfall"]
    missed: list[str] = [
        Message(
            N_("{target} short by {amount}"),
            target=t.name,
            amount=_fmt(float(s), units.get(t.name, "t")),
        )
        for t, s in zip(d.targets, shorts, strict=True)
        if s > 1e-6
    ]
    return Message(
        N_(
            "each target can be met on its own but not all together; the least shortfall "
            "leaves {targets}"
        ),
        targets=Message.concat(*_separated(missed, Message(N_(", ")))),
    )


def diagnose(
    d: ModelData, options: SolveOptions, units: dict[str, str] | None = None
) -> dict[str, Any]:
    """Find what can be reached and which target or limit stops it.

    Parameters
    ----------
    d : ModelData
        The model data of the infeasible scenario.
    options : SolveOptions
        Solver options (threads, HiGHS options, ``deadline``, ``isolate``).
    units : dict[str, str] or None
        Target or stream name -> unit, for the messages.

    Returns
    -------
    dict
        ``messages`` (plain sentences), ``targets`` (per target: asked, required, reachable
        with the limits, reachable without each limit), ``binding`` (names of the limits
        that, relaxed alone, would let a short target be met) and ``complete`` (false when
        the deadline cut it short).

    Raises
    ------
    Interrupted
        On SIGINT/SIGTERM (:mod:`symbiosis.interrupt`).
    """
    units = units or {}
    # Diagnosis solves are feasibility questions: a small gap is enough.
    opts = SolveOptions(
        time_limit=min(options.time_limit or 120.0, 120.0),
        mip_rel_gap=1e-6,
        threads=options.threads,
        highs=dict(options.highs),
        isolate=options.isolate,
        deadline=options.deadline,
    )
    m = build_model(d)
    limits = {name for name in LIMIT_LABELS if _limit_value(d, name) is not None}
    reaches: list[TargetReach] = []
    messages: list[str] = []
    binding: set[str] = set()
    complete = True
    try:
        for spec in d.targets:
            entry, message, freeing = _explain_target(m, d, spec, limits, opts, units)
            binding |= freeing
            reaches.append(entry)
            if message:
                messages.append(message)
        if not messages and d.targets:
            messages.append(_joint_shortfall(m, d, limits, opts, units))
    except _OutOfTime:
        complete = False
        messages.append(
            Message(
                N_("diagnosis stopped: the time limit ({seconds} s) was spent"),
                seconds=f"{options.time_limit:g}",
            )
            if options.time_limit
            else Message(N_("diagnosis stopped: the time limit was spent"))
        )
    if not d.targets:
        messages.append(
            Message(N_("the scenario has no targets; the case itself has no feasible solution"))
        )

    return {
        "messages": messages,
        "targets": [
            {
                "name": r.name,
                "asked": r.asked,
                "required": r.required,
                "reachable": r.reachable,
                "reachable_without": r.without_limit,
                "proven": r.proven,
            }
            for r in reaches
        ],
        "binding": sorted(binding),
        "complete": complete,
    }


def unreachable_sentence(stream: str, amount: str, sites: list[str]) -> str:
    """The sentence on a target stream's supply that no facility can reach.

    Parameters
    ----------
    stream : str
        The stream.
    amount : str
        Its supply out of reach, with its unit (``0.300 Mt``).
    sites : list of str
        The sites it is at.

    Returns
    -------
    str
        A :class:`~symbiosis.i18n.Message` (English, shown in the language).
    """
    return Message(
        N_(
            "{stream}: {amount} of supply at {count} site(s) ({sites}) is out of "
            "reach of every facility that takes it (no mode within its max_km)"
        ),
        stream=stream,
        amount=amount,
        count=len(sites),
        sites=", ".join(sites),
    )


def _units_of(asked: str) -> list[str]:
    """The units a target asked as ``asked`` may be counted in (the amount's unit first)."""
    found = re.search(r" (?P<unit>[^\s()]+)/yr\)?$", asked)
    unit = "t" if found is None or found["unit"] in ("Mt", "t") else found["unit"]
    return list(dict.fromkeys([unit, "t"]))


def _target_candidates(diagnosis: Mapping[str, Any], limits: Mapping[str, float]) -> list[str]:
    """The target sentences a diagnosis's structure can have been written as."""
    out: list[str] = []
    for target in diagnosis.get("targets") or []:
        asked = str(target.get("asked", ""))
        reach = TargetReach(
            name=str(target.get("name", "")),
            asked=asked_message(asked),
            required=float(target.get("required") or 0.0),
            reachable=target.get("reachable"),
            without_limit=dict(target.get("reachable_without") or {}),
            proven=bool(target.get("proven", True)),
        )
        # the limits in force when it was diagnosed: each was relaxed in turn
        held = {k: v for k, v in limits.items() if k in reach.without_limit}
        out += [target_sentence(reach, held, unit) for unit in _units_of(asked)]
    return out


def _unreachable_candidates(diagnosis: Mapping[str, Any]) -> list[str]:
    """The sentences on supply out of reach a diagnosis's structure can have been written as."""
    by_stream: dict[str, list[Mapping[str, Any]]] = {}
    for row in diagnosis.get("unreachable_supply") or []:
        by_stream.setdefault(str(row.get("stream", "")), []).append(row)
    out: list[str] = []
    for stream, rows in sorted(by_stream.items()):
        total = sum(float(r.get("amount") or 0.0) for r in rows)
        sites = [str(r.get("site", "")) for r in rows]
        out += [
            unreachable_sentence(stream, units.amount(total, unit), sites) for unit in ("t", "MWh")
        ]
    return out


def diagnosis_messages(
    diagnosis: Mapping[str, Any], limits: Mapping[str, Any] | None = None
) -> list[str]:
    """A diagnosis read back from summary.json, its sentences rebuilt from its structure so
    that they are shown in the current language.

    summary.json keeps the sentences in English (``messages``) and what they say as data:
    ``targets`` (name, asked, required, reachable, ``reachable_without`` limit -> amount,
    proven) and ``unreachable_supply``. Each sentence is rebuilt from that data with the
    templates :func:`diagnose` writes it with (:func:`target_sentence`,
    :func:`unreachable_sentence`), and kept only when its English is the sentence's, byte
    for byte; a sentence the data cannot rebuild (a myopic plan's, the least shortfall of
    targets met alone, a diagnosis stopped after a given time) stays as it was written.

    Parameters
    ----------
    diagnosis : Mapping[str, Any]
        summary.json's ``diagnosis``.
    limits : Mapping[str, Any] or None
        The run's scenario ``limits`` (the manifest's ``scenario.limits``): the values the
        targets were reached with; a per-year mapping or None is no limit of the horizon.

    Returns
    -------
    list of str
        One per sentence of ``messages``, in order: a :class:`~symbiosis.i18n.Message`
        (show it with :func:`symbiosis.i18n.shown`) or the sentence as written.
    """
    held = {
        name: float(value)
        for name, value in (limits or {}).items()
        if name in LIMIT_LABELS and isinstance(value, int | float) and not isinstance(value, bool)
    }
    fixed = [
        Message(N_("the scenario has no targets; the case itself has no feasible solution")),
        Message(N_("diagnosis stopped: the time limit was spent")),
        Message(N_("no target is out of reach on its own; the conflict lies elsewhere")),
    ]
    candidates: dict[str, str] = {}
    for message in [*_target_candidates(diagnosis, held), *_unreachable_candidates(diagnosis)]:
        if message:
            candidates.setdefault(str(message), message)
    for message in fixed:
        candidates.setdefault(str(message), message)
    return [candidates.get(str(text), str(text)) for text in diagnosis.get("messages") or []]
