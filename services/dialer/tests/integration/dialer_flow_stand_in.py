"""A stand-in for the flow service's spoken-content responder, on a real NATS server.

It answers ``rpc.flow.spoken.render`` exactly as the contract says (``callcast_contracts.spoken``):
keys from the real renderer (``callcast_spoken.render_item``), a clip for each key it was given
(stored in the real ``callcast-audio`` object store), ``missingKeys`` for the others. It records
every request, and can be told to stay silent (to test the dialer's timeout).
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig
from nats.js.object_store import ObjectStore

from callcast_contracts.spoken import (
    RENDER_SPOKEN_QUEUE,
    RENDER_SPOKEN_SUBJECT,
    RenderedItem,
    RenderSpokenReply,
    RenderSpokenRequest,
    SpokenClip,
    decode_request,
    encode_reply,
)
from callcast_dialer.adapters.audio_store import AUDIO_BUCKET
from callcast_spoken import SpokenValueError, render_item

DICTIONARY_ID = "0192f0c1-5a1e-7000-8000-00000000d1c7"


async def audio_bucket(js: JetStreamContext) -> ObjectStore:
    try:
        return await js.object_store(AUDIO_BUCKET)
    except Exception:
        return await js.create_object_store(AUDIO_BUCKET, config=ObjectStoreConfig(bucket=AUDIO_BUCKET))


def ulaw_of(byte: int, frames: int) -> bytes:
    """``frames`` × 20 ms of one μ-law byte: recognisable in an assembled prompt."""
    return bytes([byte]) * (160 * frames)


class StandInFlowService:
    def __init__(self, nc: NatsClient, js: JetStreamContext) -> None:
        self.nc = nc
        self.js = js
        self.clips: dict[tuple[str, str], SpokenClip] = {}
        self.requests: list[RenderSpokenRequest] = []
        self.silent = False
        self._sub: Subscription | None = None

    async def add_clip(self, language: str, key: str, audio: bytes, dictionary_id: str = DICTIONARY_ID) -> SpokenClip:
        """Store ``audio`` as the clip of ``key`` (replacing any earlier one) and answer with it."""
        name = f"dictionaries/{dictionary_id}/{key}.ulaw"
        await (await audio_bucket(self.js)).put(name, audio)
        clip = SpokenClip(
            key=key,
            object_name=name,
            digest="sha256:" + hashlib.sha256(audio).hexdigest(),
            duration_ms=len(audio) // 8,
            dictionary_id=dictionary_id,
        )
        self.clips[(language, key)] = clip
        return clip

    async def start(self) -> StandInFlowService:
        self._sub = await self.nc.subscribe(RENDER_SPOKEN_SUBJECT, queue=RENDER_SPOKEN_QUEUE, cb=self._on_request)
        await self.nc.flush()
        return self

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def _on_request(self, msg: Msg) -> None:
        request = decode_request(msg.data)
        self.requests.append(request)
        if self.silent:
            return
        await msg.respond(encode_reply(RenderSpokenReply(items=[self._render(item) for item in request.items])))

    def _render(self, item: dict[str, Any]) -> RenderedItem:
        try:
            keys = render_item(item)
        except SpokenValueError as err:
            return RenderedItem(error=str(err))
        language = str(item["language"])
        found = [self.clips[(language, k)] for k in keys if (language, k) in self.clips]
        missing = [k for k in keys if (language, k) not in self.clips]
        return RenderedItem(keys=keys, clips=found, missing_keys=list(dict.fromkeys(missing)))


def request_items(service: StandInFlowService) -> list[list[dict[str, Any]]]:
    """What each render request asked, as plain data."""
    return [msgspec.to_builtins(r)["items"] for r in service.requests]
