"""Withdrawing and merging works: signed entries that hide a record without removing it."""

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield.errors import ArtistShieldError
from artistshield.identity import Identity
from artistshield.registry import Registry, verify_bundle
from artistshield.registry.records import canonical_json, sha256_hex

DATA = Path(__file__).parents[1] / "data"


def _add(registry: Registry, folder: Path, artist: Identity, n: int, payload: int | None = None):
    pixels = np.full((16, 16, 3), n * 40, np.uint8)
    file = folder / f"{n}.png"
    Image.fromarray(pixels).save(file)
    return registry.add_work(pixels, file_path=file, identity=artist, title=f"Work {n}", payload=payload)


@pytest.fixture
def registry(tmp_path: Path, artist: Identity):
    with Registry.open() as registry:
        for n in range(3):
            _add(registry, tmp_path, artist, n, payload=1000 + n)
        yield registry


def test_withdrawn_work_is_hidden_but_stays_verifiable(
    registry: Registry, artist: Identity, tmp_path: Path
) -> None:
    standing = registry.withdraw("W-000002", artist, reason="registered by mistake")
    assert standing.state == "withdrawn" and standing.reason == "registered by mistake"
    assert [w.work_id for w in registry.works()] == ["W-000001", "W-000003"]
    assert [w.work_id for w in registry.works(hidden=True)] == ["W-000001", "W-000002", "W-000003"]
    assert registry.find_by_payload(1001) is None  # a check no longer names it
    assert registry.record_with_payload(1001).work_id == "W-000002"  # the record is there
    assert registry.work("W-000002").title == "Work 1"
    report = registry.verify(artist.public_key)
    assert report.ok, report.summary()
    assert (report.entries_checked, report.works_checked) == (5, 3)
    bundle = registry.export_bundle(tmp_path / "all.json", identity=artist)
    shown = verify_bundle(bundle)
    assert shown.ok and [w.work_id for w in shown.works] == ["W-000001", "W-000003"]
    asked = verify_bundle(
        registry.export_bundle(tmp_path / "one.json", ["W-000002"], identity=artist)
    )
    assert asked.ok and [w.work_id for w in asked.works] == ["W-000002"]


def test_restore_shows_a_withdrawn_work_again(registry: Registry, artist: Identity) -> None:
    registry.withdraw("W-000001", artist)
    with pytest.raises(ArtistShieldError, match="already withdrawn"):
        registry.withdraw("W-000001", artist)
    registry.restore("W-000001", artist)
    assert "W-000001" in [w.work_id for w in registry.works()]
    assert registry.find_by_payload(1000).work_id == "W-000001"
    with pytest.raises(ArtistShieldError, match="nothing to restore"):
        registry.restore("W-000001", artist)
    assert registry.verify(artist.public_key).ok


def test_merged_duplicate_answers_as_the_work_it_was_merged_into(
    registry: Registry, artist: Identity
) -> None:
    standing = registry.merge("W-000003", "W-000001", artist)
    assert standing.in_words().startswith("merged into W-000001")
    assert [w.work_id for w in registry.works()] == ["W-000001", "W-000002"]
    assert registry.find_by_payload(1002).work_id == "W-000001"
    with pytest.raises(ArtistShieldError, match="into itself"):
        registry.merge("W-000002", "W-000002", artist)
    with pytest.raises(ArtistShieldError, match="merged into W-000001"):
        registry.merge("W-000002", "W-000003", artist)  # into a hidden work
    with pytest.raises(ArtistShieldError, match="no work W-000009"):
        registry.merge("W-000009", "W-000001", artist)
    assert registry.verify(artist.public_key).ok


def test_version_entry_links_the_new_work_to_the_earlier_one(
    registry: Registry, artist: Identity
) -> None:
    registry.add_version("W-000003", "W-000001", artist)
    assert registry.version_of("W-000003") == "W-000001"
    assert registry.version_of("W-000001") is None
    assert registry.verify(artist.public_key).ok


