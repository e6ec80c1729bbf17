"""`artistshield check` with --json and --report, as a person or a script runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "data"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ARTISTSHIELD_HOME=str(home), ARTISTSHIELD_PASSPHRASE="pw pw pw pw")
    return subprocess.run([sys.executable, "-m", "artistshield", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_check_json_exit_codes_and_reports(tmp_path: Path) -> None:
    assert run("identity", "create", "--name", "Ada Artist", home=tmp_path).returncode == 0
    marked = run("mark", str(DATA / "cel-portrait-alpha.png"), "--out", str(tmp_path / "o"),
                 home=tmp_path)
    assert marked.returncode == 0, marked.stderr
    # reposted as a platform does it: flattened over white, trimmed, JPEG
    repost = tmp_path / "repost.jpg"
    cel = Image.open(tmp_path / "o" / "cel-portrait-alpha.png").convert("RGBA")
    image = Image.new("RGBA", cel.size, "white")
    image.alpha_composite(cel)
    image.convert("RGB").crop((20, 20, 400, 400)).save(repost, quality=90)

    checked = run("check", str(repost), str(DATA / "painted-bridge.png"), "--json", home=tmp_path)
    assert checked.returncode == 0, checked.stderr
    rows = [json.loads(line) for line in checked.stdout.splitlines()]
    for row in rows:
        assert {"input", "watermark", "matches", "stable_diffusion", "c2pa", "metadata",
                "verdict"} <= set(row)
        assert {"found", "work_id", "payload", "p_value"} <= set(row["watermark"])
    assert rows[0]["watermark"]["found"] and rows[0]["watermark"]["work_id"] == "W-000001"
    assert rows[1]["is_artists_work"] is False

    assert run("check", str(DATA / "painted-bridge.png"), home=tmp_path).returncode == 1
    assert run("check", str(tmp_path / "missing.png"), home=tmp_path).returncode == 2

    out = tmp_path / "evidence.html"
    reported = run("check", str(repost), "--report", str(out), "--found-at",
                   "https://example.com/post/1", home=tmp_path)
    assert reported.returncode == 0, reported.stderr
    page = out.read_text(encoding="utf-8")
    for section in ("The images", "What was detected", "registry record", "How anyone can check",
                    "Takedown notice", "https://example.com/post/1", "verify-bundle",
                    "good faith belief"):
        assert section in page
    assert page.count("data:image/png;base64,") == 2
    bundle = tmp_path / "evidence-bundle.asbundle"
    assert run("registry", "verify-bundle", str(bundle), home=tmp_path).returncode == 0


def test_pdf_report(tmp_path: Path) -> None:
    pytest.importorskip("PySide6.QtGui")
    key = tmp_path / "k.key"
    key.write_text("ab" * 32)
    out = tmp_path / "r.pdf"
    done = run("check", str(DATA / "cel-portrait-alpha.png"), "--key-file", str(key),
               "--report", str(out), home=tmp_path)
    assert done.returncode == 1, done.stderr
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_size > 10_000
