"""A work's fingerprint: what it is, how it is computed, how it is stored.

A fingerprint holds the PDQ hash of the whole picture (with its seven
dihedral variants, so flipped or quarter-turned copies compare directly) and
a few hundred local features for crops and small rotations, and a small
picture of its structure to confirm a match region by region
(``structure``).  It serialises to a versioned little-endian byte string of
4-14 KB (3.6 KB of features, the rest the zlib-compressed picture: flat art
less, paintings more), never a pickle, so the registry can store it and a
proof bundle can carry it.  Format 1 (no structure picture) is still read.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from artistshield.fingerprint import local, pdq, structure

FORMAT_VERSION = 2
_MAGIC = b"ASFP"
_HEADER = struct.Struct("<4sBBIIBHHH")
# magic, version, reserved, width, height, PDQ quality, frame width, frame height, features
_STRUCTURE = struct.Struct("<HHI")
# Format 2 appends: structure picture width, height, zlib-compressed length, then the data.
_POSITION_UNIT = 32.0
"""Stored positions are in 1/32 of a frame pixel (the frame is at most 640 wide)."""
_ANGLE_UNIT = 2 * np.pi / 256
FEATURES = 256
"""Local features kept for a registered work."""
QUERY_FEATURES = 512
"""Local features taken from a suspect image: more, since it may be a small crop."""


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """The perceptual fingerprint of one picture.

    ``a - b`` is the PDQ Hamming distance (0-256), as with imagehash; equal
    fingerprints serialise to equal bytes.
    """

    width: int
    height: int
    pdq_hashes: tuple[bytes, ...]
    """PDQ of the picture under the eight transforms of ``pdq.DIHEDRAL_NAMES``."""
    pdq_quality: int
    """PDQ's 0-100 confidence; below about 50 the picture is too plain to hash well."""
    features: local.Features
    structure: NDArray[np.uint8] | None = None
    """Luminance at a small size (``structure.SIDE`` on the longer side); None in format 1."""

    @property
    def pdq(self) -> bytes:
        """The 256-bit PDQ hash of the picture as it is (``.pdq.hex()`` for the usual form)."""
        return self.pdq_hashes[0]

    def __sub__(self, other: object) -> int:
        if not isinstance(other, Fingerprint):
            return NotImplemented
        return pdq.hamming(self.pdq, other.pdq)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fingerprint):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        return (
            f"Fingerprint(pdq={self.pdq.hex()}, {self.width}x{self.height}, "
            f"quality={self.pdq_quality}, features={len(self.features)})"
        )

    def to_bytes(self) -> bytes:
        """Serialise to the versioned byte format (about 14 bytes per feature)."""
        f = self.features
        version = 1 if self.structure is None else FORMAT_VERSION
        header = _HEADER.pack(
            _MAGIC, version, 0, self.width, self.height, self.pdq_quality,
            f.width, f.height, len(f),
        )  # fmt: skip
        tail = b""
        if self.structure is not None:
            picture = zlib.compress(np.ascontiguousarray(self.structure, np.uint8).tobytes(), 9)
            rows, cols = self.structure.shape
            tail = _STRUCTURE.pack(cols, rows, len(picture)) + picture
        return b"".join(
            [
                header,
                *self.pdq_hashes,
                f.descriptor.astype("<u8").tobytes(),
                np.round(f.x * _POSITION_UNIT).astype("<u2").tobytes(),
                np.round(f.y * _POSITION_UNIT).astype("<u2").tobytes(),
                f.level.astype(np.uint8).tobytes(),
                _angle_code(f.angle).tobytes(),
                tail,
            ]
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Read a fingerprint written by ``to_bytes`` (any version this code knows)."""
        if len(data) < _HEADER.size or data[:4] != _MAGIC:
            raise ValueError("This is not an ArtistShield fingerprint.")
        _magic, version, _, width, height, quality, frame_w, frame_h, count = _HEADER.unpack_from(
            data
        )
        if not 1 <= version <= FORMAT_VERSION:
            raise ValueError(
                f"Fingerprint format {version} is newer than this ArtistShield understands "
                f"({FORMAT_VERSION}); update ArtistShield to read it."
            )
        expected = _HEADER.size + 8 * pdq.HASH_BYTES + count * 14
        picture: NDArray[np.uint8] | None = None
        if version >= 2 and len(data) >= expected + _STRUCTURE.size:
            cols, rows, length = _STRUCTURE.unpack_from(data, expected)
            start = expected + _STRUCTURE.size
            expected = start + length
            if len(data) == expected:
                try:
                    raw = zlib.decompress(data[start:])
                except zlib.error:
                    raw = b""
                if len(raw) != rows * cols:
                    raise ValueError(
                        "Fingerprint is damaged: its structure picture is unreadable."
                    )
                picture = np.frombuffer(raw, np.uint8).reshape(rows, cols)
        elif version >= 2:
            expected += _STRUCTURE.size
        if len(data) != expected:
            raise ValueError(
                f"Fingerprint is damaged: {len(data)} bytes where {expected} were expected."
            )
        at = _HEADER.size
        hashes = tuple(data[at + 32 * i : at + 32 * (i + 1)] for i in range(8))
        at += 8 * pdq.HASH_BYTES
        descriptor = np.frombuffer(data, "<u8", count, at).astype(np.uint64)
        at += 8 * count
        x = np.frombuffer(data, "<u2", count, at).astype(np.float32) / _POSITION_UNIT
        at += 2 * count
        y = np.frombuffer(data, "<u2", count, at).astype(np.float32) / _POSITION_UNIT
        at += 2 * count
        level = np.frombuffer(data, np.uint8, count, at).copy()
        at += count
        angle = _angle_value(np.frombuffer(data, np.uint8, count, at))
        features = local.Features(x, y, level, angle, descriptor, frame_w, frame_h)
        return cls(width, height, hashes, quality, features, picture)


def _angle_code(angle: NDArray[np.float32]) -> NDArray[np.uint8]:
    return (np.round(np.mod(angle, 2 * np.pi) / _ANGLE_UNIT).astype(np.int64) % 256).astype(
        np.uint8
    )


def _angle_value(code: NDArray[np.uint8]) -> NDArray[np.float32]:
    return (code.astype(np.float64) * _ANGLE_UNIT).astype(np.float32)


def _quantised(features: local.Features) -> local.Features:
    """Round to what ``to_bytes`` keeps, so a fingerprint equals its round trip."""
    return local.Features(
        x=(np.round(features.x * _POSITION_UNIT) / _POSITION_UNIT).astype(np.float32),
        y=(np.round(features.y * _POSITION_UNIT) / _POSITION_UNIT).astype(np.float32),
        level=features.level,
        angle=_angle_value(_angle_code(features.angle)),
        descriptor=features.descriptor,
        width=features.width,
        height=features.height,
    )


def flatten(pixels: NDArray[np.uint8], background: int = 255) -> NDArray[np.uint8]:
    """Check an HxWx3 or HxWx4 uint8 array and composite any alpha over *background* grey."""
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise ValueError("Fingerprints are computed from uint8 pixel arrays (HxWx3 or HxWx4).")
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(
            f"Expected an HxWx3 (RGB) or HxWx4 (RGBA) array, got shape {pixels.shape}."
        )
    if pixels.shape[0] < 16 or pixels.shape[1] < 16:
        raise ValueError(
            f"A {pixels.shape[1]}x{pixels.shape[0]} image is too small to fingerprint "
            "(at least 16x16 pixels)."
        )
    if pixels.shape[2] == 3:
        return pixels
    alpha = pixels[..., 3:4].astype(np.uint16)
    rgb = pixels[..., :3].astype(np.uint16)
    return ((rgb * alpha + background * (255 - alpha) + 127) // 255).astype(np.uint8)


def compute(
    pixels: NDArray[np.uint8],
    *,
    features: int = FEATURES,
    detail: int = structure.SIDE,
    background: int = 255,
) -> Fingerprint:
    """Fingerprint an HxWx3 or HxWx4 uint8 picture (alpha is composited over white).

    ``detail`` is the longer side of the structure picture kept with it;
    ``background`` the grey that alpha is composited over (0 for black).
    """
    rgb = flatten(pixels, background)
    luma = pdq.luminance(rgb)
    block = pdq.downsample64(luma)
    dct = pdq.dct16(block)
    hashes = tuple(pdq.bits_from_dct(d) for d in pdq.dihedral_dcts(dct))
    found = local.extract(luma.astype(np.float32), count=features)
    return Fingerprint(
        width=int(rgb.shape[1]),
        height=int(rgb.shape[0]),
        pdq_hashes=hashes,
        pdq_quality=pdq.quality(block),
        features=_quantised(found),
        structure=structure.picture(luma, detail),
    )


def compute_query(pixels: NDArray[np.uint8]) -> Fingerprint:
    """Fingerprint a suspect image: more features and a finer structure picture than a work's.

    The last few answers are kept: marking a batch looks each file up just
    before it is marked, after the whole batch was looked up once, and a
    fingerprint takes most of a second while hashing the pixels takes
    milliseconds.
    """
    pixels = np.ascontiguousarray(pixels)
    key = (pixels.shape, pixels.dtype.str, hashlib.sha256(pixels.data).digest())
    with _recent_lock:
        found = _recent.get(key)
        if found is not None:
            _recent.move_to_end(key)
            return found
    found = compute(pixels, features=QUERY_FEATURES, detail=structure.QUERY_SIDE)
    _freeze(found)
    with _recent_lock:
        _recent[key] = found
        while len(_recent) > _RECENT:
            _recent.popitem(last=False)
    return found


def _freeze(fingerprint: Fingerprint) -> None:
    """Make a shared fingerprint's arrays read-only, so no caller can change another's."""
    features = fingerprint.features
    parts = [fingerprint.structure, *(getattr(features, f.name) for f in fields(features))]
    for part in parts:
        if isinstance(part, np.ndarray):
            part.flags.writeable = False


_RECENT = 16
"""Query fingerprints kept (a few KB each, see the module's docstring)."""
_recent: OrderedDict[tuple[object, ...], Fingerprint] = OrderedDict()
_recent_lock = threading.Lock()
