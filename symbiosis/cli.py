"""The ``symbiosis`` command: a thin Typer shell over the library.

Exit codes: 0 solved (a solution written), 1 anything else, 2 invalid input (every problem
named, no traceback), 3 infeasible (the diagnosis written).

Every command that prints takes ``--lang en|zh`` (default: the environment variable
``SYMBIOSIS_LANG``, else ``en``): its messages, tables and the problems of invalid input are
printed in that language (:mod:`symbiosis.i18n`); what it writes into run folders is not
translated.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from symbiosis.case import InputError, Problem, load_case
from symbiosis.i18n import (
    ENV_VAR,
    LANGUAGES,
    N_,
    language_problem,
    ngettext,
    use_language,
)
from symbiosis.i18n import gettext as _
from symbiosis.options import RunOptions
from symbiosis.runner import EXIT_ERROR, EXIT_INVALID, RunOutcome, run_scenario
from symbiosis.scenario import check_scenario_against_case, load_scenario, with_foresight


def help_language(args: Sequence[str]) -> str:
    """The language of ``--help``: ``--lang X`` (or ``--lang=X``) in ``args``, else
    ``SYMBIOSIS_LANG``, else English; English for a language symbiosis does not speak (the
    command itself then reports it, exit 2).

    ``--help`` is answered while the command line is parsed, before ``--lang`` reaches the
    command, so the language is read from the arguments themselves.

    Parameters
    ----------
    args : sequence of str
        The command line's arguments (without the program's name).

    Returns
    -------
    str
        One of :data:`~symbiosis.i18n.LANGUAGES`.
    """
    import os

    given: str | None = None
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            given = args[i + 1]
        elif arg.startswith("--lang="):
            given = arg.removeprefix("--lang=")
    if given is None:
        given = os.environ.get(ENV_VAR, "").strip() or LANGUAGES[0]
    return given.strip().lower() if language_problem(given) is None else LANGUAGES[0]


def translate_help(command: Any) -> None:
    """Put the help texts of ``command``, its parameters and its sub-commands (all marked
    ``N_``) into the current language, in place.

    Typer reads the help strings when the app is defined (English, the catalog's msgids)
    and builds fresh click commands for each invocation; these are translated before they
    parse the command line.

    Parameters
    ----------
    command : click.Command
        The command Typer built from the app (its own click's ``Command``; for a group,
        every command under it too).
    """
    for attr in ("help", "short_help"):
        text = getattr(command, attr, None)
        if isinstance(text, str) and text:
            setattr(command, attr, _(text))
    for param in command.params:
        text = getattr(param, "help", None)
        if isinstance(text, str) and text:
            param.help = _(text)
    for sub in getattr(command, "commands", {}).values():
        translate_help(sub)


class _Group(TyperGroup):
    """The ``symbiosis`` command group, its help in the language of the command line
    (:func:`help_language`)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        with use_language(help_language(arguments)):
            translate_help(self)
        return super().main(arguments, *rest, **extra)


app = typer.Typer(
    cls=_Group,
    name="symbiosis",
    help=N_(
        "Optimise industrial-symbiosis networks: which waste exchanges to open and which "
        "utilisation projects to build, at the lowest total annual cost."
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

T = TypeVar("T")

OVERWRITE_HELP = N_(
    "Write into a target that holds files symbiosis did not write: the new files go beside "
    "them; none of them is ever deleted or replaced."
)

#: ``--lang``: the language of what a command prints.
Lang = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help=N_(
            "Language of what is printed: en or zh (default: $SYMBIOSIS_LANG, else en). Files "
            "written into run folders are not translated."
        ),
    ),
]


def _language_problems(lang: str | None) -> list[Problem]:
    """The problem with ``--lang`` or, without it, with ``SYMBIOSIS_LANG``, if any."""
    import os

    if lang is not None:
        problem = language_problem(lang)
        return [] if problem is None else [Problem("--lang", problem, value=lang)]
    from_env = os.environ.get(ENV_VAR, "").strip()
    problem = language_problem(from_env) if from_env else None
    return [] if problem is None else [Problem(ENV_VAR, problem, value=from_env)]


@contextmanager
def _speaking(lang: str | None) -> Iterator[None]:
    """Speak ``lang`` (if it is one symbiosis speaks) for the command, and hand it to the
    processes the command starts (solver children, Dask workers) through ``SYMBIOSIS_LANG``;
    both are restored afterwards. With a wrong language, English, and the problem is left to
    :func:`handled_errors`."""
    import os

    if _language_problems(lang):
        with use_language(LANGUAGES[0]):
            yield
        return
    with use_language(lang) as chosen:
        before = os.environ.get(ENV_VAR)
        os.environ[ENV_VAR] = chosen
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = before


@contextmanager
def handled_errors(lang: str | None = None) -> Iterator[None]:
    """Speak the command's language, turn invalid input into exit 2 with its report, and
    anything unexpected into exit 1 with a one-line message (no traceback; set
    SYMBIOSIS_DEBUG=1 to see one).

    SIGINT and SIGTERM are handled alike for the whole command (:mod:`symbiosis.interrupt`):
    a stop with nothing to keep prints when and in which stage it came and exits 130; a stop
    after which the command still wrote what it had (a run's best solution, the points of a
    curve finished before it) says so, and the command's own exit code stands.

    Parameters
    ----------
    lang : str or None
        ``--lang`` (None: ``SYMBIOSIS_LANG``, else ``en``); a language symbiosis does not
        speak, there or in the environment variable, is invalid input (exit 2).

    Yields
    ------
    None
        The command's body runs inside.
    """
    import os

    from symbiosis.interrupt import handle_signals, requested
    from symbiosis.runner import EXIT_INTERRUPTED

    with handle_signals(), _speaking(lang):
        try:
            if problems := _language_problems(lang):
                raise InputError(problems, "command line" if lang is not None else "environment")
            yield
        except InputError as exc:
            err.print("[bold red]" + _("invalid {what}").format(what=exc.what_shown()) + "[/]")
            err.print(exc.report(), markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_INVALID) from None
        except typer.Exit:
            _say_interrupted(_("what was finished before it is written"))
            raise
        except KeyboardInterrupt as exc:  # symbiosis.interrupt.Interrupted included
            stop = getattr(exc, "request", None) or requested()
            when = _(" by {stop}").format(stop=stop.describe()) if stop is not None else ""
            # a run's stages are named; other commands (map, compare ...) have none
            what = (
                _("no solution yet, nothing written")
                if stop and stop.stage
                else _("nothing written")
            )
            err.print("[bold red]" + _("interrupted") + f"[/]{when}: {what}", markup=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if os.environ.get("SYMBIOSIS_DEBUG"):
                raise
            err.print("[bold red]" + _("error:") + f"[/] {type(exc).__name__}: {exc}", markup=True)
            raise typer.Exit(EXIT_ERROR) from None
        _say_interrupted(_("what was found before it is written"))


def _say_interrupted(kept: str) -> None:
    """Print when and in which stage a stop came, if one did (see :func:`handled_errors`)."""
    from symbiosis.interrupt import requested

    stop = requested()
    if stop is not None:
        when = _(" by {stop}").format(stop=stop.describe())
        err.print("[bold yellow]" + _("interrupted") + f"[/]{when}: {kept}", markup=True)


def _report(outcome: RunOutcome, quiet: bool, as_json: bool) -> None:
    from symbiosis.case import names
    from symbiosis.display import print_table, summary_table
    from symbiosis.i18n import current_language
    from symbiosis.results import dump_json

    summary = outcome.results.summary
    if as_json:
        sys.stdout.write(dump_json(summary))
        return
    if not quiet:
        # in Chinese, things by their Chinese names (name_zh); in English, by their ids
        shown = None
        if current_language() == "zh" and outcome.case is not None:
            shown = names(outcome.case, "zh", fallback=False)
        print_table(err, summary_table(summary, shown))
        if outcome.out_dir is not None:
            err.print(_("run folder: {path}").format(path=outcome.out_dir))


@app.command(
    help=N_(
        "Solve scenario(s) and write each run folder (summary.json, flows.csv, ...).\n\n"
        "With several scenarios, every one is checked against its case before any is "
        "solved (exit 2 listing every problem); they are then solved one after another, "
        "each into its own folder, under one progress display."
    )
)
def run(
    scenarios: Annotated[list[Path], typer.Argument(help=N_("Scenario YAML file(s)."))],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=N_(
                "Run folder (one scenario) or parent folder (several). "
                "Default: runs/<scenario name>."
            ),
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help=N_("Seconds; overrides the scenario."))
    ] = None,
    gap: Annotated[
        float | None, typer.Option(help=N_("Relative MIP gap; overrides the scenario."))
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help=N_("HiGHS threads (0: HiGHS decides)."))
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=N_("Print nothing but errors."))
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print summary.json to stdout."))
    ] = False,
    no_reduce: Annotated[
        bool,
        typer.Option(
            "--no-reduce",
            help=N_(
                "Pass the model straight to HiGHS: no arc reductions, valid inequalities "
                "or warm start (to compare)."
            ),
        ),
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
    myopic: Annotated[
        bool,
        typer.Option(
            "--myopic",
            help=N_(
                "Solve a plan over years year by year, earlier builds fixed (the "
                "scenario's foresight: myopic; needs years). One scenario only."
            ),
        ),
    ] = False,
    lang: Lang = None,
) -> None:
    """Solve scenario(s) and write each run folder (summary.json, flows.csv, ...).

    With several scenarios, every one is checked against its case before any is solved (exit
    2 listing every problem); they are then solved one after another, each into its own
    folder, under one progress display."""
    from symbiosis.display import RichReporter
    from symbiosis.runner import SilentReporter

    options = RunOptions(
        solver=_solver_overrides(time_limit, gap, threads),
        reduce=False if no_reduce else None,
        overwrite=overwrite,
    )
    exit_code = 0
    with handled_errors(lang):
        if myopic and len(scenarios) > 1:
            raise InputError(
                [
                    Problem(
                        "command line",
                        _(
                            "--myopic takes one scenario; allowed: one scenario file, or write "
                            "'foresight: myopic' in each file"
                        ),
                    )
                ],
                "command line",
            )
        if len(scenarios) == 1:
            scenario = load_scenario(scenarios[0])
            if myopic:
                scenario = with_foresight(scenario, "myopic")
            target = out if out is not None else Path("runs") / scenario.name
            reporter = SilentReporter() if (quiet or as_json) else RichReporter(err)
            outcome = run_scenario(scenario, target, reporter, options)
            _report(outcome, quiet, as_json)
            exit_code = outcome.exit_code
        else:
            exit_code = _run_batch(scenarios, out, options, quiet, as_json)
    raise typer.Exit(exit_code)


