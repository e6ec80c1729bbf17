"""A hostile user against the registry: tampered logs, lost tables, full disks, races.

Each case builds its own damage, runs the commands an artist would, and
checks what is on disk afterwards as well as the exit code and the sentence.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from functools import partial
from pathlib import Path

import pytest

from artistshield.paths import data_dir
from artistshield.registry import Registry
from artistshield.registry import log as history
from tests.e2e.cli import run_in_process
from tests.e2e.paintings import pieces

pytestmark = pytest.mark.usefixtures("hashed_cli")
run = run_in_process

#: *count* different 256x256 pieces of a painting, which a mark reads back from.
pictures = partial(pieces, size=256)


def registry_path() -> Path:
    return data_dir() / "registry.sqlite3"


def raw() -> sqlite3.Connection:
    """The registry file as someone with a SQLite shell sees it."""
    conn = sqlite3.connect(registry_path(), isolation_level=None)
    for table in ("log", "works"):
        for action in ("update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    return conn


def log_rows() -> list[tuple[int, str]]:
    with sqlite3.connect(registry_path()) as conn:
        return conn.execute("SELECT seq, hash FROM log ORDER BY seq").fetchall()


def cut_tail(keep: int, *, rewrite_head: bool) -> None:
    """Delete log entries after *keep* and their works; perhaps make the head agree."""
    conn = raw()
    conn.execute("DELETE FROM works WHERE register_seq > ?", (keep,))
    conn.execute("DELETE FROM log WHERE seq > ?", (keep,))
    if rewrite_head:
        (digest,) = conn.execute("SELECT hash FROM log WHERE seq = ?", (keep,)).fetchone()
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(keep),))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (digest,))
    conn.close()


@pytest.fixture
def marked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[Path]:
    """An artist with three marked works (log: genesis, three marks each with its consent)."""
    assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0
    code, _, _ = run(capsys, "mark", *map(str, pictures(tmp_path / "art", 3)), "--out", str(tmp_path / "out"))
    assert code == 0
    return sorted((tmp_path / "out").iterdir())


# -- a tampered registry is never written on ---------------------------------


def test_a_cut_log_refuses_every_write(
    tmp_path: Path, marked: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cut_tail(2, rewrite_head=False)
    before = log_rows()
    code, out, _ = run(capsys, "registry", "verify")
    assert code == 1 and "TAMPERED" in out
    new = pictures(tmp_path / "more", 1, seed=1)[0]
    code, _, err = run(capsys, "mark", str(new), "--out", str(tmp_path / "out2"))
    assert code == 2
    assert "does not verify" in err and "backup" in err and "nothing was written" in err
    assert not (tmp_path / "out2").exists() or not any((tmp_path / "out2").iterdir())
    for argv in (("registry", "add", str(new)), ("registry", "export", "--out", str(tmp_path / "b.json"))):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "does not verify" in err
    assert not (tmp_path / "b.json").exists()
    assert log_rows() == before  # not one entry was appended


def test_the_head_file_beside_the_registry_catches_a_rewritten_head(
    tmp_path: Path, marked: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cut_tail(2, rewrite_head=True)  # the registry file alone now looks intact
    code, out, _ = run(capsys, "registry", "verify")
    assert code == 1 and "cut short" in out
    code, _, err = run(capsys, "mark", str(pictures(tmp_path / "m", 1, seed=2)[0]), "--out", str(tmp_path / "o"))
    assert code == 2 and "does not verify" in err
    assert len(log_rows()) == 2


def test_verify_against_bundles_reports_and_head_files_catches_a_rewritten_tail(
    tmp_path: Path, marked: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "proof.json"
    assert run(capsys, "registry", "export", "--out", str(bundle))[0] == 0
    head_file = tmp_path / "proof.head.json"
    # genesis, three marks each followed by its consent entry, the export
    assert json.loads(head_file.read_text())["seq"] == 8
    report = tmp_path / "found.html"
    code, _, _ = run(capsys, "check", str(marked[0]), "--report", str(report), "--no-provenance")
    assert code == 0 and report.is_file()
    code, out, _ = run(capsys, "registry", "verify", "--against", str(bundle), str(head_file), str(report))
    assert code == 0 and "intact" in out
    # A local attacker cuts the log after the second mark (and its consent), makes
    # the remembered head agree, removes the head files beside the registry and outside
    # the data folder, and marks again.
    cut_tail(5, rewrite_head=True)
    with Registry.open() as registry:
        registry.head_file.unlink()
        registry.outside_head_file.unlink()
    new = pictures(tmp_path / "n", 1, seed=3)[0]
    assert run(capsys, "mark", str(new), "--out", str(tmp_path / "o"))[0] == 0
    assert run(capsys, "registry", "verify")[0] == 0  # undetectable from inside
    for shown in (bundle, head_file, report):
        code, out, _ = run(capsys, "registry", "verify", "--against", str(shown))
        assert code == 1 and "TAMPERED" in out, shown
        assert shown.name in out


def test_work_ids_come_from_the_signed_log(marked: list[Path]) -> None:
    raw().execute("DELETE FROM works WHERE id = 'W-000003'")
    with Registry.open() as registry, registry.db.transaction() as conn:
        assert history.next_work_number(conn) == 4  # not 3: the log named W-000003


# -- damage gives one sentence -----------------------------------------------


def test_a_dropped_table_is_one_sentence(
    tmp_path: Path, marked: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    raw().execute("DROP TABLE works")
    for argv in (("registry", "list"), ("check", str(marked[0]), "--no-provenance")):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "works table is missing" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "registry", "verify")
    assert code == 1 and "works table is missing" in out


def test_a_log_entry_that_is_not_json_is_one_sentence(
    tmp_path: Path, marked: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    raw().execute("UPDATE log SET entry = 'this is not JSON' WHERE seq = 2")
    code, _, err = run(capsys, "registry", "list")
    assert code == 2 and "unreadable" in err and "restore" in err
    code, out, _ = run(capsys, "registry", "verify")
    assert code == 1 and "entry 2 is unreadable" in out
    code, _, err = run(capsys, "registry", "show", "W-000001")
    assert code == 2 and "unreadable" in err


def test_a_full_disk_under_the_registry_says_so(
    tmp_path: Path, marked: list[Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = log_rows()

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(history, "append", full)
    new = pictures(tmp_path / "f", 2, seed=4)
    code, _, err = run(capsys, "mark", *map(str, new), "--out", str(tmp_path / "o"))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("disk holding the registry" in line and "is full" in line for line in lines)
    assert log_rows() == before


def test_a_full_disk_when_the_registry_opens_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from artistshield.registry import db

    def full(self: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(db.Database, "_migrate", full)
    code, _, err = run(capsys, "registry", "list")
    assert code == 2 and "is full" in err and "not a readable registry" not in err


def _open_at_once(path: str, barrier: multiprocessing.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    barrier.wait()
    Registry.open(path).close()


def test_two_processes_create_one_registry_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(3):
        path = tmp_path / f"round{round_}" / "registry.sqlite3"
        barrier = context.Barrier(4)
        workers = [context.Process(target=_open_at_once, args=(str(path), barrier)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert [w.exitcode for w in workers] == [0, 0, 0, 0]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone() == (1,)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meta", "log", "works"} <= tables


def test_an_identity_backup_keeps_the_registry_head_beside_it(
    tmp_path: Path, marked: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "keys" / "backup.json"
    backup.parent.mkdir()
    assert run(capsys, "identity", "export", str(backup))[0] == 0
    head_file = backup.with_name("backup.head.json")
    assert json.loads(head_file.read_text())["seq"] == 7
    cut_tail(3, rewrite_head=True)
    Registry.open().head_file.unlink()
    code, out, _ = run(capsys, "registry", "verify", "--against", str(head_file))
    assert code == 1 and "cut short" in out
