"""AMD accuracy and decision time on the generated corpus (``just bench amd`` calls
:func:`run_amd_bench`).

Every clip is fed frame by frame to a fresh :class:`AmdDetector`, exactly as ``live.py`` does
after decoding (frames after the clip's end count as missing packets). "unknown" counts as wrong:
the dialer must act on a call either way.

    python -m callcast_telephony.amd.bench --output amd.json [--clips 400] [--voice both]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from .config import AmdConfig
from .corpus import CorpusClip, generate_corpus
from .detector import BEEP_MIN_MS, AmdDetector, AmdResult
from .voice import FRAME_SAMPLES, VOICE_MODES, VoiceMode

LIMITS = {"accuracy": 0.95, "median_decision_ms": 2500}


def classify_clip(
    clip: CorpusClip, config: AmdConfig, voice: VoiceMode = "both", beep_ms: int | None = BEEP_MIN_MS
) -> AmdResult:
    pcm = clip.pcm()
    detector = AmdDetector(config, voice=voice, beep_ms=beep_ms)
    for start in range(0, pcm.size - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        result = detector.feed(pcm[start : start + FRAME_SAMPLES])
        if result is not None:
            return result
    while detector.result is None:
        detector.feed_silence()
    return detector.result


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _percentile(values: list[int], fraction: float) -> int | None:
    if not values:
        return None
    return int(np.percentile(np.array(values), fraction * 100, method="nearest"))


def score(clips: list[CorpusClip], results: list[AmdResult]) -> dict[str, Any]:
    pairs = list(zip(clips, results, strict=True))
    correct = sum(c.label == r.answered_by for c, r in pairs)

    def count(label: str | None = None, predicted: str | None = None) -> int:
        return sum((label is None or c.label == label) and (predicted is None or r.answered_by == predicted)
                   for c, r in pairs)  # fmt: skip

    decisions = [r.decision_ms for r in results]
    by_reason: dict[str, dict[str, Any]] = {}
    for reason in sorted({r.reason for r in results}):
        chosen = [(c, r) for c, r in pairs if r.reason == reason]
        labels = Counter(c.label for c, _ in chosen)
        by_reason[reason] = {
            "count": len(chosen),
            "human": labels["human"],
            "machine": labels["machine"],
            "mean_confidence": round(statistics.fmean(r.confidence for _, r in chosen), 3),
        }
    by_kind: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "correct": 0})
    for c, r in pairs:
        by_kind[c.kind]["count"] += 1
        by_kind[c.kind]["correct"] += c.label == r.answered_by
    # Does confidence mean something? Accuracy of the decided calls per confidence band.
    calibration: dict[str, Any] = {}
    for low, high in ((0.5, 0.7), (0.7, 0.85), (0.85, 1.01)):
        band = [(c, r) for c, r in pairs if r.answered_by != "unknown" and low <= r.confidence < high]
        calibration[f"{low:.2f}-{min(high, 1.0):.2f}"] = {
            "count": len(band),
            "accuracy": _ratio(sum(c.label == r.answered_by for c, r in band), len(band)),
        }
    right = [r.confidence for c, r in pairs if c.label == r.answered_by]
    wrong = [r.confidence for c, r in pairs if c.label != r.answered_by and r.answered_by != "unknown"]
    calibration["mean_when_right"] = round(statistics.fmean(right), 3) if right else None
    calibration["mean_when_wrong"] = round(statistics.fmean(wrong), 3) if wrong else None
    return {
        "clips": len(pairs),
        "accuracy": _ratio(correct, len(pairs)),
        "machine_precision": _ratio(count("machine", "machine"), count(predicted="machine")),
        "machine_recall": _ratio(count("machine", "machine"), count("machine")),
        "human_precision": _ratio(count("human", "human"), count(predicted="human")),
        "human_recall": _ratio(count("human", "human"), count("human")),
        "unknown_rate": _ratio(count(predicted="unknown"), len(pairs)),
        "median_decision_ms": int(statistics.median(decisions)) if decisions else None,
        "p90_decision_ms": _percentile(decisions, 0.9),
        "by_reason": by_reason,
        "by_kind": dict(sorted(by_kind.items())),
        "confidence_calibration": calibration,
    }


def run_amd_bench(
    *,
    clips: int = 400,
    corpus_dir: Path | None = None,
    config: AmdConfig | None = None,
    voice: VoiceMode = "both",
    beep: bool = True,
    seed: int = 20261203,
    hard_cases: bool = True,
) -> dict[str, Any]:
    """Scores on the issue's corpus (short answers against long greetings: what ``passed``
    judges), and, with ``hard_cases``, on the same seed's corpus that also holds long human
    answers and terse greetings without a beep (reported under ``with_hard_cases``)."""
    config = config or AmdConfig()
    started = time.perf_counter()
    corpus = generate_corpus(clips, corpus_dir, seed=seed)
    generated = time.perf_counter()
    results = [classify_clip(clip, config, voice, BEEP_MIN_MS if beep else None) for clip in corpus]
    classified = time.perf_counter()
    frames = sum(r.decision_ms for r in results) // 20
    report = score(corpus, results)
    report.update(
        {
            "config": config.to_node(),
            "voice": voice,
            "beep_detection": beep,
            "seed": seed,
            "limits": dict(LIMITS),
            "passed": bool(
                (report["accuracy"] or 0) >= LIMITS["accuracy"]
                and (report["median_decision_ms"] or 0) <= LIMITS["median_decision_ms"]
            ),
            "corpus_seconds": round(generated - started, 2),
            "detector_us_per_frame": round((classified - generated) / max(frames, 1) * 1e6, 2),
        }
    )
    if hard_cases:
        hard = generate_corpus(clips, corpus_dir, seed=seed, hard_cases=True)
        hard_results = [classify_clip(clip, config, voice, BEEP_MIN_MS if beep else None) for clip in hard]
        scored = score(hard, hard_results)
        report["with_hard_cases"] = {
            k: scored[k]
            for k in ("clips", "accuracy", "machine_precision", "machine_recall", "human_precision",
                      "human_recall", "unknown_rate", "median_decision_ms", "p90_decision_ms", "by_kind")
        }  # fmt: skip
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Measure answering machine detection on the generated corpus")
    parser.add_argument("--clips", type=int, default=400)
    parser.add_argument("--corpus-dir", type=Path, default=None)
    parser.add_argument("--voice", choices=VOICE_MODES, default="both")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--no-beep", action="store_true", help="rules only, as Asterisk (no beep detection)")
    parser.add_argument("--amd", default=None, help='the Dial node amd object as JSON, e.g. {"greetingMs": 1500}')
    parser.add_argument("--no-hard-cases", action="store_true", help="skip the corpus with the hard cases")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    config = AmdConfig.from_node(json.loads(args.amd)) if args.amd else AmdConfig()
    report = run_amd_bench(clips=args.clips, corpus_dir=args.corpus_dir, config=config, voice=args.voice,
                           beep=not args.no_beep, seed=args.seed, hard_cases=not args.no_hard_cases)  # fmt: skip
    text = json.dumps(report, indent=2)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
