"""The NATS responder that places test calls for the flow service (``POST /api/flows/execute``).

Subscribes to ``callcast_contracts.test_call.PLACE_TEST_CALL_SUBJECT`` in the queue group
``scheduler``, so exactly one scheduler instance answers each request, on one machine as on a
cluster. Every request gets a reply: ``{jobId}``, or ``error`` with the API's status and named
error (``ContactNotFoundError``, ``DidNotFoundError``, ``DidNotActiveError``, …), so the flow
service never waits for its timeout on a request the scheduler refused.
"""

from __future__ import annotations

import asyncio

import msgspec
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from callcast_contracts.test_call import (
    PLACE_TEST_CALL_QUEUE,
    PLACE_TEST_CALL_SUBJECT,
    PlaceTestCallReply,
    TestCallRefused,
    decode_request,
    encode_reply,
)
from callcast_runtime.errors import ApiError
from callcast_runtime.logging import get_logger
from callcast_scheduler.handlers import Scheduler

log = get_logger(__name__)

#: Requests answered at once by one instance (each holds a database connection while it runs).
MAX_CONCURRENT_REQUESTS = 8


async def answer(scheduler: Scheduler, data: bytes) -> PlaceTestCallReply:
    try:
        request = decode_request(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        return PlaceTestCallReply(error=TestCallRefused(status=400, code="VALIDATION_FAILED", message=str(err)))
    try:
        job_id = await scheduler.place_test_call(request)
    except ApiError as err:
        return PlaceTestCallReply(error=TestCallRefused(status=err.status_code, code=err.code, message=err.message))
    return PlaceTestCallReply(job_id=job_id)


async def subscribe_test_call_responder(nc: NatsClient, scheduler: Scheduler) -> Subscription:
    gate = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
    running: set[asyncio.Task[None]] = set()

    async def respond(msg: Msg) -> None:
        async with gate:
            try:
                reply = await answer(scheduler, msg.data)
            except Exception as err:  # a reply beats a timeout: the caller can say what failed
                log.exception("placing a test call failed")
                reply = PlaceTestCallReply(
                    error=TestCallRefused(
                        status=503,
                        code="SERVICE_UNAVAILABLE",
                        message=f"The scheduler could not place the test call: {type(err).__name__}",
                    )
                )
        await msg.respond(encode_reply(reply))

    async def on_request(msg: Msg) -> None:
        # nats-py runs a subscription's callbacks one after another: answer in tasks, so one slow
        # request does not hold up the others.
        if msg.reply:
            task = asyncio.create_task(respond(msg))
            running.add(task)
            task.add_done_callback(running.discard)

    return await nc.subscribe(PLACE_TEST_CALL_SUBJECT, queue=PLACE_TEST_CALL_QUEUE, cb=on_request)
