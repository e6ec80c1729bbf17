"""The registry: adding works, reading them back, titles, payloads, matching."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield.errors import ArtistShieldError
from artistshield.identity import Identity
from artistshield.registry import AlreadyRegisteredError, Registry, Work, WorkNotFoundError
from artistshield.registry.db import SCHEMA_VERSION


@dataclass(frozen=True)
class _Found:
    work_id: str
    similarity: float
    is_match: bool
    region: Any = None


@pytest.fixture
def artist(monkeypatch: pytest.MonkeyPatch) -> Identity:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    return identities.create("Ada Artist", "pw")


@pytest.fixture
def registry() -> Registry:
    return Registry.open()


def _image(
    tmp_path: Path, name: str, seed: int, size: tuple[int, int] = (96, 128)
) -> tuple[np.ndarray, Path]:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    path = tmp_path / name
    Image.fromarray(pixels).save(path)
    return pixels, path


def test_add_work_records_what_the_issue_asks(
    tmp_path: Path, registry: Registry, artist: Identity
) -> None:
    pixels, path = _image(tmp_path, "dawn.png", 1)
    work = registry.add_work(pixels, file_path=path, identity=artist)
    assert work.work_id == "W-000001"
    assert work.title == "dawn"
    assert (work.width, work.height, work.channels, work.frame_count) == (128, 96, 3, 1)
    assert work.file_name == "dawn.png"
    assert work.file_size == path.stat().st_size
    assert len(work.file_sha256) == len(work.pixels_sha256) == 64
    assert work.payload is None and not work.marked
    assert work.registered.endswith("Z")
    assert registry.work("W-000001") == work
    assert registry.works() == [work]
    thumbnail = Image.open(__import__("io").BytesIO(registry.thumbnail(work.work_id)))
    assert max(thumbnail.size) <= 256
    assert [w for w, _ in registry.fingerprints()] == ["W-000001"]
    assert Work.from_json(work.to_json()) == work
    assert registry.verify(artist.public_key).ok


def test_large_work_gets_a_small_thumbnail(
    data_dir: Path, registry: Registry, artist: Identity
) -> None:
    path = data_dir / "cel-portrait-alpha.png"
    pixels = np.asarray(Image.open(path).convert("RGBA"))
    work = registry.add_work(pixels, file_path=path, identity=artist, title="Assassin")
    thumbnail = Image.open(__import__("io").BytesIO(registry.thumbnail(work.work_id)))
    assert max(thumbnail.size) == 256 and thumbnail.mode == "RGBA"
    assert work.channels == 4


def test_marked_work_is_found_by_payload(
    tmp_path: Path, registry: Registry, artist: Identity
) -> None:
    payload = registry.new_payload(rng=np.random.default_rng(5))
    assert 0 <= payload < 2**48
    pixels, path = _image(tmp_path, "a.png", 2)
    work = registry.add_work(pixels, file_path=path, identity=artist, payload=payload, title="A")
    assert work.marked and work.payload == payload
    assert registry.find_by_payload(payload) == work
    assert registry.find_by_payload(payload + 1) is None
    assert registry.new_payload(rng=np.random.default_rng(5)) != payload  # stays unique
    other, other_path = _image(tmp_path, "b.png", 3)
    with pytest.raises(ArtistShieldError, match="already used"):
        registry.add_work(other, file_path=other_path, identity=artist, payload=payload)
    with pytest.raises(ValueError):
        registry.add_work(other, file_path=other_path, identity=artist, payload=2**48)


def test_same_pixels_twice_is_refused_with_the_existing_work(
    tmp_path: Path, registry: Registry, artist: Identity
) -> None:
    pixels, path = _image(tmp_path, "a.png", 2)
    first = registry.add_work(pixels, file_path=path, identity=artist)
    with pytest.raises(AlreadyRegisteredError) as caught:
        registry.add_work(pixels, file_path=path, identity=artist)
    assert caught.value.work == first
    assert len(registry.works()) == 1


def test_title_edit_is_a_new_entry(tmp_path: Path, registry: Registry, artist: Identity) -> None:
    pixels, path = _image(tmp_path, "a.png", 2)
    work = registry.add_work(pixels, file_path=path, identity=artist, title="Draft")
    renamed = registry.set_title(work.work_id, "Final", artist)
    assert renamed.title == "Final" and registry.work(work.work_id).title == "Final"
    assert registry.works()[0].title == "Final"
    kinds = [e.kind for e in registry.log()]
    assert kinds == ["genesis", "register", "edit-title"]
    assert registry.verify().ok
    with pytest.raises(WorkNotFoundError):
        registry.set_title("W-999999", "x", artist)


def test_bad_pixels_are_refused_with_a_sentence(
    tmp_path: Path, registry: Registry, artist: Identity
) -> None:
    _, path = _image(tmp_path, "a.png", 2)
    with pytest.raises(ValueError, match="uint8"):
        registry.add_work(np.zeros((4, 4, 3), float), file_path=path, identity=artist)
    with pytest.raises(ValueError, match="HxWx3"):
        registry.add_work(np.zeros((4, 4), np.uint8), file_path=path, identity=artist)


def test_another_artist_cannot_write(tmp_path: Path, registry: Registry, artist: Identity) -> None:
    pixels, path = _image(tmp_path, "a.png", 2)
    registry.add_work(pixels, file_path=path, identity=artist)
    stranger = identities.Identity(
        "Eve", "2025-01-01T00:00:00Z", bytes(32), identities.Ed25519PrivateKey.generate()
    )
    other, other_path = _image(tmp_path, "b.png", 3)
    with pytest.raises(ArtistShieldError, match="belongs to"):
        registry.add_work(other, file_path=other_path, identity=stranger)
    assert registry.verify(artist.public_key).ok


def test_registry_lives_in_the_data_folder(registry: Registry) -> None:
    assert registry.path.name == "registry.sqlite3"
    assert registry.db.user_version == SCHEMA_VERSION
    assert registry.verify().ok and registry.verify().entries_checked == 0


def test_reopening_keeps_everything(tmp_path: Path, registry: Registry, artist: Identity) -> None:
    pixels, path = _image(tmp_path, "a.png", 2)
    work = registry.add_work(pixels, file_path=path, identity=artist)
    registry.close()
    with Registry.open() as again:
        assert again.works() == [work]
        assert again.public_key == artist.public_key


def test_match_finds_the_work_from_a_copy(
    tmp_path: Path, registry: Registry, artist: Identity
) -> None:
    works = []
    for seed in range(4):
        pixels, path = _image(tmp_path, f"{seed}.png", seed, size=(64, 64))
        works.append((registry.add_work(pixels, file_path=path, identity=artist), pixels))
    target, pixels = works[2]
    copy = np.asarray(Image.fromarray(pixels).resize((48, 48)).resize((64, 64)))
    matches = registry.match(copy, limit=2)
    assert matches[0].work_id == target.work_id and matches[0].work == target
    assert matches[0].is_match
    late, late_path = _image(tmp_path, "late.png", 9, size=(64, 64))
    added = registry.add_work(late, file_path=late_path, identity=artist)
    assert registry.match(late)[0].work_id == added.work_id  # the lazy index keeps up
    assert matches[0].to_json()["work"]["work_id"] == target.work_id


def test_unreadable_fingerprints_are_skipped_not_fatal(
    tmp_path: Path, registry: Registry, artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Picky:
        """An engine index that cannot read W-000001's (older, or damaged) fingerprint."""

        def __init__(self) -> None:
            self.ids: list[str] = []

        def add(self, work_id: str, data: bytes) -> None:
            if work_id == "W-000001":
                raise ValueError("This is not an ArtistShield fingerprint.")
            self.ids.append(work_id)

        def search(
            self, query: np.ndarray, *, limit: int, group: Callable[[str], str] | None = None
        ) -> list[_Found]:
            assert group is not None and [group(w) for w in self.ids] == self.ids
            return [_Found(w, 1.0, True) for w in self.ids[:limit]]

    for seed in range(2):
        pixels, path = _image(tmp_path, f"{seed}.png", seed, size=(64, 64))
        registry.add_work(pixels, file_path=path, identity=artist)
    engine = importlib.import_module("artistshield.fingerprint")
    monkeypatch.setattr(engine, "FingerprintIndex", Picky, raising=False)
    assert [m.work_id for m in registry.match(pixels)] == ["W-000002"]