def test_pixels_of_a_withdrawn_work_may_be_registered_again(
    registry: Registry, artist: Identity, tmp_path: Path
) -> None:
    registry.withdraw("W-000001", artist)
    again = _add(registry, tmp_path, artist, 0)  # the same pixels as W-000001
    assert again.work_id == "W-000004"


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER log_no_update")
    return conn


def test_tampered_withdraw_entry_fails_verify(registry: Registry, artist: Identity) -> None:
    registry.withdraw("W-000002", artist, reason="a test")
    path = registry.path
    registry.close()
    conn = _raw(path)
    fields = canonical_json({"reason": "stolen, not mine"})
    conn.execute("UPDATE log SET fields = ? WHERE seq = 5", (fields,))
    conn.close()
    with Registry.open(path) as reopened:
        report = reopened.verify(artist.public_key)
    assert not report.ok and report.first_bad is not None
    assert (report.first_bad.seq, report.first_bad.reason) == (
        5, "the details of entry 5 were changed",
    )


def test_withdraw_entry_turned_into_a_restore_fails_verify(
    registry: Registry, artist: Identity
) -> None:
    registry.withdraw("W-000002", artist)
    path = registry.path
    registry.close()
    conn = _raw(path)
    text = conn.execute("SELECT entry FROM log WHERE seq = 5").fetchone()[0]
    edited = text.replace('"kind":"withdraw"', '"kind":"restore"')
    conn.execute(
        "UPDATE log SET entry = ?, kind = 'restore', hash = ? WHERE seq = 5",
        (edited, sha256_hex(edited)),
    )
    conn.close()
    with Registry.open(path) as reopened:
        report = reopened.verify(artist.public_key)
    assert not report.ok and report.first_bad is not None
    assert report.first_bad.seq == 5 and "signature" in report.first_bad.reason


def test_tampered_withdraw_entry_in_a_bundle_fails(
    registry: Registry, artist: Identity, tmp_path: Path
) -> None:
    registry.withdraw("W-000002", artist, reason="a test")
    bundle = registry.export_bundle(tmp_path / "b.json", ["W-000002"], identity=artist)
    assert verify_bundle(bundle).ok
    document = json.loads(bundle.read_text())
    document["entries"][4]["fields"] = canonical_json({"reason": "edited"})
    bundle.write_text(json.dumps(document))
    report = verify_bundle(bundle)
    assert not report.ok and report.first_bad is not None and report.first_bad.seq == 5


def test_a_registry_without_these_entries_opens_as_before(
    tmp_path: Path, artist: Identity
) -> None:
    with Registry.open(tmp_path / "old.sqlite3") as old:
        _add(old, tmp_path, artist, 1)
        assert old.standings() == {}
        assert [w.work_id for w in old.works()] == ["W-000001"]
        assert old.verify(artist.public_key).ok


def test_match_leaves_out_withdrawn_and_folds_merged(
    tmp_path: Path, real_artist: Identity
) -> None:
    pixels = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    other = np.asarray(Image.open(DATA / "flat-moonlight.png").convert("RGB"))
    with Registry.open() as registry:
        # the same art again, a pixel off: a duplicate record
        nudged = pixels.copy()
        nudged[0, 0] ^= 1
        files = []
        for name, picture in (("a", pixels), ("b", nudged), ("c", other)):
            files.append(tmp_path / f"{name}.png")
            Image.fromarray(picture).save(files[-1])
        first = registry.add_work(pixels, file_path=files[0], identity=real_artist)
        dup = registry.add_work(nudged, file_path=files[1], identity=real_artist)
        registry.add_work(other, file_path=files[2], identity=real_artist)
        found = [m.work_id for m in registry.match(pixels) if m.is_match]
        assert sorted(found) == [first.work_id, dup.work_id]
        registry.merge(dup.work_id, first.work_id, real_artist)
        assert [m.work_id for m in registry.match(pixels) if m.is_match] == [first.work_id]
        registry.withdraw(first.work_id, real_artist)
        assert [m for m in registry.match(pixels) if m.is_match] == []
        assert registry.verify(real_artist.public_key).ok
