"""Flow features on a real call (issue 3, "Done when"): through the gateway, a one-contact
campaign whose flow sets a variable, plays an uploaded prompt and a number spoken from the
system ``fr`` dictionary, branches on a key the SIPp callee sends as RFC 4733 telephone-events,
checks a condition on both variables, plays numbers again and hangs up. Nothing is faked: the
dialer asks the flow service for the clips over NATS and reads them from the object store.

The callee is a second SIPp (scenario ``dtmf``): it answers, waits until the first prompt has
been played (its pause is the prompt's length plus a margin, measured from the uploaded audio
and the dictionary clips), sends "1", then waits for our BYE. The session's dialer is restarted
with this callee as its trunk for the module, and restored afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from support.polling import eventually

from callcast_spoken import render_number
from callcast_stack.audio import synthesize_prompt
from callcast_stack.callee import BackgroundCallee
from callcast_stack.client import CallcastClient, resource_id
from callcast_stack.stack import LocalStack

PHONE = "+212600000077"
CALLER_ID = "+212500000077"
AMOUNT_DUE = 42
#: Between the end of the first prompt and the callee's key press (the prompt starts right after
#: the ACK; the margin covers the render request, the object reads and a busy machine).
KEY_PRESS_MARGIN_MS = 3000
KEY_TIMEOUT_MS = 20000

NUMBER_ITEM = {"type": "number", "value": {"type": "customAttribute", "name": "amount_due"}, "language": "fr"}
DIGIT_ITEM = {"type": "number", "value": {"type": "variable", "name": "digit"}, "language": "fr"}
SEVENTY_ONE_ITEM = {"type": "number", "value": {"type": "literal", "value": 71}, "language": "fr"}


def flow_graph(audio_id: str) -> dict[str, Any]:
    def hangup(node_id: str) -> dict[str, Any]:
        return {"id": node_id, "type": "hangup", "config": {}, "outputs": {}}

    return {
        "startNodeId": "dial-1",
        "nodes": [
            {"id": "dial-1", "type": "dial", "config": {"timeout": 30000, "enableAMD": False},
             "outputs": {"onAnswer": "greeted-1"}},
            {"id": "greeted-1", "type": "set_variable", "label": "Remember we greeted",
             "config": {"variable": "greeted", "value": {"type": "literal", "value": True}},
             "outputs": {"onSuccess": "play-1"}},
            {"id": "play-1", "type": "play", "label": "Prompt and amount",
             "config": {"items": [{"type": "audioFile", "audioId": audio_id}, NUMBER_ITEM]},
             "outputs": {"onComplete": "dtmf-1"}},
            {"id": "dtmf-1", "type": "dtmf", "label": "Press 1",
             "config": {"mode": "single_digit", "timeoutMs": KEY_TIMEOUT_MS, "maxRetries": 0, "variable": "digit"},
             "outputs": {"branches": {"1": "check-1"}, "onTimeout": "hangup-timeout"}},
            {"id": "check-1", "type": "condition", "label": "Pressed 1 after the greeting",
             "config": {"operator": "AND", "conditions": [
                 {"left": {"type": "variable", "name": "digit"}, "op": "eq", "right": {"type": "literal", "value": 1}},
                 {"left": {"type": "variable", "name": "greeted"}, "op": "eq",
                  "right": {"type": "literal", "value": True}},
             ]},
             "outputs": {"onTrue": "play-2", "onFalse": "hangup-2"}},
            {"id": "play-2", "type": "play", "label": "Read back",
             "config": {"items": [DIGIT_ITEM, SEVENTY_ONE_ITEM]},
             "outputs": {"onComplete": "hangup-1"}},
            hangup("hangup-1"),
            hangup("hangup-2"),
            hangup("hangup-timeout"),
        ],
    }  # fmt: skip


@dataclass
class FeatureCall:
    api: CallcastClient
    audio: dict[str, Any]
    flow: dict[str, Any]
    #: What the flow service's preview says each spoken item resolves to (keys, clips).
    preview: dict[str, Any]
    system_fr: dict[str, Any]
    job_id: str
    report: dict[str, Any]
    callee: BackgroundCallee


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _ms(seconds: float) -> int:
    """The API gives durations as seconds of whole milliseconds."""
    return round(seconds * 1000)


def _clip_ms(rendered: dict[str, Any]) -> int:
    return sum(_ms(clip["durationSeconds"]) for clip in rendered["clips"])


def _packets_for(reported_ms: int, *, parts: int) -> range:
    """The 20 ms packets of ``parts`` clips played back to back whose durations, as reported
    (whole milliseconds, rounded down), add up to ``reported_ms``: the true length is less than
    a millisecond per part longer, and only the very last packet is padded."""
    return range(math.ceil(reported_ms / 20), math.ceil((reported_ms + parts) / 20) + 1)


def _playbacks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The timeline's prompts (``PromptPlayed``: what was said, and its media facts)."""
    return [e for e in report["events"] if e["type"] == "playback"]


