"""The flow validator: one test per defect it reports, plus what it must let through."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcast_flow.domain.validation import (
    Finding,
    FindingCode,
    ValidationContext,
    ValidationReport,
    referenced_audio_ids,
    validate_graph,
)

pytestmark = pytest.mark.unit

AUDIO_ID = "0190a8a4-6b1e-7c3d-9a2f-3c4d5e6f7a8b"


def good_graph() -> dict[str, Any]:
    return {
        "startNodeId": "dial-1",
        "nodes": [
            {
                "id": "dial-1",
                "type": "dial",
                "label": "Call customer",
                "config": {"timeout": 30000, "enableAMD": True},
                "outputs": {"onAnswer": "menu", "onVoicemail": "bye", "onNoAnswer": None},
            },
            {
                "id": "menu",
                "type": "dtmf",
                "config": {
                    "mode": "single_digit",
                    "prompt": [{"type": "audioFile", "audioId": AUDIO_ID}],
                },
                "outputs": {"branches": {"1": "play-1", "*": "menu"}, "onTimeout": "bye", "onInvalid": "bye"},
            },
            {
                "id": "play-1",
                "type": "play",
                "config": {
                    "items": [
                        {"type": "audioFile", "audioId": AUDIO_ID},
                        {"type": "number", "value": {"type": "variable", "name": "amount"}, "language": "fr"},
                    ]
                },
                "outputs": {"onComplete": "bye"},
            },
            {"id": "bye", "type": "hangup"},
        ],
    }


def node(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def only_error(report: ValidationReport) -> Finding:
    assert not report.valid
    assert len(report.errors) == 1, report.findings
    return report.errors[0]


def test_a_well_formed_flow_has_no_findings() -> None:
    report = validate_graph(good_graph(), ValidationContext(existing_audio_ids=frozenset({AUDIO_ID})))
    assert report.valid
    assert report.findings == ()


def test_the_map_form_reads_like_the_array_form() -> None:
    array_form = good_graph()
    map_form = {
        "startNodeId": array_form["startNodeId"],
        "nodes": {n["id"]: {k: v for k, v in n.items() if k != "id"} for n in array_form["nodes"]},
    }
    a, m = validate_graph(array_form), validate_graph(map_form)
    assert a.valid
    assert m.valid
    assert a.flow is not None
    assert m.flow is not None
    assert a.flow.graph_hash() == m.flow.graph_hash()


def test_unknown_node_type_is_an_error_on_the_type_field() -> None:
    graph = good_graph()
    node(graph, "play-1")["type"] = "speak"
    f = only_error(validate_graph(graph))
    assert (f.code, f.node_id, f.field) == (FindingCode.UNKNOWN_NODE_TYPE, "play-1", "graph.nodes.play-1.type")


@pytest.mark.parametrize("config", ["loud", [1, 2], [], 7])
def test_node_config_that_is_not_an_object_is_an_error(config: Any) -> None:
    graph = good_graph()
    node(graph, "dial-1")["config"] = config
    f = only_error(validate_graph(graph))
    assert (f.code, f.node_id, f.field) == (FindingCode.INVALID_CONFIG, "dial-1", "graph.nodes.dial-1.config")


def test_outputs_that_are_not_an_object_are_an_error() -> None:
    graph = good_graph()
    node(graph, "dial-1")["outputs"] = ["menu"]
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_OUTPUTS, "graph.nodes.dial-1.outputs")


def test_an_output_pointing_to_a_missing_node_is_an_error() -> None:
    graph = good_graph()
    node(graph, "dial-1")["outputs"]["onBusy"] = "nowhere"
    f = only_error(validate_graph(graph))
    assert (f.code, f.node_id, f.field) == (
        FindingCode.OUTPUT_TARGET_NOT_FOUND,
        "dial-1",
        "graph.nodes.dial-1.outputs.onBusy",
    )
    assert "nowhere" in f.message


def test_a_digit_branch_pointing_to_a_missing_node_is_an_error() -> None:
    graph = good_graph()
    node(graph, "menu")["outputs"]["branches"]["2"] = "ghost"
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.OUTPUT_TARGET_NOT_FOUND, "graph.nodes.menu.outputs.branches.2")


def test_branches_that_are_not_a_digit_map_are_an_error() -> None:
    graph = good_graph()
    node(graph, "menu")["outputs"]["branches"] = ["play-1"]
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_OUTPUTS, "graph.nodes.menu.outputs.branches")


def test_a_branch_key_that_is_not_a_keypad_sequence_is_an_error() -> None:
    graph = good_graph()
    node(graph, "menu")["outputs"]["branches"]["one"] = "play-1"
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_BRANCH_KEY, "graph.nodes.menu.outputs.branches.one")


def test_an_output_that_is_not_a_node_id_is_an_error() -> None:
    graph = good_graph()
    node(graph, "dial-1")["outputs"]["onBusy"] = {"id": "bye"}
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_OUTPUT_TARGET, "graph.nodes.dial-1.outputs.onBusy")


def test_a_missing_start_node_is_an_error() -> None:
    graph = good_graph()
    del graph["startNodeId"]
    f = only_error(validate_graph(graph))
    assert (f.code, f.node_id, f.field) == (FindingCode.START_NODE_MISSING, None, "graph.startNodeId")


def test_a_start_node_that_names_no_node_is_an_error() -> None:
    graph = good_graph()
    graph["startNodeId"] = "dial-9"
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.START_NODE_NOT_FOUND, "graph.startNodeId")


def test_duplicate_node_ids_are_an_error() -> None:
    graph = good_graph()
    graph["nodes"].append(copy.deepcopy(node(graph, "bye")))
    f = only_error(validate_graph(graph))
    assert (f.code, f.node_id, f.field) == (FindingCode.DUPLICATE_NODE_ID, "bye", "graph.nodes.bye.id")


def test_a_node_without_an_id_is_an_error() -> None:
    graph = good_graph()
    del node(graph, "bye")["id"]
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.NODE_ID_MISSING, "graph.nodes[3].id")


def test_a_map_node_whose_id_differs_from_its_key_is_an_error() -> None:
    graph = {"startNodeId": "a", "nodes": {"a": {"id": "b", "type": "hangup"}}}
    f = only_error(validate_graph(graph))
    assert (f.code, f.node_id) == (FindingCode.NODE_ID_MISMATCH, "a")


def test_a_node_without_a_type_is_an_error() -> None:
    graph = good_graph()
    del node(graph, "bye")["type"]
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.NODE_TYPE_MISSING, "graph.nodes.bye.type")


@pytest.mark.parametrize("nodes", [None, "dial-1", 3, []])
def test_nodes_that_are_neither_an_array_nor_a_map_of_nodes_are_an_error(nodes: Any) -> None:
    f = only_error(validate_graph({"startNodeId": "a", "nodes": nodes}))
    assert f.code == FindingCode.INVALID_GRAPH
    assert f.field == "graph.nodes"


def test_an_unknown_property_on_a_node_is_an_error() -> None:
    graph = good_graph()
    node(graph, "bye")["colour"] = "red"
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.UNKNOWN_NODE_FIELD, "graph.nodes.bye.colour")


def test_a_label_that_is_not_text_is_an_error() -> None:
    graph = good_graph()
    node(graph, "bye")["label"] = 12
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_LABEL, "graph.nodes.bye.label")


def test_an_output_the_node_type_does_not_have_is_only_a_warning() -> None:
    graph = good_graph()
    node(graph, "play-1")["outputs"]["onAnswer"] = "bye"
    report = validate_graph(graph)
    assert report.valid
    [f] = report.findings
    assert (f.severity, f.code, f.field) == (
        "warning",
        FindingCode.UNKNOWN_OUTPUT,
        "graph.nodes.play-1.outputs.onAnswer",
    )


def test_play_items_that_are_not_an_array_are_an_error() -> None:
    graph = good_graph()
    node(graph, "play-1")["config"]["items"] = {"type": "audioFile"}
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_CONFIG, "graph.nodes.play-1.config.items")


def test_a_play_item_of_unknown_type_is_an_error() -> None:
    graph = good_graph()
    node(graph, "play-1")["config"]["items"].append({"type": "tts", "text": "hi"})
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_PLAY_ITEM, "graph.nodes.play-1.config.items[2].type")


def test_an_audio_file_item_without_an_audio_id_is_an_error() -> None:
    graph = good_graph()
    node(graph, "play-1")["config"]["items"][0] = {"type": "audioFile"}
    f = only_error(validate_graph(graph))
    assert (f.code, f.field) == (FindingCode.INVALID_PLAY_ITEM, "graph.nodes.play-1.config.items[0].audioId")


def test_a_played_audio_that_does_not_exist_is_an_error() -> None:
    report = validate_graph(good_graph(), ValidationContext(existing_audio_ids=frozenset()))
    assert not report.valid
    assert {(f.code, f.node_id, f.field) for f in report.errors} == {
        (FindingCode.AUDIO_NOT_FOUND, "play-1", "graph.nodes.play-1.config.items[0].audioId"),
        (FindingCode.AUDIO_NOT_FOUND, "menu", "graph.nodes.menu.config.prompt[0].audioId"),
    }


def test_an_audio_id_that_is_not_a_uuid_names_no_audio() -> None:
    graph = good_graph()
    node(graph, "play-1")["config"]["items"][0]["audioId"] = "welcome.wav"
    report = validate_graph(graph, ValidationContext(existing_audio_ids=frozenset({AUDIO_ID})))
    assert [f.code for f in report.errors] == [FindingCode.AUDIO_NOT_FOUND]


def test_audio_ids_match_whatever_their_letter_case() -> None:
    graph = good_graph()
    node(graph, "play-1")["config"]["items"][0]["audioId"] = AUDIO_ID.upper()
    assert validate_graph(graph, ValidationContext(existing_audio_ids=frozenset({AUDIO_ID}))).valid


def test_audio_is_not_checked_when_nothing_was_looked_up() -> None:
    assert validate_graph(good_graph()).valid


def test_the_audio_a_flow_plays_is_listed_canonically_for_the_lookup() -> None:
    graph = good_graph()
    other = str(uuid.uuid4())
    node(graph, "play-1")["config"]["items"].append({"type": "audioFile", "audioId": other.upper()})
    node(graph, "play-1")["config"]["items"].append({"type": "audioFile", "audioId": "not-a-uuid"})
    report = validate_graph(graph)
    assert report.flow is not None
    assert referenced_audio_ids(report.flow) == {AUDIO_ID, other}


def test_every_graph_defect_is_reported_at_once() -> None:
    graph = good_graph()
    node(graph, "play-1")["type"] = "speak"
    node(graph, "dial-1")["outputs"]["onBusy"] = "nowhere"
    node(graph, "menu")["outputs"]["branches"]["9"] = "ghost"
    report = validate_graph(graph)
    assert {f.code for f in report.errors} == {FindingCode.UNKNOWN_NODE_TYPE, FindingCode.OUTPUT_TARGET_NOT_FOUND}
    assert len(report.errors) == 3


def test_findings_serialise_with_the_documented_keys() -> None:
    graph = good_graph()
    node(graph, "play-1")["type"] = "speak"
    [f] = validate_graph(graph).findings
    assert f.to_json() == {
        "severity": "error",
        "nodeId": "play-1",
        "field": "graph.nodes.play-1.type",
        "code": "UNKNOWN_NODE_TYPE",
        "message": f.message,
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
node_like = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "c"]) | json_values},
    optional={
        "type": st.sampled_from(["dial", "play", "dtmf", "hangup", "nope"]) | json_values,
        "config": json_values,
        "outputs": st.dictionaries(
            st.sampled_from(["onAnswer", "branches", "default", "x"]),
            st.sampled_from(["a", "b", "zz"]) | json_values,
            max_size=3,
        ),
        "label": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(
    start=st.sampled_from(["a", "b"]) | json_values,
    nodes=st.lists(node_like, max_size=4) | st.dictionaries(st.sampled_from(["a", "b", "c"]), node_like) | json_values,
)
def test_the_validator_answers_findings_for_any_json_it_is_given(start: Any, nodes: Any) -> None:
    report = validate_graph({"startNodeId": start, "nodes": nodes}, ValidationContext(existing_audio_ids=frozenset()))
    assert report.valid == (report.flow is not None and not report.errors)
    for f in report.findings:
        assert f.severity in ("error", "warning")
        assert f.field.startswith("graph.")
