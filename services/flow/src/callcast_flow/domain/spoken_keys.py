"""Which dictionary keys a number/date/word play item can need (for the validator's warning).

A literal value is rendered exactly. A value known only during the call (a variable, a contact
field, …) can need any key of its kind: every number key for a number, plus its currency's keys
in ``currency`` mode; every number, month, weekday and ordinal key for a date.
"""

from __future__ import annotations

from collections.abc import Collection

from callcast_flow.domain.validation import SpokenItem
from callcast_spoken import SpokenValueError, expected_keys, render_item

_NOT_NUMBER_KEYS = ("currency_", "month_", "weekday_", "ordinal_")
_DATE_ONLY = ("month_", "weekday_", "ordinal_")
_PREPOSITIONS = frozenset({"of", "of_elided", "first"})


def keys_needed(item: SpokenItem) -> Collection[str]:
    if item.value_known:
        try:
            return render_item(
                {
                    "type": item.kind,
                    "value": item.value,
                    "language": item.language,
                    "mode": item.mode,
                    "currency": item.currency,
                }
            )
        except SpokenValueError:
            return ()  # the value itself is reported by the type checks
    try:
        every = expected_keys(item.language)
    except SpokenValueError:
        return ()
    if item.kind == "word":
        return ()  # any word: nothing to check before the call
    numbers = {k for k in every if not k.startswith(_NOT_NUMBER_KEYS) and k not in _PREPOSITIONS}
    if item.kind == "number":
        if item.mode == "currency" and item.currency:
            numbers |= {k for k in every if k.startswith(f"currency_{item.currency}")}
        return numbers
    return numbers | {k for k in every if k.startswith(_DATE_ONLY)} | (_PREPOSITIONS & every)
