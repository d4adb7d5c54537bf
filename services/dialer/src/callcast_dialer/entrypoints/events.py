"""The dial-command work queue consumer.

A pull loop that fetches a command only when a call slot is free. faststream's concurrent pull
subscriber prefetches into a buffer, where a command's ack-wait would run out while it waits
behind long calls and be handed to another dialer; fetching on capacity avoids that, and leaves
every command this dialer has no room for in the work queue, where another dialer can take it.

Draining (SIGTERM): the loop stops pulling at once; calls in progress go on until they end or
the drain deadline passes; then the calls still live are cancelled, which hangs them up and
records ``CallEnded`` (failed/``dialer_shutdown``) before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import context as otel_context
from opentelemetry import trace

from callcast_contracts.envelope import decode
from callcast_contracts.streams import DIAL_COMMANDS
from callcast_contracts.subjects import Context
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_dialer.handlers import DialHandler
from callcast_runtime.logging import get_logger
from callcast_runtime.tracing import extract_context, tracer

log = get_logger(__name__)

DURABLE = "dialer"
#: Seconds one fetch waits for a command: also how soon the loop notices a drain.
_FETCH_WAIT_S = 1.0


def consumer_config(settings: DialerSettings) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=DURABLE,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait_s,
        max_deliver=-1,
        # The consumer is shared by the whole fleet: a per-dialer figure here would cap every
        # dialer together. Each dialer limits itself (it fetches only into a free call slot).
        max_ack_pending=-1,
        deliver_policy=DeliverPolicy.ALL,
        filter_subject=f"{Context.DIAL}.>",
    )


class DialCommandConsumer:
    def __init__(self, js: JetStreamContext, handler: DialHandler, settings: DialerSettings) -> None:
        self.js = js
        self.handler = handler
        self.settings = settings
        self._slots = asyncio.Semaphore(settings.max_calls)
        self._calls: set[asyncio.Task[None]] = set()
        self._stop_pulling = asyncio.Event()
        self._pulling_stopped = asyncio.Event()
        #: Set once the shared durable consumer exists (created or updated by this dialer).
        self.declared = asyncio.Event()

    @property
    def draining(self) -> bool:
        return self._stop_pulling.is_set()

    @property
    def live_calls(self) -> int:
        return len(self._calls)

    async def run(self) -> None:
        """Pull and run commands until :meth:`drain` (or cancellation, which ends every call)."""
        try:
            sub = await self._subscribe()
            try:
                await self._pull(sub)
            finally:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
        except asyncio.CancelledError:
            await self._end_calls()
            raise
        finally:
            self._pulling_stopped.set()

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        delay = 0.5
        while True:
            try:
                await self._declare_consumer()
                self.declared.set()
                return await self.js.pull_subscribe_bind(DURABLE, stream=DIAL_COMMANDS.name)
            except Exception:
                # NATS not reachable yet: a dialer that gave up here would never dial.
                log.exception("cannot subscribe to dial commands; retrying", retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _declare_consumer(self) -> None:
        # Create or update: the ack wait and the pending limit follow this dialer's settings.
        await self.js.add_consumer(DIAL_COMMANDS.name, consumer_config(self.settings))

    async def drain(self, timeout_s: float) -> None:
        """Stop pulling now; wait up to ``timeout_s`` for the live calls to end by themselves,
        then end the rest (``dialer_shutdown``)."""
        self._stop_pulling.set()
        log.info("draining: no more dial commands taken", live_calls=self.live_calls, timeout_s=timeout_s)
        deadline = time.monotonic() + timeout_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._pulling_stopped.wait(), timeout=max(deadline - time.monotonic(), 0.1))
        if self._calls:
            await asyncio.wait(set(self._calls), timeout=max(deadline - time.monotonic(), 0.0))
        if self._calls:
            log.warning("drain deadline passed; hanging up the calls still live", live_calls=self.live_calls)
        await self._end_calls()

    async def stop(self) -> None:
        """End every call still live now (each hangs up and records CallEnded): for a stop that
        comes while a drain still waits, or after it, when the pull loop has long returned."""
        self._stop_pulling.set()
        await self._end_calls()

    async def _end_calls(self) -> None:
        # Cancelling a call hangs it up and records CallEnded (failed/dialer_shutdown); its command
        # stays unacknowledged and a redelivery finds the attempt ended.
        calls = list(self._calls)
        for task in calls:
            task.cancel()
        for task in calls:
            with contextlib.suppress(BaseException):
                await task

    async def _pull(self, sub: JetStreamContext.PullSubscription) -> None:
        while await self._free_slot():
            try:
                msgs = await sub.fetch(1, timeout=_FETCH_WAIT_S)
            except (nats.errors.TimeoutError, TimeoutError):
                self._slots.release()
                continue
            except (nats.errors.ConnectionClosedError, nats.js.errors.ServiceUnavailableError):
                self._slots.release()
                await asyncio.sleep(0.5)
                continue
            except Exception:
                # Anything else (the consumer deleted, NATS restarting): the loop must outlive it,
                # or this dialer would silently never dial again.
                self._slots.release()
                log.exception("fetching dial commands failed; retrying")
                await asyncio.sleep(2.0)
                with contextlib.suppress(Exception):
                    await self._declare_consumer()  # in case it was deleted
                continue
            if self.draining:
                # Fetched as the drain began: hand it straight back to the other dialers.
                for msg in msgs:
                    with contextlib.suppress(Exception):
                        await msg.nak()
                self._slots.release()
                return
            for msg in msgs:
                task = asyncio.create_task(self._run_one(msg))
                self._calls.add(task)
                task.add_done_callback(self._calls.discard)

    async def _free_slot(self) -> bool:
        """Wait for a call slot; False once the drain began (then no slot is held)."""
        if self.draining:
            return False
        acquire = asyncio.ensure_future(self._slots.acquire())
        stop = asyncio.ensure_future(self._stop_pulling.wait())
        await asyncio.wait({acquire, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not acquire.done():
            acquire.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await acquire
        if acquire.done() and not acquire.cancelled():
            if not self.draining:
                return True
            self._slots.release()
        return False

    async def _run_one(self, msg: Msg) -> None:
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
                    handled = await self.handler.handle(env, msg.in_progress)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Not acked: JetStream redelivers, and the gate decides (never a second call).
                    log.exception("dial command failed; it will be redelivered", subject=msg.subject)
                    with contextlib.suppress(Exception):
                        await msg.nak(delay=2.0)
                    return
                if handled.retry_in_s is not None:
                    with contextlib.suppress(Exception):
                        await msg.nak(delay=handled.retry_in_s)
                    return
                try:
                    await msg.ack()
                except Exception:
                    # NATS away at this moment: the command comes back and finds the attempt ended.
                    log.warning("dial command not acknowledged; a redelivery will find it done", subject=msg.subject)
        finally:
            otel_context.detach(token)
            self._slots.release()
