"""Evidence that holds: a full disk never leaves a false ``export`` entry, a truncated
registry is refused even when every head inside the data folder is gone.

The full disk is an injected ENOSPC from ``fsync`` (where a full disk shows
up for data already handed to the kernel) for files in one folder.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from functools import partial
from pathlib import Path

import pytest

from artistshield import identity
from artistshield.paths import data_dir
from artistshield.registry import Registry
from tests.e2e.cli import run_in_process
from tests.e2e.paintings import pieces

REAL_FSYNC = os.fsync


pytestmark = pytest.mark.usefixtures("hashed_cli")
run = run_in_process


#: *count* different 192x192 pieces of a painting, which a mark reads back from.
pictures = partial(pieces, size=192)


def log_kinds() -> list[str]:
    with sqlite3.connect(data_dir() / "registry.sqlite3") as conn:
        return [kind for (kind,) in conn.execute("SELECT kind FROM log ORDER BY seq")]


def disk_full_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every fsync of a file in *folder* fail with ENOSPC; return what it refused."""
    real = os.fsync
    refused: list[str] = []

    def fsync(fd: int) -> None:
        where = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if where.parent == folder.resolve():
            refused.append(where.name)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return refused


@pytest.fixture
def registered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[Path]:
    assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0
    art = pictures(tmp_path / "art", 2)
    assert run(capsys, "mark", *map(str, art), "--out", str(tmp_path / "marked"))[0] == 0
    return sorted((tmp_path / "marked").iterdir())


