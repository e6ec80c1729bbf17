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
The frames are matched on a thread of their own while the mark is searched
for, taken from the search's own reading of the clip, and once the mark
names a registered work that the frames matched so far already match, the
rest are not read: the result says how many frames were compared
(:attr:`CheckResult.frames_compared`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from artistshield import imageio, memory, watermark
from artistshield.animation.clip import Pixels, is_clip, open_clip, sampled_indexes
from artistshield.animation.detect import detect_clip
from artistshield.animation.keyframes import each_distinct, shrink
from artistshield.animation.scale import against_original
from artistshield.animation.video import Cancelled
from artistshield.errors import ArtistShieldError
from artistshield.provenance import credentials, imitation, metadata, record, sd, signals
from artistshield.verdict import p_value_in_words, verdict_line
from artistshield.watermark.embed import check_pixels

if TYPE_CHECKING:
    from artistshield.registry import WorkMatch
    from artistshield.registry.match import Searchable

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
    #: When the work the payload names was registered (UTC ISO-8601, its signed log entry).
    registered: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "registered": self.registered,
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
            "in_words": p_value_in_words(
                self.detection.p_value, self.detection.found,
                thing="image" if self.frames_checked is None else "clip",
            ),
        }


@dataclass(frozen=True)
class FramesCompared:
    """How many of a suspect clip's sampled frames were compared with the registry."""

    compared: int
    sampled: int
    #: The rest were not compared: the mark names a work the frames compared match.
    stopped_early: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
    #: The artist's names found in the settings that generated the image (a prompt).
    names_artist: tuple[imitation.NameHit, ...] = ()
    #: The suspect's width and height in pixels (a clip's frame size).
    size: tuple[int, int] | None = None
    #: How many registered works the picture was compared with (``None``: no registry).
    works_compared: int | None = None
    #: For a clip checked against a registry: how many of its frames were compared.
    frames_compared: FramesCompared | None = None

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
        found = [
            f"The prompt that made this image names you ({hit.source}): “{hit.quote}”."
            for hit in self.names_artist
        ]
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
        """The verdict in one line (:func:`artistshield.verdict.verdict_line`)."""
        return verdict_line(self)

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
            "names_artist": [hit.to_json() for hit in self.names_artist],
            "size": None if self.size is None else list(self.size),
            "works_compared": self.works_compared,
            "frames_compared": _json_of(self.frames_compared),
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


