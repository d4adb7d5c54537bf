"""OpenAPI bits shared by the routes: the problem document, error responses, query parameters."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from callcast_runtime.errors import PROBLEM_JSON


class ProblemResponse(msgspec.Struct, kw_only=True, rename="camel"):
    """The error body (RFC 9457 problem document with the documented members)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    message: str
    status_code: int
    error: str
    field_errors: dict[str, list[str]]
    field_details: dict[str, list[dict[str, Any]]]
    timestamp: str
    path: str


def problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemResponse, description=description, media_type=PROBLEM_JSON, generate_examples=False
    )


_ERRORS = {
    400: problem("VALIDATION_FAILED (fieldErrors name each bad field) or a named domain error"),
    401: problem("No organization: the gateway did not authenticate the request"),
    404: problem("Not found in the caller's organization"),
    409: problem("The resource's state does not allow the action"),
}


def error_responses(*codes: int, **named: str) -> dict[int, ResponseSpec]:
    """Error responses by status; ``named`` overrides a status's description (``e404="..."``)."""
    table = dict(_ERRORS)
    for key, description in named.items():
        table[int(key.removeprefix("e"))] = problem(description)
    return {code: table[code] for code in codes}


# Paging parameters (digest §1.3). The values are checked by ``callcast_runtime.api.page_query``,
# which names the parameter in its 400; the schema documents the same limits.
PageNumber = Annotated[int | None, QueryParameter(description="Page number, from 1 (default 1)")]
PageLimit = Annotated[int | None, QueryParameter(description="Page size, 1–100 (default 20)")]
Search = Annotated[str | None, QueryParameter(description="Case-insensitive substring, at most 100 characters")]
SortOrder = Annotated[
    str | None,
    QueryParameter(name="sortOrder", description="asc | desc (default desc)", schema_extra={"enum": ["asc", "desc"]}),
]


OPENAPI_DESCRIPTION = """\
Programs (campaigns), DIDs and program executions (Gomobile-compatible, digest §7, §8, §9, §11.1).
Programs and DIDs are CRUD; executions and their jobs are event-sourced in JetStream
(`programs.<org>.execution.<id>`, `programs.<org>.job.<id>`).

Choices where the public documentation is silent or ambiguous:

- **Retry strategies** accept both documented spellings: `{"type": "fixed_delay", "delayMinutes",
  "maxRetries"}` and `{"type": "fixed-delay", "delay" (milliseconds), "maxRetries"}`;
  `{"type": "scheduled", "retryDates": [...]}` or `"dates"`; `{"type": "none"}` (the default).
  They are answered in the program form: `fixed_delay` with `delayMinutes` (fractional when given
  in milliseconds), `retryDates` in UTC (`Z`) and in time order. `maxRetries` is 0–20, at most 20
  dates, each with a timezone. A bad strategy answers 400 naming `retryStrategy.<field>`.
- **Retries** follow an unreached outcome (`no_answer`, `busy`, `rejected`, `voicemail`, `failed`),
  never `completed`, never after `stopAt`. `user_hangup` (reached, hung up during the flow) is final
  and counts as failed. Each retry calls from the pool's next DID.
- **Launch** (`POST /programs/{id}/launch`) answers 201 `{"executionId"}`: the audience's members
  at that moment and the flow's latest version are pinned in the execution; a `draft` program
  becomes `active`. Errors: 404 `ProgramNotFoundError`, 409 `ProgramStatusConflictError` (archived),
  400 `ExecutionAlreadyRunningError`, `EmptyDidPoolError` (no active DID left in the pool),
  `AudienceEmptyError`; 404 `FlowNotFoundError` when the program's flow was deleted.
- **Counters** of an execution always add up to `totalContacts`: `contactsPending` includes the
  retry queue, `contactsInProgress` is queued or dialling.
- **DIDs**: `GET /dids` and `/dids/available` list the organization's and the shared DIDs
  (`available`: active ones only); a `didPool` entry of another organization answers 404
  `DidNotFoundError`, an inactive one 400 `DidNotActiveError`. Deletes are soft.
- `concurrency` on a program is a Callcast extension: how many of its calls may be up at once
  (1–1000, default 10).
"""
