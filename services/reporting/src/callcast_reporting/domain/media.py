"""Per-attempt media statistics, accumulated from the dialer's PromptPlayed facts."""

from __future__ import annotations

from typing import Any

from callcast_contracts.events import PromptPlayed


def add_prompt(media: dict[str, Any], prompt: PromptPlayed) -> dict[str, Any]:
    """The attempt's media stats after one more prompt (``media`` is ``{}`` before the first)."""

    def total(key: str, value: float) -> Any:
        return media.get(key, 0) + value

    def peak(key: str, value: float | None) -> float | None:
        old = media.get(key)
        candidates = [v for v in (old, value) if v is not None]
        return max(candidates) if candidates else None

    return {
        "promptsPlayed": total("promptsPlayed", 1),
        "playedMs": total("playedMs", prompt.duration_ms),
        "packetsSent": total("packetsSent", prompt.packets_sent),
        "packetsReceived": total("packetsReceived", prompt.packets_received),
        "maxReceiveGapMs": peak("maxReceiveGapMs", prompt.max_receive_gap_ms),
        "maxSendLatenessMs": peak("maxSendLatenessMs", prompt.max_send_lateness_ms),
        "promptsInterrupted": total("promptsInterrupted", 1 if prompt.interrupted else 0),
    }
