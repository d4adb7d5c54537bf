"""One transaction per command: the change and its events (outbox rows) commit together.

Handlers open ``uow.transaction(org_id)``, change rows through the repositories and ``publish``
events; the events are written to the outbox in the same transaction just before it commits, and
the outbox relay is woken once it has. A rolled-back change leaves no event behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from callcast_contact.adapters.attributes_repository import AttributesRepository
from callcast_contact.adapters.audiences_repository import AudiencesRepository
from callcast_contact.adapters.contacts_repository import ContactsRepository
from callcast_contact.adapters.sql import Conn
from callcast_contact.domain.messages import Outgoing
from callcast_runtime.db import Pool
from callcast_runtime.outbox import OutboxRelay, enqueue


class Transaction:
    def __init__(self, conn: Conn, org_id: str) -> None:
        self.conn = conn
        self.org_id = org_id
        #: One clock reading per command: every row it touches gets the same timestamp.
        self.now = datetime.now(UTC)
        self.contacts = ContactsRepository(conn, org_id)
        self.attributes = AttributesRepository(conn, org_id)
        self.audiences = AudiencesRepository(conn, org_id)
        self.outgoing: list[Outgoing] = []

    def publish(self, message: Outgoing) -> None:
        self.outgoing.append(message)

    async def _write_outbox(self) -> None:
        if not self.outgoing:
            return
        # Pipelined: a bulk upsert's thousand events cost about one round trip, not a thousand.
        async with self.conn.pipeline():
            for message in self.outgoing:
                await enqueue(self.conn, message.subject, message.envelope, msg_id=message.msg_id)


class UnitOfWork:
    def __init__(self, pool: Pool, relay: OutboxRelay | None) -> None:
        self.pool = pool
        self.relay = relay

    @asynccontextmanager
    async def transaction(self, org_id: str) -> AsyncIterator[Transaction]:
        async with self.pool.connection() as conn, conn.transaction():
            tx = Transaction(conn, org_id)
            yield tx
            await tx._write_outbox()
        if tx.outgoing and self.relay is not None:
            self.relay.wake()

    @asynccontextmanager
    async def reading(self, org_id: str) -> AsyncIterator[Transaction]:
        """For queries: a transaction that publishes nothing."""
        async with self.pool.connection() as conn, conn.transaction():
            yield Transaction(conn, org_id)
