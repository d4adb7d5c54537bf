"""The DID and program endpoints' parameters: paging, sorting, filters, strict bodies, tenancy."""

from __future__ import annotations

import pytest
from scheduler_support import Tenant

pytestmark = pytest.mark.integration


async def test_dids_are_listed_paged_sorted_and_filtered(tenant: Tenant) -> None:
    for number, status in (("+212522000073", "active"), ("+212522000071", "inactive"), ("+212522000072", "active")):
        await tenant.did(number, status=status)
    client, headers = tenant.app.client, tenant.headers

    page = await client.get(
        "/api/dids", params={"sortBy": "number", "sortOrder": "asc", "limit": 2, "page": 1}, headers=headers
    )
    assert page.status_code == 200, page.text
    body = page.json()
    assert [d["number"] for d in body["data"]] == ["+212522000071", "+212522000072"]
    assert body["meta"] == {
        "page": 1,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    inactive = await client.get("/api/dids", params={"status": "inactive"}, headers=headers)
    assert [d["number"] for d in inactive.json()["data"]] == ["+212522000071"]
    available = await client.get("/api/dids/available", params={"sortBy": "number"}, headers=headers)
    assert [d["number"] for d in available.json()["data"]] == ["+212522000073", "+212522000072"]
    found = await client.get("/api/dids", params={"search": "0073"}, headers=headers)
    assert [d["number"] for d in found.json()["data"]] == ["+212522000073"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sortBy": "phone"}, "sortBy"),
        ({"sortOrder": "up"}, "sortOrder"),
        ({"limit": 101}, "limit"),
        ({"page": 0}, "page"),
    ],
)
async def test_a_bad_list_parameter_is_refused_naming_it(
    tenant: Tenant, params: dict[str, str | int], field: str
) -> None:
    for path in ("/api/dids", "/api/programs"):
        response = await tenant.app.client.get(path, params=params, headers=tenant.headers)
        assert response.status_code == 400, response.text
        assert list(response.json()["fieldErrors"]) == [field]


async def test_an_unknown_body_field_is_refused_naming_it(tenant: Tenant) -> None:
    response = await tenant.app.client.post(
        "/api/dids", json={"number": "+212522000081", "country": "MA", "isShared": True}, headers=tenant.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert "isShared" in response.json()["fieldErrors"]


async def test_a_request_without_an_organization_is_unauthorized(tenant: Tenant) -> None:
    response = await tenant.app.client.get("/api/programs")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_programs_are_created_read_updated_listed_and_deleted(tenant: Tenant) -> None:
    campaign = await tenant.campaign(retry_strategy={"type": "scheduled", "dates": ["2030-01-02T10:00:00+01:00"]})
    client, headers, path = tenant.app.client, tenant.headers, f"/api/programs/{campaign.program_id}"

    program = (await client.get(path, headers=headers)).json()
    assert program["status"] == "draft"
    assert program["retryStrategy"] == {"type": "scheduled", "retryDates": ["2030-01-02T09:00:00Z"]}
    assert [d["number"] for d in program["didPool"]] == campaign.caller_ids

    renamed = await client.put(path, json={"name": "Renamed", "concurrency": 3}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["concurrency"]) == ("Renamed", 3)
    listed = await client.get("/api/programs", params={"sortBy": "name", "search": "Renam"}, headers=headers)
    assert [p["id"] for p in listed.json()["data"]] == [campaign.program_id]

    deleted = await client.delete(path, headers=headers)
    assert (deleted.status_code, deleted.json()) == (200, {"message": "Program deleted"})
    assert (await client.get(path, headers=headers)).status_code == 404
