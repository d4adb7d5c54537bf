"""The scheduler's named domain errors (digest §8.5), with their documented HTTP statuses."""

from __future__ import annotations

from callcast_runtime.errors import ApiError, Conflict, NotFound


def program_not_found() -> NotFound:
    return NotFound("Program not found", code="ProgramNotFoundError")


def execution_not_found() -> NotFound:
    return NotFound("Program execution not found", code="ExecutionNotFoundError")


def did_not_found(did_id: str | None = None) -> NotFound:
    return NotFound(f"DID not found{f': {did_id}' if did_id else ''}", code="DidNotFoundError")


def did_not_active(did_id: str) -> ApiError:
    return ApiError(f"DID {did_id} is not active", code="DidNotActiveError", status_code=400)


def did_not_accessible(did_id: str) -> ApiError:
    return ApiError(f"DID {did_id} is not available to this organization", code="DidNotAccessibleError")


def execution_already_running() -> ApiError:
    return ApiError("The program already has a running execution", code="ExecutionAlreadyRunningError")


def audience_empty() -> ApiError:
    return ApiError("The audience has no contacts", code="AudienceEmptyError")


def empty_did_pool() -> ApiError:
    return ApiError("Every DID of the program's pool was deleted", code="EmptyDidPoolError")


def program_status_conflict(status: str) -> Conflict:
    return Conflict(f"A program in status {status} cannot be launched", code="ProgramStatusConflictError")


def flow_not_found(flow_id: str) -> NotFound:
    return NotFound(f"Flow {flow_id} not found", code="FlowNotFoundError")


def audience_not_found(audience_id: str) -> NotFound:
    return NotFound(f"Audience {audience_id} not found", code="AudienceNotFoundError")


def execution_status_conflict(status: str, action: str) -> Conflict:
    return Conflict(f"An execution in status {status} cannot be {action}", code="ExecutionStatusConflictError")


def contact_not_found(contact_id: str) -> NotFound:
    return NotFound(f"Contact {contact_id} not found", code="ContactNotFoundError")


def test_call_incomplete(field: str) -> ApiError:
    """A test-call request without a number to call or to call from (the flow service checks both)."""
    return ApiError(f"A test call needs {field}", code="VALIDATION_FAILED")
