"""Checking a suspect image: is the artist's mark in it, and which work is it?

:func:`check_file` runs everything a suspect goes through — the artist's mark
with every key they hold, the registry match, and what else the image carries
(Stable Diffusion's public marks, Content Credentials, provenance metadata;
see :mod:`artistshield.provenance`) — and returns a :class:`CheckResult` that
prints as one line and serialises to JSON (schema: ``docs/check-json.md``).
The command line's ``check`` and the app's Check view both use it.

A suspect clip is matched against the registry by up to :data:`MATCH_FRAMES`
frames spread evenly over it, so a clip that shows a registered work only
in a later scene is found; each match names the suspect frame it was found in.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from artistshield import imageio, watermark
from artistshield.errors import ArtistShieldError, ImageError
from artistshield.provenance import credentials, metadata, record, sd, signals

if TYPE_CHECKING:
    from artistshield.registry import Registry, WorkMatch

#: The most frames of a suspect clip matched against the registry.
MATCH_FRAMES = 8


@dataclass(frozen=True)
class MarkFinding:
    """The result of looking for one key's mark."""

    key_label: str
    detection: watermark.Detection
    work_id: str | None = None
    #: For a clip: how many frames were checked and which carried the mark.
    frames_checked: int | None = None
    frames_with_mark: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "frames_checked": self.frames_checked,
            "frames_with_mark": None if self.frames_with_mark is None else list(self.frames_with_mark),
            "key": self.key_label,
            "found": self.detection.found,
            "payload": self.detection.payload,
            "p_value": self.detection.p_value,
            "work_id": self.work_id,
            "score": round(self.detection.score, 3),
            "scale": self.detection.scale,
            "rotation": self.detection.rotation,
            "flipped": self.detection.flipped,
            "offset": self.detection.offset,
            "format_version": self.detection.format_version,
            "in_words": p_value_in_words(self.detection.p_value, self.detection.found),
        }


@dataclass(frozen=True)
class CheckResult:
    """Everything found in one suspect image."""

    input: str
    marks: list[MarkFinding] = field(default_factory=list)
    matches: list[WorkMatch] = field(default_factory=list)
    error: str | None = None
    stable_diffusion: sd.StableDiffusionReport | None = None
    c2pa: credentials.ContentCredentials | None = None
    metadata: metadata.Metadata | None = None
    #: For a clip: the frame of it (from 0) in which each matched work was found, by work id.
    match_frames: Mapping[str, int] = field(default_factory=dict)
    #: What the marked work's copy said about AI training when it was registered.
    recorded_consent: record.RecordedConsent | None = None

    @property
    def credentials_stripped(self) -> bool:
        """The mark names a work whose copy stated consent, but this copy states none."""
        if self.recorded_consent is None or (self.c2pa is None and self.metadata is None):
            return False
        return not signals.gather(self.c2pa, self.metadata).signals

    def match_frame(self, work_id: str) -> int | None:
        """The suspect clip's frame in which *work_id* was found; ``None`` for a still."""
        return self.match_frames.get(work_id)

    @property
    def findings(self) -> list[str]:
        """Short sentences about the public marks, Content Credentials and metadata."""
        found: list[str] = []
        for part in (self.stable_diffusion, self.c2pa, self.metadata):
            if part is not None:
                found += part.findings()
        if self.credentials_stripped and self.recorded_consent is not None:
            found.append(
                "This copy's credentials were removed; the original said: "
                f"{self.recorded_consent.statement} (recorded for work "
                f"{self.recorded_consent.work_id})."
            )
        return found

    @property
    def made_with_ai(self) -> list[str]:
        """Which readers say a generative model made the image (empty: none says so)."""
        says = []
        if self.stable_diffusion is not None:
            says += [f"{r.model} mark ({r.level})" for r in self.stable_diffusion.found]
        if self.c2pa is not None and self.c2pa.generative_ai:
            says.append(f"Content Credentials ({self.c2pa.generator or 'unknown generator'})")
        if self.metadata is not None and self.metadata.generative_ai:
            says.append("metadata")
        return says

    @property
    def mark(self) -> MarkFinding | None:
        """The strongest mark found, if any."""
        found = [m for m in self.marks if m.detection.found]
        return min(found, key=lambda m: m.detection.p_value) if found else None

    @property
    def is_artists_work(self) -> bool:
        return self.mark is not None or any(m.is_match for m in self.matches)

    @property
    def verdict(self) -> str:
        if self.error:
            return f"error: {self.error}"
        mark = self.mark
        matched = [m for m in self.matches if m.is_match]
        if mark is not None:
            where = f" (work {mark.work_id})" if mark.work_id else ""
            line = f"your mark is in this image{where}; {p_value_in_words(mark.detection.p_value, True)}"
        elif matched:
            line = f"no mark found, but it matches your registered work {matched[0].work_id}"
        else:
            line = "no mark of yours and no registered work found"
        if self.made_with_ai:
            line += "; made with generative AI according to " + ", ".join(self.made_with_ai)
        return line

    def to_json(self) -> dict[str, Any]:
        best = self.mark or (self.marks[0] if self.marks else None)
        return {
            "input": self.input,
            "watermark": best.to_json() if best else None,
            "marks": [m.to_json() for m in self.marks],
            "matches": [
                {**m.to_json(), "suspect_frame": self.match_frame(m.work_id)} for m in self.matches
            ],
            "stable_diffusion": _json_of(self.stable_diffusion),
            "c2pa": _json_of(self.c2pa),
            "metadata": _json_of(self.metadata),
            "consent": _consent_json(self),
            "findings": self.findings,
            "is_artists_work": self.is_artists_work,
            "verdict": self.verdict,
            "error": self.error,
        }


