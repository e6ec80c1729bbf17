"""Evidence that holds: a full disk never leaves a false ``export`` entry, a truncated
registry is refused even when every head inside the data folder is gone.

The full disk is an injected ENOSPC from ``fsync`` (where a full disk shows
up for data already handed to the kernel) for files in one folder.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity
from artistshield.cli import main
from artistshield.paths import data_dir
from artistshield.registry import Registry, ingest
from artistshield.registry.records import sha256_hex

REAL_FSYNC = os.fsync
PAINTING = Path(__file__).parents[1] / "data" / "painted-hills.png"


@pytest.fixture(autouse=True)
def setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap keys, a passphrase for scripts, and a hash for a fingerprint (not under test)."""
    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    monkeypatch.setattr(
        ingest, "fingerprint_bytes", lambda p, background=255: sha256_hex(p.tobytes()).encode()
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def pictures(folder: Path, count: int, *, seed: int = 0) -> list[Path]:
    """*count* different 192x192 pieces of a painting, which a mark reads back from."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    painting = np.asarray(Image.open(PAINTING).convert("RGB"))
    paths = []
    for i in range(count):
        y, x = (int(rng.integers(0, n - 192)) for n in painting.shape[:2])
        paths.append(folder / f"art-{seed}-{i}.png")
        Image.fromarray(painting[y : y + 192, x : x + 192]).save(paths[-1])
    return paths


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
