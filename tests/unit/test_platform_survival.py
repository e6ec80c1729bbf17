"""The survival test: the new platforms, advice only of what was tried and worked, clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import platforms, watermark
from artistshield.animation.mark import mark_clip
from artistshield.platforms import PRESETS, Platform

DATA = Path(__file__).parents[1] / "data"
KEY = bytes(range(32))
X = "\N{MULTIPLICATION SIGN}"


def _painting(width: int | None = None) -> np.ndarray:
    image = Image.open(DATA / "painted-hills.png").convert("RGB")
    if width is not None:
        image = image.resize((width, width * image.height // image.width), Image.Resampling.LANCZOS)
    return np.asarray(image)


@pytest.mark.parametrize(
    "name", ["X", "Instagram", "YouTube", "TikTok", "Bluesky", "Tumblr", "DeviantArt"]
)
def test_the_platforms_animators_post_to_have_still_and_video_presets(name: str) -> None:
    preset = PRESETS[name]
    assert preset.video_p is not None  # clips are re-encoded as video, not as JPEG frames
    assert "H.264" in preset.describe_video()
    assert preset.served_size(6000, 4000) != (6000, 4000)  # every one shrinks a huge still


@pytest.mark.parametrize("name", ["ArtStation", "Pixiv"])
def test_platforms_without_a_video_model_say_so(name: str) -> None:
    assert PRESETS[name].video_p is None
    assert "not modelled" in PRESETS[name].describe_video()


def test_video_presets_fit_the_shorter_side_in_even_pixels() -> None:
    assert PRESETS["TikTok"].served_size(1080, 1920, video=True) == (720, 1280)
    assert PRESETS["TikTok"].served_size(1920, 1080, video=True) == (1280, 720)
    assert PRESETS["YouTube"].served_size(1921, 1081, video=True) == (1918, 1080)
    assert PRESETS["YouTube"].served_size(640, 360, video=True) == (640, 360)  # never enlarged


def test_still_sizes_follow_each_platform() -> None:
    assert PRESETS["Bluesky"].served_size(4000, 3000) == (2000, 1500)
    assert PRESETS["Tumblr"].served_size(4096, 2048) == (2048, 1024)
    assert PRESETS["DeviantArt"].served_size(3000, 1500) == (1280, 640)
    assert PRESETS["YouTube"].served_size(1920, 1080) == (1280, 720)
    assert PRESETS["TikTok"].served_size(540, 960) == (540, 960)


def test_bluesky_lowers_the_quality_until_the_file_is_under_a_megabyte() -> None:
    noise = np.random.default_rng(1).integers(0, 256, (1500, 2000, 3), np.uint8)
    served = PRESETS["Bluesky"].served_file(noise)
    assert len(served) <= 1_000_000
    assert len(Platform("T", longest_side=2000, jpeg_quality=90).served_file(noise)) > 1_000_000


def test_a_clip_is_re_encoded_as_video() -> None:
    frames = [_painting()[100 + 8 * i : 460 + 8 * i, 0:640] for i in range(4)]
    served = PRESETS["TikTok"].apply_clip(frames)
    assert len(served) == 4
    assert served[0].shape == (360, 640, 3)
    assert not np.array_equal(served[0], frames[0])


def test_advice_is_only_what_was_tried_and_survived() -> None:
    """A large picture fails Instagram's resize; exporting at Instagram's size is tried and works."""
    original = _painting(3200)
    marked = watermark.embed(original, KEY, 7)
    survival = platforms.still_survival(
        original, marked, KEY, "Instagram", payload=7, strength=1.0
    )
    assert not survival.survived and survival.resized
    fix = survival.fix
    assert fix is not None and fix.size == survival.served == (1080, 810)
    # The advice holds when followed: export at that size, mark, post.
    exported = np.asarray(Image.fromarray(original).resize(fix.size, Image.Resampling.LANCZOS))
    posted = PRESETS["Instagram"].apply(watermark.embed(exported, KEY, 7, strength=fix.strength))
    assert watermark.detect(posted, KEY).found
    assert survival.summary() == f"Fail (Instagram)\nexport at 1080{X}810 px"
    said = survival.explanation()
    assert f"shows this picture at 1080{X}810 px instead of 3200{X}2400 px" in said
    assert f"export the picture at 1080{X}810 px" in said
    assert "higher strength" not in said  # never advised unless it was tried and worked


def test_when_nothing_helps_nothing_is_advised() -> None:
    original = _painting(640)
    marked = watermark.embed(original, KEY, 7)
    harsh = Platform("Harsh", longest_side=96, jpeg_quality=10)
    survival = platforms.still_survival(original, marked, KEY, harsh, payload=7, strength=1.0)
    assert not survival.survived and survival.fix is None
    assert [(t.size, t.strength) for t in survival.tried] == [
        ((96, 72), 1.0), (None, 1.5), (None, 2.0), ((96, 72), 1.5), ((96, 72), 2.0)
    ]
    said = survival.explanation()
    assert "Nothing tried made it survive" in said
    assert "So export" not in said and "So mark" not in said
    assert survival.summary() == "Fail (Harsh)\nnothing tried survives"


def test_a_resized_copy_is_described_not_called_removed() -> None:
    original = _painting(3200)
    marked = watermark.embed(original, KEY, 7)
    said = platforms.still_survival(
        original, marked, KEY, "DeviantArt", payload=7, strength=1.0
    ).explanation()
    assert f"shows this picture at 1280{X}960 px instead of 3200{X}2400 px" in said
    assert "removed" not in said and "destroyed" not in said


def test_a_passing_picture_needs_no_trials() -> None:
    original = _painting()
    marked = watermark.embed(original, KEY, 7)
    survival = platforms.still_survival(original, marked, KEY, "Tumblr", payload=7, strength=1.0)
    assert survival.survived and survival.tried == () and not survival.resized
    assert survival.summary() == "Pass (Tumblr)"
    assert "keeps this picture's size" in survival.explanation()


def test_a_clip_is_tested_on_frames_across_it_not_its_first(tmp_path: Path) -> None:
    """A clip opening on a blank frame carries no mark there; later frames do."""
    painting = _painting()
    folder = tmp_path / "walk"
    folder.mkdir()
    for index in range(8):
        frame = painting[60 + 20 * index : 420 + 20 * index, 100:580]
        if index == 0:
            frame = np.full_like(frame, 255)  # a white title card
        Image.fromarray(np.ascontiguousarray(frame)).save(folder / f"walk-{index:02d}.png")
    marked = mark_clip(folder, tmp_path / "out", key=KEY, payload=9).output
    first = np.asarray(Image.open(sorted(marked.iterdir())[0]).convert("RGB"))
    # Pixiv keeps an animation as JPEG frames, so what is tested is which frames are read.
    assert not platforms.survives(first, KEY, "Pixiv")  # the old test saw only this frame
    survival = platforms.clip_survival(folder, marked, KEY, "Pixiv", payload=9, strength=1.0)
    assert survival.survived
    assert len(survival.frames) >= 4 and survival.frames[0] == 0 and survival.frames[-1] == 7
    assert 1 <= survival.frames_read < len(survival.frames)
    said = survival.explanation()
    assert f"Tested on {len(survival.frames)} frames across the clip" in said
