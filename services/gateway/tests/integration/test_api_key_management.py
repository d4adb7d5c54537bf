"""/api/auth/api-keys: create (secret shown once), list, update, revoke — within one organization."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gateway_support import GatewayUnderTest, ProvisionedOrg

pytestmark = pytest.mark.integration

KEY_FIELDS = {"id", "name", "keyPrefix", "isActive", "expiresAt", "lastUsedAt", "createdAt", "updatedAt"}


def _in(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


async def test_created_key_shows_its_secret_once_and_works(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    response = await gateway.client.post("/api/auth/api-keys", json={"name": "reporting job"}, headers=org.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == KEY_FIELDS | {"secret"}
    assert re.fullmatch(r"cc_live_[A-Za-z0-9_-]{43}", created["secret"])
    assert created["secret"].startswith(created["keyPrefix"])
    assert created["isActive"] is True
    assert created["expiresAt"] is None

    me = await gateway.client.get("/api/users/me", headers={"Authorization": f"Bearer {created['secret']}"})
    assert me.status_code == 200
    assert me.json()["organization"]["id"] == org.id

    listed = await gateway.client.get("/api/auth/api-keys", headers=org.headers)
    assert listed.status_code == 200
    (entry,) = [k for k in listed.json()["apiKeys"] if k["id"] == created["id"]]
    assert set(entry) == KEY_FIELDS
    assert created["secret"] not in listed.text


async def test_created_key_can_carry_its_own_prefix_and_expiration(
    gateway: GatewayUnderTest, org: ProvisionedOrg
) -> None:
    expires = _in(24)
    response = await gateway.client.post(
        "/api/auth/api-keys", json={"name": "staging", "prefix": "dev_", "expiresAt": expires}, headers=org.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert re.fullmatch(r"dev_[A-Za-z0-9_-]{43}", created["secret"])
    assert created["keyPrefix"].startswith("dev_")
    assert datetime.fromisoformat(created["expiresAt"]) == datetime.fromisoformat(expires)


async def test_key_list_holds_only_the_callers_organization_newest_first(
    gateway: GatewayUnderTest, org: ProvisionedOrg, other_org: ProvisionedOrg
) -> None:
    await gateway.client.post("/api/auth/api-keys", json={"name": "second"}, headers=org.headers)
    listed = (await gateway.client.get("/api/auth/api-keys", headers=org.headers)).json()["apiKeys"]
    assert [k["name"] for k in listed] == ["second", "default"]
    assert other_org.key_id not in {k["id"] for k in listed}


async def test_key_can_be_renamed_and_given_then_relieved_of_an_expiration(
    gateway: GatewayUnderTest, org: ProvisionedOrg
) -> None:
    path = f"/api/auth/api-keys/{org.key_id}"
    renamed = await gateway.client.patch(path, json={"name": "primary", "expiresAt": _in(1)}, headers=org.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "primary"
    assert renamed.json()["expiresAt"] is not None
    cleared = await gateway.client.put(path, json={"expiresAt": None}, headers=org.headers)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["expiresAt"] is None
    assert cleared.json()["name"] == "primary"


async def test_revoked_key_leaves_the_list_and_stops_working(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    created = (await gateway.client.post("/api/auth/api-keys", json={"name": "temp"}, headers=org.headers)).json()
    revoked = await gateway.client.delete(f"/api/auth/api-keys/{created['id']}", headers=org.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"message": "API key deleted"}
    listed = (await gateway.client.get("/api/auth/api-keys", headers=org.headers)).json()["apiKeys"]
    assert created["id"] not in {k["id"] for k in listed}
    refused = await gateway.client.get("/api/users/me", headers={"X-API-Key": created["secret"]})
    assert refused.status_code == 401
    again = await gateway.client.delete(f"/api/auth/api-keys/{created['id']}", headers=org.headers)
    assert again.status_code == 404


async def test_another_organizations_key_is_not_found(
    gateway: GatewayUnderTest, org: ProvisionedOrg, other_org: ProvisionedOrg
) -> None:
    path = f"/api/auth/api-keys/{other_org.key_id}"
    for response in (
        await gateway.client.patch(path, json={"isActive": False}, headers=org.headers),
        await gateway.client.delete(path, headers=org.headers),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "ApiKeyNotFoundError"
    assert (await gateway.client.get("/api/users/me", headers=other_org.headers)).status_code == 200


async def test_unknown_key_id_is_not_found(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    response = await gateway.client.patch(f"/api/auth/api-keys/{uuid.uuid4()}", json={"name": "x"}, headers=org.headers)
    assert response.status_code == 404


async def test_key_id_must_be_a_uuid(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    response = await gateway.client.delete("/api/auth/api-keys/not-a-uuid", headers=org.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert "id" in response.json()["fieldErrors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "role": "Admin"}, "role"),
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "x", "prefix": "has space"}, "prefix"),
        ({"name": "x", "prefix": "p" * 21}, "prefix"),
        ({"name": "x", "expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt"),
        ({"name": "x", "expiresAt": "2999-01-01T00:00:00"}, "expiresAt"),
        ({"name": "x", "expiresAt": "tomorrow"}, "expiresAt"),
    ],
    ids=[
        "unknown-field",
        "missing-name",
        "empty-name",
        "blank-name",
        "long-name",
        "bad-prefix",
        "long-prefix",
        "past-expiry",
        "naive-expiry",
        "not-a-date",
    ],
)
async def test_invalid_create_body_is_400_naming_the_field(
    gateway: GatewayUnderTest, org: ProvisionedOrg, body: dict[str, object], field: str
) -> None:
    response = await gateway.client.post("/api/auth/api-keys", json=body, headers=org.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert field in problem["fieldErrors"], problem


async def test_invalid_update_body_is_400_naming_the_field(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    response = await gateway.client.patch(
        f"/api/auth/api-keys/{org.key_id}", json={"isActive": "nope"}, headers=org.headers
    )
    assert response.status_code == 400, response.text
    assert "isActive" in response.json()["fieldErrors"]
    unknown = await gateway.client.patch(f"/api/auth/api-keys/{org.key_id}", json={"prefix": "x"}, headers=org.headers)
    assert unknown.status_code == 400
    assert "prefix" in unknown.json()["fieldErrors"]
