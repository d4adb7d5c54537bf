"""ValueSources: where a node reads a value from.

``{"type":"literal","value":…}``, ``{"type":"variable","name":…}``,
``{"type":"customAttribute","name":…}``, ``{"type":"contactField","name":…}``,
``{"type":"system","name":"sys.callId"}``; the snake_case names of the older docs are accepted.
A bare JSON scalar (string, number, boolean, null) reads as a literal.
"""

from __future__ import annotations

from typing import Any

SOURCE_ALIASES = {
    "literal": "literal",
    "static": "literal",
    "variable": "variable",
    "flow_variable": "variable",
    "flowVariable": "variable",
    "customAttribute": "customAttribute",
    "custom_attribute": "customAttribute",
    "contactField": "contactField",
    "contact_field": "contactField",
    "system": "system",
    "system_variable": "system",
    "systemVariable": "system",
}

#: The system variables a run knows (the documented list); ``name`` may leave out ``sys.``.
SYSTEM_VARIABLES = (
    "sys.callId",
    "sys.callStatus",
    "sys.callDirection",
    "sys.answeredBy",
    "sys.contactId",
    "sys.contactPhone",
    "sys.contactName",
    "sys.organizationId",
    "sys.programId",
)

#: Contact fields a ``contactField`` source can name (the documented contact), plus
#: ``customAttributes.<name>``, which reads like a ``customAttribute`` source.
CONTACT_FIELDS = (
    "id",
    "firstName",
    "lastName",
    "fullName",
    "primaryPhone",
    "primaryEmail",
    "address",
    "city",
    "state",
    "zip",
    "occupation",
    "preferredChannel",
    "gender",
    "channels",
)

SCALAR_TYPES = (str, int, float, bool, type(None))


class ValueResolutionError(ValueError):
    pass


def source_kind(source: Any) -> str | None:
    """The canonical kind of a ValueSource (``literal`` for a bare scalar); None if unreadable."""
    if isinstance(source, SCALAR_TYPES):
        return "literal"
    if not isinstance(source, dict):
        return None
    return SOURCE_ALIASES.get(str(source.get("type")))


def system_name(name: str) -> str:
    return name if name.startswith("sys.") else f"sys.{name}"


def custom_attribute_name(kind: str, name: str) -> str | None:
    """The custom attribute a source reads, if it reads one."""
    if kind == "customAttribute":
        return name
    if kind == "contactField" and name.startswith("customAttributes."):
        return name.removeprefix("customAttributes.")
    return None


def resolve(
    source: Any,
    *,
    variables: dict[str, Any],
    contact: dict[str, Any],
    system: dict[str, Any],
) -> Any:
    kind = source_kind(source)
    if kind is None:
        raise ValueResolutionError(f"unknown value source {source!r}")
    if not isinstance(source, dict):
        return source  # a bare literal
    if kind == "literal":
        return source.get("value")
    name = source.get("name")
    if not isinstance(name, str) or not name:
        raise ValueResolutionError(f"a {kind} value source needs a name")
    if kind == "variable":
        return variables.get(name)
    attribute = custom_attribute_name(kind, name)
    if attribute is not None:
        attrs = contact.get("customAttributes") or {}
        return attrs.get(attribute) if isinstance(attrs, dict) else None
    if kind == "contactField":
        return contact.get(name)
    return system.get(system_name(name))