def check_file(
    path: str | os.PathLike[str],
    *,
    keys: Mapping[str, bytes],
    registry: Searchable | None = None,
    provenance: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    names: Sequence[str] = (),
    one_mark: bool = False,
    compared: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Check the image at *path* with every key in *keys* and against *registry*.

    *names* are the artist's name, handles and aliases: a prompt among the
    image's generation settings that names one is reported (``names_artist``).
    With *one_mark* the image can carry the mark of one of *keys* at most (a
    union's key epochs): the keys after the first whose mark is found are not
    searched, and get no finding.

    With *provenance* (the default) the image's public marks, Content
    Credentials and metadata are read too; the public marks in a child
    process started first, so it runs while the mark is searched for.
    For a clip, *progress* is told (frame reached, frames in the clip) per
    key, *compared* (frames done, frames to compare) as its sampled frames
    are matched against the registry, beside the search and after it (see
    :class:`artistshield.progress.ClipCheckProgress`), and *cancelled* is
    asked between frames (raising :class:`artistshield.animation.Cancelled`).
    """
    path = Path(path)
    clip = is_clip(path)
    pending = sd.PendingCheck(path) if provenance and not clip else None
    scratch = contextlib.ExitStack()  # a clip's first frame, written for the public-mark reader
    matching: _ClipMatching | None = None
    try:
        try:
            if not clip:
                memory.check_still(
                    path, bytes_per_pixel=memory.CHECK_BYTES_PER_PIXEL, action="check"
                )
                samples = [(0, imageio.load(path).rgb8())]
            elif registry is not None:
                # the frames are matched while the mark is searched for; the first is
                # read here, so an unreadable clip is reported as one
                matching = _ClipMatching(path, registry, cancelled=cancelled, told=compared)
                samples = [matching.first]
            else:  # nothing to match: read one frame, to report an unreadable clip here
                with open_clip(path) as reader:
                    samples = [(0, reader.read_frame(0))]
        except Cancelled:
            raise
        except ArtistShieldError as exc:
            return CheckResult(input=str(path), error=str(exc))
        pixels = samples[0][1]
        if provenance and clip:
            first = None if matching is None else matching.first_picture
            pending = _public_marks_of_clip(path, scratch, first)
        try:
            if not clip:
                check_pixels(pixels)
        except ValueError:
            height, width = pixels.shape[:2]
            return CheckResult(
                input=str(path),
                error=f"{path} is {width}x{height} pixels, too small to carry a mark or to be "
                "checked; check the full-size picture.",
            )
        marks: list[MarkFinding] = []
        # a still's keys share what no key chooses (see watermark.detect_each)
        in_still = (
            [] if clip else watermark.detect_each(pixels, list(keys.values()), until_found=one_mark)
        )
        for number, (label, key) in enumerate(keys.items()):
            if one_mark and any(m.detection.found for m in marks):
                break
            frames: dict[str, Any] = {}
            if clip:
                # a clip pools the evidence of its frames
                # the first search hands the frames it reads to the matching, so the
                # clip is decoded once
                tee = matching.offer if matching is not None and number == 0 else None
                try:
                    found = detect_clip(
                        path, key, progress=progress, cancelled=cancelled, decoded=tee,
                        needed=None if tee is None or matching is None else matching.wanted,
                    )
                finally:
                    if tee is not None and matching is not None:
                        matching.searched()
                detection, tile_scale = found.detection, found.tile_scale
                frames = {
                    "frames_checked": found.frames_checked,
                    "frames_with_mark": tuple(found.frames_with_mark),
                }
            else:
                detection = in_still[number]
                tile_scale = detection.scale
            work_id = registered = None
            if detection.payload is not None and registry is not None:
                work = registry.find_by_payload(detection.payload)
                if work is not None:
                    work_id, registered = work.work_id, work.registered
                    detection = against_original(detection, tile_scale, work)
            marks.append(MarkFinding(label, detection, work_id, registered=registered, **frames))
        matches: list[WorkMatch] = []
        extra: dict[str, Any] = {
            "size": matching.size if matching is not None else (pixels.shape[1], pixels.shape[0])
        }
        if registry is not None:
            extra["works_compared"] = _works_compared(registry)
        if matching is not None:
            matching.searched()  # with no key, nothing was searched
            matching.named({m.work_id for m in marks if m.detection.found and m.work_id})
            matches, extra["match_frames"], extra["frames_compared"] = matching.result()
        elif registry is not None:
            matches = registry.match(pixels)
        if pending is not None:
            source = _provenance_file(path)
            read = {"c2pa": credentials.read_file(source), "metadata": metadata.read(source)}
            texts = imitation.generation_texts(read["metadata"], read["c2pa"])
            extra |= read | {
                "stable_diffusion": pending.result(),
                "recorded_consent": _recorded_consent(registry, marks),
                "names_artist": imitation.find_names(texts, names),
            }
            pending = None
        return CheckResult(input=str(Path(path)), marks=marks, matches=matches, **extra)
    finally:
        if matching is not None:
            matching.stop()
        if pending is not None:
            pending.cancel()
        scratch.close()


def _provenance_file(path: Path) -> Path:
    """The file whose credentials and metadata stand for *path*: a frame folder's first frame."""
    if path.is_dir():
        from artistshield.animation.sequence import frame_files

        return frame_files(path)[0]
    return path


def _public_marks_of_clip(
    path: Path, scratch: contextlib.ExitStack, pixels: np.ndarray | None = None
) -> sd.PendingCheck:
    """Read a clip's public marks from its first frame (*pixels*, when read already).

    A frame folder's first frame is read as the file it is.  Another
    clip's is handed over as its pixels, saved by numpy, so neither side
    encodes or decodes a picture for it; one with see-through parts as a
    PNG, which the reader flattens as it does any picture's.
    """
    if path.is_dir():
        return sd.PendingCheck(_provenance_file(path))
    import tempfile

    folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="artistshield-")))
    rgb = read_frame(path, 0) if pixels is None else pixels
    if rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8:
        np.save(folder / "frame-0.npy", np.ascontiguousarray(rgb), allow_pickle=False)
        return sd.PendingCheck(folder / "frame-0.npy", pixels=True)
    from PIL import Image

    # a scratch file read once, at once: not worth compressing
    Image.fromarray(rgb).save(folder / "frame-0.png", compress_level=0)
    return sd.PendingCheck(folder / "frame-0.png")


