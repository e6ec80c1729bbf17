"""How much a copy of a clip was scaled, against the clip as marked.

A video is marked with its tile zoomed for large frames
(:func:`artistshield.watermark.pattern.zoom_for`: 2 for 1080p, 4 for 4K),
so the detector, which measures the tile, reads a 1080p copy at full size
as "scaled to 200%" and a 720p re-encode as 133%.  The scale a person wants
is the copy's against the original: 100% and 67%.

When the original's size is known (the registered work the mark names),
that is exact: the detector's scale over the zoom the original was marked
with.  When it is not, the zoom is inferred from the copy: each zoom the
marker could have used is tried, and one is kept only if an original of the
size it implies would have been marked with it; of those, and of an
unzoomed original (a GIF or a frame folder, or a still), the one that makes
the copy nearest its original's size wins, a copy enlarged counting twice as
far as one shrunk (copies found online are far more often smaller).  A
1080p copy of a 4K clip can then read as 100%: only the registry knows.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Protocol

from artistshield.animation import video
from artistshield.watermark import Detection
from artistshield.watermark.pattern import zoom_for

#: Enlarging counts this many times as far from the original as shrinking.
_ENLARGED = 2.0
_ZOOMS = (1, 2, 3, 4)


def original_zoom(width: int, height: int, *, file_name: str = ".mp4") -> int:
    """The zoom the mark's tile was given in a clip of *width* x *height* named *file_name*.

    Only videos are zoomed; animated images, frame folders and stills are not.
    """
    return zoom_for((height, width)) if video.is_video(file_name) else 1


def scale_of_copy(
    tile_scale: float,
    copy_size: tuple[int, int],
    *,
    original_zoom: int | None = None,
) -> float:
    """The copy's scale against its original, from the detector's *tile_scale*.

    *copy_size* is the copy's (width, height); *original_zoom*, when the
    original is known (:func:`original_zoom`), makes the answer exact.
    """
    if tile_scale <= 0:
        raise ValueError("a scale must be above 0")
    if original_zoom is not None:
        return tile_scale / original_zoom
    short = min(copy_size)
    best, cost = tile_scale, _distance(tile_scale)  # an unzoomed original
    for zoom in _ZOOMS[1:]:
        scale = tile_scale / zoom
        original_short = round(short / scale)
        if zoom_for((original_short, original_short)) != zoom:
            continue  # an original of that size would have had another zoom
        if _distance(scale) < cost:
            best, cost = scale, _distance(scale)
    return best


def _distance(scale: float) -> float:
    far = math.log(scale)
    return far * _ENLARGED if far > 0 else -far


def rescaled(detection: Detection, scale: float | None) -> Detection:
    """*detection* with its scale replaced (nothing changes when it has none)."""
    if detection.scale is None or scale is None:
        return detection
    return dataclasses.replace(detection, scale=scale)


class _Original(Protocol):
    """What the registry's record of a work says of its size and kind."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def frame_count(self) -> int: ...
    @property
    def file_name(self) -> str: ...


def against_original(detection: Detection, tile_scale: float | None, work: _Original) -> Detection:
    """*detection* with its scale against *work*, the registered original its mark names.

    *tile_scale* is the scale the detector measured (for a still, the
    detection's own).  Nothing changes for a still's work: stills are never zoomed.
    """
    if tile_scale is None or work.frame_count <= 1:
        return detection
    zoom = original_zoom(work.width, work.height, file_name=work.file_name)
    return rescaled(detection, scale_of_copy(tile_scale, (0, 0), original_zoom=zoom))
