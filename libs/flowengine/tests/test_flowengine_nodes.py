"""The flow engine, node type by node type and output by output (examples)."""

from __future__ import annotations

from typing import Any

import pytest
from flowengine_helpers import drive, flow_of, node, path

from callcast_flowengine import (
    ActionFailed,
    CalleeHungUp,
    CollectDigits,
    Dial,
    DialResult,
    DigitsCollected,
    Finished,
    FlowRun,
    Hangup,
    Play,
    PlayCompleted,
    Record,
    RecordCompleted,
)

pytestmark = pytest.mark.unit

ANSWERED = DialResult("answered", answered_by="human")
BYE = node("bye", "hangup")


def after_answer(*nodes: dict[str, Any]) -> list[dict[str, Any]]:
    """A dial node whose onAnswer leads to the first of ``nodes``."""
    return [node("dial", "dial", onAnswer=nodes[0]["id"]), *nodes]


# -- dial ---------------------------------------------------------------------------------------


def test_dial_asks_for_the_call_with_the_documented_defaults() -> None:
    run, [action] = drive(flow_of(node("dial", "dial", onAnswer="bye"), BYE))
    assert action == Dial(node_id="dial", timeout_ms=30000, enable_amd=True, amd={})
    assert run.node_execution_count == 1


def test_dial_passes_its_timeout_amd_switch_and_tuning_through() -> None:
    config: dict[str, Any] = {"timeout": 12000, "enableAMD": True, "amd": {"greetingMs": 1200, "silenceThreshold": 300}}
    _, [action] = drive(flow_of(node("dial", "dial", config, onAnswer="bye"), BYE))
    assert action == Dial(node_id="dial", timeout_ms=12000, enable_amd=True, amd=config["amd"])


def test_a_human_answer_follows_on_answer_and_the_call_completes() -> None:
    run, actions = drive(flow_of(node("dial", "dial", onAnswer="bye"), BYE), ANSWERED)
    assert path(run) == [("dial", "onAnswer"), ("bye", None)]
    assert actions[-1] == Hangup(node_id="bye", outcome="completed")
    assert (run.answered, run.answered_by) == (True, "human")
    assert run.system["sys.answeredBy"] == "human"
    assert run.system["sys.callStatus"] == "answered"


def test_a_machine_with_amd_on_follows_on_voicemail_and_ends_voicemail() -> None:
    flow = flow_of(node("dial", "dial", onAnswer="bye", onVoicemail="bye"), BYE)
    run, actions = drive(flow, DialResult("answered", answered_by="machine"))
    assert path(run) == [("dial", "onVoicemail"), ("bye", None)]
    assert actions[-1] == Hangup(node_id="bye", outcome="voicemail", reason="answering machine detected")


def test_a_machine_with_no_voicemail_output_ends_the_call_voicemail() -> None:
    run, actions = drive(flow_of(node("dial", "dial", onAnswer="bye"), BYE), DialResult("answered", "machine"))
    assert path(run) == [("dial", "onVoicemail")]
    assert isinstance(actions[-1], Hangup)
    assert run.outcome == "voicemail"


def test_with_amd_off_a_machine_answer_is_an_answer() -> None:
    flow = flow_of(node("dial", "dial", {"enableAMD": False}, onAnswer="bye", onVoicemail="bye"), BYE)
    run, _ = drive(flow, DialResult("answered", answered_by="machine"))
    assert path(run)[0] == ("dial", "onAnswer")
    assert run.outcome == "completed"


@pytest.mark.parametrize(
    ("status", "output"),
    [("busy", "onBusy"), ("no_answer", "onNoAnswer"), ("rejected", "onRejected"), ("failed", "onError")],
)
def test_a_dial_result_without_an_output_ends_the_call_with_that_outcome(status: str, output: str) -> None:
    run, actions = drive(flow_of(node("dial", "dial", onAnswer="bye"), BYE), DialResult(status, reason="sip 486"))
    assert path(run) == [("dial", output)]
    assert actions[-1] == Finished(outcome=status, reason="sip 486")


