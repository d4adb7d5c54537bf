"""Play items (a play node's ``items``, a dtmf node's ``prompt``), resolved for the driver.

An item's ``value`` (a ValueSource) is replaced by what it reads. A value that cannot be spoken
is a node error (the FAQ's error rule then applies): a ``number`` needs a number (or numeric
text), a ``date`` an ISO-8601 date (``2025-01-31``, or a date-time whose date is spoken), a
``word`` non-empty text (a dictionary key).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from callcast_flowengine.conditions import as_number
from callcast_flowengine.values import ValueResolutionError


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) < 10:
        return False
    try:
        date.fromisoformat(value[:10])
        if len(value) > 10:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def speakable(kind: str, value: Any) -> str | None:
    """Why ``value`` cannot be spoken as a ``kind`` item, or None when it can."""
    if value is None or value == "":
        return f"a {kind} item has no value (is the variable or field set?)"
    if kind == "number" and as_number(value) is None:
        return f"a number item needs a number, got {value!r}"
    if kind == "date" and not is_iso_date(value):
        return f"a date item needs an ISO-8601 date (2025-01-31), got {value!r}"
    if kind == "word" and not isinstance(value, str):
        return f"a word item needs text (a dictionary key), got {value!r}"
    return None


def resolve_items(items: Any, resolve: Callable[[Any], Any]) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise ValueResolutionError("play items must be an array")
    resolved: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueResolutionError("play items must be objects")
        kind = item.get("type")
        out = dict(item)
        if kind in ("number", "date", "word"):
            out["value"] = resolve(item.get("value"))
            problem = speakable(str(kind), out["value"])
            if problem is not None:
                raise ValueResolutionError(problem)
        elif kind == "audioFile":
            if not isinstance(item.get("audioId"), str) or not item["audioId"]:
                raise ValueResolutionError("an audioFile item needs audioId")
        else:
            raise ValueResolutionError(f"unknown play item type {kind!r}")
        resolved.append(out)
    return resolved
