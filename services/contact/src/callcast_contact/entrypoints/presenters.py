"""Domain values → wire models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from msgspec import UNSET

from callcast_contact.domain.attributes import AttributeDefinition, AttributeIssue
from callcast_contact.domain.audience_rules import public_form
from callcast_contact.domain.audiences import Audience
from callcast_contact.domain.contacts import Contact
from callcast_contact.domain.results import AudienceView, ContactWritten, UpsertSummary
from callcast_contact.entrypoints.schemas import (
    AttributeErrorResponse,
    AudienceResponse,
    ContactResponse,
    ContactWrittenResponse,
    CustomAttributeResponse,
    UpsertAttributeErrorResponse,
    UpsertContactsResponse,
    UpsertFailureResponse,
    UpsertResultResponse,
)
from callcast_runtime.api import iso


def timestamp(value: datetime) -> str:
    return iso(value.astimezone(UTC)) or ""


def optional_timestamp(value: datetime | None) -> str | None:
    return timestamp(value) if value is not None else None


def contact_response(contact: Contact, *, with_attributes: bool = True) -> ContactResponse:
    return ContactResponse(
        id=contact.id,
        organization_id=contact.org_id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        primary_email=contact.primary_email,
        primary_phone=contact.primary_phone,
        address=contact.address,
        city=contact.city,
        state=contact.state,
        zip=contact.zip,
        occupation=contact.occupation,
        preferred_channel=contact.preferred_channel,
        gender=contact.gender,
        channels=list(contact.channels or []),
        custom_attributes=dict(contact.custom_attributes) if with_attributes else UNSET,
        created_at=timestamp(contact.created_at),
        updated_at=timestamp(contact.updated_at),
        deleted_at=optional_timestamp(contact.deleted_at),
    )


def attribute_error(issue: AttributeIssue) -> AttributeErrorResponse:
    return AttributeErrorResponse(name=issue.name, code=issue.code, message=issue.message)


def contact_written_response(result: ContactWritten) -> ContactWrittenResponse:
    body = contact_response(result.contact)
    fields: dict[str, Any] = {name: getattr(body, name) for name in body.__struct_fields__}
    return ContactWrittenResponse(
        **fields,
        contact=body,
        attribute_errors=[attribute_error(issue) for issue in result.attribute_issues],
    )


def upsert_response(summary: UpsertSummary) -> UpsertContactsResponse:
    failed = []
    for failure in summary.failed:
        field_errors: dict[str, list[str]] = {}
        field_details: dict[str, list[dict[str, Any]]] = {}
        for issue in failure.issues:
            field_errors.setdefault(issue.field, []).append(issue.message)
            field_details.setdefault(issue.field, []).append({"code": issue.code, "params": issue.params})
        failed.append(
            UpsertFailureResponse(index=failure.index, field_errors=field_errors, field_details=field_details)
        )
    return UpsertContactsResponse(
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        failed=failed,
        attribute_errors=[
            UpsertAttributeErrorResponse(index=index, name=issue.name, code=issue.code, message=issue.message)
            for index, issue in summary.attribute_issues
        ],
        results=[UpsertResultResponse(index=r.index, id=r.contact_id, status=r.status) for r in summary.results],  # type: ignore[arg-type]
    )


def custom_attribute_response(definition: AttributeDefinition) -> CustomAttributeResponse:
    return CustomAttributeResponse(
        id=definition.id,
        organization_id=definition.org_id,
        name=definition.name,
        display_name=definition.display_name,
        description=definition.description,
        type=definition.type,
        created_at=timestamp(definition.created_at),
        updated_at=timestamp(definition.updated_at),
        deleted_at=optional_timestamp(definition.deleted_at),
        created_by=definition.created_by,
        updated_by=definition.updated_by,
        deleted_by=definition.deleted_by,
    )


def audience_response(view: AudienceView) -> AudienceResponse:
    audience: Audience = view.audience
    return AudienceResponse(
        id=audience.id,
        organization_id=audience.org_id,
        name=audience.name,
        description=audience.description,
        type=audience.type,
        rules=public_form(audience.rules) if audience.rules else None,
        contact_count=view.contact_count,
        created_at=timestamp(audience.created_at),
        updated_at=timestamp(audience.updated_at),
        deleted_at=optional_timestamp(audience.deleted_at),
    )
