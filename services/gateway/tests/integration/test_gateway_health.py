"""/health/live and /health/ready at the root: no key needed; ready only when every service is."""

from __future__ import annotations

import pytest
from gateway_fakes import FakeService
from gateway_support import GatewayUnderTest

pytestmark = pytest.mark.integration


async def test_liveness_needs_no_key(gateway: GatewayUnderTest) -> None:
    response = await gateway.client.get("/health/live")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_ready_when_every_service_is_ready(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService]
) -> None:
    response = await gateway.client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["services"]) == set(fake_services)
    assert all(s["status"] == "ready" for s in body["services"].values())


async def test_not_ready_while_any_service_is_not(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService]
) -> None:
    fake_services["dialer"].ready = False
    try:
        response = await gateway.client.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not_ready"
        assert body["services"]["dialer"] == {"status": "not_ready", "statusCode": 503}
        assert body["services"]["contact"]["status"] == "ready"
    finally:
        fake_services["dialer"].ready = True
    assert (await gateway.client.get("/health/ready")).status_code == 200
