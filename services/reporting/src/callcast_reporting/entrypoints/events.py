"""The two durable consumers that feed the read model: one per stream, applied in stream order."""

from __future__ import annotations

from callcast_contracts.envelope import Event
from callcast_contracts.streams import CALLS, PROGRAMS
from callcast_contracts.subjects import Context, all_of
from callcast_reporting.handlers import (
    CALL_EVENT_HANDLERS,
    CALLS_PROJECTION,
    PROGRAM_EVENT_HANDLERS,
    PROGRAMS_PROJECTION,
    EventHandler,
    project,
)
from callcast_runtime.messaging import Delivery, durable_event_consumer
from callcast_runtime.messaging import EventHandler as DeliveryHandler
from callcast_runtime.service import Runtime


def projections(suffix: str = "") -> dict[str, str]:
    """Durable consumer name (also the projection's name in ``projection_positions``) → its
    stream. ``suffix`` keeps a second reporting instance on the same NATS (a test) apart."""
    return {CALLS_PROJECTION + suffix: CALLS.name, PROGRAMS_PROJECTION + suffix: PROGRAMS.name}


#: The projections of the service as deployed; what ``python -m callcast_reporting rebuild`` forgets.
PROJECTIONS = projections()


def register_consumers(runtime: Runtime, *, suffix: str = "") -> None:
    def applying(projection: str, handlers: dict[type[Event], EventHandler]) -> DeliveryHandler:
        async def handle(delivery: Delivery) -> None:
            enqueued = await project(runtime.db, projection, handlers, delivery.envelope, delivery.seq)
            if enqueued and runtime.relay is not None:
                runtime.relay.wake()

        return handle

    calls, programs = CALLS_PROJECTION + suffix, PROGRAMS_PROJECTION + suffix
    durable_event_consumer(
        runtime.broker,
        stream=CALLS,
        durable=calls,
        subject=all_of(Context.CALLS),
        handler=applying(calls, CALL_EVENT_HANDLERS),
        description="Call events projected into call reports and call rows; CallEnded publishes the outcome.",
    )
    durable_event_consumer(
        runtime.broker,
        stream=PROGRAMS,
        durable=programs,
        subject=all_of(Context.PROGRAMS),
        handler=applying(programs, PROGRAM_EVENT_HANDLERS),
        description="Executions, enrolled jobs, dispatched attempts and job verdicts projected into call reports.",
    )
