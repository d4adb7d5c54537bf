"""Prompt audio from the shared object store (NATS JetStream Object Store ``callcast-audio``).

Every dialer instance reads the same bucket, so any dialer can play any organization's audio.
Two kinds of objects, both 8 kHz mono G.711 μ-law:

- uploaded prompts, ``<orgId>/<audioId>.ulaw``: immutable once uploaded, cached by name;
- dictionary clips, ``dictionaries/<dictionaryId>/<key>.ulaw``: replaced in place when an entry
  gets a new clip, so they are cached by content digest (``sha256:<hex>``, which the flow
  service's render reply gives), never by name.

One bounded LRU cache (by bytes) holds both. Audio is returned as stored (μ-law); the call's
RTP session converts it to the negotiated codec as it plays.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

AUDIO_BUCKET = "callcast-audio"


class AudioNotFound(Exception):
    pass


def ulaw_digest(data: bytes) -> str:
    """The digest the flow service gives a stored clip."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


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
        """An organization's uploaded prompt."""
        name = f"{org_id}/{audio_id}.ulaw"
        data = self._cached(name)
        if data is None:
            data = await self._fetch(name, f"audio {audio_id}")
            self._remember(name, data)
        return data

    async def clip(self, object_name: str, digest: str) -> bytes:
        """A dictionary clip by object name, cached by ``digest``.

        If the entry was replaced between the render reply and this read, the object holds the
        newer clip: it is played (it is what the dictionary says now) and cached under its own
        digest, so the stale digest never maps to other audio.
        """
        data = self._cached(digest)
        if data is None:
            data = await self._fetch(object_name, f"dictionary clip {object_name}")
            self._remember(ulaw_digest(data), data)
        return data

    # -- the store and the cache --------------------------------------------------------------
    async def _fetch(self, name: str, what: str) -> bytes:
        try:
            bucket = await self._bucket()
            result = await bucket.get(name)
        except Exception as err:
            raise AudioNotFound(f"{what} is not in the object store") from err
        data = bytes(result.data or b"")
        if not data:
            raise AudioNotFound(f"{what} is empty")
        return data

    def _cached(self, key: str) -> bytes | None:
        data = self._cache.get(key)
        if data is not None:
            self._cache.move_to_end(key)
        return data

    def _remember(self, key: str, data: bytes) -> None:
        if key in self._cache:
            return
        self._cache[key] = data
        self._size += len(data)
        while self._size > self.max_bytes and self._cache:
            _, old = self._cache.popitem(last=False)
            self._size -= len(old)
