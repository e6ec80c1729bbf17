"""What a batch is made of: the files named, with folders opened.

A folder is a batch of pictures, not a clip, unless it is a frame sequence
(:mod:`.sequence`: one numbered name pattern, one format, one size).  Inside
a folder every picture and clip is taken on its own, a frame sequence found
in it is one clip, and every other file gets a reason it was skipped, so
nothing is left out without a word.  A folder with nothing to take says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from artistshield.animation import sequence
from artistshield.animation.clip import is_picture


@dataclass(frozen=True)
class Input:
    """One item of a batch: a file or clip to take, or one skipped and why."""

    path: Path
    skipped: str | None = None  # why the file is not taken; None: take it
    empty: bool = False  # a folder named, with no picture in it

    @property
    def taken(self) -> bool:
        return self.skipped is None


def gather(paths: Iterable[str | os.PathLike[str]]) -> list[Input]:
    """The files and clips *paths* name, folders opened; each file once.

    A file named directly is always taken (the job says what is wrong with
    it); a folder's files are taken when they are pictures or clips, and
    skipped with a reason when they are not.
    """
    found: list[Input] = []
    seen: set[Path] = set()
    for entry in map(Path, paths):
        items = _folder_inputs(entry) if entry.is_dir() else [Input(entry)]
        if entry.is_dir() and not any(item.taken for item in items):
            items = [*items, Input(entry, f"no pictures found in {entry}", empty=True)]
        for item in items:
            key = item.path.absolute()
            if key not in seen:
                seen.add(key)
                found.append(item)
    return found


def _folder_inputs(folder: Path) -> list[Input]:
    """The pictures, clips and frame folders inside *folder*, and the files skipped, sorted."""
    inside: list[Input] = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(top)
        frames = set(sequence.frame_files(here))
        if frames:
            inside.append(Input(here))
        for name in names:
            path = here / name
            if name.startswith(".") or path in frames or not path.is_file():
                continue
            if is_picture(path):
                inside.append(Input(path))
            else:
                kind = path.suffix[1:].upper() or "a file without a suffix"
                inside.append(Input(path, f"not a picture ArtistShield reads ({kind})"))
    return sorted(inside, key=lambda item: item.path)
