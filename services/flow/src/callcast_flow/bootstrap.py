"""Wires the flow service: routes, migrations, the outbox, the audio bucket, handler context.

``build_spec()`` is what ``python -m callcast_flow`` runs; tests call it too, optionally with
another audio store (``audio_store_factory``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from litestar.di import NamedDependency, Provide
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from callcast_flow.adapters.audio_store import AudioObjectStore, JetStreamAudioStore
from callcast_flow.entrypoints import contact_events
from callcast_flow.entrypoints.dictionaries_http import DICTIONARY_ROUTES
from callcast_flow.entrypoints.dictionaries_rpc import subscribe_spoken_responder
from callcast_flow.entrypoints.http import ROUTES
from callcast_flow.entrypoints.simulate import FlowSimulationController
from callcast_flow.entrypoints.test_call import FlowExecutionController
from callcast_flow.handlers import FlowServiceContext, no_relay
from callcast_runtime.service import Runtime, ServiceSpec

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

AudioStoreFactory = Callable[[JetStreamContext], Awaitable[AudioObjectStore]]

OPENAPI_DESCRIPTION = """\
Flows (versioned call flows), audio assets and dictionaries, Gomobile-compatible.

**Flow bodies.** `{"name", "description", "graph": {"startNodeId", "nodes": [...]}}`; `startNodeId`/`nodes`
may also be given at the top level, and `nodes` may be an object keyed by node id. Answers always carry
`graph` with `nodes` as an array. Every save (create or update) creates a new immutable version
(`flowVersion` 1, 2, …) with a `graphHash` (`sha256:` over the normalised graph).

