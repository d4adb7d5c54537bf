"""Launch and program errors answer with their documented names and statuses (digest §8.5)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from scheduler_support import FakeDialer, Tenant

pytestmark = pytest.mark.integration


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["statusCode"] == status
    return body


async def _launch(tenant: Tenant, program_id: str) -> Any:
    return await tenant.app.client.post(f"/api/programs/{program_id}/launch", headers=tenant.headers)


async def test_launching_an_empty_audience_answers_audience_empty_error(tenant: Tenant) -> None:
    flow = await tenant.flow_version(1)
    program_id = await tenant.create_program(
        flow_id=flow.flow_id, audience_id=str(uuid.uuid4()), did_pool=[await tenant.did("+212522000021")]
    )
    _problem(await _launch(tenant, program_id), 400, "AudienceEmptyError")


async def test_launching_a_program_whose_audience_was_deleted_answers_audience_empty_error(tenant: Tenant) -> None:
    campaign = await tenant.campaign(contacts=2)
    await tenant.delete_audience(campaign.audience_id)
    _problem(await _launch(tenant, campaign.program_id), 400, "AudienceEmptyError")


async def test_launching_a_program_with_a_running_execution_answers_execution_already_running_error(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await tenant.campaign()
    await tenant.launch(campaign.program_id)
    program = await tenant.app.client.get(f"/api/programs/{campaign.program_id}", headers=tenant.headers)
    assert program.json()["status"] == "active", "a launched draft becomes active"
    _problem(await _launch(tenant, campaign.program_id), 400, "ExecutionAlreadyRunningError")


async def test_launching_an_archived_program_answers_program_status_conflict_error(tenant: Tenant) -> None:
    campaign = await tenant.campaign()
    archived = await tenant.app.client.patch(
        f"/api/programs/{campaign.program_id}", json={"status": "archived"}, headers=tenant.headers
    )
    assert archived.status_code == 200, archived.text
    _problem(await _launch(tenant, campaign.program_id), 409, "ProgramStatusConflictError")


async def test_launching_when_every_did_was_deleted_answers_empty_did_pool_error(tenant: Tenant) -> None:
    campaign = await tenant.campaign(caller_ids=("+212522000031", "+212522000032"))
    for did_id in campaign.did_ids:
        deleted = await tenant.app.client.delete(f"/api/dids/{did_id}", headers=tenant.headers)
        assert deleted.status_code == 200, deleted.text
        assert deleted.json() == {"message": "DID deleted"}
    _problem(await _launch(tenant, campaign.program_id), 400, "EmptyDidPoolError")


async def test_launching_when_every_did_was_switched_off_or_given_away_answers_empty_did_pool_error(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    campaign = await tenant.campaign(caller_ids=("+212522000033", "+212522000034"))
    inactive, given = campaign.did_ids
    switched = await tenant.app.client.put(f"/api/dids/{inactive}", json={"status": "inactive"}, headers=tenant.headers)
    assert switched.status_code == 200, switched.text
    assigned = await tenant.app.client.post(
        f"/api/dids/{given}/assign", json={"organizationId": other_tenant.org_id}, headers=tenant.headers
    )
    assert assigned.status_code == 200, assigned.text
    _problem(await _launch(tenant, campaign.program_id), 400, "EmptyDidPoolError")


async def test_launching_an_unknown_program_answers_program_not_found_error(tenant: Tenant) -> None:
    _problem(await _launch(tenant, str(uuid.uuid4())), 404, "ProgramNotFoundError")
    body = _problem(await _launch(tenant, "not-a-uuid"), 400, "VALIDATION_FAILED")
    assert "id" in body["fieldErrors"]


async def test_launching_another_orgs_program_answers_program_not_found_error(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    campaign = await tenant.campaign()
    _problem(await _launch(other_tenant, campaign.program_id), 404, "ProgramNotFoundError")


async def test_a_program_with_another_orgs_did_is_refused_as_did_not_found(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await other_tenant.did("+212522000041")
    body = {"name": "P", "flowId": str(uuid.uuid4()), "audienceId": str(uuid.uuid4()), "didPool": [theirs]}
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    _problem(response, 404, "DidNotFoundError")
    response = await tenant.app.client.get(f"/api/dids/{theirs}", headers=tenant.headers)
    _problem(response, 404, "DidNotFoundError")


async def test_a_program_with_an_inactive_did_is_refused_as_did_not_active(tenant: Tenant) -> None:
    inactive = await tenant.did("+212522000051", status="inactive")
    body = {"name": "P", "flowId": str(uuid.uuid4()), "audienceId": str(uuid.uuid4()), "didPool": [inactive]}
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    _problem(response, 400, "DidNotActiveError")


@pytest.mark.parametrize(
    ("retry_strategy", "field"),
    [
        ({"type": "fixed_delay", "delayMinutes": 5}, "retryStrategy.maxRetries"),
        ({"type": "fixed-delay", "delay": -1, "maxRetries": 1}, "retryStrategy.delay"),
        ({"type": "fixed_delay", "delayMinutes": 5, "maxRetries": 1, "jitter": 2}, "retryStrategy.jitter"),
        ({"type": "scheduled", "retryDates": ["tomorrow"]}, "retryStrategy.retryDates[0]"),
        ({"type": "weekly"}, "retryStrategy.type"),
    ],
)
async def test_a_bad_retry_strategy_is_refused_naming_the_field(
    tenant: Tenant, retry_strategy: dict[str, Any], field: str
) -> None:
    did_id = await tenant.did("+212522000061")
    body = {
        "name": "P",
        "flowId": str(uuid.uuid4()),
        "audienceId": str(uuid.uuid4()),
        "didPool": [did_id],
        "retryStrategy": retry_strategy,
    }
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    problem = _problem(response, 400, "VALIDATION_FAILED")
    assert list(problem["fieldErrors"]) == [field]


async def test_another_orgs_execution_is_not_found(tenant: Tenant, other_tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign()
    execution_id = await tenant.launch(campaign.program_id)
    response = await other_tenant.app.client.get(
        f"/api/program-executions/{execution_id}", headers=other_tenant.headers
    )
    _problem(response, 404, "ExecutionNotFoundError")
    response = await tenant.app.client.get("/api/program-executions/42", headers=tenant.headers)
    _problem(response, 400, "VALIDATION_FAILED")


async def test_a_launch_retried_after_its_commit_failed_resumes_the_same_execution(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The events of the first try were stored, its transaction was not: the retry must not start
    a second execution (every contact would be dialled twice)."""
    from callcast_contracts import ids
    from callcast_contracts.events import ExecutionLaunched
    from callcast_contracts.streams import PROGRAMS
    from callcast_scheduler.adapters import repository
    from callcast_scheduler.handlers import execution_subject

    campaign = await tenant.campaign(contacts=3)
    real_update_program = repository.update_program
    failed = False

    async def fails_once(conn: Any, org_id: str, program_id: str, changes: dict[str, Any]) -> Any:
        # Only the launch activates a draft program: the last write of its transaction.
        nonlocal failed
        if program_id == campaign.program_id and changes == {"status": "active"} and not failed:
            failed = True
            raise RuntimeError("the database went away mid-launch")
        return await real_update_program(conn, org_id, program_id, changes)

    monkeypatch.setattr(repository, "update_program", fails_once)
    first = await _launch(tenant, campaign.program_id)
    assert first.status_code == 500
    # The first try's events are stored. Its retry either resumes them (201, the same execution)
    # or, if the projection got there first, finds that execution running (400): never a second.
    execution_id = ids.derived_id("execution", campaign.program_id, 1)
    second = await _launch(tenant, campaign.program_id)
    if second.status_code == 201:
        assert second.json()["executionId"] == execution_id
    else:
        _problem(second, 400, "ExecutionAlreadyRunningError")

    runtime = tenant.app.runtime
    history = await runtime.events.load(PROGRAMS.name, execution_subject(tenant.org_id, execution_id))
    assert [type(e.envelope.data) for e in history].count(ExecutionLaunched) == 1
    await tenant.app_caught_up()
    execution = await tenant.app.client.get(f"/api/program-executions/{execution_id}", headers=tenant.headers)
    assert execution.json()["totalContacts"] == 3
    async with runtime.db.connection() as conn:
        cur = await conn.execute("SELECT count(*) AS n FROM executions WHERE program_id = %s", (campaign.program_id,))
        row = await cur.fetchone()
    assert row is not None
    assert row["n"] == 1, "the retry started a second execution"
    _problem(await _launch(tenant, campaign.program_id), 400, "ExecutionAlreadyRunningError")


