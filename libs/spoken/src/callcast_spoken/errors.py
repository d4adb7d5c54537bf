"""Why a value cannot be spoken. Every error is a ``ValueError`` whose message suits an API client."""

from __future__ import annotations


class SpokenValueError(ValueError):
    """The value, language, mode or currency of a play item cannot be rendered."""


class UnsupportedLanguage(SpokenValueError):
    pass


class UnsupportedMode(SpokenValueError):
    pass


class InvalidNumber(SpokenValueError):
    pass


class NumberOutOfRange(InvalidNumber):
    pass


class UnknownCurrency(SpokenValueError):
    pass


class InvalidDate(SpokenValueError):
    pass


class InvalidWord(SpokenValueError):
    pass
