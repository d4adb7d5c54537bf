"""Small helpers shared by the SQL adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

Conn = AsyncConnection[DictRow]


def jsonb(value: Any) -> Jsonb:
    """A jsonb parameter encoded by msgspec (datetimes, structs and all)."""
    return Jsonb(value, dumps=lambda v: msgspec.json.encode(v).decode())


def utc_row(row: DictRow) -> dict[str, Any]:
    """The row with every timestamp in UTC, whatever the session's TimeZone, so the API says ``Z``."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in row.items()}
