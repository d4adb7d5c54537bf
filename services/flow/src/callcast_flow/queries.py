"""The read side: what the API shows, straight from the repositories (no events, no locks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcast_flow.adapters import audio_repository, flow_repository
from callcast_flow.adapters.audio_repository import AudioFilter
from callcast_flow.adapters.audio_store import AudioObjectMissing
from callcast_flow.adapters.audio_transcoder import wav_from_pcm16
from callcast_flow.domain.audio import AudioAsset
from callcast_flow.domain.flows import FlowVersion
from callcast_flow.domain.validation import ValidationReport
from callcast_flow.errors import audio_not_found, flow_not_found, flow_version_not_found
from callcast_flow.handlers import FlowServiceContext, check_graph
from callcast_runtime.api import PageQuery


async def get_flow(ctx: FlowServiceContext, org_id: str, flow_id: str, version: int | None = None) -> FlowVersion:
    async with ctx.db.connection() as conn:
        found = await flow_repository.get(conn, org_id, flow_id, version)
        if found is None and version is not None and await flow_repository.get(conn, org_id, flow_id) is not None:
            raise flow_version_not_found(version)
    if found is None:
        raise flow_not_found()
    return found


async def list_flows(
    ctx: FlowServiceContext, org_id: str, q: PageQuery, *, status: str | None = None
) -> tuple[list[FlowVersion], int]:
    async with ctx.db.connection() as conn:
        return await flow_repository.list_latest(conn, org_id, q, status=status)


async def validate_flow(ctx: FlowServiceContext, org_id: str, graph: Mapping[str, Any]) -> ValidationReport:
    """What saving ``graph`` would find, without saving it."""
    async with ctx.db.connection() as conn:
        return await check_graph(conn, org_id, graph)


async def get_audio(ctx: FlowServiceContext, org_id: str, audio_id: str) -> AudioAsset:
    async with ctx.db.connection() as conn:
        found = await audio_repository.get(conn, org_id, audio_id)
    if found is None:
        raise audio_not_found()
    return found


async def list_audio(
    ctx: FlowServiceContext, org_id: str, q: PageQuery, f: AudioFilter
) -> tuple[list[AudioAsset], int]:
    async with ctx.db.connection() as conn:
        return await audio_repository.list_page(conn, org_id, q, f)


async def audio_as_wav(ctx: FlowServiceContext, org_id: str, audio_id: str) -> tuple[AudioAsset, bytes]:
    """The asset and a WAV (8 kHz, 16-bit, mono) of its converted audio."""
    asset = await get_audio(ctx, org_id, audio_id)
    try:
        pcm16 = await ctx.audio_store.get(asset.pcm16_object)
    except AudioObjectMissing:
        raise audio_not_found() from None
    return asset, wav_from_pcm16(pcm16)
