"""The real dispatcher respects startAt, pause windows and stopAt (windows computed around now)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scheduler_support import FakeDialer, Tenant

pytestmark = pytest.mark.integration


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _program(tenant: Tenant, contacts: int, **fields: Any) -> str:
    people = [await tenant.contact(f"+2126004{n:05d}") for n in range(contacts)]
    audience_id = await tenant.audience(*people)
    flow = await tenant.flow_version(1)
    body = {
        "name": "Time rules",
        "flowId": flow.flow_id,
        "audienceId": audience_id,
        "didPool": [await tenant.did("+212522000001")],
        "concurrency": 1,
        **fields,
    }
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _until_past(at: datetime) -> None:
    while datetime.now(UTC) < at:  # noqa: ASYNC110  (waiting for the wall clock itself)
        await asyncio.sleep(0.05)


async def test_no_dial_command_before_start_at(tenant: Tenant, dialer: FakeDialer) -> None:
    start_at = datetime.now(UTC) + timedelta(seconds=2)
    execution_id = await tenant.launch(await _program(tenant, 1, startAt=_iso(start_at)))
    assert (await tenant.execution(execution_id))["status"] == "scheduled"
    await dialer.assert_no_command()
    command = await dialer.next_command()
    assert command.envelope.occurred_at >= start_at
    assert (await tenant.execution(execution_id))["status"] == "running"


async def test_no_dial_command_inside_a_pause_window(tenant: Tenant, dialer: FakeDialer) -> None:
    now = datetime.now(UTC)
    window_end = now + timedelta(seconds=2)
    windows = {"advanced": [{"startAt": _iso(now - timedelta(minutes=5)), "endAt": _iso(window_end)}]}
    await tenant.launch(await _program(tenant, 1, pauseWindows=windows))
    await dialer.assert_no_command()
    command = await dialer.next_command()
    assert command.envelope.occurred_at >= window_end


async def test_nothing_starts_after_stop_at(tenant: Tenant, dialer: FakeDialer) -> None:
    stop_at = datetime.now(UTC) + timedelta(seconds=2)
    execution_id = await tenant.launch(await _program(tenant, 3, stopAt=_iso(stop_at)))
    first = await dialer.next_command()  # concurrency 1: the others wait for this call
    assert first.envelope.occurred_at < stop_at
    await _until_past(stop_at)
    await dialer.call(first, "completed")
    await tenant.execution_when(execution_id, "stopped")
    await dialer.assert_no_command()
