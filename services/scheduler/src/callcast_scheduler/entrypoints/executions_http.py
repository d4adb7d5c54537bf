"""HTTP: program executions (digest §11.1): read, list, their contacts, and the lifecycle actions.

Paths: ``GET /program-executions/:id``, ``PATCH /program-executions/:id/pause|resume|cancel``
(cancel's path is inferred in the digest), ``GET /program-executions/:id/contacts`` (per-contact
statuses), ``GET /program-executions`` (the organization's executions; ``status`` filters, e.g.
``status=running,paused`` for the active ones, whose path the digest did not capture) and
``GET /programs/:id/executions`` (one program's; path inferred).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from callcast_runtime.api import Page, page_of, page_query, parse_uuid
from callcast_runtime.errors import ValidationFailed
from callcast_runtime.messaging import AppendConflict
from callcast_scheduler.adapters import program_repository as programs
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.domain import errors
from callcast_scheduler.domain import execution_status as st
from callcast_scheduler.domain.execution_schemas import (
    CancelExecutionRequest,
    ContactStatusCounts,
    ExecutionContactResponse,
    ExecutionForecast,
    ExecutionResponse,
    PauseExecutionRequest,
    ResumeExecutionRequest,
)
from callcast_scheduler.domain.forecast import forecast
from callcast_scheduler.domain.progress import JOB_STATES, Counters
from callcast_scheduler.domain.windows import PauseSchedule
from callcast_scheduler.entrypoints.openapi import PageLimit, PageNumber, SortOrder, error_responses
from callcast_scheduler.handlers import Scheduler

#: The forecast's assumed mean call length (seconds), until call durations are measured.
MEAN_CALL_SECONDS = 45.0
EXECUTION_NOT_FOUND = "ExecutionNotFoundError: no such execution in the organization"
STATUS_CONFLICT = "ExecutionStatusConflictError: the execution's status does not allow the action"

ExecutionSortBy = Annotated[
    str | None,
    QueryParameter(
        name="sortBy",
        description="createdAt | updatedAt | status (default createdAt)",
        schema_extra={"enum": list(repo.EXECUTION_SORTS)},
    ),
]
ExecutionStatusFilter = Annotated[
    str | None,
    QueryParameter(description="Only executions in these statuses, comma-separated (e.g. running,paused,scheduled)"),
]
ContactSortBy = Annotated[
    str | None,
    QueryParameter(
        name="sortBy",
        description="updatedAt | status | attempts | phone (default updatedAt)",
        schema_extra={"enum": list(repo.JOB_SORTS)},
    ),
]
ContactStatusFilter = Annotated[
    str | None,
    QueryParameter(description="Only contacts in these per-contact statuses, comma-separated (e.g. pending_retry)"),
]
ContactSearch = Annotated[str | None, QueryParameter(description="Substring of the phone number")]


def _statuses(raw: str | None, allowed: tuple[str, ...], field: str = "status") -> list[str] | None:
    if raw is None or raw == "":
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise ValidationFailed.single(field, f"{field} must be one of: {', '.join(allowed)}", "isEnum")
    return values


def execution_response(ex: repo.Row, retry_times: list[datetime] | None, now: datetime) -> ExecutionResponse:
    c = Counters.from_row(ex)
    status = str(ex["status"])
    schedule = PauseSchedule.from_windows(ex["pause_windows"], str(ex["timezone"])) if ex["pause_windows"] else None
    effective = st.effective_status(
        status,
        window_paused=schedule is not None and schedule.is_paused(now),
        before_start=now < ex["scheduled_start_at"],
    )
    outlook = None
    if status not in st.TERMINAL and retry_times is not None:
        f = forecast(
            now,
            remaining_first_attempts=c.never_attempted,
            pending_retries=retry_times,
            in_progress=c.in_progress,
            concurrency=max(1, int(ex["concurrency"])),
            calls_per_second=ex["calls_per_second"],
            mean_call_seconds=MEAN_CALL_SECONDS,
            schedule=schedule,
            stop_at=ex["scheduled_stop_at"],
            start_at=ex["scheduled_start_at"],
            retry_strategy=dict(ex["retry_strategy"]),
        )
        outlook = ExecutionForecast(
            estimated_completion_at=f.estimated_completion_at,
            contacts_at_risk_of_stop=f.contacts_at_risk_of_stop,
            warnings=list(f.warnings),
        )
    return ExecutionResponse(
        id=str(ex["id"]),
        program_id=str(ex["program_id"]),
        organization_id=str(ex["org_id"]),
        audience_id=str(ex["audience_id"]) if ex["audience_id"] else None,
        flow_id=str(ex["flow_id"]),
        flow_version=int(ex["flow_version"]),
        status=status,
        effective_status=effective,
        total_contacts=c.total,
        contacts_completed=c.completed,
        contacts_failed=c.failed,
        contacts_pending=c.pending,
        contacts_in_progress=c.in_progress,
        contact_statuses=ContactStatusCounts(
            pending=c.pending - c.pending_retry,
            queued=c.queued,
            calling=c.calling,
            pending_retry=c.pending_retry,
            completed=c.completed,
            failed=c.failed - c.skipped,
            skipped=c.skipped,
        ),
        scheduled_start_at=ex["scheduled_start_at"],
        scheduled_stop_at=ex["scheduled_stop_at"],
        actual_start_at=ex["actual_start_at"],
        actual_end_at=ex["actual_end_at"],
        auto_pause_rules=list(ex["auto_pause_rules"]) if ex["auto_pause_rules"] is not None else None,
        pause_reason=ex["pause_reason"] if status in st.PAUSED_STATUSES else None,
        paused_node_id=ex["paused_node_id"] if status in st.PAUSED_STATUSES else None,
        timezone=str(ex["timezone"]),
        pause_windows=ex["pause_windows"],
        forecast=outlook,
        created_at=ex["created_at"],
        updated_at=ex["updated_at"],
    )


async def _answer(scheduler: Scheduler, org_id: str, execution_id: str) -> ExecutionResponse:
    async with scheduler.rt.db.connection() as conn:
        ex = await repo.get_execution(conn, org_id, execution_id)
        if ex is None:
            raise errors.execution_not_found()
        retry_times = None if ex["status"] in st.TERMINAL else await repo.pending_retry_times(conn, execution_id)
    return execution_response(ex, retry_times, datetime.now(UTC))


async def _act(scheduler: Scheduler, org_id: str, execution_id: str, action: Any) -> ExecutionResponse:
    try:
        await action
    except st.InvalidTransition as e:
        raise errors.execution_status_conflict(e.status, e.action_done) from None
    except AppendConflict:
        raise errors.execution_status_conflict("changing", "changed by two requests at once") from None
    return await _answer(scheduler, org_id, execution_id)


async def _page_of_executions(
    scheduler: Scheduler,
    org_id: str,
    program_id: str | None,
    page: int | None,
    limit: int | None,
    sort_by: str | None,
    sort_order: str | None,
    status: str | None,
) -> Page[ExecutionResponse]:
    q = page_query(page, limit, None, sort_by, sort_order, sortable=list(repo.EXECUTION_SORTS))
    statuses = _statuses(status, st.STATUSES)
    async with scheduler.rt.db.connection() as conn:
        if program_id is not None and await programs.get_program(conn, org_id, program_id) is None:
            raise errors.program_not_found()
        rows, total = await repo.list_executions(
            conn,
            org_id,
            program_id=program_id,
            statuses=statuses,
            sort=repo.EXECUTION_SORTS[q.sort_by],
            order=q.sort_order,
            limit=q.limit,
            offset=q.offset,
        )
    now = datetime.now(UTC)
    # No forecast in lists: it needs each execution's retry queue (GET one execution has it).
    return page_of([execution_response(r, None, now) for r in rows], total, q)


class ExecutionController(Controller):
    # Under /api rather than /api/program-executions: one program's executions live under
    # /programs/:id/executions.
    path = "/api"
    tags = ["Program executions"]

    @get(
        "/program-executions",
        operation_id="listProgramExecutions",
        summary="List the organization's executions (paged; status=running,paused,... filters)",
        status_code=200,
        responses=error_responses(400, 401),
    )
    async def list_all(
        self,
        org_id: NamedDependency[str],
        scheduler: NamedDependency[Scheduler],
        page: PageNumber = None,
        limit: PageLimit = None,
        sort_by: ExecutionSortBy = None,
        sort_order: SortOrder = None,
        status: ExecutionStatusFilter = None,
    ) -> Page[ExecutionResponse]:
        return await _page_of_executions(scheduler, org_id, None, page, limit, sort_by, sort_order, status)

    @get(
        "/program-executions/{execution_id:str}",
        operation_id="getProgramExecution",
        summary="Get an execution, its counters, effective status and forecast",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=EXECUTION_NOT_FOUND),
    )
    async def show(
        self, execution_id: FromPath[str], org_id: NamedDependency[str], scheduler: NamedDependency[Scheduler]
    ) -> ExecutionResponse:
        """The four counters always add up to ``totalContacts``; ``status`` is as stored and
        ``effectiveStatus`` computed (``paused_manual``, ``paused_window``)."""
        return await _answer(scheduler, org_id, parse_uuid(execution_id))

    @patch(
        "/program-executions/{execution_id:str}/pause",
        operation_id="pauseProgramExecution",
        summary="Pause: no new calls; calls in progress continue; retry schedules are kept",
        status_code=200,
        responses=error_responses(400, 401, 404, 409, e404=EXECUTION_NOT_FOUND, e409=STATUS_CONFLICT),
    )
    async def pause(
        self,
        execution_id: FromPath[str],
        org_id: NamedDependency[str],
        scheduler: NamedDependency[Scheduler],
        data: JSONBody[PauseExecutionRequest | None] = None,
    ) -> ExecutionResponse:
        eid = parse_uuid(execution_id)
        return await _act(scheduler, org_id, eid, scheduler.pause_execution(org_id, eid))

    @patch(
        "/program-executions/{execution_id:str}/resume",
        operation_id="resumeProgramExecution",
        summary="Resume a paused execution; autoPauseRules, when given, replace the execution's rules",
        status_code=200,
        responses=error_responses(400, 401, 404, 409, e404=EXECUTION_NOT_FOUND, e409=STATUS_CONFLICT),
    )
    async def resume(
        self,
        execution_id: FromPath[str],
        org_id: NamedDependency[str],
        scheduler: NamedDependency[Scheduler],
        data: JSONBody[ResumeExecutionRequest | None] = None,
    ) -> ExecutionResponse:
        eid = parse_uuid(execution_id)
        rules = data.auto_pause_rules if data is not None else None
        return await _act(scheduler, org_id, eid, scheduler.resume_execution(org_id, eid, rules))

    @patch(
        "/program-executions/{execution_id:str}/cancel",
        operation_id="cancelProgramExecution",
        summary="Cancel for good: no new calls, pending contacts skipped; calls in progress continue "
        "unless endLiveCalls",
        status_code=200,
        responses=error_responses(400, 401, 404, 409, e404=EXECUTION_NOT_FOUND, e409=STATUS_CONFLICT),
    )
    async def cancel(
        self,
        execution_id: FromPath[str],
        org_id: NamedDependency[str],
        scheduler: NamedDependency[Scheduler],
        data: JSONBody[CancelExecutionRequest | None] = None,
    ) -> ExecutionResponse:
        eid = parse_uuid(execution_id)
        end_live = data.end_live_calls if data is not None else False
        return await _act(scheduler, org_id, eid, scheduler.cancel_execution(org_id, eid, end_live_calls=end_live))

    @get(
        "/program-executions/{execution_id:str}/contacts",
        operation_id="listProgramExecutionContacts",
        summary="The execution's contacts with their per-contact status (paged; status=... filters)",
        status_code=200,
        responses=error_responses(400, 401, 404, e404=EXECUTION_NOT_FOUND),
    )
    async def contacts(
        self,
        execution_id: FromPath[str],
        org_id: NamedDependency[str],
        scheduler: NamedDependency[Scheduler],
        page: PageNumber = None,
        limit: PageLimit = None,
        search: ContactSearch = None,
        sort_by: ContactSortBy = None,
        sort_order: SortOrder = None,
        status: ContactStatusFilter = None,
    ) -> Page[ExecutionContactResponse]:
        eid = parse_uuid(execution_id)
        q = page_query(
            page, limit, search, sort_by, sort_order, sortable=list(repo.JOB_SORTS), default_sort="updatedAt"
        )
        statuses = _statuses(status, JOB_STATES)
        async with scheduler.rt.db.connection() as conn:
            if await repo.get_execution(conn, org_id, eid) is None:
                raise errors.execution_not_found()
            rows, total = await repo.list_jobs(
                conn,
                eid,
                statuses=statuses,
                search=q.search,
                sort=repo.JOB_SORTS[q.sort_by],
                order=q.sort_order,
                limit=q.limit,
                offset=q.offset,
            )
        items = [
            ExecutionContactResponse(
                job_id=str(r["id"]),
                contact_id=str(r["contact_id"]),
                phone=r["phone"],
                status=r["status"],
                attempts=int(r["attempts"]),
                last_outcome=r["last_outcome"],
                outcome_reason=r["outcome_reason"],
                next_attempt_at=r["next_attempt_at"] if r["status"] == "pending_retry" else None,
                updated_at=r["updated_at"],
            )
            for r in rows
        ]
        return page_of(items, total, q)

    @get(
        "/programs/{program_id:str}/executions",
        operation_id="listExecutionsOfProgram",
        summary="List one program's executions (paged; status=... filters)",
        status_code=200,
        responses=error_responses(400, 401, 404, e404="ProgramNotFoundError: no such program in the organization"),
    )
    async def list_of_program(
        self,
        program_id: FromPath[str],
        org_id: NamedDependency[str],
        scheduler: NamedDependency[Scheduler],
        page: PageNumber = None,
        limit: PageLimit = None,
        sort_by: ExecutionSortBy = None,
        sort_order: SortOrder = None,
        status: ExecutionStatusFilter = None,
    ) -> Page[ExecutionResponse]:
        pid = parse_uuid(program_id)
        return await _page_of_executions(scheduler, org_id, pid, page, limit, sort_by, sort_order, status)
