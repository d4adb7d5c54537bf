"""How a condition node decides: comparisons and AND/OR groups.

Rules (documented in the flow service's OpenAPI description):
- ``eq``/``neq`` compare numbers when both sides read as numbers (``5`` equals ``"5.0"``),
  otherwise text; ``true``/``false`` read as those words and ``null`` as empty text.
- ``gt``/``lt``/``gte``/``lte`` compare numbers when both sides read as numbers, otherwise text
  (so ISO dates compare by date); a missing value (``null``) is never greater or smaller: false.
- ``contains``/``startsWith``/``endsWith`` compare text, case-sensitively.
- A group (``{"operator": "AND"|"OR", "conditions": [...]}``) may stand in for a comparison, so
  groups nest; the node's config is the outermost group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from callcast_flowengine.nodes import COMPARISONS, MAX_GROUP_DEPTH
from callcast_flowengine.values import ValueResolutionError

Resolve = Callable[[Any], Any]


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None
    return None


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def compare(left: Any, op: str, right: Any) -> bool:
    if op not in COMPARISONS:
        raise ValueResolutionError(f"unknown comparison {op!r} (one of: {', '.join(COMPARISONS)})")
    a, b = as_number(left), as_number(right)
    if op in ("eq", "neq"):
        equal = a == b if a is not None and b is not None else as_text(left) == as_text(right)
        return equal if op == "eq" else not equal
    if op in ("gt", "lt", "gte", "lte"):
        if left is None or right is None:
            return False
        if a is not None and b is not None:
            x: Any
            y: Any
            x, y = a, b
        else:
            x, y = as_text(left), as_text(right)
        return {"gt": x > y, "lt": x < y, "gte": x >= y, "lte": x <= y}[op]
    text, part = as_text(left), as_text(right)
    if op == "contains":
        return part in text
    if op == "startsWith":
        return text.startswith(part)
    return text.endswith(part)


def is_group(item: Mapping[str, Any]) -> bool:
    return "conditions" in item


def evaluate_group(group: Mapping[str, Any], resolve: Resolve, depth: int = 1) -> bool:
    """``operator`` (``AND`` by default) over ``conditions``; an empty group is an error."""
    if depth > MAX_GROUP_DEPTH:
        raise ValueResolutionError(f"condition groups nest at most {MAX_GROUP_DEPTH} levels")
    operator = group.get("operator", "AND")
    if operator not in ("AND", "OR"):
        raise ValueResolutionError(f"unknown group operator {operator!r} (AND or OR)")
    items = group.get("conditions")
    if not isinstance(items, list) or not items:
        raise ValueResolutionError("a condition needs at least one comparison")
    results = (_evaluate_item(item, resolve, depth) for item in items)
    # Short-circuit like the words say: a later item is not evaluated once the answer is known.
    return any(results) if operator == "OR" else all(results)


def _evaluate_item(item: Any, resolve: Resolve, depth: int) -> bool:
    if not isinstance(item, dict):
        raise ValueResolutionError("each condition must be an object")
    if is_group(item):
        return evaluate_group(item, resolve, depth + 1)
    if "left" not in item or "right" not in item:
        raise ValueResolutionError("a comparison needs left and right")
    return compare(resolve(item["left"]), str(item.get("op")), resolve(item["right"]))
