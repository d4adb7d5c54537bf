"""Events of the flow context (``flows.<org>.flow.<id>``, ``flows.<org>.audio.<id>``,
``flows.<org>.dictionary.<id>`` — ``<org>`` is ``system`` for the system dictionaries)."""

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


class DictionarySaved(Event, frozen=True, kw_only=True):
    """A dictionary was created or its name/description changed (``revision`` counts the saves)."""

    dictionary_id: str
    name: str
    language: str
    is_system: bool
    revision: int


class DictionaryDeleted(Event, frozen=True, kw_only=True):
    """A dictionary was (soft) deleted: its entries are no longer looked up."""

    dictionary_id: str


class DictionaryEntrySaved(Event, frozen=True, kw_only=True):
    """A dictionary key's clip is in the object store under ``object_name`` (8 kHz mono G.711
    μ-law); a key saved again replaces the object and bumps ``revision``; ``digest`` is
    ``sha256:<hex>`` of the object's bytes (a cache key for players)."""

    dictionary_id: str
    entry_id: str
    key: str
    language: str
    object_name: str
    digest: str
    duration_ms: int
    revision: int
    codec: str = "PCMU"


class DictionaryEntryDeleted(Event, frozen=True, kw_only=True):
    dictionary_id: str
    entry_id: str
    key: str
