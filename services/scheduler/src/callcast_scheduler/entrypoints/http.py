"""HTTP: DIDs (digest §7) and programs (§8); executions are in ``executions_http``.

Every parameter is declared explicitly (litestar 2.25 style): bodies as ``JSONBody``, the
organization and the service objects as ``NamedDependency``, path and query values as
``FromPath``/``QueryParameter``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from callcast_contracts import ids
from callcast_runtime.api import Page, page_of, page_query, parse_uuid, require_tz
from callcast_runtime.errors import ValidationFailed
from callcast_runtime.service import Runtime
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.domain import errors
from callcast_scheduler.domain.retry import normalize_retry_strategy
from callcast_scheduler.domain.schemas import (
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
from callcast_scheduler.entrypoints.openapi import PageLimit, PageNumber, Search, SortOrder, error_responses
from callcast_scheduler.handlers import Scheduler

_DID_SORT = {"number": "number", "country": "country", "status": "status", "createdAt": "created_at"}
_PROGRAM_SORT = {"name": "name", "createdAt": "created_at", "updatedAt": "updated_at", "startAt": "start_at"}

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
        description="name | createdAt | updatedAt | startAt (default createdAt)",
        schema_extra={"enum": list(_PROGRAM_SORT)},
    ),
]
DidStatusFilter = Annotated[str | None, QueryParameter(description="Only DIDs in this status")]

DID_NOT_FOUND = "DidNotFoundError: no such DID in the organization (nor shared)"
PROGRAM_NOT_FOUND = "ProgramNotFoundError: no such program in the organization"


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


async def _list_dids(
    runtime: Runtime,
    org_id: str,
    page: int | None,
    limit: int | None,
    search: str | None,
    sort_by: str | None,
    sort_order: str | None,
    status: str | None,
) -> Page[DidResponse]:
    q = page_query(page, limit, search, sort_by, sort_order, sortable=list(_DID_SORT))
    async with runtime.db.connection() as conn:
        rows, total = await repo.list_dids(
            conn,
            org_id,
            search=q.search,
            sort=_DID_SORT[q.sort_by],
            order=q.sort_order,
            limit=q.limit,
            offset=q.offset,
            status=status,
        )
    return page_of([_did(r) for r in rows], total, q)


class DidController(Controller):
    path = "/api/dids"
    tags = ["DIDs"]

    @post(
        "/",
        operation_id="createDid",
        summary="Create a DID (caller number) for the organization",
        status_code=201,
        responses=error_responses(400, 401),
    )
    async def create(
        self, data: JSONBody[CreateDidRequest], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> DidResponse:
        async with runtime.db.connection() as conn:
            row = await repo.insert_did(
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
    ) -> Page[DidResponse]:
        return await _list_dids(runtime, org_id, page, limit, search, sort_by, sort_order, status)

    @get(
        "/available",
        operation_id="listAvailableDids",
        summary="DIDs this organization may use as caller ids",
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
    ) -> Page[DidResponse]:
        return await _list_dids(runtime, org_id, page, limit, search, sort_by, sort_order, "active")

    @get(
        "/{did_id:str}",
        operation_id="getDid",
        summary="Get a DID",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=DID_NOT_FOUND),
    )
    async def get(
        self, did_id: FromPath[str], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> DidResponse:
        async with runtime.db.connection() as conn:
            row = await repo.get_did(conn, org_id, parse_uuid(did_id))
        if row is None:
            raise errors.did_not_found()
        return _did(row)

    @put(
        "/{did_id:str}",
        operation_id="updateDid",
        summary="Update one of the organization's DIDs (partial)",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=DID_NOT_FOUND),
    )
    async def update(
        self,
        did_id: FromPath[str],
        data: JSONBody[UpdateDidRequest],
        org_id: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> DidResponse:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        async with runtime.db.connection() as conn:
            row = await repo.update_did(conn, org_id, parse_uuid(did_id), changes)
        if row is None:
            raise errors.did_not_found()
        return _did(row)

    @delete(
        "/{did_id:str}",
        operation_id="deleteDid",
        summary="Delete one of the organization's DIDs (soft)",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=DID_NOT_FOUND),
    )
    async def remove(
        self, did_id: FromPath[str], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> MessageResponse:
        async with runtime.db.connection() as conn:
            if not await repo.delete_did(conn, org_id, parse_uuid(did_id)):
                raise errors.did_not_found()
        return MessageResponse(message="DID deleted")


async def _program_response(conn: repo.Conn, row: repo.Row) -> ProgramResponse:
    pool = [str(d) for d in row["did_pool"]]
    dids = await repo.dids_by_ids(conn, str(row["org_id"]), pool)
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
        did_pool=[
            ResolvedDid(id=d, number=dids[d]["number"], country=dids[d]["country"], status=dids[d]["status"])
            for d in pool
            if d in dids
        ],
        retry_strategy=dict(row["retry_strategy"]),
        pause_windows=row["pause_windows"],
        auto_pause_rules=row["auto_pause_rules"],
        concurrency=int(row["concurrency"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _check_did_pool(conn: repo.Conn, org_id: str, pool: list[str]) -> None:
    dids = await repo.dids_by_ids(conn, org_id, pool)
    for did_id in pool:
        did = dids.get(did_id)
        if did is None:
            raise errors.did_not_found(did_id)
        if not did["is_shared"] and str(did["org_id"]) != org_id:
            # Another org's DID is invisible: say not found, never confirm it exists.
            raise errors.did_not_found(did_id)
        if did["status"] != "active":
            raise errors.did_not_active(did_id)


def _check_program_times(data: CreateProgramRequest | UpdateProgramRequest) -> None:
    if data.start_at is not None:
        require_tz(data.start_at, "startAt")
    if data.stop_at is not None:
        require_tz(data.stop_at, "stopAt")
    if data.start_at and data.stop_at and data.stop_at <= data.start_at:
        raise ValidationFailed.single("stopAt", "stopAt must be after startAt", "isAfter")


PROGRAM_WRITE_ERRORS = error_responses(
    400,
    401,
    404,
    e400="VALIDATION_FAILED (e.g. `retryStrategy.<field>`) or DidNotActiveError",
    e404=f"{DID_NOT_FOUND} (a didPool entry), or {PROGRAM_NOT_FOUND}",
)


class ProgramController(Controller):
    path = "/api/programs"
    tags = ["Programs"]

    @post(
        "/",
        operation_id="createProgram",
        summary="Create a program (201 Program created)",
        status_code=201,
        responses=PROGRAM_WRITE_ERRORS,
    )
    async def create(
        self, data: JSONBody[CreateProgramRequest], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> ProgramResponse:
        _check_program_times(data)
        if data.mode == "batch" and not data.audience_id:
            raise ValidationFailed.single("audienceId", "audienceId is required for a batch program", "required")
        if data.mode == "batch" and data.trigger_condition is not None:
            raise ValidationFailed.single("triggerCondition", "triggerCondition is not allowed for batch", "forbidden")
        if data.mode == "live":
            raise ValidationFailed.single("mode", "live programs are not supported yet", "isEnum")
        retry = normalize_retry_strategy(data.retry_strategy)
        pool = [parse_uuid(d, "didPool") for d in data.did_pool]
        async with runtime.db.connection() as conn:
            await _check_did_pool(conn, org_id, pool)
            row = await repo.insert_program(
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
                retry_strategy=retry,
                pause_windows=msgspec.to_builtins(data.pause_windows) if data.pause_windows else None,
                auto_pause_rules=msgspec.to_builtins(data.auto_pause_rules) if data.auto_pause_rules else None,
                concurrency=data.concurrency,
            )
            return await _program_response(conn, row)

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
        runtime: NamedDependency[Runtime],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: Search = None,
        sort_by: ProgramSortBy = None,
        sort_order: SortOrder = None,
    ) -> Page[ProgramResponse]:
        q = page_query(page, limit, search, sort_by, sort_order, sortable=list(_PROGRAM_SORT))
        async with runtime.db.connection() as conn:
            rows, total = await repo.list_programs(
                conn,
                org_id,
                search=q.search,
                sort=_PROGRAM_SORT[q.sort_by],
                order=q.sort_order,
                limit=q.limit,
                offset=q.offset,
            )
            return page_of([await _program_response(conn, r) for r in rows], total, q)

    @get(
        "/{program_id:str}",
        operation_id="getProgram",
        summary="Get a program",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=PROGRAM_NOT_FOUND),
    )
    async def get(
        self, program_id: FromPath[str], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> ProgramResponse:
        async with runtime.db.connection() as conn:
            row = await repo.get_program(conn, org_id, parse_uuid(program_id))
            if row is None:
                raise errors.program_not_found()
            return await _program_response(conn, row)

    async def _update(
        self, program_id: str, data: UpdateProgramRequest, org_id: str, runtime: Runtime
    ) -> ProgramResponse:
        _check_program_times(data)
        changes: dict[str, Any] = {}
        for key in ("name", "description", "start_at", "stop_at", "concurrency", "status"):
            value = getattr(data, key)
            if value is not None:
                changes[key] = value
        if data.retry_strategy is not None:
            changes["retry_strategy"] = normalize_retry_strategy(data.retry_strategy)
        if data.pause_windows is not None:
            changes["pause_windows"] = msgspec.to_builtins(data.pause_windows)
        if data.auto_pause_rules is not None:
            changes["auto_pause_rules"] = msgspec.to_builtins(data.auto_pause_rules)
        async with runtime.db.connection() as conn:
            if data.did_pool is not None:
                pool = [parse_uuid(d, "didPool") for d in data.did_pool]
                await _check_did_pool(conn, org_id, pool)
                changes["did_pool"] = pool
            row = await repo.update_program(conn, org_id, parse_uuid(program_id), changes)
            if row is None:
                raise errors.program_not_found()
            return await _program_response(conn, row)

    @put(
        "/{program_id:str}",
        operation_id="replaceProgram",
        summary="Update a program (partial, like PATCH)",
        status_code=200,
        responses=PROGRAM_WRITE_ERRORS,
    )
    async def update_put(
        self,
        program_id: FromPath[str],
        data: JSONBody[UpdateProgramRequest],
        org_id: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> ProgramResponse:
        return await self._update(program_id, data, org_id, runtime)

    @patch(
        "/{program_id:str}",
        operation_id="updateProgram",
        summary="Update a program (partial)",
        status_code=200,
        responses=PROGRAM_WRITE_ERRORS,
    )
    async def update_patch(
        self,
        program_id: FromPath[str],
        data: JSONBody[UpdateProgramRequest],
        org_id: NamedDependency[str],
        runtime: NamedDependency[Runtime],
    ) -> ProgramResponse:
        return await self._update(program_id, data, org_id, runtime)

    @delete(
        "/{program_id:str}",
        operation_id="deleteProgram",
        summary="Delete a program (soft)",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=PROGRAM_NOT_FOUND),
    )
    async def remove(
        self, program_id: FromPath[str], org_id: NamedDependency[str], runtime: NamedDependency[Runtime]
    ) -> MessageResponse:
        async with runtime.db.connection() as conn:
            if not await repo.delete_program(conn, org_id, parse_uuid(program_id)):
                raise errors.program_not_found()
        return MessageResponse(message="Program deleted")

    @post(
        "/{program_id:str}/launch",
        operation_id="launchProgram",
        summary="Launch a batch program: snapshot its audience into a new execution",
        status_code=201,
        responses=error_responses(
            400,
            401,
            404,
            409,
            e400="AudienceEmptyError, ExecutionAlreadyRunningError or EmptyDidPoolError",
            e404=f"{PROGRAM_NOT_FOUND}, or FlowNotFoundError (the program's flow was deleted)",
            e409="ProgramStatusConflictError: the program is archived",
        ),
    )
    async def launch(
        self, program_id: FromPath[str], org_id: NamedDependency[str], scheduler: NamedDependency[Scheduler]
    ) -> LaunchResponse:
        """201 ``{"executionId"}``: the execution is created (a `draft` program becomes `active`)."""
        execution_id = await scheduler.launch(org_id, parse_uuid(program_id))
        return LaunchResponse(execution_id=execution_id)
