"""AMD against a small freshly synthesised corpus (espeak-ng + sox): the full pipeline, untimed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from callcast_telephony.amd import AmdConfig
from callcast_telephony.amd.bench import classify_clip, run_amd_bench
from callcast_telephony.amd.corpus import generate_corpus, plan_corpus

pytestmark = pytest.mark.integration

needs_tools = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are needed: `uv run just tools`",
)


@needs_tools
def test_thirty_generated_clips_are_mostly_classified_right(tmp_path: Path) -> None:
    clips = generate_corpus(30, tmp_path, seed=31)
    assert {c.label for c in clips} == {"human", "machine"}
    results = [classify_clip(clip, AmdConfig()) for clip in clips]
    right = sum(clip.label == result.answered_by for clip, result in zip(clips, results, strict=True))
    assert right / len(clips) >= 0.9, [(c.clip_id, c.text, r) for c, r in zip(clips, results, strict=True)]


@needs_tools
def test_the_corpus_is_reproducible_and_cached(tmp_path: Path) -> None:
    first = generate_corpus(6, tmp_path / "a", seed=5)
    second = generate_corpus(6, tmp_path / "b", seed=5)
    assert [c.ulaw() for c in first] == [c.ulaw() for c in second]
    assert [c.path.name for c in first] == [c.path.name for c in second]
    stamp = first[0].path.stat().st_mtime_ns
    generate_corpus(6, tmp_path / "a", seed=5)
    assert first[0].path.stat().st_mtime_ns == stamp  # reused, not rendered again
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert [c["clip_id"] for c in manifest["clips"]] == [c.clip_id for c in first]
    assert {c["label"] for c in manifest["clips"]} <= {"human", "machine"}
    assert all(len(c.ulaw()) == 6 * 8000 for c in first)


def test_plans_differ_by_seed_and_mix_the_labels() -> None:
    plan = plan_corpus(40, seed=1)
    assert plan != plan_corpus(40, seed=2)
    assert sum(r.label == "human" for r in plan) == 20
    assert len({r.language for r in plan}) == 3
    assert len({r.noise for r in plan}) == 3


@needs_tools
def test_the_benchmark_reports_every_figure(tmp_path: Path) -> None:
    report = run_amd_bench(clips=12, corpus_dir=tmp_path)
    for key in ("clips", "accuracy", "machine_precision", "machine_recall", "human_precision", "human_recall",
                "unknown_rate", "median_decision_ms", "p90_decision_ms", "by_reason", "config", "limits"):  # fmt: skip
        assert key in report
    assert report["clips"] == 12
    assert report["limits"] == {"accuracy": 0.95, "median_decision_ms": 2500}
    assert sum(r["count"] for r in report["by_reason"].values()) == 12
    assert report["config"] == AmdConfig().to_node()
