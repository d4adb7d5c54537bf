"""Reading callee recordings from the object store the dialer writes (``callcast-recordings``).

The contract (docs/recording.md): object ``<orgId>/<recordingId>.wav``, RIFF WAV, with a
``Callcast-Org-Id`` header. The organization is checked twice — in the name and in the header —
so another organization's recording id reads as missing. Nothing here writes: before the first
recording the bucket does not exist, and every id is missing.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError

RECORDINGS_BUCKET = "callcast-recordings"
ORG_HEADER = "Callcast-Org-Id"


async def read_recording(js: JetStreamContext, org_id: str, recording_id: str) -> bytes | None:
    """The WAV bytes of one of ``org_id``'s recordings, or None."""
    try:
        bucket = await js.object_store(RECORDINGS_BUCKET)
    except BucketNotFoundError:
        return None
    name = f"{org_id}/{recording_id}.wav"
    try:
        info = await bucket.get_info(name)
        if info.deleted or (info.headers or {}).get(ORG_HEADER) != [org_id]:
            return None
        result = await bucket.get(name)
    except (ObjectNotFoundError, NotFoundError):
        return None
    return bytes(result.data or b"")
