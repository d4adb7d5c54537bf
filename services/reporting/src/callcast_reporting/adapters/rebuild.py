"""Rebuilding the read model by replay: drop the view and its positions, and the next start
replays both streams from their first event (each view reads from its stored position).

``outcome_publications`` survives a rebuild on purpose, so replayed CallEnded events do not
publish their CallOutcomeReported a second time.
"""

from __future__ import annotations

from callcast_reporting.adapters.sql import Conn

VIEW_TABLES = ("call_events", "call_attempts", "call_jobs", "call_executions")


async def drop_view(conn: Conn, projections: dict[str, str]) -> None:
    """Empty the view and forget the positions of ``projections`` (projection name → stream)."""
    await conn.execute("TRUNCATE " + ", ".join(VIEW_TABLES))
    await conn.execute("DELETE FROM projection_positions WHERE projection = ANY(%s)", (list(projections),))
