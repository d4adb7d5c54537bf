"""Every other /api path goes to the service that owns it, with the caller's organization attached."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest
from gateway_fakes import FakeService, closed_port
from gateway_support import TEST_CONFIG, GatewayUnderTest, ProvisionedOrg, provision_org, running_gateway

from callcast_gateway.domain.routing import ROUTE_TABLE

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("segment", "service"), sorted(ROUTE_TABLE.items()))
async def test_each_resource_reaches_the_service_that_owns_it(
    gateway: GatewayUnderTest,
    fake_services: dict[str, FakeService],
    org: ProvisionedOrg,
    segment: str,
    service: str,
) -> None:
    response = await gateway.client.get(f"/api/{segment}/{uuid.uuid4()}", headers=org.headers)
    assert response.status_code == 200, response.text
    assert response.json()["service"] == service
    assert response.headers["x-fake-service"] == service


async def test_method_path_query_and_body_are_forwarded_as_sent(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg
) -> None:
    body = json.dumps({"primaryPhone": "+212612345678", "firstName": "Amina"}).encode()
    response = await gateway.client.put(
        "/api/contact/0b0e7c1a-2f4e-4a57-9c1e-6a2d3c4b5e6f?include=customAttributes&tag=a%20b&tag=c",
        content=body,
        headers={**org.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    received = fake_services["contact"].last
    assert received.method == "PUT"
    assert received.raw_path == "/api/contact/0b0e7c1a-2f4e-4a57-9c1e-6a2d3c4b5e6f"
    assert received.query == "include=customAttributes&tag=a%20b&tag=c"
    assert received.body == body
    assert received.header("content-type") == "application/json"


async def test_percent_encoding_in_the_path_is_kept(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg
) -> None:
    response = await gateway.client.get("/api/dictionaries/caf%C3%A9%2Fx", headers=org.headers)
    assert response.status_code == 200, response.text
    assert fake_services["flow"].last.raw_path == "/api/dictionaries/caf%C3%A9%2Fx"


async def test_service_is_told_the_authenticated_organization_and_not_the_clients_claim(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg, other_org: ProvisionedOrg
) -> None:
    response = await gateway.client.get(
        "/api/audience",
        headers={**org.headers, "X-Callcast-Org-Id": other_org.id, "x-callcast-org-id": other_org.id},
    )
    assert response.status_code == 200, response.text
    assert fake_services["contact"].last.header_values("x-callcast-org-id") == [org.id]


async def test_credentials_and_hop_by_hop_headers_stay_at_the_gateway(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg
) -> None:
    response = await gateway.client.get(
        "/api/flows",
        headers={
            "Authorization": f"Bearer {org.key}",
            "X-API-Key": org.key,
            "Cookie": "session=secret",
            "Connection": "keep-alive, X-Private",
            "X-Private": "do-not-forward",
            "Accept-Language": "fr",
        },
    )
    assert response.status_code == 200, response.text
    received = fake_services["flow"].last
    for name in ("authorization", "x-api-key", "cookie", "x-private"):
        assert received.header(name) is None, name
    assert org.key not in json.dumps(received.headers)
    assert received.header("accept-language") == "fr"


async def test_request_id_is_passed_on_and_returned(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg
) -> None:
    response = await gateway.client.get("/api/programs", headers={**org.headers, "X-Request-Id": "client-req-42"})
    assert response.headers["x-request-id"] == "client-req-42"
    assert fake_services["scheduler"].last.header_values("x-request-id") == ["client-req-42"]

    minted = await gateway.client.get("/api/programs", headers=org.headers)
    assert uuid.UUID(minted.headers["x-request-id"])
    assert fake_services["scheduler"].last.header("x-request-id") == minted.headers["x-request-id"]


async def test_trace_context_continues_into_the_service(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg
) -> None:
    trace_id = uuid.uuid4().hex
    caller_span = "00f067aa0ba902b7"
    response = await gateway.client.get(
        "/api/calls", headers={**org.headers, "traceparent": f"00-{trace_id}-{caller_span}-01"}
    )
    assert response.status_code == 200, response.text
    traceparent = fake_services["reporting"].last.header("traceparent")
    assert traceparent is not None
    version, received_trace, parent_span, _flags = traceparent.split("-")
    assert version == "00"
    assert received_trace == trace_id
    # The service's parent is the gateway's own (client) span, not the caller's.
    assert parent_span != caller_span


async def test_services_answer_is_relayed_with_its_status_headers_and_body(
    gateway: GatewayUnderTest, org: ProvisionedOrg
) -> None:
    response = await gateway.client.post("/api/programs/status/409", json={}, headers=org.headers)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-fake-service"] == "scheduler"
    assert response.json() == {"code": "FakeError", "message": "answered 409"}


@pytest.mark.parametrize("status", [204, 304])
async def test_bodiless_answers_are_relayed_without_a_body(
    gateway: GatewayUnderTest, org: ProvisionedOrg, status: int
) -> None:
    response = await gateway.client.delete(f"/api/contact/status/{status}", headers=org.headers)
    assert response.status_code == status
    assert response.content == b""
    assert response.headers["x-fake-service"] == "contact"


async def test_multipart_upload_reaches_the_service_intact(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg
) -> None:
    audio = b"RIFF" + os.urandom(256 * 1024)
    response = await gateway.client.post(
        "/api/audio-management/upload",
        files={"file": ("greeting.wav", audio, "audio/wav")},
        data={"title": "Greeting"},
        headers=org.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "fileName": "greeting.wav",
        "contentType": "audio/wav",
        "size": len(audio),
        "sha256": hashlib.sha256(audio).hexdigest(),
        "title": "Greeting",
    }
    content_type = fake_services["flow"].last.header("content-type")
    assert content_type is not None
    assert content_type.startswith("multipart/form-data; boundary=")


async def test_a_body_larger_than_a_services_default_limit_streams_through(
    gateway: GatewayUnderTest, org: ProvisionedOrg
) -> None:
    payload = os.urandom(12 * 1024 * 1024)
    response = await gateway.client.post(
        "/api/dictionaries/entries",
        content=payload,
        headers={**org.headers, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["bodySize"] == len(payload)
    assert response.json()["bodySha256"] == hashlib.sha256(payload).hexdigest()


async def test_unknown_resource_is_404_problem(gateway: GatewayUnderTest, org: ProvisionedOrg) -> None:
    for path in ("/api/nowhere", "/api/users/someone", "/api", "/api/contact/%2E%2E/auth/api-keys"):
        response = await gateway.client.get(path, headers=org.headers)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "NOT_FOUND"


async def test_slow_service_is_504(
    gateway: GatewayUnderTest, fake_services: dict[str, FakeService], org: ProvisionedOrg
) -> None:
    response = await gateway.client.get("/api/executions/slow", headers=org.headers)
    assert response.status_code == 504, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "GATEWAY_TIMEOUT"


@pytest.fixture(scope="module")
async def gateway_with_reporting_down(
    fake_services: dict[str, FakeService], gateway_nats_url: str, gateway_database_url: str
) -> AsyncIterator[GatewayUnderTest]:
    urls = {name: fake.url for name, fake in fake_services.items()}
    urls["reporting"] = f"http://127.0.0.1:{closed_port()}"
    async with running_gateway(urls, gateway_nats_url, gateway_database_url) as under_test:
        yield under_test


async def test_service_that_is_down_is_503_problem(gateway_with_reporting_down: GatewayUnderTest) -> None:
    org = await provision_org(gateway_with_reporting_down)
    response = await gateway_with_reporting_down.client.get("/api/call-report/abc", headers=org.headers)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "SERVICE_UNAVAILABLE"
    assert problem["statusCode"] == 503
    assert problem["path"] == "/api/call-report/abc"
    # The others are still served.
    assert (await gateway_with_reporting_down.client.get("/api/contact", headers=org.headers)).status_code == 200


async def test_readiness_names_the_service_that_is_down(gateway_with_reporting_down: GatewayUnderTest) -> None:
    response = await gateway_with_reporting_down.client.get("/health/ready")
    assert response.status_code == 503
    services = response.json()["services"]
    assert services["reporting"]["status"] == "unreachable"
    assert services["contact"]["status"] == "ready"


async def test_body_over_the_gateways_limit_is_413_and_never_reaches_the_service(
    fake_services: dict[str, FakeService], gateway_nats_url: str, gateway_database_url: str
) -> None:
    urls = {name: fake.url for name, fake in fake_services.items()}
    small = msgspec.structs.replace(TEST_CONFIG, max_body_bytes=1024)
    async with running_gateway(urls, gateway_nats_url, gateway_database_url, small) as limited:
        org = await provision_org(limited)
        before = len(fake_services["flow"].received)
        response = await limited.client.post(
            "/api/audio-management/upload", files={"file": ("a.wav", b"x" * 4096, "audio/wav")}, headers=org.headers
        )
        assert response.status_code == 413, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
        assert len(fake_services["flow"].received) == before
