"""SQL of DIDs, programs and the organizations' calling limits. Every query is scoped to ``org_id``.

Visibility: an organization sees its own DIDs and the shared ones (``is_shared``, owned by the
platform); it changes only its own. Another organization's DID is never confirmed to exist.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import msgspec
import psycopg.errors

from callcast_scheduler.adapters.repository import Conn, Row
from callcast_scheduler.domain import program_errors
from callcast_scheduler.domain.calling_limits import CallingLimits, LimitSettings

_JSON_COLUMNS = ("retry_strategy", "pause_windows", "auto_pause_rules", "trigger_condition")
_VISIBLE = "(org_id = %(org)s OR is_shared) AND deleted_at IS NULL"


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


async def _page(
    conn: Conn, table: str, where: list[str], params: dict[str, Any], order_by: str
) -> tuple[list[Row], int]:
    clause = " AND ".join(where)
    cur = await conn.execute(f"SELECT count(*) AS n FROM {table} WHERE {clause}", params)
    row = await cur.fetchone()
    cur = await conn.execute(
        f"SELECT * FROM {table} WHERE {clause} ORDER BY {order_by}, id LIMIT %(limit)s OFFSET %(offset)s", params
    )
    return await cur.fetchall(), int(row["n"]) if row else 0


def _like(search: str) -> str:
    # The search is a substring, not a pattern: its own % and _ match themselves.
    return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# -- DIDs ---------------------------------------------------------------------------------------
async def insert_did(conn: Conn, **v: Any) -> Row:
    try:
        cur = await conn.execute(
            "INSERT INTO dids (id, org_id, number, country, description, status) "
            "VALUES (%(id)s, %(org_id)s, %(number)s, %(country)s, %(description)s, %(status)s) RETURNING *",
            v,
        )
    except psycopg.errors.UniqueViolation:
        raise program_errors.did_already_exists(v["number"]) from None
    row = await cur.fetchone()
    assert row is not None
    return row


async def visible_did(conn: Conn, org_id: str, did_id: str) -> Row | None:
    cur = await conn.execute(f"SELECT * FROM dids WHERE id = %(id)s AND {_VISIBLE}", {"id": did_id, "org": org_id})
    return await cur.fetchone()


async def list_dids(
    conn: Conn,
    org_id: str,
    *,
    search: str | None,
    sort: str,
    order: str,
    limit: int,
    offset: int,
    status: str | None = None,
    is_shared: bool | None = None,
    organization_id: str | None = None,
) -> tuple[list[Row], int]:
    where = [_VISIBLE]
    params: dict[str, Any] = {"org": org_id, "limit": limit, "offset": offset}
    if search:
        where.append("(number ILIKE %(q)s OR description ILIKE %(q)s)")
        params["q"] = _like(search)
    if status:
        where.append("status = %(status)s")
        params["status"] = status
    if is_shared is not None:
        where.append("is_shared = %(shared)s")
        params["shared"] = is_shared
    if organization_id:
        where.append("org_id = %(owner)s")
        params["owner"] = organization_id
    return await _page(conn, "dids", where, params, f"{sort} {order}")


async def update_did(conn: Conn, org_id: str, did_id: str, changes: dict[str, Any]) -> Row | None:
    """The organization's own DID, changed (None when it has no such DID)."""
    sets = "".join(f"{k} = %({k})s, " for k in changes)
    try:
        cur = await conn.execute(
            f"UPDATE dids SET {sets}updated_at = now() WHERE id = %(id)s AND org_id = %(org)s "
            "AND deleted_at IS NULL RETURNING *",
            {**changes, "id": did_id, "org": org_id},
        )
    except psycopg.errors.UniqueViolation:
        raise program_errors.did_already_exists(changes.get("number", "")) from None
    return await cur.fetchone()


async def delete_did(conn: Conn, org_id: str, did_id: str) -> bool:
    cur = await conn.execute(
        "UPDATE dids SET deleted_at = now(), updated_at = now() WHERE id = %s AND org_id = %s "
        "AND deleted_at IS NULL RETURNING id",
        (did_id, org_id),
    )
    return await cur.fetchone() is not None


async def assign_did(conn: Conn, org_id: str, did_id: str, to_org: str) -> Row | None:
    try:
        cur = await conn.execute(
            "UPDATE dids SET org_id = %(to)s, is_shared = false, updated_at = now() "
            "WHERE id = %(id)s AND org_id = %(org)s AND deleted_at IS NULL RETURNING *",
            {"to": to_org, "id": did_id, "org": org_id},
        )
    except psycopg.errors.UniqueViolation:
        raise program_errors.did_already_exists("(in the organization it was assigned to)") from None
    return await cur.fetchone()


