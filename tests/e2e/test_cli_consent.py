"""`artistshield mark` writes consent and signed credentials unless told not to."""

import json
import shutil
from pathlib import Path

from PIL import Image

from tests.e2e.cli import run

DATA = Path(__file__).resolve().parents[1] / "data"


def _xmp(path: Path) -> str:
    with Image.open(path) as im:
        xmp = im.info.get("xmp", b"")
    return xmp.decode("utf-8") if isinstance(xmp, bytes) else str(xmp)


def test_consent_flags(tmp_path: Path) -> None:
    key = tmp_path / "demo.key"
    key.write_text("cd" * 32)
    src = tmp_path / "hills.png"
    shutil.copy(DATA / "painted-hills.png", src)
    outputs = {}
    for name, flags in {
        "default": (),
        "chosen": ("--data-mining", "DMI-PROHIBITED"),
        "off": ("--no-consent",),
    }.items():
        done = run("mark", str(src), "--out", str(tmp_path / name), "--key-file", str(key),
                   "--format", "JPEG", "--json", *flags, home=tmp_path)
        assert done.returncode == 0, done.stderr
        outputs[name] = Path(json.loads(done.stdout)["output"])
    assert "vocab/DMI-PROHIBITED-AIMLTRAINING" in _xmp(outputs["default"])
    assert "vocab/DMI-PROHIBITED<" in _xmp(outputs["chosen"])
    assert "DataMining" not in _xmp(outputs["off"])
    refused = run("mark", str(src), "--out", str(tmp_path / "x"), "--key-file", str(key),
                  "--data-mining", "NO-AI", home=tmp_path)
    assert refused.returncode == 2 and "invalid choice" in refused.stderr


def test_identity_marks_are_signed_unless_no_c2pa(tmp_path: Path) -> None:
    created = run("identity", "create", "--name", "Zoë Ödegaard", "--no-passphrase", home=tmp_path)
    assert created.returncode == 0, created.stderr
    src = tmp_path / "hills.png"
    shutil.copy(DATA / "painted-hills.png", src)
    signed = run("mark", str(src), "--out", str(tmp_path / "signed"), home=tmp_path)
    assert signed.returncode == 0, signed.stderr
    assert "valid but untrusted" in signed.stdout  # a fact about the output, not a problem
    assert "untrusted" not in signed.stderr
    # the same file again: --again, or it would be skipped as registered already
    plain = run(
        "mark", str(src), "--out", str(tmp_path / "plain"), "--no-c2pa", "--again", home=tmp_path
    )
    assert plain.returncode == 0, plain.stderr
    assert "untrusted" not in plain.stdout  # nothing signed, nothing to say
    checked = {}
    for name in ("signed", "plain"):
        done = run("check", str(tmp_path / name / "hills.png"), "--json", home=tmp_path)
        checked[name] = json.loads(done.stdout.splitlines()[0])
    assert checked["signed"]["c2pa"]["status"] == "present"
    assert "untrusted" in checked["signed"]["c2pa"]["signature"]
    assert checked["plain"]["c2pa"]["status"] == "absent"
    for result in checked.values():
        assert result["is_artists_work"] is True
        assert result["consent"]["refuses_ai_training"] is True
    assert (tmp_path / "c2pa-chain.json").is_file()
