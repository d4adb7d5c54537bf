"""Pause, resume, cancel and stop: what each does to the dialling, the contacts, the counters and
the execution's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from execution_support import act, act_ok, add_up, campaign_with, counters, execution_events, job_counts
from scheduler_support import FakeDialer, Tenant, event_types

from callcast_contracts import ids
from callcast_contracts.events import ExecutionCancelled, ExecutionPaused, ExecutionResumed, JobCompleted

pytestmark = pytest.mark.integration


async def test_a_paused_execution_dials_nobody_until_it_is_resumed(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=3, concurrency=1)
    execution_id = await tenant.launch(campaign.program_id)
    first = await dialer.next_command()

    paused = await act_ok(tenant, execution_id, "pause")
    assert (paused["status"], paused["effectiveStatus"], paused["pauseReason"]) == ("paused", "paused_manual", "manual")
    # The call in progress goes on and ends; its slot frees, and still nothing is dialled.
    await dialer.call(first, "completed")
    await tenant.app_caught_up()
    await dialer.assert_no_command()
    during = await tenant.execution(execution_id)
    assert during["status"] == "paused"
    assert counters(during) == (3, 1, 0, 2, 0)

    resumed = await act_ok(tenant, execution_id, "resume")
    assert (resumed["status"], resumed["effectiveStatus"]) == ("running", "running")
    second = await dialer.next_command()
    assert second.data.execution_id == execution_id
    events = await execution_events(tenant, execution_id)
    assert event_types(events)[-2:] == ["ExecutionPaused", "ExecutionResumed"]
    pause, resume = events[-2], events[-1]
    assert isinstance(pause, ExecutionPaused)
    assert isinstance(resume, ExecutionResumed)
    assert (pause.number, pause.reason, resume.number, resume.auto_pause_rules) == (1, "manual", 1, None)


async def test_pausing_twice_or_resuming_a_running_execution_is_a_conflict(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=1)
    execution_id = await tenant.launch(campaign.program_id)
    await dialer.next_command()

    refused = await act(tenant, execution_id, "resume")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "ExecutionStatusConflictError"
    await act_ok(tenant, execution_id, "pause")
    again = await act(tenant, execution_id, "pause")
    assert again.status_code == 409
    assert again.json()["code"] == "ExecutionStatusConflictError"
    assert event_types(await execution_events(tenant, execution_id)).count("ExecutionPaused") == 1


async def test_cancel_skips_pending_contacts_lets_the_live_call_finish_and_publishes_the_cancellation(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign(
        contacts=4, concurrency=1, retry_strategy={"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 3}
    )
    execution_id = await tenant.launch(campaign.program_id)
    live = await dialer.next_command()

    cancelled = await act_ok(tenant, execution_id, "cancel")
    assert cancelled["status"] == "cancelled"
    assert cancelled["actualEndAt"] is not None
    # Three never-called contacts skipped at once (counted as failed), the live call in progress.
    assert counters(cancelled) == (4, 0, 3, 0, 1)
    assert cancelled["contactStatuses"]["skipped"] == 3
    assert add_up(cancelled)
    events = await execution_events(tenant, execution_id)
    assert isinstance(events[-1], ExecutionCancelled)
    assert events[-1].end_live_calls is False

    # The live call ends busy: a retry would be due at once, but a cancelled execution retries
    # nobody; the job closes failed.
    await dialer.call(live, "busy")
    job_id = ids.job_id(execution_id, live.data.contact_id)
    history = await tenant.job_events_until(job_id, lambda es: isinstance(es[-1], JobCompleted))
    assert event_types(history) == ["AttemptDispatched", "JobCompleted"]
    closed = history[-1]
    assert isinstance(closed, JobCompleted)
    assert (closed.status, closed.outcome, closed.outcome_reason) == ("failed", "busy", "execution_cancelled")
    await tenant.app_caught_up()
    after = await tenant.execution(execution_id)
    assert counters(after) == (4, 0, 4, 0, 0)
    assert add_up(after)
    await dialer.assert_no_command()
    kept, counted = await job_counts(tenant, execution_id)
    assert kept == counted == {"failed": 1, "skipped": 3}

    for action in ("cancel", "resume", "pause"):
        refused = await act(tenant, execution_id, action)
        assert refused.status_code == 409, (action, refused.text)
        assert refused.json()["code"] == "ExecutionStatusConflictError"


async def test_cancel_can_ask_the_dialers_to_end_the_live_calls(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=2, concurrency=1)
    execution_id = await tenant.launch(campaign.program_id)
    live = await dialer.next_command()

    await act_ok(tenant, execution_id, "cancel", {"endLiveCalls": True})
    cancel = (await execution_events(tenant, execution_id))[-1]
    assert isinstance(cancel, ExecutionCancelled)
    assert cancel.end_live_calls is True
    # What the dialer then reports for the call it ended: the job is skipped, not failed.
    await dialer.call(live, "cancelled")
    job_id = ids.job_id(execution_id, live.data.contact_id)
    history = await tenant.job_events_until(job_id, lambda es: isinstance(es[-1], JobCompleted))
    assert isinstance(history[-1], JobCompleted)
    assert history[-1].status == "skipped"
    await tenant.app_caught_up()
    assert (await tenant.execution(execution_id))["contactStatuses"]["skipped"] == 2


async def test_stop_ends_the_execution_skips_the_rest_and_schedules_no_retry(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign(
        contacts=3, concurrency=1, retry_strategy={"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 2}
    )
    execution_id = await tenant.launch(campaign.program_id)
    live = await dialer.next_command()

    # What the dispatcher does when stopAt comes.
    await tenant.app.scheduler.stop_execution(tenant.org_id, execution_id)
    stopped = await tenant.execution(execution_id)
    assert stopped["status"] == "stopped"
    assert counters(stopped) == (3, 0, 2, 0, 1)
    assert event_types(await execution_events(tenant, execution_id))[-1] == "ExecutionStopped"
    # Stopping again (the dispatcher's next round) changes nothing.
    await tenant.app.scheduler.stop_execution(tenant.org_id, execution_id)
    assert event_types(await execution_events(tenant, execution_id)).count("ExecutionStopped") == 1

    await dialer.call(live, "no_answer")
    job_id = ids.job_id(execution_id, live.data.contact_id)
    history = await tenant.job_events_until(job_id, lambda es: isinstance(es[-1], JobCompleted))
    assert event_types(history) == ["AttemptDispatched", "JobCompleted"]
    assert isinstance(history[-1], JobCompleted)
    assert history[-1].outcome_reason == "execution_stopped"
    await tenant.app_caught_up()
    await dialer.assert_no_command()
    after = await tenant.execution(execution_id)
    assert counters(after) == (3, 0, 3, 0, 0)
    assert add_up(after)
    refused = await act(tenant, execution_id, "resume")
    assert refused.status_code == 409


async def test_lifecycle_actions_validate_their_bodies_and_ids(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=1)
    execution_id = await tenant.launch(campaign.program_id)
    await dialer.next_command()
    await act_ok(tenant, execution_id, "pause", {})

    unknown = await act(tenant, execution_id, "resume", {"autoPauseRules": [], "speed": 2})
    assert unknown.status_code == 400, unknown.text
    assert unknown.json()["code"] == "VALIDATION_FAILED"
    bad_rule = await act(tenant, execution_id, "resume", {"autoPauseRules": [{"nodeId": "n1", "threshold": 0}]})
    assert bad_rule.status_code == 400, bad_rule.text
    assert "autoPauseRules[0].threshold" in bad_rule.json()["fieldErrors"]
    bad_flag = await act(tenant, execution_id, "cancel", {"endLiveCalls": "yes"})
    assert bad_flag.status_code == 400, bad_flag.text
    assert "endLiveCalls" in bad_flag.json()["fieldErrors"]
    assert (await tenant.execution(execution_id))["status"] == "paused"

    not_uuid = await act(tenant, "nope", "pause")
    assert not_uuid.status_code == 400
    missing = await act(tenant, "6a1b7a53-5d5e-4d6e-9a47-0d6f3f0a9c11", "pause")
    assert (missing.status_code, missing.json()["code"]) == (404, "ExecutionNotFoundError")


async def test_another_organizations_execution_is_not_found(
    tenant: Tenant, other_tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign(contacts=1)
    execution_id = await tenant.launch(campaign.program_id)
    for action in ("pause", "cancel"):
        response = await act(other_tenant, execution_id, action)
        assert (response.status_code, response.json()["code"]) == (404, "ExecutionNotFoundError")
    response = await other_tenant.app.client.get(
        f"/api/program-executions/{execution_id}", headers=other_tenant.headers
    )
    assert response.status_code == 404
    assert (await tenant.execution(execution_id))["status"] == "running"


async def test_a_paused_execution_whose_last_call_ends_completes(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=1)
    execution_id = await tenant.launch(campaign.program_id)
    live = await dialer.next_command()
    await act_ok(tenant, execution_id, "pause")
    await dialer.call(live, "completed")  # the call in progress went on during the pause
    done = await tenant.execution_when(execution_id, "completed")
    assert counters(done) == (1, 1, 0, 0, 0)
    assert (await act(tenant, execution_id, "resume")).status_code == 409


async def test_a_paused_execution_is_stopped_when_stop_at_comes(tenant: Tenant, dialer: FakeDialer) -> None:
    stop_at = datetime.now(UTC) + timedelta(seconds=2)
    campaign = await campaign_with(tenant, contacts=2, concurrency=1, stopAt=stop_at.isoformat())
    execution_id = await tenant.launch(campaign.program_id)
    first = await dialer.next_command()
    await act_ok(tenant, execution_id, "pause")
    await dialer.call(first, "completed")
    stopped = await tenant.execution_when(execution_id, "stopped", timeout=15)
    assert (stopped["contactsCompleted"], stopped["contactStatuses"]["skipped"]) == (1, 1)
    await dialer.assert_no_command()
