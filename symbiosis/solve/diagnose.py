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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from symbiosis import interrupt, units
from symbiosis.i18n import N_, Message
from symbiosis.milp.data import ModelData, TargetSpec
from symbiosis.milp.model import build_model
from symbiosis.options import SolveOptions
from symbiosis.solve.highs import solve_model

LIMIT_LABELS = {
    "max_new_facilities": "max_new_facilities",
    "capex_budget": "capex_budget",
}


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


def _without(limit: str, amount: Message, enough: bool, first: bool) -> Message:
    """``Without max_new_facilities: 12.35 Mt/yr (enough to meet it)`` (``without`` after
    the first)."""
    shown: str = Message(N_("all limits")) if limit == "all limits" else limit
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
    binding: set[str] = set()
    unit = units.get(spec.name, "t")
    reach, proven = _reach(m, d, spec, limits, opts)
    entry = TargetReach(spec.name, spec.asked, spec.amount, reach, proven=proven)
    short = reach is not None and reach < spec.amount * (1 - 1e-7) - 1e-6
    if short and limits:
        for limit in sorted(limits):
            entry.without_limit[limit], _ = _reach(m, d, spec, limits - {limit}, opts)
        if len(limits) > 1:
            entry.without_limit["all limits"], _ = _reach(m, d, spec, set(), opts)
    if not short or reach is None:
        return entry, "", binding
    reach_text = _fmt(reach, unit)
    parts: list[str] = []
    if limits:
        held = ", ".join(f"{lim} = {_limit_value(d, lim):,g}" for lim in sorted(limits))
        parts.append(
            Message(
                N_("{target}: {reach} reachable with {limits}; target {asked}"),
                target=spec.name,
                reach=reach_text,
                limits=held,
                asked=spec.asked,
            )
        )
        freed: list[str] = []
        for limit, value in entry.without_limit.items():
            if value is None:
                continue
            enough = value >= spec.amount * (1 - 1e-7) - 1e-6
            if enough and limit != "all limits":
                binding.add(limit)
            freed.append(_without(limit, _fmt(value, unit), enough, first=not freed))
        if freed:
            parts += [Message(N_(". ")), *_separated(freed, Message(N_("; ")))]
        no_limits = entry.without_limit.get(
            "all limits", entry.without_limit.get(next(iter(limits)))
        )
        if no_limits is not None and no_limits < spec.amount * (1 - 1e-7) - 1e-6:
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
            if spec.amount
            else N_(
                "{target}: at most {reach} can be delivered; the target asks {asked}; supply "
                "and the capacity within reach of it fall short"
            )
        )
        share = f"{reach / spec.amount:.0%}" if spec.amount else ""
        parts.append(
            Message(template, target=spec.name, reach=reach_text, share=share, asked=spec.asked)
        )
    if not proven:
        parts.append(Message(N_(" (bound not proven within the time limit)")))
    message = Message.concat(*parts)
    return entry, message, binding


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
