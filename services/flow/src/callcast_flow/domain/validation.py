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

What is an error and what a warning (the OpenAPI description repeats it):

- errors (the flow cannot run as written): the document defects above, unknown node types,
  unknown node/config properties, config values of the wrong type or out of range, bad play
  items and ValueSources, bad conditions, invalid variable names, outputs pointing to missing
  nodes, played audio that does not exist, literals that can never be spoken (TYPE_MISMATCH);
- warnings (the flow runs, maybe not as meant): unreachable nodes, an outcome that can happen
  with no output and no default, loops with no way out, outputs a node type does not have,
  ignored settings, outputs and digit branches that are never followed, play/dtmf/record nodes
  reached after a dial that did not connect, references to unknown custom attributes, contact
  fields or system variables, numeric comparisons with non-numeric literals (TYPE_MISMATCH),
  dictionary entries missing for a number/date/word item's language.

The node rules (config shapes and limits) and the graph rules (routes, reachability, loops) live
in ``callcast_flowengine`` (``node_rules``, ``graph``) beside the engine that runs them, so the
validator accepts exactly what the engine can run.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from callcast_flowengine import graph as flow_graph
from callcast_flowengine.document import NODE_TYPES, Flow, FlowDocumentError, Node, parse_flow
from callcast_flowengine.engine import CALL_NODES, DEFAULT_MAX_STEPS
from callcast_flowengine.node_rules import ProblemCode, literal_of, node_play_items, node_problems, value_sources
from callcast_flowengine.nodes import LANGUAGES, OUTPUTS
from callcast_flowengine.values import (
    CONTACT_FIELDS,
    SYSTEM_VARIABLES,
    custom_attribute_name,
    source_kind,
    system_name,
)

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
    INVALID_PLAY_ITEM = ProblemCode.INVALID_PLAY_ITEM
    AUDIO_NOT_FOUND = "AUDIO_NOT_FOUND"
    # node config (callcast_flowengine.node_rules)
    UNKNOWN_CONFIG_FIELD = ProblemCode.UNKNOWN_CONFIG_FIELD
    MISSING_CONFIG_FIELD = ProblemCode.MISSING_CONFIG_FIELD
    CONFIG_OUT_OF_RANGE = ProblemCode.CONFIG_OUT_OF_RANGE
    INVALID_VALUE_SOURCE = ProblemCode.INVALID_VALUE_SOURCE
    INVALID_VARIABLE_NAME = ProblemCode.INVALID_VARIABLE_NAME
    INVALID_CONDITION = ProblemCode.INVALID_CONDITION
    TYPE_MISMATCH = ProblemCode.TYPE_MISMATCH
    CONFIG_IGNORED = ProblemCode.CONFIG_IGNORED
    BRANCH_NEVER_MATCHES = ProblemCode.BRANCH_NEVER_MATCHES
    OUTPUT_NEVER_FOLLOWED = ProblemCode.OUTPUT_NEVER_FOLLOWED
    # the graph as the engine walks it (callcast_flowengine.graph)
    UNREACHABLE_NODE = "UNREACHABLE_NODE"
    OUTPUT_NOT_CONNECTED = "OUTPUT_NOT_CONNECTED"
    LOOP_WITHOUT_EXIT = "LOOP_WITHOUT_EXIT"
    NEEDS_CONNECTED_CALL = "NEEDS_CONNECTED_CALL"
    # references to things outside the flow
    UNKNOWN_CUSTOM_ATTRIBUTE = "UNKNOWN_CUSTOM_ATTRIBUTE"
    UNKNOWN_CONTACT_FIELD = "UNKNOWN_CONTACT_FIELD"
    UNKNOWN_SYSTEM_VARIABLE = "UNKNOWN_SYSTEM_VARIABLE"
    DICTIONARY_ENTRY_MISSING = "DICTIONARY_ENTRY_MISSING"


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
class SpokenItem:
    """A ``number``/``date``/``word`` play item, as the dictionary check asks about it."""

    kind: str  # number | date | word
    language: str  # ar | fr
    #: The item's mode (``None``: the kind's default).
    mode: str | None
    currency: str | None
    #: True when the value is a literal (then ``value`` holds it); False when it is only known
    #: during the call (a variable, a contact field, …): then every key the kind and mode can
    #: need counts.
    value_known: bool
    value: Any = None


@dataclass(frozen=True)
class ValidationContext:
    """What the checks know beyond the document itself, looked up by the handler.

    ``existing_audio_ids``: canonical UUID strings of the organization's live audio assets among
    those the flow references; ``None`` skips the audio check (nothing was looked up).

    ``known_custom_attributes``: names of the organization's custom attributes (the contact
    service owns them); ``None`` or empty skips the check.

    ``known_dictionary_keys(language)``: the keys the organization's and the system dictionaries
    of ``language`` hold (``None``: no dictionary at all for it); ``None`` skips the dictionary
    check. ``dictionary_keys_needed(item)``: the keys speaking ``item`` takes (the renderer's
    answer); without it only ``word`` items with a literal value are checked (their key is the
    word itself, in lower case).
    """

    existing_audio_ids: frozenset[str] | None = None
    known_custom_attributes: frozenset[str] | None = None
    known_dictionary_keys: Callable[[str], Collection[str] | None] | None = None
    dictionary_keys_needed: Callable[[SpokenItem], Collection[str]] | None = None


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
KNOWN_OUTPUTS: dict[str, frozenset[str]] = {t: frozenset(outputs) for t, outputs in OUTPUTS.items()}