def _run_batch(
    scenarios: list[Path], out: Path | None, options: RunOptions, quiet: bool, as_json: bool
) -> int:
    """``symbiosis run a.yaml b.yaml ...``: every scenario checked, then solved one after
    another under one display; the batch table (or, with --json, one array of the
    summaries of the runs that wrote a folder, printed even when a later run fails, so that
    stdout always parses); the highest exit code."""
    from symbiosis.batch import BatchOptions, SilentEvents, TaskResult, prepare_runs, run_prepared
    from symbiosis.display import BatchReporter, batch_table, print_table

    class Collect(SilentEvents):
        def __init__(self) -> None:
            self.summaries: list[dict[str, Any]] = []

        def task_done(self, result: TaskResult) -> None:
            if result.folder is not None:
                self.summaries.append(result.summary)

    prepared = prepare_runs(scenarios, out, overwrite=options.overwrite)
    batch = BatchOptions(serial=True, stop_on_error=True)
    if as_json:
        from symbiosis.results import dump_json

        collect = Collect()
        try:
            done = run_prepared(prepared, options, batch, collect)
        finally:
            sys.stdout.write(dump_json(collect.summaries))
        return done.exit_code
    if quiet:
        return run_prepared(prepared, options, batch).exit_code
    with BatchReporter(err) as display:
        done = run_prepared(prepared, options, batch, display)
    print_table(err, batch_table(done.results))
    return done.exit_code


