"""The dialer's one command: DialRequested → exactly one call attempt.

Exactly-once dialling (BRIEF §3): the command is acknowledged only after the attempt's first
event is durably appended with expected subject sequence 0; while the call runs the command is
kept in progress (so JetStream does not hand it to another dialer) and the attempt gets a
``CallStillLive`` heartbeat whenever it had no event for a heartbeat period; it is acknowledged
when ``CallEnded`` is stored. A redelivered command that finds the attempt started never dials:

- ended → acknowledged (``duplicate``);
- not ended, last event younger than the lease → its dialer is alive (maybe cut off from NATS
  for a while): negatively acknowledged with a delay (``still_live``);
- not ended, last event older than the lease → its dialer is gone: ended as failed/``dialer_lost``
  (``settled_orphan``).

A dialer that comes back after its attempt was settled that way finds it taken over on its next
append (:class:`AttemptTakenOver`) and hangs up without appending anything.

An execution cancelled (``ExecutionCancelled``) ends its live calls here with the outcome
``cancelled``; its commands still queued start their attempt and end it ``cancelled`` at once,
without dialling, so the scheduler closes their jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from callcast_contracts.envelope import Envelope, Event
from callcast_contracts.events import CallAttemptStarted, CallEnded, DialRequested
from callcast_dialer.adapters.attempt_log import AttemptAlreadyStarted, AttemptLog, AttemptTakenOver
from callcast_dialer.adapters.prompt_audio import PromptAssembler
from callcast_dialer.adapters.recording_store import RecordingStore
from callcast_dialer.call_runner import CallRunner
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import EventStore
from callcast_telephony.sip import SipUserAgent

log = get_logger(__name__)

KeepAlive = Callable[[], Awaitable[None]]

#: Cancelled executions remembered (far more than are cancelled within the watcher's look-back).
_CANCELLED_EXECUTIONS_KEPT = 100_000
#: A redelivery of a live attempt comes back no sooner than this (seconds).
_MIN_RETRY_S = 1.0


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one delivery: ``dialled`` | ``duplicate`` | ``settled_orphan`` |
    ``still_live`` | ``taken_over`` | ``lease_lost`` | ``cancelled`` (its execution was, before it
    was dialled).
    ``retry_in_s`` set: nak with that delay, never ack."""

    result: str
    retry_in_s: float | None = None


