"""Trusted time: RFC 3161 stamps of the registry's head, from a local OpenSSL TSA.

Stamps are taken over HTTP from ``openssl ts -reply`` on 127.0.0.1
(local_tsa.py), kept in the signed log, carried in proof bundles and checked
offline against the chain the bundle holds; a dispute between two bundles
over one image goes to trusted time first.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from local_tsa import OPENSSL, LocalTSA, serve
from PIL import Image

from artistshield import identity as identities
from artistshield.cli import main
from artistshield.identity import Identity
from artistshield.registry import Registry, Work, records, verify_bundle
from artistshield.registry import log as history
from artistshield.registry.dispute import SELF_DECLARED, TRUSTED, Claim, dispute, judge
from artistshield.registry.timestamp import (
    TimestampError,
    check_stamps,
    configured,
    load_certificates,
    pending,
    take_stamp,
    verify_response,
)
from artistshield.report.evidence import Evidence

pytestmark = [
    pytest.mark.usefixtures("hashed_fingerprints"),
    pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command"),
]


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[LocalTSA]:
    with serve(LocalTSA(tmp_path / "tsa", "Test TSA")) as running:
        yield running


def _picture(tmp_path: Path, n: int) -> tuple[np.ndarray, Path]:
    pixels = np.full((20, 30, 3), n * 40, np.uint8)
    pixels[n, :, 0] = 255
    path = tmp_path / f"art{n}.png"
    Image.fromarray(pixels).save(path)
    return pixels, path


def _register(registry: Registry, tmp_path: Path, n: int, artist: Identity) -> str:
    pixels, path = _picture(tmp_path, n)
    return registry.add_work(pixels, file_path=path, identity=artist).work_id


def _stamp(registry: Registry, artist: Identity, tsa: LocalTSA):  # type: ignore[no-untyped-def]
    return take_stamp(
        registry, artist, tsa_url=tsa.url, certificates=load_certificates(tsa.root_pem)
    )


def test_a_stamp_of_the_head_is_taken_checked_and_kept_in_the_signed_log(
    tmp_path: Path, artist: Identity, tsa: LocalTSA
) -> None:
    with Registry.open() as registry:
        first = _register(registry, tmp_path, 1, artist)
        _register(registry, tmp_path, 2, artist)
        head = registry.log()[-1]
        assert pending(registry.log()) == 2
        stamp = _stamp(registry, artist, tsa)
        assert stamp is not None and tsa.requests == 1
        assert (stamp.head_seq, stamp.head_hash) == (head.seq, head.hash)
        assert stamp.tsa == "Test TSA" and stamp.root == "Test TSA Root CA"
        assert stamp.claim() == f"registered no later than {stamp.time}, stamped by Test TSA"
        entry = registry.log()[-1]
        assert (entry.kind, entry.seq, entry.work_id) == ("timestamp", head.seq + 1, None)
        assert entry.details["head_hash"] == head.hash and entry.details["time"] == stamp.time
        assert registry.verify(artist.public_key).ok  # signed like every entry
        assert pending(registry.log()) == 0
        assert _stamp(registry, artist, tsa) is None  # nothing new: no request sent
        assert tsa.requests == 1
        _register(registry, tmp_path, 3, artist)
        assert pending(registry.log()) == 1
        assert registry.work(first).register_seq <= stamp.head_seq


def test_stamps_travel_in_bundles_and_verify_offline(
    tmp_path: Path, artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(LocalTSA(tmp_path / "tsa", "Test TSA")) as tsa, Registry.open() as registry:
        old = _register(registry, tmp_path, 1, artist)
        stamp = _stamp(registry, artist, tsa)
        new = _register(registry, tmp_path, 2, artist)
        bundle = registry.export_bundle(tmp_path / "proof.json", identity=artist)
        requests = tsa.requests
    assert stamp is not None
    # The TSA is gone, the data folder is a stranger's: everything needed is in the bundle.
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "stranger"))
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert [s.time for s in report.stamps] == [stamp.time]
    works = {w.work_id: w for w in report.works}
    covered = report.stamp_for(works[old])
    assert covered is not None and covered.tsa == "Test TSA" and covered.time == stamp.time
    assert report.stamp_for(works[new]) is None  # registered after the stamp
    assert report.to_json()["trusted_time"][old]["time"] == stamp.time
    assert tsa.requests == requests
    document = json.loads(bundle.read_text())
    (carried,) = [e for e in document["entries"] if '"kind":"timestamp"' in e["entry"]]
    assert carried["fields"] is not None  # not hidden like other works' details


def test_a_tampered_or_misplaced_token_is_refused(
    tmp_path: Path, artist: Identity, tsa: LocalTSA, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Registry.open() as registry:
        _register(registry, tmp_path, 1, artist)
        _stamp(registry, artist, tsa)
        log = registry.log()
        head, entry = log[-2], log[-1]
        fields = entry.details
        reply = base64.b64decode(fields["response"])
        extra = [base64.b64decode(c) for c in fields["certificates"]]
        assert verify_response(reply, head, extra).time == fields["time"]

        # One bit of the stamped hash flipped inside the token: its signature fails.
        at = reply.find(bytes.fromhex(head.hash))
        assert at > 0
        forged = reply[:at] + bytes([reply[at] ^ 1]) + reply[at + 1 :]
        with pytest.raises(TimestampError, match="signature does not verify"):
            verify_response(forged, head, extra)
        # A genuine token, but of another entry.
        with pytest.raises(TimestampError, match="stamps something else"):
            verify_response(reply, log[0], extra)
        # A genuine token against a root that is not the TSA's.
        impostor = LocalTSA(tmp_path / "impostor", "Test TSA")
        other_root = load_certificates(impostor.root_pem)[0].public_bytes(Encoding.DER)
        with pytest.raises(TimestampError, match="signature does not verify"):
            verify_response(reply, head, [other_root])

        # The artist signs an entry that claims the token for the newest entry: refused.
        _register(registry, tmp_path, 2, artist)
        with registry.db.transaction() as conn:
            moved = {**fields, "head_seq": registry.log()[-1].seq,
                     "head_hash": registry.log()[-1].hash}
            history.append(conn, artist, records.TIMESTAMP, None, moved)
        report = registry.verify(artist.public_key)
        assert not report.ok
        assert report.first_bad is not None and "time-stamp" in report.first_bad.reason
        stamps, problems = check_stamps({e.seq: e for e in registry.log()})
        assert len(stamps) == 1 and len(problems) == 1

    # Inside a bundle, an edited token breaks the bundle.
    with Registry.open(tmp_path / "clean.sqlite3") as registry:
        _register(registry, tmp_path, 3, artist)
        _stamp(registry, artist, tsa)
        bundle = registry.export_bundle(tmp_path / "proof.json", identity=artist)
    document = json.loads(bundle.read_text())
    for item in document["entries"]:
        if '"kind":"timestamp"' in item["entry"]:
            details = json.loads(item["fields"])
            details["response"] = base64.b64encode(forged).decode()
            item["fields"] = records.canonical_json(details)
    bundle.write_text(json.dumps(document))
    report = verify_bundle(bundle)
    assert not report.ok and report.stamps == ()


def test_an_unreachable_tsa_is_one_sentence_and_changes_nothing(
    tmp_path: Path, artist: Identity
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Registry.open() as registry:
        _register(registry, tmp_path, 1, artist)
        before = registry.log()
        with pytest.raises(TimestampError) as caught:
            take_stamp(registry, artist, tsa_url=f"http://127.0.0.1:{port}/tsa", timeout=5)
        assert registry.log() == before
    message = str(caught.value)
    assert message.startswith(f"The time-stamp authority at http://127.0.0.1:{port}/tsa could")
    assert "nothing was stamped" in message and "\n" not in message
    with pytest.raises(TimestampError, match="http:// or https://"):
        take_stamp(registry, artist, tsa_url="file:///etc/passwd")


def test_the_cli_stamps_with_the_configured_tsa_and_prints_the_claims(
    tmp_path: Path, artist: Identity, tsa: LocalTSA, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], _isolated_home: Path,
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "pw")
    assert main(["registry", "add", str(_picture(tmp_path, 1)[1])]) == 0
    capsys.readouterr()
    # The settings file the app writes (Qt's INI): tsa_url and tsa_certs under [General].
    (_isolated_home / "settings.ini").write_text(
        f'[General]\ntsa_url="{tsa.url}"\ntsa_certs={tsa.root_pem}\n'
    )
    assert configured() == (tsa.url, tsa.root_pem)
    assert main(["registry", "timestamp"]) == 0
    out = capsys.readouterr().out
    with Registry.open() as registry:
        stamp = registry.log()[-1].details
    assert out == (
        f"Stamped the registry's entry 2: 1 work(s) registered no later than {stamp['time']}, "
        "stamped by Test TSA.\n"
    )
    assert main(["registry", "timestamp"]) == 0
    assert capsys.readouterr().out.startswith("Nothing to stamp")
    assert main(["registry", "add", str(_picture(tmp_path, 2)[1])]) == 0
    capsys.readouterr()
    assert main(["registry", "show", "W-000001"]) == 0
    claim = f"registered no later than {stamp['time']}, stamped by Test TSA"
    assert f"trusted time:        {claim}\n" in capsys.readouterr().out
    assert main(["registry", "verify"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "1 work(s) registered since the last trusted timestamp: run "
        "'artistshield registry timestamp' when online."
    )
    bundle = tmp_path / "proof.json"
    assert main(["registry", "export", "--out", str(bundle)]) == 0
    capsys.readouterr()
    assert main(["registry", "verify-bundle", str(bundle)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Bundle verified: 2 work(s) signed by Ada")
    assert lines[1].startswith("  W-000001  ")
    assert lines[2] == f"    registered no later than {stamp['time']}, stamped by Test TSA"
    assert lines[3].startswith("  W-000002  ")
    assert lines[4] == "    no trusted timestamp: its date is the artist's own clock"
    assert lines[5].startswith('  The timestamps\' certificate chain ends at the root '
                               '"Test TSA Root CA" (SHA-256 ')


def test_the_cli_says_how_to_configure_a_tsa(
    tmp_path: Path, artist: Identity, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "pw")
    assert main(["registry", "timestamp"]) != 0
    assert "No time-stamp authority is configured: give --tsa URL" in capsys.readouterr().err


# -- disputes -------------------------------------------------------------------


def _party(
    home: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> Identity:
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(home))
    return identities.create(name, "pw")


def _claimant(
    tmp_path: Path, who: Identity, label: str, *, tsa: LocalTSA | None, when: str | None = None,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A bundle in which *who* registered picture 1 (at *when* by their own clock)."""
    if when is not None:
        monkeypatch.setattr(records, "utc_now", lambda: when)
    with Registry.open(tmp_path / f"{label}.sqlite3") as registry:
        _register(registry, tmp_path, 1, who)
        if tsa is not None:
            _stamp(registry, who, tsa)
        return registry.export_bundle(tmp_path / f"{label}.json", identity=who)


