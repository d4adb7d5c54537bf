"""The AMD decision rules, as a pure state machine advanced one 20 ms frame at a time.

Time is the number of frames fed, not the wall clock: a caller (``live.py``) feeds one frame per
20 ms slot and calls :meth:`AmdDetector.feed_silence` for a slot in which no packet arrived, so
silence accumulates even when the far end sends nothing (as Asterisk counts missing frames).

The rules follow Asterisk ``app_amd`` (see docs/amd.md for the deliberate differences):

* a run of at least ``minWordLengthMs`` voice after at least ``betweenWordsSilenceMs`` silence is
  a word; the first word starts the greeting;
* ``maximumWordLengthMs`` of unbroken voice → machine ``long_word``;
* the word count reaching ``maximumNumberOfWords`` → machine ``max_words`` (Asterisk's ``>=``);
* ``greetingMs`` of voice in the greeting → machine ``long_greeting``;
* ``afterGreetingSilenceMs`` of silence after a greeting → human ``short_greeting_then_silence``;
* ``initialSilenceMs`` of silence before any word → **unknown** ``initial_silence`` (Asterisk says
  MACHINE; we do not: silence is no evidence of a recording, people screening calls wait for the
  caller to speak, and voicemail systems play their greeting at once);
* ``totalAnalysisMs`` without a decision → unknown ``max_analysis_time``.

Confidence (0..1) says how far the call was from the opposite decision when it was made:

* machine: ``0.5 + 0.5 × (1 − longest pause in the greeting / afterGreetingSilenceMs)`` — a
  greeting spoken without a breath is certain, one with a pause nearly long enough to be read
  as "hello? …" is a coin toss;
* human: ``0.5 + 0.5 × min(1 − voice / greetingMs, 1 − words / maximumNumberOfWords)`` — a lone
  "yes?" is certain, a greeting just short of every machine limit is not;
* unknown: 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .config import AmdConfig
from .voice import FRAME_SAMPLES, Analyzer, FrameAnalyzer, FrameFeatures, VoiceMode

AnsweredBy = Literal["human", "machine", "unknown"]
FRAME_MS = 20

HUMAN_REASONS = ("short_greeting_then_silence",)
MACHINE_REASONS = ("long_greeting", "max_words", "long_word", "beep")
BEEP_MIN_MS = 240
UNKNOWN_REASONS = ("initial_silence", "max_analysis_time")
REASONS = HUMAN_REASONS + MACHINE_REASONS + UNKNOWN_REASONS


@dataclass(frozen=True)
class AmdResult:
    answered_by: AnsweredBy
    confidence: float  # 0..1, see the module docstring
    reason: str  # one of REASONS: a stable snake_case code
    decision_ms: int  # audio time since answer when the decision was made
    words: int  # words counted in the greeting
    greeting_ms: int  # voice heard (the quantity greetingMs bounds)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


_MISSING = FrameFeatures(voiced=False)


class AmdDetector:
    def __init__(
        self,
        config: AmdConfig | None = None,
        *,
        voice: VoiceMode = "both",
        beep_ms: int | None = BEEP_MIN_MS,
        analyzer: FrameAnalyzer | None = None,
    ) -> None:
        self.config = config or AmdConfig()
        self.beep_ms = beep_ms
        self._analyzer = analyzer or Analyzer(voice, self.config.silenceThreshold, detect_tones=beep_ms is not None)
        self.result: AmdResult | None = None
        self.elapsed_ms = 0
        self.words = 0
        self.voice_ms = 0
        self._silence_ms = 0  # silence since the last word; a blip shorter than a word does not end it
        self._gap_ms = 0  # silence since the last voiced frame: what separates words
        self._word_voice_ms = 0  # consecutive voice of the current word (short gaps included)
        self._in_word = False
        self._in_greeting = False
        self._longest_pause_ms = 0  # longest silence run since the greeting started
        self._tone_ms = 0

    @property
    def decided(self) -> bool:
        return self.result is not None

    def feed(self, pcm_frame: npt.NDArray[np.int16]) -> AmdResult | None:
        """One 20 ms frame (160 samples of 8 kHz 16-bit PCM); the result once decided."""
        if self.result is not None:
            return self.result
        if pcm_frame.shape != (FRAME_SAMPLES,):
            raise ValueError(f"a frame is {FRAME_SAMPLES} samples (20 ms at 8 kHz), not {pcm_frame.shape}")
        return self._advance(self._analyzer.analyze(pcm_frame))

    def feed_silence(self) -> AmdResult | None:
        """A 20 ms slot in which no audio arrived: silence, as in Asterisk."""
        if self.result is not None:
            return self.result
        return self._advance(_MISSING)

    def finish(self) -> AmdResult:
        """The decision, or ``max_analysis_time`` if the audio ended before one."""
        if self.result is None:
            self.result = self._unknown("max_analysis_time")
        return self.result

    # -- the rules ---------------------------------------------------------------------------

    def _advance(self, frame: FrameFeatures) -> AmdResult | None:
        cfg = self.config
        self.elapsed_ms += FRAME_MS
        if self.elapsed_ms >= cfg.totalAnalysisMs:
            return self._decide(self._unknown("max_analysis_time"))
        self._tone_ms = self._tone_ms + FRAME_MS if frame.tonal else 0
        if self.beep_ms is not None and self._tone_ms >= self.beep_ms:
            return self._decide(self._result("machine", 0.95, "beep"))
        if frame.voiced:
            return self._on_voice()
        self._silence_ms += FRAME_MS
        self._gap_ms += FRAME_MS
        if self._in_greeting:
            self._longest_pause_ms = max(self._longest_pause_ms, self._silence_ms)
        if self._gap_ms >= cfg.betweenWordsSilenceMs:
            self._in_word = False
            self._word_voice_ms = 0
        if not self._in_greeting and self._silence_ms >= cfg.initialSilenceMs:
            return self._decide(self._unknown("initial_silence"))
        if self._in_greeting and self._silence_ms >= cfg.afterGreetingSilenceMs:
            return self._decide(self._human())
        return None

    def _on_voice(self) -> AmdResult | None:
        cfg = self.config
        self._gap_ms = 0
        self._word_voice_ms += FRAME_MS
        self.voice_ms += FRAME_MS
        if self._word_voice_ms >= cfg.minWordLengthMs:
            self._silence_ms = 0
            if not self._in_word:
                self._in_word = True
                self.words += 1
            self._in_greeting = True
        if self._word_voice_ms >= cfg.maximumWordLengthMs:
            return self._decide(self._machine("long_word"))
        if self.words >= cfg.maximumNumberOfWords:
            return self._decide(self._machine("max_words"))
        if self._in_greeting and self.voice_ms >= cfg.greetingMs:
            return self._decide(self._machine("long_greeting"))
        return None

    def _decide(self, result: AmdResult) -> AmdResult:
        self.result = result
        return result

    def _machine(self, reason: str) -> AmdResult:
        pause = min(self._longest_pause_ms / self.config.afterGreetingSilenceMs, 1.0)
        return self._result("machine", 0.5 + 0.5 * (1.0 - pause), reason)

    def _human(self) -> AmdResult:
        cfg = self.config
        margin = min(1.0 - self.voice_ms / cfg.greetingMs, 1.0 - self.words / cfg.maximumNumberOfWords)
        return self._result("human", 0.5 + 0.5 * max(margin, 0.0), "short_greeting_then_silence")

    def _unknown(self, reason: str) -> AmdResult:
        return self._result("unknown", 0.0, reason)

    def _result(self, answered_by: AnsweredBy, confidence: float, reason: str) -> AmdResult:
        return AmdResult(
            answered_by=answered_by,
            confidence=round(min(max(confidence, 0.0), 1.0), 3),
            reason=reason,
            decision_ms=self.elapsed_ms,
            words=self.words,
            greeting_ms=self.voice_ms,
        )
