"""Unions: an authority, member certificates, union-readable marks, the shared registry."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from PIL import Image

from artistshield import identity as identities
from artistshield import watermark
from artistshield.check import check_file
from artistshield.cli import main
from artistshield.identity import Identity
from artistshield.registry import Registry
from artistshield.union import UnionAuthority, UnionError, membership, shared

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(autouse=True)
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


@pytest.fixture
def union(tmp_path: Path) -> UnionAuthority:
    return UnionAuthority.create("Animators' Guild", "guild pw", home=tmp_path / "guild")


class Member:
    """An artist in a data folder of their own."""

    def __init__(self, home: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.home, self.monkeypatch = home, monkeypatch
        self.enter()
        self.identity: Identity = identities.create(name, "pw")
        self.membership: membership.Membership | None = None

    def enter(self) -> None:
        self.home.mkdir(exist_ok=True)
        self.monkeypatch.setenv("ARTISTSHIELD_HOME", str(self.home))

    def join(self, union: UnionAuthority, number: int, tmp_path: Path) -> None:
        self.enter()
        document = union.issue(
            membership.request_membership(self.identity), member_no=number, until="2099-01-01"
        )
        path = tmp_path / f"member-{number}.asmember"
        path.write_text(json.dumps(document))
        self.enter()
        self.membership = membership.join(path, self.identity)

    def mark(self, name: str, out: Path) -> Path:
        """Mark corpus art with the union's key and register it, as ``mark`` does."""
        self.enter()
        assert self.membership is not None
        pixels = np.asarray(Image.open(DATA / name).convert("RGB"))
        with Registry.open() as registry:
            taken = {w.payload for w in registry.works() if w.payload is not None}
            payload = membership.payload_for(self.membership.member_no, taken=taken)
            marked = watermark.embed(pixels, self.membership.key, payload)
            out.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(marked).save(out)
            registry.add_work(marked, file_path=out, payload=payload, identity=self.identity)
        return out

    def contribute(self, out: Path) -> Path:
        self.enter()
        assert self.membership is not None
        with Registry.open() as registry:
            return shared.contribute(registry, self.identity, self.membership, out)


