"""Each bulk-upsert item is decoded and checked on its own."""

from __future__ import annotations

import pytest

from callcast_contact.domain.commands import UpsertItem
from callcast_contact.domain.results import UpsertFailure
from callcast_contact.entrypoints.decoding import upsert_item

pytestmark = pytest.mark.unit


def test_a_valid_item_becomes_fields_in_storage_form() -> None:
    item = upsert_item(3, {"primaryPhone": "+212612345678", "firstName": "Amina", "customAttributes": {"a": 1}})
    assert isinstance(item, UpsertItem)
    assert item.index == 3
    assert item.fields["primary_phone"] == "+212612345678"
    assert item.fields["first_name"] == "Amina"
    assert item.custom_attributes == {"a": 1}


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"primaryPhone": "0612345678"}, "primaryPhone", "isE164"),
        ({"firstName": "Amina"}, "primaryPhone", "required"),
        ({"primaryPhone": "+212612345678", "nickname": "x"}, "nickname", "unknownField"),
        ({"primaryPhone": "+212612345678", "firstName": "A"}, "firstName", "minLength"),
        ({"primaryPhone": 212612345678}, "primaryPhone", "type"),
    ],
)
def test_a_bad_item_is_a_failure_naming_its_field(payload: dict[str, object], field: str, code: str) -> None:
    failure = upsert_item(7, payload)
    assert isinstance(failure, UpsertFailure)
    assert failure.index == 7
    assert [(i.field, i.code) for i in failure.issues] == [(field, code)]
