"""The executions/jobs tables are a projection of the scheduler's own events: dropped with their
position, they are rebuilt by replaying the PROGRAMS stream, to the same counters."""

from __future__ import annotations

import psycopg
import pytest
from execution_support import act_ok, campaign_with, job_counts, node_entered, projection_rows
from scheduler_support import FakeDialer, Tenant

pytestmark = pytest.mark.integration


async def _drop_projection(tenant: Tenant) -> None:
    """What a rebuild does while the scheduler is stopped: empty the view and forget its position
    (the view's consumer starts from the stored position, so it replays the whole stream)."""
    settings = tenant.app.settings
    assert settings.database_url is not None
    async with await psycopg.AsyncConnection.connect(settings.database_url) as conn:
        await conn.execute(f"SET search_path TO {settings.db_schema}")
        await conn.execute("TRUNCATE jobs, executions, auto_pause_counts, auto_pause_marks")
        await conn.execute("DELETE FROM projection_positions WHERE projection = 'programs'")
        await conn.commit()


async def test_projection_rebuilds_by_replay(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(
        contacts=3, retry_strategy={"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 1}
    )
    execution_id = await tenant.launch(campaign.program_id)
    first = await dialer.commands(3)
    await dialer.call(first[0], "completed")
    await dialer.call(first[1], "busy")
    await dialer.call(first[2], "rejected")
    for retry, outcome in zip(await dialer.commands(2), ("completed", "no_answer"), strict=True):
        await dialer.call(retry, outcome)
    before = await tenant.execution_when(execution_id, "completed")
    assert (before["contactsCompleted"], before["contactsFailed"]) == (2, 1)
    await tenant.app_caught_up()

    await tenant.app.stop()
    await _drop_projection(tenant)
    await tenant.app.start()
    await tenant.app.views_caught_up(timeout=30)

    after = await tenant.execution(execution_id)
    before.pop("updatedAt"), after.pop("updatedAt")
    assert after == before
    await dialer.assert_no_command()


async def _rebuild(tenant: Tenant) -> None:
    await tenant.app_caught_up()
    await tenant.app.stop()
    await _drop_projection(tenant)
    await tenant.app.start()
    await tenant.app.views_caught_up(timeout=30)


async def test_a_replay_gives_the_same_rows_and_counters_after_pauses_and_a_cancel(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    rules = [{"nodeId": "hangup-1", "threshold": 1, "resetOnResume": True}]
    campaign = await campaign_with(
        tenant,
        contacts=5,
        concurrency=1,
        autoPauseRules=rules,
        retryStrategy={"type": "fixed_delay", "delayMinutes": 0, "maxRetries": 1},
    )
    execution_id = await tenant.launch(campaign.program_id)
    first = await dialer.next_command()
    seq = await dialer.started(first)
    seq = await node_entered(dialer, first, "hangup-1", 1, after_seq=seq)  # threshold: pause
    await dialer.ended(first, "busy", after_seq=seq)
    await tenant.execution_when(execution_id, "paused_threshold")
    await act_ok(tenant, execution_id, "resume", {"autoPauseRules": []})
    await act_ok(tenant, execution_id, "pause")
    await act_ok(tenant, execution_id, "resume")
    await dialer.call(await dialer.next_command(), "completed")
    await act_ok(tenant, execution_id, "cancel")
    await tenant.app_caught_up()
    before_rows = await projection_rows(tenant, execution_id)
    before = await tenant.execution(execution_id)
    assert before["status"] == "cancelled"

    await _rebuild(tenant)

    assert await projection_rows(tenant, execution_id) == before_rows
    after = await tenant.execution(execution_id)
    before.pop("updatedAt"), after.pop("updatedAt")
    assert after == before
    kept, counted = await job_counts(tenant, execution_id)
    assert kept == counted
    await dialer.assert_no_command()
