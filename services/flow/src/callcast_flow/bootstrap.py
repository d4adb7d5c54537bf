"""Wires the flow service: routes, migrations, the outbox, the audio bucket, handler context.

``build_spec()`` is what ``python -m callcast_flow`` runs; tests call it too, optionally with
another audio store (``audio_store_factory``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from litestar.di import NamedDependency, Provide
from nats.js import JetStreamContext

from callcast_flow.adapters.audio_store import AudioObjectStore, JetStreamAudioStore
from callcast_flow.entrypoints.http import ROUTES
from callcast_flow.handlers import FlowServiceContext, no_relay
from callcast_runtime.service import Runtime, ServiceSpec

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

AudioStoreFactory = Callable[[JetStreamContext], Awaitable[AudioObjectStore]]

OPENAPI_DESCRIPTION = """\
Flows (versioned call flows) and audio assets, Gomobile-compatible.

**Flow bodies.** `{"name", "description", "graph": {"startNodeId", "nodes": [...]}}`; `startNodeId`/`nodes`
may also be given at the top level, and `nodes` may be an object keyed by node id. Answers always carry
`graph` with `nodes` as an array. Every save (create or update) creates a new immutable version
(`flowVersion` 1, 2, …) with a `graphHash` (`sha256:` over the normalised graph).

**Validation.** Saving runs the flow checks; a flow with errors answers 400 `VALIDATION_FAILED` whose body
also carries `findings`: `[{"severity": "error"|"warning", "nodeId", "field", "code", "message"}]`.
`POST /api/flows/validate` answers 200 `{"valid", "findings"}` without saving. Finding codes:
`START_NODE_MISSING`, `START_NODE_NOT_FOUND`, `NODE_ID_MISSING`, `NODE_ID_MISMATCH`, `DUPLICATE_NODE_ID`,
`NODE_TYPE_MISSING`, `UNKNOWN_NODE_TYPE`, `UNKNOWN_NODE_FIELD`, `INVALID_LABEL`, `INVALID_CONFIG`,
`INVALID_OUTPUTS`, `INVALID_OUTPUT_TARGET`, `OUTPUT_TARGET_NOT_FOUND`, `INVALID_BRANCH_KEY`,
`INVALID_PLAY_ITEM`, `AUDIO_NOT_FOUND` (errors), `UNKNOWN_OUTPUT` (warning), `INVALID_GRAPH`.
An output set to `null` (or `""`) is not connected: the flow ends there.

**Audio.** Uploads (WAV, MP3 or OGG; ≤20 MB, ≤30 min) are converted to 8 kHz mono, padded with silence
to whole 20 ms frames, and kept as G.711 μ-law (for calls) and 16-bit PCM (for
`GET /api/audio-management/{id}/stream`, a WAV). `file` describes the original upload; its `checksum` is
`sha256:<hex>` of the uploaded bytes. Audio deletes are soft: flow versions already saved keep playing it.

**Deletes** answer 204 with no body.
"""


class _Wiring:
    """What exists only once the service has started (the audio bucket needs NATS)."""

    audio_store: AudioObjectStore | None = None


async def _jetstream_audio_store(js: JetStreamContext) -> AudioObjectStore:
    return await JetStreamAudioStore.open(js)


def build_spec(*, audio_store_factory: AudioStoreFactory = _jetstream_audio_store) -> ServiceSpec:
    wiring = _Wiring()

    async def open_audio_store(runtime: Runtime) -> None:
        wiring.audio_store = await audio_store_factory(runtime.js)

    def provide_services(runtime: NamedDependency[Runtime]) -> FlowServiceContext:
        assert wiring.audio_store is not None, "the flow service has not started"
        relay = runtime.relay
        return FlowServiceContext(
            db=runtime.db,
            audio_store=wiring.audio_store,
            wake_relay=relay.wake if relay is not None else no_relay,
        )

    return ServiceSpec(
        name="flow",
        route_handlers=ROUTES,
        migrations=MIGRATIONS,
        uses_database=True,
        uses_outbox=True,
        on_start=[open_audio_store],
        openapi_description=OPENAPI_DESCRIPTION,
        extra_dependencies={"services": Provide(provide_services, sync_to_thread=False)},
    )
