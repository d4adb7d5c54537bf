"""Dictionaries: one handler per command (``DICTIONARY_COMMAND_HANDLERS``), the reads, and the
spoken-content resolver the dialer reaches over NATS (``entrypoints/dictionaries_rpc.py``).

Writes follow the service's pattern: PostgreSQL row + outbox event in one transaction, then the
relay is woken. An entry's clip is converted (``audio_transcoder``) and written to the object
store before its row, so an event never names a missing object.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from msgspec import UNSET

from callcast_contracts.envelope import envelope
from callcast_contracts.ids import new_id
from callcast_contracts.spoken import RenderedItem, SpokenClip
from callcast_flow.adapters import dictionaries_repository as repo
from callcast_flow.adapters.audio_transcoder import transcode
from callcast_flow.adapters.dictionaries_repository import DictionaryFilter
from callcast_flow.adapters.sql import Conn
from callcast_flow.domain.audio import MAX_UPLOAD_BYTES, AudioRejected
from callcast_flow.domain.dictionaries import (
    MAX_ENTRY_SECONDS,
    SYSTEM,
    Dictionary,
    DictionaryEntry,
    dictionary_deleted,
    dictionary_deleted_msg_id,
    dictionary_saved,
    dictionary_saved_msg_id,
    dictionary_subject,
    entry_deleted,
    entry_deleted_msg_id,
    entry_object_name,
    entry_saved,
    entry_saved_msg_id,
    system_dictionary_id,
    system_dictionary_name,
)
from callcast_flow.domain.dictionaries_commands import (
    AddDictionaryEntry,
    CreateDictionary,
    DeleteDictionary,
    DeleteDictionaryEntry,
    DictionaryCommand,
    UpdateDictionary,
)
from callcast_flow.errors import payload_too_large
from callcast_flow.handlers import FlowServiceContext
from callcast_runtime.api import PageQuery
from callcast_runtime.errors import ApiError, NotFound, ValidationFailed
from callcast_runtime.outbox import enqueue
from callcast_spoken import SpokenValueError, missing_keys, render_item


def dictionary_not_found() -> NotFound:
    return NotFound("Dictionary not found", code="DictionaryNotFoundError")


def entry_not_found() -> NotFound:
    return NotFound("Dictionary entry not found", code="DictionaryEntryNotFoundError")


def system_dictionary_read_only() -> ApiError:
    return ApiError(
        "System dictionaries are shared by every organization and cannot be changed",
        code="SystemDictionaryReadOnlyError",
        status_code=403,
    )


@dataclass(frozen=True)
class DictionaryView:
    """A dictionary as the API shows it: with the keys of its language's key set it lacks."""

    dictionary: Dictionary
    missing_keys: list[str]
    entry_count: int


@dataclass(frozen=True)
class SavedEntry:
    entry: DictionaryEntry
    #: False when the key already had a clip, which this one replaced.
    created: bool


async def _record(conn: Conn, d: Dictionary, event: Any, msg_id: str) -> None:
    await enqueue(conn, dictionary_subject(d), envelope(event, org_id=d.owner, aggregate_id=d.id), msg_id=msg_id)


async def _own_dictionary(conn: Conn, org_id: str, dictionary_id: str) -> Dictionary:
    """The organization's dictionary, locked for a change; system ones are read-only (403)."""
    found = await repo.get_visible(conn, org_id, dictionary_id, for_update=True)
    if found is None:
        raise dictionary_not_found()
    if found.is_system:
        raise system_dictionary_read_only()
    return found


# -- commands ---------------------------------------------------------------------------------


async def create_dictionary(cmd: CreateDictionary, ctx: FlowServiceContext) -> DictionaryView:
    now = ctx.clock()
    d = Dictionary(
        id=new_id(),
        org_id=cmd.org_id,
        name=cmd.name,
        description=cmd.description,
        language=cmd.language,
        revision=1,
        created_at=now,
        updated_at=now,
        deleted_at=None,
        created_by=cmd.org_id,
        updated_by=cmd.org_id,
        deleted_by=None,
    )
    async with ctx.db.connection() as conn, conn.transaction():
        await repo.insert(conn, d)
        await _record(conn, d, dictionary_saved(d), dictionary_saved_msg_id(d))
    ctx.wake_relay()
    return DictionaryView(d, missing_keys(d.language, ()), 0)


