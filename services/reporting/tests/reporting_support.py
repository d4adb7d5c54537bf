"""Helpers of the reporting integration tests: polling, publishing, reading OUTCOMES."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import psycopg
from litestar import Litestar
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from reporting_scenario import Appended

from callcast_contracts.envelope import Envelope, Event, decode
from callcast_contracts.streams import OUTCOMES
from callcast_reporting.adapters.rebuild import drop_view
from callcast_reporting.bootstrap import build_spec
from callcast_reporting.entrypoints.events import projections
from callcast_runtime.messaging import EventStore
from callcast_runtime.service import Runtime, create_app
from callcast_runtime.settings import Settings
from callcast_stack.asgi import serve_in_loop

T = TypeVar("T")


class ReportingApp:
    """Starts and stops the reporting app (lifespan, subscribers, outbox relay) on demand."""

    def __init__(self, settings: Settings, *, consumer_suffix: str) -> None:
        self.settings = settings
        self.consumer_suffix = consumer_suffix
        #: Projection name → stream, for this app.
        self.projections = projections(consumer_suffix)
        self._stack: contextlib.AsyncExitStack | None = None
        self._app: Litestar | None = None
        self.client: httpx.AsyncClient | None = None

    async def start(self) -> httpx.AsyncClient:
        """Served in the test's own event loop (tests also use the app's pool directly)."""
        self._stack = contextlib.AsyncExitStack()
        self._app = create_app(build_spec(consumer_suffix=self.consumer_suffix), self.settings)
        client = await self._stack.enter_async_context(serve_in_loop(self._app))
        self.client = client
        return client

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self.client, self._app = None, None, None

    @property
    def runtime(self) -> Runtime:
        assert self._app is not None
        runtime: Runtime = self._app.state.runtime
        return runtime

    async def drop_view(self) -> None:
        """What ``python -m callcast_reporting rebuild`` does to the database (app stopped)."""
        assert self.settings.database_url is not None
        async with await psycopg.AsyncConnection.connect(self.settings.database_url) as conn:
            await conn.execute(f"SET search_path TO {self.settings.db_schema}")
            await drop_view(conn, self.projections)  # type: ignore[arg-type]
            await conn.commit()


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 15.0, what: str = "") -> T:
    """Poll ``probe`` until it returns something truthy (read models are eventually consistent)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}")
        await asyncio.sleep(0.1)


async def append_all(store: EventStore, events: Iterable[Appended]) -> None:
    for item in events:
        await store.append(item.subject, item.env, msg_id=item.msg_id)


@dataclass(frozen=True)
class PublishedOutcome:
    msg_id: str
    envelope: Envelope[Event]


async def outcomes_on(js: JetStreamContext, subject: str) -> list[PublishedOutcome]:
    """Every message stored on one OUTCOMES subject, with its ``Nats-Msg-Id``."""
    store = EventStore(js)
    last = await store.last_seq(OUTCOMES.name, subject)
    if last == 0:
        return []
    found: list[PublishedOutcome] = []
    sub = await js.subscribe(subject, stream=OUTCOMES.name, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    try:
        while True:
            msg = await sub.next_msg(timeout=5)
            found.append(PublishedOutcome((msg.headers or {}).get("Nats-Msg-Id", ""), decode(msg.data)))
            if msg.metadata.sequence.stream >= last:
                return found
    finally:
        await sub.unsubscribe()


async def get_json(client: Any, path: str, org_id: str, **params: Any) -> tuple[int, Any]:
    response = await client.get(path, headers={"X-Callcast-Org-Id": org_id}, params=params or None)
    return response.status_code, response.json()
