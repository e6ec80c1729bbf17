"""benchmarks/ssimulacra2_terms.py: its terms add up to the package's own SSIMULACRA2 score."""

import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

pytest.importorskip("ssimulacra2")


def _benchmark(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def split() -> ModuleType:
    return _benchmark("ssimulacra2_terms")


def picture_and_noisy_copy(height: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """A gradient with a red block, and a copy with grey noise added (the same to R, G and B)."""
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:height, 0:320]
    base = np.stack([xx * 0.7, yy * 250.0 / height, 128.0 + 0 * xx], axis=-1)
    base[height // 4 : height // 2, 40:200] = (200.0, 40.0, 40.0)
    original = np.clip(base, 0, 255).astype(np.uint8)
    noisy = np.clip(base + rng.normal(0, 3.0, (height, 320, 1)), 0, 255).astype(np.uint8)
    return original, noisy


@pytest.mark.parametrize(("height", "scales"), [(256, 6), (96, 4)])
def test_the_terms_add_up_to_the_package_score(split: ModuleType, height: int, scales: int) -> None:
    # 96 pixels high: shrunk 2, 4 and 8 times, not 16 nor 32
    original, noisy = picture_and_noisy_copy(height)
    weighted = split.terms(original, noisy)
    assert len(weighted) == 3 * scales * 6
    expected = _benchmark("robustness").package_ssimulacra2(original, noisy)
    assert expected is not None and expected < 95.0
    assert split.score(weighted) == pytest.approx(expected, abs=1e-6)


def test_grey_noise_is_seen_in_luma_and_an_identical_copy_scores_100(split: ModuleType) -> None:
    original, noisy = picture_and_noisy_copy()
    weighted = split.terms(original, noisy)
    luma = sum(v for (channel, *_), v in weighted.items() if channel == "Y")
    assert luma > 0.5 * sum(weighted.values())
    same = split.terms(original, original.copy())
    assert sum(same.values()) == 0.0 and split.score(same) == 100.0
