"""The scheduler's attempt lease: an attempt dispatched or calling whose call events stopped for
longer than the lease is closed failed/``dialer_lost`` on its job subject and retried per the
strategy, never left in progress."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import nats.errors
import pytest
from scheduler_support import FakeDialer, Tenant, event_types

from callcast_contracts import ids
from callcast_contracts.events import JobCompleted, RetryScheduled
from callcast_scheduler.outcomes import attempt_lease

pytestmark = pytest.mark.integration


def _beyond_the_lease() -> datetime:
    return datetime.now(UTC) + attempt_lease() + timedelta(seconds=1)


async def test_a_calling_attempt_whose_dialer_went_silent_is_closed_and_retried(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign(retry_strategy={"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 1})
    execution_id = await tenant.launch(campaign.program_id)
    job_id = ids.job_id(execution_id, campaign.contacts[0].id)
    first = await dialer.next_command()
    started_seq = await dialer.started(first)
    await first.msg.ack()  # as a dialer does once the attempt's first event is stored
    await tenant.app_caught_up()

    await tenant.app.scheduler.close_lost_attempts()  # within the lease: nothing is lost
    assert event_types(await tenant.job_events(job_id)) == ["AttemptDispatched"]

    await tenant.app.scheduler.close_lost_attempts(_beyond_the_lease())
    events = await tenant.job_events(job_id)
    # (the retry may already be dispatched: its delay is zero)
    assert event_types(events)[:2] == ["AttemptDispatched", "RetryScheduled"]
    retry = events[1]
    assert isinstance(retry, RetryScheduled)
    assert (retry.attempt_number, retry.last_outcome, retry.last_outcome_reason) == (2, "failed", "dialer_lost")
    second = await dialer.next_command()
    assert second.data.attempt_number == 2

    # The lost dialer comes back and reports the first attempt: it was settled, nothing changes.
    with contextlib.suppress(nats.errors.MsgAlreadyAckdError):  # acked when it started
        await dialer.ended(first, "completed", after_seq=started_seq)
    await tenant.app_caught_up()
    assert event_types(await tenant.job_events(job_id)) == ["AttemptDispatched", "RetryScheduled", "AttemptDispatched"]

    await dialer.call(second, "completed")
    execution = await tenant.execution_when(execution_id, "completed")
    assert (execution["contactsCompleted"], execution["contactsInProgress"]) == (1, 0)


async def test_a_dispatched_attempt_that_no_dialer_started_is_closed_failed_without_retries(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign(contacts=1)  # no retry strategy
    execution_id = await tenant.launch(campaign.program_id)
    job_id = ids.job_id(execution_id, campaign.contacts[0].id)
    taken = await dialer.next_command()  # taken, never started
    await taken.msg.ack()
    await tenant.app_caught_up()

    await tenant.app.scheduler.close_lost_attempts(_beyond_the_lease())
    events = await tenant.job_events(job_id)
    assert event_types(events) == ["AttemptDispatched", "JobCompleted"]
    closed = events[-1]
    assert isinstance(closed, JobCompleted)
    assert (closed.status, closed.outcome, closed.outcome_reason) == ("failed", "failed", "dialer_lost")
    execution = await tenant.execution_when(execution_id, "completed")
    assert (execution["contactsFailed"], execution["contactsInProgress"]) == (1, 0)
