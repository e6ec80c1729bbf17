"""A large union registry keeps its search index beside it and reuses it while it holds."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield.union import UnionAuthority, UnionError, shared

pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")

from test_union import Member


@pytest.fixture(autouse=True)
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    # the registries here are small: ask for the index millions of works get
    monkeypatch.setenv("ARTISTSHIELD_UNION_INDEX", "scale")


def _suspect(copy: Path, tmp_path: Path) -> np.ndarray:
    pixels = np.asarray(Image.open(copy).convert("RGB"))
    height, width = pixels.shape[:2]
    return pixels[height // 10 : height - height // 10, width // 8 :]


def _found(registry: shared.UnionRegistry, pixels: np.ndarray) -> list[str]:
    return [m.work_id for m in registry.match(pixels) if m.is_match]


def test_the_index_is_written_at_merge_and_reused_while_the_registry_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    union = UnionAuthority.create("Animators' Guild", "guild pw", home=tmp_path / "guild")
    ada = Member(tmp_path / "ada", "Ada Artist", monkeypatch)
    ada.join(union, 7, tmp_path)
    hills = ada.mark("painted-hills.png", tmp_path / "out" / "hills.png")
    shared.merge(union, [ada.contribute(tmp_path / "ada.json")], tmp_path / "shared")
    kept = tmp_path / "shared" / shared.SCALE_INDEX_NAME
    features = (kept / "features.faiss").stat()

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("opening should reuse the index the merge wrote")

    with monkeypatch.context() as patch:
        patch.setattr(shared.scale.ScaleIndex, "finish", no_build)
        for _ in range(2):
            with shared.UnionRegistry(tmp_path / "shared") as registry:
                assert _found(registry, _suspect(hills, tmp_path)) == ["M7:W-000001"]
    assert (kept / "features.faiss").stat().st_ino == features.st_ino

    # another merge's index, swapped in, is refused rather than trusted or rebuilt
    snow = ada.mark("cartoon-snowmountains.png", tmp_path / "out" / "snow.png")
    shared.merge(union, [ada.contribute(tmp_path / "ada-2.json")], tmp_path / "shared-2")
    with shared.UnionRegistry(tmp_path / "shared-2") as registry:
        assert _found(registry, _suspect(snow, tmp_path)) == ["M7:W-000002"]
        assert _found(registry, _suspect(hills, tmp_path)) == ["M7:W-000001"]
    assert sorted(p.name for p in (tmp_path / "shared-2").iterdir() if p.name.startswith(".")) == []
    swapped = tmp_path / "shared-2" / shared.SCALE_INDEX_NAME
    for path in kept.iterdir():
        (swapped / path.name).write_bytes(path.read_bytes())
    with pytest.raises(UnionError, match="tampered"):
        shared.UnionRegistry(tmp_path / "shared-2")


def test_a_small_union_registry_is_searched_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTISTSHIELD_UNION_INDEX")
    union = UnionAuthority.create("Animators' Guild", "guild pw", home=tmp_path / "guild")
    ada = Member(tmp_path / "ada", "Ada Artist", monkeypatch)
    ada.join(union, 7, tmp_path)
    hills = ada.mark("painted-hills.png", tmp_path / "out" / "hills.png")
    shared.merge(union, [ada.contribute(tmp_path / "ada.json")], tmp_path / "shared")
    with shared.UnionRegistry(tmp_path / "shared") as registry:
        assert _found(registry, _suspect(hills, tmp_path)) == ["M7:W-000001"]
    assert not (tmp_path / "shared" / shared.SCALE_INDEX_NAME).exists()
