"""API keys: generated with 256 bits, stored as a SHA-256 and a display prefix, checked in constant time."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from callcast_gateway.domain.api_keys import (
    DEFAULT_KEY_PREFIX,
    StoredKey,
    generate_api_key,
    hash_api_key,
    plausible_api_key,
    secret_matches,
    valid_key_prefix,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_generated_key_is_the_prefix_and_43_url_safe_characters() -> None:
    issued = generate_api_key()
    assert re.fullmatch(r"cc_live_[A-Za-z0-9_-]{43}", issued.secret)
    assert issued.secret.startswith(DEFAULT_KEY_PREFIX)


def test_generated_keys_are_unique() -> None:
    assert len({generate_api_key().secret for _ in range(1000)}) == 1000


def test_only_a_sha256_of_the_secret_is_kept() -> None:
    issued = generate_api_key()
    assert issued.secret_hash == hashlib.sha256(issued.secret.encode()).digest()
    assert issued.secret_hash == hash_api_key(issued.secret)


def test_display_prefix_shows_a_few_characters_of_the_secret_only() -> None:
    issued = generate_api_key()
    assert issued.secret.startswith(issued.key_prefix)
    assert len(issued.key_prefix) == len(DEFAULT_KEY_PREFIX) + 6


def test_creator_may_choose_the_prefix() -> None:
    issued = generate_api_key("prod_")
    assert re.fullmatch(r"prod_[A-Za-z0-9_-]{43}", issued.secret)
    assert issued.key_prefix.startswith("prod_")


@pytest.mark.parametrize("prefix", ["", "has space", "x" * 21, "_leading", "é_"])
def test_invalid_prefixes_are_refused(prefix: str) -> None:
    assert not valid_key_prefix(prefix)
    with pytest.raises(ValueError, match="prefix"):
        generate_api_key(prefix)


def test_secret_matches_its_hash_and_nothing_else() -> None:
    issued = generate_api_key()
    assert secret_matches(issued.secret, issued.secret_hash)
    assert not secret_matches(issued.secret + "x", issued.secret_hash)
    assert not secret_matches(generate_api_key().secret, issued.secret_hash)


@pytest.mark.parametrize("value", ["", "short", "a" * 129, "cc_live_ with space", "cc_live_ü" + "a" * 40])
def test_implausible_keys_are_rejected_before_any_lookup(value: str) -> None:
    assert not plausible_api_key(value)


def test_every_generated_key_is_plausible() -> None:
    assert all(plausible_api_key(generate_api_key(p).secret) for p in ("cc_live_", "dev_", "p"))


def _stored(**changes: object) -> StoredKey:
    fields: dict[str, object] = {
        "key_id": "k",
        "org_id": "o",
        "user_id": "u",
        "secret_hash": b"\0" * 32,
        "is_active": True,
        "expires_at": None,
        "org_active": True,
    }
    fields.update(changes)
    return StoredKey(**fields)  # type: ignore[arg-type]


def test_enabled_key_without_expiry_is_accepted() -> None:
    assert _stored().accepts_at(NOW)


def test_key_is_accepted_until_its_expiry_and_refused_from_then_on() -> None:
    key = _stored(expires_at=NOW)
    assert key.accepts_at(NOW - timedelta(microseconds=1))
    assert not key.accepts_at(NOW)


def test_disabled_key_is_refused() -> None:
    assert not _stored(is_active=False).accepts_at(NOW)


def test_key_of_an_inactive_organization_is_refused() -> None:
    assert not _stored(org_active=False).accepts_at(NOW)
