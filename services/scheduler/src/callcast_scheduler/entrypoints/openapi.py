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
    403: problem("The organization may not change this resource"),
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
- **DIDs**: `GET /dids` lists the organization's own and the shared DIDs (filters `status`,
  `isShared`, `organizationId`; `search` matches number and description as a plain substring);
  `GET /dids/available` the ones it may call from: its own and the shared ones, `active` only.
  Shared DIDs (`isShared: true`, `organizationId: null`) belong to the platform (the operator adds
  them in the database): every organization sees and may use them, none may change, delete or
  assign them (403 `FORBIDDEN`). A number appears once among an organization's DIDs (409
  `DidAlreadyExistsError`). Another organization's DID answers 404 `DidNotFoundError` for every
  action. Deletes are soft; executions already launched keep the caller ids pinned at launch.
- **Assigning a DID** (`AssignDidRequest {organizationId}`): `POST /dids/{id}/assign` moves one
  of the organization's own DIDs to `organizationId` (it is no longer the caller's; assigning it
  to its owner changes nothing). The scheduler does not know which organizations exist: the id is
  checked to be a UUID only.
- **didPool**: every entry must be visible to the organization (404 `DidNotFoundError`), not
  `inactive` (400 `DidNotActiveError`) and not `reserved` (400 `DidNotAccessibleError`: a reserved
  number is held back, not yet available to calls); an entry named twice is a 400 naming
  `didPool[i]`. DIDs deleted since are left out of the answered pool and of launches.
- **Programs**: `stopAt` must be after `startAt` and in the future when it is set; timestamps
  need a timezone. `mode: batch` needs `audienceId` and refuses `triggerCondition`; `mode: live`
  needs `triggerCondition {attributeName, offsetDays? (−366…366, default 0), time? {hour, minute}}`
  (Callcast's reading of the undocumented keys: call on the attribute's date shifted by
  `offsetDays`, at `time` in the program's zone). `attributeName` must be a custom attribute's
  `name` (slug); that it names an existing `date` attribute is not checked yet. Live programs are
  stored but not launchable yet. `flowId`, `audienceId` and `mode` are bound at creation (§8.6):
  an update naming them is a 400. Flow and audience are checked at launch
  (`FlowNotFoundError`, `AudienceEmptyError`).
- **Updates** (`PUT` and `PATCH` alike) are partial: an absent field is kept, `null` clears an
  optional one (`description`, `startAt`, `stopAt`, `pauseWindows`, `autoPauseRules`,
  `callsPerSecond`, `timezone`; `retryStrategy: null` means `none`). A running execution keeps
  the settings it was launched with.
- **Program statuses**: `draft` until the first launch, then `active` (only a launch does that).
  An update with `status: archived` archives it; an archived program answers 409
  `ProgramStatusConflictError` to launches and to every update except un-archiving, which names
  the status it had (`draft` if never launched, else `active`; the other value is a 409) and may
  carry other changes. `DELETE` is soft and answers 409 `ProgramStatusConflictError` while the
  program has an unfinished execution (cancel it first).
- **Pause windows** are validated and answered in their normal form (weekdays in the digest's
  order, items sorted, `advanced` in UTC); **auto-pause rules** with `resetOnResume` (default false).
- **Callcast program settings**: `concurrency` (calls up at once, 1–100000, default 10),
  `callsPerSecond` (> 0, ≤ 10000; null: no program limit), `timezone` (an IANA zone overriding
  the organization's; answered: `timezone` is the effective zone, `timezoneOverride` the
  program's own setting or null), `recipientTimezones` (true: windows apply in each recipient's
  zone, from the number or the contact's `timezone` attribute).
- **Calling limits** (Callcast extension): `GET /calling-limits` and `PUT /calling-limits
  {maxConcurrentCalls (1–100000), maxCallsPerSecond (> 0, ≤ 10000)}` are the organization's
  limits over all its programs; until it sets them it has the service's defaults
  (`CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY`, default 100; `CALLCAST_SCHEDULER_ORG_MAX_CPS`,
  default 10; `isDefault: true`). For each program, the lower of its limit and the
  organization's wins.
"""
