"""Caller ids rotate over the DID pool least recently used first, across batches and executions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_scheduler.domain.callerid import least_recently_used_order, rotate

pytestmark = pytest.mark.unit

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

pools = st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=12, unique=True).map(
    lambda numbers: [f"+2125{n:08d}" for n in numbers]
)


@given(pools, st.lists(st.integers(1, 30), min_size=1, max_size=8))
def test_over_consecutive_batches_each_number_is_used_once_before_any_is_used_again(
    pool: list[str], batches: list[int]
) -> None:
    last_used: dict[str, datetime] = {}
    handed_out: list[str] = []
    for i, count in enumerate(batches):
        rotation = rotate(pool, last_used, count, now=T0 + timedelta(seconds=i))
        handed_out += rotation.caller_ids
        last_used.update(rotation.last_used)
    for start in range(0, len(handed_out) - len(pool) + 1):
        window = handed_out[start : start + len(pool)]
        assert sorted(window) == sorted(pool)


def test_a_number_never_used_comes_first_then_the_one_used_longest_ago() -> None:
    pool = ["+212522000001", "+212522000002", "+212522000003"]
    last_used = {"+212522000001": T0, "+212522000002": T0 - timedelta(hours=1)}
    assert least_recently_used_order(pool, last_used) == ["+212522000003", "+212522000002", "+212522000001"]


def test_numbers_used_by_another_execution_of_the_organization_wait_their_turn() -> None:
    # The organization's last-use times are shared: a number another program just used goes last.
    pool = ["+212522000001", "+212522000002"]
    rotation = rotate(pool, {"+212522000001": T0}, 1, now=T0 + timedelta(seconds=1))
    assert rotation.caller_ids == ["+212522000002"]


def test_a_batch_records_when_each_number_it_used_was_last_used() -> None:
    pool = ["+212522000001", "+212522000002"]
    rotation = rotate(pool, {}, 3, now=T0)
    assert rotation.caller_ids == ["+212522000001", "+212522000002", "+212522000001"]
    assert rotation.last_used["+212522000001"] > rotation.last_used["+212522000002"] >= T0


def test_a_number_listed_twice_in_the_pool_is_one_number() -> None:
    rotation = rotate(["+212522000001", "+212522000001"], {}, 2, now=T0)
    assert rotation.caller_ids == ["+212522000001", "+212522000001"]


def test_an_empty_pool_has_no_caller_id() -> None:
    with pytest.raises(ValueError, match="empty"):
        rotate([], {}, 1, now=T0)
