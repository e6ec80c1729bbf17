"""The facts the registry keeps about a work: hashes, size, thumbnail, fingerprints.

The registry is given a description of the work (its decoded pixels, the
file they came from, and for a clip its frame count and key frames); reading
files and clips is the jobs' part (:mod:`artistshield.mark`,
:mod:`artistshield.register`).  The facts are computed outside any
transaction (the fingerprints are the slow part), then written in one go by
:meth:`artistshield.registry.Registry.add_work`.  A clip gets one fingerprint
per key frame (see :mod:`.fingerprints`).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from artistshield.registry import fingerprints

THUMBNAIL_SIDE = 256
#: A key frame to fingerprint: ``(frame index, pixels)``, or with a third
#: item, the fingerprint of those pixels over white if already worked out
#: (an :class:`artistshield.fingerprint.Fingerprint`, or None), as
#: :class:`artistshield.animation.keyframes.KeyFramePicture` gives them.
KeyFramePicture = tuple[int, np.ndarray] | tuple[int, np.ndarray, Any]


@dataclass(frozen=True)
class WorkFacts:
    file_name: str
    file_size: int
    file_sha256: str
    pixels_sha256: str
    width: int
    height: int
    channels: int
    frame_count: int
    fingerprint: bytes  # as stored: one fingerprint, or a key-frame container
    thumbnail_png: bytes
    key_frames: tuple[int, ...] = ()  # frame indexes fingerprinted; () for a still


def check_pixels(pixels: np.ndarray) -> np.ndarray:
    """Return *pixels* as a contiguous HxWx3/4 uint8 array, or say what is wrong."""
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise ValueError(
            "pixels must be a uint8 numpy array (load images with artistshield.imageio)"
        )
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or min(pixels.shape[:2]) < 1:
        raise ValueError(f"pixels must be HxWx3 (RGB) or HxWx4 (RGBA), not {pixels.shape}")
    return np.ascontiguousarray(pixels)


def describe(
    pixels: np.ndarray,
    *,
    file_path: Path,
    frame_count: int = 1,
    key_frames: Sequence[KeyFramePicture] | None = None,
    turn: int = 0,
) -> WorkFacts:
    """The facts of the work *pixels* read from *file_path*.

    *key_frames*, ``(frame index, pixels)`` in clip order, each get a
    fingerprint (a frame may come twice: as drawn and as marked), or keep
    the one given with them; without them *pixels* is fingerprinted.
    *turn* is the quarter turn, in degrees anticlockwise, a player gives a
    video's stored frames (a phone's portrait clip is stored sideways): the
    thumbnail is shown as the clip plays; everything else is of the frames
    as stored.
    """
    pixels = check_pixels(pixels)
    if frame_count < 1:
        raise ValueError(f"frame_count must be at least 1, not {frame_count}")
    if key_frames is not None:
        indexes = [int(entry[0]) for entry in key_frames]
        if not indexes or indexes != sorted(indexes) or indexes[0] < 0:
            raise ValueError("key_frames must be one or more frames in clip order")
        if indexes[-1] >= frame_count:
            raise ValueError(f"key frame {indexes[-1]} is past the clip's {frame_count} frames")
        stored = fingerprints.pack([
            printed
            for index, frame, *known in key_frames
            for printed in _prints(index, check_pixels(frame), known[0] if known else None)
        ])
    else:
        stored = fingerprints.pack(_prints(0, pixels))
    digest = hashlib.sha256()
    size = 0
    with open(file_path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    height, width, channels = pixels.shape
    return WorkFacts(
        file_name=file_path.name,
        file_size=size,
        file_sha256=digest.hexdigest(),
        pixels_sha256=hashlib.sha256(pixels.data).hexdigest(),
        width=width,
        height=height,
        channels=channels,
        frame_count=frame_count,
        fingerprint=stored,
        thumbnail_png=thumbnail_png(np.ascontiguousarray(np.rot90(pixels, round(turn / 90) % 4))),
        key_frames=() if key_frames is None else tuple(sorted(set(indexes))),
    )


def fingerprint_bytes(pixels: np.ndarray, *, background: int = 255) -> bytes:
    """Fingerprint *pixels*, alpha composited over *background* grey."""
    # Imported late: the registry opens, lists and verifies without loading the engine.
    from artistshield.fingerprint import compute

    return bytes(compute(pixels, background=background).to_bytes())


#: Share of a picture's pixels that must be see-through for it to be
#: fingerprinted over black as well as over white.
TRANSPARENT_SHARE = 0.01


def _prints(index: int, pixels: np.ndarray, over_white: Any = None) -> list[tuple[int, bytes]]:
    """The fingerprints of one picture: over white, and over black too if it is transparent,
    and with its alpha dropped if it hides colours under its transparency.

    A platform or converter that drops a cel's transparency puts it on white
    or on black, or just drops the alpha channel; the silhouette's edges then
    run another way, so each gets its own fingerprint.  *over_white*, if given, is the first, already
    worked out.
    """
    white = fingerprint_bytes(pixels) if over_white is None else bytes(over_white.to_bytes())
    prints = [(index, white)]
    if is_transparent(pixels):
        prints.append((index, fingerprint_bytes(pixels, background=0)))
        if hides_colours(pixels):
            # a converter that drops the alpha channel shows what lies under it
            prints.append((index, fingerprint_bytes(np.ascontiguousarray(pixels[..., :3]))))
    return prints


#: How far (in 8-bit levels) the colours under transparent pixels may stray from
#: black or white before a picture with its alpha dropped is fingerprinted too.
HIDDEN_LEVELS = 8


def hides_colours(pixels: np.ndarray) -> bool:
    """Whether RGBA *pixels* keep colours under their transparent pixels that are neither black
    nor white (a painter's leftovers, noise, colour bled for texture filtering)."""
    hidden = pixels[..., :3][pixels[..., 3] == 0].astype(np.int16)
    if hidden.size == 0:
        return False
    away = np.minimum(hidden.max(axis=1), 255 - hidden.min(axis=1))
    return float(np.mean(away > HIDDEN_LEVELS)) >= TRANSPARENT_SHARE


def is_transparent(pixels: np.ndarray) -> bool:
    """Whether RGB(A) *pixels* are see-through enough to be fingerprinted over black too."""
    return pixels.shape[2] == 4 and float(np.mean(pixels[..., 3] < 255)) >= TRANSPARENT_SHARE


def thumbnail_png(pixels: np.ndarray, *, side: int = THUMBNAIL_SIDE) -> bytes:
    """A PNG no larger than *side* on its longer edge, keeping transparency."""
    image = Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
