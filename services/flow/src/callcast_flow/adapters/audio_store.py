"""Where converted audio lives: a NATS JetStream Object Store bucket (``callcast-audio``).

The dialer reads the ``.ulaw`` objects by the ``object_name`` carried in ``AudioUploaded``; the
flow service reads the ``.pcm16`` ones to serve the stream endpoint. Objects are written before
the database row, so an event never names an object that is missing; an upload whose
transaction then fails leaves an unreferenced object behind, which is harmless.
"""

from __future__ import annotations

from typing import Protocol

from nats.js import JetStreamContext
from nats.js.api import ObjectMeta, ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore

from callcast_flow.domain.audio import AUDIO_BUCKET


class AudioObjectMissing(LookupError):
    pass


class AudioObjectStore(Protocol):
    async def put(self, name: str, data: bytes, *, description: str | None = None) -> None: ...

    async def get(self, name: str) -> bytes:
        """The object's bytes; ``AudioObjectMissing`` when there is none."""
        ...


async def open_audio_bucket(js: JetStreamContext, *, replicas: int = 1) -> ObjectStore:
    """The audio bucket, created on first use (every replica may race to create it: that is fine,
    JetStream accepts an identical stream definition twice)."""
    try:
        return await js.object_store(AUDIO_BUCKET)
    except BucketNotFoundError:
        config = ObjectStoreConfig(
            description="Converted audio: <org>/<audioId>.ulaw (G.711 μ-law 8 kHz) and .pcm16",
            storage=StorageType.FILE,
            replicas=replicas,
        )
        return await js.create_object_store(AUDIO_BUCKET, config=config)


class JetStreamAudioStore:
    def __init__(self, bucket: ObjectStore) -> None:
        self._bucket = bucket

    @classmethod
    async def open(cls, js: JetStreamContext) -> JetStreamAudioStore:
        return cls(await open_audio_bucket(js))

    async def put(self, name: str, data: bytes, *, description: str | None = None) -> None:
        await self._bucket.put(name, data, meta=ObjectMeta(name=name, description=description))

    async def get(self, name: str) -> bytes:
        try:
            result = await self._bucket.get(name)
        except (ObjectNotFoundError, NotFoundError):
            raise AudioObjectMissing(name) from None
        return bytes(result.data or b"")
