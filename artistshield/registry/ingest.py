"""The facts the registry keeps about a work: hashes, size, thumbnail, fingerprint.

Computed outside any transaction (the fingerprint is the slow part), then
written in one go by :meth:`artistshield.registry.Registry.add_work`.
"""

from __future__ import annotations

import hashlib
import importlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

THUMBNAIL_SIDE = 256


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
    fingerprint: bytes
    thumbnail_png: bytes


def check_pixels(pixels: np.ndarray) -> np.ndarray:
    """Return *pixels* as a contiguous HxWx3/4 uint8 array, or say what is wrong."""
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise ValueError(
            "pixels must be a uint8 numpy array (load images with artistshield.imageio)"
        )
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or min(pixels.shape[:2]) < 1:
        raise ValueError(f"pixels must be HxWx3 (RGB) or HxWx4 (RGBA), not {pixels.shape}")
    return np.ascontiguousarray(pixels)


def describe(pixels: np.ndarray, *, file_path: Path, frame_count: int = 1) -> WorkFacts:
    pixels = check_pixels(pixels)
    if frame_count < 1:
        raise ValueError(f"frame_count must be at least 1, not {frame_count}")
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
        fingerprint=fingerprint_bytes(pixels),
        thumbnail_png=thumbnail_png(pixels),
    )


def fingerprint_bytes(pixels: np.ndarray) -> bytes:
    # Imported late: the registry opens, lists and verifies without the engine.
    fingerprint = importlib.import_module("artistshield.fingerprint")
    return bytes(fingerprint.compute(pixels).to_bytes())


def thumbnail_png(pixels: np.ndarray, *, side: int = THUMBNAIL_SIDE) -> bytes:
    """A PNG no larger than *side* on its longer edge, keeping transparency."""
    image = Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
