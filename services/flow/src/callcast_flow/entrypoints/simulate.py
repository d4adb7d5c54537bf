"""``POST /api/flows/{id}/simulate``: run a saved flow version against scripted call events.

No telephony: the flow engine (``callcast_flowengine.simulation``) is driven by the script, the
same engine the dialer drives with a real call. The body is decoded strictly (unknown fields and
bad events answer 400 naming the field); the flow is read like ``GET /api/flows/{id}`` (another
organization's flow is 404).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody, QueryParameter
from msgspec import Meta

from callcast_contracts.ids import new_id
from callcast_flow import queries
from callcast_flow.domain.flows import FlowVersion
from callcast_flow.entrypoints.http import OrgId, PathId, Services
from callcast_flowengine.document import Flow, parse_flow
from callcast_flowengine.nodes import VARIABLE_NAME
from callcast_flowengine.simulation import (
    Answered,
    CalleeHangsUp,
    KeysPressed,
    NotConnected,
    ScriptEvent,
    SimulationResult,
    TimedOut,
    simulate,
)
from callcast_flowengine.values import SCALAR_TYPES
from callcast_runtime.api import ApiModel, ApiResponse, iso, parse_uuid
from callcast_runtime.errors import ValidationFailed

MAX_EVENTS = 200

#: Values are JSON scalars; decoded as Any and checked here, so a bad one is named by its key
#: (msgspec names a map's values ``[...]``).
ScalarMap = Annotated[
    dict[str, Any], Meta(description="Names to values; each value a string, number, boolean or null.")
]
Text = Annotated[str, Meta(max_length=256)]


class _Event(ApiModel, tag_field="type"):
    pass


class AnsweredEvent(_Event, tag="answered"):
    """The callee picked up; ``answeredBy`` is what AMD decided (default ``human``)."""

    answered_by: Literal["human", "machine"] = "human"


class BusyEvent(_Event, tag="busy"):
    pass


class NoAnswerEvent(_Event, tag="no_answer"):
    pass


class RejectedEvent(_Event, tag="rejected"):
    pass


class FailedEvent(_Event, tag="failed"):
    pass


class DtmfEvent(_Event, tag="dtmf"):
    """Keys pressed at the next dtmf node (``"12#"``: the finish key ends a multi-digit entry)."""

    digits: Annotated[str, Meta(pattern=r"^[0-9*#]+$", min_length=1, max_length=64)]


class HangupEvent(_Event, tag="hangup"):
    """The callee hangs up: as the run enters ``atNodeId``, or at the next node waiting for the call."""

    at_node_id: Annotated[str, Meta(min_length=1, max_length=256)] | None = None


class TimeoutEvent(_Event, tag="timeout"):
    """No answer at a dial node; no key at a dtmf node; nothing said at a record node."""


SimulatedEvent = (
    AnsweredEvent | BusyEvent | NoAnswerEvent | RejectedEvent | FailedEvent | DtmfEvent | HangupEvent | TimeoutEvent
)


class SimulatedContact(ApiModel):
    """The contact the call goes to, as `POST /contact` takes it (plus its `id`)."""

    id: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    full_name: Text | None = None
    primary_phone: Text | None = None
    primary_email: Text | None = None
    address: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zip: Text | None = None
    occupation: Text | None = None
    preferred_channel: Text | None = None
    gender: Literal["male", "female"] | None = None
    channels: list[Text] | None = None
    custom_attributes: ScalarMap | None = None


class SimulateFlowBody(ApiModel):
    contact: SimulatedContact | None = None
    #: The run's variables before the first node (names as a set_variable node takes them).
    variables: ScalarMap | None = None
    events: Annotated[list[SimulatedEvent], Meta(max_length=MAX_EVENTS)] = msgspec.field(default_factory=list)


class SimulatedPathEntry(ApiResponse):
    node_id: str
    node_type: str
    node_label: str | None
    output_path: str | None
    timestamp: str


class SimulationResponse(ApiResponse):
    outcome: str
    #: Why the run ended as it did (null for a completed run).
    outcome_reason: str | None
    execution_path: list[SimulatedPathEntry]
    final_variables: dict[str, Any]
    node_execution_count: int
    flow_id: str
    flow_version: int
    #: Indices of ``events`` the run never used (the script did not match the path taken).
    unused_events: list[int]


def script_event(event: SimulatedEvent) -> ScriptEvent:
    if isinstance(event, AnsweredEvent):
        return Answered(answered_by=event.answered_by)
    if isinstance(event, DtmfEvent):
        return KeysPressed(digits=event.digits)
    if isinstance(event, HangupEvent):
        return CalleeHangsUp(at_node_id=event.at_node_id)
    if isinstance(event, TimeoutEvent):
        return TimedOut()
    status = {BusyEvent: "busy", NoAnswerEvent: "no_answer", RejectedEvent: "rejected", FailedEvent: "failed"}
    return NotConnected(status=status[type(event)])


def _check_scalars(values: dict[str, Any] | None, where: str) -> None:
    for name, value in (values or {}).items():
        if not isinstance(value, SCALAR_TYPES):
            raise ValidationFailed.single(
                f"{where}.{name}", f"{where}.{name} must be a string, number, boolean or null", "type"
            )


def _check_body(data: SimulateFlowBody, flow: Flow) -> None:
    for name in data.variables or {}:
        if not VARIABLE_NAME.match(name):
            raise ValidationFailed.single(
                f"variables.{name}",
                f"variables.{name}: a variable name is a letter or _, then letters, digits or _ (at most 64)",
                "matches",
            )
    _check_scalars(data.variables, "variables")
    _check_scalars(data.contact.custom_attributes if data.contact else None, "contact.customAttributes")
    for i, event in enumerate(data.events):
        if isinstance(event, HangupEvent) and event.at_node_id is not None and event.at_node_id not in flow.nodes:
            raise ValidationFailed.single(
                f"events[{i}].atNodeId",
                f"events[{i}].atNodeId names no node of this flow version ({event.at_node_id!r})",
                "nodeNotFound",
            )


def _contact_json(contact: SimulatedContact | None) -> dict[str, Any]:
    if contact is None:
        return {}
    return {k: v for k, v in msgspec.to_builtins(contact).items() if v is not None}


def _system_variables(org_id: str, contact: dict[str, Any]) -> dict[str, Any]:
    name = contact.get("fullName") or " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)
    return {
        "sys.callId": new_id(),
        "sys.callStatus": "initiated",
        "sys.callDirection": "outbound",
        "sys.answeredBy": None,
        "sys.contactId": contact.get("id"),
        "sys.contactPhone": contact.get("primaryPhone"),
        "sys.contactName": name or None,
        "sys.organizationId": org_id,
        "sys.programId": None,
    }


def simulation_response(version: FlowVersion, result: SimulationResult) -> SimulationResponse:
    run = result.run
    return SimulationResponse(
        outcome=run.outcome or "failed",
        outcome_reason=run.outcome_reason,
        execution_path=[
            SimulatedPathEntry(
                node_id=e.node_id,
                node_type=e.node_type,
                node_label=e.node_label,
                output_path=e.output_path,
                timestamp=iso(e.timestamp) or "",
            )
            for e in run.execution_path
        ],
        final_variables=dict(run.variables),
        node_execution_count=run.node_execution_count,
        flow_id=version.flow_id,
        flow_version=version.version,
        unused_events=result.unused_events,
    )


class FlowSimulationController(Controller):
    path = "/api/flows"
    tags = ["Flows"]

    @post("/{id:str}/simulate", operation_id="simulateFlow", status_code=200, summary="Simulate a call through a flow")
    async def simulate_flow(
        self,
        id: PathId,
        data: JSONBody[SimulateFlowBody],
        org_id: OrgId,
        services: Services,
        version: Annotated[
            int | None,
            QueryParameter(name="version", ge=1, description="The flow version to run (default: the latest)."),
        ] = None,
    ) -> SimulationResponse:
        """Runs the flow version with the flow engine, the scripted `events` standing in for the call
        (no call is placed, nothing is saved). See "Simulation" in the API description for how events
        are matched to nodes."""
        found = await queries.get_flow(services, org_id, parse_uuid(id, "id"), version)
        flow = parse_flow(found.graph.to_json())
        _check_body(data, flow)
        contact = _contact_json(data.contact)
        result = simulate(
            flow,
            [script_event(e) for e in data.events],
            contact=contact,
            variables=dict(data.variables or {}),
            system=_system_variables(org_id, contact),
        )
        return simulation_response(found, result)
