"""Field rules of contacts (digest §1.2, §2): lengths, E.164 phones, e-mail addresses.

The length limits are msgspec ``Meta`` constraints, so the request decoder enforces them and the
OpenAPI document shows them; the pattern checks are functions with messages a person can act on.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from msgspec import Meta

from callcast_contact.domain.issues import Issue

#: E.164: a plus sign, a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"^\+[1-9][0-9]{2,14}$")
E164_MESSAGE = "primaryPhone must be an E.164 phone number: + then 3 to 15 digits, e.g. +212612345678"

# A pragmatic address check (RFC 5322 is far broader than what mail systems accept).
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)

Phone = Annotated[
    str,
    Meta(
        min_length=3,
        max_length=20,
        description="E.164: + then 3 to 15 digits (06-12-34-56-78 or 0612345678 are rejected)",
        examples=["+212612345678"],
    ),
]
FirstName = Annotated[str, Meta(min_length=2, max_length=64)]
LastName = Annotated[str, Meta(min_length=1, max_length=64)]
FullName = Annotated[str, Meta(min_length=3, max_length=64)]
Email = Annotated[str, Meta(min_length=3, max_length=254, description="an e-mail address")]
Address = Annotated[str, Meta(min_length=3, max_length=256)]
ShortText = Annotated[str, Meta(min_length=3, max_length=64)]
Gender = Literal["male", "female"]
Channel = Annotated[str, Meta(min_length=1, max_length=64)]
Channels = Annotated[list[Channel], Meta(max_length=20)]
AttributeName = Annotated[str, Meta(min_length=1, max_length=64)]


def is_e164(value: str) -> bool:
    return bool(E164.match(value))


def is_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value))


def phone_issue(value: str, field: str = "primaryPhone") -> Issue | None:
    if is_e164(value):
        return None
    return Issue(field, "isE164", E164_MESSAGE.replace("primaryPhone", field, 1), {"pattern": E164.pattern})


def email_issue(value: str, field: str = "primaryEmail") -> Issue | None:
    if is_email(value):
        return None
    return Issue(field, "isEmail", f"{field} must be an email")


def contact_field_issues(fields: dict[str, object]) -> list[Issue]:
    """Pattern rules over contact fields in storage form (lengths and enums were checked when the
    request was decoded); issues name the API (camelCase) field."""
    issues: list[Issue] = []
    phone = fields.get("primary_phone")
    if isinstance(phone, str) and (issue := phone_issue(phone)):
        issues.append(issue)
    email = fields.get("primary_email")
    if isinstance(email, str) and (issue := email_issue(email)):
        issues.append(issue)
    return issues
