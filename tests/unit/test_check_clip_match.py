"""A suspect clip is matched by frames spread over it, not its first frame alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from clip_files import pan, write_gif, write_video
from PIL import Image

from artistshield import check
from artistshield.animation import clip
from artistshield.identity import Identity
from artistshield.register import register_file
from artistshield.registry import Registry

DATA = Path(__file__).resolve().parents[1] / "data"
SCENE = 5  # frames per scene


def test_frames_are_spread_evenly_and_a_short_clip_gives_every_frame() -> None:
    sampler = clip._Sampler(8, 100)
    assert sorted(i for i in range(100) if sampler.wants(i)) == [0, 14, 28, 42, 57, 71, 85, 99]
    short = clip._Sampler(8, 3)
    assert [i for i in range(3) if short.wants(i)] == [0, 1, 2]


def test_without_a_frame_count_the_frames_kept_stay_spread_and_few() -> None:
    sampler = clip._Sampler(8, 0)
    for index in range(100):
        if sampler.wants(index):
            sampler.keep(index, np.zeros((1, 1, 3), np.uint8))
    assert len(sampler.kept) <= 8
    assert sorted(sampler.kept) == [0, 16, 32, 48, 64, 80, 96]


def test_sampled_frames_are_few_and_at_the_fingerprint_size(tmp_path: Path) -> None:
    big = [
        np.asarray(Image.fromarray(f).resize((1152, 864))) for f in pan("painted-hills.png", 12)
    ]
    samples = check.sample_frames(write_gif(tmp_path / "big.gif", big), count=4)
    assert [i for i, _ in samples] == [0, 4, 7, 11]
    assert all(max(p.shape[:2]) == 640 for _, p in samples)


def test_a_gif_whose_later_scene_is_a_registered_still_matches_it(
    tmp_path: Path, real_artist: Identity
) -> None:
    still = Image.fromarray(pan("painted-mountains.png", 1)[0])
    still.save(tmp_path / "mountains.png")
    suspect = write_gif(
        tmp_path / "compilation.gif",
        pan("painted-hills.png", SCENE) + pan("painted-mountains.png", SCENE),
    )
    with Registry.open() as registry:
        work = register_file(registry, tmp_path / "mountains.png", identity=real_artist)
        result = check.check_file(suspect, keys={}, registry=registry, provenance=False)
    matched = [m for m in result.matches if m.is_match]
    assert [m.work_id for m in matched] == [work.work_id]
    frame = result.match_frame(work.work_id)
    assert frame is not None and frame >= SCENE  # in the second scene, not the first frame
    (row,) = [r for r in result.to_json()["matches"] if r["work_id"] == work.work_id]
    assert row["suspect_frame"] == frame
    json.dumps(result.to_json())


def test_a_video_whose_later_scene_is_a_registered_clip_names_both_frames(
    tmp_path: Path, real_artist: Identity
) -> None:
    registered = write_gif(
        tmp_path / "walk.gif",
        pan("painted-bridge.png", SCENE) + pan("painted-mountains.png", SCENE),
    )
    suspect = write_video(
        tmp_path / "reupload.mp4",
        pan("cartoon-snowmountains.png", SCENE)
        + pan("painted-hills.png", SCENE)
        + pan("painted-mountains.png", SCENE),
    )
    with Registry.open() as registry:
        work = register_file(registry, registered, identity=real_artist)
        assert len(work.key_frames) >= 2
        result = check.check_file(suspect, keys={}, registry=registry, provenance=False)
    best = result.matches[0]
    assert best.is_match and best.work_id == work.work_id
    assert best.key_frame == work.key_frames[1]  # the mountains, the work's second scene
    frame = result.match_frame(work.work_id)
    assert frame is not None and frame >= 2 * SCENE


def test_a_still_names_no_suspect_frame(tmp_path: Path, real_artist: Identity) -> None:
    Image.open(DATA / "painted-hills.png").save(tmp_path / "hills.png")
    with Registry.open() as registry:
        work = register_file(registry, tmp_path / "hills.png", identity=real_artist)
        result = check.check_file(
            tmp_path / "hills.png", keys={}, registry=registry, provenance=False
        )
    assert result.matches[0].work_id == work.work_id and result.matches[0].is_match
    assert result.match_frame(work.work_id) is None
    assert result.to_json()["matches"][0]["suspect_frame"] is None
