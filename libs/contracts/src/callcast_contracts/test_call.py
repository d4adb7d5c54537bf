"""Test calls over NATS request/reply: the flow service asks the scheduler to place one call.

``POST /api/flows/execute`` (flow service) loads and checks the pinned flow version, then sends a
``PlaceTestCallRequest`` on ``PLACE_TEST_CALL_SUBJECT`` (queue group ``scheduler``: any one
scheduler instance answers). The scheduler resolves the contact (from its copy, or the inline one)
and the caller id (a DID of the organization, or ``fromNumber``), starts a job of its own
(``programs.<org>.job.<jobId>``, first event ``TestCallRequested``), publishes the job's only
``DialRequested`` (no execution, no program, attempt 1) and answers ``{"jobId"}``. The subject is
outside every stream. A refusal answers ``error`` with the API's status and named error, which the
flow service reports as it is.
"""

from __future__ import annotations

from typing import Any

import msgspec

from callcast_contracts.events.flows import FlowSnapshot

PLACE_TEST_CALL_SUBJECT = "rpc.scheduler.test-call"
PLACE_TEST_CALL_QUEUE = "scheduler"


class PlaceTestCallRequest(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    org_id: str
    #: The flow version to run, as the flow service checked it.
    flow: FlowSnapshot
    #: Exactly one of ``contact_id`` (a contact of the organization) and ``contact`` (inline:
    #: ``primaryPhone`` and optional ``firstName``, ``lastName``, ``customAttributes``).
    contact_id: str | None = None
    contact: dict[str, Any] | None = None
    #: Exactly one of ``did_id`` (an active DID of the organization, or a shared one) and
    #: ``from_number`` (E.164): the caller id.
    did_id: str | None = None
    from_number: str | None = None
    #: The run's variables before the first node.
    variables: dict[str, Any] = {}


class TestCallRefused(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    """Why the scheduler placed no call: ``code`` is the API's named error, ``status`` its HTTP status."""

    __test__ = False  # not a pytest test class

    status: int
    code: str
    message: str


class PlaceTestCallReply(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    job_id: str | None = None
    error: TestCallRefused | None = None


def encode_request(request: PlaceTestCallRequest) -> bytes:
    return msgspec.json.encode(request)


def decode_request(data: bytes) -> PlaceTestCallRequest:
    return msgspec.json.decode(data, type=PlaceTestCallRequest)


def encode_reply(reply: PlaceTestCallReply) -> bytes:
    return msgspec.json.encode(reply)


def decode_reply(data: bytes) -> PlaceTestCallReply:
    return msgspec.json.decode(data, type=PlaceTestCallReply)