@app.command(
    help=N_("Check a scenario and its case (or a case alone); list every problem, exit 2 if any.")
)
def validate(
    path: Annotated[Path, typer.Argument(help=N_("A scenario YAML file or a case folder."))],
    lang: Lang = None,
) -> None:
    """Check a scenario and its case (or a case alone); list every problem, exit 2 if any."""
    with handled_errors(lang):
        if path.suffix.lower() in (".yaml", ".yml"):
            scenario = load_scenario(path)
            case = load_case(scenario.case)
            if not scenario.overrides.is_empty():
                from symbiosis.overrides import apply_overrides

                case = apply_overrides(case, scenario.overrides, path.name)
            check_scenario_against_case(scenario, case)
        else:
            case = load_case(path)
        out.print(_validated(case))


def _validated(case: Any) -> str:
    """``ok: PATH - 3 streams, 4 sites, ...``: what ``validate`` found in a valid case."""
    candidates = int((case.facilities["status"] == "candidate").sum())
    counted = (
        (ngettext("{count} stream", "{count} streams", len(case.streams)), len(case.streams)),
        (ngettext("{count} site", "{count} sites", len(case.sites)), len(case.sites)),
        (ngettext("{count} supply row", "{count} supply rows", len(case.supply)), len(case.supply)),
        (
            ngettext("{count} facility", "{count} facilities", len(case.facilities)),
            len(case.facilities),
        ),
        (ngettext("{count} mode", "{count} modes", len(case.modes)), len(case.modes)),
    )
    shown = [text.format(count=count) for text, count in counted]
    shown[3] += ngettext(" ({count} candidate)", " ({count} candidates)", candidates).format(
        count=candidates
    )
    return _("ok: {path} - {counts}").format(path=case.path, counts=_(", ").join(shown))


