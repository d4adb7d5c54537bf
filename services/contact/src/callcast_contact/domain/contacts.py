"""A contact: one person with a phone number, optional details and custom attribute values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from callcast_contracts.events.contacts import ContactSnapshot

#: Fields a client may set, in storage (snake_case) form.
EDITABLE_FIELDS = (
    "primary_phone",
    "first_name",
    "last_name",
    "full_name",
    "primary_email",
    "address",
    "city",
    "state",
    "zip",
    "occupation",
    "preferred_channel",
    "gender",
    "channels",
)


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    org_id: str
    primary_phone: str
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    primary_email: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    occupation: str | None = None
    preferred_channel: str | None = None
    gender: str | None = None
    #: ``None`` = never set (answered as ``[]``).
    channels: list[str] | None = None
    custom_attributes: dict[str, Any] = {}
    revision: int = 1
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


def new_contact(
    *, contact_id: str, org_id: str, fields: Mapping[str, Any], attributes: Mapping[str, Any], now: datetime
) -> Contact:
    values = {name: fields[name] for name in EDITABLE_FIELDS if fields.get(name) is not None}
    return Contact(
        id=contact_id,
        org_id=org_id,
        custom_attributes={k: v for k, v in attributes.items() if v is not None},
        revision=1,
        created_at=now,
        updated_at=now,
        **values,
    )


def merge_attributes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values are merged by name; a ``None`` value removes the attribute."""
    merged = dict(current)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def with_changes(contact: Contact, fields: Mapping[str, Any], attributes: Mapping[str, Any], now: datetime) -> Contact:
    """The contact after a partial update: given fields replace (``None`` clears), attributes merge.

    Returns the same object when nothing would change, so callers emit no event for a no-op.
    """
    updates = {name: fields[name] for name in EDITABLE_FIELDS if name in fields}
    merged = merge_attributes(contact.custom_attributes, attributes)
    changed = any(getattr(contact, name) != value for name, value in updates.items())
    changed = changed or merged != contact.custom_attributes
    if not changed:
        return contact
    return msgspec.structs.replace(
        contact, custom_attributes=merged, revision=contact.revision + 1, updated_at=now, **updates
    )


def snapshot(contact: Contact) -> ContactSnapshot:
    """The event-carried state other services keep (the scheduler dials and personalises from it)."""
    return ContactSnapshot(
        id=contact.id,
        primary_phone=contact.primary_phone,
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        primary_email=contact.primary_email,
        address=contact.address,
        city=contact.city,
        state=contact.state,
        zip=contact.zip,
        occupation=contact.occupation,
        preferred_channel=contact.preferred_channel,
        gender=contact.gender,
        channels=list(contact.channels or []),
        custom_attributes=dict(contact.custom_attributes),
        revision=contact.revision,
    )
