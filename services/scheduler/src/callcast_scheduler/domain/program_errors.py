"""Named errors of the DID, program and calling-limit endpoints beyond ``domain.errors``."""

from __future__ import annotations

from callcast_runtime.errors import ApiError, Conflict, ValidationFailed


def did_already_exists(number: str) -> Conflict:
    return Conflict(
        f"A DID with number {number} already exists in this organization",
        code="DidAlreadyExistsError",
        field_errors={"number": [f"a DID with number {number} already exists"]},
        field_details={"number": [{"code": "unique", "params": {}}]},
    )


def shared_did_read_only(did_id: str) -> ApiError:
    """Shared DIDs belong to the platform: every organization may call from them, none may change them."""
    return ApiError(
        f"DID {did_id} is shared by the platform: it cannot be changed, deleted or assigned",
        code="FORBIDDEN",
        status_code=403,
    )


def did_not_accessible(did_id: str, status: str) -> ApiError:
    return ApiError(
        f"DID {did_id} is {status}: it is held back and not available to calls yet",
        code="DidNotAccessibleError",
        status_code=400,
    )


def archived_program_unchanged() -> Conflict:
    return Conflict(
        "An archived program cannot be changed: un-archive it first (status draft or active)",
        code="ProgramStatusConflictError",
    )


def status_not_settable(current: str, requested: str) -> Conflict:
    return Conflict(
        f"A program in status {current} cannot be set to {requested}: launches make a draft active, "
        "updates only archive and un-archive",
        code="ProgramStatusConflictError",
    )


def program_has_unfinished_execution() -> Conflict:
    return Conflict(
        "The program has an unfinished execution: cancel it before deleting the program",
        code="ProgramStatusConflictError",
    )


def invalid_org_timezone(value: str) -> ValidationFailed:
    return ValidationFailed.single(
        "x-callcast-org-timezone", f"x-callcast-org-timezone {value!r} is not an IANA time zone", "isTimeZone"
    )
