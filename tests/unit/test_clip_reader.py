"""One clip reader: one rule for what a clip is, one alpha rule, one way to read frames."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from clip_files import pan, write_gif
from PIL import Image

from artistshield import check, imageio, mark
from artistshield.animation import clip as clips
from artistshield.animation import frames as anim
from artistshield.animation import sequence
from artistshield.identity import Identity
from artistshield.register import read_work, register_file
from artistshield.registry import Registry

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes(range(32))


def painting(width: int = 320, height: int = 240) -> np.ndarray:
    return np.ascontiguousarray(
        np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:height, :width]
    )


def one_frame(path: Path, pixels: np.ndarray) -> Path:
    """A GIF or APNG holding a single frame, as drawing programs export a still."""
    Image.fromarray(pixels).save(path, format="GIF" if path.suffix == ".gif" else "PNG")
    return path


@pytest.mark.parametrize("name", ["still.gif", "still.apng"])
def test_a_one_frame_animation_is_a_still(tmp_path: Path, name: str) -> None:
    path = one_frame(tmp_path / name, painting())
    assert not clips.is_clip(path)
    assert imageio.load(path).rgb8().shape == (240, 320, 3)  # read as any still


def test_two_frames_make_a_clip_and_the_clip_says_what_it_holds(tmp_path: Path) -> None:
    gif = write_gif(tmp_path / "pan.gif", pan("painted-hills.png", 5, width=96, height=64))
    assert clips.is_clip(gif)
    with clips.open_clip(gif) as clip:
        assert clip.frame_count == 5
        assert clip.size == (96, 64)
        assert clip.rate is None  # an animated image times each frame itself
        assert clip.timing().duration_ms(2) == 80
        sampled = clip.sample(3)
    assert [index for index, _ in sampled] == [0, 2, 4]
    with clips.open_clip(DATA / "frames") as folder:
        assert folder.rate == clips.FOLDER_FPS and folder.frame_count == 2


def test_one_alpha_rule_for_frames_read_alone_or_together() -> None:
    opaque = np.full((4, 4, 4), 255, np.uint8)
    clear = opaque.copy()
    clear[0, 0, 3] = 0
    assert [f.shape[2] for f in anim.opaque_as_rgb([opaque])] == [3]
    assert [f.shape[2] for f in anim.opaque_as_rgb([opaque, clear])] == [4, 4]


def test_marking_and_checking_a_one_frame_gif_treat_it_as_a_still(tmp_path: Path) -> None:
    source = one_frame(tmp_path / "badge.gif", painting())
    [outcome] = mark.mark_files([source], out_dir=tmp_path / "out", key=KEY)
    assert outcome.ok, outcome.error
    assert outcome.frames is None and outcome.readable
    assert outcome.output is not None and outcome.output.suffix == ".gif"
    with Image.open(outcome.output) as written:
        assert written.format == "GIF" and getattr(written, "n_frames", 1) == 1
    result = check.check_file(outcome.output, keys={"k": KEY}, provenance=False)
    assert result.error is None
    assert result.mark is not None and result.mark.detection.payload == outcome.payload
    assert result.mark.frames_with_mark is None  # a still's verdict names no frames
    assert "frame" not in result.verdict


def test_a_one_frame_gif_is_registered_as_a_still(tmp_path: Path, artist: Identity) -> None:
    source = one_frame(tmp_path / "badge.gif", painting())
    assert read_work(source).key_frames is None
    with Registry.open(tmp_path / "r.sqlite3") as registry:
        work = register_file(registry, source, identity=artist)
    assert work.frame_count == 1 and not work.key_frames


def test_a_clips_verdict_names_the_frames_that_carry_the_mark(tmp_path: Path) -> None:
    gif = write_gif(tmp_path / "pan.gif", pan("painted-hills.png", 4, width=256, height=192))
    [outcome] = mark.mark_files([gif], out_dir=tmp_path / "out", key=KEY, verify=False)
    assert outcome.output is not None
    result = check.check_file(outcome.output, keys={"k": KEY}, provenance=False)
    finding = result.mark
    assert finding is not None and finding.frames_with_mark
    named = clips.frames_in_words(finding.frames_with_mark)
    count = len(finding.frames_with_mark)
    share = "every one of the 4 frames checked" if count == 4 else f"{count} of the 4 frames checked"
    assert f"in frame{'s' * (count != 1)} {named} ({share})" in result.verdict


def test_a_folder_is_a_sequence_only_with_one_size_format_and_pattern(tmp_path: Path) -> None:
    frames = tmp_path / "walk"
    shutil.copytree(DATA / "frames", frames)
    assert sequence.is_sequence(frames)
    names = sorted(p.name for p in frames.iterdir())

    resized = tmp_path / "resized"
    shutil.copytree(frames, resized)
    small = Image.open(resized / names[1]).resize((32, 32))
    small.save(resized / names[1])
    assert not sequence.is_sequence(resized)  # one size

    mixed = tmp_path / "mixed"
    shutil.copytree(frames, mixed)
    with Image.open(mixed / names[1]) as im:
        im.convert("RGB").save(mixed / names[1], format="TIFF")  # named .png, a TIFF inside
    assert not sequence.is_sequence(mixed)  # one format

    renamed = tmp_path / "renamed"
    shutil.copytree(frames, renamed)
    (renamed / names[1]).rename(renamed / "other_0002.png")
    assert not sequence.is_sequence(renamed)  # one numbered name pattern


def test_the_platform_test_reads_a_one_frame_gif(tmp_path: Path) -> None:
    from artistshield import platforms

    source = one_frame(tmp_path / "badge.gif", painting())
    [outcome] = mark.mark_files([source], out_dir=tmp_path / "out", key=KEY, verify=False)
    assert outcome.output is not None
    assert platforms.survives(outcome.output, KEY, "ArtStation")
