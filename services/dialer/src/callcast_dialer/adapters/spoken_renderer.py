"""Spoken play items → dictionary clips, asked of the flow service over NATS request/reply.

The flow service owns dictionaries; it answers ``rpc.flow.spoken.render`` (queue group ``flow``,
any one instance) with, for each item, the keys said and the clip objects to play
(``callcast_contracts.spoken``). Every way the request can go wrong — nobody listening, no
answer in time, an unreadable or refused reply — is a :class:`SpokenRenderFailed` whose message
names what happened, so the play item fails with a reason a report reader can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import nats.errors
from nats.aio.client import Client as NatsClient

from callcast_contracts.spoken import (
    RENDER_SPOKEN_SUBJECT,
    RenderedItem,
    RenderSpokenRequest,
    decode_reply,
    encode_request,
)
from callcast_runtime.tracing import inject_headers

#: How long a call waits for the flow service (the callee hears silence meanwhile): long enough
#: for a busy flow instance's database round trip, short enough that a dead one fails the item.
DEFAULT_TIMEOUT_S = 5.0


class SpokenRenderFailed(Exception):
    pass


class SpokenRenderer:
    def __init__(self, nc: NatsClient, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.nc = nc
        self.timeout_s = timeout_s

    async def render(self, org_id: str, items: Sequence[dict[str, Any]]) -> list[RenderedItem]:
        """One reply item per item of ``items``, in order (checked)."""
        request = encode_request(RenderSpokenRequest(org_id=org_id, items=list(items)))
        try:
            msg = await self.nc.request(
                RENDER_SPOKEN_SUBJECT, request, timeout=self.timeout_s, headers=inject_headers() or None
            )
        except nats.errors.NoRespondersError as err:
            raise SpokenRenderFailed(
                f"no flow service answers {RENDER_SPOKEN_SUBJECT} (is the flow service running?)"
            ) from err
        except nats.errors.TimeoutError as err:
            raise SpokenRenderFailed(
                f"the flow service did not answer {RENDER_SPOKEN_SUBJECT} within {self.timeout_s:g} s"
            ) from err
        except nats.errors.Error as err:
            raise SpokenRenderFailed(f"asking the flow service to render failed: {type(err).__name__}: {err}") from err
        try:
            reply = decode_reply(msg.data)
        except msgspec.DecodeError as err:
            raise SpokenRenderFailed(f"the flow service's render reply is unreadable: {err}") from err
        if reply.error is not None:
            raise SpokenRenderFailed(f"the flow service could not render the items: {reply.error}")
        if len(reply.items) != len(items):
            raise SpokenRenderFailed(f"the flow service answered {len(reply.items)} items for the {len(items)} asked")
        return list(reply.items)
