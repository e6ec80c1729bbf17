"""A clip's survival test retries the way ``mark`` marks that kind of clip, and says so."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from artistshield import platforms, watermark
from artistshield.animation import mark as clip_mark

DATA = Path(__file__).parents[1] / "data"
KEY = bytes(range(32))


def _frames(count: int = 6) -> list[np.ndarray]:
    painting = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    return [np.ascontiguousarray(painting[40 * i : 40 * i + 360, 20 * i : 20 * i + 640]) for i in range(count)]


def _video(path: Path, frames: list[np.ndarray]) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"crf": "12"}
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, "rgb24")))
        out.mux(stream.encode(None))
    return path


def test_the_video_marking_of_a_retry_leaves_a_mark_that_reads() -> None:
    (frame,) = _frames(1)
    (marked,) = platforms._as_video([frame], KEY, 77, 1.0)
    assert marked.shape == frame.shape
    assert watermark.detect(marked, KEY).payload == 77


def test_a_video_is_retried_with_the_clip_marker_not_the_still_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = _video(tmp_path / "walk.mp4", _frames())
    calls = []
    luma = clip_mark.LumaMarker.__call__
    monkeypatch.setattr(clip_mark.LumaMarker, "__call__", lambda self, y: calls.append(1) or luma(self, y))

    def still_marker(*args, **kwargs):
        raise AssertionError("a video's retry used the still marker")

    monkeypatch.setattr(watermark, "embed", still_marker)
    # the "marked" copy carries no mark, so the test fails and the ways are tried
    survival = platforms.clip_survival(clip, clip, KEY, "TikTok", payload=5, strength=1.0)
    assert not survival.survived and survival.tried
    assert len(calls) >= len(survival.frames) * len(survival.tried)
    said = survival.explanation()
    assert "marked as ArtistShield marks a video" in said
    assert f"{len(survival.frames)} sampled frames" in said


def test_an_animation_is_retried_as_its_frames_are_marked(tmp_path: Path) -> None:
    folder = tmp_path / "walk"
    folder.mkdir()
    for index, frame in enumerate(_frames(4)):
        Image.fromarray(frame).save(folder / f"walk-{index:02d}.png")
    survival = platforms.clip_survival(folder, folder, KEY, "X", payload=5, strength=1.0)
    assert not survival.survived and survival.tried
    assert "marked as ArtistShield marks an animation's frames" in survival.explanation()
