"""The stack as a whole: every service ready behind the gateway, and a new org's key works."""

from __future__ import annotations

import httpx

from callcast_stack.client import CallcastClient
from callcast_stack.stack import LocalStack


def test_gateway_is_ready_only_when_every_service_is(running_stack: LocalStack) -> None:
    assert httpx.get(running_stack.gateway_url + "/health/ready").status_code == 200
    assert running_stack.supervisor is not None
    assert set(running_stack.supervisor.urls) >= {"gateway", "contact", "flow", "scheduler", "dialer", "reporting"}
    for name, url in running_stack.supervisor.urls.items():
        assert httpx.get(url + "/health/ready").status_code == 200, name


def test_a_new_organizations_key_authenticates(gateway_client: CallcastClient) -> None:
    me = gateway_client.get("/users/me")
    assert me["organization"]["id"]


def test_a_request_without_a_key_is_unauthorized(anonymous_client: CallcastClient) -> None:
    response = anonymous_client.request("GET", "/users/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
