"""FlowRun: one walk of one flow for one call.

The run alternates between asking for an action (``start``/``resume`` return it) and receiving
its result. Nodes that need no telephony (answer, condition, set_variable, hangup) are evaluated
in place. The rules, in the order a node meets them:

- Entering a node costs one step (a dtmf re-prompt costs one too); after ``max_steps`` the run
  ends ``failed`` ("step limit reached"), so a loop with no way out cannot run forever.
- Every output falls back to the node's ``default`` output. The path records the output actually
  followed (``default`` included); when nothing is connected it records the output the outcome
  asked for, and the flow ends there.
- Error rule (FAQ): a node that fails (bad value, failed action, bad config) follows ``onError``,
  else ``default``, else the call ends with outcome ``failed`` (a call that never connected keeps
  its dial result as outcome, the error goes in the reason).
- The callee hanging up at any node ends the run with outcome ``user_hangup``.
- ``play``, ``dtmf`` and ``record`` need a connected call. When no dial node came first the engine
  asks for the call itself (``Dial(implicit=True)``: 30 s, no AMD); after a dial that did not
  connect they are a node error.
- The flow ends (a hangup node, or an output with nowhere to go): an answered call ends
  ``completed`` (``voicemail`` when AMD found a machine); an unanswered one ends with the last dial
  result (``busy``, ``no_answer``, ``rejected``, ``failed``), or ``failed`` when no call was placed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from callcast_flowengine.actions import Action, CollectDigits, Dial, Finished, Hangup, Play, Record
from callcast_flowengine.conditions import evaluate_group
from callcast_flowengine.document import Flow, Node
from callcast_flowengine.events import (
    ActionFailed,
    CalleeHungUp,
    CallEvent,
    DialResult,
    DigitsCollected,
    PlayCompleted,
    RecordCompleted,
)
from callcast_flowengine.nodes import (
    DIAL_RESULT_OUTPUTS,
    DIAL_TIMEOUT_DEFAULT_MS,
    KEYPAD,
    NodeConfigError,
    branch_targets,
    dial_settings,
    dtmf_settings,
    record_settings,
)
from callcast_flowengine.play_items import resolve_items
from callcast_flowengine.values import ValueResolutionError, resolve

DEFAULT_MAX_STEPS = 500

#: Nodes that need a connected call.
CALL_NODES = ("play", "dtmf", "record")

_NODE_ERRORS = (ValueResolutionError, NodeConfigError)


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


@dataclass(frozen=True)
class _Goto:
    """Go on at ``target``; None: the flow ends here (unless the run already has its outcome)."""

    target: str | None


_Step = Action | _Goto


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
    #: Asked as each node is entered: has the callee hung up by now? (The simulator scripts
    #: "hang up at node X" with it; a driver may pass its line state.)
    callee_hung_up_at: Callable[[Node], bool] | None = None

    execution_path: list[PathEntry] = field(default_factory=list)
    node_execution_count: int = 0
    #: Node entries plus dtmf re-prompts: what ``max_steps`` limits.
    steps: int = 0
    outcome: str | None = None
    outcome_reason: str | None = None
    answered: bool = False
    answered_by: str | None = None
    #: AMD found an answering machine (the run ends ``voicemail`` rather than ``completed``).
    machine_answered: bool = False
    #: Node errors the flow handled or died of: (node id, reason), in order.
    errors: list[tuple[str, str]] = field(default_factory=list)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    _current: Node | None = None
    _entered_at: datetime | None = None
    _pending: Action | None = None
    _call_placed: bool = False
    _dial_outcome: tuple[str, str | None] | None = None
    _dtmf_failures: int = 0

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def current_node(self) -> Node | None:
        return self._current

    @property
    def pending_action(self) -> Action | None:
        """The action whose result ``resume`` expects (None before start and once finished)."""
        return self._pending

    # -- driving ------------------------------------------------------------------------------
    def start(self) -> Action:
        if self.started_at is not None:
            raise RuntimeError("the run has already started")
        self.started_at = self.clock()
        return self._hand_out(self._run_from(self.flow.start_node_id))

    def resume(self, event: CallEvent) -> Action:
        node, pending = self._current, self._pending
        if node is None or pending is None or self.finished:
            raise RuntimeError("the run is not waiting for a result")
        self._pending = None
        if isinstance(event, CalleeHungUp):
            self._record(node, None)
            return self._hand_out(self._finish("user_hangup", f"the callee hung up at {node.id}"))
        if isinstance(pending, Dial) and pending.implicit:
            step = self._after_implicit_dial(node, event)
        elif isinstance(event, ActionFailed):
            step = self._error(node, event.reason)
        else:
            step = self._guarded(node, lambda: self._after(node, event))
        return self._hand_out(self._advance(step))

    # -- the walk -----------------------------------------------------------------------------
    def _hand_out(self, action: Action) -> Action:
        self._pending = None if isinstance(action, Hangup | Finished) else action
        return action

    def _advance(self, step: _Step) -> Action:
        if isinstance(step, _Goto):
            return self._run_from(step.target)
        return step

    def _run_from(self, node_id: str | None) -> Action:
        next_id = node_id
        while True:
            if self.finished:
                return self._terminal_action()
            if next_id is None:
                return self._finish(*self._natural_outcome())
            node = self.flow.nodes.get(next_id)
            if node is None:
                return self._finish("failed", f"an output points to a missing node {next_id!r}")
            if self.steps >= self.max_steps:
                return self._finish("failed", self._step_limit_reason())
            self.steps += 1
            self.node_execution_count += 1
            self._current = node
            self._entered_at = self.clock()
            self._dtmf_failures = 0
            if self.callee_hung_up_at is not None and self.callee_hung_up_at(node):
                self._record(node, None)
                return self._finish("user_hangup", f"the callee hung up at {node.id}")
            step = self._guarded(node, partial(self._execute, node))
            if isinstance(step, _Goto):
                next_id = step.target
                continue
            return step

    def _guarded(self, node: Node, work: Callable[[], _Step]) -> _Step:
        try:
            return work()
        except _NODE_ERRORS as err:
            return self._error(node, str(err))

    def _step_limit_reason(self) -> str:
        return f"step limit reached: {self.max_steps} steps without reaching the end (a loop with no way out?)"

    # -- entering nodes -----------------------------------------------------------------------
    def _execute(self, node: Node) -> _Step:
        t = node.type
        if t == "dial":
            if self.answered:
                return self._error(node, "the call is already connected (a dial node places the call)")
            settings = dial_settings(node.config)
            self._call_placed = True
            return Dial(
                node_id=node.id, timeout_ms=settings.timeout_ms, enable_amd=settings.enable_amd, amd=settings.amd
            )
        if t in CALL_NODES:
            if self.answered:
                return self._call_action(node)
            if not self._call_placed:
                self._call_placed = True
                return Dial(node_id=node.id, timeout_ms=DIAL_TIMEOUT_DEFAULT_MS, enable_amd=False, implicit=True)
            return self._error(node, f"a {t} node needs a connected call and the dial did not connect")
        if t == "answer":
            return self._take(node, "onSuccess")
        if t == "set_variable":
            return self._set_variable(node)
        if t == "condition":
            return self._take(node, "onTrue" if evaluate_group(node.config, self._value) else "onFalse")
        if t == "hangup":
            self._record(node, None)
            return self._finish(*self._natural_outcome())
        return self._error(node, f"unknown node type {t!r}")

    def _call_action(self, node: Node) -> Action:
        config = node.config
        if node.type == "play":
            return Play(
                node_id=node.id,
                items=resolve_items(config.get("items") or [], self._value),
                barge_in=config.get("bargeIn") is True,
            )
        if node.type == "dtmf":
            settings = dtmf_settings(config)
            return CollectDigits(
                node_id=node.id,
                config=settings.as_config(),
                prompt=resolve_items(config.get("prompt") or [], self._value),
                attempt=self._dtmf_failures + 1,
                barge_in=config.get("bargeIn") is not False,
            )
        settings_r = record_settings(config)
        return Record(
            node_id=node.id,
            max_duration_sec=settings_r.max_duration_sec,
            silence_timeout_sec=settings_r.silence_timeout_sec,
            beep=settings_r.beep,
        )

    def _set_variable(self, node: Node) -> _Step:
        name = node.config.get("variable")
        if not isinstance(name, str) or not name:
            raise NodeConfigError("set_variable needs config.variable")
        if "value" not in node.config:
            raise NodeConfigError("set_variable needs config.value")
        self.variables[name] = self._value(node.config["value"])
        return self._take(node, "onSuccess")

    # -- results ------------------------------------------------------------------------------
    def _after(self, node: Node, event: CallEvent) -> _Step:
        t = node.type
        if t == "dial" and isinstance(event, DialResult):
            return self._after_dial(node, event)
        if t == "play" and isinstance(event, PlayCompleted):
            return self._take(node, "onComplete")
        if t == "dtmf" and isinstance(event, DigitsCollected):
            return self._after_dtmf(node, event)
        if t == "record" and isinstance(event, RecordCompleted):
            variable = record_settings(node.config).variable
            if variable:
                self.variables[variable] = event.recording_id
            return self._take(node, "onTimeout" if event.result == "timeout" else "onComplete")
        return self._error(node, f"a {t} node cannot use the result {type(event).__name__}")

    def _after_implicit_dial(self, node: Node, event: CallEvent) -> _Step:
        if isinstance(event, DialResult) and event.status == "answered":
            self._mark_answered(event.answered_by)
            return self._guarded(node, lambda: self._call_action(node))
        status = event.status if isinstance(event, DialResult) else "failed"
        reason = event.reason if isinstance(event, DialResult | ActionFailed) else None
        self._dial_outcome = (status if status in DIAL_RESULT_OUTPUTS else "failed", reason)
        self.system["sys.callStatus"] = self._dial_outcome[0]
        # The node was entered but never ran: no output to follow, the call simply did not connect.
        self._record(node, None)
        return self._finish(*self._dial_outcome)

    def _after_dial(self, node: Node, event: DialResult) -> _Step:
        if event.status == "answered":
            self._mark_answered(event.answered_by)
            if dial_settings(node.config).enable_amd and event.answered_by == "machine":
                self.machine_answered = True
                return self._take(node, "onVoicemail")
            return self._take(node, "onAnswer")
        status = event.status if event.status in DIAL_RESULT_OUTPUTS else "failed"
        self._dial_outcome = (status, event.reason)
        self.system["sys.callStatus"] = status
        return self._take(node, DIAL_RESULT_OUTPUTS[status])

    def _after_dtmf(self, node: Node, event: DigitsCollected) -> _Step:
        settings = dtmf_settings(node.config)
        digits = event.digits or ""
        failure = "invalid" if event.result == "invalid" else "timeout"
        if event.result == "success" and digits:
            if not set(digits) <= KEYPAD:
                failure = "invalid"
            else:
                if settings.variable:
                    self.variables[settings.variable] = digits
                branches = branch_targets(node.outputs)
                if digits in branches:
                    self._record(node, f"branches.{digits}")
                    return _Goto(branches[digits])
                if node.output("onSuccess") or not branches:
                    return self._take(node, "onSuccess")
                failure = "invalid"  # a key no branch takes, and nothing takes any key
        self._dtmf_failures += 1
        if self._dtmf_failures <= settings.max_retries:
            if self.steps >= self.max_steps:
                self._record(node, None)
                return self._finish("failed", self._step_limit_reason())
            self.steps += 1
            return self._call_action(node)  # the re-prompt
        specific = "onTimeout" if failure == "timeout" else "onInvalid"
        if settings.max_retries > 0:
            return self._take(node, "onMaxRetries", specific)
        return self._take(node, specific, "onMaxRetries")

    # -- outputs ------------------------------------------------------------------------------
    def _take(self, node: Node, *names: str) -> _Goto:
        """Follow the first connected of ``names``, else ``default``; else the flow ends here."""
        for name in (*names, "default"):
            target = node.output(name)
            if target is not None:
                self._record(node, name)
                return _Goto(target)
        self._record(node, names[0])
        return _Goto(None)

    def _error(self, node: Node, reason: str) -> _Goto:
        self.errors.append((node.id, reason))
        for name in ("onError", "default"):
            target = node.output(name)
            if target is not None:
                self._record(node, name)
                return _Goto(target)
        self._record(node, "onError")
        if not self.answered and self._dial_outcome is not None:
            # The call never connected: its outcome is the network's answer, not the flow's error.
            outcome, dial_reason = self._dial_outcome
            self.outcome, self.outcome_reason = outcome, f"{dial_reason or outcome}; then {node.id}: {reason}"
        else:
            self.outcome, self.outcome_reason = "failed", f"{node.id}: {reason}"
        return _Goto(None)

    # -- the end ------------------------------------------------------------------------------
    def _natural_outcome(self) -> tuple[str, str | None]:
        if self.answered:
            return ("voicemail", "answering machine detected") if self.machine_answered else ("completed", None)
        if self._dial_outcome is not None:
            return self._dial_outcome
        if self._call_placed:
            return "failed", "the call was not connected"
        return "failed", "the flow ended before a call was placed"

    def _finish(self, outcome: str, reason: str | None) -> Action:
        self.outcome, self.outcome_reason = outcome, reason
        return self._terminal_action()

    def _terminal_action(self) -> Action:
        self.completed_at = self.clock()
        assert self.outcome is not None
        if self.answered and self.outcome != "user_hangup":
            node_id = self._current.id if self._current and self._current.type == "hangup" else None
            return Hangup(node_id=node_id, outcome=self.outcome, reason=self.outcome_reason)
        return Finished(outcome=self.outcome, reason=self.outcome_reason)

    def _mark_answered(self, answered_by: str) -> None:
        self.answered, self.answered_by = True, answered_by
        self.system["sys.answeredBy"] = answered_by
        self.system["sys.callStatus"] = "answered"

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
