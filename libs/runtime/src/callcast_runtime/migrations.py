"""Versioned SQL migrations, one folder per service, applied at start.

Files are ``NNNN_description.sql``, applied in order inside one transaction each, under an
advisory lock so that several replicas starting at once apply each file exactly once.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import psycopg

from callcast_runtime.logging import get_logger

log = get_logger(__name__)


RUNTIME_SQL = Path(__file__).parent / "sql"


def _versioned(folder: Path, prefix: str = "") -> list[tuple[str, Path]]:
    files = sorted(p for p in folder.glob("*.sql") if p.name[:4].isdigit())
    return [(prefix + p.stem, p) for p in files]


async def apply_migrations(database_url: str, schema: str, folder: Path | None) -> list[str]:
    """Apply the runtime's shared tables (outbox, projection positions), then the service's own."""
    files = _versioned(RUNTIME_SQL, "runtime/") + (_versioned(folder) if folder else [])
    applied: list[str] = []
    lock_key = zlib.crc32(f"callcast-migrations-{schema}".encode())
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
        try:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur = await conn.execute(f"SELECT version FROM {schema}.schema_migrations")
            done = {row[0] for row in await cur.fetchall()}
            for version, path in files:
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL search_path TO {schema}, public")
                    await conn.execute(path.read_text())  # type: ignore[arg-type]
                    await conn.execute(f"INSERT INTO {schema}.schema_migrations (version) VALUES (%s)", (version,))
                applied.append(version)
                log.info("migration applied", schema=schema, version=version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
    return applied
