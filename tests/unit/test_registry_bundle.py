"""Proof bundles verify offline, in a fresh data folder, and tampering shows."""

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield.errors import ArtistShieldError
from artistshield.identity import Identity
from artistshield.registry import Registry, verify_bundle

# cheap scrypt and hashed fingerprints (tests/unit/conftest.py): neither is tested here
pytestmark = pytest.mark.usefixtures("hashed_fingerprints")


@pytest.fixture
def registry(tmp_path: Path, artist: Identity) -> Registry:
    registry = Registry.open()
    for n in range(3):
        pixels = np.full((20, 30, 3), n * 50, np.uint8)
        file = tmp_path / f"art{n}.png"
        Image.fromarray(pixels).save(file)
        registry.add_work(pixels, file_path=file, identity=artist, payload=1000 + n)
    registry.set_title("W-000002", "The bridge", artist)
    return registry


def _fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Verify as a stranger would: no identity, no registry."""
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "stranger"))
    assert not identities.exists()


def test_bundle_of_everything_verifies_anywhere(
    tmp_path: Path, registry: Registry, artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = registry.export_bundle(tmp_path / "proof.json", identity=artist)
    works = registry.works()
    assert registry.verify(artist.public_key).ok  # the export entry is part of history
    assert registry.log()[-1].kind == "export"
    _fresh_home(tmp_path, monkeypatch)
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert report.works == tuple(works)
    assert report.works[1].title == "The bridge"
    assert (report.name, report.artist_id) == ("Ada", artist.artist_id)
    assert report.exported is not None
    assert verify_bundle(bundle, public_key=artist.public_key).ok
    assert not verify_bundle(bundle, public_key=bytes(32)).ok


def test_bundle_of_some_works_hides_the_others(
    tmp_path: Path, registry: Registry, artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = registry.export_bundle(tmp_path / "one.json", ["W-000002"], identity=artist)
    document = json.loads(bundle.read_text())
    shown = [e["fields"] is not None for e in document["entries"]]
    # genesis, W1 (hidden), W2, W3 (hidden), W2's title edit, the export
    assert shown == [True, False, True, False, True, True]
    assert "art0.png" not in bundle.read_text()
    _fresh_home(tmp_path, monkeypatch)
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert [w.work_id for w in report.works] == ["W-000002"]
    assert report.works[0].title == "The bridge" and report.works[0].payload == 1001
    thumb = base64.b64decode(document["works"][0]["thumbnail_png"])
    assert Image.open(__import__("io").BytesIO(thumb)).size == (30, 20)


def test_unknown_work_is_refused(tmp_path: Path, registry: Registry, artist: Identity) -> None:
    with pytest.raises(ArtistShieldError, match="W-000042"):
        registry.export_bundle(tmp_path / "x.json", ["W-000042"], identity=artist)


def _set_title(d: dict[str, Any]) -> None:
    d["works"][0]["record"]["title"] = "Someone else's"


def _set_thumbnail(d: dict[str, Any]) -> None:
    d["works"][0]["thumbnail_png"] = base64.b64encode(b"\x89PNG other").decode()


def _set_fields(d: dict[str, Any]) -> None:
    e = d["entries"][2]
    e["fields"] = e["fields"].replace("art1.png", "mine.png")


def _drop_entry(d: dict[str, Any]) -> None:
    del d["entries"][3]


def _drop_work(d: dict[str, Any]) -> None:
    del d["works"][0]


def _hide_title_edit(d: dict[str, Any]) -> None:
    d["entries"][4]["fields"] = None


def _other_name(d: dict[str, Any]) -> None:
    d["artist"]["name"] = "Eve"


def _other_key(d: dict[str, Any]) -> None:
    key = identities.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    d["artist"]["public_key"] = key.hex()
    d["artist"]["artist_id"] = identities.artist_id(key)


def _forge_signature(d: dict[str, Any]) -> None:
    d["entries"][2]["signature"] = "00" * 64


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [
        (_set_title, 3),
        (_set_thumbnail, 3),
        (_set_fields, 3),
        (_drop_entry, 4),
        (_drop_work, 6),
        (_hide_title_edit, 3),
        (_other_name, 1),
        (_other_key, 1),
        (_forge_signature, 3),
    ],
)
def test_tampered_bundle_fails(
    tmp_path: Path,
    registry: Registry,
    artist: Identity,
    monkeypatch: pytest.MonkeyPatch,
    tamper: Callable[[dict[str, Any]], None],
    first_bad: int,
) -> None:
    bundle = registry.export_bundle(tmp_path / "p.json", ["W-000002"], identity=artist)
    document = json.loads(bundle.read_text())
    tamper(document)
    bundle.write_text(json.dumps(document))
    _fresh_home(tmp_path, monkeypatch)
    report = verify_bundle(bundle)
    assert not report.ok
    assert report.first_bad is not None and report.first_bad.seq == first_bad, report.problems
    assert "NOT valid" in report.summary()


@pytest.mark.parametrize(
    "text", ["", "{}", "[1, 2]", '{"format": "artistshield-proof-bundle", "version": 1}']
)
def test_not_a_bundle_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ArtistShieldError, match="not a readable"):
        verify_bundle(path)


def test_newer_bundle_says_to_update(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"format": "artistshield-proof-bundle", "version": 7}')
    with pytest.raises(ArtistShieldError, match="version 7"):
        verify_bundle(path)
