"""Spoken numbers and dates: the sequence of dictionary keys a native speaker would say (ar, fr).

Pure (no I/O). ``render_number``/``render_date``/``render_word``/``render_item`` give keys;
``expected_keys``/``missing_keys`` describe a language's key set (documented in ``keys``);
``spoken_text`` is the text a key stands for. See docs/spoken.md.
"""

from callcast_spoken.errors import (
    InvalidDate,
    InvalidNumber,
    InvalidWord,
    NumberOutOfRange,
    SpokenValueError,
    UnknownCurrency,
    UnsupportedLanguage,
    UnsupportedMode,
)
from callcast_spoken.keys import LANGUAGES, WORDS, expected_keys, missing_keys, spoken_text, spoken_words
from callcast_spoken.render import (
    DATE_MODES,
    ITEM_TYPES,
    MAX_KEY_LENGTH,
    NUMBER_MODES,
    render_date,
    render_item,
    render_number,
    render_word,
)
from callcast_spoken.values import CURRENCY_MINOR_DIGITS, MAX_INTEGER

__all__ = [
    "CURRENCY_MINOR_DIGITS",
    "DATE_MODES",
    "ITEM_TYPES",
    "LANGUAGES",
    "MAX_INTEGER",
    "MAX_KEY_LENGTH",
    "NUMBER_MODES",
    "WORDS",
    "InvalidDate",
    "InvalidNumber",
    "InvalidWord",
    "NumberOutOfRange",
    "SpokenValueError",
    "UnknownCurrency",
    "UnsupportedLanguage",
    "UnsupportedMode",
    "expected_keys",
    "missing_keys",
    "render_date",
    "render_item",
    "render_number",
    "render_word",
    "spoken_text",
    "spoken_words",
]
