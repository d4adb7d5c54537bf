"""Verifying API keys, with a short in-memory cache so most requests never touch the database.

A verified key (and an unknown one) is remembered for ``ttl_s`` seconds: a key disabled or revoked
through another replica stops working within that window; through this replica, at once (the
handlers call :meth:`KeyVerifier.forget`). Expiry is checked on every request, cached or not.
``last_used_at`` is written at most once per ``touch_interval_s`` per key, in the background.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from callcast_gateway.domain.api_keys import Principal, StoredKey, hash_api_key, plausible_api_key, secret_matches
from callcast_runtime.logging import get_logger

log = get_logger(__name__)

LookupKey = Callable[[bytes], Awaitable[StoredKey | None]]
RecordUse = Callable[[str], Awaitable[None]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class KeyVerifier:
    def __init__(
        self,
        lookup: LookupKey,
        record_use: RecordUse,
        *,
        ttl_s: float = 5.0,
        touch_interval_s: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._lookup = lookup
        self._record_use = record_use
        self._ttl_s = ttl_s
        self._touch_interval_s = touch_interval_s
        self._max_entries = max_entries
        self._clock = clock
        self._now = now
        #: secret hash → (what the database said, when we asked); None = no such key.
        self._cache: OrderedDict[bytes, tuple[StoredKey | None, float]] = OrderedDict()
        self._last_touched: dict[str, float] = {}
        self._touches: set[asyncio.Task[None]] = set()

    async def verify(self, secret: str) -> Principal | None:
        """The caller a presented key stands for, or None when it must be refused."""
        if not plausible_api_key(secret):
            return None
        digest = hash_api_key(secret)
        stored = await self._stored(digest)
        if stored is None or not secret_matches(secret, stored.secret_hash):
            return None
        if not stored.accepts_at(self._now()):
            return None
        self._maybe_record_use(stored.key_id)
        return Principal(
            org_id=stored.org_id, user_id=stored.user_id, key_id=stored.key_id, org_timezone=stored.org_timezone
        )

    def forget(self, key_id: str) -> None:
        """Drop a key from the cache after changing it, so this replica sees the change at once."""
        for digest, (stored, _) in list(self._cache.items()):
            if stored is not None and stored.key_id == key_id:
                del self._cache[digest]

    async def close(self) -> None:
        for task in list(self._touches):
            task.cancel()
        await asyncio.gather(*self._touches, return_exceptions=True)

    async def _stored(self, digest: bytes) -> StoredKey | None:
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[1] < self._ttl_s:
            return cached[0]
        stored = await self._lookup(digest)
        self._cache[digest] = (stored, now)
        self._cache.move_to_end(digest)
        while len(self._cache) > self._max_entries:
            # Bounded, so a flood of made-up keys cannot grow memory: the oldest entry goes first.
            self._cache.popitem(last=False)
        return stored

    def _maybe_record_use(self, key_id: str) -> None:
        now = self._clock()
        last = self._last_touched.get(key_id)
        if last is not None and now - last < self._touch_interval_s:
            return
        self._last_touched[key_id] = now
        task = asyncio.create_task(self._record(key_id), name=f"api-key-used-{key_id}")
        self._touches.add(task)
        task.add_done_callback(self._touches.discard)

    async def _record(self, key_id: str) -> None:
        try:
            await self._record_use(key_id)
        except Exception as exc:
            # Bookkeeping only: a failed write must never fail the request it describes.
            log.warning("could not record API key use", key_id=key_id, error=str(exc))