_DTMF_KEYS = re.compile(r"^[0-9*#]+$")
#: Listed at most in one finding's message.
_MAX_LISTED = 10


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


def check_node_configs(subject: FlowUnderCheck) -> Iterator[Finding]:
    """Each node type's config: known keys, types, ranges, enums, play items, ValueSources,
    conditions, variable names (``callcast_flowengine.node_rules``)."""
    for node in subject.nodes():
        for p in node_problems(node):
            yield Finding(p.severity, node.id, node_field(node.id, p.path), p.code, p.message)


def audio_references(flow: Flow) -> Iterator[tuple[str, str, str]]:
    """(node id, field, audioId) of every ``audioFile`` item of the flow."""
    for node in flow.nodes.values():
        for path, item in node_play_items(node):
            ref = item.get("audioId") if item.get("type") == "audioFile" else None
            if isinstance(ref, str) and ref:
                yield node.id, node_field(node.id, path, "audioId"), ref


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


def check_unreachable_nodes(subject: FlowUnderCheck) -> Iterator[Finding]:
    """A node no path from the start node leads to never runs."""
    reached = flow_graph.reachable(subject.flow)
    for node in subject.nodes():
        if node.id not in reached:
            yield warning(
                node.id,
                node_field(node.id),
                FindingCode.UNREACHABLE_NODE,
                f"no path from the start node {subject.flow.start_node_id!r} leads to this node; it never runs",
            )


def _deliberately_unconnected(node: Node, route: flow_graph.Route) -> bool:
    # An output set to null (or "") says "end the flow here" on purpose.
    return any(name in node.outputs and node.outputs[name] in (None, "") for name in (*route.outputs, "default"))


def check_unconnected_outcomes(subject: FlowUnderCheck) -> Iterator[Finding]:
    """An outcome with no output and no default ends the flow there (FAQ: "Flow execution stops
    unexpectedly"). It is reported when the node goes on for its other outcomes (a menu whose
    timeout has no path, a condition with onTrue only), and for a dial whose answer leads nowhere.
    A node whose every outcome ends the flow (a last play) is a natural end; dial results other
    than an answer end the call with that result, which is what they mean; an output set to null
    is an end on purpose. Unreachable nodes are left out."""
    reached = flow_graph.reachable(subject.flow)
    for node in subject.nodes():
        if node.id not in reached:
            continue
        routes = [r for r in flow_graph.routes(node) or () if not r.ends_by_design]
        goes_on = any(flow_graph.route_target(node, r) is not None for r in routes)
        for route in flow_graph.unconnected_routes(node):
            if route.ends_by_design or _deliberately_unconnected(node, route):
                continue
            answer_ends_call = node.type == "dial"
            if not (goes_on or answer_ends_call):
                continue
            why = (
                "the flow ends at once and the call is hung up"
                if answer_ends_call
                else "the flow ends here, though other outcomes of this node go on"
            )
            yield warning(
                node.id,
                node_field(node.id, "outputs", route.output),
                FindingCode.OUTPUT_NOT_CONNECTED,
                f"when {route.outcome}, {why}: {route.output} and default have nowhere to go; connect "
                f"{route.output} or default, or set {route.output} to null to end the flow there on purpose",
            )


def check_loops_without_exit(subject: FlowUnderCheck) -> Iterator[Finding]:
    """A loop from which no hangup node and no unconnected outcome can be reached runs until
    the engine's step limit stops it (the call then ends failed)."""
    reached = flow_graph.reachable(subject.flow)
    for loop in flow_graph.loops_without_exit(subject.flow):
        if not reached.intersection(loop):
            continue
        first = loop[0]
        listed = " → ".join(loop[:_MAX_LISTED]) + (" …" if len(loop) > _MAX_LISTED else "")
        yield warning(
            first,
            node_field(first, "outputs"),
            FindingCode.LOOP_WITHOUT_EXIT,
            f"the nodes {listed} form a loop with no way out: no hangup node and no unconnected outcome "
            f"can be reached from them, so a call would only stop at the step limit ({DEFAULT_MAX_STEPS}) "
            "and end failed",
        )