@pytest.mark.parametrize(
    ("status", "output"),
    [("busy", "onBusy"), ("no_answer", "onNoAnswer"), ("rejected", "onRejected"), ("failed", "onError")],
)
def test_a_dial_result_follows_its_output_and_the_call_keeps_that_outcome(status: str, output: str) -> None:
    flow = flow_of(
        node("dial", "dial", None, **{output: "note"}),
        node("note", "set_variable", {"variable": "missed", "value": True}, onSuccess="bye"),
        BYE,
    )
    run, actions = drive(flow, DialResult(status))
    assert path(run) == [("dial", output), ("note", "onSuccess"), ("bye", None)]
    assert actions[-1] == Finished(outcome=status, reason=None)
    assert run.variables == {"missed": True}


def test_every_dial_output_falls_back_to_default() -> None:
    run, _ = drive(flow_of(node("dial", "dial", default="bye"), BYE), DialResult("busy"))
    assert path(run) == [("dial", "default"), ("bye", None)]
    assert run.outcome == "busy"


def test_an_unknown_dial_status_is_a_failed_call() -> None:
    run, actions = drive(flow_of(node("dial", "dial", onAnswer="bye"), BYE), DialResult("congested"))
    assert path(run) == [("dial", "onError")]
    assert actions[-1] == Finished(outcome="failed", reason=None)


def test_a_dial_while_the_call_is_up_is_a_node_error() -> None:
    flow = flow_of(node("dial", "dial", onAnswer="again"), node("again", "dial", onAnswer="bye"), BYE)
    run, actions = drive(flow, ANSWERED)
    assert path(run) == [("dial", "onAnswer"), ("again", "onError")]
    assert isinstance(actions[-1], Hangup)
    assert run.outcome == "failed"
    assert "already connected" in (run.outcome_reason or "")


def test_a_failed_dial_action_follows_on_error() -> None:
    flow = flow_of(node("dial", "dial", onError="bye"), BYE)
    run, actions = drive(flow, ActionFailed("no route to trunk"))
    assert path(run) == [("dial", "onError"), ("bye", None)]
    assert run.errors == [("dial", "no route to trunk")]
    assert actions[-1] == Finished(outcome="failed", reason="the call was not connected")


# -- answer -------------------------------------------------------------------------------------


def test_answer_follows_on_success_then_default() -> None:
    run, _ = drive(flow_of(*after_answer(node("ans", "answer", onSuccess="bye"), BYE)), ANSWERED)
    assert path(run) == [("dial", "onAnswer"), ("ans", "onSuccess"), ("bye", None)]
    run, _ = drive(flow_of(*after_answer(node("ans", "answer", default="bye"), BYE)), ANSWERED)
    assert path(run)[1] == ("ans", "default")


# -- play ---------------------------------------------------------------------------------------


def test_play_resolves_every_value_source_then_follows_on_complete() -> None:
    items = [
        {"type": "audioFile", "audioId": "0190a8a4-6b1e-7c3d-9a2f-3c4d5e6f7a8b"},
        {"type": "number", "value": {"type": "customAttribute", "name": "balance"}, "language": "fr"},
        {"type": "number", "value": {"type": "contact_field", "name": "zip"}, "language": "ar", "mode": "digits"},
        {"type": "date", "value": {"type": "variable", "name": "due"}, "language": "fr", "mode": "day_month"},
        {"type": "word", "value": {"type": "literal", "value": "merci"}, "language": "fr"},
        {"type": "word", "value": "bonjour", "language": "fr"},
    ]
    flow = flow_of(*after_answer(node("say", "play", {"items": items}, onComplete="bye"), BYE))
    run = FlowRun(
        flow, contact={"zip": "20250", "customAttributes": {"balance": 1520.5}}, variables={"due": "2025-02-01"}
    )
    run.start()
    action = run.resume(ANSWERED)

    assert isinstance(action, Play)
    assert [i.get("value") for i in action.items] == [None, 1520.5, "20250", "2025-02-01", "merci", "bonjour"]
    assert action.items[2]["mode"] == "digits"
    assert isinstance(run.resume(PlayCompleted()), Hangup)
    assert [(e.node_id, e.output_path) for e in run.execution_path] == [
        ("dial", "onAnswer"),
        ("say", "onComplete"),
        ("bye", None),
    ]


