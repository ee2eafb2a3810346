"""The language of what people read: gettext catalogs, one language per command.

Every human-facing string is written in English in the code and marked for translation:
``_("total annual cost")``, ``ngettext("{n} site", "{n} sites", n)`` where a count decides
the form, ``N_("case")`` for a string kept in a constant and translated where it is shown.
Ids and values (stream, site and facility ids, numbers, units, run-folder keys) are never
marked.

The language is ``en`` (the English of the code, no catalog) or ``zh`` (simplified Chinese),
chosen by :func:`use_language` (the command line's ``--lang``), else by the environment
variable ``SYMBIOSIS_LANG``, else ``en``. It is held in a :class:`contextvars.ContextVar`,
so that a command, a test or a web request sets it for its own work only.

The catalogs are ``symbiosis/locale/<lang>/LC_MESSAGES/symbiosis.po``, the one source of the
translations, extracted and updated with pybabel (``make messages``; docs/i18n.md). A ``.po``
is compiled to the binary ``.mo`` form in memory, with Babel, the first time its language is
asked for in a process (about 70 ms with Babel's import, then kept): nothing is written
beside the package (which may be read-only), no compiled file can be older than its ``.po``,
and a clean clone, an editable install and a wheel all behave alike. English needs no
catalog and does not load Babel at all.
"""

from __future__ import annotations

import gettext as _gettext
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

#: The languages symbiosis speaks; the first is the default and the language of the code.
LANGUAGES: tuple[str, ...] = ("en", "zh")
#: The environment variable that chooses the language when ``--lang`` is not given.
ENV_VAR = "SYMBIOSIS_LANG"
#: The gettext domain: the catalogs' file name.
DOMAIN = "symbiosis"
#: Where the catalogs are: ``LOCALE_DIR/<lang>/LC_MESSAGES/symbiosis.po``.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_chosen: ContextVar[str | None] = ContextVar("symbiosis_language", default=None)


def language_problem(value: str) -> str | None:
    """Why ``value`` is not a language symbiosis speaks, or None if it is one.

    Parameters
    ----------
    value : str
        A language as given (``zh``, ``en``; surrounding spaces and case are ignored).

    Returns
    -------
    str or None
        ``unknown language; allowed: en, zh`` (in the current language), or None.
    """
    if value.strip().lower() in LANGUAGES:
        return None
    # in the language chosen in this context if any, else in English: the environment
    # variable may be the very thing that is wrong
    lang = _chosen.get() or LANGUAGES[0]
    message = translations(lang).gettext("unknown language; allowed: {allowed}")
    return message.format(allowed=", ".join(LANGUAGES))


def _normal(value: str, where: str) -> str:
    """``value`` as one of :data:`LANGUAGES`, or ValueError naming ``where`` and the choices."""
    problem = language_problem(value)
    if problem is not None:
        raise ValueError(f"{where} {value!r}: {problem}")
    return value.strip().lower()


