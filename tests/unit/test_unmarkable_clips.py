"""A clip none of whose frames can take the mark is refused, not registered as marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import mark
from artistshield.identity import Identity
from artistshield.registry import Registry
from tests.unit.clip_files import pan, write_video

KEY = bytes(range(32))


def _frames(count: int) -> list[Image.Image]:
    """A pan over a snowy backdrop's smooth sky: no frame has texture or edges to hide in."""
    return [Image.fromarray(f) for f in pan("cartoon-snowmountains.png", count, width=240, height=180)]


@pytest.mark.parametrize("name", ["sky.gif", "Sky Loop.APNG", "sky pan.MP4"])
def test_a_smooth_animation_is_refused_with_the_true_reason(
    tmp_path: Path, artist: Identity, name: str
) -> None:
    source = tmp_path / name
    frames = _frames(4)
    if name.endswith("MP4"):
        write_video(source, [np.asarray(f) for f in frames])
    else:
            frames[0].save(source, format="GIF" if name.endswith("gif") else "PNG", save_all=True,
                       append_images=frames[1:], duration=80, loop=0)
    with Registry.open() as registry:
        [outcome] = mark.mark_files(
            [source], out_dir=tmp_path / "out", key=artist.watermark_key,
            registry=registry, identity=artist,
        )
        assert not outcome.ok and outcome.work_id is None, outcome
        assert outcome.error is not None
        assert "its frames are too smooth to hide a mark" in outcome.error
        assert "register it without marking" in outcome.error
        assert registry.works() == []  # nothing claims to be marked
    assert not any((tmp_path / "out").glob("*"))  # and no unmarked copy is left as marked
