"""Folders of numbered frames (``walk_0001.png``, ``walk_0002.png``...).

A folder is a frame sequence when the frames directly inside it are at least
two, share one numbered name pattern (the same text around a number, the
same suffix), one format (PNG or TIFF, the formats animators export frames
in) and one size.  Anything else is a folder of pictures, each taken on its
own; pictures beside the frames (a cover, a preview GIF) are too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from PIL import Image

#: Frame formats (8- or 16-bit, read and written by :mod:`artistshield.imageio`).
FRAME_SUFFIXES = frozenset({".png", ".tif", ".tiff"})
_NUMBERED = re.compile(r"^(?P<head>.*?)(?P<number>\d+)(?P<tail>\D*)$")


def frame_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Return the frames of *folder* in number order, or [] if it is not a sequence."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    images = [
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in FRAME_SUFFIXES
    ]
    if len(images) < 2:
        return []
    keyed = []
    for p in images:
        match = _NUMBERED.match(p.stem)
        if match is None:
            return []
        keyed.append(((match["head"], match["tail"], p.suffix.lower()), int(match["number"]), p))
    if len({k for k, _, _ in keyed}) != 1:
        return []
    files = [p for _, _, p in sorted(keyed, key=lambda item: (item[1], item[2].name))]
    return files if _one_size_and_format(files) else []


def _one_size_and_format(files: list[Path]) -> bool:
    """Whether every file's header says the same format and size (pixels are not decoded)."""
    seen = set()
    for path in files:
        try:
            with Image.open(path) as image:
                seen.add((image.format, image.size))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return False  # a damaged frame: the files are taken one by one, each saying so
        if len(seen) > 1:
            return False
    return True


def is_sequence(path: str | os.PathLike[str]) -> bool:
    return bool(frame_files(path))
