"""What every ``/api`` request goes through before it is served or forwarded.

- :func:`request_context_middleware`: gives the request an id (the caller's ``X-Request-Id`` when
  well-formed), binds it to the logs, and writes it — with any headers the admission checks asked
  for — on the response, errors included.
- :func:`api_key_guard`: authenticates the key (``Authorization: Bearer`` or ``X-API-Key``), then
  runs the admission checks (where rate limits plug in). A guard, not a dependency, so that no
  route under ``/api`` can forget to ask for a key.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Guard, Message, Receive, Scope, Send

from callcast_gateway.domain.api_keys import Principal
from callcast_gateway.domain.headers import REQUEST_ID_HEADER, api_key_from_headers, request_id_from
from callcast_gateway.errors import unauthorized
from callcast_gateway.gateway import Gateway

_PRINCIPAL = "callcast.principal"
_REQUEST_ID = "callcast.request_id"
_RESPONSE_HEADERS = "callcast.response_headers"


def _state(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("state", {})  # type: ignore[typeddict-item, no-any-return]


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        presented = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == REQUEST_ID_HEADER.encode()),
            None,
        )
        request_id = request_id_from(presented)
        state = _state(scope)
        state[_REQUEST_ID] = request_id
        extra_headers: dict[str, str] = {}
        state[_RESPONSE_HEADERS] = extra_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for name, value in {**extra_headers, REQUEST_ID_HEADER: request_id}.items():
                    headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
                message = {**message, "headers": headers}  # type: ignore[typeddict-item]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await app(scope, receive, send_with_headers)

    return middleware


def api_key_guard(gateway: Gateway) -> Guard:
    async def require_api_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        secret = api_key_from_headers(connection.headers)
        principal = await gateway.verifier.verify(secret) if secret else None
        if principal is None:
            raise unauthorized()
        state = _state(connection.scope)
        state[_PRINCIPAL] = principal
        for admit in gateway.admission_checks:
            state.setdefault(_RESPONSE_HEADERS, {}).update(await admit(principal, connection))

    return require_api_key


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller (set by the guard, which runs before any dependency)."""
    principal = _state(request.scope).get(_PRINCIPAL)
    if not isinstance(principal, Principal):
        raise unauthorized()
    return principal


def request_id_of(request: Request[Any, Any, Any]) -> str:
    return str(_state(request.scope).get(_REQUEST_ID) or request_id_from(None))
