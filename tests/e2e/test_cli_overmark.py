"""Another identity re-marks the artist's published copies at the strongest setting:
the artist's registry still finds every work (see ``tests/unit/test_overmark.py``).

The cel with transparency is the case where both failed: the strongest
over-mark drowns the artist's mark, and the download, with its alpha channel
dropped, shows colours left under the transparent pixels that neither the
fingerprint over white nor the one over black holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity as identities
from artistshield.cli import main

DATA = Path(__file__).parents[1] / "data"


def as_artist(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
              *argv: str) -> list[dict[str, object]]:
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(home))
    capsys.readouterr()
    main(list(argv))
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def download(path: Path, folder: Path) -> Path:
    """Saved as JPEG 90 by a converter that drops the alpha channel, showing what lay under it
    (a cel's leftover colours: only a fingerprint of the picture with its alpha dropped finds it)."""
    folder.mkdir(exist_ok=True)
    target = folder / f"{path.stem}.jpg"
    Image.open(path).convert("RGB").save(target, quality=90)
    return target


@pytest.mark.slow
def test_the_artists_registry_finds_works_over_marked_at_the_strongest_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(identities, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})
    art = tmp_path / "art"
    art.mkdir()
    Image.open(DATA / "cel-portrait-alpha.png").save(art / "cel.png")
    painting = np.asarray(Image.open(DATA / "painted-bridge.png").convert("RGB"))
    Image.fromarray(painting[100:500, 200:700]).save(art / "bridge.png")
    homes = {name: tmp_path / f"home-{name}" for name in ("a", "b")}
    for name, home in homes.items():
        monkeypatch.setenv("ARTISTSHIELD_HOME", str(home))
        identities.create(f"Artist {name}", None)

    marked = as_artist(homes["a"], monkeypatch, capsys, "mark", str(art / "cel.png"),
                       str(art / "bridge.png"), "--out", str(tmp_path / "a"), "--json")
    assert [bool(m["output"]) for m in marked] == [True, True]
    for item in marked:
        got = download(Path(str(item["output"])), tmp_path / "downloads")
        (by_b,) = as_artist(homes["b"], monkeypatch, capsys, "mark", str(got), "--out",
                            str(tmp_path / "b"), "--json", "--strength", "4")
        published = download(Path(str(by_b["output"])), tmp_path / "published-by-b")
        (mine,) = as_artist(homes["a"], monkeypatch, capsys, "check", str(published), "--json",
                            "--no-provenance")
        assert mine["is_artists_work"], mine["verdict"]
        assert item["work_id"] in [m["work_id"] for m in mine["matches"]]  # type: ignore[union-attr]
        (theirs,) = as_artist(homes["b"], monkeypatch, capsys, "check", str(published), "--json",
                              "--no-provenance")
        assert theirs["watermark"]["found"]  # type: ignore[index]

    # B's own evidence report says that its mark proves nothing about who was first
    report = tmp_path / "b-report.html"
    as_artist(homes["b"], monkeypatch, capsys, "check", str(published), "--no-provenance",
              "--report", str(report))
    text = " ".join(report.read_text(encoding="utf-8").split())
    assert "a second mark proves nothing about who made the work first" in text
    assert "The artist registered work" in text
