"""OpenAPI bits shared by the routes: error responses and the service description."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from callcast_contact.entrypoints.schemas import ProblemResponse
from callcast_runtime.errors import PROBLEM_JSON


def problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemResponse, description=description, media_type=PROBLEM_JSON, generate_examples=False
    )


BAD_REQUEST = {400: problem("VALIDATION_FAILED (fieldErrors name each bad field) or a named domain error")}
NOT_FOUND = {404: problem("Not found in the caller's organization")}
UNAUTHORIZED = {401: problem("No (or an invalid) organization: the gateway did not authenticate the request")}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    table = {**BAD_REQUEST, **NOT_FOUND, **UNAUTHORIZED}
    return {code: table[code] for code in codes if code in table}


DESCRIPTION = """\
Contacts, custom attributes and audiences of an organization (Gomobile-compatible, digest §2, §3, §5).
Every path is under `/api`; the gateway authenticates the API key and passes the organization.

Choices where the public documentation is silent or ambiguous:

- **Phones** must be E.164 (`+` then 3–15 digits, first digit not 0): `06-12-34-56-78` and
  `0612345678` are rejected with a 400 naming `primaryPhone`. A phone identifies at most one live
  contact per organization: a duplicate answers 409 `ContactAlreadyExistsError`.
- **POST /contact** answers 201 with the contact's fields at the top level *and* the same object
  under `contact`, plus `attributeErrors` (empty when every custom attribute value was stored) —
  both readings of "201 with `contact.id` and `attributeErrors`" work.
- **Custom attribute values** are checked against the organization's definitions: `number`
  (JSON number or numeric string), `boolean` (true/false or "true"/"false"), `date` (`YYYY-MM-DD`, or
  a date-time with a timezone, kept in UTC), `phone_number` (E.164), `email`, `url` (http/https),
  `text` (string ≤ 1024). An unknown name (`unknownAttribute`) or a bad value (`invalidValue`) is
  reported in `attributeErrors` and not stored; the contact is still saved. Responses give
  `customAttributes` as an object keyed by name with typed values. `GET /contact` includes it only
  with `include=customAttributes`.
- **PUT /contact/{id}** is a partial update: absent fields are kept, `null` clears a field,
  `customAttributes` merge by name and a `null` value removes one. It answers 200 in the same shape
  as the create response.
- **DELETE** (contact, custom attribute, audience) is a soft delete answering 200
  `{"message": …}`; the id then answers 404. A deleted contact leaves every audience.
  A deleted custom attribute accepts no new values; values already stored are kept.
- **POST /contact/upsert** takes `{"data": [CreateContactRequest, …]}` (1–1000 items), matches
  on `primaryPhone` and answers 200
  `{"created", "updated", "unchanged", "failed": [{"index", "fieldErrors", "fieldDetails"}],
  "attributeErrors": [{"index", "name", "code", "message"}], "results": [{"index", "id", "status"}]}`.
  Each item is validated on its own: a bad item is listed in `failed` and the others are applied
  (all of them in one transaction). An existing contact is updated with the fields the item
  carries (absent or `null` = unchanged; `customAttributes` merge); an item that would change
  nothing counts as `unchanged`. When a phone appears twice in one request the later item wins and
  the earlier one is listed in `failed` (`duplicateInRequest`).
- **Custom attributes**: `name` is a slug of `displayName` ("Customer Tier" → `customer_tier`);
  a second attribute with the same name answers 409 `CustomAttributeAlreadyExistsError`. Only
  `description` can change. Lists are paged like every list (`sortBy` `createdAt|updatedAt|name|displayName`).
- **Audiences**: `type` is `static` (default) or `live`, fixed at creation. Live audiences take
  `rules` (`{"operator": "AND"|"OR", "conditions": [...]}`, conditions
  `{"field", "operator", "value"}` where `field` is a contact field or
  `customAttributes.<name>`, at most 3 levels) and their membership follows the contacts that
  match; `POST /audience/preview` counts matches without saving. `contactCount` counts current
  members. `add-contacts`/`remove-contacts` take `{"contacts": [uuid, …]}` (1–1000 ids), static
  audiences only (`AudienceNotStaticError` otherwise); every id must be a live contact of the
  organization (else 400 naming `contacts[i]`). Both are idempotent and answer 200 with counts
  (`added`/`alreadyMembers`, `removed`/`notMembers`) and the new `contactCount`.
  `GET /audience/{id}/contacts` lists current members (`membership=exited` lists those who left).
  `linkedCampaignsCount` and the 409 on deleting an audience a program uses are not provided here:
  programs belong to the scheduler.
- Errors are RFC 9457 problem documents carrying the documented members (`code`, `message`,
  `statusCode`, `error`, `fieldErrors`, `fieldDetails`, `timestamp`, `path`); unknown body fields
  and non-UUID path ids are 400 `VALIDATION_FAILED`; ids of another organization are 404.

Every change is published on NATS JetStream (stream `CONTACTS`) through a transactional outbox:
`ContactSaved` (full snapshot with a `revision`) and `ContactDeleted` on
`contacts.<org>.contact.<id>`; `AudienceCreated`, `AudienceUpdated`, `AudienceDeleted`,
`AudienceMembersAdded`, `AudienceMembersRemoved` on `contacts.<org>.audience.<id>`;
`CustomAttributeSaved`, `CustomAttributeDeleted` on `contacts.<org>.attribute.<id>`.
"""
