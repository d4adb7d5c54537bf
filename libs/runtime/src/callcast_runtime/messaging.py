"""NATS JetStream: the broker, stream declaration, the event store and durable consumers.

faststream owns the connection and the subscribers (so the AsyncAPI document lists them);
appends go through nats-py's JetStream context because they need per-message headers for
optimistic concurrency (``Nats-Expected-Last-Subject-Sequence``) and idempotency (``Nats-Msg-Id``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faststream.nats.subscriber.usecases.stream_pull_subscriber as _faststream_pull
import nats.js.errors
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsMessage, PullSub
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from opentelemetry import context as otel_context
from opentelemetry import trace

import callcast_contracts.events  # noqa: F401  (registers every event type for decode)
from callcast_contracts.envelope import Envelope, Event, UnknownEventType, decode, encode
from callcast_contracts.streams import StreamSpec
from callcast_contracts.subjects import (
    EVENT_TYPE_HEADER,
    EVENT_VERSION_HEADER,
    EXPECTED_LAST_SUBJECT_SEQ_HEADER,
    MSG_ID_HEADER,
    ORG_HEADER,
)
from callcast_runtime.logging import get_logger
from callcast_runtime.tracing import extract_context, inject_headers, tracer

log = get_logger(__name__)

# faststream's batch pull loop catches only ``nats.errors.TimeoutError``, but nats-py 2.16's
# ``fetch`` also raises a bare ``asyncio.TimeoutError`` when the deadline runs out between its two
# pull requests. That escapes the loop and drops the messages it had fetched already: unacked,
# they wait for ``ack_wait`` (30 s) before being redelivered. Catch the base class there.
_faststream_pull.TimeoutError = TimeoutError  # type: ignore[misc,assignment]


def create_broker(nats_url: str, *, name: str) -> NatsBroker:
    flog = logging.getLogger(f"faststream.{name}")
    return NatsBroker(
        nats_url,
        name=f"callcast-{name}",
        logger=flog,
        log_level=logging.DEBUG,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        graceful_timeout=15.0,
    )


async def ensure_streams(js: JetStreamContext, specs: Sequence[StreamSpec], *, replicas: int = 1) -> None:
    """Create or update every stream; safe to run from every replica at every start."""
    for spec in specs:
        config = StreamConfig(
            name=spec.name,
            subjects=list(spec.subjects),
            description=spec.description,
            retention=RetentionPolicy.WORK_QUEUE if spec.work_queue else RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            duplicate_window=spec.duplicate_window_s,
            num_replicas=replicas,
            allow_direct=True,
        )
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            # Exists with another configuration: bring it to ours.
            await js.update_stream(config)


class AppendConflict(Exception):
    """The subject's last sequence was not the one we expected: someone else appended first."""

    def __init__(self, subject: str, expected: int, detail: str) -> None:
        super().__init__(f"{subject}: expected last sequence {expected}: {detail}")
        self.subject = subject
        self.expected = expected


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    subject: str
    envelope: Envelope[Event]


