"""The detector's cheaper search reads what the plain one reads.

Each shortcut the search takes to cost an unmarked picture less is checked
here against the plain computation it stands for.
"""

import importlib

import numpy as np
import pytest

from artistshield.watermark import sync

# the package re-exports the function `detect`, which hides the module's name
detect_module = importlib.import_module("artistshield.watermark.detect")

KEY = bytes(range(32))


@pytest.mark.parametrize("variants", [range(16), range(0, 16, 2), range(0, 8, 2), [5, 13]])
def test_every_variant_is_read_from_the_tile_itself(variants: range | list[int]) -> None:
    # a flip or quarter turn only moves the chip sums, so correlating the
    # sync chips moved the other way gives each variant's z map exactly
    rng = np.random.default_rng(7)
    tile = rng.normal(size=(128, 128))
    tile[90:, :40] = 0.0  # a corner that folded nothing
    ref = detect_module._Reference(KEY)
    sums = detect_module.ChipSums(tile, variants)
    boxes = detect_module.chip_sums(tile.astype(np.float32), variants)
    wanted = np.stack([ref.zmap(box) for box in boxes])
    np.testing.assert_allclose(ref.zmaps(sums), wanted, atol=1e-4)
    for variant, box in zip(variants, boxes, strict=True):
        np.testing.assert_array_equal(sums.box(variant), box)


@pytest.mark.parametrize("shape", [(1, 9), (37, 50), (300, 17), (203, 190)])
def test_directional_residual_in_bands_is_the_whole_pictures(shape: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(128, 30, shape).astype(np.float32)
    y[: shape[0] // 2, : shape[1] // 3] = 255.0  # flat parts make ties between directions
    monkeypatch.setattr(sync, "_BAND_PIXELS", 10**9)
    whole = sync.whiten_directional(y)
    monkeypatch.setattr(sync, "_BAND_PIXELS", 1)  # bands of eight rows
    np.testing.assert_array_equal(sync.whiten_directional(y), whole)


@pytest.mark.parametrize(
    "matrix",
    [
        ((0.7, 0.0), (0.0, 0.7)),
        ((1.37, 0.0), (0.0, 1.37)),
        ((-0.6972, 0.0), (0.0, 0.6972)),
        ((0.0, -0.8), (0.8, 0.0)),
        ((0.0, 1.3), (-1.3, 0.0)),
    ],
)
def test_upright_fold_is_the_pixel_by_pixel_fold(
    matrix: tuple[tuple[float, float], tuple[float, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a rescale, flip or quarter turn bins rows and columns apart: the same sums
    rng = np.random.default_rng(5)
    residuals = [rng.normal(size=(301, 457)).astype(np.float32) for _ in range(2)]
    geometry = sync.Geometry(matrix=matrix)
    assert sync._upright_bins(residuals[0].shape, geometry) is not None
    fast = sync.fold_each(residuals, geometry)
    monkeypatch.setattr(sync, "_upright_bins", lambda shape, geometry: None)
    for got, wanted in zip(fast, sync.fold_each(residuals, geometry), strict=True):
        np.testing.assert_allclose(got, wanted, rtol=1e-12, atol=1e-9)


def test_a_turned_geometry_is_not_taken_for_upright() -> None:
    assert sync._upright_bins((100, 100), sync.Geometry(matrix=((0.5, 0.01), (-0.01, 0.5)))) is None


def test_lattice_search_smoothing_only_the_lags_it_reads_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # a tiled pattern, rescaled and turned: its lattice stands out
    rng = np.random.default_rng(11)
    tile = rng.normal(size=(128, 128)).astype(np.float32)
    geometry = sync.Geometry(matrix=((0.83, -0.06), (0.06, 0.83)))
    inverse = np.linalg.inv(np.array(geometry.matrix))
    rows, cols = np.mgrid[0:700, 0:900]
    q = np.tensordot(inverse, np.stack([rows, cols]).astype(np.float64), axes=1)
    tiled = tile[np.rint(q[0]).astype(int) % 128, np.rint(q[1]).astype(int) % 128]
    r = sync.whiten(tiled + rng.normal(size=(700, 900)).astype(np.float32))
    cropped = sync.estimate(r, count=2)
    monkeypatch.setattr(sync, "_COARSE_REACH", 10**6)  # smooth every lag
    whole = sync.estimate(r, count=2)
    assert cropped
    assert [g.matrix for g in cropped] == [g.matrix for g in whole]