@app.command(
    help=N_(
        "Solve a list or grid of variations of a scenario on dask (a LocalCluster by "
        "default, or a running cluster) and gather DIR/sweep.csv, DIR/points/<name>/ and "
        "a comparison report. Points already done are skipped on a re-run. Exit 0 when "
        "every point finished (solved or infeasible), 1 when any failed, 130 when Ctrl-C "
        "or SIGTERM stopped it with points not run (those finished are kept)."
    )
)
def sweep(
    scenario: Annotated[Path, typer.Argument(help=N_("The base scenario YAML."))],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=N_("Sweep folder. Default: runs/<scenario name>-sweep.")),
    ] = None,
    targets: Annotated[
        str | None,
        typer.Option(help=N_("target.total levels: START:STOP:STEP (ends included) or V1,V2,...")),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help=N_(
                "A grid dimension KEY=V1,V2,... over any scenario key, e.g. "
                "discount_rate=0.04,0.08 or overrides.scale.modes.cost_per_unit_km=0.8,1.2. "
                "Repeat for more dimensions."
            ),
        ),
    ] = None,
    scale: Annotated[
        list[str] | None,
        typer.Option(
            help=N_(
                "A cost-factor dimension TABLE.COLUMN=F1,F2,... (overrides.scale), e.g. "
                "modes.cost_per_unit_km=0.8,1,1.2. Repeat for more dimensions."
            ),
        ),
    ] = None,
    points: Annotated[
        Path | None,
        typer.Option(
            help=N_("YAML list of points: each a mapping of scenario keys, optional name.")
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help=N_("A running dask scheduler (tcp://host:port or a scheduler file).")),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help=N_("Local worker processes (default: one per core)."))
    ] = None,
    serial: Annotated[bool, typer.Option(help=N_("Solve in this process, without dask."))] = False,
    force: Annotated[bool, typer.Option(help=N_("Re-solve points already done."))] = False,
    retries: Annotated[int, typer.Option(help=N_("Retries of a point whose solve fails."))] = 1,
    time_limit: Annotated[
        float | None, typer.Option(help=N_("Seconds per point; overrides the scenario."))
    ] = None,
    gap: Annotated[
        float | None, typer.Option(help=N_("Relative MIP gap; overrides the scenario."))
    ] = None,
    threads: Annotated[int, typer.Option(help=N_("HiGHS threads per point."))] = 1,
    no_reduce: Annotated[
        bool,
        typer.Option(
            "--no-reduce", help=N_("No arc reductions, valid inequalities or warm start.")
        ),
    ] = False,
    report: Annotated[
        bool, typer.Option(help=N_("Write the comparison report DIR/report.html."))
    ] = True,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=N_("Print nothing but errors."))
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
    lang: Lang = None,
) -> None:
    """Solve a list or grid of variations of a scenario on dask (a LocalCluster by default,
    or a running cluster) and gather DIR/sweep.csv, DIR/points/<name>/ and a comparison
    report. Points already done are skipped on a re-run. Exit 0 when every point finished
    (solved or infeasible), 1 when any failed, 130 when Ctrl-C or SIGTERM stopped it with
    points not run (those finished are kept)."""
    from symbiosis.batch import BatchOptions, StudyOptions
    from symbiosis.display import SweepProgress
    from symbiosis.sweep import grid_points, load_points, parse_set, parse_values, run_sweep

    with handled_errors(lang):
        base = load_scenario(scenario)
        listed = load_points(points) if points is not None else []
        grid = grid_points(
            parse_values(targets) if targets else [],
            [parse_set(s) for s in set_ or []]
            + [parse_set(f"overrides.scale.{s}") for s in scale or []],
            listed,
        )
        target_dir = out if out is not None else Path("runs") / f"{base.name}-sweep"
        options = StudyOptions(
            run=RunOptions(
                solver=_solver_overrides(time_limit, gap, threads),
                reduce=False if no_reduce else None,
            ),
            batch=BatchOptions(
                serial=serial, scheduler=scheduler, workers=workers, retries=retries, force=force
            ),
            report=report,
            overwrite=overwrite,
        )
        where = "serial" if serial else (scheduler or "local cluster")
        with SweepProgress(err, len(grid), where, quiet) as progress:
            result = run_sweep(base, grid, target_dir, options, progress)
        if not quiet:
            _sweep_table(result.table)
            err.print(_("sweep table: {path}").format(path=result.csv))
            if result.report is not None:
                err.print(_("report: {path}").format(path=result.report))
    raise typer.Exit(result.exit_code)  # 130 if stopped with points not run


