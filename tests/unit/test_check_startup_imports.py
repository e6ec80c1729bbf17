"""``artistshield check`` of a still loads no X.509, HTTP or union code it does not use.

The registry's time-stamp module and the union's membership pulled in
cryptography's X.509 and ``urllib.request`` (about a tenth of a second) at
every start; they are imported now only for a stamp to check or take, or for
a member of a union.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import union
from artistshield.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOT_NEEDED = (
    "cryptography.x509",
    "urllib.request",
    "artistshield.union.authority",
    "artistshield.union.membership",
)

PROBE = """
import contextlib, io, json, sys
from artistshield.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(sys.argv[1:])
print(json.dumps({"status": status, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


@pytest.fixture
def marked(cli_passphrase: None, tmp_path: Path) -> Path:
    assert main(["identity", "create", "--name", "Ada Artist"]) == 0
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:192, 0:256]
    art = np.stack([x % 256, (x + y) % 256, y * 1.3 % 256], axis=-1) + rng.normal(0, 6, (192, 256, 3))
    Image.fromarray(np.clip(art, 0, 255).astype(np.uint8)).save(tmp_path / "art.png")
    assert main(["mark", str(tmp_path / "art.png"), "--out", str(tmp_path / "marked")]) == 0
    return tmp_path / "marked" / "art.png"


def _check(path: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "check", str(path), "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_checking_a_still_finds_the_work_without_x509_http_or_union_code(marked: Path) -> None:
    assert not union.joined()
    result = _check(marked)
    assert result["status"] == 0
    found = json.loads(str(result["out"]).strip().splitlines()[-1])
    assert found["watermark"]["found"] and found["watermark"]["work_id"] == "W-000001"
    modules = set(result["modules"])  # type: ignore[call-overload]
    assert "artistshield.registry.timestamp" in modules  # imported, but light
    assert [name for name in NOT_NEEDED if name in modules] == []


def test_the_union_package_still_hands_out_its_names() -> None:
    from artistshield.union import UnionAuthority, UnionError, membership

    assert UnionAuthority.__module__ == "artistshield.union.authority"
    assert issubclass(UnionError, Exception)
    assert membership.FILE_NAME == union.MEMBERSHIP_FILE
    with pytest.raises(AttributeError):
        _ = union.no_such_name  # type: ignore[attr-defined]
