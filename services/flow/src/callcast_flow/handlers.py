"""One handler per command, listed in ``COMMAND_HANDLERS``; the read side is in ``queries``.

A handler changes PostgreSQL and enqueues the change's event in the same transaction (the
transactional outbox), then wakes the relay, which publishes to JetStream after the commit.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from msgspec import UNSET

from callcast_contracts.envelope import envelope
from callcast_contracts.ids import new_id
from callcast_flow.adapters import audio_repository, custom_attributes_copy, dictionaries_repository, flow_repository
from callcast_flow.adapters.audio_store import AudioObjectStore
from callcast_flow.adapters.audio_transcoder import transcode
from callcast_flow.adapters.sql import Conn
from callcast_flow.domain.audio import (
    DEFAULT_USAGE_TYPE,
    MAX_UPLOAD_BYTES,
    AudioAsset,
    AudioFile,
    AudioRejected,
    audio_subject,
    audio_uploaded,
    audio_uploaded_msg_id,
    default_title,
    pcm16_object_name,
    ulaw_object_name,
)
from callcast_flow.domain.commands import (
    Command,
    CreateFlow,
    DeleteAudio,
    DeleteFlow,
    UpdateAudio,
    UpdateFlow,
    UploadAudio,
)
from callcast_flow.domain.flows import (
    FlowVersion,
    NormalGraph,
    flow_deleted,
    flow_deleted_msg_id,
    flow_subject,
    version_saved,
    version_saved_msg_id,
)
from callcast_flow.domain.spoken_keys import keys_needed
from callcast_flow.domain.validation import (
    ValidationContext,
    ValidationReport,
    check_parsed,
    read_graph,
    referenced_audio_ids,
)
from callcast_flow.errors import FlowGraphInvalid, audio_not_found, flow_not_found, payload_too_large
from callcast_runtime.db import Pool
from callcast_runtime.errors import ValidationFailed
from callcast_runtime.outbox import enqueue
from callcast_spoken import LANGUAGES


def utcnow() -> datetime:
    return datetime.now(UTC)


def no_relay() -> None:
    return None


@dataclass
class FlowServiceContext:
    """What every handler works with; ``bootstrap`` builds it, tests may pass other adapters."""

    db: Pool
    audio_store: AudioObjectStore
    #: Tells the outbox relay that committed events are waiting.
    wake_relay: Callable[[], None] = no_relay
    clock: Callable[[], datetime] = field(default=utcnow)


# -- flows ------------------------------------------------------------------------------------


async def check_graph(conn: Conn, org_id: str, graph: Mapping[str, Any]) -> ValidationReport:
    """Every finding for ``graph`` in the organization (played audio must exist there)."""
    parsed = read_graph(graph)
    if isinstance(parsed, ValidationReport):
        return parsed
    existing = await audio_repository.existing_ids(conn, org_id, referenced_audio_ids(parsed.flow))
    # Both languages' keys, looked up before the (synchronous) checks run: two small queries.
    dictionary_keys = {
        language: await dictionaries_repository.available_keys(conn, org_id, language) for language in LANGUAGES
    }
    return check_parsed(
        parsed,
        ValidationContext(
            existing_audio_ids=existing,
            known_custom_attributes=await custom_attributes_copy.names(conn, org_id),
            known_dictionary_keys=lambda language: dictionary_keys.get(language) or None,
            dictionary_keys_needed=keys_needed,
        ),
    )


async def _valid_graph(conn: Conn, org_id: str, graph: Mapping[str, Any]) -> NormalGraph:
    report = await check_graph(conn, org_id, graph)
    if not report.valid or report.flow is None:
        raise FlowGraphInvalid(report.findings)
    return NormalGraph.of(report.flow)


async def _record_version(conn: Conn, version: FlowVersion) -> None:
    env = envelope(version_saved(version), org_id=version.org_id, aggregate_id=version.flow_id)
    await enqueue(
        conn,
        flow_subject(version.org_id, version.flow_id),
        env,
        msg_id=version_saved_msg_id(version.flow_id, version.version),
    )


async def create_flow(cmd: CreateFlow, ctx: FlowServiceContext) -> FlowVersion:
    async with ctx.db.connection() as conn, conn.transaction():
        graph = await _valid_graph(conn, cmd.org_id, cmd.graph)
        now = ctx.clock()
        version = FlowVersion(
            flow_id=new_id(),
            org_id=cmd.org_id,
            version=1,
            name=cmd.name,
            description=cmd.description,
            channel_type=cmd.channel_type,
            status=cmd.status,
            graph=graph,
            created_at=now,
            updated_at=now,
        )
        await flow_repository.insert_flow(conn, version)
        await _record_version(conn, version)
    ctx.wake_relay()
    return version


async def update_flow(cmd: UpdateFlow, ctx: FlowServiceContext) -> FlowVersion:
    async with ctx.db.connection() as conn, conn.transaction():
        latest = await flow_repository.lock_latest(conn, cmd.org_id, cmd.flow_id)
        if latest is None:
            raise flow_not_found()
        if cmd.channel_type is not UNSET and cmd.channel_type != latest.channel_type:
            raise ValidationFailed.single(
                "channelType", "channelType is fixed when the flow is created", "immutable", current=latest.channel_type
            )
        # A save without a graph still re-checks the current one: what it plays may be gone.
        graph_json = latest.graph.to_json() if cmd.graph is UNSET else cmd.graph
        graph = await _valid_graph(conn, cmd.org_id, graph_json)
        version = replace(
            latest,
            version=latest.version + 1,
            name=latest.name if cmd.name is UNSET else cmd.name,
            description=latest.description if cmd.description is UNSET else cmd.description,
            status=latest.status if cmd.status is UNSET else cmd.status,
            graph=graph,
            updated_at=ctx.clock(),
        )
        await flow_repository.append_version(conn, version)
        await _record_version(conn, version)
    ctx.wake_relay()
    return version


async def delete_flow(cmd: DeleteFlow, ctx: FlowServiceContext) -> None:
    async with ctx.db.connection() as conn, conn.transaction():
        if not await flow_repository.soft_delete(conn, cmd.org_id, cmd.flow_id, ctx.clock()):
            raise flow_not_found()
        env = envelope(flow_deleted(cmd.flow_id), org_id=cmd.org_id, aggregate_id=cmd.flow_id)
        await enqueue(conn, flow_subject(cmd.org_id, cmd.flow_id), env, msg_id=flow_deleted_msg_id(cmd.flow_id))
    ctx.wake_relay()


# -- audio ------------------------------------------------------------------------------------


async def upload_audio(cmd: UploadAudio, ctx: FlowServiceContext) -> AudioAsset:
    if len(cmd.data) > MAX_UPLOAD_BYTES:
        raise payload_too_large(f"file must be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        # Decoding and resampling are CPU-bound: keep them off the event loop.
        converted = await asyncio.to_thread(transcode, cmd.data)
    except AudioRejected as err:
        raise ValidationFailed.single("file", err.message, "invalidAudio") from None
    audio_id = new_id()
    now = ctx.clock()
    asset = AudioAsset(
        id=audio_id,
        org_id=cmd.org_id,
        title=cmd.title or default_title(cmd.file_name),
        description=cmd.description,
        usage_type=cmd.usage_type or DEFAULT_USAGE_TYPE,
        tags=cmd.tags,
        duration_ms=converted.duration_ms,
        original_file_name=cmd.file_name,
        file=AudioFile(
            id=new_id(),
            name=cmd.file_name,
            content_type=converted.content_type,
            file_size=len(cmd.data),
            checksum="sha256:" + hashlib.sha256(cmd.data).hexdigest(),
        ),
        ulaw_object=ulaw_object_name(cmd.org_id, audio_id),
        pcm16_object=pcm16_object_name(cmd.org_id, audio_id),
        created_at=now,
        updated_at=now,
    )
    # Objects first: the event below must never name an object that is not there yet.
    await ctx.audio_store.put(asset.ulaw_object, converted.ulaw, description="G.711 mu-law, 8 kHz mono")
    await ctx.audio_store.put(asset.pcm16_object, converted.pcm16, description="PCM s16le, 8 kHz mono")
    async with ctx.db.connection() as conn, conn.transaction():
        await audio_repository.insert(conn, asset)
        env = envelope(audio_uploaded(asset), org_id=asset.org_id, aggregate_id=asset.id)
        await enqueue(conn, audio_subject(asset.org_id, asset.id), env, msg_id=audio_uploaded_msg_id(asset.id))
    ctx.wake_relay()
    return asset


async def update_audio(cmd: UpdateAudio, ctx: FlowServiceContext) -> AudioAsset:
    async with ctx.db.connection() as conn, conn.transaction():
        current = await audio_repository.get(conn, cmd.org_id, cmd.audio_id, for_update=True)
        if current is None:
            raise audio_not_found()
        updated = replace(
            current,
            title=current.title if cmd.title is UNSET else cmd.title,
            description=current.description if cmd.description is UNSET else cmd.description,
            usage_type=current.usage_type if cmd.usage_type is UNSET else cmd.usage_type,
            tags=current.tags if cmd.tags is UNSET else cmd.tags,
            updated_at=ctx.clock(),
        )
        await audio_repository.update_metadata(conn, updated)
    return updated


async def delete_audio(cmd: DeleteAudio, ctx: FlowServiceContext) -> None:
    # Soft delete: the objects stay, so calls of flow versions already pinned keep their audio;
    # new saves that play this audio fail validation (AUDIO_NOT_FOUND).
    async with ctx.db.connection() as conn, conn.transaction():
        if not await audio_repository.soft_delete(conn, cmd.org_id, cmd.audio_id, ctx.clock()):
            raise audio_not_found()


Handler = Callable[[Any, FlowServiceContext], Awaitable[Any]]

COMMAND_HANDLERS: dict[type[Command], Handler] = {
    CreateFlow: create_flow,
    UpdateFlow: update_flow,
    DeleteFlow: delete_flow,
    UploadAudio: upload_audio,
    UpdateAudio: update_audio,
    DeleteAudio: delete_audio,
}


async def handle(cmd: Command, ctx: FlowServiceContext) -> Any:
    return await COMMAND_HANDLERS[type(cmd)](cmd, ctx)
