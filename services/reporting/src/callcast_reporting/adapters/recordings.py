"""Reading callee recordings from the object store the dialer writes (``callcast-recordings``).

The contract is ``callcast_contracts.recordings``. Nothing here writes: before the first
recording the bucket does not exist, and every id is missing.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError

from callcast_contracts.recordings import ORG_HEADER, RECORDINGS_BUCKET, recording_object_name


async def read_recording(js: JetStreamContext, org_id: str, recording_id: str) -> bytes | None:
    """The WAV bytes of one of ``org_id``'s recordings, or None."""
    try:
        bucket = await js.object_store(RECORDINGS_BUCKET)
    except BucketNotFoundError:
        return None
    name = recording_object_name(org_id, recording_id)
    try:
        info = await bucket.get_info(name)
        if info.deleted or (info.headers or {}).get(ORG_HEADER) != [org_id]:
            return None
        result = await bucket.get(name)
    except (ObjectNotFoundError, NotFoundError):
        return None
    return bytes(result.data or b"")
