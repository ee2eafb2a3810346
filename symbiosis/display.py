"""Terminal display with rich: stages with timings, the solver's incumbent and gap while it
runs, and a summary table at the end. Used by the command line; the library never prints.

Every label is in the language of the command (:mod:`symbiosis.i18n`, ``--lang``); ids,
numbers and units' symbols (t, Mt, MWh) are shown as they are.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Column, Table
from rich.text import Text

from symbiosis import units
from symbiosis.i18n import N_, ngettext, shown
from symbiosis.i18n import gettext as _
from symbiosis.results import RUN_STATUSES
from symbiosis.solve.highs import Progress

if TYPE_CHECKING:
    from symbiosis.batch import RunTask, TaskResult

#: A text cell up to this many cells wide stays on one line; a longer one wraps at spaces,
#: and a longer word (a path) is folded onto the next line, never cut.
TEXT_WIDTH = 24
#: A shortfall below this (units) is solver noise, not a shortfall.
SHORTFALL_TOLERANCE = 1e-6

ColumnKind = Literal["number", "text"]

#: Words the display translates where they are shown: the run's stages (as the runner names
#: them), the solver's statuses, a plan's foresight, the parts of the cost (summary.json's
#: keys: shown as they are in English, as words in other languages) and the columns of the
#: curve and front tables. Anything else is shown as it is.
WORDS: frozenset[str] = frozenset(
    (
        # stages
        N_("read"),
        N_("network"),
        N_("model data"),
        N_("reduce"),
        N_("build model"),
        N_("warm start"),
        N_("solve"),
        N_("results"),
        N_("shadow price"),
        N_("diagnose"),
        N_("write"),
        # statuses
        *RUN_STATUSES,
        # foresight
        N_("perfect"),
        N_("myopic"),
        # cost parts
        N_("capex_annualised"),
        N_("fixed_opex"),
        N_("transport"),
        N_("links"),
        N_("processing"),
        N_("disposal"),
        N_("env_tax"),
        N_("stock_left"),
        # curve, front and sweep columns
        N_("name"),
        N_("target"),
        N_("mip_gap"),
        N_("target_t"),
        N_("status"),
        N_("objective"),
        N_("marginal_cost_cny_per_t"),
        N_("shadow_price_cny_per_t"),
        N_("added"),
        N_("built"),
        N_("point"),
        N_("epsilon_t"),
        N_("co2_avoided_t"),
        N_("on_front"),
        # what a batch calls a run, where a sweep runs
        N_("scenario"),
        N_("sweep"),
        N_("serial"),
        N_("local cluster"),
    )
)


def word(name: str) -> str:
    """A stage, status, foresight, cost part or table column in the current language.

    Parameters
    ----------
    name : str
        As the runner or summary.json names it (``build model``, ``optimal``,
        ``capex_annualised``).

    Returns
    -------
    str
        Its translation when it is one of :data:`WORDS`, else ``name`` as it is.
    """
    return _(name) if name in WORDS else name


def padded(label: str, width: int) -> str:
    """``label`` padded with spaces to ``width`` terminal cells (a Chinese character takes
    two), for the columns of the stage lines.

    Parameters
    ----------
    label : str
        The text.
    width : int
        The cells it should fill (nothing is cut from a longer label).

    Returns
    -------
    str
    """
    return label + " " * max(0, width - cell_len(label))


def money(value: float | None) -> str:
    """``1,234,567`` (no decimals), or ``-`` for no value.

    Parameters
    ----------
    value : float or None
        An amount of money (CNY) or any count.

    Returns
    -------
    str
    """
    return units.money(value)


def tonnes(value: float | None) -> str:
    """``12.345 Mt`` from 100,000 t up, ``1,234 t`` below, ``-`` for no value.

    Parameters
    ----------
    value : float or None
        Tonnes.

    Returns
    -------
    str
    """
    return units.amount(value, "t")


def print_table(console: Console, table: RenderableType) -> None:
    """Print ``table`` whole: lines wider than the console (numbers are never cut, so a table
    may need more room than a narrow terminal has) are printed in full, not cropped.

    Parameters
    ----------
    console : Console
        Where to print (a terminal, or a pipe).
    table : RenderableType
        Usually one of the tables built here.
    """
    if isinstance(table, Table) and table.width is None:
        least = least_width(table)
        if least > console.width:
            # rich would shrink columns below their minimum width (to nothing) to fit the
            # console: give the table the room it needs instead, and print it uncropped.
            table = copy.copy(table)
            table.width = least
    console.print(table, crop=False)


def progress_columns(total: int) -> tuple[ProgressColumn, ...]:
    """The columns of a progress bar whose counts and time are never cut: the description
    folds onto more lines and the bar shrinks when the console is narrow.

    Parameters
    ----------
    total : int
        The number of steps (sets the width of the ``done/total`` count).

    Returns
    -------
    tuple of ProgressColumn
        For :class:`rich.progress.Progress`.
    """
    digits = len(str(max(int(total), 1)))
    return (
        TextColumn(
            "[progress.description]{task.description}", table_column=Column(overflow="fold")
        ),
        BarColumn(),
        MofNCompleteColumn(table_column=Column(no_wrap=True, min_width=2 * digits + 1)),
        TimeElapsedColumn(table_column=Column(no_wrap=True, min_width=7)),
    )


def least_width(table: Table) -> int:
    """The narrowest ``table`` can be without going below any column's ``min_width``:
    the columns' minimum widths, their padding and the borders.

    Parameters
    ----------
    table : Table

    Returns
    -------
    int
    """
    columns = table.columns
    left, right = table.padding[3], table.padding[1]
    padding = len(columns) * (left + right)
    if not table.pad_edge and columns:
        padding -= left + right
    borders = 0
    if table.box is not None:
        borders = len(columns) - 1 + (2 if table.show_edge else 0)
    return sum(column.min_width or 1 for column in columns) + padding + borders


def _text_width(header: str, cells: Sequence[str]) -> int:
    """The minimum width of a text column: its widest cell, at most :data:`TEXT_WIDTH`, and
    at least its header's widest word."""
    widest = max((cell_len(cell) for cell in cells), default=1)
    word = max((cell_len(w) for w in header.split()), default=1)
    return max(min(TEXT_WIDTH, widest), min(TEXT_WIDTH, word))


