"""``/api/call-report/{jobId}``, ``/api/calls`` and ``/api/calls/{callId}``: read-only views."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from callcast_reporting import handlers
from callcast_reporting.adapters.queries import CALL_SORT_COLUMNS, CallFilters
from callcast_reporting.domain.report import CallReport, CallRow
from callcast_reporting.domain.statuses import CALL_DIALING, CALL_IN_PROGRESS, CALL_QUEUED, CALL_RINGING, OUTCOMES
from callcast_runtime.api import Page, page_query, parse_uuid
from callcast_runtime.errors import PROBLEM_JSON, NotFound, ValidationFailed
from callcast_runtime.service import Runtime

CALL_STATUSES = (CALL_QUEUED, CALL_DIALING, CALL_RINGING, CALL_IN_PROGRESS, *OUTCOMES)


def _problem(description: str) -> ResponseSpec:
    """An error answer as documented: the Gomobile error body as an RFC 9457 problem document."""
    return ResponseSpec(data_container=dict[str, Any], description=description, media_type=PROBLEM_JSON)


UNAUTHORIZED = {401: _problem("No organization (the gateway sets X-Callcast-Org-Id after authenticating)")}


def _uuid_or_none(value: str | None, field: str) -> str | None:
    return None if value is None else parse_uuid(value, field)


def _one_of(value: str | None, field: str, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise ValidationFailed.single(field, f"{field} must be one of: {', '.join(allowed)}", "isEnum", allowed=allowed)
    return value


class CallReportController(Controller):
    path = "/api"
    tags = ["Call reports"]

    @get(
        "/call-report/{job_id:str}",
        operation_id="getCallReport",
        summary="The report of one job: status, attempts, the latest call, its flow walk, the event timeline",
        responses={
            400: _problem("jobId is not a UUID"),
            **UNAUTHORIZED,
            404: _problem("CallReportNotFoundError: no such job in your organization"),
        },
    )
    async def get_call_report(
        self,
        runtime: NamedDependency[Runtime],
        org_id: NamedDependency[str],
        job_id: Annotated[str, PathParameter(description="The job id (from a call request or a launch's jobs)")],
    ) -> CallReport:
        """``status`` is ``queued`` | ``active`` | ``completed`` | ``failed``. Until the scheduler
        closes the job it follows the latest attempt: ``queued`` before that call starts and while
        a retry waits, ``active`` while the call runs and until the scheduler decides what comes
        next; ``outcome`` is then the latest attempt's. ``attempts`` lists every attempt; ``call``
        and ``flowExecution`` describe the latest one (null before it exists or starts). ``events``
        lists every attempt's events in order: ``type`` is the node type for node events
        (``dial``, ``play``, ``dtmf``, ``record``, ``condition``, ``set_variable``, ``hangup``)
        and ``initiated``, ``ringing``, ``answer``, ``playback`` (a prompt's media facts) or
        ``ended`` for call events; ``data.attemptId`` names the attempt and events about a node
        carry ``data.nodeContext``. Tolerate types you do not know."""
        report = await handlers.call_report(runtime.db, org_id, parse_uuid(job_id, "jobId"))
        if report is None:
            raise NotFound("Call report not found", code="CallReportNotFoundError")
        return report

    @get(
        "/calls",
        operation_id="listCalls",
        summary="Call attempts, one row per attempt, each with its jobId",
        responses={400: _problem("A query parameter is invalid (named in fieldErrors)"), **UNAUTHORIZED},
    )
    async def list_calls(
        self,
        runtime: NamedDependency[Runtime],
        org_id: NamedDependency[str],
        page: Annotated[int | None, QueryParameter(description="Page number, from 1")] = None,
        limit: Annotated[int | None, QueryParameter(description="Rows per page, 1–100 (default 20)")] = None,
        search: Annotated[str | None, QueryParameter(description="Part of the called or calling number")] = None,
        sort_by: Annotated[
            str | None, QueryParameter(name="sortBy", description="createdAt (default) | terminatedAt | durationMs")
        ] = None,
        sort_order: Annotated[str | None, QueryParameter(name="sortOrder", description="asc | desc (default)")] = None,
        execution_id: Annotated[str | None, QueryParameter(name="executionId", description="An execution")] = None,
        program_id: Annotated[str | None, QueryParameter(name="programId", description="A program")] = None,
        job_id: Annotated[str | None, QueryParameter(name="jobId", description="A job")] = None,
        contact_id: Annotated[str | None, QueryParameter(name="contactId", description="A contact")] = None,
        outcome: Annotated[str | None, QueryParameter(description=f"One of: {', '.join(OUTCOMES)}")] = None,
        status: Annotated[
            str | None, QueryParameter(description="queued | dialing | ringing | in_progress | an outcome")
        ] = None,
    ) -> Page[CallRow]:
        """Rows sort by ``createdAt`` (default), ``terminatedAt`` or ``durationMs``; calls without
        the sort value come last. A row appears when the scheduler queues the attempt
        (``status`` ``queued``) and follows the call to its outcome."""
        q = page_query(page, limit, search, sort_by, sort_order, sortable=tuple(CALL_SORT_COLUMNS))
        filters = CallFilters(
            execution_id=_uuid_or_none(execution_id, "executionId"),
            program_id=_uuid_or_none(program_id, "programId"),
            job_id=_uuid_or_none(job_id, "jobId"),
            contact_id=_uuid_or_none(contact_id, "contactId"),
            outcome=_one_of(outcome, "outcome", OUTCOMES),
            status=_one_of(status, "status", CALL_STATUSES),
            search=q.search,
        )
        return await handlers.list_calls(runtime.db, org_id, filters, q)

    @get(
        "/calls/{call_id:str}",
        operation_id="getCall",
        summary="One call attempt",
        responses={
            400: _problem("callId is not a UUID"),
            **UNAUTHORIZED,
            404: _problem("CallNotFoundError: no such call in your organization"),
        },
    )
    async def get_call(
        self,
        runtime: NamedDependency[Runtime],
        org_id: NamedDependency[str],
        call_id: Annotated[str, PathParameter(description="The call (attempt) id")],
    ) -> CallRow:
        row = await handlers.get_call(runtime.db, org_id, parse_uuid(call_id, "callId"))
        if row is None:
            raise NotFound("Call not found", code="CallNotFoundError")
        return row
