"""The two-tier index for a union's millions of works answers as the exact index does."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield.fingerprint import Fingerprint, FingerprintIndex, compute, compute_query, local
from artistshield.fingerprint.compute import flatten

faiss = pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")

from artistshield.fingerprint import scale  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"
HELD_OUT = "flat-moonlight.png"


def _load(name: str) -> np.ndarray:
    with Image.open(DATA / name) as image:
        return flatten(np.asarray(image.convert("RGBA")))


def _jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _crop(pixels: np.ndarray, keep: float) -> np.ndarray:
    height, width = pixels.shape[:2]
    w, h = round(width * keep), round(height * keep)
    return pixels[(height - h) // 3 : (height - h) // 3 + h, (width - w) // 4 : (width - w) // 4 + w]


def _random_work(rng: np.random.Generator) -> Fingerprint:
    n = 256
    features = local.Features(
        x=rng.uniform(0, 639, n).astype(np.float32),
        y=rng.uniform(0, 479, n).astype(np.float32),
        level=rng.integers(0, 7, n).astype(np.uint8),
        angle=np.zeros(n, np.float32),
        descriptor=rng.integers(0, 2**64, n, dtype=np.uint64),
        width=640,
        height=480,
    )
    return Fingerprint(640, 480, tuple(rng.bytes(32) for _ in range(8)), 90, features)


@pytest.fixture(scope="module")
def corpus() -> dict[str, np.ndarray]:
    return {p.name: _load(p.name) for p in sorted(DATA.glob("*.png")) if "c2pa" not in p.name}


@pytest.fixture(scope="module")
def indexes(
    corpus: dict[str, np.ndarray], tmp_path_factory: pytest.TempPathFactory
) -> tuple[FingerprintIndex, scale.ScaleIndex]:
    works: dict[str, Fingerprint | bytes] = {
        name: compute(pixels) for name, pixels in corpus.items() if name != HELD_OUT
    }
    rng = np.random.default_rng(3)
    for i in range(300):
        works[f"random-{i:03}"] = _random_work(rng).to_bytes()
    exact = FingerprintIndex()
    for name, fingerprint in works.items():
        exact.add(name, fingerprint)
    folder = tmp_path_factory.mktemp("scale") / "index"
    scale.ScaleIndex.build(folder, iter(works.items()))
    return exact, scale.ScaleIndex.open(folder)


def _verdicts(found: list) -> list[tuple[str, float]]:
    """The declared matches: what a check reports.  Weak non-matches may differ, since the
    compact tier does not shortlist every work sharing a feature key with the query."""
    return [(m.work_id, round(m.similarity, 6)) for m in found if m.is_match]


def test_the_scale_index_answers_as_the_exact_one(
    corpus: dict[str, np.ndarray], indexes: tuple[FingerprintIndex, scale.ScaleIndex]
) -> None:
    exact, two_tier = indexes
    assert len(two_tier) == len(corpus) - 1 + 300
    found = 0
    for name, pixels in corpus.items():
        for copy in (pixels, _jpeg(pixels, 60), _crop(pixels, 0.6), pixels[:, ::-1]):
            query = compute_query(copy)
            expected = exact.search(query)
            assert _verdicts(two_tier.search(query)) == _verdicts(expected), name
            found += bool(expected and expected[0].work_id == name and expected[0].is_match)
    # the comparison means something: most copies are found, and the held-out work is not
    assert found >= 3 * (len(corpus) - 1)
    assert not any(m.is_match for m in two_tier.search(compute_query(corpus[HELD_OUT])))


def test_kept_features_are_spread_and_bounded(corpus: dict[str, np.ndarray]) -> None:
    features = compute(corpus["painted-bridge.png"]).features
    kept = scale.kept_features(features)
    assert len(kept) == scale.FEATURES_PER_WORK
    assert set(kept.tolist()) <= set(features.descriptor.tolist())
    where = {int(d): i for i, d in enumerate(features.descriptor.tolist())}
    columns = {int(features.x[where[int(d)]] * scale.GRID / features.width) for d in kept}
    assert len(columns) >= 3


def test_a_scale_index_reopens_from_its_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    works = {f"w{i}": _random_work(rng) for i in range(20)}
    scale.ScaleIndex.build(tmp_path / "index", iter(works.items()))
    reopened = scale.ScaleIndex.open(tmp_path / "index")
    assert len(reopened) == 20
    assert reopened.search(works["w7"])[0].work_id == "w7"
    with pytest.raises(FileExistsError):
        scale.ScaleIndex.build(tmp_path / "index", iter(works.items()))
