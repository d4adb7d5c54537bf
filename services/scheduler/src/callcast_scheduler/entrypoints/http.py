"""HTTP: DIDs (digest §7), programs (§8) and program executions (§11.1)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.params import Parameter

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
    ExecutionResponse,
    LaunchResponse,
    ProgramResponse,
    ResolvedDid,
    UpdateDidRequest,
    UpdateProgramRequest,
)
from callcast_scheduler.handlers import Scheduler

_DID_SORT = {"number": "number", "country": "country", "status": "status", "createdAt": "created_at"}
_PROGRAM_SORT = {"name": "name", "createdAt": "created_at", "updatedAt": "updated_at", "startAt": "start_at"}


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

    @post("/", operation_id="createDid", summary="Create a DID (caller number) for the organization")
    async def create(self, data: CreateDidRequest, org_id: str, runtime: Runtime) -> DidResponse:
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

    @get("/", operation_id="listDids")
    async def list(
        self,
        org_id: str,
        runtime: Runtime,
        page: int | None = None,
        limit: int | None = None,
        search: str | None = None,
        sort_by: str | None = Parameter(query="sortBy", default=None),
        sort_order: str | None = Parameter(query="sortOrder", default=None),
        status: str | None = None,
    ) -> Page[DidResponse]:
        return await _list_dids(runtime, org_id, page, limit, search, sort_by, sort_order, status)

    @get("/available", operation_id="listAvailableDids", summary="DIDs this organization may use as caller ids")
    async def available(
        self,
        org_id: str,
        runtime: Runtime,
        page: int | None = None,
        limit: int | None = None,
        search: str | None = None,
        sort_by: str | None = Parameter(query="sortBy", default=None),
        sort_order: str | None = Parameter(query="sortOrder", default=None),
    ) -> Page[DidResponse]:
        return await _list_dids(runtime, org_id, page, limit, search, sort_by, sort_order, "active")

    @get("/{did_id:str}", operation_id="getDid")
    async def get(self, did_id: str, org_id: str, runtime: Runtime) -> DidResponse:
        async with runtime.db.connection() as conn:
            row = await repo.get_did(conn, org_id, parse_uuid(did_id))
        if row is None:
            raise errors.did_not_found()
        return _did(row)

    @put("/{did_id:str}", operation_id="updateDid")
    async def update(self, did_id: str, data: UpdateDidRequest, org_id: str, runtime: Runtime) -> DidResponse:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        async with runtime.db.connection() as conn:
            row = await repo.update_did(conn, org_id, parse_uuid(did_id), changes)
        if row is None:
            raise errors.did_not_found()
        return _did(row)

    @delete("/{did_id:str}", operation_id="deleteDid", status_code=200)
    async def remove(self, did_id: str, org_id: str, runtime: Runtime) -> dict[str, str]:
        async with runtime.db.connection() as conn:
            if not await repo.delete_did(conn, org_id, parse_uuid(did_id)):
                raise errors.did_not_found()
        return {"message": "DID deleted"}


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


class ProgramController(Controller):
    path = "/api/programs"
    tags = ["Programs"]

    @post("/", operation_id="createProgram", summary="Create a program (201 Program created)")
    async def create(self, data: CreateProgramRequest, org_id: str, runtime: Runtime) -> ProgramResponse:
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

    @get("/", operation_id="listPrograms")
    async def list(
        self,
        org_id: str,
        runtime: Runtime,
        page: int | None = None,
        limit: int | None = None,
        search: str | None = None,
        sort_by: str | None = Parameter(query="sortBy", default=None),
        sort_order: str | None = Parameter(query="sortOrder", default=None),
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

    @get("/{program_id:str}", operation_id="getProgram")
    async def get(self, program_id: str, org_id: str, runtime: Runtime) -> ProgramResponse:
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

    @put("/{program_id:str}", operation_id="replaceProgram")
    async def update_put(
        self, program_id: str, data: UpdateProgramRequest, org_id: str, runtime: Runtime
    ) -> ProgramResponse:
        return await self._update(program_id, data, org_id, runtime)

    @patch("/{program_id:str}", operation_id="updateProgram")
    async def update_patch(
        self, program_id: str, data: UpdateProgramRequest, org_id: str, runtime: Runtime
    ) -> ProgramResponse:
        return await self._update(program_id, data, org_id, runtime)

    @delete("/{program_id:str}", operation_id="deleteProgram", status_code=200)
    async def remove(self, program_id: str, org_id: str, runtime: Runtime) -> dict[str, str]:
        async with runtime.db.connection() as conn:
            if not await repo.delete_program(conn, org_id, parse_uuid(program_id)):
                raise errors.program_not_found()
        return {"message": "Program deleted"}

    @post("/{program_id:str}/launch", operation_id="launchProgram", status_code=201)
    async def launch(self, program_id: str, org_id: str, scheduler: Scheduler) -> LaunchResponse:
        execution_id = await scheduler.launch(org_id, parse_uuid(program_id))
        return LaunchResponse(execution_id=execution_id)


class ExecutionController(Controller):
    path = "/api/program-executions"
    tags = ["Program executions"]

    @get("/{execution_id:str}", operation_id="getProgramExecution")
    async def get(self, execution_id: str, org_id: str, scheduler: Scheduler) -> ExecutionResponse:
        ex, c = await scheduler.counters(org_id, parse_uuid(execution_id))
        return ExecutionResponse(
            id=str(ex["id"]),
            program_id=str(ex["program_id"]),
            organization_id=str(ex["org_id"]),
            audience_id=str(ex["audience_id"]) if ex["audience_id"] else None,
            flow_id=str(ex["flow_id"]),
            flow_version=int(ex["flow_version"]),
            status=ex["status"],
            total_contacts=c.total,
            contacts_completed=c.completed,
            contacts_failed=c.failed,
            contacts_pending=c.pending,
            contacts_in_progress=c.in_progress,
            scheduled_start_at=ex["scheduled_start_at"],
            scheduled_stop_at=ex["scheduled_stop_at"],
            actual_start_at=ex["actual_start_at"],
            actual_end_at=ex["actual_end_at"],
            auto_pause_rules=None,
            created_at=ex["created_at"],
            updated_at=ex["updated_at"],
        )
