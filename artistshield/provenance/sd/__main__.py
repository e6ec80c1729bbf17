"""``python -m artistshield.provenance.sd FILE...``: one JSON line per file.

Runs in a child process of the check so OpenCV never loads in the caller.
``--available`` prints whether the reader loads here, as
``{"available": true}`` or ``{"available": false, "error": "..."}`` (exit
status 0 or 1): after installing it, the app asks the checker itself.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from artistshield import imageio
from artistshield.errors import ArtistShieldError
from artistshield.provenance import sd


def read(path: str) -> dict[str, Any]:
    """Check one file and return its :class:`~.StableDiffusionReport` as JSON."""
    from artistshield.provenance.sd import dwtdct

    if not dwtdct.available():
        return sd.StableDiffusionReport(sd.NOT_INSTALLED).to_json()
    try:
        rgb = imageio.load(path).rgb8()[..., :3]
    except ArtistShieldError as exc:
        return sd.StableDiffusionReport(sd.FAILED, error=str(exc)).to_json()
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
    for path in argv:
        print(json.dumps({"input": path, **read(path)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
