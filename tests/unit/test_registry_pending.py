"""A marked copy takes its name only after its record; a killed writer's copy is finished later.

Nothing, not even a placeholder, appears under a final name before the record.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield.fileio import write_file
from artistshield.identity import Identity
from artistshield.registry import Registry, pending


def _copy(copy: pending.PendingCopy, name: str = "hills.png", seed: int = 0) -> tuple[Path, np.ndarray]:
    pixels = np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    staged = copy.folder / name
    Image.fromarray(pixels).save(staged)
    return staged, pixels


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _notes(registry: Registry) -> list[Path]:
    return list((registry.path.parent / pending.NOTES).glob("*.json"))


def test_a_copy_is_named_only_after_its_record(artist: Identity, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "hills.png").write_bytes(b"someone else's file")
    with Registry.open() as registry, pending.PendingCopy(
        out, registry=registry, payload=7
    ) as copy:
        staged, pixels = _copy(copy)
        named = copy.claim(staged)
        assert named.name == "hills (2).png"  # the name is chosen, not taken over...
        assert _visible(out) == [copy.folder.name, "hills.png"]  # ...and held only in hiding
        work = registry.add_work(pixels, file_path=named, payload=7, identity=artist)
        assert not (out / "hills (2).png").exists()
        final = copy.finish(named)
    assert final == out / "hills (2).png" and work.file_name == final.name
    assert np.array_equal(np.asarray(Image.open(final)), pixels)
    assert (out / "hills.png").read_bytes() == b"someone else's file"
    assert _visible(out) == ["hills (2).png", "hills.png"]  # no staging folder left
    assert _notes(registry) == []


def test_a_killed_copy_with_its_record_is_finished_at_the_next_start(
    artist: Identity, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    registry = Registry.open()
    copy = pending.PendingCopy(out, registry=registry, payload=9)
    staged, pixels = _copy(copy)
    named = copy.claim(staged)
    registry.add_work(pixels, file_path=named, payload=9, identity=artist)
    expected = named.read_bytes()
    assert copy._note is not None
    copy._note.release()  # the process dies here: its lock goes, its files stay
    registry.close()
    assert _visible(out) == [copy.folder.name]  # the record's note says it is on its way

    with Registry.open() as again:
        assert (out / "hills.png").read_bytes() == expected
        assert _visible(out) == ["hills.png"]
        assert _notes(again) == []


def test_a_killed_copy_without_its_record_is_removed(
    artist: Identity, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    registry = Registry.open()
    copy = pending.PendingCopy(out, registry=registry, payload=11)
    staged, _ = _copy(copy)
    copy.claim(staged)
    assert copy._note is not None
    copy._note.release()  # killed before the record was committed
    registry.close()
    with Registry.open() as again:
        assert _visible(out) == []
        assert again.works() == []


def test_a_live_writer_is_left_alone(artist: Identity, tmp_path: Path) -> None:
    out = tmp_path / "out"
    registry = Registry.open()
    with pytest.raises(RuntimeError), pending.PendingCopy(
        out, registry=registry, payload=13
    ) as copy:
        copy.claim(_copy(copy)[0])
        with Registry.open() as other:  # another process (or thread) opening the registry
            assert pending.recover(other) == 0
        assert _visible(out) == [copy.folder.name]
        assert len(_notes(registry)) == 1
        raise RuntimeError("the batch fails before the record")
    assert _visible(out) == []
    assert _notes(registry) == []
    registry.close()


def test_a_failure_before_the_record_leaves_nothing(artist: Identity, tmp_path: Path) -> None:
    out = tmp_path / "out"
    registry = Registry.open()
    with pytest.raises(RuntimeError), pending.PendingCopy(
        out, registry=registry, payload=15
    ) as copy:
        copy.claim(_copy(copy)[0])
        raise RuntimeError("the disk filled up")
    assert _visible(out) == []
    assert _notes(registry) == []
    registry.close()


def test_an_unreadable_note_is_removed(artist: Identity, tmp_path: Path) -> None:
    with Registry.open() as registry:
        folder = registry.path.parent / pending.NOTES
        folder.mkdir(exist_ok=True)
        write_file(folder / "0123.json", b"not json")
        assert pending.recover(registry) == 0
        assert _notes(registry) == []


def test_a_note_half_written_by_a_dead_process_is_removed(artist: Identity, tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    with Registry.open() as registry:
        folder = registry.path.parent / pending.NOTES
        folder.mkdir(exist_ok=True)
        stale = folder / f".00aa.{int(dead.stdout)}.part.json"
        live = folder / f".00bb.{os.getpid()}.part.json"
        stale.write_bytes(b"")
        live.write_bytes(b"")
        pending.recover(registry)
        assert not stale.exists()
        assert live.exists()  # still being written by a living process


def test_two_copies_on_their_way_never_choose_one_name(artist: Identity, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Registry.open() as registry:
        first = pending.PendingCopy(out, registry=registry, payload=21)
        second = pending.PendingCopy(out, registry=registry, payload=22)
        a, pixels_a = _copy(first, seed=1)
        b, pixels_b = _copy(second, seed=2)
        named_a, named_b = first.claim(a), second.claim(b)
        assert {named_a.name, named_b.name} == {"hills.png", "hills (2).png"}
        registry.add_work(pixels_b, file_path=named_b, payload=22, identity=artist)
        registry.add_work(pixels_a, file_path=named_a, payload=21, identity=artist)
        assert second.finish(named_b) == out / named_b.name
        assert first.finish(named_a) == out / named_a.name
    assert _visible(out) == ["hills (2).png", "hills.png"]


def test_a_registered_copy_whose_name_was_taken_is_withdrawn_as_never_written(
    artist: Identity, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    registry = Registry.open()
    copy = pending.PendingCopy(out, registry=registry, payload=31)
    staged, pixels = _copy(copy)
    named = copy.claim(staged)
    work = registry.add_work(pixels, file_path=named, payload=31, identity=artist)
    assert copy._note is not None
    copy._note.release()  # killed after its record
    registry.close()
    (out / "hills.png").write_bytes(b"another program's file, made meanwhile")

    with Registry.open() as again:  # no identity: the record waits, marked by its note
        assert _visible(out) == [copy.folder.name, "hills.png"]
        assert len(_notes(again)) == 1
        assert pending.recover(again, identity=artist) == 1  # as the next `mark` does
        assert _visible(out) == ["hills.png"] and _notes(again) == []
        standing = again.standings()[work.work_id]
        assert standing.reason.startswith(pending.NEVER_WRITTEN)
        assert again.works() == []  # hidden from lists, matches and exports
        assert again.verify().ok
    assert (out / "hills.png").read_bytes() == b"another program's file, made meanwhile"
