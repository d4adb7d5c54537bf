"""When a live program calls a contact: the date in one of its ``date`` custom attributes,
shifted by ``offsetDays``, at ``time`` (default 10:00) in the program's zone.

The documentation gives ``triggerCondition.attributeName`` only; the offset and the time of day are
Callcast's additions (a call at midnight is what an operator expects least). A trigger earlier than
the moment the execution considers it (its launch, then each evaluation) has passed and is not
called; one after ``stopAt`` is never reached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TIME = time(10, 0)


def attribute_date(value: Any) -> date | None:
    """A date attribute's value as the contact service stores it (``YYYY-MM-DD``, or an ISO
    date-time whose calendar date counts); None for anything else."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def trigger_time(value: Any, trigger: dict[str, Any], timezone: str) -> datetime | None:
    """The UTC moment ``value`` triggers a call under ``trigger`` (camelCase keys), or None."""
    day = attribute_date(value)
    if day is None:
        return None
    day += timedelta(days=int(trigger.get("offsetDays") or 0))
    at = trigger.get("time")
    clock = time(int(at["hour"]), int(at["minute"])) if at else DEFAULT_TIME
    # A time that a DST change skips is read as the same wall time after the change (zoneinfo's
    # fold=0 gives the offset before it): at worst an hour late, never an hour early.
    local = datetime.combine(day, clock, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def due_triggers(
    contacts: list[tuple[str, str, Any]],
    trigger: dict[str, Any],
    timezone: str,
    *,
    not_before: datetime,
    stop_at: datetime | None,
) -> list[tuple[str, str, datetime]]:
    """``(contact id, phone, trigger time)`` of the contacts (``(id, phone, attribute value)``) whose
    trigger is still to come: at or after ``not_before`` and not after ``stop_at``."""
    out = []
    for contact_id, phone, value in contacts:
        at = trigger_time(value, trigger, timezone)
        if at is None or at < not_before or (stop_at is not None and at > stop_at):
            continue
        out.append((contact_id, phone, at))
    return out
