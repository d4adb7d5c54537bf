"""FlowRun: one walk of one flow for one call.

The run alternates between asking for an action (``start``/``resume`` return it) and receiving
the result. Nodes that need no telephony (condition, set_variable) are evaluated in place. Error
rule (FAQ): a node's ``onError`` output, else its ``default`` output, else the call ends ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from callcast_flowengine.actions import Action, CollectDigits, Dial, Finished, Hangup, Play, Record
from callcast_flowengine.document import Flow, Node
from callcast_flowengine.events import (
    ActionFailed,
    CalleeHungUp,
    CallEvent,
    DialResult,
    DigitsCollected,
    RecordCompleted,
)
from callcast_flowengine.values import ValueResolutionError, resolve

DEFAULT_MAX_STEPS = 500

# Call outcome when a dial result has no output to follow.
_DIAL_OUTCOMES = {"busy": "busy", "no_answer": "no_answer", "rejected": "rejected", "failed": "failed"}
_DIAL_OUTPUTS = {"busy": "onBusy", "no_answer": "onNoAnswer", "rejected": "onRejected", "failed": "onError"}


@dataclass(frozen=True)
class PathEntry:
    node_id: str
    node_type: str
    node_label: str | None
    output_path: str | None
    timestamp: datetime
    node_execution_index: int

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeId": self.node_id,
            "nodeType": self.node_type,
            "nodeLabel": self.node_label,
            "outputPath": self.output_path,
            "timestamp": self.timestamp.isoformat().replace("+00:00", "Z"),
        }


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class FlowRun:
    flow: Flow
    contact: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    system: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], datetime] = _utcnow
    max_steps: int = DEFAULT_MAX_STEPS

    execution_path: list[PathEntry] = field(default_factory=list)
    node_execution_count: int = 0
    outcome: str | None = None
    outcome_reason: str | None = None
    answered: bool = False
    answered_by: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    _current: Node | None = None
    _entered_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def current_node(self) -> Node | None:
        return self._current

    # -- driving ------------------------------------------------------------------------------
    def start(self) -> Action:
        self.started_at = self.clock()
        return self._enter(self.flow.start_node_id)

    def resume(self, event: CallEvent) -> Action:
        node = self._current
        if node is None or self.finished:
            raise RuntimeError("the run is not waiting for a result")
        if isinstance(event, CalleeHungUp):
            self._record(node, "onHangup")
            return self._finish_now("user_hangup", "callee hung up")
        if isinstance(event, ActionFailed):
            return self._fail(node, event.reason)
        if node.type == "dial":
            return self._after_dial(node, event)
        if node.type in ("play", "answer"):
            out = "onComplete" if node.type == "play" else "onSuccess"
            return self._follow(node, out)
        if node.type == "dtmf":
            return self._after_dtmf(node, event)
        if node.type == "record" and isinstance(event, RecordCompleted):
            var = node.config.get("variable")
            if isinstance(var, str) and var:
                self.variables[var] = event.recording_id
            return self._follow(node, "onTimeout" if event.result == "timeout" else "onComplete")
        return self._fail(node, f"unexpected result {type(event).__name__} for a {node.type} node")

    # -- node handling ------------------------------------------------------------------------
    def _enter(self, node_id: str) -> Action:
        steps = 0
        next_id: str | None = node_id
        while next_id is not None:
            steps += 1
            if self.node_execution_count >= self.max_steps or steps > self.max_steps:
                return self._finish_now("failed", "step limit reached (a loop without an exit?)")
            node = self.flow.nodes.get(next_id)
            if node is None:
                return self._finish_now("failed", f"no node {next_id!r}")
            self.node_execution_count += 1
            self._current = node
            self._entered_at = self.clock()
            try:
                action_or_next = self._execute(node)
            except ValueResolutionError as err:
                action_or_next = self._error_target(node, str(err))
            if isinstance(action_or_next, str) or action_or_next is None:
                next_id = action_or_next
                if next_id is None and not self.finished:
                    return self._end_of_flow()
                if self.finished:
                    return self._terminal_action()
                continue
            return action_or_next
        return self._end_of_flow()

    def _execute(self, node: Node) -> Action | str | None:
        """An action to perform, or the id of the next node for an instantaneous one."""
        t = node.type
        if t == "dial":
            return Dial(
                node_id=node.id,
                timeout_ms=int(node.config.get("timeout", 30000)),
                enable_amd=bool(node.config.get("enableAMD", True)),
                amd=dict(node.config.get("amd") or {}),
            )
        if t == "answer":
            return self._follow_id(node, "onSuccess")
        if t == "play":
            return Play(node_id=node.id, items=self._resolve_items(node.config.get("items") or []))
        if t == "dtmf":
            return CollectDigits(
                node_id=node.id,
                config=dict(node.config),
                prompt=self._resolve_items(node.config.get("prompt") or []),
            )
        if t == "record":
            return Record(
                node_id=node.id,
                max_duration_sec=int(node.config.get("maxDurationSec", 60)),
                silence_timeout_sec=int(node.config.get("silenceTimeoutSec", 5)),
                beep=bool(node.config.get("beep", True)),
            )
        if t == "set_variable":
            var = node.config.get("variable")
            if not isinstance(var, str) or not var:
                return self._error_target(node, "set_variable needs config.variable")
            self.variables[var] = self._value(node.config.get("value"))
            return self._follow_id(node, "onSuccess")
        if t == "condition":
            return self._follow_id(node, "onTrue" if self._condition(node) else "onFalse")
        if t == "hangup":
            self._record(node, None)
            outcome = "completed" if self.answered else "failed"
            self.outcome, self.outcome_reason = outcome, None if self.answered else "hangup before answer"
            return None
        return self._error_target(node, f"unknown node type {t!r}")

    def _after_dial(self, node: Node, event: CallEvent) -> Action:
        if not isinstance(event, DialResult):
            return self._fail(node, "dial node expects a dial result")
        if event.status == "answered":
            self.answered = True
            self.answered_by = event.answered_by
            amd = bool(node.config.get("enableAMD", True))
            if amd and event.answered_by == "machine":
                target = node.output("onVoicemail") or node.output("default")
                self._record(node, "onVoicemail")
                if target is None:
                    return self._finish_with_hangup("voicemail", "answering machine")
                return self._enter(target)
            return self._follow(node, "onAnswer")
        output = _DIAL_OUTPUTS.get(event.status, "onError")
        target = node.output(output) or node.output("default")
        self._record(node, output)
        if target is None:
            return self._finish_now(_DIAL_OUTCOMES.get(event.status, "failed"), event.reason)
        return self._enter(target)

    def _after_dtmf(self, node: Node, event: CallEvent) -> Action:
        if not isinstance(event, DigitsCollected):
            return self._fail(node, "dtmf node expects collected digits")
        var = node.config.get("variable")
        if event.result == "success" and event.digits is not None:
            if isinstance(var, str) and var:
                self.variables[var] = event.digits
            branches = node.outputs.get("branches") or {}
            if isinstance(branches, dict) and event.digits in branches:
                self._record(node, f"branches.{event.digits}")
                return self._enter(str(branches[event.digits]))
            if node.output("onSuccess"):
                return self._follow(node, "onSuccess")
            return self._follow(node, "onInvalid")
        return self._follow(node, "onTimeout" if event.result == "timeout" else "onInvalid")

    # -- outputs ------------------------------------------------------------------------------
    def _follow(self, node: Node, output: str) -> Action:
        target = node.output(output) or node.output("default")
        self._record(node, output)
        if target is None:
            return self._end_of_flow()
        return self._enter(target)

    def _follow_id(self, node: Node, output: str) -> str | None:
        target = node.output(output) or node.output("default")
        self._record(node, output)
        return target

    def _error_target(self, node: Node, reason: str) -> str | None:
        target = node.output("onError") or node.output("default")
        self._record(node, "onError")
        if target is None:
            self.outcome, self.outcome_reason = "failed", reason
        return target

    def _fail(self, node: Node, reason: str) -> Action:
        target = self._error_target(node, reason)
        if target is None:
            return self._terminal_action()
        return self._enter(target)

    def _end_of_flow(self) -> Action:
        """No next node: the flow ends here. Answered calls end completed."""
        if not self.finished:
            if self.answered:
                self.outcome, self.outcome_reason = "completed", None
            else:
                self.outcome, self.outcome_reason = "failed", "flow ended before the call was answered"
        return self._terminal_action()

    def _finish_with_hangup(self, outcome: str, reason: str | None) -> Action:
        self.outcome, self.outcome_reason = outcome, reason
        return self._terminal_action()

    def _finish_now(self, outcome: str, reason: str | None) -> Action:
        self.outcome, self.outcome_reason = outcome, reason
        return self._terminal_action()

    def _terminal_action(self) -> Action:
        self.completed_at = self.clock()
        assert self.outcome is not None
        if self.answered and self.outcome != "user_hangup":
            node_id = self._current.id if self._current and self._current.type == "hangup" else None
            return Hangup(node_id=node_id, outcome=self.outcome, reason=self.outcome_reason)
        return Finished(outcome=self.outcome, reason=self.outcome_reason)

    def _record(self, node: Node, output: str | None) -> None:
        self.execution_path.append(
            PathEntry(
                node_id=node.id,
                node_type=node.type,
                node_label=node.label,
                output_path=output,
                timestamp=self._entered_at or self.clock(),
                node_execution_index=self.node_execution_count,
            )
        )

    # -- values -------------------------------------------------------------------------------
    def _value(self, source: Any) -> Any:
        return resolve(source, variables=self.variables, contact=self.contact, system=self.system)

    def _resolve_items(self, items: list[Any]) -> list[dict[str, Any]]:
        resolved: list[dict[str, Any]] = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueResolutionError("play items must be objects")
            out = dict(item)
            if "value" in item and item.get("type") in ("number", "date", "word"):
                out["value"] = self._value(item["value"])
            resolved.append(out)
        return resolved

    def _condition(self, node: Node) -> bool:
        conditions = node.config.get("conditions") or []
        results = [self._compare(c) for c in conditions if isinstance(c, dict)]
        if not results:
            return False
        return any(results) if str(node.config.get("operator", "AND")).upper() == "OR" else all(results)

    def _compare(self, cond: dict[str, Any]) -> bool:
        left = self._value(cond.get("left"))
        right = self._value(cond.get("right"))
        op = cond.get("op") or cond.get("operator")
        return compare(left, str(op), right)


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def compare(left: Any, op: str, right: Any) -> bool:
    if op in ("gt", "lt", "gte", "lte"):
        a, b = _num(left), _num(right)
        if a is None or b is None:
            if isinstance(left, str) and isinstance(right, str):
                a_s, b_s = left, right
                return {"gt": a_s > b_s, "lt": a_s < b_s, "gte": a_s >= b_s, "lte": a_s <= b_s}[op]
            return False
        return {"gt": a > b, "lt": a < b, "gte": a >= b, "lte": a <= b}[op]
    if op in ("eq", "neq"):
        a2, b2 = _num(left), _num(right)
        equal = a2 == b2 if a2 is not None and b2 is not None else left == right
        return equal if op == "eq" else not equal
    ls, rs = "" if left is None else str(left), "" if right is None else str(right)
    if op == "contains":
        return rs in ls
    if op == "startsWith":
        return ls.startswith(rs)
    if op == "endsWith":
        return ls.endswith(rs)
    raise ValueResolutionError(f"unknown operator {op!r}")
