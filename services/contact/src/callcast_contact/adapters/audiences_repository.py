"""Audiences and their membership in PostgreSQL (tables ``audiences``, ``audience_members``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from callcast_contact.adapters.contacts_repository import SORT_COLUMNS as CONTACT_SORT_COLUMNS
from callcast_contact.adapters.contacts_repository import contact_from_row, order_by, search_clause
from callcast_contact.adapters.sql import Conn
from callcast_contact.domain.audiences import Audience, AudienceType
from callcast_contact.domain.contacts import Contact
from callcast_runtime.api import PageQuery

COLUMNS = (
    "id",
    "org_id",
    "name",
    "description",
    "type",
    "rules",
    "revision",
    "created_at",
    "updated_at",
    "deleted_at",
)
SORT_COLUMNS = {"name": "name", "createdAt": "created_at", "updatedAt": "updated_at"}
SEARCH_COLUMNS = ("name", "description")
MEMBER_SEARCH_COLUMNS = ("first_name", "last_name", "primary_phone")
MEMBER_SORT_COLUMNS = {**CONTACT_SORT_COLUMNS, "addedAt": "added_at"}

_ACTIVE_COUNT = "(SELECT count(*) FROM audience_members m WHERE m.audience_id = audiences.id AND m.removed_at IS NULL)"


def audience_from_row(row: dict[str, Any]) -> Audience:
    values = {name: row[name] for name in COLUMNS}
    values["id"] = str(row["id"])
    values["org_id"] = str(row["org_id"])
    values["type"] = AudienceType(row["type"])
    return Audience(**values)


class AudiencesRepository:
    def __init__(self, conn: Conn, org_id: str) -> None:
        self.conn = conn
        self.org_id = org_id

    async def insert(self, audience: Audience) -> None:
        params = {name: getattr(audience, name) for name in COLUMNS}
        params["type"] = str(audience.type)
        params["rules"] = Jsonb(audience.rules) if audience.rules is not None else None
        await self.conn.execute(
            sql.SQL("INSERT INTO audiences ({columns}) VALUES ({values})").format(
                columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
                values=sql.SQL(", ").join(sql.Placeholder(c) for c in COLUMNS),
            ),
            params,
        )

    async def get(self, audience_id: str, *, for_update: bool = False) -> Audience | None:
        query = "SELECT * FROM audiences WHERE id = %s AND org_id = %s AND deleted_at IS NULL"
        cur = await self.conn.execute(query + (" FOR NO KEY UPDATE" if for_update else ""), (audience_id, self.org_id))
        row = await cur.fetchone()
        return audience_from_row(row) if row else None

    async def lock_all(self, audience_ids: Sequence[str]) -> list[Audience]:
        """Live audiences among ``audience_ids``, locked in id order (a fixed order: no deadlocks)."""
        cur = await self.conn.execute(
            "SELECT * FROM audiences WHERE org_id = %s AND deleted_at IS NULL AND id = ANY(%s::uuid[])"
            " ORDER BY id FOR NO KEY UPDATE",
            (self.org_id, list(audience_ids)),
        )
        return [audience_from_row(row) for row in await cur.fetchall()]

    async def live_rule_audiences(self, *, lock: bool = False) -> list[Audience]:
        """The organization's live (rule-based) audiences."""
        query = "SELECT * FROM audiences WHERE org_id = %s AND deleted_at IS NULL AND type = 'live' ORDER BY id"
        cur = await self.conn.execute(query + (" FOR NO KEY UPDATE" if lock else ""), (self.org_id,))
        return [audience_from_row(row) for row in await cur.fetchall()]

    async def save(self, audience: Audience) -> None:
        await self.conn.execute(
            "UPDATE audiences SET name = %s, description = %s, rules = %s, revision = %s, updated_at = %s,"
            " deleted_at = %s WHERE id = %s AND org_id = %s",
            (
                audience.name,
                audience.description,
                Jsonb(audience.rules) if audience.rules is not None else None,
                audience.revision,
                audience.updated_at,
                audience.deleted_at,
                audience.id,
                self.org_id,
            ),
        )

    async def contact_count(self, audience_id: str) -> int:
        cur = await self.conn.execute(
            "SELECT count(*) AS n FROM audience_members WHERE audience_id = %s AND removed_at IS NULL", (audience_id,)
        )
        return int((await cur.fetchone() or {"n": 0})["n"])

    async def page(self, q: PageQuery) -> tuple[list[tuple[Audience, int]], int]:
        where, params = search_clause(q.search, SEARCH_COLUMNS)
        base = sql.SQL("FROM audiences WHERE org_id = %s AND deleted_at IS NULL") + where
        cur = await self.conn.execute(sql.SQL("SELECT count(*) AS n ") + base, [self.org_id, *params])
        total = int((await cur.fetchone() or {"n": 0})["n"])
        query = (
            sql.SQL("SELECT *, " + _ACTIVE_COUNT + " AS contact_count ")
            + base
            + sql.SQL(" ")
            + order_by(q, SORT_COLUMNS)
            + sql.SQL(" LIMIT %s OFFSET %s")
        )
        cur = await self.conn.execute(query, [self.org_id, *params, q.limit, q.offset])
        return [(audience_from_row(row), int(row["contact_count"])) for row in await cur.fetchall()], total

    # Membership --------------------------------------------------------------------------------

    async def add_members(self, audience_id: str, contact_ids: Sequence[str], now: datetime) -> list[str]:
        """Contacts that became members (already-active members are left as they are)."""
        cur = await self.conn.execute(
            "INSERT INTO audience_members AS m (audience_id, contact_id, added_at)"
            " SELECT %s, c, %s FROM unnest(%s::uuid[]) AS c ORDER BY c"
            " ON CONFLICT (audience_id, contact_id) DO UPDATE SET added_at = excluded.added_at, removed_at = NULL"
            " WHERE m.removed_at IS NOT NULL RETURNING contact_id",
            (audience_id, now, list(contact_ids)),
        )
        return sorted(str(row["contact_id"]) for row in await cur.fetchall())

    async def remove_members(self, audience_id: str, contact_ids: Sequence[str], now: datetime) -> list[str]:
        """Contacts that stopped being members (non-members are ignored)."""
        cur = await self.conn.execute(
            "UPDATE audience_members SET removed_at = %s"
            " WHERE audience_id = %s AND contact_id = ANY(%s::uuid[]) AND removed_at IS NULL RETURNING contact_id",
            (now, audience_id, list(contact_ids)),
        )
        return sorted(str(row["contact_id"]) for row in await cur.fetchall())

    async def audiences_of(self, contact_id: str) -> list[str]:
        """Audiences (of this organization, not deleted) the contact is an active member of."""
        cur = await self.conn.execute(
            "SELECT m.audience_id FROM audience_members m JOIN audiences a ON a.id = m.audience_id"
            " WHERE m.contact_id = %s AND m.removed_at IS NULL AND a.org_id = %s AND a.deleted_at IS NULL"
            " ORDER BY m.audience_id",
            (contact_id, self.org_id),
        )
        return [str(row["audience_id"]) for row in await cur.fetchall()]

    async def members_among(self, audience_id: str, contact_ids: Sequence[str]) -> set[str]:
        cur = await self.conn.execute(
            "SELECT contact_id FROM audience_members"
            " WHERE audience_id = %s AND contact_id = ANY(%s::uuid[]) AND removed_at IS NULL",
            (audience_id, list(contact_ids)),
        )
        return {str(row["contact_id"]) for row in await cur.fetchall()}

    async def member_ids(self, audience_id: str) -> set[str]:
        cur = await self.conn.execute(
            "SELECT contact_id FROM audience_members WHERE audience_id = %s AND removed_at IS NULL", (audience_id,)
        )
        return {str(row["contact_id"]) for row in await cur.fetchall()}

    async def members_page(self, audience_id: str, q: PageQuery, *, exited: bool = False) -> tuple[list[Contact], int]:
        where, params = search_clause(q.search, MEMBER_SEARCH_COLUMNS, table="c")
        state = "m.removed_at IS NOT NULL" if exited else "m.removed_at IS NULL"
        base = (
            sql.SQL(
                "FROM audience_members m JOIN contacts c ON c.id = m.contact_id"
                " WHERE m.audience_id = %s AND c.org_id = %s AND c.deleted_at IS NULL AND " + state
            )
            + where
        )
        args = [audience_id, self.org_id, *params]
        cur = await self.conn.execute(sql.SQL("SELECT count(*) AS n ") + base, args)
        total = int((await cur.fetchone() or {"n": 0})["n"])
        ordering = order_by(q, MEMBER_SORT_COLUMNS, table="m" if q.sort_by == "addedAt" else "c", tie_table="c")
        query = sql.SQL("SELECT c.* ") + base + sql.SQL(" ") + ordering + sql.SQL(" LIMIT %s OFFSET %s")
        cur = await self.conn.execute(query, [*args, q.limit, q.offset])
        return [contact_from_row(row) for row in await cur.fetchall()], total


async def iterate_live_contacts(conn: Conn, org_id: str, *, chunk: int = 1000) -> AsyncIterator[list[Contact]]:
    """Every live contact of the organization, in chunks (a server-side cursor keeps memory flat)."""
    async with conn.cursor(name="live_contacts") as cur:
        await cur.execute("SELECT * FROM contacts WHERE org_id = %s AND deleted_at IS NULL ORDER BY id", (org_id,))
        while rows := await cur.fetchmany(chunk):
            yield [contact_from_row(row) for row in rows]
