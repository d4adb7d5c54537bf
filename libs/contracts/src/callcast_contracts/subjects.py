"""The subject grammar: ``<context>.<orgId>.<aggregate>.<id>``.

One subject per aggregate instance, one writing service per subject. The event type travels in
the ``Callcast-Event-Type`` header and in the payload's ``type`` tag.
"""

from __future__ import annotations

from enum import StrEnum


class Context(StrEnum):
    CONTACTS = "contacts"
    FLOWS = "flows"
    PROGRAMS = "programs"
    DIAL = "dial"
    CALLS = "calls"
    OUTCOMES = "outcomes"


class Aggregate(StrEnum):
    CONTACT = "contact"
    AUDIENCE = "audience"
    CUSTOM_ATTRIBUTE = "attribute"
    FLOW = "flow"
    AUDIO = "audio"
    DICTIONARY = "dictionary"
    PROGRAM = "program"
    EXECUTION = "execution"
    JOB = "job"
    ATTEMPT = "attempt"


EVENT_TYPE_HEADER = "Callcast-Event-Type"
EVENT_VERSION_HEADER = "Callcast-Event-Version"
ORG_HEADER = "Callcast-Org-Id"
MSG_ID_HEADER = "Nats-Msg-Id"
EXPECTED_LAST_SUBJECT_SEQ_HEADER = "Nats-Expected-Last-Subject-Sequence"


def subject(context: Context, org_id: str, aggregate: Aggregate, aggregate_id: str) -> str:
    for part in (org_id, aggregate_id):
        if not part or any(c in part for c in ".*> \t"):
            raise ValueError(f"not a valid subject token: {part!r}")
    return f"{context}.{org_id}.{aggregate}.{aggregate_id}"


def parse_subject(value: str) -> tuple[str, str, str, str]:
    """(context, orgId, aggregate, id) of a subject in the grammar."""
    parts = value.split(".")
    if len(parts) != 4:
        raise ValueError(f"subject not in the grammar: {value!r}")
    return parts[0], parts[1], parts[2], parts[3]


def all_of(context: Context, aggregate: Aggregate | None = None) -> str:
    """Wildcard over every org (and optionally one aggregate kind) of a context."""
    return f"{context}.*.{aggregate}.*" if aggregate else f"{context}.>"
