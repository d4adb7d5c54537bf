"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.rows import DictRow

Conn = AsyncConnection[DictRow]


def contains_pattern(search: str) -> str:
    """An ``ILIKE`` pattern matching ``search`` literally anywhere (``%`` and ``_`` escaped)."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
