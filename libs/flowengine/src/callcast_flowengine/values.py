"""ValueSources: where a node reads a value from.

``{"type":"literal","value":…}``, ``{"type":"variable","name":…}``,
``{"type":"customAttribute","name":…}``, ``{"type":"contactField","name":…}``,
``{"type":"system","name":"sys.callId"}``; the snake_case names of the older docs are accepted.
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


class ValueResolutionError(ValueError):
    pass


def resolve(
    source: Any,
    *,
    variables: dict[str, Any],
    contact: dict[str, Any],
    system: dict[str, Any],
) -> Any:
    if not isinstance(source, dict):
        return source  # a bare literal
    kind = SOURCE_ALIASES.get(str(source.get("type")))
    if kind is None:
        raise ValueResolutionError(f"unknown value source type {source.get('type')!r}")
    if kind == "literal":
        return source.get("value")
    name = source.get("name")
    if not isinstance(name, str):
        raise ValueResolutionError("value source needs a name")
    if kind == "variable":
        return variables.get(name)
    if kind == "customAttribute":
        attrs = contact.get("customAttributes") or {}
        return attrs.get(name)
    if kind == "contactField":
        return contact.get(name)
    key = name if name.startswith("sys.") else f"sys.{name}"
    return system.get(key)
