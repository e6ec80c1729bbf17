"""Checking a clip: pool the mark's evidence over its frames.

Long clips are sampled: at most :data:`MAX_FRAMES` frames, evenly spaced, are
read for the mark.  Once the first frames have settled the geometry, and
then every :data:`LOOK_EVERY` frames, the evidence so far is weighed, and
once it leaves no doubt (:data:`CONFIRMED`, with the p-value multiplied by
the number of looks, so a chance find is no likelier than :data:`CONFIRMED`
plus what the full check allows) the rest of the clip is neither decoded
nor read: a marked clip is confirmed from its first second or two, while an
unmarked one, or one whose mark is faint, is read to its last sampled
frame.  A clip of :data:`SHORT_CLIP` frames to check or fewer is read
whole.  The report names the frames that carried the mark, and its scale is
the copy's against the clip as marked (:mod:`.scale`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from artistshield.animation.clip import Clip, Pixels, open_clip
from artistshield.animation.scale import scale_of_copy
from artistshield.animation.video import Cancelled
from artistshield.errors import ImageError
from artistshield.watermark import Detection
from artistshield.watermark.pooled import ESTIMATE_FRAMES, Pool, PooledDetection

#: The most frames of one clip that are checked for the mark.
MAX_FRAMES = 48
#: Frames pooled between two looks at whether the mark is already certain.
LOOK_EVERY = 8
#: Clips of at most this many frames to check (a second of film) are read whole.
SHORT_CLIP = 24
#: A p-value (times the looks taken) at or below which the mark is confirmed
#: and the check stops: a million times below what :func:`~artistshield.watermark.detect`
#: calls found, so stopping never turns a doubtful clip into a find.
CONFIRMED = 1e-12


def sampling_step(frame_count: int, *, max_frames: int = MAX_FRAMES) -> int:
    """Every how many frames :func:`detect_clip` reads one, in a clip of *frame_count* (0: not known)."""
    return max(1, math.ceil(frame_count / max_frames)) if frame_count else 1


def checked_frames(frame_count: int, *, max_frames: int = MAX_FRAMES) -> range:
    """The frames (from 0) :func:`detect_clip` may read in a clip of *frame_count* frames."""
    return range(0, frame_count, sampling_step(frame_count, max_frames=max_frames))


@dataclass(frozen=True)
class ClipDetection:
    """What :func:`detect_clip` found in a clip.

    ``detection.scale`` is the copy's scale against the clip as marked, as
    far as the copy tells (:func:`.scale.scale_of_copy`); ``tile_scale`` is
    the mark's tile as the detector measured it, from which the scale is
    worked out again once the original is known.
    """

    detection: Detection  # the pooled evidence
    frames_checked: int
    frames_with_mark: list[int] = field(default_factory=list)  # frame indexes, from 0
    frame_count: int = 0  # frames in the clip (as far as the file says)
    step: int = 1  # every step-th frame was checked
    size: tuple[int, int] = (0, 0)  # (width, height) of the frames checked
    tile_scale: float | None = None

    @property
    def found(self) -> bool:
        return self.detection.found

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["detection"] = self.detection.to_dict()
        return data


def _look_now(pooled: int) -> bool:
    """Whether to weigh the evidence after *pooled* frames: as soon as the geometry is
    settled, then every :data:`LOOK_EVERY` frames."""
    return pooled == ESTIMATE_FRAMES or (pooled > 0 and pooled % LOOK_EVERY == 0)


def detect_clip(
    path: str | os.PathLike[str],
    key: bytes,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    max_frames: int = MAX_FRAMES,
    stop_early: bool = True,
    resync: bool = True,
    decoded: Callable[[int, Pixels], object] | None = None,
    needed: Collection[int] | None = None,
) -> ClipDetection:
    """Look for *key*'s mark in every (sampled) frame of the clip at *path*, pooled.

    With *stop_early* (the default), reading stops once the mark is
    confirmed (see the module's doc).  Without *resync*, the clip is read
    only at the geometry it was marked at (see :class:`.pooled.Pool`): for
    a clip just written, not for a copy that may have been scaled.
    *decoded* is told of every frame read on the way (see
    :meth:`.clip.Clip.readable_frames`), so the frames need not be read twice;
    with *needed*, the frames it must be told of, a video's other frames
    may go undecoded.
    """
    path = Path(path)
    with open_clip(path) as clip:
        total = clip.frame_count
        step = sampling_step(total, max_frames=max_frames)
        return _pool(path, clip, Pool(key, resync=resync), total, step, progress, cancelled,
                     stop_early, decoded, needed)


def _pool(
    path: Path, clip: Clip, pool: Pool, total: int, step: int,
    progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool] | None,
    stop_early: bool, decoded: Callable[[int, Pixels], object] | None = None,
    needed: Collection[int] | None = None,
) -> ClipDetection:
    indexes: list[int] = []
    shape: tuple[int, ...] | None = None
    looks = 0
    confirmed: PooledDetection | None = None
    # a short clip is read whole: it costs little, and every frame gets its say
    stop_early = stop_early and (not total or len(range(0, total, step)) > SHORT_CLIP)
    frames = clip.readable_frames(step, decoded=decoded, needed=needed)
    try:
        for index, frame in frames:
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
            if stop_early and _look_now(len(indexes)):
                looks += 1
                if pool.detection().p_value * looks <= CONFIRMED:
                    confirmed = pool.result()
                    break
    finally:
        getattr(frames, "close", lambda: None)()  # let go of the decoder now
    if not indexes:
        raise ImageError(f"{path} has no frames to check.")
    if confirmed is not None:
        pooled = confirmed
        detection = dataclasses.replace(confirmed.detection, p_value=confirmed.detection.p_value * looks)
    else:
        pooled = pool.result()
        detection = pooled.detection
    assert shape is not None
    size = (int(shape[1]), int(shape[0]))
    tile_scale = detection.scale
    if tile_scale is not None:
        detection = dataclasses.replace(detection, scale=scale_of_copy(tile_scale, size))
    if progress is not None and total and indexes[-1] + 1 < total:
        progress(total, total)  # the rest of the clip is not needed
    return ClipDetection(
        detection=detection, frames_checked=len(indexes),
        frames_with_mark=[indexes[i] for i in pooled.frames_with_mark],
        frame_count=total, step=step, size=size, tile_scale=tile_scale,
    )
