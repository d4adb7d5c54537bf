"""Caller ids rotate over the program's DID pool: jobs spread over it, each retry takes the next."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_contracts import ids
from callcast_scheduler.domain.callerid import pick_caller_id

pytestmark = pytest.mark.unit

pools = st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=12, unique=True).map(
    lambda numbers: [f"+2125{n:08d}" for n in numbers]
)
job_ids = st.uuids().map(str)


@given(pools, job_ids)
def test_a_job_retried_as_often_as_the_pool_is_long_uses_every_number_once(pool: list[str], job_id: str) -> None:
    used = [pick_caller_id(pool, job_id, attempt) for attempt in range(1, len(pool) + 1)]
    assert sorted(used) == sorted(pool)


@given(pools, job_ids, st.integers(1, 50))
def test_a_retry_moves_to_the_next_number_of_the_pool(pool: list[str], job_id: str, attempt: int) -> None:
    now = pick_caller_id(pool, job_id, attempt)
    after = pick_caller_id(pool, job_id, attempt + 1)
    assert after == pool[(pool.index(now) + 1) % len(pool)]


@given(pools, job_ids, st.integers(1, 50))
def test_the_same_job_and_attempt_always_get_the_same_number(pool: list[str], job_id: str, attempt: int) -> None:
    # A restarted scheduler re-dispatching an attempt must pick what it picked before.
    assert pick_caller_id(pool, job_id, attempt) == pick_caller_id(list(pool), job_id, attempt)


def test_first_attempts_are_spread_over_every_number_of_the_pool() -> None:
    pool = ["+212522000001", "+212522000002", "+212522000003"]
    execution = str(uuid.UUID(int=1))
    firsts = {pick_caller_id(pool, ids.job_id(execution, str(uuid.UUID(int=n))), 1) for n in range(30)}
    assert firsts == set(pool)


def test_an_empty_pool_has_no_caller_id() -> None:
    with pytest.raises(ValueError, match="empty"):
        pick_caller_id([], str(uuid.uuid4()), 1)
