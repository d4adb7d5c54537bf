"""The dial command (work queue ``dial.<org>.attempt.<attemptId>``)."""

from __future__ import annotations

from typing import Any

from callcast_contracts.envelope import Event
from callcast_contracts.events.flows import FlowSnapshot


class DialRequested(Event, frozen=True, kw_only=True):
    """Place one call attempt and run the pinned flow version on it.

    The command carries the flow version and the contact it needs, so a dialer depends on no
    other service while it dials (flows are a few kilobytes; the work queue deletes on ack).
    """

    attempt_id: str
    attempt_number: int
    job_id: str
    execution_id: str | None
    program_id: str | None
    contact_id: str
    to: str
    caller_id: str
    flow: FlowSnapshot
    contact: dict[str, Any]
    variables: dict[str, Any] = {}
