"""Audiences (digest §5): named groups of contacts that programs target.

A ``static`` audience is managed by hand (add/remove contacts). A ``live`` one is defined by rules
(``domain.audience_rules``) and its membership follows the contacts that match them. The type is
fixed at creation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

#: Most contact ids one add/remove request may carry (one event carries them all).
MAX_MEMBERS_PER_REQUEST = 1000


class AudienceType(StrEnum):
    STATIC = "static"
    LIVE = "live"


class Audience(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    org_id: str
    name: str
    description: str | None
    type: AudienceType
    #: The rule group of a live audience (its public JSON form); ``None`` for static ones.
    rules: dict[str, Any] | None = None
    revision: int = 1
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
