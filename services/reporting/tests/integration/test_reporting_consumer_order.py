"""The projection's exactly-once rule (skip what is at or below the applied position) holds only
if the durable consumer applies a stream strictly in order, failures included."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import nats.js.errors
import pytest

from callcast_contracts.envelope import envelope
from callcast_contracts.events import CallRinging
from callcast_contracts.streams import StreamSpec
from callcast_runtime.messaging import Delivery, EventStore, create_broker, durable_event_consumer, ensure_streams

pytestmark = pytest.mark.integration


async def test_a_transient_handler_failure_never_lets_later_events_overtake(nats_url: str) -> None:
    token = uuid.uuid4().hex[:8]
    spec = StreamSpec(name=f"REPORTING_ORDER_{token}", subjects=(f"order{token}.>",), description="order probe")
    broker = create_broker(nats_url, name=f"order-{token}")
    applied: list[int] = []
    failing_until = asyncio.get_running_loop().time() + 2.0

    async def handler(delivery: Delivery) -> None:
        n = int(delivery.subject.rsplit(".", 1)[1])
        if n == 3 and asyncio.get_running_loop().time() < failing_until:
            raise RuntimeError("the database is restarting")
        applied.append(n)

    durable_event_consumer(
        broker, stream=spec, durable=f"order-{token}", subject=f"order{token}.>", handler=handler, description="probe"
    )
    await broker.connect()
    js = broker.connection.jetstream()
    await ensure_streams(js, [spec])
    store = EventStore(js)

    async def append(n: int) -> None:
        env = envelope(CallRinging(attempt_id=str(n), sip_status=180), org_id="org", aggregate_id=str(n))
        await store.append(f"order{token}.org.attempt.{n}", env, msg_id=f"{token}-{n}")

    try:
        for n in range(1, 6):
            await append(n)
        await broker.start()
        for n in range(6, 31):  # newer events keep arriving while event 3 fails
            await append(n)
            await asyncio.sleep(0.1)
        for _ in range(100):
            if len(applied) == 30:
                break
            await asyncio.sleep(0.1)
        assert applied == list(range(1, 31))
    finally:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(spec.name)
        await broker.stop()
