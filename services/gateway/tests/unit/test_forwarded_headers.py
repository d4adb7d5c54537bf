"""Header policy: where the key is read, what a service receives, what a client gets back."""

from __future__ import annotations

import uuid

import pytest

from callcast_gateway.domain.headers import (
    api_key_from_headers,
    relayed_response_headers,
    request_id_from,
    upstream_request_headers,
)

pytestmark = pytest.mark.unit

ORG = "0190aaaa-0000-7000-8000-000000000001"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer cc_live_abc"}, "cc_live_abc"),
        ({"authorization": "bearer cc_live_abc"}, "cc_live_abc"),
        ({"AUTHORIZATION": "BEARER   cc_live_abc  "}, "cc_live_abc"),
        ({"X-API-Key": "cc_live_abc"}, "cc_live_abc"),
        ({"x-api-key": " cc_live_abc "}, "cc_live_abc"),
        ({"X-Api-Key": "cc_live_abc"}, "cc_live_abc"),
        ({"Authorization": "Basic dXNlcjpwYXNz", "X-API-Key": "cc_live_abc"}, "cc_live_abc"),
        ({"Authorization": "Bearer cc_live_bearer", "X-API-Key": "cc_live_other"}, "cc_live_bearer"),
        ({"Authorization": "Bearer"}, None),
        ({"Authorization": "Bearer   "}, None),
        ({"X-API-Key": ""}, None),
        ({}, None),
    ],
)
def test_api_key_is_read_from_either_documented_header(headers: dict[str, str], expected: str | None) -> None:
    assert api_key_from_headers(headers) == expected


def _forwarded(incoming: list[tuple[str, str]], client_host: str | None = "10.0.0.9") -> list[tuple[str, str]]:
    return upstream_request_headers(incoming, org_id=ORG, request_id="req-1", client_host=client_host, scheme="https")


def test_service_receives_the_authenticated_org_and_never_the_clients_claim() -> None:
    out = _forwarded([("X-Callcast-Org-Id", "someone-else"), ("x-callcast-org-id", "again")])
    assert [v for k, v in out if k == "x-callcast-org-id"] == [ORG]


def test_service_receives_the_organizations_timezone_and_never_the_clients_claim() -> None:
    out = upstream_request_headers(
        [("X-Callcast-Org-Timezone", "Asia/Tokyo")],
        org_id=ORG,
        org_timezone="Africa/Casablanca",
        request_id="req-1",
        client_host=None,
        scheme="https",
    )
    assert [v for k, v in out if k == "x-callcast-org-timezone"] == ["Africa/Casablanca"]


def test_an_idempotency_key_reaches_the_service() -> None:
    assert ("idempotency-key", "launch-42") in _forwarded([("Idempotency-Key", "launch-42")])


def test_credentials_and_unknown_headers_are_not_forwarded() -> None:
    out = dict(
        _forwarded(
            [
                ("Authorization", "Bearer k"),
                ("X-API-Key", "k"),
                ("Cookie", "a=b"),
                ("Host", "api.example"),
                ("X-Callcast-Internal", "x"),
                ("traceparent", "00-" + "a" * 32 + "-" + "b" * 16 + "-01"),
                ("X-Something", "y"),
            ]
        )
    )
    for name in ("authorization", "x-api-key", "cookie", "host", "x-callcast-internal", "traceparent", "x-something"):
        assert name not in out, name


def test_content_headers_are_forwarded() -> None:
    incoming = [
        ("Content-Type", "multipart/form-data; boundary=x"),
        ("Content-Length", "123"),
        ("Accept", "application/json"),
        ("Accept-Language", "fr"),
        ("If-None-Match", '"v1"'),
        ("Range", "bytes=0-99"),
        ("User-Agent", "client/1.0"),
    ]
    out = _forwarded(incoming)
    for name, value in incoming:
        assert (name.lower(), value) in out


def test_hop_by_hop_headers_and_those_connection_names_are_dropped() -> None:
    out = dict(
        _forwarded(
            [
                ("Connection", "keep-alive, Accept-Language"),
                ("Keep-Alive", "timeout=5"),
                ("Transfer-Encoding", "chunked"),
                ("Upgrade", "h2c"),
                ("TE", "trailers"),
                ("Accept-Language", "fr"),
            ]
        )
    )
    for name in ("connection", "keep-alive", "transfer-encoding", "upgrade", "te", "accept-language"):
        assert name not in out, name


def test_gateway_adds_request_id_and_forwarding_details() -> None:
    out = dict(_forwarded([("Host", "api.example"), ("X-Forwarded-For", "203.0.113.7")]))
    assert out["x-request-id"] == "req-1"
    assert out["x-forwarded-for"] == "203.0.113.7, 10.0.0.9"
    assert out["x-forwarded-host"] == "api.example"
    assert out["x-forwarded-proto"] == "https"


def test_client_request_id_header_is_replaced_by_the_gateways() -> None:
    out = _forwarded([("X-Request-Id", "from-client")])
    assert [v for k, v in out if k == "x-request-id"] == ["req-1"]


def test_response_headers_are_relayed_minus_hop_by_hop_and_the_gateways_own() -> None:
    relayed = relayed_response_headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", "12"),
            ("Content-Encoding", "gzip"),
            ("Link", "<a>; rel=next"),
            ("Link", "<b>; rel=prev"),
            ("Connection", "close, X-Hop"),
            ("X-Hop", "1"),
            ("Transfer-Encoding", "chunked"),
            ("Date", "Mon, 01 Jan 2026 00:00:00 GMT"),
            ("Server", "uvicorn"),
            ("X-Request-Id", "r"),
            ("Location", "/api/contact/1"),
        ]
    )
    assert relayed == [
        ("content-type", "application/json"),
        ("content-length", "12"),
        ("content-encoding", "gzip"),
        ("link", "<a>; rel=next"),
        ("link", "<b>; rel=prev"),
        ("location", "/api/contact/1"),
    ]


@pytest.mark.parametrize("value", ["abc-123", "0190aaaa-0000-7000-8000-000000000001", "trace:1.2_3"])
def test_well_formed_request_id_is_kept(value: str) -> None:
    assert request_id_from(value) == value


@pytest.mark.parametrize("value", [None, "", "has space", "x" * 129, "new\nline"])
def test_missing_or_malformed_request_id_is_replaced_by_a_fresh_one(value: str | None) -> None:
    assert uuid.UUID(request_id_from(value))
