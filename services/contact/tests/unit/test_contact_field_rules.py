"""Contact field rules: E.164 phones, e-mails, lengths and enums (digest §1.2, §2)."""

from __future__ import annotations

import msgspec
import pytest

from callcast_contact.domain.rules import contact_field_issues, is_e164, is_email
from callcast_contact.entrypoints.schemas import CreateContactRequest, UpdateContactRequest

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("phone", ["+212612345678", "+14155551234", "+331", "+123456789012345"])
def test_e164_numbers_are_accepted(phone: str) -> None:
    assert is_e164(phone)


@pytest.mark.parametrize(
    "phone",
    ["06-12-34-56-78", "0612345678", "+212 612345678", "212612345678", "+0612345678", "+12", "+1234567890123456", ""],
)
def test_numbers_that_are_not_e164_are_rejected(phone: str) -> None:
    assert not is_e164(phone)


def test_a_bad_phone_is_reported_on_primary_phone_with_a_message_naming_e164() -> None:
    [issue] = contact_field_issues({"primary_phone": "0612345678"})
    assert issue.field == "primaryPhone"
    assert issue.code == "isE164"
    assert "E.164" in issue.message


def test_a_bad_email_is_reported_on_primary_email() -> None:
    [issue] = contact_field_issues({"primary_phone": "+212612345678", "primary_email": "not-an-email"})
    assert issue.field == "primaryEmail"


@pytest.mark.parametrize("email", ["amina@example.ma", "a.b+c@mail.example.com"])
def test_ordinary_emails_are_accepted(email: str) -> None:
    assert is_email(email)


@pytest.mark.parametrize("email", ["amina", "amina@", "@example.ma", "a b@example.ma", "amina@example"])
def test_malformed_emails_are_rejected(email: str) -> None:
    assert not is_email(email)


def decode_create(payload: dict[str, object]) -> CreateContactRequest:
    return msgspec.convert(payload, CreateContactRequest, strict=True)


def test_primary_phone_is_required() -> None:
    with pytest.raises(msgspec.ValidationError, match="primaryPhone"):
        decode_create({"firstName": "Amina"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primaryPhone", "+1"),
        ("primaryPhone", "+" + "1" * 20),
        ("firstName", "A"),
        ("firstName", "A" * 65),
        ("lastName", ""),
        ("fullName", "Al"),
        ("address", "ab"),
        ("address", "a" * 257),
        ("city", "ab"),
        ("zip", "12"),
        ("preferredChannel", "x" * 65),
        ("gender", "other"),
    ],
)
def test_field_limits_are_enforced_on_decoding(field: str, value: str) -> None:
    payload = {"primaryPhone": "+212612345678", field: value}
    with pytest.raises(msgspec.ValidationError, match=f"\\$.{field}"):
        decode_create(payload)


def test_fields_at_their_limits_are_accepted() -> None:
    body = decode_create(
        {
            "primaryPhone": "+212612345678",
            "firstName": "Al",
            "lastName": "B",
            "fullName": "Al B",
            "address": "a" * 256,
            "city": "Fes",
            "gender": "female",
            "channels": ["phone", "sms"],
            "customAttributes": {"customer_tier": "gold"},
        }
    )
    assert body.first_name == "Al"
    assert body.custom_attributes == {"customer_tier": "gold"}


def test_an_unknown_field_is_rejected() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `nickname`"):
        decode_create({"primaryPhone": "+212612345678", "nickname": "Ami"})


def test_an_update_tells_absent_fields_from_cleared_ones() -> None:
    body = msgspec.convert({"city": None, "firstName": "Amina"}, UpdateContactRequest, strict=True)
    assert body.city is None
    assert body.first_name == "Amina"
    assert body.last_name is msgspec.UNSET


def test_an_update_cannot_clear_the_phone() -> None:
    with pytest.raises(msgspec.ValidationError, match="primaryPhone"):
        msgspec.convert({"primaryPhone": None}, UpdateContactRequest, strict=True)
