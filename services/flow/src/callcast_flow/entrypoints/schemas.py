"""Request and response bodies of the HTTP API (camelCase on the wire), and their mapping.

Flow bodies are accepted in every documented generation: the graph inside ``graph`` or its
``startNodeId``/``nodes`` at the top level, ``nodes`` as an array or a map keyed by node id.
Answers always carry ``graph`` with ``nodes`` as an array. The inside of the graph is left to
the flow validator, so a client gets every graph problem as a finding, in one answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from callcast_flow.domain.audio import BIT_DEPTH, CHANNELS, DESCRIPTION_MAX, SAMPLE_RATE, TITLE_MAX, AudioAsset
from callcast_flow.domain.flows import DESCRIPTION_MAX as FLOW_DESCRIPTION_MAX
from callcast_flow.domain.flows import NAME_MAX, FlowVersion
from callcast_flow.domain.validation import Finding, ValidationReport
from callcast_runtime.api import ApiModel, ApiResponse, iso
from callcast_runtime.errors import ValidationFailed

ChannelTypeField = Literal["call", "agnostic"]
FlowStatusField = Literal["draft", "active", "archived"]
UsageTypeField = Literal["welcome", "goodbye", "question", "prompt", "hold_music", "notification", "other"]

FlowName = Annotated[str, Meta(min_length=1, max_length=NAME_MAX, description="1–255 characters")]
FlowDescription = Annotated[str, Meta(max_length=FLOW_DESCRIPTION_MAX)]
StartNodeId = Annotated[Any, Meta(description="Id of the node the flow starts at (a string).")]
Nodes = Annotated[
    Any,
    Meta(
        description="The nodes: an array of `{id, type, label?, config?, outputs?}`, or an object of such nodes "
        "keyed by node id."
    ),
]


# -- flows ------------------------------------------------------------------------------------


class GraphBody(ApiModel):
    start_node_id: StartNodeId = None
    nodes: Nodes = None


class CreateFlowBody(ApiModel):
    name: FlowName
    description: FlowDescription | None = None
    graph: GraphBody | None = None
    start_node_id: StartNodeId = None
    nodes: Nodes = None
    channel_type: ChannelTypeField = "call"
    status: FlowStatusField = "draft"


class UpdateFlowBody(ApiModel):
    """Every field is optional: what is left out is carried over from the latest version."""

    name: FlowName | UnsetType = UNSET
    description: FlowDescription | UnsetType | None = UNSET
    graph: GraphBody | UnsetType = UNSET
    start_node_id: StartNodeId | UnsetType = UNSET
    nodes: Nodes | UnsetType = UNSET
    channel_type: ChannelTypeField | UnsetType = UNSET
    status: FlowStatusField | UnsetType = UNSET


class ValidateFlowBody(ApiModel):
    """A flow body as for a save; ``name`` may be left out."""

    name: FlowName | None = None
    description: FlowDescription | None = None
    graph: GraphBody | None = None
    start_node_id: StartNodeId = None
    nodes: Nodes = None
    channel_type: ChannelTypeField | None = None
    status: FlowStatusField | None = None


def require_not_blank(value: str, field: str) -> str:
    if not value.strip():
        raise ValidationFailed.single(field, f"{field} must not be blank", "isNotEmpty")
    return value


def graph_of_body(graph: GraphBody | UnsetType | None, start_node_id: Any, nodes: Any) -> dict[str, Any] | UnsetType:
    """The graph wherever the client put it; ``UNSET`` when the body has none at all."""
    top_level = {
        key: value
        for key, value in (("startNodeId", start_node_id), ("nodes", nodes))
        if value is not None and value is not UNSET
    }
    if isinstance(graph, GraphBody):
        if top_level:
            field = next(iter(top_level))
            raise ValidationFailed.single(
                field, f"{field} must not be given both inside graph and at the top level", "conflict"
            )
        return {
            key: value
            for key, value in (("startNodeId", graph.start_node_id), ("nodes", graph.nodes))
            if value is not None
        }
    if top_level:
        return top_level
    return UNSET


class FlowGraphResponse(ApiResponse):
    start_node_id: str
    nodes: list[dict[str, Any]]


class FlowResponse(ApiResponse):
    id: str
    organization_id: str
    name: str
    description: str | None
    channel_type: str
    status: str
    flow_version: int
    graph_hash: str
    graph: FlowGraphResponse
    created_at: str
    updated_at: str


def flow_response(v: FlowVersion) -> FlowResponse:
    return FlowResponse(
        id=v.flow_id,
        organization_id=v.org_id,
        name=v.name,
        description=v.description,
        channel_type=v.channel_type,
        status=v.status,
        flow_version=v.version,
        graph_hash=v.graph.graph_hash,
        graph=FlowGraphResponse(start_node_id=v.graph.start_node_id, nodes=v.graph.nodes),
        created_at=iso(v.created_at) or "",
        updated_at=iso(v.updated_at) or "",
    )


class FindingResponse(ApiResponse):
    severity: Literal["error", "warning"]
    node_id: str | None
    field: str
    code: str
    message: str


class ValidationResponse(ApiResponse):
    valid: bool
    findings: list[FindingResponse]


def finding_response(f: Finding) -> FindingResponse:
    return FindingResponse(severity=f.severity, node_id=f.node_id, field=f.field, code=f.code, message=f.message)


def validation_response(report: ValidationReport) -> ValidationResponse:
    return ValidationResponse(valid=report.valid, findings=[finding_response(f) for f in report.findings])


# -- audio ------------------------------------------------------------------------------------

AudioTitle = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
AudioDescription = Annotated[str, Meta(max_length=DESCRIPTION_MAX)]


class UpdateAudioBody(ApiModel):
    """``tags`` is an array of strings or one comma-separated string (``"greeting,payment"``)."""

    title: AudioTitle | UnsetType = UNSET
    description: AudioDescription | UnsetType | None = UNSET
    usage_type: UsageTypeField | UnsetType = UNSET
    tags: list[str] | str | UnsetType | None = UNSET


class AudioFileResponse(ApiResponse):
    id: str
    name: str | None
    content_type: str
    file_size: int
    checksum: str | None


class AudioResponse(ApiResponse):
    id: str
    title: str
    description: str | None
    usage_type: str
    tags: list[str] | None
    duration_seconds: float | None
    sample_rate: int | None
    channels: int | None
    bit_depth: int | None
    organization_id: str | None
    original_file_name: str | None
    created_at: str
    updated_at: str
    file: AudioFileResponse


def audio_response(a: AudioAsset) -> AudioResponse:
    return AudioResponse(
        id=a.id,
        title=a.title,
        description=a.description,
        usage_type=a.usage_type,
        tags=a.tags,
        duration_seconds=a.duration_seconds,
        sample_rate=SAMPLE_RATE,
        channels=CHANNELS,
        bit_depth=BIT_DEPTH,
        organization_id=a.org_id,
        original_file_name=a.original_file_name,
        created_at=iso(a.created_at) or "",
        updated_at=iso(a.updated_at) or "",
        file=AudioFileResponse(
            id=a.file.id,
            name=a.file.name,
            content_type=a.file.content_type,
            file_size=a.file.file_size,
            checksum=a.file.checksum,
        ),
    )