def test_a_trusted_stamp_beats_an_earlier_self_declared_date(
    tmp_path: Path, cheap_keys: None, tsa: LocalTSA, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ada = _party(tmp_path / "ada", "Ada", monkeypatch)
    thief = _party(tmp_path / "thief", "Thief", monkeypatch)
    artist_bundle = _claimant(tmp_path, ada, "ada", tsa=tsa, monkeypatch=monkeypatch)
    # The thief copies the published picture and backdates their clock by a year.
    thief_bundle = _claimant(
        tmp_path, thief, "thief", tsa=None, when="2025-01-01T00:00:00Z", monkeypatch=monkeypatch
    )
    pixels, image = _picture(tmp_path, 1)
    for order in ((thief_bundle, artist_bundle), (artist_bundle, thief_bundle)):
        result = dispute(pixels, order)
        assert result.claims[result.first or 0].bundle == "ada.json"
        assert result.first is not None and result.evidence == TRUSTED
        assert "thief.json has no trusted timestamp" in result.verdict
        assert "thief.json's own date is earlier" in result.verdict

    assert main(["registry", "verify-bundle", str(thief_bundle), str(artist_bundle),
                 "--image", str(image)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "thief.json:"
    assert out[2] == '  W-000001 "art1" is this image (similarity 1.00)'
    assert out[3] == "  registered 2025-01-01T00:00:00Z by its own clock (no trusted timestamp)"
    assert out[4] == "ada.json:"
    assert out[7].startswith("  registered no later than ") and out[7].endswith(
        ", stamped by Test TSA"
    )
    assert out[8].startswith("ada.json registered it first on the evidence: it was registered "
                             "no later than ")


def test_between_two_stamps_the_earlier_wins(
    tmp_path: Path, cheap_keys: None, tsa: LocalTSA, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = _party(tmp_path / "ada", "Ada", monkeypatch)
    bundle = _claimant(tmp_path, ada, "ada", tsa=tsa, monkeypatch=monkeypatch)
    report = verify_bundle(bundle)
    (work,) = report.works
    (real,) = report.stamps
    # Two stamps a TSA made a second apart cannot be had without waiting: the second
    # claim's stamp is the real one moved a day on (the judge compares, it does not verify).
    later = replace(real, time="2099-01-01T00:00:00Z", tsa="Other TSA")
    a = Claim("ada.json", report, work, 1.0, real)
    b = Claim("thief.json", report, work, 1.0, later)
    for pair, winner in (((a, b), 0), ((b, a), 1)):
        result = judge(*pair)
        assert result.first == winner and result.evidence == TRUSTED
        assert result.verdict == (
            f"ada.json registered it first, on trusted timestamps: it was {real.claim()}; "
            "thief.json's earliest proof is later (registered no later than "
            "2099-01-01T00:00:00Z, stamped by Other TSA)."
        )
    tie = judge(a, replace(b, stamp=real))
    assert tie.first is None and "do not tell which" in tie.verdict


def test_without_stamps_the_dates_are_only_each_partys_word(
    tmp_path: Path, cheap_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = _party(tmp_path / "ada", "Ada", monkeypatch)
    thief = _party(tmp_path / "thief", "Thief", monkeypatch)
    a = _claimant(tmp_path, ada, "ada", tsa=None, when="2026-03-01T00:00:00Z",
                  monkeypatch=monkeypatch)
    b = _claimant(tmp_path, thief, "thief", tsa=None, when="2026-02-01T00:00:00Z",
                  monkeypatch=monkeypatch)
    result = dispute(_picture(tmp_path, 1)[0], (a, b))
    assert result.evidence == SELF_DECLARED and result.first == 1
    assert "Neither bundle has a trusted timestamp" in result.verdict
    assert "only each party's own word" in result.verdict
    assert "proves nothing to a third party" in result.verdict
    # A bundle without the image has no claim.
    other = dispute(_picture(tmp_path, 5)[0], (a, b))
    assert other.first is None and "Neither bundle holds a valid claim" in other.verdict


# -- docs/bundle-format.md --------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "bundle-format.md"


def test_the_documented_timestamp_fields_are_the_ones_written(
    tmp_path: Path, artist: Identity, tsa: LocalTSA
) -> None:
    with Registry.open() as registry:
        _register(registry, tmp_path, 1, artist)
        _stamp(registry, artist, tsa)
        written = set(registry.log()[-1].details)
    (row,) = [line for line in DOC.read_text().splitlines() if line.startswith("| `timestamp`")]
    documented = set(re.findall(r"`([a-z_]+)`", row.split("|")[2]))
    assert documented == written


def test_openssl_alone_checks_a_bundles_stamp_as_documented(
    tmp_path: Path, artist: Identity, tsa: LocalTSA
) -> None:
    with Registry.open() as registry:
        _register(registry, tmp_path, 1, artist)
        _stamp(registry, artist, tsa)
        bundle = registry.export_bundle(tmp_path / "proof.json", identity=artist)
    section = DOC.read_text().split("### Trusted timestamps", 1)[1]
    script = section.split("```python\n", 1)[1].split("```", 1)[0]
    work = tmp_path / "check"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, str(bundle)],
        cwd=work, capture_output=True, text=True, timeout=60, check=True,
    )
    (command,) = done.stdout.splitlines()
    assert command.startswith("openssl ts -verify -digest ")
    checked = subprocess.run(
        shlex.split(command), cwd=work, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    other = command.replace(command.split()[4], "00" * 32)  # another digest: refused
    refused = subprocess.run(
        shlex.split(other), cwd=work, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "Verification: OK" not in refused.stdout


# -- evidence reports -----------------------------------------------------------------


def test_an_evidence_report_leads_with_trusted_priority_and_carries_the_token(
    tmp_path: Path, artist: Identity, tsa: LocalTSA
) -> None:
    from artistshield.check import CheckResult
    from artistshield.registry import WorkMatch
    from artistshield.report import gather, render_html

    with Registry.open() as registry:
        stamped = registry.work(_register(registry, tmp_path, 1, artist))
        stamp = _stamp(registry, artist, tsa)
        later = registry.work(_register(registry, tmp_path, 2, artist))
        token = registry.log()[stamp.seq - 1].details["response"] if stamp else None

        def report(work: Work) -> tuple[Evidence, str]:
            found = WorkMatch(work.work_id, 1.0, True, None, "local", work, 0)
            result = CheckResult(input=str(tmp_path / work.file_name), matches=[found])
            evidence = gather(
                result, registry=registry, identity=artist,
                bundle_path=tmp_path / f"{work.work_id}.json",
            )
            return evidence, render_html(evidence)

        evidence, page = report(stamped)
        unstamped, plain = report(later)
    assert stamp is not None and evidence.stamp == stamp and evidence.bundle_ok
    lead = f"registered no later than {stamp.time[:10]} (trusted timestamp)"
    assert evidence.priority == lead
    assert f"<p><b>W-000001 “art1”: {lead}.</b></p>" in page
    assert page.index(lead) < page.index("<h2>Summary</h2>")
    assert f"{stamp.claim()[:1].upper()}{stamp.claim()[1:]}" in page
    assert token is not None and token[:76] in page and stamp.root_sha256 in page
    bundle = verify_bundle(tmp_path / "W-000001.json")
    assert bundle.stamp_for(bundle.works[0]) == stamp  # the bundle beside it carries the stamp
    assert unstamped.priority is None and "trusted timestamp)" not in plain
    assert "none: the registration date is the artist&#x27;s own clock" in plain


def test_a_refusal_or_a_redirect_from_the_tsa_stamps_nothing(
    tmp_path: Path, artist: Identity, tsa: LocalTSA
) -> None:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(302)
            self.send_header("Location", tsa.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with Registry.open() as registry:
        _register(registry, tmp_path, 1, artist)
        before = registry.log()
        server = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            with pytest.raises(TimestampError, match=r"refused the request \(HTTP 302\)"):
                take_stamp(registry, artist, tsa_url=url, timeout=10)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        assert tsa.requests == 0  # the redirect was not followed

        # A TSA that accepts no SHA-256 imprints answers with a rejection.
        tsa.config.write_text(tsa.config.read_text().replace("digests = sha256, sha512",
                                                             "digests = sha512"))
        with pytest.raises(TimestampError) as caught:
            _stamp(registry, artist, tsa)
        assert tsa.requests == 1
        assert str(caught.value).startswith(
            f"The answer from {tsa.url} is not a valid time-stamp of your registry (the TSA "
            "refused to stamp it: "
        )
        assert registry.log() == before


def test_a_broken_chain_vouches_for_no_date(
    tmp_path: Path, artist: Identity, tsa: LocalTSA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamp covers the head; a work entry before it counts only while the links hold."""
    with Registry.open() as registry:
        _register(registry, tmp_path, 1, artist)
        _stamp(registry, artist, tsa)
        bundle = registry.export_bundle(tmp_path / "proof.json", identity=artist)
    document = json.loads(bundle.read_text())
    document["works"][0]["record"]["title"] = "Mine now"
    bundle.write_text(json.dumps(document))
    report = verify_bundle(bundle)
    assert not report.ok and len(report.stamps) == 1
    assert report.stamp_for(report.works[0]) is None
