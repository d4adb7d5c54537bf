"""Subscriber: the custom attribute names the validator checks references against."""

from __future__ import annotations

from callcast_contracts.events import CustomAttributeDeleted, CustomAttributeSaved
from callcast_contracts.streams import CONTACTS
from callcast_contracts.subjects import Aggregate, Context
from callcast_flow.adapters import custom_attributes_copy
from callcast_runtime.messaging import Delivery, durable_event_consumer
from callcast_runtime.projections import advance
from callcast_runtime.service import Runtime

DURABLE = "flow-custom-attributes"


def register(runtime: Runtime) -> None:
    async def apply(d: Delivery) -> None:
        ev = d.envelope.data
        async with runtime.db.connection() as conn, conn.transaction():
            if not await advance(conn, DURABLE, d.seq):
                return
            if isinstance(ev, CustomAttributeSaved):
                await custom_attributes_copy.save(conn, d.envelope.org_id, ev.attribute_id, ev.name)
            elif isinstance(ev, CustomAttributeDeleted):
                await custom_attributes_copy.delete(conn, d.envelope.org_id, ev.attribute_id)

    durable_event_consumer(
        runtime.broker,
        stream=CONTACTS,
        durable=DURABLE,
        subject=f"{Context.CONTACTS}.*.{Aggregate.CUSTOM_ATTRIBUTE}.*",
        handler=apply,
        description="The flow service's copy of custom attribute names (flow validation).",
    )
