"""A transparent cel is found again whether a platform flattens it over white or over black,
or drops its alpha channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from artistshield.fingerprint.compute import flatten
from artistshield.identity import Identity
from artistshield.register import register_file
from artistshield.registry import Registry, fingerprints

DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_cel_flattened_over_white_or_black_matches_and_an_opaque_work_keeps_one_print(
    tmp_path: Path, real_artist: Identity
) -> None:
    cel = np.asarray(Image.open(DATA / "cel-portrait-alpha.png").convert("RGBA"))
    Image.fromarray(cel).save(tmp_path / "cel.png")
    Image.open(DATA / "painted-hills.png").save(tmp_path / "hills.png")
    with Registry.open() as registry:
        work = register_file(registry, tmp_path / "cel.png", identity=real_artist)
        other = register_file(registry, tmp_path / "hills.png", identity=real_artist)
        stored = dict(registry.fingerprints_of([work.work_id, other.work_id]))
        dropped = np.ascontiguousarray(cel[..., :3])  # alpha dropped: its hidden colours show
        for grey in (255, 0, None):
            flat = dropped if grey is None else flatten(cel, grey)
            copy = Image.fromarray(flat).resize((300, 300), Image.LANCZOS)
            found = registry.match(np.asarray(copy), limit=2)
            assert found[0].work_id == work.work_id and found[0].is_match, grey
            assert not found[0].key_frame  # reported as a still, not a clip's frame
    # over white, over black, and with the alpha dropped (this cel hides colours under it)
    assert [index for index, _ in fingerprints.unpack(stored[work.work_id])] == [0, 0, 0]
    assert not stored[other.work_id].startswith(fingerprints.MAGIC)  # opaque: one bare print
