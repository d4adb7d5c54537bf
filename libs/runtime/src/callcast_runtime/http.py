"""The litestar app factory every service uses: health, problem+json errors, tracing, org scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp, Receive, Scope, Send
from opentelemetry import context as otel_context
from opentelemetry import trace

from callcast_runtime.errors import (
    PROBLEM_JSON,
    ApiError,
    Unauthorized,
    ValidationFailed,
    describe_decode_error,
    error_name,
    problem_body,
)
from callcast_runtime.logging import get_logger
from callcast_runtime.tracing import extract_context, tracer

log = get_logger(__name__)

ORG_HEADER = "x-callcast-org-id"
ReadinessCheck = Callable[[], Awaitable[bool]]


def problem_response(
    request: Request[Any, Any, Any], status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _api_error_handler(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    body = problem_body(
        status=exc.status_code,
        code=exc.code,
        message=exc.message,
        path=request.url.path,
        field_errors=exc.field_errors,
        field_details=exc.field_details,
    )
    return problem_response(request, exc.status_code, body, exc.headers)


def _validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    field_errors: dict[str, list[str]] = {}
    field_details: dict[str, list[dict[str, Any]]] = {}
    extras = exc.extra if isinstance(exc.extra, list) else []
    for item in extras:
        message = str(item.get("message", "")) if isinstance(item, dict) else str(item)
        key = item.get("key") if isinstance(item, dict) else None
        source = item.get("source") if isinstance(item, dict) else None
        if source in ("query", "path", "header", "cookie") and key:
            field, code, params, human = str(key), "invalid", dict[str, Any](), f"{key}: {message}"
        else:
            field, code, params, human = describe_decode_error(message)
            if key and field == "body":
                # litestar strips msgspec's " - at `$.x`" suffix and gives the path as ``key``.
                field, human = str(key), human.replace("body:", f"{key}:", 1)
            elif key and key != "data" and code in ("unknownField", "required") and "." not in field:
                # A nested object's unknown/missing property: ``key`` is the object's path.
                field, human = f"{key}.{field}", f"{key}.{human}"
        field_errors.setdefault(field, []).append(human)
        field_details.setdefault(field, []).append({"code": code, "params": params})
    if not field_errors:
        detail = str(exc.detail or "invalid request")
        field, code, params, human = describe_decode_error(detail)
        field_errors[field] = [human]
        field_details[field] = [{"code": code, "params": params}]
    err = ValidationFailed(field_errors, field_details)
    return _api_error_handler(request, err)


def _http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    code = error_name(status)
    message = str(exc.detail) if exc.detail else code
    if isinstance(exc, NotAuthorizedException):
        code = "UNAUTHORIZED"
    body = problem_body(status=status, code=code, message=message, path=request.url.path)
    return problem_response(request, status, body, dict(exc.headers or {}))


def _internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", path=request.url.path)
    body = problem_body(
        status=500, code="INTERNAL_SERVER_ERROR", message="Internal server error", path=request.url.path
    )
    return problem_response(request, 500, body)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _api_error_handler,
    ValidationException: _validation_handler,
    NotFoundException: _http_error_handler,
    HTTPException: _http_error_handler,
    Exception: _internal_error_handler,
}


def tracing_middleware(app: ASGIApp) -> ASGIApp:
    """One SERVER span per request, continuing the caller's trace (``traceparent``)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = otel_context.attach(extract_context(headers))
        status_holder: dict[str, int] = {}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            with tracer().start_as_current_span(
                f"{scope.get('method', 'GET')} {scope.get('path', '')}",
                kind=trace.SpanKind.SERVER,
                attributes={
                    "http.request.method": str(scope.get("method", "")),
                    "url.path": str(scope.get("path", "")),
                },
            ) as span:
                await app(scope, receive, send_wrapper)
                if "status" in status_holder:
                    span.set_attribute("http.response.status_code", status_holder["status"])
        finally:
            otel_context.detach(token)

    return middleware


async def org_id_from_header(request: Request[Any, Any, Any]) -> str:
    """The organization the gateway authenticated. Services sit behind the gateway only."""
    org = request.headers.get(ORG_HEADER)
    if not org:
        raise Unauthorized("Unauthorized")
    return org


def build_app(
    *,
    service: str,
    route_handlers: Sequence[Any],
    readiness: Sequence[ReadinessCheck] = (),
    on_startup: Sequence[Callable[[], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    dependencies: dict[str, Provide] | None = None,
    state: dict[str, Any] | None = None,
    openapi_description: str = "",
    api_key_security: bool = False,
    cors: bool = False,
    request_max_body_size: int = 10 * 1024 * 1024,
    readiness_report: Callable[[], Awaitable[tuple[bool, dict[str, Any]]]] | None = None,
) -> Litestar:
    @get("/health/live", include_in_schema=False, sync_to_thread=False)
    def live() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @get("/health/ready", include_in_schema=False)
    async def ready() -> Response[dict[str, Any]]:
        results = [await check() for check in readiness]
        ok = all(results)
        details: dict[str, Any] = {}
        if readiness_report is not None:
            reported_ok, details = await readiness_report()
            ok = ok and reported_ok
        return Response(
            {"status": "ready" if ok else "not_ready", "service": service, **details},
            status_code=200 if ok else 503,
            media_type=MediaType.JSON,
        )

    components: list[Components] = []
    security: list[dict[str, list[str]]] | None = None
    if api_key_security:
        components = [
            Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", description="API key as a bearer token"),
                    "apiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header"),
                }
            )
        ]
        security = [{"bearer": []}, {"apiKey": []}]

    deps = {"org_id": Provide(org_id_from_header)}
    deps.update(dependencies or {})
    return Litestar(
        route_handlers=[live, ready, *route_handlers],
        dependencies=deps,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[tracing_middleware],
        on_startup=list(on_startup),
        on_shutdown=list(on_shutdown),
        state=State(state or {}),
        openapi_config=OpenAPIConfig(
            title=f"Callcast {service} API",
            version="0.1.0",
            description=openapi_description or None,
            components=components,
            security=security,
            path="/schema",
            use_handler_docstrings=True,
        ),
        cors_config=CORSConfig() if cors else None,
        request_max_body_size=request_max_body_size,
        debug=False,
    )
