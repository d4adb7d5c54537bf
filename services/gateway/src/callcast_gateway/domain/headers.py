"""HTTP header policy: where the API key is read from, what crosses the gateway and what not.

Forwarded request headers are an allowlist: credentials (``Authorization``, ``X-API-Key``,
cookies), the internal ``X-Callcast-*`` headers a client might try to set, and hop-by-hop headers
never reach a service. The gateway then adds the authenticated organization, the request id and
the trace context itself.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping

ORG_HEADER = "x-callcast-org-id"
#: The organization's IANA timezone, so services need no copy of the organizations table.
ORG_TIMEZONE_HEADER = "x-callcast-org-timezone"
REQUEST_ID_HEADER = "x-request-id"

#: Request headers a service may need to understand the request; everything else is dropped.
FORWARDED_REQUEST_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-encoding",
        "content-language",
        "content-length",
        "content-type",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        # A retried launch (or other POST) with the same key gets the first one's result.
        "idempotency-key",
        "range",
        "user-agent",
    }
)

#: RFC 9110 §7.6.1: meaningful for one connection only, never relayed.
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

#: Response headers the gateway's own server writes (duplicates would confuse clients).
_OWN_RESPONSE_HEADERS = frozenset({"date", "server", REQUEST_ID_HEADER})

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def api_key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The presented key: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

    Header names are case-insensitive; so is the ``Bearer`` scheme (RFC 9110 §11.1). A non-Bearer
    ``Authorization`` (e.g. Basic) is ignored in favour of ``X-API-Key``.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    authorization = lowered.get("authorization", "").strip()
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    api_key = lowered.get("x-api-key", "").strip()
    return api_key or None


def request_id_from(value: str | None) -> str:
    """Keep a caller's well-formed ``X-Request-Id`` (to correlate across systems), else mint one."""
    if value and _REQUEST_ID.match(value):
        return value
    return str(uuid.uuid4())


def _connection_tokens(headers: Iterable[tuple[str, str]]) -> set[str]:
    """Headers named in ``Connection`` are hop-by-hop too (RFC 9110 §7.6.1)."""
    tokens: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def upstream_request_headers(
    incoming: Iterable[tuple[str, str]],
    *,
    org_id: str,
    request_id: str,
    org_timezone: str | None = None,
    client_host: str | None,
    scheme: str,
) -> list[tuple[str, str]]:
    """The headers a service receives for a forwarded request (trace context is added later)."""
    incoming = list(incoming)
    hop = HOP_BY_HOP_HEADERS | _connection_tokens(incoming)
    out = [
        (name.lower(), value)
        for name, value in incoming
        if name.lower() in FORWARDED_REQUEST_HEADERS and name.lower() not in hop
    ]
    lowered = {name.lower(): value for name, value in incoming}
    forwarded_for = lowered.get("x-forwarded-for", "").strip()
    if client_host:
        forwarded_for = f"{forwarded_for}, {client_host}" if forwarded_for else client_host
    if forwarded_for:
        out.append(("x-forwarded-for", forwarded_for))
    host = lowered.get("x-forwarded-host") or lowered.get("host")
    if host:
        out.append(("x-forwarded-host", host))
    out.append(("x-forwarded-proto", lowered.get("x-forwarded-proto") or scheme))
    out.append((ORG_HEADER, org_id))
    if org_timezone:
        out.append((ORG_TIMEZONE_HEADER, org_timezone))
    out.append((REQUEST_ID_HEADER, request_id))
    return out


def relayed_response_headers(upstream: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A service's response headers as the client gets them: minus hop-by-hop and our own."""
    upstream = list(upstream)
    drop = HOP_BY_HOP_HEADERS | _OWN_RESPONSE_HEADERS | _connection_tokens(upstream)
    return [(name.lower(), value) for name, value in upstream if name.lower() not in drop]
