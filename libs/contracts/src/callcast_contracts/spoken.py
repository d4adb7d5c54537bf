"""Spoken content over NATS request/reply: play items → the dictionary clips to play, in order.

The flow service answers requests on ``RENDER_SPOKEN_SUBJECT`` (queue group ``flow``: any one
instance answers, on one machine or a cluster). It renders each ``number``/``date``/``word`` item
into dictionary keys (``callcast_spoken``) and resolves every key by the lookup rule — the
organization's dictionaries of the item's language first (newest first), then the system one —
to an object of the ``callcast-audio`` object store (``dictionaries/<dictionaryId>/<key>.ulaw``,
8 kHz mono G.711 μ-law). The subject is outside every stream, so JetStream never stores or
acknowledges these requests.

Request and reply are JSON (msgspec, camelCase). A reply always answers every item, in order: an
item that cannot be rendered carries ``error``; keys found in no dictionary are in
``missingKeys`` (and absent from ``clips``). ``digest`` (``sha256:<hex>`` of the object) lets a
player cache clips safely across replacements of an entry.
"""

from __future__ import annotations

from typing import Any

import msgspec

RENDER_SPOKEN_SUBJECT = "rpc.flow.spoken.render"
RENDER_SPOKEN_QUEUE = "flow"


class RenderSpokenRequest(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    org_id: str
    #: Resolved play items: ``{"type": "number"|"date"|"word", "value", "language", "mode"?,
    #: "currency"?}`` (an ``audioFile`` item is answered with an error: play it by its audio id).
    items: list[dict[str, Any]]


class SpokenClip(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    key: str
    object_name: str
    digest: str
    duration_ms: int
    dictionary_id: str


class RenderedItem(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    keys: list[str] = []
    clips: list[SpokenClip] = []
    missing_keys: list[str] = []
    error: str | None = None


class RenderSpokenReply(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    items: list[RenderedItem] = []
    #: The request as a whole was unusable (bad JSON, no org); ``items`` is then empty.
    error: str | None = None


def encode_request(request: RenderSpokenRequest) -> bytes:
    return msgspec.json.encode(request)


def decode_request(data: bytes) -> RenderSpokenRequest:
    return msgspec.json.decode(data, type=RenderSpokenRequest)


def encode_reply(reply: RenderSpokenReply) -> bytes:
    return msgspec.json.encode(reply)


def decode_reply(data: bytes) -> RenderSpokenReply:
    return msgspec.json.decode(data, type=RenderSpokenReply)
