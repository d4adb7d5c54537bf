"""The seam where rate limits plug in: a check after authentication that may refuse a request or
add headers to its answer. (The limits themselves are a later issue; this proves the seam.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from gateway_fakes import FakeService
from gateway_support import GatewayUnderTest, ProvisionedOrg, provision_org, running_gateway
from litestar.connection import ASGIConnection

from callcast_gateway.domain.api_keys import Principal
from callcast_runtime.errors import ApiError

pytestmark = pytest.mark.integration

REFUSED_ORGS: set[str] = set()


async def limit_by_org(principal: Principal, connection: ASGIConnection[Any, Any, Any, Any]) -> Mapping[str, str]:
    if principal.org_id in REFUSED_ORGS:
        raise ApiError("Too many requests", code="TOO_MANY_REQUESTS", status_code=429, headers={"Retry-After": "7"})
    return {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9"}


@pytest.fixture(scope="module")
async def limited_gateway(
    fake_services: dict[str, FakeService], gateway_nats_url: str, gateway_database_url: str
) -> AsyncIterator[GatewayUnderTest]:
    urls = {name: fake.url for name, fake in fake_services.items()}
    async with running_gateway(
        urls, gateway_nats_url, gateway_database_url, admission_checks=[limit_by_org]
    ) as under_test:
        yield under_test


async def test_admitted_requests_carry_the_checks_headers(limited_gateway: GatewayUnderTest) -> None:
    org: ProvisionedOrg = await provision_org(limited_gateway)
    for path in ("/api/users/me", "/api/contact"):
        response = await limited_gateway.client.get(path, headers=org.headers)
        assert response.status_code == 200, response.text
        assert response.headers["x-ratelimit-limit"] == "10"
        assert response.headers["x-ratelimit-remaining"] == "9"


async def test_refused_request_is_answered_by_the_check_and_never_forwarded(
    limited_gateway: GatewayUnderTest, fake_services: dict[str, FakeService]
) -> None:
    org = await provision_org(limited_gateway)
    REFUSED_ORGS.add(org.id)
    before = len(fake_services["contact"].received)
    response = await limited_gateway.client.get("/api/contact", headers=org.headers)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["code"] == "TOO_MANY_REQUESTS"
    assert len(fake_services["contact"].received) == before


async def test_checks_run_only_after_authentication(limited_gateway: GatewayUnderTest) -> None:
    response = await limited_gateway.client.get("/api/contact")
    assert response.status_code == 401
    assert "x-ratelimit-limit" not in response.headers
