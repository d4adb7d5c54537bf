"""Launching: the same Idempotency-Key answers the same execution; opted-out and deleted contacts
are left out of the snapshot; a retried launch never leaves the program draft."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scheduler_support import Campaign, FakeDialer, Tenant, job_ids

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import ContactDeleted, ExecutionLaunched, JobsEnrolled
from callcast_contracts.streams import PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_scheduler.handlers import execution_subject

pytestmark = pytest.mark.integration


async def _launch(tenant: Tenant, program_id: str, key: str | None) -> Any:
    headers = {**tenant.headers, **({"Idempotency-Key": key} if key else {})}
    return await tenant.app.client.post(f"/api/programs/{program_id}/launch", headers=headers)


async def _executions_of(tenant: Tenant, program_id: str) -> list[str]:
    async with tenant.app.runtime.db.connection() as conn:
        cur = await conn.execute("SELECT id FROM executions WHERE program_id = %s", (program_id,))
        return [str(r["id"]) for r in await cur.fetchall()]


async def _program_status(tenant: Tenant, program_id: str) -> str:
    response = await tenant.app.client.get(f"/api/programs/{program_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def test_a_launch_retried_with_its_idempotency_key_answers_the_same_execution(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign(contacts=2)
    first = await _launch(tenant, campaign.program_id, "launch-7f3a")
    again = await _launch(tenant, campaign.program_id, "launch-7f3a")
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    execution_id = first.json()["executionId"]
    assert await _executions_of(tenant, campaign.program_id) == [execution_id]
    # Its contacts are dialled once each, however often the launch was sent.
    commands = await dialer.commands(2)
    await dialer.assert_no_command()
    assert sorted(c.data.job_id for c in commands) == sorted(job_ids(execution_id, *campaign.contacts))


async def test_another_key_while_the_execution_runs_is_refused(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign()
    assert (await _launch(tenant, campaign.program_id, "first-key")).status_code == 201
    other = await _launch(tenant, campaign.program_id, "second-key")
    assert other.status_code == 400, other.text
    assert other.json()["code"] == "ExecutionAlreadyRunningError"


async def test_a_key_that_launched_another_program_is_refused(tenant: Tenant, dialer: FakeDialer) -> None:
    one, two = await tenant.campaign(), await tenant.campaign(caller_ids=("+212522000002",))
    assert (await _launch(tenant, one.program_id, "shared-key")).status_code == 201
    reused = await _launch(tenant, two.program_id, "shared-key")
    assert reused.status_code == 409, reused.text
    assert reused.json()["code"] == "IdempotencyKeyReusedError"


async def test_an_empty_idempotency_key_names_the_header(tenant: Tenant) -> None:
    campaign = await tenant.campaign()
    headers = {**tenant.headers, "Idempotency-Key": " " * 300}
    response = await tenant.app.client.post(f"/api/programs/{campaign.program_id}/launch", headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert "Idempotency-Key" in response.json()["fieldErrors"]


async def test_opted_out_and_deleted_contacts_are_not_in_the_snapshot(tenant: Tenant, dialer: FakeDialer) -> None:
    kept = await tenant.contact("+212600000301")
    opted_out = await tenant.contact("+212600000302", custom_attributes={"opted_out": True})
    do_not_call = await tenant.contact("+212600000303", custom_attributes={"do_not_call": "yes"})
    deleted = await tenant.contact("+212600000304")
    await tenant.events.append(
        subject(Context.CONTACTS, tenant.org_id, Aggregate.CONTACT, deleted.id),
        envelope(ContactDeleted(contact_id=deleted.id, revision=2), org_id=tenant.org_id, aggregate_id=deleted.id),
        msg_id=f"contact-{deleted.id}-deleted",
    )
    audience_id = await tenant.audience(kept, opted_out, do_not_call, deleted)
    flow = await tenant.flow_version(1)
    program_id = await tenant.create_program(
        flow_id=flow.flow_id, audience_id=audience_id, did_pool=[await tenant.did("+212522000001")]
    )
    execution_id = await tenant.launch(program_id)
    assert (await tenant.execution(execution_id))["totalContacts"] == 1
    command = await dialer.next_command()
    assert command.data.contact_id == kept.id
    await dialer.assert_no_command()


async def _store_launch_without_commit(tenant: Tenant, campaign: Campaign, execution_id: str) -> None:
    """What a launch whose events were stored but whose transaction failed leaves behind."""
    launched = ExecutionLaunched(
        execution_id=execution_id,
        program_id=campaign.program_id,
        audience_id=campaign.audience_id,
        flow_id=campaign.flow.flow_id,
        flow_version=campaign.flow.version,
        caller_ids=campaign.caller_ids,
        retry_strategy={"type": "none"},
        concurrency=10,
        total_contacts=len(campaign.contacts),
        scheduled_start_at=datetime.now(UTC),
    )
    await tenant.events.append(
        execution_subject(tenant.org_id, execution_id),
        envelope(launched, org_id=tenant.org_id, aggregate_id=execution_id),
        msg_id=f"execution-{execution_id}-launched",
        expected_last_seq=0,
    )
    await tenant.app_caught_up()


async def test_a_retried_launch_whose_first_try_did_not_commit_leaves_the_program_active(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign()
    execution_id = ids.derived_id("execution", campaign.program_id, 1)
    await _store_launch_without_commit(tenant, campaign, execution_id)
    # The projection made the execution from the stored events: the retry finds it running.
    retried = await _launch(tenant, campaign.program_id, None)
    assert retried.status_code == 400, retried.text
    assert retried.json()["code"] == "ExecutionAlreadyRunningError"
    assert await _program_status(tenant, campaign.program_id) == "active"


async def test_a_retried_launch_with_its_key_finishes_an_enrolment_that_stopped_half_way(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign(contacts=2)
    key = "half-way"
    execution_id = ids.derived_id("execution", campaign.program_id, "idempotency-key", key)
    await _store_launch_without_commit(tenant, campaign, execution_id)
    retried = await _launch(tenant, campaign.program_id, key)
    assert retried.status_code == 201, retried.text
    assert retried.json()["executionId"] == execution_id
    stored = await tenant.events.load(PROGRAMS.name, execution_subject(tenant.org_id, execution_id))
    launched, *enrolled = (s.envelope.data for s in stored)
    assert isinstance(launched, ExecutionLaunched)
    assert [type(e) for e in enrolled] == [JobsEnrolled]
    commands = await dialer.commands(2)
    assert sorted(c.data.job_id for c in commands) == sorted(job_ids(execution_id, *campaign.contacts))
    assert await _program_status(tenant, campaign.program_id) == "active"
