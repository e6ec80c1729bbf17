"""A drawing with too few edges gets a larger budget, and the artist is told when it stays fragile.

The drawings are held-out clip art (tests/data/CORPUS.md): a cartoon tree of
about 26,000 drawn pixels on a page 794x1123, and a thin corner ornament of
about 15,000.  They are marked as cels and flattened over white, as a
platform shows them.
"""

import io
from pathlib import Path

import numpy as np
import pytest
from cli_run import run
from PIL import Image

from artistshield import mark, watermark
from artistshield.cli import main
from artistshield.watermark import mask
from artistshield.watermark.embed import margin

DATA = Path(__file__).resolve().parents[1] / "data" / "clipart"
KEY = bytes.fromhex("5a" * 16 + "c3" * 16)
PAYLOAD = 0x5EC12E7A11CE


def _load(name: str) -> np.ndarray:
    with Image.open(DATA / name) as image:
        return np.asarray(image.convert("RGBA"))


def _flatten(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:].astype(np.float64) / 255.0
    return np.rint(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def _resaved(rgb: np.ndarray, fmt: str, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, fmt, quality=quality)
    with Image.open(buffer) as image:
        return np.asarray(image.convert("RGB"))


def _snr(rgba: np.ndarray) -> float:
    y = mask.luma(rgba)
    weight = (rgba[..., 3] > 0).astype(np.float32)
    return mask.detection_snr(y, mask.amplitude(y, weight=weight))


@pytest.mark.parametrize(("fmt", "quality"), [("JPEG", 50), ("WEBP", 75)])
def test_a_small_drawing_reads_after_recompression(fmt: str, quality: int) -> None:
    rgba = _load("cartoon-tree.png")
    marked = _flatten(watermark.embed(rgba, KEY, PAYLOAD))
    assert watermark.detect(_resaved(marked, fmt, quality), KEY).payload == PAYLOAD


def test_the_boost_is_the_sparse_drawings_alone() -> None:
    assert mask.sparse_boost(_snr(_load("cartoon-tree.png"))) == mask.SPARSE_BOOST
    # cels with edges enough (the corpus's, a silhouette) keep the standard budget
    for name in ("pig.png", "aiga-coat-check.png", "multimedia-icon.png"):
        assert mask.sparse_boost(_snr(_load(name))) == 1.0, name


def test_the_boost_raises_the_mark_on_the_drawing_alone() -> None:
    rgba = _load("cartoon-tree.png")
    delta = watermark.mark_delta(rgba, KEY, PAYLOAD)
    assert not delta[rgba[..., 3] == 0].any()  # the transparent page stays untouched
    unboosted = delta / mask.SPARSE_BOOST
    rms = float(np.sqrt(np.mean(delta[rgba[..., 3] > 0] ** 2)))
    # above what the budget alone gives the drawn part (its cap), as the boost says
    assert rms > mask.OPAQUE_RMS_BUDGET * mask.CEL_SHARE * 1.2
    assert float(np.sqrt(np.mean(unboosted[rgba[..., 3] > 0] ** 2))) <= mask.OPAQUE_RMS_BUDGET


def test_a_fragile_mark_is_named_and_a_higher_strength_lifts_it() -> None:
    tree = _load("cartoon-tree.png")
    why = watermark.fragile(tree)
    assert why is not None and "too few edges" in why
    assert watermark.fragile(tree, strength=2.0) is None
    assert watermark.fragile(_load("pig.png")) is None


def test_marking_reports_a_fragile_mark_and_still_marks(tmp_path: Path) -> None:
    source = tmp_path / "ornament.png"
    Image.fromarray(_load("corner-ornament.png")).save(source)
    [outcome] = mark.mark_files([source], out_dir=tmp_path / "out", key=KEY)
    assert outcome.ok and outcome.output is not None and outcome.readable
    assert outcome.fragile is not None and "too few edges" in outcome.fragile


def test_the_command_line_notes_a_fragile_mark(
    cli_passphrase: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["identity", "create", "--name", "Ada Artist"]) == 0
    source = tmp_path / "ornament.png"
    Image.fromarray(_load("corner-ornament.png")).save(source)
    capsys.readouterr()
    code, out, _ = run(capsys, "mark", str(source), "--out", str(tmp_path / "out"))
    assert code == 0
    assert "note: the mark is fragile: the drawing has too few edges" in out


def test_the_same_drawing_on_an_opaque_page_keeps_the_standard_budget() -> None:
    page = _flatten(_load("cartoon-tree.png"))
    y = mask.luma(page)
    snr = mask.detection_snr(y, mask.amplitude(y))
    assert mask.sparse_boost(snr) > 1.0  # as sparse as its cel...
    # ...but an opaque picture's mask takes no boost (its pages showed it)
    assert margin(page) == pytest.approx(snr * mask.need_at(snr))
