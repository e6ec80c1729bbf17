"""`artistshield mark` on a GIF, a video and a frame folder, as a script would run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from artistshield import animation

DATA = Path(__file__).resolve().parents[1] / "data"


def test_mark_a_gif_and_a_frame_folder_with_a_key_file(tmp_path: Path) -> None:
    key = tmp_path / "demo.key"
    key.write_text("cd" * 32)
    img = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    frames = [Image.fromarray(img[100:400, 8 * i : 8 * i + 400]) for i in range(4)]
    gif = tmp_path / "pan.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=90, loop=0)
    env = dict(os.environ, ARTISTSHIELD_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "artistshield", "mark", str(gif), str(DATA / "frames"),
         "--out", str(tmp_path / "out"), "--key-file", str(key), "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["frames"] for r in rows] == [4, 2]
    assert all(r["readable"] for r in rows)
    assert Path(rows[1]["output"]).is_dir()
    found = animation.detect_clip(rows[0]["output"], bytes.fromhex("cd" * 32))
    assert found.detection.payload == rows[0]["payload"]
