"""A copy of a clip is said to be scaled against the clip as marked, not against the mark's tile.

A 1080p video is marked with its tile zoomed twice, so the detector reads a
720p re-encode as 133% and a frame grab at 80% as 160%; the user must read
67% and 80%.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from artistshield.animation.scale import original_zoom, scale_of_copy
from artistshield.check import check_file
from artistshield.identity import Identity
from artistshield.mark import mark_files
from artistshield.registry import Registry
from artistshield.verdict import copy_geometry
from tests.unit.clip_files import DATA, reencode, write_video


def test_the_zoom_is_undone_when_the_original_is_known() -> None:
    assert original_zoom(1920, 1080, file_name="walk.mp4") == 2
    assert original_zoom(3840, 2160, file_name="walk.webm") == 4
    assert original_zoom(1920, 1080, file_name="walk.gif") == 1  # only videos are zoomed
    assert scale_of_copy(4 / 3, (1280, 720), original_zoom=2) == pytest.approx(2 / 3)
    assert scale_of_copy(1.6, (1536, 864), original_zoom=2) == pytest.approx(0.8)
    assert scale_of_copy(0.5, (960, 540), original_zoom=1) == 0.5


@pytest.mark.parametrize(
    ("tile_scale", "copy_size", "expected"),
    [
        (4 / 3, (1280, 720), 2 / 3),  # a 720p re-encode of a 1080p video
        (1.6, (1536, 864), 0.8),  # a frame grab at 80%
        (2.0, (1920, 1080), 1.0),  # a 1080p video as marked
        (1.0, (1920, 1080), 1.0),  # a 1080p GIF as marked (never zoomed)
        (0.5, (960, 540), 0.5),  # that GIF halved: no zoomed original explains it
        (4.0, (3840, 2160), 1.0),  # a 4K video as marked
    ],
)
def test_without_the_original_the_likeliest_zoom_is_undone(
    tile_scale: float, copy_size: tuple[int, int], expected: float
) -> None:
    assert scale_of_copy(tile_scale, copy_size) == pytest.approx(expected)


def _pan_1080p(count: int) -> list[np.ndarray]:
    art = Image.open(DATA / "painted-mountains.png").convert("RGB").resize((2600, 1950))
    pixels = np.asarray(art)
    return [np.ascontiguousarray(pixels[400:1480, 12 * i : 12 * i + 1920]) for i in range(count)]


@pytest.fixture(scope="module")
def marked_1080p(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A four-frame 1080p clip, to be marked by each test (marking is what is tested)."""
    folder = tmp_path_factory.mktemp("clip")
    return write_video(folder / "pan.mp4", _pan_1080p(4))


def test_a_720p_reencode_and_an_80_percent_frame_grab_read_as_67_and_80_percent(
    marked_1080p: Path, tmp_path: Path, artist: Identity
) -> None:
    with Registry.open() as registry:
        (outcome,) = mark_files(
            [marked_1080p], out_dir=tmp_path / "out", key=artist.watermark_key,
            registry=registry, identity=artist,
        )
        assert outcome.ok and outcome.readable and outcome.output is not None
        copy = reencode(outcome.output, tmp_path / "repost.mp4", height=720, interpolation="BICUBIC")
        with av.open(str(outcome.output)) as marked:
            first = next(marked.decode(video=0)).to_image()
        grab = tmp_path / "grab.png"
        first.resize((1536, 864), Image.Resampling.LANCZOS).save(grab)

        keys = {"me": artist.watermark_key}
        clip = check_file(copy, keys=keys, registry=registry, provenance=False)
        still = check_file(grab, keys=keys, registry=registry, provenance=False)
        # without the registry, the copy alone tells the clip's scale
        alone = check_file(copy, keys=keys, provenance=False)

    for result, scale in ((clip, 2 / 3), (still, 0.8), (alone, 2 / 3)):
        assert result.mark is not None, result.verdict
        assert result.mark.detection.payload == outcome.payload
        assert result.mark.detection.scale == pytest.approx(scale, abs=0.02)
    # in words, with the registered work's size: scaled, not cropped
    assert copy_geometry(clip) == ["scaled to 67% of the original size"]
    assert copy_geometry(still) == ["scaled to 80% of the original size"]
    assert clip.to_json()["watermark"]["scale"] == pytest.approx(2 / 3, abs=0.02)
