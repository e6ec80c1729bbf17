"""One clip reader: what a clip is, and its frames, for every job and the app.

A *clip* is a video, an animated GIF/APNG/WebP of two frames or more, or a
folder of numbered frames (:mod:`.sequence` says which folders are); that is
:func:`is_clip`, the one rule marking, checking, registering and the app
follow.  A one-frame GIF or APNG is a still, read by :mod:`artistshield.imageio`.

:func:`open_clip` returns a :class:`Clip`, which reads nothing until asked:
:meth:`Clip.timing` reads the frame count and the rate or durations (the
container's header, the animation's frame headers, the folder listing),
:meth:`Clip.frame` decodes one frame for a preview, and :meth:`Clip.pictures`
streams the frames in order for the jobs (:meth:`Clip.sample` keeps a few,
spread evenly).  A video keeps its decoder open, so stepping forward decodes
only the next frames and a jump seeks to the key frame before it; memory
stays that of a frame or two whatever the clip's length.  Frames come as
RGB, or RGBA where something is see-through (:func:`.frames.opaque_as_rgb`).

A lock per clip keeps two threads from sharing one decoder.
"""

from __future__ import annotations

import bisect
import functools
import os
import threading
from collections.abc import Callable, Collection, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from PIL import Image, ImageSequence

from artistshield import imageio
from artistshield.animation import frames as anim
from artistshield.animation import sequence, video
from artistshield.animation.video import Cancelled
from artistshield.errors import ArtistShieldError, ImageError

#: Frame folders carry no timing; they play at the rate animators most often draw for.
FOLDER_FPS = 24
#: A video decodes forward rather than seeking when the frame asked for is this close ahead.
_DECODE_AHEAD = 48
#: GIF and APNG durations this short are shown as 100 ms, as browsers play them.
_SHORTEST_MS = 10
#: Suffixes of files that may hold a clip (animated PNG and WebP share .png and .webp with stills).
CLIP_SUFFIXES = frozenset({".gif", ".apng", *video.MUXERS})

#: A frame as a clip streams it: its pixels, or a function returning them
#: (for the kinds whose frames cost something to convert).
Pixels = np.ndarray | Callable[[], np.ndarray]


def is_clip(path: str | os.PathLike[str]) -> bool:
    """Whether *path* is a clip: a video, a GIF/APNG/WebP of two frames or more, a frame folder."""
    path = Path(path)
    if path.is_dir():
        return sequence.is_sequence(path)
    if not path.is_file():
        return False
    if video.is_video(path):
        return True
    return path.suffix.lower() in anim.FORMATS and anim.frame_count(path) > 1


def is_picture(path: str | os.PathLike[str]) -> bool:
    """Whether *path* is named like a still or a clip ArtistShield reads (not a folder)."""
    suffix = Path(path).suffix.lower()
    return imageio.is_supported(path) or suffix in CLIP_SUFFIXES


@dataclass(frozen=True)
class Timing:
    """How many frames a clip has and when each is shown."""

    frame_count: int
    starts_ms: tuple[float, ...] | None = None  # per frame (animated images); None: constant rate
    fps: float = float(FOLDER_FPS)
    assumed_rate: bool = False  # a frame folder: the rate is ours, not the artist's
    last_ms: float = 100.0  # the last frame's duration (animated images)

    def start_ms(self, index: int) -> float:
        if self.starts_ms is not None:
            return self.starts_ms[index]
        return 1000.0 * index / self.fps

    def duration_ms(self, index: int) -> float:
        if self.starts_ms is not None:
            if index + 1 < len(self.starts_ms):
                return self.starts_ms[index + 1] - self.starts_ms[index]
            return self.last_ms
        return 1000.0 / self.fps

    def index_at(self, ms: float) -> int:
        """The frame on screen at *ms* from the start."""
        if self.starts_ms is not None:
            return max(0, bisect.bisect_right(self.starts_ms, ms) - 1)
        return min(self.frame_count - 1, max(0, int(ms * self.fps / 1000.0)))


def open_clip(path: str | os.PathLike[str]) -> Clip:
    """The clip at *path* (a video, an animated image or a frame folder); opens nothing yet."""
    path = Path(path)
    if path.is_dir():
        return FolderClip(path)
    if video.is_video(path):
        return VideoClip(path)
    return AnimatedClip(path)