async def test_a_launch_stopped_after_its_first_wave_is_finished_from_its_snapshot(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A launch that died in its waves (first chunk enrolled) is finished by the resumer from the
    snapshot it kept, even though the audience changed meanwhile."""
    from callcast_contracts import ids
    from callcast_scheduler.adapters import dispatch_repository
    from callcast_scheduler.launch import LaunchHandlers

    campaign = await tenant.campaign(contacts=1200)  # three chunks of 500
    scheduler = tenant.app.scheduler

    async def dies(self: Any, rest: Any, wave: Any) -> None:
        raise RuntimeError("the process died between two waves")

    with monkeypatch.context() as patch:
        patch.setattr(LaunchHandlers, "_commit_wave", dies)
        assert (await _launch(tenant, campaign.program_id)).status_code == 500
    execution_id = ids.derived_id("execution", campaign.program_id, 1)
    newcomer = await tenant.contact("+212600999111")
    await tenant.audience(newcomer, audience_id=campaign.audience_id)  # after the snapshot
    await tenant.app.views_caught_up()

    assert await scheduler.resume_unfinished_launches(older_than=timedelta(0)) == 1
    await tenant.app_caught_up()
    async with tenant.app.runtime.db.connection() as conn:
        cur = await conn.execute("SELECT id FROM jobs WHERE execution_id = %s", (execution_id,))
        jobs = {str(r["id"]) for r in await cur.fetchall()}
        assert await dispatch_repository.launch_snapshot(conn, execution_id) == []  # forgotten
    assert jobs == {ids.job_id(execution_id, c.id) for c in campaign.contacts}
    execution = await tenant.execution(execution_id)
    assert execution["totalContacts"] == 1200
    assert await scheduler.resume_unfinished_launches(older_than=timedelta(0)) == 0
