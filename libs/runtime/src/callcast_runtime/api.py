"""Shared pieces of every service's HTTP API: camelCase models, ids, pagination, timestamps.

Conventions (Gomobile-compatible): bodies are whitelisted (unknown fields → 400), path ids are
UUIDs (400 otherwise), lists answer ``{"data": [...], "meta": {page, limit, total, totalPages,
hasNextPage, hasPreviousPage}}`` with ``page`` (≥1, default 1), ``limit`` (1–100, default 20),
``search`` (≤100 chars), ``sortBy`` (a per-resource enum) and ``sortOrder`` (``asc``|``desc``,
default ``desc``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from callcast_runtime.errors import ValidationFailed

T = TypeVar("T")


class ApiModel(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    """Request bodies: camelCase on the wire, unknown properties rejected."""


class ApiResponse(msgspec.Struct, kw_only=True, rename="camel"):
    """Response bodies: camelCase on the wire; ``None`` fields are kept (documented as nullable)."""


class PageMeta(msgspec.Struct, kw_only=True, rename="camel"):
    page: int
    limit: int
    total: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool


class Page(msgspec.Struct, Generic[T], kw_only=True):
    data: list[T]
    meta: PageMeta


class PageQuery(msgspec.Struct, kw_only=True, frozen=True):
    page: int
    limit: int
    search: str | None
    sort_by: str
    sort_order: str

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def page_query(
    page: int | None,
    limit: int | None,
    search: str | None,
    sort_by: str | None,
    sort_order: str | None,
    *,
    sortable: Sequence[str],
    default_sort: str = "createdAt",
    max_limit: int = 100,
) -> PageQuery:
    p = 1 if page is None else page
    lim = 20 if limit is None else limit
    if p < 1:
        raise ValidationFailed.single("page", "page must not be less than 1", "min", min=1)
    if lim < 1 or lim > max_limit:
        raise ValidationFailed.single("limit", f"limit must be between 1 and {max_limit}", "max", max=max_limit)
    if search is not None and len(search) > 100:
        raise ValidationFailed.single("search", "search must be at most 100 characters", "maxLength", max=100)
    sb = sort_by or default_sort
    if sb not in sortable:
        raise ValidationFailed.single(
            "sortBy", f"sortBy must be one of: {', '.join(sortable)}", "isEnum", allowed=list(sortable)
        )
    so = (sort_order or "desc").lower()
    if so not in ("asc", "desc"):
        raise ValidationFailed.single("sortOrder", "sortOrder must be one of: asc, desc", "isEnum")
    return PageQuery(page=p, limit=lim, search=search or None, sort_by=sb, sort_order=so)


def page_of(items: list[T], total: int, q: PageQuery) -> Page[T]:
    pages = math.ceil(total / q.limit) if total else 0
    return Page(
        data=items,
        meta=PageMeta(
            page=q.page,
            limit=q.limit,
            total=total,
            total_pages=pages,
            has_next_page=q.page < pages,
            has_previous_page=q.page > 1,
        ),
    )


def parse_uuid(value: str, field: str = "id") -> str:
    """Path ids must be UUIDs: anything else is a 400 naming the parameter."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValidationFailed.single(field, f"{field} must be a UUID", "isUuid") from None


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.isoformat().replace("+00:00", "Z")


def require_tz(dt: datetime, field: str) -> datetime:
    if dt.tzinfo is None:
        raise ValidationFailed.single(field, f"{field} must include a timezone (Z or an offset)", "isIso8601")
    return dt


def to_json_compatible(value: Any) -> Any:
    return msgspec.to_builtins(value)