def _sweep_table(table: Any) -> None:
    from symbiosis.display import print_table, sweep_table

    print_table(err, sweep_table(table))


@app.command(
    help=N_(
        "Compare portfolios side by side: KPIs, the projects built in one and not in "
        "another, the largest changes in flows and, for two runs, what drives the cost "
        "difference."
    )
)
def compare(
    run_dirs: Annotated[
        list[Path], typer.Argument(help=N_("Run folders to compare; the first is the baseline."))
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help=N_("The report: a .xlsx, .html or .csv file."))
    ],
    top: Annotated[
        int, typer.Option(help=N_("How many of the largest flow changes to list."))
    ] = 20,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=N_("Print nothing but errors."))
    ] = False,
    lang: Lang = None,
) -> None:
    """Compare portfolios side by side: KPIs, the projects built in one and not in another,
    the largest changes in flows and, for two runs, what drives the cost difference."""
    from symbiosis.compare import compare_runs
    from symbiosis.report import write_report

    with handled_errors(lang):
        comparison = compare_runs(run_dirs, top_flows=top)
        written = write_report(comparison, out)
        if not quiet:
            for sentence in comparison.explanation:
                err.print(f"  {sentence}", markup=False, highlight=False)
            err.print(_("report: {path}").format(path=", ".join(str(p) for p in written)))


def _solver_overrides(
    time_limit: float | None, gap: float | None, threads: int | None
) -> dict[str, Any]:
    return {"time_limit": time_limit, "mip_rel_gap": gap, "threads": threads}


def _study_options(
    time_limit: float | None, gap: float | None, threads: int | None, overwrite: bool
) -> Any:
    """The StudyOptions of ``curve`` and ``pareto``: points solved one after another in this
    process, an error raised at once (as a single run would)."""
    from symbiosis.batch import BatchOptions, StudyOptions

    return StudyOptions(
        run=RunOptions(solver=_solver_overrides(time_limit, gap, threads)),
        batch=BatchOptions(serial=True, stop_on_error=True),
        overwrite=overwrite,
    )


def _batch_display(noun: str, quiet: bool) -> Any:
    """A context giving the batch display on stderr (None with --quiet)."""
    from contextlib import nullcontext

    from symbiosis.display import BatchReporter

    return nullcontext() if quiet else BatchReporter(err, noun)


def _frame_table(title: str, frame: Any, columns: dict[str, str]) -> None:
    """Print some columns of a DataFrame (column -> format: money, tonnes, price, text)."""
    from symbiosis.display import frame_table, print_table

    print_table(err, frame_table(title, frame, columns))


