"""``OrderedProjection`` on a real JetStream and PostgreSQL: replicas side by side, one stopped in
the middle and another joining late, apply every event exactly once and in stream order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from callcast_contracts.envelope import envelope
from callcast_contracts.events import ContactDeleted
from callcast_contracts.streams import StreamSpec
from callcast_runtime.db import Pool, open_pool
from callcast_runtime.messaging import Delivery, EventStore, ensure_streams
from callcast_runtime.migrations import apply_migrations
from callcast_runtime.ordered_projection import OrderedProjection

pytestmark = pytest.mark.integration

SCHEMA = "ordered_projection_test"


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


@pytest.fixture
async def pool(new_database: Callable[[], str]) -> AsyncIterator[Pool]:
    url = new_database()
    await apply_migrations(url, SCHEMA, None)  # projection_positions
    pool = await open_pool(url, SCHEMA, max_size=4)
    async with pool.connection() as conn:
        await conn.execute("CREATE TABLE applied (n bigserial PRIMARY KEY, seq bigint NOT NULL, by text NOT NULL)")
    yield pool
    await pool.close()


def _projection(stream: StreamSpec, replica: str, batch_size: int = 50) -> OrderedProjection:
    async def apply(conn: Any, d: Delivery) -> None:
        await conn.execute("INSERT INTO applied (seq, by) VALUES (%s, %s)", (d.seq, replica))

    view_subject = stream.subjects[0].removesuffix(">") + "view.>"
    return OrderedProjection(
        name="test-view", stream=stream, subject=view_subject, apply=apply, batch_size=batch_size, instance_id=replica
    )


async def _publish(js: JetStreamContext, stream: StreamSpec, count: int) -> list[int]:
    """``count`` events on the view's subjects, each followed by one on a subject it does not
    follow: the view's stream sequences have holes that must not look like lost messages."""
    store, org = EventStore(js), str(uuid.uuid4())
    prefix = stream.subjects[0].removesuffix(">")
    seqs = []
    for n in range(count):
        for part in ("view", "other"):
            contact = str(uuid.uuid4())
            appended = await store.append(
                f"{prefix}{part}.{n % 7}",
                envelope(ContactDeleted(contact_id=contact), org_id=org, aggregate_id=contact),
                msg_id=f"ordered-{contact}",
            )
            if part == "view":
                seqs.append(appended.seq)
    return seqs


async def _applied(pool: Pool) -> list[tuple[int, str]]:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT seq, by FROM applied ORDER BY n")
        return [(int(r["seq"]), str(r["by"])) for r in await cur.fetchall()]


async def _until_applied(pool: Pool, count: int, timeout: float = 30.0) -> list[tuple[int, str]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await _applied(pool)
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


async def test_replicas_side_by_side_apply_each_event_once_in_stream_order(js: JetStreamContext, pool: Pool) -> None:
    token = uuid.uuid4().hex[:8]
    stream = StreamSpec(name=f"ORDERED_{token}", subjects=(f"ordered{token}.>",), description="test")
    await ensure_streams(js, [stream])
    seqs = await _publish(js, stream, 300)
    # Batches of different sizes: the replicas' batches overlap in part, not only whole.
    replicas = [_projection(stream, name, size) for name, size in (("a", 50), ("b", 37), ("c", 23))]
    tasks = [asyncio.create_task(p.run(js, pool)) for p in replicas]
    try:
        seqs += await _publish(js, stream, 300)  # while they run
        rows = await _until_applied(pool, len(seqs))
        await asyncio.sleep(0.3)  # a late duplicate would land now
        rows = await _applied(pool)
        assert [seq for seq, _ in rows] == seqs
        for p in replicas:
            assert await p.caught_up(js)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)
        await js.delete_stream(stream.name)


async def test_a_replica_stopped_midway_and_one_joining_late_leave_no_gap(js: JetStreamContext, pool: Pool) -> None:
    token = uuid.uuid4().hex[:8]
    stream = StreamSpec(name=f"ORDERED_{token}", subjects=(f"ordered{token}.>",), description="test")
    await ensure_streams(js, [stream])
    seqs = await _publish(js, stream, 200)
    first = asyncio.create_task(_projection(stream, "first").run(js, pool))
    await _until_applied(pool, 50)
    first.cancel()  # stopped between two batches, or in the middle of one (rolled back)
    await asyncio.wait_for(asyncio.gather(first, return_exceptions=True), 15)
    seqs += await _publish(js, stream, 200)
    late = _projection(stream, "late")
    task = asyncio.create_task(late.run(js, pool))
    try:
        rows = await _until_applied(pool, len(seqs))
        assert [seq for seq, _ in rows] == seqs
        assert {by for _, by in rows} == {"first", "late"}
        assert await late.caught_up(js)
        # Consumers are per run: the stopped replica's one was removed.
        names = [c.name for c in await js.consumers_info(stream.name)]
        assert len(names) == 1
        assert names[0].startswith("test-view-late-")
    finally:
        task.cancel()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 15)
        await js.delete_stream(stream.name)
