"""A clip of an odd width or height (4:4:4, lossless) is marked and checked, not refused.

H.264 in 4:2:0 holds only even sides: the marked copy drops the odd last
column and row, as encoders do, and a suspect of odd size is read the same way.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
from PIL import Image

from artistshield.check import check_file
from artistshield.identity import Identity
from artistshield.mark import mark_files
from artistshield.registry import Registry
from tests.unit.clip_files import pan


def _odd_clip(path: Path, width: int = 385, height: int = 289) -> Path:
    frames = pan("painted-hills.png", 8, width=width, height=height)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p"
        stream.options = {"crf": "12", "preset": "ultrafast"}
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode(None))
    return path


def test_an_odd_sized_clip_is_marked_and_its_mark_found(tmp_path: Path, artist: Identity) -> None:
    source = _odd_clip(tmp_path / "Walk Odd.MP4")
    with Registry.open() as registry:
        [outcome] = mark_files(
            [source], out_dir=tmp_path / "out", key=artist.watermark_key,
            registry=registry, identity=artist,
        )
        assert outcome.ok and outcome.readable, outcome
        with av.open(str(outcome.output)) as marked:
            stream = marked.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == (384, 288)
        keys = {"me": artist.watermark_key}
        found = check_file(outcome.output, keys=keys, registry=registry, provenance=False)
        assert found.mark is not None and found.mark.work_id == outcome.work_id
        # the unmarked odd-sized original is read too, and found by its fingerprint
        plain = check_file(source, keys=keys, registry=registry, provenance=False)
        assert plain.error is None, plain.error
        assert plain.matches and plain.matches[0].work_id == outcome.work_id
    assert np.isfinite(outcome.psnr)


def test_a_portrait_phone_clip_keeps_its_turn(tmp_path: Path, artist: Identity) -> None:
    """Stored sideways with a display rotation, the marked copy is shown turned the same way."""
    source = tmp_path / "portrait.mp4"
    frames = pan("painted-hills.png", 8, width=320, height=240)
    with av.open(str(source), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.set_display_rotation(90)
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode(None))
    with Registry.open() as registry:
        [outcome] = mark_files(
            [source], out_dir=tmp_path / "out", key=artist.watermark_key,
            registry=registry, identity=artist,
        )
        assert outcome.ok and outcome.readable, outcome
    with av.open(str(outcome.output)) as marked:
        assert next(marked.decode(video=0)).rotation == 90
    # the registry's thumbnail is the clip as it plays: upright, as a player turns it
    with Registry.open() as registry:
        thumb = np.asarray(Image.open(io.BytesIO(registry.thumbnail(outcome.work_id))).convert("RGB"))
        work = registry.work(outcome.work_id)
    assert thumb.shape[0] > thumb.shape[1]  # 320x240 stored, turned a quarter: portrait
    assert (work.width, work.height) == (320, 240)  # the frames as stored
    def shown(turns: int) -> np.ndarray:
        turned = Image.fromarray(np.ascontiguousarray(np.rot90(frames[0], turns)))
        return np.asarray(turned.resize(thumb.shape[1::-1]), float)

    # anticlockwise, as the display matrix says, not the other way
    assert np.abs(shown(1) - thumb).mean() < np.abs(shown(-1) - thumb).mean() / 2
