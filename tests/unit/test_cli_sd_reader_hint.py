"""Without the Stable Diffusion reader, `check` says once how to add it, not on every line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.unit.cli_run import run


@pytest.fixture
def no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: None if name == "imwatermark" else real_find(name, *a),
    )


def test_check_says_once_how_to_add_the_reader(
    tmp_path: Path, no_reader: None, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "k.key"
    key.write_text("5c" * 32)
    pictures = []
    for n in range(2):
        picture = tmp_path / f"art {n}.png"
        Image.fromarray(np.full((300, 300, 3), 100 + n, np.uint8)).save(picture)
        pictures.append(str(picture))
    _, _, err = run(capsys, "check", "--key-file", str(key), *pictures)
    assert err.count("Stable Diffusion's public marks were not checked") == 1
    said = err.split("Stable Diffusion's public marks were not checked", 1)[1]
    assert "To add it, run: " in said and " -m pip install " in said
    assert "invisible-watermark" in said
    _, _, err = run(capsys, "check", "--key-file", str(key), "--json", pictures[0])
    assert "not checked" not in err  # the JSON says so itself
    _, _, err = run(capsys, "check", "--key-file", str(key), "--no-provenance", pictures[0])
    assert "Stable Diffusion" not in err
