"""Programs (digest §8): every documented field and the Callcast settings, validation naming the
field, the DID pool's errors, partial updates, statuses, soft delete and listing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scheduler_support import FakeDialer, Tenant

pytestmark = pytest.mark.integration

MONDAY_NOON = {"startAt": {"hour": 12, "minute": 0}, "endAt": {"hour": 14, "minute": 0}}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _later(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def _body(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Payment reminder",
        "flowId": str(uuid.uuid4()),
        "audienceId": str(uuid.uuid4()),
        "didPool": [await tenant.did(f"+2125{uuid.uuid4().int % 10**8:08d}")],
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


async def _create(tenant: Tenant, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    response = await tenant.app.client.post(
        "/api/programs", json=await _body(tenant, **fields), headers=headers or tenant.headers
    )
    assert response.status_code == 201, response.text
    program: dict[str, Any] = response.json()
    return program


async def test_a_created_program_answers_every_field_with_its_defaults(tenant: Tenant) -> None:
    body = await _body(tenant)
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    program = response.json()
    assert set(program) == {
        "id",
        "name",
        "description",
        "mode",
        "organizationId",
        "audienceId",
        "flowId",
        "status",
        "startAt",
        "stopAt",
        "didPool",
        "retryStrategy",
        "pauseWindows",
        "autoPauseRules",
        "triggerCondition",
        "concurrency",
        "callsPerSecond",
        "timezone",
        "timezoneOverride",
        "recipientTimezones",
        "createdAt",
        "updatedAt",
    }
    assert program["organizationId"] == tenant.org_id
    assert (program["flowId"], program["audienceId"]) == (body["flowId"], body["audienceId"])
    assert (program["mode"], program["status"], program["retryStrategy"]) == ("batch", "draft", {"type": "none"})
    assert (program["startAt"], program["stopAt"], program["description"]) == (None, None, None)
    assert (program["pauseWindows"], program["autoPauseRules"], program["triggerCondition"]) == (None, None, None)
    assert (program["concurrency"], program["callsPerSecond"]) == (10, None)
    assert (program["timezone"], program["timezoneOverride"], program["recipientTimezones"]) == ("UTC", None, False)
    assert [d["id"] for d in program["didPool"]] == body["didPool"]
    fetched = await tenant.app.client.get(f"/api/programs/{program['id']}", headers=tenant.headers)
    assert fetched.json() == program


async def test_every_setting_is_stored_in_its_normal_form_and_answered(tenant: Tenant) -> None:
    start, stop = _later(1), _later(8)
    program = await _create(
        tenant,
        description="Monthly",
        startAt=start,
        stopAt=stop,
        retryStrategy={"type": "fixed-delay", "delay": 600_000, "maxRetries": 2},
        pauseWindows={
            "monday": [
                {"startAt": {"hour": 18, "minute": 0}, "endAt": {"hour": 20, "minute": 0}},
                MONDAY_NOON,
            ],
            "advanced": [{"startAt": "2031-01-01T01:00:00+01:00", "endAt": "2031-01-02T00:00:00Z"}],
        },
        autoPauseRules=[{"nodeId": "transfer-1", "threshold": 50}],
        concurrency=25,
        callsPerSecond=2.5,
        timezone="Europe/Paris",
        recipientTimezones=True,
    )
    assert (program["startAt"], program["stopAt"], program["description"]) == (start, stop, "Monthly")
    assert program["retryStrategy"] == {"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 2}
    assert program["pauseWindows"] == {
        "monday": [MONDAY_NOON, {"startAt": {"hour": 18, "minute": 0}, "endAt": {"hour": 20, "minute": 0}}],
        "advanced": [{"startAt": "2031-01-01T00:00:00Z", "endAt": "2031-01-02T00:00:00Z"}],
    }
    assert program["autoPauseRules"] == [{"nodeId": "transfer-1", "threshold": 50, "resetOnResume": False}]
    assert (program["concurrency"], program["callsPerSecond"]) == (25, 2.5)
    assert (program["timezone"], program["timezoneOverride"], program["recipientTimezones"]) == (
        "Europe/Paris",
        "Europe/Paris",
        True,
    )


async def test_a_program_reads_its_windows_in_the_organizations_zone_unless_it_overrides_it(tenant: Tenant) -> None:
    casablanca = {**tenant.headers, "X-Callcast-Org-Timezone": "Africa/Casablanca"}
    plain = await _create(tenant, headers=casablanca)
    assert (plain["timezone"], plain["timezoneOverride"]) == ("Africa/Casablanca", None)
    path = f"/api/programs/{plain['id']}"
    seen_from_paris = await tenant.app.client.get(
        path, headers={**tenant.headers, "X-Callcast-Org-Timezone": "Europe/Paris"}
    )
    assert seen_from_paris.json()["timezone"] == "Europe/Paris", "the organization's zone is read, not copied"

    overridden = await tenant.app.client.patch(path, json={"timezone": "America/New_York"}, headers=casablanca)
    assert (overridden.json()["timezone"], overridden.json()["timezoneOverride"]) == ("America/New_York",) * 2
    cleared = await tenant.app.client.patch(path, json={"timezone": None}, headers=casablanca)
    assert (cleared.json()["timezone"], cleared.json()["timezoneOverride"]) == ("Africa/Casablanca", None)

    bad = await tenant.app.client.get(path, headers={**tenant.headers, "X-Callcast-Org-Timezone": "Mars/Olympus"})
    assert list(_problem(bad, 400, "VALIDATION_FAILED")["fieldErrors"]) == ["x-callcast-org-timezone"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": ...}, "name"),
        ({"flowId": "flow-1"}, "flowId"),
        ({"flowId": ...}, "flowId"),
        ({"didPool": []}, "didPool"),
        ({"didPool": ["+212600000000"]}, "didPool[0]"),
        ({"mode": "weekly"}, "mode"),
        ({"audienceId": ...}, "audienceId"),
        ({"audienceId": None}, "audienceId"),
        ({"triggerCondition": {"attributeName": "renewal_date"}}, "triggerCondition"),
        ({"startAt": "2031-01-01T09:00:00"}, "startAt"),
        ({"startAt": "next monday"}, "startAt"),
        ({"stopAt": "2031-01-01T09:00:00"}, "stopAt"),
        ({"startAt": "2031-01-02T09:00:00Z", "stopAt": "2031-01-02T09:00:00Z"}, "stopAt"),
        ({"startAt": "2031-01-02T09:00:00Z", "stopAt": "2031-01-01T09:00:00Z"}, "stopAt"),
        ({"stopAt": "2020-01-01T09:00:00Z"}, "stopAt"),
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 100_001}, "concurrency"),
        ({"concurrency": 2.5}, "concurrency"),
        ({"callsPerSecond": 0}, "callsPerSecond"),
        ({"callsPerSecond": -1}, "callsPerSecond"),
        ({"callsPerSecond": 10_001}, "callsPerSecond"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "posixrules"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"recipientTimezones": "yes"}, "recipientTimezones"),
        ({"retryStrategy": {"type": "fixed_delay", "delayMinutes": 5}}, "retryStrategy.maxRetries"),
        ({"pauseWindows": {"funday": []}}, "pauseWindows.funday"),
        (
            {"pauseWindows": {"monday": [{"startAt": {"hour": 24, "minute": 0}, "endAt": {"hour": 1, "minute": 0}}]}},
            "pauseWindows.monday[0].startAt.hour",
        ),
        (
            {"pauseWindows": {"monday": [{"startAt": {"hour": 9, "minute": 0}, "endAt": {"hour": 9, "minute": 0}}]}},
            "pauseWindows.monday[0].endAt",
        ),
        (
            {"pauseWindows": {"advanced": [{"startAt": "2031-01-01T09:00:00", "endAt": "2031-01-02T09:00:00Z"}]}},
            "pauseWindows.advanced[0].startAt",
        ),
        (
            {"pauseWindows": {"advanced": [{"startAt": "2031-01-02T09:00:00Z", "endAt": "2031-01-01T09:00:00Z"}]}},
            "pauseWindows.advanced[0].endAt",
        ),
        ({"autoPauseRules": [{"nodeId": "a", "threshold": 0}]}, "autoPauseRules[0].threshold"),
        (
            {"autoPauseRules": [{"nodeId": "a", "threshold": 1}, {"nodeId": "a", "threshold": 2}]},
            "autoPauseRules[1].nodeId",
        ),
        ({"autoPauseRules": [{"nodeId": "a", "threshold": 1, "every": 2}]}, "autoPauseRules[0].every"),
        ({"status": "active"}, "status"),
        ({"organizationId": str(uuid.uuid4())}, "organizationId"),
    ],
)
async def test_a_bad_program_is_refused_naming_the_field(tenant: Tenant, fields: dict[str, Any], field: str) -> None:
    response = await tenant.app.client.post("/api/programs", json=await _body(tenant, **fields), headers=tenant.headers)
    problem = _problem(response, 400, "VALIDATION_FAILED")
    assert list(problem["fieldErrors"]) == [field]


async def test_a_pause_windows_document_covering_the_whole_week_is_refused(tenant: Tenant) -> None:
    whole_day = [
        {"startAt": {"hour": 0, "minute": 0}, "endAt": {"hour": 12, "minute": 0}},
        {"startAt": {"hour": 12, "minute": 0}, "endAt": {"hour": 0, "minute": 0}},
    ]
    days = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    body = await _body(tenant, pauseWindows=dict.fromkeys(days, whole_day))
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == ["pauseWindows"]


async def test_a_live_program_needs_a_trigger_condition_on_a_date_attribute(tenant: Tenant) -> None:
    for name in ("renewal_date", "échéance", "due_on"):
        await tenant.custom_attribute(name)
    await tenant.custom_attribute("plan", "text")
    program = await _create(tenant, mode="live", audienceId=..., triggerCondition={"attributeName": "renewal_date"})
    assert (program["mode"], program["audienceId"]) == ("live", None)
    assert program["triggerCondition"] == {"attributeName": "renewal_date", "offsetDays": 0, "time": None}
    timed = await _create(
        tenant,
        mode="live",
        triggerCondition={"attributeName": "échéance", "offsetDays": -3, "time": {"hour": 10, "minute": 30}},
    )
    assert timed["triggerCondition"] == {
        "attributeName": "échéance",
        "offsetDays": -3,
        "time": {"hour": 10, "minute": 30},
    }
    for trigger, field in (
        (None, "triggerCondition"),
        ({}, "triggerCondition.attributeName"),
        ({"attributeName": "Renewal Date"}, "triggerCondition.attributeName"),
        ({"attributeName": "renewal_date", "offsetDays": 400}, "triggerCondition.offsetDays"),
        ({"attributeName": "renewal_date", "time": {"hour": 25, "minute": 0}}, "triggerCondition.time.hour"),
        ({"attributeName": "renewal_date", "days": 1}, "triggerCondition.days"),
        ({"attributeName": "no_such_attribute"}, "triggerCondition.attributeName"),
        ({"attributeName": "plan"}, "triggerCondition.attributeName"),  # not a date
    ):
        body = await _body(tenant, mode="live", triggerCondition=trigger)
        response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
        assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == [field], trigger
    path = f"/api/programs/{program['id']}"
    moved = await tenant.app.client.patch(
        path, json={"triggerCondition": {"attributeName": "due_on"}}, headers=tenant.headers
    )
    assert moved.json()["triggerCondition"]["attributeName"] == "due_on"
    refused = await tenant.app.client.patch(
        path, json={"triggerCondition": {"attributeName": "plan"}}, headers=tenant.headers
    )
    assert list(_problem(refused, 400, "VALIDATION_FAILED")["fieldErrors"]) == ["triggerCondition.attributeName"]


async def test_the_did_pool_answers_the_documented_errors(tenant: Tenant, other_tenant: Tenant) -> None:
    inactive = await tenant.did("+212600002001", status="inactive")
    reserved = await tenant.did("+212600002002", status="reserved")
    active = await tenant.did("+212600002003")
    theirs = await other_tenant.did("+212600002004")
    unknown = str(uuid.uuid4())

    async def create(pool: list[str]) -> Any:
        return await tenant.app.client.post(
            "/api/programs", json=await _body(tenant, didPool=pool), headers=tenant.headers
        )

    assert unknown in _problem(await create([active, unknown]), 404, "DidNotFoundError")["message"]
    _problem(await create([theirs]), 404, "DidNotFoundError")
    assert inactive in _problem(await create([active, inactive]), 400, "DidNotActiveError")["message"]
    assert reserved in _problem(await create([reserved]), 400, "DidNotAccessibleError")["message"]
    duplicate = _problem(await create([active, active]), 400, "VALIDATION_FAILED")
    assert list(duplicate["fieldErrors"]) == ["didPool[1]"]

    program = await _create(tenant, didPool=[active])
    path = f"/api/programs/{program['id']}"
    for pool, status, code in (
        ([inactive], 400, "DidNotActiveError"),
        ([reserved], 400, "DidNotAccessibleError"),
        ([theirs], 404, "DidNotFoundError"),
    ):
        _problem(await tenant.app.client.patch(path, json={"didPool": pool}, headers=tenant.headers), status, code)
    assert [d["id"] for d in (await tenant.app.client.get(path, headers=tenant.headers)).json()["didPool"]] == [active]


async def test_an_update_keeps_absent_fields_and_null_clears_optional_ones(tenant: Tenant) -> None:
    program = await _create(
        tenant,
        description="d",
        stopAt=_later(3),
        callsPerSecond=4,
        pauseWindows={"monday": [MONDAY_NOON]},
        autoPauseRules=[{"nodeId": "n", "threshold": 3, "resetOnResume": True}],
        retryStrategy={"type": "fixed_delay", "delayMinutes": 30, "maxRetries": 1},
    )
    path = f"/api/programs/{program['id']}"
    renamed = (await tenant.app.client.put(path, json={"name": "Renamed"}, headers=tenant.headers)).json()
    assert renamed["name"] == "Renamed"
    unchanged = (
        "description",
        "stopAt",
        "callsPerSecond",
        "pauseWindows",
        "autoPauseRules",
        "retryStrategy",
        "didPool",
    )
    assert {k: renamed[k] for k in unchanged} == {k: program[k] for k in unchanged}

    cleared = await tenant.app.client.patch(
        path,
        json={
            "description": None,
            "stopAt": None,
            "callsPerSecond": None,
            "pauseWindows": None,
            "autoPauseRules": None,
            "retryStrategy": None,
        },
        headers=tenant.headers,
    )
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert [body[k] for k in ("description", "stopAt", "callsPerSecond", "pauseWindows", "autoPauseRules")] == [
        None
    ] * 5
    assert body["retryStrategy"] == {"type": "none"}
    assert body["updatedAt"] >= program["updatedAt"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": None}, "name"),
        ({"concurrency": None}, "concurrency"),
        ({"recipientTimezones": None}, "recipientTimezones"),
        ({"didPool": None}, "didPool"),
        ({"flowId": str(uuid.uuid4())}, "flowId"),
        ({"audienceId": str(uuid.uuid4())}, "audienceId"),
        ({"mode": "live"}, "mode"),
        ({"triggerCondition": {"attributeName": "renewal_date"}}, "triggerCondition"),
        ({"startAt": "2099-01-01T00:00:00Z"}, "startAt"),
        ({"stopAt": "2020-01-01T00:00:00Z"}, "stopAt"),
        ({"timezone": "Europe/Pariss"}, "timezone"),
        ({"status": "deleted"}, "status"),
        ({"pauseWindows": {"monday": [{"startAt": {"hour": 1, "minute": 0}}]}}, "pauseWindows.monday[0].endAt"),
    ],
)
async def test_a_bad_update_is_refused_naming_the_field(tenant: Tenant, fields: dict[str, Any], field: str) -> None:
    program = await _create(tenant, stopAt=_later(30))
    response = await tenant.app.client.patch(f"/api/programs/{program['id']}", json=fields, headers=tenant.headers)
    assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == [field]
    unchanged = await tenant.app.client.get(f"/api/programs/{program['id']}", headers=tenant.headers)
    assert unchanged.json() == program


async def test_an_archived_program_takes_no_change_until_it_is_unarchived(tenant: Tenant) -> None:
    program = await _create(tenant)
    path, client, headers = f"/api/programs/{program['id']}", tenant.app.client, tenant.headers
    _problem(await client.patch(path, json={"status": "active"}, headers=headers), 409, "ProgramStatusConflictError")
    archived = await client.patch(path, json={"status": "archived"}, headers=headers)
    assert archived.json()["status"] == "archived"
    again = await client.patch(path, json={"status": "archived"}, headers=headers)
    assert again.json()["status"] == "archived", "archiving twice changes nothing"

    _problem(await client.put(path, json={"name": "X"}, headers=headers), 409, "ProgramStatusConflictError")
    _problem(
        await client.put(path, json={"name": "X", "status": "archived"}, headers=headers),
        409,
        "ProgramStatusConflictError",
    )
    _problem(await client.post(f"{path}/launch", headers=headers), 409, "ProgramStatusConflictError")
    _problem(await client.patch(path, json={"status": "active"}, headers=headers), 409, "ProgramStatusConflictError")
    restored = await client.patch(path, json={"status": "draft", "name": "Back"}, headers=headers)
    assert restored.status_code == 200, restored.text
    assert (restored.json()["status"], restored.json()["name"]) == ("draft", "Back")


async def test_a_launched_program_is_active_and_unarchives_to_active(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign()
    path, client, headers = f"/api/programs/{campaign.program_id}", tenant.app.client, tenant.headers
    await tenant.launch(campaign.program_id)
    _problem(await client.patch(path, json={"status": "draft"}, headers=headers), 409, "ProgramStatusConflictError")
    assert (await client.patch(path, json={"status": "archived"}, headers=headers)).json()["status"] == "archived"
    _problem(await client.patch(path, json={"status": "draft"}, headers=headers), 409, "ProgramStatusConflictError")
    assert (await client.patch(path, json={"status": "active"}, headers=headers)).json()["status"] == "active"


async def test_a_program_with_an_unfinished_execution_cannot_be_deleted(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign()
    await tenant.launch(campaign.program_id)
    path = f"/api/programs/{campaign.program_id}"
    _problem(await tenant.app.client.delete(path, headers=tenant.headers), 409, "ProgramStatusConflictError")
    assert (await tenant.app.client.get(path, headers=tenant.headers)).status_code == 200


async def test_a_deleted_program_is_gone_for_every_action(tenant: Tenant, other_tenant: Tenant) -> None:
    program = await _create(tenant)
    path, client = f"/api/programs/{program['id']}", tenant.app.client
    _problem(await other_tenant.app.client.delete(path, headers=other_tenant.headers), 404, "ProgramNotFoundError")
    deleted = await client.delete(path, headers=tenant.headers)
    assert (deleted.status_code, deleted.json()) == (200, {"message": "Program deleted"})
    _problem(await client.get(path, headers=tenant.headers), 404, "ProgramNotFoundError")
    _problem(await client.patch(path, json={"name": "X"}, headers=tenant.headers), 404, "ProgramNotFoundError")
    _problem(await client.delete(path, headers=tenant.headers), 404, "ProgramNotFoundError")
    _problem(await client.post(f"{path}/launch", headers=tenant.headers), 404, "ProgramNotFoundError")
    listed = await client.get("/api/programs", headers=tenant.headers)
    assert program["id"] not in [p["id"] for p in listed.json()["data"]]
    async with tenant.app.runtime.db.connection() as conn:
        cur = await conn.execute("SELECT deleted_at FROM programs WHERE id = %s", (program["id"],))
        row = await cur.fetchone()
    assert row is not None
    assert row["deleted_at"] is not None, "the delete is soft"


async def test_another_organizations_program_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    program = await _create(tenant)
    path, client, headers = f"/api/programs/{program['id']}", other_tenant.app.client, other_tenant.headers
    _problem(await client.get(path, headers=headers), 404, "ProgramNotFoundError")
    _problem(await client.put(path, json={"name": "Mine"}, headers=headers), 404, "ProgramNotFoundError")
    listed = await client.get("/api/programs", headers=headers)
    assert listed.json()["data"] == []
    for response in (
        await tenant.app.client.get("/api/programs/42", headers=tenant.headers),
        await tenant.app.client.patch("/api/programs/42", json={}, headers=tenant.headers),
        await tenant.app.client.delete("/api/programs/42", headers=tenant.headers),
    ):
        assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == ["id"]


async def test_programs_are_listed_paged_searched_sorted_and_filtered(tenant: Tenant) -> None:
    alpha = await _create(tenant, name="Alpha 100%")
    beta = await _create(tenant, name="Beta", description="renewals")
    await tenant.custom_attribute("due")
    gamma = await _create(tenant, name="Gamma", mode="live", audienceId=..., triggerCondition={"attributeName": "due"})
    await tenant.app.client.patch(f"/api/programs/{beta['id']}", json={"status": "archived"}, headers=tenant.headers)
    client, headers = tenant.app.client, tenant.headers

    async def names(**params: Any) -> list[str]:
        response = await client.get("/api/programs", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["data"]]

    assert await names(sortBy="name", sortOrder="asc") == ["Alpha 100%", "Beta", "Gamma"]
    assert await names(sortBy="createdAt", sortOrder="desc") == ["Gamma", "Beta", "Alpha 100%"]
    assert await names(status="archived") == ["Beta"]
    assert await names(status="draft", sortBy="name", sortOrder="asc") == ["Alpha 100%", "Gamma"]
    assert await names(mode="live") == ["Gamma"]
    assert await names(search="RENEW") == ["Beta"]
    assert await names(search="%") == ["Alpha 100%"]
    assert await names(sortBy="status", sortOrder="asc", limit=1) == ["Beta"]
    assert (await names(sortBy="status", sortOrder="desc"))[-1] == "Beta"
    page = await client.get("/api/programs", params={"limit": 2, "page": 2}, headers=headers)
    assert page.json()["meta"] == {
        "page": 2,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "hasNextPage": False,
        "hasPreviousPage": True,
    }
    assert [p["id"] for p in page.json()["data"]] == [alpha["id"]]
    assert gamma["id"] in [p["id"] for p in (await client.get("/api/programs", headers=headers)).json()["data"]]
    for params, field in (
        ({"status": "running"}, "status"),
        ({"mode": "adhoc"}, "mode"),
        ({"sortBy": "mode"}, "sortBy"),
    ):
        response = await client.get("/api/programs", params=params, headers=headers)
        assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == [field]


async def test_a_launch_pins_the_effective_timezone_and_the_programs_settings(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    from callcast_contracts.events import ExecutionLaunched
    from callcast_contracts.streams import PROGRAMS
    from callcast_scheduler.handlers import execution_subject

    casablanca = {**tenant.headers, "X-Callcast-Org-Timezone": "Africa/Casablanca"}

    async def launched(program_id: str, headers: dict[str, str]) -> ExecutionLaunched:
        response = await tenant.app.client.post(f"/api/programs/{program_id}/launch", headers=headers)
        assert response.status_code == 201, response.text
        execution_id = response.json()["executionId"]
        history = await tenant.app.runtime.events.load(PROGRAMS.name, execution_subject(tenant.org_id, execution_id))
        event = history[0].envelope.data
        assert isinstance(event, ExecutionLaunched)
        return event

    plain = await tenant.campaign()
    await tenant.app.client.patch(
        f"/api/programs/{plain.program_id}",
        json={"callsPerSecond": 3, "recipientTimezones": True, "pauseWindows": {"monday": [MONDAY_NOON]}},
        headers=tenant.headers,
    )
    event = await launched(plain.program_id, casablanca)
    assert (event.timezone, event.calls_per_second, event.recipient_timezones) == ("Africa/Casablanca", 3.0, True)
    assert event.pause_windows == {"monday": [MONDAY_NOON]}

    overridden = await tenant.campaign(caller_ids=("+212522000002",))
    await tenant.app.client.patch(
        f"/api/programs/{overridden.program_id}", json={"timezone": "Europe/Paris"}, headers=tenant.headers
    )
    assert (await launched(overridden.program_id, casablanca)).timezone == "Europe/Paris"
