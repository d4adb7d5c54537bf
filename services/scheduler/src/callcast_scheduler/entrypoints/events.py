"""Event inputs: the copies of contacts and flows and the projection of the scheduler's own events
(ordered, per replica), and the reactor that turns call outcomes into retries or finished jobs."""

from __future__ import annotations

from callcast_contracts.streams import CALLS, CONTACTS, FLOWS, PROGRAMS
from callcast_contracts.subjects import Context
from callcast_runtime.messaging import durable_event_consumer
from callcast_runtime.ordered_projection import OrderedProjection
from callcast_runtime.service import Runtime
from callcast_scheduler.handlers import (
    CALLS_DURABLE,
    Scheduler,
)


def register(runtime: Runtime) -> None:
    scheduler: Scheduler = runtime.components["scheduler"]
    instance = runtime.settings.instance_id
    # Views guarded by one stored position: each replica reads the stream in order itself (a shared
    # durable would interleave replicas and let one skip what another moved past).
    scheduler.projections = {
        "contacts": OrderedProjection(
            name="contacts",
            stream=CONTACTS,
            subject=f"{Context.CONTACTS}.>",
            apply=scheduler.apply_contacts,
            instance_id=instance,
        ),
        "flows": OrderedProjection(
            name="flows", stream=FLOWS, subject=f"{Context.FLOWS}.>", apply=scheduler.apply_flows, instance_id=instance
        ),
        "programs": OrderedProjection(
            name="programs",
            stream=PROGRAMS,
            subject=f"{Context.PROGRAMS}.>",
            apply=scheduler.apply_programs,
            apply_many=scheduler.apply_programs_part,
            split=scheduler.programs_parts,
            after_commit=scheduler.programs_applied,
            instance_id=instance,
        ),
    }
    # A reactor, not a view: replicas share it (each call event handled by one of them; the
    # appends' expected sequences keep a job's follow-ups single).
    durable_event_consumer(
        runtime.broker,
        stream=CALLS,
        durable=CALLS_DURABLE,
        subject=f"{Context.CALLS}.>",
        handler=scheduler.on_call_event,
        description="Call outcomes → retry scheduled or job completed.",
        batch_size=50,
    )
