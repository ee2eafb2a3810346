"""The names people read for a case's streams, sites, facilities, parks and prefectures, in
English or Chinese.

A case names things twice where it can: ``name`` (English) and the optional ``name_zh``
(the name Chinese sources use: 磷石膏, 六盘水市, 贵阳经济技术开发区) on streams.csv, sites.csv
and facilities.csv, the ``name_zh`` property of parks.geojson, and ``name_zh`` in the
optional prefectures.csv. Ids stay the keys everywhere (run folders are language-
independent); a display, report or map asks :func:`names` for the words to show.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from symbiosis.case.tables import Case
from symbiosis.i18n import current_language

#: The kinds of thing :func:`names` names, and the case table (or file) each comes from.
NAME_KINDS: tuple[str, ...] = ("stream", "site", "facility", "park", "prefecture")


def _text(value: Any) -> str:
    """A cell as stripped text ("" for None or NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _pick(english: str, chinese: str, ident: str, lang: str) -> str:
    """The name in ``lang``: Chinese if asked and given, else English, else the id."""
    if lang == "zh" and chinese:
        return chinese
    return english or ident


def _named(english: Any, chinese: Any, ident: Any, lang: str) -> tuple[str, bool]:
    """The name to show and whether the case names the thing in ``lang`` itself."""
    en, zh, key = _text(english), _text(chinese), _text(ident)
    return _pick(en, zh, key, lang), bool(zh if lang == "zh" else en)


def _from_table(frame: pd.DataFrame, key: str, lang: str) -> dict[str, tuple[str, bool]]:
    chinese = frame["name_zh"] if "name_zh" in frame.columns else pd.Series([""] * len(frame))
    rows = zip(frame[key], frame["name"], chinese, strict=True)
    return {str(ident): _named(en, zh, ident, lang) for ident, en, zh in rows}


def names(
    case: Case, lang: str | None = None, *, fallback: bool = True
) -> dict[str, dict[str, str]]:
    """The name to show for every stream, site, facility, park and prefecture of a case.

    In Chinese (``zh``) a thing's ``name_zh`` where it has a non-empty one, else its English
    name; in English its ``name``. Where a name is empty, its id. Prefectures are named
    in sites.csv by their English name, which is their id: in English that name, in
    Chinese prefectures.csv's ``name_zh`` when the case has one for it.

    Parameters
    ----------
    case : Case
        A checked case.
    lang : str or None
        ``en`` or ``zh`` (:data:`symbiosis.i18n.LANGUAGES`); None: the language of the
        current command (:func:`symbiosis.i18n.current_language`).
    fallback : bool
        True: every id, named in English or by its id where the case has no name in
        ``lang``. False: only the ids the case names in ``lang`` itself (for a display
        that shows ids unless a Chinese name is given).

    Returns
    -------
    dict of str to dict of str to str
        Kind (each of :data:`NAME_KINDS`: ``stream``, ``site``, ``facility``, ``park``,
        ``prefecture``) -> id -> name. With ``fallback`` every id of the case is there:
        each stream, site and facility, each park of parks.geojson and each park id
        sites.csv names, each prefecture sites.csv or prefectures.csv names.
    """
    lang = current_language() if lang is None else lang
    found: dict[str, dict[str, tuple[str, bool]]] = {
        "stream": _from_table(case.streams, "stream", lang),
        "site": _from_table(case.sites, "site", lang),
        "facility": _from_table(case.facilities, "facility", lang),
    }
    parks = {_text(p): _named("", "", p, lang) for p in case.sites["park"] if _text(p)}
    for feature in (case.parks or {}).get("features", []):
        props = feature.get("properties") or {}
        park = _text(props.get("park"))
        if park:
            parks[park] = _named(props.get("name"), props.get("name_zh"), park, lang)
    found["park"] = parks
    chinese = dict(zip(case.prefectures["prefecture"], case.prefectures["name_zh"], strict=True))
    listed = [_text(p) for p in [*case.sites["prefecture"], *case.prefectures["prefecture"]]]
    found["prefecture"] = {p: _named(p, chinese.get(p), p, lang) for p in listed if p}
    return {
        kind: {i: shown for i, (shown, given) in table.items() if fallback or given}
        for kind, table in found.items()
    }


__all__ = ["NAME_KINDS", "names"]
