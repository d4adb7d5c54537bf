"""Auto-pause rules (digest §10.3): validation, and the per-execution node counters.

A rule ``{nodeId, threshold, resetOnResume}`` counts how many times node ``nodeId`` runs, in any
call of the execution; when the count reaches ``threshold`` the execution becomes
``paused_threshold``.

Decisions:

- Normal form: ``{"nodeId": str, "threshold": int, "resetOnResume": bool}``; ``resetOnResume``
  defaults to false when absent. ``[]`` is kept (on resume it means "no rules any more"); ``None``
  means "not given".
- A rule fires once per counting period: at the entry that brings its count to the threshold.
  It fires again only after its counter was reset (a resume with ``resetOnResume``, or a
  replacing rule with another threshold). So ``resetOnResume: false`` makes the threshold a
  one-off checkpoint for the execution; ``true`` allows ``threshold`` more entries after each
  resume.
- Only nodes named by a rule are counted: a rule added on resume starts from zero.
- Resume with new rules replaces the rules. A node still named keeps its count unless the rule
  it had or the new rule has ``resetOnResume`` (either asks for a fresh start at this resume).
  Its fired mark is kept only when the threshold is unchanged and the count was kept.
- Counting is not idempotent by itself: the caller records each node execution once (e.g. keyed
  by event id in the same transaction as the stored state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from callcast_runtime.errors import ValidationFailed

MAX_RULES = 100
MAX_THRESHOLD = 100_000_000
MAX_NODE_ID_LENGTH = 200
_FIELDS = frozenset({"nodeId", "threshold", "resetOnResume"})


def normalize_auto_pause_rules(raw: Any, *, field: str = "autoPauseRules") -> list[dict[str, Any]] | None:
    """Validate and answer the normal form; ValidationFailed names e.g.
    ``autoPauseRules[1].threshold`` (``field`` is the body property holding the list)."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_RULES:
        raise ValidationFailed.single(field, f"{field} must be a list of at most {MAX_RULES} rules", "isArray")
    rules: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        at = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise ValidationFailed.single(at, "must be an object", "type")
        extra = set(item) - _FIELDS
        if extra:
            raise ValidationFailed.single(f"{at}.{sorted(extra)[0]}", "property should not exist", "unknownField")
        node_id = item.get("nodeId")
        if not isinstance(node_id, str) or not node_id.strip() or len(node_id) > MAX_NODE_ID_LENGTH:
            message = f"nodeId must be a non-empty string of at most {MAX_NODE_ID_LENGTH} characters"
            raise ValidationFailed.single(f"{at}.nodeId", message, "isString")
        if node_id in seen:
            raise ValidationFailed.single(f"{at}.nodeId", f"another rule already watches node {node_id}", "unique")
        seen.add(node_id)
        threshold = item.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= MAX_THRESHOLD:
            message = f"threshold must be an integer from 1 to {MAX_THRESHOLD}"
            raise ValidationFailed.single(f"{at}.threshold", message, "range", min=1, max=MAX_THRESHOLD)
        reset = item.get("resetOnResume", False)
        if not isinstance(reset, bool):
            raise ValidationFailed.single(f"{at}.resetOnResume", "resetOnResume must be a boolean", "isBoolean")
        rules.append({"nodeId": node_id, "threshold": threshold, "resetOnResume": reset})
    return rules


@dataclass
class AutoPauseCounters:
    """Node counts of one execution against its rules. Pure; store :meth:`to_dict` (JSON)."""

    rules: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: Nodes whose rule fired since its counter was last reset.
    fired: set[str] = field(default_factory=set)

    @classmethod
    def for_rules(cls, rules: Sequence[Mapping[str, Any]] | None) -> AutoPauseCounters:
        return cls(rules=normalize_auto_pause_rules(list(rules) if rules is not None else None) or [])

    def rule_for(self, node_id: str) -> dict[str, Any] | None:
        return next((r for r in self.rules if r["nodeId"] == node_id), None)

    def record(self, node_id: str, times: int = 1) -> list[dict[str, Any]]:
        """Count ``times`` executions of ``node_id``; answer the rules that fire now (at most
        one: one rule per node)."""
        if times < 1:
            raise ValueError("times must be positive")
        rule = self.rule_for(node_id)
        if rule is None:
            return []
        self.counts[node_id] = self.counts.get(node_id, 0) + times
        if node_id in self.fired or self.counts[node_id] < rule["threshold"]:
            return []
        self.fired.add(node_id)
        return [rule]

    def reset_on_resume(self, rules: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Apply a resume: without ``rules`` the rules stay and those with ``resetOnResume``
        start again from zero; with ``rules`` (validated here too) they replace the old ones."""
        new = self.rules if rules is None else normalize_auto_pause_rules(list(rules)) or []
        counts: dict[str, int] = {}
        fired: set[str] = set()
        for rule in new:
            node_id = rule["nodeId"]
            old = self.rule_for(node_id)
            if old is None or old["resetOnResume"] or rule["resetOnResume"]:
                continue
            counts[node_id] = self.counts.get(node_id, 0)
            # A new threshold is a new rule: if the kept count already passed it, it fires at the
            # node's next entry rather than never.
            if node_id in self.fired and old["threshold"] == rule["threshold"]:
                fired.add(node_id)
        self.rules, self.counts, self.fired = list(new), counts, fired

    def to_dict(self) -> dict[str, Any]:
        return {"rules": [dict(r) for r in self.rules], "counts": dict(self.counts), "fired": sorted(self.fired)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> AutoPauseCounters:
        if not data:
            return cls()
        rules = normalize_auto_pause_rules(list(data.get("rules") or [])) or []
        named = {r["nodeId"] for r in rules}
        counts = {str(k): int(v) for k, v in (data.get("counts") or {}).items() if k in named}
        fired = {str(n) for n in data.get("fired") or [] if n in named}
        return cls(rules=rules, counts=counts, fired=fired)
