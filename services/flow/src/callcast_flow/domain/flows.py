"""Flows and their immutable versions.

Every save (create or update) produces a new version numbered 1, 2, …; a version never changes
afterwards. The graph is kept in its normal form (``{"startNodeId", "nodes": [...]}``) with a
hash over that form, so two saves of the same graph have the same ``graphHash``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from callcast_contracts.events.flows import FlowDeleted, FlowSnapshot, FlowVersionSaved
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_flowengine.document import Flow

ChannelType = Literal["call", "agnostic"]
FlowStatus = Literal["draft", "active", "archived"]

CHANNEL_TYPES: tuple[str, ...] = ("call", "agnostic")
FLOW_STATUSES: tuple[str, ...] = ("draft", "active", "archived")
DEFAULT_CHANNEL_TYPE: ChannelType = "call"
DEFAULT_STATUS: FlowStatus = "draft"

NAME_MAX = 255
DESCRIPTION_MAX = 1000


@dataclass(frozen=True)
class NormalGraph:
    """A graph in the form we store, answer and publish: nodes as an array, plus its hash."""

    start_node_id: str
    nodes: list[dict[str, Any]]
    graph_hash: str

    @classmethod
    def of(cls, flow: Flow) -> NormalGraph:
        return cls(start_node_id=flow.start_node_id, nodes=flow.nodes_json(), graph_hash=flow.graph_hash())

    def to_json(self) -> dict[str, Any]:
        return {"startNodeId": self.start_node_id, "nodes": self.nodes}


@dataclass(frozen=True)
class FlowVersion:
    """One saved version of a flow, with the flow's identity and timestamps."""

    flow_id: str
    org_id: str
    version: int
    name: str
    description: str | None
    channel_type: str
    status: str
    graph: NormalGraph
    created_at: datetime
    #: When this version was saved.
    updated_at: datetime

    def snapshot(self) -> FlowSnapshot:
        return FlowSnapshot(
            flow_id=self.flow_id,
            version=self.version,
            name=self.name,
            graph_hash=self.graph.graph_hash,
            start_node_id=self.graph.start_node_id,
            nodes=self.graph.nodes,
        )


def flow_subject(org_id: str, flow_id: str) -> str:
    return subject(Context.FLOWS, org_id, Aggregate.FLOW, flow_id)


def version_saved(version: FlowVersion) -> FlowVersionSaved:
    return FlowVersionSaved(flow=version.snapshot())


def version_saved_msg_id(flow_id: str, version: int) -> str:
    """One message per (flow, version): a republished outbox row is dropped by JetStream."""
    return f"flow-{flow_id}-v{version}"


def flow_deleted(flow_id: str) -> FlowDeleted:
    return FlowDeleted(flow_id=flow_id)


def flow_deleted_msg_id(flow_id: str) -> str:
    return f"flow-{flow_id}-deleted"
