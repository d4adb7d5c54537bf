"""Numbers, dates and words → the dictionary keys a native speaker would say, in order.

Number modes: ``cardinal`` (default; integers up to 999,999,999,999, decimals, negatives),
``digits`` (one key per digit, for phone and account numbers) and ``currency`` (an ISO 4217
amount, with its minor units). Date modes: ``date`` (default: day, month, year), ``day_month``,
``weekday_date`` (weekday, day, month, year). A ``word`` is a key itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcast_spoken import arabic, french
from callcast_spoken.errors import InvalidWord, SpokenValueError, UnsupportedMode
from callcast_spoken.keys import check_language
from callcast_spoken.values import read_amount, read_date, read_digits, read_number

NUMBER_MODES: tuple[str, ...] = ("cardinal", "digits", "currency")
DATE_MODES: tuple[str, ...] = ("date", "day_month", "weekday_date")
ITEM_TYPES: tuple[str, ...] = ("number", "date", "word")
#: Longest key a dictionary accepts (and so the longest word item).
MAX_KEY_LENGTH = 256

_LANGUAGES = {"ar": arabic, "fr": french}


def render_number(value: Any, language: str, mode: str = "cardinal", *, currency: str | None = None) -> list[str]:
    """``render_number(71, "fr")`` → ``["60", "and", "11"]``; ``currency`` is needed in ``currency`` mode."""
    speaker = _LANGUAGES[check_language(language)]
    if mode == "cardinal":
        return speaker.number(read_number(value))
    if mode == "digits":
        return read_digits(value)
    if mode == "currency":
        return speaker.amount(read_amount(value, currency))
    raise UnsupportedMode(f"number mode must be one of: {', '.join(NUMBER_MODES)}")


def render_date(value: Any, language: str, mode: str = "date") -> list[str]:
    """``render_date("2024-03-01", "fr")`` → ``["first", "month_3", "2", "1000", "20", "4"]``."""
    speaker = _LANGUAGES[check_language(language)]
    if mode not in DATE_MODES:
        raise UnsupportedMode(f"date mode must be one of: {', '.join(DATE_MODES)}")
    return speaker.date(read_date(value), weekday=mode == "weekday_date", year=mode != "day_month")


def render_word(value: Any, language: str) -> list[str]:
    """A ``word`` item names one key (``"and"``, or any key of an organization's dictionary)."""
    check_language(language)
    if not isinstance(value, str) or not value.strip():
        raise InvalidWord("a word item's value must be a non-empty string (a dictionary key)")
    key = value.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidWord(f"a dictionary key has at most {MAX_KEY_LENGTH} characters")
    return [key]


def render_item(item: Mapping[str, Any]) -> list[str]:
    """The keys of one resolved play item ``{"type", "value", "language", "mode"?, "currency"?}``."""
    kind = item.get("type")
    language = item.get("language")
    if not isinstance(language, str):
        raise SpokenValueError("the item's language is required (ar or fr)")
    mode = item.get("mode")
    if mode is not None and not isinstance(mode, str):
        raise UnsupportedMode("mode must be a string")
    if kind == "number":
        currency = item.get("currency")
        return render_number(
            item.get("value"),
            language,
            mode or "cardinal",
            currency=currency if isinstance(currency, str) else None,
        )
    if kind == "date":
        return render_date(item.get("value"), language, mode or "date")
    if kind == "word":
        return render_word(item.get("value"), language)
    raise SpokenValueError(f"item type must be one of: {', '.join(ITEM_TYPES)}")
