"""KeyVerifier: a few seconds of memory in front of the database, and sparse last-use writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from callcast_gateway.authentication import KeyVerifier
from callcast_gateway.domain.api_keys import Principal, StoredKey, generate_api_key

pytestmark = pytest.mark.unit


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.wall = datetime(2026, 1, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self.wall += timedelta(seconds=seconds)


class FakeKeys:
    """The database: keys by the hash of their secret; counts lookups and recorded uses."""

    def __init__(self) -> None:
        self.by_hash: dict[bytes, StoredKey] = {}
        self.lookups = 0
        self.uses: list[str] = []

    def add(self, key_id: str = "key-1", **changes: object) -> str:
        issued = generate_api_key()
        fields: dict[str, object] = {
            "key_id": key_id,
            "org_id": "org-1",
            "user_id": "user-1",
            "secret_hash": issued.secret_hash,
            "is_active": True,
            "expires_at": None,
            "org_active": True,
        }
        fields.update(changes)
        self.by_hash[issued.secret_hash] = StoredKey(**fields)  # type: ignore[arg-type]
        return issued.secret

    def set(self, secret_hash: bytes, **changes: object) -> None:
        current = self.by_hash[secret_hash]
        self.by_hash[secret_hash] = StoredKey(**{**current.__dict__, **changes})

    async def lookup(self, secret_hash: bytes) -> StoredKey | None:
        self.lookups += 1
        return self.by_hash.get(secret_hash)

    async def record_use(self, key_id: str) -> None:
        self.uses.append(key_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def keys() -> FakeKeys:
    return FakeKeys()


@pytest.fixture
def verifier(keys: FakeKeys, clock: FakeClock) -> KeyVerifier:
    return KeyVerifier(
        keys.lookup, keys.record_use, ttl_s=5.0, touch_interval_s=60.0, clock=clock.monotonic, now=clock.now
    )


async def _settle() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_valid_key_gives_its_principal(verifier: KeyVerifier, keys: FakeKeys) -> None:
    secret = keys.add()
    assert await verifier.verify(secret) == Principal(org_id="org-1", user_id="user-1", key_id="key-1")


async def test_verified_key_is_not_looked_up_again_within_the_window(
    verifier: KeyVerifier, keys: FakeKeys, clock: FakeClock
) -> None:
    secret = keys.add()
    for _ in range(10):
        assert await verifier.verify(secret) is not None
        clock.advance(0.4)
    assert keys.lookups == 1


async def test_key_disabled_in_the_database_is_refused_once_the_window_passes(
    verifier: KeyVerifier, keys: FakeKeys, clock: FakeClock
) -> None:
    secret = keys.add()
    assert await verifier.verify(secret) is not None
    keys.set(next(iter(keys.by_hash)), is_active=False)
    clock.advance(4.9)
    assert await verifier.verify(secret) is not None
    clock.advance(0.2)
    assert await verifier.verify(secret) is None


async def test_forgotten_key_is_looked_up_at_once(verifier: KeyVerifier, keys: FakeKeys) -> None:
    secret = keys.add()
    assert await verifier.verify(secret) is not None
    keys.set(next(iter(keys.by_hash)), is_active=False)
    verifier.forget("key-1")
    assert await verifier.verify(secret) is None


async def test_expiry_is_checked_on_every_request_even_when_cached(
    verifier: KeyVerifier, keys: FakeKeys, clock: FakeClock
) -> None:
    secret = keys.add(expires_at=clock.now() + timedelta(seconds=1))
    assert await verifier.verify(secret) is not None
    clock.advance(1.0)
    assert await verifier.verify(secret) is None
    assert keys.lookups == 1


async def test_unknown_key_is_remembered_too(verifier: KeyVerifier, keys: FakeKeys, clock: FakeClock) -> None:
    unknown = generate_api_key().secret
    assert await verifier.verify(unknown) is None
    assert await verifier.verify(unknown) is None
    assert keys.lookups == 1
    clock.advance(5.0)
    assert await verifier.verify(unknown) is None
    assert keys.lookups == 2


async def test_garbage_is_refused_without_a_lookup(verifier: KeyVerifier, keys: FakeKeys) -> None:
    assert await verifier.verify("not a key") is None
    assert keys.lookups == 0


async def test_cache_stays_bounded(keys: FakeKeys, clock: FakeClock) -> None:
    verifier = KeyVerifier(keys.lookup, keys.record_use, max_entries=3, clock=clock.monotonic, now=clock.now)
    unknown = [generate_api_key().secret for _ in range(5)]
    for secret in unknown:
        await verifier.verify(secret)
    assert keys.lookups == 5
    await verifier.verify(unknown[0])  # evicted: asked again
    await verifier.verify(unknown[-1])  # still remembered
    assert keys.lookups == 6


async def test_use_is_recorded_at_most_once_a_minute_per_key(
    verifier: KeyVerifier, keys: FakeKeys, clock: FakeClock
) -> None:
    first, second = keys.add("key-1"), keys.add("key-2")
    for _ in range(5):
        await verifier.verify(first)
        await verifier.verify(second)
        clock.advance(10)
    await _settle()
    assert sorted(keys.uses) == ["key-1", "key-2"]
    clock.advance(20)
    await verifier.verify(first)
    await _settle()
    assert keys.uses.count("key-1") == 2


async def test_failing_to_record_a_use_does_not_fail_the_request(keys: FakeKeys, clock: FakeClock) -> None:
    async def broken(_: str) -> None:
        raise RuntimeError("database gone")

    verifier = KeyVerifier(keys.lookup, broken, clock=clock.monotonic, now=clock.now)
    assert await verifier.verify(keys.add()) is not None
    await _settle()
    await verifier.close()
