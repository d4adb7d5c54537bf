"""Rules of live audiences (digest §5): which contacts belong, recomputed as contacts change.

Public JSON form (the docs did not capture the exact keys; this is our documented choice)::

    {"operator": "AND", "conditions": [
        {"field": "city", "operator": "equals", "value": "Casablanca"},
        {"operator": "OR", "conditions": [
            {"field": "customAttributes.customer_tier", "operator": "equals", "value": "gold"},
            {"field": "customAttributes.balance", "operator": "gt", "value": 1000}]}]}

A group combines its conditions with ``AND`` or ``OR``; nesting stops at three levels (root group →
subgroup → conditions). ``field`` is a contact field (``firstName``, ``city``, ``gender``,
``channels``, …) or ``customAttributes.<name>``. Operators: ``equals``, ``not_equals``,
``is_empty``, ``is_not_empty``, ``contains``, ``not_contains`` (text and ``channels``), ``gt``,
``gte``, ``lt``, ``lte`` (number and date attributes). Text compares without regard to case;
``not_equals``/``not_contains`` are the negations of ``equals``/``contains`` (a contact without
the value matches them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from callcast_contact.domain.attributes import AttributeType, coerce_value
from callcast_contact.domain.contacts import Contact
from callcast_contact.domain.issues import Issue

MAX_DEPTH = 2  # root group (1) → subgroup (2) → conditions
MAX_CONDITIONS = 50
ATTRIBUTE_PREFIX = "customAttributes."

#: Contact fields a rule may read: API name → attribute of ``Contact``.
CONTACT_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "fullName": "full_name",
    "primaryEmail": "primary_email",
    "primaryPhone": "primary_phone",
    "address": "address",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "occupation": "occupation",
    "preferredChannel": "preferred_channel",
    "gender": "gender",
    "channels": "channels",
}


class RuleOperator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"


_ORDERED = {RuleOperator.GT, RuleOperator.GTE, RuleOperator.LT, RuleOperator.LTE}
_VALUELESS = {RuleOperator.IS_EMPTY, RuleOperator.IS_NOT_EMPTY}
_TEXTUAL = {RuleOperator.CONTAINS, RuleOperator.NOT_CONTAINS}


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: RuleOperator
    value: Any
    #: ``None`` for contact fields; the attribute's type for ``customAttributes.<name>``.
    attribute_type: AttributeType | None


@dataclass(frozen=True, slots=True)
class RuleGroup:
    operator: str  # AND | OR
    conditions: tuple[Condition | RuleGroup, ...]


class InvalidRules(ValueError):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def parse_rules(data: Any, attributes: Mapping[str, AttributeType], path: str = "rules") -> RuleGroup:
    """The rule group in ``data`` (its public JSON form); ``InvalidRules`` names every bad part."""
    issues: list[Issue] = []
    group = _group(data, attributes, path, 1, issues)
    if issues or group is None:
        raise InvalidRules(issues or [Issue(path, "invalid", f"{path} must be a rule group")])
    return group


def _group(
    data: Any, attributes: Mapping[str, AttributeType], path: str, depth: int, issues: list[Issue]
) -> RuleGroup | None:
    if not isinstance(data, dict):
        issues.append(Issue(path, "type", f"{path} must be an object with operator and conditions"))
        return None
    unknown = set(data) - {"operator", "conditions"}
    for key in sorted(unknown):
        issues.append(Issue(f"{path}.{key}", "unknownField", f"{path}.{key} property should not exist"))
    operator = data.get("operator", "AND")
    if operator not in ("AND", "OR"):
        issues.append(Issue(f"{path}.operator", "isEnum", f"{path}.operator must be one of: AND, OR"))
    conditions = data.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        issues.append(Issue(f"{path}.conditions", "minLength", f"{path}.conditions must be a non-empty array"))
        return None
    if len(conditions) > MAX_CONDITIONS:
        issues.append(
            Issue(f"{path}.conditions", "maxLength", f"{path}.conditions must have at most {MAX_CONDITIONS} items")
        )
        return None
    parsed: list[Condition | RuleGroup] = []
    for i, item in enumerate(conditions):
        item_path = f"{path}.conditions[{i}]"
        if isinstance(item, dict) and "conditions" in item:
            if depth >= MAX_DEPTH:
                issues.append(
                    Issue(
                        item_path,
                        "maxDepth",
                        f"{item_path}: rule groups nest at most 3 levels (group → subgroup → conditions)",
                    )
                )
                continue
            sub = _group(item, attributes, item_path, depth + 1, issues)
            if sub is not None:
                parsed.append(sub)
        else:
            cond = _condition(item, attributes, item_path, issues)
            if cond is not None:
                parsed.append(cond)
    return RuleGroup(operator=str(operator), conditions=tuple(parsed))


def _condition(data: Any, attributes: Mapping[str, AttributeType], path: str, issues: list[Issue]) -> Condition | None:
    if not isinstance(data, dict):
        issues.append(Issue(path, "type", f"{path} must be a condition object (field, operator, value)"))
        return None
    for key in sorted(set(data) - {"field", "operator", "value"}):
        issues.append(Issue(f"{path}.{key}", "unknownField", f"{path}.{key} property should not exist"))
    field = data.get("field")
    attribute_type: AttributeType | None = None
    if not isinstance(field, str):
        issues.append(Issue(f"{path}.field", "required", f"{path}.field is required"))
        return None
    if field.startswith(ATTRIBUTE_PREFIX):
        attribute_type = attributes.get(field[len(ATTRIBUTE_PREFIX) :])
        if attribute_type is None:
            issues.append(
                Issue(f"{path}.field", "unknownAttribute", f"{path}.field: {field} is not a custom attribute")
            )
            return None
    elif field not in CONTACT_FIELDS:
        allowed = ", ".join(CONTACT_FIELDS)
        issues.append(
            Issue(f"{path}.field", "isEnum", f"{path}.field must be one of: {allowed}, or customAttributes.<name>")
        )
        return None
    try:
        operator = RuleOperator(str(data.get("operator")))
    except ValueError:
        issues.append(Issue(f"{path}.operator", "isEnum", f"{path}.operator must be one of: {', '.join(RuleOperator)}"))
        return None
    ordered_types = (AttributeType.NUMBER, AttributeType.DATE)
    if operator in _ORDERED and attribute_type not in ordered_types:
        issues.append(
            Issue(
                f"{path}.operator", "operatorType", f"{path}.operator {operator} applies to number and date attributes"
            )
        )
        return None
    textual = attribute_type in (
        None,
        AttributeType.TEXT,
        AttributeType.EMAIL,
        AttributeType.URL,
        AttributeType.PHONE_NUMBER,
    )
    if operator in _TEXTUAL and not textual:
        issues.append(Issue(f"{path}.operator", "operatorType", f"{path}.operator {operator} applies to text values"))
        return None
    value = data.get("value")
    if operator in _VALUELESS:
        return Condition(field, operator, None, attribute_type)
    if value is None:
        issues.append(Issue(f"{path}.value", "required", f"{path}.value is required for {operator}"))
        return None
    try:
        value = coerce_value(attribute_type, value) if attribute_type else _text_value(value)
    except ValueError as err:
        issues.append(Issue(f"{path}.value", "invalidValue", f"{path}.value {err}"))
        return None
    return Condition(field, operator, value, attribute_type)


def _text_value(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


# Evaluation ---------------------------------------------------------------------------------


def matches(rules: RuleGroup, contact: Contact) -> bool:
    results = (
        matches(item, contact) if isinstance(item, RuleGroup) else _holds(item, contact) for item in rules.conditions
    )
    return all(results) if rules.operator == "AND" else any(results)


def _actual(cond: Condition, contact: Contact) -> Any:
    if cond.attribute_type is not None:
        return contact.custom_attributes.get(cond.field[len(ATTRIBUTE_PREFIX) :])
    return getattr(contact, CONTACT_FIELDS[cond.field])


def _comparable(value: Any, attribute_type: AttributeType | None) -> Any:
    if attribute_type is AttributeType.DATE and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(value, str):
        return value.casefold()
    return value


def _holds(cond: Condition, contact: Contact) -> bool:
    actual = _actual(cond, contact)
    op = cond.operator
    empty = actual is None or actual == "" or actual == []
    if op is RuleOperator.IS_EMPTY:
        return empty
    if op is RuleOperator.IS_NOT_EMPTY:
        return not empty
    if op in (RuleOperator.NOT_EQUALS, RuleOperator.NOT_CONTAINS):
        positive = RuleOperator.EQUALS if op is RuleOperator.NOT_EQUALS else RuleOperator.CONTAINS
        return not _holds(Condition(cond.field, positive, cond.value, cond.attribute_type), contact)
    if empty:
        return False
    try:
        expected = _comparable(cond.value, cond.attribute_type)
        if isinstance(actual, list):
            items = [_comparable(a, None) for a in actual]
            if op is RuleOperator.CONTAINS:
                return any(expected in item for item in items)
            return expected in items  # equals on a list: one of its items
        value = _comparable(actual, cond.attribute_type)
        if op is RuleOperator.EQUALS:
            return bool(value == expected)
        if op is RuleOperator.CONTAINS:
            return isinstance(value, str) and expected in value
        if op is RuleOperator.GT:
            return bool(value > expected)
        if op is RuleOperator.GTE:
            return bool(value >= expected)
        if op is RuleOperator.LT:
            return bool(value < expected)
        if op is RuleOperator.LTE:
            return bool(value <= expected)
    except (TypeError, ValueError):
        return False  # a stored value of another shape (e.g. a date and a date-time) never matches
    return False


# Stored form ---------------------------------------------------------------------------------
# The public form plus each attribute condition's type, so stored rules keep working (and keep
# their meaning) even after an attribute definition is deleted.


def to_json(rules: RuleGroup, *, with_types: bool = False) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for item in rules.conditions:
        if isinstance(item, RuleGroup):
            items.append(to_json(item, with_types=with_types))
            continue
        cond: dict[str, Any] = {"field": item.field, "operator": str(item.operator)}
        if item.operator not in _VALUELESS:
            cond["value"] = item.value
        if with_types and item.attribute_type is not None:
            cond["attributeType"] = str(item.attribute_type)
        items.append(cond)
    return {"operator": rules.operator, "conditions": items}


def from_stored(data: dict[str, Any]) -> RuleGroup:
    items: list[Condition | RuleGroup] = []
    for item in data["conditions"]:
        if "conditions" in item:
            items.append(from_stored(item))
        else:
            kind = item.get("attributeType")
            items.append(
                Condition(
                    field=item["field"],
                    operator=RuleOperator(item["operator"]),
                    value=item.get("value"),
                    attribute_type=AttributeType(kind) if kind else None,
                )
            )
    return RuleGroup(operator=data["operator"], conditions=tuple(items))


def public_form(stored: dict[str, Any]) -> dict[str, Any]:
    return to_json(from_stored(stored))