# -- a full disk never leaves an export entry without its bundle ---------------------


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see what fsync syncs")
def test_a_full_disk_under_an_export_leaves_no_export_entry(
    tmp_path: Path, registered: list[Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = log_kinds()
    out = tmp_path / "proofs"
    out.mkdir()
    refused = disk_full_in(out, monkeypatch)
    code, _, err = run(capsys, "registry", "export", "--out", str(out / "proof.asbundle"))
    assert code == 2 and "disk is full" in err and len(err.strip().splitlines()) == 1
    assert refused, "the injected full disk was never reached"
    assert list(out.iterdir()) == []  # no bundle, no temporary, no head file
    assert log_kinds() == before  # and the signed log does not say a bundle was exported
    with Registry.open() as registry:
        assert registry.verify().ok

    monkeypatch.setattr(os, "fsync", REAL_FSYNC)  # space again
    code, _, _ = run(capsys, "registry", "export", "--out", str(out / "proof.asbundle"))
    assert code == 0 and log_kinds() == [*before, "export"]
    assert run(capsys, "registry", "verify-bundle", str(out / "proof.asbundle"))[0] == 0


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see what fsync syncs")
def test_a_full_disk_under_the_bundle_beside_a_report_leaves_no_export_entry(
    tmp_path: Path, registered: list[Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = log_kinds()
    reports = tmp_path / "reports"
    reports.mkdir()
    refused = disk_full_in(reports, monkeypatch)
    code, out, err = run(capsys, "check", str(registered[0]), "--report", str(reports / "case.html"),
                         "--no-provenance")
    assert code == 2 and "disk is full" in err and "your mark is in this image" in out
    assert any(name.endswith(".asbundle") for name in refused)
    assert list(reports.iterdir()) == []
    assert log_kinds() == before


def test_a_bundle_that_cannot_take_its_name_is_recorded_as_failed(
    tmp_path: Path, registered: list[Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After its entry is signed the bundle only needs its name; if even that fails, the log says so."""
    from artistshield import fileio

    def refused(*args: object, **kwargs: object) -> Path:
        raise fileio.WriteError("Could not write proof.asbundle: the disk is full.")

    monkeypatch.setattr(fileio, "publish", refused)
    artist = identity.load("a long passphrase")
    with Registry.open() as registry:
        with pytest.raises(fileio.WriteError):
            registry.export_bundle(tmp_path / "proof.asbundle", identity=artist)
        assert registry.verify().ok
        last = registry.log()[-1]
    assert log_kinds()[-2:] == ["export", "export-failed"]
    assert last.details["export_seq"] == last.seq - 1 and "disk is full" in last.details["reason"]
    assert not [p for p in tmp_path.iterdir() if "proof" in p.name]


# -- a truncated registry is refused even when every head inside the data folder is gone ---


def raw() -> sqlite3.Connection:
    """The registry file as someone with a SQLite shell sees it."""
    conn = sqlite3.connect(data_dir() / "registry.sqlite3", isolation_level=None)
    for table in ("log", "works"):
        for action in ("update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    return conn


def cut_tail_and_heads(keep: int) -> Path:
    """Delete the log after entry *keep*, make the stored head agree, remove the head file
    beside the registry: what passed every check before.  Returns the head kept outside."""
    conn = raw()
    conn.execute("DELETE FROM works WHERE register_seq > ?", (keep,))
    conn.execute("DELETE FROM log WHERE seq > ?", (keep,))
    (digest,) = conn.execute("SELECT hash FROM log WHERE seq = ?", (keep,)).fetchone()
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(keep),))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (digest,))
    conn.close()
    with Registry.open() as registry:
        registry.head_file.unlink()
        outside = registry.outside_head_file
    assert outside.is_file() and data_dir() not in outside.parents
    return outside


def work_ids() -> list[str]:
    with sqlite3.connect(data_dir() / "registry.sqlite3") as conn:
        return [w for (w,) in conn.execute("SELECT work_id FROM log WHERE kind = 'mark' ORDER BY seq")]


def test_a_truncated_registry_with_its_heads_rolled_back_is_refused_and_ids_stay_unique(
    tmp_path: Path, registered: list[Path], capsys: pytest.CaptureFixture[str],
) -> None:
    bundle = tmp_path / "proof.asbundle"
    assert run(capsys, "registry", "export", "--out", str(bundle))[0] == 0
    assert work_ids() == ["W-000001", "W-000002"]
    # genesis, W-000001 and its consent entry: W-000002 and the export are cut off
    outside = cut_tail_and_heads(3)
    before = log_kinds()
    new = pictures(tmp_path / "new", 1, seed=5)[0]
    for argv in (
        ("mark", str(new), "--out", str(tmp_path / "out")),
        ("registry", "add", str(new)),
        ("registry", "export", "--out", str(tmp_path / "again.asbundle")),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "does not verify" in err and "cut short" in err, argv
        assert str(outside) in err and "backup" in err
    assert log_kinds() == before and work_ids() == ["W-000001"]  # W-000002 is not given again
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    code, out, _ = run(capsys, "registry", "verify")
    assert code == 1 and "TAMPERED" in out and "cut short" in out

    # What is left to an attacker who also finds and deletes the head outside the data
    # folder: writing works again, and W-000002 names a new picture; only a head given
    # out earlier (a bundle, a report, a head file kept elsewhere) still shows the cut.
    outside.unlink()
    assert run(capsys, "mark", str(new), "--out", str(tmp_path / "out"))[0] == 0
    assert work_ids() == ["W-000001", "W-000002"]
    assert run(capsys, "registry", "verify")[0] == 0
    code, out, _ = run(capsys, "registry", "verify", "--against", str(bundle))
    assert code == 1 and "TAMPERED" in out


def test_a_deleted_registry_is_not_started_again_while_its_outside_head_remains(
    tmp_path: Path, registered: list[Path], capsys: pytest.CaptureFixture[str],
) -> None:
    with Registry.open() as registry:
        files = [registry.path, registry.head_file, *registry.path.parent.glob("registry.sqlite3-*")]
        outside = registry.outside_head_file
    for path in files:
        path.unlink(missing_ok=True)
    new = pictures(tmp_path / "new", 1, seed=6)[0]
    code, _, err = run(capsys, "mark", str(new), "--out", str(tmp_path / "out"))
    assert code == 2 and "it is empty" in err and str(outside) in err
    assert work_ids() == []
