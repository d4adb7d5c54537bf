"""The organization's calling limits (Callcast extension, ``/api/calling-limits``): defaults until
set, per organization, validated; ``org_limits`` answers what the dispatcher must respect."""

from __future__ import annotations

from typing import Any

import pytest
from scheduler_support import Tenant

from callcast_scheduler.adapters.program_repository import org_limits

pytestmark = pytest.mark.integration

PATH = "/api/calling-limits"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def test_an_organization_has_the_default_limits_until_it_sets_its_own(tenant: Tenant) -> None:
    response = await tenant.app.client.get(PATH, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "maxConcurrentCalls": 100,
        "maxCallsPerSecond": 10.0,
        "isDefault": True,
        "updatedAt": None,
    }
    async with tenant.app.runtime.db.connection() as conn:
        assert await org_limits(conn, tenant.org_id) == (100, 10.0)


async def test_limits_set_by_one_organization_are_its_own(tenant: Tenant, other_tenant: Tenant) -> None:
    put = await tenant.app.client.put(
        PATH, json={"maxConcurrentCalls": 40, "maxCallsPerSecond": 2.5}, headers=tenant.headers
    )
    assert put.status_code == 200, put.text
    assert (put.json()["maxConcurrentCalls"], put.json()["maxCallsPerSecond"], put.json()["isDefault"]) == (
        40,
        2.5,
        False,
    )
    assert put.json()["updatedAt"] is not None
    got = await tenant.app.client.get(PATH, headers=tenant.headers)
    assert got.json() == put.json()
    again = await tenant.app.client.put(
        PATH, json={"maxConcurrentCalls": 5000, "maxCallsPerSecond": 500}, headers=tenant.headers
    )
    assert (again.json()["maxConcurrentCalls"], again.json()["maxCallsPerSecond"]) == (5000, 500.0)
    theirs = await other_tenant.app.client.get(PATH, headers=other_tenant.headers)
    assert theirs.json()["isDefault"] is True
    async with tenant.app.runtime.db.connection() as conn:
        assert await org_limits(conn, tenant.org_id) == (5000, 500.0)
        assert await org_limits(conn, other_tenant.org_id) == (100, 10.0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"maxConcurrentCalls": 0, "maxCallsPerSecond": 1}, "maxConcurrentCalls"),
        ({"maxConcurrentCalls": 100_001, "maxCallsPerSecond": 1}, "maxConcurrentCalls"),
        ({"maxConcurrentCalls": 1.5, "maxCallsPerSecond": 1}, "maxConcurrentCalls"),
        ({"maxConcurrentCalls": 1, "maxCallsPerSecond": 0}, "maxCallsPerSecond"),
        ({"maxConcurrentCalls": 1, "maxCallsPerSecond": -2}, "maxCallsPerSecond"),
        ({"maxConcurrentCalls": 1, "maxCallsPerSecond": 10_001}, "maxCallsPerSecond"),
        ({"maxConcurrentCalls": 1, "maxCallsPerSecond": None}, "maxCallsPerSecond"),
        ({"maxCallsPerSecond": 1}, "maxConcurrentCalls"),
        ({"maxConcurrentCalls": 1}, "maxCallsPerSecond"),
        ({"maxConcurrentCalls": 1, "maxCallsPerSecond": 1, "burst": 3}, "burst"),
    ],
)
async def test_bad_limits_are_refused_naming_the_field(tenant: Tenant, body: dict[str, Any], field: str) -> None:
    response = await tenant.app.client.put(PATH, json=body, headers=tenant.headers)
    assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == [field]
    assert (await tenant.app.client.get(PATH, headers=tenant.headers)).json()["isDefault"] is True


async def test_calling_limits_need_an_organization(tenant: Tenant) -> None:
    _problem(await tenant.app.client.get(PATH), 401, "UNAUTHORIZED")
    _problem(
        await tenant.app.client.put(PATH, json={"maxConcurrentCalls": 1, "maxCallsPerSecond": 1}), 401, "UNAUTHORIZED"
    )
