"""What a play node (or a dtmf node's prompt) sends, in order: audio files and dictionary clips.

Pure: the flow engine hands over resolved play items; the ``number``/``date``/``word`` ones are
rendered by the flow service (``rpc.flow.spoken.render``, one reply item per item sent, in
order) into dictionary clips. :func:`plan_prompt` merges both into one ordered list of audio
parts, which the call runner fetches and joins into a single buffer: the whole prompt is one
RTP talkspurt, with no gap between an audio file and the clips of a number, nor between clips.

An item that cannot be said (the renderer's ``error``), a key no dictionary has
(``missingKeys``) or a reply that does not match the request is a :class:`PromptError`: the
play fails, and the flow's error rule decides what happens next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from callcast_contracts.spoken import RenderedItem

#: Play item types spoken from dictionary clips (rendered by the flow service).
SPOKEN_ITEM_TYPES = ("number", "date", "word")


class PromptError(ValueError):
    """The prompt cannot be played as asked; the message says which item and why."""


@dataclass(frozen=True)
class AudioFilePart:
    """An uploaded prompt: ``<orgId>/<audioId>.ulaw`` in the audio object store."""

    audio_id: str


@dataclass(frozen=True)
class ClipPart:
    """One dictionary clip; ``digest`` (``sha256:<hex>`` of the object) keys the clip cache."""

    key: str
    object_name: str
    digest: str


PromptPart = AudioFilePart | ClipPart


@dataclass(frozen=True)
class PromptPlan:
    parts: list[PromptPart]
    #: The items as played, for the call's ``PromptPlayed`` event: spoken items gain ``keys``
    #: (the dictionary keys said, in order), so a report shows what the callee heard.
    played_items: list[dict[str, Any]]


def is_spoken(item: dict[str, Any]) -> bool:
    return item.get("type") in SPOKEN_ITEM_TYPES


def spoken_items(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items to send to the renderer, in play order (audio files are played by id)."""
    return [item for item in items if is_spoken(item)]


def describe(item: dict[str, Any]) -> str:
    """``number 42 (fr)``, ``audioFile 0192…``: how an error names an item."""
    if item.get("type") == "audioFile":
        return f"audioFile {item.get('audioId')}"
    return f"{item.get('type')} {item.get('value')!r} ({item.get('language')})"


def plan_prompt(items: Sequence[dict[str, Any]], rendered: Sequence[RenderedItem]) -> PromptPlan:
    """The parts to play for ``items``; ``rendered`` answers :func:`spoken_items` ``(items)``."""
    wanted = spoken_items(items)
    if len(rendered) != len(wanted):
        raise PromptError(
            f"the spoken-content reply has {len(rendered)} items for the {len(wanted)} asked (a flow service bug?)"
        )
    answers = iter(rendered)
    parts: list[PromptPart] = []
    played: list[dict[str, Any]] = []
    for position, item in enumerate(items, start=1):
        if item.get("type") == "audioFile":
            audio_id = item.get("audioId")
            if not isinstance(audio_id, str) or not audio_id:
                raise PromptError(f"item {position}: an audioFile item needs audioId")
            parts.append(AudioFilePart(audio_id))
            played.append(dict(item))
            continue
        if not is_spoken(item):
            raise PromptError(f"item {position}: unknown play item type {item.get('type')!r}")
        answer = next(answers)
        parts.extend(_clip_parts(position, item, answer))
        played.append({**item, "keys": list(answer.keys)})
    return PromptPlan(parts=parts, played_items=played)


def _clip_parts(position: int, item: dict[str, Any], answer: RenderedItem) -> list[ClipPart]:
    where = f"item {position} ({describe(item)})"
    if answer.error is not None:
        raise PromptError(f"{where} cannot be said: {answer.error}")
    if answer.missing_keys:
        language = item.get("language")
        missing = ", ".join(repr(k) for k in answer.missing_keys)
        raise PromptError(f"{where}: no {language} dictionary has a clip for {missing}")
    if not answer.keys:
        raise PromptError(f"{where}: the renderer gave no keys to say")
    if [clip.key for clip in answer.clips] != list(answer.keys):
        raise PromptError(f"{where}: the clips do not match the keys {list(answer.keys)} (a flow service bug?)")
    return [ClipPart(key=c.key, object_name=c.object_name, digest=c.digest) for c in answer.clips]
