"""`artistshield check` on a clip pools the evidence of its frames."""

import json
from pathlib import Path

from PIL import Image

from tests.e2e.cli import run

DATA = Path(__file__).resolve().parents[1] / "data"




def test_a_marked_gif_is_found_and_names_its_frames(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    key.write_text("5c" * 32)
    painting = Image.open(DATA / "painted-hills.png").convert("RGB")
    frames = [painting.crop((x, 100, x + 480, 460)) for x in range(0, 240, 40)]
    clip = tmp_path / "pan.gif"
    frames[0].save(clip, save_all=True, append_images=frames[1:], duration=80, loop=0)

    marked = run(
        "mark",
        str(clip),
        "--out",
        str(tmp_path / "out"),
        "--key-file",
        str(key),
        "--json",
        home=tmp_path,
    )
    assert marked.returncode == 0, marked.stderr
    payload = json.loads(marked.stdout)["payload"]

    checked = run(
        "check",
        str(tmp_path / "out" / "pan.gif"),
        str(clip),
        "--key-file",
        str(key),
        "--json",
        "--no-provenance",
        home=tmp_path,
    )
    assert checked.returncode == 0, checked.stderr
    results = [json.loads(line) for line in checked.stdout.splitlines()]
    assert results[0]["watermark"]["found"] and results[0]["watermark"]["payload"] == payload
    assert results[0]["watermark"]["frames_checked"] == len(frames)
    assert results[0]["watermark"]["frames_with_mark"]
    assert not results[1]["watermark"]["found"]
