"""Artwork for the end-to-end tests: different pieces of one painting, which a mark reads back from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

PAINTING = Path(__file__).parents[1] / "data" / "painted-hills.png"


def pieces(folder: Path, count: int, *, size: int, seed: int = 0) -> list[Path]:
    """*count* different *size* x *size* pieces of the painting, saved as PNG in *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    painting = np.asarray(Image.open(PAINTING).convert("RGB"))
    paths = []
    for i in range(count):
        y, x = (int(rng.integers(0, n - size)) for n in painting.shape[:2])
        paths.append(folder / f"art-{seed}-{i}.png")
        Image.fromarray(painting[y : y + size, x : x + size]).save(paths[-1])
    return paths
