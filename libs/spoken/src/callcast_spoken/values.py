"""Reading the values a play item may carry: numbers, amounts, digit strings and dates.

Values come from flow variables, contact fields and custom attributes, so they arrive as JSON
numbers or as strings: ``12``, ``12.5``, ``"1 234,50"``, ``"+212 6 12"``, ``"2024-03-05"``.
Floats are read through their shortest ``repr`` (``0.1`` is 0.1, not its binary expansion).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from callcast_spoken.errors import InvalidDate, InvalidNumber, NumberOutOfRange, UnknownCurrency

#: Largest integer part spoken (999 milliards / 999 مليار): beyond the scale words we record.
MAX_INTEGER = 999_999_999_999
#: Most digits spoken after the decimal separator.
MAX_FRACTION_DIGITS = 9

#: ISO 4217 currencies we can name, with their number of minor-unit digits.
CURRENCY_MINOR_DIGITS: dict[str, int] = {"MAD": 2, "EUR": 2, "USD": 2}

_NUMBER = re.compile(r"^([+-]?)(\d+)(?:[.,](\d+))?$")
#: Thousands separators a human might type: spaces (also no-break ones), underscores, apostrophes.
_GROUPING = re.compile(r"[\s\u00a0\u202f_']")


@dataclass(frozen=True)
class SpokenNumber:
    """A number as it is said: a sign, an integer part, and the fraction's digits (as written)."""

    negative: bool
    integer: int
    fraction: str = ""


def read_decimal(value: Any) -> Decimal:
    """``value`` (int, float, Decimal or numeric string) as an exact Decimal."""
    if isinstance(value, bool):
        raise InvalidNumber("a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidNumber("the number must be finite")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidNumber("the number must be finite")
        return value
    if isinstance(value, str):
        text = _GROUPING.sub("", value.strip())
        match = _NUMBER.match(text)
        if not match:
            raise InvalidNumber(f"{value!r} is not a number")
        sign, whole, fraction = match.groups()
        try:
            return Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")
        except InvalidOperation:
            raise InvalidNumber(f"{value!r} is not a number") from None
    raise InvalidNumber(f"a {type(value).__name__} is not a number")


def read_number(value: Any) -> SpokenNumber:
    """A cardinal: trailing zeros of the fraction are not said (``2.50`` is "two point five")."""
    number = read_decimal(value)
    sign, digits, exponent = number.as_tuple()
    text = "".join(map(str, digits))
    if not isinstance(exponent, int):
        raise InvalidNumber("the number must be finite")
    if exponent >= 0:
        whole, fraction = text + "0" * exponent, ""
    else:
        cut = len(text) + exponent
        whole = text[:cut] if cut > 0 else "0"
        fraction = ("0" * -cut if cut < 0 else "") + text[max(cut, 0) :]
    fraction = fraction.rstrip("0")
    if len(fraction) > MAX_FRACTION_DIGITS:
        raise InvalidNumber(f"at most {MAX_FRACTION_DIGITS} digits after the decimal separator")
    integer = int(whole)
    _check_range(integer)
    return SpokenNumber(negative=bool(sign) and (integer > 0 or bool(fraction)), integer=integer, fraction=fraction)


@dataclass(frozen=True)
class Amount:
    """A money amount split into major and minor units of its currency."""

    negative: bool
    major: int
    minor: int
    currency: str


def read_amount(value: Any, currency: str | None) -> Amount:
    """``value`` in ``currency``, rounded half-up to the currency's minor units (12.345 EUR → 12.35)."""
    code = (currency or "").strip().upper()
    if code not in CURRENCY_MINOR_DIGITS:
        known = ", ".join(sorted(CURRENCY_MINOR_DIGITS))
        raise UnknownCurrency(
            f"currency must be one of: {known} (ISO 4217)" if code else f"currency is required ({known})"
        )
    digits = CURRENCY_MINOR_DIGITS[code]
    number = read_decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    minor_total = int(abs(number).scaleb(digits))
    major, minor = divmod(minor_total, 10**digits)
    _check_range(major)
    return Amount(negative=number < 0 and minor_total > 0, major=major, minor=minor, currency=code)


def _check_range(integer: int) -> None:
    if integer > MAX_INTEGER:
        raise NumberOutOfRange(f"numbers up to {MAX_INTEGER:,} can be spoken")


#: What ``digits`` mode says besides digits, and the separators it passes over silently.
DIGIT_SYMBOLS = {"+": "plus", "*": "star", "#": "hash"}
_DIGIT_SEPARATORS = frozenset(" \u00a0-./()")
MAX_DIGITS = 64


def read_digits(value: Any) -> list[str]:
    """``digits`` mode: one key per digit (and per ``+``, ``*``, ``#``); separators are skipped."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidNumber("digits mode reads an integer or a string of digits")
    if isinstance(value, int) and value < 0:
        raise InvalidNumber("digits mode reads no sign other than a leading +")
    keys: list[str] = []
    for char in str(value).strip():
        if char.isascii() and char.isdigit():
            keys.append(char)
        elif char in DIGIT_SYMBOLS:
            keys.append(DIGIT_SYMBOLS[char])
        elif char not in _DIGIT_SEPARATORS:
            raise InvalidNumber(f"digits mode cannot say {char!r}")
    if not keys:
        raise InvalidNumber("there are no digits to say")
    if len(keys) > MAX_DIGITS:
        raise InvalidNumber(f"digits mode says at most {MAX_DIGITS} digits")
    return keys


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")


def read_date(value: Any) -> dt.date:
    """A ``date``, a ``datetime`` (its own calendar date; no time-zone conversion) or an ISO-8601
    string ``YYYY-MM-DD`` (anything after the date, such as a time, is ignored)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = _ISO_DATE.match(value.strip())
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError as err:
                raise InvalidDate(f"{value!r} is not a calendar date ({err})") from None
    raise InvalidDate(f"{value!r} is not a date (use YYYY-MM-DD)")
