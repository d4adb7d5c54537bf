"""The call-event stream of one attempt, written by the one dialer that owns the attempt.

The first append (expected subject sequence 0) is the exactly-once gate: only one dialer can
start an attempt. Every later append expects the sequence of the previous one, and its
``Nats-Msg-Id`` is the attempt id plus the event's ordinal, so a retried append is dropped.

Ownership can be lost: a dialer cut off from NATS for longer than the lease finds, on coming
back, that another dialer ended the attempt (``dialer_lost``). A later append then comes back as
a duplicate (the other dialer's ``CallEnded`` holds the same ordinal) or as a sequence conflict.
Either is checked against the stored events: if any event past our last one is not ours, the
attempt was taken over and :class:`AttemptTakenOver` is raised; nothing is ever appended after it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import nats.js.errors

from callcast_contracts.envelope import Envelope, Event, decode, envelope
from callcast_contracts.events import CallEnded, CallStillLive
from callcast_contracts.streams import CALLS
from callcast_contracts.subjects import EVENT_TYPE_HEADER, Aggregate, Context, subject
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import AppendConflict, Appended, EventStore, StoredEvent

log = get_logger(__name__)

_TRANSPORT_TRIES = 8
CALL_ENDED = CallEnded.type_name()
_CATCH_UP_ROUNDS = 5


class AttemptAlreadyStarted(Exception):
    """Another delivery of the same dial command started this attempt before."""


class AttemptTakenOver(Exception):
    """Another dialer ended this attempt while we still had the call: hang up, append nothing."""

    def __init__(self, attempt_id: str) -> None:
        super().__init__(f"attempt {attempt_id} was ended by another dialer")
        self.attempt_id = attempt_id


@dataclass(frozen=True, slots=True)
class AttemptState:
    """What a redelivered command finds on a started attempt's subject."""

    ended: bool
    #: Seconds since the server stored the attempt's last event.
    last_event_age_s: float


