"""The gateway's own settings (the shared ones — URLs of services, database — are the runtime's).

Environment, all optional:
- ``CALLCAST_GATEWAY_FORWARD_TIMEOUT_S`` (default 60): read/write timeout of a forwarded request;
  generous because audio uploads can be large.
- ``CALLCAST_GATEWAY_KEY_CACHE_TTL_S`` (default 5): how long a verified key is trusted without
  asking the database again — the longest a revoked key keeps working on another replica.
- ``CALLCAST_GATEWAY_MAX_BODY_BYTES`` (default 100 MiB): the largest request body forwarded.
"""

from __future__ import annotations

import os

import msgspec


class GatewayConfig(msgspec.Struct, kw_only=True, frozen=True):
    forward_timeout_s: float = 60.0
    connect_timeout_s: float = 5.0
    #: Waiting for a pooled connection; beyond this the gateway is overloaded (503, not 504).
    pool_timeout_s: float = 10.0
    readiness_timeout_s: float = 2.0
    key_cache_ttl_s: float = 5.0
    key_cache_max_entries: int = 10_000
    last_used_interval_s: float = 60.0
    max_body_bytes: int = 100 * 1024 * 1024
    max_connections: int = 200
    max_keepalive_connections: int = 50


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


def load_gateway_config() -> GatewayConfig:
    defaults = GatewayConfig()
    return GatewayConfig(
        forward_timeout_s=_number("CALLCAST_GATEWAY_FORWARD_TIMEOUT_S", defaults.forward_timeout_s),
        key_cache_ttl_s=_number("CALLCAST_GATEWAY_KEY_CACHE_TTL_S", defaults.key_cache_ttl_s),
        max_body_bytes=int(_number("CALLCAST_GATEWAY_MAX_BODY_BYTES", defaults.max_body_bytes)),
    )
