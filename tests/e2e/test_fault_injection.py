"""Faults and races through the command line: what is on disk afterwards, not only the exit code.

Writers that race (two ``mark`` batches into one folder), writers killed at
random moments (a fixed seed), a full disk and a folder that cannot be
written (injected ENOSPC/EACCES in-process, and a real 1 MB tmpfs when the
tests run as root), and a planted ``artistshield/`` package in the current
folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield import imageio, watermark
from artistshield.cli import main
from artistshield.registry import Registry
from artistshield.registry.pending import NOTES, PREFIX


@pytest.fixture
def artist(monkeypatch: pytest.MonkeyPatch) -> identities.Identity:
    """An unencrypted identity in the test's data folder, usable by child processes."""
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    return identities.create("Ada", None)


def pictures(folder: Path, count: int, *, seed: int = 0, names: str = "piece-{}.png") -> list[Path]:
    """Small pictures of blocks of colour: their edges take a mark that reads back."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        blocks = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        pixels = np.kron(blocks, np.ones((12, 12, 1), np.uint8))
        path = folder / names.format(f"{'abcdefghijklmnopqrstuvwxyz'[i % 26]}{i // 26}")
        Image.fromarray(pixels).save(path)
        made.append(path)
    return made


def command(*args: str) -> list[str]:
    """``artistshield ARGS`` as its console script runs it: the current folder not on sys.path."""
    return [sys.executable, "-P", "-m", "artistshield", *args]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def marked_records(registry_file: Path) -> list[dict[str, object]]:
    """Every ``mark`` record, read straight from SQLite (opening a Registry would tidy up first)."""
    with sqlite3.connect(f"file:{registry_file}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT work_id, fields FROM log WHERE kind = 'mark'").fetchall()
    return [{"work_id": work_id, **json.loads(fields)} for work_id, fields in rows]


def final_files(out: Path) -> list[Path]:
    """The files under final names: not hidden, not a temporary."""
    return sorted(p for p in out.iterdir() if not p.name.startswith(".") and p.is_file())


def assert_no_orphans(out: Path, records: list[dict[str, object]], notes: Path) -> int:
    """Straight after a kill: every file under a final name has its record (no placeholder,
    nothing half written), and every record has its file or is marked as on its way.

    A record is on its way when its copy, with the record's hash, waits in a hidden
    staging folder whose note (in the registry's ``pending`` folder) is still there;
    returns how many are.
    """
    by_name = {str(r["file_name"]): r for r in records}
    for path in final_files(out):
        record = by_name.get(path.name)
        assert record is not None, f"{path.name} is under a final name but has no record"
        assert record["file_sha256"] == sha256(path), path.name
    waiting = 0
    for record in records:
        name = str(record["file_name"])
        if (out / name).is_file():
            continue
        staged = [f / name for f in out.glob(f"{PREFIX}*") if (f / name).is_file()]
        assert len(staged) == 1, f"{record['work_id']} has no file and is not on its way"
        assert sha256(staged[0]) == record["file_sha256"], f"{record['work_id']}'s staged copy differs"
        assert (notes / f"{staged[0].parent.name[len(PREFIX):]}.json").is_file(), "no note"
        waiting += 1
    return waiting


def assert_records_match_files(out: Path, records: list[dict[str, object]], key: bytes) -> None:
    """Every record has its file, with its hash, carrying its payload; nothing half done remains."""
    names = [str(r["file_name"]) for r in records]
    assert len(set(names)) == len(names), "two records name one file"
    readable: list[bool] = []
    for record in records:
        path = out / str(record["file_name"])
        assert path.is_file(), f"{record['work_id']} names {path.name}, which is missing"
        assert sha256(path) == record["file_sha256"], f"{path.name} is not the file registered"
        found = watermark.detect(imageio.load(path).rgb8(), key).payload
        # None: a small flat picture's mark may not read back, which is not a mix-up
        assert found in (None, record["payload"]), f"{path.name} carries another work's mark"
        readable.append(found is not None)
    assert sum(readable) >= len(readable) // 2, "too few marks read back to tell files apart"
    assert {p.name for p in final_files(out)} == set(names), "a file with no record"
    assert not [p for p in out.iterdir() if p.name.startswith(PREFIX)], "a staging folder is left"


# -- never write over a file -----------------------------------------------------------


def test_registry_export_never_replaces_a_file_without_force(
    artist: identities.Identity, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (art,) = pictures(tmp_path / "art", 1)
    assert main(["mark", str(art), "--out", str(tmp_path / "out")]) == 0
    home = Path(os.environ["ARTISTSHIELD_HOME"])
    targets = [tmp_path / "out" / art.name, home / "registry.sqlite3", home / "identity.json", art]
    before = {t: sha256(t) for t in targets}
    for target in targets:
        capsys.readouterr()
        assert main(["registry", "export", "--out", str(target)]) == 2
        error = capsys.readouterr().err.strip()
        assert "already exists" in error and "--force" in error and len(error.splitlines()) == 1
    assert {t: sha256(t) for t in targets} == before
    assert main(["identity", "export", str(targets[0])]) == 2
    assert sha256(targets[0]) == before[targets[0]]

    replaced = tmp_path / "old-proof.json"
    replaced.write_text("an earlier bundle")
    assert main(["registry", "export", "--out", str(replaced), "--force"]) == 0
    assert main(["registry", "verify-bundle", str(replaced)]) == 0


def test_reports_and_bundles_each_get_their_own_name(
    artist: identities.Identity, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    art = pictures(tmp_path / "art", 2)
    assert main(["mark", *map(str, art), "--out", str(tmp_path / "marked")]) == 0
    # two suspects with one file name, in two folders
    suspects = []
    for marked, where in zip(sorted((tmp_path / "marked").iterdir()), ("a", "b"), strict=True):
        (tmp_path / where).mkdir()
        suspects.append(tmp_path / where / "repost.png")
        suspects[-1].write_bytes(marked.read_bytes())
    reports = tmp_path / "reports"
    args = ["check", *map(str, suspects), "--report", str(reports / "case.html"), "--no-provenance"]
    assert main(args) == 0
    first = snapshot(reports)
    assert sorted(first) == [
        "case-repost (2).html", "case-repost-bundle (2).asbundle",
        "case-repost-bundle.asbundle", "case-repost.html",
    ]
    assert main(args) == 0  # the same run again
    second = snapshot(reports)
    assert len(second) == 8
    assert {name: second[name] for name in first} == first  # nothing earlier was replaced

    one = ["check", str(suspects[0]), "--report", str(tmp_path / "one.html"), "--no-provenance"]
    assert main(one) == 0 and main(one) == 0
    assert (tmp_path / "one.html").is_file() and (tmp_path / "one (2).html").is_file()
    kept = sha256(tmp_path / "one (2).html")
    (tmp_path / "one.html").write_text("stale")
    assert main([*one, "--force"]) == 0  # the user said so: the named report is replaced
    assert (tmp_path / "one.html").read_text().startswith("<!DOCTYPE html>")
    assert sha256(tmp_path / "one (2).html") == kept


@pytest.mark.slow
def test_two_mark_batches_into_one_folder_keep_every_file(
    artist: identities.Identity, tmp_path: Path
) -> None:
    art = pictures(tmp_path / "art", 8)  # both batches mark the same names into one folder
    Registry.open().close()
    out = tmp_path / "out"
    batches = [
        # --again: each batch marks every file, whatever the other registered first
        subprocess.Popen(command("mark", *map(str, art), "--out", str(out), "--json", "--again"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [b.communicate(timeout=600) for b in batches]
    assert [b.returncode for b in batches] == [0, 0], [r[1] for r in results]
    outputs = [json.loads(line)["output"] for r in results for line in r[0].splitlines()]
    assert len(set(outputs)) == 16
    records = marked_records(Path(os.environ["ARTISTSHIELD_HOME"]) / "registry.sqlite3")
    assert len(records) == 16
    assert_records_match_files(out, records, artist.watermark_key)


# -- a marked copy is always registered ----------------------------------------------


@pytest.mark.slow
def test_marking_killed_at_random_moments_leaves_no_orphan(
    artist: identities.Identity, tmp_path: Path
) -> None:
    """20 SIGKILLs (two batches at a time, into one folder), at random moments, fixed seed."""
    art = pictures(tmp_path / "art", 30)
    Registry.open().close()
    out = tmp_path / "out"
    registry_file = Path(os.environ["ARTISTSHIELD_HOME"]) / "registry.sqlite3"
    rng = np.random.default_rng(20)
    waiting = 0
    for _ in range(10):
        batches = []
        for _ in range(2):
            batch = subprocess.Popen(
                command("mark", *map(str, rng.permutation(art)), "--out", str(out), "--again"),
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            batches.append((batch, int(rng.integers(0, 3)), float(rng.uniform(0.0, 0.6))))
        for batch, lines, extra in batches:
            assert batch.stdout is not None
            for _ in range(lines):  # this many files done, then a moment into the next
                if not batch.stdout.readline():
                    break
            time.sleep(extra)
            batch.send_signal(signal.SIGKILL)
        for batch, _, _ in batches:
            batch.wait(timeout=60)
            assert batch.stdout is not None
            batch.stdout.close()
        # straight after the kill, before anything tidies up: no marked file lacks its record,
        # no record lacks its file unless its note says it is on its way
        waiting += assert_no_orphans(out, marked_records(registry_file), registry_file.parent / NOTES)

    with Registry.open() as registry:  # the next start finishes or removes what was on its way
        assert registry.verify(artist.public_key).ok
    records = marked_records(registry_file)
    assert records, "no batch got as far as one file: the kills came too early to test anything"
    assert_records_match_files(out, records, artist.watermark_key)
    assert not list((registry_file.parent / "pending").iterdir())


# -- no traceback: reports and exports into a full or unwritable folder -----------------


def _fail_in(folder: Path, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every file ArtistShield opens or syncs in *folder* fail with *code*."""
    real_open, real_fsync = os.open, os.fsync
    inside: set[int] = set()

    def open_(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if Path(str(path)).parent == folder:
            if code != errno.ENOSPC:
                raise OSError(code, os.strerror(code))
            fd = real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]
            inside.add(fd)
            return fd
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    def fsync(fd: int) -> None:
        if fd in inside:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES], ids=["full", "unwritable"])