@app.command(
    help=N_(
        "Target-cost curve: solve at each total-target level; write DIR/curve.csv (cost, "
        "marginal cost of the last step in CNY/t, projects built), each level's run "
        "folder under DIR/points/, DIR/curve.png and DIR/curve.html."
    )
)
def curve(
    scenario: Annotated[Path, typer.Argument(help=N_("The scenario YAML."))],
    targets: Annotated[
        str,
        typer.Option(
            "--targets",
            help=N_(
                "Total-target levels in t/yr: START:STOP:STEP (both ends included), e.g. "
                "60e6:100e6:5e6, or a list V1,V2,..."
            ),
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=N_("Curve folder. Default: runs/<scenario name>-curve.")),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help=N_("Seconds per solve; overrides the scenario."))
    ] = None,
    gap: Annotated[
        float | None, typer.Option(help=N_("Relative MIP gap; overrides the scenario."))
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help=N_("HiGHS threads (0: HiGHS decides)."))
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=N_("Print nothing but errors."))
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
    lang: Lang = None,
) -> None:
    """Target-cost curve: solve at each total-target level; write DIR/curve.csv (cost,
    marginal cost of the last step in CNY/t, projects built), each level's run folder under
    DIR/points/, DIR/curve.png and DIR/curve.html."""
    from symbiosis.batch import load_base
    from symbiosis.curve import parse_levels, target_curve

    with handled_errors(lang):
        levels = parse_levels(targets)
        base, case = load_base(scenario)
        folder = out if out is not None else Path("runs") / f"{base.name}-curve"
        options = _study_options(time_limit, gap, threads, overwrite)
        with _batch_display("point", quiet) as display:
            result = target_curve(base, levels, folder, options, display, case)
        if not quiet:
            _frame_table(
                _("target-cost curve: {name}").format(name=base.name),
                result.table,
                {
                    "target_t": "tonnes",
                    "status": "text",
                    "objective": "money",
                    "marginal_cost_cny_per_t": "price",
                    "shadow_price_cny_per_t": "price",
                    "added": "text",
                    "built": "text",
                },
            )
            written = f"{result.csv}" + (f", {result.html}" if result.html else "")
            err.print(_("curve: {path}").format(path=written))
    raise typer.Exit(result.exit_code)


@app.command(
    help=N_(
        "Cost-CO2 trade-off by the epsilon-constraint method: the cheapest portfolio for "
        "each minimum of CO2 avoided between the scenario's optimum and the most CO2 that "
        "can be avoided; write DIR/pareto.csv, each point's run folder, DIR/pareto.png "
        "and .html."
    )
)
def pareto(
    scenario: Annotated[Path, typer.Argument(help=N_("The scenario YAML."))],
    points: Annotated[
        int, typer.Option("--points", "-n", help=N_("Portfolios on the front, ends included."))
    ] = 8,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=N_("Front folder. Default: runs/<scenario name>-pareto.")),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help=N_("Seconds per solve; overrides the scenario."))
    ] = None,
    gap: Annotated[
        float | None, typer.Option(help=N_("Relative MIP gap; overrides the scenario."))
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help=N_("HiGHS threads (0: HiGHS decides)."))
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=N_("Print nothing but errors."))
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
    lang: Lang = None,
) -> None:
    """Cost-CO2 trade-off by the epsilon-constraint method: the cheapest portfolio for each
    minimum of CO2 avoided between the scenario's optimum and the most CO2 that can be
    avoided; write DIR/pareto.csv, each point's run folder, DIR/pareto.png and .html."""
    from symbiosis.batch import load_base
    from symbiosis.pareto import pareto_front

    with handled_errors(lang):
        base, case = load_base(scenario)
        folder = out if out is not None else Path("runs") / f"{base.name}-pareto"
        options = _study_options(time_limit, gap, threads, overwrite)
        with _batch_display("solve", quiet) as display:
            result = pareto_front(base, points, folder, options, display, case)
        if not quiet:
            _frame_table(
                _("cost-CO2 front: {name}").format(name=base.name),
                result.table,
                {
                    "point": "text",
                    "epsilon_t": "money",
                    "co2_avoided_t": "money",
                    "objective": "money",
                    "status": "text",
                    "on_front": "text",
                    "built": "text",
                },
            )
            if result.csv is not None:
                written = f"{result.csv}" + (f", {result.html}" if result.html else "")
                err.print(_("front: {path}").format(path=written))
    raise typer.Exit(result.exit_code)


