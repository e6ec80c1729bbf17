"""The benchmarks' honest accounting: SSIMULACRA2 agreement, speed ratios, refusals, the slider's figures."""

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def _benchmark(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def agreement() -> ModuleType:
    return _benchmark("ssimulacra2_agreement")


@pytest.fixture(scope="module")
def robustness() -> ModuleType:
    return _benchmark("robustness")


@pytest.fixture(scope="module")
def tradeoff() -> ModuleType:
    return _benchmark("strength_tradeoff")


def test_the_reference_score_is_the_number_the_tool_prints(agreement: ModuleType) -> None:
    assert agreement.parse_score("87.53421234\n") == pytest.approx(87.53421234)
    assert agreement.parse_score("Warning: no ICC profile\n-12.5\n") == -12.5
    with pytest.raises(ValueError, match="no SSIMULACRA2 score"):
        agreement.parse_score("Usage: ssimulacra2 orig.png distorted.png\n")


def test_the_reference_comes_from_the_option_then_the_environment(
    agreement: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSIMULACRA2", str(tmp_path / "from-env"))
    assert agreement.find_reference(tmp_path / "given") == tmp_path / "given"
    assert agreement.find_reference(None) == tmp_path / "from-env"


def _textured(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rgb = np.clip(rng.normal(128, 40, (96, 96, 3)), 0, 255).astype(np.uint8)
    return np.dstack([rgb, np.full((96, 96), 255, np.uint8)])


def test_both_scores_of_a_mark_and_a_jpeg_and_where_their_verdicts_part(agreement: ModuleType) -> None:
    """A fake reference and package: the one that rates JPEG higher flips the verdict on 'b'."""

    def reference(original: np.ndarray, changed: np.ndarray) -> float:
        return 90.0 if np.array_equal(changed, agreement.jpeg(original, 90)) else 91.0

    def package(original: np.ndarray, changed: np.ndarray) -> float:
        jpeg = np.array_equal(changed, agreement.jpeg(original, 90))
        return (92.0 if original[0, 0, 0] == first_pixel_b else 89.0) if jpeg else 91.5

    images = [("a", _textured(1)), ("b", _textured(2))]
    first_pixel_b = agreement.flatten(images[1][1])[0, 0, 0]
    pairs, refused = agreement.compare(images, reference, package)
    assert refused == []
    assert [(p.image, p.copy) for p in pairs] == [("a", "JPEG 90"), ("a", "mark"),
                                                   ("b", "JPEG 90"), ("b", "mark")]
    assert agreement.verdicts(pairs) == {"a": (True, True), "b": (True, False)}
    table, figures, notes = agreement.summarise(pairs)
    assert figures["verdicts_disagreeing"] == ["b"]
    assert figures["max_abs_difference"] == 2.0
    assert figures["mean_abs_difference"] == pytest.approx((1 + 0.5 + 2 + 0.5) / 4)
    assert len(table.rows) == 4 and table.rows[2][-1] == "+2.00"
    assert figures["package_higher"] == 3
    assert figures["mark_median_reference"] == 91.0 and figures["mark_median_package"] == 91.5
    assert "they differ on b" in notes[-1]


def test_a_refused_picture_is_left_out_and_named(agreement: ModuleType) -> None:
    blank = np.full((96, 96, 4), 255, np.uint8)
    pairs, refused = agreement.compare([("blank", blank)], lambda a, b: 100.0, lambda a, b: 100.0)
    assert pairs == [] and refused == ["blank"]


def test_speed_is_given_as_a_ratio_to_dwtdct(robustness: ModuleType) -> None:
    per_mp = {"ArtistShield": (0.2, 0.04), "iw-dwtDct": (0.25, 0.16), "iw-dwtDctSvd": (0.9, 0.5)}
    assert robustness.against_dwtdct(per_mp, 0.48) == {
        "embed_vs_dwtdct": 0.8, "detect_vs_dwtdct": 0.25, "detect_unmarked_vs_dwtdct": 3.0}
    assert robustness.against_dwtdct({"ArtistShield": (0.2, 0.04)}, 0.48) == {}


def test_a_refusal_says_why_for_transparent_and_opaque_pictures(robustness: ModuleType) -> None:
    clear = np.zeros((8, 8, 4), np.uint8)
    assert "transparent" in robustness.refusal(clear)
    assert "flat colour" in robustness.refusal(np.full((8, 8, 3), 200, np.uint8))


def test_the_slider_reads_the_saved_tradeoff_run(tradeoff: ModuleType) -> None:
    record = json.loads((BENCHMARKS / "results" / "strength_tradeoff.json").read_text())
    assert json.loads(tradeoff.SLIDER.read_text()) == tradeoff.slider_figures(record), (
        "resources/strength.json is not the saved run's: python benchmarks/strength_tradeoff.py --plot"
    )
