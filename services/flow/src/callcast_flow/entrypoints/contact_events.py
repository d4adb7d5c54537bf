"""Event input: the custom attribute names the validator checks references against."""

from __future__ import annotations

from typing import Any

from callcast_contracts.events import CustomAttributeDeleted, CustomAttributeSaved
from callcast_contracts.streams import CONTACTS
from callcast_contracts.subjects import Aggregate, Context
from callcast_flow.adapters import custom_attributes_copy
from callcast_runtime.messaging import Delivery
from callcast_runtime.ordered_projection import OrderedProjection
from callcast_runtime.service import Runtime

#: The copy's key in ``projection_positions``.
POSITION = "flow-custom-attributes"


async def _apply(conn: Any, d: Delivery) -> None:
    ev = d.envelope.data
    if isinstance(ev, CustomAttributeSaved):
        await custom_attributes_copy.save(conn, d.envelope.org_id, ev.attribute_id, ev.name)
    elif isinstance(ev, CustomAttributeDeleted):
        await custom_attributes_copy.delete(conn, d.envelope.org_id, ev.attribute_id)


async def start(runtime: Runtime) -> None:
    """Follow the copy's events in order on this replica (see ``OrderedProjection``)."""
    projection = OrderedProjection(
        name=POSITION,
        stream=CONTACTS,
        subject=f"{Context.CONTACTS}.*.{Aggregate.CUSTOM_ATTRIBUTE}.*",
        apply=_apply,
        instance_id=runtime.settings.instance_id,
    )
    runtime.spawn(projection.run(runtime.js, runtime.db), "projection-custom-attributes")
