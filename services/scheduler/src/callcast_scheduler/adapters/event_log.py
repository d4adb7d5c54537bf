"""Reading one aggregate's latest event straight from JetStream (a direct get, no consumer)."""

from __future__ import annotations

import nats.js.errors
from nats.js import JetStreamContext

from callcast_contracts.envelope import decode
from callcast_runtime.messaging import StoredEvent


async def last_event(js: JetStreamContext, stream: str, subject: str) -> StoredEvent | None:
    """The subject's last event with its stream sequence, or None when the subject has none."""
    try:
        msg = await js.get_last_msg(stream, subject)
    except nats.js.errors.NotFoundError:
        return None
    return StoredEvent(seq=int(msg.seq or 0), subject=subject, envelope=decode(msg.data or b""))
