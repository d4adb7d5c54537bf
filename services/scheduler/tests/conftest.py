"""Fixtures of the scheduler's tests.

Integration tests drive the real app (``create_app(build_spec(), settings)``), served in the
test's own event loop, against a real NATS JetStream and PostgreSQL: ``NATS_URL``/``DATABASE_URL``
when set, otherwise the servers of the workspace's fixtures (``nats_url``/``database_url``). The
app runs for the whole session (``scheduler_app``; one test restarts it); each test works in an
organization of its own (``tenant``), so tests never see each other's data.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import nats
import nats.js.errors
import psycopg
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig

from callcast_contracts.streams import ALL_STREAMS, DIAL_COMMANDS
from callcast_runtime.messaging import EventStore, ensure_streams
from callcast_runtime.settings import Settings, load_settings

# Helpers next to this file must import under any --import-mode.
sys.path.insert(0, str(Path(__file__).parent))

from scheduler_support import CONSUMERS, FakeDialer, SchedulerApp, Tenant, consumers_caught_up


@pytest.fixture(scope="session")
def scheduler_nats_url(request: pytest.FixtureRequest) -> str:
    return os.environ.get("NATS_URL") or str(request.getfixturevalue("nats_url"))


@pytest.fixture(scope="session")
def scheduler_database_url(request: pytest.FixtureRequest) -> str:
    return os.environ.get("DATABASE_URL") or str(request.getfixturevalue("database_url"))


@pytest.fixture(scope="session")
async def nc(scheduler_nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(scheduler_nats_url)
    await ensure_streams(client.jetstream(), ALL_STREAMS)
    yield client
    await client.close()


@pytest.fixture(scope="session")
async def scheduler_settings(scheduler_database_url: str, scheduler_nats_url: str, nc: NatsClient) -> Settings:
    """A scheduler starting from nothing: an empty schema and no durable consumers, so its copies
    and projection are rebuilt from the streams (on a NATS shared with earlier runs or other
    test modules, their events are replayed too; tests only look at their own organizations)."""
    settings = msgspec.structs.replace(
        load_settings("scheduler"),
        nats_url=scheduler_nats_url,
        database_url=scheduler_database_url,
        log_format="console",
    )
    async with await psycopg.AsyncConnection.connect(scheduler_database_url, autocommit=True) as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {settings.db_schema} CASCADE")
    for durable, stream in CONSUMERS.items():
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await nc.jetstream().delete_consumer(stream, durable)
    await _forget_stale_dial_consumers(nc)
    return settings


async def _forget_stale_dial_consumers(nc: NatsClient) -> None:
    """A work-queue stream refuses overlapping consumers. Another test module's dialer may have
    left one on ``dial.>`` (no dialer runs now), and an interrupted run its fake dialers: either
    would refuse this session's per-organization fake dialers."""
    js = nc.jetstream()
    for info in await js.consumers_info(DIAL_COMMANDS.name):
        config: ConsumerConfig = info.config
        filters = [config.filter_subject, *(config.filter_subjects or [])]
        catch_all = any(f in (None, "", ">", "dial.>") for f in filters)
        if info.name and (catch_all or info.name.startswith(FakeDialer.PREFIX)):
            await js.delete_consumer(DIAL_COMMANDS.name, info.name)


@pytest.fixture(scope="session")
async def scheduler_app(scheduler_settings: Settings, nc: NatsClient) -> AsyncIterator[SchedulerApp]:
    app = SchedulerApp(scheduler_settings)
    await app.start()
    # On a NATS shared with other test modules the copies first replay their events.
    await consumers_caught_up(nc.jetstream(), *CONSUMERS, timeout=60)
    await app.views_caught_up(timeout=60)
    yield app
    await app.stop()


@pytest.fixture
def event_store(nc: NatsClient) -> EventStore:
    return EventStore(nc.jetstream())


@pytest.fixture
def tenant(scheduler_app: SchedulerApp, event_store: EventStore) -> Tenant:
    return Tenant(app=scheduler_app, events=event_store)


@pytest.fixture
def other_tenant(scheduler_app: SchedulerApp, event_store: EventStore) -> Tenant:
    return Tenant(app=scheduler_app, events=event_store)


@pytest.fixture
async def dialer(tenant: Tenant) -> AsyncIterator[FakeDialer]:
    fake = FakeDialer(tenant)
    await fake.start()
    yield fake
    await fake.stop()
