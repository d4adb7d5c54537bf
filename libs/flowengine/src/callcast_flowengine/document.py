"""Flow documents: the public JSON form, accepted in every documented generation.

Accepted: ``{"name", "graph": {"startNodeId", "nodes": [...]}}`` (FAQ generation), the same keys at
the top level, and ``nodes`` as a map keyed by node id (newest docs). Normal form: an array.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import msgspec

NODE_TYPES = ("dial", "answer", "play", "dtmf", "record", "condition", "set_variable", "hangup")


class FlowDocumentError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    label: str | None
    config: dict[str, Any]
    outputs: dict[str, Any]

    def output(self, name: str) -> str | None:
        target = self.outputs.get(name)
        return target if isinstance(target, str) and target else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.label is not None:
            out["label"] = self.label
        out["config"] = self.config
        out["outputs"] = self.outputs
        return out


@dataclass(frozen=True)
class Flow:
    start_node_id: str
    nodes: dict[str, Node] = field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def nodes_json(self) -> list[dict[str, Any]]:
        return [n.to_json() for n in self.nodes.values()]

    def graph_json(self) -> dict[str, Any]:
        return {"startNodeId": self.start_node_id, "nodes": self.nodes_json()}

    def graph_hash(self) -> str:
        canonical = msgspec.json.encode(self.graph_json(), order="sorted")
        return "sha256:" + hashlib.sha256(canonical).hexdigest()


def graph_of(document: dict[str, Any]) -> dict[str, Any]:
    """The graph part of a flow body, wherever the client put it."""
    graph = document.get("graph")
    if isinstance(graph, dict):
        return graph
    return {k: document[k] for k in ("startNodeId", "nodes") if k in document}


def parse_flow(graph: dict[str, Any]) -> Flow:
    """Structural parse (shape only). Semantic checks belong to the validator."""
    start = graph.get("startNodeId")
    if not isinstance(start, str) or not start:
        raise FlowDocumentError("graph.startNodeId", "is required")
    raw_nodes = graph.get("nodes")
    items: list[tuple[str, Any]]
    if isinstance(raw_nodes, list):
        items = []
        for i, n in enumerate(raw_nodes):
            if not isinstance(n, dict):
                raise FlowDocumentError(f"graph.nodes[{i}]", "must be an object")
            nid = n.get("id")
            if not isinstance(nid, str) or not nid:
                raise FlowDocumentError(f"graph.nodes[{i}].id", "is required")
            items.append((nid, n))
    elif isinstance(raw_nodes, dict):
        items = []
        for key, n in raw_nodes.items():
            if not isinstance(n, dict):
                raise FlowDocumentError(f"graph.nodes.{key}", "must be an object")
            if "id" in n and n["id"] != key:
                raise FlowDocumentError(f"graph.nodes.{key}.id", "must equal its key in the map")
            items.append((key, n))
    else:
        raise FlowDocumentError("graph.nodes", "must be an array of nodes or a map keyed by node id")
    if not items:
        raise FlowDocumentError("graph.nodes", "must contain at least one node")
    nodes: dict[str, Node] = {}
    for nid, n in items:
        where = f"graph.nodes.{nid}"
        if nid in nodes:
            raise FlowDocumentError(f"{where}.id", "is not unique")
        ntype = n.get("type")
        if not isinstance(ntype, str):
            raise FlowDocumentError(f"{where}.type", "is required")
        label = n.get("label")
        config = n.get("config") or {}
        outputs = n.get("outputs") or {}
        if not isinstance(config, dict):
            raise FlowDocumentError(f"{where}.config", "must be an object")
        if not isinstance(outputs, dict):
            raise FlowDocumentError(f"{where}.outputs", "must be an object")
        nodes[nid] = Node(
            id=nid, type=ntype, label=label if isinstance(label, str) else None, config=config, outputs=outputs
        )
    if start not in nodes:
        raise FlowDocumentError("graph.startNodeId", f"names no node ({start!r})")
    return Flow(start_node_id=start, nodes=nodes)
