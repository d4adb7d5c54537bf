"""Dictionaries and their entries in PostgreSQL (schema ``flow``).

An organization sees its own dictionaries and the system ones (``org_id IS NULL``); every query
says so explicitly. Every function takes the caller's connection, so a handler composes them with
the outbox write in one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcast_flow.adapters.sql import Conn, contains_pattern
from callcast_flow.domain.dictionaries import Dictionary, DictionaryEntry
from callcast_runtime.api import PageQuery

#: API ``sortBy`` → column.
SORT_COLUMNS = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name", "language": "language"}
ENTRY_SORT_COLUMNS = {
    "key": "key",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "durationSeconds": "duration_ms",
}

_DICTIONARY_COLUMNS = (
    "id::text AS id, org_id, name, description, language, revision, created_at, updated_at, deleted_at,"
    " created_by, updated_by, deleted_by"
)
_ENTRY_COLUMNS = (
    "id::text AS id, dictionary_id::text AS dictionary_id, key, object_name, digest, duration_ms,"
    " original_file_name, file_content_type, file_size, file_checksum, revision, created_at, updated_at"
)
#: Rows an organization may read: its own and the system ones.
_VISIBLE = "(org_id = %s OR org_id IS NULL) AND deleted_at IS NULL"


def _dictionary(row: dict[str, Any]) -> Dictionary:
    return Dictionary(**row)


def _entry(row: dict[str, Any]) -> DictionaryEntry:
    return DictionaryEntry(**row)


# -- dictionaries -----------------------------------------------------------------------------


async def insert(conn: Conn, d: Dictionary, *, if_absent: bool = False) -> bool:
    """Insert ``d``; with ``if_absent``, a row with its id already there is left alone (False)."""
    conflict = " ON CONFLICT (id) DO NOTHING" if if_absent else ""
    cur = await conn.execute(
        "INSERT INTO dictionaries (id, org_id, name, description, language, is_system, revision, created_at,"
        " updated_at, created_by, updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)" + conflict,
        (
            d.id,
            d.org_id,
            d.name,
            d.description,
            d.language,
            d.is_system,
            d.revision,
            d.created_at,
            d.updated_at,
            d.created_by,
            d.updated_by,
        ),
    )
    return cur.rowcount == 1


async def get_visible(conn: Conn, org_id: str, dictionary_id: str, *, for_update: bool = False) -> Dictionary | None:
    """A live dictionary the organization may read (its own or a system one)."""
    lock = " FOR UPDATE" if for_update else ""
    cur = await conn.execute(
        f"SELECT {_DICTIONARY_COLUMNS} FROM dictionaries WHERE id = %s AND {_VISIBLE}{lock}", (dictionary_id, org_id)
    )
    row = await cur.fetchone()
    return _dictionary(row) if row else None


async def get_system(conn: Conn, dictionary_id: str, *, for_update: bool = False) -> Dictionary | None:
    lock = " FOR UPDATE" if for_update else ""
    cur = await conn.execute(
        f"SELECT {_DICTIONARY_COLUMNS} FROM dictionaries WHERE id = %s AND org_id IS NULL AND deleted_at IS NULL{lock}",
        (dictionary_id,),
    )
    row = await cur.fetchone()
    return _dictionary(row) if row else None


async def update(conn: Conn, d: Dictionary) -> None:
    await conn.execute(
        "UPDATE dictionaries SET name = %s, description = %s, revision = %s, updated_at = %s, updated_by = %s"
        " WHERE id = %s",
        (d.name, d.description, d.revision, d.updated_at, d.updated_by, d.id),
    )


async def soft_delete(conn: Conn, dictionary_id: str, at: datetime, by: str) -> None:
    await conn.execute(
        "UPDATE dictionaries SET deleted_at = %s, deleted_by = %s, updated_at = %s WHERE id = %s",
        (at, by, at, dictionary_id),
    )


@dataclass(frozen=True)
class DictionaryFilter:
    language: str | None = None
    #: True: system dictionaries only; False: the organization's own only; None: both.
    is_system: bool | None = None


async def list_page(conn: Conn, org_id: str, q: PageQuery, f: DictionaryFilter) -> tuple[list[Dictionary], int]:
    where = [_VISIBLE]
    params: list[Any] = [org_id]
    if q.search:
        where.append("(name ILIKE %s OR coalesce(description, '') ILIKE %s)")
        params += [contains_pattern(q.search)] * 2
    if f.language:
        where.append("language = %s")
        params.append(f.language)
    if f.is_system is not None:
        where.append("org_id IS NULL" if f.is_system else "org_id IS NOT NULL")
    condition = " AND ".join(where)
    cur = await conn.execute(f"SELECT count(*) AS n FROM dictionaries WHERE {condition}", params)
    total_row = await cur.fetchone()
    total = int(total_row["n"]) if total_row else 0
    order = "ASC" if q.sort_order == "asc" else "DESC"
    cur = await conn.execute(
        f"SELECT {_DICTIONARY_COLUMNS} FROM dictionaries WHERE {condition}"
        f" ORDER BY {SORT_COLUMNS[q.sort_by]} {order}, id {order} LIMIT %s OFFSET %s",
        [*params, q.limit, q.offset],
    )
    return [_dictionary(r) for r in await cur.fetchall()], total


# -- entries ----------------------------------------------------------------------------------


async def keys_of(conn: Conn, dictionary_ids: Sequence[str]) -> dict[str, set[str]]:
    """The keys each dictionary has an entry for."""
    found: dict[str, set[str]] = {d: set() for d in dictionary_ids}
    if not dictionary_ids:
        return found
    cur = await conn.execute(
        "SELECT dictionary_id::text AS dictionary_id, key FROM dictionary_entries"
        " WHERE dictionary_id = ANY(%s::uuid[])",
        (list(dictionary_ids),),
    )
    for row in await cur.fetchall():
        found[row["dictionary_id"]].add(row["key"])
    return found


async def get_entry(
    conn: Conn, dictionary_id: str, entry_id: str, *, for_update: bool = False
) -> DictionaryEntry | None:
    lock = " FOR UPDATE" if for_update else ""
    cur = await conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM dictionary_entries WHERE id = %s AND dictionary_id = %s{lock}",
        (entry_id, dictionary_id),
    )
    row = await cur.fetchone()
    return _entry(row) if row else None


async def get_entry_by_key(
    conn: Conn, dictionary_id: str, key: str, *, for_update: bool = False
) -> DictionaryEntry | None:
    lock = " FOR UPDATE" if for_update else ""
    cur = await conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM dictionary_entries WHERE dictionary_id = %s AND key = %s{lock}",
        (dictionary_id, key),
    )
    row = await cur.fetchone()
    return _entry(row) if row else None


async def upsert_entry(conn: Conn, e: DictionaryEntry) -> DictionaryEntry:
    """Insert the entry, or replace the clip of the dictionary's entry with the same key (its id and
    creation time stay, its revision goes up). The stored row."""
    cur = await conn.execute(
        "INSERT INTO dictionary_entries (id, dictionary_id, key, object_name, digest, duration_ms,"
        " original_file_name, file_content_type, file_size, file_checksum, revision, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s)"
        " ON CONFLICT (dictionary_id, key) DO UPDATE SET object_name = EXCLUDED.object_name,"
        " digest = EXCLUDED.digest, duration_ms = EXCLUDED.duration_ms,"
        " original_file_name = EXCLUDED.original_file_name, file_content_type = EXCLUDED.file_content_type,"
        " file_size = EXCLUDED.file_size, file_checksum = EXCLUDED.file_checksum,"
        " revision = dictionary_entries.revision + 1, updated_at = EXCLUDED.updated_at"
        f" RETURNING {_ENTRY_COLUMNS}",
        (
            e.id,
            e.dictionary_id,
            e.key,
            e.object_name,
            e.digest,
            e.duration_ms,
            e.original_file_name,
            e.file_content_type,
            e.file_size,
            e.file_checksum,
            e.created_at,
            e.updated_at,
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return _entry(row)


async def delete_entry(conn: Conn, entry_id: str) -> None:
    await conn.execute("DELETE FROM dictionary_entries WHERE id = %s", (entry_id,))


async def list_entries(conn: Conn, dictionary_id: str, q: PageQuery) -> tuple[list[DictionaryEntry], int]:
    where = ["dictionary_id = %s"]
    params: list[Any] = [dictionary_id]
    if q.search:
        where.append("key ILIKE %s")
        params.append(contains_pattern(q.search))
    condition = " AND ".join(where)
    cur = await conn.execute(f"SELECT count(*) AS n FROM dictionary_entries WHERE {condition}", params)
    total_row = await cur.fetchone()
    total = int(total_row["n"]) if total_row else 0
    order = "ASC" if q.sort_order == "asc" else "DESC"
    cur = await conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM dictionary_entries WHERE {condition}"
        f" ORDER BY {ENTRY_SORT_COLUMNS[q.sort_by]} {order}, id {order} LIMIT %s OFFSET %s",
        [*params, q.limit, q.offset],
    )
    return [_entry(r) for r in await cur.fetchall()], total


@dataclass(frozen=True)
class ResolvedClip:
    key: str
    object_name: str
    digest: str
    duration_ms: int
    dictionary_id: str


async def resolve_keys(conn: Conn, org_id: str, language: str, keys: Collection[str]) -> dict[str, ResolvedClip]:
    """The lookup rule: for each key, the entry of the organization's live dictionaries of
    ``language`` (newest dictionary first), else of the system ones (oldest first)."""
    if not keys:
        return {}
    cur = await conn.execute(
        "SELECT DISTINCT ON (e.key) e.key, e.object_name, e.digest, e.duration_ms, d.id::text AS dictionary_id"
        " FROM dictionary_entries e JOIN dictionaries d ON d.id = e.dictionary_id"
        " WHERE d.deleted_at IS NULL AND d.language = %s AND (d.org_id = %s OR d.org_id IS NULL)"
        " AND e.key = ANY(%s)"
        " ORDER BY e.key, d.org_id IS NULL,"
        " CASE WHEN d.org_id IS NULL THEN NULL ELSE d.created_at END DESC NULLS LAST, d.created_at, d.id",
        (language, org_id, list(set(keys))),
    )
    return {row["key"]: ResolvedClip(**row) for row in await cur.fetchall()}


async def available_keys(conn: Conn, org_id: str, language: str) -> frozenset[str]:
    """Every key the organization can play in ``language`` (its dictionaries and the system ones)."""
    cur = await conn.execute(
        "SELECT DISTINCT e.key FROM dictionary_entries e JOIN dictionaries d ON d.id = e.dictionary_id"
        " WHERE d.deleted_at IS NULL AND d.language = %s AND (d.org_id = %s OR d.org_id IS NULL)",
        (language, org_id),
    )
    return frozenset(row["key"] for row in await cur.fetchall())
