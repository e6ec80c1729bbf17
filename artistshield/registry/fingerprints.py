"""How a work's fingerprints are stored: one for a still, one per key frame for a clip.

A transparent picture (a cel) is fingerprinted twice, flattened over white
and over black, as a platform that drops its transparency may put it on
either: a transparent still is a container of two records of frame 0.

``works.fingerprint`` holds either a single fingerprint from
:mod:`artistshield.fingerprint`, as every work registered before key frames
does, or a key-frame container::

    b"ASKF", version (u8), reserved (u8), count (u16)
    count times: frame index (u32), length (u32), that many bytes of fingerprint

all little-endian.  Anything that does not start with the container's magic
is one fingerprint of frame 0, so old registries and bundles read as before,
and a still is still stored as its bare fingerprint.  The log entry commits
to the whole column through ``fingerprint_sha256``, so verification and proof
bundles cover every key frame without knowing about them.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

MAGIC = b"ASKF"
VERSION = 1
_HEADER = struct.Struct("<4sBBH")
_FRAME = struct.Struct("<II")


def pack(frames: Sequence[tuple[int, bytes]]) -> bytes:
    """Store *frames*, ``(frame index, fingerprint bytes)`` in clip order."""
    if not frames:
        raise ValueError("a work needs at least one fingerprint")
    if len(frames) == 1 and frames[0][0] == 0:
        return bytes(frames[0][1])  # a still, or a clip of one scene: the bare fingerprint
    if len(frames) > 0xFFFF:
        raise ValueError(f"{len(frames)} key frames are more than a work can hold")
    parts = [_HEADER.pack(MAGIC, VERSION, 0, len(frames))]
    for index, data in frames:
        if not 0 <= index < 2**32:
            raise ValueError(f"frame index {index} is out of range")
        parts += [_FRAME.pack(index, len(data)), bytes(data)]
    return b"".join(parts)


def unpack(data: bytes) -> list[tuple[int, bytes]]:
    """Return ``(frame index, fingerprint bytes)`` for each key frame of a stored column.

    Raises ``ValueError`` if a container is damaged or of a newer version.
    """
    data = bytes(data)
    if not data.startswith(MAGIC):
        return [(0, data)]
    if len(data) < _HEADER.size:
        raise ValueError("The key-frame fingerprints are damaged (cut short).")
    _, version, _, count = _HEADER.unpack_from(data)
    if version != VERSION:
        raise ValueError(
            f"Key-frame fingerprints of format {version} are newer than this ArtistShield "
            f"understands ({VERSION}); update ArtistShield to read them."
        )
    frames, at = [], _HEADER.size
    for _ in range(count):
        if at + _FRAME.size > len(data):
            raise ValueError("The key-frame fingerprints are damaged (cut short).")
        index, length = _FRAME.unpack_from(data, at)
        at += _FRAME.size
        if at + length > len(data):
            raise ValueError("The key-frame fingerprints are damaged (cut short).")
        frames.append((index, data[at : at + length]))
        at += length
    if at != len(data) or not frames:
        raise ValueError("The key-frame fingerprints are damaged (wrong length).")
    return frames
