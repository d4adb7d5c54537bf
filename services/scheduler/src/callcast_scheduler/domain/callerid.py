"""Caller-id rotation over a program's DID pool: least recently used first.

The organization's last-use time of every number is persisted, so the rotation holds across
executions that share numbers and across restarts. A number never used comes before any used
one; ties keep the pool's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Numbers used within one batch get last-use times this far apart, in the order they were
#: handed out, so the next batch continues the cycle where this one stopped.
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Rotation:
    #: One caller id per call of the batch, in order.
    caller_ids: list[str]
    #: The new last-use time of every number the batch used.
    last_used: dict[str, datetime]


def least_recently_used_order(pool: Sequence[str], last_used: Mapping[str, datetime]) -> list[str]:
    unique = list(dict.fromkeys(pool))
    position = {number: i for i, number in enumerate(unique)}
    return sorted(unique, key=lambda n: (n in last_used, last_used.get(n) or datetime.min, position[n]))


def rotate(pool: Sequence[str], last_used: Mapping[str, datetime], count: int, *, now: datetime) -> Rotation:
    """Caller ids for ``count`` new calls started at ``now``: the pool cycled from its least
    recently used number."""
    if not pool:
        raise ValueError("empty caller-id pool")
    order = least_recently_used_order(pool, last_used)
    picked = [order[i % len(order)] for i in range(count)]
    used: dict[str, datetime] = {}
    for i, number in enumerate(picked):
        used[number] = now + _TICK * i
    return Rotation(caller_ids=picked, last_used=used)
