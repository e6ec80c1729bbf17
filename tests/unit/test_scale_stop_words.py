"""The scale index leaves out what every work shares, as text search leaves out stop words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from artistshield.fingerprint import Fingerprint, local

pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")

from artistshield.fingerprint import scale

TEMPLATE = np.uint64(0x5A5A_1234_0F0F_ABCD)
"""A corner every work drawn on one template has."""


def _work(rng: np.random.Generator, *, template: bool) -> Fingerprint:
    n = 64
    descriptor = rng.integers(0, 2**64, n, dtype=np.uint64)
    if template:  # the template's corner, a bit or two off, all over the picture
        flips = np.uint64(1) << rng.integers(20, 64, n).astype(np.uint64)
        descriptor[: n // 2] = TEMPLATE ^ flips[: n // 2]
    features = local.Features(
        x=rng.uniform(0, 639, n).astype(np.float32),
        y=rng.uniform(0, 479, n).astype(np.float32),
        level=rng.integers(0, 5, n).astype(np.uint8),
        angle=np.zeros(n, np.float32),
        descriptor=descriptor,
        width=640,
        height=480,
    )
    return Fingerprint(640, 480, tuple(rng.bytes(32) for _ in range(8)), 90, features)


def test_a_template_shared_by_every_work_is_left_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    works = {f"w{i:03}": _work(rng, template=True) for i in range(2 * scale.NEAR_MOST)}
    index = scale.ScaleIndex.build(tmp_path / "index", iter(works.items()))
    meta = json.loads((tmp_path / "index" / "scale-index.json").read_text())
    # the template's bucket went, and nothing else
    bucket = np.uint64((1 << scale.HASH_BITS) - 1)
    kept = np.concatenate([scale.kept_features(w.features) for w in works.values()])
    assert meta["crowded_dropped"] == int(((kept & bucket) == (TEMPLATE & bucket)).sum())
    assert meta["crowded_dropped"] > len(works)
    # the template says nothing about which work a suspect is...
    assert index._voted(np.array([TEMPLATE], np.uint64)) == []
    # ...and each work is still found by what is its own
    for name in ("w000", "w123", "w511"):
        found = index.search(works[name])
        assert found and found[0].work_id == name and found[0].is_match
