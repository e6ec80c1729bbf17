"""docs/bundle-format.md describes key frames well enough for another program to read them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield.identity import Identity
from artistshield.register import register_file
from artistshield.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def documented_reader() -> Any:
    """The fingerprint-container reader given in the docs, run as another program would."""
    doc = (ROOT / "docs" / "bundle-format.md").read_text(encoding="utf-8")
    section = doc.split("### The fingerprint bytes", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(code, scope)
    return scope["key_frame_fingerprints"]


@pytest.fixture
def artist(monkeypatch: pytest.MonkeyPatch) -> Identity:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    return identities.create("Ada", "pw")


def test_a_bundles_key_frames_read_with_the_documented_layout(
    tmp_path: Path, artist: Identity
) -> None:
    frames = []
    for name in ("painted-hills.png", "painted-mountains.png"):
        img = np.asarray(Image.open(DATA / name).convert("RGB"))
        frames += [Image.fromarray(img[60:348, 8 * i : 8 * i + 384]) for i in range(4)]
    frames[0].save(tmp_path / "walk.gif", save_all=True, append_images=frames[1:], duration=80)
    Image.open(DATA / "painted-bridge.png").save(tmp_path / "bridge.png")
    with Registry.open() as registry:
        clip = register_file(registry, tmp_path / "walk.gif", identity=artist)
        still = register_file(registry, tmp_path / "bridge.png", identity=artist)
        bundle = json.loads(registry.export_bundle(tmp_path / "proof.json", identity=artist).read_text())
    works = {w["record"]["work_id"]: w for w in bundle["works"]}
    read = documented_reader()

    record = works[clip.work_id]["record"]
    assert record["frame_count"] == 8 and record["key_frames"][0] == 0
    assert len(record["key_frames"]) >= 2
    fingerprinted = read(base64.b64decode(works[clip.work_id]["fingerprint"]))
    assert sorted({index for index, _ in fingerprinted}) == record["key_frames"]
    assert all(data.startswith(b"ASFP") for _, data in fingerprinted)

    record = works[still.work_id]["record"]
    assert "key_frames" not in record
    ((index, data),) = read(base64.b64decode(works[still.work_id]["fingerprint"]))
    assert index == 0 and data.startswith(b"ASFP")
