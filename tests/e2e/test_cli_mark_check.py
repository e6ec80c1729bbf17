"""`artistshield mark` and `check` as a script would run them."""

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from tests.e2e.cli import run

DATA = Path(__file__).resolve().parents[1] / "data"




def test_mark_then_check_with_a_key_file(tmp_path: Path) -> None:
    key = tmp_path / "demo.key"
    key.write_text("ab" * 32)
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DATA / "painted-hills.png", src)
    shutil.copy(DATA / "cel-portrait-alpha.png", src)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    before = {p.name: p.read_bytes() for p in src.iterdir()}

    out = tmp_path / "out"
    marked = run(
        "mark", str(src), "--out", str(out), "--key-file", str(key), "--json", home=tmp_path
    )
    assert marked.returncode == 1  # one input failed, the batch went on
    rows = [json.loads(line) for line in marked.stdout.splitlines()]
    assert len(rows) == 3
    by_name = {Path(r["source"]).name: r for r in rows}
    assert by_name["broken.png"]["error"]
    for name in ("painted-hills.png", "cel-portrait-alpha.png"):
        row = by_name[name]
        assert row["error"] is None and row["readable"] is True
        assert Path(row["output"]).parent == out
        assert row["psnr"] >= 38
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # originals untouched
    assert not list(out.glob("*.part"))

    # the cel keeps its alpha channel bit for bit
    original = np.asarray(Image.open(DATA / "cel-portrait-alpha.png").convert("RGBA"))
    copy = np.asarray(Image.open(out / "cel-portrait-alpha.png").convert("RGBA"))
    assert np.array_equal(original[..., 3], copy[..., 3])

    # a recompressed repost is found; the unmarked original is not
    repost = tmp_path / "repost.jpg"
    Image.open(out / "painted-hills.png").convert("RGB").save(repost, quality=70)
    checked = run(
        "check",
        str(repost),
        str(DATA / "painted-hills.png"),
        "--key-file",
        str(key),
        "--json",
        home=tmp_path,
    )
    assert checked.returncode == 0, checked.stderr
    results = [json.loads(line) for line in checked.stdout.splitlines()]
    assert results[0]["watermark"]["found"] is True
    assert results[0]["watermark"]["payload"] == by_name["painted-hills.png"]["payload"]
    assert results[1]["watermark"]["found"] is False

    nothing = run(
        "check", str(DATA / "painted-bridge.png"), "--key-file", str(key), home=tmp_path
    )
    assert nothing.returncode == 1
    assert "no mark" in nothing.stdout


def test_mark_needs_an_identity_or_a_key(tmp_path: Path) -> None:
    result = run(
        "mark", str(DATA / "painted-hills.png"), "--out", str(tmp_path / "o"), home=tmp_path
    )
    assert result.returncode == 2
    assert "identity create" in result.stderr


def test_mark_with_identity_registers_the_output(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "correct horse battery staple")
    created = run("identity", "create", "--name", "Ada Artist", home=tmp_path)
    assert created.returncode == 0, created.stderr
    marked = run(
        "mark",
        str(DATA / "cartoon-halloween-outro.png"),
        "--out",
        str(tmp_path / "o"),
        "--json",
        home=tmp_path,
    )
    assert marked.returncode == 0, marked.stderr
    row = json.loads(marked.stdout)
    assert row["work_id"]
    listed = run("registry", "list", "--json", home=tmp_path)
    assert row["work_id"] in listed.stdout
    checked = run(
        "check", str(tmp_path / "o" / "cartoon-halloween-outro.png"), "--json", home=tmp_path
    )
    assert checked.returncode == 0, checked.stderr
    result = json.loads(checked.stdout)
    assert result["watermark"]["work_id"] == row["work_id"]
    assert any(m["work_id"] == row["work_id"] for m in result["matches"])
    assert run("registry", "verify", home=tmp_path).returncode == 0
