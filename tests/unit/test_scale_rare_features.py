"""A copy that keeps few of a work's features still brings the work to verification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")

from artistshield.fingerprint import pdq, scale, tones

WORKS = 1000
CROWD = 100
"""Works drawn on one template: each holds the template's corners, a bit off."""
TRUE = 999
"""The work the query is a stickered copy of: three of its kept features survive."""


def _index(folder: Path, rng: np.random.Generator) -> tuple[scale.ScaleIndex, np.ndarray]:
    codes = rng.integers(0, 2**64, (WORKS, scale.FEATURES_PER_WORK), dtype=np.uint64)
    template = rng.integers(0, 2**64, 10, dtype=np.uint64)
    for work in range(CROWD):  # flips above the hash bits keep them in the template's buckets
        flips = np.uint64(1) << rng.integers(scale.HASH_BITS, 64, 10).astype(np.uint64)
        codes[work, :10] = template ^ flips
    query = np.concatenate([template, codes[TRUE, :3], rng.integers(0, 2**64, 20, dtype=np.uint64)])
    index = scale.ScaleIndex(folder)
    index.write_summaries(
        rng.integers(0, 256, (WORKS, pdq.HASH_BYTES), dtype=np.uint8),
        np.zeros((WORKS, tones.BINS), np.uint8),
        codes.ravel(),
        np.repeat(np.arange(WORKS), scale.FEATURES_PER_WORK),
    )
    return scale.ScaleIndex.open(folder), query


def test_a_work_sharing_few_rare_features_is_voted_in_beside_a_template_crowd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scale, "CANDIDATES", 8)
    monkeypatch.setattr(scale, "CORRESPONDING", 4)
    index, query = _index(tmp_path, np.random.default_rng(11))
    voted = index._voted(query)
    # a vote is worth nothing near a stop word's count: three rare votes outweigh ten
    # shared with a tenth of the works, and the crowd comes after
    assert voted[0] == TRUE
    assert set(voted[1:]) <= set(range(CROWD))
    assert len(voted) <= 12
    # and by its expected correspondences alone, the work still goes on
    monkeypatch.setattr(scale, "CANDIDATES", 0)
    assert TRUE in index._voted(query)


def test_without_rare_features_only_the_best_voted_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scale, "CANDIDATES", 8)
    monkeypatch.setattr(scale, "CORRESPONDING", 4)
    index, query = _index(tmp_path, np.random.default_rng(12))
    voted = index._voted(query[:10])  # the template's corners alone
    assert TRUE not in voted
    assert set(voted) <= set(range(CROWD))
