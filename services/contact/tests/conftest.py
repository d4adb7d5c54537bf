"""Fixtures of the contact service's tests.

Integration tests drive the real app (``create_app(build_spec(), settings)``) through litestar's
``AsyncTestClient`` against a real NATS JetStream and PostgreSQL: ``NATS_URL``/``DATABASE_URL``
when set, otherwise the servers the workspace's fixtures (``nats_url``/``database_url``) start.
Each test works in an organization of its own, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
import nats
import pytest
from litestar.testing import AsyncTestClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from callcast_contact.bootstrap import build_spec
from callcast_runtime.service import create_app
from callcast_runtime.settings import load_settings


@pytest.fixture(scope="session")
def contact_nats_url(request: pytest.FixtureRequest) -> str:
    return os.environ.get("NATS_URL") or str(request.getfixturevalue("nats_url"))


@pytest.fixture(scope="session")
def contact_database_url(request: pytest.FixtureRequest) -> str:
    return os.environ.get("DATABASE_URL") or str(request.getfixturevalue("database_url"))


@pytest.fixture(scope="session")
async def client(contact_nats_url: str, contact_database_url: str) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = msgspec.structs.replace(
        load_settings("contact"),
        nats_url=contact_nats_url,
        database_url=contact_database_url,
        log_format="console",
    )
    app = create_app(build_spec(), settings)
    async with AsyncTestClient(app, timeout=60) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def js(contact_nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(contact_nats_url)
    yield nc.jetstream()
    await nc.close()


@pytest.fixture
def org_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def headers(org_id: str) -> dict[str, str]:
    return {"X-Callcast-Org-Id": org_id}


async def subject_count(js: JetStreamContext, stream: str, subject: str) -> int:
    info = await js.stream_info(stream, subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


async def read_messages(
    js: JetStreamContext, stream: str, subject: str, *, expect: int, timeout: float = 15.0, settle: float = 0.5
) -> list[Msg]:
    """Every message stored under ``subject`` (wildcards allowed) once at least ``expect`` arrived
    and ``settle`` seconds passed without more, so a duplicate would have shown up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (count := await subject_count(js, stream, subject)) < expect:
        if loop.time() > deadline:
            raise AssertionError(f"{count} of {expect} messages on {subject} after {timeout}s")
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle)
    count = await subject_count(js, stream, subject)
    sub = await js.subscribe(subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    try:
        return [await sub.next_msg(timeout=5) for _ in range(count)]
    finally:
        await sub.unsubscribe()


@pytest.fixture
def messages_on(js: JetStreamContext) -> Callable[..., Awaitable[list[Msg]]]:
    """``await messages_on(subject, expect=1)``: the messages the CONTACTS stream holds there."""

    async def read(subject: str, *, expect: int, timeout: float = 15.0, stream: str = "CONTACTS") -> list[Msg]:
        return await read_messages(js, stream, subject, expect=expect, timeout=timeout)

    return read
