"""Invalid input, reported whole: every :class:`Problem` found (file, row, column, value and
what is allowed), raised once as an :class:`InputError` (exit code 2).

The first stage of the package: every later stage may raise these, and the command line and
the web app turn them into exit 2 or HTTP 422 with the same words, in the language of the
command (:mod:`symbiosis.i18n`): a problem's message is translated where it is found, its
place (row, column, value) and the report's title where it is shown; file names, column
names and values are never translated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from symbiosis.i18n import N_, gettext

#: What an :class:`InputError` may be about (its ``what``), translated in its report; a
#: ``what`` not listed here is shown as given.
WHATS: tuple[str, ...] = (
    N_("input"),
    N_("case"),
    N_("scenario"),
    N_("scenarios"),
    N_("scenario overrides"),
    N_("command line"),
    N_("environment"),
    N_("run folders"),
    N_("run folder"),
    N_("map options"),
    N_("routes"),
    N_("sweep"),
    N_("curve"),
    N_("output"),
    N_("output database"),
    N_("installation"),
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as possible.

    Attributes
    ----------
    file : str
        The file it is in (``supply.csv``), or ``file:layer`` for a GeoPackage layer, or
        ``scenario``, ``command line`` ... for input that is not a case file.
    message : str
        What is wrong and what is allowed.
    row : int or None
        The row as a spreadsheet shows it (header row 1, first record row 2), if any.
    column : str or None
        The column, if any.
    value : str or None
        The value found, if any.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += gettext(", row {row}").format(row=self.row)
        if self.column is not None:
            where += gettext(", column '{column}'").format(column=self.column)
        shown = (
            "" if self.value is None else gettext(" (value {value})").format(value=repr(self.value))
        )
        return gettext("{where}: {message}").format(where=where, message=self.message) + shown


class InputError(Exception):
    """Invalid input: a list of :class:`Problem`, reported together (exit code 2).

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found (kept, as a list, in the attribute ``problems``).
    what : str
        What the input is (``case``, ``scenario``, ``output`` ...), for the report's title
        (kept in the attribute ``what``).
    """

    def __init__(self, problems: Sequence[Problem], what: str = "input"):
        self.problems = list(problems)
        self.what = what
        super().__init__(self.report())

    def report(self) -> str:
        """The problems as the command line prints them (also the exception's message).

        Returns
        -------
        str
            A title (``3 problem(s) in the case:``), then one ``  - problem`` line for each
            problem, in the order found, without a trailing newline.
        """
        title = gettext("{count} problem(s) in the {what}:")
        lines = [title.format(count=len(self.problems), what=self.what_shown())]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def what_shown(self) -> str:
        """What the input is, in the current language (``case``, ``案例数据``).

        Returns
        -------
        str
            The translation of :attr:`what` if it is one of :data:`WHATS`, else
            :attr:`what` as given.
        """
        return gettext(self.what) if self.what in WHATS else self.what


class CaseError(InputError):
    """Invalid case data: an :class:`InputError` whose report is titled "in the case".

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found in the case's tables.
    """

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems, what="case")


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def hide_password(text: str, password: str | None = None) -> str:
    """``text`` safe to print: the password of any ``scheme://user:password@`` URL in it as
    ``***``, and ``password`` itself wherever else it appears (a driver's error, say).

    Parameters
    ----------
    text : str
        A URL or a message.
    password : str or None
        A password known to be in use (the database URL's), masked everywhere.

    Returns
    -------
    str
        E.g. ``postgresql://user:***@host/db`` for ``postgresql://user:secret@host/db``.
    """
    shown = _URL_PASSWORD.sub(r"\1***@", text)
    return shown.replace(password, "***") if password else shown


__all__ = ["WHATS", "CaseError", "InputError", "Problem", "hide_password"]
