"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

Conn = AsyncConnection[DictRow]


def like_pattern(search: str) -> str:
    """``search`` as a case-insensitive substring pattern, with LIKE's wildcards taken literally."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_id(value: Any) -> str:
    return str(value)
