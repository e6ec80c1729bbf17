"""`mark FOLDER` and `check FOLDER` take a folder of pictures file by file, each with a line."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from tests.e2e.cli import run

DATA = Path(__file__).resolve().parents[1] / "data"


def crop(path: Path, width: int, height: int, *, left: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    art = Image.open(DATA / "painted-mountains.png").convert("RGB")
    art.crop((left, 0, left + width, height)).save(path)
    return path


def key_file(tmp_path: Path) -> str:
    key = tmp_path / "k.key"
    key.write_text("5c" * 32)
    return str(key)


def test_mark_a_portfolio_marks_every_file_and_check_gives_a_verdict_each(tmp_path: Path) -> None:
    folder = tmp_path / "portfolio"
    crop(folder / "piece1.png", 640, 400)
    crop(folder / "piece2.png", 512, 384, left=100)
    crop(folder / "piece3.jpg", 400, 300, left=200)
    (folder / "notes.txt").write_text("prices")
    key = key_file(tmp_path)

    marked = run("mark", str(folder), "--out", str(tmp_path / "out"), "--key-file", key, home=tmp_path)
    assert marked.returncode == 0, marked.stderr
    lines = marked.stdout.splitlines()
    assert len(lines) == 4, marked.stdout
    for name in ("piece1.png", "piece2.png", "piece3.jpg"):
        assert any(line.startswith(f"{folder / name} -> ") for line in lines), marked.stdout
        assert (tmp_path / "out" / name).is_file()
    assert f"{folder / 'notes.txt'}: skipped: not a picture ArtistShield reads (TXT)" in lines
    assert "frames" not in marked.stdout and "Traceback" not in marked.stderr

    # found online: one marked copy among two that are not
    found = tmp_path / "found"
    found.mkdir()
    (tmp_path / "out" / "piece2.png").rename(found / "copy.png")
    crop(found / "other1.png", 640, 400)
    crop(found / "other2.jpg", 400, 300, left=200)
    checked = run("check", str(found), "--key-file", key, "--json", "--no-provenance", home=tmp_path)
    assert checked.returncode == 0, checked.stderr
    verdicts = {Path(r["input"]).name: r for r in map(json.loads, checked.stdout.splitlines())}
    assert sorted(verdicts) == ["copy.png", "other1.png", "other2.jpg"]
    assert [n for n, r in sorted(verdicts.items()) if r["is_artists_work"]] == ["copy.png"]


def test_a_folder_without_pictures_says_so_and_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    drawings = tmp_path / "drawings"
    drawings.mkdir()
    for name in ("a.svg", "b.pdf", "c.psd"):
        (drawings / name).write_bytes(b"not a picture ArtistShield reads")
    key = key_file(tmp_path)
    for folder in (empty, drawings):
        marked = run("mark", str(folder), "--out", str(tmp_path / "out"), "--key-file", key, home=tmp_path)
        assert marked.returncode == 1
        assert f"no pictures found in {folder}" in marked.stderr
        checked = run("check", str(folder), "--key-file", key, "--no-provenance", home=tmp_path)
        assert checked.returncode == 1
        assert f"no pictures found in {folder}" in checked.stderr
        assert "Traceback" not in marked.stderr + checked.stderr


def test_a_one_frame_gif_is_marked_and_checked_as_a_still(tmp_path: Path) -> None:
    gif = tmp_path / "badge.gif"
    Image.open(DATA / "painted-hills.png").convert("RGB").crop((0, 0, 320, 240)).save(gif)
    key = key_file(tmp_path)
    marked = run("mark", str(gif), "--out", str(tmp_path / "out"), "--key-file", key, "--json", home=tmp_path)
    assert marked.returncode == 0, marked.stderr
    outcome = json.loads(marked.stdout)
    assert outcome["frames"] is None and outcome["readable"] is True
    checked = run(
        "check", outcome["output"], str(gif), "--key-file", key, "--no-provenance", home=tmp_path
    )
    assert checked.returncode == 0, checked.stderr
    marked_line, original_line = checked.stdout.splitlines()
    verdict = marked_line.removeprefix(f"{outcome['output']}: ")
    assert verdict.startswith("your mark is in this image;") and "frame" not in verdict
    assert original_line == f"{gif}: no mark of yours and no registered work found"
    report = tmp_path / "evidence.html"
    reported = run(
        "check", outcome["output"], "--key-file", key, "--no-provenance", "--report", str(report),
        home=tmp_path,
    )
    assert reported.returncode == 0, reported.stderr
    assert "Your mark is in this image" in report.read_text()  # the picture loaded for it
    assert "cannot read" not in checked.stdout