def fitted_table(
    title: str,
    columns: Sequence[tuple[str, ColumnKind]],
    rows: Sequence[Sequence[str]],
    **options: Any,
) -> Table:
    """A rich table that never cuts a number, however narrow the console.

    A ``number`` column is right-aligned, never wrapped, and at least as wide as its widest
    cell and header line; a ``text`` column keeps cells of up to :data:`TEXT_WIDTH` cells on
    one line, wraps longer ones at spaces and folds a longer word onto the next line. Nothing
    is ever shortened with an ellipsis. Print it with :func:`print_table`.

    Parameters
    ----------
    title : str
        The table's title.
    columns : sequence of (header, kind)
        Kind ``"number"`` or ``"text"``; a header may hold line breaks.
    rows : sequence of sequences of str
        One cell per column.
    **options
        Further arguments of :class:`rich.table.Table`.

    Returns
    -------
    Table
    """
    table = Table(title=title, **options)
    for index, (header, kind) in enumerate(columns):
        cells = [str(row[index]) for row in rows]
        if kind == "number":
            widest = max(cell_len(line) for text in [header, *cells] for line in text.split("\n"))
            table.add_column(
                header, justify="right", no_wrap=True, overflow="fold", min_width=widest
            )
        else:
            width = _text_width(header, cells)
            table.add_column(header, justify="left", overflow="fold", min_width=width)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def shortfall_t(summary: dict[str, Any]) -> float:
    """The shortfall of a run's targets, summed (0 when every target is met).

    Parameters
    ----------
    summary : dict
        A summary.json.

    Returns
    -------
    float
    """
    total = sum(float(t.get("shortfall") or 0.0) for t in summary.get("targets") or [])
    return total if total > SHORTFALL_TOLERANCE else 0.0


def status_text(summary: dict[str, Any]) -> str:
    """The status, with the shortfall of soft targets: ``optimal (short 0.200 Mt)``.

    Parameters
    ----------
    summary : dict
        A summary.json.

    Returns
    -------
    str
    """
    status = word(str(summary.get("status")))
    short = shortfall_t(summary)
    return (
        _("{status} (short {amount})").format(status=status, amount=tonnes(short))
        if short
        else status
    )


