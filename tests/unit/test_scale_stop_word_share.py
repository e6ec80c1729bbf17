"""What is a stop word follows the registry's size: a share of its works, not a count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")

from artistshield.fingerprint import pdq, scale, tones

CORNER = np.uint64(0x0123_4567_89AB_CDEF)
"""A corner one work in a hundred has, a bit off; the copy's work is one of them."""
HOLDING = 100
TEMPLATE = np.uint64(0x7E57_7E57_0BAD_F00D)
"""A corner one work in ten has: a stop word whatever the registry's size."""


def _index(folder: Path, works: int, seed: int) -> scale.ScaleIndex:
    """*works* works of random features, one in HOLDING holding the corner, one in ten the template."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 2**64, (works, scale.FEATURES_PER_WORK), dtype=np.uint64)
    # one flipped bit above the hash bits: the same bucket, within RADIUS of the query
    above = scale.HASH_BITS + rng.integers(0, 64 - scale.HASH_BITS, works).astype(np.uint64)
    flips = np.uint64(1) << above
    codes[::HOLDING, 0] = CORNER ^ flips[::HOLDING]
    codes[1::10, 1] = TEMPLATE ^ flips[1::10]
    folder.mkdir()
    index = scale.ScaleIndex(folder)
    index.write_summaries(
        rng.integers(0, 256, (works, pdq.HASH_BYTES), dtype=np.uint8),
        np.zeros((works, tones.BINS), np.uint8),
        codes.ravel(),
        np.repeat(np.arange(works), scale.FEATURES_PER_WORK),
    )
    return scale.ScaleIndex.open(folder)


def test_the_limit_is_a_share_of_the_works_above_a_floor() -> None:
    assert scale.stop_word(1000) == scale.NEAR_MOST
    # up to a million works (where the benchmark found what the exact index finds) as before
    assert scale.stop_word(1_000_000) == scale.NEAR_MOST
    assert scale.stop_word(10_000_000) == int(10_000_000 * scale.NEAR_SHARE)
    assert scale.stop_word(10_000_000) > 9 * scale.NEAR_MOST


def _shrink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A floor of 8 and a share of 1/64 once built: a 3,200-work index stands for millions.

    (Not before: the build's floor for crowded buckets is ``NEAR_MOST`` too.)
    """
    monkeypatch.setattr(scale, "NEAR_MOST", 8)
    monkeypatch.setattr(scale, "NEAR_SHARE", 1 / 64)


def test_a_feature_rare_for_its_registry_votes_at_any_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _index(tmp_path / "small", 320, seed=1)
    large = _index(tmp_path / "large", 3200, seed=2)
    _shrink(monkeypatch)
    query = np.array([CORNER], np.uint64)
    # near 4 kept features among 320 works, near 32 among 3,200: the same share
    assert scale.stop_word(len(small)) == 8
    assert scale.stop_word(len(large)) == 50
    assert 0 in small._voted(query)
    assert 0 in large._voted(query)
    # a fixed limit (the floor alone) made the corner a stop word as the registry grew
    monkeypatch.setattr(scale, "NEAR_SHARE", 0.0)
    assert 0 in small._voted(query)
    assert large._voted(query) == []


def test_a_feature_common_for_its_registry_is_still_a_stop_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    large = _index(tmp_path / "large", 3200, seed=3)
    _shrink(monkeypatch)
    # near 320 kept features, a tenth of the works: far above the share
    assert large._voted(np.array([TEMPLATE], np.uint64)) == []
    voted = large._voted(np.array([TEMPLATE, CORNER], np.uint64))
    assert 0 in voted
    assert set(voted) <= set(range(0, 3200, HOLDING))
