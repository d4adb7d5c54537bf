"""Custom attribute definitions and values (digest §3)."""

from __future__ import annotations

from typing import Any

import pytest

from callcast_contact.domain.attributes import AttributeType, check_values, coerce_value, slugify

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("display_name", "slug"),
    [
        ("Customer Tier", "customer_tier"),
        ("  Date of birth ", "date_of_birth"),
        ("Échéance (prêt)", "echeance_pret"),
        ("Balance-MAD", "balance_mad"),
        ("الرصيد", "الرصيد"),
        ("!!!", ""),
    ],
)
def test_the_name_is_a_slug_of_the_display_name(display_name: str, slug: str) -> None:
    assert slugify(display_name) == slug


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        (AttributeType.TEXT, "gold", "gold"),
        (AttributeType.NUMBER, 12, 12),
        (AttributeType.NUMBER, 12.5, 12.5),
        (AttributeType.NUMBER, "1500", 1500),
        (AttributeType.NUMBER, "-3.25", -3.25),
        (AttributeType.NUMBER, 3.0, 3),
        (AttributeType.BOOLEAN, True, True),
        (AttributeType.BOOLEAN, "false", False),
        (AttributeType.DATE, "2025-12-20", "2025-12-20"),
        (AttributeType.DATE, "2025-12-20T09:00:00+01:00", "2025-12-20T08:00:00Z"),
        (AttributeType.PHONE_NUMBER, "+212612345678", "+212612345678"),
        (AttributeType.EMAIL, "amina@example.ma", "amina@example.ma"),
        (AttributeType.URL, "https://example.ma/a?b=1", "https://example.ma/a?b=1"),
    ],
)
def test_values_of_the_right_type_are_stored_in_their_typed_form(kind: AttributeType, value: Any, stored: Any) -> None:
    assert coerce_value(kind, value) == stored


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (AttributeType.TEXT, 12),
        (AttributeType.TEXT, "x" * 1025),
        (AttributeType.NUMBER, True),
        (AttributeType.NUMBER, "12abc"),
        (AttributeType.NUMBER, float("nan")),
        (AttributeType.BOOLEAN, "yes"),
        (AttributeType.BOOLEAN, 1),
        (AttributeType.DATE, "20/12/2025"),
        (AttributeType.DATE, "2025-02-30"),
        (AttributeType.DATE, "2025-12-20T09:00:00"),
        (AttributeType.PHONE_NUMBER, "0612345678"),
        (AttributeType.EMAIL, "amina"),
        (AttributeType.URL, "ftp://example.ma"),
        (AttributeType.URL, "example.ma"),
    ],
)
def test_values_that_do_not_fit_the_type_are_refused(kind: AttributeType, value: Any) -> None:
    with pytest.raises(ValueError, match=r"must|is not"):
        coerce_value(kind, value)


def test_bad_and_unknown_values_are_reported_and_the_rest_kept() -> None:
    definitions = {"customer_tier": AttributeType.TEXT, "balance": AttributeType.NUMBER}
    accepted, issues = check_values({"customer_tier": "gold", "balance": "lots", "shoe_size": 42}, definitions)
    assert accepted == {"customer_tier": "gold"}
    assert [(i.name, i.code) for i in issues] == [("balance", "invalidValue"), ("shoe_size", "unknownAttribute")]
    assert "number" in issues[0].message


def test_a_null_value_passes_through_to_remove_the_attribute() -> None:
    accepted, issues = check_values({"balance": None}, {"balance": AttributeType.NUMBER})
    assert accepted == {"balance": None}
    assert issues == []
