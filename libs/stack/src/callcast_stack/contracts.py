"""Generate ``proto/``: the language-neutral contracts, from the code.

- ``proto/events/<Type>.json``: a JSON Schema per event (the envelope with that event as ``data``);
- ``proto/asyncapi.json``: the AsyncAPI 3 document (faststream generates channels and operations
  from every service's subscribers; message payloads point at the event schemas);
- ``proto/openapi/<service>.json``: each service's OpenAPI document (litestar generates it);
- ``proto/subjects.md``: streams, the subject grammar and which events travel where.

``python -m callcast_stack.contracts [--check]`` writes them (or fails when they differ).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

import callcast_contracts.events  # noqa: F401  (registers every event type)
from callcast_contracts.envelope import Envelope, event_types
from callcast_contracts.streams import ALL_STREAMS, DIAL_COMMANDS
from callcast_contracts.subjects import Context

SERVICES = ("gateway", "contact", "flow", "scheduler", "dialer", "reporting")
ROOT = Path(__file__).resolve().parents[4]

# Which aggregate subjects carry which events (the writer of each subject is one service).
CHANNELS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "contacts.{orgId}.contact.{contactId}": ("contact", "CONTACTS", ("ContactSaved", "ContactDeleted")),
    "contacts.{orgId}.audience.{audienceId}": (
        "contact",
        "CONTACTS",
        ("AudienceCreated", "AudienceUpdated", "AudienceDeleted", "AudienceMembersAdded", "AudienceMembersRemoved"),
    ),
    "contacts.{orgId}.attribute.{attributeId}": (
        "contact",
        "CONTACTS",
        ("CustomAttributeSaved", "CustomAttributeDeleted"),
    ),
    "flows.{orgId}.flow.{flowId}": ("flow", "FLOWS", ("FlowVersionSaved", "FlowDeleted")),
    "flows.{orgId}.audio.{audioId}": ("flow", "FLOWS", ("AudioUploaded",)),
    "flows.{orgId}.dictionary.{dictionaryId}": (
        "flow",
        "FLOWS",
        ("DictionarySaved", "DictionaryDeleted", "DictionaryEntrySaved", "DictionaryEntryDeleted"),
    ),
    "programs.{orgId}.execution.{executionId}": (
        "scheduler",
        "PROGRAMS",
        (
            "ExecutionLaunched",
            "JobsEnrolled",
            "ExecutionStarted",
            "ExecutionPaused",
            "ExecutionResumed",
            "ExecutionStopped",
            "ExecutionCancelled",
            "ExecutionCompleted",
        ),
    ),
    "programs.{orgId}.job.{jobId}": (
        "scheduler",
        "PROGRAMS",
        ("AttemptDispatched", "RetryScheduled", "JobCompleted", "TestCallRequested"),
    ),
    "dial.{orgId}.attempt.{attemptId}": ("scheduler", "DIAL_COMMANDS", ("DialRequested",)),
    "calls.{orgId}.attempt.{attemptId}": (
        "dialer",
        "CALLS",
        (
            "CallAttemptStarted",
            "CallRinging",
            "CallEarlyMedia",
            "CallAnswered",
            "AmdCompleted",
            "FlowNodeEntered",
            "FlowNodeExecuted",
            "PromptStarted",
            "PromptPlayed",
            "DigitReceived",
            "RecordingSaved",
            "CallHungUp",
            "CallStillLive",
            "CallEnded",
        ),
    ),
    "outcomes.{orgId}.job.{jobId}": ("reporting", "OUTCOMES", ("CallOutcomeReported",)),
}


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def event_schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, cls in sorted(event_types().items()):
        schema = msgspec.json.schema(Envelope[cls])  # type: ignore[valid-type]
        schema["title"] = name
        schema["description"] = (cls.__doc__ or name).strip()
        schema["x-callcast-version"] = cls.VERSION
        out[name] = schema
    return out


def _specs() -> dict[str, Any]:
    specs = {}
    for name in SERVICES:
        module = importlib.import_module(f"callcast_{name}.bootstrap")
        specs[name] = module.build_spec()
    return specs


def _apps() -> dict[str, Any]:
    from callcast_runtime.service import create_app
    from callcast_runtime.settings import load_settings

    return {name: create_app(spec, load_settings(name)) for name, spec in _specs().items()}


def openapi_documents(apps: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: app.openapi_schema.to_schema() for name, app in apps.items()}


def asyncapi_document(apps: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    from faststream.nats import JStream, NatsBroker, PullSub
    from faststream.specification import AsyncAPI

    brokers = [app.state.runtime.broker for app in apps.values()]
    # The dialer pulls its work queue with its own loop (see callcast_dialer.entrypoints.events);
    # a documentation-only broker describes that consumer and every published channel.
    docs = NatsBroker("nats://localhost:4222")

    async def _doc_only(body: bytes) -> None:  # never started
        return None

    docs.subscriber(
        f"{Context.DIAL}.>",
        stream=JStream(DIAL_COMMANDS.name, declare=False),
        durable="dialer",
        pull_sub=PullSub(batch_size=1),
        title="dialer:consume",
        description="Dial commands, pulled by any dialer instance when it has a free call slot.",
    )(_doc_only)
    for channel, (writer, stream, _events) in CHANNELS.items():
        docs.publisher(
            channel.replace("{", "").replace("}", ""),
            title=f"{channel}:publish",
            description=f"Written by the {writer} service to the {stream} stream.",
            include_in_schema=True,
        )
    spec = AsyncAPI(
        *brokers,
        docs,
        title="Callcast events",
        version="0.1.0",
        description=(
            "Callcast's event backbone on NATS JetStream. Subject grammar "
            "<context>.<orgId>.<aggregate>.<id>; the event type travels in the Callcast-Event-Type "
            "header and in the payload's type tag; every message is an envelope {id, type, version, "
            "occurredAt, orgId, aggregateId, causationId, correlationId, data}."
        ),
    ).to_specification()
    doc: dict[str, Any] = json.loads(spec.to_json())
    components = doc.setdefault("components", {})
    comp_schemas = components.setdefault("schemas", {})
    for name, schema in schemas.items():
        defs = schema.get("$defs", {})
        for def_name, definition in defs.items():
            comp_schemas.setdefault(def_name, definition)
        comp_schemas[f"{name}Envelope"] = {k: v for k, v in schema.items() if k not in ("$defs",)}
    text = json.dumps(doc).replace("#/$defs/", "#/components/schemas/")
    doc = json.loads(text)
    doc["x-callcast-channels"] = {
        channel: {
            "writer": writer,
            "stream": stream,
            "events": [{"$ref": f"#/components/schemas/{e}Envelope"} for e in events],
        }
        for channel, (writer, stream, events) in CHANNELS.items()
    }
    return doc


def subjects_markdown() -> str:
    lines = [
        "# Streams and subjects (generated by `just contracts`; do not edit)",
        "",
        "Subject grammar: `<context>.<orgId>.<aggregate>.<id>` — one subject per aggregate instance,",
        "one writing service per subject. Headers: `Nats-Msg-Id` (deterministic), `Callcast-Event-Type`,",
        "`Callcast-Event-Version`, `Callcast-Org-Id`, W3C `traceparent`.",
        "",
        "| stream | subjects | retention | description |",
        "|---|---|---|---|",
    ]
    for s in ALL_STREAMS:
        retention = "work queue" if s.work_queue else "limits (event store)"
        lines.append(f"| `{s.name}` | {', '.join(f'`{x}`' for x in s.subjects)} | {retention} | {s.description} |")
    lines += ["", "| subject | writer | events |", "|---|---|---|"]
    for channel, (writer, _stream, events) in CHANNELS.items():
        lines.append(f"| `{channel}` | {writer} | {', '.join(events)} |")
    return "\n".join(lines) + "\n"


def render() -> dict[str, str]:
    schemas = event_schemas()
    apps = _apps()
    files: dict[str, str] = {f"events/{name}.json": _dump(schema) for name, schema in schemas.items()}
    files["asyncapi.json"] = _dump(asyncapi_document(apps, schemas))
    for name, doc in openapi_documents(apps).items():
        files[f"openapi/{name}.json"] = _dump(doc)
    files["subjects.md"] = subjects_markdown()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "proto")
    parser.add_argument("--check", action="store_true", help="fail when proto/ differs from the code")
    args = parser.parse_args(argv)
    files = render()
    out: Path = args.out
    if args.check:
        stale = [p for p, text in files.items() if not (out / p).exists() or (out / p).read_text() != text]
        extra = [
            str(p.relative_to(out))
            for p in out.rglob("*")
            if p.is_file() and p.name != "README.md" and str(p.relative_to(out)) not in files
        ]
        if stale or extra:
            print("proto/ is out of date; run `just contracts`:", *stale, *extra, sep="\n  ", file=sys.stderr)
            return 1
        return 0
    for path, text in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for p in out.rglob("*.json"):
        if str(p.relative_to(out)) not in files:
            p.unlink()
    print(f"wrote {len(files)} files to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
