"""Contacts in PostgreSQL (table ``contacts``), always scoped to one organization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql
from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from callcast_contact.adapters.sql import Conn, like_pattern
from callcast_contact.domain.contacts import EDITABLE_FIELDS, Contact
from callcast_runtime.api import PageQuery

COLUMNS = ("id", "org_id", *EDITABLE_FIELDS, "custom_attributes", "revision", "created_at", "updated_at", "deleted_at")

#: API sort keys → columns.
SORT_COLUMNS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "primaryPhone": "primary_phone",
    "primaryEmail": "primary_email",
    "createdAt": "created_at",
}
#: Columns ``search`` looks in (digest §2).
SEARCH_COLUMNS = ("first_name", "last_name", "full_name", "primary_phone", "primary_email")


def contact_from_row(row: dict[str, Any]) -> Contact:
    values = {name: row[name] for name in COLUMNS}
    values["id"] = str(row["id"])
    values["org_id"] = str(row["org_id"])
    values["channels"] = list(row["channels"]) if row["channels"] is not None else None
    values["custom_attributes"] = dict(row["custom_attributes"] or {})
    return Contact(**values)


def _params(contact: Contact) -> dict[str, Any]:
    params: dict[str, Any] = {name: getattr(contact, name) for name in COLUMNS}
    params["custom_attributes"] = Jsonb(contact.custom_attributes)
    return params


def order_by(
    q: PageQuery, sort_columns: dict[str, str], table: str = "", tie_table: str | None = None
) -> sql.Composable:
    """Nulls last either way; the id (of ``tie_table``, default ``table``) breaks ties so pages never overlap."""
    direction = sql.SQL("ASC" if q.sort_order == "asc" else "DESC")

    def qualified(t: str, column: str) -> sql.Composable:
        return sql.Identifier(t, column) if t else sql.Identifier(column)

    return sql.SQL("ORDER BY {col} {dir} NULLS LAST, {id} {dir}").format(
        col=qualified(table, sort_columns[q.sort_by]),
        dir=direction,
        id=qualified(table if tie_table is None else tie_table, "id"),
    )


def search_clause(search: str | None, columns: Sequence[str], table: str = "") -> tuple[sql.Composable, list[str]]:
    """`` AND (col ILIKE %s OR …)`` and its parameters; nothing without a search."""
    if not search:
        return sql.SQL(""), []
    ors = sql.SQL(" OR ").join(
        sql.SQL("{} ILIKE %s").format(sql.Identifier(table, c) if table else sql.Identifier(c)) for c in columns
    )
    return sql.SQL(" AND (") + ors + sql.SQL(")"), [like_pattern(search)] * len(columns)


class ContactsRepository:
    def __init__(self, conn: Conn, org_id: str) -> None:
        self.conn = conn
        self.org_id = org_id

    async def insert(self, contact: Contact) -> bool:
        """False when a live contact of the organization already has this phone."""
        columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
        values = sql.SQL(", ").join(sql.Placeholder(c) for c in COLUMNS)
        query = sql.SQL(
            "INSERT INTO contacts ({columns}) VALUES ({values}) "
            "ON CONFLICT (org_id, primary_phone) WHERE deleted_at IS NULL DO NOTHING RETURNING id"
        ).format(columns=columns, values=values)
        cur = await self.conn.execute(query, _params(contact))
        return await cur.fetchone() is not None

    async def get(self, contact_id: str, *, for_update: bool = False) -> Contact | None:
        """A live (not deleted) contact of the organization."""
        query = "SELECT * FROM contacts WHERE id = %s AND org_id = %s AND deleted_at IS NULL"
        cur = await self.conn.execute(query + (" FOR NO KEY UPDATE" if for_update else ""), (contact_id, self.org_id))
        row = await cur.fetchone()
        return contact_from_row(row) if row else None

    async def live_id_with_phone(self, phone: str) -> str | None:
        cur = await self.conn.execute(
            "SELECT id FROM contacts WHERE org_id = %s AND primary_phone = %s AND deleted_at IS NULL",
            (self.org_id, phone),
        )
        row = await cur.fetchone()
        return str(row["id"]) if row else None

    async def live_ids_by_phone(self, phones: Sequence[str]) -> dict[str, str]:
        """phone → id of the live contact that has it, for the phones that have one."""
        cur = await self.conn.execute(
            "SELECT primary_phone, id FROM contacts WHERE org_id = %s AND deleted_at IS NULL"
            " AND primary_phone = ANY(%s::text[])",
            (self.org_id, list(phones)),
        )
        return {row["primary_phone"]: str(row["id"]) for row in await cur.fetchall()}

    async def update(self, contact: Contact) -> bool:
        """False when another live contact already has the new phone."""
        sets = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c))
            for c in (*EDITABLE_FIELDS, "custom_attributes", "revision", "updated_at")
        )
        query = sql.SQL("UPDATE contacts SET {sets} WHERE id = %(id)s AND org_id = %(org_id)s").format(sets=sets)
        try:
            # A savepoint, so that losing a race for the phone leaves the outer transaction usable.
            async with self.conn.transaction():
                await self.conn.execute(query, _params(contact))
        except UniqueViolation:
            return False
        return True

    async def mark_deleted(self, contact: Contact) -> None:
        await self.conn.execute(
            "UPDATE contacts SET deleted_at = %s, revision = %s, updated_at = %s WHERE id = %s AND org_id = %s",
            (contact.deleted_at, contact.revision, contact.updated_at, contact.id, self.org_id),
        )

    async def live_ids_among(self, contact_ids: Sequence[str], *, lock: bool = False) -> set[str]:
        """The ids that are live contacts of the organization.

        ``lock`` holds them (FOR SHARE) until the transaction ends, so a concurrent delete waits
        and then sees the new membership rather than racing past it. Lock order everywhere:
        contacts first, then audiences.
        """
        query = "SELECT id FROM contacts WHERE org_id = %s AND deleted_at IS NULL AND id = ANY(%s::uuid[]) ORDER BY id"
        cur = await self.conn.execute(query + (" FOR SHARE" if lock else ""), (self.org_id, list(contact_ids)))
        return {str(row["id"]) for row in await cur.fetchall()}

    async def page(self, q: PageQuery) -> tuple[list[Contact], int]:
        where, params = search_clause(q.search, SEARCH_COLUMNS)
        base = sql.SQL("FROM contacts WHERE org_id = %s AND deleted_at IS NULL") + where
        cur = await self.conn.execute(sql.SQL("SELECT count(*) AS n ") + base, [self.org_id, *params])
        total = int((await cur.fetchone() or {"n": 0})["n"])
        query = sql.SQL("SELECT * ") + base + sql.SQL(" ") + order_by(q, SORT_COLUMNS) + sql.SQL(" LIMIT %s OFFSET %s")
        cur = await self.conn.execute(query, [self.org_id, *params, q.limit, q.offset])
        return [contact_from_row(row) for row in await cur.fetchall()], total
