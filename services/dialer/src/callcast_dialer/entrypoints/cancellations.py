"""Execution cancellations, watched by every dialer instance (not shared like the work queue:
the calls of one execution run on any dialer).

Each instance reads the execution subjects of PROGRAMS with its own ordered consumer, headers
only (the event type travels in a header and the execution id in the subject, so the large
``JobsEnrolled`` chunks never cross the wire), starting a look-back window before the dialer
started. The dialer pulls dial commands only once the watcher has caught up with that window,
so a command of an execution cancelled shortly before a restart ends ``cancelled`` undialled.
Only a cancellation's own message is then fetched whole, for its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from callcast_contracts.envelope import decode
from callcast_contracts.events import ExecutionCancelled, ExecutionStopped
from callcast_contracts.streams import PROGRAMS
from callcast_contracts.subjects import EVENT_TYPE_HEADER, Aggregate, Context
from callcast_dialer.handlers import DialHandler
from callcast_runtime.logging import get_logger

log = get_logger(__name__)

#: How far back a starting dialer looks for cancellations (a queued command older than this is
#: the scheduler's to clean up).
LOOKBACK = timedelta(hours=24)
_SUBJECT = f"{Context.PROGRAMS}.*.{Aggregate.EXECUTION}.*"
_RETRY_S = (0.5, 1.0, 2.0, 5.0)


#: Execution events after which no new call of the execution may start.
_ENDING_TYPES = frozenset({ExecutionCancelled.type_name(), ExecutionStopped.type_name()})


class CancellationWatcher:
    def __init__(self, js: JetStreamContext, handler: DialHandler, *, lookback: timedelta = LOOKBACK) -> None:
        self.js = js
        self.handler = handler
        self.since = datetime.now(UTC) - lookback
        #: Set once every cancellation of the look-back window has been applied.
        self.caught_up = asyncio.Event()

    async def run(self) -> None:
        """Watch until cancelled; a lost subscription is made again (from where it started, so
        nothing in between is missed; re-applying a cancellation changes nothing)."""
        failures = 0
        while True:
            try:
                await self._watch()
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = _RETRY_S[min(failures, len(_RETRY_S) - 1)]
                failures += 1
                log.exception("watching cancellations failed; subscribing again", retry_in_s=delay)
                await asyncio.sleep(delay)

    async def _watch(self) -> None:
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=self.since, headers_only=True
        )
        sub = await self.js.subscribe(_SUBJECT, stream=PROGRAMS.name, ordered_consumer=True, config=config)
        try:
            # A push consumer delivers eagerly, so the server's pending count is 0 as soon as the
            # backlog is in our buffer: only "nothing delivered and nothing pending" means an
            # empty window; otherwise the backlog's last message says so (num_pending 0).
            info = await sub.consumer_info()
            if info.num_pending == 0 and (info.delivered is None or not info.delivered.consumer_seq):
                self.caught_up.set()
            async for msg in sub.messages:
                if (msg.headers or {}).get(EVENT_TYPE_HEADER) in _ENDING_TYPES:
                    await self._apply(msg)
                if msg.metadata.num_pending == 0:
                    self.caught_up.set()
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _apply(self, msg: Msg) -> None:
        try:
            raw = await self.js.get_msg(PROGRAMS.name, msg.metadata.sequence.stream)
            event = decode(raw.data or b"").data
        except Exception:
            log.exception("cancellation unreadable; cancelling without its reason", subject=msg.subject)
            event = None
        if isinstance(event, ExecutionStopped):
            # stopAt: like a cancel that lets the calls in progress finish.
            event = ExecutionCancelled(execution_id=event.execution_id, reason="execution stopped (stopAt)")
        elif not isinstance(event, ExecutionCancelled):
            event = ExecutionCancelled(execution_id=msg.subject.split(".")[3])
        ended = self.handler.cancel_execution(event.execution_id, event.reason, end_live_calls=event.end_live_calls)
        log.info("execution cancelled", execution_id=event.execution_id, live_calls_ended=ended)
