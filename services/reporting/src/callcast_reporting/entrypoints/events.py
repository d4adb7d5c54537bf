"""The two views that feed the read model, one per stream, each applied in stream order on every
replica (``OrderedProjection``: a consumer of its own from the stored position, one transaction
per batch; a shared durable would let replicas skip each other's events)."""

from __future__ import annotations

from typing import Any

from callcast_contracts.envelope import Event
from callcast_contracts.streams import CALLS, PROGRAMS, StreamSpec
from callcast_contracts.subjects import Context, all_of
from callcast_reporting.handlers import (
    CALL_EVENT_HANDLERS,
    CALLS_PROJECTION,
    PROGRAM_EVENT_HANDLERS,
    PROGRAMS_PROJECTION,
    EventHandler,
    apply_event,
)
from callcast_runtime.messaging import Delivery
from callcast_runtime.ordered_projection import OrderedProjection
from callcast_runtime.service import Runtime


def projections(suffix: str = "") -> dict[str, str]:
    """Projection name (its key in ``projection_positions``) → its stream. ``suffix`` keeps a
    second reporting instance on the same NATS and database (a test) apart."""
    return {CALLS_PROJECTION + suffix: CALLS.name, PROGRAMS_PROJECTION + suffix: PROGRAMS.name}


#: The projections of the service as deployed; what ``python -m callcast_reporting rebuild`` forgets.
PROJECTIONS = projections()


def _view(
    runtime: Runtime, name: str, stream: StreamSpec, subject: str, handlers: dict[type[Event], EventHandler]
) -> OrderedProjection:
    enqueued: list[bool] = []

    async def apply(conn: Any, d: Delivery) -> None:
        if await apply_event(conn, handlers, d.envelope, d.seq):
            enqueued.append(True)

    def committed(applied: list[Delivery]) -> None:
        # CallOutcomeReported entries went into the outbox with the batch: send them now.
        if enqueued and runtime.relay is not None:
            runtime.relay.wake()
        enqueued.clear()

    return OrderedProjection(
        name=name,
        stream=stream,
        subject=subject,
        apply=apply,
        after_commit=committed,
        instance_id=runtime.settings.instance_id,
    )


def views(runtime: Runtime, *, suffix: str = "") -> list[OrderedProjection]:
    return [
        _view(runtime, CALLS_PROJECTION + suffix, CALLS, all_of(Context.CALLS), CALL_EVENT_HANDLERS),
        _view(runtime, PROGRAMS_PROJECTION + suffix, PROGRAMS, all_of(Context.PROGRAMS), PROGRAM_EVENT_HANDLERS),
    ]
