"""Key frames: the frames of a clip that get a fingerprint of their own in the registry.

A single frame of a clip found online is matched through the fingerprint of
the key frame it resembles, so a clip needs one per scene, not just its
first frame.  The first frame is a key frame; after it, any frame whose
picture differs from every key frame chosen so far is one too: a cut to a
new shot, or a camera that has moved far.  A shot cut back to (dialogue,
shot and reverse shot) is not chosen twice.

Pictures are compared as 32x32 grey thumbnails, each scaled to zero mean and
unit spread, by their mean absolute difference (:data:`SCENE_CHANGE`).
The threshold lies between what a small pan scores and what two different
pictures do, and errs towards a cut never missed rather than few key
frames, as the fingerprint still matches much larger pans.
Frames too plain to fingerprint (a black frame between shots) are never
chosen, except as the first.

A figure that walks across a still background, or turns, barely changes the
thumbnail, yet the registry rightly refuses a copy with a spot that differs
from the work (that is how it tells two drawings on one template apart).
So the selector also asks the registry's own matcher: every
:data:`CHECK_EVERY` frames, if the picture changed since the last look by
more than a small pan or zoom explains (:func:`_camera_moved`), the frame is
fingerprinted and searched among the key frames chosen so far, and a frame
none of them matches becomes a key frame too (its fingerprint is the one it
was searched with).  Looking less often can keep landing on the same pose
of a figure that moves back and forth.  The measurements behind both rules
are in ``docs/decisions/0005-key-frames.md``.

The selector sees frames once, as they stream past while marking, and keeps
only thumbnails and the chosen frames shrunk to :data:`KEY_FRAME_SIDE` (the
fingerprint looks no closer than that).  Past :data:`MAX_KEY_FRAMES` the
chosen frames are thinned to every second one, then every fourth..., so they
stay spread evenly over the clip's scenes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image
from scipy import ndimage

from artistshield import fingerprint
from artistshield.animation import video
from artistshield.animation.clip import Clip, Pixels, VideoClip, open_clip
from artistshield.animation.video import Cancelled
from artistshield.errors import ImageError

#: The most key frames one work gets.
MAX_KEY_FRAMES = 32
#: Mean absolute difference of normalised thumbnails that makes a frame new.
SCENE_CHANGE = 0.5
#: Mean absolute difference (as :data:`SCENE_CHANGE`) under which two frames of a
#: suspect are one picture to match: a few pixels of pan, a blink.
SAME_SHOT = 0.2
#: Longer side key frames are kept at (the fingerprint's own working size).
KEY_FRAME_SIDE = 640
_THUMB = 32
#: Frames between two looks at whether the key frames still match the picture.
CHECK_EVERY = 7
#: Change from the last look (as :data:`SCENE_CHANGE`) below which the frame is not looked at.
_STILL = 0.03
#: Share of the change a camera move must explain to skip a look, the most it
#: may shift (thumbnail pixels), and the Gauss-Newton steps to fit it.
_EXPLAINED = 0.75
_MARGIN = 4
_STEPS = 6
#: A thumbnail with less spread than this (grey levels) has no picture to fingerprint.
_PLAIN = 2.0
#: Thumbnails of earlier scenes remembered for the comparison.
_REMEMBERED = 512
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


class KeyFrame(NamedTuple):
    """A key frame: its frame index in the clip (from 0) and its pixels, RGB(A) uint8.

    When the clip was marked, ``pixels`` are the frame as drawn and
    ``marked`` as written (see :func:`pictures_of`).  ``fingerprint`` is
    that of ``pixels`` (``fingerprint.compute(pixels)``) when choosing the
    key frames needed it, so the registry need not work it out again.
    """

    frame: int
    pixels: np.ndarray
    marked: np.ndarray | None = None
    fingerprint: fingerprint.Fingerprint | None = None


class KeyFramePicture(NamedTuple):
    """A picture of a clip to fingerprint: frame index, pixels and, if known, their fingerprint.

    The shape :func:`artistshield.registry.ingest.describe` takes.
    """

    frame: int
    pixels: np.ndarray
    fingerprint: fingerprint.Fingerprint | None = None


def pictures_of(key_frames: Iterable[KeyFrame]) -> list[KeyFramePicture]:
    """Return the pictures to fingerprint: each key frame as drawn, then as marked.

    Both, because the mark stays put on the pixel grid while the picture
    moves.  Measured on 8-pixel pans and on still shots with a moving
    figure, 384x288, GIF and H.264, as is and rescaled to JPEG (240
    queries each): fingerprints of the frames as marked found 100 of the
    still-shot frames and 56 of the panned ones, of the frames as drawn 57
    and 77; the mark's texture in the fingerprint holds to the grid and
    pulls against a picture that moved.
    """
    pictures: list[KeyFramePicture] = []
    for key in key_frames:
        pictures.append(KeyFramePicture(key.frame, key.pixels, key.fingerprint))
        if key.marked is not None:
            pictures.append(KeyFramePicture(key.frame, key.marked))
    return pictures


def fingerprinted(
    pictures: Iterable[KeyFramePicture], *, threads: int = 2
) -> list[KeyFramePicture]:
    """*pictures* each with its fingerprint (over white): those missing are worked out
    on *threads* threads, as the registry would one after another."""
    pictures = list(pictures)
    missing = [i for i, picture in enumerate(pictures) if picture.fingerprint is None]
    with ThreadPoolExecutor(max(1, threads)) as pool:
        found = list(pool.map(lambda i: fingerprint.compute(pictures[i].pixels), missing))
    for i, printed in zip(missing, found, strict=True):
        pictures[i] = pictures[i]._replace(fingerprint=printed)
    return pictures


def thumbnail(grey: np.ndarray) -> np.ndarray:
    """Return a 32x32 float32 thumbnail of a 2-D brightness array (any range, any size)."""
    h, w = grey.shape
    step = max(1, min(h, w) // (4 * _THUMB))  # a strided look is plenty, and cheap
    small = np.ascontiguousarray(grey[::step, ::step], dtype=np.float32)
    image = Image.fromarray(small, "F").resize((_THUMB, _THUMB), Image.Resampling.BOX)
    return np.asarray(image, np.float32)


def normalised(thumb: np.ndarray) -> np.ndarray:
    """*thumb* at zero mean and unit spread (no less than :data:`_PLAIN` is divided by)."""
    return (thumb - thumb.mean()) / max(float(thumb.std()), _PLAIN)


def grey_of(pixels: np.ndarray) -> np.ndarray:
    """Return a strided grey look at RGB(A) uint8 *pixels*, alpha over white."""
    h, w = pixels.shape[:2]
    step = max(1, min(h, w) // (4 * _THUMB))
    view = pixels[::step, ::step].astype(np.float32)
    grey = view[..., :3] @ _LUMA
    if pixels.shape[2] == 4:
        alpha = view[..., 3] / 255.0
        grey = grey * alpha + 255.0 * (1.0 - alpha)
    return grey


def distinct(frames: Iterable[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
    """The ``(index, RGB(A) pixels)`` *frames* that are pictures of their own, in order.

    A frame whose thumbnail is within :data:`SAME_SHOT` of one kept before
    is left out: matched against the registry it would only find what that
    one found, at the price of a search each.
    """
    return list(each_distinct(frames))


def each_distinct(frames: Iterable[tuple[int, np.ndarray]]) -> Iterator[tuple[int, np.ndarray]]:
    """The frames :func:`distinct` keeps, each as soon as it is known to be one."""
    thumbs: list[np.ndarray] = []
    for index, pixels in frames:
        thumb = normalised(thumbnail(grey_of(pixels)))
        if all(float(np.abs(seen - thumb).mean()) >= SAME_SHOT for seen in thumbs):
            thumbs.append(thumb)
            yield index, pixels


def shrunk_size(width: int, height: int, side: int = KEY_FRAME_SIDE) -> tuple[int, int] | None:
    """(width, height) with the longer side at most *side*, never under 64 on the shorter;
    None when that is no smaller."""
    scale = min(1.0, max(side / max(width, height), 64 / min(width, height)))
    if scale >= 1.0:
        return None
    return max(1, round(width * scale)), max(1, round(height * scale))


def shrink(pixels: np.ndarray, *, side: int = KEY_FRAME_SIDE) -> np.ndarray:
    """Return *pixels* at :func:`shrunk_size`, or a copy when they are no bigger."""
    size = shrunk_size(pixels.shape[1], pixels.shape[0], side)
    if size is None:
        return np.array(pixels)  # a copy: callers may reuse their buffers
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    image = Image.fromarray(pixels, mode)
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.5))


@dataclass
class KeyFrameSelector:
    """Chooses a clip's key frames from frames offered in order, one pass."""

    limit: int = MAX_KEY_FRAMES
    threshold: float = SCENE_CHANGE
    check_every: int | None = CHECK_EVERY
    """Frames between matching checks; None for thumbnails alone."""
    _seen: np.ndarray = field(
        default_factory=lambda: np.zeros((0, _THUMB, _THUMB), np.float32), repr=False
    )
    _kept: list[tuple[int, KeyFrame, np.ndarray]] = field(default_factory=list, repr=False)
    """Scene number, key frame and normalised thumbnail of each key frame kept."""
    _scenes: int = 0  # new pictures seen so far; the first is scene 0
    _stride: int = 1  # keep every stride-th scene
    _index: fingerprint.FingerprintIndex = field(
        default_factory=fingerprint.FingerprintIndex, repr=False
    )
    _looked: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a clip needs room for at least one key frame")

    def offer_pixels(self, index: int, pixels: np.ndarray) -> bool:
        """Offer an RGB(A) uint8 frame; return whether it became a key frame."""
        return self.offer(index, grey_of(pixels), pixels)

    def offer(self, index: int, grey: np.ndarray, pixels: Pixels) -> bool:
        """Offer frame *index* by its brightness *grey* (2-D, any range) and its pixels.

        *pixels* may be a function returning them, called only for a key frame.
        """
        thumb = thumbnail(grey)
        spread = float(thumb.std())
        if self._scenes and spread < _PLAIN:
            return False
        thumb = normalised(thumb)
        picture: np.ndarray | None = None  # shrunk, once it is needed
        found: fingerprint.Fingerprint | None = None
        if self._scenes and self._nearest(thumb) <= self.threshold:
            if not self._due(index, thumb):
                return False
            picture = _shrunk(pixels)
            found = fingerprint.compute(picture)
            if self._covered(found, thumb):
                return False
        scene = self._scenes
        self._scenes += 1
        self._seen = np.concatenate([self._seen[1 - _REMEMBERED :], thumb[None]])
        self._looked = (index, thumb)
        if scene % self._stride:
            return False
        if picture is None:
            picture = _shrunk(pixels)
        self._kept.append((scene, KeyFrame(index, picture, fingerprint=found), thumb))
        if found is not None:
            self._index.add(str(scene), found)
        if len(self._kept) > self.limit:
            self._stride *= 2
            for s, key, _ in self._kept:
                if s % self._stride and key.fingerprint is not None:
                    self._index.remove(str(s))
            self._kept = [kept for kept in self._kept if kept[0] % self._stride == 0]
        return scene % self._stride == 0  # thinning may have dropped it at once

    def _covered(self, query: fingerprint.Fingerprint, thumb: np.ndarray) -> bool:
        """Whether a key frame chosen so far matches *query* (whose thumbnail is *thumb*).

        Key frames are fingerprinted here, when first needed, and only those
        whose thumbnails are alike: most (still shots, pans) never are.  A
        key frame with a fingerprint is in the index under its scene number.
        """
        for i, (scene, key, seen) in enumerate(self._kept):
            alike = float(np.abs(seen - thumb).mean()) <= self.threshold
            if alike and key.fingerprint is None:
                computed = fingerprint.compute(key.pixels)
                self._index.add(str(scene), computed)
                self._kept[i] = (scene, key._replace(fingerprint=computed), seen)
        best = self._index.search(query, limit=1)
        return bool(best and best[0].is_match)

    def _due(self, index: int, thumb: np.ndarray) -> bool:
        """Whether frame *index* should be matched against the key frames (and note the look)."""
        if self.check_every is None or self._looked is None:
            return False
        last, seen = self._looked
        if index - last < self.check_every:
            return False
        if float(np.abs(seen - thumb).mean()) < _STILL or _camera_moved(seen, thumb):
            return False
        self._looked = (index, thumb)
        return True

    def _nearest(self, thumb: np.ndarray) -> float:
        """How far *thumb* is from the most alike scene seen so far."""
        return float(np.abs(self._seen - thumb).mean(axis=(1, 2)).min())

    def attach(self, index: int, marked: Pixels) -> bool:
        """Give key frame *index*, if it is one, its pixels as marked; return whether it was."""
        for i, (scene, key, thumb) in enumerate(self._kept):
            if key.frame == index:
                self._kept[i] = (scene, key._replace(marked=_shrunk(marked)), thumb)
                return True
        return False

    @property
    def key_frames(self) -> tuple[KeyFrame, ...]:
        return tuple(k for _, k, _ in self._kept)


