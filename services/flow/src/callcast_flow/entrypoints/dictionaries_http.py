"""HTTP routes of ``/api/dictionaries``: decode, call a handler or a read, encode.

An organization sees its own dictionaries and the system ones; it may change only its own
(system ones answer 403 ``SystemDictionaryReadOnlyError``). Another organization's ids read as
missing (404). Path ids must be UUIDs (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import UNSET

from callcast_flow import dictionaries_handlers as dictionaries
from callcast_flow.adapters.dictionaries_repository import ENTRY_SORT_COLUMNS, SORT_COLUMNS, DictionaryFilter
from callcast_flow.domain.audio import MAX_UPLOAD_BYTES
from callcast_flow.domain.dictionaries import DICTIONARY_LANGUAGES, KEY_MAX, MAX_ENTRY_SECONDS, InvalidKey, check_key
from callcast_flow.domain.dictionaries_commands import (
    AddDictionaryEntry,
    CreateDictionary,
    DeleteDictionary,
    DeleteDictionaryEntry,
    UpdateDictionary,
)
from callcast_flow.entrypoints.audio_upload import FORM_OVERHEAD_BYTES
from callcast_flow.entrypoints.dictionaries_schemas import (
    CreateDictionaryBody,
    DictionaryEntryResponse,
    DictionaryResponse,
    RenderBody,
    RenderResponse,
    UpdateDictionaryBody,
    dictionary_response,
    entry_response,
    render_response,
)
from callcast_flow.entrypoints.schemas import require_not_blank
from callcast_flow.handlers import FlowServiceContext
from callcast_runtime.api import Page, page_of, page_query, parse_uuid
from callcast_runtime.errors import ValidationFailed

OrgId = NamedDependency[str]
Services = NamedDependency[FlowServiceContext]
PathId = FromPath[str]

PageParam = Annotated[int | None, QueryParameter(name="page", description="Page number, from 1 (default 1).")]
LimitParam = Annotated[int | None, QueryParameter(name="limit", description="Items per page, 1–100 (default 20).")]
SortOrderParam = Annotated[
    str | None, QueryParameter(name="sortOrder", description="`asc` or `desc` (default `desc`).")
]


async def entry_command(request: Request[Any, Any, Any], org_id: str, dictionary_id: str) -> AddDictionaryEntry:
    """The multipart body of an entry: ``file`` (the audio) and ``key``; nothing else."""
    if request.content_type[0] != "multipart/form-data":
        raise ValidationFailed.single("file", "send the entry as multipart/form-data with file and key", "isFile")
    form = await request.form()
    for name in form:
        if name not in ("file", "key"):
            raise ValidationFailed.single(name, f"{name} property should not exist", "unknownField")
    keys = form.getall("key") if "key" in form else []
    if len(keys) != 1 or isinstance(keys[0], UploadFile):
        raise ValidationFailed.single("key", "key is required, once, as a text field", "required")
    try:
        key = check_key(str(keys[0]))
    except InvalidKey as err:
        raise ValidationFailed.single("key", str(err), "invalidKey", max=KEY_MAX) from None
    files = form.getall("file") if "file" in form else []
    if len(files) != 1 or not isinstance(files[0], UploadFile):
        raise ValidationFailed.single("file", "file is required, once, as a file part", "required")
    data = await files[0].read()
    await files[0].close()
    return AddDictionaryEntry(
        org_id=org_id, dictionary_id=dictionary_id, key=key, data=data, file_name=files[0].filename or None
    )


@dataclass
class AddEntryOperation(Operation):
    """Documents the multipart body, which the handler decodes itself."""

    def __post_init__(self) -> None:
        schema = Schema(
            type=OpenAPIType.OBJECT,
            required=["file", "key"],
            properties={
                "file": Schema(
                    type=OpenAPIType.STRING,
                    format=OpenAPIFormat.BINARY,
                    description=f"WAV, MP3 or OGG; at most 20 MB and {MAX_ENTRY_SECONDS} seconds.",
                ),
                "key": Schema(
                    type=OpenAPIType.STRING,
                    min_length=1,
                    max_length=KEY_MAX,
                    description='The dictionary key, e.g. "100", "1000_plural", "and" (no "/" or "\\").',
                ),
            },
            additional_properties=False,
        )
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=schema)}, required=True, description="The clip."
        )


def _literal(item: dict[str, Any]) -> dict[str, Any]:
    """A preview takes literal values: ``{"type": "literal", "value": v}`` is read as ``v``."""
    value = item.get("value")
    if isinstance(value, dict) and value.get("type") == "literal":
        return {**item, "value": value.get("value")}
    return item


class DictionaryController(Controller):
    path = "/api/dictionaries"
    tags = ["Dictionaries"]

    @post("/", operation_id="createDictionary", status_code=201, summary="Create a dictionary")
    async def create(
        self, data: JSONBody[CreateDictionaryBody], org_id: OrgId, services: Services
    ) -> DictionaryResponse:
        """An organization's dictionary of `ar` or `fr` clips; publishes `DictionarySaved`."""
        cmd = CreateDictionary(
            org_id=org_id,
            name=require_not_blank(data.name, "name"),
            description=data.description,
            language=data.language,
        )
        return dictionary_response(await dictionaries.handle_dictionary(cmd, services))

    @get("/", operation_id="listDictionaries", summary="List dictionaries (your own and the system ones)")
    async def list_dictionaries(
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
            str | None,
            QueryParameter(name="sortBy", description="`createdAt` (default), `updatedAt`, `name` or `language`."),
        ] = None,
        sort_order: SortOrderParam = None,
        language: Annotated[str | None, QueryParameter(name="language", description="`ar` or `fr`.")] = None,
        is_system: Annotated[
            bool | None,
            QueryParameter(name="isSystem", description="`true`: system dictionaries only; `false`: yours only."),
        ] = None,
    ) -> Page[DictionaryResponse]:
        q = page_query(page, limit, search, sort_by, sort_order, sortable=tuple(SORT_COLUMNS))
        if language is not None and language not in DICTIONARY_LANGUAGES:
            raise ValidationFailed.single("language", "language must be one of: ar, fr", "isEnum")
        items, total = await dictionaries.list_dictionaries(
            services, org_id, q, DictionaryFilter(language=language, is_system=is_system)
        )
        return page_of([dictionary_response(v) for v in items], total, q)

    @post(
        "/render",
        operation_id="renderSpokenContent",
        status_code=200,
        summary="Preview what play items say: their keys and the clips they resolve to",
    )
    async def render(self, data: JSONBody[RenderBody], org_id: OrgId, services: Services) -> RenderResponse:
        """Each item's dictionary keys, the clip each key resolves to (your dictionaries of the item's
        language first, newest first, then the system one), the keys no dictionary has, or why the item
        cannot be said. The dialer resolves live calls the same way, over NATS."""
        async with services.db.connection() as conn:
            items = await dictionaries.render_items(conn, org_id, [_literal(item) for item in data.items])
        return render_response(items)

    @get("/{id:str}", operation_id="getDictionary", summary="Get a dictionary (with the keys it lacks)")
    async def get_dictionary(self, id: PathId, org_id: OrgId, services: Services) -> DictionaryResponse:
        return dictionary_response(await dictionaries.get_dictionary(services, org_id, parse_uuid(id, "id")))

    @put("/{id:str}", operation_id="updateDictionary", summary="Rename or describe a dictionary")
    async def update(
        self, id: PathId, data: JSONBody[UpdateDictionaryBody], org_id: OrgId, services: Services
    ) -> DictionaryResponse:
        cmd = UpdateDictionary(
            org_id=org_id,
            dictionary_id=parse_uuid(id, "id"),
            name=data.name if data.name is UNSET else require_not_blank(data.name, "name"),
            description=data.description,
            language=data.language,
        )
        return dictionary_response(await dictionaries.handle_dictionary(cmd, services))

    @delete("/{id:str}", operation_id="deleteDictionary", status_code=204, summary="Delete a dictionary (soft)")
    async def delete_dictionary(self, id: PathId, org_id: OrgId, services: Services) -> None:
        """Its entries are no longer looked up; publishes `DictionaryDeleted`."""
        await dictionaries.handle_dictionary(
            DeleteDictionary(org_id=org_id, dictionary_id=parse_uuid(id, "id")), services
        )

    @post(
        "/{id:str}/entries",
        operation_id="addDictionaryEntry",
        status_code=201,
        summary="Add (or replace) the clip of a key",
        request_max_body_size=MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES,
        operation_class=AddEntryOperation,
    )
    async def add_entry(
        self, id: PathId, request: Request[Any, Any, Any], org_id: OrgId, services: Services
    ) -> Response[DictionaryEntryResponse]:
        """Converts the audio to 8 kHz mono G.711 μ-law, stores it as `dictionaries/<id>/<key>.ulaw` in
        the `callcast-audio` object store and publishes `DictionaryEntrySaved`. 201 for a new key; 200
        when the key had a clip, which is replaced (same entry id)."""
        cmd = await entry_command(request, org_id, parse_uuid(id, "id"))
        saved = await dictionaries.handle_dictionary(cmd, services)
        return Response(entry_response(saved.entry), status_code=201 if saved.created else 200)

    @get("/{id:str}/entries", operation_id="listDictionaryEntries", summary="List a dictionary's entries")
    async def list_entries(
        self,
        id: PathId,
        org_id: OrgId,
        services: Services,
        page: PageParam = None,
        limit: LimitParam = None,
        search: Annotated[
            str | None, QueryParameter(name="search", description="Matches the key (≤100 characters).")
        ] = None,
        sort_by: Annotated[
            str | None,
            QueryParameter(
                name="sortBy", description="`key` (default), `createdAt`, `updatedAt` or `durationSeconds`."
            ),
        ] = None,
        sort_order: Annotated[
            str | None, QueryParameter(name="sortOrder", description="`asc` (default) or `desc`.")
        ] = None,
    ) -> Page[DictionaryEntryResponse]:
        q = page_query(
            page, limit, search, sort_by, sort_order or "asc", sortable=tuple(ENTRY_SORT_COLUMNS), default_sort="key"
        )
        items, total = await dictionaries.list_entries(services, org_id, parse_uuid(id, "id"), q)
        return page_of([entry_response(e) for e in items], total, q)

    @delete(
        "/{id:str}/entries/{entry_id:str}",
        operation_id="deleteDictionaryEntry",
        status_code=204,
        summary="Delete an entry",
    )
    async def delete_entry(self, id: PathId, entry_id: PathId, org_id: OrgId, services: Services) -> None:
        """Publishes `DictionaryEntryDeleted`; the key then falls back to the system dictionary."""
        cmd = DeleteDictionaryEntry(
            org_id=org_id, dictionary_id=parse_uuid(id, "id"), entry_id=parse_uuid(entry_id, "entryId")
        )
        await dictionaries.handle_dictionary(cmd, services)


DICTIONARY_ROUTES = [DictionaryController]
