"""A clip whose mark names a registered work stops matching frames once they agree.

The short-cut must come to what comparing every sampled frame comes to: the
same verdict, the same work and payload, the same works matched; and the
result must say how many frames it compared.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from artistshield import check
from artistshield.check import CheckResult, FramesCompared
from artistshield.identity import Identity
from artistshield.registry import Registry
from artistshield.report import gather, render_html
from artistshield.verdict import frames_compared_in_words, named_work
from tests.unit.clip_files import marked_walk, pan, reencode, write_video

SCENE = 8  # frames per scene


def _full(result: CheckResult, registry: Registry, suspect: Path) -> CheckResult:
    """*result* with the registry matches of every sampled frame, as without the short-cut."""
    matches, frames = check.match_frames(registry, check.sample_frames(suspect))
    return dataclasses.replace(result, matches=matches, match_frames=frames, frames_compared=None)


def test_the_short_cut_comes_to_what_every_frame_comes_to(
    tmp_path: Path, real_artist: Identity
) -> None:
    keys = {"me": real_artist.watermark_key}
    with Registry.open() as registry:
        clip, outcome = marked_walk(tmp_path, real_artist, registry, SCENE)
        assert outcome.output is not None
        suspects = {
            "marked": outcome.output,
            "re-encoded": reencode(outcome.output, tmp_path / "repost.mp4", height=216),
            "unmarked": clip,
        }
        for name, suspect in suspects.items():
            result = check.check_file(suspect, keys=keys, registry=registry, provenance=False)
            full = _full(result, registry, suspect)
            assert result.verdict == full.verdict, name
            assert named_work(result) == named_work(full) == outcome.work_id, name
            assert [(m.work_id, m.is_match) for m in result.matches if m.is_match] == [
                (m.work_id, m.is_match) for m in full.matches if m.is_match
            ], name
            compared = result.frames_compared
            assert compared is not None and compared.sampled == 8, name
            json = result.to_json()
            assert json["frames_compared"] == dataclasses.asdict(compared)
            if name == "unmarked":  # no mark names the work: every frame is compared
                assert result.mark is None
                assert not compared.stopped_early and compared.compared >= 3
                assert result.matches == full.matches
                assert result.match_frames == full.match_frames
            else:
                assert result.mark is not None and result.mark.work_id == outcome.work_id
                assert result.mark.detection.payload == outcome.payload, name
                assert compared.stopped_early and compared.compared < compared.sampled, name
                # the evidence report says how many frames it compared
                page = render_html(gather(result, registry=registry))
                assert f"The registry compared {compared.compared} of the 8 frames" in page


def test_without_a_registry_no_frames_are_compared(tmp_path: Path, real_artist: Identity) -> None:
    clip = write_video(tmp_path / "walk.mp4", pan("painted-hills.png", SCENE))
    result = check.check_file(clip, keys={"me": real_artist.watermark_key}, provenance=False)
    assert result.frames_compared is None and result.to_json()["frames_compared"] is None


@pytest.mark.parametrize(
    ("frames", "said"),
    [
        (FramesCompared(1, 8, stopped_early=True), "compared 1 of the 8 frames sampled from the "
         "suspect clip; it stopped there because the mark names a work"),
        (FramesCompared(5, 8), "compared 5 of the 8 frames sampled from the suspect clip; the "
         "others were too like a frame compared"),
        (FramesCompared(4, 4), "compared 4 of the 4 frames sampled from the suspect clip."),
    ],
)
def test_the_frames_compared_are_said_in_words(frames: FramesCompared, said: str) -> None:
    assert said in frames_compared_in_words(frames)
