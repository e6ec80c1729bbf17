"""A clip is one work with a fingerprint per key frame: a single frame of it found online matches."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from clip_files import pan, write_gif, write_video
from PIL import Image

from artistshield import animation, fingerprint
from artistshield.animation import keyframes
from artistshield.animation.keyframes import KeyFrameSelector
from artistshield.cli import main
from artistshield.identity import Identity
from artistshield.mark import mark_files
from artistshield.register import register_file
from artistshield.registry import Registry, Work, fingerprints, verify_bundle

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes(range(32))
SCENE = 6  # frames per scene


def two_scenes() -> list[np.ndarray]:
    """A pan over the hills, then a cut to a pan over the mountains."""
    return pan("painted-hills.png", SCENE) + pan("painted-mountains.png", SCENE)


def copy_found_online(pixels: np.ndarray) -> np.ndarray:
    """A frame as a stranger reposts it: scaled to three quarters and saved as JPEG."""
    image = Image.fromarray(pixels[..., :3])
    image = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=75)
    return np.asarray(Image.open(out).convert("RGB"))


@pytest.fixture
def marked_gif(tmp_path: Path, real_artist: Identity) -> tuple[Registry, Work, Path]:
    """A two-scene GIF marked into the registry, as `artistshield mark` does it."""
    registry = Registry.open()
    work, output = mark_into(registry, write_gif(tmp_path / "short.gif", two_scenes()), real_artist)
    return registry, work, output


def mark_into(registry: Registry, source: Path, artist: Identity) -> tuple[Work, Path]:
    """Mark the clip at *source* into *registry*, as `artistshield mark` does; its work and output."""
    (outcome,) = mark_files(
        [source],
        out_dir=source.parent / "out",
        key=KEY,
        registry=registry,
        identity=artist,
        verify=False,
    )
    assert outcome.ok and outcome.work_id is not None, outcome.error
    assert outcome.output is not None
    return registry.work(outcome.work_id), outcome.output


# -- choosing key frames ----------------------------------------------------


def test_a_cut_starts_a_key_frame_and_a_cut_back_does_not() -> None:
    selector = KeyFrameSelector()
    hills, bridge = pan("painted-hills.png", 3), pan("painted-bridge.png", 3)
    for i, frame in enumerate(hills + bridge + hills + bridge):  # shot, reverse shot, again
        selector.offer_pixels(i, frame)
    assert [k.frame for k in selector.key_frames] == [0, 3]
    assert max(selector.key_frames[0].pixels.shape[:2]) == 384  # kept small, as offered


def test_many_scenes_are_capped_and_spread_evenly() -> None:
    rng = np.random.default_rng(3)
    selector = KeyFrameSelector(limit=8)
    shots = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(40)]  # all unalike
    for i, shot in enumerate(shots):
        selector.offer_pixels(i, np.kron(shot, np.ones((16, 16, 1), np.uint8)))
    indexes = [k.frame for k in selector.key_frames]
    assert 4 <= len(indexes) <= 8 and indexes[0] == 0
    assert len(set(np.diff(indexes))) == 1  # evenly spaced
    assert indexes[-1] >= 28  # reaching the end of the clip


def walking(count: int) -> list[np.ndarray]:
    """A ghost walking across still hills, a pixel a frame, changing pose every 6 frames; 480x320."""
    hills = Image.open(DATA / "painted-hills.png").convert("RGB").resize((480, 320))
    poses = [Image.open(p).convert("RGBA").resize((220, 203)) for p in sorted((DATA / "frames").glob("*.png"))]
    frames = []
    for t in range(count):
        canvas = hills.copy()
        pose = poses[(t // 6) % len(poses)]
        canvas.paste(pose, (120 + t, 60), pose)
        frames.append(np.asarray(canvas))
    return frames


@pytest.mark.parametrize("check_every", [None, 7])
def test_a_figure_moving_over_a_still_background_gets_key_frames(
    check_every: int | None,
) -> None:
    """Thumbnails barely change, but the matcher would refuse a frame where the figure moved."""
    frames = walking(48)
    selector = KeyFrameSelector(check_every=check_every)
    for i, frame in enumerate(frames):
        selector.offer_pixels(i, frame)
    index = fingerprint.FingerprintIndex()
    for key in selector.key_frames:
        index.add(f"frame {key.frame}", fingerprint.compute(key.pixels))
    matched = [
        bool((best := index.search(copy_found_online(frame), limit=1)) and best[0].is_match)
        for frame in frames[3::8]
    ]
    if check_every is None:  # thumbnails alone: one key frame, the figure walks off it
        assert len(selector.key_frames) == 1 and not all(matched)
    else:
        assert 1 < len(selector.key_frames) <= 48 // check_every + 1
        assert all(matched)


def test_fingerprints_worked_out_while_choosing_are_handed_to_the_registry(
    tmp_path: Path, real_artist: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    from artistshield.registry import ingest

    selector = KeyFrameSelector()
    for i, frame in enumerate(walking(48)):
        selector.offer_pixels(i, frame)
    handed = [key for key in selector.key_frames if key.fingerprint is not None]
    assert handed  # the looks at the walking figure fingerprinted key frames
    for key in handed:
        assert key.fingerprint is not None
        assert key.fingerprint.to_bytes() == fingerprint.compute(key.pixels).to_bytes()
    pictures = animation.pictures_of(selector.key_frames)
    first = selector.key_frames[0].pixels
    source = tmp_path / "walk.png"
    Image.fromarray(first).save(source)
    computed: list[int] = []
    real = ingest.fingerprint_bytes
    monkeypatch.setattr(
        ingest, "fingerprint_bytes", lambda *a, **k: computed.append(1) or real(*a, **k)
    )
    with_handover = ingest.describe(first, file_path=source, frame_count=48, key_frames=pictures)
    assert len(computed) == len(pictures) - len(handed)
    computed.clear()
    without = ingest.describe(
        first, file_path=source, frame_count=48, key_frames=[p[:2] for p in pictures]
    )
    assert len(computed) == len(pictures)
    assert with_handover.fingerprint == without.fingerprint  # the same bytes stored


def test_a_camera_move_is_told_from_a_figure_that_moved() -> None:
    """A small pan or zoom needs no look at the key frames; a walking figure does."""

    def thumb(frame: np.ndarray) -> np.ndarray:
        return keyframes.normalised(keyframes.thumbnail(keyframes.grey_of(frame)))

    hills = Image.open(DATA / "painted-hills.png").convert("RGB")
    view = np.asarray(hills.resize((640, 400)))
    zoomed = np.asarray(hills.resize((672, 420)).crop((16, 10, 656, 410)))
    walk = walking(12)
    assert keyframes._camera_moved(thumb(view[:, :600]), thumb(view[:, 16:616]))
    assert keyframes._camera_moved(thumb(view), thumb(zoomed))
    assert not keyframes._camera_moved(thumb(walk[0]), thumb(walk[11]))
    assert not keyframes._camera_moved(thumb(view), thumb(walk[0]))  # another picture


def test_big_frames_are_kept_at_the_fingerprint_size() -> None:
    img = np.asarray(Image.open(DATA / "flat-futureprototype.png").convert("RGB"))
    selector = KeyFrameSelector()
    selector.offer_pixels(0, img)
    assert selector.key_frames[0].pixels.shape == (360, 640, 3)


def test_the_container_reads_old_single_fingerprints_as_frame_zero() -> None:
    assert fingerprints.unpack(b"ASFP old blob") == [(0, b"ASFP old blob")]
    assert fingerprints.pack([(0, b"one")]) == b"one"  # a still stays a bare fingerprint
    frames = [(0, b"first"), (37, b"second scene")]
    assert fingerprints.unpack(fingerprints.pack(frames)) == frames
    with pytest.raises(ValueError, match="damaged"):
        fingerprints.unpack(fingerprints.pack(frames)[:-3])


# -- registering and matching -----------------------------------------------


def test_a_marked_gif_gets_a_key_frame_per_scene(
    marked_gif: tuple[Registry, Work, Path],
) -> None:
    registry, work, _ = marked_gif
    assert work.frame_count == 2 * SCENE and work.marked
    assert len(work.key_frames) >= 2 and work.key_frames[0] == 0
    assert SCENE in work.key_frames  # the cut
    ((_, stored),) = registry.fingerprints()
    twice = [i for i in work.key_frames for _ in ("as drawn", "as marked")]
    assert [i for i, _ in fingerprints.unpack(stored)] == twice


def test_one_frame_of_the_second_scene_found_online_matches_the_work(
    marked_gif: tuple[Registry, Work, Path],
) -> None:
    registry, work, output = marked_gif
    frame = animation.frames.read_animation(output).frames[SCENE + 2]
    for copy in (frame, copy_found_online(frame)):
        best = registry.match(copy)[0]
        assert best.work_id == work.work_id and best.is_match
        assert best.key_frame in work.key_frames and best.key_frame >= SCENE  # not the first
        assert best.to_json()["key_frame"] == best.key_frame
    assert len([m for m in registry.match(frame) if m.work_id == work.work_id]) == 1


def test_a_clip_registered_by_its_first_frame_alone_still_matches(
    tmp_path: Path, real_artist: Identity
) -> None:
    """How every clip was registered before key frames: one bare fingerprint, no container."""
    frames = two_scenes()
    old_clip = write_gif(tmp_path / "old.gif", frames)
    with Registry.open() as registry:
        old = registry.add_work(
            frames[0], file_path=old_clip, frame_count=len(frames), identity=real_artist
        )
        assert old.key_frames == ()
        ((_, stored),) = registry.fingerprints()
        assert stored.startswith(b"ASFP")
        new_clip = write_gif(
            tmp_path / "new.gif",
            pan("painted-bridge.png", SCENE) + pan("painted-mountains.png", SCENE),
        )
        new = register_file(registry, new_clip, identity=real_artist)  # as `registry add` does
        assert new.frame_count == 2 * SCENE and len(new.key_frames) >= 2
        best = registry.match(copy_found_online(frames[1]))[0]
        assert (best.work_id, best.is_match, best.key_frame) == (old.work_id, True, 0)
        scene = animation.frames.read_animation(new_clip).frames[SCENE + 1]
        best = registry.match(copy_found_online(scene))[0]
        assert best.work_id == new.work_id and best.is_match
        assert best.key_frame is not None and best.key_frame >= SCENE
        assert registry.verify(real_artist.public_key).ok


def test_a_marked_video_gets_a_key_frame_per_scene(tmp_path: Path, real_artist: Identity) -> None:
    source = write_video(tmp_path / "short.mp4", two_scenes())
    with Registry.open() as registry:
        work, output = mark_into(registry, source, real_artist)
        assert work.frame_count == 2 * SCENE and SCENE in work.key_frames
        with av.open(str(output)) as video:
            frame = [f.to_ndarray(format="rgb24") for f in video.decode(video=0)][SCENE + 3]
        best = registry.match(copy_found_online(frame))[0]
        assert best.work_id == work.work_id and best.is_match
        assert best.key_frame is not None and best.key_frame >= SCENE


# -- proof: verify, bundles, tampering -----------------------------------------


def test_verify_and_bundles_cover_every_key_frame(
    marked_gif: tuple[Registry, Work, Path], tmp_path: Path, real_artist: Identity
) -> None:
    registry, work, _ = marked_gif
    assert registry.verify(real_artist.public_key).ok
    bundle = registry.export_bundle(tmp_path / "proof.json", identity=real_artist)
    report = verify_bundle(bundle, public_key=real_artist.public_key)
    assert report.ok, report.summary()
    assert report.works[0].key_frames == work.key_frames

    document = json.loads(bundle.read_text())
    stored = base64.b64decode(document["works"][0]["fingerprint"])
    frames = fingerprints.unpack(stored)
    frames[-1] = (frames[-1][0], frames[0][1])  # the last scene claims the first's fingerprint
    document["works"][0]["fingerprint"] = base64.b64encode(fingerprints.pack(frames)).decode()
    bundle.write_text(json.dumps(document))
    report = verify_bundle(bundle)
    assert not report.ok and report.first_bad is not None
    assert "fingerprint" in report.first_bad.reason


def test_a_tampered_key_frame_fingerprint_is_caught(
    marked_gif: tuple[Registry, Work, Path], real_artist: Identity
) -> None:
    registry, work, _ = marked_gif
    path = registry.path
    registry.close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TRIGGER works_no_update")
    (stored,) = raw.execute("SELECT fingerprint FROM works").fetchone()
    frames = fingerprints.unpack(stored)
    index, blob = frames[1]
    frames[1] = (index, blob[:-1] + bytes([blob[-1] ^ 1]))  # one bit of one key frame
    raw.execute("UPDATE works SET fingerprint = ?", (fingerprints.pack(frames),))
    raw.close()
    with Registry.open(path) as again:
        report = again.verify(real_artist.public_key)
    assert not report.ok and report.first_bad is not None
    assert report.first_bad.seq == work.register_seq
    assert "fingerprint_sha256" in report.first_bad.reason


# -- the command line -------------------------------------------------------------


def test_registry_add_and_show_a_frame_folder(
    tmp_path: Path,
    real_artist: Identity,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "walk"
    folder.mkdir()
    for i, frame in enumerate(two_scenes()):
        Image.fromarray(frame).save(folder / f"walk_{i + 1:04d}.png")
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "pw")
    assert main(["registry", "add", str(folder), "--json"]) == 0
    (added,) = json.loads(capsys.readouterr().out)
    assert added["work"]["title"] == "walk" and added["work"]["frame_count"] == 2 * SCENE
    assert added["work"]["key_frames"][:1] == [0] and SCENE in added["work"]["key_frames"]
    assert main(["registry", "show", added["work"]["work_id"]]) == 0
    shown = capsys.readouterr().out
    count = len(added["work"]["key_frames"])
    assert f"{count} of {2 * SCENE} frames fingerprinted: 0, " in shown


def test_the_documented_verifier_still_accepts_bundles_with_clips_and_stills(
    marked_gif: tuple[Registry, Work, Path], tmp_path: Path, real_artist: Identity
) -> None:
    """docs/bundle-format.md's independent verifier: key frames add no field to a still."""
    registry, _, _ = marked_gif
    still = DATA / "painted-bridge.png"
    pixels = np.asarray(Image.open(still).convert("RGB"))
    work = registry.add_work(pixels, file_path=still, identity=real_artist)
    assert "key_frames" not in work.to_json()
    bundle = registry.export_bundle(tmp_path / "proof.json", identity=real_artist)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "bundle-format.md").read_text()
    code = doc.split("### A minimal independent verifier", 1)[1].split("```python\n", 1)[1]
    code = code.split("```", 1)[0]
    done = subprocess.run(
        [sys.executable, "-c", code, str(bundle)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "2 work(s)" in done.stdout
