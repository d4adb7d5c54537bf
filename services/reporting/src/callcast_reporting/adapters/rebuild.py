"""Rebuilding the read model by replay: drop the view and its positions, forget the durable
consumers, and the next start replays both streams from their first event.

``outcome_publications`` survives a rebuild on purpose, so replayed CallEnded events do not
publish their CallOutcomeReported a second time.
"""

from __future__ import annotations

import contextlib

import nats.js.errors
from nats.js import JetStreamContext

from callcast_reporting.adapters.sql import Conn

VIEW_TABLES = ("call_events", "call_attempts", "call_jobs", "call_executions")


async def drop_view(conn: Conn, projections: dict[str, str]) -> None:
    """Empty the view and forget the positions of ``projections`` (durable name → stream)."""
    await conn.execute("TRUNCATE " + ", ".join(VIEW_TABLES))
    await conn.execute("DELETE FROM projection_positions WHERE projection = ANY(%s)", (list(projections),))


async def forget_consumers(js: JetStreamContext, projections: dict[str, str]) -> None:
    for durable, stream in projections.items():
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_consumer(stream, durable)