@pytest.fixture
def ada(union: UnionAuthority, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Member:
    """One member, number 7, with one marked and registered work."""
    member = Member(tmp_path / "ada", "Ada Artist", monkeypatch)
    member.join(union, 7, tmp_path)
    member.mark("painted-hills.png", tmp_path / "out" / "hills.png")
    return member


@pytest.fixture
def members(tmp_path: Path, union: UnionAuthority, monkeypatch: pytest.MonkeyPatch):
    ada = Member(tmp_path / "ada", "Ada Artist", monkeypatch)
    ada.join(union, 7, tmp_path)
    bo = Member(tmp_path / "bo", "Bo Animator", monkeypatch)
    bo.join(union, 12, tmp_path)
    return ada, bo


def test_a_union_certifies_members_under_its_root(union: UnionAuthority, members) -> None:
    ada, _ = members
    assert ada.membership is not None
    status = membership.check_certificate(
        ada.membership.certificate_pem, union.root_pem, public_key=ada.identity.public_key
    )
    assert status.ok and status.member_no == 7 and status.name == "Ada Artist"
    certificate = x509.load_pem_x509_certificate(ada.membership.certificate_pem.encode())
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert membership.DOCUMENT_SIGNING in list(usage)
    # another union's root does not vouch for it
    other = UnionAuthority.create("Other", None, home=union.home.parent / "other")
    assert not membership.check_certificate(
        ada.membership.certificate_pem, other.root_pem
    ).ok
    # nor does the certificate stand for another artist's key
    assert not membership.check_certificate(
        ada.membership.certificate_pem, union.root_pem, public_key=bytes(32)
    ).ok


def test_revocation_verifies_offline_with_the_root_alone(union: UnionAuthority, members) -> None:
    _, bo = members
    assert membership.check_certificate(
        bo.membership.certificate_pem, union.root_pem, revocations=union.revocation_list()
    ).ok
    union.revoke(12)
    status = membership.check_certificate(
        bo.membership.certificate_pem, union.root_pem, revocations=union.revocation_list()
    )
    assert not status.ok and status.reason.startswith("revoked on")
    # a revocation list altered by anyone but the union is refused
    crl = bytearray(union.revocation_list())
    crl[len(crl) // 2] ^= 1
    with pytest.raises(UnionError):
        membership.check_certificate(
            bo.membership.certificate_pem, union.root_pem, revocations=bytes(crl)
        )


def test_the_union_reopens_with_its_passphrase_only(union: UnionAuthority) -> None:
    again = UnionAuthority.load("guild pw", home=union.home)
    assert again.root_pem == union.root_pem and again.epochs == union.epochs
    with pytest.raises(identities.PassphraseError):
        UnionAuthority.load("wrong", home=union.home)
    assert "guild pw" not in (union.home / "union.json").read_text()
    assert (union.home / "union.json").stat().st_mode & 0o077 == 0


def test_an_altered_request_or_membership_is_refused(
    union: UnionAuthority, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eve = Member(tmp_path / "eve", "Eve", monkeypatch)
    request = membership.request_membership(eve.identity)
    forged = {**request, "name": "Ada Artist"}
    with pytest.raises(UnionError, match="does not verify"):
        union.issue(forged, member_no=3, until="2099-01-01")
    document = union.issue(request, member_no=3, until="2099-01-01")
    document["sealed_epochs"]["ciphertext"] = document["sealed_epochs"]["ciphertext"][::-1]
    path = tmp_path / "eve.asmember"
    path.write_text(json.dumps(document))
    with pytest.raises(UnionError, match="altered"):
        membership.join(path, eve.identity)


def test_union_checker_attributes_each_members_mark(
    union: UnionAuthority, members, tmp_path: Path
) -> None:
    ada, bo = members
    ada_copy = ada.mark("painted-hills.png", tmp_path / "ada-out" / "hills.png")
    bo_copy = bo.mark("cartoon-snowmountains.png", tmp_path / "bo-out" / "snow.png")
    files = [ada.contribute(tmp_path / "ada.json"), bo.contribute(tmp_path / "bo.json")]
    report = shared.merge(union, files, tmp_path / "shared")
    assert report.works == 2 and not report.flagged
    registry = shared.UnionRegistry(tmp_path / "shared", root_pem=union.root_pem.decode())
    keys = {f"epoch {n + 1}": key for n, key in enumerate(union.epochs)}
    for copy, name, number in ((ada_copy, "Ada Artist", 7), (bo_copy, "Bo Animator", 12)):
        suspect = tmp_path / f"suspect-{number}.jpg"
        Image.open(copy).convert("RGB").save(suspect, quality=80)
        result = check_file(suspect, keys=keys, registry=registry, provenance=False)
        assert result.mark is not None and result.mark.detection.found, result.verdict
        found = next(m for m in result.marks if m.detection.found)
        assert found.work_id is not None
        member = registry.member_of(found.work_id)
        assert (member.name, member.member_no) == (name, number)
        assert registry.describe(found.work_id) == f"W-000001 by {name} (member {number})"
    # the member alone still reads their own mark
    ada.enter()
    assert watermark.detect(np.asarray(Image.open(ada_copy)), ada.membership.key).found


def test_a_revoked_members_later_records_are_flagged(
    union: UnionAuthority, members, tmp_path: Path
) -> None:
    _, bo = members
    bo.mark("painted-hills.png", tmp_path / "bo-out" / "before.png")
    bo.enter()
    with Registry.open() as registry:
        first = registry.works()[0].registered
    union.revoke(12, when=first)
    time.sleep(1.1)  # registered times are to the second
    bo.mark("cartoon-snowmountains.png", tmp_path / "bo-out" / "after.png")
    report = shared.merge(union, [bo.contribute(tmp_path / "bo.json")], tmp_path / "shared")
    assert report.flagged == ("M12:W-000002",)
    registry = shared.UnionRegistry(tmp_path / "shared")
    assert registry.flagged == {"M12:W-000002"}
    assert "registered after the member was revoked" in registry.describe("M12:W-000002")
    assert "revoked" not in registry.describe("M12:W-000001")


def test_a_member_record_altered_before_the_merge_is_refused(
    union: UnionAuthority, members, tmp_path: Path
) -> None:
    ada, _ = members
    ada.mark("painted-hills.png", tmp_path / "out" / "hills.png")
    path = ada.contribute(tmp_path / "ada.json")
    document = json.loads(path.read_text())
    document["works"][0]["record"]["title"] = "someone else's"
    path.write_text(json.dumps(document))
    with pytest.raises(UnionError, match="do not verify"):
        shared.merge(union, [path], tmp_path / "shared")
    assert not (tmp_path / "shared").exists()


def test_a_tampered_union_registry_is_refused(
    union: UnionAuthority, members, tmp_path: Path
) -> None:
    ada, bo = members
    ada.mark("painted-hills.png", tmp_path / "out" / "hills.png")
    files = [ada.contribute(tmp_path / "ada.json"), bo.contribute(tmp_path / "bo.json")]
    shared.merge(union, files, tmp_path / "shared")
    folder = tmp_path / "shared"
    shared.UnionRegistry(folder)  # intact: opens

    bundle = next((folder / "members").glob(f"{ada.identity.artist_id}*"))
    original = bundle.read_bytes()
    bundle.write_bytes(original.replace(b'"title": "hills"', b'"title": "stolen"'))
    with pytest.raises(UnionError, match="records changed"):
        shared.UnionRegistry(folder)
    bundle.write_bytes(original)

    index = folder / "union-registry.json"
    document = json.loads(index.read_text())
    document["members"][0]["name"] = "Mallory"
    index.write_text(json.dumps(document))
    with pytest.raises(UnionError, match="tampered"):
        shared.UnionRegistry(folder)


def test_the_command_line_runs_a_union(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    guild = tmp_path / "guild"
    assert main(["union", "create", "--name", "Guild", "--home", str(guild)]) == 0
    assert main(["identity", "create", "--name", "Cy"]) == 0
    assert main(["union", "request", "--out", str(tmp_path / "cy.req")]) == 0
    assert main(["union", "issue", str(tmp_path / "cy.req"), "--member-no", "5",
                 "--until", "2099-12-31", "--home", str(guild),
                 "--out", str(tmp_path / "cy.asmember")]) == 0
    assert main(["union", "join", str(tmp_path / "cy.asmember")]) == 0
    assert main(["union", "profile", "--out", str(tmp_path / "guild.asprofile"),
                 "--home", str(guild)]) == 0
    profile = membership.verify_union_signed(
        json.loads((tmp_path / "guild.asprofile").read_text()),
        expected_format=membership.PROFILE_FORMAT,
    )
    assert profile["union"]["name"] == "Guild" and profile["defaults"]["consent"] is True
    assert main(["union", "join", str(tmp_path / "guild.asprofile")]) == 0
    kept = membership.load_profile()
    assert kept is not None and kept["union"]["name"] == "Guild"
    # never over an existing file
    assert main(["union", "request", "--out", str(tmp_path / "cy.req")]) == 2
    assert main(["union", "revoke", "5", "--home", str(guild)]) == 0
    assert main(["union", "revocations", "--out", str(tmp_path / "guild.crl"),
                 "--home", str(guild)]) == 0
    crl = x509.load_pem_x509_crl((tmp_path / "guild.crl").read_bytes())
    assert len(list(crl)) == 1


def test_a_scan_on_a_local_cluster_equals_a_serial_scan(
    union: UnionAuthority, members, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")
    from artistshield import scan

    ada, bo = members
    marked = ada.mark("painted-hills.png", tmp_path / "out" / "hills.png")
    files = [ada.contribute(tmp_path / "ada.json"), bo.contribute(tmp_path / "bo.json")]
    shared.merge(union, files, tmp_path / "shared")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    suspects = [str(marked), str(DATA / "painted-bridge.png"), str(broken)]
    keys = {"epoch 1": union.epochs[0]}
    serial = scan.scan(suspects, keys=keys, registry=tmp_path / "shared")
    assert [r.found for r in serial] == [True, False, False]
    assert serial[0].member == "W-000001 by Ada Artist (member 7)"
    assert serial[2].error is not None
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
        processes=True,
    ) as cluster:
        spread = scan.scan(
            suspects, keys=keys, registry=tmp_path / "shared", cluster=cluster.scheduler_address
        )
    assert spread == serial


def test_a_member_marks_with_the_union_key_and_the_union_names_them(
    union: UnionAuthority, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "pw")  # the Member's passphrase
    ada = Member(tmp_path / "ada", "Ada Artist", monkeypatch)
    ada.join(union, 7, tmp_path)
    art = tmp_path / "art"
    art.mkdir()
    Image.open(DATA / "painted-hills.png").save(art / "hills.png")
    ada.enter()
    assert main(["mark", str(art), "--out", str(tmp_path / "marked")]) == 0
    marked = tmp_path / "marked" / "hills.png"
    with Registry.open() as registry:
        (work,) = registry.works()
    assert work.payload is not None and membership.member_of_payload(work.payload) == 7
    # the union's key reads it, and the artist's own key does not: it is a union mark
    pixels = np.asarray(Image.open(marked).convert("RGB"))
    assert watermark.detect(pixels, union.epochs[0]).payload == work.payload
    assert not watermark.detect(pixels, ada.identity.watermark_key).found

    capsys.readouterr()
    assert main(["check", str(marked), "--no-provenance"]) == 0  # the member alone finds it
    assert "your mark is in this image (work W-000001" in capsys.readouterr().out

    ada.contribute(tmp_path / "ada.json")
    shared.merge(union, [tmp_path / "ada.json"], tmp_path / "shared")
    assert main(["check", str(marked), "--no-provenance", "--registry",
                 str(tmp_path / "shared")]) == 0
    assert "W-000001 by Ada Artist (member 7)" in capsys.readouterr().out
