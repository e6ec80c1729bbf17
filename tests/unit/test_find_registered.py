"""A file about to be marked is recognised if the registry holds it already, however saved."""

from pathlib import Path

from PIL import Image

from artistshield.identity import Identity
from artistshield.mark import mark_files
from artistshield.register import CARRIES_MARK, SAME_PICTURE, SAME_PIXELS, find_registered
from artistshield.registry import Registry

DATA = Path(__file__).parents[1] / "data"


def test_originals_marked_copies_and_crops_are_known(tmp_path: Path, real_artist: Identity) -> None:
    key = real_artist.watermark_key
    source = DATA / "painted-hills.png"
    with Registry.open() as registry:
        assert find_registered(registry, source, keys=[key]) is None  # nothing registered yet
        (outcome,) = mark_files(
            [source], out_dir=tmp_path / "out", key=key, registry=registry, identity=real_artist
        )
        assert outcome.work_id == "W-000001" and outcome.output is not None
        resized = tmp_path / "resized.jpg"  # the original, exported again smaller
        with Image.open(source) as image:
            image.convert("RGB").resize((960, 720)).save(resized, quality=90)
        crop = tmp_path / "crop.jpg"  # a crop of the marked copy: another shape, the same mark
        with Image.open(outcome.output) as image:
            image.convert("RGB").crop((100, 100, 900, 900)).save(crop, quality=90)

        cases = {
            source: SAME_PICTURE, outcome.output: SAME_PIXELS, resized: SAME_PICTURE,
            crop: CARRIES_MARK,
        }
        for path, how in cases.items():
            known = find_registered(registry, path, keys=[key])
            assert known is not None and (known.work.work_id, known.how) == ("W-000001", how), path
        assert "already registered as W-000001" in known.in_words()
        assert find_registered(registry, crop, keys=[]) is None  # the mark needs the key
        assert find_registered(registry, DATA / "painted-mountains.png", keys=[key]) is None

        registry.withdraw("W-000001", real_artist, reason="start again")
        assert find_registered(registry, outcome.output, keys=[key]) is None
        assert find_registered(registry, source, keys=[key]) is None
