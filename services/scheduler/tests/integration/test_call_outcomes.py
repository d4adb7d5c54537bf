"""The reactor on the call-event stream: a call's outcome becomes a retry or a finished job, and
the execution completes when every job is final."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from scheduler_support import FakeDialer, Tenant, event_types

from callcast_contracts import ids
from callcast_contracts.envelope import Event
from callcast_contracts.events import AttemptDispatched, ExecutionCompleted, JobCompleted, RetryScheduled
from callcast_contracts.streams import PROGRAMS
from callcast_scheduler.handlers import execution_subject

pytestmark = pytest.mark.integration


def _counters(execution: dict[str, object]) -> tuple[object, ...]:
    keys = ("totalContacts", "contactsCompleted", "contactsFailed", "contactsPending", "contactsInProgress")
    return tuple(execution[k] for k in keys)


def _has(kind: type[Event]) -> Callable[[list[Event]], bool]:
    return lambda events: any(isinstance(e, kind) for e in events)


async def test_busy_callee_is_retried_after_the_delay(tenant: Tenant, dialer: FakeDialer) -> None:
    # The ad-hoc spelling: `fixed-delay` with `delay` in milliseconds.
    campaign = await tenant.campaign(
        retry_strategy={"type": "fixed-delay", "delay": 500, "maxRetries": 2},
        caller_ids=("+212522000011", "+212522000012"),
    )
    execution_id = await tenant.launch(campaign.program_id)
    job_id = ids.job_id(execution_id, campaign.contacts[0].id)

    first = await dialer.next_command()
    assert first.data.attempt_number == 1
    busy = await dialer.call(first, "busy")

    second = await dialer.next_command()
    history = await tenant.job_history(job_id)
    retry = history[1].envelope.data
    assert isinstance(retry, RetryScheduled)
    assert retry.attempt_number == 2
    assert retry.last_outcome == "busy"
    assert abs(retry.not_before - (busy.terminated_at + timedelta(milliseconds=500))) < timedelta(milliseconds=1)
    redispatch = history[2].envelope
    assert isinstance(redispatch.data, AttemptDispatched)
    assert redispatch.occurred_at >= retry.not_before, "the retry was dispatched before its delay"

    assert second.data.attempt_number == 2
    assert second.data.attempt_id == ids.attempt_id(job_id, 2)
    assert second.data.job_id == job_id
    assert {first.data.caller_id, second.data.caller_id} == {"+212522000011", "+212522000012"}, (
        "a retry uses the pool's next number"
    )
    assert redispatch.data.caller_id == second.data.caller_id

    await dialer.call(second, "completed")
    events = await tenant.job_events_until(job_id, _has(JobCompleted))
    assert event_types(events) == ["AttemptDispatched", "RetryScheduled", "AttemptDispatched", "JobCompleted"]
    completed = events[-1]
    assert isinstance(completed, JobCompleted)
    assert (completed.status, completed.outcome, completed.attempts) == ("completed", "completed", 2)

    execution = await tenant.execution_when(execution_id, "completed")
    assert _counters(execution) == (1, 1, 0, 0, 0)
    await dialer.assert_no_command()


async def test_retries_stop_after_max_retries_and_the_contact_is_failed(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(retry_strategy={"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 1})
    execution_id = await tenant.launch(campaign.program_id)
    job_id = ids.job_id(execution_id, campaign.contacts[0].id)

    await dialer.call(await dialer.next_command(), "no_answer")
    last = await dialer.next_command()
    assert last.data.attempt_number == 2
    await dialer.call(last, "no_answer")

    events = await tenant.job_events_until(job_id, _has(JobCompleted))
    assert event_types(events) == ["AttemptDispatched", "RetryScheduled", "AttemptDispatched", "JobCompleted"]
    failed = events[-1]
    assert isinstance(failed, JobCompleted)
    assert (failed.status, failed.outcome, failed.attempts) == ("failed", "no_answer", 2)
    await dialer.assert_no_command()
    execution = await tenant.execution_when(execution_id, "completed")
    assert _counters(execution) == (1, 0, 1, 0, 0)


async def test_execution_completes_when_every_job_is_final(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=3)  # no retry strategy: one attempt each
    execution_id = await tenant.launch(campaign.program_id)
    first, second, third = await dialer.commands(3)

    await dialer.call(first, "completed")
    await dialer.call(second, "busy")
    await tenant.app_caught_up()
    running = await tenant.execution(execution_id)
    assert running["status"] == "running"
    assert _counters(running) == (3, 1, 1, 0, 1)

    await dialer.call(third, "user_hangup")
    execution = await tenant.execution_when(execution_id, "completed")
    assert _counters(execution) == (3, 1, 2, 0, 0)
    assert execution["actualStartAt"] is not None
    assert execution["actualEndAt"] is not None
    stored = await tenant.events.load(PROGRAMS.name, execution_subject(tenant.org_id, execution_id))
    assert event_types([s.envelope.data for s in stored]) == ["ExecutionLaunched", "JobsEnrolled", "ExecutionCompleted"]
    completed = stored[-1].envelope.data
    assert isinstance(completed, ExecutionCompleted)
    assert (completed.contacts_completed, completed.contacts_failed) == (1, 2)


async def test_a_redelivered_call_ended_changes_nothing(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(retry_strategy={"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 1})
    execution_id = await tenant.launch(campaign.program_id)
    job_id = ids.job_id(execution_id, campaign.contacts[0].id)

    await dialer.call(await dialer.next_command(), "busy", redeliver=True)
    retry = await dialer.next_command()
    await tenant.app_caught_up()
    assert event_types(await tenant.job_events(job_id)) == ["AttemptDispatched", "RetryScheduled", "AttemptDispatched"]

    await dialer.call(retry, "completed", redeliver=True)
    await tenant.execution_when(execution_id, "completed")
    await tenant.app_caught_up()
    assert event_types(await tenant.job_events(job_id)) == [
        "AttemptDispatched",
        "RetryScheduled",
        "AttemptDispatched",
        "JobCompleted",
    ]
    await dialer.assert_no_command()
    assert _counters(await tenant.execution(execution_id)) == (1, 1, 0, 0, 0)