def _closed(report: dict[str, Any]) -> dict[str, Any]:
    """The report once the scheduler has closed the job (its status leaves ``active``)."""
    assert report["status"] in ("completed", "failed"), report["status"]
    return report


def _sent_by_sipp(messages: str) -> list[str]:
    """The start line of every SIP message SIPp sent (its ``-trace_msg`` log)."""
    return [block.split(":", 1)[1].strip().splitlines()[0] for block in messages.split("message sent")[1:]]


@pytest.fixture(scope="module")
def feature_call(
    running_stack: LocalStack,
    create_org: Callable[..., str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FeatureCall]:
    api = CallcastClient(running_stack.api_url, create_org("Flow features org"))
    prompt = synthesize_prompt("Press one to hear it again.", tmp_path_factory.mktemp("audio") / "press-one.wav")
    audio = api.upload_audio(prompt.path, "Press one")
    attribute = api.post("/custom-attributes", {"displayName": "Amount Due", "type": "number"})
    assert attribute["name"] == "amount_due", attribute
    contact = api.create_contact(PHONE, firstName="Karim", customAttributes={"amount_due": AMOUNT_DUE})
    assert contact.get("attributeErrors") == [], contact
    audience_id = resource_id(api.create_audience("Flow features audience"))
    api.add_contacts(audience_id, [resource_id(contact)])
    flow = api.create_flow("Flow features", flow_graph(resource_id(audio)))
    preview = api.post(
        "/dictionaries/render",
        {"items": [{**NUMBER_ITEM, "value": AMOUNT_DUE}, {**DIGIT_ITEM, "value": 1}, SEVENTY_ONE_ITEM]},
    )
    [system_fr] = api.get("/dictionaries", language="fr", isSystem="true")["data"]
    first_prompt_ms = _ms(audio["durationSeconds"]) + _clip_ms(preview["items"][0])
    did_id = resource_id(api.create_did(CALLER_ID, "MA"))
    program_id = resource_id(
        api.create_program("Flow features", flow_id=resource_id(flow), audience_id=audience_id, did_pool=[did_id])
    )

    callee = BackgroundCallee(
        "dtmf",
        log_dir=tmp_path_factory.mktemp("sipp-dtmf"),
        dtmf_digits="1",
        pause_ms=first_prompt_ms + KEY_PRESS_MARGIN_MS,
        trace_messages=True,
    ).start()
    try:
        running_stack.restart_service("dialer", env={"CALLCAST_SIP_TRUNK": callee.trunk})
        execution_id = api.launch_program(program_id)
        api.wait_for_execution(execution_id, timeout_s=120)
        job_id = api.list_calls(executionId=execution_id)["data"][0]["jobId"]
        report = eventually(lambda: _closed(api.get_call_report(job_id)), timeout_s=60)
        callee.wait_for_counts(successful=1, timeout_s=15)
        yield FeatureCall(api, audio, flow, preview, system_fr, job_id, report, callee)
    finally:
        # Other modules share the stack: give the dialer its own trunk back.
        running_stack.restart_service("dialer", env={"CALLCAST_SIP_TRUNK": str(running_stack.options.sip_trunk)})
        callee.stop()
        api.close()


def test_the_call_completes_after_walking_every_node_with_its_output(feature_call: FeatureCall) -> None:
    report = feature_call.report
    assert (report["status"], report["outcome"], report["outcomeReason"]) == ("completed", "completed", None)
    fx = report["flowExecution"]
    assert [(e["nodeId"], e["nodeType"], e["outputPath"]) for e in fx["executionPath"]] == [
        ("dial-1", "dial", "onAnswer"),
        ("greeted-1", "set_variable", "onSuccess"),
        ("play-1", "play", "onComplete"),
        ("dtmf-1", "dtmf", "branches.1"),
        ("check-1", "condition", "onTrue"),
        ("play-2", "play", "onComplete"),
        ("hangup-1", "hangup", None),
    ]
    assert [e["nodeLabel"] for e in fx["executionPath"]][1:5] == [
        "Remember we greeted", "Prompt and amount", "Press 1", "Pressed 1 after the greeting",
    ]  # fmt: skip
    stamps = [_ts(e["timestamp"]) for e in fx["executionPath"]]
    assert stamps == sorted(stamps)
    assert fx["nodeExecutionCount"] == 7
    assert fx["finalVariables"] == {"greeted": True, "digit": "1"}
    assert report["call"]["status"] == "completed"
    [ended] = [e for e in report["events"] if e["type"] == "ended"]
    assert (ended["data"]["outcome"], ended["data"]["hangupBy"]) == ("completed", "us")


def test_the_number_is_said_with_the_fr_system_dictionarys_clips_after_the_prompt(feature_call: FeatureCall) -> None:
    expected_keys = render_number(AMOUNT_DUE, "fr")
    amount = feature_call.preview["items"][0]
    assert amount["keys"] == expected_keys
    assert amount["missingKeys"] == []
    assert [clip["key"] for clip in amount["clips"]] == expected_keys
    assert feature_call.system_fr["isSystem"] is True
    assert {clip["dictionaryId"] for clip in amount["clips"]} == {feature_call.system_fr["id"]}

    playbacks = _playbacks(feature_call.report)
    assert [p["data"]["nodeContext"]["nodeId"] for p in playbacks] == ["play-1", "play-2"]
    first = playbacks[0]["data"]
    assert first["items"] == [
        {"type": "audioFile", "audioId": feature_call.audio["id"]},
        {"type": "number", "value": AMOUNT_DUE, "language": "fr", "keys": expected_keys},
    ]
    # One stream, the clips right after the prompt: as many 20 ms packets as the audio lasts.
    audio_ms = _ms(feature_call.audio["durationSeconds"]) + _clip_ms(amount)
    assert first["packetsSent"] in _packets_for(audio_ms, parts=3)
    assert first["interrupted"] is False
    assert first["durationMs"] >= first["packetsSent"] * 20 - 40


def test_numbers_from_a_variable_and_a_literal_are_said_back_to_back(feature_call: FeatureCall) -> None:
    digit, seventy_one = feature_call.preview["items"][1:]
    [second] = [e["data"] for e in _playbacks(feature_call.report) if e["data"]["nodeContext"]["nodeId"] == "play-2"]
    assert second["items"] == [
        {"type": "number", "value": "1", "language": "fr", "keys": render_number(1, "fr")},
        {"type": "number", "value": 71, "language": "fr", "keys": render_number(71, "fr")},
    ]
    assert seventy_one["keys"] == ["60", "and", "11"]
    assert second["packetsSent"] in _packets_for(_clip_ms(digit) + _clip_ms(seventy_one), parts=4)


def test_the_callee_pressed_1_as_rfc4733_telephone_events_while_the_dtmf_node_listened(
    feature_call: FeatureCall,
) -> None:
    [dtmf] = [e for e in feature_call.report["events"] if e["type"] == "dtmf"]
    data = dtmf["data"]
    assert (data["outputPath"], data["digits"], data["result"], data["attempts"]) == ("branches.1", "1", "success", 1)
    [key] = data["keysReceived"]
    assert (key["digit"], key["via"]) == ("1", "rfc4733")
    # Pressed after the first prompt ended, while the node listened (not typed ahead during it).
    assert 0 < key["afterMs"] < KEY_TIMEOUT_MS
    sent = _sent_by_sipp(feature_call.callee.callee.messages())
    assert sent == ["SIP/2.0 180 Ringing", "SIP/2.0 200 OK", "SIP/2.0 200 OK"], sent  # no SIP INFO
    counts = feature_call.callee.counts()
    assert (counts.successful, counts.failed) == (1, 0)  # digit sent, then our BYE received


def test_the_timeline_lists_events_in_the_order_they_happened(feature_call: FeatureCall) -> None:
    """Time order: a node is stamped when it starts, so the dial precedes its ringing and answer,
    and each play node precedes the playback of its prompt."""
    kinds = [e["type"] for e in feature_call.report["events"]]
    assert kinds == [
        "initiated", "dial", "ringing", "answer", "set_variable", "play", "playback", "dtmf", "digit",
        "condition", "play", "playback", "hangup", "hangup", "ended",
    ]  # fmt: skip
    # The first "hangup" is the hangup node's entry, the second the call's CallHungUp.
    node_hangup, call_hangup = [e for e in feature_call.report["events"] if e["type"] == "hangup"]
    assert "nodeContext" in node_hangup["data"]
    assert (call_hangup["data"]["by"], call_hangup["data"]["cause"]) == ("us", "flow_hangup")
    [digit] = [e for e in feature_call.report["events"] if e["type"] == "digit"]
    assert (digit["data"]["digit"], digit["data"]["via"]) == ("1", "rfc4733")
    played_ms = sum(e["data"]["durationMs"] for e in _playbacks(feature_call.report))
    assert feature_call.report["call"]["durationMs"] >= played_ms
