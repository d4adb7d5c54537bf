"""The gateway's ``/api`` router: authentication and request context for every route under it,
its own resources, and forwarding for everything else."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from callcast_gateway.entrypoints.account import ApiKeysController, UsersController
from callcast_gateway.entrypoints.proxy import forwarding_route
from callcast_gateway.entrypoints.security import api_key_guard, provide_principal, request_context_middleware
from callcast_gateway.gateway import Gateway


def api_router(gateway: Gateway) -> Router:
    return Router(
        path="/api",
        route_handlers=[UsersController, ApiKeysController, forwarding_route(gateway.config.max_body_bytes)],
        guards=[api_key_guard(gateway)],
        middleware=[request_context_middleware],
        dependencies={
            "principal": Provide(provide_principal, sync_to_thread=False),
            "gateway": Provide(lambda: gateway, sync_to_thread=False, use_cache=True),
        },
    )
