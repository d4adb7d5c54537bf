"""The flow service's API errors beyond the runtime's (named as the API reports them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, Response

from callcast_flow.domain.validation import Finding
from callcast_runtime.errors import PROBLEM_JSON, ApiError, NotFound, ValidationFailed, problem_body


def flow_not_found() -> NotFound:
    return NotFound("Flow not found", code="FlowNotFoundError")


def flow_version_not_found(version: int) -> NotFound:
    return NotFound(f"Flow version {version} not found", code="FlowVersionNotFoundError")


def audio_not_found() -> NotFound:
    return NotFound("Audio not found", code="AudioNotFoundError")


def payload_too_large(message: str) -> ApiError:
    return ApiError(message, code="PAYLOAD_TOO_LARGE", status_code=413, field_errors={"file": [message]})


class FlowGraphInvalid(ValidationFailed):
    """A flow that failed validation: a 400 ``VALIDATION_FAILED`` that also carries the findings."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        field_errors: dict[str, list[str]] = {}
        field_details: dict[str, list[dict[str, Any]]] = {}
        for f in findings:
            if not f.is_error:
                continue
            field_errors.setdefault(f.field, []).append(f.message)
            field_details.setdefault(f.field, []).append({"code": f.code, "params": {"nodeId": f.node_id}})
        super().__init__(field_errors, field_details, message="The flow graph is invalid")
        self.findings = tuple(findings)


def render_flow_graph_invalid(request: Request[Any, Any, Any], exc: FlowGraphInvalid) -> Response[Any]:
    body = problem_body(
        status=exc.status_code,
        code=exc.code,
        message=exc.message,
        path=request.url.path,
        field_errors=exc.field_errors,
        field_details=exc.field_details,
    )
    body["findings"] = [f.to_json() for f in exc.findings]
    return Response(content=body, status_code=exc.status_code, media_type=PROBLEM_JSON)
