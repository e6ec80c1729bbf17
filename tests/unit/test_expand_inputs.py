"""A folder added for marking keeps the frame folders inside it whole: each is one clip;
everything else in it is taken file by file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from artistshield.mark import expand_inputs, mark_files

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes(range(32))


def picture(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(path)
    return path


def test_frame_folders_inside_a_folder_are_one_input_each(tmp_path: Path) -> None:
    portfolio = tmp_path / "portfolio"
    for i in range(1, 5):
        picture(portfolio / "walk" / f"walk_{i:04d}.png", i)
    cover = picture(portfolio / "walk" / "cover.jpg", 10)  # not a frame: taken on its own
    for i in range(1, 3):
        picture(portfolio / "old" / "run" / f"run_{i:02d}.tif", 20 + i)
    still = picture(portfolio / "still.png", 30)
    lone = picture(portfolio / "sketches" / "sketch_01.png", 40)  # one numbered image: a still

    assert expand_inputs([portfolio]) == [
        portfolio / "old" / "run",
        portfolio / "sketches" / "sketch_01.png",
        still,
        portfolio / "walk",
        cover,
    ]
    assert lone in expand_inputs([portfolio])
    # named directly, a frame folder is one clip, and the cover beside it is taken too
    assert expand_inputs([portfolio / "walk"]) == [portfolio / "walk", cover]


def test_marking_a_folder_marks_its_frame_folder_as_one_clip(tmp_path: Path) -> None:
    shutil.copytree(DATA / "frames", tmp_path / "art" / "ghost")
    shutil.copy(DATA / "painted-hills.png", tmp_path / "art" / "hills.png")
    outcomes = list(mark_files([tmp_path / "art"], out_dir=tmp_path / "out", key=KEY, verify=False))
    assert [(o.source.name, o.frames) for o in outcomes] == [("ghost", 2), ("hills.png", None)]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert outcomes[0].output is not None and outcomes[0].output.is_dir()
