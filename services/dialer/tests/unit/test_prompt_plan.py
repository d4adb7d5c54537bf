"""A prompt's audio plan: audio files and dictionary clips in play order, or why it cannot play."""

from __future__ import annotations

from typing import Any

import pytest

from callcast_contracts.spoken import RenderedItem, SpokenClip
from callcast_dialer.domain.prompt import (
    AudioFilePart,
    ClipPart,
    PromptError,
    plan_prompt,
    spoken_items,
)

pytestmark = pytest.mark.unit

DICT = "0192f0c1-0000-7000-8000-000000000001"


def clip(key: str) -> SpokenClip:
    name = f"dictionaries/{DICT}/{key}.ulaw"
    return SpokenClip(key=key, object_name=name, digest=f"sha256:{key}", duration_ms=400, dictionary_id=DICT)


def clips(*keys: str) -> list[SpokenClip]:
    return [clip(k) for k in keys]


def rendered(*keys: str) -> RenderedItem:
    return RenderedItem(keys=list(keys), clips=clips(*keys))


AUDIO: dict[str, Any] = {"type": "audioFile", "audioId": "a-1"}
FORTY_TWO: dict[str, Any] = {"type": "number", "value": 42, "language": "fr"}
MARCH_5: dict[str, Any] = {"type": "date", "value": "2024-03-05", "language": "fr", "mode": "day_month"}


def test_only_number_date_and_word_items_are_sent_to_the_renderer_in_play_order() -> None:
    word = {"type": "word", "value": "and", "language": "fr"}
    assert spoken_items([AUDIO, FORTY_TWO, AUDIO, word, MARCH_5]) == [FORTY_TWO, word, MARCH_5]
    assert spoken_items([AUDIO]) == []


def test_audio_files_and_clips_play_in_item_order_and_clips_in_key_order() -> None:
    plan = plan_prompt([AUDIO, FORTY_TWO, MARCH_5, AUDIO], [rendered("40", "2"), rendered("5", "month_3")])

    assert plan.parts == [
        AudioFilePart("a-1"),
        ClipPart("40", f"dictionaries/{DICT}/40.ulaw", "sha256:40"),
        ClipPart("2", f"dictionaries/{DICT}/2.ulaw", "sha256:2"),
        ClipPart("5", f"dictionaries/{DICT}/5.ulaw", "sha256:5"),
        ClipPart("month_3", f"dictionaries/{DICT}/month_3.ulaw", "sha256:month_3"),
        AudioFilePart("a-1"),
    ]


def test_played_items_record_the_keys_each_spoken_item_said() -> None:
    plan = plan_prompt([AUDIO, FORTY_TWO], [rendered("40", "2")])

    assert plan.played_items == [AUDIO, {**FORTY_TWO, "keys": ["40", "2"]}]
    assert "keys" not in FORTY_TWO  # the engine's item is not changed


def test_an_item_that_cannot_be_said_fails_the_prompt_naming_the_item_and_why() -> None:
    answer = RenderedItem(error="a number item needs a number, got 'abc'")
    item = {"type": "number", "value": "abc", "language": "fr"}

    with pytest.raises(PromptError) as err:
        plan_prompt([AUDIO, item], [answer])

    assert str(err.value) == "item 2 (number 'abc' (fr)) cannot be said: a number item needs a number, got 'abc'"


def test_keys_missing_from_every_dictionary_fail_the_prompt_naming_the_keys() -> None:
    answer = RenderedItem(keys=["40", "2"], clips=clips("2"), missing_keys=["40"])

    with pytest.raises(PromptError) as err:
        plan_prompt([FORTY_TWO], [answer])

    assert str(err.value) == "item 1 (number 42 (fr)): no fr dictionary has a clip for '40'"


@pytest.mark.parametrize(
    ("items", "answers", "message"),
    [
        ([FORTY_TWO, MARCH_5], [rendered("40", "2")], "has 1 items for the 2 asked"),
        ([FORTY_TWO], [RenderedItem(keys=["40", "2"], clips=clips("2", "40"))], "clips do not match the keys"),
        ([FORTY_TWO], [RenderedItem()], "the renderer gave no keys"),
        ([{"type": "audioFile"}], [], "an audioFile item needs audioId"),
        ([{"type": "beep"}], [], "unknown play item type 'beep'"),
    ],
    ids=["fewer-answers", "clips-out-of-order", "no-keys", "audio-without-id", "unknown-type"],
)
def test_a_reply_that_does_not_fit_the_items_fails_the_prompt(
    items: list[dict[str, Any]], answers: list[RenderedItem], message: str
) -> None:
    with pytest.raises(PromptError, match=message):
        plan_prompt(items, answers)


def test_a_prompt_of_audio_files_only_needs_no_render_reply() -> None:
    plan = plan_prompt([AUDIO, {"type": "audioFile", "audioId": "a-2"}], [])
    assert plan.parts == [AudioFilePart("a-1"), AudioFilePart("a-2")]
