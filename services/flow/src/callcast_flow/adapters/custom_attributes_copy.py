"""The flow service's copy of each organization's custom attribute names (from CONTACTS)."""

from __future__ import annotations

from callcast_flow.adapters.sql import Conn


async def save(conn: Conn, org_id: str, attribute_id: str, name: str) -> None:
    await conn.execute(
        "INSERT INTO custom_attributes (org_id, attribute_id, name, deleted) VALUES (%s, %s, %s, false) "
        "ON CONFLICT (org_id, attribute_id) DO UPDATE SET name = EXCLUDED.name, deleted = false",
        (org_id, attribute_id, name),
    )


async def delete(conn: Conn, org_id: str, attribute_id: str) -> None:
    await conn.execute(
        "UPDATE custom_attributes SET deleted = true WHERE org_id = %s AND attribute_id = %s", (org_id, attribute_id)
    )


async def names(conn: Conn, org_id: str) -> frozenset[str]:
    cur = await conn.execute("SELECT name FROM custom_attributes WHERE org_id = %s AND NOT deleted", (org_id,))
    return frozenset(row["name"] for row in await cur.fetchall())
