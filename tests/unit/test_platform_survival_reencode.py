"""A video's survival retries re-encode the frames through mark's own encoder path."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from artistshield import platforms, watermark
from artistshield.animation import video
from artistshield.animation.mark import mark_clip

DATA = Path(__file__).parents[1] / "data"
KEY = bytes(range(32))


def _clip(path: Path, count: int = 24) -> Path:
    painting = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"crf": "12"}
        for i in range(count):  # a slow pan
            frame = np.ascontiguousarray(painting[8 * i : 8 * i + 360, 6 * i : 6 * i + 640])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, "rgb24")))
        out.mux(stream.encode(None))
    return path


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as clip:
        return [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse)


def test_each_sampled_frame_is_reencoded_among_its_neighbours_as_mark_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = _clip(tmp_path / "pan.mp4")
    calls: list[tuple[int, int]] = []
    transcode = video.transcode

    def spy(source, target, edit, **options):  # type: ignore[no-untyped-def]
        calls.append((len(_frames(Path(source))), options["crf"]))
        return transcode(source, target, edit, **options)

    monkeypatch.setattr(video, "transcode", spy)
    # the "marked" copy carries no mark, so it fails and the ways are tried
    survival = platforms.clip_survival(clip, clip, KEY, "TikTok", payload=5, strength=1.0)
    assert survival.tried
    assert len(calls) == len(survival.frames) * len(survival.tried)  # one span per frame and way
    assert {crf for _, crf in calls} == {video.DEFAULT_CRF}
    assert {length for length, _ in calls} == {platforms.SPAN}
    said = survival.explanation()
    assert "marked as ArtistShield marks a video" in said and "H.264 encoder" in said


def test_a_span_spans_the_frames_around_and_stays_inside_the_clip() -> None:
    assert platforms._span(10, 24) == [7, 8, 9, 10, 11, 12, 13]
    assert platforms._span(0, 24) == list(range(7))
    assert platforms._span(23, 24) == list(range(17, 24))
    assert platforms._span(2, 4) == [0, 1, 2, 3]


def test_a_retried_frame_is_what_mark_writes(tmp_path: Path) -> None:
    """The frame a retry tests is, within coding noise, the frame ``mark`` writes, mark and all."""
    clip = _clip(tmp_path / "pan.mp4")
    marked = mark_clip(clip, tmp_path / "out", key=KEY, payload=77, strength=1.0).output
    real = _frames(marked)
    source = _frames(clip)
    index = 12
    span = platforms._span(index, len(source))
    retried = platforms._as_video([source[i] for i in span], KEY, 77, 1.0)[span.index(index)]
    assert watermark.detect(real[index], KEY).payload == 77
    assert watermark.detect(retried, KEY).payload == 77
    assert _psnr(real[index], retried) > 35  # the same picture: only the coding noise differs
