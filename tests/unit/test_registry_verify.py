"""Tampering with the registry file is caught, and the first bad entry named."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield.errors import ArtistShieldError
from artistshield.identity import Identity
from artistshield.registry import Registry
from artistshield.registry.records import LogEntry, canonical_json, sha256_hex

# cheap scrypt and hashed fingerprints (tests/unit/conftest.py): neither is tested here
pytestmark = pytest.mark.usefixtures("hashed_fingerprints")


@pytest.fixture
def path(tmp_path: Path, artist: Identity) -> Path:
    """A registry of five entries: genesis, W1, W2, a title edit of W1, W3."""
    with Registry.open() as registry:
        for n in range(3):
            pixels = np.full((16, 16, 3), n * 40, np.uint8)
            file = tmp_path / f"{n}.png"
            Image.fromarray(pixels).save(file)
            registry.add_work(pixels, file_path=file, identity=artist, title=f"Work {n}")
            if n == 1:
                registry.set_title("W-000001", "Renamed", artist)
        assert registry.verify(artist.public_key).ok
        return registry.path


@pytest.fixture
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """The file as an attacker sees it: triggers are no obstacle."""
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("log", "works"):
        for action in ("update", "delete"):
            conn.execute(f"DROP TRIGGER {table}_no_{action}")
    yield conn
    conn.close()


def _verify(path: Path, key: bytes | None) -> tuple[int | None, str]:
    with Registry.open(path) as registry:
        report = registry.verify(key)
    assert not report.ok
    assert report.first_bad is not None
    return report.first_bad.seq, report.first_bad.reason


def test_intact_registry_verifies(path: Path, artist: Identity) -> None:
    with Registry.open(path) as registry:
        report = registry.verify(artist.public_key)
    assert report.ok and report.first_bad is None
    assert (report.entries_checked, report.works_checked) == (5, 3)
    assert report.to_json()["artist_id"] == artist.artist_id
    assert "intact" in report.summary()


def test_edited_work_row(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("UPDATE works SET thumbnail = x'00' WHERE id = 'W-000002'")
    assert _verify(path, artist.public_key) == (
        3,
        "work W-000002 differs from its entry: thumbnail_sha256",
    )


def test_edited_payload_column(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("UPDATE works SET payload = 42 WHERE id = 'W-000003'")
    seq, reason = _verify(path, artist.public_key)
    assert seq == 5 and "payload" in reason


def test_edited_entry_details(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("UPDATE log SET fields = replace(fields, 'Work 1', 'Stolen') WHERE seq = 3")
    assert _verify(path, artist.public_key) == (3, "the details of entry 3 were changed")


def test_edited_entry_text(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    text = raw.execute("SELECT entry FROM log WHERE seq = 2").fetchone()[0]
    backdated = text.replace('"time":"20', '"time":"19')
    raw.execute(
        "UPDATE log SET entry = ?, hash = ? WHERE seq = 2", (backdated, sha256_hex(backdated))
    )
    seq, reason = _verify(path, artist.public_key)
    assert seq == 2 and "signature" in reason


def test_deleted_entry_in_the_middle(
    raw: sqlite3.Connection, path: Path, artist: Identity
) -> None:
    raw.execute("DELETE FROM log WHERE seq = 4")  # the title edit: W1 is back to its old name
    assert _verify(path, artist.public_key) == (4, "entries 4 to 4 are missing (deleted?)")


def test_deleted_last_entry(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("DELETE FROM works WHERE id = 'W-000003'")
    raw.execute("DELETE FROM log WHERE seq = 5")
    assert _verify(path, artist.public_key) == (5, "entries 5 to 5 are missing (deleted?)")


def test_deleted_work_row(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("DELETE FROM works WHERE id = 'W-000002'")
    assert _verify(path, artist.public_key) == (3, "the row of work W-000002 is missing")


def test_reordered_entries(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("UPDATE log SET seq = -1 WHERE seq = 2")
    raw.execute("UPDATE log SET seq = 2 WHERE seq = 3")
    raw.execute("UPDATE log SET seq = 3 WHERE seq = -1")
    seq, reason = _verify(path, artist.public_key)
    assert seq == 2 and reason == "the entry at 2 says it is entry 3 (moved?)"


def test_forged_signature(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("UPDATE log SET signature = ? WHERE seq = 3", (bytes(64),))
    assert _verify(path, artist.public_key) == (
        3,
        "the signature of entry 3 is not valid (forged?)",
    )


def test_entry_signed_by_someone_else(
    raw: sqlite3.Connection, path: Path, artist: Identity
) -> None:
    forger = identities.Ed25519PrivateKey.generate()
    text, fields = raw.execute("SELECT entry, fields FROM log WHERE seq = 3").fetchone()
    stolen = fields.replace("Work 1", "Forged")
    entry = LogEntry.parse(text, b"", fields)
    entry = LogEntry(**{**entry.__dict__, "fields_sha256": sha256_hex(stolen), "fields": stolen})
    raw.execute(
        "UPDATE log SET entry = ?, fields = ?, hash = ?, signature = ? WHERE seq = 3",
        (entry.text, stolen, entry.hash, forger.sign(entry.text.encode())),
    )
    seq, reason = _verify(path, artist.public_key)
    assert seq == 3 and "signature" in reason


def test_swapped_public_key(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    """A thief re-signs the whole registry with their key: only the identity can tell."""
    thief = identities.Ed25519PrivateKey.generate()
    thief_key = thief.public_key().public_bytes_raw().hex()
    prev = "0" * 64
    rows = raw.execute("SELECT seq, entry, fields FROM log ORDER BY seq").fetchall()
    for seq, text, fields in rows:
        if seq == 1:
            details = {**__import__("json").loads(fields), "public_key": thief_key}
            fields = canonical_json(details)
        entry = LogEntry.parse(text, b"", fields)
        entry = LogEntry(
            **{**entry.__dict__, "prev_hash": prev, "fields_sha256": sha256_hex(fields)}
        )
        raw.execute(
            "UPDATE log SET entry = ?, fields = ?, hash = ?, signature = ? WHERE seq = ?",
            (entry.text, fields, entry.hash, thief.sign(entry.text.encode()), seq),
        )
        prev = entry.hash
    raw.execute("UPDATE meta SET value = ? WHERE key = 'public_key'", (thief_key,))
    raw.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))
    with Registry.open(path) as registry:
        found = registry.verify()  # the head files still show the artist's key...
        assert not found.ok and "not by this registry's key" in found.first_bad.reason
        registry.head_file.unlink()  # ...so the thief removes it too
        registry.outside_head_file.unlink()  # and the copy outside the data folder
        assert registry.verify().ok  # consistent in itself...
    seq, reason = _verify(path, artist.public_key)  # ...but not the artist's
    assert seq == 1 and "key swapped" in reason


def test_swapped_key_alone(raw: sqlite3.Connection, path: Path) -> None:
    thief = identities.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    raw.execute("UPDATE meta SET value = ? WHERE key = 'public_key'", (thief.hex(),))
    seq, reason = _verify(path, None)
    assert seq == 1 and "signature" in reason


def test_problems_list_names_all(raw: sqlite3.Connection, path: Path, artist: Identity) -> None:
    raw.execute("UPDATE log SET signature = ? WHERE seq = 5", (bytes(64),))
    raw.execute("UPDATE works SET thumbnail = x'00' WHERE id = 'W-000001'")
    with Registry.open(path) as registry:
        report = registry.verify(artist.public_key)
    assert [p.seq for p in report.problems] == [2, 5]


def test_writes_through_the_app_cannot_rewrite_rows(path: Path) -> None:
    with Registry.open(path) as registry:
        for sql in ("UPDATE works SET payload = 1", "DELETE FROM log WHERE seq = 5"):
            with (
                pytest.raises(sqlite3.IntegrityError, match="append-only"),
                registry.db.transaction() as conn,
            ):
                conn.execute(sql)
        assert registry.verify().ok


def test_newer_schema_is_refused(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(ArtistShieldError, match="newer ArtistShield"):
        Registry.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99  # left untouched
    conn.close()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "registry.sqlite3"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArtistShieldError, match="not a readable registry"):
        Registry.open(bogus)
