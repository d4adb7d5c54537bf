"""Request and response bodies of the scheduler's API (digest §7, §8, §11.1).

Update bodies tell "absent" (``UNSET``: keep the value) from ``null`` (clear it, where the field
is optional). The structural checks are here; what needs more than a field's own value (pause
windows that cover the week, duplicate rules, retry spellings, time zones) is checked by the
domain normalizers, which name the field the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from callcast_runtime.api import ApiModel, ApiResponse
from callcast_scheduler.domain.auto_pause import MAX_NODE_ID_LENGTH, MAX_RULES, MAX_THRESHOLD
from callcast_scheduler.domain.calling_limits import MAX_CALLS_PER_SECOND, MAX_CONCURRENCY
from callcast_scheduler.domain.windows import MAX_ADVANCED_ITEMS, MAX_WEEKLY_ITEMS

Uuid = Annotated[
    str,
    msgspec.Meta(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
]
DidNumber = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=20,
        pattern=r"^\+?[0-9]+$",
        description="Digits with an optional leading +, 3–20 characters (E.164 recommended)",
        examples=["+212600000000"],
    ),
]
Country = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, upper case", examples=["MA"])
]
DidDescription = Annotated[str, msgspec.Meta(max_length=500)]
DidStatus = Literal["active", "inactive", "reserved"]
ProgramStatus = Literal["draft", "active", "archived"]
ProgramMode = Literal["batch", "live"]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
ProgramDescription = Annotated[str, msgspec.Meta(max_length=1000)]
DidPool = Annotated[
    list[Uuid],
    msgspec.Meta(min_length=1, max_length=100, description="DID ids (at least one), rotated as caller ids"),
]
Concurrency = Annotated[
    int,
    msgspec.Meta(
        ge=1,
        le=MAX_CONCURRENCY,
        description="Callcast extension: calls of this program up at once (the organization's limit may be lower)",
    ),
]
CallsPerSecond = Annotated[
    float,
    msgspec.Meta(
        gt=0,
        le=MAX_CALLS_PER_SECOND,
        description="Callcast extension: calls of this program started per second at most (null: no program limit)",
    ),
]
TimeZoneName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="Callcast extension: IANA time zone of the program's windows (null: the organization's)",
        examples=["Africa/Casablanca"],
    ),
]
RetryStrategyBody = Annotated[
    dict[str, Any],
    msgspec.Meta(
        description=(
            "{type: none} | {type: fixed_delay, delayMinutes, maxRetries} | {type: scheduled, retryDates}; "
            "the ad-hoc spelling (fixed-delay, delay in ms, dates) is accepted too; optional retryOn"
        )
    ),
]
RecipientTimezones = Annotated[
    bool,
    msgspec.Meta(
        description=(
            "Callcast extension: apply the pause windows in each recipient's own zone (from the number, "
            "or the contact's `timezone` attribute) instead of the program's"
        )
    ),
]


class CreateDidRequest(ApiModel):
    number: DidNumber
    country: Country
    description: DidDescription | None = None
    status: DidStatus = "active"


class UpdateDidRequest(ApiModel):
    number: DidNumber | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    description: DidDescription | UnsetType | None = UNSET
    status: DidStatus | UnsetType = UNSET


class AssignDidRequest(ApiModel):
    organization_id: Uuid


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


WeeklyItems = Annotated[list[PauseWindowItem], msgspec.Meta(max_length=MAX_WEEKLY_ITEMS)]


class PauseWindows(ApiModel):
    sunday: WeeklyItems | None = None
    monday: WeeklyItems | None = None
    tuesday: WeeklyItems | None = None
    wednesday: WeeklyItems | None = None
    thursday: WeeklyItems | None = None
    friday: WeeklyItems | None = None
    saturday: WeeklyItems | None = None
    advanced: Annotated[list[PauseWindowAdvancedItem], msgspec.Meta(max_length=MAX_ADVANCED_ITEMS)] | None = None


class AutoPauseRule(ApiModel):
    node_id: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NODE_ID_LENGTH)]
    threshold: Annotated[int, msgspec.Meta(ge=1, le=MAX_THRESHOLD)]
    reset_on_resume: bool = False


AutoPauseRules = Annotated[list[AutoPauseRule], msgspec.Meta(max_length=MAX_RULES)]


class TriggerCondition(ApiModel):
    """When a live program calls a contact: on the date held by one of its ``date`` custom
    attributes, shifted by ``offsetDays``, at ``time`` in the program's zone (Callcast's reading:
    the documentation gives ``attributeName`` only)."""

    attribute_name: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=64,
            pattern=r"^[^\W_]+(_[^\W_]+)*$",
            description="The `name` (slug) of a date-type custom attribute",
            examples=["renewal_date"],
        ),
    ]
    offset_days: Annotated[int, msgspec.Meta(ge=-366, le=366)] = 0
    time: PauseWindowTime | None = None


class CreateProgramRequest(ApiModel):
    name: Name
    flow_id: Uuid
    did_pool: DidPool
    description: ProgramDescription | None = None
    mode: ProgramMode = "batch"
    audience_id: Annotated[Uuid, msgspec.Meta(description="Required for batch programs")] | None = None
    trigger_condition: (
        Annotated[TriggerCondition, msgspec.Meta(description="Required for live programs, refused for batch")] | None
    ) = None
    start_at: datetime | None = None
    stop_at: datetime | None = None
    retry_strategy: RetryStrategyBody | None = None
    pause_windows: PauseWindows | None = None
    auto_pause_rules: AutoPauseRules | None = None
    concurrency: Concurrency = 10
    calls_per_second: CallsPerSecond | None = None
    timezone: TimeZoneName | None = None
    recipient_timezones: RecipientTimezones = False


class UpdateProgramRequest(ApiModel):
    """Absent fields are kept; ``null`` clears an optional one. The flow, audience and mode of a
    program are bound at creation (digest §8.6) and cannot change."""

    name: Name | UnsetType = UNSET
    description: ProgramDescription | UnsetType | None = UNSET
    did_pool: DidPool | UnsetType = UNSET
    trigger_condition: TriggerCondition | UnsetType = UNSET
    start_at: datetime | UnsetType | None = UNSET
    stop_at: datetime | UnsetType | None = UNSET
    retry_strategy: RetryStrategyBody | UnsetType | None = UNSET
    pause_windows: PauseWindows | UnsetType | None = UNSET
    auto_pause_rules: AutoPauseRules | UnsetType | None = UNSET
    concurrency: Concurrency | UnsetType = UNSET
    calls_per_second: CallsPerSecond | UnsetType | None = UNSET
    timezone: TimeZoneName | UnsetType | None = UNSET
    recipient_timezones: RecipientTimezones | UnsetType = UNSET
    status: (
        Annotated[
            ProgramStatus,
            msgspec.Meta(
                description=(
                    "archived archives the program; draft or active (its status before) un-archives it. "
                    "Launches turn a draft active."
                )
            ),
        ]
        | UnsetType
    ) = UNSET


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
    trigger_condition: dict[str, Any] | None
    concurrency: int
    calls_per_second: float | None
    #: The zone the program's windows are read in: its own override, else the organization's.
    timezone: str
    timezone_override: str | None
    recipient_timezones: bool
    created_at: datetime
    updated_at: datetime


class CallingLimitsRequest(ApiModel):
    max_concurrent_calls: Annotated[int, msgspec.Meta(ge=1, le=MAX_CONCURRENCY)]
    max_calls_per_second: Annotated[float, msgspec.Meta(gt=0, le=MAX_CALLS_PER_SECOND)]


class CallingLimitsResponse(ApiResponse):
    max_concurrent_calls: int
    max_calls_per_second: float
    #: True while the organization has not set its own (the service's defaults apply).
    is_default: bool
    updated_at: datetime | None


class MessageResponse(ApiResponse):
    message: str


class LaunchResponse(ApiResponse):
    execution_id: str
