"""What makes marking and checking clips quick must not change what they find."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from clip_files import pan, write_video
from PIL import Image

from artistshield import animation, watermark
from artistshield.watermark.pooled import Pool

KEY = bytes(range(32))
PAYLOAD = 0xA5A5_1234_5678


def test_a_clip_as_written_reads_back_without_searching_for_its_geometry(tmp_path: Path) -> None:
    src = write_video(tmp_path / "pan.mp4", pan("painted-hills.png", 12))
    out = animation.mark_clip(src, tmp_path / "out", key=KEY, payload=PAYLOAD)
    searched = animation.detect_clip(out.output, KEY)
    as_written = animation.detect_clip(out.output, KEY, resync=False)
    assert as_written.detection.payload == searched.detection.payload == PAYLOAD
    # fewer geometries tried, so the same evidence is no less certain
    assert as_written.detection.p_value <= searched.detection.p_value
    assert not animation.detect_clip(src, KEY, resync=False).detection.found


def test_a_pool_without_resync_does_not_find_a_rescaled_copy() -> None:
    frames = pan("painted-hills.png", 4)
    marked = [watermark.embed(f, KEY, PAYLOAD) for f in frames]
    smaller = [np.asarray(Image.fromarray(f).resize((307, 230), Image.LANCZOS)) for f in marked]
    fixed, searched = Pool(KEY, resync=False), Pool(KEY)
    for frame in smaller:
        fixed.add(frame)
        searched.add(frame)
    assert searched.result().detection.payload == PAYLOAD
    assert not fixed.result().detection.found