@app.command(
    name="map",
    help=N_(
        "Export a run as maps for GIS teams: GeoPackage (styled for QGIS), GeoJSON, "
        "Shapefile, KML, an offline interactive HTML map or a print-ready PNG. A "
        "multi-year run is mapped one year at a time (--year)."
    ),
)
def map_(
    run_dir: Annotated[Path, typer.Argument(help=N_("A run folder written by `symbiosis run`."))],
    output: Annotated[
        str,  # not a Path: a postgresql:// URL must keep its "//"
        typer.Option(
            "--out",
            "-o",
            help=N_(
                "Output: .gpkg, .geojson (a folder), .shp (a folder), .kml, .html, .png, "
                "or PostGIS tables: postgresql://user@host:5432/db?schema=NAME (password from "
                "the URL, PGPASSWORD or ~/.pgpass; never shown)."
            ),
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=N_("gpkg, geojson, shp, kml, html, png or postgis (default: from --out)."),
        ),
    ] = None,
    layers: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "Comma-separated layers: province, prefecture_seats, parks, "
                "links_candidate, flows, sites, facilities, prefecture_summary."
            )
        ),
    ] = None,
    case: Annotated[
        Path | None,
        typer.Option("--case", help=N_("The case (folder or .gpkg); default: the run's manifest.")),
    ] = None,
    basemap: Annotated[
        Path | None,
        typer.Option(
            "--basemap", help=N_("Folder with the basemap GeoJSON files (default maps/).")
        ),
    ] = None,
    routes: Annotated[
        Path | None,
        typer.Option("--routes", help=N_("Route lines (from_site, to_site[, mode]) to draw.")),
    ] = None,
    size: Annotated[str, typer.Option(help=N_("PNG sheet: A4 or A3 (landscape)."))] = "A4",
    title: Annotated[
        str | None, typer.Option(help=N_("Title instead of the scenario name."))
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help=N_(
                "A multi-year run: the year to map (its flows, the facilities active then); "
                "default: the last year of the horizon."
            ),
        ),
    ] = None,
    open_: Annotated[
        bool, typer.Option("--open", help=N_("Open the result (HTML: in the web browser)."))
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
    lang: Lang = None,
) -> None:
    """Export a run as maps for GIS teams: GeoPackage (styled for QGIS), GeoJSON, Shapefile,
    KML, an offline interactive HTML map or a print-ready PNG. A multi-year run is mapped
    one year at a time (--year)."""
    with handled_errors(lang):
        from symbiosis.maps import MapOptions, export_map

        options = MapOptions(
            layers=layers,
            case=case,
            basemap_dir=basemap,
            routes=routes,
            size=size,
            title=title,
            overwrite=overwrite,
            year=year,
        )
        result = export_map(run_dir, output, fmt, options)
        for note in result.data.warnings:
            err.print("[yellow]" + _("warning:") + f"[/] {note}")
        if result.skipped:
            err.print(
                "[yellow]"
                + _("no data for layer(s):")
                + "[/] "
                + ", ".join(result.skipped)
                + _(" (no parks.geojson in the case, or no basemap)")
            )
        out.print(f"{result.format}: {result.target} ({', '.join(result.layers)})")
        if open_ and result.format != "postgis":
            import webbrowser

            webbrowser.open(result.path.resolve().as_uri())


case_app = typer.Typer(
    help=N_("Work with case data (export to a GeoPackage or a CSV folder)."),
    no_args_is_help=True,
)
app.add_typer(case_app, name="case")


@case_app.command(
    "export",
    help=N_(
        "Write a case as a GeoPackage (sites and parks as layers, tables as attribute "
        "tables) or as a folder of CSV files."
    ),
)
def case_export(
    case: Annotated[Path, typer.Argument(help=N_("A case folder or .gpkg."))],
    output: Annotated[
        Path, typer.Option("--out", "-o", help=N_("case.gpkg (GeoPackage) or a folder (CSV)."))
    ],
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
    lang: Lang = None,
) -> None:
    """Write a case as a GeoPackage (sites and parks as layers, tables as attribute tables)
    or as a folder of CSV files."""
    with handled_errors(lang):
        from symbiosis.maps.case_export import export_case

        loaded = load_case(case)
        written = export_case(loaded, output, overwrite=overwrite)
        sites = ngettext("{count} site", "{count} sites", len(loaded.sites))
        facilities = ngettext("{count} facility", "{count} facilities", len(loaded.facilities))
        counts = _(", ").join(
            [sites.format(count=len(loaded.sites)), facilities.format(count=len(loaded.facilities))]
        )
        out.print(_("case: {path} ({counts})").format(path=written, counts=counts))


