"""A clip's key frames are not each confirmed when they cannot change the answer.

The registry answers one match per work, its best key frame.  The engine is
told which key frames belong to one work, and skips the dense structure
check of a key frame whose evidence already falls short of its work's best
answer: the answers must be exactly what confirming every key frame gives.
"""

from __future__ import annotations

from pathlib import Path

from clip_files import reencode, walk

from artistshield import check
from artistshield.fingerprint import structure
from artistshield.identity import Identity
from artistshield.register import register_file
from artistshield.registry import Registry
from artistshield.registry.match import SearchableIndex


class _Ungrouped:
    """The engine's index, told nothing of which key frames make one work."""

    def __init__(self, engine: SearchableIndex) -> None:
        self.engine = engine

    def add(self, name: str, fingerprint: bytes) -> None:
        self.engine.add(name, fingerprint)

    def search(self, query, *, limit: int, group=None):  # type: ignore[no-untyped-def]
        return self.engine.search(query, limit=limit)


def test_grouped_key_frames_give_the_answers_every_key_frame_gives(
    tmp_path: Path, real_artist: Identity, monkeypatch
) -> None:
    clip = walk(tmp_path / "walk.mp4", 8)
    suspects = [clip, reencode(clip, tmp_path / "repost.mp4", height=216)]
    compares = []
    real_compare = structure.compare

    def counted(*args, **options):  # type: ignore[no-untyped-def]
        compares.append(1)
        return real_compare(*args, **options)

    monkeypatch.setattr(structure, "compare", counted)
    with Registry.open() as registry:
        work = register_file(registry, clip, identity=real_artist)
        assert len(work.key_frames) >= 3
        registry.match(check.sample_frames(clip)[0][1])  # builds the matcher
        matcher = registry._matcher
        assert matcher is not None
        engine = matcher._index
        grouped = ungrouped = 0
        for suspect in suspects:
            for index, pixels in check.sample_frames(suspect):
                compares.clear()
                fast = matcher.search(pixels)
                grouped += len(compares)
                matcher._index = _Ungrouped(engine)
                compares.clear()
                full = matcher.search(pixels)
                ungrouped += len(compares)
                matcher._index = engine
                assert fast == full, (suspect.name, index)
                assert fast and fast[0].work_id == work.work_id and fast[0].is_match
        assert grouped < ungrouped  # some key frames were not confirmed
