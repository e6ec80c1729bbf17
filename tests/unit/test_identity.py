"""The artist's identity: keys, passphrase sealing, backups."""

import json
import stat
from pathlib import Path

import pytest

from artistshield import identity
from artistshield.errors import ArtistShieldError


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


def test_create_then_load_gives_the_same_keys() -> None:
    made = identity.create("Ada Artist", "correct horse")
    loaded = identity.load("correct horse")
    assert loaded == made
    assert loaded.public_key == made.public_key
    assert len(loaded.watermark_key) == 32
    assert loaded.artist_id.startswith("AS-")
    assert identity.verify(loaded.public_key, b"work", made.sign(b"work"))
    assert not identity.verify(loaded.public_key, b"other", made.sign(b"work"))


def test_secrets_are_not_in_the_file_and_it_is_private() -> None:
    made = identity.create("Ada", "pw")
    path = identity.identity_path()
    text = path.read_text()
    assert made.watermark_key.hex() not in text
    assert made.public_key.hex() in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "watermark_key" not in repr(made) and made.watermark_key.hex() not in repr(made)


def test_artist_id_is_short_and_stable() -> None:
    key = bytes(range(32))
    assert identity.artist_id(key) == identity.artist_id(key)
    assert identity.artist_id(key) == "AS-MMG4-2KLG-YQZW-NEIS"
    assert len(identity.artist_id(key)) == 22


def test_wrong_passphrase_is_a_clear_error() -> None:
    identity.create("Ada", "right")
    with pytest.raises(identity.PassphraseError, match="Wrong passphrase"):
        identity.load("wrong")


def test_passphrase_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    made = identity.create("Ada", "from-env")
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "from-env")
    assert identity.load() == made


def test_no_passphrase_and_no_terminal_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    identity.create("Ada", "pw")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(ArtistShieldError, match="ARTISTSHIELD_PASSPHRASE"):
        identity.load()


def test_unencrypted_identity_needs_no_passphrase() -> None:
    made = identity.create("Ada", None)
    assert identity.load() == made
    assert not identity.public_info().encrypted


def test_create_refuses_to_replace_an_identity() -> None:
    identity.create("Ada", "pw")
    with pytest.raises(ArtistShieldError, match="already exists"):
        identity.create("Eve", "pw")


def test_public_info_needs_no_passphrase() -> None:
    made = identity.create("Ada", "pw")
    info = identity.public_info()
    assert (info.name, info.artist_id, info.public_key) == ("Ada", made.artist_id, made.public_key)
    assert json.loads(json.dumps(info.to_json()))["public_key"] == made.public_key.hex()


def test_missing_identity_says_how_to_make_one() -> None:
    assert not identity.exists()
    with pytest.raises(ArtistShieldError, match="identity create"):
        identity.load("pw")


def test_swapping_the_public_half_is_detected() -> None:
    identity.create("Ada", "pw")
    path = identity.identity_path()
    document = json.loads(path.read_text())
    document["name"] = "Eve"
    path.write_text(json.dumps(document))
    with pytest.raises(identity.PassphraseError):
        identity.load("pw")


def test_change_passphrase() -> None:
    made = identity.create("Ada", "old")
    identity.change_passphrase("old", "new")
    with pytest.raises(identity.PassphraseError):
        identity.load("old")
    assert identity.load("new") == made
    identity.change_passphrase("new", None)
    assert identity.load() == made


def test_backup_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = identity.create("Ada", "pw")
    backup = identity.export(tmp_path / "ada.artistshield-identity", "pw")
    assert made.watermark_key.hex() not in backup.read_text()
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "new-computer"))
    assert not identity.exists()
    with pytest.raises(identity.PassphraseError):
        identity.import_(backup, "nope")
    restored = identity.import_(backup, "pw")
    assert restored == made
    assert identity.load("pw") == made


def test_backup_of_an_unencrypted_identity_is_encrypted(tmp_path: Path) -> None:
    made = identity.create("Ada", None)
    backup = identity.export(tmp_path / "b.json", "backup-pw")
    assert made.watermark_key.hex() not in backup.read_text()
    with pytest.raises(ValueError, match="encrypted"):
        identity.export(tmp_path / "c.json", "")


def test_import_refuses_a_different_identity_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = identity.create("Ada", "pw")
    backup = identity.export(tmp_path / "ada.json", "pw")
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "other"))
    other = identity.create("Eve", "pw2")
    with pytest.raises(ArtistShieldError, match="different identity"):
        identity.import_(backup, "pw")
    assert identity.load("pw2") == other
    assert identity.import_(backup, "pw", force=True) == first
    assert identity.load("pw") == first
    kept = list((tmp_path / "other").glob("identity.json.replaced-*"))
    assert len(kept) == 1  # the replaced identity is kept, not destroyed


def test_import_of_the_same_identity_is_a_no_op(tmp_path: Path) -> None:
    made = identity.create("Ada", "pw")
    backup = identity.export(tmp_path / "ada.json", "pw")
    assert identity.import_(backup, "pw") == made


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "not json at all",
        lambda text: json.dumps({"format": "something-else"}),
        lambda text: text.replace('"ciphertext": "', '"ciphertext": "AAAA'),
    ],
    ids=["truncated", "garbage", "other-format", "flipped-ciphertext"],
)
def test_corrupt_backup_is_refused(tmp_path: Path, damage: object) -> None:
    identity.create("Ada", "pw")
    backup = identity.export(tmp_path / "ada.json", "pw")
    backup.write_text(damage(backup.read_text()))  # type: ignore[operator]
    with pytest.raises(ArtistShieldError):
        identity.import_(backup, "pw")


def test_hostile_scrypt_cost_is_refused(tmp_path: Path) -> None:
    identity.create("Ada", "pw")
    backup = identity.export(tmp_path / "ada.json", "pw")
    document = json.loads(backup.read_text())
    document["secrets"]["kdf"]["n"] = 2**30
    backup.write_text(json.dumps(document))
    with pytest.raises(ArtistShieldError, match="damaged"):
        identity.import_(backup, "pw")


def test_identities_with_different_signing_keys_differ() -> None:
    made = identity.create("Ada", None)
    twin = identity.Identity(
        made.name, made.created, made.watermark_key, identity.Ed25519PrivateKey.generate()
    )
    assert twin != made and identity.load() == made
    assert len({made, identity.load()}) == 1
