"""ToneBlocks: the plain-crop shortlist of a scale index, read a few blocks at a time."""

from __future__ import annotations

import numpy as np
import pytest

from artistshield.fingerprint import tones


def _histograms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Tone histograms like drawings': a few strong tones each, shares of 255."""
    rows = np.zeros((n, tones.BINS), np.float64)
    for row in rows:
        strong = rng.choice(tones.BINS, rng.integers(1, 5), replace=False)
        row[strong] = rng.random(len(strong)) + 0.05
    rows /= rows.sum(axis=1, keepdims=True)
    out = np.round(rows * 255).astype(np.uint8)
    out[rng.random(n) < 0.02] = 0  # works without a structure picture
    return out


def _brute_force(query: np.ndarray, rows: np.ndarray, count: int) -> list[int]:
    have = np.nonzero(rows.max(axis=1) > 0)[0]
    held, shared = tones.scores(query, rows[have])
    order = np.lexsort((have, -shared, -held))[:count]
    return [int(have[i]) for i in order]


def test_blocks_rank_as_scoring_every_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tones, "BLOCK", 64)
    monkeypatch.setattr(tones, "MOST_BLOCKS", 10_000)
    rng = np.random.default_rng(3)
    rows = _histograms(rng, 5000)
    blocks = tones.ToneBlocks.build(rows)
    for i in range(25):
        query = rows[i * 37].astype(np.float32) / 255.0
        if query.sum() == 0:
            continue
        assert blocks.search(query, 16) == _brute_force(query, rows, 16)


def test_search_stops_after_most_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tones, "BLOCK", 16)
    monkeypatch.setattr(tones, "MOST_BLOCKS", 3)
    rows = _histograms(np.random.default_rng(4), 2000)
    blocks = tones.ToneBlocks.build(rows)
    read: list[int] = []
    original = blocks.tones

    class Counting:
        def __len__(self) -> int:
            return len(original)

        def __getitem__(self, where: slice) -> np.ndarray:
            read.append(where.start)
            return original[where]

    blocks.tones = Counting()  # type: ignore[assignment]
    query = rows[0].astype(np.float32) / 255.0
    found = blocks.search(query, 16)
    assert 0 < len(read) <= 3
    assert len(found) == 16


def test_own_histogram_comes_first_and_round_trips(tmp_path) -> None:
    rows = _histograms(np.random.default_rng(5), 3000)
    rows[1234] = 0
    rows[1234, [3, 17]] = [200, 55]  # a two-tone work
    tones.ToneBlocks.build(rows).save(tmp_path)
    opened = tones.ToneBlocks.open(tmp_path)
    assert len(opened) == 3000
    found = opened.search(rows[1234].astype(np.float32) / 255.0, 16)
    held, _ = tones.scores(rows[1234].astype(np.float32) / 255.0, rows[1234:1235])
    assert 1234 in found
    assert held[0] == pytest.approx(1.0)


def test_works_without_tones_are_never_candidates() -> None:
    rows = np.zeros((100, tones.BINS), np.uint8)
    rows[7, 5] = 255
    found = tones.ToneBlocks.build(rows).search(np.eye(tones.BINS, dtype=np.float32)[5], 16)
    assert found == [7]
