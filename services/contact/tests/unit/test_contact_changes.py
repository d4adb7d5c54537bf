"""How a contact changes: partial updates, attribute merges, revisions and snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callcast_contact.domain.contacts import new_contact, snapshot, with_changes
from callcast_contact.domain.messages import contact_saved

pytestmark = pytest.mark.unit

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def amina():
    return new_contact(
        contact_id="c1",
        org_id="o1",
        fields={"primary_phone": "+212612345678", "first_name": "Amina", "city": "Fes"},
        attributes={"customer_tier": "gold", "balance": 10},
        now=NOW,
    )


def test_a_new_contact_starts_at_revision_one() -> None:
    contact = amina()
    assert contact.revision == 1
    assert contact.custom_attributes == {"customer_tier": "gold", "balance": 10}


def test_an_update_replaces_given_fields_clears_nulls_and_bumps_the_revision() -> None:
    later = NOW + timedelta(minutes=1)
    updated = with_changes(amina(), {"first_name": "Amina B.", "city": None}, {}, later)
    assert (updated.first_name, updated.city, updated.primary_phone) == ("Amina B.", None, "+212612345678")
    assert updated.revision == 2
    assert updated.updated_at == later


def test_custom_attributes_merge_by_name_and_null_removes_one() -> None:
    updated = with_changes(amina(), {}, {"balance": None, "segment": "b2b"}, NOW)
    assert updated.custom_attributes == {"customer_tier": "gold", "segment": "b2b"}


def test_an_update_that_changes_nothing_is_no_change_at_all() -> None:
    contact = amina()
    assert with_changes(contact, {"first_name": "Amina"}, {"customer_tier": "gold"}, NOW) is contact


def test_the_saved_event_carries_the_whole_contact_and_a_deterministic_message_id() -> None:
    contact = with_changes(amina(), {"last_name": "Bennani"}, {}, NOW)
    message = contact_saved(contact)
    assert message.subject == "contacts.o1.contact.c1"
    assert message.msg_id == "contact-c1-saved-2"
    data = snapshot(contact)
    assert message.envelope.data.contact == data
    assert (data.primary_phone, data.first_name, data.last_name, data.revision) == (
        "+212612345678",
        "Amina",
        "Bennani",
        2,
    )
    assert data.custom_attributes == {"customer_tier": "gold", "balance": 10}
