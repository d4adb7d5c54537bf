"""The NATS responder that turns play items into dictionary clips for the dialer.

Subscribes to ``callcast_contracts.spoken.RENDER_SPOKEN_SUBJECT`` in the queue group ``flow``, so
exactly one flow instance answers each request, on one machine as on a cluster. Request and reply
are described in ``callcast_contracts.spoken``; every request gets a reply (an unusable one gets
``error``), so a dialer never waits for its timeout on a bad request.
"""

from __future__ import annotations

import asyncio

import msgspec
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from callcast_contracts.spoken import (
    RENDER_SPOKEN_QUEUE,
    RENDER_SPOKEN_SUBJECT,
    RenderSpokenReply,
    decode_request,
    encode_reply,
)
from callcast_flow.dictionaries_handlers import render_items
from callcast_runtime.db import Pool
from callcast_runtime.logging import get_logger

log = get_logger(__name__)


async def answer(pool: Pool, data: bytes) -> RenderSpokenReply:
    try:
        request = decode_request(data)
    except msgspec.DecodeError as err:
        return RenderSpokenReply(error=f"bad request: {err}")
    if not request.org_id:
        return RenderSpokenReply(error="bad request: orgId is required")
    async with pool.connection() as conn:
        return RenderSpokenReply(items=await render_items(conn, request.org_id, request.items))


#: Requests answered at once by one instance (each holds a database connection while it runs).
MAX_CONCURRENT_REQUESTS = 8


async def subscribe_spoken_responder(nc: NatsClient, pool: Pool) -> Subscription:
    gate = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
    running: set[asyncio.Task[None]] = set()

    async def respond(msg: Msg) -> None:
        async with gate:
            try:
                reply = await answer(pool, msg.data)
            except Exception as err:  # a reply beats a timeout: the dialer can tell the call what failed
                log.exception("rendering spoken content failed")
                reply = RenderSpokenReply(error=f"the flow service could not render the items: {type(err).__name__}")
        await msg.respond(encode_reply(reply))

    async def on_request(msg: Msg) -> None:
        # nats-py runs a subscription's callbacks one after another: answer in tasks, so one slow
        # query does not hold up every dialer's request behind it.
        if msg.reply:
            task = asyncio.create_task(respond(msg))
            running.add(task)
            task.add_done_callback(running.discard)

    return await nc.subscribe(RENDER_SPOKEN_SUBJECT, queue=RENDER_SPOKEN_QUEUE, cb=on_request)
