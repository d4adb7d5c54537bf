"""The event envelope and the registry that decodes (and upcasts) events by their type tag.

Wire form (JSON)::

    {"id": UUIDv7, "type": "CallEnded", "version": 1, "occurredAt": ISO-8601,
     "orgId": ..., "aggregateId": ..., "causationId": ..., "correlationId": ...,
     "data": {"type": "CallEnded", ...}}

Events evolve by adding fields with defaults. Anything else bumps the class's ``VERSION`` and
registers an upcaster that turns the old ``data`` dict into the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from callcast_contracts.ids import new_id


class Event(msgspec.Struct, kw_only=True, frozen=True, tag_field="type", tag=True, rename="camel"):
    """Base of every event and command: an immutable fact (or order), tagged by class name."""

    VERSION: ClassVar[int] = 1

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


E = TypeVar("E", bound=Event)


class Envelope(msgspec.Struct, Generic[E], kw_only=True, frozen=True, rename="camel"):
    id: str
    type: str
    version: int
    occurred_at: datetime
    org_id: str
    aggregate_id: str
    causation_id: str | None = None
    correlation_id: str | None = None
    data: E


class RawEnvelope(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    id: str
    type: str
    version: int
    occurred_at: datetime
    org_id: str
    aggregate_id: str
    causation_id: str | None = None
    correlation_id: str | None = None
    data: msgspec.Raw


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_EVENT_TYPES: dict[str, type[Event]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register(*classes: type[Event]) -> None:
    for cls in classes:
        existing = _EVENT_TYPES.get(cls.type_name())
        if existing is not None and existing is not cls:
            raise ValueError(f"two events named {cls.type_name()}")
        _EVENT_TYPES[cls.type_name()] = cls


def register_upcaster(type_name: str, from_version: int, upcaster: Upcaster) -> None:
    """``upcaster`` turns ``data`` of version ``from_version`` into version ``from_version + 1``."""
    _UPCASTERS[(type_name, from_version)] = upcaster


def event_types() -> dict[str, type[Event]]:
    return dict(_EVENT_TYPES)


class UnknownEventType(ValueError):
    pass


def envelope(
    event: E,
    *,
    org_id: str,
    aggregate_id: str,
    causation_id: str | None = None,
    correlation_id: str | None = None,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope[E]:
    eid = event_id or new_id()
    return Envelope(
        id=eid,
        type=event.type_name(),
        version=event.VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        org_id=org_id,
        aggregate_id=aggregate_id,
        causation_id=causation_id,
        correlation_id=correlation_id or causation_id or eid,
        data=event,
    )


_encoder = msgspec.json.Encoder()


def encode(env: Envelope[Any]) -> bytes:
    return _encoder.encode(env)


_raw_decoder = msgspec.json.Decoder(RawEnvelope)


def decode(payload: bytes) -> Envelope[Event]:
    """Decode any registered event, upcasting old versions to the current one."""
    raw = _raw_decoder.decode(payload)
    cls = _EVENT_TYPES.get(raw.type)
    if cls is None:
        raise UnknownEventType(raw.type)
    if raw.version < cls.VERSION:
        data: dict[str, Any] = msgspec.json.decode(raw.data)
        for v in range(raw.version, cls.VERSION):
            data = _UPCASTERS[(raw.type, v)](data)
        event = msgspec.convert(data, cls)
    else:
        event = msgspec.json.decode(raw.data, type=cls)
    return Envelope(
        id=raw.id,
        type=raw.type,
        version=cls.VERSION,
        occurred_at=raw.occurred_at,
        org_id=raw.org_id,
        aggregate_id=raw.aggregate_id,
        causation_id=raw.causation_id,
        correlation_id=raw.correlation_id,
        data=event,
    )
