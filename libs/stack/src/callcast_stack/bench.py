"""Benchmarks (`just bench`): the hot paths of the event backbone and of the media plane.

Each figure is measured in one run against a pinned nats-server started for the run, so ratios
between figures are meaningful on a noisy machine; absolute numbers are for trends only.
Results are written as JSON (``--output``).

- ``event_store.append_awaited``: appends to aggregate subjects with the expected-sequence
  check, each awaited (the dialer's and scheduler's write pattern).
- ``event_store.attempt_gate``: first appends (expected sequence 0) on distinct attempt subjects:
  the exactly-once dialling gate, per dial command.
- ``event_store.publish_pipelined``: the outbox relay's pattern (publish_async, acks awaited per batch).
- ``consumer.ordered_apply``: events applied by ``durable_event_consumer`` (batch pull, per-message
  ack, envelope decode) with a no-op handler.
- ``rtp.pacing``: concurrent 20 ms G.711 streams to a local UDP echo: send lateness and drift.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats

import callcast_contracts.events  # noqa: F401  (registers event types)
from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import CallRinging
from callcast_contracts.streams import ALL_STREAMS, CALLS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.messaging import EventStore, create_broker, durable_event_consumer, ensure_streams
from callcast_stack.nats import start_nats_server

ORG = "0b5f6a52-3a70-4a38-9a53-0c6cc3a5e0be"


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else 0.0


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
    from callcast_contracts.envelope import encode

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


class _Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)


async def bench_rtp(calls: int, seconds: float) -> dict[str, Any]:
    from callcast_telephony.rtp.session import RtpSession

    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Echo, local_addr=("127.0.0.1", 0))
    echo_port = transport.get_extra_info("sockname")[1]
    sessions = []
    for _ in range(calls):
        s = RtpSession("127.0.0.1")
        await s.open()
        s.set_remote("127.0.0.1", echo_port, codec="PCMU")
        sessions.append(s)
    payload = bytes([0xFF]) * int(8000 * seconds)
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    stats = await asyncio.gather(*(s.play(payload) for s in sessions))
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    received = [s.stats() for s in sessions]
    for s in sessions:
        s.close()
    transport.close()
    late = [p.max_lateness_ms for p in stats]
    return {
        "pacing": {
            "calls": calls,
            "seconds": seconds,
            "frames_per_call": stats[0].frames_sent,
            "max_lateness_ms": round(max(late), 2),
            "median_of_max_lateness_ms": round(statistics.median(late), 2),
            "max_drift_ms": round(max(abs(p.drift_ms) for p in stats), 2),
            "echo_packets_lost": sum(p.frames_sent for p in stats) - sum(r.audio_packets_received for r in received),
            "cpu_share_of_one_core": round(cpu / wall, 3),
        }
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    with tempfile.TemporaryDirectory(prefix="callcast-bench-") as tmp, start_nats_server(Path(tmp)) as server:
        out["event_store"] = await bench_event_store(server.url, args.events)
        out["consumer"] = await bench_consumer(server.url, args.events * 2)
    out["rtp"] = await bench_rtp(args.calls, args.seconds)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results = asyncio.run(run(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