class RichReporter:
    """Shows each stage as it finishes and a live solver line while HiGHS runs."""

    def __init__(self, console: Console | None = None, label: str = ""):
        self.console = console or Console(stderr=True)
        self.label = f"[{label}] " if label else ""
        self._live: Live | None = None
        self._started = 0.0

    def stage_started(self, name: str) -> None:
        """Note that stage ``name`` began; for ``solve`` on a terminal, start the live line.

        Parameters
        ----------
        name : str
            The stage (``read``, ``network``, ..., ``solve``, ``write``).
        """
        self._started = time.perf_counter()
        if name == "solve" and self.console.is_terminal:
            self._live = Live(
                Text(self.label + _("solve: starting HiGHS ...")),
                console=self.console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        """Print ``✓ name  seconds s  detail`` (and close the live solver line).

        Parameters
        ----------
        name : str
            The stage.
        seconds : float
            How long it took.
        detail : str
            What it found (arcs, binaries, the solver's status and gap ...).
        """
        if self._live is not None:
            self._live.stop()
            self._live = None
        suffix = f"  {detail}" if detail else ""
        label = padded(word(name), 12)
        self.console.print(f"{self.label}[green]✓[/] {label} {seconds:8.2f} s{suffix}")

    def solver_progress(self, progress: Progress) -> None:
        """Update the live solver line: seconds, incumbent, bound, gap, nodes.

        Parameters
        ----------
        progress : Progress
            What HiGHS last reported.
        """
        line = self.label + solver_line(progress, with_nodes=True)
        if self._live is not None:
            self._live.update(Text(line))


def solver_line(progress: Progress, with_nodes: bool = False) -> str:
    """The live solver line: seconds, incumbent, bound, gap (and nodes).

    Parameters
    ----------
    progress : Progress
        What HiGHS last reported.
    with_nodes : bool
        Show the nodes explored too.

    Returns
    -------
    str
        ``solve:   12.3 s  incumbent 1,234  bound 1,200  gap 2.76%  nodes 57``, in the
        current language.
    """
    line = _("solve: {seconds} s  incumbent {incumbent}  bound {bound}").format(
        seconds=f"{progress.elapsed:6.1f}",
        incumbent=money(progress.incumbent),
        bound=money(progress.bound),
    )
    if progress.gap is not None:
        line += _("  gap {gap}").format(gap=f"{progress.gap:.2%}")
    if with_nodes and progress.nodes is not None:
        line += _("  nodes {nodes}").format(nodes=progress.nodes)
    return line


def run_detail(summary: dict[str, Any]) -> str:
    """A run's answer in one line: cost (and penalty) and the projects built.

    Parameters
    ----------
    summary : dict
        A summary.json.

    Returns
    -------
    str
        ``"1,234,567 CNY/yr, built 2 (P1, P2)"``; "" for a run without a solution.
    """
    if summary.get("objective") is None:
        return ""
    built = summary.get("built") or []
    penalty = summary.get("shortfall_penalty")
    cost = _("{amount} CNY/yr").format(amount=money(summary["objective"]))
    if penalty:
        cost += _(" + penalty {amount}").format(amount=money(penalty))
    text = _("{cost}, built {count}").format(cost=cost, count=len(built))
    return text + (f" ({', '.join(built[:6])}{', ...' if len(built) > 6 else ''})" if built else "")


class BatchReporter:
    """One progress display across the runs of a batch (:mod:`symbiosis.batch`): an overall
    line ("scenario 2/5: name", a bar, runs done, time) with the live solver line under it,
    and each run's stages printed above as they finish. Implements
    :class:`~symbiosis.batch.BatchEvents`.

    Parameters
    ----------
    console : Console
        Where to show it.
    noun : str
        What a run is called on the overall line (``scenario``, ``point``, ``solve``).

    Use as a context manager around the plan; the plan announces the number of runs
    (:meth:`batch_started`), the engine each run.
    """

    def __init__(self, console: Console, noun: str = "scenario"):
        self.console = console
        self.noun = noun
        self.total = 0
        self.index = 0
        self.name = ""
        self._progress: RichProgress | None = None
        self._task: Any = None
        self._solver = Text("")
        self._live: Live | None = None

    def __enter__(self) -> BatchReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def batch_started(self, total: int, done: int) -> None:
        """Show the overall line.

        Parameters
        ----------
        total : int
            Runs in the batch.
        done : int
            Runs already done.
        """
        self.total, self.index = total, done
        self._progress = RichProgress(*progress_columns(total), console=self.console)
        self._task = self._progress.add_task("", total=total, completed=done)
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self.console.is_terminal:
            self._live = Live(
                Group(self._progress, self._solver),
                console=self.console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()

    def task_started(self, task: RunTask) -> None:
        """Announce the next run.

        Parameters
        ----------
        task : RunTask
            The run (its label is shown).
        """
        if self._progress is None:
            self.batch_started(0, 0)
        self.index += 1
        self.name = task.title
        title = _("{noun} {index}/{total}: {name}").format(
            noun=word(self.noun), index=self.index, total=self.total, name=self.name
        )
        if self._progress is not None:
            self._progress.update(self._task, description=title)
        self.console.print(f"[bold]{title}[/]")

    def task_done(self, result: TaskResult) -> None:
        """Show how a run ended: status and cost, or why it has no folder.

        Parameters
        ----------
        result : TaskResult
            The run's result (a run not announced, solved on Dask, is announced here).
        """
        if result.task.title != self.name:
            self.task_started(result.task)
        if self._progress is not None:
            self._progress.advance(self._task)
        self._solver.plain = ""
        self.name = ""
        summary = result.summary
        if not result.finished:
            status, detail = word(result.status), _("nothing written")
        elif result.error:
            status, detail = word(result.status), result.error.strip().splitlines()[-1]
        else:
            status, detail = status_text(summary), run_detail(summary)
        self.console.print(f"  → {status}{('  ' + detail) if detail else ''}", markup=False)

    def note(self, text: str) -> None:
        """Print a note of the plan between runs.

        Parameters
        ----------
        text : str
            The note.
        """
        self.console.print(f"[bold]{text}[/]")

    def stage_started(self, name: str) -> None:
        """Show that HiGHS is starting (other stages are shown when they finish).

        Parameters
        ----------
        name : str
            The stage.
        """
        if name == "solve":
            self._solver.plain = "  " + _("solve: starting HiGHS ...")

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        """Print a stage with its time.

        Parameters
        ----------
        name : str
            The stage.
        seconds : float
            Its wall time.
        detail : str
            What it found.
        """
        if name == "solve":
            self._solver.plain = ""
        suffix = f"  {detail}" if detail else ""
        label = padded(word(name), 12)
        self.console.print(f"  [green]✓[/] {label} {seconds:8.2f} s{suffix}")

    def solver_progress(self, progress: Progress) -> None:
        """Update the live solver line.

        Parameters
        ----------
        progress : Progress
            HiGHS's incumbent, bound and gap.
        """
        self._solver.plain = "  " + solver_line(progress)


class SweepProgress:
    """A sweep's progress bar: points done of all, the last point's name and status (a
    point's stages are not shown). Implements :class:`~symbiosis.batch.BatchEvents`.

    Parameters
    ----------
    console : Console
        Where to show it.
    total : int
        Points in the sweep, as far as known before it starts.
    where : str
        Where the points are solved (``serial``, ``local cluster``, a scheduler address).
    quiet : bool
        Show nothing.

    Use as a context manager around :func:`symbiosis.sweep.run_sweep`.
    """

    def __init__(self, console: Console, total: int, where: str, quiet: bool = False):
        self.where = where
        self.quiet = quiet
        self.done = 0
        self.progress = RichProgress(*progress_columns(total), console=console, disable=quiet)
        self._task = self.progress.add_task(word("sweep"), total=total)

    def __enter__(self) -> SweepProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def batch_started(self, total: int, done: int) -> None:
        """Set the number of points and say how many an earlier sweep already solved.

        Parameters
        ----------
        total : int
            Points in the sweep.
        done : int
            Points already done (kept).
        """
        description = _("sweep ({where})").format(where=word(self.where))
        self.progress.update(self._task, total=total, description=description)
        if done and not self.quiet:
            already = ngettext(
                "{count} point already done, skipped", "{count} points already done, skipped", done
            )
            self.progress.console.print(already.format(count=done))

    def task_started(self, task: RunTask) -> None:
        """Nothing to show when a point starts.

        Parameters
        ----------
        task : RunTask
            The point.
        """

    def task_done(self, result: TaskResult) -> None:
        """Advance the bar.

        Parameters
        ----------
        result : TaskResult
            The point's result.
        """
        self.done += 1
        description = f"{result.task.name}: {word(result.status)}"
        self.progress.update(self._task, completed=self.done, description=description)

    def note(self, text: str) -> None:
        """Print a note of the sweep.

        Parameters
        ----------
        text : str
            The note.
        """
        if not self.quiet:
            self.progress.console.print(text)

    def stage_started(self, name: str) -> None:
        """Nothing to show for a point's stage.

        Parameters
        ----------
        name : str
            The stage.
        """

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        """Nothing to show for a point's stage.

        Parameters
        ----------
        name : str
            The stage.
        seconds : float
            Its wall time.
        detail : str
            What it found.
        """

    def solver_progress(self, progress: Progress) -> None:
        """Nothing to show of a point's solve.

        Parameters
        ----------
        progress : Progress
            HiGHS's incumbent, bound and gap.
        """


def summary_table(summary: dict[str, Any], names: dict[str, dict[str, str]] | None = None) -> Table:
    """The end-of-run table: status, cost (and, for soft targets, the penalty paid and the
    cost with it), gap, delivered, CO2, cost parts, projects built, each target and its
    shortfall, the diagnosis of an infeasible run and the run's notes. No number is ever
    cut and no name shortened (print it with :func:`print_table`).

    Parameters
    ----------
    summary : dict
        A summary.json.
    names : dict or None
        What to call things instead of their ids (:func:`symbiosis.case.names`: kind ->
        id -> name): the projects built (``facility``), the streams of targets and of
        stock left (``stream``) and its sites (``site``); None shows the ids.

    Returns
    -------
    Table
    """
    rows: list[tuple[str, str | Text, bool]] = [(_("status"), status_text(summary), False)]
    if summary.get("objective") is not None:
        rows += _solution_rows(summary, names or {})
    # Message objects (a run's own summary) are shown in the language; a summary read
    # back from a run folder holds their English
    for message in (summary.get("diagnosis") or {}).get("messages", []):
        rows.append((_("why"), Text(shown(message), justify="left"), False))
    for note in summary.get("notes") or []:
        rows.append((_("note"), Text(shown(note), justify="left"), False))

    labels = [label for label, _value, _number in rows]
    numbers = [str(value) for _label, value, is_number in rows if is_number]
    table = Table(title=f"symbiosis: {summary.get('name', '')}", show_header=False)
    table.add_column(
        "what",
        style="bold",
        overflow="fold",
        min_width=_text_width("", labels),
    )
    table.add_column(
        "value",
        justify="right",
        overflow="fold",
        min_width=max((cell_len(n) for n in numbers), default=1),
    )
    for label, value, _number in rows:
        table.add_row(label, value)
    return table


def _solution_rows(
    summary: dict[str, Any], names: dict[str, dict[str, str]]
) -> list[tuple[str, str | Text, bool]]:
    """The rows of :func:`summary_table` for a run with a solution: (label, value, whether
    the value is a number); ids shown by their ``names`` where these have them."""

    def name(kind: str, ident: str) -> str:
        return names.get(kind, {}).get(ident, ident)

    rows: list[tuple[str, str | Text, bool]] = []
    years = summary.get("years") or []
    soft = summary.get("shortfall_penalty") is not None
    if years:
        horizon = f"{years[0]}-{years[-1]} ({word(str(summary.get('foresight')))})"
        rows.append((_("years"), horizon, False))
        rows.append((_("discounted total cost"), cny(summary["objective"]), True))
        for year, cost in (summary.get("cost_by_year") or {}).items():
            rows.append(("  " + _("cost {year}").format(year=year), cny(cost), True))
    else:
        rows.append((_("total annual cost"), cny_yr(summary["objective"]), True))
    if soft:
        rows.append((_("shortfall penalty"), cny_yr(summary["shortfall_penalty"]), True))
        rows.append((_("cost with penalty"), cny_yr(summary.get("objective_with_penalty")), True))
    gap = summary.get("mip_gap")
    gap_label = _("MIP gap (cost with penalty)") if soft else _("MIP gap")
    rows.append((gap_label, "-" if gap is None else f"{gap:.2e}", True))
    if years:
        for year, amount in (summary.get("delivered_by_year") or {}).items():
            rows.append((_("delivered {year}").format(year=year), tonnes(amount), True))
        co2 = _("{amount} t").format(amount=money(summary.get("co2_avoided_t")))
    else:
        delivered = _("{amount}/yr").format(amount=tonnes(summary.get("delivered_target_t")))
        rows.append((_("delivered (target streams)"), delivered, True))
        co2 = _("{amount} t/yr").format(amount=money(summary.get("co2_avoided_t")))
    rows.append((_("CO2 avoided"), co2, True))
    if years:
        rows.append((_("cost parts (discounted, CNY)"), "", False))
    for part, value in (summary.get("cost_parts") or {}).items():
        rows.append((f"  {word(part)}", money(value), True))
    built = summary.get("built") or []
    plan = summary.get("build_plan")
    if plan:
        shown = [f"{name('facility', b['facility'])} ({b['year']})" for b in plan]
    else:
        shown = [name("facility", b) for b in built]
    projects: str | Text = f"{len(shown)}: " + ", ".join(shown) if shown else _("none")
    if shown and any(name("facility", b) != b for b in built):
        # names may hold commas of their own: one project per line, under the count
        projects = Text(f"{len(shown)}:\n" + "\n".join(shown), justify="left")
    rows.append((_("projects built"), projects, False))
    for pile in summary.get("stock_left") or []:
        label = _("stock left {site} {stream}").format(
            site=name("site", pile["site"]), stream=name("stream", pile["stream"])
        )
        rows.append((label, tonnes(pile["left"]), True))
    for target in summary.get("targets", []):
        short = float(target.get("shortfall") or 0.0)
        mark = _("met") if target["met"] else _("short by {amount}").format(amount=tonnes(short))
        if target["name"] == "total":
            label = _("target total")
        else:
            label = _("target {name}").format(name=name("stream", target["name"]))
        rows.append((label, f"{target['asked']}: {mark}", False))
    return rows


def cny(value: float | None) -> str:
    """``1,234,567 CNY`` in the current language.

    Parameters
    ----------
    value : float or None
        An amount of money (CNY).

    Returns
    -------
    str
    """
    return _("{amount} CNY").format(amount=money(value))


def cny_yr(value: float | None) -> str:
    """``1,234,567 CNY/yr`` in the current language.

    Parameters
    ----------
    value : float or None
        An amount of money per year (CNY/yr).

    Returns
    -------
    str
    """
    return _("{amount} CNY/yr").format(amount=money(value))


def frame_table(title: str, frame: Any, columns: dict[str, str]) -> Table:
    """Some columns of a DataFrame as a table (for ``curve`` and ``pareto``).

    Parameters
    ----------
    title : str
        The table's title.
    frame : pandas.DataFrame
        The rows.
    columns : dict
        Column name -> format: ``money``, ``tonnes``, ``price`` (numbers, never cut) or
        ``text``.

    Returns
    -------
    Table
    """

    def shown(value: Any, kind: str) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        if kind == "money":
            return money(float(value))
        if kind == "tonnes":
            return tonnes(float(value))
        if kind == "price":
            return f"{float(value):,.2f}"
        return str(value) or "-"

    kinds: list[tuple[str, ColumnKind]] = [
        (word(column), "text" if kind == "text" else "number") for column, kind in columns.items()
    ]
    rows = [
        [shown(record.get(column), kind) for column, kind in columns.items()]
        for record in frame.to_dict("records")
    ]
    return fitted_table(title, kinds, rows)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: Any) -> str:
    """A grid value as given: ``0.8``, ``60000000``, ``-`` for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if _is_number(value):
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:
            return f"{int(number)}"
        return f"{number:.6g}"
    return str(value)


def _dimension_header(key: str) -> str:
    """``target`` for target_t; ``×modes.`` / ``cost_per_unit_km`` (two lines) for a scale
    factor ``overrides.scale.modes.cost_per_unit_km``; other dotted keys broken after dots."""
    if key == "target_t":
        return word("target")
    if key.startswith("overrides.scale."):
        key = "×" + key.removeprefix("overrides.scale.")
    return key.replace(".", ".\n")


def sweep_table(table: Any) -> Table:
    """The rows of sweep.csv as a table: name, the grid's dimensions that vary between the
    points (target, ``--set`` keys, scale factors) so that rows can be told apart, status,
    objective, gap, projects built. No number is ever cut.

    Parameters
    ----------
    table : pandas.DataFrame
        As :attr:`symbiosis.sweep.SweepResult.table` (``sweep.csv``).

    Returns
    -------
    Table
    """
    from symbiosis.batch import YEAR_COLUMN
    from symbiosis.sweep import SWEEP_COLUMNS

    records = table.to_dict("records")
    candidates = [
        "target_t",
        *(c for c in table.columns if c not in SWEEP_COLUMNS and not YEAR_COLUMN.match(c)),
    ]
    varied: list[tuple[str, bool]] = []
    for key in candidates:
        if key not in table.columns:
            continue
        values = [record.get(key) for record in records]
        if len({_plain(v) for v in values}) > 1:
            given = [v for v in values if _plain(v) != "-"]
            varied.append((key, all(_is_number(v) for v in given)))

    def dimension(key: str, value: Any) -> str:
        if key == "target_t" and _is_number(value) and not math.isnan(float(value)):
            return tonnes(float(value))
        return _plain(value)

    def number(value: Any) -> float | None:
        return float(value) if _is_number(value) and not math.isnan(float(value)) else None

    columns: list[tuple[str, ColumnKind]] = [(word("name"), "text")]
    columns += [
        (_dimension_header(key), "number" if numeric else "text") for key, numeric in varied
    ]
    columns += [
        (word("status"), "text"),
        (word("objective"), "number"),
        (word("mip_gap"), "number"),
        (word("built"), "text"),
    ]
    rows = []
    for record in records:
        gap = number(record.get("mip_gap"))
        built = record.get("built")
        rows.append(
            [
                str(record.get("name")),
                *(dimension(key, record.get(key)) for key, _ in varied),
                str(record.get("status")),
                money(number(record.get("objective"))),
                "-" if gap is None else f"{gap:.2e}",
                " ".join(str(built).split(";")) if isinstance(built, str) and built else "-",
            ]
        )
    return fitted_table(word("sweep"), columns, rows)


def batch_table(results: Sequence[TaskResult]) -> Table:
    """One row per scenario of ``symbiosis run a.yaml b.yaml ...``: status (with the
    shortfall of soft targets), cost, the shortfall penalty when any run has one, delivered,
    projects built, run folder. No number is ever cut.

    Parameters
    ----------
    results : sequence of TaskResult
        As :func:`symbiosis.batch.run_prepared` returns them.

    Returns
    -------
    Table
    """
    summaries = [r.summary for r in results]
    soft = any(s.get("shortfall_penalty") is not None for s in summaries)
    columns: list[tuple[str, ColumnKind]] = [
        (_("scenario"), "text"),
        (_("status"), "text"),
        (_("cost CNY/yr"), "number"),
    ]
    if soft:
        columns.append((_("penalty CNY/yr"), "number"))
    columns += [(_("delivered"), "number"), (_("built"), "text"), (_("run folder"), "text")]
    rows = []
    for result, s in zip(results, summaries, strict=True):
        row = [str(s.get("name")), status_text(s), money(s.get("objective"))]
        if soft:
            row.append(money(s.get("shortfall_penalty")))
        row += [
            tonnes(s.get("delivered_target_t")),
            " ".join(s.get("built") or []) or "-",
            str(result.folder or "-"),
        ]
        rows.append(row)
    title = ngettext("symbiosis: {count} scenario", "symbiosis: {count} scenarios", len(results))
    return fitted_table(title.format(count=len(results)), columns, rows)
