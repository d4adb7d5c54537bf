"""Fixtures of the reporting tests.

Integration tests use a real NATS JetStream and PostgreSQL through the workspace's pytest plugin
(``callcast_stack.pytest_plugin``): ``nats_url`` is ``NATS_URL`` when set (else a server started
for the session) and ``database_url`` a fresh database on ``DATABASE_URL``'s server (else on an
embedded one). The app's projections get a per-session suffix, so a reporting service of a
stack running on the same NATS server never shares their messages.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import nats
import pytest
from nats.aio.client import Client as NatsClient

from callcast_contracts.streams import ALL_STREAMS
from callcast_runtime.messaging import EventStore, ensure_streams
from callcast_runtime.settings import Settings, load_settings

# Helpers next to this file must import under any --import-mode.
sys.path.insert(0, str(Path(__file__).parent))

from reporting_support import ReportingApp

#: This session's projections: ``reporting-calls-test-<hex>`` …
CONSUMER_SUFFIX = f"-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
async def reporting_settings(nats_url: str, database_url: str) -> Settings:
    """Settings of the reporting app under test (its views' consumers vanish with it)."""
    settings = msgspec.structs.replace(
        load_settings("reporting"), nats_url=nats_url, database_url=database_url, log_format="console"
    )
    nc = await nats.connect(nats_url)
    try:
        # Streams first, so tests can append before the app has declared them.
        await ensure_streams(nc.jetstream(), ALL_STREAMS)
    finally:
        await nc.close()
    return settings


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


@pytest.fixture
def event_store(nc: NatsClient) -> EventStore:
    return EventStore(nc.jetstream())


@pytest.fixture
async def reporting_app(reporting_settings: Settings) -> AsyncIterator[ReportingApp]:
    app = ReportingApp(reporting_settings, consumer_suffix=CONSUMER_SUFFIX)
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
def client(reporting_app: ReportingApp) -> httpx.AsyncClient:
    assert reporting_app.client is not None
    return reporting_app.client
