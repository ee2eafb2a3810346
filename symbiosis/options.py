"""Options, resolved once before any solve: what a run may be asked besides its scenario.

- :class:`SolveOptions`: one HiGHS solve (time limit, gap, threads, HiGHS options, where it
  runs), resolved by :func:`resolve_options` from defaults < the scenario's solver profile <
  its ``solver:`` keys < the command line;
- :class:`ReduceOptions`: the exact reductions, valid inequalities and warm start
  (:mod:`symbiosis.milp.reduce`, :mod:`symbiosis.milp.valid`,
  :mod:`symbiosis.solve.warm_start`);
- :class:`RunOptions`: one run (solver overrides, reductions, shadow prices, diagnosis, extra
  constraints, output folder rule), the one object handed from the command line (or the web
  app, or a batch) to :func:`symbiosis.runner.run_scenario`.

All are frozen dataclasses: a stage that needs a variant makes one with
:func:`dataclasses.replace`, never by changing the object it was given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from symbiosis.errors import InputError, Problem
from symbiosis.i18n import gettext as _

OWN_KEYS = ("time_limit", "mip_rel_gap", "threads", "method")
#: the values of ``solver.method``
METHODS = ("direct", "benders", "auto")
#: HiGHS options set unless a profile, the scenario or the caller says otherwise.
DEFAULT_HIGHS: dict[str, Any] = {"parallel": "on"}
SOLVERS_DIR = Path(__file__).resolve().parent.parent / "solvers"


@dataclass(frozen=True)
class SolveOptions:
    """Options of one solve.

    The defaults, ``threads`` 2 and ``parallel: on``, were chosen by measurement on the
    project's 2-core machine (README, "Benchmark"; benchmarks/results.md): on generated
    MILPs they solved about as fast as HiGHS's own choice (``threads`` 0, ``parallel:
    choose``, one thread there) when HiGHS needs seconds, and 0-17 % faster when it needs a
    minute; never clearly slower. ``threads: 0`` and ``parallel: choose`` restore HiGHS's
    defaults.

    Attributes
    ----------
    time_limit : float or None
        Seconds HiGHS may run; None: no limit.
    mip_rel_gap : float
        Relative MIP gap at which HiGHS stops (default 1e-4).
    threads : int
        HiGHS threads; 0 lets HiGHS decide.
    highs : dict
        Any further HiGHS option by its HiGHS name (``parallel``, ``presolve``,
        ``mip_heuristic_effort`` ...); :data:`DEFAULT_HIGHS` unless replaced.
    log_to_console : bool
        Let HiGHS print its log (its ``output_flag``).
    progress_interval : float
        Seconds between progress reports while HiGHS runs.
    overrun_grace : float
        Seconds HiGHS may run past its time limit before it is asked to stop, as Ctrl-C
        does (HiGHS does not check its limit everywhere).
    kill_grace : float
        Seconds a HiGHS child process has to answer a stop request before it is killed.
    isolate : bool or "auto"
        Where HiGHS runs: True a child process that can be killed, False this process,
        ``"auto"`` a child process for a MIP with ``ISOLATE_MIN_INTEGER`` integer columns
        or more (:mod:`symbiosis.solve.child`).
    deadline : float or None
        ``time.perf_counter()`` by which a solve must end, whatever its own time limit;
        None: no deadline.
    method : str
        ``direct`` (HiGHS on the whole MILP), ``benders`` (:mod:`symbiosis.solve.benders`)
        or ``auto`` (:func:`symbiosis.solve.benders.auto_method` decides from the model's
        shape).
    """

    time_limit: float | None = None
    mip_rel_gap: float = 1e-4
    threads: int = 2
    highs: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_HIGHS))
    log_to_console: bool = False
    progress_interval: float = 0.25
    #: seconds HiGHS may run past its time limit before it is asked to stop (as Ctrl-C does):
    #: HiGHS does not check its limit everywhere (ERGO-Code/HiGHS#885); on a 476k-arc case
    #: it was still strong branching more than 5 minutes past a 600 s limit
    overrun_grace: float = 2.0
    #: seconds a HiGHS child process has to answer a stop request before it is killed
    kill_grace: float = 3.0
    #: where HiGHS runs: True a child process that can be killed, False this process,
    #: "auto" a child process for a MIP with ISOLATE_MIN_INTEGER integer columns or more
    #: (symbiosis.solve.child)
    isolate: bool | Literal["auto"] = "auto"
    #: ``time.perf_counter()`` by which a solve must end, whatever its own time limit (the
    #: run's time limit counts from the model's build: warm start, solve, shadow prices and
    #: diagnosis share it); None: no deadline
    deadline: float | None = None
    #: direct | benders | auto (symbiosis.solve.benders.auto_method)
    method: Literal["direct", "benders", "auto"] = "auto"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(
                [
                    Problem(
                        "scenario",
                        _("solver.method: '{value}' is not one of {allowed}").format(
                            value=self.method, allowed=", ".join(METHODS)
                        ),
                    )
                ],
                "scenario",
            )

    def as_dict(self) -> dict[str, Any]:
        """The solver's options as ``manifest.json`` records them (``solver_options``).

        Returns
        -------
        dict
            ``time_limit`` (seconds or None), ``mip_rel_gap``, ``threads`` and ``highs`` (a
            copy); not the options of how a solve is run (log, progress, graces, isolation,
            deadline).
        """
        return {
            "time_limit": self.time_limit,
            "mip_rel_gap": self.mip_rel_gap,
            "threads": self.threads,
            "highs": dict(self.highs),
        }

    def seconds_left(self) -> float | None:
        """Seconds until :attr:`deadline`.

        Returns
        -------
        float or None
            The seconds left, negative once the deadline has passed; None without a
            deadline.
        """
        return None if self.deadline is None else self.deadline - time.perf_counter()

    def limit_now(self) -> float | None:
        """The time limit of a HiGHS run starting now.

        Returns
        -------
        float or None
            Seconds: :math:`\\max(\\min(time\\_limit, seconds\\_left), 0.05)` over those of
            the two that are set (``time_limit`` cut to what is left before
            :attr:`deadline`, at least 0.05 s); None when neither is set.
        """
        limits = [x for x in (self.time_limit, self.seconds_left()) if x is not None]
        return max(min(limits), 0.05) if limits else None


def load_profile(name: str, search: list[Path] | None = None) -> dict[str, Any]:
    """Read ``solvers/<name>.yaml`` (a mapping of option names to values).

    Looked for, first found wins: ``name`` itself when it ends in ``.yaml``/``.yml``, then
    ``<folder>/<name>.yaml`` in each folder of ``search``, ``./solvers`` and the project's
    ``solvers/`` folder.

    Parameters
    ----------
    name : str
        The profile's name (``fast``), or a path to a YAML file.
    search : list of Path or None
        Folders to look in before the others (the scenario's ``solvers/`` folders).

    Returns
    -------
    dict
        Option name -> value, HiGHS names or ``time_limit``/``mip_rel_gap``/``threads``;
        the key ``description`` is left out.

    Raises
    ------
    InputError
        When no profile of that name is found (listing the project's profiles), or the
        file is not a YAML mapping.
    """
    candidates = [Path(name)] if name.endswith((".yaml", ".yml")) else []
    for folder in [*(search or []), Path.cwd() / "solvers", SOLVERS_DIR]:
        candidates.append(folder / f"{name}.yaml")
    for path in candidates:
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise InputError(
                    [Problem(str(path), _("a solver profile is a YAML mapping"))], "scenario"
                )
            return {str(k): v for k, v in data.items() if k != "description"}
    known = sorted(p.stem for p in SOLVERS_DIR.glob("*.yaml")) if SOLVERS_DIR.is_dir() else []
    raise InputError(
        [
            Problem(
                "scenario",
                _("solver.profile: no profile '{name}'; known: {known}").format(
                    name=name, known=", ".join(known)
                ),
            )
        ],
        "scenario",
    )


def resolve_options(
    solver: Any, base_dir: Path | None = None, overrides: dict[str, Any] | None = None
) -> SolveOptions:
    """Merge defaults < named profile < the scenario's ``solver:`` keys < ``overrides``.

    Parameters
    ----------
    solver : SolverOptions or None
        The scenario's ``solver:`` (:class:`symbiosis.scenario.SolverOptions`: its
        ``profile``, ``time_limit``, ``mip_rel_gap``, ``threads`` and ``options``); None
        for the defaults and ``overrides`` alone.
    base_dir : Path or None
        The scenario's folder: a profile is looked for in ``base_dir/solvers`` and
        ``base_dir/../solvers`` first.
    overrides : dict or None
        Options from the caller (the command line), by name; None values are ignored.

    Returns
    -------
    SolveOptions
        ``time_limit``, ``mip_rel_gap`` and ``threads`` as merged (else their defaults),
        every other option in ``highs`` over :data:`DEFAULT_HIGHS`.

    Raises
    ------
    InputError
        For a profile that cannot be found or read (:func:`load_profile`).
    """
    merged: dict[str, Any] = {}
    if solver is not None and getattr(solver, "profile", None):
        search = [base_dir / "solvers", base_dir.parent / "solvers"] if base_dir else []
        merged.update(load_profile(solver.profile, search))
    if solver is not None:
        for key in OWN_KEYS:
            value = getattr(solver, key)
            if value is not None:
                merged[key] = value
        merged.update(solver.options)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    own = {key: merged.pop(key) for key in OWN_KEYS if key in merged}
    return SolveOptions(**own, highs={**DEFAULT_HIGHS, **merged})


@dataclass(frozen=True)
class ReduceOptions:
    """Which reductions run (see the module docstring). ``ReduceOptions.none()`` switches
    all off; :data:`DEFAULT` is what ``symbiosis run`` uses.

    Attributes
    ----------
    dominated_arcs : bool
        Drop an arc when another between the same supply row and input row, of the same
        efficiency, costs no more at every flow (default off). The mathematics of each step
        is in :mod:`symbiosis.milp.reduce`'s module docstring.
    unprofitable_arcs : bool
        Drop arcs into input rows no hard target counts on which a unit shipped never pays:
        :math:`c_a + (var\\_cost_k - value_k) eff_a - n_k \\cdot penalty \\cdot eff_a
        \\ge u_r` (default on).
    tighten_capacity : bool
        Cut capacities, input shares and link big-M values to the supply that can reach
        each facility (default on).
    facility_links : bool
        Add the valid inequalities :math:`\\sum_{a \\in P} y_a \\le b_f` and
        :math:`x_a \\le M_a b_f` (:mod:`symbiosis.milp.valid`; default off).
    target_cover : bool
        Add, for each target, the knapsack on build decisions from which HiGHS derives
        cover cuts (:mod:`symbiosis.milp.valid`; default off).
    warm_start : bool
        Hand HiGHS a first solution (:mod:`symbiosis.solve.warm_start`; default on).
    warm_start_seconds : float
        Seconds for the warm start (also at most a tenth of the solve's time limit).
    warm_start_min_binaries : int
        No warm start for models with fewer binaries.
    warm_start_slope_iterations : int
        LP solves of the slope scaling that turns the rounded builds into a first solution
        (1: plain LP rounding).
    """

    dominated_arcs: bool = False
    unprofitable_arcs: bool = True
    tighten_capacity: bool = True
    facility_links: bool = False
    target_cover: bool = False
    warm_start: bool = True
    #: seconds for the warm start (also at most a tenth of the time limit of the solve); its
    #: LP relaxation and rounding may take up to a quarter of the time limit
    #: (:func:`warm_start_values`)
    warm_start_seconds: float = 60.0
    #: no warm start for models with fewer binaries: HiGHS solves those in seconds, and the
    #: restricted MILP took about as long as the whole solve (benchmarks/reductions.py)
    warm_start_min_binaries: int = 1000
    #: LP solves of the slope scaling that turns the rounded builds into a first solution
    #: (1: plain LP rounding)
    warm_start_slope_iterations: int = 25

    @classmethod
    def none(cls) -> ReduceOptions:
        """No reduction: the model as written.

        Returns
        -------
        ReduceOptions
            Every step (bool field) off; the numeric settings at their defaults.
        """
        return cls(**{f.name: False for f in fields(cls) if f.type in ("bool", bool)})

    @classmethod
    def all(cls) -> ReduceOptions:
        """Every reduction, those off by default included (for comparisons).

        Returns
        -------
        ReduceOptions
            Every step (bool field) on; the numeric settings at their defaults.
        """
        return cls(**{f.name: True for f in fields(cls) if f.type in ("bool", bool)})

    @property
    def any(self) -> bool:
        """Whether any step is on."""
        return any(getattr(self, f.name) for f in fields(self) if f.type in ("bool", bool))

    def as_dict(self) -> dict[str, Any]:
        """The options as ``manifest.json`` records them (``reductions.options``).

        Returns
        -------
        dict
            Every field by name: the steps' bools and the warm start's settings.
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT = ReduceOptions()


def scenario_reduce_options(
    value: bool | dict[str, bool | float] | None,
) -> ReduceOptions | bool | None:
    """Read the scenario's ``solver.reduce``.

    Parameters
    ----------
    value : bool, dict or None
        ``solver.reduce`` as the scenario gives it: a bool, None, or a mapping of
        :class:`ReduceOptions` field names to values.

    Returns
    -------
    ReduceOptions, bool or None
        A bool or None unchanged (for :func:`reduce_options`); a mapping applied over
        :data:`DEFAULT`.

    Raises
    ------
    InputError
        For names in the mapping that are not :class:`ReduceOptions` fields (listing those
        allowed).
    """
    if not isinstance(value, dict):
        return value
    names = {f.name for f in fields(ReduceOptions)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise InputError(
            [
                Problem(
                    "scenario",
                    _("solver.reduce: unknown step(s) {steps}; allowed: {allowed}").format(
                        steps=", ".join(unknown), allowed=", ".join(sorted(names))
                    ),
                )
            ],
            "scenario",
        )
    return replace(DEFAULT, **value)  # type: ignore[arg-type]


def reduce_options(reduce: ReduceOptions | bool | None, has_hooks: bool = False) -> ReduceOptions:
    """The options of one run: ``False`` none, ``True``/``None`` :data:`DEFAULT`.

    With user ``extra_constraints`` hooks, or rows of the model the arc reductions do not
    know (the scenario's CO2 floor, ``target.co2_avoided``), only the valid inequalities
    stay: such rows may need an arc a reduction would drop, a hook may read the data it is
    handed, or may not hold on a warm start built without it.

    Parameters
    ----------
    reduce : ReduceOptions, bool or None
        ``False``: no reduction (:meth:`ReduceOptions.none`); ``True`` or None:
        :data:`DEFAULT`; a :class:`ReduceOptions`: itself.
    has_hooks : bool
        Whether the run has ``extra_constraints`` hooks.

    Returns
    -------
    ReduceOptions
        The options; with hooks, ``dominated_arcs``, ``unprofitable_arcs``,
        ``tighten_capacity`` and ``warm_start`` switched off.
    """
    if reduce is False:
        options = ReduceOptions.none()
    elif reduce is True or reduce is None:
        options = DEFAULT
    else:
        options = reduce
    if has_hooks:
        options = replace(
            options,
            dominated_arcs=False,
            unprofitable_arcs=False,
            tighten_capacity=False,
            warm_start=False,
        )
    return options


@dataclass(frozen=True)
class RunOptions:
    """How one scenario is run, besides the scenario itself.

    Attributes
    ----------
    solver : mapping of str to Any
        Solver options over the scenario's (``time_limit``, ``mip_rel_gap``, ``threads``,
        any HiGHS option); None values are ignored.
    reduce : ReduceOptions, bool or None
        The reductions (:class:`ReduceOptions`; False: the model as written; None: the
        scenario's ``solver.reduce``, else the defaults).
    shadow_prices : bool
        Re-solve the LP with the binaries fixed for the targets' duals (CNY per unit of
        each target).
    diagnose_infeasible : bool
        Explain an infeasible scenario (the elastic problem).
    extra_constraints : tuple of callable
        Build steps ``(model, data) -> None`` appended to the model (a CO2 floor, a cap);
        with any, only the valid inequalities of the reductions stay.
    overwrite : bool
        Write the run folder beside files symbiosis did not write (:mod:`symbiosis.files`).
    """

    solver: Mapping[str, Any] = field(default_factory=dict)
    reduce: ReduceOptions | bool | None = None
    shadow_prices: bool = True
    diagnose_infeasible: bool = True
    extra_constraints: tuple[Callable[..., None], ...] = ()
    overwrite: bool = False


def resolve_run(scenario: Any, run: RunOptions) -> tuple[SolveOptions, ReduceOptions]:
    """The options of one run, final before anything is solved.

    Parameters
    ----------
    scenario : Scenario
        The :class:`~symbiosis.scenario.Scenario` (its ``solver`` keys and profile, and its
        folder, where profiles are looked for first).
    run : RunOptions
        The run's options.

    Returns
    -------
    tuple of SolveOptions and ReduceOptions
        The solve's options (defaults < profile < scenario < ``run.solver``) and the
        reductions (``run.reduce``, else the scenario's ``solver.reduce``, else the
        defaults; with extra constraints or a CO2 floor only the valid inequalities stay).

    Raises
    ------
    InputError
        For a solver profile that cannot be found or read, or an unknown step in the
        scenario's ``solver.reduce``.
    """
    base_dir = scenario.source.parent if scenario.source else None
    solve = resolve_options(scenario.solver, base_dir, dict(run.solver))
    reduce = run.reduce
    if reduce is None:
        reduce = scenario_reduce_options(scenario.solver.reduce)
    # Arc reductions assume only targets and costs decide an arc's worth; a CO2 floor (like an
    # extra constraint) may need an arc they would drop: then only the valid inequalities stay.
    has_rows = bool(run.extra_constraints) or scenario.target.co2_avoided is not None
    return solve, reduce_options(reduce, has_hooks=has_rows)


__all__ = [
    "DEFAULT",
    "DEFAULT_HIGHS",
    "ReduceOptions",
    "RunOptions",
    "SolveOptions",
    "load_profile",
    "reduce_options",
    "resolve_options",
    "resolve_run",
    "scenario_reduce_options",
]
