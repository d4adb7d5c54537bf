"""The flow as a graph, the way the engine walks it: what each node can lead to.

A node finishes along one of its *routes* (the callee answered, a key no branch takes, the
condition was false, …). A route tries its outputs in order, then ``default``; with nothing
connected the flow ends there. This module answers the validator's graph questions (which nodes
are reachable, which outcomes have nowhere to go, which loops have no way out) with the same
rules ``FlowRun`` applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from callcast_flowengine.document import NODE_TYPES, Flow, Node
from callcast_flowengine.nodes import DtmfSettings, NodeConfigError, branch_targets, dtmf_settings, output_target


@dataclass(frozen=True)
class Route:
    """One way a node can finish: ``outputs`` are tried in order, then ``default``."""

    #: What happened, in words (for findings).
    outcome: str
    outputs: tuple[str, ...]
    #: Unconnected, the call ends with an outcome of its own (a dial result): not a defect.
    ends_by_design: bool = False

    @property
    def output(self) -> str:
        """The output a designer connects for this route."""
        return self.outputs[0]


def _dtmf(node: Node) -> DtmfSettings:
    try:
        return dtmf_settings(node.config)
    except NodeConfigError:
        return dtmf_settings({})


def routes(node: Node) -> tuple[Route, ...] | None:
    """The node's routes; None for an unknown node type (nothing is known about it)."""
    t = node.type
    if t == "dial":
        found = [Route("the callee answered", ("onAnswer",))]
        if node.config.get("enableAMD", True) is not False:
            found.append(Route("an answering machine answered", ("onVoicemail",), ends_by_design=True))
        found += [
            Route("nobody answered", ("onNoAnswer",), ends_by_design=True),
            Route("the line was busy", ("onBusy",), ends_by_design=True),
            Route("the callee rejected the call", ("onRejected",), ends_by_design=True),
            Route("the call failed", ("onError",), ends_by_design=True),
        ]
        return tuple(found)
    if t == "answer":
        return (Route("the call was answered", ("onSuccess",)),)
    if t == "play":
        return (Route("the audio played to the end", ("onComplete",)),)
    if t == "dtmf":
        return _dtmf_routes(node)
    if t == "record":
        return (
            Route("the recording completed", ("onComplete",)),
            Route("the callee said nothing", ("onTimeout",)),
        )
    if t == "condition":
        return (Route("the condition held", ("onTrue",)), Route("the condition did not hold", ("onFalse",)))
    if t == "set_variable":
        return (Route("the variable was set", ("onSuccess",)),)
    if t == "hangup":
        return ()
    return None


def _dtmf_routes(node: Node) -> tuple[Route, ...]:
    settings = _dtmf(node)
    branches = branch_targets(node.outputs)
    found = [Route(f"the callee pressed {key}", (f"branches.{key}",)) for key in branches]
    retries_first = settings.max_retries > 0

    def failure(outcome: str, output: str) -> Route:
        order = ("onMaxRetries", output) if retries_first else (output, "onMaxRetries")
        return Route(outcome, order)

    if node.output("onSuccess") is not None or not branches:
        found.append(Route("the callee entered digits", ("onSuccess",)))
    else:
        found.append(failure("the callee pressed a key no branch takes", "onInvalid"))
    found.append(failure("the callee pressed nothing in time", "onTimeout"))
    return tuple(found)


def route_target(node: Node, route: Route) -> str | None:
    for name in (*route.outputs, "default"):
        target = output_target(node.outputs, name)
        if target is not None:
            return target
    return None


def error_target(node: Node) -> str | None:
    return node.output("onError") or node.output("default")


def successors(node: Node) -> set[str]:
    """Every node the engine can go to from ``node`` (error paths included)."""
    found = routes(node)
    if found is None:  # unknown type: assume any output it names may be followed
        targets = {v for k, v in node.outputs.items() if k != "branches" and isinstance(v, str) and v}
        return targets | set(branch_targets(node.outputs).values())
    out = {t for r in found if (t := route_target(node, r)) is not None}
    if node.type != "hangup" and (err := error_target(node)) is not None:
        out.add(err)
    return out


def unconnected_routes(node: Node) -> Iterator[Route]:
    """Routes with nowhere to go: following them ends the flow."""
    for route in routes(node) or ():
        if route_target(node, route) is None:
            yield route


def ends_here(node: Node) -> bool:
    """The flow can end at this node (other than by an error or the callee hanging up)."""
    if node.type == "hangup" or node.type not in NODE_TYPES:
        return True
    return any(True for _ in unconnected_routes(node))


def reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    todo = [flow.start_node_id]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in flow.nodes:
            continue
        seen.add(node_id)
        todo.extend(successors(flow.nodes[node_id]))
    return seen


def loops_without_exit(flow: Flow) -> list[list[str]]:
    """Each loop (a strongly connected set of nodes with a cycle) from which the flow can never
    end: no hangup node and no unconnected outcome is reachable from it. Node ids in document
    order."""
    edges = {nid: {t for t in successors(n) if t in flow.nodes} for nid, n in flow.nodes.items()}
    can_end = _can_reach(flow, {nid for nid, n in flow.nodes.items() if ends_here(n)}, edges)
    order = list(flow.nodes)
    loops: list[list[str]] = []
    for component in _strongly_connected(order, edges):
        cyclic = len(component) > 1 or any(nid in edges[nid] for nid in component)
        if cyclic and not (component & can_end):
            loops.append([nid for nid in order if nid in component])
    return sorted(loops, key=lambda loop: order.index(loop[0]))


def _can_reach(flow: Flow, goals: set[str], edges: dict[str, set[str]]) -> set[str]:
    incoming: dict[str, set[str]] = {nid: set() for nid in flow.nodes}
    for source, targets in edges.items():
        for target in targets:
            incoming[target].add(source)
    found, todo = set(goals), list(goals)
    while todo:
        for source in incoming[todo.pop()]:
            if source not in found:
                found.add(source)
                todo.append(source)
    return found


def _strongly_connected(order: list[str], edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (flows may be long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in order:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node_id, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node_id] = min(low[node_id], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node_id])
            if low[node_id] == index[node_id]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node_id:
                        break
                components.append(component)
    return components