class Clip:
    """One clip: its timing, random access to a frame, and its frames streamed in order.

    Frames are HxWx3 or HxWx4 uint8 arrays.  Use as a context manager, or
    :meth:`close` it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._timing: Timing | None = None
        self._closed = False

    def __enter__(self) -> Clip:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def timing(self) -> Timing:
        with self._lock:
            if self._timing is None:
                self._timing = self._read_timing()
            return self._timing

    @property
    def frame_count(self) -> int:
        """Frames in the clip, as far as the file says (a video may not know: then 0)."""
        return self._count()

    @property
    def rate(self) -> float | None:
        """Frames a second for a constant rate; ``None`` when each frame has its own duration."""
        timing = self.timing()
        return None if timing.starts_ms is not None else timing.fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the first frame."""
        height, width = self.frame(0).shape[:2]
        return width, height

    def frame(self, index: int) -> np.ndarray:
        """Frame *index* (from 0), decoded now; clamped to the clip."""
        count = self.timing().frame_count
        with self._lock:
            return self._read_frame(min(max(index, 0), count - 1))

    def close(self) -> None:
        """Close the file; the reader cannot be used again (a late request fails)."""
        with self._lock:
            self._closed = True
            self._close()

    def pictures(self) -> Iterator[tuple[int, Pixels]]:
        """Yield ``(frame index, pixels or a function returning them)`` for every frame in order.

        Independent of :meth:`frame`: the frames are read by a reader of their
        own, closed when the iterator is.
        """
        raise NotImplementedError

    def readable_frames(
        self,
        step: int = 1,
        *,
        decoded: Callable[[int, Pixels], object] | None = None,
        needed: Collection[int] | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(frame index, what the mark is read from)`` for every *step*-th frame.

        That is the frame's RGB(A) pixels, or for a video its luma plane
        (float32, 0..255), where the mark lives.  *decoded*, if given, is
        told of every frame read on the way, as :meth:`pictures` yields it;
        with *needed*, the frames it must be told of, a video may leave
        others undecoded (:func:`.video.luma_frames`).
        """
        for index, pixels in self.pictures():
            if decoded is not None:
                decoded(index, pixels)
            if index % step == 0:
                yield index, pixels() if callable(pixels) else pixels

    def sample(
        self,
        count: int,
        *,
        shrink: Callable[[np.ndarray], np.ndarray] = np.array,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[tuple[int, np.ndarray]]:
        """Up to *count* frames spread evenly, as ``(frame index, shrink(pixels))``.

        The clip is read once, frame by frame, keeping only the frames chosen
        (after *shrink*), so a long or large clip never sits in memory.
        *progress* is told (frame reached, frames in the clip or 0);
        :class:`Cancelled` is raised when *cancelled* says so between frames.
        """
        return list(self.samples(count, shrink=shrink, progress=progress, cancelled=cancelled))

    def samples(
        self,
        count: int,
        *,
        shrink: Callable[[np.ndarray], np.ndarray] = np.array,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Generator[tuple[int, np.ndarray], None, None]:
        """The frames :meth:`sample` returns, in order, each as soon as it is read.

        Whoever stops early saves reading the rest of the clip.  A clip that
        does not say how many frames it has is read whole first, as which
        frames are kept is known only at its end.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        total = self._count()
        sampler = _Sampler(count, total)
        stream = self.pictures()
        try:
            for index, pixels in stream:
                if cancelled is not None and cancelled():
                    raise Cancelled("The check was cancelled.")
                if sampler.wants(index):
                    picture = pixels() if callable(pixels) else pixels
                    kept = shrink(np.ascontiguousarray(picture))
                    if sampler.known:
                        yield index, kept
                    sampler.keep(index, kept)
                elif sampler.done(index):
                    break
                if progress is not None:
                    progress(index + 1, total)
        finally:
            _close(stream)  # a video or an animated image stays open until its reader is closed
        if not sampler.kept:
            raise ImageError(f"{self.path} has no frames to check.")
        if not sampler.known:
            yield from sorted(sampler.kept.items())

    def read_frame(self, index: int) -> np.ndarray:
        """Frame *index* (from 0), full size, reading up to it only; an error past the end."""
        stream = self.pictures()
        try:
            for at, pixels in stream:
                if at == index:
                    return np.ascontiguousarray(pixels() if callable(pixels) else pixels)
        finally:
            _close(stream)
        raise ImageError(f"{self.path} has no frame {index + 1}.")

    def _count(self) -> int:
        return self.timing().frame_count

    def _check_open(self) -> None:
        if self._closed:
            raise ArtistShieldError(f"{self.path.name} was closed.")

    def _read_timing(self) -> Timing:
        raise NotImplementedError

    def _read_frame(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def _close(self) -> None:
        pass


def _close(stream: Iterator[Any]) -> None:
    getattr(stream, "close", lambda: None)()  # let go of the decoder now, not at GC


class FolderClip(Clip):
    """A folder of numbered PNG or TIFF frames: one file per frame."""

    @functools.cached_property
    def files(self) -> list[Path]:
        files = sequence.frame_files(self.path)
        if not files:
            raise ImageError(f"{self.path} is not a folder of numbered PNG or TIFF frames.")
        return files

    def _read_timing(self) -> Timing:
        return Timing(len(self.files), fps=float(FOLDER_FPS), assumed_rate=True)

    def _read_frame(self, index: int) -> np.ndarray:
        self._check_open()
        return imageio.load(self.files[index]).rgb8()

    def pictures(self) -> Iterator[tuple[int, Pixels]]:
        for index, file in enumerate(self.files):
            yield index, functools.partial(_rgb8_of, file)  # loaded only if wanted


def _rgb8_of(file: Path) -> np.ndarray:
    return imageio.load(file).rgb8()


class AnimatedClip(Clip):
    """A GIF, APNG or animated WebP, kept open and seeked frame by frame.

    Pillow composites each frame as a viewer shows it; going back re-reads
    from the first frame, which these small files make cheap.
    """

    _image: Any = None

    def _open(self) -> Any:
        self._check_open()
        if self._image is None:
            self._image = Image.open(self.path)
        return self._image

    def _goto(self, index: int) -> Any:
        """Seek to frame *index*; going back reopens the file (Pillow's APNG cannot rewind)."""
        image = self._open()
        if index < image.tell():
            self._close()
            image = self._open()
        image.seek(index)
        return image

    def _read_timing(self) -> Timing:
        try:
            image = self._open()
            starts, at = [], 0.0
            duration = 100.0
            for i in range(int(getattr(image, "n_frames", 1))):
                self._goto(i).load()  # WebP tells a frame's duration once it is decoded
                starts.append(at)
                duration = float(image.info.get("duration", 0) or 0)
                duration = 100.0 if duration <= _SHORTEST_MS else duration
                at += duration
        except (OSError, ValueError, EOFError, SyntaxError, Image.DecompressionBombError) as exc:
            self._close()
            raise ImageError(f"Could not read the frames of {self.path} ({exc}).") from exc
        return Timing(len(starts), starts_ms=tuple(starts), last_ms=duration)

    def _count(self) -> int:
        return anim.frame_count(self.path)  # the header only, without decoding each frame

    def _read_frame(self, index: int) -> np.ndarray:
        try:
            rgba = np.asarray(self._goto(index).convert("RGBA"))
        except (OSError, ValueError, EOFError, SyntaxError) as exc:
            raise ImageError(f"Could not read frame {index + 1} of {self.path} ({exc}).") from exc
        return anim.opaque_as_rgb([rgba])[0]

    def pictures(self) -> Iterator[tuple[int, Pixels]]:
        try:
            with Image.open(self.path) as image:
                for index, frame in enumerate(ImageSequence.Iterator(image)):
                    yield index, anim.opaque_as_rgb([np.asarray(frame.convert("RGBA"))])[0]
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise ImageError(f"Could not read the frames of {self.path} ({exc}).") from exc

    def _close(self) -> None:
        if self._image is not None:
            self._image.close()
            self._image = None


class VideoClip(Clip):
    """A video through PyAV, its decoder kept open between frames."""

    _container: Any = None
    _decoder: Iterator[Any] | None = None
    _next = 0  # index of the frame the decoder yields next
    _last: tuple[int, np.ndarray] | None = None

    def _read_timing(self) -> Timing:
        info = video.probe(self.path)
        fps = float(info.rate) if info.rate else 25.0
        return Timing(max(info.frame_count, 1), fps=fps)

    def _count(self) -> int:
        return video.probe(self.path).frame_count  # 0 when the container does not say

    def pictures(self) -> Iterator[tuple[int, Pixels]]:
        """Yield ``(frame index, a function returning its pixels)``: most frames are never converted."""
        decoded = video.rgb_pictures(self.path)
        try:
            yield from enumerate(decoded)
        finally:
            _close(decoded)

    def luma_pictures(self) -> Iterator[tuple[np.ndarray, Callable[[], np.ndarray]]]:
        """Yield every frame's luma plane (uint8) and a :class:`.video.Picture` of it."""
        return video.pictures(self.path)

    def readable_frames(
        self,
        step: int = 1,
        *,
        decoded: Callable[[int, Pixels], object] | None = None,
        needed: Collection[int] | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        return video.luma_frames(self.path, step=step, decoded=decoded, needed=needed)

    def _stream(self) -> Any:
        self._check_open()
        if self._container is None:
            self._container = video.open_input(self.path)
            self._container.streams.video[0].thread_type = "AUTO"
        return self._container.streams.video[0]

    def _index_of(self, frame: Any, stream: Any, fallback: int) -> int:
        if frame.pts is None or stream.time_base is None:
            return fallback
        start = stream.start_time or 0
        assert self._timing is not None
        return round(float((frame.pts - start) * stream.time_base) * self._timing.fps)

    def _read_frame(self, index: int) -> np.ndarray:
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        import av  # for its error type; a frame folder never loads PyAV

        stream = self._stream()
        try:
            if self._decoder is None or not self._next <= index < self._next + _DECODE_AHEAD:
                self._seek(stream, index)
            assert self._decoder is not None
            found = self._last
            for frame in self._decoder:
                at = self._index_of(frame, stream, self._next)
                self._next = at + 1
                found = (at, frame)
                if at >= index:
                    break
        except av.error.FFmpegError as exc:
            raise ImageError(f"Could not decode {self.path} ({exc}).") from exc
        if found is None:
            raise ImageError(f"{self.path} has no frame {index + 1}.")
        at, frame = found
        pixels = frame if isinstance(frame, np.ndarray) else np.asarray(frame.to_ndarray(format="rgb24"))
        self._last = (at, pixels)
        return pixels

    def _seek(self, stream: Any, index: int) -> None:
        assert self._timing is not None
        container = self._container
        if index == 0 or stream.time_base is None:
            container.seek(0)
            self._next = 0
        else:
            seconds = index / self._timing.fps
            target = (stream.start_time or 0) + int(seconds / stream.time_base)
            container.seek(target, stream=stream, backward=True, any_frame=False)
            self._next = 0  # corrected from the first frame's time stamp
        self._decoder = container.decode(stream)
        self._last = None

    def _close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = self._decoder = self._last = None


_NOTHING = np.empty(0, np.uint8)


def sampled_indexes(count: int, total: int) -> frozenset[int]:
    """The frames (from 0) :meth:`Clip.sample` keeps of *count* in a clip of *total* frames."""
    taken = min(count, total)
    return frozenset(round(i * (total - 1) / max(1, taken - 1)) for i in range(taken))


class _Sampler:
    """Chooses up to *count* frames spread over a clip of *total* frames (0: not known).

    Without a total, every frame is taken at first, then every second one,
    every fourth..., so those kept stay spread over what was read.
    """

    def __init__(self, count: int, total: int) -> None:
        self.count = count
        self.kept: dict[int, np.ndarray] = {}
        self._stride = 1
        self._chosen: set[int] | None = None
        if total > 0:
            self._chosen = set(sampled_indexes(count, total))

    def wants(self, index: int) -> bool:
        if self._chosen is not None:
            return index in self._chosen
        return index % self._stride == 0

    def done(self, index: int) -> bool:
        return self._chosen is not None and index > max(self._chosen)

    @property
    def known(self) -> bool:
        """Whether the frames chosen are known from the start (the clip's length is)."""
        return self._chosen is not None

    def keep(self, index: int, pixels: np.ndarray) -> None:
        if self.known:  # handed out as read: only counted
            self.kept[index] = _NOTHING
            return
        self.kept[index] = pixels
        if len(self.kept) > self.count:
            self._stride *= 2
            self.kept = {i: p for i, p in self.kept.items() if i % self._stride == 0}


def frames_in_words(indexes: list[int] | tuple[int, ...], *, most: int = 12) -> str:
    """Frame indexes as a person reads them, numbered from 1: runs of three or more are joined
    with a dash, so [0, 1, 2, 3, 6, 8] reads "1\N{EN DASH}4, 7 and 9"."""
    runs: list[list[int]] = []
    for n in sorted(i + 1 for i in indexes):
        if runs and n - runs[-1][-1] == 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0]}\N{EN DASH}{run[-1]}")
        else:
            parts.extend(str(n) for n in run)
    if not parts:
        return "none"
    if len(parts) > most:
        parts = [*parts[:most], f"{len(parts) - most} more"]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
