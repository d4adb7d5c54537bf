"""A prompt's audio from a real NATS: uploaded audio and dictionary clips rendered over
``rpc.flow.spoken.render`` (a stand-in flow responder), joined in play order; every failure
named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from dialer_flow_stand_in import StandInFlowService, audio_bucket, request_items, ulaw_of
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from callcast_contracts import ids
from callcast_dialer.adapters.audio_store import AudioNotFound, AudioStore
from callcast_dialer.adapters.prompt_audio import PromptAssembler
from callcast_dialer.adapters.spoken_renderer import SpokenRenderer, SpokenRenderFailed
from callcast_dialer.domain.prompt import PromptError

pytestmark = pytest.mark.integration

ORG = "0192f0c1-5a1e-7000-8000-0000000a5e01"
FORTY_TWO: dict[str, Any] = {"type": "number", "value": 42, "language": "fr"}


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


@pytest.fixture
async def js(nc: NatsClient) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture
async def flow(nc: NatsClient, js: JetStreamContext) -> AsyncIterator[StandInFlowService]:
    service = await StandInFlowService(nc, js).start()
    yield service
    await service.stop()


@pytest.fixture
async def dialer_nc(nats_url: str) -> AsyncIterator[NatsClient]:
    """The dialer's own connection (requests and replies cross the server, as in production)."""
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


def assembler(dialer_nc: NatsClient, *, timeout_s: float = 5.0) -> PromptAssembler:
    js = dialer_nc.jetstream()
    return PromptAssembler(audio=AudioStore(js), spoken=SpokenRenderer(dialer_nc, timeout_s=timeout_s))


async def upload(js: JetStreamContext, audio: bytes) -> str:
    audio_id = ids.new_id()
    await (await audio_bucket(js)).put(f"{ORG}/{audio_id}.ulaw", audio)
    return audio_id


async def test_a_number_is_said_with_its_dictionary_clips_right_after_the_audio_file(
    flow: StandInFlowService, js: JetStreamContext, dialer_nc: NatsClient
) -> None:
    forty, two = ulaw_of(0x40, 3), ulaw_of(0x02, 2)
    await flow.add_clip("fr", "40", forty)
    await flow.add_clip("fr", "2", two)
    welcome = ulaw_of(0x77, 5)[:-7]  # not a whole number of frames: nothing is padded between parts
    audio_id = await upload(js, welcome)
    items: list[dict[str, Any]] = [{"type": "audioFile", "audioId": audio_id}, FORTY_TWO]

    prompt = await assembler(dialer_nc).assemble(ORG, items)

    assert prompt.ulaw == welcome + forty + two
    assert prompt.items == [items[0], {**FORTY_TWO, "keys": ["40", "2"]}]
    assert request_items(flow) == [[FORTY_TWO]]  # only the spoken item, as the engine resolved it
    assert flow.requests[0].org_id == ORG


async def test_clips_are_cached_by_digest_and_a_replaced_clip_is_read_again(
    flow: StandInFlowService, js: JetStreamContext, dialer_nc: NatsClient
) -> None:
    await flow.add_clip("fr", "40", ulaw_of(0x40, 2))
    await flow.add_clip("fr", "2", ulaw_of(0x02, 2))
    prompts = assembler(dialer_nc)
    first = await prompts.assemble(ORG, [FORTY_TWO])

    # The objects go away: the same digests still play from the cache.
    bucket = await audio_bucket(js)
    await bucket.delete(flow.clips[("fr", "40")].object_name)
    assert (await prompts.assemble(ORG, [FORTY_TWO])).ulaw == first.ulaw

    # An entry gets a new clip (same object name, new digest): the new audio is played.
    await flow.add_clip("fr", "40", ulaw_of(0x41, 1))
    assert (await prompts.assemble(ORG, [FORTY_TWO])).ulaw == ulaw_of(0x41, 1) + ulaw_of(0x02, 2)


async def test_keys_no_dictionary_has_fail_the_prompt_naming_them(
    flow: StandInFlowService, dialer_nc: NatsClient
) -> None:
    await flow.add_clip("fr", "2", ulaw_of(0x02, 1))

    with pytest.raises(PromptError) as err:
        await assembler(dialer_nc).assemble(ORG, [FORTY_TWO])

    assert str(err.value) == "item 1 (number 42 (fr)): no fr dictionary has a clip for '40'"


async def test_a_value_the_renderer_cannot_say_fails_the_prompt_with_its_reason(
    flow: StandInFlowService, dialer_nc: NatsClient
) -> None:
    with pytest.raises(PromptError, match=r"item 1 \(date '2024-13-45' \(fr\)\) cannot be said: "):
        await assembler(dialer_nc).assemble(ORG, [{"type": "date", "value": "2024-13-45", "language": "fr"}])


async def test_a_clip_missing_from_the_object_store_fails_the_prompt(
    flow: StandInFlowService, js: JetStreamContext, dialer_nc: NatsClient
) -> None:
    clip = await flow.add_clip("fr", "7", ulaw_of(0x07, 1), dictionary_id=ids.new_id())
    await (await audio_bucket(js)).delete(clip.object_name)

    with pytest.raises(AudioNotFound, match=f"dictionary clip {clip.object_name} is not in the object store"):
        await assembler(dialer_nc).assemble(ORG, [{"type": "number", "value": 7, "language": "fr"}])


async def test_without_a_flow_service_the_prompt_fails_at_once_saying_so(dialer_nc: NatsClient) -> None:
    with pytest.raises(SpokenRenderFailed) as err:
        await assembler(dialer_nc, timeout_s=30).assemble(ORG, [FORTY_TWO])

    assert str(err.value) == "no flow service answers rpc.flow.spoken.render (is the flow service running?)"


async def test_a_flow_service_that_does_not_answer_in_time_fails_the_prompt(
    flow: StandInFlowService, dialer_nc: NatsClient
) -> None:
    flow.silent = True

    with pytest.raises(SpokenRenderFailed) as err:
        await assembler(dialer_nc, timeout_s=0.5).assemble(ORG, [FORTY_TWO])

    assert str(err.value) == "the flow service did not answer rpc.flow.spoken.render within 0.5 s"


async def test_a_prompt_of_audio_files_only_asks_nothing_of_the_flow_service(
    flow: StandInFlowService, js: JetStreamContext, dialer_nc: NatsClient
) -> None:
    audio_id = await upload(js, ulaw_of(0x11, 2))

    prompt = await assembler(dialer_nc).assemble(ORG, [{"type": "audioFile", "audioId": audio_id}])

    assert prompt.ulaw == ulaw_of(0x11, 2)
    assert flow.requests == []
