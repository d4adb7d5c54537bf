"""Commands: what a client asks the contact service to do (imperative, already decoded).

Contact fields travel in storage form (snake_case names, e.g. ``primary_phone``); only the fields
a client sent are present, so a partial update can tell "absent" from "set to null".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callcast_contact.domain.attributes import AttributeType
from callcast_contact.domain.audiences import AudienceType
from callcast_contact.domain.results import UpsertFailure


@dataclass(frozen=True, slots=True)
class CreateContact:
    org_id: str
    fields: dict[str, Any]
    custom_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateContact:
    org_id: str
    contact_id: str
    fields: dict[str, Any]
    custom_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeleteContact:
    org_id: str
    contact_id: str


@dataclass(frozen=True, slots=True)
class UpsertItem:
    """One valid item of a bulk upsert; ``index`` is its position in the request's ``data``."""

    index: int
    fields: dict[str, Any]
    custom_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpsertContacts:
    org_id: str
    items: list[UpsertItem]
    #: Items the decoder already rejected; they are reported with the rest.
    rejected: list[UpsertFailure] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DefineCustomAttribute:
    org_id: str
    display_name: str
    type: AttributeType
    description: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateCustomAttribute:
    org_id: str
    attribute_id: str
    #: Only the description can change (digest §3); ``fields`` holds it when sent.
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeleteCustomAttribute:
    org_id: str
    attribute_id: str


@dataclass(frozen=True, slots=True)
class CreateAudience:
    org_id: str
    name: str
    type: AudienceType = AudienceType.STATIC
    description: str | None = None
    rules: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class UpdateAudience:
    org_id: str
    audience_id: str
    #: ``name``, ``description`` and (live audiences) ``rules``, when sent.
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeleteAudience:
    org_id: str
    audience_id: str


@dataclass(frozen=True, slots=True)
class AddAudienceMembers:
    org_id: str
    audience_id: str
    contact_ids: list[str]


@dataclass(frozen=True, slots=True)
class RemoveAudienceMembers:
    org_id: str
    audience_id: str
    contact_ids: list[str]
