"""HTTP routes under ``/api``: decode the request, call a handler or a query, encode the answer.

The organization is the ``X-Callcast-Org-Id`` header set by the gateway (``org_id``); another
organization's ids read as missing (404). Path ids must be UUIDs (400 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import UNSET, UnsetType

from callcast_flow import queries
from callcast_flow.adapters.audio_repository import SORT_COLUMNS as AUDIO_SORTS
from callcast_flow.adapters.audio_repository import AudioFilter
from callcast_flow.adapters.flow_repository import SORT_COLUMNS as FLOW_SORTS
from callcast_flow.domain.audio import MAX_UPLOAD_BYTES, USAGE_TYPES, InvalidTags, parse_tags
from callcast_flow.domain.commands import (
    CreateFlow,
    DeleteAudio,
    DeleteFlow,
    UpdateAudio,
    UpdateFlow,
)
from callcast_flow.domain.flows import FLOW_STATUSES
from callcast_flow.domain.validation import canonical_uuid
from callcast_flow.entrypoints.audio_upload import FORM_OVERHEAD_BYTES, UploadAudioOperation, upload_command
from callcast_flow.entrypoints.schemas import (
    AudioResponse,
    CreateFlowBody,
    FlowResponse,
    UpdateAudioBody,
    UpdateFlowBody,
    ValidateFlowBody,
    ValidationResponse,
    audio_response,
    flow_response,
    graph_of_body,
    require_not_blank,
    validation_response,
)
from callcast_flow.errors import FlowGraphInvalid, render_flow_graph_invalid
from callcast_flow.handlers import FlowServiceContext, handle
from callcast_runtime.api import Page, page_of, page_query, parse_uuid
from callcast_runtime.errors import ValidationFailed

#: The organization the gateway authenticated (``X-Callcast-Org-Id``), and the handler context.
OrgId = NamedDependency[str]
Services = NamedDependency[FlowServiceContext]
PathId = FromPath[str]

PageParam = Annotated[int | None, QueryParameter(name="page", description="Page number, from 1 (default 1).")]
LimitParam = Annotated[int | None, QueryParameter(name="limit", description="Items per page, 1–100 (default 20).")]
SortOrderParam = Annotated[
    str | None, QueryParameter(name="sortOrder", description="`asc` or `desc` (default `desc`).")
]


class FlowController(Controller):
    path = "/api/flows"
    tags = ["Flows"]
    exception_handlers = {FlowGraphInvalid: render_flow_graph_invalid}

    @post("/", operation_id="createFlow", status_code=201, summary="Create a flow (its version 1)")
    async def create_flow(self, data: JSONBody[CreateFlowBody], org_id: OrgId, services: Services) -> FlowResponse:
        """Validates the graph (400 `VALIDATION_FAILED` with `findings` when it has errors), then saves it
        as version 1 and publishes `FlowVersionSaved`."""
        graph = graph_of_body(data.graph, data.start_node_id, data.nodes)
        cmd = CreateFlow(
            org_id=org_id,
            name=require_not_blank(data.name, "name"),
            description=data.description,
            channel_type=data.channel_type,
            status=data.status,
            graph={} if graph is UNSET else graph,
        )
        return flow_response(await handle(cmd, services))

    @post("/validate", operation_id="validateFlow", status_code=200, summary="Check a flow without saving it")
    async def validate_flow(
        self, data: JSONBody[ValidateFlowBody], org_id: OrgId, services: Services
    ) -> ValidationResponse:
        """Runs the checks a save runs; `valid` is false when any finding has severity `error`."""
        if data.name is not None:
            require_not_blank(data.name, "name")
        graph = graph_of_body(data.graph, data.start_node_id, data.nodes)
        report = await queries.validate_flow(services, org_id, {} if graph is UNSET else graph)
        return validation_response(report)

    @get("/", operation_id="listFlows", summary="List flows (each at its latest version)")
    async def list_flows(
        self,
        org_id: OrgId,
        services: Services,
        page: PageParam = None,
        limit: LimitParam = None,
        search: Annotated[
            str | None,
            QueryParameter(name="search", description="Matches the name and the description (≤100 characters)."),
        ] = None,
        sort_by: Annotated[
            str | None, QueryParameter(name="sortBy", description="`name`, `createdAt` (default) or `updatedAt`.")
        ] = None,
        sort_order: SortOrderParam = None,
        status: Annotated[
            str | None,
            QueryParameter(name="status", description="Only flows with this status (`draft`, `active`, `archived`)."),
        ] = None,
    ) -> Page[FlowResponse]:
        """`search` matches the name and the description."""
        q = page_query(page, limit, search, sort_by, sort_order, sortable=tuple(FLOW_SORTS))
        if status is not None and status not in FLOW_STATUSES:
            raise ValidationFailed.single("status", f"status must be one of: {', '.join(FLOW_STATUSES)}", "isEnum")
        items, total = await queries.list_flows(services, org_id, q, status=status)
        return page_of([flow_response(v) for v in items], total, q)

    @get("/{id:str}", operation_id="getFlow", summary="Get a flow (its latest version, or `version`)")
    async def get_flow(
        self,
        id: PathId,
        org_id: OrgId,
        services: Services,
        version: Annotated[
            int | None,
            QueryParameter(name="version", ge=1, description="An older version number (default: the latest)."),
        ] = None,
    ) -> FlowResponse:
        found = await queries.get_flow(services, org_id, parse_uuid(id, "id"), version)
        return flow_response(found)

    @put("/{id:str}", operation_id="updateFlow", summary="Save a new version of a flow")
    async def update_flow(
        self, id: PathId, data: JSONBody[UpdateFlowBody], org_id: OrgId, services: Services
    ) -> FlowResponse:
        """Every save creates a new immutable version (`flowVersion` + 1). Fields left out are carried
        over; `channelType` cannot change."""
        fid = parse_uuid(id, "id")
        cmd = UpdateFlow(
            org_id=org_id,
            flow_id=fid,
            name=data.name if data.name is UNSET else require_not_blank(data.name, "name"),
            description=data.description,
            status=data.status,
            channel_type=data.channel_type,
            graph=graph_of_body(data.graph, data.start_node_id, data.nodes),
        )
        return flow_response(await handle(cmd, services))

    @delete("/{id:str}", operation_id="deleteFlow", status_code=204, summary="Delete a flow (soft)")
    async def delete_flow(self, id: PathId, org_id: OrgId, services: Services) -> None:
        """Its versions stay readable by the services that pinned them; publishes `FlowDeleted`."""
        await handle(DeleteFlow(org_id=org_id, flow_id=parse_uuid(id, "id")), services)


def update_audio_command(audio_id: str, data: UpdateAudioBody, org_id: str) -> UpdateAudio:
    tags: list[str] | UnsetType | None = UNSET if data.tags is UNSET else None
    if isinstance(data.tags, str | list):
        try:
            tags = parse_tags([data.tags] if isinstance(data.tags, str) else data.tags)
        except InvalidTags as err:
            raise ValidationFailed.single("tags", f"tags: {err}", "invalidTags") from None
    return UpdateAudio(
        org_id=org_id,
        audio_id=parse_uuid(audio_id, "id"),
        title=data.title if data.title is UNSET else require_not_blank(data.title, "title"),
        description=data.description,
        usage_type=data.usage_type,
        tags=tags,
    )


class AudioController(Controller):
    path = "/api/audio-management"
    tags = ["Audio"]

    @post(
        "/upload",
        operation_id="uploadAudio",
        status_code=201,
        summary="Upload an audio file",
        request_max_body_size=MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES,
        operation_class=UploadAudioOperation,
    )
    async def upload(self, request: Request[Any, Any, Any], org_id: OrgId, services: Services) -> AudioResponse:
        """Converts the audio to 8 kHz mono (G.711 μ-law for calls, 16-bit PCM for playback), stores it,
        and publishes `AudioUploaded`. Empty, unreadable or non-audio files answer 400 naming `file`;
        files over 20 MB answer 413."""
        cmd = await upload_command(request, org_id)
        return audio_response(await handle(cmd, services))

    @get("/", operation_id="listAudio", summary="List audio")
    async def list_audio(
        self,
        org_id: OrgId,
        services: Services,
        page: PageParam = None,
        limit: LimitParam = None,
        search: Annotated[
            str | None,
            QueryParameter(name="search", description="Matches title, description and tags (≤100 characters)."),
        ] = None,
        sort_by: Annotated[
            str | None,
            QueryParameter(name="sortBy", description="`createdAt` (default), `title` or `durationSeconds`."),
        ] = None,
        sort_order: SortOrderParam = None,
        usage_type: Annotated[str | None, QueryParameter(name="usageType", description="Only this usage type.")] = None,
        tags: Annotated[
            list[str] | None,
            QueryParameter(name="tags", description="Only audio with any of these tags (repeated or comma-separated)."),
        ] = None,
        organization_id: Annotated[
            str | None,
            QueryParameter(name="organizationId", description="Accepted for compatibility; must be your own."),
        ] = None,
    ) -> Page[AudioResponse]:
        q = page_query(page, limit, search, sort_by, sort_order, sortable=tuple(AUDIO_SORTS))
        if usage_type is not None and usage_type not in USAGE_TYPES:
            raise ValidationFailed.single("usageType", f"usageType must be one of: {', '.join(USAGE_TYPES)}", "isEnum")
        try:
            wanted_tags = tuple(parse_tags(tags or []))
        except InvalidTags as err:
            raise ValidationFailed.single("tags", f"tags: {err}", "invalidTags") from None
        asked_for = parse_uuid(organization_id, "organizationId") if organization_id is not None else None
        if asked_for is not None and asked_for != (canonical_uuid(org_id) or org_id):
            return page_of([], 0, q)  # another organization's audio is never listed
        items, total = await queries.list_audio(
            services, org_id, q, AudioFilter(usage_type=usage_type, tags=wanted_tags)
        )
        return page_of([audio_response(a) for a in items], total, q)

    @get("/{id:str}", operation_id="getAudio", summary="Get an audio's metadata")
    async def get_audio(self, id: PathId, org_id: OrgId, services: Services) -> AudioResponse:
        return audio_response(await queries.get_audio(services, org_id, parse_uuid(id, "id")))

    @get(
        "/{id:str}/stream",
        operation_id="streamAudio",
        summary="The converted audio as a WAV file",
        media_type="audio/wav",
        response_description="WAV, 8 kHz, 16-bit, mono",
    )
    async def stream_audio(self, id: PathId, org_id: OrgId, services: Services) -> Response[bytes]:
        asset, wav = await queries.audio_as_wav(services, org_id, parse_uuid(id, "id"))
        return Response(
            content=wav,
            media_type="audio/wav",
            headers={"Content-Disposition": f'inline; filename="{asset.id}.wav"'},
        )

    @patch("/{id:str}", operation_id="patchAudio", summary="Update an audio's metadata")
    async def patch_audio(
        self, id: PathId, data: JSONBody[UpdateAudioBody], org_id: OrgId, services: Services
    ) -> AudioResponse:
        """Fields left out keep their value; `null` clears `description` or `tags`."""
        return audio_response(await handle(update_audio_command(id, data, org_id), services))

    @put("/{id:str}", operation_id="updateAudio", summary="Update an audio's metadata")
    async def put_audio(
        self, id: PathId, data: JSONBody[UpdateAudioBody], org_id: OrgId, services: Services
    ) -> AudioResponse:
        """Same as PATCH (the documented API offers both verbs for a metadata update)."""
        return audio_response(await handle(update_audio_command(id, data, org_id), services))

    @delete("/{id:str}", operation_id="deleteAudio", status_code=204, summary="Delete an audio (soft)")
    async def delete_audio(self, id: PathId, org_id: OrgId, services: Services) -> None:
        """Flow versions already saved keep playing it; new saves that play it are rejected."""
        await handle(DeleteAudio(org_id=org_id, audio_id=parse_uuid(id, "id")), services)


ROUTES = [FlowController, AudioController]