def _json_of(part: Any) -> dict[str, Any] | None:
    return None if part is None else part.to_json()


def _consent_json(result: CheckResult) -> dict[str, Any] | None:
    if result.c2pa is None and result.metadata is None:
        return None
    recorded = result.recorded_consent
    return {
        **signals.gather(result.c2pa, result.metadata).to_json(),
        "stripped": result.credentials_stripped,
        "recorded": recorded.to_json() if recorded is not None else None,
    }


MATCH_METHODS = {
    "pdq": "the whole picture",
    "local": "matching details",
    "structure": "the shapes of a plain crop",
}
"""How a registry match was found, in words (``Match.method``)."""


def method_in_words(method: str | None) -> str:
    """Say how a registry match was found: "matching details"."""
    return MATCH_METHODS.get(method or "", method or "unknown")


def transform_in_words(detection: watermark.Detection, *, offset: bool = False) -> list[str]:
    """Say what the engine found was done to the copy: ["scaled to 50%", "mirrored"]...

    With *offset*, a crop offset is mentioned too.
    """
    words = []
    if detection.scale is not None and abs(detection.scale - 1) > 0.01:
        words.append(f"scaled to {detection.scale:.0%}")
    if detection.rotation is not None and abs(detection.rotation) >= 0.05:
        words.append(f"rotated by {detection.rotation:.1f}°")
    if detection.flipped:
        words.append("mirrored")
    if offset and detection.offset is not None and any(detection.offset):
        words.append(f"cropped or shifted (offset {detection.offset})")
    return words


def p_value_in_words(p: float, found: bool) -> str:
    """Say what a p-value means for a person who has never seen one."""
    if found:
        if p < 1e-12:
            return "the chance that an unmarked image scores this high is below one in a trillion"
        if p <= 1e-6:
            return "the chance that an unmarked image scores this high is below one in a million"
    if p >= 0.01:
        return "nothing distinguishes this image from an unmarked one"
    return (
        f"a weak trace (chance {p:.1g} for an unmarked image), too weak to call it your mark"
    )


