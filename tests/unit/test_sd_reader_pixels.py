"""A clip's first frame reaches the public-mark reader as its pixels, read as a PNG of it is.

The check hands a video's first frame to the reader's child process as an
array saved by numpy instead of a PNG it would have to encode and the
child decode; the report must be the very one the picture file gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import check
from artistshield.animation import video
from artistshield.provenance import sd
from tests.unit.clip_files import pan, write_video

DATA = Path(__file__).resolve().parents[1] / "data"


def _sdxl_marked() -> np.ndarray:
    imwatermark = pytest.importorskip("imwatermark", reason="invisible-watermark is not installed")
    rgb = np.asarray(Image.open(DATA / "cel-portrait-alpha.png").convert("RGB"))
    encoder = imwatermark.WatermarkEncoder()
    encoder.set_watermark("bits", list(sd.MARKS[0].bits))
    bgr = encoder.encode(np.ascontiguousarray(rgb[..., ::-1]), "dwtDct")
    return np.ascontiguousarray(bgr[..., ::-1])


def _both(tmp_path: Path, rgb: np.ndarray) -> tuple[sd.StableDiffusionReport, sd.StableDiffusionReport]:
    Image.fromarray(rgb).save(tmp_path / "frame.png")
    np.save(tmp_path / "frame.npy", rgb, allow_pickle=False)
    return (
        sd.check_file(tmp_path / "frame.png"),
        sd.PendingCheck(tmp_path / "frame.npy", pixels=True).result(),
    )


def test_pixels_read_as_the_picture_file_does(tmp_path: Path) -> None:
    from_file, from_pixels = _both(tmp_path, _sdxl_marked())
    assert from_file.status == sd.CHECKED and from_file.found  # the mark is there to agree on
    assert from_pixels == from_file
    unmarked = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    from_file, from_pixels = _both(tmp_path, unmarked)
    assert from_file.status == sd.CHECKED and not from_file.found
    assert from_pixels == from_file


def test_a_video_check_reports_its_first_frame_as_the_picture_file_does(tmp_path: Path) -> None:
    pytest.importorskip("imwatermark", reason="invisible-watermark is not installed")
    clip = write_video(tmp_path / "pan.mp4", pan("painted-hills.png", 6, width=512, height=384))
    Image.fromarray(video.first_frame(clip)).save(tmp_path / "first.png")
    result = check.check_file(clip, keys={"k": bytes(range(32))})
    assert result.stable_diffusion is not None and result.stable_diffusion.status == sd.CHECKED
    assert result.stable_diffusion == sd.check_file(tmp_path / "first.png")


def test_a_file_that_holds_no_picture_is_a_failed_reading_not_a_crash(tmp_path: Path) -> None:
    pytest.importorskip("imwatermark", reason="invisible-watermark is not installed")
    np.save(tmp_path / "flat.npy", np.zeros((600, 600), np.float32))
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    for name in ("flat.npy", "junk.npy"):
        report = sd.PendingCheck(tmp_path / name, pixels=True).result()
        assert report.status == sd.FAILED and report.error
