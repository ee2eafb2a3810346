"""Invalid input, reported whole: every :class:`Problem` found (file, row, column, value and
what is allowed), raised once as an :class:`InputError` (exit code 2).

The first stage of the package: every later stage may raise these, and the command line and
the web app turn them into exit 2 or HTTP 422 with the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as possible.

    Attributes
    ----------
    file : the file (or ``file:layer``, ``scenario``, ``command line``) it is in
    message : what is wrong and what is allowed
    row : the row as a spreadsheet shows it (header row 1), if any
    column : the column, if any
    value : the value found, if any
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: {self.message}{shown}"


class InputError(Exception):
    """Invalid input: a list of :class:`Problem`, reported together (exit code 2).

    Parameters
    ----------
    problems : every problem found
    what : what the input is (``case``, ``scenario``, ``output`` ...), for the report's title
    """

    def __init__(self, problems: Sequence[Problem], what: str = "input"):
        self.problems = list(problems)
        self.what = what
        super().__init__(self.report())

    def report(self) -> str:
        """The problems as lines: a title, then one ``  - problem`` line each."""
        lines = [f"{len(self.problems)} problem(s) in the {self.what}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class CaseError(InputError):
    """Invalid case data."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems, what="case")


__all__ = ["CaseError", "InputError", "Problem"]
