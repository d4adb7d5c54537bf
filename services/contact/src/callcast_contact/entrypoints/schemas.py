"""The HTTP API's wire models (camelCase JSON), as documented in the Gomobile digest §2, §3, §5."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from callcast_contact.domain.attributes import AttributeType
from callcast_contact.domain.audiences import MAX_MEMBERS_PER_REQUEST, AudienceType
from callcast_contact.domain.rules import (
    Address,
    AttributeName,
    Channels,
    Email,
    FirstName,
    FullName,
    Gender,
    LastName,
    Phone,
    ShortText,
)
from callcast_runtime.api import ApiModel, ApiResponse

MAX_UPSERT_ITEMS = 1000

CustomAttributeValues = Annotated[
    dict[AttributeName, Any],
    Meta(
        max_length=100,
        description='Values keyed by custom attribute name (slug), e.g. {"customer_tier": "gold"}. A value that '
        "does not fit its attribute's type, or an unknown name, is reported in attributeErrors and not stored.",
    ),
]

# Contacts -------------------------------------------------------------------------------------


class CreateContactRequest(ApiModel):
    primary_phone: Phone
    first_name: FirstName | None = None
    last_name: LastName | None = None
    full_name: FullName | None = None
    primary_email: Email | None = None
    address: Address | None = None
    city: ShortText | None = None
    state: ShortText | None = None
    zip: ShortText | None = None
    occupation: ShortText | None = None
    preferred_channel: ShortText | None = None
    gender: Gender | None = None
    channels: Channels | None = None
    custom_attributes: CustomAttributeValues | None = None


class UpdateContactRequest(ApiModel):
    """Partial update: absent fields keep their value, ``null`` clears one (``primaryPhone`` cannot be
    cleared); ``customAttributes`` merge by name and a ``null`` value removes that attribute."""

    primary_phone: Phone | UnsetType = UNSET
    first_name: FirstName | UnsetType | None = UNSET
    last_name: LastName | UnsetType | None = UNSET
    full_name: FullName | UnsetType | None = UNSET
    primary_email: Email | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    city: ShortText | UnsetType | None = UNSET
    state: ShortText | UnsetType | None = UNSET
    zip: ShortText | UnsetType | None = UNSET
    occupation: ShortText | UnsetType | None = UNSET
    preferred_channel: ShortText | UnsetType | None = UNSET
    gender: Gender | UnsetType | None = UNSET
    channels: Channels | UnsetType | None = UNSET
    custom_attributes: CustomAttributeValues | UnsetType | None = UNSET


class UpsertContactsRequest(ApiModel):
    data: Annotated[
        list[dict[str, Any]],
        Meta(
            min_length=1,
            max_length=MAX_UPSERT_ITEMS,
            description="CreateContactRequest objects (at most 1000). Each item is validated on its own: a bad item "
            "is reported in `failed` and the others are applied.",
        ),
    ]


class AttributeErrorResponse(ApiResponse):
    name: str
    code: str
    message: str


class ContactResponse(ApiResponse, kw_only=True):
    id: str
    organization_id: str
    first_name: str | None
    last_name: str | None
    full_name: str | None
    primary_email: str | None
    primary_phone: str
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    occupation: str | None
    preferred_channel: str | None
    gender: str | None
    channels: list[str]
    #: Left out of list items unless ``include=customAttributes``.
    custom_attributes: dict[str, Any] | UnsetType = UNSET
    created_at: str
    updated_at: str
    deleted_at: str | None


class ContactWrittenResponse(ContactResponse, kw_only=True):
    """The contact's fields at the top level, the same object under ``contact``, and the custom
    attribute values that were not stored under ``attributeErrors``."""

    contact: ContactResponse
    attribute_errors: list[AttributeErrorResponse]


class UpsertFailureResponse(ApiResponse):
    index: int
    field_errors: dict[str, list[str]]
    field_details: dict[str, list[dict[str, Any]]]


class UpsertAttributeErrorResponse(AttributeErrorResponse):
    index: int


class UpsertResultResponse(ApiResponse):
    index: int
    id: str
    status: Literal["created", "updated", "unchanged"]


class UpsertContactsResponse(ApiResponse):
    created: int
    updated: int
    unchanged: int
    failed: list[UpsertFailureResponse]
    attribute_errors: list[UpsertAttributeErrorResponse]
    results: list[UpsertResultResponse]


# Custom attributes ----------------------------------------------------------------------------

Description = Annotated[str, Meta(min_length=1, max_length=256)]


class CreateCustomAttributeRequest(ApiModel):
    display_name: Annotated[str, Meta(min_length=3, max_length=64)]
    type: AttributeType
    description: Description | None = None


class UpdateCustomAttributeRequest(ApiModel):
    """Only the description can change (the name, and so every reference to it, is fixed)."""

    description: Description | UnsetType | None = UNSET


class CustomAttributeResponse(ApiResponse):
    id: str
    organization_id: str
    name: str
    display_name: str
    description: str | None
    type: AttributeType
    created_at: str
    updated_at: str
    deleted_at: str | None
    created_by: str | None
    updated_by: str | None
    deleted_by: str | None


# Audiences ------------------------------------------------------------------------------------

AudienceName = Annotated[str, Meta(min_length=3, max_length=64)]
RuleGroupBody = Annotated[
    dict[str, Any],
    Meta(
        description='Live audiences only: {"operator": "AND"|"OR", "conditions": [{"field": "city" | '
        '"customAttributes.<name>", "operator": "equals"|"not_equals"|"is_empty"|"is_not_empty"|"gt"|'
        '"gte"|"lt"|"lte"|"contains"|"not_contains", "value": …} | <nested group>]}; at most 3 levels.',
    ),
]


class CreateAudienceRequest(ApiModel):
    name: AudienceName
    description: Annotated[str, Meta(max_length=256)] | None = None
    type: AudienceType = AudienceType.STATIC
    rules: RuleGroupBody | None = None


class UpdateAudienceRequest(ApiModel):
    name: AudienceName | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    rules: RuleGroupBody | UnsetType = UNSET


class PreviewAudienceRequest(ApiModel):
    rules: RuleGroupBody


class AudienceMembersRequest(ApiModel):
    contacts: Annotated[
        list[str],
        Meta(
            min_length=1,
            max_length=MAX_MEMBERS_PER_REQUEST,
            description="Contact ids (UUIDs) of this organization.",
        ),
    ]


class AudienceResponse(ApiResponse):
    id: str
    organization_id: str
    name: str
    description: str | None
    type: AudienceType
    rules: dict[str, Any] | None
    contact_count: int
    created_at: str
    updated_at: str
    deleted_at: str | None


class MembersAddedResponse(ApiResponse):
    audience_id: str
    requested: int
    added: int
    already_members: int
    contact_count: int


class MembersRemovedResponse(ApiResponse):
    audience_id: str
    requested: int
    removed: int
    not_members: int
    contact_count: int


class AudiencePreviewResponse(ApiResponse):
    contact_count: int


# Shared ---------------------------------------------------------------------------------------


class MessageResponse(ApiResponse):
    message: str


class ProblemResponse(msgspec.Struct, kw_only=True, rename="camel"):
    """The error body (RFC 9457 problem document with the documented members)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    message: str
    status_code: int
    error: str
    field_errors: dict[str, list[str]]
    field_details: dict[str, list[dict[str, Any]]]
    timestamp: str
    path: str
