"""A dispute over a copy: each bundle's work is found by fingerprint, not only by hash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from local_tsa import OPENSSL, LocalTSA, serve
from PIL import Image

from artistshield import identity as identities
from artistshield.registry import Registry
from artistshield.registry.dispute import TRUSTED, dispute
from artistshield.registry.timestamp import load_certificates, take_stamp

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")
def test_the_artists_stamped_original_beats_the_thiefs_registered_copy(
    tmp_path: Path, cheap_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "ada"))
    ada = identities.create("Ada", "pw")
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(tmp_path / "thief"))
    thief = identities.create("Thief", "pw")
    original = DATA / "painted-bridge.png"
    pixels = np.asarray(Image.open(original).convert("RGB"))
    with serve(LocalTSA(tmp_path / "tsa", "Test TSA")) as tsa, Registry.open(
        tmp_path / "ada.sqlite3"
    ) as registry:
        registry.add_work(pixels, file_path=original, identity=ada)
        take_stamp(registry, ada, tsa_url=tsa.url,
                   certificates=load_certificates(tsa.root_pem))
        ada_bundle = registry.export_bundle(tmp_path / "ada.json", identity=ada)
    # The thief saves the published picture as a JPEG and registers that.
    copy = tmp_path / "copy.jpg"
    Image.fromarray(pixels).save(copy, quality=85)
    copied = np.asarray(Image.open(copy).convert("RGB"))
    assert not np.array_equal(copied, pixels)
    with Registry.open(tmp_path / "thief.sqlite3") as registry:
        registry.add_work(copied, file_path=copy, identity=thief)
        thief_bundle = registry.export_bundle(tmp_path / "thief.json", identity=thief)

    result = dispute(copied, (thief_bundle, ada_bundle))
    thiefs, adas = result.claims
    assert thiefs.similarity == 1.0  # the same pixels
    assert adas.work is not None and adas.similarity is not None and adas.similarity < 1.0
    assert adas.stamp is not None and thiefs.stamp is None
    assert result.first == 1 and result.evidence == TRUSTED
    assert result.verdict.startswith("ada.json registered it first on the evidence")
