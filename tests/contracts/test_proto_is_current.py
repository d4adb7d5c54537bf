"""``proto/`` holds the contracts generated from the code; this fails when they drift apart."""

from __future__ import annotations

import json

import pytest

from callcast_contracts.envelope import event_types
from callcast_stack.contracts import CHANNELS, ROOT, render

pytestmark = pytest.mark.unit

PROTO = ROOT / "proto"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return render()


def test_proto_matches_what_the_code_generates(generated: dict[str, str]) -> None:
    stale = sorted(p for p, text in generated.items() if not (PROTO / p).exists() or (PROTO / p).read_text() != text)
    assert not stale, f"proto/ is out of date (run `uv run just contracts`): {stale}"


def test_proto_has_no_files_the_code_no_longer_generates(generated: dict[str, str]) -> None:
    extra = sorted(
        str(p.relative_to(PROTO))
        for p in PROTO.rglob("*")
        if p.is_file() and p.name != "README.md" and str(p.relative_to(PROTO)) not in generated
    )
    assert not extra, f"proto/ has files no longer generated (run `uv run just contracts`): {extra}"


def test_every_event_has_a_json_schema_with_its_envelope(generated: dict[str, str]) -> None:
    schema = json.loads(generated["events/CallEnded.json"])
    envelope = schema["$defs"][schema["$ref"].split("/")[-1]]
    assert set(envelope["required"]) >= {"id", "type", "version", "occurredAt", "orgId", "aggregateId", "data"}


def test_every_service_has_an_openapi_document(generated: dict[str, str]) -> None:
    for service in ("gateway", "contact", "flow", "scheduler", "dialer", "reporting"):
        doc = json.loads(generated[f"openapi/{service}.json"])
        assert doc["openapi"].startswith("3.")


def test_asyncapi_lists_the_public_outcome_channel(generated: dict[str, str]) -> None:
    doc = json.loads(generated["asyncapi.json"])
    assert doc["asyncapi"].startswith("3.")
    assert "outcomes.{orgId}.job.{jobId}" in doc["x-callcast-channels"]


def test_every_event_travels_on_a_documented_channel() -> None:
    documented = {event for _writer, _stream, events in CHANNELS.values() for event in events}
    assert set(event_types()) == documented
