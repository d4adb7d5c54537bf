"""Flows in PostgreSQL (schema ``flow``): a header row per flow plus one row per saved version.

Every function takes the caller's connection, so a handler composes them with the outbox write
in one transaction. Every query is scoped by ``org_id``: another organization's flow reads as
missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from callcast_flow.adapters.sql import Conn, contains_pattern
from callcast_flow.domain.flows import FlowVersion, NormalGraph
from callcast_runtime.api import PageQuery

#: API ``sortBy`` → column. Ties break on the id so pages never overlap.
SORT_COLUMNS = {"name": "f.name", "createdAt": "f.created_at", "updatedAt": "f.updated_at"}

_SELECT = """
SELECT f.id::text AS flow_id, f.org_id, f.channel_type, f.created_at,
       v.version, v.name, v.description, v.status, v.graph, v.graph_hash, v.saved_at
  FROM flows f
  JOIN flow_versions v ON v.flow_id = f.id
"""


def _version(row: dict[str, Any]) -> FlowVersion:
    graph = row["graph"]
    return FlowVersion(
        flow_id=row["flow_id"],
        org_id=row["org_id"],
        version=row["version"],
        name=row["name"],
        description=row["description"],
        channel_type=row["channel_type"],
        status=row["status"],
        graph=NormalGraph(start_node_id=graph["startNodeId"], nodes=graph["nodes"], graph_hash=row["graph_hash"]),
        created_at=row["created_at"],
        updated_at=row["saved_at"],
    )


async def insert_flow(conn: Conn, version: FlowVersion) -> None:
    """A new flow with its first version."""
    await conn.execute(
        "INSERT INTO flows (id, org_id, name, description, channel_type, status, latest_version,"
        " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            version.flow_id,
            version.org_id,
            version.name,
            version.description,
            version.channel_type,
            version.status,
            version.version,
            version.created_at,
            version.updated_at,
        ),
    )
    await _insert_version(conn, version)


async def lock_latest(conn: Conn, org_id: str, flow_id: str) -> FlowVersion | None:
    """The latest version of a live flow, its header row locked until the transaction ends, so
    concurrent saves of one flow get consecutive version numbers."""
    cur = await conn.execute(
        _SELECT + " WHERE f.id = %s AND f.org_id = %s AND f.deleted_at IS NULL AND v.version = f.latest_version"
        " FOR UPDATE OF f",
        (flow_id, org_id),
    )
    row = await cur.fetchone()
    return _version(row) if row else None


async def append_version(conn: Conn, version: FlowVersion) -> None:
    """Store ``version`` (the next number after the locked latest) and make it the latest."""
    await conn.execute(
        "UPDATE flows SET name = %s, description = %s, status = %s, latest_version = %s, updated_at = %s"
        " WHERE id = %s AND org_id = %s",
        (
            version.name,
            version.description,
            version.status,
            version.version,
            version.updated_at,
            version.flow_id,
            version.org_id,
        ),
    )
    await _insert_version(conn, version)


async def _insert_version(conn: Conn, version: FlowVersion) -> None:
    await conn.execute(
        "INSERT INTO flow_versions (flow_id, version, name, description, status, graph, graph_hash, saved_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            version.flow_id,
            version.version,
            version.name,
            version.description,
            version.status,
            Jsonb(version.graph.to_json()),
            version.graph.graph_hash,
            version.updated_at,
        ),
    )


async def get(conn: Conn, org_id: str, flow_id: str, version: int | None = None) -> FlowVersion | None:
    """A live flow at ``version`` (its latest when ``None``)."""
    which = "v.version = %s" if version is not None else "v.version = f.latest_version"
    params: tuple[Any, ...] = (flow_id, org_id) + ((version,) if version is not None else ())
    cur = await conn.execute(
        _SELECT + f" WHERE f.id = %s AND f.org_id = %s AND f.deleted_at IS NULL AND {which}", params
    )
    row = await cur.fetchone()
    return _version(row) if row else None


async def soft_delete(conn: Conn, org_id: str, flow_id: str, at: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE flows SET deleted_at = %s, updated_at = %s WHERE id = %s AND org_id = %s AND deleted_at IS NULL",
        (at, at, flow_id, org_id),
    )
    return cur.rowcount == 1


async def list_latest(
    conn: Conn, org_id: str, q: PageQuery, *, status: str | None = None
) -> tuple[list[FlowVersion], int]:
    """A page of live flows (each at its latest version) and the total that match."""
    where = ["f.org_id = %s", "f.deleted_at IS NULL"]
    params: list[Any] = [org_id]
    if q.search:
        where.append("(f.name ILIKE %s OR coalesce(f.description, '') ILIKE %s)")
        params += [contains_pattern(q.search)] * 2
    if status:
        where.append("f.status = %s")
        params.append(status)
    condition = " AND ".join(where)
    cur = await conn.execute(f"SELECT count(*) AS n FROM flows f WHERE {condition}", params)
    total_row = await cur.fetchone()
    total = int(total_row["n"]) if total_row else 0
    order = "ASC" if q.sort_order == "asc" else "DESC"
    column = SORT_COLUMNS[q.sort_by]
    cur = await conn.execute(
        _SELECT + f" WHERE {condition} AND v.version = f.latest_version"
        f" ORDER BY {column} {order}, f.id {order} LIMIT %s OFFSET %s",
        [*params, q.limit, q.offset],
    )
    return [_version(r) for r in await cur.fetchall()], total
