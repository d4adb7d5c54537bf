"""Identifiers: UUIDv7 for new things, UUIDv5 for things whose identity follows from others.

Deterministic ids (UUIDv5) are what make retries idempotent: a job is one contact in one
execution, an attempt is the n-th try of a job, so both ids are derived, never random.
"""

from __future__ import annotations

import os
import time
import uuid

NAMESPACE = uuid.UUID("5b0e4c2e-8a51-4a7e-9a3f-6f1f4a0c2d11")


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 §5.7): sorts by creation time, which keeps indexes compact."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def new_id() -> str:
    return str(uuid7())


def derived_id(*parts: object) -> str:
    """The same parts always give the same id."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def job_id(execution_id: str, contact_id: str) -> str:
    return derived_id("job", execution_id, contact_id)


def attempt_id(job_id_: str, attempt_number: int) -> str:
    return derived_id("attempt", job_id_, attempt_number)
