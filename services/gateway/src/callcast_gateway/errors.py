"""Errors the gateway answers with itself (rendered as problem+json by the runtime)."""

from __future__ import annotations

from callcast_runtime.errors import ApiError, NotFound, Unauthorized

#: RFC 9110 §11.6.1: a 401 says which scheme to use.
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="callcast"'}


def unauthorized() -> Unauthorized:
    """Missing, unknown, expired, disabled or revoked key: one answer for all (no oracle)."""
    return Unauthorized("Unauthorized", headers=dict(_CHALLENGE))


def no_such_route(path: str) -> NotFound:
    return NotFound(f"No API resource at {path}")


class ServiceUnavailable(ApiError):
    status_code = 503
    default_code = "SERVICE_UNAVAILABLE"


class GatewayTimeout(ApiError):
    status_code = 504
    default_code = "GATEWAY_TIMEOUT"


class BadGateway(ApiError):
    status_code = 502
    default_code = "BAD_GATEWAY"
