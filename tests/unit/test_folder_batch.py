"""A folder of pictures is a batch, not a clip, unless it is one; every file gets a line."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from artistshield import mark
from artistshield.animation.inputs import gather

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes(range(32))


def crop(path: Path, width: int, height: int, *, left: int = 0) -> Path:
    """A crop of a test painting, saved at *path* in the format its suffix says."""
    path.parent.mkdir(parents=True, exist_ok=True)
    art = Image.open(DATA / "painted-mountains.png").convert("RGB")
    art.crop((left, 0, left + width, height)).save(path)
    return path


def portfolio(folder: Path) -> list[Path]:
    """The issue's case: two numbered PNGs of different sizes and a JPEG."""
    return [
        crop(folder / "piece1.png", 640, 400),
        crop(folder / "piece2.png", 512, 384, left=100),
        crop(folder / "piece3.jpg", 400, 300, left=200),
    ]


def test_pictures_of_different_sizes_are_a_batch_each_marked(tmp_path: Path) -> None:
    pieces = portfolio(tmp_path / "portfolio")
    assert [item.path for item in gather([tmp_path / "portfolio"])] == pieces
    outcomes = list(
        mark.mark_files([tmp_path / "portfolio"], out_dir=tmp_path / "out", key=KEY, verify=False)
    )
    assert [o.source for o in outcomes] == pieces
    assert all(o.ok and o.frames is None and o.output is not None for o in outcomes), outcomes
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "piece1.png", "piece2.png", "piece3.jpg"
    ]


def test_files_that_are_not_pictures_are_skipped_with_a_reason(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    still = crop(folder / "still.png", 200, 160)
    (folder / "notes.txt").write_text("prices")
    (folder / "logo.svg").write_text("<svg/>")
    (folder / ".DS_Store").write_bytes(b"\0")  # hidden: not the artist's
    outcomes = {o.source.name: o for o in mark.mark_files([folder], out_dir=tmp_path / "o", key=KEY)}
    assert sorted(outcomes) == ["logo.svg", "notes.txt", "still.png"]
    assert outcomes["still.png"].ok and outcomes["still.png"].output is not None
    assert outcomes["still.png"].source == still
    for name, kind in (("logo.svg", "SVG"), ("notes.txt", "TXT")):
        skipped = outcomes[name]
        assert skipped.output is None and skipped.error is None
        assert skipped.skipped == f"not a picture ArtistShield reads ({kind})"
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["still.png"]


def test_a_folder_without_pictures_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    drawings = tmp_path / "drawings"
    drawings.mkdir()
    for name in ("a.svg", "b.pdf", "c.psd"):
        (drawings / name).write_bytes(b"not pictures ArtistShield reads")
    for folder in (empty, drawings):
        outcomes = list(mark.mark_files([folder], out_dir=tmp_path / "out", key=KEY))
        assert outcomes[-1].source == folder
        assert outcomes[-1].error == f"no pictures found in {folder}."
        assert [o.skipped is not None for o in outcomes[:-1]] == [folder == drawings] * (
            len(outcomes) - 1
        )
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_frames_of_one_size_format_and_pattern_stay_one_clip(tmp_path: Path) -> None:
    folder = tmp_path / "walk"
    frames = [crop(folder / f"frame_{i:04d}.png", 160, 120, left=8 * i) for i in range(1, 4)]
    cover = crop(folder / "cover.jpg", 160, 120)
    assert [item.path for item in gather([folder])] == [folder, cover]
    outcomes = list(mark.mark_files([folder], out_dir=tmp_path / "out", key=KEY, verify=False))
    assert [(o.source, o.frames) for o in outcomes] == [(folder, len(frames)), (cover, None)]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]


def test_a_path_named_twice_is_taken_once(tmp_path: Path) -> None:
    folder = tmp_path / "walk"
    for i in range(1, 3):
        crop(folder / f"frame_{i:04d}.png", 96, 64, left=8 * i)
    cover = crop(folder / "cover.jpg", 96, 64)
    # as the app passes them: the clip and the file beside it, already opened
    assert [item.path for item in gather([folder, cover])] == [folder, cover]
