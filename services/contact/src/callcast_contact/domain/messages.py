"""The events each change emits, with their subjects and deterministic ``Nats-Msg-Id``s.

A message id follows from what the event is about (aggregate, kind, revision), never from a
random id: a transaction retried after a crash, or an outbox row relayed twice, is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcast_contact.domain.attributes import AttributeDefinition
from callcast_contact.domain.audiences import Audience
from callcast_contact.domain.contacts import Contact, snapshot
from callcast_contracts.envelope import Envelope, Event, envelope
from callcast_contracts.events.contacts import (
    AudienceCreated,
    AudienceDeleted,
    AudienceMembersAdded,
    AudienceMembersRemoved,
    AudienceUpdated,
    ContactDeleted,
    ContactSaved,
    CustomAttributeDeleted,
    CustomAttributeSaved,
)
from callcast_contracts.subjects import Aggregate, Context, subject


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One event to publish through the outbox."""

    subject: str
    envelope: Envelope[Any]
    msg_id: str


def _outgoing(event: Event, *, org_id: str, aggregate: Aggregate, aggregate_id: str, msg_id: str) -> Outgoing:
    return Outgoing(
        subject=subject(Context.CONTACTS, org_id, aggregate, aggregate_id),
        envelope=envelope(event, org_id=org_id, aggregate_id=aggregate_id),
        msg_id=msg_id,
    )


def contact_saved(contact: Contact) -> Outgoing:
    return _outgoing(
        ContactSaved(contact=snapshot(contact)),
        org_id=contact.org_id,
        aggregate=Aggregate.CONTACT,
        aggregate_id=contact.id,
        msg_id=f"contact-{contact.id}-saved-{contact.revision}",
    )


def contact_deleted(contact: Contact) -> Outgoing:
    return _outgoing(
        ContactDeleted(contact_id=contact.id, revision=contact.revision),
        org_id=contact.org_id,
        aggregate=Aggregate.CONTACT,
        aggregate_id=contact.id,
        msg_id=f"contact-{contact.id}-deleted",
    )


def audience_created(audience: Audience) -> Outgoing:
    return _outgoing(
        AudienceCreated(
            audience_id=audience.id,
            name=audience.name,
            description=audience.description,
            audience_type=str(audience.type),
        ),
        org_id=audience.org_id,
        aggregate=Aggregate.AUDIENCE,
        aggregate_id=audience.id,
        msg_id=f"audience-{audience.id}-created",
    )


def audience_updated(audience: Audience) -> Outgoing:
    return _outgoing(
        AudienceUpdated(audience_id=audience.id, name=audience.name, description=audience.description),
        org_id=audience.org_id,
        aggregate=Aggregate.AUDIENCE,
        aggregate_id=audience.id,
        msg_id=f"audience-{audience.id}-updated-{audience.revision}",
    )


def audience_deleted(audience: Audience) -> Outgoing:
    return _outgoing(
        AudienceDeleted(audience_id=audience.id),
        org_id=audience.org_id,
        aggregate=Aggregate.AUDIENCE,
        aggregate_id=audience.id,
        msg_id=f"audience-{audience.id}-deleted",
    )


def members_added(audience: Audience, contact_ids: list[str]) -> Outgoing:
    """``audience.revision`` is the revision this membership change produced."""
    return _outgoing(
        AudienceMembersAdded(audience_id=audience.id, contact_ids=contact_ids),
        org_id=audience.org_id,
        aggregate=Aggregate.AUDIENCE,
        aggregate_id=audience.id,
        msg_id=f"audience-{audience.id}-members-added-{audience.revision}",
    )


def members_removed(audience: Audience, contact_ids: list[str]) -> Outgoing:
    return _outgoing(
        AudienceMembersRemoved(audience_id=audience.id, contact_ids=contact_ids),
        org_id=audience.org_id,
        aggregate=Aggregate.AUDIENCE,
        aggregate_id=audience.id,
        msg_id=f"audience-{audience.id}-members-removed-{audience.revision}",
    )


def attribute_saved(definition: AttributeDefinition) -> Outgoing:
    return _outgoing(
        CustomAttributeSaved(
            attribute_id=definition.id,
            name=definition.name,
            display_name=definition.display_name,
            attribute_type=str(definition.type),
            description=definition.description,
        ),
        org_id=definition.org_id,
        aggregate=Aggregate.CUSTOM_ATTRIBUTE,
        aggregate_id=definition.id,
        msg_id=f"attribute-{definition.id}-saved-{definition.revision}",
    )


def attribute_deleted(definition: AttributeDefinition) -> Outgoing:
    return _outgoing(
        CustomAttributeDeleted(attribute_id=definition.id, name=definition.name),
        org_id=definition.org_id,
        aggregate=Aggregate.CUSTOM_ATTRIBUTE,
        aggregate_id=definition.id,
        msg_id=f"attribute-{definition.id}-deleted",
    )
