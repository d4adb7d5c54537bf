"""The flow service learns the organization's custom attributes from the contact service's events
and warns about references to attributes that do not exist."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from nats.js import JetStreamContext

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import CustomAttributeDeleted, CustomAttributeSaved
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.messaging import EventStore

pytestmark = pytest.mark.integration


def _flow(*names: str) -> dict[str, Any]:
    conditions = [
        {"left": {"type": "customAttribute", "name": n}, "op": "eq", "right": {"type": "literal", "value": "x"}}
        for n in names
    ]
    return {
        "name": "Attributes",
        "graph": {
            "startNodeId": "dial-1",
            "nodes": [
                {"id": "dial-1", "type": "dial", "config": {}, "outputs": {"onAnswer": "check"}},
                {
                    "id": "check",
                    "type": "condition",
                    "config": {"operator": "AND", "conditions": conditions},
                    "outputs": {"onTrue": "bye", "onFalse": "bye"},
                },
                {"id": "bye", "type": "hangup", "config": {}, "outputs": {}},
            ],
        },
    }


async def _attribute_findings(client: AsyncTestClient[Any], headers: dict[str, str], *names: str) -> list[str]:
    body = (await client.post("/api/flows/validate", json=_flow(*names), headers=headers)).json()
    return [f["message"] for f in body["findings"] if "custom attribute" in f["message"]]


async def _publish(js: JetStreamContext, org_id: str, event: Any, attribute_id: str, n: int) -> None:
    await EventStore(js).append(
        subject(Context.CONTACTS, org_id, Aggregate.CUSTOM_ATTRIBUTE, attribute_id),
        envelope(event, org_id=org_id, aggregate_id=attribute_id),
        msg_id=f"test-attribute-{attribute_id}-{n}",
    )


async def _eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


async def test_a_reference_to_an_attribute_the_org_does_not_have_is_a_warning(
    client: AsyncTestClient[Any], headers: dict[str, str], org_id: str, js: JetStreamContext
) -> None:
    balance, tier = ids.new_id(), ids.new_id()
    await _publish(js, org_id, CustomAttributeSaved(attribute_id=balance, name="balance", display_name="Balance",
                                                    attribute_type="number"), balance, 1)  # fmt: skip
    await _publish(js, org_id, CustomAttributeSaved(attribute_id=tier, name="tier", display_name="Tier",
                                                    attribute_type="text"), tier, 1)  # fmt: skip

    async def only_unknown_is_reported() -> list[str]:
        found = await _attribute_findings(client, headers, "balance", "tier", "ghost")
        return found if len(found) == 1 else []

    messages = await _eventually(only_unknown_is_reported)
    assert len(messages) == 1
    assert "ghost" in messages[0]

    await _publish(js, org_id, CustomAttributeDeleted(attribute_id=tier, name="tier"), tier, 2)

    async def deleted_is_reported() -> list[str]:
        found = await _attribute_findings(client, headers, "balance", "tier")
        return found if found else []

    messages = await _eventually(deleted_is_reported)
    assert len(messages) == 1
    assert "tier" in messages[0]
