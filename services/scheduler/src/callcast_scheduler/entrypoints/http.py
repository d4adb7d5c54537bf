"""HTTP: DIDs (digest §7), programs (§8) and the organization's calling limits (Callcast
extension); executions are in ``executions_http``.

Every parameter is declared explicitly (litestar 2.25 style): bodies as ``JSONBody``, the
organization, its time zone and the service objects as ``NamedDependency``, path and query values
as ``FromPath``/``QueryParameter``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from msgspec import UNSET

from callcast_contracts import ids
from callcast_runtime.api import Page, page_of, page_query, parse_uuid, require_tz
from callcast_runtime.errors import ValidationFailed
from callcast_runtime.service import Runtime
from callcast_scheduler.adapters import live_repository as live_repo
from callcast_scheduler.adapters import program_repository as programs
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.domain import errors, program_errors
from callcast_scheduler.domain.auto_pause import normalize_auto_pause_rules
from callcast_scheduler.domain.calling_limits import CallingLimits
from callcast_scheduler.domain.recipient_timezone import is_iana_zone
from callcast_scheduler.domain.retry import normalize_retry_strategy
from callcast_scheduler.domain.schemas import (
    AssignDidRequest,
    CallingLimitsRequest,
    CallingLimitsResponse,
    CreateDidRequest,
    CreateProgramRequest,
    DidResponse,
    LaunchResponse,
    MessageResponse,
    ProgramResponse,
    ResolvedDid,
    UpdateDidRequest,
    UpdateProgramRequest,
)
from callcast_scheduler.domain.windows import normalize_pause_windows
from callcast_scheduler.entrypoints.openapi import PageLimit, PageNumber, Search, SortOrder, error_responses
from callcast_scheduler.handlers import Scheduler

ORG_TIMEZONE_HEADER = "x-callcast-org-timezone"

_DID_SORT = {"number": "number", "country": "country", "status": "status", "createdAt": "created_at"}
_PROGRAM_SORT = {
    "name": "name",
    "status": "status",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "startAt": "start_at",
}

DidSortBy = Annotated[
    str | None,
    QueryParameter(
        name="sortBy",
        description="number | country | status | createdAt (default createdAt)",
        schema_extra={"enum": list(_DID_SORT)},
    ),
]
ProgramSortBy = Annotated[
    str | None,
    QueryParameter(
        name="sortBy",
        description="name | status | createdAt | updatedAt | startAt (default createdAt)",
        schema_extra={"enum": list(_PROGRAM_SORT)},
    ),
]
DidStatusFilter = Annotated[
    Literal["active", "inactive", "reserved"] | None, QueryParameter(description="Only DIDs in this status")
]
IsSharedFilter = Annotated[
    str | None,
    QueryParameter(
        name="isShared",
        description="true: only the shared DIDs; false: only the organization's own",
        schema_extra={"enum": ["true", "false"]},
    ),
]
OrganizationFilter = Annotated[
    str | None,
    QueryParameter(
        name="organizationId",
        description="Only the DIDs owned by this organization (only the caller's own are ever visible)",
    ),
]
ProgramStatusFilter = Annotated[
    Literal["draft", "active", "archived"] | None, QueryParameter(description="Only programs in this status")
]
ProgramModeFilter = Annotated[Literal["batch", "live"] | None, QueryParameter(description="Only programs in this mode")]

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Callcast extension: a launch repeated with the same key answers the same execution",
    ),
]

DID_NOT_FOUND = "DidNotFoundError: no such DID in the organization (nor shared)"
PROGRAM_NOT_FOUND = "ProgramNotFoundError: no such program in the organization"
SHARED_DID = "FORBIDDEN: a shared DID belongs to the platform"
ARCHIVED = "ProgramStatusConflictError: archived (only un-archiving is allowed), or a status no update can set"


def _flag(value: str | None, field: str) -> bool | None:
    # Parsed here rather than by litestar, whose 400 would name the Python parameter.
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValidationFailed.single(field, f"{field} must be true or false", "isBoolean")


async def org_timezone_from_header(request: Request[Any, Any, Any]) -> str:
    """The organization's IANA zone, sent by the gateway; "UTC" when absent (direct calls)."""
    value = request.headers.get(ORG_TIMEZONE_HEADER)
    if not value:
        return "UTC"
    if not is_iana_zone(value):
        raise program_errors.invalid_org_timezone(value)
    return value


