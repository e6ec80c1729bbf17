"""Small clips built from tests/data pictures, for the tests of clips."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from artistshield.identity import Identity
from artistshield.mark import MarkOutcome, mark_files
from artistshield.registry import Registry

DATA = Path(__file__).resolve().parents[1] / "data"


def pan(name: str, count: int, *, width: int = 384, height: int = 288) -> list[np.ndarray]:
    """*count* frames panning across a test picture, 8 pixels a frame."""
    img = np.asarray(Image.open(DATA / name).convert("RGB"))
    return [
        np.ascontiguousarray(img[60 : 60 + height, 8 * i : 8 * i + width]) for i in range(count)
    ]


def write_gif(path: Path, frames: list[np.ndarray]) -> Path:
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=80, loop=0)
    return path


def write_video(
    path: Path, frames: list[np.ndarray], fps: int = 12, *, crf: int = 12, preset: str = "ultrafast"
) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt, stream.options = "yuv420p", {"crf": str(crf), "preset": preset}
        for i, f in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(f, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def reencode(source: Path, target: Path, *, height: int, interpolation: str | None = None) -> Path:
    """Re-encode *source* scaled to *height*, as a site that resizes uploads would."""
    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        vin = inp.streams.video[0]
        width = round(vin.codec_context.width * height / vin.codec_context.height / 2) * 2
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "20", "preset": "ultrafast"}
        for i, frame in enumerate(inp.decode(vin)):
            small = frame.reformat(
                width=width, height=height, format="yuv420p", interpolation=interpolation
            )
            small.pts, small.time_base = i, Fraction(1, 12)
            out.mux(stream.encode(small))
        out.mux(stream.encode())
    return target


def walk(path: Path, scene: int) -> Path:
    """A clip of three painted scenes, *scene* frames each, panning across each picture."""
    return write_video(
        path,
        pan("painted-hills.png", scene) + pan("painted-bridge.png", scene)
        + pan("painted-mountains.png", scene),
    )


def marked_walk(
    folder: Path, artist: Identity, registry: Registry, scene: int
) -> tuple[Path, MarkOutcome]:
    """:func:`walk` written in *folder*, and its outcome marked by *artist* into *registry*."""
    clip = walk(folder / "walk.mp4", scene)
    (outcome,) = mark_files(
        [clip], out_dir=folder / "out", key=artist.watermark_key,
        registry=registry, identity=artist,
    )
    assert outcome.ok and outcome.output is not None and outcome.work_id is not None
    return clip, outcome
