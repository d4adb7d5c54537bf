"""Retry strategies: normal form, and when (whether) the next attempt happens.

Accepted spellings (both documentation generations, digest §9.1/§9.2): ``fixed_delay`` +
``delayMinutes`` and ``fixed-delay`` + ``delay`` (ms); ``scheduled`` + ``retryDates`` or
``dates``. Spellings may be mixed (``fixed_delay`` with ``delay``), but one field may not be given
in both spellings at once. Normal form uses the program spelling:
``{"type":"fixed_delay","delayMinutes","maxRetries"}`` (``delayMinutes`` an int when the delay is a
whole number of minutes) and ``{"type":"scheduled","retryDates"}`` with the dates in UTC (``Z``),
strictly increasing (two dates naming the same instant are refused).

``retryOn`` (optional, both retrying types): the outcomes that are retried. Absent means the
documented default, every unreached outcome (digest §9.3 "Busy, No Answer, Rejected, Voicemail or
Network Error"; the FAQ marks voicemail "Retry (configurable)": retried unless ``retryOn`` leaves
it out). The normal form keeps ``retryOn`` only when the client gave it, in a fixed order, so a
stored strategy without it keeps meaning "the default".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from callcast_runtime.errors import ValidationFailed

#: Outcomes that leave the contact unreached (FAQ "What triggers a retry?"), in display order.
RETRYABLE_OUTCOME_ORDER = ("no_answer", "busy", "rejected", "voicemail", "failed")
RETRYABLE_OUTCOMES = frozenset(RETRYABLE_OUTCOME_ORDER)
#: Retried when the strategy has no ``retryOn``: all of them, voicemail included (digest §9.3).
DEFAULT_RETRY_ON = RETRYABLE_OUTCOMES

MAX_RETRIES = 20
MAX_DELAY_MINUTES = 60 * 24 * 30


def _bad(field: str, message: str, code: str = "invalid", **params: Any) -> ValidationFailed:
    return ValidationFailed.single(f"retryStrategy.{field}", message, code, **params)


def _int(raw: Mapping[str, Any], key: str, lo: int, hi: int) -> int:
    v = raw.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise _bad(key, f"retryStrategy.{key} must be an integer from {lo} to {hi}", "range", min=lo, max=hi)
    return v


def _minutes(raw: Mapping[str, Any], key: str) -> float:
    """A number of minutes (digest §9.1: ``number``); fractions occur in the normal form of a
    delay given in milliseconds, which must stay valid input."""
    v = raw.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= MAX_DELAY_MINUTES:
        message = f"retryStrategy.{key} must be a number from 0 to {MAX_DELAY_MINUTES}"
        raise _bad(key, message, "range", min=0, max=MAX_DELAY_MINUTES)
    return int(v) if float(v).is_integer() else float(v)


def _refuse_unknown(raw: Mapping[str, Any], allowed: set[str]) -> None:
    extra = set(raw) - allowed
    if extra:
        raise _bad(sorted(extra)[0], "property should not exist", "unknownField")


def _one_spelling(raw: Mapping[str, Any], program: str, ad_hoc: str) -> str | None:
    """The key the client used for a field that has two spellings (None: neither)."""
    if program in raw and ad_hoc in raw:
        raise _bad(ad_hoc, f"give retryStrategy.{program} or retryStrategy.{ad_hoc}, not both", "conflict")
    if program in raw:
        return program
    return ad_hoc if ad_hoc in raw else None


def _retry_on(raw: Mapping[str, Any]) -> list[str] | None:
    if "retryOn" not in raw:
        return None
    value = raw["retryOn"]
    if not isinstance(value, list) or not value:
        raise _bad("retryOn", "retryStrategy.retryOn must list at least one outcome", "arrayNotEmpty")
    seen: set[str] = set()
    for i, outcome in enumerate(value):
        if not isinstance(outcome, str) or outcome not in RETRYABLE_OUTCOMES:
            raise _bad(
                f"retryOn[{i}]",
                f"must be one of: {', '.join(RETRYABLE_OUTCOME_ORDER)}",
                "isEnum",
                allowed=list(RETRYABLE_OUTCOME_ORDER),
            )
        if outcome in seen:
            raise _bad(f"retryOn[{i}]", f"{outcome} is listed twice", "arrayUnique")
        seen.add(outcome)
    return [o for o in RETRYABLE_OUTCOME_ORDER if o in seen]


def _with_retry_on(strategy: dict[str, Any], retry_on: list[str] | None) -> dict[str, Any]:
    if retry_on is not None:
        strategy["retryOn"] = retry_on
    return strategy


def _fixed_delay(raw: Mapping[str, Any]) -> dict[str, Any]:
    _refuse_unknown(raw, {"type", "delayMinutes", "delay", "maxRetries", "retryOn"})
    key = _one_spelling(raw, "delayMinutes", "delay")
    if key is None:
        raise _bad("delayMinutes", "retryStrategy.delayMinutes is required", "required")
    delay_minutes: float
    if key == "delayMinutes":
        delay_minutes = _minutes(raw, key)
    else:
        ms = _int(raw, key, 0, MAX_DELAY_MINUTES * 60_000)
        # Same normal form as the program spelling: 300000 ms is delayMinutes 5, not 5.0.
        delay_minutes = ms // 60_000 if ms % 60_000 == 0 else ms / 60_000
    max_retries = _int(raw, "maxRetries", 0, MAX_RETRIES)
    strategy = {"type": "fixed_delay", "delayMinutes": delay_minutes, "maxRetries": max_retries}
    return _with_retry_on(strategy, _retry_on(raw))


def _scheduled(raw: Mapping[str, Any]) -> dict[str, Any]:
    _refuse_unknown(raw, {"type", "retryDates", "dates", "retryOn"})
    # Errors name the property the client sent (``retryDates`` unless it sent ``dates``).
    key = _one_spelling(raw, "retryDates", "dates") or "retryDates"
    dates = raw.get(key)
    if not isinstance(dates, list) or not dates or len(dates) > MAX_RETRIES:
        raise _bad(key, f"retryStrategy.{key} must list 1 to {MAX_RETRIES} ISO-8601 datetimes", "required")
    parsed: list[tuple[datetime, int]] = []
    for i, d in enumerate(dates):
        if not isinstance(d, str):
            raise _bad(f"{key}[{i}]", "must be an ISO-8601 datetime", "isIso8601")
        try:
            dt = datetime.fromisoformat(d.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(f"{key}[{i}]", "must be an ISO-8601 datetime", "isIso8601") from None
        if dt.tzinfo is None:
            raise _bad(f"{key}[{i}]", "must include a timezone (Z or an offset)", "isIso8601")
        parsed.append((dt.astimezone(UTC), i))
    parsed.sort()
    # Strictly increasing once in UTC: one date per retry, so a repeated instant would be a retry
    # that cannot happen at its date (the attempt before it is still running).
    for (prev, _), (dt, i) in pairwise(parsed):
        if dt == prev:
            raise _bad(f"{key}[{i}]", "names the same instant as another retry date", "arrayUnique")
    strategy = {"type": "scheduled", "retryDates": [dt.isoformat().replace("+00:00", "Z") for dt, _ in parsed]}
    return _with_retry_on(strategy, _retry_on(raw))


def normalize_retry_strategy(raw: Any) -> dict[str, Any]:
    """Validate ``raw`` (either spelling) and answer the normal form; ValidationFailed names the
    field (``retryStrategy.<field>``)."""
    if raw is None:
        return {"type": "none"}
    if not isinstance(raw, Mapping):
        raise ValidationFailed.single("retryStrategy", "retryStrategy must be an object", "type")
    kind = raw.get("type")
    if kind == "none":
        _refuse_unknown(raw, {"type"})
        return {"type": "none"}
    if kind in ("fixed_delay", "fixed-delay"):
        return _fixed_delay(raw)
    if kind == "scheduled":
        return _scheduled(raw)
    raise ValidationFailed.single(
        "retryStrategy.type", "retryStrategy.type must be one of: none, fixed_delay, scheduled", "isEnum"
    )


def max_attempts(strategy: Mapping[str, Any]) -> int:
    """Attempts a contact gets at most: ``maxRetries`` 3 → 4; one per retry date plus the first."""
    kind = strategy.get("type")
    if kind == "fixed_delay":
        return 1 + int(strategy.get("maxRetries", 0))
    if kind == "scheduled":
        return 1 + len(strategy.get("retryDates", []))
    return 1


def retried_outcomes(strategy: Mapping[str, Any]) -> frozenset[str]:
    """The outcomes this strategy retries (``retryOn``, or the default)."""
    retry_on = strategy.get("retryOn")
    return DEFAULT_RETRY_ON if retry_on is None else frozenset(retry_on) & RETRYABLE_OUTCOMES


def next_attempt_at(
    strategy: Mapping[str, Any], *, attempts_made: int, outcome: str, ended_at: datetime
) -> datetime | None:
    """When attempt ``attempts_made + 1`` may start, or None when the job is over.

    A scheduled date that has already passed when the attempt ends does not skip the retry: it is
    due at once (``max(date, ended_at)``). Pause windows and ``stopAt`` are not applied here.
    """
    if outcome not in retried_outcomes(strategy) or attempts_made >= max_attempts(strategy):
        return None
    kind = strategy.get("type")
    if kind == "fixed_delay":
        return ended_at + timedelta(minutes=float(strategy.get("delayMinutes", 0)))
    if kind == "scheduled":
        # Sorted as instants: strategies stored before normalisation to UTC may mix offsets.
        dates = sorted(datetime.fromisoformat(d.replace("Z", "+00:00")) for d in strategy["retryDates"])
        return max(dates[attempts_made - 1], ended_at)
    return None