def test_reports_into_a_bad_folder_say_so_and_the_batch_goes_on(
    artist: identities.Identity, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, code: int,
) -> None:
    art = pictures(tmp_path / "art", 2)
    assert main(["mark", *map(str, art), "--out", str(tmp_path / "marked")]) == 0
    suspects = sorted((tmp_path / "marked").iterdir())
    reports = tmp_path / "reports"
    reports.mkdir()
    capsys.readouterr()
    _fail_in(reports, code, monkeypatch)
    assert main(["check", *map(str, suspects), "--report", str(reports / "case.html"),
                 "--no-provenance"]) == 2
    out, err = capsys.readouterr()
    assert sum("your mark is in this image" in line for line in out.splitlines()) == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("no evidence report" in line for line in lines)
    assert all(("disk is full" if code == errno.ENOSPC else "may not write") in x for x in lines)
    assert list(reports.iterdir()) == []  # nothing partial, no temporary left

    assert main(["registry", "export", "--out", str(reports / "proof.json")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert list(reports.iterdir()) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> object:
    """A real 1 MB file system, filled up (needs root; skipped otherwise)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.slow
def test_a_real_full_disk_under_reports_and_exports(
    artist: identities.Identity, tmp_path: Path, tiny_disk: Path
) -> None:
    art = pictures(tmp_path / "art", 2)
    assert main(["mark", *map(str, art), "--out", str(tmp_path / "marked")]) == 0
    suspects = sorted((tmp_path / "marked").iterdir())
    checked = subprocess.run(
        command("check", *map(str, suspects), "--report", str(tiny_disk / "case.pdf"),
                "--no-provenance"),
        capture_output=True, text=True, timeout=600,
    )
    assert checked.returncode == 2
    assert "Traceback" not in checked.stderr
    assert checked.stdout.count("your mark is in this image") == 2  # the batch went on
    assert len(checked.stderr.strip().splitlines()) == 2
    exported = subprocess.run(command("registry", "export", "--out", str(tiny_disk / "p.json")),
                              capture_output=True, text=True, timeout=300)
    assert exported.returncode == 2 and "disk is full" in exported.stderr
    assert "Traceback" not in exported.stderr
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


# -- nothing runs from the current folder ----------------------------------------------


@pytest.mark.slow
def test_a_package_planted_in_the_current_folder_is_never_run(
    artist: identities.Identity, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    planted = downloads / "artistshield"
    for package in (planted, planted / "report", planted / "provenance", planted / "provenance" / "sd"):
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            "import pathlib\n"
            f"pathlib.Path({str(tmp_path / 'PLANTED-RAN')!r}).write_text(__name__)\n"
        )
    (planted / "report" / "pdf.py").write_text((planted / "__init__.py").read_text())
    (planted / "provenance" / "sd" / "__main__.py").write_text((planted / "__init__.py").read_text())
    (art,) = pictures(downloads, 1)
    assert main(["mark", str(art), "--out", str(downloads)]) == 0
    suspect = downloads / f"{art.stem} (2).png"

    checked = subprocess.run(
        command("check", suspect.name, "--report", "case.pdf"),  # provenance on: the SD child runs
        cwd=downloads, capture_output=True, text=True, timeout=600,
    )
    assert checked.returncode == 0, checked.stderr
    assert (downloads / "case.pdf").read_bytes().startswith(b"%PDF-")
    assert not (tmp_path / "PLANTED-RAN").exists()
    # the plant works: started the old way, the child imports it
    subprocess.run([sys.executable, "-m", "artistshield.report.pdf"], cwd=downloads,
                   capture_output=True, timeout=120, check=False)
    assert (tmp_path / "PLANTED-RAN").exists()


# -- file modes ------------------------------------------------------------------------


@pytest.mark.slow
def test_private_data_is_0600_in_0700_and_what_is_published_follows_the_umask(
    artist: identities.Identity, tmp_path: Path
) -> None:
    art = pictures(tmp_path / "art", 1)[0]
    frames = [np.asarray(Image.open(art))[:, :, :3], np.asarray(Image.open(art))[::-1, :, :3]]
    gif = tmp_path / "art" / "loop.gif"
    Image.fromarray(frames[0]).save(gif, save_all=True, append_images=[Image.fromarray(frames[1])],
                                    duration=100, loop=0)
    jpeg = tmp_path / "art" / "photo.jpg"
    Image.open(art).save(jpeg, quality=95)
    video = tmp_path / "art" / "clip.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=12)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "12", "preset": "ultrafast"}
        for i, picture in enumerate(frames * 3):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 12)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    old = os.umask(0o027)
    try:
        out = tmp_path / "out"
        # --again: the JPEG and the clips show the same picture, which would be skipped
        marked = subprocess.run(command("mark", str(art), str(gif), str(jpeg), str(video), "--out", str(out),
                                        "--again"),
                                capture_output=True, text=True, timeout=600)
        assert marked.returncode == 0, marked.stderr
        suspect = out / art.name
        checked = subprocess.run(
            command("check", str(suspect), "--report", str(out / "case.html"),
                    "--report", str(out / "case.pdf"), "--no-provenance"),
            capture_output=True, text=True, timeout=600,
        )
        assert checked.returncode == 0, checked.stderr
        exported = subprocess.run(command("registry", "export", "--out", str(out / "all.json")),
                                  capture_output=True, text=True, timeout=300)
        assert exported.returncode == 0, exported.stderr
    finally:
        os.umask(old)
    published = sorted(p.name for p in out.iterdir())
    # the export's signed head goes beside it, to be kept apart from the computer
    assert published == sorted([art.name, "loop.gif", "photo.jpg", "clip.mp4", "case.html", "case.pdf",
                                "case-bundle.asbundle", "all.json", "all.head.json"])
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {
        name: oct(0o640) for name in published
    }
    home = Path(os.environ["ARTISTSHIELD_HOME"])
    assert home.stat().st_mode & 0o777 == 0o700
    private = [p for p in home.rglob("*") if p.is_file()]
    assert {p.name for p in private} >= {"identity.json", "registry.sqlite3"}
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in private} == {
        p.name: oct(0o600) for p in private
    }
