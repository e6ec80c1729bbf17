"""``python -m artistshield.provenance.sd FILE...``: one JSON line per file.

Runs in a child process of the check so OpenCV never loads in the caller.
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


def main(argv: list[str]) -> int:
    for path in argv:
        print(json.dumps({"input": path, **read(path)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