async def update_dictionary(cmd: UpdateDictionary, ctx: FlowServiceContext) -> DictionaryView:
    async with ctx.db.connection() as conn, conn.transaction():
        current = await _own_dictionary(conn, cmd.org_id, cmd.dictionary_id)
        if cmd.language is not UNSET and cmd.language != current.language:
            raise ValidationFailed.single(
                "language", "language is fixed when the dictionary is created", "immutable", current=current.language
            )
        d = replace(
            current,
            name=current.name if cmd.name is UNSET else cmd.name,
            description=current.description if cmd.description is UNSET else cmd.description,
            revision=current.revision + 1,
            updated_at=ctx.clock(),
            updated_by=cmd.org_id,
        )
        await repo.update(conn, d)
        await _record(conn, d, dictionary_saved(d), dictionary_saved_msg_id(d))
        view = await _view(conn, d)
    ctx.wake_relay()
    return view


async def delete_dictionary(cmd: DeleteDictionary, ctx: FlowServiceContext) -> None:
    async with ctx.db.connection() as conn, conn.transaction():
        d = await _own_dictionary(conn, cmd.org_id, cmd.dictionary_id)
        await repo.soft_delete(conn, d.id, ctx.clock(), cmd.org_id)
        await _record(conn, d, dictionary_deleted(d), dictionary_deleted_msg_id(d))
    ctx.wake_relay()


async def add_entry(cmd: AddDictionaryEntry, ctx: FlowServiceContext) -> SavedEntry:
    async with ctx.db.connection() as conn:
        d = await repo.get_visible(conn, cmd.org_id, cmd.dictionary_id)
    if d is None:
        raise dictionary_not_found()
    if d.is_system:
        raise system_dictionary_read_only()
    return await save_entry(d, cmd.key, cmd.data, cmd.file_name, ctx)


