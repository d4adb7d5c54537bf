"""What the engine asks its driver (the dialer or the simulator) to do next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Dial:
    """Place the call. ``implicit``: no dial node came first, so the engine asks for the call
    (defaults, no AMD) before the node ``node_id``, which needs a live call."""

    node_id: str
    timeout_ms: int
    enable_amd: bool
    amd: dict[str, Any] = field(default_factory=dict)
    implicit: bool = False


@dataclass(frozen=True)
class Play:
    """Play items in order; each item is resolved (values already substituted). ``barge_in``:
    a key press stops the prompt (the key is kept for the next dtmf node)."""

    node_id: str
    items: list[dict[str, Any]]
    barge_in: bool = False


@dataclass(frozen=True)
class CollectDigits:
    """Play ``prompt`` (may be empty), then collect keys as ``config`` says (every default filled
    in: ``mode``, ``maxDigits``, ``timeoutMs``, ``interDigitTimeoutMs``, ``finishOnKey``).
    ``attempt`` counts re-prompts after a timeout or an invalid entry (1 = the first).
    ``barge_in`` (default true): the first key stops the prompt and counts as input."""

    node_id: str
    config: dict[str, Any]
    prompt: list[dict[str, Any]]
    attempt: int = 1
    barge_in: bool = True


@dataclass(frozen=True)
class Record:
    node_id: str
    max_duration_sec: int
    silence_timeout_sec: int
    beep: bool


@dataclass(frozen=True)
class Hangup:
    """Hang up the call (if one is up), then the run is finished with ``outcome``."""

    node_id: str | None
    outcome: str
    reason: str | None = None


@dataclass(frozen=True)
class Finished:
    """Nothing more to do: the call is already down or never came up."""

    outcome: str
    reason: str | None = None


Action = Dial | Play | CollectDigits | Record | Hangup | Finished
