"""The simulation script: how scripted events meet the nodes that wait for the call."""

from __future__ import annotations

from typing import Any

import pytest
from flowengine_helpers import TickingClock, flow_of, node

from callcast_flowengine import DigitsCollected, Flow, Hangup
from callcast_flowengine.simulation import (
    Answered,
    CalleeHangsUp,
    KeysPressed,
    NotConnected,
    ScriptEvent,
    SimulationResult,
    TimedOut,
    collect_keys,
    simulate,
)

pytestmark = pytest.mark.unit

SINGLE = {"mode": "single_digit", "maxDigits": 1, "finishOnKey": ""}
MULTI = {"mode": "multi_digit", "maxDigits": 4, "finishOnKey": "#"}


@pytest.mark.parametrize(
    ("config", "keys", "collected"),
    [
        (SINGLE, "1", DigitsCollected("1")),
        (SINGLE, "#", DigitsCollected("#")),
        (SINGLE, "21", DigitsCollected("2")),
        (MULTI, "12#", DigitsCollected("12")),
        (MULTI, "123456", DigitsCollected("1234")),
        (MULTI, "#", DigitsCollected(None, "timeout")),
        ({**MULTI, "finishOnKey": ""}, "12#", DigitsCollected("12#")),
    ],
)
def test_keys_are_collected_as_the_dtmf_config_says(config: dict[str, Any], keys: str, collected: Any) -> None:
    assert collect_keys(config, keys) == collected


def menu_flow() -> Flow:
    return flow_of(
        node("dial", "dial", onAnswer="hello", onVoicemail="bye"),
        node("hello", "play", {"items": [{"type": "word", "value": "bonjour", "language": "fr"}]}, onComplete="menu"),
        node("menu", "dtmf", {"variable": "choice"}, branches={"1": "rec"}, onTimeout="bye", onInvalid="bye"),
        node("rec", "record", {"variable": "message"}, onComplete="note", onTimeout="bye"),
        node("note", "set_variable", {"variable": "done", "value": True}, onSuccess="bye"),
        node("bye", "hangup"),
    )


def run(*events: ScriptEvent, **kwargs: Any) -> SimulationResult:
    return simulate(menu_flow(), list(events), clock=TickingClock(), **kwargs)


def visited(result: SimulationResult) -> list[str]:
    return [e.node_id for e in result.run.execution_path]


def test_with_no_events_the_callee_answers_listens_and_presses_nothing() -> None:
    result = run()
    assert visited(result) == ["dial", "hello", "menu", "bye"]
    assert result.run.execution_path[2].output_path == "onTimeout"
    assert result.run.outcome == "completed"
    assert isinstance(result.final, Hangup)


def test_an_event_a_node_cannot_take_waits_for_a_later_node() -> None:
    result = run(KeysPressed("1"))  # the dial and the play go their default way; the menu takes the key
    assert visited(result) == ["dial", "hello", "menu", "rec", "note", "bye"]
    assert result.run.variables == {"choice": "1", "message": "simulated-recording-1", "done": True}
    assert result.unused_events == []


def test_events_are_used_in_order() -> None:
    result = run(TimedOut(), KeysPressed("1"))  # the timeout is the dial's: nobody answered
    assert visited(result) == ["dial"]
    assert result.run.outcome == "no_answer"
    assert result.unused_events == [1]


def test_a_timeout_at_a_record_node_is_silence() -> None:
    result = run(Answered(), KeysPressed("1"), TimedOut())
    assert visited(result)[-2:] == ["rec", "bye"]
    assert result.run.variables["message"] is None


def test_an_answering_machine_and_a_call_that_does_not_connect() -> None:
    assert run(Answered("machine")).run.outcome == "voicemail"
    for status in ("busy", "no_answer", "rejected", "failed"):
        assert run(NotConnected(status)).run.outcome == status


def test_a_hangup_at_a_node_fires_when_the_run_enters_it_wherever_it_stands_in_the_script() -> None:
    result = run(CalleeHangsUp("note"), KeysPressed("1"))
    assert visited(result) == ["dial", "hello", "menu", "rec", "note"]
    assert result.run.outcome == "user_hangup"
    assert "done" not in result.run.variables
    assert result.unused_events == []


def test_a_hangup_at_a_node_the_run_never_reaches_is_unused() -> None:
    result = run(CalleeHangsUp("rec"))
    assert result.run.outcome == "completed"
    assert result.unused_events == [0]


def test_a_plain_hangup_is_taken_by_the_next_node_waiting_for_the_callee() -> None:
    result = run(Answered(), CalleeHangsUp())
    assert visited(result) == ["dial", "hello"]
    assert result.run.outcome == "user_hangup"


def test_a_flow_without_a_dial_node_places_the_call_from_the_script() -> None:
    flow = flow_of(
        node("hello", "play", {"items": [{"type": "word", "value": "x", "language": "fr"}]}, onComplete="bye"),
        node("bye", "hangup"),
    )
    assert simulate(flow, [NotConnected("busy")]).run.outcome == "busy"
    assert simulate(flow, []).run.outcome == "completed"


def test_contact_variables_and_system_values_reach_the_run() -> None:
    flow = flow_of(
        node(
            "a",
            "set_variable",
            {"variable": "who", "value": {"type": "contactField", "name": "firstName"}},
            onSuccess="b",
        ),
        node(
            "b",
            "set_variable",
            {"variable": "org", "value": {"type": "system", "name": "sys.organizationId"}},
            onSuccess="c",
        ),
        node("c", "set_variable", {"variable": "sum", "value": {"type": "variable", "name": "start"}}),
    )
    result = simulate(
        flow, [], contact={"firstName": "Amina"}, variables={"start": 3}, system={"sys.organizationId": "org-1"}
    )
    assert result.run.variables == {"start": 3, "who": "Amina", "org": "org-1", "sum": 3}
