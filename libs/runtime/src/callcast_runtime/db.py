"""PostgreSQL: one async connection pool per service, pinned to the service's own schema."""

from __future__ import annotations

import re

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")


async def open_pool(database_url: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> Pool:
    """A pool whose connections resolve unqualified names in ``schema`` first.

    Each service owns one schema; pinning ``search_path`` keeps its SQL free of schema names and
    makes reading another service's tables something you would have to spell out on purpose.
    """
    if not _SCHEMA.match(schema):
        raise ValueError(f"bad schema name {schema!r}")

    async def configure(conn: AsyncConnection[DictRow]) -> None:
        await conn.execute(f"SET search_path TO {schema}, public")
        await conn.commit()

    pool: Pool = AsyncConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        connection_class=AsyncConnection[DictRow],
        kwargs={"row_factory": dict_row},
        configure=configure,
        open=False,
        name=f"callcast-{schema}",
    )
    await pool.open(wait=True, timeout=30)
    return pool


async def ping(pool: Pool) -> bool:
    try:
        async with pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
        return True
    except Exception:
        return False
