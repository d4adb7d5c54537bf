"""Forwarding: every ``/api`` path the gateway does not serve itself goes to the service that owns
its first segment (``domain.routing.ROUTE_TABLE``), streamed both ways.

The service receives the same method, path and query, the body as it arrives, an allowlist of the
client's headers, and from the gateway: ``X-Callcast-Org-Id`` (the authenticated organization —
a client's own is dropped), ``X-Request-Id`` and the ``traceparent`` of the forwarding span. The
client receives the service's status, headers (minus hop-by-hop) and body as they come.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from litestar import HttpMethod, Request, route
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler
from litestar.response.streaming import ASGIStreamingResponse
from litestar.types import ASGIApp

from callcast_gateway.domain.api_keys import Principal
from callcast_gateway.domain.headers import relayed_response_headers, upstream_request_headers
from callcast_gateway.domain.routing import owning_service
from callcast_gateway.entrypoints.security import request_id_of
from callcast_gateway.errors import no_such_route
from callcast_gateway.gateway import Gateway
from callcast_runtime.logging import get_logger

log = get_logger(__name__)

FORWARDED_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]


def _target(scope: Any) -> str:
    """The path as the client sent it (percent-encoding intact) and its query string."""
    raw_path = scope.get("raw_path")
    # Some servers (and test clients) put the query into raw_path; ASGI says it has none.
    path = raw_path.decode("latin-1").split("?", 1)[0] if raw_path else quote(scope["path"])
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _has_body(request: Request[Any, Any, Any], max_body_bytes: int) -> bool:
    headers = request.headers
    length = headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) > max_body_bytes:
        # Refused before the service hears of it (litestar would only notice mid-stream).
        raise RequestEntityTooLarge
    if "transfer-encoding" in headers:
        return True
    return length is not None and length.strip() not in ("", "0")


def forwarding_route(max_body_bytes: int) -> HTTPRouteHandler:
    @route(
        ["/", "/{rest:path}"],
        http_method=FORWARDED_METHODS,
        include_in_schema=False,
        status_code=200,
        request_max_body_size=max_body_bytes,
        name="forward-to-service",
    )
    async def forward_to_service(
        request: Request[Any, Any, Any], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> ASGIApp:
        path = request.scope["path"]
        service = owning_service(path)
        if service is None:
            raise no_such_route(path)
        client = request.scope.get("client")
        started = time.monotonic()
        upstream = await gateway.upstreams.forward(
            service=service,
            method=request.method,
            target=_target(request.scope),
            headers=upstream_request_headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
                org_id=principal.org_id,
                org_timezone=principal.org_timezone,
                request_id=request_id_of(request),
                client_host=client[0] if client else None,
                scheme=request.scope.get("scheme", "http"),
            ),
            body=request.stream() if _has_body(request, max_body_bytes) else None,
        )
        log.info(
            "request forwarded",
            method=request.method,
            path=path,
            service=service,
            status=upstream.status_code,
            org_id=principal.org_id,
            headers_after_ms=round((time.monotonic() - started) * 1000, 1),
        )
        headers = relayed_response_headers(upstream.headers)
        content_type = next((v for k, v in headers if k == "content-type"), None)
        return ASGIStreamingResponse(
            iterator=upstream.body,
            status_code=upstream.status_code,
            headers=headers,  # type: ignore[arg-type]  # a list keeps repeated headers
            media_type=content_type,
        )

    return forward_to_service
