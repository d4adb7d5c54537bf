"""Which service owns an ``/api`` path: decided by the first segment after ``/api``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

API_PREFIX = "/api"

#: First path segment → owning service. The gateway's own resources (``users``, ``auth``) are
#: served by its own routes and never forwarded.
ROUTE_TABLE: Mapping[str, str] = MappingProxyType(
    {
        "contact": "contact",
        "custom-attributes": "contact",
        "audience": "contact",
        "flows": "flow",
        "audio-management": "flow",
        "dictionaries": "flow",
        "dids": "scheduler",
        "programs": "scheduler",
        "program-executions": "scheduler",
        "call-requests": "scheduler",
        # Callcast extension: the organization's concurrency and calls-per-second limits.
        "calling-limits": "scheduler",
        "calls": "reporting",
        "call-report": "reporting",
        # Singular: the execution reports (``/program-execution/:id/...``), read models.
        "program-execution": "reporting",
        "executions": "reporting",
        "recordings": "reporting",
    }
)


def api_segments(path: str) -> list[str] | None:
    """The segments after ``/api`` of a decoded request path; None when it is not an API path."""
    if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
        return None
    return [s for s in path[len(API_PREFIX) :].split("/") if s]


def owning_service(path: str, table: Mapping[str, str] = ROUTE_TABLE) -> str | None:
    """The service that serves ``path`` (decoded, ``/api/...``), or None: no such resource.

    Dot segments are refused outright: no API path has them, and forwarding ``/api/contact/../x``
    would let the first segment say one thing while the upstream resolves another.
    """
    segments = api_segments(path)
    if not segments or any(s in (".", "..") for s in segments):
        return None
    return table.get(segments[0])


def routed_services(table: Mapping[str, str] = ROUTE_TABLE) -> frozenset[str]:
    return frozenset(table.values())
