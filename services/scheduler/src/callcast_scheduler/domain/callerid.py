"""Caller-id rotation over a program's DID pool."""

from __future__ import annotations

import zlib


def pick_caller_id(pool: list[str], job_id: str, attempt_number: int) -> str:
    """Spread jobs over the pool, and move each retry to the next number (a new caller id is
    likelier to be answered than the one just ignored)."""
    if not pool:
        raise ValueError("empty caller-id pool")
    return pool[(zlib.crc32(job_id.encode()) + attempt_number - 1) % len(pool)]
