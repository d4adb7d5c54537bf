"""Fixtures the dialer's integration tests share: a JetStream context with an empty dial-command
queue before and after each test, and a SIPp callee that answers and echoes RTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from dialer_test_kit import clean_dial_queue, sipp_callee
from nats.js import JetStreamContext

from callcast_contracts.streams import ALL_STREAMS
from callcast_runtime.messaging import ensure_streams
from callcast_stack.sipp import SippCallee


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    jsc = nc.jetstream()
    await ensure_streams(jsc, ALL_STREAMS)
    await clean_dial_queue(jsc)
    yield jsc
    await clean_dial_queue(jsc)
    await nc.close()


@pytest.fixture
async def callee(tmp_path: Path) -> AsyncIterator[SippCallee]:
    sipp = sipp_callee(tmp_path)
    await sipp.start()
    yield sipp
    await sipp.stop()
