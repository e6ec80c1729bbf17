"""A crowd of works sharing one structure picture costs a bounded number of refinements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")

from artistshield.fingerprint import index as exact
from artistshield.fingerprint import scale, structure
from artistshield.fingerprint.compute import compute, compute_query

DATA = Path(__file__).resolve().parent.parent / "data"
CROWD = 30
"""Works registered with one drawing's fingerprint: one character's near-identical frames."""


def _pixels() -> np.ndarray:
    return np.asarray(Image.open(DATA / "cartoon-snowmountains.png").convert("RGB"))


def _count_refinements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = structure.refine

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(structure, "refine", counted)
    return calls


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pixels = _pixels()
    work = compute(pixels)
    index = scale.ScaleIndex.build(
        tmp_path_factory.mktemp("crowd"), ((f"W-{i:06d}", work) for i in range(CROWD))
    )
    return index, work, compute_query(pixels)


def test_a_crowd_sharing_one_structure_picture_costs_bounded_refinements(
    crowd, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, _, query = crowd
    # the structure check never confirms, so every placement asks for a refinement
    monkeypatch.setattr(exact, "structure_evidence", lambda agreement, inliers: 0.5)
    calls = _count_refinements(monkeypatch)
    assert index.search(query) != []
    assert 0 < len(calls) <= scale.REFINE_MOST
    # unbounded, each of the crowd's works would cost one (or two)
    calls.clear()
    monkeypatch.setattr(scale, "REFINE_MOST", 10_000)
    index.search(query)
    assert len(calls) >= CROWD


def test_the_bound_keeps_a_copy_found_among_the_crowd(crowd) -> None:
    index, _, query = crowd
    best = index.search(query)[0]
    assert best.is_match and best.work_id.startswith("W-")


def test_an_artists_own_index_refines_unbounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert exact.FingerprintIndex.REFINE_MOST is None
    pixels = _pixels()
    work = compute(pixels)
    own = exact.FingerprintIndex()
    for i in range(12):
        own.add(f"W-{i:06d}", work)
    monkeypatch.setattr(exact, "structure_evidence", lambda agreement, inliers: 0.5)
    calls = _count_refinements(monkeypatch)
    own.search(compute_query(pixels))
    assert len(calls) >= 12
