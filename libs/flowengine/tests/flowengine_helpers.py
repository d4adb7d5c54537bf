"""Small builders shared by the flow engine's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from callcast_flowengine import Action, CallEvent, Finished, Flow, FlowRun, Hangup, parse_flow


def node(node_id: str, node_type: str, config: dict[str, Any] | None = None, **outputs: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "config": config or {}, "outputs": outputs}


def flow_of(*nodes: dict[str, Any], start: str | None = None) -> Flow:
    return parse_flow({"startNodeId": start or nodes[0]["id"], "nodes": list(nodes)})


class TickingClock:
    """A clock that moves one second per reading: timestamps are distinct and ordered."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def drive(flow: Flow, *events: CallEvent, **run_args: Any) -> tuple[FlowRun, list[Action]]:
    """Start a run and feed ``events`` one per action; the run and every action it asked for."""
    run = FlowRun(flow, clock=TickingClock(), **run_args)
    actions = [run.start()]
    for event in events:
        if isinstance(actions[-1], Hangup | Finished):
            raise AssertionError(f"the run ended before {event!r}: {actions[-1]!r}")
        actions.append(run.resume(event))
    return run, actions


def path(run: FlowRun) -> list[tuple[str, str | None]]:
    return [(e.node_id, e.output_path) for e in run.execution_path]
