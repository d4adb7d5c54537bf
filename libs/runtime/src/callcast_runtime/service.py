"""The host every service process runs in: one object owns settings, NATS, PostgreSQL and HTTP.

A service's ``bootstrap.py`` builds a ``ServiceSpec`` (its routes, subscribers, background tasks,
migrations) and calls ``run(spec)``. Tests build the same spec with other settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from faststream.nats import NatsBroker
from litestar import Litestar
from litestar.di import Provide
from nats.js import JetStreamContext

from callcast_contracts.streams import ALL_STREAMS
from callcast_runtime.db import Pool, open_pool, ping
from callcast_runtime.http import build_app
from callcast_runtime.logging import configure_logging, get_logger
from callcast_runtime.messaging import EventStore, create_broker, ensure_streams
from callcast_runtime.migrations import apply_migrations
from callcast_runtime.outbox import OutboxRelay
from callcast_runtime.settings import Settings, load_settings
from callcast_runtime.tracing import configure_tracing, shutdown_tracing

log = get_logger(__name__)


class Runtime:
    """What a running service holds. Handlers receive it through dependency injection."""

    def __init__(self, settings: Settings, broker: NatsBroker) -> None:
        self.settings = settings
        self.broker = broker
        self.pool: Pool | None = None
        self.relay: OutboxRelay | None = None
        self._js: JetStreamContext | None = None
        self._events: EventStore | None = None
        self.tasks: list[asyncio.Task[Any]] = []
        self.started = asyncio.Event()
        #: The service's own objects (built by ``ServiceSpec.wire``), by dependency name.
        self.components: dict[str, Any] = {}

    @property
    def js(self) -> JetStreamContext:
        assert self._js is not None, "NATS is not connected yet"
        return self._js

    @property
    def events(self) -> EventStore:
        assert self._events is not None, "NATS is not connected yet"
        return self._events

    @property
    def db(self) -> Pool:
        assert self.pool is not None, "this service has no database"
        return self.pool

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        """A background task that is logged when it dies and cancelled at shutdown."""

        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task crashed", task=name)

        self.tasks.append(asyncio.create_task(guarded(), name=name))


Hook = Callable[[Runtime], Awaitable[None]]


@dataclass
class ServiceSpec:
    name: str
    route_handlers: Sequence[Any] = ()
    migrations: Path | None = None
    uses_database: bool = True
    uses_outbox: bool = False
    #: Builds the service's objects from the runtime; each becomes an injectable dependency of
    #: the same name (e.g. ``{"scheduler": Scheduler(runtime)}`` → a ``scheduler`` parameter).
    wire: Callable[[Runtime], dict[str, Any]] | None = None
    #: Registers faststream subscribers on ``runtime.broker`` (before the broker starts).
    register_subscribers: Callable[[Runtime], None] | None = None
    on_start: Sequence[Hook] = ()
    on_stop: Sequence[Hook] = ()
    #: Run on the first SIGTERM while HTTP still answers (so readiness can report draining); the
    #: process shuts down (``on_stop``) when they return. None: SIGTERM shuts down at once.
    on_drain: Sequence[Hook] = ()
    openapi_description: str = ""
    api_key_security: bool = False
    extra_dependencies: dict[str, Any] = field(default_factory=dict)
    pool_max_size: int = 10
    #: Readiness beyond NATS/PostgreSQL (the gateway's: every service is ready): ``(ready, details)``;
    #: ``details`` are merged into the ``/health/ready`` body.
    readiness_report: Callable[[Runtime], Awaitable[tuple[bool, dict[str, Any]]]] | None = None


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings(spec.name)
    broker = create_broker(settings.nats_url, name=spec.name)
    runtime = Runtime(settings, broker)
    if spec.wire:
        runtime.components = spec.wire(runtime)
    if spec.register_subscribers:
        spec.register_subscribers(runtime)

    async def startup() -> None:
        configure_tracing(spec.name, settings.instance_id, settings.otlp_endpoint)
        if spec.uses_database:
            if not settings.database_url:
                raise RuntimeError("DATABASE_URL is not set")
            await apply_migrations(settings.database_url, settings.db_schema, spec.migrations)
            runtime.pool = await open_pool(settings.database_url, settings.db_schema, max_size=spec.pool_max_size)
        await broker.connect()
        runtime._js = broker.connection.jetstream()
        runtime._events = EventStore(runtime._js)
        await ensure_streams(runtime._js, ALL_STREAMS)
        if spec.uses_outbox and runtime.pool is not None:
            runtime.relay = OutboxRelay(runtime.pool, runtime._js, settings.db_schema)
            runtime.relay.start()
        for hook in spec.on_start:
            await hook(runtime)
        await broker.start()
        runtime.started.set()
        log.info("service started", port=settings.http_port, event_loop=type(asyncio.get_running_loop()).__module__)

    async def shutdown() -> None:
        for hook in spec.on_stop:
            with contextlib.suppress(Exception):
                await hook(runtime)
        for task in runtime.tasks:
            task.cancel()
        for task in runtime.tasks:
            with contextlib.suppress(BaseException):
                await task
        if runtime.relay:
            await runtime.relay.stop()
        with contextlib.suppress(Exception):
            await broker.stop()
        if runtime.pool:
            await runtime.pool.close()
        shutdown_tracing()

    async def nats_ready() -> bool:
        try:
            return runtime.started.is_set() and broker.connection.is_connected
        except Exception:
            return False

    async def db_ready() -> bool:
        return runtime.pool is not None and await ping(runtime.pool)

    readiness = [nats_ready] + ([db_ready] if spec.uses_database else [])
    report_readiness = spec.readiness_report

    async def readiness_report() -> tuple[bool, dict[str, Any]]:
        assert report_readiness is not None
        return await report_readiness(runtime)

    deps = {"runtime": Provide(lambda: runtime, use_cache=True, sync_to_thread=False)}
    for name, component in runtime.components.items():
        deps[name] = Provide(_constant(component), use_cache=True, sync_to_thread=False)
    deps.update(spec.extra_dependencies)
    app = build_app(
        service=spec.name,
        route_handlers=spec.route_handlers,
        readiness=readiness,
        on_startup=[startup],
        on_shutdown=[shutdown],
        dependencies=deps,
        state={"runtime": runtime},
        openapi_description=spec.openapi_description,
        api_key_security=spec.api_key_security,
        readiness_report=readiness_report if report_readiness is not None else None,
    )
    return app


def _constant(value: Any) -> Callable[[], Any]:
    def provide() -> Any:
        return value

    return provide


def run(spec: ServiceSpec) -> None:
    settings = load_settings(spec.name)
    configure_logging(spec.name, settings.log_format, settings.log_level)
    app = create_app(spec, settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="auto",  # uvloop when installed (it is in the lock): RTP pacing needs it
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )
    if spec.on_drain:
        runtime: Runtime = app.state.runtime
        hooks = spec.on_drain

        async def drain() -> None:
            for hook in hooks:
                await hook(runtime)

        _DrainingServer(config, drain).run()
    else:
        uvicorn.Server(config).run()


class _DrainingServer(uvicorn.Server):
    """uvicorn, except that the first SIGTERM runs the service's drain before shutting down.

    HTTP keeps answering during the drain (``/health/ready`` can say 503 while work finishes);
    SIGINT or a second SIGTERM shuts down at once, as plain uvicorn does.
    """

    def __init__(self, config: uvicorn.Config, drain: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self._drain = drain
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_requested = False
        self._drain_task: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGTERM or self._drain_requested or self._loop is None or self.should_exit:
            super().handle_exit(sig, frame)
            return
        self._drain_requested = True
        # A signal handler runs between two bytecodes of whatever the loop was doing: hand the
        # drain to the loop instead of starting it here.
        self._loop.call_soon_threadsafe(self._start_drain, sig, frame)

    def _start_drain(self, sig: int, frame: FrameType | None) -> None:
        async def drain_then_exit() -> None:
            log.info("SIGTERM: draining before shutdown")
            try:
                await self._drain()
            except Exception:
                log.exception("drain failed; shutting down")
            finally:
                uvicorn.Server.handle_exit(self, sig, frame)

        self._drain_task = asyncio.ensure_future(drain_then_exit())
