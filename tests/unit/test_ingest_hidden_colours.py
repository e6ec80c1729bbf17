"""A cel that hides colours under its transparency is also fingerprinted with its alpha dropped."""

from pathlib import Path

import numpy as np
from PIL import Image

from artistshield.registry import ingest

CEL = Path(__file__).parents[1] / "data" / "cel-portrait-alpha.png"


def test_hidden_colours_get_their_own_fingerprint() -> None:
    cel = np.asarray(Image.open(CEL).convert("RGBA"))
    assert ingest.hides_colours(cel)
    prints = ingest._prints(0, cel)
    assert len(prints) == 3
    assert prints[2][1] == ingest.fingerprint_bytes(np.ascontiguousarray(cel[..., :3]))


def test_clean_transparency_keeps_two() -> None:
    cel = np.asarray(Image.open(CEL).convert("RGBA")).copy()
    for hidden in (0, 255):
        cel[cel[..., 3] == 0, :3] = hidden
        assert not ingest.hides_colours(cel)
        assert len(ingest._prints(0, cel)) == 2
    opaque = np.ascontiguousarray(cel[..., :3])
    assert not ingest.is_transparent(opaque) and len(ingest._prints(0, opaque)) == 1
