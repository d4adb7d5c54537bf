"""A PostgreSQL view fed from a JetStream stream strictly in stream order, on every replica.

Why not a shared durable consumer: two replicas pulling from one durable get interleaved batches,
and a view guarded by one stored position (``projection_positions``) then skips whatever a faster
replica already moved past — seen as job rows stuck behind their subjects. Here each replica reads
the stream with a consumer of its own, started from the position the view stored, with no acks
(the stored position is the acknowledgement). Each batch is applied in one transaction that first
locks the position row: replicas take turns, and a replica skips the events at or below the
position another one committed. A batch in one transaction is also what makes a replay or a
dispatch burst cheap (one commit per batch, not per event).

A consumer that loses a message (a gap in its consumer sequence), errs or disappears is dropped and
re-created from the stored position, so nothing is ever skipped; a handler error rolls the batch
back and the batch is tried again after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import nats.errors
import nats.js.errors
import psycopg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import context as otel_context
from opentelemetry import trace

from callcast_contracts.envelope import UnknownEventType, decode
from callcast_contracts.streams import StreamSpec
from callcast_runtime.db import Pool
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import Delivery
from callcast_runtime.tracing import extract_context, tracer

log = get_logger(__name__)

ApplyOne = Callable[[psycopg.AsyncConnection[Any], Delivery], Awaitable[None]]
ApplyMany = Callable[[psycopg.AsyncConnection[Any], list[Delivery]], Awaitable[None]]
Split = Callable[[list[Delivery]], list[list[Delivery]]]
AfterCommit = Callable[[list[Delivery]], None]

#: A consumer nobody fetches from for this long is removed by the server (a replica that died).
INACTIVE_THRESHOLD_S = 120.0
RETRY_PAUSE_S = 0.5
IDLE_POLL_S = 5.0
LOCK_TIMEOUT_S = 10.0
DRAIN_POLL_S = 0.05


@dataclass(eq=False)
class OrderedProjection:
    #: The view's key in ``projection_positions``.
    name: str
    stream: StreamSpec
    subject: str
    #: Applies one event inside the batch's transaction (no commit of its own).
    apply: ApplyOne
    #: When set, applies a part's new events (in order) instead of ``apply`` one by one: for a
    #: view that turns runs of like events into one statement.
    apply_many: ApplyMany | None = None
    #: Cuts a fetched batch into parts, each applied and committed on its own (default: the whole
    #: batch in one). A view whose events lock rows that other writers lock in another order keeps
    #: them apart, so that one transaction never holds the one while it waits for the other.
    split: Split | None = None
    #: Runs after a batch committed, with the events that batch applied (e.g. wake a loop).
    after_commit: AfterCommit | None = None
    batch_size: int = 500
    #: Names the replica's consumer (for operators reading ``nats consumer ls``).
    instance_id: str = ""
    _consumer: str | None = field(default=None, init=False)
    _applied_through: int = field(default=0, init=False)

    async def run(self, js: JetStreamContext, pool: Pool) -> None:
        """Follow the stream until cancelled; every failure starts again from the stored position."""
        while True:
            try:
                await self._follow(js, pool)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projection consumer failed; re-reading from the stored position", projection=self.name)
                await asyncio.sleep(RETRY_PAUSE_S)

    async def caught_up(self, js: JetStreamContext) -> bool:
        """True when every event stored so far on the subject is applied (by any replica)."""
        if self._consumer is None:
            return False
        try:
            info = await js.consumer_info(self.stream.name, self._consumer)
        except nats.js.errors.NotFoundError:
            return False
        delivered = int(info.delivered.stream_seq or 0) if info.delivered else 0
        return not info.num_pending and delivered <= self._applied_through

    async def _follow(self, js: JetStreamContext, pool: Pool) -> None:
        start = await self._stored_position(pool) + 1
        name = _consumer_name(self.name, self.instance_id)
        await js.add_consumer(
            self.stream.name,
            ConsumerConfig(
                name=name,
                filter_subject=self.subject,
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=start,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=INACTIVE_THRESHOLD_S,
                mem_storage=True,
                num_replicas=1,
                description=f"{self.name} projection of one replica (position in PostgreSQL)",
            ),
        )
        sub = await js.pull_subscribe_bind(consumer=name, stream=self.stream.name)
        self._consumer, self._applied_through = name, start - 1
        expected = 1  # the consumer's own sequence: contiguous, so a lost message shows as a gap
        idle = False
        try:
            while True:
                # nats-py's fetch of n waits out its whole timeout once a long poll has begun,
                # unless n messages come: idle, wait for one (it returns on arrival), then take
                # what is there in batches (answered at once, the server says when none are left).
                try:
                    if idle:
                        msgs = await sub.fetch(1, timeout=IDLE_POLL_S)
                    else:
                        msgs = await sub.fetch(self.batch_size, timeout=DRAIN_POLL_S)
                except (nats.errors.TimeoutError, TimeoutError):
                    idle = True
                    _raise_if_cancelled()
                    continue
                _raise_if_cancelled()
                idle = False
                batch: list[Delivery] = []
                for msg in msgs:
                    meta = msg.metadata
                    if meta.sequence.consumer != expected:
                        raise RuntimeError(f"consumer gap: expected {expected}, got {meta.sequence.consumer}")
                    expected += 1
                    delivery = _delivery(msg, self.name)
                    if delivery is not None:
                        batch.append(delivery)
                last_seq = msgs[-1].metadata.sequence.stream if msgs else self._applied_through
                applied = await self._apply_until_done(pool, batch, last_seq)
                self._applied_through = max(self._applied_through, last_seq)
                if applied and self.after_commit is not None:
                    self.after_commit(applied)
        finally:
            self._consumer = None
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            with contextlib.suppress(Exception):
                await js.delete_consumer(self.stream.name, name)

    async def _apply_until_done(self, pool: Pool, batch: list[Delivery], last_seq: int) -> list[Delivery]:
        while True:
            try:
                return await self._apply(pool, batch, last_seq)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projection batch failed; will retry", projection=self.name, last_seq=last_seq)
                await asyncio.sleep(RETRY_PAUSE_S)

    async def _apply(self, pool: Pool, batch: list[Delivery], last_seq: int) -> list[Delivery]:
        parts = self.split(batch) if self.split is not None and batch else [batch]
        applied: list[Delivery] = []
        for i, part in enumerate(parts):
            # The last part also moves past what the batch skipped (event types unknown here).
            end = last_seq if i == len(parts) - 1 else part[-1].seq
            applied += await self._apply_part(pool, part, end)
        return applied

    async def _apply_part(self, pool: Pool, part: list[Delivery], end: int) -> list[Delivery]:
        async with pool.connection() as conn, conn.transaction():
            # Bounded: a transaction that another replica left open (a process stopped while it
            # held the position) fails this batch, which is tried again, instead of a wait forever.
            await conn.execute(f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_S * 1000)}ms'")
            position = await _lock_position(conn, self.name)
            if end <= position:
                return []  # another replica applied it
            todo = [d for d in part if d.seq > position]
            if self.apply_many is None:
                for d in todo:
                    with self._span(d, 1):
                        await self.apply(conn, d)
            elif todo:
                # One span for the part, in the trace of its first event.
                with self._span(todo[0], len(todo)):
                    await self.apply_many(conn, todo)
            await conn.execute("UPDATE projection_positions SET position = %s WHERE projection = %s", (end, self.name))
            return todo

    @contextlib.contextmanager
    def _span(self, d: Delivery, events: int) -> Iterator[None]:
        token = otel_context.attach(extract_context(d.headers))
        try:
            with tracer().start_as_current_span(
                f"{self.name} {d.envelope.type}",
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": d.subject,
                    "messaging.batch.message_count": events,
                },
            ):
                yield
        finally:
            otel_context.detach(token)

    async def _stored_position(self, pool: Pool) -> int:
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT position FROM projection_positions WHERE projection = %s", (self.name,))
            row = await cur.fetchone()
        if row is None:
            return 0
        return int(row["position"] if isinstance(row, dict) else row[0])


async def _lock_position(conn: psycopg.AsyncConnection[Any], projection: str) -> int:
    await conn.execute(
        "INSERT INTO projection_positions (projection, position) VALUES (%s, 0) ON CONFLICT DO NOTHING",
        (projection,),
    )
    cur = await conn.execute(
        "SELECT position FROM projection_positions WHERE projection = %s FOR UPDATE", (projection,)
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["position"] if isinstance(row, dict) else row[0])


def _delivery(msg: Msg, projection: str) -> Delivery | None:
    try:
        env = decode(msg.data)
    except UnknownEventType as err:
        # A newer producer's event this build does not know: skipped (additive evolution); the
        # position still moves past it.
        log.warning("unknown event type skipped", projection=projection, type=str(err))
        return None
    return Delivery(
        seq=msg.metadata.sequence.stream,
        subject=msg.subject,
        envelope=env,
        headers=dict(msg.headers or {}),
        raw=msg,
    )


def _consumer_name(projection: str, instance_id: str) -> str:
    # A fresh suffix per run: a restarted replica never binds to its previous run's consumer,
    # whose position may be ahead of what was committed.
    raw = f"{projection}-{instance_id or 'replica'}-{uuid.uuid4().hex[:8]}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw)


def _raise_if_cancelled() -> None:
    """nats-py's fetch waits with ``asyncio.wait_for`` inside a task of its own; when a message
    comes just as this task is cancelled, Python 3.11's ``wait_for`` returns it and the cancel is
    lost (seen: a stopped replica went on fetching, and shutdown waited for it forever). The
    task still counts the request (``cancelling()``): honour it here."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
