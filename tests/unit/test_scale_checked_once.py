"""A scale search checks each structure picture once, and skips what cannot decide."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")

from artistshield.fingerprint import index as exact
from artistshield.fingerprint import scale, structure
from artistshield.fingerprint.compute import Fingerprint, compute, compute_query, flatten

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CROWD = 20
"""Works registered with one plain drawing's fingerprint: one background's many frames."""


def _load(name: str) -> np.ndarray:
    with Image.open(DATA / name) as image:
        return flatten(np.asarray(image.convert("RGBA")))


def _middle(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    return pixels[height // 4 : height // 4 + height // 2, width // 4 : width // 4 + width // 2]


def _counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(structure, name)

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(structure, name, counted)
    return calls


@pytest.fixture(scope="module")
def plain_crowd(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pixels = _load("flat-futureprototype.png")
    work = compute(pixels)
    others = [compute(_load(n)) for n in ("painted-hills.png", "cartoon-snowmountains.png")]
    prints: list[tuple[str, Fingerprint]] = [(f"W-{i:06d}", work) for i in range(CROWD)]
    prints += [(f"X-{i:06d}", p) for i, p in enumerate(others)]
    index = scale.ScaleIndex.build(tmp_path_factory.mktemp("plain"), iter(prints))
    query = compute_query(_middle(pixels))
    assert len(query.features) < exact.PLAIN_FEATURES  # placed by structure alone
    return index, query


def test_a_plain_suspect_is_located_once_on_a_crowd_sharing_one_picture(
    plain_crowd, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, query = plain_crowd
    calls = _counted(monkeypatch, "locate")
    best = index.search(query)[0]
    assert best.is_match and best.method == "structure" and best.work_id.startswith("W-")
    assert len(calls) == 1


def test_remembering_pictures_changes_no_answer(
    plain_crowd, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, query = plain_crowd
    remembered = index.search(query, limit=30)
    calls = _counted(monkeypatch, "locate")
    # forget between calls: each work's picture is located anew, as before
    monkeypatch.setattr(scale._ShortList, "_located", exact.FingerprintIndex._located)
    monkeypatch.setattr(scale._ShortList, "_compared", exact.FingerprintIndex._compared)
    assert index.search(query, limit=30) == remembered
    assert len(calls) == scale.PLAIN_FIRST  # the first round of plain works finds it


def test_a_placement_mostly_off_the_work_is_not_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    work = compute(_load("cartoon-snowmountains.png"))
    query = compute_query(_load("cartoon-snowmountains.png"))
    assert work.structure is not None and query.structure is not None
    frame = (work.features.width, work.features.height)
    query_frame = (query.features.width, query.features.height)
    sx, sy = query_frame[0] / frame[0], query_frame[1] / frame[1]
    on = np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0]])
    beside = on.copy()
    beside[0, 2] = 0.5 * query_frame[0]  # half of the suspect lies past the work's edge
    calls = _counted(monkeypatch, "compare")
    own = exact.FingerprintIndex()
    for affine, compared in ((on, 1), (beside, 0)):
        calls.clear()
        agreement = own._compared(work.structure, frame, query.structure, query_frame, affine)
        assert len(calls) == compared
        full = structure.compare(work.structure, frame, query.structure, query_frame, affine)
        assert agreement.covered == full.covered
        for inliers in (0, exact.PATCH_INLIERS):
            assert exact.structure_evidence(agreement, inliers) == exact.structure_evidence(
                full, inliers
            )
    assert exact.structure_evidence(full, 0) == 0.0  # beside: nothing to confirm


def test_refining_solves_its_least_squares_as_lstsq_does() -> None:
    rng = np.random.default_rng(3)
    columns = np.array([100.0, 80.0, 1.0, 100.0, 80.0, 1.0])
    for rows in (64, 5000):
        matrix = rng.normal(size=(rows, 6)) * columns
        target = rng.normal(size=rows)
        expected = np.linalg.lstsq(matrix, target, rcond=None)[0]
        np.testing.assert_allclose(structure._least_squares(matrix, target), expected, rtol=1e-8)
    degenerate = rng.normal(size=(200, 6))
    degenerate[:, 5] = 0.0  # no gradient along one direction
    target = rng.normal(size=200)
    solution = structure._least_squares(degenerate, target)
    assert np.all(np.isfinite(solution))
    np.testing.assert_allclose(
        degenerate @ solution, degenerate @ np.linalg.lstsq(degenerate, target, rcond=None)[0]
    )


def test_the_benchmarks_synthetic_works_draw_each_hash_as_before() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        union_scale = importlib.import_module("union_scale")
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    bases = [compute(_load(n)) for n in ("painted-hills.png", "cartoon-snowmountains.png")]
    works = union_scale.SyntheticWorks(bases, first_slot=7)
    for slot in (7, 8, 1000):
        number = slot - 7
        rng = np.random.default_rng([number, 2026])
        base = bases[number % len(bases)]
        # what it drew before: one draw per hash, in order
        flips = [
            union_scale._random_bits(rng, (len(h),), union_scale.PDQ_FLIP) for h in base.pdq_hashes
        ]
        expected = tuple(
            (np.frombuffer(h, np.uint8) ^ f).tobytes()
            for h, f in zip(base.pdq_hashes, flips, strict=True)
        )
        drawn = works.fingerprint(slot)
        assert drawn.pdq_hashes == expected
        assert drawn.pdq_hashes != base.pdq_hashes
        descriptor = base.features.descriptor ^ union_scale._random_words(
            rng, base.features.descriptor.shape, union_scale.BIT_FLIP
        )
        borrowed = rng.random(len(descriptor)) < union_scale.BORROWED
        np.testing.assert_array_equal(drawn.features.descriptor[~borrowed], descriptor[~borrowed])
