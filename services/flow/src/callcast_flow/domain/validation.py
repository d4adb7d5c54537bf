"""The flow validator: every check a flow graph goes through before it is saved.

``validate_graph`` runs in two stages:

1. the document stage: ``callcast_flowengine.document.parse_flow`` reads the graph (start node,
   nodes as an array or a map, unique ids, object configs). It stops at the first shape defect,
   which becomes the only finding, because nothing later can be checked on a graph it cannot read;
2. the graph stage: every check in ``GRAPH_CHECKS`` runs over the parsed flow and all of their
   findings are collected, so a client sees every problem at once.

To add a check, write a function ``(FlowUnderCheck) -> Iterable[Finding]`` and list it in
``GRAPH_CHECKS``; facts that need I/O (which audio exists, …) arrive in ``ValidationContext``,
which the handler fills in between ``read_graph`` and ``check_parsed``. Findings with severity
``error`` block a save; ``warning`` does not.

Field paths name the normalised document: ``graph.nodes.<nodeId>.outputs.onAnswer``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from callcast_flowengine.document import NODE_TYPES, Flow, FlowDocumentError, Node, parse_flow

Severity = Literal["error", "warning"]


class FindingCode:
    """Every finding code, in one place (they are part of the API contract)."""

    INVALID_GRAPH = "INVALID_GRAPH"
    START_NODE_MISSING = "START_NODE_MISSING"
    START_NODE_NOT_FOUND = "START_NODE_NOT_FOUND"
    NODE_ID_MISSING = "NODE_ID_MISSING"
    NODE_ID_MISMATCH = "NODE_ID_MISMATCH"
    DUPLICATE_NODE_ID = "DUPLICATE_NODE_ID"
    NODE_TYPE_MISSING = "NODE_TYPE_MISSING"
    UNKNOWN_NODE_TYPE = "UNKNOWN_NODE_TYPE"
    UNKNOWN_NODE_FIELD = "UNKNOWN_NODE_FIELD"
    INVALID_LABEL = "INVALID_LABEL"
    INVALID_CONFIG = "INVALID_CONFIG"
    INVALID_OUTPUTS = "INVALID_OUTPUTS"
    INVALID_OUTPUT_TARGET = "INVALID_OUTPUT_TARGET"
    OUTPUT_TARGET_NOT_FOUND = "OUTPUT_TARGET_NOT_FOUND"
    INVALID_BRANCH_KEY = "INVALID_BRANCH_KEY"
    UNKNOWN_OUTPUT = "UNKNOWN_OUTPUT"
    INVALID_PLAY_ITEM = "INVALID_PLAY_ITEM"
    AUDIO_NOT_FOUND = "AUDIO_NOT_FOUND"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    node_id: str | None
    field: str
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "nodeId": self.node_id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


def error(node_id: str | None, field: str, code: str, message: str) -> Finding:
    return Finding("error", node_id, field, code, message)


def warning(node_id: str | None, field: str, code: str, message: str) -> Finding:
    return Finding("warning", node_id, field, code, message)


@dataclass(frozen=True)
class ValidationContext:
    """What the checks know beyond the document itself, looked up by the handler.

    ``existing_audio_ids``: canonical UUID strings of the organization's live audio assets among
    those the flow references; ``None`` skips the audio check (nothing was looked up).
    """

    existing_audio_ids: frozenset[str] | None = None


@dataclass(frozen=True)
class FlowUnderCheck:
    flow: Flow
    #: The nodes as the client sent them, by id (the parsed ``Node`` drops unknown keys).
    raw_nodes: Mapping[str, Mapping[str, Any]]
    context: ValidationContext

    def nodes(self) -> Iterator[Node]:
        return iter(self.flow.nodes.values())


@dataclass(frozen=True)
class ValidationReport:
    flow: Flow | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return self.flow is not None and not any(f.is_error for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)


GraphCheck = Callable[[FlowUnderCheck], Iterable[Finding]]


def node_field(node_id: str, *path: str) -> str:
    return ".".join(("graph", "nodes", node_id, *path))


# -- the document stage -----------------------------------------------------------------------

_NODE_ATTR = re.compile(r"^graph\.nodes\.(?P<node>.+)\.(?P<attr>id|type|config|outputs)$")


def finding_from_document_error(err: FlowDocumentError) -> Finding:
    """The one finding for a graph ``parse_flow`` could not read."""
    node_id: str | None = None
    m = _NODE_ATTR.match(err.field)
    attr = m.group("attr") if m else None
    if m:
        node_id = m.group("node")
    code = getattr(err, "code", None) or _document_error_code(err.field, attr, err.message)
    return error(node_id, err.field, code, f"{err.field} {err.message}")


def _document_error_code(field_name: str, attr: str | None, message: str) -> str:
    if field_name == "graph.startNodeId":
        return FindingCode.START_NODE_MISSING if message == "is required" else FindingCode.START_NODE_NOT_FOUND
    if attr == "id" or field_name.endswith(".id"):
        if "unique" in message:
            return FindingCode.DUPLICATE_NODE_ID
        if "equal" in message:
            return FindingCode.NODE_ID_MISMATCH
        return FindingCode.NODE_ID_MISSING
    if attr == "type":
        return FindingCode.NODE_TYPE_MISSING
    if attr == "config":
        return FindingCode.INVALID_CONFIG
    if attr == "outputs":
        return FindingCode.INVALID_OUTPUTS
    return FindingCode.INVALID_GRAPH


def _raw_nodes_by_id(graph: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    # Only called after parse_flow succeeded, so the shape is known to be right.
    raw = graph.get("nodes")
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items()}
    return {n["id"]: n for n in raw or []}


@dataclass(frozen=True)
class ParsedGraph:
    """A graph that passed the document stage."""

    flow: Flow
    #: The nodes as the client sent them, by id (the parsed ``Node`` drops unknown keys).
    raw_nodes: Mapping[str, Mapping[str, Any]]


def read_graph(graph: Mapping[str, Any]) -> ParsedGraph | ValidationReport:
    """The document stage: the parsed graph, or the failed report with its one finding."""
    try:
        flow = parse_flow(dict(graph))
    except FlowDocumentError as err:
        return ValidationReport(flow=None, findings=(finding_from_document_error(err),))
    return ParsedGraph(flow=flow, raw_nodes=_raw_nodes_by_id(graph))


def check_parsed(parsed: ParsedGraph, context: ValidationContext | None = None) -> ValidationReport:
    """The graph stage: every check of ``GRAPH_CHECKS``, all findings collected."""
    subject = FlowUnderCheck(flow=parsed.flow, raw_nodes=parsed.raw_nodes, context=context or ValidationContext())
    return ValidationReport(flow=parsed.flow, findings=tuple(f for check in GRAPH_CHECKS for f in check(subject)))


def validate_graph(graph: Mapping[str, Any], context: ValidationContext | None = None) -> ValidationReport:
    """Every finding for ``graph`` (``{"startNodeId", "nodes"}``, nodes as an array or a map)."""
    parsed = read_graph(graph)
    if isinstance(parsed, ValidationReport):
        return parsed
    return check_parsed(parsed, context)


# -- the graph stage --------------------------------------------------------------------------

NODE_FIELDS = frozenset({"id", "type", "label", "config", "outputs"})

#: Outputs each node type can take (FAQ "What node types are available?" plus the error rule's
#: ``onError``/``default``). An output the type does not know is a warning: it can never fire.
KNOWN_OUTPUTS: dict[str, frozenset[str]] = {
    "dial": frozenset({"onAnswer", "onVoicemail", "onNoAnswer", "onBusy", "onRejected", "onError", "default"}),
    "answer": frozenset({"onSuccess", "onError", "default"}),
    "play": frozenset({"onComplete", "onError", "default"}),
    "dtmf": frozenset({"branches", "onSuccess", "onTimeout", "onInvalid", "onMaxRetries", "onError", "default"}),
    "record": frozenset({"onComplete", "onTimeout", "onError", "default"}),
    "condition": frozenset({"onTrue", "onFalse", "onError", "default"}),
    "set_variable": frozenset({"onSuccess", "onError", "default"}),
    "hangup": frozenset(),
}

PLAY_ITEM_TYPES = ("audioFile", "number", "date", "word")
#: Where play items live: a play node's ``items`` and a dtmf node's ``prompt``.
PLAY_ITEM_LISTS = {"play": "items", "dtmf": "prompt"}

_DTMF_KEYS = re.compile(r"^[0-9*#]+$")


def check_node_fields(subject: FlowUnderCheck) -> Iterator[Finding]:
    """Node bodies are whitelisted like every request body; configs and outputs are objects."""
    for node_id, raw in subject.raw_nodes.items():
        for key in raw:
            if key not in NODE_FIELDS:
                yield error(
                    node_id,
                    node_field(node_id, str(key)),
                    FindingCode.UNKNOWN_NODE_FIELD,
                    f"property {key} should not exist (a node has {', '.join(sorted(NODE_FIELDS))})",
                )
        label = raw.get("label")
        if label is not None and not isinstance(label, str):
            yield error(node_id, node_field(node_id, "label"), FindingCode.INVALID_LABEL, "label must be a string")
        # parse_flow reads a falsy config/outputs (``[]``, ``""``) as empty; they are still wrong.
        for key, code in (("config", FindingCode.INVALID_CONFIG), ("outputs", FindingCode.INVALID_OUTPUTS)):
            value = raw.get(key)
            if value is not None and not isinstance(value, dict):
                yield error(node_id, node_field(node_id, key), code, f"{key} must be an object")


def check_node_types(subject: FlowUnderCheck) -> Iterator[Finding]:
    for node in subject.nodes():
        if node.type not in NODE_TYPES:
            yield error(
                node.id,
                node_field(node.id, "type"),
                FindingCode.UNKNOWN_NODE_TYPE,
                f"unknown node type {node.type!r} (one of: {', '.join(NODE_TYPES)})",
            )


def check_outputs(subject: FlowUnderCheck) -> Iterator[Finding]:
    """Every output names an existing node; dtmf digit branches are a map of keys to nodes."""
    nodes = subject.flow.nodes
    for node in subject.nodes():
        known = KNOWN_OUTPUTS.get(node.type)
        for name, target in node.outputs.items():
            where = node_field(node.id, "outputs", name)
            if known is not None and name not in known:
                yield warning(
                    node.id,
                    where,
                    FindingCode.UNKNOWN_OUTPUT,
                    f"a {node.type} node has no output {name!r}; it is never followed",
                )
            if name == "branches":
                yield from _check_branches(node, target, nodes)
                continue
            yield from _check_target(node.id, where, target, nodes)


def _check_branches(node: Node, branches: Any, nodes: Mapping[str, Node]) -> Iterator[Finding]:
    where = node_field(node.id, "outputs", "branches")
    if branches is None:
        return
    if not isinstance(branches, dict):
        yield error(node.id, where, FindingCode.INVALID_OUTPUTS, "branches must be an object of digits to node ids")
        return
    for key, target in branches.items():
        branch_field = f"{where}.{key}"
        if not _DTMF_KEYS.match(str(key)):
            yield error(
                node.id,
                branch_field,
                FindingCode.INVALID_BRANCH_KEY,
                f"branch key {key!r} is not a keypad sequence (digits 0-9, * and #)",
            )
        yield from _check_target(node.id, branch_field, target, nodes)


def _check_target(node_id: str, where: str, target: Any, nodes: Mapping[str, Node]) -> Iterator[Finding]:
    # null (or "", as the engine reads it) means "not connected": the flow ends there.
    if target is None or target == "":
        return
    if not isinstance(target, str):
        yield error(node_id, where, FindingCode.INVALID_OUTPUT_TARGET, "an output must be a node id (a string)")
        return
    if target not in nodes:
        yield error(node_id, where, FindingCode.OUTPUT_TARGET_NOT_FOUND, f"points to a missing node {target!r}")


def _play_items(node: Node) -> tuple[str, Any] | None:
    key = PLAY_ITEM_LISTS.get(node.type)
    if key is None or key not in node.config:
        return None
    return key, node.config[key]


def check_play_items(subject: FlowUnderCheck) -> Iterator[Finding]:
    """Play items have a known type; an ``audioFile`` item names an ``audioId``."""
    for node in subject.nodes():
        found = _play_items(node)
        if found is None:
            continue
        key, items = found
        where = node_field(node.id, "config", key)
        if items is None:
            continue
        if not isinstance(items, list):
            yield error(node.id, where, FindingCode.INVALID_CONFIG, f"{key} must be an array of play items")
            continue
        for i, item in enumerate(items):
            item_field = f"{where}[{i}]"
            if not isinstance(item, dict):
                yield error(node.id, item_field, FindingCode.INVALID_PLAY_ITEM, "a play item must be an object")
                continue
            kind = item.get("type")
            if kind not in PLAY_ITEM_TYPES:
                yield error(
                    node.id,
                    f"{item_field}.type",
                    FindingCode.INVALID_PLAY_ITEM,
                    f"play item type must be one of: {', '.join(PLAY_ITEM_TYPES)}",
                )
            elif kind == "audioFile" and not (isinstance(item.get("audioId"), str) and item["audioId"]):
                yield error(
                    node.id,
                    f"{item_field}.audioId",
                    FindingCode.INVALID_PLAY_ITEM,
                    "an audioFile item needs audioId (the id of an uploaded audio)",
                )


def audio_references(flow: Flow) -> Iterator[tuple[str, str, str]]:
    """(node id, field, audioId) of every ``audioFile`` item of the flow."""
    for node in flow.nodes.values():
        found = _play_items(node)
        if found is None or not isinstance(found[1], list):
            continue
        key, items = found
        for i, item in enumerate(items):
            ref = item.get("audioId") if isinstance(item, dict) and item.get("type") == "audioFile" else None
            if isinstance(ref, str) and ref:
                yield node.id, f"{node_field(node.id, 'config', key)}[{i}].audioId", ref


def canonical_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def referenced_audio_ids(flow: Flow) -> frozenset[str]:
    """Canonical ids of the audio the flow plays; what the handler looks up for the context."""
    return frozenset(cid for _, _, ref in audio_references(flow) if (cid := canonical_uuid(ref)) is not None)


def check_audio_references(subject: FlowUnderCheck) -> Iterator[Finding]:
    """A played audio must exist in the organization (and not be deleted) when the flow is saved."""
    existing = subject.context.existing_audio_ids
    if existing is None:
        return
    for node_id, where, ref in audio_references(subject.flow):
        if canonical_uuid(ref) not in existing:
            yield error(node_id, where, FindingCode.AUDIO_NOT_FOUND, f"no audio {ref!r} in this organization")


GRAPH_CHECKS: tuple[GraphCheck, ...] = (
    check_node_fields,
    check_node_types,
    check_outputs,
    check_play_items,
    check_audio_references,
)
