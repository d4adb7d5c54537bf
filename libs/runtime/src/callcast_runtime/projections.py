"""Projection positions: the stream sequence a projection applied, stored with the view.

Call ``advance`` first inside the transaction that changes the view. When it returns False the
event was applied before (a redelivery or a replay overlap): skip the change, commit, ack.
"""

from __future__ import annotations

from typing import Any

import psycopg


async def advance(conn: psycopg.AsyncConnection[Any], projection: str, seq: int) -> bool:
    cur = await conn.execute(
        "INSERT INTO projection_positions (projection, position) VALUES (%s, %s) "
        "ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position "
        "WHERE projection_positions.position < EXCLUDED.position "
        "RETURNING position",
        (projection, seq),
    )
    return await cur.fetchone() is not None


async def position(conn: psycopg.AsyncConnection[Any], projection: str) -> int:
    cur = await conn.execute("SELECT position FROM projection_positions WHERE projection = %s", (projection,))
    row = await cur.fetchone()
    if row is None:
        return 0
    return int(row["position"] if isinstance(row, dict) else row[0])
