"""Prompt audio from the shared object store (NATS JetStream Object Store ``callcast-audio``).

Every dialer instance reads the same bucket, so any dialer can play any organization's audio.
Audio is immutable once uploaded, so a bounded in-memory cache is always correct.
"""

from __future__ import annotations

from collections import OrderedDict

from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from callcast_dialer.adapters.rtp import g711

AUDIO_BUCKET = "callcast-audio"


class AudioNotFound(Exception):
    pass


class AudioStore:
    def __init__(self, js: JetStreamContext, *, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.js = js
        self.max_bytes = max_bytes
        self._store: ObjectStore | None = None
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    async def _bucket(self) -> ObjectStore:
        if self._store is None:
            self._store = await self.js.object_store(AUDIO_BUCKET)
        return self._store

    async def ulaw(self, org_id: str, audio_id: str) -> bytes:
        name = f"{org_id}/{audio_id}.ulaw"
        data = self._cache.get(name)
        if data is not None:
            self._cache.move_to_end(name)
            return data
        try:
            bucket = await self._bucket()
            result = await bucket.get(name)
        except Exception as err:
            raise AudioNotFound(f"audio {audio_id} is not in the object store") from err
        data = bytes(result.data or b"")
        if not data:
            raise AudioNotFound(f"audio {audio_id} is empty")
        self._cache[name] = data
        self._size += len(data)
        while self._size > self.max_bytes and self._cache:
            _, old = self._cache.popitem(last=False)
            self._size -= len(old)
        return data

    async def for_codec(self, org_id: str, audio_id: str, codec: str) -> bytes:
        data = await self.ulaw(org_id, audio_id)
        return data if codec == "PCMU" else g711.transcode(data, "PCMU", codec)
