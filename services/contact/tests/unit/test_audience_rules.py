"""Live-audience rules: parsing with named errors, and matching contacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from callcast_contact.domain.attributes import AttributeType
from callcast_contact.domain.audience_rules import InvalidRules, from_stored, matches, parse_rules, to_json
from callcast_contact.domain.contacts import Contact, new_contact

pytestmark = pytest.mark.unit

ATTRIBUTES = {"customer_tier": AttributeType.TEXT, "balance": AttributeType.NUMBER, "due": AttributeType.DATE}


def contact(**fields: Any) -> Contact:
    attributes = fields.pop("attributes", {})
    return new_contact(
        contact_id="c",
        org_id="o",
        fields={"primary_phone": "+212612345678", **fields},
        attributes=attributes,
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )


def rules(*conditions: dict[str, Any], operator: str = "AND") -> dict[str, Any]:
    return {"operator": operator, "conditions": list(conditions)}


def test_conditions_on_contact_fields_and_attributes_match() -> None:
    group = parse_rules(
        rules(
            {"field": "city", "operator": "equals", "value": "casablanca"},
            {"field": "customAttributes.balance", "operator": "gt", "value": 100},
        ),
        ATTRIBUTES,
    )
    assert matches(group, contact(city="Casablanca", attributes={"balance": 150}))
    assert not matches(group, contact(city="Casablanca", attributes={"balance": 50}))
    assert not matches(group, contact(city="Fes", attributes={"balance": 150}))


def test_or_groups_nest_one_level() -> None:
    group = parse_rules(
        rules(
            {"field": "gender", "operator": "equals", "value": "female"},
            rules(
                {"field": "customAttributes.customer_tier", "operator": "equals", "value": "gold"},
                {"field": "customAttributes.due", "operator": "lt", "value": "2025-06-01"},
                operator="OR",
            ),
        ),
        ATTRIBUTES,
    )
    assert matches(group, contact(gender="female", attributes={"due": "2025-05-01"}))
    assert matches(group, contact(gender="female", attributes={"customer_tier": "Gold"}))
    assert not matches(group, contact(gender="female", attributes={"customer_tier": "silver"}))


def test_empty_and_negated_operators_treat_missing_values_as_empty() -> None:
    empty = parse_rules(rules({"field": "primaryEmail", "operator": "is_empty"}), ATTRIBUTES)
    not_gold = parse_rules(
        rules({"field": "customAttributes.customer_tier", "operator": "not_equals", "value": "gold"}), ATTRIBUTES
    )
    assert matches(empty, contact())
    assert not matches(empty, contact(primary_email="a@b.ma"))
    assert matches(not_gold, contact())


def test_contains_looks_inside_text_and_channel_lists() -> None:
    group = parse_rules(rules({"field": "channels", "operator": "contains", "value": "SMS"}, operator="OR"), ATTRIBUTES)
    assert matches(group, contact(channels=["phone", "sms"]))
    assert not matches(group, contact(channels=["phone"]))


def test_stored_rules_round_trip_and_keep_attribute_types() -> None:
    group = parse_rules(rules({"field": "customAttributes.balance", "operator": "gte", "value": "10"}), ATTRIBUTES)
    stored = to_json(group, with_types=True)
    assert stored["conditions"][0] == {
        "field": "customAttributes.balance",
        "operator": "gte",
        "value": 10,
        "attributeType": "number",
    }
    assert from_stored(stored) == group


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"operator": "XOR", "conditions": [{"field": "city", "operator": "is_empty"}]}, "rules.operator"),
        ({"operator": "AND", "conditions": []}, "rules.conditions"),
        (rules({"field": "nickname", "operator": "equals", "value": "x"}), "rules.conditions[0].field"),
        (rules({"field": "customAttributes.nope", "operator": "is_empty"}), "rules.conditions[0].field"),
        (rules({"field": "city", "operator": "gt", "value": "x"}), "rules.conditions[0].operator"),
        (rules({"field": "city", "operator": "equals"}), "rules.conditions[0].value"),
        (
            rules({"field": "customAttributes.balance", "operator": "equals", "value": "lots"}),
            "rules.conditions[0].value",
        ),
        (rules({"field": "city", "operator": "equals", "value": "x", "extra": 1}), "rules.conditions[0].extra"),
        (
            rules(rules(rules({"field": "city", "operator": "is_empty"}))),
            "rules.conditions[0].conditions[0]",
        ),
    ],
)
def test_invalid_rules_name_the_bad_part(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRules) as raised:
        parse_rules(body, ATTRIBUTES)
    assert field in [issue.field for issue in raised.value.issues]
