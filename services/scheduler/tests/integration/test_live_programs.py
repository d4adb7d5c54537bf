"""Live programs end to end on the real app: a launch enrols only the contacts whose date trigger is
still to come, each first attempt waits for its trigger, contacts that get a date later are
enrolled by an evaluation, nothing is enrolled twice, and the execution never completes by itself."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from execution_support import act_ok
from scheduler_support import FakeDialer, Tenant

from callcast_scheduler.adapters import repository as repo

pytestmark = pytest.mark.integration


async def _live_program(tenant: Tenant, **trigger: Any) -> str:
    await tenant.custom_attribute("renewal_date")
    flow = await tenant.flow_version(1)
    body = {
        "name": "Renewals",
        "mode": "live",
        "flowId": flow.flow_id,
        "didPool": [await tenant.did("+212522000088")],
        "triggerCondition": {"attributeName": "renewal_date", **trigger},
        "concurrency": 5,
    }
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _phone() -> str:
    return f"+2126{uuid.uuid4().int % 10**8:08d}"


async def _execution_row(tenant: Tenant, execution_id: str) -> repo.Row:
    async with tenant.app.runtime.db.connection() as conn:
        row = await repo.get_execution(conn, tenant.org_id, execution_id)
    assert row is not None
    return row


async def test_a_live_launch_calls_each_contact_when_its_date_comes(tenant: Tenant, dialer: FakeDialer) -> None:
    tomorrow = date.today() + timedelta(days=1)
    due = await tenant.contact(_phone(), custom_attributes={"renewal_date": tomorrow.isoformat()})
    await tenant.contact(_phone(), custom_attributes={"renewal_date": (tomorrow - timedelta(days=3)).isoformat()})
    await tenant.contact(_phone(), custom_attributes={"plan": "gold"})
    await tenant.contact(_phone(), custom_attributes={"renewal_date": tomorrow.isoformat(), "opted_out": True})
    await tenant.contact(_phone(), custom_attributes={"renewal_date": "not a date"})
    program_id = await _live_program(tenant, time={"hour": 9, "minute": 30})

    execution_id = await tenant.launch(program_id)
    execution = await tenant.execution(execution_id)
    assert (execution["status"], execution["totalContacts"], execution["contactsPending"]) == ("running", 1, 1)
    await dialer.assert_no_command()  # its trigger is tomorrow 09:30 (UTC, the organization's zone)

    # (A round on a moved clock serves every organization of the session: only this one's dial
    # commands are looked at.)
    trigger = datetime.combine(tomorrow, time(9, 30), tzinfo=UTC)
    await tenant.app.scheduler.dispatch_once(trigger - timedelta(minutes=1))
    await dialer.assert_no_command()
    await tenant.app.scheduler.dispatch_once(trigger + timedelta(seconds=1))
    command = await dialer.next_command()
    assert (command.data.contact_id, command.data.attempt_number) == (due.id, 1)

    # A contact that gets a date after the launch is enrolled by the next evaluation, once.
    later = await tenant.contact(
        _phone(), custom_attributes={"renewal_date": (tomorrow + timedelta(days=1)).isoformat()}
    )
    await tenant.app.views_caught_up()
    assert await tenant.app.scheduler.evaluate_live(await _execution_row(tenant, execution_id)) == 1
    assert await tenant.app.scheduler.evaluate_live(await _execution_row(tenant, execution_id)) == 0
    await tenant.app_caught_up()
    assert (await tenant.execution(execution_id))["totalContacts"] == 2

    # Every enrolled contact done so far: a live execution waits for the next trigger.
    await dialer.call(command, "completed")
    await tenant.app_caught_up()
    await tenant.app.scheduler.dispatch_once(trigger + timedelta(seconds=2))
    execution = await tenant.execution(execution_id)
    assert (execution["status"], execution["contactsCompleted"], execution["contactsPending"]) == ("running", 1, 1)
    await tenant.app.scheduler.dispatch_once(trigger + timedelta(days=1, seconds=1))
    assert (await dialer.next_command()).data.contact_id == later.id

    cancelled = await act_ok(tenant, execution_id, "cancel")
    assert cancelled["status"] == "cancelled"


async def test_a_second_launch_of_a_running_live_program_is_refused(tenant: Tenant, dialer: FakeDialer) -> None:
    program_id = await _live_program(tenant)
    first = await tenant.launch(program_id)  # no contact has the date yet: an empty live execution
    assert (await tenant.execution(first))["totalContacts"] == 0
    again = await tenant.app.client.post(f"/api/programs/{program_id}/launch", headers=tenant.headers)
    assert again.status_code == 400, again.text
    assert again.json()["code"] == "ExecutionAlreadyRunningError"
    await dialer.assert_no_command()
