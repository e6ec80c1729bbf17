"""Fixtures the registry tests share."""

import pytest

from artistshield import identity as identities
from artistshield.identity import Identity
from artistshield.registry import ingest
from artistshield.registry.records import sha256_hex


@pytest.fixture
def hashed_fingerprints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap scrypt, and a hash for a fingerprint: for tests not about either."""
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    monkeypatch.setattr(ingest, "fingerprint_bytes", lambda p: sha256_hex(p.tobytes()).encode())


@pytest.fixture
def artist(hashed_fingerprints: None) -> Identity:
    return identities.create("Ada", "pw")
