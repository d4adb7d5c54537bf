"""Benchmark suite ``store``: the event backbone's hot paths against a pinned nats-server.

- ``append_awaited``: appends to one aggregate subject with the expected-sequence check, each
  awaited (the dialer's and scheduler's write pattern).
- ``attempt_gate``: first appends (expected sequence 0) on distinct attempt subjects: the
  exactly-once dialling gate, one per dial command.
- ``publish_pipelined``: the outbox relay's pattern (publish_async, acks awaited per batch).
- ``ordered_apply``: events applied by ``durable_event_consumer`` (batch pull, per-message ack,
  envelope decode) with a no-op handler.

Limits: a dialer process at the target 200 new calls/s writes one gate append and ~5 awaited
call events per call, and the projections must keep up with that plus the rest of the system;
the limits below are that load with headroom (x2 for appends, x2.5 for the gate, x5 for the
relay and the projections, which serve every dialer at once).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import nats

import callcast_contracts.events  # noqa: F401  (registers event types)
from callcast_contracts import ids
from callcast_contracts.envelope import encode, envelope
from callcast_contracts.events import CallRinging
from callcast_contracts.streams import ALL_STREAMS, CALLS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.messaging import EventStore, create_broker, durable_event_consumer, ensure_streams
from callcast_stack.bench_report import check, load_average, verdict
from callcast_stack.bench_report import rate as _rate
from callcast_stack.nats import start_nats_server

LIMITS = {
    "append_awaited_per_second": 2000,
    "attempt_gate_per_second": 500,
    "publish_pipelined_per_second": 5000,
    "ordered_apply_per_second": 5000,
}


ORG = "0b5f6a52-3a70-4a38-9a53-0c6cc3a5e0be"


def _event(attempt: str) -> Any:
    return envelope(CallRinging(attempt_id=attempt, sip_status=180), org_id=ORG, aggregate_id=attempt)


async def bench_event_store(url: str, n: int) -> dict[str, Any]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js, ALL_STREAMS)
    store = EventStore(js)
    results: dict[str, Any] = {}

    attempt = ids.new_id()
    subj = subject(Context.CALLS, ORG, Aggregate.ATTEMPT, attempt)
    last = 0
    t0 = time.perf_counter()
    for i in range(n):
        last = (await store.append(subj, _event(attempt), msg_id=f"b-{attempt}-{i}", expected_last_seq=last)).seq
    results["append_awaited"] = {"events": n, "per_second": _rate(n, time.perf_counter() - t0)}

    t0 = time.perf_counter()
    for _ in range(n):
        a = ids.new_id()
        await store.append(
            subject(Context.CALLS, ORG, Aggregate.ATTEMPT, a), _event(a), msg_id=f"g-{a}", expected_last_seq=0
        )
    results["attempt_gate"] = {"attempts": n, "per_second": _rate(n, time.perf_counter() - t0)}

    payload = json.dumps({"x": "y" * 200}).encode()
    t0 = time.perf_counter()
    batch = 500
    for start in range(0, n * 4, batch):
        futures = [
            await js.publish_async(
                f"calls.{ORG}.attempt.p{start + i}", payload, headers={"Nats-Msg-Id": f"p{start + i}"}
            )
            for i in range(batch)
        ]
        await asyncio.gather(*futures)
    results["publish_pipelined"] = {"events": n * 4, "per_second": _rate(n * 4, time.perf_counter() - t0)}
    await nc.close()
    return results


async def bench_consumer(url: str, n: int) -> dict[str, Any]:
    broker = create_broker(url, name="bench")
    applied = 0
    done = asyncio.Event()

    async def handler(_d: Any) -> None:
        nonlocal applied
        applied += 1
        if applied >= n:
            done.set()

    durable_event_consumer(
        broker,
        stream=CALLS,
        durable=f"bench-{ids.new_id()[:8]}",
        subject=f"{Context.CALLS}.{ORG}.attempt.*",
        handler=handler,
        description="benchmark",
        batch_size=500,
    )
    await broker.connect()
    js = broker.connection.jetstream()
    a = ids.new_id()
    subj = subject(Context.CALLS, ORG, Aggregate.ATTEMPT, "c" + a[:8])
    body = encode(_event(a))
    for start in range(0, n, 500):
        futures = [await js.publish_async(subj, body) for _ in range(min(500, n - start))]
        await asyncio.gather(*futures)
    t0 = time.perf_counter()
    await broker.start()
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - t0
    await broker.stop()
    return {"ordered_apply": {"events": n, "per_second": _rate(n, elapsed)}}


async def run_store_bench(*, events: int = 2000) -> dict[str, Any]:
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="callcast-bench-") as tmp, start_nats_server(Path(tmp)) as server:
        store = await bench_event_store(server.url, events)
        consumer = await bench_consumer(server.url, events * 2)
    figures = {**store, **consumer}
    checks = [
        check(f"{name}_per_second", figures[name]["per_second"], LIMITS[f"{name}_per_second"], ">=")
        for name in ("append_awaited", "attempt_gate", "publish_pipelined", "ordered_apply")
    ]
    return {
        **figures,
        "checks": checks,
        "passed": verdict(checks),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
