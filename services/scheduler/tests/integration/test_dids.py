"""DIDs (digest §7): every documented field and filter, shared DIDs, assignment, tenancy."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from scheduler_support import Tenant

pytestmark = pytest.mark.integration

SharedDid = Callable[..., Awaitable[str]]


def _number() -> str:
    return f"+2125{uuid.uuid4().int % 10**8:08d}"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
async def shared_did(tenant: Tenant) -> AsyncIterator[SharedDid]:
    """Shared DIDs are the platform's rows (no organization); removed afterwards, since every
    organization of the session sees them."""
    made: list[str] = []

    async def make(number: str | None = None, status: str = "active") -> str:
        did_id = str(uuid.uuid4())
        async with tenant.app.runtime.db.connection() as conn:
            await conn.execute(
                "INSERT INTO dids (id, org_id, number, country, status, is_shared) "
                "VALUES (%s, NULL, %s, 'MA', %s, true)",
                (did_id, number or _number(), status),
            )
        made.append(did_id)
        return did_id

    yield make
    async with tenant.app.runtime.db.connection() as conn:
        await conn.execute("DELETE FROM dids WHERE id = ANY(%s::uuid[])", (made,))


async def test_a_created_did_answers_every_documented_field(tenant: Tenant) -> None:
    response = await tenant.app.client.post(
        "/api/dids",
        json={"number": "+212600000101", "country": "MA", "description": "Casablanca office"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    did = response.json()
    assert set(did) == {
        "id",
        "number",
        "country",
        "description",
        "isShared",
        "organizationId",
        "status",
        "createdAt",
        "updatedAt",
    }
    assert did["number"] == "+212600000101"
    assert (did["country"], did["description"], did["status"]) == ("MA", "Casablanca office", "active")
    assert (did["isShared"], did["organizationId"]) == (False, tenant.org_id)
    fetched = await tenant.app.client.get(f"/api/dids/{did['id']}", headers=tenant.headers)
    assert fetched.json() == did


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": "06-12-34-56-78", "country": "MA"}, "number"),
        ({"number": "12", "country": "MA"}, "number"),
        ({"number": "+" + "1" * 20, "country": "MA"}, "number"),
        ({"number": "+12a45", "country": "MA"}, "number"),
        ({"number": "212 600", "country": "MA"}, "number"),
        ({"number": "++212600000000", "country": "MA"}, "number"),
        ({"number": "+212600000000", "country": "ma"}, "country"),
        ({"number": "+212600000000", "country": "MAR"}, "country"),
        ({"number": "+212600000000", "country": "MA", "description": "x" * 501}, "description"),
        ({"number": "+212600000000", "country": "MA", "status": "busy"}, "status"),
        ({"country": "MA"}, "number"),
        ({"number": "+212600000000"}, "country"),
        ({"number": "+212600000000", "country": "MA", "organizationId": str(uuid.uuid4())}, "organizationId"),
    ],
)
async def test_a_bad_did_body_is_refused_naming_the_field(tenant: Tenant, body: dict[str, Any], field: str) -> None:
    response = await tenant.app.client.post("/api/dids", json=body, headers=tenant.headers)
    problem = _problem(response, 400, "VALIDATION_FAILED")
    assert list(problem["fieldErrors"]) == [field]


async def test_the_longest_and_shortest_numbers_are_accepted(tenant: Tenant) -> None:
    for number in ("123", "+12", "+" + "1" * 19, "1" * 20):
        response = await tenant.app.client.post(
            "/api/dids", json={"number": number, "country": "FR", "status": "reserved"}, headers=tenant.headers
        )
        assert response.status_code == 201, (number, response.text)
        assert response.json()["status"] == "reserved"


async def test_a_number_appears_once_among_an_organizations_dids(tenant: Tenant, other_tenant: Tenant) -> None:
    did_id = await tenant.did("+212600000201")
    again = await tenant.app.client.post(
        "/api/dids", json={"number": "+212600000201", "country": "MA"}, headers=tenant.headers
    )
    assert "number" in _problem(again, 409, "DidAlreadyExistsError")["fieldErrors"]
    assert await other_tenant.did("+212600000201"), "another organization may hold the same number"
    second = await tenant.did("+212600000202")
    clash = await tenant.app.client.put(f"/api/dids/{second}", json={"number": "+212600000201"}, headers=tenant.headers)
    _problem(clash, 409, "DidAlreadyExistsError")
    assert (await tenant.app.client.delete(f"/api/dids/{did_id}", headers=tenant.headers)).status_code == 200
    assert await tenant.did("+212600000201"), "a deleted DID's number can be added again"


async def test_an_update_changes_only_the_fields_given_and_null_clears_the_description(tenant: Tenant) -> None:
    created = await tenant.app.client.post(
        "/api/dids", json={"number": "+212600000301", "country": "MA", "description": "old"}, headers=tenant.headers
    )
    did_id, path = created.json()["id"], f"/api/dids/{created.json()['id']}"
    updated = await tenant.app.client.put(path, json={"status": "inactive"}, headers=tenant.headers)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["status"], updated.json()["description"], updated.json()["number"]) == (
        "inactive",
        "old",
        "+212600000301",
    )
    cleared = await tenant.app.client.put(
        path, json={"description": None, "country": "FR", "number": "212600000302"}, headers=tenant.headers
    )
    assert (cleared.json()["description"], cleared.json()["country"], cleared.json()["number"]) == (
        None,
        "FR",
        "212600000302",
    )
    assert cleared.json()["id"] == did_id
    for body, field in (
        ({"number": None}, "number"),
        ({"status": "gone"}, "status"),
        ({"isShared": True}, "isShared"),
        ({"country": "France"}, "country"),
    ):
        response = await tenant.app.client.put(path, json=body, headers=tenant.headers)
        assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == [field]


async def test_another_organizations_did_is_not_found_for_every_action(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await other_tenant.did("+212600000401")
    client, headers, path = tenant.app.client, tenant.headers, f"/api/dids/{theirs}"
    _problem(await client.get(path, headers=headers), 404, "DidNotFoundError")
    _problem(await client.put(path, json={"status": "inactive"}, headers=headers), 404, "DidNotFoundError")
    _problem(await client.delete(path, headers=headers), 404, "DidNotFoundError")
    _problem(
        await client.post(f"{path}/assign", json={"organizationId": tenant.org_id}, headers=headers),
        404,
        "DidNotFoundError",
    )
    listed = await client.get("/api/dids", params={"search": "0000401"}, headers=headers)
    assert listed.json()["data"] == []
    still = await other_tenant.app.client.get(path, headers=other_tenant.headers)
    assert still.json()["status"] == "active", "nothing the other organization did changed it"


async def test_a_bad_did_id_is_refused_naming_it(tenant: Tenant) -> None:
    for response in (
        await tenant.app.client.get("/api/dids/42", headers=tenant.headers),
        await tenant.app.client.put("/api/dids/42", json={}, headers=tenant.headers),
        await tenant.app.client.delete("/api/dids/42", headers=tenant.headers),
    ):
        assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == ["id"]


async def test_shared_dids_are_seen_and_usable_by_every_organization_and_changed_by_none(
    tenant: Tenant, other_tenant: Tenant, shared_did: SharedDid
) -> None:
    shared = await shared_did("+212600000501")
    own = await tenant.did("+212600000502")
    for org in (tenant, other_tenant):
        got = await org.app.client.get(f"/api/dids/{shared}", headers=org.headers)
        assert (got.json()["isShared"], got.json()["organizationId"]) == (True, None)
        available = await org.app.client.get("/api/dids/available", headers=org.headers)
        assert shared in [d["id"] for d in available.json()["data"]]
    only_shared = await tenant.app.client.get("/api/dids", params={"isShared": "true"}, headers=tenant.headers)
    assert [d["id"] for d in only_shared.json()["data"]] == [shared]
    only_own = await tenant.app.client.get("/api/dids", params={"isShared": "false"}, headers=tenant.headers)
    assert [d["id"] for d in only_own.json()["data"]] == [own]

    path = f"/api/dids/{shared}"
    _problem(await tenant.app.client.put(path, json={"status": "inactive"}, headers=tenant.headers), 403, "FORBIDDEN")
    _problem(await tenant.app.client.delete(path, headers=tenant.headers), 403, "FORBIDDEN")
    assign = await tenant.app.client.post(
        f"{path}/assign", json={"organizationId": tenant.org_id}, headers=tenant.headers
    )
    _problem(assign, 403, "FORBIDDEN")

    flow = await other_tenant.flow_version(1)
    program = await other_tenant.app.client.post(
        "/api/programs",
        json={"name": "P", "flowId": flow.flow_id, "audienceId": str(uuid.uuid4()), "didPool": [shared]},
        headers=other_tenant.headers,
    )
    assert program.status_code == 201, program.text
    assert program.json()["didPool"] == [{"id": shared, "number": "+212600000501", "country": "MA", "status": "active"}]


async def test_available_dids_are_the_active_own_and_shared_ones_paged(
    tenant: Tenant, other_tenant: Tenant, shared_did: SharedDid
) -> None:
    await tenant.did("+212600000601")
    await tenant.did("+212600000602", status="inactive")
    await tenant.did("+212600000603", status="reserved")
    await tenant.did("+212600000604")
    await other_tenant.did("+212600000605")
    await shared_did("+212600000606")
    await shared_did("+212600000607", status="inactive")
    client, headers = tenant.app.client, tenant.headers

    first = await client.get(
        "/api/dids/available", params={"sortBy": "number", "sortOrder": "asc", "limit": 2}, headers=headers
    )
    assert first.status_code == 200, first.text
    assert [d["number"] for d in first.json()["data"]] == ["+212600000601", "+212600000604"]
    assert first.json()["meta"] == {
        "page": 1,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    second = await client.get(
        "/api/dids/available", params={"sortBy": "number", "sortOrder": "asc", "limit": 2, "page": 2}, headers=headers
    )
    assert [d["number"] for d in second.json()["data"]] == ["+212600000606"]
    assert (second.json()["meta"]["hasNextPage"], second.json()["meta"]["hasPreviousPage"]) == (False, True)
    shared_only = await client.get("/api/dids/available", params={"isShared": "true"}, headers=headers)
    assert [d["number"] for d in shared_only.json()["data"]] == ["+212600000606"]
    every = await client.get("/api/dids", params={"sortBy": "number", "sortOrder": "asc"}, headers=headers)
    assert [d["number"] for d in every.json()["data"]] == [f"+21260000060{i}" for i in (1, 2, 3, 4, 6, 7)]


async def test_dids_are_filtered_by_owner_status_and_searched_by_number_and_description(
    tenant: Tenant, other_tenant: Tenant, shared_did: SharedDid
) -> None:
    client, headers = tenant.app.client, tenant.headers
    await client.post(
        "/api/dids", json={"number": "+212600000701", "country": "MA", "description": "Rabat 50%"}, headers=headers
    )
    await client.post(
        "/api/dids", json={"number": "+33100000702", "country": "FR", "description": "Paris"}, headers=headers
    )
    await shared_did("+212600000703")

    def numbers(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return sorted(d["number"] for d in response.json()["data"])

    own = await client.get("/api/dids", params={"organizationId": tenant.org_id}, headers=headers)
    assert numbers(own) == ["+212600000701", "+33100000702"]
    others = await client.get("/api/dids", params={"organizationId": other_tenant.org_id}, headers=headers)
    assert numbers(others) == []
    assert numbers(await client.get("/api/dids", params={"search": "paris"}, headers=headers)) == ["+33100000702"]
    assert numbers(await client.get("/api/dids", params={"search": "0070"}, headers=headers)) == [
        "+212600000701",
        "+212600000703",
        "+33100000702",
    ]
    assert numbers(await client.get("/api/dids", params={"search": "50%"}, headers=headers)) == ["+212600000701"]
    assert numbers(await client.get("/api/dids", params={"search": "%"}, headers=headers)) == ["+212600000701"]
    by_country = await client.get("/api/dids", params={"sortBy": "country", "sortOrder": "asc"}, headers=headers)
    assert [d["country"] for d in by_country.json()["data"]] == ["FR", "MA", "MA"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "busy"}, "status"),
        ({"isShared": "maybe"}, "isShared"),
        ({"organizationId": "acme"}, "organizationId"),
        ({"search": "x" * 101}, "search"),
        ({"sortBy": "description"}, "sortBy"),
    ],
)
async def test_a_bad_did_filter_is_refused_naming_it(tenant: Tenant, params: dict[str, str], field: str) -> None:
    response = await tenant.app.client.get("/api/dids", params=params, headers=tenant.headers)
    assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == [field]


async def test_assigning_a_did_moves_it_to_the_other_organization(tenant: Tenant, other_tenant: Tenant) -> None:
    did_id = await tenant.did("+212600000801")
    path = f"/api/dids/{did_id}"
    same = await tenant.app.client.post(
        f"{path}/assign", json={"organizationId": tenant.org_id}, headers=tenant.headers
    )
    assert same.status_code == 200, same.text
    assert same.json()["organizationId"] == tenant.org_id

    moved = await tenant.app.client.post(
        f"{path}/assign", json={"organizationId": other_tenant.org_id}, headers=tenant.headers
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["organizationId"], moved.json()["isShared"]) == (other_tenant.org_id, False)
    _problem(await tenant.app.client.get(path, headers=tenant.headers), 404, "DidNotFoundError")
    theirs = await other_tenant.app.client.get(path, headers=other_tenant.headers)
    assert (theirs.status_code, theirs.json()["number"]) == (200, "+212600000801")
    back = await other_tenant.app.client.put(path, json={"description": "now ours"}, headers=other_tenant.headers)
    assert back.json()["description"] == "now ours"


async def test_assigning_a_did_to_an_organization_holding_its_number_is_a_conflict(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    did_id = await tenant.did("+212600000901")
    await other_tenant.did("+212600000901")
    response = await tenant.app.client.post(
        f"/api/dids/{did_id}/assign", json={"organizationId": other_tenant.org_id}, headers=tenant.headers
    )
    _problem(response, 409, "DidAlreadyExistsError")
    assert (await tenant.app.client.get(f"/api/dids/{did_id}", headers=tenant.headers)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "organizationId"),
        ({"organizationId": "acme"}, "organizationId"),
        ({"organizationId": None}, "organizationId"),
    ],
)
async def test_a_bad_assignment_is_refused_naming_the_field(tenant: Tenant, body: dict[str, Any], field: str) -> None:
    did_id = await tenant.did("+212600001001")
    response = await tenant.app.client.post(f"/api/dids/{did_id}/assign", json=body, headers=tenant.headers)
    assert list(_problem(response, 400, "VALIDATION_FAILED")["fieldErrors"]) == [field]
    extra = await tenant.app.client.post(
        f"/api/dids/{did_id}/assign", json={"organizationId": tenant.org_id, "isShared": True}, headers=tenant.headers
    )
    assert "isShared" in _problem(extra, 400, "VALIDATION_FAILED")["fieldErrors"]