def current_language() -> str:
    """The language of the current command (or context).

    Returns
    -------
    str
        The language set by :func:`use_language` in this context, else ``SYMBIOSIS_LANG``
        when set and not empty, else ``en``.

    Raises
    ------
    ValueError
        ``SYMBIOSIS_LANG`` names a language not in :data:`LANGUAGES` (the command line
        checks it first and exits 2 instead).
    """
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    from_env = os.environ.get(ENV_VAR, "").strip()
    return _normal(from_env, ENV_VAR) if from_env else LANGUAGES[0]


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` inside the ``with`` block, then go back to what was spoken before.

    Parameters
    ----------
    lang : str or None
        One of :data:`LANGUAGES`; None keeps the current choice (``SYMBIOSIS_LANG`` or
        ``en``).

    Yields
    ------
    str
        The language in force inside the block.

    Raises
    ------
    ValueError
        ``lang`` (or, for None, ``SYMBIOSIS_LANG``) is not in :data:`LANGUAGES`.
    """
    chosen = _normal(lang, "language") if lang is not None else current_language()
    token = _chosen.set(chosen)
    try:
        yield chosen
    finally:
        _chosen.reset(token)


def catalog_path(lang: str) -> Path:
    """The ``.po`` catalog of a language.

    Parameters
    ----------
    lang : str
        A language other than ``en``.

    Returns
    -------
    Path
        ``symbiosis/locale/<lang>/LC_MESSAGES/symbiosis.po``.
    """
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The translations of a language, compiled from its ``.po`` once per process.

    Parameters
    ----------
    lang : str
        One of :data:`LANGUAGES`.

    Returns
    -------
    gettext.NullTranslations
        For ``en``, the identity (the code's English); for another language, the catalog
        compiled in memory (fuzzy entries left out, as ``msgfmt`` does, so that an unchecked
        translation shows the English instead).

        A language whose catalog is missing (a broken install) gets the identity too, with
        a warning, rather than a failure in the middle of reporting something else.
    """
    if lang == LANGUAGES[0]:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalog_path(lang)
    if not path.is_file():
        warnings.warn(f"{path}: no catalog for {lang!r}; printing English", stacklevel=2)
        return _gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    """``message`` in the current language.

    Parameters
    ----------
    message : str
        The English text (the catalog's ``msgid``); ``{name}`` fields are filled after
        translation, with ``.format``.

    Returns
    -------
    str
        Its translation, or ``message`` itself in English or when the catalog lacks it
        (and ``""`` for ``""``, not the catalog's header).
    """
    if not message:
        return message
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message that ``count`` calls for, in the current language.

    Parameters
    ----------
    singular : str
        The English text for one (``{n} site``).
    plural : str
        The English text for other counts (``{n} sites``).
    count : int
        The count that chooses the form (fill it in with ``.format`` afterwards).

    Returns
    -------
    str
        The form for ``count`` (Chinese has one form for every count).
    """
    return translations(current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate where shown).

    Parameters
    ----------
    message : str
        An English text kept in a constant.

    Returns
    -------
    str
        ``message`` unchanged.
    """
    return message


class Message(str):
    """A message kept in English that can still be shown in another language.

    Text that is both written into a file (where it stays English: ``summary.json``'s
    diagnosis and notes) and shown to people (in the command's language) is made a
    :class:`Message`: it *is* its English text (a ``str``, so JSON and comparisons see
    English), and :meth:`shown` renders its template and fields in the current language.
    Fields may be messages themselves, translated in turn; :meth:`concat` joins messages.
    Mark the template where it is written: ``Message(N_("{name}: no plan"), name=...)``.

    Parameters
    ----------
    template : str
        The English text with ``{fields}`` (the catalog's ``msgid``).
    **fields : object
        The values of the fields (a :class:`Message` field is shown in the language too).
    """

    template: str
    fields: dict[str, object]
    parts: tuple[str, ...]

    def __new__(cls, template: str, /, **fields: object) -> Message:
        english = template.format(**fields) if fields else template
        message = super().__new__(cls, english)
        message.template, message.fields, message.parts = template, dict(fields), ()
        return message

    @classmethod
    def concat(cls, *parts: str) -> Message:
        """Messages (or plain texts) one after another, each shown in the language.

        Parameters
        ----------
        *parts : str
            :class:`Message` or plain ``str`` (a plain text is shown as it is).

        Returns
        -------
        Message
            Its English is the parts' English joined; :meth:`shown` joins their
            :func:`shown`.
        """
        message = super().__new__(cls, "".join(parts))
        message.template, message.fields, message.parts = "", {}, tuple(parts)
        return message

    @classmethod
    def keeping(cls, written: str, shown_as: str) -> Message:
        """A text written into files as ``written`` and shown as another message.

        For an id that files keep (``max_new_facilities = 2`` in ``summary.json``) but that
        people read in words, in every language (``at most 2 new projects``, ``最多新建 2
        个项目``).

        Parameters
        ----------
        written : str
            The text in files (its ``str``, as JSON and comparisons see it).
        shown_as : str
            What :meth:`shown` shows: a :class:`Message` (shown in the language) or a plain
            text.

        Returns
        -------
        Message
            Equal to ``written``; shown as ``shown_as``.
        """
        message = super().__new__(cls, written)
        message.template, message.fields, message.parts = "", {}, (shown_as,)
        return message

    def shown(self) -> str:
        """The message in the current language.

        Returns
        -------
        str
            The template's translation with every field filled (message fields shown
            too); the English text in English or when the catalog lacks the template.
        """
        if self.parts:
            return "".join(shown(part) for part in self.parts)
        if not self.fields:
            return gettext(self.template)
        values = {k: shown(v) if isinstance(v, str) else v for k, v in self.fields.items()}
        return gettext(self.template).format(**values)

    def __reduce__(self) -> tuple[object, ...]:
        # pickled and copied as what it is, not as the plain str it looks like
        return (_rebuild, (self.template, self.fields, self.parts, str(self)))


def _rebuild(
    template: str, fields: dict[str, object], parts: tuple[str, ...], text: str | None = None
) -> Message:
    if not parts:
        return Message(template, **fields)
    if text is not None and text != "".join(parts):
        return Message.keeping(text, *parts)  # written as one text, shown as another
    return Message.concat(*parts)


def shown(text: str) -> str:
    """A text as people read it in the current language.

    Parameters
    ----------
    text : str
        A :class:`Message` (translated) or any other text (shown as it is: ids, or a
        message read back from a file, which is English).

    Returns
    -------
    str
        The text to print.
    """
    return text.shown() if isinstance(text, Message) else text


_ = gettext

__all__ = [
    "DOMAIN",
    "ENV_VAR",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Message",
    "_",
    "catalog_path",
    "current_language",
    "gettext",
    "language_problem",
    "ngettext",
    "shown",
    "translations",
    "use_language",
]
