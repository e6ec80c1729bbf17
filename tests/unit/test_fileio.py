"""artistshield.fileio: no write ever replaces a file it did not create."""

import errno
import os
import threading
from pathlib import Path

import pytest

from artistshield import fileio
from artistshield.fileio import OutputExistsError, WriteError


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_an_existing_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "hills.png"
    target.write_bytes(b"the artist's original")
    with pytest.raises(OutputExistsError, match="--force"):
        fileio.write_file(target, b"something else")
    assert target.read_bytes() == b"the artist's original"
    assert _names(tmp_path) == ["hills.png"]  # no temporary file left behind


def test_a_symlink_or_folder_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"kept")
    (tmp_path / "link.json").symlink_to(tmp_path / "real")
    (tmp_path / "dir.json").mkdir()
    for name in ("link.json", "dir.json"):
        with pytest.raises(OutputExistsError):
            fileio.write_file(tmp_path / name, b"new")
    assert (tmp_path / "real").read_bytes() == b"kept"
    assert _names(tmp_path) == ["dir.json", "link.json", "real"]


def test_free_takes_the_next_free_name(tmp_path: Path) -> None:
    (tmp_path / "hills.png").write_bytes(b"one")
    (tmp_path / "hills (2).png").write_bytes(b"two")
    written = fileio.write_file(tmp_path / "hills.png", b"three", exists="free")
    assert written == tmp_path / "hills (3).png"
    assert [(tmp_path / n).read_bytes() for n in ("hills.png", "hills (2).png")] == [b"one", b"two"]
    assert written.read_bytes() == b"three"


def test_replace_replaces_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "proof.json"
    target.write_bytes(b"old")
    assert fileio.write_file(target, b"new", exists="replace") == target
    assert target.read_bytes() == b"new"
    assert _names(tmp_path) == ["proof.json"]


def test_many_writers_of_one_name_each_keep_their_own_file(tmp_path: Path) -> None:
    start = threading.Barrier(12)
    written: list[Path] = []

    def writer(i: int) -> None:
        start.wait()
        written.append(fileio.write_file(tmp_path / "art.png", b"writer %d" % i, exists="free"))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(written)) == 12
    assert sorted(p.read_bytes() for p in written) == sorted(b"writer %d" % i for i in range(12))
    assert len(_names(tmp_path)) == 12


@pytest.mark.parametrize("where", ["write", "fsync", "link"])
def test_a_full_disk_leaves_nothing_under_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    full = OSError(errno.ENOSPC, "No space left on device")

    def fail(*_: object, **__: object) -> None:
        raise full

    if where == "fsync":
        monkeypatch.setattr(os, "fsync", fail)
    elif where == "link":
        monkeypatch.setattr(os, "link", fail)

    def content(handle: object) -> None:
        if where == "write":
            raise full

    with pytest.raises(WriteError, match="disk is full"):
        fileio.write_file(tmp_path / "report.html", content if where == "write" else b"<html>")
    assert _names(tmp_path) == []


def test_a_folder_that_cannot_be_written_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def denied(path: object, *args: object, **kwargs: object) -> int:
        if Path(str(path)).parent == tmp_path / "locked":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    (tmp_path / "locked").mkdir()
    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(WriteError, match="you may not write there"):
        fileio.write_file(tmp_path / "locked" / "proof.json", b"{}")
    assert _names(tmp_path / "locked") == []


def test_without_hard_links_the_name_is_still_claimed_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")  # FAT, some network disks

    monkeypatch.setattr(os, "link", no_links)
    (tmp_path / "a.png").write_bytes(b"theirs")
    written = fileio.write_file(tmp_path / "a.png", b"ours", exists="free")
    assert written.name == "a (2).png" and written.read_bytes() == b"ours"
    assert (tmp_path / "a.png").read_bytes() == b"theirs"
    with pytest.raises(OutputExistsError):
        fileio.write_file(tmp_path / "a.png", b"ours")
    assert _names(tmp_path) == ["a (2).png", "a.png"]


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_published_files_follow_the_umask_private_ones_are_0600(
    tmp_path: Path, mask: int
) -> None:
    old = os.umask(mask)
    try:
        public = fileio.write_file(tmp_path / "copy.png", b"x")
        private = fileio.write_file(tmp_path / "identity.json", b"x", private=True)
        folder = fileio.make_folder(tmp_path / "home", private=True)
        made = fileio.make_private_file(folder / "registry.sqlite3")
    finally:
        os.umask(old)
    assert public.stat().st_mode & 0o777 == 0o666 & ~mask
    assert private.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    assert made.stat().st_mode & 0o777 == 0o600


def test_an_existing_private_folder_and_file_are_narrowed(tmp_path: Path) -> None:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    (folder / "registry.sqlite3").write_bytes(b"")
    os.chmod(folder / "registry.sqlite3", 0o644)
    fileio.make_folder(folder, private=True)
    fileio.make_private_file(folder / "registry.sqlite3")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / "registry.sqlite3").stat().st_mode & 0o777 == 0o600


def test_a_folder_is_published_under_a_free_name(tmp_path: Path) -> None:
    (tmp_path / "walk").mkdir()
    (tmp_path / "walk" / "theirs.png").write_bytes(b"theirs")
    part = fileio.staged_folder(tmp_path / "walk")
    (part / "0001.png").write_bytes(b"ours")
    final = fileio.publish_folder(part, tmp_path / "walk")
    assert final == tmp_path / "walk (2)"
    assert _names(final) == ["0001.png"]
    assert _names(tmp_path / "walk") == ["theirs.png"]
    assert _names(tmp_path) == ["walk", "walk (2)"]
