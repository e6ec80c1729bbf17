"""How large a still ArtistShield takes on, decided before a pixel is decoded.

Marking holds several float copies of a picture at once (about
:data:`MARK_BYTES_PER_PIXEL` bytes per pixel at its peak; checking about
:data:`CHECK_BYTES_PER_PIXEL`), so a 99-megapixel picture needs gigabytes.
Rather than fail half-way, or be killed by the system, a still above
:data:`MAX_PIXELS`, or one whose estimated need exceeds the memory this
process may still use (its address-space limit, its control group's limit,
the memory the system has available), is refused from its header with a
sentence.
"""

from __future__ import annotations

import os
import resource
import warnings
from pathlib import Path

from artistshield.errors import ImageError

#: The largest still marked or checked: 50 megapixels (e.g. 8660 x 5773).
MAX_PIXELS = 50_000_000
#: Peak memory per pixel while marking and while checking a still, measured.
MARK_BYTES_PER_PIXEL = 90
CHECK_BYTES_PER_PIXEL = 40
_GB = 2**30


def check_still(path: str | os.PathLike[str], *, bytes_per_pixel: int, action: str) -> None:
    """Raise :class:`ImageError` if the still at *path* is too large to *action* here.

    Files whose header cannot be read pass: the image reader says why.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Exception:
        return
    pixels = width * height
    megapixels = pixels / 1e6
    if pixels > MAX_PIXELS:
        raise ImageError(
            f"{Path(path).name} is {width}x{height} ({megapixels:.0f} megapixels); "
            f"ArtistShield can {action} pictures of up to {MAX_PIXELS // 1_000_000} megapixels. "
            "Make a smaller copy (the size you publish) and use that."
        )
    need = pixels * bytes_per_pixel
    free = available_bytes()
    if free is not None and need > free:
        raise ImageError(
            f"{Path(path).name} is {width}x{height} ({megapixels:.0f} megapixels); to {action} it "
            f"ArtistShield needs about {need / _GB:.1f} GB of memory, but only {max(free, 0) / _GB:.1f} GB "
            "is available. Close other programs or make a smaller copy."
        )


def available_bytes() -> int | None:
    """The memory this process may still take, as far as it can tell (``None``: unknown)."""
    limits = [_address_space_left(), _cgroup_left(), _system_available()]
    known = [n for n in limits if n is not None]
    return min(known) if known else None


def _address_space_left() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    used = _status_kb("VmSize")
    return None if used is None else soft - used * 1024


def _cgroup_left() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        current = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        return int(limit) - int(current)
    except (OSError, ValueError):
        return None


def _system_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