def _works_compared(registry: Searchable) -> int | None:
    """How many registered works a match compares with, if the registry can say."""
    works = getattr(registry, "works", None)
    try:
        return len(works()) if callable(works) else None
    except ArtistShieldError:
        return None


def _recorded_consent(
    registry: Searchable | None, marks: list[MarkFinding]
) -> record.RecordedConsent | None:
    """What the artist's own registry recorded of the consent of the work a mark names."""
    from artistshield.registry import Registry

    found = [m for m in marks if m.detection.found and m.work_id]
    if not isinstance(registry, Registry) or not found:  # a union's registry keeps none
        return None
    best = min(found, key=lambda m: m.detection.p_value)
    work_id = str(best.work_id)
    kept = record.load(registry.path.parent, work_id)
    from artistshield.registry import consent as signed_consent

    logged = signed_consent.recorded(registry, work_id)
    if logged is None:
        return kept
    return (kept or record.RecordedConsent(work_id, str(logged.get("data_mining")))).with_log(logged)


def match_frames(
    registry: Searchable, samples: list[tuple[int, np.ndarray]], *, limit: int = 5
) -> tuple[list[WorkMatch], dict[str, int]]:
    """Match each distinct ``(frame index, pixels)`` of a clip; keep each work's best match.

    Frames alike (:func:`artistshield.animation.keyframes.distinct`) are matched once.

    Returns the matches, best first, and the frame each was found in, by work id.
    """
    matches, frames, _, _ = _match_frames(registry, samples, limit=limit)
    return matches, frames


def _match_frames(
    registry: Searchable,
    samples: Iterable[tuple[int, np.ndarray]],
    *,
    limit: int = 5,
    enough: Callable[[Sequence[WorkMatch]], bool] | None = None,
    told: Callable[[int], None] | None = None,
) -> tuple[list[WorkMatch], dict[str, int], int, bool]:
    """:func:`match_frames`, stopping once *enough* says so of the matches so far.

    *told* is told how many of *samples* are done (matched, or alike one
    matched) after each frame matched.
    Returns also how many frames were compared, and whether *enough* stopped it.
    """
    best: dict[str, tuple[WorkMatch, int]] = {}
    compared, stopped, drawn = 0, False, 0

    def counted() -> Iterator[tuple[int, np.ndarray]]:
        nonlocal drawn
        for sample in samples:
            drawn += 1
            yield sample

    for index, pixels in each_distinct(counted()):  # a frame like one matched finds nothing new
        compared += 1
        for match in registry.match(pixels, limit=limit):
            known = best.get(match.work_id)
            if known is None or _rank(match) < _rank(known[0]):
                best[match.work_id] = (match, index)
        if told is not None:
            told(drawn)
        if enough is not None and enough([m for m, _ in best.values()]):
            stopped = True
            break
    ranked = sorted(best.values(), key=lambda found: (_rank(found[0]), found[0].work_id))
    found_in = {m.work_id: i for m, i in ranked[:limit]}
    return [m for m, _ in ranked[:limit]], found_in, compared, stopped


