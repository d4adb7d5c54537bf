"""The key set of each language: every dictionary key the renderer may emit.

A dictionary maps keys to audio clips; a rendered number or date is a list of keys, played back to
back. Keys are plain strings, the same in every dictionary of a language:

Both languages
    ``"0"`` … ``"19"``       the numbers 0–19, each one clip (``"17"`` is *dix-sept*, *سبعة عشر*)
    ``"20"`` … ``"60"``      tens (French up to 60; Arabic up to ``"90"``)
    ``"100"``, ``"1000"``, ``"1000000"``, ``"1000000000"``   hundred, thousand, million, milliard
    ``"and"``   *et* / *و* ("wa")          ``"minus"``   *moins* / *سالب*
    ``"point"`` *virgule* / *فاصلة*         ``"of"``      *de* / *من*
    ``"plus"``, ``"star"``, ``"hash"``   +, *, # in ``digits`` mode
    ``"month_1"`` … ``"month_12"``         January … December
    ``"weekday_1"`` … ``"weekday_7"``      Monday … Sunday (ISO 8601 numbering)
    ``"currency_<ISO>"``                   the currency's name (MAD, EUR, USD), and
    ``"currency_<ISO>_minor"``             its minor unit (centime, cent, سنتيم …)

French only
    ``"80"`` *quatre-vingt* and ``"80_plural"`` *quatre-vingts* (70 = ``60 10``, 90 = ``80 10``)
    ``"100_plural"`` *cents*, ``"1000000_plural"`` *millions*, ``"1000000000_plural"`` *milliards*
    ``"of_elided"`` *d'* (``un million d'euros``)      ``"first"`` *premier* (day 1 of a date)
    ``"currency_<ISO>_plural"``, ``"currency_<ISO>_minor_plural"``

Arabic only
    ``"70"``, ``"80"``, ``"90"``; ``"200"`` … ``"900"`` (one word each: ثلاثمائة) and
    ``"200_construct"`` مئتا (200 before a noun: مئتا ألف)
    for each scale word and currency name ``X``: ``X`` singular (ألف), ``X_dual`` (ألفان),
    ``X_plural`` after 3–10 (آلاف), ``X_accusative`` after 11–99 (ألفًا); scale words also
    ``X_dual_construct`` (ألفا, before a noun: ألفا درهم)
    ``"ordinal_1"`` … ``"ordinal_31"`` الأول … الحادي والثلاثون (the day of a date)
    ``"year"`` سنة (before the year of a date)

``WORDS[language][key]`` is the text each key stands for: what the system dictionaries are
synthesized from and what the tests compare with num2words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from callcast_spoken import arabic, french
from callcast_spoken.errors import UnsupportedLanguage

LANGUAGES: tuple[str, ...] = ("ar", "fr")

WORDS: Mapping[str, Mapping[str, str]] = {"ar": arabic.WORDS, "fr": french.WORDS}


def check_language(language: str) -> str:
    if language not in WORDS:
        raise UnsupportedLanguage(f"language must be one of: {', '.join(LANGUAGES)}")
    return language


def expected_keys(language: str) -> frozenset[str]:
    """Every key the renderer may emit for ``language``: what a complete dictionary holds."""
    return frozenset(WORDS[check_language(language)])


def missing_keys(language: str, available: Iterable[str]) -> list[str]:
    """Keys of the language's key set that ``available`` lacks, in the key set's order."""
    have = set(available)
    return [key for key in WORDS[check_language(language)] if key not in have]


def spoken_text(language: str, key: str) -> str:
    """The words ``key`` stands for in ``language`` (``KeyError`` when it is not in the key set)."""
    return WORDS[check_language(language)][key]


def spoken_words(language: str, keys: Iterable[str]) -> str:
    """What a key sequence says, as text (keys outside the key set are shown as ``[key]``)."""
    table = WORDS[check_language(language)]
    return " ".join(table.get(key, f"[{key}]") for key in keys)
