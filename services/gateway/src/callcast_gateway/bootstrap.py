"""Wires the gateway: its routes, tables, start/stop hooks and readiness, as a runtime ServiceSpec."""

from __future__ import annotations

from collections.abc import Sequence

from callcast_gateway.config import GatewayConfig, load_gateway_config
from callcast_gateway.entrypoints.http import api_router
from callcast_gateway.gateway import AdmissionCheck, Gateway
from callcast_gateway.tables import MIGRATIONS
from callcast_runtime.service import ServiceSpec

OPENAPI_DESCRIPTION = """\
The public entry of Callcast, compatible with Gomobile's API: a client whose base URL is
`http://HOST:PORT/api` works unchanged.

**Authentication.** Every `/api` route needs an API key, sent as `Authorization: Bearer <key>` or
`X-API-Key: <key>` (header names are case-insensitive). A missing, unknown, expired, disabled or
revoked key gets `401` with code `UNAUTHORIZED`. Keys look like `cc_live_` (or the prefix chosen at
creation, e.g. `prod_`) followed by 43 URL-safe characters; the secret is shown once, when the key
is created, and only its SHA-256 is stored. A disabled or revoked key stops working within about
five seconds on every gateway replica.

**This document** describes the gateway's own routes: `GET /api/users/me` and `/api/auth/api-keys`.
Every other `/api` route is forwarded to the service that owns it, by the first path segment:
`contact`, `custom-attributes`, `audience` → contact; `flows`, `audio-management`, `dictionaries` →
flow; `dids`, `programs`, `program-executions`, `call-requests` → scheduler; `calls`, `call-report`,
`program-execution` (execution reports), `executions` → reporting. The full API is the union of
this document and the services' documents (each is in `proto/`). An unknown first segment is `404`.

**Errors** are RFC 9457 problem documents (`application/problem+json`) carrying the documented
members `code`, `message`, `statusCode`, `error`, `fieldErrors`, `fieldDetails`, `timestamp`,
`path`. A service that is down answers `503` (`SERVICE_UNAVAILABLE`), one that does not answer in
time `504` (`GATEWAY_TIMEOUT`).

**Tracing.** Every response carries `X-Request-Id` (yours, when you send a well-formed one); a W3C
`traceparent` you send is continued through every service.

**Health.** `GET /health/live`; `GET /health/ready` (no key) is 200 only when the gateway's
database and every service are ready, and lists each service's status.
"""


def build_spec(config: GatewayConfig | None = None, admission_checks: Sequence[AdmissionCheck] = ()) -> ServiceSpec:
    gateway = Gateway(config or load_gateway_config(), admission_checks)
    return ServiceSpec(
        name="gateway",
        route_handlers=[api_router(gateway)],
        migrations=MIGRATIONS,
        uses_database=True,
        on_start=[gateway.start],
        on_stop=[gateway.stop],
        openapi_description=OPENAPI_DESCRIPTION,
        api_key_security=True,
        readiness_report=gateway.readiness_report,
    )
