"""A prompt's audio, ready to send: every item's audio joined into one μ-law buffer.

Audio files are read by id; ``number``/``date``/``word`` items are rendered by the flow service
into dictionary clips, read by object name and cached by digest (:class:`AudioStore`). The
parts are joined before anything is sent, so the prompt leaves as one RTP talkspurt with no gap
between items or clips (see ``callcast_dialer.domain.prompt``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from callcast_dialer.adapters.audio_store import AudioNotFound, AudioStore
from callcast_dialer.adapters.spoken_renderer import SpokenRenderer, SpokenRenderFailed
from callcast_dialer.domain.prompt import AudioFilePart, PromptError, PromptPart, plan_prompt, spoken_items

#: Everything that makes a prompt unplayable; the message says what (a node error in the flow).
PROMPT_FAILURES = (AudioNotFound, SpokenRenderFailed, PromptError)


@dataclass(frozen=True)
class PromptAudio:
    #: 8 kHz G.711 μ-law, every part back to back.
    ulaw: bytes
    #: The items as played: spoken ones carry the dictionary ``keys`` said.
    items: list[dict[str, Any]]


class PromptAssembler:
    def __init__(self, *, audio: AudioStore, spoken: SpokenRenderer) -> None:
        self.audio = audio
        self.spoken = spoken

    async def assemble(self, org_id: str, items: list[dict[str, Any]]) -> PromptAudio:
        """Raises one of :data:`PROMPT_FAILURES` when a part cannot be had."""
        wanted = spoken_items(items)
        rendered = await self.spoken.render(org_id, wanted) if wanted else []
        plan = plan_prompt(items, rendered)
        chunks = await asyncio.gather(*(self._part(org_id, part) for part in plan.parts))
        return PromptAudio(ulaw=b"".join(chunks), items=plan.played_items)

    async def _part(self, org_id: str, part: PromptPart) -> bytes:
        if isinstance(part, AudioFilePart):
            return await self.audio.ulaw(org_id, part.audio_id)
        return await self.audio.clip(part.object_name, part.digest)
