"""The collector settings for media processes: what is frozen, the thresholds, the pause probe."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from callcast_runtime.gc_tuning import DEFAULT_THRESHOLDS, GcPauses, tune_gc_for_media

pytestmark = pytest.mark.unit


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tuning_freezes_what_is_alive_and_sets_the_thresholds(restored_gc: None) -> None:
    gc.unfreeze()
    kept = [[i] for i in range(1000)]  # tracked objects alive at "start-up"
    tuning = tune_gc_for_media()
    assert gc.get_threshold() == DEFAULT_THRESHOLDS == tuning.thresholds
    assert tuning.frozen_objects == gc.get_freeze_count() >= len(kept)
    collectable = {id(o) for o in gc.get_objects()}  # frozen objects are in no generation
    assert not any(id(x) in collectable for x in kept)


def test_tuning_without_freeze_only_sets_thresholds(restored_gc: None) -> None:
    gc.unfreeze()
    tuning = tune_gc_for_media((5000, 5, 50), freeze=False)
    assert gc.get_freeze_count() == 0
    assert tuning.frozen_objects == 0
    assert gc.get_threshold() == (5000, 5, 50)


def test_a_zero_threshold_is_refused(restored_gc: None) -> None:
    with pytest.raises(ValueError, match="positive"):
        tune_gc_for_media((0, 10, 10))


def test_pauses_are_counted_per_generation_while_installed() -> None:
    with GcPauses() as pauses:
        gc.collect(0)
        gc.collect(2)
    gc.collect(1)  # after the block: not counted
    summary = pauses.summary()
    assert summary["gen0"]["collections"] == 1
    assert summary["gen2"]["collections"] == 1
    assert "gen1" not in summary
    assert abs(pauses.max_ms - max(g["max_ms"] for g in summary.values())) < 0.01
    assert pauses._callback not in gc.callbacks
