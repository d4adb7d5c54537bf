"""Transactional outbox for CRUD-shaped services.

``enqueue`` writes the event in the caller's transaction; the ``OutboxRelay`` publishes committed
rows in order with their ``Nats-Msg-Id`` and deletes them once JetStream has stored them. A crash
between publish and delete republishes on restart, and JetStream's duplicate window drops it.
Only one relay per schema publishes at a time (an advisory lock), which keeps per-aggregate order.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import msgspec
import psycopg
from nats.js import JetStreamContext

from callcast_contracts.envelope import Envelope, encode
from callcast_contracts.subjects import (
    EVENT_TYPE_HEADER,
    EVENT_VERSION_HEADER,
    MSG_ID_HEADER,
    ORG_HEADER,
)
from callcast_runtime.db import Pool
from callcast_runtime.logging import get_logger
from callcast_runtime.tracing import inject_headers

log = get_logger(__name__)

ACK_TIMEOUT_S = 10.0


async def enqueue(conn: psycopg.AsyncConnection[Any], subject: str, env: Envelope[Any], *, msg_id: str) -> None:
    headers = inject_headers(
        {
            EVENT_TYPE_HEADER: env.type,
            EVENT_VERSION_HEADER: str(env.version),
            ORG_HEADER: env.org_id,
        }
    )
    await conn.execute(
        "INSERT INTO outbox (subject, msg_id, headers, payload) VALUES (%s, %s, %s, %s)",
        (subject, msg_id, msgspec.json.encode(headers).decode(), encode(env)),
    )


class OutboxRelay:
    def __init__(self, pool: Pool, js: JetStreamContext, schema: str, *, batch: int = 500) -> None:
        self.pool = pool
        self.js = js
        self.schema = schema
        self.batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._lock_key = zlib.crc32(f"callcast-outbox-{schema}".encode())

    def wake(self) -> None:
        """Call after committing a transaction that enqueued events: publish without waiting."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.schema}")

    async def stop(self) -> None:
        # A flag as well as cancel(): on Python 3.11 a cancellation that races with the relay's
        # wait timeout can be swallowed (it surfaces as TimeoutError), and stop() would wait
        # forever for a task that goes on relaying.
        self._stopping = True
        self._wake.set()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        while not self._stopping:
            try:
                async with self.pool.connection() as lock_conn:
                    await lock_conn.set_autocommit(True)
                    cur = await lock_conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (self._lock_key,))
                    row = await cur.fetchone()
                    if not row or not row["ok"]:
                        await asyncio.sleep(2.0)
                        continue
                    try:
                        await self._relay_while_leader()
                    finally:
                        await lock_conn.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", schema=self.schema)
                await asyncio.sleep(1.0)

    async def _relay_while_leader(self) -> None:
        while not self._stopping:
            sent = await self.publish_pending()
            if sent < self.batch:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=0.5)
                except TimeoutError:
                    pass

    async def publish_pending(self) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT position, subject, msg_id, headers, payload FROM outbox ORDER BY position LIMIT %s",
                (self.batch,),
            )
            rows = await cur.fetchall()
            if not rows:
                return 0
            # Pipelined publishes in position order; rows go only after every ack arrived. A
            # failed batch is sent again whole and the duplicate window drops what was stored.
            futures = []
            for row in rows:
                headers = dict(row["headers"])
                headers[MSG_ID_HEADER] = row["msg_id"]
                futures.append(await self.js.publish_async(row["subject"], bytes(row["payload"]), headers=headers))
            # A lost ack (reconnect, failover) must not hold the relay, and its lock, forever: on
            # timeout the batch is sent again and the duplicate window drops what was stored.
            await asyncio.wait_for(asyncio.gather(*futures), timeout=ACK_TIMEOUT_S)
            # Delete exactly the rows sent: a transaction holding a lower position may commit
            # after the SELECT, and ``position <= last`` would delete its row unpublished.
            await conn.execute("DELETE FROM outbox WHERE position = ANY(%s)", ([row["position"] for row in rows],))
            await conn.commit()
            return len(rows)
