"""Callee recordings in the shared object store (NATS JetStream Object Store ``callcast-recordings``).

One object per execution of a ``record`` node: ``<orgId>/<recordingId>.wav``, where the recording
id is a UUIDv5 of (organization, attempt, node, node execution index). A retried save (the
dialer restarted, a NATS publish timed out) therefore lands on the same object: identical bytes
are left alone, different bytes replace the old ones (the object store purges the old chunks),
and no second object ever appears. Any service that knows the organization and the recording id
can read it; the organization is part of the name and is checked again in the object's headers,
so another organization's id reads as missing.

Objects are RIFF WAV (PCM16, 8 kHz, mono) with headers (``Callcast-Org-Id``,
``Callcast-Attempt-Id``, ``Callcast-Node-Id``, ``Callcast-Node-Execution-Index``,
``Callcast-Duration-Ms``, ``Callcast-Ended-By``, ``Callcast-Speech-Ms``, ``Content-Type``). Header
values are lists of strings, the shape other NATS clients (Go's ``nats.Header``) read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import ObjectInfo, ObjectMeta, ObjectStoreConfig, StorageType
from nats.js.errors import BadRequestError, BucketNotFoundError, NotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore

from callcast_contracts.recordings import ORG_HEADER, RECORDINGS_BUCKET, WAV_CONTENT_TYPE, recording_object_name
from callcast_telephony.media import Recording

#: Fixed forever: recording ids derive from it, and stored objects are named by those ids.
RECORDING_ID_NAMESPACE = uuid.UUID("5d0c8a52-6f1e-4c37-9a43-2b7e1f0c9d61")


@dataclass(frozen=True)
class StoredRecording:
    recording_id: str
    bucket: str
    object_name: str
    size_bytes: int
    duration_ms: int
    sha256: str  # hex digest of the WAV bytes
    ended_by: str = "stopped"  # the Recording's end condition
    speech_ms: int = 0
    content_type: str = WAV_CONTENT_TYPE


def recording_id_for(*, org_id: str, attempt_id: str, node_id: str, node_execution_index: int) -> str:
    """The id of the recording made by the n-th execution of a node in one call attempt."""
    key = json.dumps([org_id, attempt_id, node_id, node_execution_index])  # unambiguous for any node id
    return str(uuid.uuid5(RECORDING_ID_NAMESPACE, key))


def _nats_digest(data: bytes) -> str:
    # The object store's own digest format, so an unchanged retry is recognised from its info.
    return "SHA-256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()


async def open_recordings_bucket(js: JetStreamContext, *, replicas: int = 1) -> ObjectStore:
    """The bucket, created on first use. Dialers race to create it: an identical definition is
    accepted twice, and if another definition won, that bucket is used as it is."""
    try:
        return await js.object_store(RECORDINGS_BUCKET)
    except BucketNotFoundError:
        pass
    config = ObjectStoreConfig(
        description="Callee recordings: <orgId>/<recordingId>.wav (PCM16 8 kHz mono)",
        storage=StorageType.FILE,
        replicas=replicas,
    )
    try:
        return await js.create_object_store(RECORDINGS_BUCKET, config=config)
    except BadRequestError:
        return await js.object_store(RECORDINGS_BUCKET)


class RecordingStore:
    def __init__(self, js: JetStreamContext, *, replicas: int = 1) -> None:
        self.js = js
        self.replicas = replicas
        self._bucket: ObjectStore | None = None

    async def bucket(self) -> ObjectStore:
        if self._bucket is None:
            self._bucket = await open_recordings_bucket(self.js, replicas=self.replicas)
        return self._bucket

    async def save(
        self,
        *,
        org_id: str,
        attempt_id: str,
        node_id: str,
        node_execution_index: int,
        recording: Recording,
    ) -> StoredRecording:
        """Store the recording as WAV; saving the same node execution again never duplicates it."""
        recording_id = recording_id_for(
            org_id=org_id, attempt_id=attempt_id, node_id=node_id, node_execution_index=node_execution_index
        )
        name = recording_object_name(org_id, recording_id)
        wav = recording.wav_bytes()
        headers = {
            ORG_HEADER: [org_id],
            "Callcast-Attempt-Id": [attempt_id],
            "Callcast-Node-Id": [node_id],
            "Callcast-Node-Execution-Index": [str(node_execution_index)],
            "Callcast-Duration-Ms": [str(recording.duration_ms)],
            "Callcast-Speech-Ms": [str(recording.speech_ms)],
            "Callcast-Ended-By": [recording.ended_by],
            "Content-Type": [WAV_CONTENT_TYPE],
        }
        bucket = await self.bucket()
        existing = await _info(bucket, name)
        if existing is None or existing.digest != _nats_digest(wav) or existing.headers != headers:
            description = f"recording of node {node_id} (execution {node_execution_index}) in attempt {attempt_id}"
            await bucket.put(name, wav, meta=ObjectMeta(name=name, description=description, headers=headers))
        return StoredRecording(
            recording_id=recording_id,
            bucket=RECORDINGS_BUCKET,
            object_name=name,
            size_bytes=len(wav),
            duration_ms=recording.duration_ms,
            sha256=hashlib.sha256(wav).hexdigest(),
            ended_by=recording.ended_by,
            speech_ms=recording.speech_ms,
        )

    async def open(self, org_id: str, recording_id: str) -> bytes | None:
        """The WAV bytes of an organization's recording; None if it has no such recording."""
        bucket = await self.bucket()
        name = recording_object_name(org_id, recording_id)
        info = await _info(bucket, name)
        if info is None or (info.headers or {}).get(ORG_HEADER) != [org_id]:
            return None
        try:
            result = await bucket.get(name)
        except (ObjectNotFoundError, NotFoundError):
            return None
        return bytes(result.data or b"")


async def _info(bucket: ObjectStore, name: str) -> ObjectInfo | None:
    try:
        info = await bucket.get_info(name)
    except (ObjectNotFoundError, NotFoundError):
        return None
    return None if info.deleted else info
