"""Query parameters every paged list takes (digest §1.3)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import QueryParameter

PageNumber = Annotated[int | None, QueryParameter(ge=1, description="Page number, from 1 (default 1)")]
PageLimit = Annotated[int | None, QueryParameter(ge=1, le=100, description="Page size, 1–100 (default 20)")]
Search = Annotated[str | None, QueryParameter(max_length=100, description="Case-insensitive substring")]
SortOrder = Annotated[Literal["asc", "desc"] | None, QueryParameter(name="sortOrder", description="Default desc")]
