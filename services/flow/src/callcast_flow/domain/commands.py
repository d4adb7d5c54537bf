"""Commands: what a client asks the flow service to do (imperative names).

Fields a client may leave out of an update are ``UNSET`` (keep the current value); ``None``
clears a nullable field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msgspec import UNSET, UnsetType


class Command:
    """Base of every command; ``handlers.COMMAND_HANDLERS`` maps each to its handler."""


@dataclass(frozen=True)
class CreateFlow(Command):
    org_id: str
    name: str
    description: str | None
    channel_type: str
    status: str
    #: ``{"startNodeId", "nodes"}`` as the client sent it (nodes as an array or a map).
    graph: dict[str, Any]


@dataclass(frozen=True)
class UpdateFlow(Command):
    """Saves a new version; what is left out is carried over from the latest version."""

    org_id: str
    flow_id: str
    name: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    status: str | UnsetType = UNSET
    channel_type: str | UnsetType = UNSET
    graph: dict[str, Any] | UnsetType = UNSET


@dataclass(frozen=True)
class DeleteFlow(Command):
    org_id: str
    flow_id: str


@dataclass(frozen=True)
class UploadAudio(Command):
    org_id: str
    file_name: str | None
    data: bytes
    title: str | None
    description: str | None
    usage_type: str | None
    tags: list[str] | None


@dataclass(frozen=True)
class UpdateAudio(Command):
    org_id: str
    audio_id: str
    title: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    usage_type: str | UnsetType = UNSET
    tags: list[str] | UnsetType | None = UNSET


@dataclass(frozen=True)
class DeleteAudio(Command):
    org_id: str
    audio_id: str
