"""The fonts of the print map: a CJK font for a map in Chinese, or English when there is none.

matplotlib's default font (DejaVu Sans) has no Chinese characters: drawn with it, Chinese text
becomes empty boxes ("tofu") and matplotlib warns ``Glyph ... missing from font(s)``. A map
in Chinese is therefore drawn with a CJK font found by matplotlib's font manager, the first
of :data:`CJK_FAMILIES` installed (Debian: ``apt-get install fonts-noto-cjk`` gives Noto Sans
CJK SC; ``.ci/run`` installs it), with DejaVu Sans after it for any glyph the CJK font lacks.

A font installed after matplotlib built its font cache is not in that cache: the system's
font files whose names look like CJK fonts are then added to the font manager (once per
process). When no CJK font is found at all, :func:`print_language` says so in one warning and
the map is drawn in English, never with boxes.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from symbiosis.i18n import current_language
from symbiosis.i18n import gettext as _

#: CJK font families for simplified Chinese, in order of preference
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
)
#: the font every map falls back to for glyphs a CJK font lacks (matplotlib's own)
LATIN_FAMILY = "DejaVu Sans"
#: font files that may hold one of :data:`CJK_FAMILIES` (read when the cache lacks them)
CJK_FILE = re.compile(r"cjk|wqy|wenquanyi|sourcehan|notosanssc|simhei|msyh|pingfang", re.IGNORECASE)


def _installed(families: tuple[str, ...]) -> str | None:
    """The first of ``families`` that matplotlib's font manager knows.

    Parameters
    ----------
    families : tuple of str
        Font family names, in order of preference.

    Returns
    -------
    str or None
        The family, or None when none is known.
    """
    from matplotlib import font_manager

    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in families if family in known), None)


@cache
def cjk_font() -> str | None:
    """The CJK font family the print map uses for Chinese, found once per process.

    Returns
    -------
    str or None
        The first of :data:`CJK_FAMILIES` in matplotlib's font manager, after adding the
        system's CJK font files (:data:`CJK_FILE`) when its cache has none; None when the
        system has no CJK font.
    """
    found = _installed(CJK_FAMILIES)
    if found is not None:
        return found
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if CJK_FILE.search(Path(path).name):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read
                continue
    return _installed(CJK_FAMILIES)


def print_language() -> tuple[str, str | None]:
    """The language the print map is drawn in, and why not the one asked for.

    Returns
    -------
    tuple of (str, str or None)
        The current language, or ``en`` when it is Chinese and :func:`cjk_font` finds no
        font; and in that case the warning to give (once, in the language asked for),
        else None.
    """
    lang = current_language()
    if lang != "zh" or cjk_font() is not None:
        return lang, None
    return "en", _(
        "no CJK font found for the Chinese PNG map (install one, e.g. Debian's "
        "fonts-noto-cjk); the PNG map is drawn in English"
    )


def font_families(lang: str) -> list[str]:
    """The font families the print map's text is drawn with.

    Parameters
    ----------
    lang : str
        The language the map is drawn in (:func:`print_language`).

    Returns
    -------
    list of str
        For Chinese, :func:`cjk_font` then :data:`LATIN_FAMILY`; otherwise
        :data:`LATIN_FAMILY` alone (matplotlib's default).
    """
    found = cjk_font() if lang == "zh" else None
    return [found, LATIN_FAMILY] if found else [LATIN_FAMILY]


__all__ = [
    "CJK_FAMILIES",
    "CJK_FILE",
    "LATIN_FAMILY",
    "cjk_font",
    "font_families",
    "print_language",
]
