"""The union's watermark keys travel sealed to the member, with one sealing helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from artistshield import identity as identities
from artistshield.paths import data_dir
from artistshield.union import UnionAuthority, membership


@pytest.fixture(autouse=True)
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


def test_the_membership_file_carries_no_watermark_key_in_the_clear(tmp_path: Path) -> None:
    union = UnionAuthority.create("Guild", "guild pw", home=tmp_path / "guild")
    artist = identities.create("Ada", None)
    document = union.issue(membership.request_membership(artist), member_no=4, until="2099-01-01")
    text = json.dumps(document)
    assert "epochs" not in {k for k in document if k != "sealed_epochs"}
    assert all(key.hex() not in text for key in union.epochs)
    path = tmp_path / "ada.asmember"
    path.write_text(text)
    joined = membership.join(path, artist)
    assert joined.key == union.epochs[-1]
    # kept sealed at rest too, and opened again with the identity alone
    assert union.epochs[-1].hex() not in (data_dir() / membership.FILE_NAME).read_text()
    assert membership.load_membership(artist).key == union.epochs[-1]


def test_sealed_to_one_identity_opens_for_no_other(tmp_path: Path, monkeypatch) -> None:
    ada = identities.create("Ada", None)
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "eve"))
    eve = identities.create("Eve", None)
    sealed = identities.seal_to(ada.sealing_public_key, b"epoch keys", b"membership 4")
    assert ada.open_sealed(sealed, b"membership 4") == b"epoch keys"
    with pytest.raises(InvalidTag):
        eve.open_sealed(sealed, b"membership 4")
    with pytest.raises(InvalidTag):
        ada.open_sealed(sealed, b"membership 5")  # bound to what it belongs with


def test_one_helper_seals_with_a_passphrase_a_key_or_not_at_all() -> None:
    by_passphrase = identities.seal(b"secret", b"about", passphrase="Crème brûlée")
    assert identities.unseal(by_passphrase, b"about", passphrase="Crème brûlée") == b"secret"
    with pytest.raises(InvalidTag):
        identities.unseal(by_passphrase, b"about", passphrase="wrong")
    with pytest.raises(identities.PassphraseError):
        identities.unseal(by_passphrase, b"about")
    key = bytes(range(32))
    by_key = identities.seal(b"secret", b"about", key=key)
    assert "kdf" not in by_key
    assert identities.unseal(by_key, b"about", key=key) == b"secret"
    with pytest.raises(InvalidTag):
        identities.unseal(by_key, b"other", key=key)
    assert identities.unseal(identities.seal(b"open", b""), b"") == b"open"
