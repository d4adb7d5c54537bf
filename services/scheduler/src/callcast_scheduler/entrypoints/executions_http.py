"""HTTP: program executions (digest §11.1): read, and their lifecycle actions."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from callcast_runtime.api import parse_uuid
from callcast_scheduler.domain.schemas import ExecutionResponse
from callcast_scheduler.entrypoints.openapi import error_responses
from callcast_scheduler.handlers import Scheduler


class ExecutionController(Controller):
    path = "/api/program-executions"
    tags = ["Program executions"]

    @get(
        "/{execution_id:str}",
        operation_id="getProgramExecution",
        summary="Get an execution and its counters",
        status_code=200,
        responses=error_responses(400, 401, 404, e404="ExecutionNotFoundError: no such execution in the organization"),
    )
    async def get(
        self, execution_id: FromPath[str], org_id: NamedDependency[str], scheduler: NamedDependency[Scheduler]
    ) -> ExecutionResponse:
        """The four counters always add up to ``totalContacts``."""
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
