"""Wires the dialer: the SIP user agent, the audio store, the spoken-content client (NATS
request/reply to the flow service) and the dial-command consumer."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from callcast_dialer.adapters.audio_store import AudioStore
from callcast_dialer.adapters.prompt_audio import PromptAssembler
from callcast_dialer.adapters.recording_store import RecordingStore
from callcast_dialer.adapters.spoken_renderer import DEFAULT_TIMEOUT_S, SpokenRenderer
from callcast_dialer.entrypoints.cancellations import CancellationWatcher
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_dialer.entrypoints.events import DialCommandConsumer
from callcast_dialer.handlers import DialHandler
from callcast_runtime.gc_tuning import tune_gc_for_media
from callcast_runtime.logging import get_logger
from callcast_runtime.service import Runtime, ServiceSpec
from callcast_telephony.sip import SipUserAgent, TrunkConfig

log = get_logger(__name__)

#: How long stopping waits for the calls it ends (BYE answered or Timer F, then CallEnded).
_CALLS_END_TIMEOUT_S = 40.0
#: How long a starting dialer waits for the cancellation watcher before it pulls commands.
_CANCELLATIONS_CATCH_UP_S = 10.0


def _trunk(settings: Any) -> TrunkConfig:
    """CALLCAST_SIP_TRUNK (host:port or a sip: URI) and the CALLCAST_SIP_TRUNK_* options."""
    try:
        return TrunkConfig.parse(settings.sip_trunk, settings.sip_trunk_options)
    except ValueError as exc:
        raise ValueError(f"SIP trunk configuration: {exc}") from exc


def _wire(runtime: Runtime, dialer: DialerSettings) -> dict[str, Any]:
    settings = runtime.settings
    ua = SipUserAgent(
        local_host=os.environ.get("CALLCAST_SIP_BIND_HOST", "127.0.0.1"),
        local_port=int(os.environ.get("CALLCAST_SIP_BIND_PORT", "0")),
        trunk=_trunk(settings),
        user_agent="Callcast/0.1",
        rtp_inactivity_timeout=dialer.rtp_timeout_s,
    )
    return {"ua": ua}


async def _start(runtime: Runtime, settings: DialerSettings) -> None:
    ua: SipUserAgent = runtime.components["ua"]
    await ua.start()
    spoken = SpokenRenderer(
        runtime.broker.connection,
        timeout_s=float(os.environ.get("CALLCAST_DIALER_SPOKEN_TIMEOUT_S", DEFAULT_TIMEOUT_S)),
    )
    handler = DialHandler(
        events=runtime.events,
        ua=ua,
        prompts=PromptAssembler(audio=AudioStore(runtime.js), spoken=spoken),
        dialer_id=runtime.settings.instance_id,
        settings=settings,
        recordings=RecordingStore(runtime.js),
    )
    consumer = DialCommandConsumer(runtime.js, handler, settings)
    runtime.components["dial_handler"] = handler
    runtime.components["dial_consumer"] = consumer
    watcher = CancellationWatcher(runtime.js, handler)
    runtime.spawn(watcher.run(), "execution-cancellations")
    # Commands are pulled once recent cancellations are known, so none of them is dialled.
    try:
        await asyncio.wait_for(watcher.caught_up.wait(), timeout=_CANCELLATIONS_CATCH_UP_S)
    except TimeoutError:
        log.warning("cancellations not caught up; pulling dial commands anyway")
    runtime.spawn(consumer.run(), "dial-commands")
    # Started means pulling: the shared consumer exists once start-up returns (unless NATS is
    # away, when the loop keeps trying on its own).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(consumer.declared.wait(), timeout=_CANCELLATIONS_CATCH_UP_S)
    # Everything start-up made stays alive for good: frozen out of the collector, so that the
    # rare full collections under call load do not stall every call's media.
    tune_gc_for_media()


async def _drain(runtime: Runtime, settings: DialerSettings) -> None:
    consumer: DialCommandConsumer | None = runtime.components.get("dial_consumer")
    if consumer is not None:
        await consumer.drain(settings.drain_timeout_s)


async def _stop(runtime: Runtime) -> None:
    for task in runtime.tasks:
        task.cancel()
    # Wait for the calls to hang up and record CallEnded while NATS and SIP are still up; the
    # runtime's later cancel would otherwise orphan those last appends.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*runtime.tasks, return_exceptions=True), timeout=15.0)
    consumer: DialCommandConsumer | None = runtime.components.get("dial_consumer")
    if consumer is not None:
        # Calls the tasks above no longer reach (a second signal during a drain): ended here, while
        # NATS and SIP are still up. A BYE nobody answers takes Timer F (32 s) at most.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consumer.stop(), timeout=_CALLS_END_TIMEOUT_S)
    ua: SipUserAgent = runtime.components["ua"]
    await ua.close()


async def _readiness(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    consumer: DialCommandConsumer | None = runtime.components.get("dial_consumer")
    if consumer is None:
        return True, {}
    details = {"draining": consumer.draining, "liveCalls": consumer.live_calls, "maxCalls": consumer.settings.max_calls}
    return not consumer.draining, details


def build_spec(settings: DialerSettings | None = None) -> ServiceSpec:
    """The dialer service; ``settings`` default to the ``CALLCAST_DIALER_*`` variables."""
    dialer = settings or DialerSettings.from_env()

    def wire(runtime: Runtime) -> dict[str, Any]:
        return _wire(runtime, dialer)

    async def start(runtime: Runtime) -> None:
        await _start(runtime, dialer)

    async def drain(runtime: Runtime) -> None:
        await _drain(runtime, dialer)

    return ServiceSpec(
        name="dialer",
        uses_database=False,
        wire=wire,
        on_start=[start],
        on_stop=[_stop],
        on_drain=[drain],
        readiness_report=_readiness,
        openapi_description=(
            "The dialer owns live SIP sessions and their RTP media. It has no public API: it pulls "
            "dial commands from the DIAL_COMMANDS work queue and writes the call-event stream "
            "(calls.<org>.attempt.<attemptId>). Outbound trunk: CALLCAST_SIP_TRUNK (host:port)."
        ),
    )
