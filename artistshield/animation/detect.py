"""Checking a clip: pool the mark's evidence over its frames.

Long clips are sampled: at most :data:`MAX_FRAMES` frames, evenly spaced, are
read for the mark (every frame is still decoded, as video codecs need).  The
report names the frames that carried the mark.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from artistshield import imageio
from artistshield.animation import frames as anim
from artistshield.animation import sequence, video
from artistshield.animation.video import Cancelled
from artistshield.errors import ImageError
from artistshield.watermark import Detection
from artistshield.watermark.pooled import Pool

#: The most frames of one clip that are checked for the mark.
MAX_FRAMES = 48


def sampling_step(frame_count: int, *, max_frames: int = MAX_FRAMES) -> int:
    """Every how many frames :func:`detect_clip` reads one, in a clip of *frame_count* (0: not known)."""
    return max(1, math.ceil(frame_count / max_frames)) if frame_count else 1


def checked_frames(frame_count: int, *, max_frames: int = MAX_FRAMES) -> range:
    """The frames (from 0) :func:`detect_clip` reads in a clip of *frame_count* frames."""
    return range(0, frame_count, sampling_step(frame_count, max_frames=max_frames))


@dataclass(frozen=True)
class ClipDetection:
    """What :func:`detect_clip` found in a clip."""

    detection: Detection  # the pooled evidence
    frames_checked: int
    frames_with_mark: list[int] = field(default_factory=list)  # frame indexes, from 0
    frame_count: int = 0  # frames in the clip (as far as the file says)
    step: int = 1  # every step-th frame was checked

    @property
    def found(self) -> bool:
        return self.detection.found

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["detection"] = self.detection.to_dict()
        return data


def is_animation(path: str | os.PathLike[str]) -> bool:
    """Return whether *path* is a clip: a video, a multi-frame GIF/APNG/WebP or a frame folder."""
    path = Path(path)
    if path.is_dir():
        return sequence.is_sequence(path)
    if not path.is_file():
        return False
    if video.is_video(path):
        return True
    return path.suffix.lower() in anim.FORMATS and anim.frame_count(path) > 1


def detect_clip(
    path: str | os.PathLike[str],
    key: bytes,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    max_frames: int = MAX_FRAMES,
) -> ClipDetection:
    """Look for *key*'s mark in every (sampled) frame of the clip at *path*, pooled."""
    path = Path(path)
    total, frames = _frames(path, max_frames)
    step = sampling_step(total, max_frames=max_frames)
    pool = Pool(key)
    indexes: list[int] = []
    shape: tuple[int, ...] | None = None
    for index, frame in frames(step):
        if cancelled is not None and cancelled():
            raise Cancelled("The check was cancelled.")
        if shape is None:
            shape = frame.shape[:2]
        if frame.shape[:2] != shape:
            continue  # a frame folder may hold a stray frame of another size
        pool.add(frame)
        indexes.append(index)
        if progress is not None:
            progress(index + 1, total)
    if not indexes:
        raise ImageError(f"{path} has no frames to check.")
    pooled = pool.result()
    return ClipDetection(
        detection=pooled.detection, frames_checked=len(indexes),
        frames_with_mark=[indexes[i] for i in pooled.frames_with_mark],
        frame_count=total, step=step,
    )


FrameSource = Callable[[int], Iterator[tuple[int, np.ndarray]]]


def _frames(path: Path, max_frames: int) -> tuple[int, FrameSource]:
    """Return the clip's frame count and a reader of every step-th frame."""
    if path.is_dir():
        files = sequence.frame_files(path)
        if not files:
            raise ImageError(f"{path} is not a folder of numbered PNG or TIFF frames.")

        def from_folder(step: int) -> Iterator[tuple[int, np.ndarray]]:
            for i in range(0, len(files), step):
                yield i, imageio.load(files[i]).rgb8()

        return len(files), from_folder
    if video.is_video(path):
        info = video.probe(path)
        return info.frame_count, lambda step: video.luma_frames(path, step=step)
    animation = anim.read_animation(path)

    def from_animation(step: int) -> Iterator[tuple[int, np.ndarray]]:
        yield from ((i, animation.frames[i]) for i in range(0, animation.frame_count, step))

    return animation.frame_count, from_animation
