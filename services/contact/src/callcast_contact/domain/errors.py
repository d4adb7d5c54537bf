"""The named errors of the contact context, in the documented problem+json form."""

from __future__ import annotations

from callcast_runtime.errors import ApiError, Conflict, NotFound, ValidationFailed


def contact_not_found(contact_id: str) -> NotFound:
    return NotFound(f"Contact {contact_id} not found", code="ContactNotFoundError")


def contact_already_exists(phone: str, existing_id: str | None) -> Conflict:
    where = f" (id {existing_id})" if existing_id else ""
    return Conflict(
        f"A contact with primaryPhone {phone} already exists in this organization{where}",
        code="ContactAlreadyExistsError",
        field_errors={"primaryPhone": [f"a contact with primaryPhone {phone} already exists"]},
        field_details={"primaryPhone": [{"code": "unique", "params": {"existingId": existing_id}}]},
    )


def custom_attribute_not_found(attribute_id: str) -> NotFound:
    return NotFound(f"Custom attribute {attribute_id} not found", code="CustomAttributeNotFoundError")


def custom_attribute_already_exists(name: str) -> Conflict:
    return Conflict(
        f"A custom attribute named {name} already exists in this organization",
        code="CustomAttributeAlreadyExistsError",
        field_errors={"displayName": [f"its name {name} is already used by another custom attribute"]},
        field_details={"displayName": [{"code": "unique", "params": {"name": name}}]},
    )


def display_name_without_slug() -> ValidationFailed:
    return ValidationFailed.single("displayName", "displayName must contain at least one letter or digit", "hasLetters")


def audience_not_found(audience_id: str) -> NotFound:
    return NotFound(f"Audience {audience_id} not found", code="AudienceNotFoundError")


def audience_not_static(audience_id: str) -> ApiError:
    return ApiError(
        f"Audience {audience_id} is live: its members follow its rules and cannot be added or removed by hand",
        code="AudienceNotStaticError",
        status_code=400,
    )


def not_contacts_of_org(missing: dict[int, str]) -> ValidationFailed:
    """``missing``: index in ``contacts`` → id that is not a (live) contact of this organization."""
    errors = {f"contacts[{i}]": [f"{cid} is not a contact of this organization"] for i, cid in missing.items()}
    details = {f"contacts[{i}]": [{"code": "contactExists", "params": {"id": cid}}] for i, cid in missing.items()}
    return ValidationFailed(errors, details)
