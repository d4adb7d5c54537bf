"""The spoken-content responder the dialer calls over NATS: play items → clips in the object store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from litestar.testing import AsyncTestClient
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from callcast_contracts.spoken import (
    RENDER_SPOKEN_SUBJECT,
    RenderSpokenReply,
    RenderSpokenRequest,
    decode_reply,
    encode_request,
)
from callcast_spoken import render_number

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Any]


@pytest.fixture
async def nc(nats_url: str, client: Client) -> AsyncIterator[NatsClient]:
    """A NATS connection of our own, once the service (and so its responder) runs."""
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


async def ask(nc: NatsClient, org_id: str, items: list[dict[str, Any]]) -> RenderSpokenReply:
    msg = await nc.request(
        RENDER_SPOKEN_SUBJECT, encode_request(RenderSpokenRequest(org_id=org_id, items=items)), timeout=5
    )
    return decode_reply(msg.data)


async def test_the_dialer_gets_the_clips_of_a_number_in_the_order_to_play_them(
    client: Client,
    nc: NatsClient,
    js: JetStreamContext,
    headers: dict[str, str],
    org_id: str,
    system_fr: dict[str, Any],
) -> None:
    reply = await ask(nc, org_id, [{"type": "number", "value": 71, "language": "fr"}])

    assert reply.error is None
    [item] = reply.items
    assert item.keys == ["60", "and", "11"]
    assert [c.key for c in item.clips] == ["60", "and", "11"]
    assert item.missing_keys == []
    bucket = await js.object_store("callcast-audio")
    for clip in item.clips:
        assert clip.dictionary_id == system_fr["id"]
        assert clip.object_name == f"dictionaries/{system_fr['id']}/{clip.key}.ulaw"
        stored = await bucket.get(clip.object_name)
        assert len(stored.data or b"") == clip.duration_ms * 8  # 8 μ-law bytes per millisecond


async def test_every_item_is_answered_in_order_even_those_that_cannot_be_said(
    nc: NatsClient, org_id: str, system_fr: dict[str, Any]
) -> None:
    reply = await ask(
        nc,
        org_id,
        [
            {"type": "audioFile", "audioId": "x"},
            {"type": "date", "value": "2024-03-01", "language": "fr", "mode": "day_month"},
            {"type": "number", "value": 3, "language": "ar"},
        ],
    )

    audio, date, arabic = reply.items
    assert audio.error is not None
    assert [c.key for c in date.clips] == ["first", "month_3"]
    assert (arabic.keys, arabic.clips, arabic.missing_keys) == (["3"], [], ["3"])


async def test_a_malformed_request_gets_an_error_reply_not_a_timeout(nc: NatsClient) -> None:
    for payload in (b"not json", b'{"items": []}', b'{"orgId": "", "items": []}'):
        reply = decode_reply((await nc.request(RENDER_SPOKEN_SUBJECT, payload, timeout=5)).data)
        assert reply.error is not None
        assert reply.items == []


async def test_many_dialers_asking_at_once_are_all_answered(
    nc: NatsClient, org_id: str, system_fr: dict[str, Any]
) -> None:
    replies = await asyncio.gather(
        *(ask(nc, org_id, [{"type": "number", "value": n, "language": "fr"}]) for n in range(100))
    )

    assert [r.items[0].keys for r in replies] == [render_number(n, "fr") for n in range(100)]