def test_a_value_that_cannot_be_spoken_follows_on_error_without_playing() -> None:
    say = node(
        "say",
        "play",
        {"items": [{"type": "number", "value": {"type": "variable", "name": "amount"}, "language": "fr"}]},
        onComplete="bye",
        onError="sorry",
    )
    sorry = node("sorry", "play", {"items": [{"type": "word", "value": "désolé", "language": "fr"}]}, onComplete="bye")
    run, actions = drive(flow_of(*after_answer(say, sorry, BYE)), ANSWERED, PlayCompleted())
    assert path(run) == [("dial", "onAnswer"), ("say", "onError"), ("sorry", "onComplete"), ("bye", None)]
    assert isinstance(actions[1], Play)
    assert actions[1].node_id == "sorry"
    assert "no value" in run.errors[0][1]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("number", "12 dirhams"), ("date", "31/01/2025"), ("date", 20250131), ("word", 42)],
)
def test_a_literal_of_the_wrong_kind_is_a_node_error(kind: str, value: Any) -> None:
    say = node("say", "play", {"items": [{"type": kind, "value": value, "language": "fr"}]}, onComplete="bye")
    run, actions = drive(flow_of(*after_answer(say, BYE)), ANSWERED)
    assert path(run)[-1] == ("say", "onError")
    assert actions[-1] == Hangup(node_id=None, outcome="failed", reason=run.outcome_reason)
    assert (run.outcome_reason or "").startswith("say: ")


def test_a_failed_play_follows_on_error_else_default_else_the_call_fails() -> None:
    say = {"items": [{"type": "audioFile", "audioId": "a"}]}
    with_error = flow_of(*after_answer(node("say", "play", say, onComplete="bye", onError="bye"), BYE))
    run, _ = drive(with_error, ANSWERED, ActionFailed("audio not found"))
    assert path(run)[1:] == [("say", "onError"), ("bye", None)]
    assert run.outcome == "completed"

    with_default = flow_of(*after_answer(node("say", "play", say, default="bye"), BYE))
    run, _ = drive(with_default, ANSWERED, ActionFailed("audio not found"))
    assert path(run)[1] == ("say", "default")

    bare = flow_of(*after_answer(node("say", "play", say, onComplete="bye"), BYE))
    run, actions = drive(bare, ANSWERED, ActionFailed("audio not found"))
    assert path(run)[1] == ("say", "onError")
    assert actions[-1] == Hangup(node_id=None, outcome="failed", reason="say: audio not found")


def test_a_play_that_ends_the_flow_completes_an_answered_call() -> None:
    say = node("say", "play", {"items": [{"type": "audioFile", "audioId": "a"}]})
    run, actions = drive(flow_of(*after_answer(say)), ANSWERED, PlayCompleted())
    assert path(run)[-1] == ("say", "onComplete")
    assert actions[-1] == Hangup(node_id=None, outcome="completed")


def test_a_result_the_node_cannot_use_is_a_node_error() -> None:
    say = node("say", "play", {"items": [{"type": "audioFile", "audioId": "a"}]}, onComplete="bye", onError="bye")
    run, _ = drive(flow_of(*after_answer(say, BYE)), ANSWERED, DigitsCollected("1"))
    assert path(run)[1] == ("say", "onError")
    assert "cannot use" in run.errors[0][1]


# -- dtmf ---------------------------------------------------------------------------------------


