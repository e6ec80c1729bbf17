"""Fixtures the registry tests share (small clips to register are in clip_files.py)."""

import pytest

from artistshield import identity as identities
from artistshield.identity import Identity
from artistshield.registry import ingest
from artistshield.registry.records import sha256_hex


@pytest.fixture
def cheap_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap scrypt: for tests not about the passphrase."""
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


@pytest.fixture
def cli_passphrase(cheap_keys: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap scrypt and a passphrase in the environment, for the CLI tests."""
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")


@pytest.fixture
def hashed_fingerprints(cheap_keys: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap scrypt, and a hash for a fingerprint: for tests not about either."""
    monkeypatch.setattr(
        ingest,
        "fingerprint_bytes",
        lambda p, background=255: sha256_hex(p.tobytes() + bytes([background])).encode(),
    )


@pytest.fixture
def artist(hashed_fingerprints: None) -> Identity:
    return identities.create("Ada", "pw")


@pytest.fixture
def real_artist(cheap_keys: None) -> Identity:
    """An artist whose works get real fingerprints, for the tests of matching."""
    return identities.create("Ada", "pw")
