"""The identity and registry commands, run in-process with a fast passphrase hash."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_run import run

from artistshield import identity
from artistshield.paths import data_dir

DATA = Path(__file__).parents[1] / "data"
ART = [DATA / "flat-moonlight.png", DATA / "cel-portrait-alpha.png"]


pytestmark = pytest.mark.usefixtures("cli_passphrase")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    return json.loads(out)


def test_identity_create_show_and_wrong_passphrase(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "identity", "create", "--name", "Ada Artist")
    assert code == 0
    assert "Artist ID:  AS-" in out and "identity export" in out
    shown = run_json(capsys, "identity", "show")
    assert isinstance(shown, dict) and shown["name"] == "Ada Artist" and shown["encrypted"]
    assert shown["artist_id"] in out
    code, _, err = run(capsys, "identity", "create", "--name", "Again")
    assert code == 2 and "already exists" in err
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "wrong")
    code, _, err = run(capsys, "registry", "add", str(ART[0]))
    assert code == 2 and "Wrong passphrase" in err


def test_no_passphrase_says_what_it_risks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "identity", "create", "--name", "Ada", "--no-passphrase")
    assert code == 0 and "unencrypted" in err and "identity export" in out


def test_change_passphrase(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "identity", "create", "--name", "Ada")
    monkeypatch.setenv("ARTISTSHIELD_NEW_PASSPHRASE", "another passphrase")
    assert run(capsys, "identity", "passphrase")[0] == 0
    assert identity.load("another passphrase").name == "Ada"


def test_backup_and_restore_on_a_new_computer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run(capsys, "identity", "create", "--name", "Ada")
    before = identity.public_info()
    backup = tmp_path / "ada-backup.json"
    assert run(capsys, "identity", "export", str(backup))[0] == 0
    assert run(capsys, "identity", "export", str(backup))[0] == 2  # never overwrites

    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "new-computer"))
    run(capsys, "identity", "create", "--name", "Someone else")
    code, _, err = run(capsys, "identity", "import", str(backup))
    assert code == 2 and "--force" in err
    code, out, _ = run(capsys, "identity", "import", str(backup), "--force")
    assert code == 0 and before.artist_id in out
    assert identity.public_info() == before

    backup.write_text(backup.read_text()[:100])
    code, _, err = run(capsys, "identity", "import", str(backup), "--force")
    assert code == 2 and "damaged" in err


def test_register_list_show_verify_and_tamper(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "identity", "create", "--name", "Ada")
    code, out, _ = run(capsys, "registry", "add", *map(str, ART))
    assert code == 0 and "W-000001" in out and "W-000002" in out
    code, out, _ = run(capsys, "registry", "add", str(ART[0]))
    assert code == 0 and "already registered" in out
    works = run_json(capsys, "registry", "list")
    assert isinstance(works, list) and [w["file_name"] for w in works] == [p.name for p in ART]
    assert works[1]["channels"] == 4  # the cel keeps its transparency
    shown = run_json(capsys, "registry", "show", "W-000001")
    assert isinstance(shown, dict) and shown["width"] == 1920
    assert [h["kind"] for h in shown["history"]] == ["register"]
    code, out, _ = run(capsys, "registry", "verify")
    assert code == 0 and "intact" in out

    conn = sqlite3.connect(data_dir() / "registry.sqlite3")
    conn.execute("DROP TRIGGER log_no_update")
    conn.execute(
        "UPDATE log SET fields = replace(fields, 'flat-moonlight', 'stolen') WHERE seq = 2"
    )
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, "registry", "verify")
    assert code == 1 and "first bad entry is 2" in out
    report = json.loads(run(capsys, "registry", "verify", "--json")[1])
    assert report["ok"] is False and report["first_bad"]["seq"] == 2


def test_add_reports_unreadable_files_and_keeps_going(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "identity", "create", "--name", "Ada")
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    code, out, err = run(capsys, "registry", "add", str(bogus), str(ART[1]))
    assert code == 1 and "notes.png" in err and "W-000001" in out
    code, _, err = run(capsys, "registry", "add", *map(str, ART), "--title", "One")
    assert code == 2 and "single FILE" in err
    code, _, err = run(capsys, "registry", "show", "W-000404")
    assert code == 2 and "no work W-000404" in err


def test_bundle_is_verified_by_a_stranger(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run(capsys, "identity", "create", "--name", "Ada")
    run(capsys, "registry", "add", *map(str, ART))
    bundle = tmp_path / "proof.json"
    code, out, _ = run(capsys, "registry", "export", "--out", str(bundle), "--work", "W-000002")
    assert code == 0 and "verify-bundle" in out

    stranger = {"ARTISTSHIELD_HOME": str(tmp_path / "stranger"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "artistshield", "registry", "verify-bundle", str(bundle)]
    done = subprocess.run(command, env=stranger, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Bundle verified: 1 work(s) signed by Ada" in done.stdout
    assert "cel-portrait-alpha" in done.stdout
    assert not (tmp_path / "stranger" / "identity.json").exists()

    document = json.loads(bundle.read_text())
    document["works"][0]["record"]["registered"] = "2001-01-01T00:00:00Z"  # backdating
    bundle.write_text(json.dumps(document))
    done = subprocess.run([*command, "--json"], env=stranger, capture_output=True, text=True)
    assert done.returncode == 1
    assert json.loads(done.stdout)["first_bad"]["seq"] == 3


def test_match_finds_the_registered_work(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "identity", "create", "--name", "Ada")
    run(capsys, "registry", "add", *map(str, ART))
    code, out, _ = run(capsys, "registry", "match", str(ART[1]))
    assert code == 0 and out.split()[0] == "W-000002" and "MATCH" in out
    found = run_json(capsys, "registry", "match", str(ART[1]))
    assert isinstance(found, list) and found[0]["work"]["file_name"] == ART[1].name
    assert np.isfinite(found[0]["similarity"])


def test_help_reads_as_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    from artistshield.cli import COMMAND_MODULES, build_parser

    parser = build_parser()
    for command in COMMAND_MODULES:
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        out = capsys.readouterr().out
        assert out.startswith("usage: artistshield " + command), out[:80]
        assert "``" not in out, command
