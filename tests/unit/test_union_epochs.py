"""A union's check with several key epochs: each epoch's marks attributed, the search shared."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield import watermark
from artistshield.check import check_file
from artistshield.registry import Registry
from artistshield.union import UnionAuthority, membership, shared

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(autouse=True)
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


def _join(union: UnionAuthority, artist: identities.Identity, number: int, folder: Path):
    """Issue (or issue again, after a rotation) *artist*'s membership and join with it."""
    document = union.issue(membership.request_membership(artist), member_no=number, until="2099-01-01")
    path = folder / f"member-{number}-epoch-{union.epoch}.asmember"
    path.write_text(json.dumps(document))
    return membership.join(path, artist)


def _mark(joined: membership.Membership, artist: identities.Identity, name: str, out: Path) -> int:
    """Mark test art with the member's current union key and register it; return the payload."""
    pixels = np.asarray(Image.open(DATA / name).convert("RGB"))
    with Registry.open() as registry:
        taken = {w.payload for w in registry.works() if w.payload is not None}
        payload = membership.payload_for(joined.member_no, taken=taken)
        marked = watermark.embed(pixels, joined.key, payload)
        Image.fromarray(marked).save(out)
        registry.add_work(marked, file_path=out, payload=payload, identity=artist)
    return payload


def test_a_union_check_with_two_epochs_attributes_marks_made_under_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    union = UnionAuthority.create("Animators' Guild", None, home=tmp_path / "guild")
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "ada"))
    (tmp_path / "ada").mkdir()
    ada = identities.create("Ada Artist", None)
    old = _mark(_join(union, ada, 7, tmp_path), ada, "painted-hills.png", tmp_path / "old.png")
    assert union.rotate() == 2
    # issued again after the rotation, Ada holds both epochs and marks under the new one
    joined = _join(union, ada, 7, tmp_path)
    assert joined.epoch == 2 and joined.key == union.epochs[1] != union.epochs[0]
    new = _mark(joined, ada, "cartoon-snowmountains.png", tmp_path / "new.png")
    with Registry.open() as registry:
        contribution = shared.contribute(registry, ada, joined, tmp_path / "ada.json")
    shared.merge(union, [contribution], tmp_path / "shared")
    registry = shared.UnionRegistry(tmp_path / "shared", root_pem=union.root_pem.decode())

    keys = {f"epoch {n + 1}": key for n, key in enumerate(union.epochs)}
    for copy, payload, epoch in ((tmp_path / "old.png", old, "epoch 1"),
                                 (tmp_path / "new.png", new, "epoch 2")):
        suspect = tmp_path / f"suspect-{epoch[-1]}.jpg"
        Image.open(copy).convert("RGB").save(suspect, quality=80)
        result = check_file(suspect, keys=keys, registry=registry, provenance=False)
        assert [m.key_label for m in result.marks] == ["epoch 1", "epoch 2"]
        found = [m for m in result.marks if m.detection.found]
        assert [m.key_label for m in found] == [epoch], result.verdict
        assert found[0].detection.payload == payload
        assert found[0].work_id is not None
        member = registry.member_of(found[0].work_id)
        assert (member.name, member.member_no) == ("Ada Artist", 7)


@pytest.mark.parametrize("picture", ["unmarked", "marked"])
def test_detecting_several_keys_at_once_finds_what_each_key_finds_alone(picture: str) -> None:
    """The keys share what no key chooses, never the search: each key's result is its own."""
    pixels = np.asarray(Image.open(DATA / "painted-bridge.png").convert("RGB"))
    keys = [bytes([n]) * 32 for n in (3, 5, 9)]
    if picture == "marked":
        # the second key's mark, rescaled and JPEG: read from tiles the first key's whole search made
        marked = Image.fromarray(watermark.embed(pixels, keys[1], 0xA11CE))
        buffer = io.BytesIO()
        marked.resize((1040, 776), Image.LANCZOS).save(buffer, "JPEG", quality=75)
        pixels = np.asarray(Image.open(buffer).convert("RGB"))
    together = watermark.detect_each(pixels, keys)
    assert together == [watermark.detect(pixels, key) for key in keys]
    assert [d.found for d in together] == [False, picture == "marked", False]
    if picture == "marked":
        assert together[1].payload == 0xA11CE
