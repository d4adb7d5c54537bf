"""One handler per command (and per query), listed in ``COMMAND_HANDLERS``.

Each command runs in one transaction (``UnitOfWork``): rows change, the events describing the
change go to the outbox, both commit together. Lock order is always contacts first, then
audiences (in id order), so concurrent commands cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import msgspec

from callcast_contact.adapters.audiences_repository import iterate_live_contacts
from callcast_contact.adapters.contacts_upsert import upsert_contacts as upsert_rows
from callcast_contact.adapters.unit_of_work import Transaction, UnitOfWork
from callcast_contact.domain import errors
from callcast_contact.domain import messages as msg
from callcast_contact.domain.attributes import AttributeDefinition, check_values, slugify
from callcast_contact.domain.audience_rules import InvalidRules, RuleGroup, from_stored, matches, parse_rules, to_json
from callcast_contact.domain.audiences import Audience, AudienceType
from callcast_contact.domain.commands import (
    AddAudienceMembers,
    CreateAudience,
    CreateContact,
    DefineCustomAttribute,
    DeleteAudience,
    DeleteContact,
    DeleteCustomAttribute,
    RemoveAudienceMembers,
    UpdateAudience,
    UpdateContact,
    UpdateCustomAttribute,
    UpsertContacts,
    UpsertItem,
)
from callcast_contact.domain.contacts import Contact, new_contact, with_changes
from callcast_contact.domain.issues import Issue
from callcast_contact.domain.results import (
    AudienceView,
    ContactWritten,
    MembershipChanged,
    Paged,
    UpsertFailure,
    UpsertOutcome,
    UpsertSummary,
)
from callcast_contracts.ids import new_id
from callcast_runtime.api import PageQuery
from callcast_runtime.errors import ValidationFailed

#: Most contact ids one membership event carries; bigger changes are split into several events.
MEMBERS_PER_EVENT = 1000


# Contacts -------------------------------------------------------------------------------------


async def create_contact(cmd: CreateContact, uow: UnitOfWork) -> ContactWritten:
    async with uow.transaction(cmd.org_id) as tx:
        accepted, issues = check_values(cmd.custom_attributes, await tx.attributes.types_by_name())
        contact = new_contact(
            contact_id=new_id(), org_id=cmd.org_id, fields=cmd.fields, attributes=accepted, now=tx.now
        )
        if not await tx.contacts.insert(contact):
            existing = await tx.contacts.live_id_with_phone(contact.primary_phone)
            raise errors.contact_already_exists(contact.primary_phone, existing)
        tx.publish(msg.contact_saved(contact))
        await _follow_live_audiences(tx, [contact])
    return ContactWritten(contact, issues)


async def update_contact(cmd: UpdateContact, uow: UnitOfWork) -> ContactWritten:
    async with uow.transaction(cmd.org_id) as tx:
        contact = await tx.contacts.get(cmd.contact_id, for_update=True)
        if contact is None:
            raise errors.contact_not_found(cmd.contact_id)
        accepted, issues = check_values(cmd.custom_attributes, await tx.attributes.types_by_name())
        updated = with_changes(contact, cmd.fields, accepted, tx.now)
        if updated is not contact:
            if not await tx.contacts.update(updated):
                existing = await tx.contacts.live_id_with_phone(updated.primary_phone)
                raise errors.contact_already_exists(updated.primary_phone, existing)
            tx.publish(msg.contact_saved(updated))
            await _follow_live_audiences(tx, [updated])
    return ContactWritten(updated, issues)


async def delete_contact(cmd: DeleteContact, uow: UnitOfWork) -> Contact:
    """Soft delete: the contact leaves every audience (one event per audience), then is deleted."""
    async with uow.transaction(cmd.org_id) as tx:
        contact = await tx.contacts.get(cmd.contact_id, for_update=True)
        if contact is None:
            raise errors.contact_not_found(cmd.contact_id)
        for audience in await tx.audiences.lock_all(await tx.audiences.audiences_of(contact.id)):
            await _change_membership(tx, audience, add=(), remove=[contact.id])
        deleted = msgspec.structs.replace(contact, deleted_at=tx.now, updated_at=tx.now, revision=contact.revision + 1)
        await tx.contacts.mark_deleted(deleted)
        tx.publish(msg.contact_deleted(deleted))
    return deleted


def _last_item_per_phone(cmd: UpsertContacts) -> tuple[list[UpsertItem], list[UpsertFailure]]:
    """A phone given twice in one request: the later item wins, the earlier one is reported."""
    last_index: dict[str, int] = {}
    for item in cmd.items:
        last_index[item.fields["primary_phone"]] = item.index
    kept: list[UpsertItem] = []
    superseded: list[UpsertFailure] = []
    for item in cmd.items:
        phone = item.fields["primary_phone"]
        if last_index[phone] == item.index:
            kept.append(item)
        else:
            message = f"primaryPhone {phone} appears again at index {last_index[phone]}; that later item was applied"
            superseded.append(UpsertFailure(item.index, [Issue("primaryPhone", "duplicateInRequest", message)]))
    return kept, superseded


async def upsert_contacts(cmd: UpsertContacts, uow: UnitOfWork) -> UpsertSummary:
    """Create or update contacts matched on ``primaryPhone``, all in one transaction."""
    items, superseded = _last_item_per_phone(cmd)
    summary = UpsertSummary(failed=sorted([*cmd.rejected, *superseded], key=lambda f: f.index))
    if not items:
        return summary
    async with uow.transaction(cmd.org_id) as tx:
        definitions = await tx.attributes.types_by_name()
        rows = []
        for item in items:
            accepted, issues = check_values(item.custom_attributes, definitions)
            summary.attribute_issues.extend((item.index, issue) for issue in issues)
            # In a bulk upsert a null attribute value means "leave it", like any other null.
            rows.append((new_id(), item.fields, {k: v for k, v in accepted.items() if v is not None}))
        changed = await upsert_rows(tx.conn, cmd.org_id, rows, tx.now)
        status: dict[str, tuple[str, str]] = {}  # phone → (contact id, created|updated|unchanged)
        for contact, created in changed:
            status[contact.primary_phone] = (contact.id, "created" if created else "updated")
            tx.publish(msg.contact_saved(contact))
        unchanged_phones = [
            item.fields["primary_phone"] for item in items if item.fields["primary_phone"] not in status
        ]
        for phone, contact_id in (await tx.contacts.live_ids_by_phone(unchanged_phones)).items():
            status[phone] = (contact_id, "unchanged")
        await _follow_live_audiences(tx, [contact for contact, _ in changed])
    for item in items:
        contact_id, state = status[item.fields["primary_phone"]]
        summary.results.append(UpsertOutcome(item.index, contact_id, state))
    summary.results.sort(key=lambda r: r.index)
    summary.attribute_issues.sort(key=lambda pair: pair[0])
    summary.created = sum(1 for r in summary.results if r.status == "created")
    summary.updated = sum(1 for r in summary.results if r.status == "updated")
    summary.unchanged = sum(1 for r in summary.results if r.status == "unchanged")
    return summary


async def get_contact(org_id: str, contact_id: str, uow: UnitOfWork) -> Contact:
    async with uow.reading(org_id) as tx:
        contact = await tx.contacts.get(contact_id)
    if contact is None:
        raise errors.contact_not_found(contact_id)
    return contact


async def list_contacts(org_id: str, q: PageQuery, uow: UnitOfWork) -> Paged:
    async with uow.reading(org_id) as tx:
        items, total = await tx.contacts.page(q)
    return Paged(items, total)


# Custom attributes ----------------------------------------------------------------------------


async def define_custom_attribute(cmd: DefineCustomAttribute, uow: UnitOfWork) -> AttributeDefinition:
    name = slugify(cmd.display_name)
    if not name:
        raise errors.display_name_without_slug()
    async with uow.transaction(cmd.org_id) as tx:
        definition = AttributeDefinition(
            id=new_id(),
            org_id=cmd.org_id,
            name=name,
            display_name=cmd.display_name,
            description=cmd.description,
            type=cmd.type,
            created_at=tx.now,
            updated_at=tx.now,
        )
        if not await tx.attributes.insert(definition):
            raise errors.custom_attribute_already_exists(name)
        tx.publish(msg.attribute_saved(definition))
    return definition


async def update_custom_attribute(cmd: UpdateCustomAttribute, uow: UnitOfWork) -> AttributeDefinition:
    async with uow.transaction(cmd.org_id) as tx:
        definition = await tx.attributes.get(cmd.attribute_id, for_update=True)
        if definition is None:
            raise errors.custom_attribute_not_found(cmd.attribute_id)
        if "description" in cmd.fields and cmd.fields["description"] != definition.description:
            definition = msgspec.structs.replace(
                definition,
                description=cmd.fields["description"],
                revision=definition.revision + 1,
                updated_at=tx.now,
            )
            await tx.attributes.save_changes(definition)
            tx.publish(msg.attribute_saved(definition))
    return definition


async def delete_custom_attribute(cmd: DeleteCustomAttribute, uow: UnitOfWork) -> AttributeDefinition:
    """Soft delete. Values already stored on contacts are kept; new ones are refused."""
    async with uow.transaction(cmd.org_id) as tx:
        definition = await tx.attributes.get(cmd.attribute_id, for_update=True)
        if definition is None:
            raise errors.custom_attribute_not_found(cmd.attribute_id)
        definition = msgspec.structs.replace(
            definition, deleted_at=tx.now, updated_at=tx.now, revision=definition.revision + 1
        )
        await tx.attributes.save_changes(definition)
        tx.publish(msg.attribute_deleted(definition))
    return definition


async def get_custom_attribute(org_id: str, attribute_id: str, uow: UnitOfWork) -> AttributeDefinition:
    async with uow.reading(org_id) as tx:
        definition = await tx.attributes.get(attribute_id)
    if definition is None:
        raise errors.custom_attribute_not_found(attribute_id)
    return definition


async def list_custom_attributes(org_id: str, q: PageQuery, uow: UnitOfWork) -> Paged:
    async with uow.reading(org_id) as tx:
        items, total = await tx.attributes.page(q)
    return Paged(items, total)


# Audiences ------------------------------------------------------------------------------------


def _invalid_rules(err: InvalidRules) -> ValidationFailed:
    field_errors: dict[str, list[str]] = {}
    field_details: dict[str, list[dict[str, Any]]] = {}
    for issue in err.issues:
        field_errors.setdefault(issue.field, []).append(issue.message)
        field_details.setdefault(issue.field, []).append({"code": issue.code, "params": issue.params})
    return ValidationFailed(field_errors, field_details)


async def _parse_rules(tx: Transaction, rules: Any) -> RuleGroup:
    try:
        return parse_rules(rules, await tx.attributes.types_by_name())
    except InvalidRules as err:
        raise _invalid_rules(err) from None


def _rules_required() -> ValidationFailed:
    return ValidationFailed.single("rules", "rules is required for a live audience", "required")


def _rules_not_allowed() -> ValidationFailed:
    return ValidationFailed.single("rules", "rules apply to live audiences only", "notAllowed")


async def create_audience(cmd: CreateAudience, uow: UnitOfWork) -> AudienceView:
    if cmd.type is AudienceType.LIVE and cmd.rules is None:
        raise _rules_required()
    if cmd.type is AudienceType.STATIC and cmd.rules is not None:
        raise _rules_not_allowed()
    async with uow.transaction(cmd.org_id) as tx:
        stored = None
        if cmd.rules is not None:
            stored = to_json(await _parse_rules(tx, cmd.rules), with_types=True)
        audience = Audience(
            id=new_id(),
            org_id=cmd.org_id,
            name=cmd.name,
            description=cmd.description,
            type=cmd.type,
            rules=stored,
            created_at=tx.now,
            updated_at=tx.now,
        )
        await tx.audiences.insert(audience)
        tx.publish(msg.audience_created(audience))
        if audience.type is AudienceType.LIVE:
            audience = await _recompute_live_audience(tx, audience)
        count = await tx.audiences.contact_count(audience.id)
    return AudienceView(audience, count)


async def update_audience(cmd: UpdateAudience, uow: UnitOfWork) -> AudienceView:
    async with uow.transaction(cmd.org_id) as tx:
        audience = await tx.audiences.get(cmd.audience_id, for_update=True)
        if audience is None:
            raise errors.audience_not_found(cmd.audience_id)
        if "rules" in cmd.fields and audience.type is AudienceType.STATIC:
            raise _rules_not_allowed()
        if cmd.fields.get("rules", audience.rules) is None and audience.type is AudienceType.LIVE:
            raise _rules_required()
        named = {k: cmd.fields[k] for k in ("name", "description") if k in cmd.fields}
        if any(getattr(audience, k) != v for k, v in named.items()):
            audience = msgspec.structs.replace(audience, revision=audience.revision + 1, updated_at=tx.now, **named)
            await tx.audiences.save(audience)
            tx.publish(msg.audience_updated(audience))
        if "rules" in cmd.fields:
            stored = to_json(await _parse_rules(tx, cmd.fields["rules"]), with_types=True)
            if stored != audience.rules:
                audience = msgspec.structs.replace(audience, rules=stored, updated_at=tx.now)
                await tx.audiences.save(audience)
                audience = await _recompute_live_audience(tx, audience)
        count = await tx.audiences.contact_count(audience.id)
    return AudienceView(audience, count)


async def delete_audience(cmd: DeleteAudience, uow: UnitOfWork) -> Audience:
    """Soft delete; contacts are not touched (FAQ: only the grouping is removed)."""
    async with uow.transaction(cmd.org_id) as tx:
        audience = await tx.audiences.get(cmd.audience_id, for_update=True)
        if audience is None:
            raise errors.audience_not_found(cmd.audience_id)
        audience = msgspec.structs.replace(
            audience, deleted_at=tx.now, updated_at=tx.now, revision=audience.revision + 1
        )
        await tx.audiences.save(audience)
        tx.publish(msg.audience_deleted(audience))
    return audience


async def _checked_members_change(
    org_id: str, audience_id: str, contact_ids: list[str], uow: UnitOfWork, *, adding: bool
) -> MembershipChanged:
    unique = list(dict.fromkeys(contact_ids))
    async with uow.transaction(org_id) as tx:
        if await tx.audiences.get(audience_id) is None:
            raise errors.audience_not_found(audience_id)
        # Contacts first (held FOR SHARE while adding, so a concurrent delete sees the new member).
        live = await tx.contacts.live_ids_among(unique, lock=adding)
        missing = {i: cid for i, cid in enumerate(contact_ids) if cid not in live}
        if missing:
            raise errors.not_contacts_of_org(missing)
        audience = await tx.audiences.get(audience_id, for_update=True)
        if audience is None:
            raise errors.audience_not_found(audience_id)
        if audience.type is not AudienceType.STATIC:
            raise errors.audience_not_static(audience_id)
        if adding:
            audience, changed = await _change_membership(tx, audience, add=unique, remove=())
        else:
            audience, changed = await _change_membership(tx, audience, add=(), remove=unique)
        count = await tx.audiences.contact_count(audience.id)
    return MembershipChanged(audience, requested=len(unique), changed=changed, contact_count=count)


async def add_audience_members(cmd: AddAudienceMembers, uow: UnitOfWork) -> MembershipChanged:
    """Idempotent: contacts already in the audience are counted, not added again (no event)."""
    return await _checked_members_change(cmd.org_id, cmd.audience_id, cmd.contact_ids, uow, adding=True)


async def remove_audience_members(cmd: RemoveAudienceMembers, uow: UnitOfWork) -> MembershipChanged:
    return await _checked_members_change(cmd.org_id, cmd.audience_id, cmd.contact_ids, uow, adding=False)


async def get_audience(org_id: str, audience_id: str, uow: UnitOfWork) -> AudienceView:
    async with uow.reading(org_id) as tx:
        audience = await tx.audiences.get(audience_id)
        if audience is None:
            raise errors.audience_not_found(audience_id)
        return AudienceView(audience, await tx.audiences.contact_count(audience_id))


async def list_audiences(org_id: str, q: PageQuery, uow: UnitOfWork) -> Paged:
    async with uow.reading(org_id) as tx:
        items, total = await tx.audiences.page(q)
    return Paged([AudienceView(audience, count) for audience, count in items], total)


async def list_audience_members(
    org_id: str, audience_id: str, q: PageQuery, uow: UnitOfWork, *, exited: bool = False
) -> Paged:
    async with uow.reading(org_id) as tx:
        if await tx.audiences.get(audience_id) is None:
            raise errors.audience_not_found(audience_id)
        items, total = await tx.audiences.members_page(audience_id, q, exited=exited)
    return Paged(items, total)


async def preview_audience(org_id: str, rules: Any, uow: UnitOfWork) -> int:
    """How many live contacts match ``rules`` now; nothing is saved."""
    async with uow.reading(org_id) as tx:
        group = await _parse_rules(tx, rules)
        count = 0
        async for chunk in iterate_live_contacts(tx.conn, org_id):
            count += sum(1 for contact in chunk if matches(group, contact))
    return count


# Membership bookkeeping -------------------------------------------------------------------------


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), MEMBERS_PER_EVENT):
        yield list(ids[start : start + MEMBERS_PER_EVENT])


async def _change_membership(
    tx: Transaction, audience: Audience, *, add: Sequence[str], remove: Sequence[str]
) -> tuple[Audience, int]:
    """Apply adds/removes to a locked audience; each real change bumps its revision and emits one
    event (split every ``MEMBERS_PER_EVENT`` ids). Returns the audience and how many changed."""
    changed = 0
    for batch in _chunks(list(add)):
        added = await tx.audiences.add_members(audience.id, batch, tx.now)
        if added:
            audience = msgspec.structs.replace(audience, revision=audience.revision + 1, updated_at=tx.now)
            await tx.audiences.save(audience)
            tx.publish(msg.members_added(audience, added))
            changed += len(added)
    for batch in _chunks(list(remove)):
        removed = await tx.audiences.remove_members(audience.id, batch, tx.now)
        if removed:
            audience = msgspec.structs.replace(audience, revision=audience.revision + 1, updated_at=tx.now)
            await tx.audiences.save(audience)
            tx.publish(msg.members_removed(audience, removed))
            changed += len(removed)
    return audience, changed


async def _follow_live_audiences(tx: Transaction, contacts: Sequence[Contact]) -> None:
    """Saved contacts join or leave the organization's live audiences whose rules they now
    (no longer) match. The audiences are locked, so a concurrent rules change waits for this
    transaction and then sees these contacts."""
    if not contacts:
        return
    audiences = await tx.audiences.live_rule_audiences(lock=True)
    ids = [c.id for c in contacts]
    for audience in audiences:
        rules = from_stored(audience.rules or {})
        should = {c.id for c in contacts if matches(rules, c)}
        current = await tx.audiences.members_among(audience.id, ids)
        await _change_membership(tx, audience, add=sorted(should - current), remove=sorted(current - should))


async def _recompute_live_audience(tx: Transaction, audience: Audience) -> Audience:
    """Bring a (locked) live audience's membership in line with its rules over every contact."""
    rules = from_stored(audience.rules or {})
    should: set[str] = set()
    async for chunk in iterate_live_contacts(tx.conn, tx.org_id):
        should.update(contact.id for contact in chunk if matches(rules, contact))
    current = await tx.audiences.member_ids(audience.id)
    audience, _ = await _change_membership(tx, audience, add=sorted(should - current), remove=sorted(current - should))
    return audience


# The command map --------------------------------------------------------------------------------

CommandHandler = Callable[[Any, UnitOfWork], Awaitable[Any]]

COMMAND_HANDLERS: dict[type, CommandHandler] = {
    CreateContact: create_contact,
    UpdateContact: update_contact,
    DeleteContact: delete_contact,
    UpsertContacts: upsert_contacts,
    DefineCustomAttribute: define_custom_attribute,
    UpdateCustomAttribute: update_custom_attribute,
    DeleteCustomAttribute: delete_custom_attribute,
    CreateAudience: create_audience,
    UpdateAudience: update_audience,
    DeleteAudience: delete_audience,
    AddAudienceMembers: add_audience_members,
    RemoveAudienceMembers: remove_audience_members,
}


async def handle(command: object, uow: UnitOfWork) -> Any:
    """Run the handler registered for ``type(command)``."""
    return await COMMAND_HANDLERS[type(command)](command, uow)
