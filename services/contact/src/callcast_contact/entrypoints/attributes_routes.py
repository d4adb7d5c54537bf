"""``/api/custom-attributes``: an organization's custom attribute definitions."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from callcast_contact import handlers
from callcast_contact.adapters.unit_of_work import UnitOfWork
from callcast_contact.domain.commands import DefineCustomAttribute, DeleteCustomAttribute, UpdateCustomAttribute
from callcast_contact.entrypoints.decoding import sent_fields, tenant
from callcast_contact.entrypoints.openapi import errors, problem
from callcast_contact.entrypoints.paging import PageLimit, PageNumber, Search, SortOrder
from callcast_contact.entrypoints.presenters import custom_attribute_response
from callcast_contact.entrypoints.schemas import (
    CreateCustomAttributeRequest,
    CustomAttributeResponse,
    MessageResponse,
    UpdateCustomAttributeRequest,
)
from callcast_runtime.api import Page, page_of, page_query, parse_uuid

AttributeSort = Literal["createdAt", "updatedAt", "name", "displayName"]
DUPLICATE = {409: problem("CustomAttributeAlreadyExistsError: the name derived from displayName is taken")}


class CustomAttributeController(Controller):
    path = "/api/custom-attributes"
    tags = ["Custom attributes"]

    @post(
        "/",
        operation_id="createCustomAttribute",
        summary="Define a custom attribute",
        status_code=201,
        responses={**errors(400, 401), **DUPLICATE},
    )
    async def create_attribute(
        self,
        data: JSONBody[CreateCustomAttributeRequest],
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
    ) -> CustomAttributeResponse:
        """``name`` is a slug of ``displayName`` ("Customer Tier" → ``customer_tier``)."""
        command = DefineCustomAttribute(
            org_id=tenant(org_id), display_name=data.display_name, type=data.type, description=data.description
        )
        return custom_attribute_response(await handlers.handle(command, uow))

    @get("/", operation_id="listCustomAttributes", summary="List custom attributes (paged)", responses=errors(400, 401))
    async def list_attributes(
        self,
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Search = None,
        sort_by: Annotated[AttributeSort | None, QueryParameter(name="sortBy", description="Default createdAt")] = None,
        sort_order: SortOrder = None,
    ) -> Page[CustomAttributeResponse]:
        q = page_query(page, limit, search, sort_by, sort_order, sortable=get_args(AttributeSort))
        result = await handlers.list_custom_attributes(tenant(org_id), q, uow)
        return page_of([custom_attribute_response(d) for d in result.items], result.total, q)

    @get(
        "/{attribute_id:str}",
        operation_id="getCustomAttribute",
        summary="Get a custom attribute",
        responses=errors(400, 401, 404),
    )
    async def get_attribute(
        self, attribute_id: FromPath[str], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> CustomAttributeResponse:
        definition = await handlers.get_custom_attribute(tenant(org_id), parse_uuid(attribute_id), uow)
        return custom_attribute_response(definition)

    @put(
        "/{attribute_id:str}",
        operation_id="updateCustomAttribute",
        summary="Update a custom attribute's description",
        responses=errors(400, 401, 404),
    )
    async def update_attribute(
        self,
        attribute_id: FromPath[str],
        data: JSONBody[UpdateCustomAttributeRequest],
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
    ) -> CustomAttributeResponse:
        command = UpdateCustomAttribute(
            org_id=tenant(org_id), attribute_id=parse_uuid(attribute_id), fields=sent_fields(data, exclude=())
        )
        return custom_attribute_response(await handlers.handle(command, uow))

    @delete(
        "/{attribute_id:str}",
        operation_id="deleteCustomAttribute",
        summary="Delete a custom attribute (soft)",
        status_code=200,
        responses=errors(400, 401, 404),
    )
    async def delete_attribute(
        self, attribute_id: FromPath[str], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> MessageResponse:
        command = DeleteCustomAttribute(org_id=tenant(org_id), attribute_id=parse_uuid(attribute_id))
        deleted = await handlers.handle(command, uow)
        return MessageResponse(message=f"Custom attribute {deleted.id} deleted")