class _ClipMatching:
    """A suspect clip's sampled frames matched against the registry on a thread of their own.

    While the main thread searches the clip for the mark, this one reads the
    sampled frames and matches them.  Once told the works the mark named
    (:meth:`named`), it stops after the first frame by which the frames
    matched so far match one of them: the rest would only confirm the work
    the mark already names.  Until a frame matches some work it never waits
    for the mark, and the frames it compares do not depend on how fast
    either thread is: only on what the mark named and what the frames match.

    The sampled frames after the first are taken from the mark search's
    reading of the clip (:meth:`offer`), so the clip is decoded once.  If the
    search stops before the last of them (a mark confirmed early), the
    matching reads the rest itself, if it still needs them.
    """

    def __init__(
        self,
        path: Path,
        registry: Searchable,
        *,
        cancelled: Callable[[], bool] | None,
        told: Callable[[int, int], None] | None = None,
    ) -> None:
        self._stopped = threading.Event()
        self._told = told
        self._named: Future[set[str]] = Future()
        self._clip = open_clip(path)
        #: The first frame, full size (for the public-mark reader), and its (width, height).
        self.first_picture: np.ndarray | None = None
        self.size = (0, 0)

        def shrink_first(pixels: np.ndarray) -> np.ndarray:
            if self.first_picture is None:
                self.first_picture = pixels
                self.size = (int(pixels.shape[1]), int(pixels.shape[0]))
            return shrink(pixels)

        self._offered: queue.SimpleQueue[tuple[int, Pixels] | None] = queue.SimpleQueue()
        try:
            total = self._clip.frame_count
            self.sampled = min(MATCH_FRAMES, total) or MATCH_FRAMES
            # a clip that does not say its length is sampled by a reading of its own
            #: The frames after the first it takes from the search (:meth:`offer`).
            self.wanted = sampled_indexes(MATCH_FRAMES, total) - {0} if total else frozenset()
            self._frames = frames = self._clip.samples(
                MATCH_FRAMES, shrink=shrink_first,
                cancelled=lambda: self._stopped.is_set() or bool(cancelled and cancelled()),
            )
            self.first = next(frames)
        except BaseException:
            self._clip.close()
            raise
        rest = self._from_search(frames) if self.wanted else frames
        if told is not None:
            told(0, self.sampled)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="artistshield-match")
        self._result = self._pool.submit(
            _match_frames, registry, itertools.chain([self.first], rest), enough=self._enough,
            told=None if told is None else lambda done: told(done, self.sampled),
        )

    def offer(self, index: int, pixels: Pixels) -> None:
        """Take frame *index* if it is sampled: the mark search reads frames in order."""
        if index in self.wanted:
            self._offered.put((index, pixels))

    def searched(self) -> None:
        """Say the mark search reads no more frames: the rest are read by the matching."""
        self._offered.put(None)

    def _from_search(
        self, own: Iterator[tuple[int, np.ndarray]]
    ) -> Iterator[tuple[int, np.ndarray]]:
        """The sampled frames after the first, from the search, then from *own* reading."""
        wanted, last = len(self.wanted), 0
        while wanted:
            offered = self._offered.get()
            if offered is None or self._stopped.is_set():
                break
            last, pixels = offered
            wanted -= 1
            yield last, shrink(np.ascontiguousarray(pixels() if callable(pixels) else pixels))
        if wanted and not self._stopped.is_set():
            # the search stopped first; the same frames, from the matching's own reading
            yield from ((i, kept) for i, kept in own if i > last)

    def _enough(self, matches: Sequence[WorkMatch]) -> bool:
        matched = {m.work_id for m in matches if m.is_match}
        return bool(matched) and bool(matched & self._named.result())

    def named(self, works: set[str]) -> None:
        """Tell the works the mark named (none: every sampled frame is compared)."""
        if not self._named.done():
            self._named.set_result(works)

    def result(self) -> tuple[list[WorkMatch], dict[str, int], FramesCompared]:
        """The matches, the frame each was found in, and how many frames were compared."""
        matches, frames, compared, stopped = self._result.result()
        if self._told is not None:
            self._told(self.sampled, self.sampled)  # the rest need no comparing
        return matches, frames, FramesCompared(compared, max(compared, self.sampled), stopped)

    def stop(self) -> None:
        """Stop reading frames (after the one being matched) and close the clip."""
        self._stopped.set()
        self.named(set())
        self.searched()  # the matching waits for no more frames
        self._pool.shutdown(wait=True)
        self._frames.close()  # the decoder, if the frames were not all read
        self._clip.close()


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

    The frames are shrunk to the size the fingerprint looks at
    (:data:`artistshield.animation.keyframes.KEY_FRAME_SIDE`); see
    :meth:`artistshield.animation.Clip.sample`.
    """
    with open_clip(path) as clip:
        return clip.sample(count, shrink=shrink, progress=progress, cancelled=cancelled)


def read_frame(path: str | os.PathLike[str], index: int) -> np.ndarray:
    """Return frame *index* (from 0) of the clip at *path*, full size, reading up to it only."""
    with open_clip(path) as clip:
        return clip.read_frame(index)
