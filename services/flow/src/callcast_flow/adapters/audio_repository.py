"""Audio assets in PostgreSQL (schema ``flow``); every query is scoped by ``org_id``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcast_flow.adapters.sql import Conn, contains_pattern
from callcast_flow.domain.audio import AudioAsset, AudioFile
from callcast_runtime.api import PageQuery

#: API ``sortBy`` → column.
SORT_COLUMNS = {"createdAt": "created_at", "title": "title", "durationSeconds": "duration_ms"}

_COLUMNS = (
    "id::text AS id, org_id, title, description, usage_type, tags, duration_ms, original_file_name,"
    " file_id::text AS file_id, file_content_type, file_size, file_checksum, ulaw_object, pcm16_object,"
    " created_at, updated_at"
)


@dataclass(frozen=True)
class AudioFilter:
    usage_type: str | None = None
    #: Assets carrying any of these tags.
    tags: tuple[str, ...] = ()


def _asset(row: dict[str, Any]) -> AudioAsset:
    return AudioAsset(
        id=row["id"],
        org_id=row["org_id"],
        title=row["title"],
        description=row["description"],
        usage_type=row["usage_type"],
        tags=list(row["tags"]) if row["tags"] is not None else None,
        duration_ms=row["duration_ms"],
        original_file_name=row["original_file_name"],
        file=AudioFile(
            id=row["file_id"],
            name=row["original_file_name"],
            content_type=row["file_content_type"],
            file_size=row["file_size"],
            checksum=row["file_checksum"],
        ),
        ulaw_object=row["ulaw_object"],
        pcm16_object=row["pcm16_object"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def insert(conn: Conn, asset: AudioAsset) -> None:
    await conn.execute(
        "INSERT INTO audio_assets (id, org_id, title, description, usage_type, tags, duration_ms,"
        " original_file_name, file_id, file_content_type, file_size, file_checksum, ulaw_object, pcm16_object,"
        " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            asset.id,
            asset.org_id,
            asset.title,
            asset.description,
            asset.usage_type,
            asset.tags,
            asset.duration_ms,
            asset.original_file_name,
            asset.file.id,
            asset.file.content_type,
            asset.file.file_size,
            asset.file.checksum,
            asset.ulaw_object,
            asset.pcm16_object,
            asset.created_at,
            asset.updated_at,
        ),
    )


async def get(conn: Conn, org_id: str, audio_id: str, *, for_update: bool = False) -> AudioAsset | None:
    lock = " FOR UPDATE" if for_update else ""
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM audio_assets WHERE id = %s AND org_id = %s AND deleted_at IS NULL{lock}",
        (audio_id, org_id),
    )
    row = await cur.fetchone()
    return _asset(row) if row else None


async def update_metadata(conn: Conn, asset: AudioAsset) -> None:
    await conn.execute(
        "UPDATE audio_assets SET title = %s, description = %s, usage_type = %s, tags = %s, updated_at = %s"
        " WHERE id = %s AND org_id = %s",
        (asset.title, asset.description, asset.usage_type, asset.tags, asset.updated_at, asset.id, asset.org_id),
    )


async def soft_delete(conn: Conn, org_id: str, audio_id: str, at: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE audio_assets SET deleted_at = %s, updated_at = %s WHERE id = %s AND org_id = %s AND deleted_at IS NULL",
        (at, at, audio_id, org_id),
    )
    return cur.rowcount == 1


async def existing_ids(conn: Conn, org_id: str, audio_ids: Collection[str]) -> frozenset[str]:
    """Which of ``audio_ids`` (canonical UUID strings) are live assets of the organization."""
    if not audio_ids:
        return frozenset()
    cur = await conn.execute(
        "SELECT id::text AS id FROM audio_assets WHERE org_id = %s AND deleted_at IS NULL AND id = ANY(%s::uuid[])",
        (org_id, list(audio_ids)),
    )
    return frozenset(r["id"] for r in await cur.fetchall())


async def list_page(conn: Conn, org_id: str, q: PageQuery, f: AudioFilter) -> tuple[list[AudioAsset], int]:
    where = ["org_id = %s", "deleted_at IS NULL"]
    params: list[Any] = [org_id]
    if q.search:
        pattern = contains_pattern(q.search)
        where.append(
            "(title ILIKE %s OR coalesce(description, '') ILIKE %s"
            " OR EXISTS (SELECT 1 FROM unnest(tags) AS t(tag) WHERE t.tag ILIKE %s))"
        )
        params += [pattern, pattern, pattern]
    if f.usage_type:
        where.append("usage_type = %s")
        params.append(f.usage_type)
    if f.tags:
        where.append("tags && %s::text[]")
        params.append(list(f.tags))
    condition = " AND ".join(where)
    cur = await conn.execute(f"SELECT count(*) AS n FROM audio_assets WHERE {condition}", params)
    total_row = await cur.fetchone()
    total = int(total_row["n"]) if total_row else 0
    order = "ASC" if q.sort_order == "asc" else "DESC"
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM audio_assets WHERE {condition}"
        f" ORDER BY {SORT_COLUMNS[q.sort_by]} {order}, id {order} LIMIT %s OFFSET %s",
        [*params, q.limit, q.offset],
    )
    return [_asset(r) for r in await cur.fetchall()], total
