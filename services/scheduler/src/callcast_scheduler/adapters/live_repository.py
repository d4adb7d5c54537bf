"""SQL of live programs: the custom attribute copy, the contacts a trigger may call, and the
enrolment of triggered jobs (the execution's total grows with them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from callcast_scheduler.adapters.dispatch_repository import OPTED_OUT_SQL
from callcast_scheduler.adapters.repository import Conn, Row
from callcast_scheduler.domain.dispatching import OPT_OUT_TRUE_VALUES


async def save_custom_attribute(conn: Conn, org_id: str, attribute_id: str, name: str, attribute_type: str) -> None:
    await conn.execute(
        "INSERT INTO custom_attributes (org_id, id, name, attribute_type) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (org_id, id) DO UPDATE SET name = EXCLUDED.name, attribute_type = EXCLUDED.attribute_type, "
        "deleted = false",
        (org_id, attribute_id, name, attribute_type),
    )


async def delete_custom_attribute(conn: Conn, org_id: str, attribute_id: str) -> None:
    await conn.execute(
        "UPDATE custom_attributes SET deleted = true WHERE org_id = %s AND id = %s", (org_id, attribute_id)
    )


async def attribute_type(conn: Conn, org_id: str, name: str) -> str | None:
    """The type of the organization's (not deleted) custom attribute ``name``, None if none."""
    cur = await conn.execute(
        "SELECT attribute_type FROM custom_attributes WHERE org_id = %s AND name = %s AND NOT deleted", (org_id, name)
    )
    row = await cur.fetchone()
    return str(row["attribute_type"]) if row else None


async def trigger_candidates(
    conn: Conn, org_id: str, audience_id: str | None, attribute: str
) -> list[tuple[str, str, Any]]:
    """``(contact id, phone, attribute value)`` of the contacts (of the audience, when the program
    names one) holding ``attribute``; deleted and opted-out contacts left out."""
    scope = (
        "JOIN audience_members m ON m.org_id = c.org_id AND m.contact_id = c.id AND m.audience_id = %(audience)s "
        if audience_id
        else ""
    )
    cur = await conn.execute(
        "SELECT c.id AS contact_id, c.phone, c.snapshot->'customAttributes'->>%(attr)s AS value "
        f"FROM contacts c {scope}WHERE c.org_id = %(org)s AND NOT c.deleted "
        "AND c.snapshot->'customAttributes' ? %(attr)s "
        f"AND NOT coalesce({OPTED_OUT_SQL}, false) ORDER BY c.id",
        {"org": org_id, "audience": audience_id, "attr": attribute, "yes": list(OPT_OUT_TRUE_VALUES)},
    )
    return [(str(r["contact_id"]), str(r["phone"]), r["value"]) for r in await cur.fetchall()]


async def enrol_triggered(
    conn: Conn, org_id: str, execution_id: str, jobs: Sequence[tuple[str, str, str, datetime]]
) -> list[str]:
    """Insert the jobs ``(job id, contact id, phone, trigger time)`` that do not exist yet (their
    first attempt waits for the trigger) and grow the execution's total by as many. The ids of
    those new. Idempotent: the projection applying the same JobsEnrolled adds nothing."""
    if not jobs:
        return []
    cur = await conn.execute(
        "INSERT INTO jobs (id, org_id, execution_id, contact_id, phone, next_attempt_at) "
        "SELECT j, %s, %s, c, p, t FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::timestamptz[]) AS x(j, c, p, t) "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        (org_id, execution_id, [j[0] for j in jobs], [j[1] for j in jobs], [j[2] for j in jobs], [j[3] for j in jobs]),
    )
    new = [str(r["id"]) for r in await cur.fetchall()]
    if new:
        await conn.execute(
            "UPDATE executions SET total_contacts = total_contacts + %s, updated_at = now() WHERE id = %s",
            (len(new), execution_id),
        )
    return new


async def running_live_executions(conn: Conn) -> list[Row]:
    cur = await conn.execute(
        "SELECT * FROM executions WHERE mode = 'live' AND status IN ('scheduled', 'running', 'paused', "
        "'paused_threshold', 'paused_no_credits')"
    )
    return await cur.fetchall()