def menu(config: dict[str, Any] | None = None, **outputs: Any) -> dict[str, Any]:
    return node("menu", "dtmf", config or {}, **outputs)


PRESS = node("press", "set_variable", {"variable": "went", "value": "press"}, onSuccess="bye")
TIMEOUT = node("t", "set_variable", {"variable": "went", "value": "timeout"}, onSuccess="bye")
INVALID = node("i", "set_variable", {"variable": "went", "value": "invalid"}, onSuccess="bye")
MAX = node("max", "set_variable", {"variable": "went", "value": "max"}, onSuccess="bye")
OTHER = node("ok", "set_variable", {"variable": "went", "value": "success"}, onSuccess="bye")
TARGETS = (PRESS, TIMEOUT, INVALID, MAX, OTHER, BYE)


def dtmf_flow(config: dict[str, Any] | None = None, **outputs: Any) -> Any:
    return flow_of(*after_answer(menu(config, **outputs), *TARGETS))


def test_collect_digits_carries_the_config_with_defaults_and_the_resolved_prompt() -> None:
    prompt = [{"type": "number", "value": {"type": "variable", "name": "n"}, "language": "fr"}]
    flow = dtmf_flow({"mode": "multi_digit", "maxDigits": 4, "prompt": prompt, "variable": "pin"}, onSuccess="ok")
    run = FlowRun(flow, variables={"n": 3})
    run.start()
    action = run.resume(ANSWERED)
    assert action == CollectDigits(
        node_id="menu",
        config={
            "mode": "multi_digit",
            "maxDigits": 4,
            "timeoutMs": 5000,
            "interDigitTimeoutMs": 3000,
            "finishOnKey": "#",
            "maxRetries": 0,
            "variable": "pin",
        },
        prompt=[{"type": "number", "value": 3, "language": "fr"}],
        attempt=1,
    )


def test_a_single_digit_menu_has_no_finish_key_and_takes_one_key() -> None:
    _, actions = drive(dtmf_flow({"maxDigits": 3, "finishOnKey": "*"}, onSuccess="ok"), ANSWERED)
    assert isinstance(actions[-1], CollectDigits)
    assert (actions[-1].config["maxDigits"], actions[-1].config["finishOnKey"]) == (1, "")


def test_a_pressed_digit_follows_its_branch_and_is_stored() -> None:
    run, _ = drive(dtmf_flow({"variable": "choice"}, branches={"1": "press"}), ANSWERED, DigitsCollected("1"))
    assert path(run) == [("dial", "onAnswer"), ("menu", "branches.1"), ("press", "onSuccess"), ("bye", None)]
    assert run.variables == {"choice": "1", "went": "press"}


def test_digits_no_branch_takes_follow_on_success_when_it_is_connected() -> None:
    run, _ = drive(dtmf_flow(branches={"1": "press"}, onSuccess="ok"), ANSWERED, DigitsCollected("7"))
    assert path(run)[1] == ("menu", "onSuccess")


def test_digits_no_branch_takes_are_invalid_when_there_is_no_on_success() -> None:
    run, _ = drive(dtmf_flow(branches={"1": "press"}, onInvalid="i"), ANSWERED, DigitsCollected("7"))
    assert path(run)[1] == ("menu", "onInvalid")
    assert run.variables["went"] == "invalid"


@pytest.mark.parametrize(("digits", "result"), [(None, "timeout"), ("", "success"), (None, "whatever")])
def test_no_digits_is_a_timeout(digits: str | None, result: str) -> None:
    run, _ = drive(dtmf_flow(onTimeout="t", onSuccess="ok"), ANSWERED, DigitsCollected(digits, result))
    assert path(run)[1] == ("menu", "onTimeout")


def test_an_entry_the_driver_refused_is_invalid() -> None:
    run, _ = drive(dtmf_flow(onInvalid="i", onSuccess="ok"), ANSWERED, DigitsCollected("12", "invalid"))
    assert path(run)[1] == ("menu", "onInvalid")