class EventStore:
    """Append-only event streams on JetStream, one subject per aggregate instance."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def append(
        self,
        subject: str,
        env: Envelope[Any],
        *,
        msg_id: str,
        expected_last_seq: int | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> Appended:
        """Append one event. ``msg_id`` must follow from what the event is about, so a retry of
        the same append is dropped by the server (``duplicate=True``) instead of stored twice."""
        hdrs = inject_headers(
            {
                MSG_ID_HEADER: msg_id,
                EVENT_TYPE_HEADER: env.type,
                EVENT_VERSION_HEADER: str(env.version),
                ORG_HEADER: env.org_id,
                **(headers or {}),
            }
        )
        if expected_last_seq is not None:
            hdrs[EXPECTED_LAST_SUBJECT_SEQ_HEADER] = str(expected_last_seq)
        try:
            ack = await self.js.publish(subject, encode(env), timeout=timeout, headers=hdrs)
        except nats.js.errors.APIError as err:
            if err.err_code == 10071:  # wrong last sequence
                raise AppendConflict(subject, expected_last_seq or 0, str(err.description)) from err
            raise
        return Appended(seq=ack.seq, duplicate=bool(ack.duplicate))

    async def last_seq(self, stream: str, subject: str) -> int:
        """Stream sequence of the subject's last event, 0 when it has none."""
        try:
            msg = await self.js.get_last_msg(stream, subject)
        except nats.js.errors.NotFoundError:
            return 0
        return int(msg.seq or 0)

    async def load(self, stream: str, subject: str, *, timeout: float = 5.0) -> list[StoredEvent]:
        """Every event of one aggregate, in order (an ordered, ephemeral consumer)."""
        last = await self.last_seq(stream, subject)
        if last == 0:
            return []
        events: list[StoredEvent] = []
        sub = await self.js.subscribe(
            subject,
            stream=stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        try:
            while True:
                msg = await sub.next_msg(timeout=timeout)
                seq = msg.metadata.sequence.stream
                events.append(StoredEvent(seq=seq, subject=msg.subject, envelope=decode(msg.data)))
                if seq >= last:
                    break
        finally:
            await sub.unsubscribe()
        return events


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event handed to a consumer's handler."""

    seq: int
    subject: str
    envelope: Envelope[Event]
    headers: dict[str, str]
    raw: Msg


EventHandler = Callable[[Delivery], Awaitable[None]]


def durable_event_consumer(
    broker: NatsBroker,
    *,
    stream: StreamSpec,
    durable: str,
    subject: str,
    handler: EventHandler,
    description: str,
    batch_size: int = 200,
    ack_wait_s: float = 30.0,
) -> None:
    """A durable pull consumer that applies events strictly in stream order.

    Each message is acknowledged only after its handler returned (the handler makes its effect
    durable first). On a handler error the failed message and every later one of the batch are
    negatively acknowledged, never dropped, and nothing after it is applied, so a projection that
    records the sequence it applied never skips an event.
    """

    config = ConsumerConfig(
        durable_name=durable,
        ack_wait=ack_wait_s,
        max_ack_pending=batch_size * 2,
        max_deliver=-1,
        deliver_policy=DeliverPolicy.ALL,
    )

    # ``body`` is whatever faststream decoded (JSON payloads become dicts): unused, and typed Any
    # so that its validation never rejects a batch; the raw messages are decoded below.
    async def consume(body: Any, msg: NatsMessage) -> None:
        raws: list[Msg] = list(msg.raw_message)  # type: ignore[call-overload]
        for i, raw in enumerate(raws):
            try:
                await _handle_one(raw, handler, durable)
            except Exception:
                log.exception("event handler failed; will retry", consumer=durable, subject=raw.subject)
                # nak without a delay: JetStream then redelivers these before any newer message
                # (a delayed nak lets newer messages overtake them, and a projection that skips
                # what is below its position would lose them). The sleep is the back-off.
                for rest in raws[i:]:
                    try:
                        await rest.nak()
                    except Exception:
                        pass
                await asyncio.sleep(0.5)
                return
            await raw.ack()

    broker.subscriber(
        subject,
        stream=JStream(stream.name, declare=False),
        durable=durable,
        config=config,
        pull_sub=PullSub(batch_size=batch_size, timeout=0.5, batch=True),
        ack_policy=AckPolicy.MANUAL,
        title=f"{durable}:consume",
        description=description,
    )(consume)


async def _handle_one(raw: Msg, handler: EventHandler, durable: str) -> None:
    headers = dict(raw.headers or {})
    try:
        env = decode(raw.data)
    except UnknownEventType as err:
        # A newer producer's event this build does not know: skipping it is the additive-evolution
        # rule; the position still advances.
        log.warning("unknown event type skipped", consumer=durable, type=str(err))
        return
    ctx = extract_context(headers)
    token = otel_context.attach(ctx)
    try:
        with tracer().start_as_current_span(
            f"{durable} {env.type}",
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.system": "nats", "messaging.destination.name": raw.subject},
        ):
            await handler(
                Delivery(
                    seq=raw.metadata.sequence.stream,
                    subject=raw.subject,
                    envelope=env,
                    headers=headers,
                    raw=raw,
                )
            )
    finally:
        otel_context.detach(token)
