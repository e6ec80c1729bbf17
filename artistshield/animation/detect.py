"""Checking a clip: pool the mark's evidence over its frames.

Long clips are sampled: at most :data:`MAX_FRAMES` frames, evenly spaced, are
read for the mark (every frame is still decoded, as video codecs need).  The
report names the frames that carried the mark.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from artistshield.animation.clip import Clip, open_clip
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
    with open_clip(path) as clip:
        total = clip.frame_count
        step = sampling_step(total, max_frames=max_frames)
        return _pool(path, clip, key, total, step, progress, cancelled)


def _pool(
    path: Path, clip: Clip, key: bytes, total: int, step: int,
    progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool] | None,
) -> ClipDetection:
    pool = Pool(key)
    indexes: list[int] = []
    shape: tuple[int, ...] | None = None
    for index, frame in clip.readable_frames(step):
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


