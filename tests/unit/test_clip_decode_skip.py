"""Reading a clip for its mark leaves frames nobody reads undecoded, and finds the same.

An H.264 clip's non-reference frames (most B-frames of an x264 encode) that
are neither searched nor wanted by the registry match are skipped by the
decoder; every other frame must decode to the same pixels, under the same
index, and a check must report exactly what a reading of every frame does.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from artistshield import check
from artistshield.animation import video
from artistshield.identity import Identity
from artistshield.registry import Registry
from tests.unit.clip_files import marked_walk, pan, write_video


def _with_b_frames(path: Path, frames: list[np.ndarray], fps: int = 12) -> Path:
    """*frames* as x264 encodes them for marking (preset faster: B-frames, some not referenced)."""
    return write_video(path, frames, fps, crf=20, preset="faster")


def _read(path: Path, step: int, needed: set[int] | None) -> tuple[list[tuple[int, np.ndarray]], dict[int, np.ndarray]]:
    told: dict[int, np.ndarray] = {}

    def decoded(index: int, picture: video.Picture) -> None:
        assert index not in told
        told[index] = picture()

    kept = list(video.luma_frames(path, step=step, decoded=decoded, needed=needed))
    return kept, told


@pytest.mark.parametrize(("step", "needed"), [(2, set()), (3, {4, 20, 31}), (7, {1, 2, 3, 47})])
def test_skipped_frames_leave_the_others_as_a_full_reading_has_them(
    tmp_path: Path, step: int, needed: set[int]
) -> None:
    clip = _with_b_frames(tmp_path / "pan.mp4", pan("painted-hills.png", 48))
    every, every_told = _read(clip, step, None)  # decoded is told of every frame: none skipped
    assert sorted(every_told) == list(range(48))
    kept, told = _read(clip, step, needed)
    assert [i for i, _ in kept] == [i for i, _ in every] == list(range(0, 48, step))
    for (_, a), (_, b) in zip(kept, every, strict=True):
        assert np.array_equal(a, b)
    assert needed <= set(told)
    for index, rgb in told.items():
        assert np.array_equal(rgb, every_told[index])
    assert len(told) < 48  # frames were skipped, or this proves nothing


def test_frames_before_an_edit_lists_start_are_not_counted(tmp_path: Path) -> None:
    # a clip cut without re-encoding: its first packets decode but are never shown
    clip = _with_b_frames(tmp_path / "pan.mp4", pan("painted-hills.png", 40))
    cut = tmp_path / "cut.mp4"
    with av.open(str(clip)) as inp, av.open(str(cut), "w") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        early = 3 * int(1 / (vin.time_base * 12))  # three frames before the start
        for packet in inp.demux(vin):
            if packet.dts is None:
                continue
            packet.pts -= early
            packet.dts -= early
            packet.stream = vout
            out.mux(packet)
    with av.open(str(cut)) as container:
        assert sum(p.is_discard for p in container.demux(video=0)) == 3
    every, every_told = _read(cut, 4, None)
    assert sorted(every_told) == list(range(37))
    kept, told = _read(cut, 4, set())
    assert [i for i, _ in kept] == [i for i, _ in every] == list(range(0, 37, 4))
    for (_, a), (_, b) in zip(kept, every, strict=True):
        assert np.array_equal(a, b)
    for index, rgb in told.items():
        assert np.array_equal(rgb, every_told[index])


def test_a_codec_not_known_to_skip_safely_is_decoded_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = _with_b_frames(tmp_path / "pan.mp4", pan("painted-hills.png", 24))
    kept, told = _read(clip, 5, set())
    assert [i for i, _ in kept] == [0, 5, 10, 15, 20]
    assert len(told) < 24
    monkeypatch.setattr(video, "_SKIPPABLE", frozenset())
    kept, told = _read(clip, 5, set())
    assert [i for i, _ in kept] == [0, 5, 10, 15, 20]
    assert sorted(told) == list(range(24))


def test_a_check_reports_what_a_reading_of_every_frame_does(
    tmp_path: Path, real_artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = {"me": real_artist.watermark_key}
    with Registry.open() as registry:
        clip, outcome = marked_walk(tmp_path, real_artist, registry, 20)  # 60 frames: every 2nd read
        assert outcome.output is not None
        unmarked = _with_b_frames(tmp_path / "repost.mp4", [pixels for _, pixels in _frames(clip)])
        for suspect in (outcome.output, unmarked):
            skipping = check.check_file(suspect, keys=keys, registry=registry, provenance=False)
            monkeypatch.setattr(video, "_SKIPPABLE", frozenset())
            whole = check.check_file(suspect, keys=keys, registry=registry, provenance=False)
            monkeypatch.undo()
            assert skipping.to_json() == whole.to_json()
            assert skipping.marks[0].frames_checked == whole.marks[0].frames_checked
        assert skipping.mark is None and whole.mark is None  # the unmarked one, read to its end
        assert skipping.marks[0].frames_checked == 30


def _frames(path: Path) -> list[tuple[int, np.ndarray]]:
    with av.open(str(path)) as container:
        return [(i, f.to_ndarray(format="rgb24")) for i, f in enumerate(container.decode(video=0))]
