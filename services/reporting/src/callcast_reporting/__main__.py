"""``python -m callcast_reporting`` serves; ``python -m callcast_reporting rebuild`` drops the read
model and its positions (with the service stopped) so the next start replays everything."""

from __future__ import annotations

import asyncio
import sys

from callcast_reporting.adapters.rebuild import drop_view
from callcast_reporting.bootstrap import MIGRATIONS, build_spec
from callcast_reporting.entrypoints.events import PROJECTIONS
from callcast_runtime.db import open_pool
from callcast_runtime.migrations import apply_migrations
from callcast_runtime.service import run
from callcast_runtime.settings import load_settings


async def rebuild() -> None:
    settings = load_settings("reporting")
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set")
    await apply_migrations(settings.database_url, settings.db_schema, MIGRATIONS)
    pool = await open_pool(settings.database_url, settings.db_schema, max_size=1)
    try:
        async with pool.connection() as conn, conn.transaction():
            await drop_view(conn, PROJECTIONS)
    finally:
        await pool.close()
    print("reporting read model dropped; the next start replays CALLS and PROGRAMS")


def main(argv: list[str]) -> None:
    if argv[1:] == ["rebuild"]:
        asyncio.run(rebuild())
    elif len(argv) > 1:
        raise SystemExit("usage: python -m callcast_reporting [rebuild]")
    else:
        run(build_spec())


if __name__ == "__main__":
    main(sys.argv)