def test_timeouts_re_prompt_until_max_retries_then_follow_on_max_retries() -> None:
    flow = dtmf_flow({"maxRetries": 2}, onTimeout="t", onMaxRetries="max", branches={"1": "press"})
    run, actions = drive(
        flow, ANSWERED, DigitsCollected(None, "timeout"), DigitsCollected("9"), DigitsCollected(None, "timeout")
    )
    prompts = [a for a in actions if isinstance(a, CollectDigits)]
    assert [a.attempt for a in prompts] == [1, 2, 3]
    assert path(run) == [("dial", "onAnswer"), ("menu", "onMaxRetries"), ("max", "onSuccess"), ("bye", None)]
    assert run.node_execution_count == 4
    assert run.steps == 6  # four nodes and two re-prompts


def test_a_success_after_a_re_prompt_follows_the_branch() -> None:
    flow = dtmf_flow({"maxRetries": 1}, onMaxRetries="max", branches={"1": "press"})
    run, _ = drive(flow, ANSWERED, DigitsCollected(None, "timeout"), DigitsCollected("1"))
    assert path(run)[1] == ("menu", "branches.1")


def test_with_retries_left_unconnected_on_max_retries_falls_back_to_the_failure_output() -> None:
    flow = dtmf_flow({"maxRetries": 1}, onTimeout="t")
    run, _ = drive(flow, ANSWERED, DigitsCollected(None, "timeout"), DigitsCollected(None, "timeout"))
    assert path(run)[1] == ("menu", "onTimeout")


def test_without_retries_a_timeout_falls_back_to_on_max_retries_then_default() -> None:
    run, _ = drive(dtmf_flow(onMaxRetries="max"), ANSWERED, DigitsCollected(None, "timeout"))
    assert path(run)[1] == ("menu", "onMaxRetries")
    run, _ = drive(dtmf_flow(default="ok"), ANSWERED, DigitsCollected(None, "timeout"))
    assert path(run)[1] == ("menu", "default")


def test_an_unconnected_timeout_ends_the_flow_and_an_answered_call_completes() -> None:
    run, actions = drive(dtmf_flow(branches={"1": "press"}), ANSWERED, DigitsCollected(None, "timeout"))
    assert path(run)[-1] == ("menu", "onTimeout")
    assert actions[-1] == Hangup(node_id=None, outcome="completed")


def test_keys_that_are_not_keypad_keys_are_invalid() -> None:
    run, _ = drive(dtmf_flow(onInvalid="i", onSuccess="ok", variable="x"), ANSWERED, DigitsCollected("1a"))
    assert path(run)[1] == ("menu", "onInvalid")


# -- record -------------------------------------------------------------------------------------


def test_record_asks_with_defaults_and_stores_the_recording_id() -> None:
    rec = node("rec", "record", {"variable": "voicemail"}, onComplete="bye", onTimeout="t")
    run, actions = drive(flow_of(*after_answer(rec, TIMEOUT, BYE)), ANSWERED, RecordCompleted("rec-42"))
    assert actions[1] == Record(node_id="rec", max_duration_sec=60, silence_timeout_sec=5, beep=True)
    assert path(run)[1:] == [("rec", "onComplete"), ("bye", None)]
    assert run.variables == {"voicemail": "rec-42"}


def test_a_silent_callee_follows_on_timeout_with_no_recording() -> None:
    rec = node(
        "rec",
        "record",
        {"maxDurationSec": 30, "silenceTimeoutSec": 2, "beep": False, "variable": "v"},
        onComplete="bye",
        onTimeout="t",
    )
    run, actions = drive(flow_of(*after_answer(rec, TIMEOUT, BYE)), ANSWERED, RecordCompleted(None, "timeout"))
    assert actions[1] == Record(node_id="rec", max_duration_sec=30, silence_timeout_sec=2, beep=False)
    assert path(run)[1] == ("rec", "onTimeout")
    assert run.variables == {"v": None, "went": "timeout"}


