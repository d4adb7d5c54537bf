"""Retry strategies: both documented spellings normalise to one form, bad input names its field,
and ``next_attempt_at`` decides whether (and when) a job is tried again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_runtime.errors import ValidationFailed
from callcast_scheduler.domain.retry import (
    RETRYABLE_OUTCOMES,
    max_attempts,
    next_attempt_at,
    normalize_retry_strategy,
)

pytestmark = pytest.mark.unit

ENDED = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
OUTCOMES = sorted(RETRYABLE_OUTCOMES | {"completed", "user_hangup", "cancelled"})


# -- normal form --------------------------------------------------------------------------------
def test_fixed_delay_in_minutes_is_the_normal_form() -> None:
    raw = {"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 3}
    assert normalize_retry_strategy(raw) == {"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 3}


def test_fixed_delay_with_a_delay_in_milliseconds_becomes_minutes() -> None:
    raw = {"type": "fixed-delay", "delay": 300000, "maxRetries": 3}
    assert normalize_retry_strategy(raw) == {"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 3}


@pytest.mark.parametrize("key", ["retryDates", "dates"])
def test_scheduled_retry_dates_are_kept_in_time_order_in_utc(key: str) -> None:
    raw = {"type": "scheduled", key: ["2025-01-21T10:00:00Z", "2025-01-20T15:00:00+02:00", "2025-01-20T10:00:00Z"]}
    assert normalize_retry_strategy(raw) == {
        "type": "scheduled",
        "retryDates": ["2025-01-20T10:00:00Z", "2025-01-20T13:00:00Z", "2025-01-21T10:00:00Z"],
    }


@pytest.mark.parametrize("raw", [None, {"type": "none"}])
def test_no_strategy_means_one_attempt(raw: dict[str, Any] | None) -> None:
    strategy = normalize_retry_strategy(raw)
    assert strategy == {"type": "none"}
    assert max_attempts(strategy) == 1
    assert next_attempt_at(strategy, attempts_made=1, outcome="busy", ended_at=ENDED) is None


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([1, 2], "retryStrategy"),
        ({}, "retryStrategy.type"),
        ({"type": "exponential"}, "retryStrategy.type"),
        ({"type": "none", "maxRetries": 1}, "retryStrategy.maxRetries"),
        ({"type": "fixed_delay", "maxRetries": 1}, "retryStrategy.delayMinutes"),
        ({"type": "fixed_delay", "delayMinutes": "5", "maxRetries": 1}, "retryStrategy.delayMinutes"),
        ({"type": "fixed_delay", "delayMinutes": True, "maxRetries": 1}, "retryStrategy.delayMinutes"),
        ({"type": "fixed_delay", "delayMinutes": -1, "maxRetries": 1}, "retryStrategy.delayMinutes"),
        ({"type": "fixed_delay", "delayMinutes": 5}, "retryStrategy.maxRetries"),
        ({"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 21}, "retryStrategy.maxRetries"),
        ({"type": "fixed-delay", "delay": 1.5, "maxRetries": 1}, "retryStrategy.delay"),
        ({"type": "fixed-delay", "delay": 500, "maxRetries": 1, "unit": "ms"}, "retryStrategy.unit"),
        ({"type": "scheduled"}, "retryStrategy.retryDates"),
        ({"type": "scheduled", "retryDates": []}, "retryStrategy.retryDates"),
        ({"type": "scheduled", "retryDates": ["2025-01-20T10:00:00Z"] * 21}, "retryStrategy.retryDates"),
        ({"type": "scheduled", "retryDates": "2025-01-20T10:00:00Z"}, "retryStrategy.retryDates"),
        ({"type": "scheduled", "retryDates": ["2025-01-20T10:00:00Z", "soon"]}, "retryStrategy.retryDates[1]"),
        ({"type": "scheduled", "dates": ["2025-01-20T10:00:00"]}, "retryStrategy.dates[0]"),
        ({"type": "scheduled", "dates": [], "every": "day"}, "retryStrategy.every"),
    ],
)
def test_a_bad_strategy_is_refused_naming_the_field(raw: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalize_retry_strategy(raw)
    assert list(refused.value.field_errors) == [field]
    assert refused.value.status_code == 400


# -- next_attempt_at, properties over both spellings -------------------------------------------
offsets = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))])
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=offsets)

fixed_delay_minutes = st.fixed_dictionaries(
    {"type": st.just("fixed_delay"), "delayMinutes": st.integers(0, 600), "maxRetries": st.integers(0, 20)}
)
fixed_delay_ms = st.fixed_dictionaries(
    {"type": st.just("fixed-delay"), "delay": st.integers(0, 36_000_000), "maxRetries": st.integers(0, 20)}
)
scheduled = st.builds(
    lambda key, dates: {"type": "scheduled", key: [d.isoformat() for d in dates]},
    st.sampled_from(["retryDates", "dates"]),
    # Distinct instants: two dates naming the same instant are refused (tested below).
    st.lists(instants, min_size=1, max_size=20, unique_by=lambda d: d.astimezone(UTC)),
)
any_strategy = st.one_of(st.just({"type": "none"}), fixed_delay_minutes, fixed_delay_ms, scheduled)


def _attempts_until_done(strategy: dict[str, Any], outcomes: list[str]) -> tuple[int, list[datetime]]:
    """Attempts a job makes when its calls end with ``outcomes`` (repeated), and the retry times."""
    attempts, ended, retries = 1, ENDED, []
    while attempts <= 100:
        not_before = next_attempt_at(
            strategy, attempts_made=attempts, outcome=outcomes[(attempts - 1) % len(outcomes)], ended_at=ended
        )
        if not_before is None:
            break
        retries.append(not_before)
        attempts += 1
        ended = not_before + timedelta(seconds=30)
    return attempts, retries


def _documented_attempts(raw: dict[str, Any]) -> int:
    """FAQ: none → 1 attempt; fixed_delay → 1 + maxRetries; scheduled → 1 + one per date."""
    if raw["type"] == "none":
        return 1
    if raw["type"] in ("fixed_delay", "fixed-delay"):
        return 1 + int(raw["maxRetries"])
    return 1 + len(raw.get("retryDates", raw.get("dates", [])))


@given(any_strategy, st.lists(st.sampled_from(OUTCOMES), min_size=1))
def test_a_job_never_makes_more_than_max_attempts(raw: dict[str, Any], outcomes: list[str]) -> None:
    strategy = normalize_retry_strategy(raw)
    attempts, _ = _attempts_until_done(strategy, outcomes)
    assert max_attempts(strategy) == _documented_attempts(raw)
    assert attempts <= max_attempts(strategy)
    if all(outcome in RETRYABLE_OUTCOMES for outcome in outcomes):
        assert attempts == max_attempts(strategy), "an unreached contact gets every retry"


@given(st.one_of(fixed_delay_minutes, fixed_delay_ms), instants, st.sampled_from(sorted(RETRYABLE_OUTCOMES)))
def test_a_fixed_delay_retry_waits_exactly_the_delay(raw: dict[str, Any], ended: datetime, outcome: str) -> None:
    strategy = normalize_retry_strategy(raw)
    delay = timedelta(minutes=raw["delayMinutes"]) if "delayMinutes" in raw else timedelta(milliseconds=raw["delay"])
    not_before = next_attempt_at(strategy, attempts_made=1, outcome=outcome, ended_at=ended)
    if raw["maxRetries"] == 0:
        assert not_before is None
    else:
        assert not_before is not None
        assert abs(not_before - (ended + delay)) < timedelta(milliseconds=1)


@given(scheduled, st.lists(st.sampled_from(sorted(RETRYABLE_OUTCOMES)), min_size=1))
def test_scheduled_retries_happen_at_their_dates_in_order(raw: dict[str, Any], outcomes: list[str]) -> None:
    strategy = normalize_retry_strategy(raw)
    _, retries = _attempts_until_done(strategy, outcomes)
    dates = sorted(datetime.fromisoformat(d) for d in raw.get("retryDates", raw.get("dates", [])))
    assert len(retries) == len(dates)
    assert retries == sorted(retries), "retries go forward in time"
    for retry, date in zip(retries, dates, strict=True):
        assert retry >= date, "never before its date"


@given(any_strategy, st.text(min_size=1, max_size=20).filter(lambda o: o not in RETRYABLE_OUTCOMES), instants)
def test_an_outcome_that_is_not_retryable_never_retries(raw: dict[str, Any], outcome: str, ended: datetime) -> None:
    strategy = normalize_retry_strategy(raw)
    assert next_attempt_at(strategy, attempts_made=1, outcome=outcome, ended_at=ended) is None


@given(any_strategy, st.integers(1, 30), instants)
def test_a_completed_call_never_retries(raw: dict[str, Any], attempts_made: int, ended: datetime) -> None:
    strategy = normalize_retry_strategy(raw)
    assert next_attempt_at(strategy, attempts_made=attempts_made, outcome="completed", ended_at=ended) is None


@pytest.mark.parametrize("outcome", ["no_answer", "busy", "rejected", "voicemail", "failed"])
def test_every_unreached_outcome_of_the_faq_is_retried(outcome: str) -> None:
    strategy = normalize_retry_strategy({"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 1})
    assert next_attempt_at(strategy, attempts_made=1, outcome=outcome, ended_at=ENDED) == ENDED + timedelta(minutes=10)
    assert next_attempt_at(strategy, attempts_made=2, outcome=outcome, ended_at=ENDED) is None


def test_a_strategy_stored_with_mixed_offsets_still_retries_in_time_order() -> None:
    # Programs saved before dates were normalised to UTC kept the client's offsets, string-sorted.
    stored = {"type": "scheduled", "retryDates": ["2025-01-20T10:30:00Z", "2025-01-20T11:00:00+01:00"]}
    first = next_attempt_at(stored, attempts_made=1, outcome="busy", ended_at=ENDED)
    second = next_attempt_at(stored, attempts_made=2, outcome="busy", ended_at=ENDED)
    assert (first, second) == (datetime(2025, 1, 20, 10, 0, tzinfo=UTC), datetime(2025, 1, 20, 10, 30, tzinfo=UTC))


# -- both spellings, one normal form -------------------------------------------------------------
@pytest.mark.parametrize(
    ("ad_hoc", "program"),
    [
        (
            {"type": "fixed-delay", "delay": 1_800_000, "maxRetries": 2},
            {"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 2},
        ),
        (
            {"type": "fixed-delay", "delay": 0, "maxRetries": 0, "retryOn": ["busy"]},
            {"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 0, "retryOn": ["busy"]},
        ),
        (
            {"type": "scheduled", "dates": ["2025-01-20T11:00:00+01:00"], "retryOn": ["failed", "no_answer"]},
            {"type": "scheduled", "retryDates": ["2025-01-20T10:00:00Z"], "retryOn": ["no_answer", "failed"]},
        ),
    ],
)
def test_the_ad_hoc_spelling_has_the_program_normal_form(ad_hoc: dict[str, Any], program: dict[str, Any]) -> None:
    assert normalize_retry_strategy(ad_hoc) == normalize_retry_strategy(program)
    assert normalize_retry_strategy(normalize_retry_strategy(ad_hoc)) == normalize_retry_strategy(ad_hoc)


def test_a_whole_number_of_minutes_in_milliseconds_stays_an_integer() -> None:
    minutes = normalize_retry_strategy({"type": "fixed-delay", "delay": 300000, "maxRetries": 1})["delayMinutes"]
    assert type(minutes) is int
    assert normalize_retry_strategy({"type": "fixed-delay", "delay": 90_000, "maxRetries": 1})["delayMinutes"] == 1.5


@given(any_strategy)
def test_the_normal_form_is_a_fixed_point(raw: dict[str, Any]) -> None:
    strategy = normalize_retry_strategy(raw)
    assert normalize_retry_strategy(strategy) == strategy


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "fixed_delay", "delayMinutes": 5, "delay": 300000, "maxRetries": 1}, "retryStrategy.delay"),
        ({"type": "scheduled", "retryDates": ["2025-01-20T10:00:00Z"], "dates": []}, "retryStrategy.dates"),
        ({"type": "none", "retryOn": ["busy"]}, "retryStrategy.retryOn"),
        ({"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 1, "retryOn": []}, "retryStrategy.retryOn"),
        ({"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 1, "retryOn": "busy"}, "retryStrategy.retryOn"),
        (
            {"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 1, "retryOn": ["busy", "completed"]},
            "retryStrategy.retryOn[1]",
        ),
        (
            {"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 1, "retryOn": ["busy", "BUSY"]},
            "retryStrategy.retryOn[1]",
        ),
        (
            {"type": "scheduled", "retryDates": ["2025-01-20T10:00:00Z"], "retryOn": ["busy", "busy"]},
            "retryStrategy.retryOn[1]",
        ),
        ({"type": "scheduled", "retryDates": ["2025-01-20T10:00:00Z", 5]}, "retryStrategy.retryDates[1]"),
        ({"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 1, "backoff": 2}, "retryStrategy.backoff"),
    ],
)
def test_a_bad_retry_on_or_a_doubled_spelling_is_refused_naming_the_field(raw: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalize_retry_strategy(raw)
    assert list(refused.value.field_errors) == [field]


@pytest.mark.parametrize("key", ["retryDates", "dates"])
def test_two_retry_dates_naming_the_same_instant_are_refused(key: str) -> None:
    raw = {"type": "scheduled", key: ["2025-01-20T12:00:00+02:00", "2025-01-21T10:00:00Z", "2025-01-20T10:00:00Z"]}
    with pytest.raises(ValidationFailed) as refused:
        normalize_retry_strategy(raw)
    assert list(refused.value.field_errors) == [f"retryStrategy.{key}[2]"]
    assert refused.value.field_details[f"retryStrategy.{key}[2]"][0]["code"] == "arrayUnique"


# -- retryOn -------------------------------------------------------------------------------------
def test_without_retry_on_voicemail_is_retried_as_documented() -> None:
    strategy = normalize_retry_strategy({"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 1})
    assert "retryOn" not in strategy
    assert next_attempt_at(strategy, attempts_made=1, outcome="voicemail", ended_at=ENDED) is not None


def test_retry_on_leaving_voicemail_out_ends_a_voicemail_job() -> None:
    strategy = normalize_retry_strategy(
        {"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 3, "retryOn": ["no_answer", "busy"]}
    )
    assert next_attempt_at(strategy, attempts_made=1, outcome="voicemail", ended_at=ENDED) is None
    assert next_attempt_at(strategy, attempts_made=1, outcome="failed", ended_at=ENDED) is None
    assert next_attempt_at(strategy, attempts_made=1, outcome="busy", ended_at=ENDED) == ENDED + timedelta(minutes=10)


@given(
    st.one_of(fixed_delay_minutes, fixed_delay_ms, scheduled),
    st.lists(st.sampled_from(sorted(RETRYABLE_OUTCOMES)), min_size=1, unique=True),
    st.sampled_from(OUTCOMES),
)
def test_only_the_outcomes_in_retry_on_are_retried(raw: dict[str, Any], retry_on: list[str], outcome: str) -> None:
    strategy = normalize_retry_strategy({**raw, "retryOn": retry_on})
    retried = next_attempt_at(strategy, attempts_made=1, outcome=outcome, ended_at=ENDED) is not None
    assert retried == (outcome in retry_on and max_attempts(strategy) > 1)


# -- scheduled dates already passed --------------------------------------------------------------
def test_a_retry_date_already_passed_when_the_attempt_ends_is_due_at_once() -> None:
    strategy = normalize_retry_strategy(
        {"type": "scheduled", "retryDates": ["2025-01-20T08:00:00Z", "2025-01-20T12:00:00Z"]}
    )
    assert next_attempt_at(strategy, attempts_made=1, outcome="busy", ended_at=ENDED) == ENDED
    assert next_attempt_at(strategy, attempts_made=2, outcome="busy", ended_at=ENDED) == datetime(
        2025, 1, 20, 12, 0, tzinfo=UTC
    )
    assert next_attempt_at(strategy, attempts_made=3, outcome="busy", ended_at=ENDED) is None


def test_a_fractional_delay_in_minutes_is_accepted_as_the_normal_form_of_milliseconds() -> None:
    assert normalize_retry_strategy({"type": "fixed_delay", "delayMinutes": 1.5, "maxRetries": 1}) == {
        "type": "fixed_delay",
        "delayMinutes": 1.5,
        "maxRetries": 1,
    }
    assert normalize_retry_strategy({"type": "fixed_delay", "delayMinutes": 5.0, "maxRetries": 1})["delayMinutes"] == 5
