"""Terminal display with rich: stages with timings, the solver's incumbent and gap while it
runs, and a summary table at the end. Used by the command line; the library never prints."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from symbiosis.solve import Progress


def money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def tonnes(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1e6:,.3f} Mt" if abs(value) >= 1e5 else f"{value:,.0f}"


class RichReporter:
    """Shows each stage as it finishes and a live solver line while HiGHS runs."""

    def __init__(self, console: Console | None = None, label: str = ""):
        self.console = console or Console(stderr=True)
        self.label = f"[{label}] " if label else ""
        self._live: Live | None = None
        self._started = 0.0

    def stage_started(self, name: str) -> None:
        self._started = time.perf_counter()
        if name == "solve" and self.console.is_terminal:
            self._live = Live(
                Text(f"{self.label}solve: starting HiGHS ..."),
                console=self.console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()

    def stage_finished(self, name: str, seconds: float, detail: str = "") -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        suffix = f"  {detail}" if detail else ""
        self.console.print(f"{self.label}[green]✓[/] {name:<12} {seconds:8.2f} s{suffix}")

    def solver_progress(self, progress: Progress) -> None:
        line = (
            f"{self.label}solve: {progress.elapsed:6.1f} s  incumbent {money(progress.incumbent)}"
            f"  bound {money(progress.bound)}"
            + (f"  gap {progress.gap:.2%}" if progress.gap is not None else "")
            + (f"  nodes {progress.nodes}" if progress.nodes is not None else "")
        )
        if self._live is not None:
            self._live.update(Text(line))


def summary_table(summary: dict[str, Any]) -> Table:
    """The end-of-run table: status, cost, delivered, CO2, projects built."""
    table = Table(title=f"symbiosis: {summary.get('name', '')}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("status", str(summary.get("status")))
    if summary.get("objective") is not None:
        table.add_row("total annual cost", f"{money(summary['objective'])} CNY/yr")
        gap = summary.get("mip_gap")
        table.add_row("MIP gap", "-" if gap is None else f"{gap:.2e}")
        table.add_row(
            "delivered (target streams)", tonnes(summary.get("delivered_target_t")) + "/yr"
        )
        table.add_row("CO2 avoided", f"{money(summary.get('co2_avoided_t'))} t/yr")
        for part, value in (summary.get("cost_parts") or {}).items():
            table.add_row(f"  {part}", money(value))
        built = summary.get("built") or []
        table.add_row("projects built", f"{len(built)}: " + ", ".join(built) if built else "none")
        for target in summary.get("targets", []):
            mark = "met" if target["met"] else f"short by {tonnes(target['shortfall'])}"
            table.add_row(f"target {target['name']}", f"{target['asked']}: {mark}")
    for message in (summary.get("diagnosis") or {}).get("messages", []):
        table.add_row("why", Text(message, justify="left"))
    return table
