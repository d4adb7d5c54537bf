"""Reading executions: one with its computed status and forecast, its contacts by status, and the
lists per organization and per program."""

from __future__ import annotations

import pytest
from execution_support import act_ok, add_up, campaign_with
from scheduler_support import FakeDialer, Tenant

pytestmark = pytest.mark.integration

ALWAYS_PAUSED = {
    day: [{"startAt": {"hour": 0, "minute": 0}, "endAt": {"hour": 23, "minute": 59}}]
    for day in ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
}


async def test_an_execution_answers_every_documented_field_and_a_forecast(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=3, concurrency=1)
    execution_id = await tenant.launch(campaign.program_id)
    await dialer.next_command()
    await tenant.app_caught_up()

    body = await tenant.execution(execution_id)
    documented = {
        "id", "programId", "organizationId", "audienceId", "flowId", "status", "totalContacts",
        "contactsCompleted", "contactsFailed", "contactsPending", "contactsInProgress", "scheduledStartAt",
        "scheduledStopAt", "actualStartAt", "actualEndAt", "autoPauseRules", "createdAt", "updatedAt",
    }  # fmt: skip
    assert documented <= set(body)
    assert (body["id"], body["programId"], body["organizationId"]) == (execution_id, campaign.program_id, tenant.org_id)
    assert (body["status"], body["effectiveStatus"]) == ("running", "running")
    assert body["contactStatuses"] == {
        "pending": 2, "queued": 1, "calling": 0, "pendingRetry": 0, "completed": 0, "failed": 0, "skipped": 0,
    }  # fmt: skip
    assert add_up(body)
    forecast = body["forecast"]
    assert forecast is not None
    assert forecast["estimatedCompletionAt"] > body["actualStartAt"]
    assert forecast["contactsAtRiskOfStop"] == 0


async def test_a_running_execution_inside_a_pause_window_reads_paused_window(
    tenant: Tenant, dialer: FakeDialer
) -> None:
    campaign = await campaign_with(tenant, contacts=1, pauseWindows=ALWAYS_PAUSED)
    execution_id = await tenant.launch(campaign.program_id)
    body = await tenant.execution(execution_id)
    if body["pauseWindows"] is None:
        pytest.fail("the launch did not snapshot the program's pause windows")
    assert (body["status"], body["effectiveStatus"]) == ("running", "paused_window")
    paused = await act_ok(tenant, execution_id, "pause")
    assert paused["effectiveStatus"] == "paused_manual"


async def test_contacts_are_listed_with_their_status_and_filtered_by_it(tenant: Tenant, dialer: FakeDialer) -> None:
    campaign = await tenant.campaign(contacts=3, concurrency=1)
    execution_id = await tenant.launch(campaign.program_id)
    live = await dialer.next_command()
    await act_ok(tenant, execution_id, "cancel")

    url = f"/api/program-executions/{execution_id}/contacts"
    everything = (await tenant.app.client.get(url, headers=tenant.headers)).json()
    assert everything["meta"]["total"] == 3
    assert sorted(c["status"] for c in everything["data"]) == ["queued", "skipped", "skipped"]
    skipped = (await tenant.app.client.get(url, params={"status": "skipped"}, headers=tenant.headers)).json()
    assert skipped["meta"]["total"] == 2
    assert {c["outcomeReason"] for c in skipped["data"]} == {"execution_cancelled"}
    assert live.data.job_id not in {c["jobId"] for c in skipped["data"]}
    paged = (await tenant.app.client.get(url, params={"limit": 1, "page": 2}, headers=tenant.headers)).json()
    assert (len(paged["data"]), paged["meta"]["hasNextPage"], paged["meta"]["hasPreviousPage"]) == (1, True, True)
    bad = await tenant.app.client.get(url, params={"status": "sleeping"}, headers=tenant.headers)
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_FAILED")
    assert "status" in bad.json()["fieldErrors"]


async def test_executions_are_listed_per_organization_and_per_program(
    tenant: Tenant, other_tenant: Tenant, dialer: FakeDialer
) -> None:
    first = await tenant.campaign(contacts=1)
    second = await tenant.campaign(contacts=1, caller_ids=("+212522000002",))
    cancelled = await tenant.launch(first.program_id)
    await act_ok(tenant, cancelled, "cancel")
    running = await tenant.launch(second.program_id)

    mine = (await tenant.app.client.get("/api/program-executions", headers=tenant.headers)).json()
    assert {e["id"] for e in mine["data"]} == {cancelled, running}
    active = await tenant.app.client.get(
        "/api/program-executions", params={"status": "running,paused,scheduled"}, headers=tenant.headers
    )
    assert [e["id"] for e in active.json()["data"]] == [running]
    theirs = (await other_tenant.app.client.get("/api/program-executions", headers=other_tenant.headers)).json()
    assert theirs["meta"]["total"] == 0

    per_program = await tenant.app.client.get(f"/api/programs/{first.program_id}/executions", headers=tenant.headers)
    assert per_program.status_code == 200, per_program.text
    assert [e["id"] for e in per_program.json()["data"]] == [cancelled]
    assert per_program.json()["data"][0]["status"] == "cancelled"
    elsewhere = await other_tenant.app.client.get(
        f"/api/programs/{first.program_id}/executions", headers=other_tenant.headers
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "ProgramNotFoundError")