def test_a_failed_recording_follows_on_error() -> None:
    rec = node("rec", "record", onComplete="bye", onError="bye")
    run, _ = drive(flow_of(*after_answer(rec, BYE)), ANSWERED, ActionFailed("record is not supported"))
    assert path(run)[1] == ("rec", "onError")


# -- condition ----------------------------------------------------------------------------------


def cond(config: dict[str, Any], **outputs: Any) -> Any:
    yes = node("yes", "set_variable", {"variable": "went", "value": "true"})
    no = node("no", "set_variable", {"variable": "went", "value": "false"})
    return flow_of(node("c", "condition", config, **outputs), yes, no)


def decide(
    config: dict[str, Any], *, variables: dict[str, Any] | None = None, contact: dict[str, Any] | None = None
) -> Any:
    run = FlowRun(cond(config, onTrue="yes", onFalse="no"), variables=variables or {}, contact=contact or {})
    run.start()
    return run.variables.get("went"), run


def compare_of(left: Any, op: str, right: Any) -> dict[str, Any]:
    return {"conditions": [{"left": left, "op": op, "right": right}]}


@pytest.mark.parametrize(
    ("left", "op", "right", "holds"),
    [
        (5, "eq", "5.0", True),
        ("gold", "eq", "gold", True),
        ("Gold", "eq", "gold", False),
        (True, "eq", "true", True),
        (None, "eq", "", True),
        (5, "neq", 6, True),
        ("b", "neq", "b", False),
        (10, "gt", 9, True),
        ("10", "gt", "9", True),  # numbers, not text
        ("2025-02-01", "gt", "2025-01-31", True),  # ISO dates compare as text
        (None, "gt", 1, False),
        (3, "lt", 4, True),
        (4, "lte", 4, True),
        (4, "gte", 5, False),
        ("hello world", "contains", "lo w", True),
        ("hello", "contains", "z", False),
        ("+212612345678", "startsWith", "+212", True),
        ("report.pdf", "endsWith", ".pdf", True),
        ("report.pdf", "endsWith", ".doc", False),
    ],
)
def test_each_comparison_operator(left: Any, op: str, right: Any, holds: bool) -> None:
    went, _ = decide(compare_of({"type": "literal", "value": left}, op, right))
    assert went == ("true" if holds else "false")


def test_and_needs_every_comparison_and_or_needs_one() -> None:
    one_true = [
        {"left": {"type": "variable", "name": "a"}, "op": "eq", "right": 1},
        {"left": {"type": "variable", "name": "b"}, "op": "eq", "right": 1},
    ]
    variables = {"a": 1, "b": 2}
    assert decide({"operator": "AND", "conditions": one_true}, variables=variables)[0] == "false"
    assert decide({"operator": "OR", "conditions": one_true}, variables=variables)[0] == "true"
    assert decide({"conditions": one_true}, variables=variables)[0] == "false"  # AND by default


def test_groups_nest() -> None:
    config = {
        "operator": "OR",
        "conditions": [
            {"left": {"type": "contactField", "name": "city"}, "op": "eq", "right": "Fes"},
            {
                "operator": "AND",
                "conditions": [
                    {"left": {"type": "custom_attribute", "name": "tier"}, "op": "eq", "right": "gold"},
                    {"left": {"type": "contactField", "name": "customAttributes.score"}, "op": "gte", "right": 700},
                ],
            },
        ],
    }
    contact = {"city": "Rabat", "customAttributes": {"tier": "gold", "score": 720}}
    assert decide(config, contact=contact)[0] == "true"


@pytest.mark.parametrize(
    "config",
    [
        compare_of(1, "like", 1),
        {"conditions": []},
        {"operator": "XOR", "conditions": [{"left": 1, "op": "eq", "right": 1}]},
        compare_of({"type": "nonsense"}, "eq", 1),
    ],
)
def test_a_condition_that_cannot_be_evaluated_follows_on_error(config: dict[str, Any]) -> None:
    run = FlowRun(cond(config, onTrue="yes", onFalse="no", onError="no"))
    run.start()
    assert path(run)[0] == ("c", "onError")
    assert run.variables == {"went": "false"}