def _shrunk(pixels: Pixels) -> np.ndarray:
    """*pixels*, or what the function *pixels* returns, at the key frames' size."""
    if isinstance(pixels, video.Picture):  # scaled as it is converted
        return shrink(pixels(shrunk_size(pixels.width, pixels.height)))
    return shrink(pixels() if callable(pixels) else pixels)


def _camera_moved(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether a small pan or zoom of *before* explains most of how *after* differs.

    Fits a shift and a zoom about the centre (Lucas-Kanade, Gauss-Newton
    steps on the thumbnails) and compares the mean difference left with the
    one before: a camera move leaves less than :data:`_EXPLAINED` of it, a
    figure that moved over a still background leaves nearly all.  A move too
    far for the fit is not explained, and is looked at.
    """
    n = before.shape[0]
    inner = (slice(_MARGIN, n - _MARGIN),) * 2
    ys, xs = np.mgrid[0:n, 0:n].astype(np.float32)
    yc, xc = ys - (n - 1) / 2, xs - (n - 1) / 2
    gy, gx = np.gradient(before)
    target = after[inner]
    start = float(np.abs(before[inner] - target).mean())
    shift_y = shift_x = zoom = 0.0

    def warp(image: np.ndarray) -> np.ndarray:
        """*image* sampled where the fitted move puts each thumbnail pixel."""
        at = [(1 + zoom) * yc + (n - 1) / 2 + shift_y, (1 + zoom) * xc + (n - 1) / 2 + shift_x]
        return ndimage.map_coordinates(image, at, order=1, mode="nearest")

    for _ in range(_STEPS):
        warped, wy, wx = warp(before), warp(gy), warp(gx)
        jacobian = np.stack([wy[inner], wx[inner], (wy * yc + wx * xc)[inner]], -1).reshape(-1, 3)
        error = (target - warped[inner]).ravel()
        step = np.linalg.lstsq(jacobian, error, rcond=None)[0]
        shift_y, shift_x, zoom = shift_y + step[0], shift_x + step[1], zoom + step[2]
        if max(abs(shift_y), abs(shift_x)) > _MARGIN or abs(zoom) > 0.3:
            return False
    return float(np.abs(warp(before)[inner] - target).mean()) < _EXPLAINED * start


@dataclass(frozen=True)
class ClipKeyFrames:
    """What the registry needs of a clip it did not mark: its frame count, first and key frames."""

    frame_count: int
    first_frame: np.ndarray = field(repr=False)  # RGB or RGBA uint8, full size
    key_frames: tuple[KeyFrame, ...] = field(repr=False)


def read_key_frames(
    path: str | os.PathLike[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ClipKeyFrames:
    """Read a clip (video, animated image or frame folder) once and choose its key frames."""
    path = Path(path)
    selector = KeyFrameSelector()
    first: np.ndarray | None = None
    count, total = 0, 0
    with open_clip(path) as clip:
        for count, (grey, pixels) in enumerate(_pictures(clip), start=1):
            if cancelled is not None and cancelled():
                raise Cancelled("Reading the clip was cancelled.")
            if first is None:
                first = pixels() if callable(pixels) else pixels
                pixels = first
            selector.offer(count - 1, grey, pixels)
            if progress is not None:
                progress(count, total)
    if first is None:
        raise ImageError(f"{path} has no frames.")
    return ClipKeyFrames(count, first, selector.key_frames)


def _pictures(clip: Clip) -> Iterator[tuple[np.ndarray, Pixels]]:
    """Each frame's brightness and its pixels (a video's luma plane comes free with it)."""
    if isinstance(clip, VideoClip):
        yield from clip.luma_pictures()
        return
    for _, pixels in clip.pictures():
        rgb = pixels() if callable(pixels) else pixels
        yield grey_of(rgb), rgb
