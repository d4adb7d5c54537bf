"""JetStream streams: one per bounded context, plus a work queue for dial commands."""

from __future__ import annotations

import msgspec

from callcast_contracts.subjects import Context


class StreamSpec(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    subjects: tuple[str, ...]
    description: str
    work_queue: bool = False
    #: Seconds during which a repeated ``Nats-Msg-Id`` is dropped. Long enough to cover a
    #: service restart and a redelivery storm; the expected-sequence checks cover the rest.
    duplicate_window_s: float = 600.0


CONTACTS = StreamSpec(
    name="CONTACTS",
    subjects=(f"{Context.CONTACTS}.>",),
    description="Contacts and audiences (written by the contact service).",
)
FLOWS = StreamSpec(
    name="FLOWS",
    subjects=(f"{Context.FLOWS}.>",),
    description="Flow versions and audio assets (written by the flow service).",
)
PROGRAMS = StreamSpec(
    name="PROGRAMS",
    subjects=(f"{Context.PROGRAMS}.>",),
    description="Program executions and their jobs (written by the scheduler); event-sourced.",
)
DIAL_COMMANDS = StreamSpec(
    name="DIAL_COMMANDS",
    subjects=(f"{Context.DIAL}.>",),
    description="Dial commands, a work queue pulled by any dialer instance.",
    work_queue=True,
)
CALLS = StreamSpec(
    name="CALLS",
    subjects=(f"{Context.CALLS}.>",),
    description="The call-event stream: one subject per call attempt (written by the dialer).",
)
OUTCOMES = StreamSpec(
    name="OUTCOMES",
    subjects=(f"{Context.OUTCOMES}.>",),
    description="Public call-outcome events for external consumers (written by reporting).",
)

ALL_STREAMS: tuple[StreamSpec, ...] = (CONTACTS, FLOWS, PROGRAMS, DIAL_COMMANDS, CALLS, OUTCOMES)