# -- DIDs ---------------------------------------------------------------------------------------
def _did(row: repo.Row) -> DidResponse:
    return DidResponse(
        id=str(row["id"]),
        number=row["number"],
        country=row["country"],
        description=row["description"],
        is_shared=bool(row["is_shared"]),
        organization_id=str(row["org_id"]) if row["org_id"] else None,
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _own_did(conn: repo.Conn, org_id: str, did_id: str) -> repo.Row:
    """A DID this organization may change: its own. Shared ones are read-only (403)."""
    row = await programs.visible_did(conn, org_id, did_id)
    if row is None:
        raise errors.did_not_found()
    if str(row["org_id"]) != org_id:
        raise program_errors.shared_did_read_only(did_id)
    return row


class DidController(Controller):
    path = "/api/dids"
    tags = ["DIDs"]

    @post(
        "/",
        operation_id="createDid",
        summary="Create a DID (caller number) for the organization",
        status_code=201,
        responses=error_responses(400, 401, 409, e409="DidAlreadyExistsError: the organization has this number"),
    )
    async def create(
        self, data: JSONBody[CreateDidRequest], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> DidResponse:
        async with runtime.db.connection() as conn:
            row = await programs.insert_did(
                conn,
                id=ids.new_id(),
                org_id=org_id,
                number=data.number,
                country=data.country,
                description=data.description,
                status=data.status,
            )
        return _did(row)

    @get(
        "/",
        operation_id="listDids",
        summary="List the organization's and the shared DIDs (paged)",
        status_code=200,
        responses=error_responses(400, 401),
    )
    async def list(
        self,
        org_id: NamedDependency[str],
        runtime: NamedDependency[Runtime],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Search = None,
        sort_by: DidSortBy = None,
        sort_order: SortOrder = None,
        status: DidStatusFilter = None,
        is_shared: IsSharedFilter = None,
        organization_id: OrganizationFilter = None,
    ) -> Page[DidResponse]:
        owner = parse_uuid(organization_id, "organizationId") if organization_id is not None else None
        shared = _flag(is_shared, "isShared")
        return await _list_dids(runtime, org_id, page, limit, search, sort_by, sort_order, status, shared, owner)

    @get(
        "/available",
        operation_id="listAvailableDids",
        summary="DIDs this organization may call from: its own and the shared ones, active only (paged)",
        status_code=200,
        responses=error_responses(400, 401),
    )
    async def available(
        self,
        org_id: NamedDependency[str],
        runtime: NamedDependency[Runtime],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Search = None,
        sort_by: DidSortBy = None,
        sort_order: SortOrder = None,
        is_shared: IsSharedFilter = None,
    ) -> Page[DidResponse]:
        shared = _flag(is_shared, "isShared")
        return await _list_dids(runtime, org_id, page, limit, search, sort_by, sort_order, "active", shared, None)

    @get(
        "/{did_id:str}",
        operation_id="getDid",
        summary="Get a DID (the organization's own or a shared one)",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=DID_NOT_FOUND),
    )
    async def get(
        self, did_id: FromPath[str], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> DidResponse:
        async with runtime.db.connection() as conn:
            row = await programs.visible_did(conn, org_id, parse_uuid(did_id))
        if row is None:
            raise errors.did_not_found()
        return _did(row)

    @put(
        "/{did_id:str}",
        operation_id="updateDid",
        summary="Update one of the organization's DIDs (partial: absent fields are kept)",
        status_code=200,
        responses=error_responses(
            400, 401, 403, 404, 409, e403=SHARED_DID, e404=DID_NOT_FOUND, e409="DidAlreadyExistsError"
        ),
    )
    async def update(
        self,
        did_id: FromPath[str],
        data: JSONBody[UpdateDidRequest],
        org_id: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> DidResponse:
        did_id = parse_uuid(did_id)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
        async with runtime.db.connection() as conn:
            await _own_did(conn, org_id, did_id)
            row = await programs.update_did(conn, org_id, did_id, changes)
        assert row is not None
        return _did(row)

    @delete(
        "/{did_id:str}",
        operation_id="deleteDid",
        summary="Delete one of the organization's DIDs (soft; programs keep calling from the rest of their pool)",
        status_code=200,
        responses=error_responses(400, 401, 403, 404, e403=SHARED_DID, e404=DID_NOT_FOUND),
    )
    async def remove(
        self, did_id: FromPath[str], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> MessageResponse:
        did_id = parse_uuid(did_id)
        async with runtime.db.connection() as conn:
            await _own_did(conn, org_id, did_id)
            await programs.delete_did(conn, org_id, did_id)
        return MessageResponse(message="DID deleted")

    @post(
        "/{did_id:str}/assign",
        operation_id="assignDid",
        summary="Assign one of the organization's DIDs to an organization (AssignDidRequest)",
        status_code=200,
        responses=error_responses(
            400,
            401,
            403,
            404,
            409,
            e403=SHARED_DID,
            e404=DID_NOT_FOUND,
            e409="DidAlreadyExistsError: the receiving organization has this number",
        ),
    )
    async def assign(
        self,
        did_id: FromPath[str],
        data: JSONBody[AssignDidRequest],
        org_id: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> DidResponse:
        """The DID moves to ``organizationId`` (it stops being this organization's); assigning it
        to the organization that owns it changes nothing."""
        did_id = parse_uuid(did_id)
        to_org = parse_uuid(data.organization_id, "organizationId")
        async with runtime.db.connection() as conn:
            row = await _own_did(conn, org_id, did_id)
            if to_org != org_id:
                moved = await programs.assign_did(conn, org_id, did_id, to_org)
                assert moved is not None
                row = moved
        return _did(row)


async def _list_dids(
    runtime: Runtime,
    org_id: str,
    page: int | None,
    limit: int | None,
    search: str | None,
    sort_by: str | None,
    sort_order: str | None,
    status: str | None,
    is_shared: bool | None,
    owner: str | None,
) -> Page[DidResponse]:
    q = page_query(page, limit, search, sort_by, sort_order, sortable=list(_DID_SORT))
    async with runtime.db.connection() as conn:
        rows, total = await programs.list_dids(
            conn,
            org_id,
            search=q.search,
            sort=_DID_SORT[q.sort_by],
            order=q.sort_order,
            limit=q.limit,
            offset=q.offset,
            status=status,
            is_shared=is_shared,
            organization_id=owner,
        )
    return page_of([_did(r) for r in rows], total, q)


# -- programs -----------------------------------------------------------------------------------
def _program_response(row: repo.Row, dids: dict[str, repo.Row], org_timezone: str) -> ProgramResponse:
    pool = [str(d) for d in row["did_pool"]]
    return ProgramResponse(
        id=str(row["id"]),
        name=row["name"],
        description=row["description"],
        mode=row["mode"],
        organization_id=str(row["org_id"]),
        audience_id=str(row["audience_id"]) if row["audience_id"] else None,
        flow_id=str(row["flow_id"]),
        status=row["status"],
        start_at=row["start_at"],
        stop_at=row["stop_at"],
        # DIDs deleted (or assigned away) since are left out; the launch skips them too.
        did_pool=[
            ResolvedDid(id=d, number=dids[d]["number"], country=dids[d]["country"], status=dids[d]["status"])
            for d in pool
            if d in dids
        ],
        retry_strategy=dict(row["retry_strategy"]),
        pause_windows=row["pause_windows"],
        auto_pause_rules=row["auto_pause_rules"],
        trigger_condition=row["trigger_condition"],
        concurrency=int(row["concurrency"]),
        calls_per_second=row["calls_per_second"],
        timezone=programs.effective_timezone(row, org_timezone),
        timezone_override=row["timezone"],
        recipient_timezones=bool(row["recipient_timezones"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _responses(
    conn: repo.Conn, org_id: str, rows: Iterable[repo.Row], org_timezone: str
) -> list[ProgramResponse]:
    rows = list(rows)
    pool_ids = sorted({str(d) for row in rows for d in row["did_pool"]})
    dids = await programs.pool_dids(conn, org_id, pool_ids)
    return [_program_response(row, dids, org_timezone) for row in rows]


async def _checked_pool(conn: repo.Conn, org_id: str, raw: list[str]) -> list[str]:
    pool = [parse_uuid(d, f"didPool[{i}]") for i, d in enumerate(raw)]
    for i, did_id in enumerate(pool):
        if did_id in pool[:i]:
            raise ValidationFailed.single(f"didPool[{i}]", "didPool must not name a DID twice", "arrayUnique")
    dids = await programs.pool_dids(conn, org_id, pool)
    for did_id in pool:
        did = dids.get(did_id)
        if did is None:
            # Another organization's DID is invisible: say not found, never confirm it exists.
            raise errors.did_not_found(did_id)
        if did["status"] == "reserved":
            raise program_errors.did_not_accessible(did_id, "reserved")
        if did["status"] != "active":
            raise errors.did_not_active(did_id)
    return pool


def _check_times(start_at: datetime | None, stop_at: datetime | None, *, stop_given: bool) -> None:
    if start_at is not None:
        require_tz(start_at, "startAt")
    if stop_at is None:
        return
    require_tz(stop_at, "stopAt")
    if stop_given and stop_at <= datetime.now(UTC):
        raise ValidationFailed.single("stopAt", "stopAt must be in the future", "isFuture")
    if start_at is not None and stop_at <= start_at:
        field = "stopAt" if stop_given else "startAt"
        message = "stopAt must be after startAt" if stop_given else "startAt must be before the program's stopAt"
        raise ValidationFailed.single(field, message, "isAfter")


def _timezone(value: str | None) -> str | None:
    if value is not None and not is_iana_zone(value):
        raise ValidationFailed.single(
            "timezone", "timezone must be an IANA time zone (e.g. Africa/Casablanca)", "isTimeZone"
        )
    return value


def _mode_rules(mode: str, *, audience_id: str | None, has_trigger: bool) -> None:
    if mode == "batch" and not audience_id:
        raise ValidationFailed.single("audienceId", "audienceId is required for a batch program", "required")
    if mode == "batch" and has_trigger:
        raise ValidationFailed.single(
            "triggerCondition", "triggerCondition is only allowed for a live program", "forbidden"
        )
    if mode == "live" and not has_trigger:
        raise ValidationFailed.single("triggerCondition", "triggerCondition is required for a live program", "required")


async def _check_trigger_attribute(conn: repo.Conn, org_id: str, trigger: Any) -> None:
    """A live trigger names an existing ``date`` custom attribute of the organization (digest §8.2)."""
    name = trigger.attribute_name
    found = await live_repo.attribute_type(conn, org_id, name)
    if found != "date":
        reason = "no custom attribute has this name" if found is None else f"the attribute is of type {found}"
        raise ValidationFailed.single(
            "triggerCondition.attributeName", f"must name a date-type custom attribute ({reason})", "isDateAttribute"
        )


def _builtins(value: Any) -> Any:
    return None if value is None else msgspec.to_builtins(value)


PROGRAM_WRITE_ERRORS = error_responses(
    400,
    401,
    404,
    409,
    e400=(
        "VALIDATION_FAILED naming the field (e.g. `retryStrategy.maxRetries`, `pauseWindows.monday[0].endAt`), "
        "DidNotActiveError (an inactive DID in didPool) or DidNotAccessibleError (a reserved one)"
    ),
    e404=f"{DID_NOT_FOUND} (a didPool entry), or {PROGRAM_NOT_FOUND}",
    e409=ARCHIVED,
)


class ProgramController(Controller):
    path = "/api/programs"
    tags = ["Programs"]
    dependencies = {"org_timezone": Provide(org_timezone_from_header)}

    @post(
        "/",
        operation_id="createProgram",
        summary="Create a program (201 Program created)",
        status_code=201,
        responses=error_responses(
            400, 401, 404, e400=PROGRAM_WRITE_ERRORS[400].description, e404=f"{DID_NOT_FOUND} (a didPool entry)"
        ),
    )
    async def create(
        self,
        data: JSONBody[CreateProgramRequest],
        org_id: NamedDependency[str],
        org_timezone: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> ProgramResponse:
        _check_times(data.start_at, data.stop_at, stop_given=data.stop_at is not None)
        _mode_rules(data.mode, audience_id=data.audience_id, has_trigger=data.trigger_condition is not None)
        values: dict[str, Any] = {
            "retry_strategy": normalize_retry_strategy(data.retry_strategy),
            "pause_windows": normalize_pause_windows(_builtins(data.pause_windows)),
            "auto_pause_rules": normalize_auto_pause_rules(_builtins(data.auto_pause_rules)),
            "timezone": _timezone(data.timezone),
        }
        async with runtime.db.connection() as conn:
            if data.mode == "live" and data.trigger_condition is not None:
                await _check_trigger_attribute(conn, org_id, data.trigger_condition)
            pool = await _checked_pool(conn, org_id, data.did_pool)
            row = await programs.insert_program(
                conn,
                id=ids.new_id(),
                org_id=org_id,
                name=data.name,
                description=data.description,
                mode=data.mode,
                flow_id=data.flow_id,
                audience_id=data.audience_id,
                start_at=data.start_at,
                stop_at=data.stop_at,
                did_pool=pool,
                trigger_condition=_builtins(data.trigger_condition),
                concurrency=data.concurrency,
                calls_per_second=data.calls_per_second,
                recipient_timezones=data.recipient_timezones,
                **values,
            )
            return (await _responses(conn, org_id, [row], org_timezone))[0]

    @get(
        "/",
        operation_id="listPrograms",
        summary="List the organization's programs (paged)",
        status_code=200,
        responses=error_responses(400, 401),
    )
    async def list(
        self,
        org_id: NamedDependency[str],
        org_timezone: NamedDependency[str],
        runtime: NamedDependency[Runtime],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Search = None,
        sort_by: ProgramSortBy = None,
        sort_order: SortOrder = None,
        status: ProgramStatusFilter = None,
        mode: ProgramModeFilter = None,
    ) -> Page[ProgramResponse]:
        q = page_query(page, limit, search, sort_by, sort_order, sortable=list(_PROGRAM_SORT))
        async with runtime.db.connection() as conn:
            rows, total = await programs.list_programs(
                conn,
                org_id,
                search=q.search,
                sort=_PROGRAM_SORT[q.sort_by],
                order=q.sort_order,
                limit=q.limit,
                offset=q.offset,
                status=status,
                mode=mode,
            )
            return page_of(await _responses(conn, org_id, rows, org_timezone), total, q)

    @get(
        "/{program_id:str}",
        operation_id="getProgram",
        summary="Get a program",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=PROGRAM_NOT_FOUND),
    )
    async def get(
        self,
        program_id: FromPath[str],
        org_id: NamedDependency[str],
        org_timezone: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> ProgramResponse:
        async with runtime.db.connection() as conn:
            row = await programs.get_program(conn, org_id, parse_uuid(program_id))
            if row is None:
                raise errors.program_not_found()
            return (await _responses(conn, org_id, [row], org_timezone))[0]

    async def _update(
        self, program_id: str, data: UpdateProgramRequest, org_id: str, org_timezone: str, runtime: Runtime
    ) -> ProgramResponse:
        program_id = parse_uuid(program_id)
        async with runtime.db.connection() as conn:
            row = await programs.get_program(conn, org_id, program_id, for_update=True)
            if row is None:
                raise errors.program_not_found()
            changes = await _changes(conn, row, data, org_id)
            updated = await programs.update_program(conn, org_id, program_id, changes)
            assert updated is not None
            return (await _responses(conn, org_id, [updated], org_timezone))[0]

    @put(
        "/{program_id:str}",
        operation_id="replaceProgram",
        summary="Update a program (partial, like PATCH: absent fields are kept, null clears)",
        status_code=200,
        responses=PROGRAM_WRITE_ERRORS,
    )
    async def update_put(
        self,
        program_id: FromPath[str],
        data: JSONBody[UpdateProgramRequest],
        org_id: NamedDependency[str],
        org_timezone: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> ProgramResponse:
        return await self._update(program_id, data, org_id, org_timezone, runtime)

    @patch(
        "/{program_id:str}",
        operation_id="updateProgram",
        summary="Update a program (partial: absent fields are kept, null clears)",
        status_code=200,
        responses=PROGRAM_WRITE_ERRORS,
    )
    async def update_patch(
        self,
        program_id: FromPath[str],
        data: JSONBody[UpdateProgramRequest],
        org_id: NamedDependency[str],
        org_timezone: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> ProgramResponse:
        return await self._update(program_id, data, org_id, org_timezone, runtime)

    @delete(
        "/{program_id:str}",
        operation_id="deleteProgram",
        summary="Delete a program (soft)",
        status_code=200,
        responses=error_responses(
            400,
            401,
            404,
            409,
            e404=PROGRAM_NOT_FOUND,
            e409="ProgramStatusConflictError: the program has an unfinished execution (cancel it first)",
        ),
    )
    async def remove(
        self, program_id: FromPath[str], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> MessageResponse:
        program_id = parse_uuid(program_id)
        async with runtime.db.connection() as conn:
            if await programs.get_program(conn, org_id, program_id, for_update=True) is None:
                raise errors.program_not_found()
            if await repo.live_execution_of_program(conn, program_id):
                raise program_errors.program_has_unfinished_execution()
            await programs.delete_program(conn, org_id, program_id)
        return MessageResponse(message="Program deleted")

    @post(
        "/{program_id:str}/launch",
        operation_id="launchProgram",
        summary="Launch a program: a batch one snapshots its audience, a live one calls as triggers come",
        status_code=201,
        responses=error_responses(
            400,
            401,
            404,
            409,
            e400="AudienceEmptyError, ExecutionAlreadyRunningError or EmptyDidPoolError",
            e404=f"{PROGRAM_NOT_FOUND}, or FlowNotFoundError (the program's flow was deleted)",
            e409=(
                "ProgramStatusConflictError: the program is archived; "
                "IdempotencyKeyReusedError: the Idempotency-Key launched another program"
            ),
        ),
    )
    async def launch(
        self,
        program_id: FromPath[str],
        org_id: NamedDependency[str],
        org_timezone: NamedDependency[str],
        scheduler: NamedDependency[Scheduler],
        idempotency_key: IdempotencyKey = None,
    ) -> LaunchResponse:
        """201 ``{"executionId"}``: the execution is created (a `draft` program becomes `active`).
        The same ``Idempotency-Key`` answers the same execution again."""
        execution_id = await scheduler.launch(
            org_id, parse_uuid(program_id), idempotency_key=idempotency_key, org_timezone=org_timezone
        )
        return LaunchResponse(execution_id=execution_id)


async def _changes(conn: repo.Conn, row: repo.Row, data: UpdateProgramRequest, org_id: str) -> dict[str, Any]:
    """The columns an update changes, after every check (statuses, mode, times, pool)."""
    given = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    changes: dict[str, Any] = {}
    status = await _status_change(conn, row, given.pop("status", None), bool(given))
    if status is not None:
        changes["status"] = status
    if "trigger_condition" in given and row["mode"] != "live":
        _mode_rules(row["mode"], audience_id=row["audience_id"], has_trigger=True)
    if row["mode"] == "live" and given.get("trigger_condition") is not None:
        await _check_trigger_attribute(conn, org_id, given["trigger_condition"])
    start_at = given.get("start_at", row["start_at"])
    stop_at = given.get("stop_at", row["stop_at"])
    if "start_at" in given or "stop_at" in given:
        _check_times(start_at, stop_at, stop_given="stop_at" in given)
    for key in ("name", "description", "start_at", "stop_at", "concurrency", "calls_per_second", "recipient_timezones"):
        if key in given:
            changes[key] = given[key]
    if "timezone" in given:
        changes["timezone"] = _timezone(given["timezone"])
    if "trigger_condition" in given:
        changes["trigger_condition"] = _builtins(given["trigger_condition"])
    if "retry_strategy" in given:
        changes["retry_strategy"] = normalize_retry_strategy(given["retry_strategy"])
    if "pause_windows" in given:
        changes["pause_windows"] = normalize_pause_windows(_builtins(given["pause_windows"]))
    if "auto_pause_rules" in given:
        changes["auto_pause_rules"] = normalize_auto_pause_rules(_builtins(given["auto_pause_rules"]))
    if "did_pool" in given:
        changes["did_pool"] = await _checked_pool(conn, org_id, given["did_pool"])
    return changes


async def _status_change(conn: repo.Conn, row: repo.Row, requested: str | None, other_changes: bool) -> str | None:
    """Updates archive and un-archive; ``draft`` → ``active`` is the launch's. An archived program
    takes no other change until it is un-archived (in the same request is fine)."""
    current = row["status"]
    if current == "archived":
        if requested in (None, "archived"):
            if other_changes:
                raise program_errors.archived_program_unchanged()
            return None
        restored = "active" if await repo.execution_count(conn, str(row["id"])) else "draft"
        if requested != restored:
            raise program_errors.status_not_settable(current, requested)
        return restored
    if requested is None or requested == current:
        return None
    if requested == "archived":
        return "archived"
    raise program_errors.status_not_settable(current, requested)


# -- the organization's calling limits --------------------------------------------------------
def _limits(row: repo.Row | None) -> CallingLimitsResponse:
    if row is None:
        d = programs.limit_settings().org_defaults
        return CallingLimitsResponse(
            max_concurrent_calls=d.max_concurrent_calls,
            max_calls_per_second=d.max_calls_per_second,
            is_default=True,
            updated_at=None,
        )
    return CallingLimitsResponse(
        max_concurrent_calls=int(row["max_concurrent_calls"]),
        max_calls_per_second=float(row["max_calls_per_second"]),
        is_default=False,
        updated_at=row["updated_at"],
    )


class CallingLimitsController(Controller):
    """Callcast extension: the organization's limits over all its programs' calls."""

    path = "/api/calling-limits"
    tags = ["Calling limits"]

    @get(
        "/",
        operation_id="getCallingLimits",
        summary="The organization's calling limits (the service's defaults until it sets its own)",
        status_code=200,
        responses=error_responses(400, 401),
    )
    async def get(self, org_id: NamedDependency[str], runtime: NamedDependency[Runtime]) -> CallingLimitsResponse:
        async with runtime.db.connection() as conn:
            return _limits(await programs.org_limits_row(conn, parse_uuid(org_id, "organizationId")))

    @put(
        "/",
        operation_id="putCallingLimits",
        summary="Set the organization's calling limits (both values; a program's own lower limit still wins)",
        status_code=200,
        responses=error_responses(400, 401),
    )
    async def put(
        self, data: JSONBody[CallingLimitsRequest], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> CallingLimitsResponse:
        limits = CallingLimits(data.max_concurrent_calls, data.max_calls_per_second)
        async with runtime.db.connection() as conn:
            return _limits(await programs.put_org_limits(conn, parse_uuid(org_id, "organizationId"), limits))
