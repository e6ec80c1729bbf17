"""Fixtures the end-to-end tests share."""

import pytest

from artistshield import identity
from artistshield.registry import ingest
from artistshield.registry.records import sha256_hex


@pytest.fixture
def hashed_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap keys, a passphrase for scripts, and a hash for a fingerprint (not under test)."""
    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    monkeypatch.setattr(
        ingest, "fingerprint_bytes", lambda p, background=255: sha256_hex(p.tobytes()).encode()
    )
