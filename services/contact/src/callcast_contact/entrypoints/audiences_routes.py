"""``/api/audience``: audiences and their members."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from callcast_contact import handlers
from callcast_contact.adapters.unit_of_work import UnitOfWork
from callcast_contact.domain.commands import (
    AddAudienceMembers,
    CreateAudience,
    DeleteAudience,
    RemoveAudienceMembers,
    UpdateAudience,
)
from callcast_contact.domain.results import MembershipChanged
from callcast_contact.entrypoints.decoding import contact_ids, sent_fields, tenant
from callcast_contact.entrypoints.openapi import errors
from callcast_contact.entrypoints.paging import PageLimit, PageNumber, Search, SortOrder
from callcast_contact.entrypoints.presenters import audience_response, contact_response
from callcast_contact.entrypoints.schemas import (
    AudienceMembersRequest,
    AudiencePreviewResponse,
    AudienceResponse,
    ContactResponse,
    CreateAudienceRequest,
    MembersAddedResponse,
    MembersRemovedResponse,
    MessageResponse,
    PreviewAudienceRequest,
    UpdateAudienceRequest,
)
from callcast_runtime.api import Page, page_of, page_query, parse_uuid

AudienceSort = Literal["name", "createdAt", "updatedAt"]
MemberSort = Literal["firstName", "lastName", "primaryPhone", "primaryEmail", "createdAt", "addedAt"]


class AudienceController(Controller):
    path = "/api/audience"
    tags = ["Audiences"]

    @post("/", operation_id="createAudience", summary="Create an audience", status_code=201, responses=errors(400, 401))
    async def create_audience(
        self, data: JSONBody[CreateAudienceRequest], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> AudienceResponse:
        """A static audience starts empty; a live one starts with the contacts its rules match."""
        command = CreateAudience(
            org_id=tenant(org_id), name=data.name, description=data.description, type=data.type, rules=data.rules
        )
        return audience_response(await handlers.handle(command, uow))

    @get("/", operation_id="listAudiences", summary="List audiences (paged)", responses=errors(400, 401))
    async def list_audiences(
        self,
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Search = None,
        sort_by: Annotated[AudienceSort | None, QueryParameter(name="sortBy", description="Default createdAt")] = None,
        sort_order: SortOrder = None,
    ) -> Page[AudienceResponse]:
        q = page_query(page, limit, search, sort_by, sort_order, sortable=get_args(AudienceSort))
        result = await handlers.list_audiences(tenant(org_id), q, uow)
        return page_of([audience_response(view) for view in result.items], result.total, q)

    @post(
        "/preview",
        operation_id="previewAudience",
        summary="Count the contacts live-audience rules match (nothing is saved)",
        status_code=200,
        responses=errors(400, 401),
    )
    async def preview_audience(
        self, data: JSONBody[PreviewAudienceRequest], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> AudiencePreviewResponse:
        count = await handlers.preview_audience(tenant(org_id), data.rules, uow)
        return AudiencePreviewResponse(contact_count=count)

    @get("/{audience_id:str}", operation_id="getAudience", summary="Get an audience", responses=errors(400, 401, 404))
    async def get_audience(
        self, audience_id: FromPath[str], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> AudienceResponse:
        return audience_response(await handlers.get_audience(tenant(org_id), parse_uuid(audience_id), uow))

    @put(
        "/{audience_id:str}",
        operation_id="updateAudience",
        summary="Rename, describe or (live) change the rules of an audience",
        responses=errors(400, 401, 404),
    )
    async def update_audience(
        self,
        audience_id: FromPath[str],
        data: JSONBody[UpdateAudienceRequest],
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
    ) -> AudienceResponse:
        command = UpdateAudience(
            org_id=tenant(org_id), audience_id=parse_uuid(audience_id), fields=sent_fields(data, exclude=())
        )
        return audience_response(await handlers.handle(command, uow))

    @delete(
        "/{audience_id:str}",
        operation_id="deleteAudience",
        summary="Delete an audience (soft; its contacts are kept)",
        status_code=200,
        responses=errors(400, 401, 404),
    )
    async def delete_audience(
        self, audience_id: FromPath[str], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> MessageResponse:
        command = DeleteAudience(org_id=tenant(org_id), audience_id=parse_uuid(audience_id))
        deleted = await handlers.handle(command, uow)
        return MessageResponse(message=f"Audience {deleted.id} deleted")

    @post(
        "/{audience_id:str}/add-contacts",
        operation_id="addAudienceContacts",
        summary="Add contacts to a static audience (idempotent)",
        status_code=200,
        responses=errors(400, 401, 404),
    )
    async def add_contacts(
        self,
        audience_id: FromPath[str],
        data: JSONBody[AudienceMembersRequest],
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
    ) -> MembersAddedResponse:
        command = AddAudienceMembers(
            org_id=tenant(org_id), audience_id=parse_uuid(audience_id), contact_ids=contact_ids(data.contacts)
        )
        result: MembershipChanged = await handlers.handle(command, uow)
        return MembersAddedResponse(
            audience_id=result.audience.id,
            requested=result.requested,
            added=result.changed,
            already_members=result.requested - result.changed,
            contact_count=result.contact_count,
        )

    @post(
        "/{audience_id:str}/remove-contacts",
        operation_id="removeAudienceContacts",
        summary="Remove contacts from a static audience (idempotent)",
        status_code=200,
        responses=errors(400, 401, 404),
    )
    async def remove_contacts(
        self,
        audience_id: FromPath[str],
        data: JSONBody[AudienceMembersRequest],
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
    ) -> MembersRemovedResponse:
        command = RemoveAudienceMembers(
            org_id=tenant(org_id), audience_id=parse_uuid(audience_id), contact_ids=contact_ids(data.contacts)
        )
        result: MembershipChanged = await handlers.handle(command, uow)
        return MembersRemovedResponse(
            audience_id=result.audience.id,
            requested=result.requested,
            removed=result.changed,
            not_members=result.requested - result.changed,
            contact_count=result.contact_count,
        )

    @get(
        "/{audience_id:str}/contacts",
        operation_id="listAudienceContacts",
        summary="List an audience's contacts (paged)",
        responses=errors(400, 401, 404),
    )
    async def list_members(
        self,
        audience_id: FromPath[str],
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Annotated[
            str | None, QueryParameter(max_length=100, description="Matches firstName, lastName or primaryPhone")
        ] = None,
        sort_by: Annotated[MemberSort | None, QueryParameter(name="sortBy", description="Default createdAt")] = None,
        sort_order: SortOrder = None,
        membership: Annotated[
            Literal["current", "exited"],
            QueryParameter(description="current members (default) or those who left"),
        ] = "current",
    ) -> Page[ContactResponse]:
        q = page_query(page, limit, search, sort_by, sort_order, sortable=get_args(MemberSort))
        result = await handlers.list_audience_members(
            tenant(org_id), parse_uuid(audience_id), q, uow, exited=membership == "exited"
        )
        return page_of([contact_response(c, with_attributes=False) for c in result.items], result.total, q)
