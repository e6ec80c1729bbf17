"""The files a merge derives (catalog, search index) are signed by the union and checked."""

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_union import Member, ada, cheap, union  # noqa: F401  (fixtures)

from artistshield.union import UnionAuthority, UnionError, catalog, shared
from artistshield.union.authority import canonical_bytes

faiss = pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")


def _merged(union: UnionAuthority, ada: Member, tmp_path: Path, *, index: bool) -> Path:  # noqa: F811
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARTISTSHIELD_UNION_INDEX", "scale" if index else "exact")
        shared.merge(union, [ada.contribute(tmp_path / "ada.json")], tmp_path / "shared")
    return tmp_path / "shared"


def _suspect(tmp_path: Path) -> np.ndarray:
    pixels = np.asarray(Image.open(tmp_path / "out" / "hills.png").convert("RGB"))
    return pixels[20:-20, 30:]


def _flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _resign(union: UnionAuthority, folder: Path, change) -> None:  # noqa: F811
    """What only the union's key can do: sign an index document changed by *change*."""
    document = json.loads((folder / shared.INDEX_NAME).read_text())
    body = {k: v for k, v in document.items() if k != "signature"}
    change(body)
    signed = {**body, "signature": union.sign(canonical_bytes(body)).hex()}
    (folder / shared.INDEX_NAME).write_text(json.dumps(signed))


def test_the_merge_signs_its_catalog_and_index(
    union: UnionAuthority, ada: Member, tmp_path: Path  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=True)
    body = json.loads((folder / shared.INDEX_NAME).read_text())
    assert body["catalog"]["sha256"] == catalog.sha256_file(folder / catalog.CATALOG_NAME)
    listed = body["index"]["files"]
    kept = folder / shared.SCALE_INDEX_NAME
    assert {"pdq.faiss", "features.faiss", "frames.json"} <= set(listed)
    assert shared.PRINTS_NAME not in listed  # checked a block at a time instead
    assert all(catalog.sha256_file(kept / name) == digest for name, digest in listed.items())
    with shared.UnionRegistry(folder) as registry:
        assert [m.work_id for m in registry.match(_suspect(tmp_path)) if m.is_match] == [
            "M7:W-000001"
        ]
        assert [w.work_id for w in registry.works()] == ["M7:W-000001"]
        registry.verify()


