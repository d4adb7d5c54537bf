"""SQL over the gateway's schema (``search_path`` is pinned to it): organizations, users, keys.

Every function takes an open connection, so a caller decides the transaction (the CLI creates an
organization, its owner and its first key in one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from callcast_gateway.domain.api_keys import ApiKey, StoredKey
from callcast_gateway.domain.organizations import Organization, User

Conn = AsyncConnection[DictRow]

_KEY_COLUMNS = "id, org_id, user_id, name, key_prefix, is_active, expires_at, last_used_at, created_at, updated_at"


def _organization(row: DictRow) -> Organization:
    return Organization(
        id=str(row["id"]),
        name=row["name"],
        slug=row["slug"],
        timezone=row["timezone"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _user(row: DictRow) -> User:
    return User(
        id=str(row["id"]),
        org_id=str(row["org_id"]),
        email=row["email"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        role=row["role"],
    )


def _api_key(row: DictRow) -> ApiKey:
    return ApiKey(
        id=str(row["id"]),
        org_id=str(row["org_id"]),
        user_id=str(row["user_id"]),
        name=row["name"],
        key_prefix=row["key_prefix"],
        is_active=row["is_active"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# --- organizations and users ----------------------------------------------------------------------


async def slug_taken(conn: Conn, slug: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM organizations WHERE slug = %s", (slug,))
    return await cur.fetchone() is not None


async def insert_organization(conn: Conn, *, org_id: str, name: str, slug: str, timezone: str) -> Organization:
    cur = await conn.execute(
        "INSERT INTO organizations (id, name, slug, timezone) VALUES (%s, %s, %s, %s) RETURNING *",
        (org_id, name, slug, timezone),
    )
    row = await cur.fetchone()
    assert row is not None
    return _organization(row)


async def insert_user(
    conn: Conn,
    *,
    user_id: str,
    org_id: str,
    email: str,
    first_name: str | None,
    last_name: str | None,
    role: str = "owner",
) -> User:
    cur = await conn.execute(
        "INSERT INTO users (id, org_id, email, first_name, last_name, role)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING *",
        (user_id, org_id, email, first_name, last_name, role),
    )
    row = await cur.fetchone()
    assert row is not None
    return _user(row)


async def user_with_organization(conn: Conn, user_id: str, org_id: str) -> tuple[User, Organization] | None:
    cur = await conn.execute(
        "SELECT u.id AS user_id, u.email, u.first_name, u.last_name, u.role, o.*"
        " FROM users u JOIN organizations o ON o.id = u.org_id"
        " WHERE u.id = %s AND u.org_id = %s",
        (user_id, org_id),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    user = User(
        id=str(row["user_id"]),
        org_id=str(row["id"]),
        email=row["email"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        role=row["role"],
    )
    return user, _organization(row)


# --- API keys -------------------------------------------------------------------------------------


async def insert_api_key(
    conn: Conn,
    *,
    key_id: str,
    org_id: str,
    user_id: str,
    name: str,
    key_prefix: str,
    secret_hash: bytes,
    expires_at: datetime | None,
) -> ApiKey:
    cur = await conn.execute(
        "INSERT INTO api_keys (id, org_id, user_id, name, key_prefix, secret_hash, expires_at)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_KEY_COLUMNS}",
        (key_id, org_id, user_id, name, key_prefix, secret_hash, expires_at),
    )
    row = await cur.fetchone()
    assert row is not None
    return _api_key(row)


async def stored_key_by_hash(conn: Conn, secret_hash: bytes) -> StoredKey | None:
    cur = await conn.execute(
        "SELECT k.id, k.org_id, k.user_id, k.secret_hash, k.is_active, k.expires_at,"
        " o.status = 'active' AS org_active, o.timezone AS org_timezone"
        " FROM api_keys k JOIN organizations o ON o.id = k.org_id"
        " WHERE k.secret_hash = %s AND k.deleted_at IS NULL",
        (secret_hash,),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    return StoredKey(
        key_id=str(row["id"]),
        org_id=str(row["org_id"]),
        user_id=str(row["user_id"]),
        secret_hash=bytes(row["secret_hash"]),
        is_active=row["is_active"],
        expires_at=row["expires_at"],
        org_active=row["org_active"],
        org_timezone=row["org_timezone"],
    )


async def touch_api_key(conn: Conn, key_id: str, min_interval_s: float) -> None:
    """Record a use; skipped when recorded within ``min_interval_s`` (by any gateway replica)."""
    await conn.execute(
        "UPDATE api_keys SET last_used_at = now()"
        " WHERE id = %s AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => %s))",
        (key_id, min_interval_s),
    )


async def list_api_keys(conn: Conn, org_id: str) -> list[ApiKey]:
    cur = await conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE org_id = %s AND deleted_at IS NULL"
        " ORDER BY created_at DESC, id DESC",
        (org_id,),
    )
    return [_api_key(row) for row in await cur.fetchall()]


async def get_api_key(conn: Conn, org_id: str, key_id: str) -> ApiKey | None:
    cur = await conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = %s AND org_id = %s AND deleted_at IS NULL",
        (key_id, org_id),
    )
    row = await cur.fetchone()
    return _api_key(row) if row else None


async def update_api_key(conn: Conn, org_id: str, key_id: str, changes: dict[str, Any]) -> ApiKey | None:
    """Apply ``changes`` (column → value; columns from a fixed set) to a live key of the org."""
    allowed = {"name", "is_active", "expires_at"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if not changes:
        return await get_api_key(conn, org_id, key_id)
    assignments = ", ".join(f"{column} = %s" for column in changes)
    cur = await conn.execute(
        f"UPDATE api_keys SET {assignments}, updated_at = now()"
        f" WHERE id = %s AND org_id = %s AND deleted_at IS NULL RETURNING {_KEY_COLUMNS}",
        (*changes.values(), key_id, org_id),
    )
    row = await cur.fetchone()
    return _api_key(row) if row else None


async def revoke_api_key(conn: Conn, org_id: str, key_id: str) -> bool:
    cur = await conn.execute(
        "UPDATE api_keys SET deleted_at = now(), is_active = false, updated_at = now()"
        " WHERE id = %s AND org_id = %s AND deleted_at IS NULL",
        (key_id, org_id),
    )
    return cur.rowcount == 1
