"""Events of the contact context (subjects ``contacts.<org>.contact.<id>``,
``contacts.<org>.audience.<id>`` and ``contacts.<org>.attribute.<id>``). They carry state, so
other services keep their own copies."""

from __future__ import annotations

from typing import Any

import msgspec

from callcast_contracts.envelope import Event


class ContactSnapshot(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    id: str
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
    channels: list[str] = []
    custom_attributes: dict[str, Any] = {}
    #: Bumped on every change of the contact (1 on creation): a consumer keeps the highest
    #: revision it saw and ignores an older snapshot that arrives late (e.g. a replay).
    revision: int = 0


class ContactSaved(Event, frozen=True, kw_only=True):
    """A contact was created or changed; ``contact`` is its whole new state."""

    contact: ContactSnapshot


class ContactDeleted(Event, frozen=True, kw_only=True):
    """A contact was soft-deleted. It has left every audience (each one got an
    ``AudienceMembersRemoved`` before this event)."""

    contact_id: str
    #: The contact's revision after the deletion (one more than its last ``ContactSaved``).
    revision: int = 0


class AudienceCreated(Event, frozen=True, kw_only=True):
    audience_id: str
    name: str
    description: str | None = None
    audience_type: str = "static"


class AudienceUpdated(Event, frozen=True, kw_only=True):
    """An audience's name or description changed; ``name``/``description`` are the new state."""

    audience_id: str
    name: str
    description: str | None = None


class AudienceDeleted(Event, frozen=True, kw_only=True):
    """An audience was soft-deleted; its membership no longer exists for new launches."""

    audience_id: str


class AudienceMembersAdded(Event, frozen=True, kw_only=True):
    audience_id: str
    contact_ids: list[str]


class AudienceMembersRemoved(Event, frozen=True, kw_only=True):
    audience_id: str
    contact_ids: list[str]


class CustomAttributeSaved(Event, frozen=True, kw_only=True):
    """An organization's custom attribute was defined or its description changed
    (subject ``contacts.<org>.attribute.<id>``). ``name`` is the slug contacts and flows use."""

    attribute_id: str
    name: str
    display_name: str
    attribute_type: str
    description: str | None = None


class CustomAttributeDeleted(Event, frozen=True, kw_only=True):
    attribute_id: str
    name: str