@app.command(
    help=N_("Write a random but reproducible case in Guizhou (for benchmarks and scale tests).")
)
def generate(
    out_dir: Annotated[
        Path, typer.Argument(help=N_("Folder to write case/ and scenario.yaml into."))
    ],
    sources: Annotated[int, typer.Option(min=1, help=N_("Source sites."))] = 300,
    facilities: Annotated[
        int | None, typer.Option(min=1, help=N_("Facilities (default 0.53 x sources)."))
    ] = None,
    candidates: Annotated[
        int | None, typer.Option(min=0, help=N_("Candidates among them (default 60%)."))
    ] = None,
    arcs: Annotated[
        int | None,
        typer.Option(
            min=100, help=N_("Aim at about this many arcs (chooses sources, facilities).")
        ),
    ] = None,
    streams: Annotated[int, typer.Option(min=1, max=50, help=N_("Solid streams."))] = 5,
    target_share: Annotated[
        float, typer.Option(min=0.01, max=1.0, help=N_("Target as a share of what can be taken."))
    ] = 0.8,
    seed: Annotated[int, typer.Option(help=N_("Random seed (same seed, same case)."))] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
    lang: Lang = None,
) -> None:
    """Write a random but reproducible case in Guizhou (for benchmarks and scale tests)."""
    with handled_errors(lang):
        from symbiosis.generate import generate_case, sizes_for_arcs

        if arcs is not None:
            sources, facilities = sizes_for_arcs(arcs, seed=seed, streams=streams)
        gen = generate_case(
            out_dir,
            sources,
            facilities,
            candidates,
            seed=seed,
            streams=streams,
            target_share=target_share,
            overwrite=overwrite,
        )
        out.print(_("case: {path}").format(path=gen.path))
        out.print(_("scenario: {path}").format(path=gen.scenario))
        out.print(gen.describe())


@app.command(
    help=N_(
        "Serve the web app and its REST API (OpenAPI at /docs): scenarios run as jobs in "
        "worker processes, their run folders under --data/runs. Needs the 'web' extra."
    )
)
def serve(
    host: Annotated[
        str,
        typer.Option(
            help=N_("Address to listen on; beyond loopback a token is required (--token).")
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=N_("TCP port."))] = 8000,
    data: Annotated[
        Path, typer.Option("--data", help=N_("Folder for the job table and the run folders."))
    ] = Path("runs"),
    workers: Annotated[
        int | None,
        typer.Option(help=N_("Worker processes that run the jobs (default: one per core).")),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "Bearer token every API call must carry (default: $SYMBIOSIS_TOKEN; none "
                "on loopback without one)."
            )
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help=N_(
                "Keep the jobs in PostgreSQL for a shared server: "
                "postgresql://user@host:5432/db[?schema=NAME] (default: $SYMBIOSIS_DATABASE, "
                "else jobs.sqlite in --data; password from the URL, PGPASSWORD or ~/.pgpass; "
                "never shown)."
            ),
        ),
    ] = None,
    max_queued: Annotated[
        int,
        typer.Option("--max-queued", help=N_("Runs waiting at most; more are refused (HTTP 429).")),
    ] = 100,
    lang: Lang = None,
) -> None:
    """Serve the web app and its REST API (OpenAPI at /docs): scenarios run as jobs in
    worker processes, their run folders under --data/runs. Needs the 'web' extra."""
    with handled_errors(lang):
        try:
            from symbiosis.web import ServeOptions, prepare, run_server
        except ImportError as exc:  # fastapi or uvicorn missing
            raise InputError(
                [Problem("installation", f"{exc}; install it with: pip install 'symbiosis[web]'")],
                "installation",
            ) from None
        server = prepare(ServeOptions(host, port, data, workers, token, database, max_queued))
    # Ctrl-C and SIGTERM stop the server (uvicorn's own handling), which then ends normally
    run_server(server)


def main() -> None:
    """Entry point of the ``symbiosis`` script."""
    app()


def command(func: Callable[..., T]) -> Callable[..., T]:
    """Register a further sub-command (used by the optional modules).

    Parameters
    ----------
    func : callable
        The command function (Typer reads its parameters as options).

    Returns
    -------
    callable
        ``func``, registered on the ``symbiosis`` app.
    """
    return app.command()(func)


__all__ = ["app", "command", "handled_errors", "json", "main"]
