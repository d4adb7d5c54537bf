"""The validator's node, graph and reference checks: one test per defect class.

Each test starts from ``clean_graph()`` (every node type, no findings at all), introduces one
defect and checks the finding it gets: its code, severity, node, field and a reason.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcast_flow.domain.validation import (
    Finding,
    FindingCode,
    SpokenItem,
    ValidationContext,
    ValidationReport,
    validate_graph,
)

pytestmark = pytest.mark.unit

AUDIO_ID = "0190a8a4-6b1e-7c3d-9a2f-3c4d5e6f7a8b"


def clean_graph() -> dict[str, Any]:
    return {
        "startNodeId": "dial-1",
        "nodes": [
            {
                "id": "dial-1",
                "type": "dial",
                "config": {"timeout": 45000, "enableAMD": True, "amd": {"greetingMs": 1500, "silenceThreshold": 256}},
                "outputs": {"onAnswer": "welcome", "onVoicemail": "bye"},
            },
            {
                "id": "welcome",
                "type": "play",
                "config": {
                    "items": [
                        {"type": "audioFile", "audioId": AUDIO_ID},
                        {
                            "type": "number",
                            "value": {"type": "customAttribute", "name": "balance"},
                            "language": "fr",
                            "mode": "currency",
                            "currency": "MAD",
                        },
                        {
                            "type": "date",
                            "value": {"type": "contactField", "name": "customAttributes.due"},
                            "language": "ar",
                        },
                    ]
                },
                "outputs": {"onComplete": "check", "onError": "menu"},
            },
            {
                "id": "check",
                "type": "condition",
                "config": {
                    "operator": "AND",
                    "conditions": [
                        {"left": {"type": "customAttribute", "name": "balance"}, "op": "gt", "right": 1000},
                        {"left": {"type": "system", "name": "sys.answeredBy"}, "op": "eq", "right": "human"},
                    ],
                },
                "outputs": {"onTrue": "flag", "onFalse": "menu"},
            },
            {
                "id": "flag",
                "type": "set_variable",
                "config": {"variable": "priority", "value": {"type": "literal", "value": "high"}},
                "outputs": {"onSuccess": "menu"},
            },
            {
                "id": "menu",
                "type": "dtmf",
                "config": {
                    "mode": "single_digit",
                    "timeoutMs": 5000,
                    "maxRetries": 2,
                    "variable": "choice",
                    "prompt": [{"type": "word", "value": "menu", "language": "fr"}],
                },
                "outputs": {"branches": {"1": "ans", "2": "bye", "*": "menu"}, "onMaxRetries": "bye"},
            },
            {"id": "ans", "type": "answer", "outputs": {"onSuccess": "rec"}},
            {
                "id": "rec",
                "type": "record",
                "config": {"maxDurationSec": 60, "silenceTimeoutSec": 5, "beep": True, "variable": "message"},
                "outputs": {"onComplete": "bye", "onTimeout": "bye"},
            },
            {"id": "bye", "type": "hangup"},
        ],
    }


def node(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def with_change(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    graph = clean_graph()
    change(graph)
    return graph


def the_finding(report: ValidationReport) -> Finding:
    assert len(report.findings) == 1, report.findings
    return report.findings[0]


def test_the_clean_graph_has_no_findings() -> None:
    context = ValidationContext(
        existing_audio_ids=frozenset({AUDIO_ID}),
        known_custom_attributes=frozenset({"balance", "due"}),
        known_dictionary_keys=lambda language: {"menu"},
        dictionary_keys_needed=lambda item: set(),
    )
    assert validate_graph(clean_graph(), context).findings == ()


# -- errors: node configs -----------------------------------------------------------------------


def _set(node_id: str, *path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(graph: dict[str, Any]) -> None:
        target = node(graph, node_id)
        for key in path[:-1]:
            target = target.setdefault(key, {}) if isinstance(target, dict) else target[int(key)]
        if isinstance(target, list):
            target[int(path[-1])] = value
        else:
            target[path[-1]] = value

    return change


def _drop(node_id: str, *path: str) -> Callable[[dict[str, Any]], None]:
    def change(graph: dict[str, Any]) -> None:
        target: Any = node(graph, node_id)
        for key in path[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[path[-1]]

    return change


ERRORS = [
    # unknown config properties
    (_set("dial-1", "config", "ringTime", value=20), "UNKNOWN_CONFIG_FIELD", "graph.nodes.dial-1.config.ringTime"),
    (
        _set("dial-1", "config", "amd", "patience", value=3),
        "UNKNOWN_CONFIG_FIELD",
        "graph.nodes.dial-1.config.amd.patience",
    ),
    (_set("bye", "config", value={"reason": "done"}), "UNKNOWN_CONFIG_FIELD", "graph.nodes.bye.config.reason"),
    # types
    (_set("dial-1", "config", "timeout", value="30s"), "INVALID_CONFIG", "graph.nodes.dial-1.config.timeout"),
    (_set("dial-1", "config", "enableAMD", value="yes"), "INVALID_CONFIG", "graph.nodes.dial-1.config.enableAMD"),
    (_set("rec", "config", "beep", value=1), "INVALID_CONFIG", "graph.nodes.rec.config.beep"),
    (_set("menu", "config", "mode", value="multi"), "INVALID_CONFIG", "graph.nodes.menu.config.mode"),
    (_set("menu", "config", "finishOnKey", value="##"), "INVALID_CONFIG", "graph.nodes.menu.config.finishOnKey"),
    # ranges
    (_set("dial-1", "config", "timeout", value=999), "CONFIG_OUT_OF_RANGE", "graph.nodes.dial-1.config.timeout"),
    (_set("dial-1", "config", "timeout", value=120001), "CONFIG_OUT_OF_RANGE", "graph.nodes.dial-1.config.timeout"),
    (
        _set("dial-1", "config", "amd", "greetingMs", value=-1),
        "CONFIG_OUT_OF_RANGE",
        "graph.nodes.dial-1.config.amd.greetingMs",
    ),
    (_set("menu", "config", "maxRetries", value=11), "CONFIG_OUT_OF_RANGE", "graph.nodes.menu.config.maxRetries"),
    (_set("menu", "config", "timeoutMs", value=100), "CONFIG_OUT_OF_RANGE", "graph.nodes.menu.config.timeoutMs"),
    (_set("rec", "config", "maxDurationSec", value=0), "CONFIG_OUT_OF_RANGE", "graph.nodes.rec.config.maxDurationSec"),
    (
        _set("rec", "config", "maxDurationSec", value=3601),
        "CONFIG_OUT_OF_RANGE",
        "graph.nodes.rec.config.maxDurationSec",
    ),
    (
        _set("rec", "config", "silenceTimeoutSec", value=61),
        "CONFIG_OUT_OF_RANGE",
        "graph.nodes.rec.config.silenceTimeoutSec",
    ),
    # required
    (_drop("welcome", "config", "items"), "MISSING_CONFIG_FIELD", "graph.nodes.welcome.config.items"),
    (_drop("flag", "config", "variable"), "MISSING_CONFIG_FIELD", "graph.nodes.flag.config.variable"),
    (_drop("flag", "config", "value"), "MISSING_CONFIG_FIELD", "graph.nodes.flag.config.value"),
    (_drop("check", "config", "conditions"), "MISSING_CONFIG_FIELD", "graph.nodes.check.config.conditions"),
    (
        _drop("check", "config", "conditions", "0", "right"),
        "MISSING_CONFIG_FIELD",
        "graph.nodes.check.config.conditions[0].right",
    ),
    (
        _drop("welcome", "config", "items", "1", "language"),
        "MISSING_CONFIG_FIELD",
        "graph.nodes.welcome.config.items[1].language",
    ),
    (
        _drop("welcome", "config", "items", "1", "currency"),
        "MISSING_CONFIG_FIELD",
        "graph.nodes.welcome.config.items[1].currency",
    ),
    # play items
    (_set("welcome", "config", "items", value=[]), "INVALID_CONFIG", "graph.nodes.welcome.config.items"),
    (
        _set("welcome", "config", "items", "1", "language", value="en"),
        "INVALID_PLAY_ITEM",
        "graph.nodes.welcome.config.items[1].language",
    ),
    (
        _set("welcome", "config", "items", "1", "mode", value="words"),
        "INVALID_PLAY_ITEM",
        "graph.nodes.welcome.config.items[1].mode",
    ),
    (
        _set("welcome", "config", "items", "2", "mode", value="month_year"),
        "INVALID_PLAY_ITEM",
        "graph.nodes.welcome.config.items[2].mode",
    ),
    (
        _set("welcome", "config", "items", "1", "currency", value="dirham"),
        "INVALID_PLAY_ITEM",
        "graph.nodes.welcome.config.items[1].currency",
    ),
    (
        _set("menu", "config", "prompt", "0", value={"type": "speech", "text": "hi"}),
        "INVALID_PLAY_ITEM",
        "graph.nodes.menu.config.prompt[0].type",
    ),
    # ValueSources
    (
        _set("flag", "config", "value", value={"type": "formula", "name": "x"}),
        "INVALID_VALUE_SOURCE",
        "graph.nodes.flag.config.value.type",
    ),
    (_set("flag", "config", "value", value=[1, 2]), "INVALID_VALUE_SOURCE", "graph.nodes.flag.config.value"),
    (
        _set("flag", "config", "value", value={"type": "literal", "value": {"a": 1}}),
        "INVALID_VALUE_SOURCE",
        "graph.nodes.flag.config.value.value",
    ),
    (
        _set("flag", "config", "value", value={"type": "variable"}),
        "MISSING_CONFIG_FIELD",
        "graph.nodes.flag.config.value.name",
    ),
    (
        _set("flag", "config", "value", value={"type": "variable", "name": "x", "default": 1}),
        "UNKNOWN_CONFIG_FIELD",
        "graph.nodes.flag.config.value.default",
    ),
    # variable names
    (_set("flag", "config", "variable", value="my var"), "INVALID_VARIABLE_NAME", "graph.nodes.flag.config.variable"),
    (
        _set("menu", "config", "variable", value="sys.choice"),
        "INVALID_VARIABLE_NAME",
        "graph.nodes.menu.config.variable",
    ),
    (_set("rec", "config", "variable", value=7), "INVALID_VARIABLE_NAME", "graph.nodes.rec.config.variable"),
    # conditions
    (
        _set("check", "config", "conditions", "0", "op", value="like"),
        "INVALID_CONDITION",
        "graph.nodes.check.config.conditions[0].op",
    ),
    (_set("check", "config", "operator", value="XOR"), "INVALID_CONDITION", "graph.nodes.check.config.operator"),
    (_set("check", "config", "conditions", value=[]), "INVALID_CONDITION", "graph.nodes.check.config.conditions"),
    (
        _set("check", "config", "conditions", "1", value="x > 1"),
        "INVALID_CONDITION",
        "graph.nodes.check.config.conditions[1]",
    ),
    # literals that can never be spoken
    (
        _set("welcome", "config", "items", "1", "value", value={"type": "literal", "value": "lots"}),
        "TYPE_MISMATCH",
        "graph.nodes.welcome.config.items[1].value",
    ),
    (
        _set("welcome", "config", "items", "2", "value", value="tomorrow"),
        "TYPE_MISMATCH",
        "graph.nodes.welcome.config.items[2].value",
    ),
]


@pytest.mark.parametrize(("change", "code", "field"), ERRORS, ids=[f"{c}:{f.split('.', 3)[-1]}" for _, c, f in ERRORS])
def test_a_bad_node_config_is_an_error_naming_the_node_and_the_field(
    change: Callable[[dict[str, Any]], None], code: str, field: str
) -> None:
    report = validate_graph(with_change(change))
    assert not report.valid
    [finding] = [f for f in report.findings if f.is_error]
    assert (finding.code, finding.field, finding.node_id) == (code, field, field.split(".")[2])
    assert finding.message


def test_condition_groups_nest_at_most_three_levels() -> None:
    leaf = {"left": 1, "op": "eq", "right": 1}
    three = {"conditions": [leaf, {"conditions": [leaf, {"conditions": [leaf]}]}]}
    assert validate_graph(with_change(_set("check", "config", value=three))).valid
    four = {"conditions": [{"conditions": [{"conditions": [{"conditions": [leaf]}]}]}]}
    f = the_finding(validate_graph(with_change(_set("check", "config", value=four))))
    assert (f.code, f.field) == (
        "INVALID_CONDITION",
        "graph.nodes.check.config.conditions[0].conditions[0].conditions[0]",
    )


def test_an_error_for_each_defect_at_once() -> None:
    def many(graph: dict[str, Any]) -> None:
        node(graph, "dial-1")["config"]["timeout"] = 5
        node(graph, "rec")["config"]["maxDurationSec"] = 99999
        node(graph, "flag")["config"]["variable"] = "9lives"

    report = validate_graph(with_change(many))
    assert {(f.node_id, f.code) for f in report.errors} == {
        ("dial-1", "CONFIG_OUT_OF_RANGE"),
        ("rec", "CONFIG_OUT_OF_RANGE"),
        ("flag", "INVALID_VARIABLE_NAME"),
    }


# -- warnings: the graph ------------------------------------------------------------------------


def test_a_node_no_path_reaches_is_unreachable() -> None:
    def orphan(graph: dict[str, Any]) -> None:
        graph["nodes"].append({"id": "orphan", "type": "hangup"})

    f = the_finding(validate_graph(with_change(orphan)))
    assert (f.severity, f.code, f.node_id, f.field) == ("warning", "UNREACHABLE_NODE", "orphan", "graph.nodes.orphan")
    assert "start node" in f.message


def test_a_node_reached_only_through_an_error_output_is_reachable() -> None:
    def error_only(graph: dict[str, Any]) -> None:
        node(graph, "check")["outputs"] = {"onTrue": "flag", "onFalse": "menu", "onError": "oops"}
        graph["nodes"].append({"id": "oops", "type": "hangup"})

    assert validate_graph(with_change(error_only)).findings == ()


@pytest.mark.parametrize(
    ("node_id", "output"),
    [("dial-1", "onAnswer"), ("check", "onTrue"), ("check", "onFalse"), ("rec", "onComplete"), ("rec", "onTimeout")],
)
def test_an_outcome_that_can_happen_with_no_output_and_no_default_is_a_warning(node_id: str, output: str) -> None:
    report = validate_graph(with_change(_drop(node_id, "outputs", output)))
    # Nodes only that output led to become unreachable too; nothing else is reported.
    assert {f.code for f in report.findings} <= {"OUTPUT_NOT_CONNECTED", "UNREACHABLE_NODE"}
    [f] = [f for f in report.findings if f.code == "OUTPUT_NOT_CONNECTED"]
    assert (f.severity, f.code, f.node_id, f.field) == (
        "warning",
        "OUTPUT_NOT_CONNECTED",
        node_id,
        f"graph.nodes.{node_id}.outputs.{output}",
    )
    assert "nowhere to go" in f.message


@pytest.mark.parametrize(
    ("node_id", "output"), [("welcome", "onComplete"), ("flag", "onSuccess"), ("ans", "onSuccess")]
)
def test_a_node_whose_every_outcome_ends_the_flow_is_a_natural_end(node_id: str, output: str) -> None:
    report = validate_graph(with_change(_drop(node_id, "outputs", output)))
    assert "OUTPUT_NOT_CONNECTED" not in {f.code for f in report.findings}


def test_dtmf_outcomes_without_a_path_are_warnings() -> None:
    def bare_menu(graph: dict[str, Any]) -> None:
        node(graph, "menu")["outputs"] = {"branches": {"1": "ans"}}
        node(graph, "menu")["config"]["maxRetries"] = 0

    report = validate_graph(with_change(bare_menu))
    assert {(f.code, f.field) for f in report.findings} == {
        ("OUTPUT_NOT_CONNECTED", "graph.nodes.menu.outputs.onInvalid"),
        ("OUTPUT_NOT_CONNECTED", "graph.nodes.menu.outputs.onTimeout"),
    }


def test_an_output_set_to_null_or_a_default_output_is_a_deliberate_path() -> None:
    assert validate_graph(with_change(_set("rec", "outputs", "onTimeout", value=None))).findings == ()

    def with_default(graph: dict[str, Any]) -> None:
        node(graph, "check")["outputs"] = {"onTrue": "flag", "default": "menu"}

    assert validate_graph(with_change(with_default)).findings == ()


def test_dial_results_without_an_output_are_no_defect() -> None:
    # Unconnected, busy/no answer/rejected/failed/voicemail end the call with that outcome.
    assert validate_graph(with_change(_drop("dial-1", "outputs", "onVoicemail"))).findings == ()


def test_a_loop_with_no_way_out_is_a_warning() -> None:
    def trap(graph: dict[str, Any]) -> None:
        node(graph, "menu")["outputs"] = {"branches": {"1": "ans"}, "default": "menu"}
        node(graph, "rec")["outputs"] = {"default": "menu"}

    report = validate_graph(with_change(trap))
    loops = [f for f in report.findings if f.code == FindingCode.LOOP_WITHOUT_EXIT]
    assert len(loops) == 1
    f = loops[0]
    assert (f.severity, f.node_id, f.field) == ("warning", "menu", "graph.nodes.menu.outputs")
    assert "menu → ans → rec" in f.message
    assert "step limit" in f.message


def test_a_loop_with_a_way_out_is_no_defect() -> None:
    # clean_graph's menu loops on itself through "*" (repeat), and leaves through its other keys.
    assert node(clean_graph(), "menu")["outputs"]["branches"]["*"] == "menu"
    assert not [f for f in validate_graph(clean_graph()).findings if f.code == FindingCode.LOOP_WITHOUT_EXIT]


def test_playing_after_a_call_that_did_not_connect_is_a_warning() -> None:
    f = the_finding(validate_graph(with_change(_set("dial-1", "outputs", "onBusy", value="welcome"))))
    assert (f.severity, f.code, f.node_id, f.field) == (
        "warning",
        "NEEDS_CONNECTED_CALL",
        "dial-1",
        "graph.nodes.dial-1.outputs.onBusy",
    )
    assert "'welcome'" in f.message


# -- warnings: settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (_set("dial-1", "config", "enableAMD", value=False), "CONFIG_IGNORED", "graph.nodes.dial-1.config.amd"),
        (_set("menu", "config", "maxDigits", value=4), "CONFIG_IGNORED", "graph.nodes.menu.config.maxDigits"),
        (
            _set("welcome", "config", "items", "1", "mode", value="digits"),
            "CONFIG_IGNORED",
            "graph.nodes.welcome.config.items[1].currency",
        ),
        (
            _set("menu", "outputs", "branches", "12", value="ans"),
            "BRANCH_NEVER_MATCHES",
            "graph.nodes.menu.outputs.branches.12",
        ),
        (
            _set("check", "config", "conditions", "0", "right", value="plenty"),
            "TYPE_MISMATCH",
            "graph.nodes.check.config.conditions[0].right",
        ),
        (
            _set("dial-1", "config", "enableAMD", value=False),
            "OUTPUT_NEVER_FOLLOWED",
            "graph.nodes.dial-1.outputs.onVoicemail",
        ),
        (
            _set("menu", "outputs", "onTimeout", value="bye"),
            "OUTPUT_NEVER_FOLLOWED",
            "graph.nodes.menu.outputs.onTimeout",
        ),
    ],
)
def test_settings_and_outputs_that_have_no_effect_are_warnings(
    change: Callable[[dict[str, Any]], None], code: str, field: str
) -> None:
    report = validate_graph(with_change(change))
    assert report.valid
    assert {f.severity for f in report.findings} == {"warning"}
    [f] = [f for f in report.findings if f.code == code]
    assert f.field == field


def test_a_multi_digit_branch_longer_than_max_digits_never_matches() -> None:
    def multi(graph: dict[str, Any]) -> None:
        node(graph, "menu")["config"].update({"mode": "multi_digit", "maxDigits": 2})
        node(graph, "menu")["outputs"]["branches"] = {"12": "ans", "123": "bye", "1#": "bye"}

    report = validate_graph(with_change(multi))
    assert {(f.code, f.field) for f in report.findings} == {
        ("BRANCH_NEVER_MATCHES", "graph.nodes.menu.outputs.branches.123"),
        ("BRANCH_NEVER_MATCHES", "graph.nodes.menu.outputs.branches.1#"),
    }


# -- warnings: references -----------------------------------------------------------------------


def test_a_custom_attribute_the_organization_lacks_is_a_warning() -> None:
    known = ValidationContext(known_custom_attributes=frozenset({"balance"}))
    report = validate_graph(clean_graph(), known)
    assert {(f.severity, f.code, f.node_id, f.field) for f in report.findings} == {
        ("warning", "UNKNOWN_CUSTOM_ATTRIBUTE", "welcome", "graph.nodes.welcome.config.items[2].value.name"),
    }
    assert "'due'" in report.findings[0].message


@pytest.mark.parametrize("known", [None, frozenset()])
def test_custom_attributes_are_not_checked_without_a_known_set(known: frozenset[str] | None) -> None:
    assert validate_graph(clean_graph(), ValidationContext(known_custom_attributes=known)).findings == ()


def test_a_contact_field_a_contact_lacks_is_a_warning() -> None:
    change = _set("flag", "config", "value", value={"type": "contact_field", "name": "nickname"})
    f = the_finding(validate_graph(with_change(change)))
    assert (f.code, f.field) == ("UNKNOWN_CONTACT_FIELD", "graph.nodes.flag.config.value.name")


def test_a_system_variable_that_does_not_exist_is_a_warning() -> None:
    change = _set("check", "config", "conditions", "1", "left", value={"type": "system", "name": "sys.weather"})
    f = the_finding(validate_graph(with_change(change)))
    assert (f.code, f.field) == ("UNKNOWN_SYSTEM_VARIABLE", "graph.nodes.check.config.conditions[1].left.name")


def test_system_variables_may_leave_out_the_sys_prefix() -> None:
    change = _set("check", "config", "conditions", "1", "left", value={"type": "system_variable", "name": "answeredBy"})
    assert validate_graph(with_change(change)).findings == ()


# -- warnings: dictionaries ---------------------------------------------------------------------


def test_a_word_whose_key_no_dictionary_holds_is_a_warning() -> None:
    context = ValidationContext(known_dictionary_keys=lambda language: {"bonjour"})
    report = validate_graph(clean_graph(), context)
    assert [(f.severity, f.code, f.node_id, f.field) for f in report.findings] == [
        ("warning", "DICTIONARY_ENTRY_MISSING", "menu", "graph.nodes.menu.config.prompt[0]"),
    ]
    assert "'menu'" in report.findings[0].message


def test_numbers_and_dates_are_checked_with_the_keys_the_renderer_needs() -> None:
    asked: list[SpokenItem] = []

    def needed(item: SpokenItem) -> set[str]:
        asked.append(item)
        return {"menu"} if item.kind == "word" else {"1", "20", "100", "dirham"}

    context = ValidationContext(
        known_dictionary_keys=lambda language: {"1", "20", "menu"}, dictionary_keys_needed=needed
    )
    report = validate_graph(clean_graph(), context)
    assert {(f.code, f.field) for f in report.findings} == {
        ("DICTIONARY_ENTRY_MISSING", "graph.nodes.welcome.config.items[1]"),
        ("DICTIONARY_ENTRY_MISSING", "graph.nodes.welcome.config.items[2]"),
    }
    assert "'100', 'dirham'" in report.findings[0].message
    number = asked[0]
    assert (number.kind, number.language, number.mode, number.currency, number.value_known) == (
        "number",
        "fr",
        "currency",
        "MAD",
        False,
    )


def test_a_language_with_no_dictionary_at_all_is_a_warning() -> None:
    context = ValidationContext(known_dictionary_keys=lambda language: None if language == "ar" else {"menu"})
    report = validate_graph(clean_graph(), context)
    [f] = [f for f in report.findings if f.node_id == "welcome"]
    assert (f.code, f.field) == ("DICTIONARY_ENTRY_MISSING", "graph.nodes.welcome.config.items[2].language")
    assert "no ar dictionary" in f.message


def test_dictionaries_are_not_checked_without_a_lookup() -> None:
    assert validate_graph(clean_graph()).findings == ()


# -- the documented examples --------------------------------------------------------------------

#: The node shape of the Gomobile docs (digest §6.3), verbatim.
DOCS_DIAL_NODE = {
    "id": "dial-1",
    "type": "dial",
    "label": "Call customer",
    "config": {"timeout": 30000, "enableAMD": True},
    "outputs": {"onAnswer": "play-1", "onVoicemail": "hangup-1", "onNoAnswer": "hangup-1"},
}
DOCS_NODES = [
    DOCS_DIAL_NODE,
    {
        "id": "play-1",
        "type": "play",
        "label": "Play message",
        "config": {"items": [{"type": "audioFile", "audioId": AUDIO_ID}]},
        "outputs": {"onComplete": "hangup-1"},
    },
    {"id": "hangup-1", "type": "hangup", "label": "End call", "config": {}, "outputs": {}},
]


def test_the_documented_example_flow_is_accepted_unchanged_as_an_array() -> None:
    body: dict[str, Any] = {"name": "Example", "graph": {"startNodeId": "dial-1", "nodes": copy.deepcopy(DOCS_NODES)}}
    report = validate_graph(body["graph"], ValidationContext(existing_audio_ids=frozenset({AUDIO_ID})))
    assert report.valid
    assert report.findings == ()
    assert report.flow is not None
    assert report.flow.nodes_json() == DOCS_NODES


def test_the_documented_example_flow_is_accepted_unchanged_as_a_map_keyed_by_node_id() -> None:
    as_map = {n["id"]: {k: v for k, v in n.items() if k != "id"} for n in DOCS_NODES}
    report = validate_graph(
        {"startNodeId": "dial-1", "nodes": as_map}, ValidationContext(existing_audio_ids=frozenset({AUDIO_ID}))
    )
    assert report.valid
    assert report.findings == ()


def test_every_finding_code_is_documented_in_the_openapi_description() -> None:
    from callcast_flow.bootstrap import OPENAPI_DESCRIPTION

    codes = {value for name, value in vars(FindingCode).items() if name.isupper()}
    assert sorted(c for c in codes if f"`{c}`" not in OPENAPI_DESCRIPTION) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
config_keys = st.sampled_from(
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
        "other",
    ]
)
output_names = st.sampled_from(["onAnswer", "onComplete", "onTrue", "onTimeout", "onMaxRetries", "branches", "default"])


@settings(max_examples=300, deadline=None)
@given(
    nodes=st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["dial", "answer", "play", "dtmf", "record", "condition", "set_variable", "hangup"]
                ),
                "config": st.dictionaries(config_keys, json_values, max_size=4),
                "outputs": st.dictionaries(output_names, st.sampled_from(["n0", "n1", "n2"]) | json_values, max_size=3),
            }
        ),
        min_size=1,
        max_size=3,
    )
)
def test_any_node_config_gets_findings_and_never_an_exception(nodes: list[dict[str, Any]]) -> None:
    graph = {"startNodeId": "n0", "nodes": [{"id": f"n{i}", **n} for i, n in enumerate(nodes)]}
    context = ValidationContext(
        existing_audio_ids=frozenset(),
        known_custom_attributes=frozenset({"tier"}),
        known_dictionary_keys=lambda language: {"1"},
        dictionary_keys_needed=lambda item: {"1", "2"},
    )
    report = validate_graph(graph, context)
    assert report.valid == (not report.errors)
    assert all(f.field.startswith("graph.nodes.") and f.node_id for f in report.findings)
