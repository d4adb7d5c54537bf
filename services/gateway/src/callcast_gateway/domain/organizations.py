"""Organizations and their users."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

DEFAULT_TIMEZONE = "Africa/Casablanca"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MAX_LENGTH = 256
NAME_MAX_LENGTH = 128
_SLUG = re.compile(SLUG_PATTERN)


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    slug: str
    timezone: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class User:
    id: str
    org_id: str
    email: str
    first_name: str | None
    last_name: str | None
    role: str


def slugify(name: str) -> str:
    """``"Café Atlas SARL"`` → ``"cafe-atlas-sarl"``; empty when nothing usable is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:64].rstrip("-")


def valid_slug(slug: str) -> bool:
    return len(slug) <= SLUG_MAX_LENGTH and bool(_SLUG.match(slug))


def numbered_slug(base: str, n: int) -> str:
    """The n-th alternative when ``base`` is taken: ``acme-2``, ``acme-3``…"""
    return base if n <= 1 else f"{base}-{n}"


def default_owner_email(slug: str) -> str:
    # ``.invalid`` is reserved (RFC 2606): an honest placeholder that can never reach anyone.
    return f"owner@{slug}.invalid"
