"""The ``symbiosis`` command: a thin Typer shell over the library.

Exit codes: 0 solved (a solution written), 1 anything else, 2 invalid input (every problem
named, no traceback), 3 infeasible (the diagnosis written).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from symbiosis.case import InputError, load_case
from symbiosis.runner import EXIT_ERROR, EXIT_INVALID, RunOutcome, run_scenario
from symbiosis.scenario import check_scenario_against_case, load_scenario

app = typer.Typer(
    name="symbiosis",
    help="Optimise industrial-symbiosis networks: which waste exchanges to open and which "
    "utilisation projects to build, at the lowest total annual cost.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

T = TypeVar("T")


@contextmanager
def handled_errors() -> Iterator[None]:
    """Turn invalid input into exit 2 with its report, and anything unexpected into exit 1
    with a one-line message (no traceback; set SYMBIOSIS_DEBUG=1 to see one)."""
    import os

    try:
        yield
    except InputError as exc:
        err.print(f"[bold red]invalid {exc.what}[/]")
        err.print(exc.report(), markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        raise typer.Exit(EXIT_ERROR) from None
    except Exception as exc:
        if os.environ.get("SYMBIOSIS_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {exc}", markup=True)
        raise typer.Exit(EXIT_ERROR) from None


def _report(outcome: RunOutcome, quiet: bool, as_json: bool) -> None:
    from symbiosis.display import summary_table
    from symbiosis.results import dump_json

    summary = outcome.results.summary
    if as_json:
        sys.stdout.write(dump_json(summary))
        return
    if not quiet:
        err.print(summary_table(summary))
        if outcome.out_dir is not None:
            err.print(f"run folder: {outcome.out_dir}")


@app.command()
def run(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML file(s).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Run folder (one scenario) or parent folder (several). "
            "Default: runs/<scenario name>.",
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds; overrides the scenario.")
    ] = None,
    gap: Annotated[
        float | None, typer.Option(help="Relative MIP gap; overrides the scenario.")
    ] = None,
    threads: Annotated[int | None, typer.Option(help="HiGHS threads (0: HiGHS decides).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Solve scenario(s) and write each run folder (summary.json, flows.csv, ...)."""
    from symbiosis.display import RichReporter
    from symbiosis.runner import SilentReporter

    overrides: dict[str, Any] = {"time_limit": time_limit, "mip_rel_gap": gap, "threads": threads}
    exit_code = 0
    with handled_errors():
        loaded = [load_scenario(path) for path in scenarios]
        for scenario in loaded:
            if out is None:
                target = Path("runs") / scenario.name
            elif len(loaded) == 1:
                target = out
            else:
                target = out / scenario.name
            label = scenario.name if len(loaded) > 1 else ""
            reporter = SilentReporter() if (quiet or as_json) else RichReporter(err, label)
            outcome = run_scenario(scenario, target, reporter, overrides)
            _report(outcome, quiet, as_json)
            exit_code = max(exit_code, outcome.exit_code)
    raise typer.Exit(exit_code)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A scenario YAML file or a case folder.")],
) -> None:
    """Check a scenario and its case (or a case alone); list every problem, exit 2 if any."""
    with handled_errors():
        if path.suffix.lower() in (".yaml", ".yml"):
            scenario = load_scenario(path)
            case = load_case(scenario.case)
            check_scenario_against_case(scenario, case)
        else:
            case = load_case(path)
        out.print(
            f"ok: {case.path} - {len(case.streams)} streams, {len(case.sites)} sites, "
            f"{len(case.supply)} supply rows, {len(case.facilities)} facilities "
            f"({int((case.facilities['status'] == 'candidate').sum())} candidates), "
            f"{len(case.modes)} modes"
        )


def main() -> None:
    """Entry point of the ``symbiosis`` script."""
    app()


def command(func: Callable[..., T]) -> Callable[..., T]:
    """Register a further sub-command (used by the optional modules)."""
    return app.command()(func)


__all__ = ["app", "command", "handled_errors", "json", "main"]
