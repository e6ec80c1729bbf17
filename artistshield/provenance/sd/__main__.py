"""``python -m artistshield.provenance.sd FILE...``: one JSON line per file.

Runs in a child process of the check so OpenCV never loads in the caller.
``--pixels FILE.npy...`` reads frames already decoded (a clip's), saved
as RGB arrays by numpy, so the child neither decodes a picture nor loads
the image reader.  ``--available`` prints whether the reader loads here, as
``{"available": true}`` or ``{"available": false, "error": "..."}`` (exit
status 0 or 1): after installing it, the app asks the checker itself.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from artistshield.errors import ArtistShieldError
from artistshield.provenance import sd


def read(path: str) -> dict[str, Any]:
    """Check one file and return its :class:`~.StableDiffusionReport` as JSON."""
    from artistshield import imageio
    from artistshield.provenance.sd import dwtdct

    if not dwtdct.available():
        return sd.StableDiffusionReport(sd.NOT_INSTALLED).to_json()
    try:
        rgb = imageio.load(path).rgb8()[..., :3]
    except ArtistShieldError as exc:
        return sd.StableDiffusionReport(sd.FAILED, error=str(exc)).to_json()
    return _read_rgb(rgb)


def read_pixels(path: str) -> dict[str, Any]:
    """:func:`read` of an HxWx3 uint8 RGB array saved by numpy (never a pickle)."""
    from artistshield.provenance.sd import dwtdct

    if not dwtdct.available():
        return sd.StableDiffusionReport(sd.NOT_INSTALLED).to_json()
    try:
        rgb = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        return sd.StableDiffusionReport(sd.FAILED, error=f"could not read {path} ({exc})").to_json()
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        return sd.StableDiffusionReport(sd.FAILED, error=f"{path} holds no RGB picture").to_json()
    return _read_rgb(rgb)


def _read_rgb(rgb: np.ndarray) -> dict[str, Any]:
    from artistshield.provenance.sd import dwtdct

    if rgb.shape[0] * rgb.shape[1] < sd.MIN_PIXELS:
        return sd.StableDiffusionReport(sd.TOO_SMALL).to_json()
    lengths = tuple(sorted({len(m.bits) for m in sd.MARKS}))
    decoded = {}
    for order, pixels in (("BGR", rgb[..., ::-1]), ("RGB", rgb)):
        bits = dwtdct.decode(pixels, lengths)
        decoded[order] = {m.name: bits[len(m.bits)] for m in sd.MARKS}
    return sd.StableDiffusionReport(sd.CHECKED, sd.classify(decoded)).to_json()


def available() -> dict[str, Any]:
    """Whether the reader and what it imports load in this process, and if not why."""
    from artistshield.provenance.sd import dwtdct

    why = dwtdct.why_unavailable()
    return {"available": True} if why is None else {"available": False, "error": why}


def main(argv: list[str]) -> int:
    if argv == ["--available"]:
        said = available()
        print(json.dumps(said), flush=True)
        return 0 if said["available"] else 1
    reader, paths = (read_pixels, argv[1:]) if argv[:1] == ["--pixels"] else (read, argv)
    for path in paths:
        print(json.dumps({"input": path, **reader(path)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
