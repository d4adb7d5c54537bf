"""Launching a batch program: the audience snapshot becomes jobs, and the dispatcher sends one
dial command per contact, never more than the program's concurrency at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from scheduler_support import FakeDialer, Tenant, builtins, event_types, job_ids

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import ExecutionLaunched, JobsEnrolled
from callcast_contracts.events.programs import EnrolledJob
from callcast_contracts.streams import PROGRAMS
from callcast_scheduler.handlers import execution_subject

pytestmark = pytest.mark.integration


async def test_launch_enrols_the_audience_snapshot_and_dispatches_one_dial_command_per_contact(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    contacts = [
        await tenant.contact("+212600000101", first_name="Amina"),
        await tenant.contact("+212600000102", first_name="Youssef"),
        await tenant.contact("+212600000103", first_name="Salma"),
    ]
    audience_id = await tenant.audience(*contacts)
    await tenant.flow_version(1, flow_id=(flow_id := (await tenant.flow_version(1)).flow_id))
    pinned = await tenant.flow_version(2, flow_id=flow_id)
    did_id = await tenant.did("+212522000001")
    program_id = await tenant.create_program(flow_id=flow_id, audience_id=audience_id, did_pool=[did_id], concurrency=2)

    execution_id = await tenant.launch(program_id)
    # After the launch: a newer flow version and a new member change nothing for this execution.
    await tenant.flow_version(3, flow_id=flow_id)
    await tenant.audience(await tenant.contact("+212600000104"), audience_id=audience_id)

    execution = await tenant.execution(execution_id)
    assert execution["totalContacts"] == 3
    assert execution["flowVersion"] == 2
    assert execution["programId"] == program_id
    assert execution["organizationId"] == tenant.org_id
    stored = await tenant.events.load(PROGRAMS.name, execution_subject(tenant.org_id, execution_id))
    launched, enrolled = (s.envelope.data for s in stored)
    assert isinstance(launched, ExecutionLaunched)
    assert launched.caller_ids == ["+212522000001"]
    assert isinstance(enrolled, JobsEnrolled)
    assert sorted(j.job_id for j in enrolled.jobs) == sorted(job_ids(execution_id, *contacts))

    # Concurrency 2: two commands, then nothing while both calls are up.
    first_two = await dialer.commands(2)
    await dialer.assert_no_command()
    assert (await tenant.execution(execution_id))["contactsInProgress"] == 2
    await dialer.call(first_two[0], "completed")
    last = await dialer.next_command()
    await dialer.assert_no_command()

    commands = [*first_two, last]
    by_contact = {c.id: c for c in contacts}
    assert sorted(cmd.data.contact_id for cmd in commands) == sorted(by_contact)
    for cmd in commands:
        job_id = ids.job_id(execution_id, cmd.data.contact_id)
        assert cmd.data.job_id == job_id
        assert cmd.data.attempt_number == 1
        assert cmd.data.attempt_id == ids.attempt_id(job_id, 1)
        assert cmd.msg.subject == f"dial.{tenant.org_id}.attempt.{cmd.data.attempt_id}"
        assert cmd.data.execution_id == execution_id
        assert cmd.data.program_id == program_id
        assert cmd.data.caller_id == "+212522000001"
        assert cmd.data.flow == pinned
        contact = by_contact[cmd.data.contact_id]
        assert cmd.data.to == contact.primary_phone
        assert cmd.data.contact == builtins(contact)
        assert event_types(await tenant.job_events(job_id))[0] == "AttemptDispatched"


async def test_an_execution_that_cannot_be_dispatched_does_not_hold_up_the_others(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    # An execution (as a replay would bring it) whose pinned flow version has not reached the
    # scheduler's copy yet: its jobs cannot be dialled for now.
    late_flow_id, stuck_id = str(uuid.uuid4()), ids.new_id()
    contact = await tenant.contact("+212600000201")
    subj = execution_subject(tenant.org_id, stuck_id)
    launched = ExecutionLaunched(
        execution_id=stuck_id,
        program_id=str(uuid.uuid4()),
        audience_id=str(uuid.uuid4()),
        flow_id=late_flow_id,
        flow_version=1,
        caller_ids=["+212522000201"],
        retry_strategy={"type": "none"},
        concurrency=1,
        total_contacts=1,
        scheduled_start_at=datetime.now(UTC),
    )
    enrolled = JobsEnrolled(
        execution_id=stuck_id,
        chunk=0,
        jobs=[EnrolledJob(job_id=ids.job_id(stuck_id, contact.id), contact_id=contact.id, phone=contact.primary_phone)],
    )
    for n, event in enumerate((launched, enrolled)):
        env = envelope(event, org_id=tenant.org_id, aggregate_id=stuck_id)
        await tenant.events.append(subj, env, msg_id=f"execution-{stuck_id}-{n}", expected_last_seq=None)
    await tenant.app_caught_up()
    assert (await tenant.execution(stuck_id))["status"] == "running"

    campaign = await tenant.campaign()
    execution_id = await tenant.launch(campaign.program_id)
    dialled = await dialer.next_command()
    assert dialled.data.execution_id == execution_id

    # Once the flow version arrives, the stuck execution is dispatched too.
    await tenant.flow_version(1, flow_id=late_flow_id)
    late = await dialer.next_command()
    assert late.data.execution_id == stuck_id
    assert late.data.flow.flow_id == late_flow_id
    for command in (dialled, late):
        await dialer.call(command, "completed")
    await tenant.execution_when(execution_id, "completed")
    await tenant.execution_when(stuck_id, "completed")
