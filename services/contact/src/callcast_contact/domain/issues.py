"""A rule broken by an input, named by the API field it concerns."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Issue:
    field: str
    code: str
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