async def pool_dids(conn: Conn, org_id: str, ids: list[str]) -> dict[str, Row]:
    """The DIDs of a pool this organization can see (its own and shared), by id."""
    cur = await conn.execute(
        f"SELECT * FROM dids WHERE id = ANY(%(ids)s::uuid[]) AND {_VISIBLE}", {"ids": ids, "org": org_id}
    )
    return {str(r["id"]): r for r in await cur.fetchall()}


# -- programs -----------------------------------------------------------------------------------
_PROGRAM_COLUMNS = (
    "id, org_id, name, description, mode, flow_id, audience_id, start_at, stop_at, did_pool, retry_strategy,"
    " pause_windows, auto_pause_rules, trigger_condition, concurrency, calls_per_second, timezone,"
    " recipient_timezones"
)


def _encoded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _json(v) if k in _JSON_COLUMNS else v for k, v in values.items()}


def _placeholder(column: str) -> str:
    return f"%({column})s" + ("::uuid[]" if column == "did_pool" else "")


async def insert_program(conn: Conn, **v: Any) -> Row:
    columns = [c.strip() for c in _PROGRAM_COLUMNS.split(",")]
    cur = await conn.execute(
        f"INSERT INTO programs ({_PROGRAM_COLUMNS}) VALUES ({', '.join(_placeholder(c) for c in columns)}) RETURNING *",
        _encoded(v),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def get_program(conn: Conn, org_id: str, program_id: str, *, for_update: bool = False) -> Row | None:
    cur = await conn.execute(
        "SELECT * FROM programs WHERE id = %s AND org_id = %s AND deleted_at IS NULL"
        + (" FOR UPDATE" if for_update else ""),
        (program_id, org_id),
    )
    return await cur.fetchone()


async def list_programs(
    conn: Conn,
    org_id: str,
    *,
    search: str | None,
    sort: str,
    order: str,
    limit: int,
    offset: int,
    status: str | None = None,
    mode: str | None = None,
) -> tuple[list[Row], int]:
    where = ["org_id = %(org)s", "deleted_at IS NULL"]
    params: dict[str, Any] = {"org": org_id, "limit": limit, "offset": offset}
    if search:
        where.append("(name ILIKE %(q)s OR description ILIKE %(q)s)")
        params["q"] = _like(search)
    if status:
        where.append("status = %(status)s")
        params["status"] = status
    if mode:
        where.append("mode = %(mode)s")
        params["mode"] = mode
    return await _page(conn, "programs", where, params, f"{sort} {order} NULLS LAST")


async def update_program(conn: Conn, org_id: str, program_id: str, changes: dict[str, Any]) -> Row | None:
    if not changes:
        return await get_program(conn, org_id, program_id)
    sets = "".join(f"{k} = {_placeholder(k)}, " for k in changes)
    cur = await conn.execute(
        f"UPDATE programs SET {sets}updated_at = now() WHERE id = %(id)s AND org_id = %(org)s "
        "AND deleted_at IS NULL RETURNING *",
        {**_encoded(changes), "id": program_id, "org": org_id},
    )
    return await cur.fetchone()


async def delete_program(conn: Conn, org_id: str, program_id: str) -> bool:
    cur = await conn.execute(
        "UPDATE programs SET deleted_at = now(), updated_at = now() WHERE id = %s AND org_id = %s "
        "AND deleted_at IS NULL RETURNING id",
        (program_id, org_id),
    )
    return await cur.fetchone() is not None


def effective_timezone(program: Row, org_timezone: str) -> str:
    """The zone a program's windows are read in: its own override, else its organization's."""
    return str(program.get("timezone") or org_timezone)


# -- organizations' calling limits --------------------------------------------------------------
@cache
def limit_settings() -> LimitSettings:
    return LimitSettings.from_env(os.environ)


async def org_limits_row(conn: Conn, org_id: str) -> Row | None:
    cur = await conn.execute("SELECT * FROM org_limits WHERE org_id = %s", (org_id,))
    return await cur.fetchone()


async def org_limits(conn: Conn, org_id: str) -> tuple[int, float]:
    """The organization's ``(max concurrent calls, max calls per second)``: what it set through
    ``PUT /api/calling-limits``, else the service's defaults."""
    row = await org_limits_row(conn, org_id)
    if row is None:
        d = limit_settings().org_defaults
        return d.max_concurrent_calls, d.max_calls_per_second
    return int(row["max_concurrent_calls"]), float(row["max_calls_per_second"])


async def put_org_limits(conn: Conn, org_id: str, limits: CallingLimits) -> Row:
    cur = await conn.execute(
        "INSERT INTO org_limits (org_id, max_concurrent_calls, max_calls_per_second) VALUES (%s, %s, %s) "
        "ON CONFLICT (org_id) DO UPDATE SET max_concurrent_calls = EXCLUDED.max_concurrent_calls, "
        "max_calls_per_second = EXCLUDED.max_calls_per_second, updated_at = now() RETURNING *",
        (org_id, limits.max_concurrent_calls, limits.max_calls_per_second),
    )
    row = await cur.fetchone()
    assert row is not None
    return row
