"""Request and response bodies of the scheduler's API (digest §7, §8, §11.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from callcast_runtime.api import ApiModel, ApiResponse

Uuid = Annotated[
    str,
    msgspec.Meta(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
]
DidNumber = Annotated[str, msgspec.Meta(min_length=3, max_length=20, pattern=r"^\+?[0-9]{3,19}$")]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
DidStatus = Literal["active", "inactive", "reserved"]


class CreateDidRequest(ApiModel):
    number: DidNumber
    country: Country
    description: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    status: DidStatus = "active"


class UpdateDidRequest(ApiModel):
    number: DidNumber | None = None
    country: Country | None = None
    description: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    status: DidStatus | None = None


class DidResponse(ApiResponse):
    id: str
    number: str
    country: str
    description: str | None
    is_shared: bool
    organization_id: str | None
    status: str
    created_at: datetime
    updated_at: datetime


class PauseWindowTime(ApiModel):
    hour: Annotated[int, msgspec.Meta(ge=0, le=23)]
    minute: Annotated[int, msgspec.Meta(ge=0, le=59)]


class PauseWindowItem(ApiModel):
    start_at: PauseWindowTime
    end_at: PauseWindowTime


class PauseWindowAdvancedItem(ApiModel):
    start_at: datetime
    end_at: datetime


class PauseWindows(ApiModel):
    sunday: list[PauseWindowItem] | None = None
    monday: list[PauseWindowItem] | None = None
    tuesday: list[PauseWindowItem] | None = None
    wednesday: list[PauseWindowItem] | None = None
    thursday: list[PauseWindowItem] | None = None
    friday: list[PauseWindowItem] | None = None
    saturday: list[PauseWindowItem] | None = None
    advanced: list[PauseWindowAdvancedItem] | None = None


class AutoPauseRule(ApiModel):
    node_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    threshold: Annotated[int, msgspec.Meta(ge=1)]
    reset_on_resume: bool = False


class CreateProgramRequest(ApiModel):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    flow_id: Uuid
    did_pool: Annotated[list[Uuid], msgspec.Meta(min_length=1, max_length=100)]
    description: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    mode: Literal["batch", "live"] = "batch"
    audience_id: Uuid | None = None
    trigger_condition: dict[str, Any] | None = None
    start_at: datetime | None = None
    stop_at: datetime | None = None
    retry_strategy: dict[str, Any] | None = None
    pause_windows: PauseWindows | None = None
    auto_pause_rules: list[AutoPauseRule] | None = None
    #: Callcast extension: how many of this program's calls may be up at once.
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10


class UpdateProgramRequest(ApiModel):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    did_pool: Annotated[list[Uuid], msgspec.Meta(min_length=1, max_length=100)] | None = None
    start_at: datetime | None = None
    stop_at: datetime | None = None
    retry_strategy: dict[str, Any] | None = None
    pause_windows: PauseWindows | None = None
    auto_pause_rules: list[AutoPauseRule] | None = None
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    status: Literal["draft", "active", "archived"] | None = None


class ResolvedDid(ApiResponse):
    id: str
    number: str
    country: str
    status: str


class ProgramResponse(ApiResponse):
    id: str
    name: str
    description: str | None
    mode: str
    organization_id: str
    audience_id: str | None
    flow_id: str
    status: str
    start_at: datetime | None
    stop_at: datetime | None
    did_pool: list[ResolvedDid]
    retry_strategy: dict[str, Any]
    pause_windows: dict[str, Any] | None
    auto_pause_rules: list[dict[str, Any]] | None
    concurrency: int
    created_at: datetime
    updated_at: datetime


class MessageResponse(ApiResponse):
    message: str


class LaunchResponse(ApiResponse):
    execution_id: str


class ExecutionResponse(ApiResponse):
    id: str
    program_id: str
    organization_id: str
    audience_id: str | None
    flow_id: str
    flow_version: int
    status: str
    total_contacts: int
    contacts_completed: int
    contacts_failed: int
    contacts_pending: int
    contacts_in_progress: int
    scheduled_start_at: datetime
    scheduled_stop_at: datetime | None
    actual_start_at: datetime | None
    actual_end_at: datetime | None
    auto_pause_rules: list[dict[str, Any]] | None
    created_at: datetime
    updated_at: datetime
