"""Custom attribute definitions in PostgreSQL (table ``custom_attributes``)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from callcast_contact.adapters.contacts_repository import order_by, search_clause
from callcast_contact.adapters.sql import Conn
from callcast_contact.domain.attributes import AttributeDefinition, AttributeType
from callcast_runtime.api import PageQuery

COLUMNS = (
    "id",
    "org_id",
    "name",
    "display_name",
    "description",
    "type",
    "revision",
    "created_at",
    "updated_at",
    "deleted_at",
    "created_by",
    "updated_by",
    "deleted_by",
)
SORT_COLUMNS = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name", "displayName": "display_name"}
SEARCH_COLUMNS = ("name", "display_name", "description")


def definition_from_row(row: dict[str, Any]) -> AttributeDefinition:
    values = {name: row[name] for name in COLUMNS}
    values["id"] = str(row["id"])
    values["org_id"] = str(row["org_id"])
    values["type"] = AttributeType(row["type"])
    return AttributeDefinition(**values)


class AttributesRepository:
    def __init__(self, conn: Conn, org_id: str) -> None:
        self.conn = conn
        self.org_id = org_id

    async def types_by_name(self) -> dict[str, AttributeType]:
        """The organization's live definitions, as the contact validator needs them."""
        cur = await self.conn.execute(
            "SELECT name, type FROM custom_attributes WHERE org_id = %s AND deleted_at IS NULL", (self.org_id,)
        )
        return {row["name"]: AttributeType(row["type"]) for row in await cur.fetchall()}

    async def insert(self, definition: AttributeDefinition) -> bool:
        """False when a live definition of the organization already has this name."""
        params = {name: getattr(definition, name) for name in COLUMNS}
        params["type"] = str(definition.type)
        query = sql.SQL(
            "INSERT INTO custom_attributes ({columns}) VALUES ({values}) "
            "ON CONFLICT (org_id, name) WHERE deleted_at IS NULL DO NOTHING RETURNING id"
        ).format(
            columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
            values=sql.SQL(", ").join(sql.Placeholder(c) for c in COLUMNS),
        )
        cur = await self.conn.execute(query, params)
        return await cur.fetchone() is not None

    async def get(self, attribute_id: str, *, for_update: bool = False) -> AttributeDefinition | None:
        query = "SELECT * FROM custom_attributes WHERE id = %s AND org_id = %s AND deleted_at IS NULL"
        cur = await self.conn.execute(query + (" FOR NO KEY UPDATE" if for_update else ""), (attribute_id, self.org_id))
        row = await cur.fetchone()
        return definition_from_row(row) if row else None

    async def save_changes(self, definition: AttributeDefinition) -> None:
        await self.conn.execute(
            "UPDATE custom_attributes SET description = %s, revision = %s, updated_at = %s, updated_by = %s,"
            " deleted_at = %s, deleted_by = %s WHERE id = %s AND org_id = %s",
            (
                definition.description,
                definition.revision,
                definition.updated_at,
                definition.updated_by,
                definition.deleted_at,
                definition.deleted_by,
                definition.id,
                self.org_id,
            ),
        )

    async def page(self, q: PageQuery) -> tuple[list[AttributeDefinition], int]:
        where, params = search_clause(q.search, SEARCH_COLUMNS)
        base = sql.SQL("FROM custom_attributes WHERE org_id = %s AND deleted_at IS NULL") + where
        cur = await self.conn.execute(sql.SQL("SELECT count(*) AS n ") + base, [self.org_id, *params])
        total = int((await cur.fetchone() or {"n": 0})["n"])
        query = sql.SQL("SELECT * ") + base + sql.SQL(" ") + order_by(q, SORT_COLUMNS) + sql.SQL(" LIMIT %s OFFSET %s")
        cur = await self.conn.execute(query, [self.org_id, *params, q.limit, q.offset])
        return [definition_from_row(row) for row in await cur.fetchall()], total