class AttemptLog:
    def __init__(
        self,
        events: EventStore,
        *,
        org_id: str,
        attempt_id: str,
        causation_id: str,
        correlation_id: str,
        job_id: str | None = None,
    ) -> None:
        self.events = events
        self.org_id = org_id
        self.attempt_id = attempt_id
        self.job_id = job_id
        self.subject = subject(Context.CALLS, org_id, Aggregate.ATTEMPT, attempt_id)
        self.causation_id = causation_id
        self.correlation_id = correlation_id
        self.last_seq = 0
        self.ordinal = 0
        self.ended = False
        #: ``time.monotonic()`` of our last durable append (heartbeats are due from it).
        self.last_append_at = time.monotonic()
        self._taken_over = asyncio.Event()
        #: We gave the call up ourselves (``hold_lease``): the attempt is unended, and the lease
        #: lets another dialer end it ``dialer_lost``.
        self.lease_lost = False
        #: Envelope ids we tried to append: a duplicate or conflict caused by one of them is our
        #: own earlier try that landed although its acknowledgement was lost.
        self._mine: set[str] = set()
        self._lock = asyncio.Lock()

    @property
    def taken_over(self) -> bool:
        return self._taken_over.is_set()

    async def wait_taken_over(self) -> None:
        await self._taken_over.wait()

    async def start(self, first: Event) -> None:
        """The gate: append the attempt's first event at subject sequence 0, or raise
        :class:`AttemptAlreadyStarted`. A transport error is retried with the same msg-id; if an
        earlier try of ours landed although its acknowledgement was lost, the retry comes back
        as a duplicate or a conflict, and the stored first event, ours, is adopted."""
        env = self._envelope(first)
        self._mine.add(env.id)
        try:
            appended = await self._publish(env, f"attempt-{self.attempt_id}-0")
        except AppendConflict:
            appended = None
        if appended is not None and not appended.duplicate:
            self._stored(appended.seq, first)
            return
        history = await self.history()
        if not history or history[0].envelope.id != env.id:
            raise AttemptAlreadyStarted(self.attempt_id)
        log.info("the attempt's first event was ours (its ack was lost); dialling", attempt_id=self.attempt_id)
        self._stored(history[0].seq, first)

    async def append(self, event: Event) -> None:
        """Append the attempt's next event; raises :class:`AttemptTakenOver` when another dialer
        ended the attempt (then and ever after, without writing)."""
        if self.taken_over:
            # Not even waiting for the lock: an append stuck retrying while NATS is away holds it.
            raise AttemptTakenOver(self.attempt_id)
        # One append at a time: the ordinal is the msg-id, so two concurrent appends (a ringing
        # event racing a failed invite's CallEnded) would share one and the server would drop one.
        async with self._lock:
            if self.taken_over:
                raise AttemptTakenOver(self.attempt_id)
            if self.ended:
                raise RuntimeError(f"attempt {self.attempt_id} has ended; {type(event).__name__} not appended")
            await self._append(event)

    async def heartbeat(self, dialer_id: str) -> None:
        """Append ``CallStillLive`` unless the attempt ended (ours or taken over) meanwhile."""
        async with self._lock:
            if self.ended:
                return
            if self.taken_over:
                raise AttemptTakenOver(self.attempt_id)
            await self._append(CallStillLive(attempt_id=self.attempt_id, dialer_id=dialer_id, job_id=self.job_id))

    async def keep_alive(self, dialer_id: str, every_s: float) -> None:
        """Heartbeats for as long as the call is live, only after ``every_s`` without an event;
        returns when the attempt ended or was taken over."""
        while not self.ended and not self.taken_over:
            due_in = self.last_append_at + every_s - time.monotonic()
            if due_in > 0:
                await asyncio.sleep(due_in)
                continue
            try:
                await self.heartbeat(dialer_id)
            except AttemptTakenOver:
                return
            except Exception:
                log.warning("heartbeat not appended; retrying", attempt_id=self.attempt_id, exc_info=True)
                await asyncio.sleep(min(every_s, 1.0))

    async def hold_lease(self, lose_after_s: float) -> None:
        """Return when no append was durable for ``lose_after_s`` (NATS unreachable): other
        dialers will soon count the attempt lost and end it, so this one must stop its call
        first — two live calls for one attempt are never allowed. From then on nothing is
        appended (:attr:`lease_lost`, :class:`AttemptTakenOver`)."""
        while not self.ended and not self.taken_over:
            remaining = self.last_append_at + lose_after_s - time.monotonic()
            if remaining <= 0:
                log.warning("no durable append for the lease; giving the call up", attempt_id=self.attempt_id)
                self.lease_lost = True
                self._taken_over.set()
                return
            await asyncio.sleep(remaining)

    async def _append(self, event: Event) -> None:
        env = self._envelope(event)
        self._mine.add(env.id)
        for _ in range(_CATCH_UP_ROUNDS):
            msg_id = f"attempt-{self.attempt_id}-{self.ordinal}"
            try:
                appended: Appended | None = await self._publish(env, msg_id)
            except AppendConflict:
                appended = None
            if appended is not None and not appended.duplicate:
                self._stored(appended.seq, event)
                return
            if await self._catch_up(env.id, event):
                return
        raise RuntimeError(f"{self.subject}: cannot find the position for {env.type} after {_CATCH_UP_ROUNDS} tries")

    async def _publish(self, env: Envelope[Event], msg_id: str) -> Appended:
        delay = 0.2
        for attempt in range(_TRANSPORT_TRIES):
            try:
                return await self.events.append(self.subject, env, msg_id=msg_id, expected_last_seq=self.last_seq)
            except AppendConflict:
                raise
            except Exception:
                # NATS briefly away: the call goes on; the same msg-id makes the retry safe.
                if self.taken_over:
                    raise AttemptTakenOver(self.attempt_id) from None  # given up meanwhile
                if attempt == _TRANSPORT_TRIES - 1:
                    raise
                log.warning("append failed; retrying", subject=self.subject, event_type=env.type)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3.0)
        raise AssertionError("unreachable")

    async def _catch_up(self, env_id: str, event: Event) -> bool:
        """After a duplicate or a conflict: adopt what is stored past our position if it is all
        ours (returns whether ``env_id`` is among it); else the attempt was taken over."""
        history = await self.history()
        newer = [e for e in history if e.seq > self.last_seq]
        foreign = [e for e in newer if e.envelope.id not in self._mine]
        if foreign:
            self._taken_over.set()
            log.warning(
                "attempt taken over by another dialer; hanging up without appending",
                attempt_id=self.attempt_id,
                their_event=foreign[0].envelope.type,
                ours_not_appended=type(event).__name__,
            )
            raise AttemptTakenOver(self.attempt_id)
        if history:
            self.last_seq, self.ordinal = history[-1].seq, len(history)
            self.last_append_at = time.monotonic()
        self.ended = self.ended or any(isinstance(e.envelope.data, CallEnded) for e in newer)
        return any(e.envelope.id == env_id for e in newer)

    def _stored(self, seq: int, event: Event) -> None:
        self.last_seq = seq
        self.ordinal += 1
        self.last_append_at = time.monotonic()
        if isinstance(event, CallEnded):
            self.ended = True

    async def history(self) -> list[StoredEvent]:
        return await self.events.load(CALLS.name, self.subject)

    async def state(self) -> AttemptState | None:
        """The attempt's subject as another delivery of its command finds it; None when empty."""
        try:
            last = await self.events.js.get_last_msg(CALLS.name, self.subject)
        except nats.js.errors.NotFoundError:
            return None
        stored_at = last.time or datetime.now(UTC)
        age = (datetime.now(UTC) - stored_at).total_seconds()
        kind = (last.headers or {}).get(EVENT_TYPE_HEADER)
        if kind is None:
            kind = decode(last.data or b"").type
        return AttemptState(ended=kind == CALL_ENDED, last_event_age_s=max(age, 0.0))

    async def settle_lost(
        self,
        job_id: str,
        attempt_number: int,
        *,
        outcome: str = "failed",
        reason: str = "dialer_lost: the dialer handling this attempt stopped before it ended",
    ) -> bool:
        """End a started, unended attempt whose dialer is gone (its lease ran out) as failed.

        One append at the subject's current position: if anything was appended meanwhile (the
        dialer came back), it conflicts and nothing is settled (returns False)."""
        history = await self.history()
        if not history or any(isinstance(e.envelope.data, CallEnded) for e in history):
            return False
        ended = CallEnded(
            attempt_id=self.attempt_id,
            job_id=job_id,
            attempt_number=attempt_number,
            outcome=outcome,
            outcome_reason=reason,
            terminated_at=datetime.now(UTC),
        )
        try:
            appended = await self.events.append(
                self.subject,
                self._envelope(ended),
                msg_id=f"attempt-{self.attempt_id}-{len(history)}",
                expected_last_seq=history[-1].seq,
            )
        except AppendConflict:
            return False
        return not appended.duplicate

    def _envelope(self, event: Event) -> Envelope[Event]:
        return envelope(
            event,
            org_id=self.org_id,
            aggregate_id=self.attempt_id,
            causation_id=self.causation_id,
            correlation_id=self.correlation_id,
        )
