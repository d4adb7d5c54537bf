"""The running gateway's parts, made at start-up: key verification, the services behind it, and
the admission checks every authenticated request passes.

Rate limits (BRIEF §6) plug in as an :data:`AdmissionCheck`: it runs after the key is verified and
before the request is served or forwarded, may refuse it by raising an ``ApiError`` (429 with
``Retry-After``), and returns the headers to add to the response (``X-RateLimit-*``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import psycopg
from litestar.connection import ASGIConnection
from psycopg_pool import PoolTimeout

from callcast_gateway.adapters import repository
from callcast_gateway.adapters.upstreams import Upstreams
from callcast_gateway.authentication import KeyVerifier
from callcast_gateway.config import GatewayConfig
from callcast_gateway.domain.api_keys import Principal, StoredKey
from callcast_gateway.domain.routing import ROUTE_TABLE, routed_services
from callcast_gateway.errors import ServiceUnavailable
from callcast_runtime.db import Pool
from callcast_runtime.service import Runtime

AdmissionCheck = Callable[[Principal, ASGIConnection[Any, Any, Any, Any]], Awaitable[Mapping[str, str]]]


class Gateway:
    def __init__(self, config: GatewayConfig, admission_checks: Sequence[AdmissionCheck] = ()) -> None:
        self.config = config
        self.admission_checks = tuple(admission_checks)
        self._pool: Pool | None = None
        self._verifier: KeyVerifier | None = None
        self._upstreams: Upstreams | None = None

    # --- lifecycle (runtime hooks) ----------------------------------------------------------------

    async def start(self, runtime: Runtime) -> None:
        # httpx logs every request at INFO; the gateway logs each forward itself, with more context.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        urls = runtime.settings.service_urls
        missing = sorted(routed_services(ROUTE_TABLE) - set(urls))
        if missing:
            raise RuntimeError(f"no URL for services the gateway routes to: {', '.join(missing)}")
        self._pool = runtime.db
        self._upstreams = Upstreams(urls, self.config)
        self._verifier = KeyVerifier(
            self._stored_key,
            self._record_key_use,
            ttl_s=self.config.key_cache_ttl_s,
            touch_interval_s=self.config.last_used_interval_s,
            max_entries=self.config.key_cache_max_entries,
        )

    async def stop(self, runtime: Runtime) -> None:
        if self._verifier is not None:
            await self._verifier.close()
        if self._upstreams is not None:
            await self._upstreams.aclose()

    # --- parts ------------------------------------------------------------------------------------

    @property
    def pool(self) -> Pool:
        assert self._pool is not None, "the gateway has not started"
        return self._pool

    @property
    def verifier(self) -> KeyVerifier:
        assert self._verifier is not None, "the gateway has not started"
        return self._verifier

    @property
    def upstreams(self) -> Upstreams:
        assert self._upstreams is not None, "the gateway has not started"
        return self._upstreams

    async def readiness_report(self, runtime: Runtime) -> tuple[bool, dict[str, Any]]:
        """Ready only when every service is: the stack is usable through the gateway or it isn't."""
        if self._upstreams is None:
            return False, {"services": {}}
        services = await self._upstreams.readiness()
        return all(s["status"] == "ready" for s in services.values()), {"services": services}

    # --- adapters for the key verifier ----------------------------------------------------------

    async def _stored_key(self, secret_hash: bytes) -> StoredKey | None:
        try:
            async with self.pool.connection() as conn:
                return await repository.stored_key_by_hash(conn, secret_hash)
        except (psycopg.Error, PoolTimeout) as exc:
            # Without the database no key can be checked: the answer is "try again", not "no".
            raise ServiceUnavailable("Authentication is temporarily unavailable") from exc

    async def _record_key_use(self, key_id: str) -> None:
        async with self.pool.connection() as conn:
            await repository.touch_api_key(conn, key_id, self.config.last_used_interval_s)
