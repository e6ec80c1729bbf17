"""Video files through PyAV: stream frames out, and re-encode with an edit applied.

Nothing here holds a whole video: frames are decoded, edited and encoded one
at a time (a few in flight, so the edit can run on a second core while FFmpeg
decodes and encodes).  Edits work on the 8-bit YUV 4:2:0 picture the encoder
takes, so the colour is never converted to RGB and back; the luma plane is
what the watermark lives in anyway.

The audio stream is copied packet for packet (never re-encoded), and every
video frame keeps its presentation time, so the frame rate, variable or not,
and the sync with the sound are kept.  Other streams (subtitles, data) are
not copied.
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from artistshield.errors import ArtistShieldError, ImageError
from artistshield.fileio import Exists, WriteError, describe, publish, staged

if TYPE_CHECKING:  # PyAV is imported where a video is opened: a frame folder never needs it
    import av

#: Video suffixes and the FFmpeg muxer that writes each.
MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".webm": "webm", ".mkv": "matroska"}
#: The encoder used by default for each muxer.
DEFAULT_CODEC = {"webm": "libvpx-vp9"}
H264 = "libx264"
DEFAULT_CRF = 18
#: Edits computed ahead of the encoder.
_IN_FLIGHT = 4
#: Told of each source frame: its luma plane (uint8) and a function returning it as RGB.
Decoded = Callable[[np.ndarray, Callable[[], np.ndarray]], object]


class Cancelled(ArtistShieldError):
    """The user cancelled; no output was left behind."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    frame_count: int  # from the container; 0 when it does not say
    rate: Fraction | None
    codec: str
    audio_codec: str | None


@dataclass(frozen=True)
class Encoded:
    frames: int
    mean_square_change: float  # mean squared change of luma per pixel (0..255 units)
    path: Path | None = None  # the name written (see ``exists`` in :func:`transcode`)