def test_on_true_and_on_false_fall_back_to_default() -> None:
    run = FlowRun(cond(compare_of(1, "eq", 1), default="yes"))
    run.start()
    assert path(run)[0] == ("c", "default")


# -- set_variable -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ({"type": "literal", "value": 42}, 42),
        ("plain text", "plain text"),
        ({"type": "static", "value": None}, None),
        ({"type": "variable", "name": "x"}, "from-x"),
        ({"type": "flow_variable", "name": "missing"}, None),
        ({"type": "customAttribute", "name": "tier"}, "gold"),
        ({"type": "contactField", "name": "firstName"}, "Amina"),
        ({"type": "system", "name": "sys.contactPhone"}, "+212600000001"),
        ({"type": "system_variable", "name": "contactPhone"}, "+212600000001"),
    ],
)
def test_set_variable_reads_every_value_source(source: Any, value: Any) -> None:
    flow = flow_of(node("set", "set_variable", {"variable": "out", "value": source}, onSuccess="bye"), BYE)
    run = FlowRun(
        flow,
        variables={"x": "from-x"},
        contact={"firstName": "Amina", "customAttributes": {"tier": "gold"}},
        system={"sys.contactPhone": "+212600000001"},
    )
    assert run.start() == Finished(outcome="failed", reason="the flow ended before a call was placed")
    assert run.variables["out"] == value
    assert path(run) == [("set", "onSuccess"), ("bye", None)]


def test_set_variable_without_a_variable_name_follows_on_error() -> None:
    flow = flow_of(node("set", "set_variable", {"value": 1}, onSuccess="bye", onError="bye"), BYE)
    run = FlowRun(flow)
    run.start()
    assert path(run)[0] == ("set", "onError")


# -- hangup, the end, the error rule, limits ----------------------------------------------------


def test_hangup_before_any_call_is_a_failed_run_with_nothing_to_hang_up() -> None:
    run = FlowRun(flow_of(BYE))
    assert run.start() == Finished(outcome="failed", reason="the flow ended before a call was placed")
    assert path(run) == [("bye", None)]
    assert run.pending_action is None


def test_the_error_rule_ends_the_call_failed_when_neither_on_error_nor_default_exists() -> None:
    flow = flow_of(*after_answer(node("set", "set_variable", {"variable": "v", "value": {"type": "alien"}}), BYE))
    run, actions = drive(flow, ANSWERED)
    assert path(run)[-1] == ("set", "onError")
    assert actions[-1] == Hangup(node_id=None, outcome="failed", reason=run.outcome_reason)
    assert "unknown value source" in (run.outcome_reason or "")


def test_a_runaway_loop_stops_at_the_step_limit_as_failed() -> None:
    loop = flow_of(
        node("a", "set_variable", {"variable": "v", "value": 1}, onSuccess="b"), node("b", "answer", onSuccess="a")
    )
    run = FlowRun(loop, max_steps=25)
    assert run.start() == Finished(outcome="failed", reason=run.outcome_reason)
    assert "step limit reached: 25 steps" in (run.outcome_reason or "")
    assert run.node_execution_count == len(run.execution_path) == 25


def test_a_menu_that_loops_on_itself_stops_at_the_step_limit() -> None:
    flow = flow_of(*after_answer(menu({"maxRetries": 3}, onTimeout="menu", onMaxRetries="menu"), BYE))
    run = FlowRun(flow, max_steps=10)
    action = run.start()
    action = run.resume(ANSWERED)
    while isinstance(action, CollectDigits):
        action = run.resume(DigitsCollected(None, "timeout"))
    assert action == Hangup(node_id=None, outcome="failed", reason=run.outcome_reason)
    assert run.steps == 10