@pytest.mark.parametrize("name", ["features.faiss", "pdq.faiss", "frames.json", "tones.npy"])
def test_an_edited_index_file_is_refused(
    union: UnionAuthority, ada: Member, tmp_path: Path, name: str  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=True)
    path = folder / shared.SCALE_INDEX_NAME / name
    _flip_byte(path, path.stat().st_size // 2)
    with pytest.raises(UnionError, match=f"tampered with: {shared.SCALE_INDEX_NAME}/{name}"):
        shared.UnionRegistry(folder)


def test_an_index_given_to_a_registry_merged_without_one_is_not_used(
    union: UnionAuthority, ada: Member, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=False)
    (folder / shared.SCALE_INDEX_NAME).mkdir()  # not signed: never opened
    monkeypatch.setattr(shared.scale.ScaleIndex, "open", None)
    with shared.UnionRegistry(folder) as registry:
        assert [m.work_id for m in registry.match(_suspect(tmp_path)) if m.is_match] == [
            "M7:W-000001"
        ]


def test_an_edited_fingerprint_store_is_refused_when_read(
    union: UnionAuthority, ada: Member, tmp_path: Path  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=True)
    prints = folder / shared.SCALE_INDEX_NAME / shared.PRINTS_NAME
    _flip_byte(prints, prints.stat().st_size // 2)
    with shared.UnionRegistry(folder) as registry:  # too big to hash whole on opening
        with pytest.raises(UnionError, match="fingerprints changed"):
            registry.match(_suspect(tmp_path))
        with pytest.raises(UnionError, match="fingerprints changed"):
            registry.verify()
    prints.write_bytes(prints.read_bytes() + b"\0")
    with pytest.raises(UnionError, match="changed size"):
        shared.UnionRegistry(folder)


def test_a_tampered_or_swapped_catalog_is_refused(
    union: UnionAuthority, ada: Member, tmp_path: Path  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=False)
    path = folder / catalog.CATALOG_NAME
    original = path.read_bytes()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE works SET record = replace(record, '\"hills\"', '\"stolen\"')")
    db.close()
    assert path.read_bytes() != original
    with pytest.raises(UnionError, match=f"tampered with: {catalog.CATALOG_NAME}"):
        shared.UnionRegistry(folder)
    path.unlink()
    with pytest.raises(UnionError, match="tampered"):
        shared.UnionRegistry(folder)


def test_a_catalog_the_union_altered_and_signed_is_refused_by_the_members_signatures(
    union: UnionAuthority, ada: Member, tmp_path: Path  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=False)
    path = folder / catalog.CATALOG_NAME
    with sqlite3.connect(path) as db:
        db.execute("UPDATE works SET record = replace(record, '\"hills\"', '\"stolen\"')")
    db.close()

    def sign_new_catalog(body: dict) -> None:
        body["catalog"]["sha256"] = catalog.sha256_file(path)

    _resign(union, folder, sign_new_catalog)
    with pytest.raises(UnionError, match="differs from Ada Artist's signed records"):
        shared.UnionRegistry(folder)
    # checked when the work is cited, when the contributions are not checked on opening:
    # against the member's signed entries, which the union cannot forge
    with (
        shared.UnionRegistry(folder, check_members=False) as registry,
        pytest.raises(UnionError, match="differs from Ada Artist's signed records"),
    ):
        registry.work("M7:W-000001")


def test_a_large_registrys_contributions_are_checked_by_verify(
    union: UnionAuthority, ada: Member, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=True)
    bundle = next((folder / shared.MEMBERS_FOLDER).iterdir())
    bundle.write_bytes(bundle.read_bytes().replace(b'"title": "hills"', b'"title": "stolen"'))
    with pytest.raises(UnionError, match="records changed"):
        shared.UnionRegistry(folder)  # small: every contribution checked on opening
    monkeypatch.setattr(shared, "EAGER_BYTES", 0)
    with shared.UnionRegistry(folder) as registry:  # large: opens without reading them
        # a cited work is checked against the member's signed entries the catalog keeps
        found = [m for m in registry.match(_suspect(tmp_path)) if m.is_match]
        assert [(m.work_id, m.work.title) for m in found] == [("M7:W-000001", "hills")]
        with pytest.raises(UnionError, match="records changed"):
            registry.verify()


def test_a_large_registry_is_searched_exactly_without_the_scale_extra(
    union: UnionAuthority, ada: Member, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=True)
    monkeypatch.setattr(shared.scale, "available", lambda: False)
    with shared.UnionRegistry(folder) as registry:
        assert [m.work_id for m in registry.match(_suspect(tmp_path)) if m.is_match] == [
            "M7:W-000001"
        ]


def test_a_registry_of_the_older_format_is_refused_with_how_to_merge_it_again(
    union: UnionAuthority, ada: Member, tmp_path: Path  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=False)

    def older(body: dict) -> None:
        for key in ("catalog", "index", "works", "fingerprints"):
            del body[key]

    _resign(union, folder, older)
    with pytest.raises(UnionError, match=r"older ArtistShield.*union merge .*members"):
        shared.UnionRegistry(folder)


def test_union_verify_checks_a_shared_registry_in_full(
    union: UnionAuthority, ada: Member, tmp_path: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    from artistshield.cli import main

    folder = _merged(union, ada, tmp_path, index=True)
    assert main(["union", "verify", str(folder)]) == 0
    assert "verifies: 1 member(s)" in capsys.readouterr().out
    prints = folder / shared.SCALE_INDEX_NAME / shared.PRINTS_NAME
    _flip_byte(prints, prints.stat().st_size // 2)
    assert main(["union", "verify", str(folder)]) != 0
    assert "fingerprints changed" in capsys.readouterr().err


def test_entries_the_union_forged_in_its_catalog_are_refused_when_cited(
    union: UnionAuthority, ada: Member, tmp_path: Path  # noqa: F811
) -> None:
    folder = _merged(union, ada, tmp_path, index=False)
    path = folder / catalog.CATALOG_NAME
    with sqlite3.connect(path) as db:
        for column in ("record", "entries"):
            db.execute(f"UPDATE works SET {column} = replace({column}, 'hills', 'stolen')")
    db.close()

    def sign_new_catalog(body: dict) -> None:
        body["catalog"]["sha256"] = catalog.sha256_file(path)

    _resign(union, folder, sign_new_catalog)
    with shared.UnionRegistry(folder, check_members=False) as registry:
        payload = registry.works()[0].payload
        with pytest.raises(UnionError, match="differs from Ada Artist's signed records"):
            registry.find_by_payload(payload)
