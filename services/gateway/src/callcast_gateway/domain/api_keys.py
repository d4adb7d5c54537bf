"""API keys: how they are made, stored and checked.

A key is ``<prefix><43 characters>``: the prefix (``cc_live_`` unless the creator chose one, e.g.
``prod_``) followed by 32 random bytes in URL-safe base64 without padding. The secret is shown
once; only its SHA-256 and a display prefix are stored. A fast hash is right here: the secret has
256 bits of entropy, so there is nothing to brute-force, and a slow KDF would cost every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

DEFAULT_KEY_PREFIX = "cc_live_"
SECRET_BYTES = 32
#: Characters of the random part kept in the display prefix (``cc_live_AbC123``): enough to tell
#: keys apart in a list, far too few to matter for guessing (the rest still holds 222 bits).
DISPLAY_CHARS = 6
#: A creator-chosen prefix: what the API documents (``prod_``, ``dev_``), at most 20 characters.
KEY_PREFIX_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$"
_KEY_PREFIX = re.compile(KEY_PREFIX_PATTERN)
#: What a presented key may look like before we bother hashing it: printable, no spaces, bounded.
_PLAUSIBLE_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


@dataclass(frozen=True)
class IssuedKey:
    """A freshly generated key: ``secret`` goes to the caller once, the rest to the database."""

    secret: str
    key_prefix: str
    secret_hash: bytes


def valid_key_prefix(prefix: str) -> bool:
    return bool(_KEY_PREFIX.match(prefix))


def generate_api_key(prefix: str = DEFAULT_KEY_PREFIX) -> IssuedKey:
    if not valid_key_prefix(prefix):
        raise ValueError(f"invalid key prefix {prefix!r}")
    random_part = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).rstrip(b"=").decode("ascii")
    secret = prefix + random_part
    return IssuedKey(
        secret=secret,
        key_prefix=prefix + random_part[:DISPLAY_CHARS],
        secret_hash=hash_api_key(secret),
    )


def hash_api_key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def secret_matches(secret: str, stored_hash: bytes) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(hash_api_key(secret), bytes(stored_hash))


def plausible_api_key(value: str) -> bool:
    """Cheap rejection of garbage before any lookup (no key we issue fails this)."""
    return bool(_PLAUSIBLE_KEY.match(value))


@dataclass(frozen=True)
class ApiKey:
    """A key as its owners see it (never with its secret)."""

    id: str
    org_id: str
    user_id: str
    name: str
    key_prefix: str
    is_active: bool
    expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredKey:
    """What authentication needs to know about a key, read by the hash of its secret."""

    key_id: str
    org_id: str
    user_id: str
    secret_hash: bytes
    is_active: bool
    expires_at: datetime | None
    org_active: bool
    #: The organization's IANA zone (pause windows are read in it).
    org_timezone: str = "UTC"

    def accepts_at(self, now: datetime) -> bool:
        """A key works while it is enabled, not expired, and its organization is active."""
        if not self.is_active or not self.org_active:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organization, the user the key acts as, and the key itself."""

    org_id: str
    user_id: str
    key_id: str
    org_timezone: str = "UTC"
