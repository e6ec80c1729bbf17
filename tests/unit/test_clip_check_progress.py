"""A clip check's progress covers the whole job: the mark search and the registry matching.

The matching of the sampled frames runs beside the search and may outlast
it; the one share the command line and the app show must keep moving until
both are done, never go back, and end at 1.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from clip_files import walk

from artistshield import check
from artistshield.identity import Identity
from artistshield.progress import MATCHING_SHARE, CheckStep, ClipCheckProgress
from artistshield.register import register_file
from artistshield.registry import Registry


def test_the_share_runs_through_the_search_then_the_matching() -> None:
    steps: list[CheckStep] = []
    job = ClipCheckProgress(steps.append)
    for frame in range(1, 11):
        job.searched(frame, 10)
    assert steps[-1].share == pytest.approx(1.0 - MATCHING_SHARE)
    assert steps[-1].words == "comparing frames with your registry"
    job.compared(0, 8)
    assert steps[-1].words == "comparing frame 1 of 8 with your registry"
    for done in range(1, 9):
        job.compared(done, 8)
    shares = [step.share for step in steps]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)
    assert len(set(shares[10:])) == 9  # it moved with every frame compared
    assert steps[-1].compared == (8, 8) and steps[-1].frame == (10, 10)
    assert steps[-1].words == "frame 10 of 10"  # nothing left to compare


def test_matching_beside_the_search_counts_and_the_share_never_goes_back() -> None:
    steps: list[CheckStep] = []
    job = ClipCheckProgress(steps.append, keys=2)
    job.searched(5, 10)
    job.compared(4, 8)
    job.searched(10, 10)  # the first key's search ends...
    job.searched(1, 10)  # ...and the second key's starts from the first frame
    assert steps[1].share > steps[0].share
    assert steps[2].words == "frame 10 of 10"  # a second key still to search
    shares = [step.share for step in steps]
    assert shares == sorted(shares)
    job.searched(10, 10)
    job.compared(8, 8)
    assert job.step.share == pytest.approx(1.0)


def test_without_a_registry_the_search_is_the_whole_job() -> None:
    steps: list[CheckStep] = []
    job = ClipCheckProgress(steps.append, matching=False)
    job.searched(3, 6)
    assert steps[-1].share == pytest.approx(0.5) and steps[-1].words == "frame 3 of 6"
    job.searched(6, 6)
    assert steps[-1].share == pytest.approx(1.0)


def test_a_clip_check_tells_each_frame_compared_after_its_search(
    tmp_path: Path, real_artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = walk(tmp_path / "walk.mp4", 8)
    searched = threading.Event()
    real_match = Registry.match

    def match_after_the_search(self: Registry, pixels, **options):  # type: ignore[no-untyped-def]
        assert searched.wait(60), "the search never ended"
        return real_match(self, pixels, **options)

    with Registry.open() as registry:
        register_file(registry, clip, identity=real_artist)
        monkeypatch.setattr(Registry, "match", match_after_the_search)
        steps: list[CheckStep] = []

        def tell(step: CheckStep) -> None:
            steps.append(step)
            if step.frame[1] and step.frame[0] >= step.frame[1]:
                searched.set()

        job = ClipCheckProgress(tell)
        result = check.check_file(
            clip, keys={"me": b"k" * 32}, registry=registry, provenance=False,
            progress=job.searched, compared=job.compared,
        )
    assert result.matches and result.matches[0].is_match
    compared = result.frames_compared
    assert compared is not None and compared.compared >= 2
    after = [s for s in steps if s.frame[0] >= s.frame[1] > 0]
    assert after[0].share == pytest.approx(1.0 - MATCHING_SHARE)
    moving = [s.share for s in after]
    assert moving == sorted(moving) and len(set(moving)) >= 3  # it moves while frames are compared
    assert any(s.words.startswith("comparing frame") for s in after)
    assert steps[-1].share == pytest.approx(1.0) and steps[-1].compared == (8, 8)


def test_the_command_line_bar_shows_the_whole_check() -> None:
    import io

    from artistshield.cli.progress import Progress

    stream = io.StringIO()
    progress = Progress([Path("walk.mp4")], verbose=False, verb="checking", done="checked",
                        stream=stream, bar=True)
    progress.start(Path("walk.mp4"))
    progress.check_step(CheckStep(0.85, "comparing frame 3 of 8 with your registry", (300, 300)))
    line = progress.line(200)
    assert progress.share == pytest.approx(0.85)
    assert "walk.mp4 · comparing frame 3 of 8 with your registry" in line
    assert line.startswith("[#################...] 0/1")
    progress.end(Path("walk.mp4"))
    progress.start(Path("walk.mp4"))  # the next file starts from nothing
    assert progress.share == pytest.approx(1.0) and "comparing" not in progress.line(200)
