"""AMD tuning: the Asterisk ``app_amd`` parameters, spelled as the Dial node's ``amd`` keys.

The field names are the node's camelCase keys on purpose, so a flow's ``amd`` object, this
dataclass and the documentation use one vocabulary. Defaults are ``app_amd``'s compiled-in values
(``maximumNumberOfWords`` 3 in its code, 2 in the sample ``amd.conf``) except three, changed
because the labelled corpus measured them worse (tuned on one seed, checked on another; figures
in docs/amd.md):

* ``betweenWordsSilenceMs`` 150 (Asterisk 50): 50 ms gaps occur inside words (stop consonants,
  a voice detector's flicker), so "Good morning" counted three "words" and people became
  machines by word count;
* ``maximumNumberOfWords`` 4 (Asterisk 3): "Allô, oui, c'est qui ?" is three talk spurts;
* ``greetingMs`` 1200 (Asterisk 1500): voicemail is recognised 300 ms sooner, which keeps the
  median decision within 2.5 s of the answer, and answers people give rarely hold 1.2 s of voice
  before a pause.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

# (minimum, maximum) accepted for each key. The upper bounds keep a typo (seconds given as
# milliseconds times 1000) from turning AMD into a minute-long wait on every call.
_LIMITS: dict[str, tuple[int, int]] = {
    "initialSilenceMs": (100, 30_000),
    "greetingMs": (100, 30_000),
    "afterGreetingSilenceMs": (100, 10_000),
    "totalAnalysisMs": (500, 60_000),
    "minWordLengthMs": (20, 2_000),
    "betweenWordsSilenceMs": (20, 2_000),
    "maximumNumberOfWords": (1, 100),
    "maximumWordLengthMs": (100, 60_000),
    "silenceThreshold": (1, 32_767),
}


@dataclass(frozen=True)
class AmdConfig:
    initialSilenceMs: int = 2500
    greetingMs: int = 1200
    afterGreetingSilenceMs: int = 800
    totalAnalysisMs: int = 5000
    minWordLengthMs: int = 100
    betweenWordsSilenceMs: int = 150
    maximumNumberOfWords: int = 4
    maximumWordLengthMs: int = 5000
    silenceThreshold: int = 256  # mean |sample| of a 20 ms frame (16-bit linear) below which it is silent

    def __post_init__(self) -> None:
        for name, (low, high) in _LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"amd.{name} must be an integer, not {type(value).__name__}")
            if not low <= value <= high:
                raise ValueError(f"amd.{name} must be between {low} and {high}, not {value}")

    @classmethod
    def from_node(cls, amd: Mapping[str, Any] | None) -> AmdConfig:
        """Build from a Dial node's ``amd`` object (``None`` or ``{}``: all defaults).

        Strict like every Callcast input: unknown keys, non-integers (a JSON ``1.0`` or ``true``
        included) and out-of-range values raise :class:`ValueError` naming the key.
        """
        if amd is None:
            return cls()
        if not isinstance(amd, Mapping):
            raise ValueError(f"amd must be an object, not {type(amd).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in amd if key not in known)
        if unknown:
            raise ValueError(f"amd.{unknown[0]} is not a known AMD parameter (known: {', '.join(sorted(known))})")
        return cls(**dict(amd))

    def to_node(self) -> dict[str, int]:
        return asdict(self)
