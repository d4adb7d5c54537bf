"""Subscribers: the copies of contacts and flows, the projection of the scheduler's own events,
and the reactor that turns call outcomes into retries or finished jobs."""

from __future__ import annotations

from callcast_contracts.streams import CALLS, CONTACTS, FLOWS, PROGRAMS
from callcast_contracts.subjects import Context
from callcast_runtime.messaging import durable_event_consumer
from callcast_runtime.service import Runtime
from callcast_scheduler.handlers import (
    CALLS_DURABLE,
    CONTACTS_DURABLE,
    FLOWS_DURABLE,
    PROGRAMS_DURABLE,
    Scheduler,
)


def register(runtime: Runtime) -> None:
    scheduler: Scheduler = runtime.components["scheduler"]
    broker = runtime.broker
    durable_event_consumer(
        broker,
        stream=CONTACTS,
        durable=CONTACTS_DURABLE,
        subject=f"{Context.CONTACTS}.>",
        handler=scheduler.project_contacts,
        description="The scheduler's copy of contacts and audience membership (event-carried state).",
    )
    durable_event_consumer(
        broker,
        stream=FLOWS,
        durable=FLOWS_DURABLE,
        subject=f"{Context.FLOWS}.>",
        handler=scheduler.project_flows,
        description="The scheduler's copy of every flow version, pinned by executions.",
    )
    durable_event_consumer(
        broker,
        stream=PROGRAMS,
        durable=PROGRAMS_DURABLE,
        subject=f"{Context.PROGRAMS}.>",
        handler=scheduler.project_programs,
        description="Projection of executions and jobs (the scheduler's own event-sourced aggregates).",
    )
    durable_event_consumer(
        broker,
        stream=CALLS,
        durable=CALLS_DURABLE,
        subject=f"{Context.CALLS}.>",
        handler=scheduler.on_call_event,
        description="Call outcomes → retry scheduled or job completed.",
        batch_size=50,
    )
