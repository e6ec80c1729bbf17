"""A member's Content Credentials are issued under the union's root and trusted against it."""

from __future__ import annotations

import json
from pathlib import Path

import c2pa
import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield import imageio
from artistshield.imageio.artwork import Artwork
from artistshield.mark import mark_files
from artistshield.paths import data_dir
from artistshield.provenance import signing
from artistshield.provenance.consent import Consent
from artistshield.union import UnionAuthority, membership

DATA = Path(__file__).resolve().parents[1] / "data"
NAME = "Ada Artist"


@pytest.fixture(autouse=True)
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


def _validation(path: Path, trust_anchor: bytes | None) -> tuple[str, list[str], str]:
    settings: dict = {
        "verify": {"ocsp_fetch": False, "remote_manifest_fetch": False},
        "core": {"allowed_network_hosts": []},
    }
    if trust_anchor is not None:
        settings["trust"] = {"trust_anchors": trust_anchor.decode("ascii")}
    with c2pa.Context.from_dict(settings) as context, c2pa.Reader(str(path), context=context) as reader:
        store = json.loads(reader.json())
    codes = [s["code"] for s in store.get("validation_status") or []]
    issuer = store["manifests"][store["active_manifest"]]["signature_info"].get("issuer", "")
    return store["validation_state"], codes, issuer


def _mark(tmp_path: Path, artist: identities.Identity) -> Path:
    pixels = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:256, :320].copy()
    source = imageio.save(Artwork(pixels, "PNG", "RGB"), tmp_path / "work.png")
    (outcome,) = mark_files(
        [source], out_dir=tmp_path / "out", key=artist.watermark_key,
        consent=Consent(creator=NAME), signer=signing.ContentSigner(artist),
    )  # fmt: skip
    assert outcome.ok and outcome.output is not None, outcome.error
    return outcome.output


def test_a_members_credentials_validate_as_trusted_against_the_union_root(
    tmp_path: Path,
) -> None:
    union = UnionAuthority.create("Animators' Guild", "guild pw", home=tmp_path / "guild")
    artist = identities.create(NAME, None)
    document = union.issue(
        membership.request_membership(artist), member_no=12, until="2099-01-01"
    )
    (tmp_path / "member.asmember").write_text(json.dumps(document))
    membership.join(tmp_path / "member.asmember", artist)

    signed = _mark(tmp_path, artist)
    state, codes, issuer = _validation(signed, union.root_pem)
    assert state == "Trusted", codes
    assert codes == []
    assert issuer == "Animators' Guild"
    # without the union's root as a trust anchor, the same signature is valid but untrusted
    state, codes, _ = _validation(signed, None)
    assert state == "Valid" and codes == ["signingCredential.untrusted"]
    # and another union's root does not vouch for it
    other = UnionAuthority.create("Other Guild", None, home=tmp_path / "other")
    state, codes, _ = _validation(signed, other.root_pem)
    assert state == "Valid" and codes == ["signingCredential.untrusted"]


def test_a_chain_for_another_key_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    union = UnionAuthority.create("Animators' Guild", None, home=tmp_path / "guild")
    artist = identities.create(NAME, None)
    home = data_dir()
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "someone"))
    someone = identities.create("Someone Else", None)
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(home))
    document = union.issue(
        membership.request_membership(someone), member_no=3, until="2099-01-01"
    )
    chain = document["certificate_pem"].strip() + "\n" + union.root_pem.decode().strip() + "\n"
    (data_dir() / signing.MEMBER_CHAIN_FILE).write_text(chain)
    assert signing.member_chain_for(artist) is None
    assert signing.member_chain_for(someone) is not None
    state, codes, _ = _validation(_mark(tmp_path, artist), union.root_pem)
    assert state == "Valid" and codes == ["signingCredential.untrusted"]