def is_video(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in MUXERS


def open_input(path: Path) -> av.container.InputContainer:
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise ImageError(f"Could not read the video {path} ({exc}).") from exc
    if not container.streams.video:
        container.close()
        raise ImageError(f"{path} has no video stream.")
    return container


def display_rotation(path: str | os.PathLike[str]) -> int:
    """The turn, in degrees, a player gives *path*'s frames (its display matrix); 0 if none.

    It is side data of the stream that FFmpeg hands on with each decoded frame,
    so the first frame is decoded to read it.
    """
    import av

    try:
        with open_input(Path(path)) as container:
            for frame in container.decode(video=0):
                return round(float(getattr(frame, "rotation", 0) or 0))
    except av.error.FFmpegError:
        return 0  # the transcode itself reports an unreadable clip
    return 0


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Return what the container says about *path*'s first video stream."""
    import av

    with open_input(Path(path)) as container:
        v = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        rate = v.average_rate or v.guessed_rate
        count = int(v.frames or 0)
        if not count and rate and container.duration:  # WebM does not count frames
            count = round(container.duration / av.time_base * rate)
        return VideoInfo(
            width=v.codec_context.width, height=v.codec_context.height,
            frame_count=count, rate=rate,
            codec=v.codec_context.name, audio_codec=audio.codec_context.name if audio else None,
        )


def luma_frames(
    path: str | os.PathLike[str],
    *,
    step: int = 1,
    decoded: Callable[[int, Picture], object] | None = None,
    needed: Collection[int] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (frame index, float32 luma 0..255) for every *step*-th frame.

    *decoded*, if given, is told of every frame decoded (its index and a
    :class:`Picture` of it), so another reader of the frames needs no
    decoder of its own.  With *needed*, the frames it must be told of,
    or without *decoded*, the frames nobody reads may be left undecoded
    where nothing else depends on them (see :func:`_frames`).
    """
    import av

    source = Path(path)
    with open_input(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        skipping = step > 1 and (decoded is None or needed is not None)
        wanted = _Wanted(step, frozenset(needed or ())) if skipping else None
        try:
            for i, frame in _frames(source, container, stream, wanted):
                if decoded is not None:
                    decoded(i, Picture(frame))
                if i % step == 0:
                    yuv, full = _yuv420(frame)
                    yield i, _to_luma(yuv[: _rows(yuv)], full)
        except av.error.FFmpegError as exc:
            raise ImageError(f"Could not decode {path} ({exc}).") from exc


@dataclass(frozen=True)
class _Wanted:
    """Every *step*-th frame and those in *also*."""

    step: int
    also: frozenset[int]

    def __call__(self, index: int) -> bool:
        return index % self.step == 0 or index in self.also


#: Codecs whose non-reference frames FFmpeg can leave undecoded without touching
#: any other frame: in H.264 nothing is predicted from a picture not marked as a
#: reference, so every other frame decodes to the same pixels.
_SKIPPABLE = frozenset({"h264"})


def _frames(
    path: Path,
    container: av.container.InputContainer,
    stream: av.VideoStream,
    wanted: Callable[[int], bool] | None,
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Yield (frame index, frame) in presentation order, every frame or, with
    *wanted*, those it wants and whatever else is decoded on the way.

    A frame no later frame is predicted from (a non-reference picture) is
    skipped unless wanted: about two frames in five of an x264 encode, and
    its cheapest to skip.  Which frame a packet holds is told by its place
    among the presentation times of every packet (read first, without
    decoding), which is where a decoder that outputs every frame puts it;
    where the times cannot tell (a codec not known to skip safely, a packet
    without one, two alike), every frame is decoded and counted as it comes.
    """
    places = None if wanted is None else _presentation_places(path, stream)
    if wanted is None or places is None:
        yield from enumerate(container.decode(stream))
        return
    context = stream.codec_context
    index = -1
    for packet in container.demux(stream):
        shown = packet.size and packet.pts is not None and not packet.is_discard
        place = places.get(packet.pts) if shown and packet.pts is not None else None
        skip = place is not None and not wanted(place)
        context.skip_frame = "NONREF" if skip else "DEFAULT"
        for frame in packet.decode():
            # a frame's time is its packet's; should a decoder invent one, it follows the last
            index = index + 1 if frame.pts is None else places.get(frame.pts, index + 1)
            yield index, frame


def _presentation_places(path: Path, stream: av.VideoStream) -> dict[int, int] | None:
    """Each video packet's presentation time -> the frame index it holds, or None
    when that cannot be told (see :func:`_frames`)."""
    if stream.codec_context.name not in _SKIPPABLE:
        return None
    stamps: list[int] = []
    with open_input(path) as container:
        for packet in container.demux(container.streams.video[0]):
            if not packet.size or packet.is_discard:
                continue  # the flush at the end; before an edit list's start, shown never
            if packet.pts is None:
                return None
            stamps.append(packet.pts)
    places = {pts: i for i, pts in enumerate(sorted(stamps))}
    return places if len(places) == len(stamps) else None


def pictures(
    path: str | os.PathLike[str],
) -> Iterator[tuple[np.ndarray, Callable[[], np.ndarray]]]:
    """Yield every frame as (its luma plane, uint8, and a function returning it as RGB).

    The RGB conversion is left to the caller: most frames never need it.
    """
    for frame in _decoded(path):
        yuv, _ = _yuv420(frame)
        yield yuv[: _rows(yuv)], Picture(frame)


def rgb_pictures(path: str | os.PathLike[str]) -> Iterator[Picture]:
    """Yield every frame as a :class:`Picture`, converted only when called."""
    for frame in _decoded(path):
        yield Picture(frame)


def _decoded(path: str | os.PathLike[str]) -> Iterator[av.VideoFrame]:
    import av

    with open_input(Path(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            yield from container.decode(stream)
        except av.error.FFmpegError as exc:
            raise ImageError(f"Could not decode {path} ({exc}).") from exc


class Picture:
    """A decoded frame, converted to HxWx3 RGB uint8 only when called.

    ``picture((width, height))`` scales it on the way (FFmpeg's area filter):
    cheaper than converting the whole frame and shrinking it after.
    """

    def __init__(self, frame: av.VideoFrame) -> None:
        self._frame = frame
        self.width, self.height = frame.width, frame.height

    def __call__(self, size: tuple[int, int] | None = None) -> np.ndarray:
        if size is None or size == (self.width, self.height):
            return np.asarray(self._frame.to_ndarray(format="rgb24"))
        small = self._frame.reformat(*size, "rgb24", interpolation="AREA")
        return np.asarray(small.to_ndarray())


def first_frame(path: str | os.PathLike[str]) -> np.ndarray:
    """Return the first frame of *path* as HxWx3 RGB uint8."""
    with open_input(Path(path)) as container:
        for frame in container.decode(video=0):
            return np.asarray(frame.to_ndarray(format="rgb24"))
    raise ImageError(f"{path} has no frames.")


def _yuv420(frame: av.VideoFrame) -> tuple[np.ndarray, bool]:
    """Return the frame as an (H*3/2)xW yuv420p array and whether it is full range.

    4:2:0 holds only even sides, so a frame of an odd width or height (a
    4:4:4 or lossless clip) loses its last column or row; its luma is the
    array's first ``_rows(yuv)`` rows.
    """
    full = frame.format.name.startswith("yuvj") or getattr(frame, "color_range", 0) == 2
    if frame.width % 2 or frame.height % 2:
        import av

        rgb = frame.to_ndarray(format="rgb24")[: frame.height // 2 * 2, : frame.width // 2 * 2]
        even = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
        return even.reformat(format="yuv420p").to_ndarray(), False
    if frame.format.name not in ("yuv420p", "yuvj420p"):
        frame = frame.reformat(format="yuv420p")
    return frame.to_ndarray(), full


def _rows(yuv: np.ndarray) -> int:
    """The luma rows of a yuv420p array from :func:`_yuv420`."""
    return yuv.shape[0] * 2 // 3


def _to_luma(y: np.ndarray, full: bool) -> np.ndarray:
    if full:
        return y.astype(np.float32)
    # studio range: black at 16, white at 235
    luma = np.multiply(y, np.float32(255.0 / 219.0), dtype=np.float32)
    luma -= np.float32(16.0 * 255.0 / 219.0)
    return luma


def transcode(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    edit: Callable[[np.ndarray], np.ndarray],
    *,
    crf: int = DEFAULT_CRF,
    codec: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    decoded: Decoded | None = None,
    edited: Callable[[Callable[[], np.ndarray]], object] | None = None,
    exists: Exists = "refuse",
) -> Encoded:
    """Re-encode *source* to *target*, changing each frame's luma by *edit*.

    *edit* takes float32 luma (0..255) and returns the float32 change to add
    to it; it runs on worker threads, frames in order.  *decoded*, if given,
    is told of each source frame in order, before the edit, as
    :func:`pictures` yields it (its luma plane and a function returning it
    as RGB); *edited* of each edited frame, in order, by a function
    returning it as RGB.  The output appears only when complete: a failure
    or a cancel leaves nothing at *target*; an existing *target* is handled
    as *exists* says (:func:`artistshield.fileio.publish`), and the name
    written is the result's ``path``.
    """
    import av

    source, target = Path(source), Path(target)
    muxer = MUXERS.get(target.suffix.lower())
    if muxer is None:
        raise ImageError(f"Cannot write {target}: use one of {', '.join(MUXERS)}.")
    codec = codec or DEFAULT_CODEC.get(muxer, H264)
    try:
        with staged(target) as part:
            with (
                open_input(source) as src,
                ThreadPoolExecutor(2) as pool,
                av.open(str(part), "w", format=muxer) as out,
            ):
                result = _run(
                    src, out, edit, pool, crf, codec, progress, cancelled or _never,
                    decoded, edited, rotation=display_rotation(source),
                )
            written = publish(part, target, exists=exists)
    except av.error.FFmpegError as exc:
        raise ImageError(f"Could not re-encode {source.name} ({exc}).") from exc
    except OSError as exc:
        raise WriteError(describe(target, exc)) from exc
    return dataclasses.replace(result, path=written)


_MADE_BY_THE_MUXER = frozenset(
    {"major_brand", "minor_version", "compatible_brands", "encoder"}
)


def _never() -> bool:
    return False


def _run(
    src: av.container.InputContainer,
    out: av.container.OutputContainer,
    edit: Callable[[np.ndarray], np.ndarray],
    pool: ThreadPoolExecutor,
    crf: int,
    codec: str,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool],
    decoded: Decoded | None = None,
    edited: Callable[[Callable[[], np.ndarray]], object] | None = None,
    *,
    rotation: int = 0,
) -> Encoded:
    import av

    # The source's own tags (title, artist, copyright...) are kept, as for stills;
    # what says how the file was made is the muxer's to write.
    out.metadata.update(
        {k: v for k, v in src.metadata.items() if k.lower() not in _MADE_BY_THE_MUXER}
    )
    vin = src.streams.video[0]
    vin.thread_type = "AUTO"
    ain = src.streams.audio[0] if src.streams.audio else None
    rate = vin.average_rate or vin.guessed_rate or Fraction(25)
    vout = cast("av.VideoStream", out.add_stream(codec, rate=rate))
    # 4:2:0 needs even sides: an odd last column or row is left out (see _yuv420)
    vout.width, vout.height = vin.codec_context.width // 2 * 2, vin.codec_context.height // 2 * 2
    vout.pix_fmt = "yuv420p"
    if rotation:  # a phone's portrait clip: frames stored sideways, shown turned
        vout.set_display_rotation(rotation)
    vout.time_base = vin.time_base
    vout.codec_context.time_base = vin.time_base or Fraction(1, int(rate))
    vout.options = _encoder_options(codec, crf)
    vout.thread_type = "AUTO"
    aout = out.add_stream_from_template(ain) if ain is not None else None
    total = int(vin.frames or 0)
    pending: deque[tuple[Future[float], np.ndarray, av.VideoFrame]] = deque()
    stats = {"frames": 0, "square": 0.0}

    def emit(fut: Future[float], yuv: np.ndarray, frame: av.VideoFrame) -> None:
        stats["square"] += fut.result()  # the frame's luma in *yuv* is edited now
        new = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        new.pts, new.time_base = frame.pts, frame.time_base
        if edited is not None:
            edited(Picture(new))
        for packet in vout.encode(new):
            out.mux(packet)
        stats["frames"] += 1
        if progress is not None:
            progress(int(stats["frames"]), total)

    streams = [vin] if ain is None else [vin, ain]
    for packet in src.demux(streams):
        if packet.stream is ain:
            if packet.dts is not None and aout is not None:
                packet.stream = aout
                out.mux(packet)
            continue
        for frame in cast("list[av.VideoFrame]", packet.decode()):
            if cancelled():
                raise Cancelled("Marking was cancelled; nothing was written.")
            yuv, full = _yuv420(frame)
            if decoded is not None:
                decoded(yuv[: _rows(yuv)], Picture(frame))
            fut = pool.submit(_apply, edit, yuv[: _rows(yuv)], full)
            pending.append((fut, yuv, frame))
            if len(pending) > _IN_FLIGHT:
                emit(*pending.popleft())
    while pending:
        if cancelled():
            raise Cancelled("Marking was cancelled; nothing was written.")
        emit(*pending.popleft())
    for packet in vout.encode():
        out.mux(packet)
    count = int(stats["frames"])
    return Encoded(frames=count, mean_square_change=stats["square"] / max(count, 1))


def _apply(edit: Callable[[np.ndarray], np.ndarray], y: np.ndarray, full: bool) -> float:
    """Change the 8-bit luma plane *y* in place by *edit*; return the mean square change.

    Runs on a worker thread, so the thread that feeds the encoder only
    decodes and encodes.
    """
    delta = edit(_to_luma(y, full))
    changed = np.multiply(delta, np.float32(1.0 if full else 219.0 / 255.0))
    changed += y
    np.clip(changed, 0, 255, out=changed)
    np.rint(changed, out=changed)
    y[...] = changed  # whole numbers in 0..255: the cast to uint8 is exact
    flat = delta.ravel()
    return float(np.dot(flat, flat)) / max(flat.size, 1)


def _encoder_options(codec: str, crf: int) -> dict[str, object]:
    if not 0 <= crf <= 63:
        raise ArtistShieldError("--crf must be a whole number from 0 to 63.")
    if codec == "libvpx-vp9":
        return {"crf": str(crf), "b": "0", "row-mt": "1", "deadline": "good", "cpu-used": "5"}
    if codec == H264:
        # "faster" costs 19.5 s of CPU on the 10 s 1080p clip of
        # benchmarks/video.py where "medium" costs 35 (the largest share of
        # marking), and every attack there still finds the mark, as
        # strongly (docs/decisions/0013-x264-preset-faster.md); "veryfast" once
        # lost a 480p re-encode
        return {"crf": str(crf), "preset": "faster"}
    if codec == "libx265":
        return {"crf": str(crf), "preset": "medium"}
    return {"crf": str(crf)}
