"""Execution cancellations, watched by every dialer instance (not shared like the work queue:
the calls of one execution run on any dialer).

Each instance reads the execution subjects of PROGRAMS with its own ordered consumer, headers
only (the event type travels in a header and the execution id in the subject, so the large
``JobsEnrolled`` chunks never cross the wire), starting a look-back window before the dialer
started: commands of an execution cancelled shortly before a restart are still caught. Only a
cancellation's own message is then fetched whole, for its reason.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from callcast_contracts.envelope import decode
from callcast_contracts.events import ExecutionCancelled
from callcast_contracts.streams import PROGRAMS
from callcast_contracts.subjects import EVENT_TYPE_HEADER, Aggregate, Context
from callcast_dialer.handlers import DialHandler
from callcast_runtime.logging import get_logger

log = get_logger(__name__)

#: How far back a starting dialer looks for cancellations (a queued command older than this is
#: the scheduler's to clean up).
LOOKBACK = timedelta(hours=24)
_SUBJECT = f"{Context.PROGRAMS}.*.{Aggregate.EXECUTION}.*"


async def watch_cancellations(js: JetStreamContext, handler: DialHandler, *, lookback: timedelta = LOOKBACK) -> None:
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_TIME,
        opt_start_time=datetime.now(UTC) - lookback,
        headers_only=True,
    )
    sub = await js.subscribe(_SUBJECT, stream=PROGRAMS.name, ordered_consumer=True, config=config)
    try:
        async for msg in sub.messages:
            if (msg.headers or {}).get(EVENT_TYPE_HEADER) != ExecutionCancelled.type_name():
                continue
            try:
                raw = await js.get_msg(PROGRAMS.name, msg.metadata.sequence.stream)
                event = decode(raw.data or b"").data
            except Exception:
                log.exception("cancellation unreadable; cancelling without its reason", subject=msg.subject)
                event = ExecutionCancelled(execution_id=msg.subject.split(".")[3])
            assert isinstance(event, ExecutionCancelled)
            ended = handler.cancel_execution(event.execution_id, event.reason)
            log.info("execution cancelled", execution_id=event.execution_id, live_calls_ended=ended)
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
