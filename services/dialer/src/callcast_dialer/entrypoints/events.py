"""The dial-command work queue consumer.

A pull loop that fetches a command only when a call slot is free. faststream's concurrent pull
subscriber prefetches into a buffer, where a command's ack-wait would run out while it waits
behind long calls and be handed to another dialer; fetching on capacity avoids that.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import context as otel_context
from opentelemetry import trace

from callcast_contracts.envelope import decode
from callcast_contracts.streams import DIAL_COMMANDS
from callcast_contracts.subjects import Context
from callcast_dialer.handlers import DialHandler
from callcast_runtime.logging import get_logger
from callcast_runtime.service import Runtime
from callcast_runtime.tracing import extract_context, tracer

log = get_logger(__name__)

DURABLE = "dialer"
ACK_WAIT_S = 30.0
KEEP_ALIVE_EVERY_S = 10.0


async def consume_dial_commands(runtime: Runtime, handler: DialHandler, max_calls: int) -> None:
    js = runtime.js
    config = ConsumerConfig(
        durable_name=DURABLE,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT_S,
        max_deliver=-1,
        max_ack_pending=max_calls * 4,
        deliver_policy=DeliverPolicy.ALL,
        filter_subject=f"{Context.DIAL}.>",
    )
    sub = await js.pull_subscribe(f"{Context.DIAL}.>", durable=DURABLE, stream=DIAL_COMMANDS.name, config=config)
    slots = asyncio.Semaphore(max_calls)
    tasks: set[asyncio.Task[None]] = set()
    try:
        while True:
            await slots.acquire()
            try:
                msgs = await sub.fetch(1, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                slots.release()
                continue
            except (nats.errors.ConnectionClosedError, nats.js.errors.ServiceUnavailableError):
                slots.release()
                await asyncio.sleep(0.5)
                continue
            except Exception:
                # Anything else (the consumer deleted, NATS restarting): the loop must outlive it,
                # or this dialer would silently never dial again.
                slots.release()
                log.exception("fetching dial commands failed; retrying")
                await asyncio.sleep(2.0)
                continue
            for msg in msgs:
                task = asyncio.create_task(_run_one(msg, handler, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
    finally:
        # Shutting down: calls in progress end now and record CallEnded (the runner does it on
        # cancellation); their commands stay unacked and a redelivery finds the attempt ended.
        for task in list(tasks):
            task.cancel()
        for task in list(tasks):
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


async def _run_one(msg: Msg, handler: DialHandler, slots: asyncio.Semaphore) -> None:
    token = otel_context.attach(extract_context(dict(msg.headers or {})))
    try:
        with tracer().start_as_current_span("dialer call", kind=trace.SpanKind.CONSUMER):
            try:
                env = decode(msg.data)
            except Exception:
                log.exception("undecodable dial command; terminated", subject=msg.subject)
                await msg.term()
                return
            try:
                await handler.handle(env, msg.in_progress, KEEP_ALIVE_EVERY_S)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Not acked: JetStream redelivers, and the gate decides (never a second call).
                log.exception("dial command failed; it will be redelivered", subject=msg.subject)
                with contextlib.suppress(Exception):
                    await msg.nak(delay=2.0)
                return
            await msg.ack()
    finally:
        otel_context.detach(token)
        slots.release()
