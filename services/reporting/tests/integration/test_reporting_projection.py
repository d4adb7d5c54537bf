"""The read model projected from real JetStream streams into real PostgreSQL, served over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from reporting_scenario import CALLER_ID, PHONE, Scenario, expected_report
from reporting_support import ReportingApp, append_all, eventually, get_json, outcomes_on

from callcast_contracts.streams import CALLS
from callcast_reporting.domain.outcomes import outcome_subject
from callcast_reporting.handlers import CALL_EVENT_HANDLERS, PROGRAM_EVENT_HANDLERS, project
from callcast_runtime.messaging import EventStore
from callcast_runtime.settings import Settings

pytestmark = pytest.mark.integration

#: A replay goes through the whole history of both streams, longer on a long-lived dev server.
REPLAY_TIMEOUT = 120.0


async def report_of(client: httpx.AsyncClient, s: Scenario) -> dict[str, Any] | None:
    status, body = await get_json(client, f"/api/call-report/{s.job_id}", s.org_id)
    return body if status == 200 else None


async def settled_report(
    client: httpx.AsyncClient, s: Scenario, expected: dict[str, Any], *, timeout: float = 30.0
) -> dict[str, Any]:
    """The report once it equals ``expected``, or the last one seen (so the assert shows the diff)."""
    last: dict[str, Any] = {}

    async def probe() -> bool:
        nonlocal last
        last = await report_of(client, s) or {}
        return last == expected

    try:
        await eventually(probe, what="the report to settle", timeout=timeout)
    except AssertionError:
        pass
    return last


async def test_report_of_a_busy_then_completed_job_is_projected_from_both_streams(
    client: httpx.AsyncClient, event_store: EventStore
) -> None:
    s = Scenario()
    await append_all(event_store, s.history())
    expected = expected_report(s)
    report = await settled_report(client, s, expected)
    assert (report["jobId"], report["status"], report["outcome"], report["answeredBy"]) == (
        s.job_id,
        "completed",
        "completed",
        "human",
    )
    assert [(a["attemptNumber"], a["outcome"], a["sipStatus"]) for a in report["attempts"]] == [
        (1, "busy", 486),
        (2, "completed", 200),
    ]
    assert (report["call"]["status"], report["call"]["from"], report["call"]["to"]) == ("completed", CALLER_ID, PHONE)
    assert [n["nodeId"] for n in report["flowExecution"]["executionPath"]] == [
        "dial-1",
        "play-1",
        "menu-1",
        "set-1",
        "hangup-1",
    ]
    assert report == expected


async def test_report_exists_as_queued_before_the_dialer_starts_then_turns_active(
    client: httpx.AsyncClient, event_store: EventStore
) -> None:
    s = Scenario()
    await append_all(event_store, [*s.enrolment(), s.dispatched(1, 0.5)])

    async def queued_call() -> dict[str, Any] | None:
        report = await report_of(client, s)
        return report if report and report["call"] else None

    report = await eventually(queued_call, what="the queued attempt")
    assert (report["status"], report["call"]["status"], report["flowExecution"], report["events"]) == (
        "queued",
        "queued",
        None,
        [],
    )
    await append_all(event_store, s.busy_attempt()[:2])

    async def ringing() -> dict[str, Any] | None:
        report = await report_of(client, s)
        return report if report and report["call"]["status"] == "ringing" else None

    report = await eventually(ringing, what="the ringing call")
    assert (report["status"], report["outcome"], [e["type"] for e in report["events"]]) == (
        "active",
        None,
        ["initiated", "ringing"],
    )


async def test_calls_list_one_row_per_attempt_with_its_job(client: httpx.AsyncClient, event_store: EventStore) -> None:
    s, other = Scenario(), Scenario()
    other.org_id = s.org_id  # a second job of the same organization, in another execution
    await append_all(event_store, [*s.history(), *other.history()])
    await settled_report(client, s, expected_report(s))
    await settled_report(client, other, expected_report(other))

    status, page = await get_json(client, "/api/calls", s.org_id, executionId=s.execution_id, sortOrder="asc")
    assert status == 200
    assert page["meta"] == {
        "page": 1,
        "limit": 20,
        "total": 2,
        "totalPages": 1,
        "hasNextPage": False,
        "hasPreviousPage": False,
    }
    first, second = page["data"]
    assert first == {
        "id": s.attempt_id(1),
        "jobId": s.job_id,
        "executionId": s.execution_id,
        "programId": s.program_id,
        "contactId": s.contact_id,
        "attemptNumber": 1,
        "from": CALLER_ID,
        "to": PHONE,
        "status": "busy",
        "outcome": "busy",
        "outcomeReason": "486 Busy Here",
        "answeredBy": None,
        "sipStatus": 486,
        "dialedAt": first["dialedAt"],
        "answeredAt": None,
        "terminatedAt": first["terminatedAt"],
        "durationMs": None,
        "createdAt": first["createdAt"],
    }
    assert (second["id"], second["jobId"], second["outcome"], second["durationMs"]) == (
        s.attempt_id(2),
        s.job_id,
        "completed",
        8000,
    )

    _, everything = await get_json(client, "/api/calls", s.org_id)
    assert everything["meta"]["total"] == 4
    assert {row["jobId"] for row in everything["data"]} == {s.job_id, other.job_id}
    _, busy = await get_json(client, "/api/calls", s.org_id, outcome="busy", sortBy="terminatedAt")
    assert sorted(row["id"] for row in busy["data"]) == sorted([s.attempt_id(1), other.attempt_id(1)])
    _, by_job = await get_json(client, "/api/calls", s.org_id, jobId=other.job_id, sortBy="durationMs")
    assert [row["id"] for row in by_job["data"]] == [other.attempt_id(2), other.attempt_id(1)]
    _, by_number = await get_json(client, "/api/calls", s.org_id, search="612345", programId=other.program_id)
    assert sorted(row["id"] for row in by_number["data"]) == sorted([other.attempt_id(1), other.attempt_id(2)])
    _, paged = await get_json(client, "/api/calls", s.org_id, limit=3, page=2)
    assert (len(paged["data"]), paged["meta"]["hasPreviousPage"], paged["meta"]["totalPages"]) == (1, True, 2)
    status, one = await get_json(client, f"/api/calls/{s.attempt_id(2)}", s.org_id)
    assert (status, one) == (200, second)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"executionId": "nope"}, "executionId"),
        ({"contactId": "123"}, "contactId"),
        ({"outcome": "maybe"}, "outcome"),
        ({"status": "exploded"}, "status"),
        ({"sortBy": "to"}, "sortBy"),
        ({"sortOrder": "sideways"}, "sortOrder"),
        ({"limit": "0"}, "limit"),
        ({"page": "x"}, "page"),
    ],
)
async def test_calls_list_rejects_a_bad_query_naming_the_parameter(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/calls", params=params, headers={"X-Callcast-Org-Id": Scenario().org_id})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["code"], body["statusCode"], list(body["fieldErrors"])) == ("VALIDATION_FAILED", 400, [field])


async def test_another_organizations_report_and_calls_are_not_found(
    client: httpx.AsyncClient, event_store: EventStore
) -> None:
    s = Scenario()
    await append_all(event_store, s.history())
    await settled_report(client, s, expected_report(s))
    intruder = Scenario().org_id
    status, body = await get_json(client, f"/api/call-report/{s.job_id}", intruder)
    assert (status, body["code"], body["error"], body["path"]) == (
        404,
        "CallReportNotFoundError",
        "NOT_FOUND",
        f"/api/call-report/{s.job_id}",
    )
    status, body = await get_json(client, f"/api/calls/{s.attempt_id(1)}", intruder)
    assert (status, body["code"]) == (404, "CallNotFoundError")
    _, page = await get_json(client, "/api/calls", intruder, jobId=s.job_id)
    assert (page["data"], page["meta"]["total"]) == ([], 0)


async def test_report_path_id_must_be_a_uuid_and_the_org_header_is_required(client: httpx.AsyncClient) -> None:
    status, body = await get_json(client, "/api/call-report/not-a-uuid", Scenario().org_id)
    assert (status, body["code"], list(body["fieldErrors"])) == (400, "VALIDATION_FAILED", ["jobId"])
    response = await client.get(f"/api/call-report/{Scenario().job_id}")
    assert response.status_code == 401


async def test_each_attempt_publishes_exactly_one_outcome_event(
    client: httpx.AsyncClient, event_store: EventStore, nc: NatsClient
) -> None:
    s = Scenario()
    await append_all(event_store, s.history())
    await settled_report(client, s, expected_report(s))
    subject = outcome_subject(s.org_id, s.job_id)
    published = await eventually(lambda: _at_least(nc, subject, 2), what="two outcome events", timeout=10)
    assert [p.msg_id for p in published] == [f"outcome-{s.attempt_id(1)}", f"outcome-{s.attempt_id(2)}"]
    busy, completed = (p.envelope for p in published)
    assert (busy.type, busy.org_id, busy.aggregate_id) == ("CallOutcomeReported", s.org_id, s.job_id)
    assert (busy.data.attempt_number, busy.data.outcome, busy.data.to) == (1, "busy", PHONE)  # type: ignore[attr-defined]
    assert (completed.data.outcome, completed.data.duration_ms) == ("completed", 8000)  # type: ignore[attr-defined]


async def _at_least(nc: NatsClient, subject: str, n: int) -> list[Any] | None:
    found = await outcomes_on(nc.jetstream(), subject)
    return found if len(found) >= n else None


async def test_redelivered_events_change_nothing_and_publish_nothing(
    reporting_app: ReportingApp, event_store: EventStore, nc: NatsClient
) -> None:
    s = Scenario()
    client = reporting_app.client
    assert client is not None
    await append_all(event_store, s.history())
    expected = expected_report(s)
    assert await settled_report(client, s, expected) == expected
    subject = outcome_subject(s.org_id, s.job_id)
    await eventually(lambda: _at_least(nc, subject, 2), what="two outcome events")

    # The same deliveries again, straight into the projection: every one is recognised.
    names = {stream: name for name, stream in reporting_app.projections.items()}
    for item in s.history():
        handlers = CALL_EVENT_HANDLERS if item.stream == CALLS.name else PROGRAM_EVENT_HANDLERS
        name = names[item.stream]
        for stored in await event_store.load(item.stream, item.subject):
            assert not await project(reporting_app.runtime.db, name, handlers, stored.envelope, stored.seq)

    # A restarted service reads on from its stored positions: the old events are not applied again.
    await reporting_app.stop()
    client = await reporting_app.start()
    s2 = Scenario()
    await append_all(event_store, s2.history())  # something new behind the old events
    # Each stream is applied in order: once the new job is settled, the old events were passed.
    expected2 = expected_report(s2)
    assert await settled_report(client, s2, expected2, timeout=REPLAY_TIMEOUT) == expected2
    assert await settled_report(client, s, expected, timeout=REPLAY_TIMEOUT) == expected
    assert len(await outcomes_on(nc.jetstream(), subject)) == 2


async def test_replaying_the_streams_into_an_empty_view_rebuilds_the_same_view(
    reporting_app: ReportingApp, event_store: EventStore, nc: NatsClient
) -> None:
    s = Scenario()
    client = reporting_app.client
    assert client is not None
    await append_all(event_store, s.history())
    expected = expected_report(s)
    assert await settled_report(client, s, expected) == expected
    _, calls_before = await get_json(client, "/api/calls", s.org_id)
    subject = outcome_subject(s.org_id, s.job_id)
    await eventually(lambda: _at_least(nc, subject, 2), what="two outcome events")

    await reporting_app.stop()
    await reporting_app.drop_view()
    client = await reporting_app.start()

    assert await settled_report(client, s, expected, timeout=REPLAY_TIMEOUT) == expected
    _, calls_after = await get_json(client, "/api/calls", s.org_id)
    assert calls_after == calls_before
    assert len(await outcomes_on(nc.jetstream(), subject)) == 2


async def test_two_replicas_side_by_side_apply_each_event_once(
    reporting_app: ReportingApp, reporting_settings: Settings, event_store: EventStore, nc: NatsClient
) -> None:
    replica = ReportingApp(
        msgspec.structs.replace(reporting_settings, instance_id="reporting-replica"),
        consumer_suffix=reporting_app.consumer_suffix,
    )
    await replica.start()
    try:
        scenarios = [Scenario() for _ in range(5)]
        for s in scenarios:
            await append_all(event_store, s.history())
        for s in scenarios:
            expected = expected_report(s)
            for app in (reporting_app, replica):
                assert app.client is not None
                assert await settled_report(app.client, s, expected) == expected
        await asyncio.sleep(0.5)  # a second outcome event would be published now
        for s in scenarios:
            assert len(await outcomes_on(nc.jetstream(), outcome_subject(s.org_id, s.job_id))) == 2
    finally:
        await replica.stop()
