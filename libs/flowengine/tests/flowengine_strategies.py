"""Hypothesis strategies: valid flows over all node types (cycles included) and call events.

"Valid" means what the flow service's validator accepts without errors: known node types, configs
within ``callcast_flowengine.nodes``' limits, outputs that name existing nodes. Outputs are drawn
at random from each node's documented outputs, so flows have cycles, self-loops, unconnected
outcomes and unreachable nodes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from callcast_flowengine import (
    ActionFailed,
    CalleeHungUp,
    DialResult,
    DigitsCollected,
    PlayCompleted,
    RecordCompleted,
)
from callcast_flowengine.document import NODE_TYPES
from callcast_flowengine.nodes import AMD_LIMITS, COMPARISONS, OUTPUTS
from callcast_flowengine.simulation import Answered, CalleeHangsUp, KeysPressed, NotConnected, TimedOut
from callcast_flowengine.values import CONTACT_FIELDS, SYSTEM_VARIABLES

VARIABLES = ("amount", "choice", "count", "note")
ATTRIBUTES = ("tier", "balance", "due")
KEYS = "0123456789*#"

scalars = st.none() | st.booleans() | st.integers(-1000, 10**6) | st.text(alphabet="abc12 ", max_size=6)


@st.composite
def value_sources(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["bare", "literal", "variable", "customAttribute", "contactField", "system"]))
    if kind == "bare":
        return draw(scalars)
    if kind == "literal":
        return {"type": draw(st.sampled_from(["literal", "static"])), "value": draw(scalars)}
    names = {
        "variable": VARIABLES,
        "customAttribute": ATTRIBUTES,
        "contactField": CONTACT_FIELDS,
        "system": SYSTEM_VARIABLES,
    }[kind]
    aliases = {
        "variable": ["variable", "flow_variable"],
        "customAttribute": ["customAttribute", "custom_attribute"],
        "contactField": ["contactField", "contact_field"],
        "system": ["system", "system_variable"],
    }[kind]
    return {"type": draw(st.sampled_from(aliases)), "name": draw(st.sampled_from(names))}


@st.composite
def play_items(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["audioFile", "number", "date", "word"]))
    if kind == "audioFile":
        return {"type": "audioFile", "audioId": "0190a8a4-6b1e-7c3d-9a2f-3c4d5e6f7a8b"}
    language = draw(st.sampled_from(["ar", "fr"]))
    if kind == "number":
        value = draw(
            st.one_of(
                st.integers(0, 10**9).map(lambda n: {"type": "literal", "value": n}),
                st.sampled_from(VARIABLES).map(lambda n: {"type": "variable", "name": n}),
                st.just({"type": "customAttribute", "name": "balance"}),
            )
        )
        item: dict[str, Any] = {"type": "number", "value": value, "language": language}
        mode = draw(st.sampled_from([None, "cardinal", "digits", "currency"]))
        if mode is not None:
            item["mode"] = mode
        if mode == "currency":
            item["currency"] = draw(st.sampled_from(["MAD", "EUR"]))
        return item
    if kind == "date":
        value = draw(
            st.one_of(
                st.dates().map(lambda d: {"type": "literal", "value": d.isoformat()}),
                st.just({"type": "customAttribute", "name": "due"}),
            )
        )
        item = {"type": "date", "value": value, "language": language}
        mode = draw(st.sampled_from([None, "date", "day_month", "weekday_date"]))
        return item if mode is None else {**item, "mode": mode}
    word = draw(
        st.sampled_from([{"type": "literal", "value": "merci"}, "bonjour", {"type": "variable", "name": "note"}])
    )
    return {"type": "word", "value": word, "language": language}


def _optional(draw: st.DrawFn, config: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        config[key] = draw(strategy)


def comparisons() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"left": value_sources(), "op": st.sampled_from(COMPARISONS), "right": value_sources()}
    )


@st.composite
def condition_groups(draw: st.DrawFn, depth: int = 1) -> dict[str, Any]:
    items: list[dict[str, Any]] = draw(st.lists(comparisons(), min_size=1, max_size=3))
    if depth < 3 and draw(st.booleans()):
        items.append(draw(condition_groups(depth + 1)))
    group: dict[str, Any] = {"conditions": items}
    _optional(draw, group, "operator", st.sampled_from(["AND", "OR"]))
    return group


@st.composite
def configs(draw: st.DrawFn, node_type: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if node_type == "dial":
        _optional(draw, config, "timeout", st.integers(1000, 120000))
        _optional(draw, config, "enableAMD", st.booleans())
        if config.get("enableAMD", True):
            keys = draw(st.lists(st.sampled_from(sorted(AMD_LIMITS)), unique=True, max_size=3))
            if keys:
                config["amd"] = {k: draw(st.integers(*AMD_LIMITS[k])) for k in keys}
    elif node_type == "play":
        config["items"] = draw(st.lists(play_items(), min_size=1, max_size=3))
    elif node_type == "dtmf":
        mode = draw(st.sampled_from(["single_digit", "multi_digit"]))
        config["mode"] = mode
        if mode == "multi_digit":
            _optional(draw, config, "maxDigits", st.integers(1, 32))
            _optional(draw, config, "finishOnKey", st.sampled_from(["#", "*", ""]))
            _optional(draw, config, "interDigitTimeoutMs", st.integers(500, 60000))
        _optional(draw, config, "timeoutMs", st.integers(1000, 120000))
        _optional(draw, config, "maxRetries", st.integers(0, 3))
        _optional(draw, config, "variable", st.sampled_from(VARIABLES))
        _optional(draw, config, "prompt", st.lists(play_items(), max_size=2))
    elif node_type == "record":
        _optional(draw, config, "maxDurationSec", st.integers(1, 3600))
        _optional(draw, config, "silenceTimeoutSec", st.integers(1, 60))
        _optional(draw, config, "beep", st.booleans())
        _optional(draw, config, "variable", st.sampled_from(VARIABLES))
    elif node_type == "condition":
        config.update(draw(condition_groups()))
    elif node_type == "set_variable":
        config["variable"] = draw(st.sampled_from(VARIABLES))
        config["value"] = draw(value_sources())
    return config


def _branch_keys(config: dict[str, Any]) -> st.SearchStrategy[str]:
    if config.get("mode") == "single_digit":
        return st.sampled_from(list(KEYS))
    finish = config.get("finishOnKey", "#")
    alphabet = "".join(k for k in KEYS if k != finish)
    return st.text(alphabet=alphabet, min_size=1, max_size=min(3, config.get("maxDigits", 20)))


@st.composite
def flows(draw: st.DrawFn, max_nodes: int = 8) -> dict[str, Any]:
    """A valid flow graph ``{"startNodeId", "nodes": [...]}``, start node ``n0``."""
    count = draw(st.integers(1, max_nodes))
    ids = [f"n{i}" for i in range(count)]
    targets = st.sampled_from(ids)
    nodes = []
    for node_id in ids:
        # Most real flows start by dialling; starting anywhere else is drawn too.
        start_dial = node_id == "n0" and draw(st.integers(0, 9)) < 6
        node_type = "dial" if start_dial else draw(st.sampled_from(NODE_TYPES))
        config = draw(configs(node_type))
        outputs: dict[str, Any] = {}
        for name in OUTPUTS[node_type]:
            if name == "branches":
                keys = draw(st.lists(_branch_keys(config), unique=True, max_size=3))
                if keys:
                    outputs["branches"] = {k: draw(targets) for k in keys}
                continue
            choice = draw(st.sampled_from(["absent", "null", "node", "node", "node"]))
            if choice == "null":
                outputs[name] = None
            elif choice == "node":
                outputs[name] = draw(targets)
        nodes.append(
            {"id": node_id, "type": node_type, "label": f"{node_type} {node_id}", "config": config, "outputs": outputs}
        )
    return {"startNodeId": "n0", "nodes": nodes}


#: Any result a driver could feed back, at any node (mismatches included).
call_events = st.one_of(
    st.builds(
        DialResult,
        status=st.sampled_from(["answered", "answered", "busy", "no_answer", "rejected", "failed", "congested"]),
        answered_by=st.sampled_from(["human", "machine", "unknown"]),
        reason=st.none() | st.just("sip"),
    ),
    st.just(PlayCompleted()),
    st.builds(
        DigitsCollected,
        digits=st.none() | st.text(alphabet=KEYS + "x", max_size=4),
        result=st.sampled_from(["success", "success", "timeout", "invalid"]),
    ),
    st.builds(
        RecordCompleted, recording_id=st.none() | st.just("rec-1"), result=st.sampled_from(["complete", "timeout"])
    ),
    st.just(CalleeHungUp()),
    st.builds(ActionFailed, reason=st.just("driver failure")),
)

#: What a simulation script can hold (``atNodeId`` among the generated ids, or a stranger).
script_events = st.one_of(
    st.builds(Answered, answered_by=st.sampled_from(["human", "machine"])),
    st.builds(NotConnected, status=st.sampled_from(["busy", "no_answer", "rejected", "failed"])),
    st.builds(KeysPressed, digits=st.text(alphabet=KEYS, min_size=1, max_size=4)),
    st.builds(CalleeHangsUp, at_node_id=st.none() | st.sampled_from([f"n{i}" for i in range(8)])),
    st.just(TimedOut()),
)

contacts = st.fixed_dictionaries(
    {},
    optional={
        "firstName": st.just("Amina"),
        "city": st.sampled_from(["Rabat", "Fes"]),
        "primaryPhone": st.just("+212600000001"),
        "customAttributes": st.fixed_dictionaries(
            {},
            optional={
                "tier": st.sampled_from(["gold", "silver"]),
                "balance": st.integers(0, 10**6),
                "due": st.just("2025-02-01"),
            },
        ),
    },
)

variables = st.dictionaries(st.sampled_from(VARIABLES), scalars, max_size=3)