**Nodes** (config keys, defaults and limits; every output falls back to the node's `default` output).
- `dial`: `timeout` (ms, 1000–120000, default 30000), `enableAMD` (default true), `amd` tuning (`initialSilenceMs`,
  `greetingMs`, `afterGreetingSilenceMs`, `totalAnalysisMs`, `minWordLengthMs`, `betweenWordsSilenceMs`,
  `maximumWordLengthMs`: 0–60000; `maximumNumberOfWords`: 1–100; `silenceThreshold`: 0–32767). Outputs `onAnswer`,
  `onVoicemail` (AMD found a machine), `onNoAnswer`, `onBusy`, `onRejected`, `onError` (the call failed). A dial
  result with no output ends the call with that result as its outcome.
- `answer`: no config; `onSuccess`, `onError`.
- `play`: `items` (1–50, in order): `{"type":"audioFile","audioId"}`, `{"type":"number","value","language":"ar"|"fr",
  "mode":"cardinal"|"digits"|"currency","currency"}` (`currency`: ISO 4217, required in mode `currency`),
  `{"type":"date","value","language","mode":"date"|"day_month"|"weekday_date"}` (an ISO-8601 date),
  `{"type":"word","value","language"}` (a dictionary key); `value` is a ValueSource. Outputs `onComplete`,
  `onError` (also when a value cannot be spoken: not a number, not a date, empty).
- `dtmf`: `mode` (`single_digit`, the default: one key, no finish key | `multi_digit`), `maxDigits` (1–32, default 20
  in multi_digit), `timeoutMs` (1000–120000, default 5000), `interDigitTimeoutMs` (500–60000, default 3000),
  `finishOnKey` (one key or `""`, default `#` in multi_digit), `maxRetries` (0–10, default 0), `variable` (gets the
  keys), `prompt` (play items, played before each attempt). Outputs `branches` (`{"1": nodeId, "12#"…}`), `onSuccess`
  (keys no branch takes; without it such keys are invalid when the node has branches), `onTimeout`, `onInvalid`,
  `onMaxRetries`, `onError`. A timeout or an invalid entry re-prompts while retries remain, then follows
  `onMaxRetries` (else `onTimeout`/`onInvalid`); with `maxRetries` 0 `onTimeout`/`onInvalid` come first.
- `record`: `maxDurationSec` (1–3600, default 60), `silenceTimeoutSec` (1–60, default 5), `beep` (default true),
  `variable` (gets the recording id). Outputs `onComplete`, `onTimeout` (the callee said nothing: no recording,
  the variable is null), `onError`.
- `condition`: `operator` (`AND` default | `OR`), `conditions` (1–50): `{"left", "op", "right"}` with ValueSources and
  `op` one of `eq`, `neq`, `gt`, `lt`, `gte`, `lte`, `contains`, `startsWith`, `endsWith`, or a nested group
  `{"operator", "conditions"}` (3 levels at most). Numbers (or numeric text) on both sides compare as numbers,
  otherwise as text (ISO dates compare by date; `true`/`false`; `null` is empty text and never `gt`/`lt`);
  `contains`/`startsWith`/`endsWith` are case-sensitive. Outputs `onTrue`, `onFalse`, `onError`.
- `set_variable`: `variable` (a letter or `_`, then letters, digits or `_`; at most 64), `value` (a ValueSource).
  Outputs `onSuccess`, `onError`.
- `hangup`: no config, no outputs.

ValueSources: `{"type":"literal","value"}`, `{"type":"variable","name"}`, `{"type":"customAttribute","name"}`,
`{"type":"contactField","name"}` (a contact field, or `customAttributes.<name>`),
`{"type":"system","name":"sys.callId"}` (`sys.callId`, `sys.callStatus`, `sys.callDirection`, `sys.answeredBy`,
`sys.contactId`, `sys.contactPhone`, `sys.contactName`, `sys.organizationId`, `sys.programId`; `sys.` may be left
out). `flow_variable`, `custom_attribute`, `contact_field`, `system_variable` are accepted too; a bare string,
number, boolean or null is a literal.

**Runs** (calls and simulations use the same flow engine). `executionPath` has one entry per node entered,
`{nodeId, nodeType, nodeLabel, outputPath, timestamp}`; `outputPath` is the output followed (`default` included,
`branches.<keys>` for a digit branch), or, when nothing is connected, the output the outcome asked for (the flow
ends there); it is null for a hangup node and for the node where the callee hung up. A node error follows
`onError`, else `default`, else the call ends `failed`. When the flow ends, an answered call is `completed`
(`voicemail` when AMD found a machine) and an unanswered one keeps its dial result. The callee hanging up at any
node ends the run `user_hangup`. `play`, `dtmf` and `record` need a connected call: when no dial node came first
the call is placed with the defaults (30 s, no AMD); after a dial that did not connect they are a node error. A run
stops after 500 steps (nodes entered and dtmf re-prompts) as `failed` ("step limit reached").

**Validation.** Saving runs the flow checks; a flow with errors answers 400 `VALIDATION_FAILED` whose body
also carries `findings`: `[{"severity": "error"|"warning", "nodeId", "field", "code", "message"}]`.
`POST /api/flows/validate` answers 200 `{"valid", "findings"}` without saving. An output set to `null` (or `""`) is
not connected: the flow ends there on purpose.
- Errors: `START_NODE_MISSING`, `START_NODE_NOT_FOUND`, `NODE_ID_MISSING`, `NODE_ID_MISMATCH`, `DUPLICATE_NODE_ID`,
  `NODE_TYPE_MISSING`, `UNKNOWN_NODE_TYPE`, `UNKNOWN_NODE_FIELD`, `INVALID_LABEL`, `INVALID_GRAPH`, `INVALID_CONFIG`
  (a config value of the wrong type), `UNKNOWN_CONFIG_FIELD`, `MISSING_CONFIG_FIELD`, `CONFIG_OUT_OF_RANGE`,
  `INVALID_OUTPUTS`, `INVALID_OUTPUT_TARGET`, `OUTPUT_TARGET_NOT_FOUND` (an edge to a missing node),
  `INVALID_BRANCH_KEY`, `INVALID_PLAY_ITEM`, `INVALID_VALUE_SOURCE`, `INVALID_VARIABLE_NAME`, `INVALID_CONDITION`,
  `AUDIO_NOT_FOUND`, `TYPE_MISMATCH` (a literal a `number`/`date`/`word` item can never speak).
- Warnings (the flow is saved): `UNREACHABLE_NODE`, `OUTPUT_NOT_CONNECTED` (an outcome that can happen has no output
  and no default while the node's other outcomes go on, or a dial's answer leads nowhere), `LOOP_WITHOUT_EXIT` (a
  loop from which no hangup node and no unconnected outcome can be reached), `NEEDS_CONNECTED_CALL` (a
  play/dtmf/record node reached after a dial that did not connect), `UNKNOWN_OUTPUT`, `OUTPUT_NEVER_FOLLOWED`,
  `CONFIG_IGNORED`, `BRANCH_NEVER_MATCHES`, `TYPE_MISMATCH` (a numeric comparison with a non-numeric literal),
  `UNKNOWN_CONTACT_FIELD`, `UNKNOWN_SYSTEM_VARIABLE`, `UNKNOWN_CUSTOM_ATTRIBUTE` (when the organization's custom
  attributes are known), `DICTIONARY_ENTRY_MISSING` (a `number`/`date`/`word` item whose language's dictionaries
  lack keys it needs, when the dictionaries are known).

**Simulation.** `POST /api/flows/{id}/simulate` (`?version=N`, default the latest) runs a saved version with the
flow engine and no telephony: `{"contact": {...}, "variables": {...}, "events": [...]}` → 200 `{"outcome",
"outcomeReason", "executionPath", "finalVariables", "nodeExecutionCount", "flowId", "flowVersion", "unusedEvents"}`.
Events are used in order by the nodes that wait for the call: a dial takes `answered` (`answeredBy` `human`, the
default, or `machine`), `busy`, `no_answer`, `rejected`, `failed` or `timeout` (no answer); a dtmf node takes `dtmf`
(`digits`, collected as its config says: the first key in single_digit, keys up to `finishOnKey` or `maxDigits` in
multi_digit) or `timeout`; a record node takes `timeout` (silence); any of them takes `hangup` without `atNodeId`.
When the next event does not apply, or none is left, the node goes as if the callee did nothing special: a dial is
answered by a human, a play completes, a dtmf times out, a record completes (`variable` gets
`simulated-recording-N`). `{"type": "hangup", "atNodeId"}` is not positional: the callee hangs up as the run enters
that node (the first time). `unusedEvents` lists the indices of events the run never used. System variables are
set as for a call (`sys.contactId` from `contact.id`, `sys.callId` a fresh id).

**Test calls.** `POST /api/flows/execute` (`ExecuteFlowRequestDto`) places one real call of a saved flow version:
`{"flowId", "flowVersion"?, "contactId"? | "contact"?: {"primaryPhone", "firstName"?, "lastName"?,
"customAttributes"?}, "didId"? | "fromNumber"?, "variables"?}` — exactly one of `contactId`/`contact` and exactly one
of `didId`/`fromNumber` (both or neither: 400 naming the first of the pair); numbers in E.164. The version (default
the latest) is checked again (400 with `findings` if it now has errors). Answers 201 `{"jobId", "status": "queued"}`:
the scheduler has dispatched the job's only attempt; `GET /api/call-report/{jobId}` follows it (no execution, no
retries: the job ends `completed` when the call's outcome is `completed`, else `failed`), and `GET /api/calls?jobId=`
lists it. 404 `FlowNotFoundError`, `FlowVersionNotFoundError`, `ContactNotFoundError`, `DidNotFoundError`; 400
`DidNotActiveError`; 503 `SERVICE_UNAVAILABLE` when the scheduler does not answer within 5 s (no call placed).

**Audio.** Uploads (WAV, MP3 or OGG; ≤20 MB, ≤30 min) are converted to 8 kHz mono, padded with silence
to whole 20 ms frames, and kept as G.711 μ-law (for calls) and 16-bit PCM (for
`GET /api/audio-management/{id}/stream`, a WAV). `file` describes the original upload; its `checksum` is
`sha256:<hex>` of the uploaded bytes. Audio deletes are soft: flow versions already saved keep playing it.

**Dictionaries.** Audio clips keyed by word or number (`/api/dictionaries`), which `play` items of type
`number`, `date` and `word` are spoken from. Each language (`ar`, `fr`) has a documented key set (docs/spoken.md:
`"0"`…`"19"`, `"20"`, `"100"`, `"1000"`, `"and"`, `"month_1"`, `"currency_MAD"`, …); every dictionary answers
`missingKeys` (the key-set keys it has no clip for) and `entryCount`. System dictionaries (`organizationId: null`,
`isSystem: true`) are visible to every organization and read-only (403 `SystemDictionaryReadOnlyError`).
Lookup of a key: your live dictionaries of the item's language, newest first, then the system one.
`createdBy`/`updatedBy`/`deletedBy` name the organization that made the change (`system` for system
dictionaries). Adding an entry whose key exists replaces its clip (200, same entry id); a new key answers 201.
`POST /api/dictionaries/render` previews what play items say.

**Deletes** answer 204 with no body.
"""


class _Wiring:
    """What exists only once the service has started (the audio bucket needs NATS)."""

    audio_store: AudioObjectStore | None = None
    spoken_responder: Subscription | None = None


async def _jetstream_audio_store(js: JetStreamContext) -> AudioObjectStore:
    return await JetStreamAudioStore.open(js)


def build_spec(*, audio_store_factory: AudioStoreFactory = _jetstream_audio_store) -> ServiceSpec:
    wiring = _Wiring()

    async def open_audio_store(runtime: Runtime) -> None:
        wiring.audio_store = await audio_store_factory(runtime.js)

    async def start_spoken_responder(runtime: Runtime) -> None:
        wiring.spoken_responder = await subscribe_spoken_responder(runtime.broker.connection, runtime.db)

    async def stop_spoken_responder(runtime: Runtime) -> None:
        if wiring.spoken_responder is not None:
            await wiring.spoken_responder.unsubscribe()

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
        route_handlers=[*ROUTES, *DICTIONARY_ROUTES, FlowSimulationController, FlowExecutionController],
        migrations=MIGRATIONS,
        uses_database=True,
        uses_outbox=True,
        on_start=[open_audio_store, start_spoken_responder, contact_events.start],
        on_stop=[stop_spoken_responder],
        openapi_description=OPENAPI_DESCRIPTION,
        extra_dependencies={"services": Provide(provide_services, sync_to_thread=False)},
    )
