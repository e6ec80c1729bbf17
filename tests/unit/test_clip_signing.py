"""Marked clips carry the same signed Content Credentials as stills, and `check` reports them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import av
import c2pa
import numpy as np
import pytest
from clip_files import pan, write_gif, write_video
from PIL import Image
from signed_marks import NAME, REFUSED, mark

from artistshield import identity
from artistshield.check import check_file
from artistshield.provenance import credentials, record, signing
from artistshield.registry import Registry


@pytest.fixture
def artist() -> identity.Identity:
    return identity.create(NAME, None)


def write_animation(path: Path, frames: list[np.ndarray]) -> Path:
    images = [Image.fromarray(f) for f in frames]
    options = {"lossless": True} if path.suffix == ".webp" else {}
    images[0].save(path, save_all=True, append_images=images[1:], duration=80, loop=0, **options)
    return path


def clip(tmp_path: Path, suffix: str) -> Path:
    frames = pan("painted-hills.png", 4)
    if suffix == ".mp4":
        return write_video(tmp_path / "clip.mp4", frames)
    if suffix == ".gif":
        return write_gif(tmp_path / "clip.gif", frames)
    return write_animation(tmp_path / f"clip{suffix}", frames)


@pytest.mark.parametrize("suffix", [".mp4", ".gif", ".png", ".webp"])
def test_marked_clips_carry_a_valid_untrusted_manifest(
    tmp_path: Path, artist: identity.Identity, suffix: str
) -> None:
    path, payload, _ = mark(clip(tmp_path, suffix), artist)
    found = credentials.read_file(path)
    assert found.status == credentials.PRESENT
    assert found.problems == ()
    assert found.signer == NAME and not found.trusted
    assert found.actions == ("c2pa.created",)
    assert found.source_types == ("digitalCreation",)
    assert sorted(found.training_mining) == REFUSED
    with c2pa.Reader(str(path)) as reader:
        store = json.loads(reader.json())
    assertions = {
        a["label"]: a["data"] for a in store["manifests"][store["active_manifest"]]["assertions"]
    }
    binding = assertions["c2pa.soft-binding"]
    assert binding["alg"] == signing.SOFT_BINDING_ALG
    assert int.from_bytes(base64.b64decode(binding["blocks"][0]["value"]), "big") == payload
    assert not list(path.parent.glob(".*.signing")), "no half-signed file is left behind"


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_check_of_a_clip_reports_its_provenance(
    tmp_path: Path, artist: identity.Identity, suffix: str
) -> None:
    path, _, _ = mark(clip(tmp_path, suffix), artist)
    report = check_file(path, keys={"mine": artist.watermark_key}).to_json()
    assert report["watermark"]["found"] is True
    assert report["c2pa"] is not None and report["c2pa"]["status"] == "present"
    assert report["metadata"] is not None
    (mining,) = report["metadata"]["fields"]["data_mining"]
    assert mining["value"].endswith("/DMI-PROHIBITED-AIMLTRAINING") and mining["source"] == "XMP"
    assert report["stable_diffusion"] is not None
    consent = report["consent"]
    assert consent["refuses_ai_training"] is True
    assert all(e["signed"] for e in consent["data_mining"] + consent["training_mining"])
    assert len(consent["training_mining"]) == 4


def test_a_stripped_clip_is_told_what_the_original_said(
    tmp_path: Path, artist: identity.Identity
) -> None:
    with Registry.open() as registry:
        path, _, work_id = mark(clip(tmp_path, ".gif"), artist, registry)
        assert work_id is not None
        recorded = record.load(registry.path.parent, work_id)
        assert recorded is not None and recorded.manifest, "the clip's signed manifest is kept"
        frames = []
        with Image.open(path) as image:  # frames only: re-saved by a stranger's tool
            for index in range(image.n_frames):
                image.seek(index)
                frames.append(np.asarray(image.convert("RGB")))
        stripped = write_gif(tmp_path / "stripped.gif", frames)
        result = check_file(stripped, keys={"mine": artist.watermark_key}, registry=registry)
    consent = result.to_json()["consent"]
    assert consent["stripped"] is True
    assert consent["recorded"]["work_id"] == work_id
    assert (
        "This copy's credentials were removed; the original said: not for AI training "
        f"(recorded for work {work_id})."
    ) in result.findings


def test_a_videos_own_tags_are_kept(tmp_path: Path, artist: identity.Identity) -> None:
    source = clip(tmp_path, ".mp4")
    tagged = tmp_path / "tagged.mp4"
    with av.open(str(source)) as src, av.open(str(tagged), "w") as out:
        out.metadata.update({"title": "Zoë's walk cycle", "comment": "take 3"})
        stream = out.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    path, _, _ = mark(tagged, artist)
    with av.open(str(path)) as marked:
        assert marked.metadata.get("title") == "Zoë's walk cycle"
        assert marked.metadata.get("comment") == "take 3"
        assert "Lavf" in marked.metadata.get("encoder", "")  # written by our muxer, not copied
