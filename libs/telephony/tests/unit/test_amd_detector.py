"""The AMD rules on synthetic frames: loud frames are voice, quiet ones and missing packets silence."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcast_telephony.amd import REASONS, AmdConfig, AmdDetector, AmdResult
from callcast_telephony.amd.config import _LIMITS
from callcast_telephony.amd.detector import HUMAN_REASONS, MACHINE_REASONS, UNKNOWN_REASONS

pytestmark = pytest.mark.unit

_T = np.arange(160) / 8000


def tone(hz: float = 300.0, amplitude: float = 3000.0, frame: int = 0) -> npt.NDArray[np.int16]:
    t = _T + frame * 0.02  # phase-continuous across frames
    return (np.sin(2 * math.pi * hz * t) * amplitude).astype(np.int16)


QUIET = np.zeros(160, dtype=np.int16)
LOUD = tone()


def rules_only(config: AmdConfig | None = None) -> AmdDetector:
    """Asterisk's energy rule and no beep detection: the frames' loudness alone decides."""
    return AmdDetector(config or AmdConfig(), voice="energy", beep_ms=None)


def play(detector: AmdDetector, pattern: list[tuple[str, int]]) -> AmdResult | None:
    """Feed ``("voice"|"quiet"|"missing", ms)`` runs; return the first decision."""
    for kind, ms in pattern:
        for _ in range(ms // 20):
            if kind == "voice":
                result = detector.feed(LOUD)
            elif kind == "quiet":
                result = detector.feed(QUIET)
            else:
                result = detector.feed_silence()
            if result is not None:
                return result
    return None


def test_nothing_but_missing_packets_is_initial_silence_and_unknown() -> None:
    result = play(rules_only(), [("missing", 3000)])
    assert result is not None
    assert (result.answered_by, result.reason, result.decision_ms, result.confidence) == (
        "unknown", "initial_silence", 2500, 0.0
    )  # fmt: skip


def test_quiet_frames_count_like_missing_ones() -> None:
    result = play(rules_only(), [("quiet", 1000), ("missing", 1000), ("quiet", 1000)])
    assert result is not None
    assert (result.reason, result.decision_ms) == ("initial_silence", 2500)


def test_a_short_answer_then_silence_is_human() -> None:
    result = play(rules_only(), [("quiet", 400), ("voice", 300), ("missing", 2000)])
    assert result is not None
    assert (result.answered_by, result.reason) == ("human", "short_greeting_then_silence")
    assert (result.decision_ms, result.words, result.greeting_ms) == (400 + 300 + 800, 1, 300)
    assert result.confidence == pytest.approx(0.5 + 0.5 * min(1 - 300 / 1200, 1 - 1 / 4))


def test_the_fourth_word_is_a_machine() -> None:
    words = [("voice", 200), ("quiet", 200)] * 4
    result = play(rules_only(), words)
    assert result is not None
    assert (result.answered_by, result.reason, result.words) == ("machine", "max_words", 4)
    assert result.decision_ms == 3 * 400 + 100  # counted once the 4th run is minWordLengthMs long
    assert result.confidence == pytest.approx(0.5 + 0.5 * (1 - 200 / 800))


def test_word_count_follows_maximum_number_of_words() -> None:
    words = [("voice", 200), ("quiet", 200)] * 2 + [("missing", 1000)]
    assert play(rules_only(AmdConfig(maximumNumberOfWords=2)), words).reason == "max_words"  # type: ignore[union-attr]
    assert play(rules_only(AmdConfig(maximumNumberOfWords=3)), words).answered_by == "human"  # type: ignore[union-attr]


def test_a_long_greeting_is_a_machine_and_sure_without_pauses() -> None:
    result = play(rules_only(), [("quiet", 200), ("voice", 3000)])
    assert result is not None
    assert (result.answered_by, result.reason, result.decision_ms) == ("machine", "long_greeting", 200 + 1200)
    assert result.confidence == 1.0


def test_a_pause_in_the_greeting_lowers_the_machine_confidence() -> None:
    paused = play(rules_only(), [("voice", 400), ("quiet", 600), ("voice", 2000)])
    steady = play(rules_only(), [("voice", 400), ("quiet", 200), ("voice", 2000)])
    assert paused is not None
    assert steady is not None
    assert paused.reason == steady.reason == "long_greeting"
    assert paused.confidence == pytest.approx(0.5 + 0.5 * (1 - 600 / 800))
    assert paused.confidence < steady.confidence


def test_one_unbroken_sound_longer_than_a_word_can_be_is_a_machine() -> None:
    config = AmdConfig(greetingMs=6000, maximumWordLengthMs=1000)
    result = play(rules_only(config), [("voice", 3000)])
    assert result is not None
    assert (result.answered_by, result.reason, result.decision_ms) == ("machine", "long_word", 1000)


@pytest.mark.parametrize(("gap_ms", "words"), [(100, 1), (140, 1), (160, 2), (400, 2)])
def test_only_gaps_of_between_words_silence_split_words(gap_ms: int, words: int) -> None:
    result = play(rules_only(), [("voice", 200), ("quiet", gap_ms), ("voice", 200), ("missing", 2000)])
    assert result is not None
    assert (result.answered_by, result.words) == ("human", words)


def test_blips_shorter_than_a_word_neither_start_a_greeting_nor_break_the_silence() -> None:
    result = play(rules_only(), [("quiet", 440), ("voice", 60)] * 10)
    assert result is not None
    assert (result.reason, result.words) == ("initial_silence", 0)
    assert result.decision_ms == 2500 + 5 * 60  # silence counted around the blips, not reset by them


def test_undecided_at_total_analysis_time_is_unknown() -> None:
    config = AmdConfig(greetingMs=30_000, maximumNumberOfWords=100)
    result = play(rules_only(config), [("voice", 200), ("quiet", 400)] * 20)
    assert result is not None
    assert (result.answered_by, result.reason, result.decision_ms) == ("unknown", "max_analysis_time", 5000)


def test_a_decision_is_final() -> None:
    detector = rules_only()
    decided = play(detector, [("voice", 2000)])
    assert detector.feed(QUIET) is decided
    assert detector.feed_silence() is decided
    assert detector.finish() is decided
    assert detector.elapsed_ms == 1200


def test_finish_before_a_decision_is_max_analysis_time() -> None:
    detector = rules_only()
    play(detector, [("voice", 300)])
    result = detector.finish()
    assert (result.answered_by, result.reason, result.decision_ms) == ("unknown", "max_analysis_time", 300)


def test_frames_must_be_20_ms() -> None:
    with pytest.raises(ValueError, match="160 samples"):
        rules_only().feed(np.zeros(80, dtype=np.int16))


def test_a_steady_pure_tone_is_a_voicemail_beep() -> None:
    detector = AmdDetector()
    for _ in range(15):
        assert detector.feed(QUIET) is None
    result = None
    for frame in range(50):
        result = detector.feed(tone(1000.0, 8000.0, frame))
        if result is not None:
            break
    assert result is not None
    assert (result.answered_by, result.reason) == ("machine", "beep")
    assert 300 + 240 <= result.decision_ms <= 300 + 240 + 40


def test_a_tone_gliding_like_an_intonation_is_no_beep() -> None:
    detector = AmdDetector(voice="energy")
    phase = 0.0
    for frame in range(60):
        hz = 200.0 + 60.0 * frame  # pure, but never at the previous frame's pitch
        samples = np.sin(phase + 2 * math.pi * hz * _T)
        phase += 2 * math.pi * hz * 0.02
        result = detector.feed((samples * 3000).astype(np.int16))
        if result is not None:
            break
    assert result is not None
    assert result.reason != "beep"


frames = st.lists(st.sampled_from(["voice", "quiet", "missing"]), max_size=400)
configs = st.fixed_dictionaries(
    {},
    optional={
        name: st.integers(low, min(high, 8000)) for name, (low, high) in _LIMITS.items() if name != "silenceThreshold"
    },
)


@settings(max_examples=200, deadline=None)
@given(configs, frames)
def test_a_decision_always_comes_by_total_analysis_time(node: dict[str, int], pattern: list[str]) -> None:
    config = AmdConfig.from_node(node)
    detector = rules_only(config)
    result = play(detector, [(kind, 20) for kind in pattern])
    while result is None:
        result = detector.feed_silence()
    assert result.decision_ms <= math.ceil(config.totalAnalysisMs / 20) * 20
    assert result.reason in REASONS
    group = {"human": HUMAN_REASONS, "machine": MACHINE_REASONS, "unknown": UNKNOWN_REASONS}[result.answered_by]
    assert result.reason in group
    assert 0.0 <= result.confidence <= 1.0
    assert (result.confidence == 0.0) == (result.answered_by == "unknown")
    assert result.greeting_ms <= result.decision_ms
    assert result.words <= config.maximumNumberOfWords


@given(st.integers(100, 30_000), st.integers(500, 60_000))
def test_all_missing_packets_give_the_initial_silence_decision(initial: int, total: int) -> None:
    detector = rules_only(AmdConfig(initialSilenceMs=initial, totalAnalysisMs=total))
    result = None
    while result is None:
        result = detector.feed_silence()
    if math.ceil(initial / 20) < math.ceil(total / 20):
        assert (result.answered_by, result.reason) == ("unknown", "initial_silence")
        assert result.decision_ms == math.ceil(initial / 20) * 20
    else:
        assert (result.reason, result.decision_ms) == ("max_analysis_time", math.ceil(total / 20) * 20)


audio_frames = st.lists(
    st.tuples(st.sampled_from(["noise", "tone", "quiet", "missing"]), st.integers(0, 12000), st.integers(300, 3000)),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(audio_frames)
def test_the_full_analyzer_also_decides_by_total_analysis_time(pattern: list[tuple[str, int, int]]) -> None:
    detector = AmdDetector()  # webrtcvad + adaptive energy + beep detection
    rng = np.random.default_rng(0)
    result = None
    for n, (kind, level, hz) in enumerate(pattern):
        if kind == "missing":
            result = detector.feed_silence()
        elif kind == "quiet":
            result = detector.feed(QUIET)
        elif kind == "tone":
            result = detector.feed(tone(hz, level, n))
        else:
            result = detector.feed((rng.standard_normal(160) * level).clip(-32768, 32767).astype(np.int16))
        if result is not None:
            break
    while result is None:
        result = detector.feed_silence()
    assert result.decision_ms <= 5000
    assert result.reason in REASONS
