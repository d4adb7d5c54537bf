"""POST /api/flows/{id}/simulate end to end (real NATS and PostgreSQL): every branch of one flow.

The flow (``collections_flow``) uses all eight node types:

    dial-1 ─onAnswer→ greet ─onComplete/onError→ tier ─onTrue→ vip ─→ menu
       │                                            └─onFalse──────────→ menu
       ├─onVoicemail→ vm-msg → bye                 menu ─1→ pay ─onSuccess→ confirm → bye
       └─(busy, no answer, rejected, failed: the call ends so)   │      └─onMaxRetries→ sorry → bye
                                                    menu ─2→ answer-1 → record-msg ─onComplete→ thanks → bye
                                                    menu ─onInvalid→ sorry; ─onTimeout→ bye
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Any]


def _speak(kind: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "value": value, "language": "fr", **extra}


def collections_flow() -> dict[str, Any]:
    nodes = [
        {
            "id": "dial-1",
            "type": "dial",
            "label": "Call the customer",
            "config": {"timeout": 30000, "enableAMD": True},
            "outputs": {"onAnswer": "greet", "onVoicemail": "vm-msg"},
        },
        {
            "id": "greet",
            "type": "play",
            "label": "Your balance is",
            "config": {"items": [_speak("number", {"type": "customAttribute", "name": "balance"})]},
            "outputs": {"onComplete": "tier", "onError": "tier"},
        },
        {
            "id": "tier",
            "type": "condition",
            "config": {
                "operator": "OR",
                "conditions": [
                    {"left": {"type": "customAttribute", "name": "tier"}, "op": "eq", "right": "gold"},
                    {
                        "operator": "AND",
                        "conditions": [
                            {"left": {"type": "contactField", "name": "city"}, "op": "eq", "right": "Rabat"},
                            {"left": {"type": "variable", "name": "score"}, "op": "gte", "right": 700},
                        ],
                    },
                ],
            },
            "outputs": {"onTrue": "vip", "onFalse": "menu"},
        },
        {
            "id": "vip",
            "type": "set_variable",
            "config": {"variable": "vip", "value": {"type": "literal", "value": True}},
            "outputs": {"onSuccess": "menu"},
        },
        {
            "id": "menu",
            "type": "dtmf",
            "label": "Pay or leave a message",
            "config": {"mode": "single_digit", "variable": "choice", "prompt": [_speak("word", "menu")]},
            "outputs": {
                "branches": {"1": "pay", "2": "answer-1"},
                "onInvalid": "sorry",
                "onTimeout": "bye",
            },
        },
        {
            "id": "pay",
            "type": "dtmf",
            "config": {
                "mode": "multi_digit",
                "maxDigits": 6,
                "finishOnKey": "#",
                "maxRetries": 1,
                "variable": "amount",
            },
            "outputs": {"onSuccess": "confirm", "onMaxRetries": "sorry"},
        },
        {
            "id": "confirm",
            "type": "play",
            "config": {
                "items": [_speak("number", {"type": "variable", "name": "amount"}, mode="currency", currency="MAD")]
            },
            "outputs": {"onComplete": "bye"},
        },
        {"id": "answer-1", "type": "answer", "outputs": {"onSuccess": "record-msg"}},
        {
            "id": "record-msg",
            "type": "record",
            "config": {"maxDurationSec": 30, "silenceTimeoutSec": 3, "beep": True, "variable": "message"},
            "outputs": {"onComplete": "thanks", "onTimeout": "bye"},
        },
        {
            "id": "thanks",
            "type": "play",
            "config": {"items": [_speak("date", {"type": "system", "name": "sys.callId"}, mode="date")]},
            "outputs": {"onComplete": "bye", "onError": "bye"},
        },
        {
            "id": "vm-msg",
            "type": "play",
            "config": {"items": [_speak("word", "rappel")]},
            "outputs": {"default": "bye"},
        },
        {
            "id": "sorry",
            "type": "play",
            "config": {"items": [_speak("word", "désolé")]},
            "outputs": {"onComplete": "bye"},
        },
        {"id": "bye", "type": "hangup", "label": "Goodbye"},
    ]
    return {"name": "Collections", "graph": {"startNodeId": "dial-1", "nodes": nodes}}


GOLD = {"firstName": "Amina", "city": "Casablanca", "customAttributes": {"tier": "gold", "balance": 150.5}}


@pytest.fixture
async def flow_id(client: Client, headers: dict[str, str]) -> str:
    response = await client.post("/api/flows", json=collections_flow(), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def simulate(
    client: Client, headers: dict[str, str], flow_id: str, body: dict[str, Any], **params: Any
) -> dict[str, Any]:
    response = await client.post(f"/api/flows/{flow_id}/simulate", json=body, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def path_of(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["nodeId"], e["outputPath"]) for e in result["executionPath"]]


async def test_the_example_flow_validates_without_findings(client: Client, headers: dict[str, str]) -> None:
    """Only dictionary coverage may be reported: it depends on the dictionaries installed, not on
    the flow (the test database holds a partial French system dictionary)."""
    response = await client.post("/api/flows/validate", json=collections_flow(), headers=headers)
    body = response.json()
    assert body["valid"] is True
    assert [f for f in body["findings"] if f["code"] != "DICTIONARY_ENTRY_MISSING"] == []


async def test_a_gold_customer_paying_walks_condition_set_variable_and_both_dtmf_nodes(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    result = await simulate(
        client,
        headers,
        flow_id,
        {
            "contact": GOLD,
            "events": [
                {"type": "answered", "answeredBy": "human"},
                {"type": "dtmf", "digits": "1"},
                {"type": "dtmf", "digits": "1250#9"},
            ],
        },
    )

    assert result["outcome"] == "completed"
    assert result["outcomeReason"] is None
    assert path_of(result) == [
        ("dial-1", "onAnswer"),
        ("greet", "onComplete"),
        ("tier", "onTrue"),
        ("vip", "onSuccess"),
        ("menu", "branches.1"),
        ("pay", "onSuccess"),
        ("confirm", "onComplete"),
        ("bye", None),
    ]
    assert result["finalVariables"] == {"vip": True, "choice": "1", "amount": "1250"}
    assert result["nodeExecutionCount"] == 8
    assert result["unusedEvents"] == []
    first = result["executionPath"][0]
    assert (first["nodeType"], first["nodeLabel"]) == ("dial", "Call the customer")
    assert first["timestamp"].endswith("Z")
    assert [e["nodeType"] for e in result["executionPath"]] == [
        "dial",
        "play",
        "condition",
        "set_variable",
        "dtmf",
        "dtmf",
        "play",
        "hangup",
    ]


async def test_the_nested_and_group_makes_the_condition_true_from_a_variable_and_a_contact_field(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    body = {
        "contact": {"city": "Rabat"},
        "variables": {"score": 720},
        "events": [{"type": "hangup", "atNodeId": "menu"}],
    }
    result = await simulate(client, headers, flow_id, body)

    assert ("tier", "onTrue") in path_of(result)
    assert result["finalVariables"] == {"score": 720, "vip": True}


async def test_with_no_events_the_callee_answers_and_the_menu_times_out(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    result = await simulate(client, headers, flow_id, {})

    # No balance attribute: the number item cannot be spoken, so greet follows onError.
    assert path_of(result) == [
        ("dial-1", "onAnswer"),
        ("greet", "onError"),
        ("tier", "onFalse"),
        ("menu", "onTimeout"),
        ("bye", None),
    ]
    assert result["outcome"] == "completed"
    assert result["finalVariables"] == {}


async def test_a_key_no_branch_takes_follows_on_invalid(client: Client, headers: dict[str, str], flow_id: str) -> None:
    result = await simulate(client, headers, flow_id, {"events": [{"type": "dtmf", "digits": "7"}]})

    assert path_of(result)[-3:] == [("menu", "onInvalid"), ("sorry", "onComplete"), ("bye", None)]
    assert result["finalVariables"] == {"choice": "7"}


async def test_a_multi_digit_entry_is_re_prompted_then_follows_on_max_retries(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    events = [{"type": "dtmf", "digits": "1"}, {"type": "timeout"}, {"type": "dtmf", "digits": "#"}]
    result = await simulate(client, headers, flow_id, {"events": events})

    # maxRetries 1: the timeout re-prompts, the empty entry ("#" alone) is the second failure.
    assert path_of(result)[-3:] == [("pay", "onMaxRetries"), ("sorry", "onComplete"), ("bye", None)]
    assert result["unusedEvents"] == []


async def test_leaving_a_message_goes_through_answer_and_record(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    result = await simulate(client, headers, flow_id, {"events": [{"type": "dtmf", "digits": "2"}]})

    assert path_of(result)[-5:] == [
        ("menu", "branches.2"),
        ("answer-1", "onSuccess"),
        ("record-msg", "onComplete"),
        ("thanks", "onError"),  # sys.callId is no date: the error output is followed
        ("bye", None),
    ]
    assert result["finalVariables"]["message"] == "simulated-recording-1"
    assert result["outcome"] == "completed"


async def test_a_silent_callee_at_the_record_node_follows_on_timeout(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    events = [{"type": "dtmf", "digits": "2"}, {"type": "timeout"}]
    result = await simulate(client, headers, flow_id, {"events": events})

    assert path_of(result)[-2:] == [("record-msg", "onTimeout"), ("bye", None)]
    assert result["finalVariables"]["message"] is None


async def test_an_answering_machine_follows_on_voicemail_and_ends_voicemail(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    result = await simulate(client, headers, flow_id, {"events": [{"type": "answered", "answeredBy": "machine"}]})

    assert path_of(result) == [("dial-1", "onVoicemail"), ("vm-msg", "default"), ("bye", None)]
    assert (result["outcome"], result["outcomeReason"]) == ("voicemail", "answering machine detected")


@pytest.mark.parametrize(
    ("event", "outcome", "output"),
    [
        ({"type": "busy"}, "busy", "onBusy"),
        ({"type": "no_answer"}, "no_answer", "onNoAnswer"),
        ({"type": "timeout"}, "no_answer", "onNoAnswer"),
        ({"type": "rejected"}, "rejected", "onRejected"),
        ({"type": "failed"}, "failed", "onError"),
    ],
)
async def test_a_call_that_does_not_connect_ends_with_that_outcome(
    client: Client, headers: dict[str, str], flow_id: str, event: dict[str, Any], outcome: str, output: str
) -> None:
    result = await simulate(client, headers, flow_id, {"events": [event, {"type": "dtmf", "digits": "1"}]})

    assert result["outcome"] == outcome
    assert path_of(result) == [("dial-1", output)]
    assert result["nodeExecutionCount"] == 1
    assert result["unusedEvents"] == [1]


async def test_a_hangup_at_a_node_ends_the_run_there_with_user_hangup(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    body = {"contact": GOLD, "events": [{"type": "dtmf", "digits": "1"}, {"type": "hangup", "atNodeId": "pay"}]}
    result = await simulate(client, headers, flow_id, body)

    assert result["outcome"] == "user_hangup"
    assert path_of(result)[-2:] == [("menu", "branches.1"), ("pay", None)]
    assert result["nodeExecutionCount"] == len(result["executionPath"]) == 6


async def test_a_hangup_without_a_node_is_taken_by_the_next_node_that_waits_for_the_callee(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    body = {"contact": GOLD, "events": [{"type": "answered"}, {"type": "hangup"}]}
    result = await simulate(client, headers, flow_id, body)

    assert result["outcome"] == "user_hangup"
    assert path_of(result) == [("dial-1", "onAnswer"), ("greet", None)]


async def test_a_given_version_is_simulated_and_the_latest_by_default(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    changed = collections_flow()
    changed["graph"]["nodes"][0]["outputs"]["onBusy"] = "bye"
    assert (await client.put(f"/api/flows/{flow_id}", json=changed, headers=headers)).status_code == 200
    busy = {"events": [{"type": "busy"}]}

    latest = await simulate(client, headers, flow_id, busy)
    first = await simulate(client, headers, flow_id, busy, version=1)

    assert (latest["flowVersion"], path_of(latest)[0]) == (2, ("dial-1", "onBusy"))
    assert latest["outcome"] == "busy"  # the flow went on to its hangup node: the call was still busy
    assert [n for n, _ in path_of(latest)] == ["dial-1", "bye"]
    assert (first["flowVersion"], path_of(first)) == (1, [("dial-1", "onBusy")])


async def test_another_organizations_flow_or_a_missing_version_is_404(
    client: Client, headers: dict[str, str], flow_id: str
) -> None:
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}
    other = await client.post(f"/api/flows/{flow_id}/simulate", json={}, headers=stranger)
    missing = await client.post(f"/api/flows/{uuid.uuid4()}/simulate", json={}, headers=headers)
    old = await client.post(f"/api/flows/{flow_id}/simulate", json={}, headers=headers, params={"version": 9})

    assert (other.status_code, other.json()["code"]) == (404, "FlowNotFoundError")
    assert (missing.status_code, missing.json()["code"]) == (404, "FlowNotFoundError")
    assert (old.status_code, old.json()["code"]) == (404, "FlowVersionNotFoundError")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contacts": {}}, "contacts"),
        ({"events": [{"type": "ring"}]}, "events[0].type"),
        ({"events": [{"digits": "1"}]}, "events[0].type"),
        ({"events": [{"type": "dtmf", "digits": "12a"}]}, "events[0].digits"),
        ({"events": [{"type": "dtmf"}]}, "events[0].digits"),
        ({"events": [{"type": "busy", "after": 3}]}, "events[0].after"),
        ({"events": [{"type": "answered", "answeredBy": "fax"}]}, "events[0].answeredBy"),
        ({"events": [{"type": "answered"}, {"type": "hangup", "atNodeId": "nowhere"}]}, "events[1].atNodeId"),
        ({"contact": {"firstName": "A", "colour": "red"}}, "contact.colour"),
        ({"contact": {"customAttributes": {"tier": ["gold"]}}}, "contact.customAttributes.tier"),
        ({"variables": {"bad name": 1}}, "variables.bad name"),
        ({"variables": {"amount": {"nested": 1}}}, "variables.amount"),
        ({"events": {"type": "busy"}}, "events"),
    ],
)
async def test_bad_simulation_bodies_are_refused_naming_the_field(
    client: Client, headers: dict[str, str], flow_id: str, body: dict[str, Any], field: str
) -> None:
    response = await client.post(f"/api/flows/{flow_id}/simulate", json=body, headers=headers)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert field in response.json()["fieldErrors"], response.json()["fieldErrors"]


async def test_a_flow_id_that_is_not_a_uuid_is_400(client: Client, headers: dict[str, str]) -> None:
    response = await client.post("/api/flows/not-a-uuid/simulate", json={}, headers=headers)
    assert response.status_code == 400
    assert "id" in response.json()["fieldErrors"]