def check_file(
    path: str | os.PathLike[str],
    *,
    keys: Mapping[str, bytes],
    registry: Registry | None = None,
    provenance: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> CheckResult:
    """Check the image at *path* with every key in *keys* and against *registry*.

    With *provenance* (the default) the image's public marks, Content
    Credentials and metadata are read too; the public marks in a child
    process started first, so it runs while the mark is searched for.
    For a clip, *progress* is told (frame reached, frames in the clip) per
    key, and *cancelled* is asked between frames (raising
    :class:`artistshield.animation.Cancelled`).
    """
    from artistshield import animation

    path = Path(path)
    clip = animation.is_animation(path)
    pending = sd.PendingCheck(path) if provenance and not clip else None
    try:
        try:
            if not clip:
                samples = [(0, imageio.load(path).rgb8())]
            elif registry is not None:
                samples = sample_frames(path, progress=progress, cancelled=cancelled)
            else:  # nothing to match: read one frame, to report an unreadable clip here
                samples = [(0, _first_frame(path))]
        except animation.Cancelled:
            raise
        except ArtistShieldError as exc:
            return CheckResult(input=str(path), error=str(exc))
        pixels = samples[0][1]
        marks = []
        for label, key in keys.items():
            frames: dict[str, Any] = {}
            if clip:
                # a clip pools the evidence of its frames
                found = animation.detect_clip(path, key, progress=progress, cancelled=cancelled)
                detection = found.detection
                frames = {
                    "frames_checked": found.frames_checked,
                    "frames_with_mark": tuple(found.frames_with_mark),
                }
            else:
                detection = watermark.detect(pixels, key)
            work_id = None
            if detection.payload is not None and registry is not None:
                work = registry.find_by_payload(detection.payload)
                work_id = work.work_id if work is not None else None
            marks.append(MarkFinding(label, detection, work_id, **frames))
        matches: list[WorkMatch] = []
        extra: dict[str, Any] = {}
        if registry is not None and clip:
            matches, extra["match_frames"] = match_frames(registry, samples)
        elif registry is not None:
            matches = registry.match(pixels)
        if pending is not None:
            extra |= {
                "c2pa": credentials.read_file(path),
                "metadata": metadata.read(path),
                "stable_diffusion": pending.result(),
                "recorded_consent": _recorded_consent(registry, marks),
            }
            pending = None
        return CheckResult(input=str(Path(path)), marks=marks, matches=matches, **extra)
    finally:
        if pending is not None:
            pending.cancel()


def _recorded_consent(
    registry: Registry | None, marks: list[MarkFinding]
) -> record.RecordedConsent | None:
    found = [m for m in marks if m.detection.found and m.work_id]
    if registry is None or not found:
        return None
    best = min(found, key=lambda m: m.detection.p_value)
    return record.load(registry.path.parent, str(best.work_id))


def _first_frame(path: Path) -> Any:
    """Return a clip's first frame as RGB(A) uint8 pixels, for the registry match."""
    from artistshield.animation import frames, sequence, video

    if video.is_video(path):
        return video.first_frame(path)
    if sequence.is_sequence(path):
        return imageio.load(sequence.frame_files(path)[0]).rgb8()
    return frames.read_animation(path).frames[0]


def match_frames(
    registry: Registry, samples: list[tuple[int, np.ndarray]], *, limit: int = 5
) -> tuple[list[WorkMatch], dict[str, int]]:
    """Match each ``(frame index, pixels)`` of a clip; keep each work's best match.

    Returns the matches, best first, and the frame each was found in, by work id.
    """
    best: dict[str, tuple[WorkMatch, int]] = {}
    for index, pixels in samples:
        for match in registry.match(pixels, limit=limit):
            known = best.get(match.work_id)
            if known is None or _rank(match) < _rank(known[0]):
                best[match.work_id] = (match, index)
    ranked = sorted(best.values(), key=lambda found: (_rank(found[0]), found[0].work_id))
    return [m for m, _ in ranked[:limit]], {m.work_id: i for m, i in ranked[:limit]}


def _rank(match: WorkMatch) -> tuple[bool, float]:
    return (not match.is_match, -match.similarity)


def sample_frames(
    path: str | os.PathLike[str],
    *,
    count: int = MATCH_FRAMES,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[tuple[int, np.ndarray]]:
    """Up to *count* frames of the clip at *path*, spread evenly, as ``(frame index, pixels)``.

    The clip is read once, frame by frame; the frames kept are shrunk to the
    size the fingerprint looks at
    (:data:`artistshield.animation.keyframes.KEY_FRAME_SIDE`), so a long or
    large clip never sits in memory.  *progress* is told (frame reached,
    frames in the clip or 0); ``Cancelled`` is raised when *cancelled* says
    so between frames.
    """
    from artistshield.animation import keyframes
    from artistshield.animation.video import Cancelled

    if count < 1:
        raise ValueError("count must be at least 1")
    total, stream = _frame_stream(Path(path))
    sampler = _Sampler(count, total)
    try:
        for index, pixels in stream:
            if cancelled is not None and cancelled():
                raise Cancelled("The check was cancelled.")
            if sampler.wants(index):
                picture = pixels() if callable(pixels) else pixels
                sampler.keep(index, keyframes.shrink(np.ascontiguousarray(picture)))
            elif sampler.done(index):
                break
            if progress is not None:
                progress(index + 1, total)
    finally:
        stream.close()  # a video or an animated image stays open until its reader is closed
    if not sampler.kept:
        raise ImageError(f"{path} has no frames to check.")
    return sorted(sampler.kept.items())


def read_frame(path: str | os.PathLike[str], index: int) -> np.ndarray:
    """Return frame *index* (from 0) of the clip at *path*, full size, reading up to it only."""
    _, stream = _frame_stream(Path(path))
    try:
        for at, pixels in stream:
            if at == index:
                return np.ascontiguousarray(pixels() if callable(pixels) else pixels)
    finally:
        stream.close()
    raise ImageError(f"{path} has no frame {index + 1}.")


FrameStream = Generator[tuple[int, "np.ndarray | Callable[[], np.ndarray]"], None, None]


def _frame_stream(path: Path) -> tuple[int, FrameStream]:
    """Return a clip's frame count (0: not known) and its frames as they are read.

    A frame comes as its pixels or as a function returning them, for the
    kinds whose frames cost something to convert.
    """
    from artistshield.animation import frames, sequence, video

    if sequence.is_sequence(path):
        files = sequence.frame_files(path)
        return len(files), _folder_frames(files)
    if video.is_video(path):
        return video.probe(path).frame_count, _video_frames(path)
    return frames.frame_count(path), _animation_frames(path)


def _folder_frames(files: list[Path]) -> FrameStream:
    for index, file in enumerate(files):
        yield index, functools.partial(_rgb8_of, file)  # loaded only if wanted


def _rgb8_of(file: Path) -> np.ndarray:
    return imageio.load(file).rgb8()


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
            taken = min(count, total)
            self._chosen = {round(i * (total - 1) / max(1, taken - 1)) for i in range(taken)}

    def wants(self, index: int) -> bool:
        if self._chosen is not None:
            return index in self._chosen
        return index % self._stride == 0

    def done(self, index: int) -> bool:
        return self._chosen is not None and index > max(self._chosen)

    def keep(self, index: int, pixels: np.ndarray) -> None:
        self.kept[index] = pixels
        if len(self.kept) > self.count:
            self._stride *= 2
            self.kept = {i: p for i, p in self.kept.items() if i % self._stride == 0}


def _video_frames(path: Path) -> FrameStream:
    """Yield ``(frame index, a function returning its pixels)``: most frames are never converted."""
    from artistshield.animation import video

    pictures = video.pictures(path)
    try:
        for index, (_, rgb) in enumerate(pictures):
            yield index, rgb
    finally:
        getattr(pictures, "close", lambda: None)()  # let go of the decoder now, not at GC


def _animation_frames(path: Path) -> FrameStream:
    """Yield ``(frame index, pixels)`` of an animated image one composited frame at a time."""
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as image:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                rgba = np.asarray(frame.convert("RGBA"))
                yield index, rgba if int(rgba[..., 3].min()) < 255 else rgba[..., :3]
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"Could not read the frames of {path} ({exc}).") from exc
