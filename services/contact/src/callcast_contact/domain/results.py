"""What the handlers answer: plain values the entry points encode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callcast_contact.domain.attributes import AttributeIssue
from callcast_contact.domain.audiences import Audience
from callcast_contact.domain.contacts import Contact
from callcast_contact.domain.issues import Issue


@dataclass(frozen=True, slots=True)
class ContactWritten:
    contact: Contact
    attribute_issues: list[AttributeIssue]


@dataclass(frozen=True, slots=True)
class UpsertFailure:
    """An item of a bulk upsert that was not applied; ``issues`` name its fields."""

    index: int
    issues: list[Issue]


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    index: int
    contact_id: str
    status: str  # created | updated | unchanged


@dataclass(slots=True)
class UpsertSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[UpsertFailure] = field(default_factory=list)
    attribute_issues: list[tuple[int, AttributeIssue]] = field(default_factory=list)
    results: list[UpsertOutcome] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AudienceView:
    audience: Audience
    contact_count: int


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    audience: Audience
    requested: int
    changed: int
    contact_count: int


@dataclass(frozen=True, slots=True)
class Paged:
    items: list[Any]
    total: int