async def save_entry(
    d: Dictionary, key: str, data: bytes, file_name: str | None, ctx: FlowServiceContext
) -> SavedEntry:
    """Convert ``data`` and store it as ``key`` of ``d`` (replacing the key's clip if it has one).
    Shared by the API (an organization's dictionary) and the system-dictionary installer."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise payload_too_large(f"file must be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        converted = await asyncio.to_thread(transcode, data)
    except AudioRejected as err:
        raise ValidationFailed.single("file", err.message, "invalidAudio") from None
    if converted.duration_ms > MAX_ENTRY_SECONDS * 1000:
        raise ValidationFailed.single(
            "file", f"a dictionary clip is at most {MAX_ENTRY_SECONDS} seconds", "maxDuration", max=MAX_ENTRY_SECONDS
        )
    now = ctx.clock()
    candidate = DictionaryEntry(
        id=new_id(),
        dictionary_id=d.id,
        key=key,
        object_name=entry_object_name(d.id, key),
        digest="sha256:" + hashlib.sha256(converted.ulaw).hexdigest(),
        duration_ms=converted.duration_ms,
        original_file_name=file_name,
        file_content_type=converted.content_type,
        file_size=len(data),
        file_checksum="sha256:" + hashlib.sha256(data).hexdigest(),
        revision=1,
        created_at=now,
        updated_at=now,
    )
    async with ctx.db.connection() as conn, conn.transaction():
        # The dictionary row stays locked from the object write to the commit: two uploads of one
        # key then write object and row in the same order (the row's digest is the object's), and
        # a concurrent delete cannot slip in between.
        if d.is_system:
            locked = await repo.get_system(conn, d.id, for_update=True)
        else:
            locked = await repo.get_visible(conn, d.org_id or "", d.id, for_update=True)
        if locked is None:
            raise dictionary_not_found()
        # The object before the row: the event must never name an object that is not there yet.
        await ctx.audio_store.put(candidate.object_name, converted.ulaw, description="G.711 mu-law, 8 kHz mono")
        stored = await repo.upsert_entry(conn, candidate)
        await _record(conn, locked, entry_saved(locked, stored), entry_saved_msg_id(stored))
    ctx.wake_relay()
    return SavedEntry(stored, created=stored.id == candidate.id)


async def delete_entry(cmd: DeleteDictionaryEntry, ctx: FlowServiceContext) -> None:
    # The object stays: a call that already resolved the key may still be fetching it, and a
    # key added again overwrites it.
    async with ctx.db.connection() as conn, conn.transaction():
        d = await _own_dictionary(conn, cmd.org_id, cmd.dictionary_id)
        entry = await repo.get_entry(conn, d.id, cmd.entry_id, for_update=True)
        if entry is None:
            raise entry_not_found()
        await repo.delete_entry(conn, entry.id)
        await _record(conn, d, entry_deleted(d, entry), entry_deleted_msg_id(entry))
    ctx.wake_relay()


DICTIONARY_COMMAND_HANDLERS: dict[type[DictionaryCommand], Any] = {
    CreateDictionary: create_dictionary,
    UpdateDictionary: update_dictionary,
    DeleteDictionary: delete_dictionary,
    AddDictionaryEntry: add_entry,
    DeleteDictionaryEntry: delete_entry,
}


async def handle_dictionary(cmd: DictionaryCommand, ctx: FlowServiceContext) -> Any:
    return await DICTIONARY_COMMAND_HANDLERS[type(cmd)](cmd, ctx)


# -- system dictionaries ----------------------------------------------------------------------


async def ensure_system_dictionary(language: str, ctx: FlowServiceContext) -> Dictionary:
    """The system dictionary of ``language``, created (with its event) when it is not there yet."""
    now = ctx.clock()
    d = Dictionary(
        id=system_dictionary_id(language),
        org_id=None,
        name=system_dictionary_name(language),
        description=f"Numbers, dates and currency words ({language}), synthesized with espeak-ng",
        language=language,
        revision=1,
        created_at=now,
        updated_at=now,
        deleted_at=None,
        created_by=SYSTEM,
        updated_by=SYSTEM,
        deleted_by=None,
    )
    async with ctx.db.connection() as conn, conn.transaction():
        if await repo.insert(conn, d, if_absent=True):
            await _record(conn, d, dictionary_saved(d), dictionary_saved_msg_id(d))
        existing = await repo.get_system(conn, d.id)
    ctx.wake_relay()
    if existing is None:
        raise RuntimeError(f"the system dictionary {d.id} ({language}) exists but is deleted")
    return existing


async def system_keys(dictionary_id: str, ctx: FlowServiceContext) -> set[str]:
    async with ctx.db.connection() as conn:
        return (await repo.keys_of(conn, [dictionary_id]))[dictionary_id]


# -- reads ------------------------------------------------------------------------------------


async def _view(conn: Conn, d: Dictionary) -> DictionaryView:
    keys = (await repo.keys_of(conn, [d.id]))[d.id]
    return DictionaryView(d, missing_keys(d.language, keys), len(keys))


async def get_dictionary(ctx: FlowServiceContext, org_id: str, dictionary_id: str) -> DictionaryView:
    async with ctx.db.connection() as conn:
        d = await repo.get_visible(conn, org_id, dictionary_id)
        if d is None:
            raise dictionary_not_found()
        return await _view(conn, d)


async def list_dictionaries(
    ctx: FlowServiceContext, org_id: str, q: PageQuery, f: DictionaryFilter
) -> tuple[list[DictionaryView], int]:
    async with ctx.db.connection() as conn:
        items, total = await repo.list_page(conn, org_id, q, f)
        keys = await repo.keys_of(conn, [d.id for d in items])
    return [DictionaryView(d, missing_keys(d.language, keys[d.id]), len(keys[d.id])) for d in items], total


async def list_entries(
    ctx: FlowServiceContext, org_id: str, dictionary_id: str, q: PageQuery
) -> tuple[list[DictionaryEntry], int]:
    async with ctx.db.connection() as conn:
        if await repo.get_visible(conn, org_id, dictionary_id) is None:
            raise dictionary_not_found()
        return await repo.list_entries(conn, dictionary_id, q)


# -- spoken content ---------------------------------------------------------------------------


async def render_items(conn: Conn, org_id: str, items: Sequence[Mapping[str, Any]]) -> list[RenderedItem]:
    """Each play item's keys and the clips they resolve to, by the lookup rule (the organization's
    dictionaries of the item's language first, then the system one). Used by the NATS responder
    the dialer calls and by ``POST /api/dictionaries/render``."""
    rendered: list[tuple[str, list[str]] | str] = []
    for item in items:
        try:
            rendered.append((str(item["language"]), render_item(item)))
        except (SpokenValueError, KeyError, TypeError) as err:
            rendered.append(str(err) if isinstance(err, SpokenValueError) else "the item is not a number, date or word")
    wanted: dict[str, set[str]] = {}
    for entry in rendered:
        if isinstance(entry, tuple):
            wanted.setdefault(entry[0], set()).update(entry[1])
    found = {language: await repo.resolve_keys(conn, org_id, language, keys) for language, keys in wanted.items()}
    out: list[RenderedItem] = []
    for entry in rendered:
        if isinstance(entry, str):
            out.append(RenderedItem(error=entry))
            continue
        language, keys = entry
        clips = [found[language][k] for k in keys if k in found[language]]
        out.append(
            RenderedItem(
                keys=keys,
                clips=[
                    SpokenClip(
                        key=c.key,
                        object_name=c.object_name,
                        digest=c.digest,
                        duration_ms=c.duration_ms,
                        dictionary_id=c.dictionary_id,
                    )
                    for c in clips
                ],
                missing_keys=list(dict.fromkeys(k for k in keys if k not in found[language])),
            )
        )
    return out


async def available_keys(conn: Conn, org_id: str, language: str) -> frozenset[str]:
    """Every key the organization can play in ``language`` (for the flow validator: a play item of
    that language needs the keys its value may produce)."""
    return await repo.available_keys(conn, org_id, language)
