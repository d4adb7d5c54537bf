"""Request → command helpers shared by the routes."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from msgspec import UNSET

from callcast_contact.domain.commands import UpsertItem
from callcast_contact.domain.issues import Issue
from callcast_contact.domain.results import UpsertFailure
from callcast_contact.domain.rules import contact_field_issues
from callcast_contact.entrypoints.schemas import CreateContactRequest
from callcast_runtime.errors import Unauthorized, ValidationFailed, describe_decode_error


def tenant(org_id: str) -> str:
    """The gateway sends the organization as a UUID; anything else did not come from it."""
    try:
        return str(uuid.UUID(org_id))
    except ValueError:
        raise Unauthorized("Unauthorized") from None


def validation_failed(issues: list[Issue]) -> ValidationFailed:
    field_errors: dict[str, list[str]] = {}
    field_details: dict[str, list[dict[str, Any]]] = {}
    for issue in issues:
        field_errors.setdefault(issue.field, []).append(issue.message)
        field_details.setdefault(issue.field, []).append({"code": issue.code, "params": issue.params})
    return ValidationFailed(field_errors, field_details)


def sent_fields(body: msgspec.Struct, *, exclude: tuple[str, ...] = ("custom_attributes",)) -> dict[str, Any]:
    """The fields a client sent (storage names): UNSET ones are left out, ``None`` kept."""
    values = {name: getattr(body, name) for name in body.__struct_fields__ if name not in exclude}
    return {name: value for name, value in values.items() if value is not UNSET}


def checked_contact_fields(body: msgspec.Struct) -> dict[str, Any]:
    fields = sent_fields(body)
    issues = contact_field_issues(fields)
    if issues:
        raise validation_failed(issues)
    return fields


def contact_ids(values: list[str]) -> list[str]:
    """Canonical UUID strings; a bad one is a 400 naming ``contacts[i]``."""
    ids: list[str] = []
    issues: list[Issue] = []
    for i, value in enumerate(values):
        try:
            ids.append(str(uuid.UUID(value)))
        except ValueError:
            issues.append(Issue(f"contacts[{i}]", "isUuid", f"contacts[{i}] must be a UUID"))
    if issues:
        raise validation_failed(issues)
    return ids


def upsert_item(index: int, raw: dict[str, Any]) -> UpsertItem | UpsertFailure:
    """One bulk-upsert item, decoded and checked on its own (its failure fails only itself)."""
    try:
        body = msgspec.convert(raw, CreateContactRequest, strict=True)
    except msgspec.ValidationError as err:
        field, code, params, message = describe_decode_error(str(err))
        return UpsertFailure(index, [Issue(field, code, message, params)])
    fields = sent_fields(body)
    issues = contact_field_issues(fields)
    if issues:
        return UpsertFailure(index, issues)
    return UpsertItem(index=index, fields=fields, custom_attributes=dict(body.custom_attributes or {}))
