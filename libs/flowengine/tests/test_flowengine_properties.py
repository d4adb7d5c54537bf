"""Properties of the flow engine over generated flows and event sequences (hypothesis).

For any valid flow (random graphs over all node types, cycles included) and any sequence of call
events (also ones that make no sense at the node they reach), a run:
- ends in a terminal action (Hangup or Finished) within the step limit;
- only follows edges that exist in the graph, starting at the start node;
- counts every node it entered (nodeExecutionCount == the path's length, indices 1..n);
- ends with an outcome of the documented set, consistent with whether the call was answered.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from flowengine_helpers import TickingClock
from flowengine_strategies import call_events, contacts, flows, script_events, variables
from hypothesis import event, given, settings
from hypothesis import strategies as st

from callcast_flowengine import (
    OUTCOMES,
    Action,
    CallEvent,
    CollectDigits,
    Dial,
    DialResult,
    DigitsCollected,
    Finished,
    Flow,
    FlowRun,
    Hangup,
    Play,
    PlayCompleted,
    RecordCompleted,
    parse_flow,
)
from callcast_flowengine.document import NODE_TYPES
from callcast_flowengine.node_rules import node_problems
from callcast_flowengine.nodes import output_target
from callcast_flowengine.simulation import simulate

pytestmark = pytest.mark.unit

MAX_STEPS = 40


def default_result(action: Action) -> CallEvent:
    """What a driver reports when the script has nothing left: the callee answers and is silent."""
    if isinstance(action, Dial):
        return DialResult("answered")
    if isinstance(action, Play):
        return PlayCompleted()
    if isinstance(action, CollectDigits):
        return DigitsCollected(None, "timeout")
    return RecordCompleted("rec-default")


def run_with(flow: Flow, events: list[CallEvent], **run_args: Any) -> tuple[FlowRun, Action, int]:
    run = FlowRun(flow, clock=TickingClock(), max_steps=MAX_STEPS, **run_args)
    action = run.start()
    resumes = 0
    queue = list(events)
    while not isinstance(action, Hangup | Finished):
        assert resumes <= MAX_STEPS + 2, "the run did not end within the step limit"
        assert run.pending_action is action
        action = run.resume(queue.pop(0) if queue else default_result(action))
        resumes += 1
    return run, action, resumes


def assert_run_invariants(flow: Flow, run: FlowRun, final: Action) -> None:
    assert run.finished
    assert run.outcome in OUTCOMES
    assert run.pending_action is None
    assert run.steps <= MAX_STEPS
    # Terminal action: a call that is up gets hung up; otherwise there is nothing left to do.
    if run.answered and run.outcome != "user_hangup":
        assert isinstance(final, Hangup)
        assert (final.outcome, final.reason) == (run.outcome, run.outcome_reason)
    else:
        assert final == Finished(outcome=run.outcome or "", reason=run.outcome_reason)
    # Every node entered is counted, once, in order.
    path = run.execution_path
    assert run.node_execution_count == len(path)
    assert [e.node_execution_index for e in path] == list(range(1, len(path) + 1))
    assert all(a.timestamp <= b.timestamp for a, b in pairwise(path))
    if path:
        assert path[0].node_id == flow.start_node_id
    # The path only follows edges of the graph: each entry's output leads to the next entry.
    for here, there in pairwise(path):
        assert here.output_path is not None, f"{here.node_id} has a successor without an output"
        assert output_target(flow.nodes[here.node_id].outputs, here.output_path) == there.node_id
        assert here.node_type == flow.nodes[here.node_id].type
    if path:
        last = path[-1]
        leads_on = last.output_path is not None and output_target(flow.nodes[last.node_id].outputs, last.output_path)
        if leads_on:  # stopped while an edge led on: only the step limit does that
            assert run.outcome == "failed"
            assert "step limit" in (run.outcome_reason or "")
    # Outcomes agree with the call.
    if run.outcome in ("completed", "voicemail"):
        assert run.answered
        assert (run.outcome == "voicemail") == run.machine_answered
    if run.outcome in ("busy", "no_answer", "rejected"):
        assert not run.answered


@settings(max_examples=400, deadline=None)
@given(graph=flows(), events=st.lists(call_events, max_size=30), contact=contacts, initial=variables)
def test_any_flow_and_any_events_end_in_a_terminal_state_along_existing_edges(
    graph: dict[str, Any], events: list[CallEvent], contact: dict[str, Any], initial: dict[str, Any]
) -> None:
    flow = parse_flow(graph)
    run, final, _ = run_with(flow, events, contact=contact, variables=dict(initial))
    assert_run_invariants(flow, run, final)
    event(f"outcome {run.outcome}")
    event(f"path of {min(len(run.execution_path), 10)}{'+' if len(run.execution_path) >= 10 else ''} nodes")


@settings(max_examples=300, deadline=None)
@given(graph=flows(), events=st.lists(script_events, max_size=12), contact=contacts, initial=variables)
def test_any_simulation_script_ends_in_a_terminal_state_along_existing_edges(
    graph: dict[str, Any], events: list[Any], contact: dict[str, Any], initial: dict[str, Any]
) -> None:
    flow = parse_flow(graph)
    result = simulate(flow, events, contact=contact, variables=initial, clock=TickingClock(), max_steps=MAX_STEPS)
    assert_run_invariants(flow, result.run, result.final)
    event(f"outcome {result.run.outcome}")
    assert result.unused_events == sorted(set(result.unused_events))
    assert all(0 <= i < len(events) for i in result.unused_events)


@settings(max_examples=200, deadline=None)
@given(graph=flows())
def test_generated_flows_have_no_config_errors(graph: dict[str, Any]) -> None:
    """The generator makes flows the validator accepts (so the properties above are about them)."""
    flow = parse_flow(graph)
    for node in flow.nodes.values():
        errors = [p for p in node_problems(node) if p.severity == "error"]
        assert errors == [], (node, errors)
        for name, target in node.outputs.items():
            targets = target.values() if name == "branches" else [target]
            assert all(t is None or t in flow.nodes for t in targets)


@settings(max_examples=200, deadline=None)
@given(graph=flows(), events=st.lists(call_events, max_size=30))
def test_the_same_flow_and_events_always_give_the_same_run(graph: dict[str, Any], events: list[CallEvent]) -> None:
    flow = parse_flow(graph)
    first, _, _ = run_with(flow, events)
    again, _, _ = run_with(flow, events)
    assert [e.to_json() for e in first.execution_path] == [e.to_json() for e in again.execution_path]
    assert (first.outcome, first.outcome_reason, first.variables) == (
        again.outcome,
        again.outcome_reason,
        again.variables,
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(alphabet="ab1#", max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["type", "value", "name", "x"]), inner, max_size=3)
    ),
    max_leaves=10,
)
loose_nodes = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from([*NODE_TYPES, "speak"]),
            "config": st.dictionaries(
                st.sampled_from(
                    [
                        "timeout",
                        "enableAMD",
                        "amd",
                        "items",
                        "mode",
                        "maxDigits",
                        "finishOnKey",
                        "maxRetries",
                        "variable",
                        "prompt",
                        "maxDurationSec",
                        "beep",
                        "operator",
                        "conditions",
                        "value",
                    ]
                ),
                json_values,
                max_size=4,
            ),
            "outputs": st.dictionaries(
                st.sampled_from(
                    ["onAnswer", "onComplete", "onSuccess", "onTrue", "onTimeout", "onError", "branches", "default"]
                ),
                st.sampled_from(["n0", "n1", "n2", "missing"]) | json_values,
                max_size=4,
            ),
        }
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(nodes=loose_nodes, events=st.lists(call_events, max_size=20))
def test_flows_that_skipped_validation_still_end_without_an_exception(
    nodes: list[dict[str, Any]], events: list[CallEvent]
) -> None:
    """Configs are read defensively: a bad one is a node error (the error rule), never a crash."""
    flow = parse_flow({"startNodeId": "n0", "nodes": [{"id": f"n{i}", **n} for i, n in enumerate(nodes)]})
    run, final, _ = run_with(flow, events)
    assert run.outcome in OUTCOMES
    assert isinstance(final, Hangup | Finished)
    assert run.node_execution_count == len(run.execution_path)
