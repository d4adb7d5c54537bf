"""Every /api route needs a valid key, in either documented header; refusals use the documented body."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from gateway_support import GatewayUnderTest, ProvisionedOrg

from callcast_gateway.domain.api_keys import hash_api_key

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"


def assert_unauthorized(response: httpx.Response, path: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    body: dict[str, Any] = response.json()
    assert body["code"] == "UNAUTHORIZED"
    assert body["message"] == "Unauthorized"
    assert body["statusCode"] == 401
    assert body["error"] == "UNAUTHORIZED"
    assert body["path"] == path
    assert body["fieldErrors"] == {}
    assert body["timestamp"].endswith("Z")


async def test_bearer_authorization_header_authenticates(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    response = await gateway.client.get("/api/users/me", headers={"Authorization": f"Bearer {org.key}"})
    assert response.status_code == 200, response.text
    assert response.json()["organization"]["id"] == org.id


async def test_x_api_key_header_authenticates_whatever_its_case(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    for name in ("X-API-Key", "x-api-key", "X-Api-Key"):
        response = await gateway.client.get("/api/users/me", headers={name: org.key})
        assert response.status_code == 200, (name, response.text)


async def test_bearer_scheme_is_case_insensitive(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    response = await gateway.client.get("/api/users/me", headers={"authorization": f"bearer {org.key}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/api/users/me", "/api/auth/api-keys", "/api/contact", "/api/nowhere"])
async def test_missing_key_is_401_with_the_documented_body(gateway: GatewayUnderTest, path: str) -> None:
    assert_unauthorized(await gateway.client.get(path), path)


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer cc_live_" + "A" * 43},
        {"X-API-Key": "cc_live_" + "A" * 43},
        {"X-API-Key": "not a key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
    ids=["unknown-bearer", "unknown-x-api-key", "garbage", "basic-scheme", "empty-bearer"],
)
async def test_wrong_key_is_401_with_the_documented_body(gateway: GatewayUnderTest, headers: dict[str, str]) -> None:
    assert_unauthorized(await gateway.client.get("/api/users/me", headers=headers), "/api/users/me")


async def test_a_key_never_reaches_a_service_without_authentication(
    gateway: GatewayUnderTest, fake_services: dict[str, Any]
) -> None:
    before = len(fake_services["contact"].received)
    response = await gateway.client.post("/api/contact", json={"primaryPhone": "+212612345678"})
    assert_unauthorized(response, "/api/contact")
    assert len(fake_services["contact"].received) == before


async def test_unauthorized_answer_carries_a_request_id(gateway: GatewayUnderTest) -> None:
    response = await gateway.client.get("/api/users/me", headers={"X-Request-Id": "trace-me-123"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "trace-me-123"


async def test_disabled_key_is_refused_at_once_by_the_gateway_that_disabled_it(
    gateway: GatewayUnderTest, org: ProvisionedOrg
) -> None:
    created = await gateway.client.post("/api/auth/api-keys", json={"name": "ci"}, headers=org.headers)
    second = {"X-API-Key": created.json()["secret"]}
    assert (await gateway.client.get("/api/users/me", headers=second)).status_code == 200

    disabled = await gateway.client.patch(
        f"/api/auth/api-keys/{created.json()['id']}", json={"isActive": False}, headers=org.headers
    )
    assert disabled.status_code == 200, disabled.text
    assert_unauthorized(await gateway.client.get("/api/users/me", headers=second), "/api/users/me")

    enabled = await gateway.client.patch(
        f"/api/auth/api-keys/{created.json()['id']}", json={"isActive": True}, headers=org.headers
    )
    assert enabled.status_code == 200
    assert (await gateway.client.get("/api/users/me", headers=second)).status_code == 200


async def test_key_disabled_elsewhere_stops_working_within_the_cache_window(
    gateway: GatewayUnderTest, org: ProvisionedOrg
) -> None:
    assert (await gateway.client.get("/api/users/me", headers=org.headers)).status_code == 200
    # Another replica (or an operator) disables the key: this gateway only has its cache.
    await gateway.execute("UPDATE api_keys SET is_active = false WHERE id = %s", (org.key_id,))
    disabled_at = time.monotonic()
    while (await gateway.client.get("/api/users/me", headers=org.headers)).status_code != 401:
        assert time.monotonic() - disabled_at < 6.0, "a disabled key kept working beyond the cache window"
        await asyncio.sleep(0.2)


async def test_expired_key_is_refused_even_while_cached(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    await gateway.execute("UPDATE api_keys SET expires_at = now() + interval '1 second' WHERE id = %s", (org.key_id,))
    assert (await gateway.client.get("/api/users/me", headers=org.headers)).status_code == 200
    await asyncio.sleep(1.2)
    assert_unauthorized(await gateway.client.get("/api/users/me", headers=org.headers), "/api/users/me")


async def test_keys_of_an_inactive_organization_are_refused(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    await gateway.execute("UPDATE organizations SET status = 'suspended' WHERE id = %s", (org.id,))
    started = time.monotonic()
    while (await gateway.client.get("/api/users/me", headers=org.headers)).status_code != 401:
        assert time.monotonic() - started < 6.0
        await asyncio.sleep(0.2)


async def test_only_the_hash_of_a_key_is_stored(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    (row,) = await gateway.execute("SELECT * FROM api_keys WHERE id = %s", (org.key_id,))
    assert bytes(row["secret_hash"]) == hash_api_key(org.key)
    assert org.key not in {str(v) for v in row.values()}
    assert org.key.startswith(row["key_prefix"])
    assert len(row["key_prefix"]) < len(org.key) // 2


async def test_using_a_key_records_when_it_was_last_used(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    assert (await gateway.client.get("/api/users/me", headers=org.headers)).status_code == 200
    deadline = time.monotonic() + 3
    while True:
        listed = await gateway.client.get("/api/auth/api-keys", headers=org.headers)
        (key,) = [k for k in listed.json()["apiKeys"] if k["id"] == org.key_id]
        if key["lastUsedAt"] is not None:
            break
        assert time.monotonic() < deadline, "lastUsedAt was never recorded"
        await asyncio.sleep(0.1)