def _call_node_after(flow: Flow, start: str) -> Node | None:
    """The first play/dtmf/record node reachable from ``start`` without passing a dial node."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = flow.nodes.get(todo.pop())
        if node is None or node.id in seen or node.type == "dial":
            continue
        seen.add(node.id)
        if node.type in CALL_NODES:
            return node
        todo.extend(sorted(flow_graph.successors(node), reverse=True))
    return None


def check_call_nodes_after_failed_dials(subject: FlowUnderCheck) -> Iterator[Finding]:
    """After busy, no answer, rejected or a failed call there is nobody to play to: a play, dtmf
    or record node reached from there (before another dial) fails."""
    reached = flow_graph.reachable(subject.flow)
    for node in subject.nodes():
        if node.type != "dial" or node.id not in reached:
            continue
        for route in flow_graph.routes(node) or ():
            if route.output in ("onAnswer", "onVoicemail"):
                continue
            target = flow_graph.route_target(node, route)
            needy = _call_node_after(subject.flow, target) if target else None
            if needy is None:
                continue
            output = route.output if node.output(route.output) else "default"
            yield warning(
                node.id,
                node_field(node.id, "outputs", output),
                FindingCode.NEEDS_CONNECTED_CALL,
                f"when {route.outcome} no call is connected, yet {output} leads to the {needy.type} node "
                f"{needy.id!r}, which needs one and would fail (lead it to a hangup node or another dial)",
            )


def check_references(subject: FlowUnderCheck) -> Iterator[Finding]:
    """ValueSources name things that exist: contact fields, system variables, and the
    organization's custom attributes (when the context knows them)."""
    attributes = subject.context.known_custom_attributes
    for node in subject.nodes():
        for path, source in value_sources(node):
            kind = source_kind(source)
            name = source.get("name") if isinstance(source, dict) else None
            if kind is None or not isinstance(name, str) or not name:
                continue
            where = node_field(node.id, path, "name")
            attribute = custom_attribute_name(kind, name)
            if attribute is not None:
                if attributes and attribute not in attributes:
                    yield warning(
                        node.id,
                        where,
                        FindingCode.UNKNOWN_CUSTOM_ATTRIBUTE,
                        f"the organization has no custom attribute {attribute!r}; the value will be null",
                    )
            elif kind == "contactField" and name not in CONTACT_FIELDS:
                yield warning(
                    node.id,
                    where,
                    FindingCode.UNKNOWN_CONTACT_FIELD,
                    f"a contact has no field {name!r} (one of: {', '.join(CONTACT_FIELDS)}, or "
                    "customAttributes.<name>); the value will be null",
                )
            elif kind == "system" and system_name(name) not in SYSTEM_VARIABLES:
                yield warning(
                    node.id,
                    where,
                    FindingCode.UNKNOWN_SYSTEM_VARIABLE,
                    f"no system variable {system_name(name)!r} (one of: {', '.join(SYSTEM_VARIABLES)}); "
                    "the value will be null",
                )


def _spoken_item(item: Mapping[str, Any]) -> SpokenItem | None:
    kind, language = item.get("type"), item.get("language")
    if kind not in ("number", "date", "word") or language not in LANGUAGES:
        return None
    known, value = literal_of(item.get("value"))
    mode, currency = item.get("mode"), item.get("currency")
    return SpokenItem(
        kind=str(kind),
        language=str(language),
        mode=mode if isinstance(mode, str) else None,
        currency=currency if isinstance(currency, str) else None,
        value_known=known,
        value=value,
    )


def _keys_needed(context: ValidationContext, item: SpokenItem) -> Collection[str]:
    if context.dictionary_keys_needed is not None:
        return context.dictionary_keys_needed(item)
    if item.kind == "word" and item.value_known and isinstance(item.value, str) and item.value.strip():
        return {item.value.strip().lower()}
    return ()


def check_dictionary_entries(subject: FlowUnderCheck) -> Iterator[Finding]:
    """Number, date and word items are spoken from dictionary clips: every key speaking them
    takes must be in the language's dictionaries (the organization's or the system's)."""
    lookup = subject.context.known_dictionary_keys
    if lookup is None:
        return
    cache: dict[str, frozenset[str] | None] = {}
    for node in subject.nodes():
        for path, raw_item in node_play_items(node):
            item = _spoken_item(raw_item)
            if item is None:
                continue
            if item.language not in cache:
                found = lookup(item.language)
                cache[item.language] = None if found is None else frozenset(found)
            known = cache[item.language]
            if known is None:
                yield warning(
                    node.id,
                    node_field(node.id, path, "language"),
                    FindingCode.DICTIONARY_ENTRY_MISSING,
                    f"there is no {item.language} dictionary, so this {item.kind} item cannot be spoken",
                )
                continue
            missing = sorted(set(_keys_needed(subject.context, item)) - known)
            if missing:
                listed = ", ".join(repr(k) for k in missing[:_MAX_LISTED]) + (
                    " …" if len(missing) > _MAX_LISTED else ""
                )
                yield warning(
                    node.id,
                    node_field(node.id, path),
                    FindingCode.DICTIONARY_ENTRY_MISSING,
                    f"the {item.language} dictionaries lack {len(missing)} key(s) this {item.kind} item can need: "
                    f"{listed}",
                )


GRAPH_CHECKS: tuple[GraphCheck, ...] = (
    check_node_fields,
    check_node_types,
    check_outputs,
    check_node_configs,
    check_audio_references,
    check_unreachable_nodes,
    check_unconnected_outcomes,
    check_loops_without_exit,
    check_call_nodes_after_failed_dials,
    check_references,
    check_dictionary_entries,
)
