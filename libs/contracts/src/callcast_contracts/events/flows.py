"""Events of the flow context (``flows.<org>.flow.<id>``, ``flows.<org>.audio.<id>``)."""

from __future__ import annotations

from typing import Any

import msgspec

from callcast_contracts.envelope import Event


class FlowSnapshot(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """One immutable version of a flow, in the public document form (nodes as an array)."""

    flow_id: str
    version: int
    name: str
    graph_hash: str
    start_node_id: str
    nodes: list[dict[str, Any]]


class FlowVersionSaved(Event, frozen=True, kw_only=True):
    flow: FlowSnapshot


class FlowDeleted(Event, frozen=True, kw_only=True):
    flow_id: str


class AudioUploaded(Event, frozen=True, kw_only=True):
    """Converted audio is in the object store under ``object_name`` (8 kHz mono G.711 μ-law)."""

    audio_id: str
    title: str
    duration_ms: int
    object_name: str
    codec: str = "PCMU"