# -- the callee hangs up ------------------------------------------------------------------------


def test_the_callee_hanging_up_during_a_play_ends_the_run_user_hangup() -> None:
    say = node("say", "play", {"items": [{"type": "audioFile", "audioId": "a"}]}, onComplete="bye")
    run, actions = drive(flow_of(*after_answer(say, BYE)), ANSWERED, CalleeHungUp())
    assert path(run) == [("dial", "onAnswer"), ("say", None)]
    assert actions[-1] == Finished(outcome="user_hangup", reason="the callee hung up at say")


def test_the_callee_hanging_up_at_an_instant_node_is_seen_as_the_run_enters_it() -> None:
    flow = flow_of(*after_answer(node("set", "set_variable", {"variable": "v", "value": 1}, onSuccess="bye"), BYE))
    run = FlowRun(flow, callee_hung_up_at=lambda n: n.id == "set")
    run.start()
    assert run.resume(ANSWERED) == Finished(outcome="user_hangup", reason="the callee hung up at set")
    assert path(run) == [("dial", "onAnswer"), ("set", None)]
    assert run.variables == {}


# -- a flow with no dial node -------------------------------------------------------------------


def test_a_node_that_needs_a_call_asks_for_one_when_no_dial_came_first() -> None:
    say = node("say", "play", {"items": [{"type": "audioFile", "audioId": "a"}]}, onComplete="bye")
    run, actions = drive(flow_of(say, BYE), DialResult("answered", "machine"), PlayCompleted())
    assert actions[0] == Dial(node_id="say", timeout_ms=30000, enable_amd=False, implicit=True)
    assert isinstance(actions[1], Play)
    assert path(run) == [("say", "onComplete"), ("bye", None)]
    assert actions[-1] == Hangup(node_id="bye", outcome="completed")


def test_when_the_implicit_call_does_not_connect_the_run_ends_with_its_outcome() -> None:
    say = node("say", "play", {"items": [{"type": "audioFile", "audioId": "a"}]}, onComplete="bye")
    run, actions = drive(flow_of(say, BYE), DialResult("busy", reason="486 Busy Here"))
    assert actions[-1] == Finished(outcome="busy", reason="486 Busy Here")
    assert path(run) == [("say", None)]


def test_a_node_that_needs_a_call_after_a_failed_dial_errors_and_the_call_keeps_its_outcome() -> None:
    say = node("say", "play", {"items": [{"type": "audioFile", "audioId": "a"}]}, onComplete="bye")
    run, actions = drive(flow_of(node("dial", "dial", onBusy="say"), say, BYE), DialResult("busy", reason="486"))
    assert path(run) == [("dial", "onBusy"), ("say", "onError")]
    assert actions[-1] == Finished(
        outcome="busy", reason="486; then say: a play node needs a connected call and the dial did not connect"
    )


# -- driving contract ---------------------------------------------------------------------------


def test_a_finished_run_takes_no_more_results_and_starts_once() -> None:
    run, _ = drive(flow_of(node("dial", "dial"), BYE), DialResult("busy"))
    with pytest.raises(RuntimeError):
        run.resume(PlayCompleted())
    with pytest.raises(RuntimeError):
        run.start()


def test_path_entries_serialise_with_the_documented_keys() -> None:
    run, _ = drive(
        flow_of({"id": "dial", "type": "dial", "label": "Call", "outputs": {"onAnswer": "bye"}}, BYE), ANSWERED
    )
    first = run.execution_path[0]
    assert first.to_json() == {
        "nodeId": "dial",
        "nodeType": "dial",
        "nodeLabel": "Call",
        "outputPath": "onAnswer",
        "timestamp": first.timestamp.isoformat().replace("+00:00", "Z"),
    }
    assert [e.node_execution_index for e in run.execution_path] == [1, 2]
    assert run.started_at is not None
    assert run.completed_at is not None
    assert run.started_at < first.timestamp < run.completed_at
