"""``/api/contact``: contacts and the bulk upsert."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from callcast_contact import handlers
from callcast_contact.adapters.unit_of_work import UnitOfWork
from callcast_contact.domain.commands import CreateContact, DeleteContact, UpdateContact, UpsertContacts, UpsertItem
from callcast_contact.domain.results import UpsertFailure
from callcast_contact.entrypoints.decoding import checked_contact_fields, tenant, upsert_item
from callcast_contact.entrypoints.openapi import errors, problem
from callcast_contact.entrypoints.paging import PageLimit, PageNumber, Search, SortOrder
from callcast_contact.entrypoints.presenters import contact_response, contact_written_response, upsert_response
from callcast_contact.entrypoints.schemas import (
    ContactResponse,
    ContactWrittenResponse,
    CreateContactRequest,
    MessageResponse,
    UpdateContactRequest,
    UpsertContactsRequest,
    UpsertContactsResponse,
)
from callcast_runtime.api import Page, page_of, page_query, parse_uuid
from callcast_runtime.errors import ValidationFailed

ContactSort = Literal["firstName", "lastName", "primaryPhone", "primaryEmail", "createdAt"]

DUPLICATE = {409: problem("ContactAlreadyExistsError: another contact of the organization has this primaryPhone")}


class ContactController(Controller):
    path = "/api/contact"
    tags = ["Contacts"]

    @post(
        "/",
        operation_id="createContact",
        summary="Create a contact",
        status_code=201,
        responses={**errors(400, 401), **DUPLICATE},
    )
    async def create_contact(
        self, data: JSONBody[CreateContactRequest], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> ContactWrittenResponse:
        """201 with the contact (top level and under ``contact``) and ``attributeErrors``."""
        command = CreateContact(
            org_id=tenant(org_id),
            fields=checked_contact_fields(data),
            custom_attributes=dict(data.custom_attributes or {}),
        )
        return contact_written_response(await handlers.handle(command, uow))

    @get("/", operation_id="listContacts", summary="List contacts (paged)", responses=errors(400, 401))
    async def list_contacts(
        self,
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Search = None,
        sort_by: Annotated[ContactSort | None, QueryParameter(name="sortBy", description="Default createdAt")] = None,
        sort_order: SortOrder = None,
        include: Annotated[
            str | None, QueryParameter(description="`customAttributes` adds each contact's custom attribute values")
        ] = None,
    ) -> Page[ContactResponse]:
        with_attributes = False
        if include:
            wanted = {part.strip() for part in include.split(",") if part.strip()}
            if wanted - {"customAttributes"}:
                raise ValidationFailed.single(
                    "include", "include must be customAttributes", "isEnum", allowed=["customAttributes"]
                )
            with_attributes = True
        q = page_query(
            page, limit, search, sort_by, sort_order, sortable=get_args(ContactSort), default_sort="createdAt"
        )
        result = await handlers.list_contacts(tenant(org_id), q, uow)
        items = [contact_response(c, with_attributes=with_attributes) for c in result.items]
        return page_of(items, result.total, q)

    @post(
        "/upsert",
        operation_id="upsertContacts",
        summary="Create or update up to 1000 contacts, matched on primaryPhone",
        status_code=200,
        responses=errors(400, 401),
    )
    async def upsert_contacts(
        self, data: JSONBody[UpsertContactsRequest], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> UpsertContactsResponse:
        """200 with counts, per-item failures and each applied item's contact id and status."""
        items: list[UpsertItem] = []
        rejected: list[UpsertFailure] = []
        for index, raw in enumerate(data.data):
            decoded = upsert_item(index, raw)
            (items if isinstance(decoded, UpsertItem) else rejected).append(decoded)  # type: ignore[arg-type]
        command = UpsertContacts(org_id=tenant(org_id), items=items, rejected=rejected)
        return upsert_response(await handlers.handle(command, uow))

    @get(
        "/{contact_id:str}",
        operation_id="getContact",
        summary="Get a contact",
        responses=errors(400, 401, 404),
    )
    async def get_contact(
        self, contact_id: FromPath[str], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> ContactResponse:
        contact = await handlers.get_contact(tenant(org_id), parse_uuid(contact_id), uow)
        return contact_response(contact)

    @put(
        "/{contact_id:str}",
        operation_id="updateContact",
        summary="Update a contact (partial)",
        responses={**errors(400, 401, 404), **DUPLICATE},
    )
    async def update_contact(
        self,
        contact_id: FromPath[str],
        data: JSONBody[UpdateContactRequest],
        org_id: NamedDependency[str],
        uow: NamedDependency[UnitOfWork],
    ) -> ContactWrittenResponse:
        command = UpdateContact(
            org_id=tenant(org_id),
            contact_id=parse_uuid(contact_id),
            fields=checked_contact_fields(data),
            custom_attributes=dict(data.custom_attributes or {}),
        )
        return contact_written_response(await handlers.handle(command, uow))

    @delete(
        "/{contact_id:str}",
        operation_id="deleteContact",
        summary="Delete a contact (soft)",
        status_code=200,
        responses=errors(400, 401, 404),
    )
    async def delete_contact(
        self, contact_id: FromPath[str], org_id: NamedDependency[str], uow: NamedDependency[UnitOfWork]
    ) -> MessageResponse:
        """200 ``{"message"}``; the contact leaves every audience and then answers 404."""
        command = DeleteContact(org_id=tenant(org_id), contact_id=parse_uuid(contact_id))
        deleted = await handlers.handle(command, uow)
        return MessageResponse(message=f"Contact {deleted.id} deleted")
