"""Marking clips: every frame of a video, animation or frame folder gets one mark.

All frames carry the same payload, and the pattern is tied to the pixel grid,
not to time, so a still shot carries an identical mark in every frame and
nothing shimmers.  A video frame that differs from the last one marked by
no more than the decoder's rounding (:data:`SAME_PICTURE`) reuses its change
instead of computing the perceptual mask again: a still shot decoded from
H.264 wobbles by a grey level here and there, and its mark should not.  The
clip's key frames (:mod:`.keyframes`) are chosen as the frames go by, so the
registry can fingerprint each scene without reading the clip again, each as
drawn and as marked (see :func:`.keyframes.pictures_of`).

Outputs appear only when complete (videos and folders are written beside
their final name and renamed), so a cancel or a failure leaves nothing behind.
A frame folder's frames are separate still files: the caller's *prepare* and
*finish* (consent metadata, signed Content Credentials) are applied to each
frame before it is written, as to a marked still, so every frame appears
already complete.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from artistshield import imageio, watermark
from artistshield.animation import frames as anim
from artistshield.animation import video
from artistshield.animation.clip import FolderClip, VideoClip, open_clip
from artistshield.animation.keyframes import KeyFrame, KeyFrameSelector
from artistshield.animation.video import Cancelled
from artistshield.errors import ArtistShieldError
from artistshield.fileio import WriteError, describe, make_folder, publish_folder, staged_folder
from artistshield.imageio import Artwork
from artistshield.watermark import mask, pattern

Progress = Callable[[int, int], None]
#: What a frame folder's frames go through before they are written (see :func:`mark_clip`).
Prepare = Callable[[Artwork], Artwork]
Finish = Callable[[bytes, str], bytes]

#: The most any pixel's luma (grey levels) may differ from the frame whose
#: mark is reused.  Measured on the still shot of ``benchmarks/video.py``
#: (H.264 CRF 14): consecutive frames differ by at most 1 level, in a few
#: pixels; any real change (a pan, a figure moving) is tens of levels.
SAME_PICTURE = 2.5


@dataclass(frozen=True)
class ClipMarked:
    """A marked clip as written."""

    output: Path
    frames: int
    psnr: float  # of the mark itself, before any lossy encoding
    first_frame: np.ndarray = field(repr=False)  # as written (RGB or RGBA), full size
    key_frames: tuple[KeyFrame, ...] = field(default=(), repr=False)  # shrunk


class LumaMarker:
    """The mark's change for a frame's luma; thread safe, remembers the last frame.

    The same as :func:`watermark.mark_delta` on an opaque frame: the key's
    tile shaped by the perceptual mask of that frame, except that the tile is
    zoomed for large frames (:func:`~artistshield.watermark.pattern.zoom_for`).
    A frame the same as the last one marked (:func:`same_picture`) gets
    that frame's change again; the frame compared with stays the one the
    change was computed for, so a slow fade cannot drift away from it.
    """

    def __init__(self, key: bytes, payload: int, *, strength: float) -> None:
        self.key, self.payload = key, payload
        self.strength = strength
        self._lock = threading.Lock()
        self._tiled: np.ndarray | None = None
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, y: np.ndarray) -> np.ndarray:
        with self._lock:
            last = self._last
        if last is not None and same_picture(last[0], y):
            return last[1]
        step = pattern.zoom_for(y.shape)  # the mask need not be finer than the chips
        amp = mask.amplitude(y, strength=self.strength, step=step)
        delta = mask.hold(amp, step, self._pattern(y.shape))
        with self._lock:
            self._last = (y, delta)
        return delta

    def _pattern(self, shape: tuple[int, ...]) -> np.ndarray:
        tiled = self._tiled
        if tiled is None or tiled.shape != shape:
            h, w = shape
            tile = pattern.tile(self.key, self.payload, zoom=pattern.zoom_for(shape))
            reps = (-(-h // tile.shape[0]), -(-w // tile.shape[1]))
            tiled = np.tile(tile, reps)[:h, :w].astype(np.float32)
            self._tiled = tiled
        return tiled


def same_picture(a: np.ndarray, b: np.ndarray, tolerance: float = SAME_PICTURE) -> bool:
    """Whether luma planes *a* and *b* differ nowhere by more than *tolerance*."""
    if a.shape != b.shape:
        return False
    # a sparse look first: frames that moved are told apart at a 64th of the cost
    if float(np.abs(a[::8, ::8] - b[::8, ::8]).max()) > tolerance:
        return False
    return float(np.abs(a - b).max()) <= tolerance


def mark_clip(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    key: bytes,
    payload: int,
    strength: float = 1.0,
    crf: int | None = None,
    codec: str | None = None,
    quality: int | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    prepare: Prepare | None = None,
    finish: Finish | None = None,
) -> ClipMarked:
    """Mark every frame of a video, animated image or frame folder into *out_dir*.

    The copy takes the source's name, or the first free ``name (N)``: no
    existing file or folder is ever replaced (:mod:`artistshield.fileio`).
    For a frame folder, each marked frame goes through *prepare* (its
    metadata, pixels untouched) and its encoded bytes through *finish* (with
    the format's name) before the frame is written; a single-file clip is
    left for the caller to finish once written.
    """
    source, out = Path(source), Path(out_dir)
    if not 0.0 < strength <= 4.0:
        raise ValueError("strength must be above 0 and at most 4")
    stop = cancelled or (lambda: False)
    make_folder(out)
    clip = open_clip(source)
    if isinstance(clip, FolderClip):
        return _mark_sequence(
            clip, out, key, payload, strength, progress, stop, prepare=prepare, finish=finish
        )
    if isinstance(clip, VideoClip):
        marker = LumaMarker(key, payload, strength=strength)
        selector, seen, done = KeyFrameSelector(), itertools.count(), itertools.count()
        # the key frames are chosen on a thread of their own: a look that
        # fingerprints a frame would otherwise hold up the frames fed to the
        # encoder; the luma plane is copied, as the encoder's thread marks it
        with InOrder() as choosing:
            encoded = video.transcode(
                source, out / source.name, marker, exists="free",
                crf=video.DEFAULT_CRF if crf is None else crf, codec=codec,
                progress=progress, cancelled=stop,
                decoded=lambda luma, rgb: choosing.call(
                    selector.offer, next(seen), np.array(luma), rgb
                ),
                edited=lambda rgb: choosing.call(selector.attach, next(done), rgb),
            )
        target = encoded.path or out / source.name
        return ClipMarked(
            target, encoded.frames, _psnr(encoded.mean_square_change), video.first_frame(target),
            selector.key_frames,
        )
    return _mark_animation(source, out, key, payload, strength, quality, progress, stop)


class InOrder:
    """Calls made one after another, in the order given, on a thread of their own.

    At most *most* wait at a time (the caller waits for room), so a slow
    call cannot let frames pile up in memory.  Leaving the ``with`` block
    waits for every call; a call that failed raises at the next :meth:`call`
    or there, unless the block itself failed.
    """

    def __init__(self, most: int = 16) -> None:
        self._pool = ThreadPoolExecutor(1)
        self._waiting: deque[Future[object]] = deque()
        self._most = most

    def call(self, fn: Callable[..., object], *args: object) -> None:
        while self._waiting and (self._waiting[0].done() or len(self._waiting) >= self._most):
            self._waiting.popleft().result()
        self._waiting.append(self._pool.submit(fn, *args))

    def __enter__(self) -> InOrder:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            while self._waiting:
                future = self._waiting.popleft()
                if kind is None:
                    future.result()
                else:
                    future.cancel()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _psnr(mean_square: float) -> float:
    return float("inf") if mean_square <= 0 else round(float(10.0 * np.log10(255.0**2 / mean_square)), 2)


class _FrameMarker:
    """Mark frames one after another, reusing the mark of a frame identical to the last."""

    def __init__(self, key: bytes, payload: int, strength: float) -> None:
        self.key, self.payload, self.strength = key, payload, strength
        self._previous: tuple[np.ndarray, np.ndarray] | None = None
        self._square, self._count = 0.0, 0

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if self._previous is not None and np.array_equal(self._previous[0], frame):
            out = self._previous[1]
        else:
            out = watermark.embed(frame, self.key, self.payload, strength=self.strength)
            self._previous = frame, out
        self._square += float(np.mean((out[..., :3].astype(np.float32) - frame[..., :3]) ** 2))
        self._count += 1
        return out

    @property
    def mean_square(self) -> float:
        """Mean square change per pixel over the frames marked so far."""
        return self._square / max(self._count, 1)


def _mark_frames(
    frames: list[np.ndarray], key: bytes, payload: int, strength: float,
    progress: Progress | None, stop: Callable[[], bool],
) -> tuple[list[np.ndarray], float]:
    marked: list[np.ndarray] = []
    marker = _FrameMarker(key, payload, strength)
    for i, frame in enumerate(frames):
        if stop():
            raise Cancelled("Marking was cancelled; nothing was written.")
        marked.append(marker(frame))
        if progress is not None:
            progress(i + 1, len(frames))
    return marked, marker.mean_square


def _mark_animation(
    source: Path, out: Path, key: bytes, payload: int, strength: float, quality: int | None,
    progress: Progress | None, stop: Callable[[], bool],
) -> ClipMarked:
    animation = anim.read_animation(source)
    selector = KeyFrameSelector()
    for i, frame in enumerate(animation.frames):
        selector.offer_pixels(i, frame)
    try:
        marked, square = _mark_frames(animation.frames, key, payload, strength, progress, stop)
    except ValueError as exc:
        raise ArtistShieldError(f"{source.name}: {exc}.") from exc
    target = anim.write_animation(
        anim.Animation(animation.format, marked, animation.durations, animation.loop,
                       animation.disposal),
        out / source.name, quality=quality, exists="free",
    )
    written = anim.read_animation(target)  # as a viewer sees it: GIF's palettes applied
    for chosen in selector.key_frames:
        selector.attach(chosen.frame, written.frames[chosen.frame])
    return ClipMarked(
        target, written.frame_count, _psnr(square), written.frames[0], selector.key_frames
    )


def _mark_sequence(
    clip: FolderClip, out: Path, key: bytes, payload: int, strength: float,
    progress: Progress | None, stop: Callable[[], bool],
    *, prepare: Prepare | None, finish: Finish | None,
) -> ClipMarked:
    folder, files = clip.path, clip.files
    marker = _FrameMarker(key, payload, strength)
    first_frame: np.ndarray | None = None
    selector = KeyFrameSelector()
    part = staged_folder(out / folder.name)
    try:
        for i, path in enumerate(files):
            if stop():
                raise Cancelled("Marking was cancelled; nothing was written.")
            artwork = imageio.load(path)
            pixels = artwork.rgb8()
            marked = marker(pixels)
            written = artwork.with_rgb8(marked)
            if prepare is not None:
                written = prepare(written)
            imageio.save(written, part / path.name, protect=[path], finish=finish)
            if first_frame is None:
                first_frame = imageio.load(part / path.name).rgb8()
            if selector.offer_pixels(i, pixels):
                selector.attach(i, marked)  # frames are lossless: as written
            if progress is not None:
                progress(i + 1, len(files))
        target = publish_folder(part, out / folder.name)
    except BaseException as exc:
        shutil.rmtree(part, ignore_errors=True)
        if isinstance(exc, ValueError):
            raise ArtistShieldError(f"{folder.name}: {exc}.") from exc
        if isinstance(exc, OSError):
            raise WriteError(describe(out / folder.name, exc)) from exc
        raise
    assert first_frame is not None
    return ClipMarked(
        target, len(files), _psnr(marker.mean_square), first_frame, selector.key_frames
    )
