"""Custom attributes (digest §3): typed fields an organization defines for its contacts.

A definition has a ``displayName`` and a ``name`` slug derived from it ("Customer Tier" →
``customer_tier``); contacts, flows and live audiences refer to the slug. Values sent on a contact
are checked against the definitions: a value that fails goes to ``attributeErrors`` and the
contact is saved without it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import msgspec

from callcast_contact.domain.rules import is_e164, is_email

MAX_TEXT_LENGTH = 1024
MAX_URL_LENGTH = 2048


class AttributeType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    PHONE_NUMBER = "phone_number"
    EMAIL = "email"
    URL = "url"


class AttributeDefinition(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    org_id: str
    name: str
    display_name: str
    description: str | None
    type: AttributeType
    revision: int = 1
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    created_by: str | None = None
    updated_by: str | None = None
    deleted_by: str | None = None


@dataclass(frozen=True, slots=True)
class AttributeIssue:
    """One custom attribute value that was not stored, and why."""

    name: str
    code: str  # unknownAttribute | invalidValue
    message: str


def slugify(display_name: str) -> str:
    """``"Customer Tier"`` → ``customer_tier``; accents dropped, other scripts kept as letters."""
    decomposed = unicodedata.normalize("NFKD", display_name)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "_", without_marks.casefold()).strip("_")


class _Invalid(ValueError):
    pass


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Invalid("must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid("must be a finite number")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
            return _number(float(text))
    raise _Invalid("must be a number")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Invalid("must be a boolean (true or false)")


def _date(value: Any) -> str:
    """A calendar date ``YYYY-MM-DD`` or an ISO-8601 date-time with a timezone (kept in UTC)."""
    if not isinstance(value, str):
        raise _Invalid("must be an ISO-8601 date (YYYY-MM-DD) or date-time with a timezone")
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise _Invalid("is not a valid calendar date") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid("must be an ISO-8601 date (YYYY-MM-DD) or date-time with a timezone") from None
    if moment.tzinfo is None:
        raise _Invalid("must include a timezone (Z or an offset)")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    if len(value) > MAX_TEXT_LENGTH:
        raise _Invalid(f"must be at most {MAX_TEXT_LENGTH} characters")
    return value


def _phone(value: Any) -> str:
    if not isinstance(value, str) or not is_e164(value):
        raise _Invalid("must be an E.164 phone number (+ then 3 to 15 digits)")
    return value


def _email(value: Any) -> str:
    if not isinstance(value, str) or not is_email(value):
        raise _Invalid("must be an email")
    return value


def _url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        raise _Invalid("must be an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise _Invalid("must be an http(s) URL")
    return value


_COERCE = {
    AttributeType.TEXT: _text,
    AttributeType.NUMBER: _number,
    AttributeType.BOOLEAN: _boolean,
    AttributeType.DATE: _date,
    AttributeType.PHONE_NUMBER: _phone,
    AttributeType.EMAIL: _email,
    AttributeType.URL: _url,
}


def coerce_value(attribute_type: AttributeType, value: Any) -> Any:
    """The stored form of ``value`` for an attribute of ``attribute_type``; ValueError if it fails."""
    return _COERCE[attribute_type](value)


def check_values(
    values: Mapping[str, Any], definitions: Mapping[str, AttributeType]
) -> tuple[dict[str, Any], list[AttributeIssue]]:
    """(values to store, issues). ``None`` passes through: it removes the attribute on update."""
    accepted: dict[str, Any] = {}
    issues: list[AttributeIssue] = []
    for name, value in values.items():
        attribute_type = definitions.get(name)
        if attribute_type is None:
            issues.append(
                AttributeIssue(name, "unknownAttribute", f"{name} is not a custom attribute of this organization")
            )
            continue
        if value is None:
            accepted[name] = None
            continue
        try:
            accepted[name] = coerce_value(attribute_type, value)
        except ValueError as err:
            issues.append(AttributeIssue(name, "invalidValue", f"{name} ({attribute_type}) {err}"))
    return accepted, issues
