"""Retry strategies: normal form, and when (whether) the next attempt happens.

Accepted spellings (both documentation generations): ``fixed_delay`` + ``delayMinutes`` and
``fixed-delay`` + ``delay`` (ms); ``scheduled`` + ``retryDates`` or ``dates``. Normal form uses
the program spelling: ``{"type":"fixed_delay","delayMinutes","maxRetries"}`` and
``{"type":"scheduled","retryDates"}`` with the dates in UTC (``Z``), in time order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from callcast_runtime.errors import ValidationFailed

#: Outcomes that leave the contact unreached (FAQ "What triggers a retry?").
RETRYABLE_OUTCOMES = frozenset({"no_answer", "busy", "rejected", "voicemail", "failed"})


def _bad(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed.single(f"retryStrategy.{field}", message, code)


def _int(raw: dict[str, Any], key: str, lo: int, hi: int) -> int:
    v = raw.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise _bad(key, f"retryStrategy.{key} must be an integer from {lo} to {hi}", "range")
    return v


def normalize_retry_strategy(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {"type": "none"}
    if not isinstance(raw, dict):
        raise ValidationFailed.single("retryStrategy", "retryStrategy must be an object", "type")
    kind = raw.get("type")
    if kind == "none":
        extra = set(raw) - {"type"}
        if extra:
            raise _bad(sorted(extra)[0], "property should not exist", "unknownField")
        return {"type": "none"}
    if kind in ("fixed_delay", "fixed-delay"):
        allowed = {"type", "delayMinutes", "delay", "maxRetries"}
        extra = set(raw) - allowed
        if extra:
            raise _bad(sorted(extra)[0], "property should not exist", "unknownField")
        if "delayMinutes" in raw:
            delay_minutes: float = _int(raw, "delayMinutes", 0, 60 * 24 * 30)
        elif "delay" in raw:
            delay_minutes = _int(raw, "delay", 0, 1000 * 60 * 60 * 24 * 30) / 60000
        else:
            raise _bad("delayMinutes", "retryStrategy.delayMinutes is required", "required")
        return {
            "type": "fixed_delay",
            "delayMinutes": delay_minutes,
            "maxRetries": _int(raw, "maxRetries", 0, 20),
        }
    if kind == "scheduled":
        extra = set(raw) - {"type", "retryDates", "dates"}
        if extra:
            raise _bad(sorted(extra)[0], "property should not exist", "unknownField")
        # Errors name the property the client sent (``retryDates`` unless it sent ``dates``).
        key = "dates" if "dates" in raw and "retryDates" not in raw else "retryDates"
        dates = raw.get(key)
        if not isinstance(dates, list) or not dates or len(dates) > 20:
            raise _bad(key, f"retryStrategy.{key} must list 1 to 20 ISO-8601 datetimes", "required")
        parsed: list[datetime] = []
        for i, d in enumerate(dates):
            try:
                dt = datetime.fromisoformat(str(d).replace("Z", "+00:00"))
            except ValueError:
                raise _bad(f"{key}[{i}]", "must be an ISO-8601 datetime", "isIso8601") from None
            if dt.tzinfo is None:
                raise _bad(f"{key}[{i}]", "must include a timezone (Z or an offset)", "isIso8601")
            parsed.append(dt.astimezone(UTC))
        # In UTC, so that the stored strings sort (and are used) in time order whatever offsets
        # the client wrote.
        return {"type": "scheduled", "retryDates": [dt.isoformat().replace("+00:00", "Z") for dt in sorted(parsed)]}
    raise ValidationFailed.single(
        "retryStrategy.type", "retryStrategy.type must be one of: none, fixed_delay, scheduled", "isEnum"
    )


def max_attempts(strategy: dict[str, Any]) -> int:
    kind = strategy.get("type")
    if kind == "fixed_delay":
        return 1 + int(strategy.get("maxRetries", 0))
    if kind == "scheduled":
        return 1 + len(strategy.get("retryDates", []))
    return 1


def next_attempt_at(
    strategy: dict[str, Any], *, attempts_made: int, outcome: str, ended_at: datetime
) -> datetime | None:
    """When attempt ``attempts_made + 1`` may start, or None when the job is over."""
    if outcome not in RETRYABLE_OUTCOMES or attempts_made >= max_attempts(strategy):
        return None
    kind = strategy.get("type")
    if kind == "fixed_delay":
        return ended_at + timedelta(minutes=float(strategy.get("delayMinutes", 0)))
    if kind == "scheduled":
        # Sorted as instants: strategies stored before normalisation to UTC may mix offsets.
        dates = sorted(datetime.fromisoformat(d.replace("Z", "+00:00")) for d in strategy["retryDates"])
        return max(dates[attempts_made - 1], ended_at)
    return None
