"""Fixtures of the flow service's tests.

Integration tests run the real app (``create_app(build_spec(), settings)``) through litestar's
``AsyncTestClient`` against a real NATS JetStream and PostgreSQL, from the workspace's pytest
plugin (``callcast_stack.pytest_plugin``): ``nats_url`` is ``NATS_URL`` when set, else a pinned
nats-server; ``database_url`` is a fresh database on ``DATABASE_URL``'s server when set, else on
an embedded PostgreSQL. Each test works in an organization of its own, so tests never see each
other's data.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
import nats
import numpy as np
import pytest
import soundfile as sf
from litestar.testing import AsyncTestClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from callcast_flow.bootstrap import build_spec
from callcast_runtime.service import create_app
from callcast_runtime.settings import load_settings


@pytest.fixture(scope="session")
async def client(nats_url: str, database_url: str) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = msgspec.structs.replace(
        load_settings("flow"), nats_url=nats_url, database_url=database_url, log_format="console"
    )
    app = create_app(build_spec(), settings)
    async with AsyncTestClient(app, timeout=30) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


@pytest.fixture
def org_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def headers(org_id: str) -> dict[str, str]:
    return {"X-Callcast-Org-Id": org_id}


async def _messages_on(
    js: JetStreamContext, stream: str, subject: str, *, expect: int, timeout: float = 10.0, settle: float = 0.5
) -> list[Msg]:
    """Every message stored on ``subject`` once at least ``expect`` arrived (and ``settle``
    seconds passed without more, so a duplicate would show up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        info = await js.stream_info(stream, subjects_filter=subject)
        count = (info.state.subjects or {}).get(subject, 0)
        if count >= expect:
            break
        if loop.time() > deadline:
            raise AssertionError(f"{count} of {expect} messages on {subject} after {timeout}s")
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle)
    info = await js.stream_info(stream, subjects_filter=subject)
    count = (info.state.subjects or {}).get(subject, 0)
    sub = await js.subscribe(subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    try:
        return [await sub.next_msg(timeout=5) for _ in range(count)]
    finally:
        await sub.unsubscribe()


@pytest.fixture
def messages_on(js: JetStreamContext) -> Callable[..., Awaitable[list[Msg]]]:
    """``await messages_on("FLOWS", subject, expect=1)``: the messages a subject holds."""

    async def read(stream: str, subject: str, *, expect: int, timeout: float = 10.0) -> list[Msg]:
        return await _messages_on(js, stream, subject, expect=expect, timeout=timeout)

    return read


def tone(seconds: float, rate: int, channels: int = 1, hz: float = 440.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    mono = level * np.sin(2 * np.pi * hz * t)
    return np.stack([mono] * channels, axis=1) if channels > 1 else mono


def encode_audio(samples: np.ndarray, rate: int, *, fmt: str = "WAV", subtype: str | None = "PCM_16") -> bytes:
    out = io.BytesIO()
    sf.write(out, samples, rate, format=fmt, subtype=subtype)
    return out.getvalue()


@pytest.fixture
def make_audio() -> Callable[..., bytes]:
    """``make_audio(seconds, rate=44100, channels=2, fmt="WAV", subtype="PCM_16")``: a 440 Hz tone file."""

    def make(
        seconds: float, rate: int = 44100, channels: int = 2, fmt: str = "WAV", subtype: str | None = "PCM_16"
    ) -> bytes:
        return encode_audio(tone(seconds, rate, channels), rate, fmt=fmt, subtype=subtype)

    return make
