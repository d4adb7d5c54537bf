"""Test calls (``POST /api/flows/execute`` through the flow service): the scheduler's NATS
responder starts a job with no execution, dispatches its only attempt, and closes the job with
the call's outcome — never a retry."""

from __future__ import annotations

import uuid
from typing import Any

import nats.aio.client
import pytest
from scheduler_support import FakeDialer, Tenant, event_types

from callcast_contracts import events, ids
from callcast_contracts.events import JobCompleted
from callcast_contracts.test_call import (
    PLACE_TEST_CALL_SUBJECT,
    PlaceTestCallReply,
    PlaceTestCallRequest,
    decode_reply,
    encode_request,
)

pytestmark = pytest.mark.integration


async def _place(nc: nats.aio.client.Client, tenant: Tenant, **fields: Any) -> PlaceTestCallReply:
    flow = fields.pop("flow", None) or await tenant.flow_version(1)
    request = PlaceTestCallRequest(org_id=tenant.org_id, flow=flow, **fields)
    msg = await nc.request(PLACE_TEST_CALL_SUBJECT, encode_request(request), timeout=10)
    return decode_reply(msg.data)


async def test_a_test_call_to_an_inline_contact_dials_once_and_completes_the_job(
    nc: nats.aio.client.Client, tenant: Tenant, dialer: FakeDialer
) -> None:
    did_id = await tenant.did("+212522000301")
    reply = await _place(
        nc,
        tenant,
        contact={"primaryPhone": "+212600000301", "firstName": "Amina"},
        did_id=did_id,
        variables={"amount": 120},
    )
    assert reply.error is None
    assert reply.job_id is not None
    job_id = reply.job_id

    command = await dialer.next_command()
    dial = command.data
    assert (dial.job_id, dial.attempt_number, dial.attempt_id) == (job_id, 1, ids.attempt_id(job_id, 1))
    assert dial.execution_id is None
    assert dial.program_id is None
    assert (dial.to, dial.caller_id) == ("+212600000301", "+212522000301")
    assert dial.contact["firstName"] == "Amina"
    assert dial.contact["id"] == dial.contact_id
    assert dial.variables == {"amount": 120}
    assert command.msg.headers is not None
    assert command.msg.headers["Nats-Msg-Id"] == f"dial-{dial.attempt_id}"
    first = (await tenant.job_history(job_id))[0]
    assert first.envelope.type == "TestCallRequested"
    assert first.seq > 0

    await dialer.call(command, "completed")
    history = await tenant.job_events_until(job_id, lambda evs: any(isinstance(e, JobCompleted) for e in evs))
    assert event_types(history) == ["TestCallRequested", "JobCompleted"]
    done = history[-1]
    assert isinstance(done, JobCompleted)
    assert (done.execution_id, done.status, done.outcome, done.attempts) == (None, "completed", "completed", 1)


async def test_a_busy_test_call_fails_its_job_without_a_retry(
    nc: nats.aio.client.Client, tenant: Tenant, dialer: FakeDialer
) -> None:
    contact = await tenant.contact("+212600000302", first_name="Karim")
    await tenant.app_caught_up()
    reply = await _place(nc, tenant, contact_id=contact.id, from_number="+212522000302")
    assert reply.job_id is not None

    command = await dialer.next_command()
    assert command.data.contact_id == contact.id
    assert command.data.contact["firstName"] == "Karim"
    assert command.data.caller_id == "+212522000302"
    await dialer.call(command, "busy", redeliver=True)

    history = await tenant.job_events_until(reply.job_id, lambda evs: any(isinstance(e, JobCompleted) for e in evs))
    await tenant.app_caught_up()
    history = await tenant.job_events(reply.job_id)
    assert event_types(history) == ["TestCallRequested", "JobCompleted"], "one verdict, even for a repeated CallEnded"
    assert isinstance(history[-1], JobCompleted)
    assert history[-1].status == "failed"
    await dialer.assert_no_command()


async def test_an_unknown_contact_or_did_is_refused_with_its_named_error(
    nc: nats.aio.client.Client, tenant: Tenant, other_tenant: Tenant, dialer: FakeDialer
) -> None:
    inline = {"primaryPhone": "+212600000303"}
    unknown = await _place(nc, tenant, contact_id=str(uuid.uuid4()), from_number="+212522000303")
    assert unknown.error is not None
    assert (unknown.error.status, unknown.error.code) == (404, "ContactNotFoundError")

    other_did = await other_tenant.did("+212522000304")
    hidden = await _place(nc, tenant, contact=inline, did_id=other_did)
    assert hidden.error is not None
    assert (hidden.error.status, hidden.error.code) == (404, "DidNotFoundError")

    inactive = await _place(nc, tenant, contact=inline, did_id=await tenant.did("+212522000305", status="inactive"))
    assert inactive.error is not None
    assert (inactive.error.status, inactive.error.code) == (400, "DidNotActiveError")
    await dialer.assert_no_command()


async def test_the_test_call_event_is_a_registered_contract() -> None:
    assert events.TestCallRequested in events.ALL_EVENTS
