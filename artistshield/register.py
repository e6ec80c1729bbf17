"""Registering a file as it is, without marking it: the job behind ``registry add``.

:func:`find_registered` tells, before marking, whether a file is registered
already: the same pixels, a marked copy carrying a registered mark, or the
same picture re-exported (its fingerprint), so a batch marked twice does not
register every work twice.

Reading the file is this job's part, beside :mod:`artistshield.mark` and
:mod:`artistshield.check`: a still is loaded, a clip (video, animated
GIF/APNG/WebP, folder of numbered frames) is read once through
:mod:`artistshield.animation` for its key frames.  The registry is then given
a description (pixels, file, frame count, key frames) to store; it never
decodes video itself.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from artistshield import imageio
from artistshield.animation import sequence
from artistshield.animation.clip import is_clip, open_clip
from artistshield.animation.keyframes import pictures_of, read_key_frames
from artistshield.identity import Identity
from artistshield.registry import Registry, Work
from artistshield.registry.ingest import KeyFramePicture, check_pixels


@dataclass(frozen=True)
class WorkFile:
    """A file (or frame folder) read for registering, before anything is computed."""

    pixels: np.ndarray  # the first frame, RGB or RGBA uint8
    file_path: Path  # the file hashed: a frame folder's first frame
    frame_count: int
    key_frames: Sequence[KeyFramePicture] | None  # for a clip


def read_work(path: str | os.PathLike[str]) -> WorkFile:
    """Read a still, or a clip once for its key frames."""
    path = Path(path)
    if not is_clip(path):
        artwork = imageio.load(path)
        return WorkFile(artwork.rgb8(), path, artwork.frame_count, None)
    clip = read_key_frames(path)
    # a frame folder is recorded by its first frame's file, as `mark` records it
    first_file = sequence.frame_files(path)[0] if path.is_dir() else path
    return WorkFile(clip.first_frame, first_file, clip.frame_count, pictures_of(clip.key_frames))


def register_file(
    registry: Registry, path: str | os.PathLike[str], *, title: str | None = None,
    identity: Identity,
) -> Work:
    """Register the image, clip or frame folder at *path* in *registry* without marking it.

    A clip is registered as one work, titled by its name, with a fingerprint
    per key frame.  Raises
    :class:`artistshield.registry.AlreadyRegisteredError` if the same pixels
    are registered already.
    """
    path = Path(path)
    found = read_work(path)
    return registry.add_work(
        found.pixels,
        file_path=found.file_path,
        title=title if title is not None else path.stem,
        frame_count=found.frame_count,
        key_frames=found.key_frames,
        identity=identity,
    )


def register_new(
    registry: Registry, path: str | os.PathLike[str], *, title: str | None = None,
    identity: Identity, keys: Sequence[bytes] = (), again: bool = False,
) -> tuple[Work, KnownWork | None]:
    """Register *path* as :func:`register_file` does, unless the registry holds it already.

    A file :func:`find_registered` recognises (the same pixels, the same picture
    re-exported, a marked copy) is not registered twice: its work is returned with
    how it was known.  With *again* it is registered as a new version of that work
    (the same pixels are still refused), returned with the work it repeats.  A new
    work is returned with ``None``.
    """
    try:
        known = find_registered(registry, path, keys=keys)
    except Exception:  # unreadable: registering it says what is wrong
        known = None
    if known is not None and not again:
        return known.work, known
    work = register_file(registry, path, title=title, identity=identity)
    if known is not None:
        registry.add_version(work.work_id, known.work.work_id, identity)
    return work, known


#: How a file was recognised, in words.
SAME_PIXELS, CARRIES_MARK, SAME_PICTURE = "same pixels", "carries its mark", "same picture"
_HOW = {
    SAME_PIXELS: "the same pixels",
    CARRIES_MARK: "it is a marked copy: it carries that work's mark",
    SAME_PICTURE: "the same picture, by its fingerprint",
}
#: Aspect ratios within this share of each other count as one picture's (a re-export may be resized).
_SAME_SHAPE = 0.02


@dataclass(frozen=True)
class KnownWork:
    """A file about to be marked that the registry holds already, and how it was recognised."""

    source: Path
    work: Work
    how: str

    def in_words(self) -> str:
        """``already registered as W-000006 "Dawn" on 2026-12-07 (the same pixels)``."""
        work = self.work
        return (
            f"already registered as {work.work_id} \"{work.title}\" on {work.registered[:10]} "
            f"({_HOW[self.how]})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "work_id": self.work.work_id,
            "title": self.work.title,
            "registered": self.work.registered,
            "how": self.how,
        }


def find_registered(
    registry: Registry, path: str | os.PathLike[str], *, keys: Sequence[bytes] = ()
) -> KnownWork | None:
    """The shown work *path* already is, if any: the same pixels, the same picture (its
    fingerprint, the same shape, still or clip alike), or a marked copy of a work.

    *keys* are the watermark keys the artist marks with: a file that derives
    from a registered work but is not the same picture (a crop) is looked
    at for their mark, so a marked copy fed back in is known even then.
    The mark is looked for only there, as it takes seconds to be sure a
    picture carries none.  A clip is compared by its first frame.  Withdrawn
    works do not count; a merged one counts as the work it was merged into.
    """
    path = Path(path)
    if not registry.has_works():
        return None
    clip = is_clip(path)
    pixels = check_pixels(_first_frame(path) if clip else imageio.load(path).rgb8())
    work = registry.find_by_pixels(hashlib.sha256(pixels.data).hexdigest())
    if work is not None:
        return KnownWork(path, work, SAME_PIXELS)
    height, width = pixels.shape[:2]
    derives = False
    for match in registry.match(pixels, limit=3):
        found = match.work
        if not match.is_match or found is None:
            continue
        derives = True
        if (
            (found.frame_count > 1) == clip
            and not match.key_frame
            and abs(width * found.height / max(1, height * found.width) - 1) <= _SAME_SHAPE
        ):
            return KnownWork(path, found, SAME_PICTURE)
    if derives and not clip:
        from artistshield import watermark

        for key in keys:
            payload = watermark.detect(pixels, key).payload
            work = None if payload is None else registry.find_by_payload(payload)
            if work is not None:
                return KnownWork(path, work, CARRIES_MARK)
    return None


def _first_frame(path: Path) -> np.ndarray:
    clip = open_clip(path)
    try:
        return clip.frame(0)
    finally:
        clip.close()