class DialHandler:
    def __init__(
        self,
        *,
        events: EventStore,
        ua: SipUserAgent,
        prompts: PromptAssembler,
        dialer_id: str,
        settings: DialerSettings | None = None,
        recordings: RecordingStore | None = None,
    ) -> None:
        self.events = events
        self.ua = ua
        self.prompts = prompts
        self.recordings = recordings
        self.dialer_id = dialer_id
        self.settings = settings or DialerSettings()
        #: The runner of each live call, by attempt id (what ``cancel_execution`` reaches).
        self.runners: dict[str, CallRunner] = {}
        #: Executions cancelled recently (reason by execution id), the oldest forgotten first.
        self.cancelled_executions: OrderedDict[str, str] = OrderedDict()
        #: How many deliveries ended each way (``Handled.result``), for readiness and tests.
        self.results: Counter[str] = Counter()

    async def handle(self, env: Envelope[Event], keep_alive: KeepAlive) -> Handled:
        handled = await self._handle(env, keep_alive)
        self.results[handled.result] += 1
        return handled

    async def _handle(self, env: Envelope[Event], keep_alive: KeepAlive) -> Handled:
        cmd = env.data
        assert isinstance(cmd, DialRequested)
        attempt_log = AttemptLog(
            self.events,
            org_id=env.org_id,
            attempt_id=cmd.attempt_id,
            causation_id=env.id,
            correlation_id=env.correlation_id or env.id,
            job_id=cmd.job_id,
        )
        started = CallAttemptStarted(
            attempt_id=cmd.attempt_id,
            attempt_number=cmd.attempt_number,
            job_id=cmd.job_id,
            execution_id=cmd.execution_id,
            program_id=cmd.program_id,
            contact_id=cmd.contact_id,
            to=cmd.to,
            caller_id=cmd.caller_id,
            flow_id=cmd.flow.flow_id,
            flow_name=cmd.flow.name,
            flow_version=cmd.flow.version,
            dialer_id=self.dialer_id,
        )
        try:
            await attempt_log.start(started)
        except AttemptAlreadyStarted:
            return await self._redelivered(attempt_log, cmd)
        if cmd.execution_id in self.cancelled_executions:
            await attempt_log.append(self._cancelled_before_dialling(cmd))
            return Handled("cancelled")

        in_progress = asyncio.create_task(self._in_progress(keep_alive, self.settings.in_progress_every_s))
        heartbeat = asyncio.create_task(attempt_log.keep_alive(self.dialer_id, self.settings.heartbeat_s))
        runner = CallRunner(
            command=cmd,
            org_id=env.org_id,
            log_=attempt_log,
            ua=self.ua,
            prompts=self.prompts,
            recordings=self.recordings,
        )
        self.runners[cmd.attempt_id] = runner
        call = asyncio.create_task(runner.execute())
        taken_over = asyncio.create_task(attempt_log.wait_taken_over())
        # Hang up before other dialers may count the attempt lost: one heartbeat of margin.
        lease = asyncio.create_task(attempt_log.hold_lease(self.settings.lease_s - self.settings.heartbeat_s))
        try:
            await asyncio.wait({call, taken_over}, return_when=asyncio.FIRST_COMPLETED)
            if not call.done():
                # The heartbeat found the attempt ended by another dialer: hang up now, not at
                # the flow's next step (the runner's cancellation path hangs up).
                call.cancel()
            try:
                ended = await call
            except (AttemptTakenOver, asyncio.CancelledError):
                if not attempt_log.taken_over:
                    raise
                ended = None
            if attempt_log.lease_lost:
                # Unended on purpose: not acked, so a redelivery settles it once the lease is out.
                log.warning("call given up: NATS unreachable for the lease", attempt_id=cmd.attempt_id)
                return Handled("lease_lost", retry_in_s=self.settings.heartbeat_s)
            if ended is None or attempt_log.taken_over:
                log.warning("attempt taken over by another dialer; call hung up", attempt_id=cmd.attempt_id)
                return Handled("taken_over")
            log.info("call ended", attempt_id=cmd.attempt_id, outcome=ended.outcome, reason=ended.outcome_reason)
        finally:
            if not call.done():
                # We are being cancelled (the dialer stops): the runner hangs up and records
                # CallEnded on its cancellation path; wait for that while NATS is still up.
                call.cancel()
                with contextlib.suppress(BaseException):
                    await call
            self.runners.pop(cmd.attempt_id, None)
            for task in (in_progress, heartbeat, taken_over, lease):
                task.cancel()
            for task in (in_progress, heartbeat, taken_over, lease):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        return Handled("dialled")

    def cancel_execution(self, execution_id: str, reason: str | None, *, end_live_calls: bool = True) -> int:
        """Its commands pulled from now on end ``cancelled`` without a call; with
        ``end_live_calls``, this dialer's live calls of the execution end ``cancelled`` too (else
        they continue, digest §11.1). How many live calls were ended."""
        why = f"execution cancelled: {reason}" if reason else "execution cancelled"
        self.cancelled_executions[execution_id] = why
        while len(self.cancelled_executions) > _CANCELLED_EXECUTIONS_KEPT:
            self.cancelled_executions.popitem(last=False)
        if not end_live_calls:
            return 0
        live = [r for r in self.runners.values() if r.cmd.execution_id == execution_id]
        for runner in live:
            runner.cancel(why)
        return len(live)

    def _cancelled_before_dialling(self, cmd: DialRequested) -> CallEnded:
        return CallEnded(
            attempt_id=cmd.attempt_id,
            job_id=cmd.job_id,
            attempt_number=cmd.attempt_number,
            outcome="cancelled",
            outcome_reason=f"{self.cancelled_executions[cmd.execution_id or '']} (before the call was placed)",
            terminated_at=datetime.now(UTC),
        )

    async def _redelivered(self, attempt_log: AttemptLog, cmd: DialRequested) -> Handled:
        lease = self.settings.lease_s
        if cmd.attempt_id in self.runners:
            # Our own live call's command, handed back after a disconnection: the delivery we
            # hold acknowledges it when the call ends.
            return Handled("still_live", retry_in_s=lease)
        state = await attempt_log.state()
        if state is None or state.ended:
            log.info("dial command redelivered for an ended attempt; not dialling", attempt_id=cmd.attempt_id)
            return Handled("duplicate")
        if state.last_event_age_s < lease:
            retry = max(_MIN_RETRY_S, lease - state.last_event_age_s + 0.5)
            log.info(
                "dial command redelivered while its call is live elsewhere; not dialling",
                attempt_id=cmd.attempt_id,
                last_event_age_s=round(state.last_event_age_s, 2),
                retry_in_s=round(retry, 2),
            )
            return Handled("still_live", retry_in_s=retry)
        cancelled = self.cancelled_executions.get(cmd.execution_id or "")
        settled = await (
            # Its execution was cancelled meanwhile: cancelled, which no retry follows.
            attempt_log.settle_lost(cmd.job_id, cmd.attempt_number, outcome="cancelled", reason=cancelled)
            if cancelled
            else attempt_log.settle_lost(cmd.job_id, cmd.attempt_number)
        )
        if settled:
            log.warning(
                "attempt's dialer lost (lease expired); ended as failed",
                attempt_id=cmd.attempt_id,
                last_event_age_s=round(state.last_event_age_s, 2),
            )
            return Handled("settled_orphan")
        # Something was appended between our look and our settle: look again soon.
        return Handled("still_live", retry_in_s=_MIN_RETRY_S)

    @staticmethod
    async def _in_progress(keep_alive: KeepAlive, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(Exception):
                await keep_alive()
