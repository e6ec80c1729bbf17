"""`artistshield check` on a clip pools the evidence of its frames."""

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "data"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ARTISTSHIELD_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "artistshield", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


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
