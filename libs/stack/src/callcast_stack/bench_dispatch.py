"""Benchmark suite ``dispatch``: the scheduler launching and dispatching a large execution.

The real scheduler app (``create_app(build_spec(), settings)``: migrations, subscribers,
projections, dispatcher) runs in this process against a pinned nats-server and PostgreSQL (the
one at ``DATABASE_URL``, else an embedded one, with a fresh database). One organization, its
limits lifted (``org_limits``: 100,000 calls, 10,000 calls/s), a program over an audience of
``contacts`` contacts with concurrency ``contacts`` and no per-program pace. No dialer runs:
every dial command stays queued in ``DIAL_COMMANDS``, and a core-NATS subscription on
``dial.<org>.>`` sees each as it is stored.

Figures:

- ``launch_to_first_dial_s``: from sending ``POST /programs/:id/launch`` to the first dial
  command (limit 1 s);
- ``dial_commands_per_second``: dial commands over the time from the first to the last one
  (limit 5,000/s);
- ``launch_response_s``: the launch's HTTP answer (every job enrolled);
- ``exactly_once``: one stored dial command per attempt subject, one attempt per contact.

Setup shortcut: the audience reaches the scheduler's copy tables by COPY rather than through
100,000 ``ContactSaved`` events (the copy's speed is not what is measured here).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import msgspec
import nats
import psycopg
import uvicorn
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

import callcast_contracts.events  # noqa: F401  (registers event types)
from callcast_contracts.envelope import envelope
from callcast_contracts.events import FlowVersionSaved
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.streams import ALL_STREAMS, DIAL_COMMANDS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.messaging import EventStore, ensure_streams
from callcast_runtime.settings import load_settings
from callcast_stack.bench_report import check, load_average, verdict
from callcast_stack.nats import start_nats_server
from callcast_stack.ports import free_port
from callcast_stack.postgres import database_name, drop_database, fresh_database_url, postgres_from_env_or_start

LIMITS = {"launch_to_first_dial_s": 1.0, "dial_commands_per_second": 5000.0}
HEADERS_ORG = "X-Callcast-Org-Id"


async def _copy_audience(conn: psycopg.AsyncConnection[Any], schema: str, org: str, audience: str, n: int) -> None:
    contacts = [(str(uuid.uuid4()), f"+2126{i:08d}") for i in range(n)]
    async with conn.cursor() as cur:
        async with cur.copy(f"COPY {schema}.contacts (org_id, id, phone, snapshot, revision) FROM STDIN") as copy:
            for cid, phone in contacts:
                snap = msgspec.json.encode({"id": cid, "primaryPhone": phone, "firstName": "Bench"}).decode()
                await copy.write_row((org, cid, phone, snap, 1))
        async with cur.copy(f"COPY {schema}.audience_members (org_id, audience_id, contact_id) FROM STDIN") as copy:
            for cid, _ in contacts:
                await copy.write_row((org, audience, cid))
    await conn.commit()


async def _flow(events: EventStore, org: str) -> FlowSnapshot:
    flow_id = str(uuid.uuid4())
    flow = FlowSnapshot(
        flow_id=flow_id,
        version=1,
        name="Bench",
        graph_hash=f"sha256:{flow_id}",
        start_node_id="dial-1",
        nodes=[
            {"id": "dial-1", "type": "dial", "config": {"timeout": 5000}, "outputs": {"onAnswer": "hangup-1"}},
            {"id": "hangup-1", "type": "hangup", "config": {}, "outputs": {}},
        ],
    )
    await events.append(
        subject(Context.FLOWS, org, Aggregate.FLOW, flow_id),
        envelope(FlowVersionSaved(flow=flow), org_id=org, aggregate_id=flow_id),
        msg_id=f"flow-{flow_id}-v1",
    )
    return flow


def _started(server: uvicorn.Server) -> Any:
    async def probe() -> bool:
        return bool(server.started)

    return probe


async def _until(probe: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def bench_dispatch(nats_url: str, database_url: str, contacts: int) -> dict[str, Any]:
    from callcast_runtime.service import create_app
    from callcast_scheduler.bootstrap import build_spec

    settings = msgspec.structs.replace(
        load_settings("scheduler"),
        nats_url=nats_url,
        database_url=database_url,
        log_format="console",
        log_level="WARNING",
    )
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js, ALL_STREAMS)
    events = EventStore(js)
    org, audience = str(uuid.uuid4()), str(uuid.uuid4())
    headers = {HEADERS_ORG: org}
    # The observer is a consumer's pending count, polled: receiving 100,000 commands here would
    # take the scheduler's CPU (same process) and slow down what is measured.
    observer = await js.add_consumer(
        DIAL_COMMANDS.name,
        ConsumerConfig(
            filter_subject=f"{Context.DIAL}.{org}.>",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=300,
        ),
    )

    async def stored() -> int:
        info = await js.consumer_info(DIAL_COMMANDS.name, observer.name)
        return int(info.num_pending)

    app = create_app(build_spec(), settings)
    # A real server on this loop (litestar's test client would block this loop while a request
    # runs, and the observer could not see the first dial command during the launch).
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.ensure_future(server.serve())
    try:
        await _until(_started(server), 60, "the scheduler app")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                await _copy_audience(conn, settings.db_schema, org, audience, contacts)
                await conn.execute(
                    f"INSERT INTO {settings.db_schema}.org_limits (org_id, max_concurrent_calls, max_calls_per_second)"
                    " VALUES (%s, 100000, 10000)",
                    (org,),
                )
                await conn.commit()
            flow = await _flow(events, org)

            async def flow_copied() -> bool:
                async with await psycopg.AsyncConnection.connect(database_url) as conn:
                    cur = await conn.execute(
                        f"SELECT 1 FROM {settings.db_schema}.flow_versions WHERE flow_id = %s", (flow.flow_id,)
                    )
                    return await cur.fetchone() is not None

            await _until(flow_copied, 30, "the flow copy")
            did = await client.post("/api/dids", json={"number": "+212522999001", "country": "MA"}, headers=headers)
            assert did.status_code == 201, did.text
            program = await client.post(
                "/api/programs",
                json={
                    "name": "Bench",
                    "flowId": flow.flow_id,
                    "audienceId": audience,
                    "didPool": [did.json()["id"]],
                    "concurrency": min(contacts, 100_000),
                },
                headers=headers,
            )
            assert program.status_code == 201, program.text
            answered: list[float] = []

            async def launch_program() -> Any:
                response = await client.post(f"/api/programs/{program.json()['id']}/launch", headers=headers)
                answered.append(time.perf_counter())
                return response

            t0 = time.perf_counter()
            launch = asyncio.ensure_future(launch_program())
            while await stored() == 0:  # noqa: ASYNC110  (polling the server is the point)
                await asyncio.sleep(0.005)
            first_at = time.perf_counter()
            deadline = first_at + max(60.0, contacts / 500)
            while (count := await stored()) < contacts and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            last_at = time.perf_counter()
            launched = await launch
            launch_response_s = answered[0] - t0
            assert launched.status_code == 201, launched.text
            elapsed = last_at - first_at
            info = await js.stream_info(DIAL_COMMANDS.name, subjects_filter=f"{Context.DIAL}.{org}.>")
            per_subject = dict(info.state.subjects or {})
            stats = dict(app.state.runtime.components["scheduler"].dispatch_stats)
            await js.delete_consumer(DIAL_COMMANDS.name, observer.name)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 30)
        with contextlib.suppress(Exception):
            await js.purge_stream(DIAL_COMMANDS.name, subject=f"{Context.DIAL}.{org}.>")
        await nc.close()
    return {
        "contacts": contacts,
        "launch_to_first_dial_s": round(first_at - t0, 3),
        "launch_response_s": round(launch_response_s, 3),
        "dial_commands": count,
        "dispatcher": stats,
        "dispatch_seconds": round(elapsed, 3),
        "dial_commands_per_second": round((count - 1) / elapsed, 1) if elapsed > 0 else 0.0,
        "exactly_once": {
            "attempt_subjects": len(per_subject),
            "stored_dial_commands": sum(per_subject.values()),
            "passed": len(per_subject) == contacts and all(v == 1 for v in per_subject.values()),
        },
    }


async def run_dispatch_bench(*, contacts: int = 100_000) -> dict[str, Any]:
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="callcast-bench-") as tmp, start_nats_server(Path(tmp) / "nats") as server:
        pg, admin_url = postgres_from_env_or_start(Path(tmp) / "pg")
        with pg:
            database_url = fresh_database_url(admin_url, prefix="callcast_bench_dispatch")
            try:
                figures = await bench_dispatch(server.url, database_url, contacts)
            finally:
                with contextlib.suppress(Exception):
                    drop_database(admin_url, database_name(database_url))
    checks = [
        check("launch_to_first_dial_s", figures["launch_to_first_dial_s"], LIMITS["launch_to_first_dial_s"], "<="),
        check(
            "dial_commands_per_second", figures["dial_commands_per_second"], LIMITS["dial_commands_per_second"], ">="
        ),
        check("dial_commands_exactly_once", float(figures["exactly_once"]["passed"]), 1.0, ">="),
    ]
    return {
        **figures,
        "checks": checks,
        "passed": verdict(checks),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
