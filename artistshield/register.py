"""Registering a file as it is, without marking it: the job behind ``registry add``.

Reading the file is this job's part, beside :mod:`artistshield.mark` and
:mod:`artistshield.check`: a still is loaded, a clip (video, animated
GIF/APNG/WebP, folder of numbered frames) is read once through
:mod:`artistshield.animation` for its key frames.  The registry is then given
a description (pixels, file, frame count, key frames) to store; it never
decodes video itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artistshield import imageio
from artistshield.animation import sequence
from artistshield.animation.clip import is_clip
from artistshield.animation.keyframes import pictures_of, read_key_frames
from artistshield.identity import Identity
from artistshield.registry import Registry, Work
from artistshield.registry.ingest import KeyFramePicture


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
