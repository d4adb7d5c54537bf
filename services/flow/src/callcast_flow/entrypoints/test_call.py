"""``POST /api/flows/execute``: place one real test call of a flow version (Gomobile
``ExecuteFlowRequestDto``).

The flow service owns the flow, so it loads the pinned version (another organization's flow is
404), refuses one that fails validation now (an audio it plays may have been deleted since it
was saved), and asks the scheduler over NATS request/reply (``callcast_contracts.test_call``) to
dial it; the scheduler owns contacts' copies, DIDs and jobs. The answer is the job's id, whose
call report (``GET /api/call-report/{jobId}``) follows the call.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import nats.errors
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from callcast_contracts.test_call import (
    PLACE_TEST_CALL_SUBJECT,
    PlaceTestCallRequest,
    decode_reply,
    encode_request,
)
from callcast_flow import queries
from callcast_flow.entrypoints.http import OrgId, Services
from callcast_flow.errors import FlowGraphInvalid, render_flow_graph_invalid
from callcast_flow.handlers import check_graph
from callcast_flowengine.nodes import VARIABLE_NAME
from callcast_flowengine.values import SCALAR_TYPES
from callcast_runtime.api import ApiModel, ApiResponse, parse_uuid
from callcast_runtime.errors import ApiError, ValidationFailed
from callcast_runtime.service import Runtime

#: How long the scheduler has to answer before the API says 503.
SCHEDULER_TIMEOUT_S = 5.0

E164 = Annotated[str, Meta(pattern=r"^\+[1-9][0-9]{6,14}$", description="An E.164 number, e.g. +212600000001.")]
Text = Annotated[str, Meta(max_length=256)]
ScalarMap = Annotated[
    dict[str, Any], Meta(description="Names to values; each value a string, number, boolean or null.")
]


class TestContact(ApiModel):
    """The contact to call, given inline (it is not saved)."""

    __test__ = False  # not a pytest test class

    primary_phone: E164
    first_name: Text | None = None
    last_name: Text | None = None
    custom_attributes: ScalarMap | None = None


class ExecuteFlowBody(ApiModel):
    """`ExecuteFlowRequestDto`: exactly one of `contactId`/`contact`, exactly one of `didId`/`fromNumber`."""

    flow_id: str
    #: The version to run (default: the latest).
    flow_version: Annotated[int, Meta(ge=1)] | None = None
    contact_id: str | None = None
    contact: TestContact | None = None
    did_id: str | None = None
    from_number: E164 | None = None
    variables: ScalarMap | None = None


class ExecuteFlowResponse(ApiResponse):
    #: The test call's job: `GET /api/call-report/{jobId}` follows it.
    job_id: str
    #: Always `queued`: the call is handed to the dialer.
    status: str


def _exactly_one(body: ExecuteFlowBody, first: str, second: str) -> None:
    given = [name for name in (first, second) if getattr(body, name) is not None]
    camel = {"contact_id": "contactId", "contact": "contact", "did_id": "didId", "from_number": "fromNumber"}
    if len(given) != 1:
        field = camel[first]
        raise ValidationFailed.single(
            field, f"give exactly one of {camel[first]} and {camel[second]}", "exactlyOne", other=camel[second]
        )


def _check_scalars(values: dict[str, Any] | None, where: str) -> None:
    for name, value in (values or {}).items():
        if not isinstance(value, SCALAR_TYPES):
            raise ValidationFailed.single(
                f"{where}.{name}", f"{where}.{name} must be a string, number, boolean or null", "type"
            )


def check_body(body: ExecuteFlowBody) -> None:
    parse_uuid(body.flow_id, "flowId")
    _exactly_one(body, "contact_id", "contact")
    _exactly_one(body, "did_id", "from_number")
    if body.contact_id is not None:
        parse_uuid(body.contact_id, "contactId")
    if body.did_id is not None:
        parse_uuid(body.did_id, "didId")
    for name in body.variables or {}:
        if not VARIABLE_NAME.match(name):
            raise ValidationFailed.single(
                f"variables.{name}",
                f"variables.{name}: a variable name is a letter or _, then letters, digits or _ (at most 64)",
                "matches",
            )
    _check_scalars(body.variables, "variables")
    _check_scalars(body.contact.custom_attributes if body.contact else None, "contact.customAttributes")


def _inline_contact(contact: TestContact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {k: v for k, v in msgspec.to_builtins(contact).items() if v is not None}


async def ask_scheduler(runtime: Runtime, request: PlaceTestCallRequest) -> str:
    """The job id the scheduler started; its refusal as the API error it names; 503 when no
    scheduler answers in time."""
    try:
        msg = await runtime.broker.connection.request(
            PLACE_TEST_CALL_SUBJECT, encode_request(request), timeout=SCHEDULER_TIMEOUT_S
        )
    except (nats.errors.TimeoutError, nats.errors.NoRespondersError, TimeoutError):
        raise ApiError(
            "The scheduler did not answer; no call was placed", code="SERVICE_UNAVAILABLE", status_code=503
        ) from None
    reply = decode_reply(msg.data)
    if reply.error is not None:
        raise ApiError(reply.error.message, code=reply.error.code, status_code=reply.error.status)
    if reply.job_id is None:
        raise ApiError("The scheduler answered without a job", code="SERVICE_UNAVAILABLE", status_code=503)
    return reply.job_id


class FlowExecutionController(Controller):
    path = "/api/flows"
    tags = ["Flows"]
    exception_handlers = {FlowGraphInvalid: render_flow_graph_invalid}

    @post("/execute", operation_id="executeFlow", status_code=201, summary="Place a test call of a flow")
    async def execute_flow(
        self,
        data: JSONBody[ExecuteFlowBody],
        org_id: OrgId,
        services: Services,
        runtime: NamedDependency[Runtime],
    ) -> ExecuteFlowResponse:
        """Places one real call of the flow version (`flowVersion`, default the latest) to a test contact
        (`contactId`, a saved contact, or `contact`, inline: `primaryPhone` in E.164 and optional `firstName`,
        `lastName`, `customAttributes`) from a caller id (`didId`, an active DID, or `fromNumber` in E.164), with
        `variables` set before the first node. Answers 201 `{"jobId", "status": "queued"}`; the call's report is
        `GET /api/call-report/{jobId}` (its job has no execution and is never retried). 400 `VALIDATION_FAILED`
        (a field, or both/neither of a pair; `findings` when the flow version has validation errors),
        `DidNotActiveError`; 404 `FlowNotFoundError`, `FlowVersionNotFoundError`, `ContactNotFoundError`,
        `DidNotFoundError`; 503 when the scheduler does not answer (no call placed)."""
        check_body(data)
        found = await queries.get_flow(services, org_id, parse_uuid(data.flow_id, "flowId"), data.flow_version)
        async with services.db.connection() as conn:
            report = await check_graph(conn, org_id, found.graph.to_json())
        if not report.valid:
            raise FlowGraphInvalid(report.findings)
        request = PlaceTestCallRequest(
            org_id=org_id,
            flow=found.snapshot(),
            contact_id=parse_uuid(data.contact_id, "contactId") if data.contact_id else None,
            contact=_inline_contact(data.contact),
            did_id=parse_uuid(data.did_id, "didId") if data.did_id else None,
            from_number=data.from_number,
            variables=dict(data.variables or {}),
        )
        return ExecuteFlowResponse(job_id=await ask_scheduler(runtime, request), status="queued")
