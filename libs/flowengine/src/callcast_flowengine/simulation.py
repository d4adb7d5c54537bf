"""Simulation: drive a ``FlowRun`` with scripted call events instead of telephony.

The script is a list of what the callee (and the network) do, in order. Rules:

- A node that waits for the call takes the next scripted event when that event applies to it:
  a dial takes ``answered``/``busy``/``no_answer``/``rejected``/``failed``/``timeout`` (= no
  answer); a dtmf node takes ``dtmf`` (keys pressed) and ``timeout``; a record node takes
  ``timeout`` (the callee said nothing); every waiting node takes ``hangup`` without
  ``atNodeId``.
- When the next event does not apply (or there is none left), the node behaves as if the callee
  did nothing special: a dial is answered by a human, a play completes, a dtmf times out, a
  record completes with a recording. The event stays for a later node.
- ``hangup`` with ``atNodeId`` is not positional: the callee hangs up as the run enters that node
  (the first time it does), whatever node type it is.
- ``dtmf`` keys are collected as the node's config says: ``single_digit`` takes the first key;
  ``multi_digit`` takes keys up to ``finishOnKey`` (not included) or ``maxDigits``; no key before
  that is a timeout.
- Events the run never used are reported (``unused_events``, indices into the script).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from callcast_flowengine.actions import Action, CollectDigits, Dial, Finished, Hangup, Play, Record
from callcast_flowengine.document import Flow, Node
from callcast_flowengine.engine import DEFAULT_MAX_STEPS, FlowRun
from callcast_flowengine.events import (
    CalleeHungUp,
    CallEvent,
    DialResult,
    DigitsCollected,
    PlayCompleted,
    RecordCompleted,
)

NOT_CONNECTED = ("busy", "no_answer", "rejected", "failed")


@dataclass(frozen=True)
class Answered:
    answered_by: str = "human"  # human | machine


@dataclass(frozen=True)
class NotConnected:
    status: str  # busy | no_answer | rejected | failed


@dataclass(frozen=True)
class KeysPressed:
    digits: str


@dataclass(frozen=True)
class CalleeHangsUp:
    at_node_id: str | None = None


@dataclass(frozen=True)
class TimedOut:
    pass


ScriptEvent = Answered | NotConnected | KeysPressed | CalleeHangsUp | TimedOut


@dataclass
class SimulationResult:
    run: FlowRun
    #: The run's terminal action (``Hangup`` or ``Finished``).
    final: Hangup | Finished
    unused_events: list[int] = field(default_factory=list)


def collect_keys(config: Mapping[str, Any], keys: str) -> DigitsCollected:
    """What a dtmf node configured as ``config`` (defaults filled in) collects from ``keys``."""
    if config.get("mode", "single_digit") == "single_digit":
        return DigitsCollected(keys[:1], "success") if keys else DigitsCollected(None, "timeout")
    finish = str(config.get("finishOnKey") or "")
    max_digits = int(config.get("maxDigits") or 20)
    entered = ""
    for key in keys:
        if finish and key == finish:
            break
        entered += key
        if len(entered) >= max_digits:
            break
    return DigitsCollected(entered, "success") if entered else DigitsCollected(None, "timeout")


class _Script:
    def __init__(self, events: list[ScriptEvent]) -> None:
        self.events = events
        self.used: set[int] = set()
        self.position = 0

    def _skip_anchored(self) -> None:
        # Hang-ups anchored to a node are triggers, not steps of the sequence.
        while self.position < len(self.events):
            event = self.events[self.position]
            if isinstance(event, CalleeHangsUp) and event.at_node_id is not None:
                self.position += 1
                continue
            break

    def take(self, applies: Callable[[ScriptEvent], bool]) -> ScriptEvent | None:
        """The next sequential event if it applies to the waiting node (it is then used)."""
        self._skip_anchored()
        if self.position >= len(self.events) or not applies(self.events[self.position]):
            return None
        self.used.add(self.position)
        self.position += 1
        return self.events[self.position - 1]

    def hangs_up_at(self, node: Node) -> bool:
        for i, event in enumerate(self.events):
            if i not in self.used and isinstance(event, CalleeHangsUp) and event.at_node_id == node.id:
                self.used.add(i)
                return True
        return False

    def unused(self) -> list[int]:
        return [i for i in range(len(self.events)) if i not in self.used]


class _Recordings:
    def __init__(self) -> None:
        self.count = 0

    def next_id(self) -> str:
        self.count += 1
        return f"simulated-recording-{self.count}"


def _result_for(action: Action, script: _Script, recordings: _Recordings) -> CallEvent:
    def hangup(e: ScriptEvent) -> bool:
        return isinstance(e, CalleeHangsUp)

    if isinstance(action, Dial):
        event = script.take(lambda e: isinstance(e, Answered | NotConnected | TimedOut) or hangup(e))
        if isinstance(event, NotConnected):
            return DialResult(event.status, reason=f"simulated {event.status}")
        if isinstance(event, TimedOut):
            return DialResult("no_answer", reason="simulated ring timeout")
        if isinstance(event, CalleeHangsUp):
            return CalleeHungUp()
        answered_by = event.answered_by if isinstance(event, Answered) else "human"
        return DialResult("answered", answered_by=answered_by)
    if isinstance(action, Play):
        return CalleeHungUp() if script.take(hangup) else PlayCompleted()
    if isinstance(action, CollectDigits):
        event = script.take(lambda e: isinstance(e, KeysPressed | TimedOut) or hangup(e))
        if isinstance(event, KeysPressed):
            return collect_keys(action.config, event.digits)
        if isinstance(event, CalleeHangsUp):
            return CalleeHungUp()
        return DigitsCollected(None, "timeout")
    assert isinstance(action, Record)
    event = script.take(lambda e: isinstance(e, TimedOut) or hangup(e))
    if isinstance(event, TimedOut):
        return RecordCompleted(None, "timeout")
    if isinstance(event, CalleeHangsUp):
        return CalleeHungUp()
    return RecordCompleted(recordings.next_id(), "complete")


def simulate(
    flow: Flow,
    events: list[ScriptEvent],
    *,
    contact: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    system: dict[str, Any] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_steps: int = DEFAULT_MAX_STEPS,
) -> SimulationResult:
    """Run ``flow`` to its end against the scripted ``events``; the run holds the outcome, path,
    variables and node execution count."""
    script = _Script(events)
    recordings = _Recordings()
    run = FlowRun(
        flow,
        contact=dict(contact or {}),
        variables=dict(variables or {}),
        system=dict(system or {}),
        clock=clock,
        max_steps=max_steps,
        callee_hung_up_at=script.hangs_up_at,
    )
    action = run.start()
    while not isinstance(action, Hangup | Finished):
        action = run.resume(_result_for(action, script, recordings))
    return SimulationResult(run=run, final=action, unused_events=script.unused())
