"""Events of the contact context (subjects ``contacts.<org>.contact.<id>`` and
``contacts.<org>.audience.<id>``). They carry state, so other services keep their own copies."""

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


class ContactSaved(Event, frozen=True, kw_only=True):
    """A contact was created or changed; ``contact`` is its whole new state."""

    contact: ContactSnapshot


class ContactDeleted(Event, frozen=True, kw_only=True):
    contact_id: str


class AudienceCreated(Event, frozen=True, kw_only=True):
    audience_id: str
    name: str
    description: str | None = None
    audience_type: str = "static"


class AudienceMembersAdded(Event, frozen=True, kw_only=True):
    audience_id: str
    contact_ids: list[str]


class AudienceMembersRemoved(Event, frozen=True, kw_only=True):
    audience_id: str
    contact_ids: list[str]
