"""Saving or validating a flow warns when a spoken item needs keys no dictionary of its language
has (the organization's or the system's)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.integration


def _flow(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "Spoken",
        "graph": {
            "startNodeId": "dial-1",
            "nodes": [
                {"id": "dial-1", "type": "dial", "config": {}, "outputs": {"onAnswer": "play-1"}},
                {"id": "play-1", "type": "play", "config": {"items": items}, "outputs": {"onComplete": "bye"}},
                {"id": "bye", "type": "hangup", "config": {}, "outputs": {}},
            ],
        },
    }


def _number(value: Any, language: str) -> dict[str, Any]:
    return {"type": "number", "value": {"type": "literal", "value": value}, "language": language}


def _dictionary_findings(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in body["findings"] if f["code"] == "DICTIONARY_ENTRY_MISSING"]


async def test_a_number_whose_keys_the_system_dictionary_has_needs_nothing_more(
    client: AsyncTestClient[Any], headers: dict[str, str], system_fr: dict[str, Any]
) -> None:
    # 21 in French is "vingt et un": keys 20, and, 1 — all in the test's system dictionary.
    response = await client.post("/api/flows/validate", json=_flow([_number(21, "fr")]), headers=headers)
    assert response.status_code == 200
    assert _dictionary_findings(response.json()) == []


async def test_a_number_with_a_key_no_dictionary_has_is_a_warning_naming_the_key(
    client: AsyncTestClient[Any], headers: dict[str, str], system_fr: dict[str, Any]
) -> None:
    response = await client.post("/api/flows/validate", json=_flow([_number(23, "fr")]), headers=headers)
    findings = _dictionary_findings(response.json())
    assert len(findings) == 1
    assert findings[0]["severity"] == "warning"
    assert findings[0]["nodeId"] == "play-1"
    assert "'3'" in findings[0]["message"]
    assert response.json()["valid"] is True  # a warning, not an error


async def test_a_value_known_only_during_the_call_needs_every_number_key(
    client: AsyncTestClient[Any], headers: dict[str, str], system_fr: dict[str, Any]
) -> None:
    item = {"type": "number", "value": {"type": "contactField", "name": "zip"}, "language": "fr"}
    findings = _dictionary_findings(
        (await client.post("/api/flows/validate", json=_flow([item]), headers=headers)).json()
    )
    assert len(findings) == 1
    assert "'100'" in findings[0]["message"] or "…" in findings[0]["message"]


async def test_a_language_without_any_dictionary_is_a_warning(
    client: AsyncTestClient[Any], headers: dict[str, str], system_fr: dict[str, Any]
) -> None:
    findings = _dictionary_findings(
        (await client.post("/api/flows/validate", json=_flow([_number(5, "ar")]), headers=headers)).json()
    )
    assert [f["field"] for f in findings] == [findings[0]["field"]]
    assert "no ar dictionary" in findings[0]["message"]
