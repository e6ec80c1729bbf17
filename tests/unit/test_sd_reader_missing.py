"""Without the optional Stable Diffusion reader, a check starts no child process to hear so."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield.provenance import sd


def test_a_missing_reader_is_said_without_a_child_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picture = tmp_path / "art.png"
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(picture)
    real_find = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: None if name == "imwatermark" else real_find(name, *a),
    )

    def no_child(*args, **options):  # type: ignore[no-untyped-def]
        raise AssertionError("a child process was started")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    assert sd.reader_missing()
    report = sd.PendingCheck(picture).result()
    assert report.status == sd.NOT_INSTALLED
    assert report.findings() == [
        "Stable Diffusion marks: not checked (invisible-watermark is not installed)."
    ]
    sd.PendingCheck(picture).cancel()  # nothing to stop


def test_an_installed_reader_still_reads_in_a_child(tmp_path: Path) -> None:
    pytest.importorskip("imwatermark", reason="the sd extra (invisible-watermark) is not installed")
    picture = tmp_path / "art.png"
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(picture)
    assert not sd.reader_missing()
    assert sd.PendingCheck(picture).result().status == sd.CHECKED
