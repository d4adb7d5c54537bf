"""The dialer's one command: DialRequested → exactly one call attempt.

Exactly-once dialling (BRIEF §3): the command is acknowledged only after the attempt's first
event is durably appended with expected subject sequence 0; while the call runs the command is
kept in progress (so JetStream does not hand it to another dialer); it is acknowledged when
``CallEnded`` is stored. A redelivered command that finds the attempt started never dials: if
the attempt has no end (its dialer died mid-call) it is ended as failed (``dialer_lost``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from callcast_contracts.envelope import Envelope, Event
from callcast_contracts.events import CallAttemptStarted, DialRequested
from callcast_dialer.adapters.attempt_log import AttemptAlreadyStarted, AttemptLog
from callcast_dialer.adapters.prompt_audio import PromptAssembler
from callcast_dialer.call_runner import CallRunner
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import EventStore
from callcast_telephony.sip import SipUserAgent

log = get_logger(__name__)

KeepAlive = Callable[[], Awaitable[None]]


class DialHandler:
    def __init__(self, *, events: EventStore, ua: SipUserAgent, prompts: PromptAssembler, dialer_id: str) -> None:
        self.events = events
        self.ua = ua
        self.prompts = prompts
        self.dialer_id = dialer_id
        self.active: set[str] = set()

    async def handle(self, env: Envelope[Event], keep_alive: KeepAlive, keep_alive_every_s: float) -> str:
        """Run the attempt; returns what happened (``dialled`` | ``settled_orphan`` | ``duplicate``)."""
        cmd = env.data
        assert isinstance(cmd, DialRequested)
        attempt_log = AttemptLog(
            self.events,
            org_id=env.org_id,
            attempt_id=cmd.attempt_id,
            causation_id=env.id,
            correlation_id=env.correlation_id or env.id,
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
            settled = await attempt_log.settle_orphan(cmd.job_id, cmd.attempt_number)
            log.warning("dial command redelivered; not dialling again", attempt_id=cmd.attempt_id, settled=settled)
            return "settled_orphan" if settled else "duplicate"

        beat = asyncio.create_task(self._keep_alive(keep_alive, keep_alive_every_s))
        self.active.add(cmd.attempt_id)
        try:
            runner = CallRunner(command=cmd, org_id=env.org_id, log_=attempt_log, ua=self.ua, prompts=self.prompts)
            ended = await runner.execute()
            log.info("call ended", attempt_id=cmd.attempt_id, outcome=ended.outcome, reason=ended.outcome_reason)
        finally:
            self.active.discard(cmd.attempt_id)
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beat
        return "dialled"

    @staticmethod
    async def _keep_alive(keep_alive: KeepAlive, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(Exception):
                await keep_alive()
