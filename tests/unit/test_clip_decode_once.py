"""Checking a video decodes it once: the registry match takes its frames from the mark search.

The frames the match compares, and what it finds, must be those of a
reading of its own (:func:`artistshield.check.sample_frames`), whether the
search hands it every sampled frame or stops before the last of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from artistshield import check
from artistshield.animation import video
from artistshield.check import CheckResult
from artistshield.identity import Identity
from artistshield.registry import Registry
from tests.unit.clip_files import marked_walk

SCENE = 8  # frames per scene


def _same_as_every_frame(result: CheckResult, registry: Registry, suspect: Path) -> None:
    matches, frames = check.match_frames(registry, check.sample_frames(suspect))
    assert result.matches == matches
    assert result.match_frames == frames
    assert result.frames_compared is not None and not result.frames_compared.stopped_early


def test_an_unmarked_clip_is_decoded_once_and_matched_as_before(
    tmp_path: Path, real_artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = {"me": real_artist.watermark_key}
    with Registry.open() as registry:
        clip, _ = marked_walk(tmp_path, real_artist, registry, SCENE)

        # frames decoded by a reading other than the mark search's
        sampled: list[int] = []
        pictures = video.rgb_pictures

        def counted(path: Any) -> Iterator[video.Picture]:
            for picture in pictures(path):
                sampled.append(1)
                yield picture

        monkeypatch.setattr(video, "rgb_pictures", counted)
        result = check.check_file(clip, keys=keys, registry=registry, provenance=False)
        assert result.mark is None
        assert len(sampled) == 1  # the first frame, read before the search starts
        monkeypatch.undo()
        _same_as_every_frame(result, registry, clip)

        # a search that stops reading early (as on a mark confirmed) leaves the
        # rest of the sampled frames to the matching's own reading
        detect_clip = check.detect_clip

        def stops_early(*args: Any, decoded: Callable[..., object] | None = None, **kw: Any) -> Any:
            def first_frames(index: int, pixels: Any) -> None:
                if decoded is not None and index < 10:
                    decoded(index, pixels)

            return detect_clip(*args, decoded=first_frames, **kw)

        monkeypatch.setattr(check, "detect_clip", stops_early)
        late = check.check_file(clip, keys=keys, registry=registry, provenance=False)
        monkeypatch.undo()
        _same_as_every_frame(late, registry, clip)
        assert late.frames_compared == result.frames_compared
