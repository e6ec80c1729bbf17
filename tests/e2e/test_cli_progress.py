"""`artistshield -v` names each file of a batch on stderr as it starts and as it ends."""

from pathlib import Path

from PIL import Image

from tests.e2e.cli import run

DATA = Path(__file__).resolve().parents[1] / "data"


def test_verbose_mark_and_check_name_each_file_as_it_starts_and_ends(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    key.write_text("5c" * 32)
    art = Image.open(DATA / "painted-hills.png").convert("RGB")
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    art.crop((0, 0, 400, 300)).save(first)
    art.crop((400, 300, 800, 600)).save(second)

    marked = run("-v", "mark", str(first), str(second), "--out", str(tmp_path / "out"),
                 "--key-file", str(key), home=tmp_path)
    assert marked.returncode == 0, marked.stderr
    said = [line for line in marked.stderr.splitlines() if line.startswith("artistshield: mark")]
    assert said[0] == f"artistshield: marking {first} (1 of 2)"
    assert said[1].startswith(f"artistshield: marked {first} in ")
    assert said[2] == f"artistshield: marking {second} (2 of 2)"
    assert said[3].startswith(f"artistshield: marked {second} in ")
    assert "\r" not in marked.stderr  # no progress bar off a terminal
    assert len(marked.stdout.splitlines()) == 2  # the results, on stdout as before

    checked = run("-v", "check", str(tmp_path / "out" / "a.png"), str(second), "--key-file",
                  str(key), "--no-provenance", home=tmp_path)
    assert checked.returncode == 0, checked.stderr
    said = [line for line in checked.stderr.splitlines() if line.startswith("artistshield: check")]
    assert [line.split(" in ")[0] for line in said] == [
        f"artistshield: checking {tmp_path / 'out' / 'a.png'} (1 of 2)",
        f"artistshield: checked {tmp_path / 'out' / 'a.png'}",
        f"artistshield: checking {second} (2 of 2)",
        f"artistshield: checked {second}",
    ]
