"""An evidence report outlines a match's region only on the frame it lies in."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from clip_files import pan, write_gif
from PIL import Image

from artistshield import check
from artistshield.check import CheckResult
from artistshield.identity import Identity
from artistshield.register import register_file
from artistshield.registry import Registry, Work, WorkMatch
from artistshield.report import gather, render_html
from artistshield.report.evidence import OUTLINE, region_shown

DATA = Path(__file__).resolve().parents[1] / "data"
SCENE = 5
REGION = (0.1, 0.1, 0.6, 0.6)


def outline_pixels(png: bytes) -> int:
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    return int(np.all(rgba == (*OUTLINE, 255), axis=2).sum())


@pytest.fixture
def clip_work(tmp_path: Path, real_artist: Identity) -> tuple[Registry, Work]:
    """A two-scene GIF registered without marking: key frames 0 and the cut."""
    clip = write_gif(
        tmp_path / "walk.gif",
        pan("painted-hills.png", SCENE) + pan("painted-mountains.png", SCENE),
    )
    registry = Registry.open()
    work = register_file(registry, clip, identity=real_artist)
    assert len(work.key_frames) >= 2
    return registry, work


def matched(work: Work, key_frame: int | None, suspect: Path) -> CheckResult:
    match = WorkMatch(work.work_id, 0.9, True, REGION, "local", work, key_frame)
    return CheckResult(input=str(suspect), matches=[match])


def suspect_still(tmp_path: Path) -> Path:
    Image.fromarray(pan("painted-mountains.png", 1)[0]).save(tmp_path / "suspect.png")
    return tmp_path / "suspect.png"


def test_a_region_in_a_later_key_frame_is_not_drawn_on_the_thumbnail(
    tmp_path: Path, clip_work: tuple[Registry, Work]
) -> None:
    registry, work = clip_work
    later = work.key_frames[1]
    result = matched(work, later, suspect_still(tmp_path))
    assert not region_shown(result.matches[0])
    evidence = gather(result, registry=registry)
    assert evidence.work_png is not None and outline_pixels(evidence.work_png) == 0
    page = render_html(evidence)
    assert "red outline" not in page
    assert f"the suspect matches its frame {later + 1}" in page
    assert f"its frame {later + 1}, one of the key frames" in page
    assert "of that frame's area" in page
    registry.close()


@pytest.mark.parametrize("key_frame", [0, None])
def test_a_region_in_the_first_frame_or_a_still_is_outlined(
    tmp_path: Path, clip_work: tuple[Registry, Work], key_frame: int | None
) -> None:
    registry, work = clip_work
    result = matched(work, key_frame, suspect_still(tmp_path))
    assert region_shown(result.matches[0])
    evidence = gather(result, registry=registry)
    assert evidence.work_png is not None and outline_pixels(evidence.work_png) > 0
    page = render_html(evidence)
    assert "the red outline is the part of it the suspect shows" in page
    assert "of the original's area" in page
    registry.close()


def test_a_suspect_clip_is_shown_by_the_frame_that_matched(
    tmp_path: Path, clip_work: tuple[Registry, Work]
) -> None:
    registry, work = clip_work
    suspect = write_gif(
        tmp_path / "reupload.gif",
        pan("cel-spookytree-alpha.png", SCENE) + pan("painted-mountains.png", SCENE),
    )
    result = check.check_file(suspect, keys={}, registry=registry, provenance=False)
    frame = result.match_frame(work.work_id)
    assert frame is not None and frame >= SCENE
    evidence = gather(result, registry=registry)
    assert evidence.suspect_frame == frame
    shown = check.read_frame(suspect, frame)
    assert evidence.suspect_size == (shown.shape[1], shown.shape[0])
    page = render_html(evidence)
    assert f"The suspect clip (reupload.gif), its frame {frame + 1}" in page
    assert f"It was found in frame {frame + 1} of the suspect clip." in page
    assert "Frames are counted from 1" in page
    registry.close()
