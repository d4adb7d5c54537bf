"""The call-event stream of one attempt, written by the one dialer that owns the attempt.

The first append (expected subject sequence 0) is the exactly-once gate: only one dialer can
start an attempt. Every later append expects the sequence of the previous one, and its
``Nats-Msg-Id`` is the attempt id plus the event's ordinal, so a retried append is dropped.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from callcast_contracts.envelope import Event, envelope
from callcast_contracts.events import CallEnded
from callcast_contracts.streams import CALLS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import AppendConflict, EventStore, StoredEvent

log = get_logger(__name__)


class AttemptAlreadyStarted(Exception):
    """Another delivery of the same dial command started this attempt before."""


class AttemptLog:
    def __init__(
        self, events: EventStore, *, org_id: str, attempt_id: str, causation_id: str, correlation_id: str
    ) -> None:
        self.events = events
        self.org_id = org_id
        self.attempt_id = attempt_id
        self.subject = subject(Context.CALLS, org_id, Aggregate.ATTEMPT, attempt_id)
        self.causation_id = causation_id
        self.correlation_id = correlation_id
        self.last_seq = 0
        self.ordinal = 0
        self._lock = asyncio.Lock()

    async def start(self, first: Event) -> None:
        env = self._envelope(first)
        try:
            appended = await self.events.append(
                self.subject, env, msg_id=f"attempt-{self.attempt_id}-0", expected_last_seq=0
            )
        except AppendConflict as err:
            raise AttemptAlreadyStarted(self.attempt_id) from err
        if appended.duplicate:
            raise AttemptAlreadyStarted(self.attempt_id)
        self.last_seq = appended.seq
        self.ordinal = 1

    async def append(self, event: Event) -> None:
        # One append at a time: the ordinal is the msg-id, so two concurrent appends (a ringing
        # event racing a failed invite's CallEnded) would share one and the server would drop one.
        async with self._lock:
            await self._append(event)

    async def _append(self, event: Event) -> None:
        env = self._envelope(event)
        msg_id = f"attempt-{self.attempt_id}-{self.ordinal}"
        delay = 0.2
        for attempt in range(8):
            try:
                appended = await self.events.append(self.subject, env, msg_id=msg_id, expected_last_seq=self.last_seq)
                break
            except AppendConflict:
                raise
            except Exception:
                # NATS briefly away: the call goes on; the same msg-id makes the retry safe.
                if attempt == 7:
                    raise
                log.warning("append failed; retrying", subject=self.subject, event=env.type)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3.0)
        self.last_seq = appended.seq
        self.ordinal += 1

    async def history(self) -> list[StoredEvent]:
        return await self.events.load(CALLS.name, self.subject)

    async def settle_orphan(self, job_id: str, attempt_number: int) -> bool:
        """A redelivered command found the attempt started: its dialer died (or the command was
        published twice). Never dial again; if the attempt never ended, end it as failed."""
        history = await self.history()
        if not history or any(isinstance(e.envelope.data, CallEnded) for e in history):
            return False
        self.last_seq = history[-1].seq
        self.ordinal = len(history)
        await self.append(
            CallEnded(
                attempt_id=self.attempt_id,
                job_id=job_id,
                attempt_number=attempt_number,
                outcome="failed",
                outcome_reason="dialer_lost: the dialer handling this attempt stopped before it ended",
                terminated_at=datetime.now(UTC),
            )
        )
        return True

    def _envelope(self, event: Event):  # type: ignore[no-untyped-def]
        return envelope(
            event,
            org_id=self.org_id,
            aggregate_id=self.attempt_id,
            causation_id=self.causation_id,
            correlation_id=self.correlation_id,
        )
