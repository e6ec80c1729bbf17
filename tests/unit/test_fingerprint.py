"""Fingerprints: PDQ pinned, round trips, and finding works again from copies."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from artistshield.fingerprint import (
    Fingerprint,
    FingerprintIndex,
    compute,
    compute_query,
    geometry,
    local,
    pdq,
    structure,
)
from artistshield.fingerprint import index as index_module
from artistshield.fingerprint.compute import QUERY_FEATURES, flatten

DATA = Path(__file__).resolve().parent.parent / "data"
PAINTED = "painted-bridge.png"
# PDQ of painted-bridge.png, identical to the reference C++ implementation's.
PAINTED_PDQ = "0dffcc2e100130d48fbedde12043023ddfbcffc337598238e0027df71ef9c2a0"


def _load(name: str) -> np.ndarray:
    with Image.open(DATA / name) as image:
        return np.asarray(image.convert("RGBA" if "alpha" in name else "RGB"))


def _jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(flatten(pixels)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _scale(pixels: np.ndarray, factor: float) -> np.ndarray:
    image = Image.fromarray(flatten(pixels))
    size = (round(image.width * factor), round(image.height * factor))
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS))


def _crop(pixels: np.ndarray, keep: float, x: float, y: float) -> np.ndarray:
    height, width = pixels.shape[:2]
    w, h = round(width * keep), round(height * keep)
    x0, y0 = round((width - w) * x), round((height - h) * y)
    return flatten(pixels)[y0 : y0 + h, x0 : x0 + w]


@pytest.fixture(scope="module")
def corpus() -> dict[str, np.ndarray]:
    names = sorted(p.name for p in DATA.glob("*.png"))
    return {name: _load(name) for name in names}


@pytest.fixture(scope="module")
def index(corpus: dict[str, np.ndarray]) -> FingerprintIndex:
    index = FingerprintIndex()
    for name, pixels in corpus.items():
        if name != "flat-moonlight.png":  # kept out, to stand for unrelated art
            index.add(name, compute(pixels))
    return index


def test_pdq_hash_is_constant() -> None:
    fingerprint = compute(_load(PAINTED))
    assert fingerprint.pdq.hex() == PAINTED_PDQ
    assert fingerprint.pdq_quality == 100


def test_pdq_dihedral_variants_match_transformed_images() -> None:
    pixels = _load(PAINTED)
    hashes = pdq.pdq_hashes(pixels)
    mirrored = pdq.pdq_hash(np.ascontiguousarray(pixels[:, ::-1]))
    turned = pdq.pdq_hash(np.ascontiguousarray(np.rot90(pixels)))
    assert pdq.hamming(hashes[pdq.DIHEDRAL_NAMES.index("flip_y")], mirrored) <= 4
    assert pdq.hamming(hashes[pdq.DIHEDRAL_NAMES.index("rotate90")], turned) <= 4


def test_pdq_distance_small_for_copies_large_for_other_works(
    corpus: dict[str, np.ndarray],
) -> None:
    prints = {name: compute(pixels) for name, pixels in corpus.items()}
    for name, pixels in corpus.items():
        assert compute(_jpeg(pixels, 60)) - prints[name] <= 16, name
        assert compute(_scale(pixels, 0.5)) - prints[name] <= 16, name
    names = [n for n in prints if prints[n].pdq_quality >= 50]
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            assert prints[first] - prints[second] > 64, (first, second)


def test_fingerprint_round_trips_through_bytes() -> None:
    fingerprint = compute(_load("cel-portrait-alpha.png"))
    data = fingerprint.to_bytes()
    assert data[:4] == b"ASFP" and data[4] == 2
    assert len(data) < 12_000
    again = Fingerprint.from_bytes(data)
    assert again == fingerprint
    assert again.to_bytes() == data
    assert again - fingerprint == 0
    np.testing.assert_array_equal(again.features.descriptor, fingerprint.features.descriptor)
    assert fingerprint.structure is not None and again.structure is not None
    assert max(again.structure.shape) == structure.SIDE
    np.testing.assert_array_equal(again.structure, fingerprint.structure)


def test_format_1_fingerprints_are_still_read_and_found(corpus: dict[str, np.ndarray]) -> None:
    """Registries made before structure pictures keep working, decided by features alone."""
    old = dataclasses.replace(compute(corpus[PAINTED]), structure=None).to_bytes()
    assert old[4] == 1
    again = Fingerprint.from_bytes(old)
    assert again.structure is None and again.to_bytes() == old
    index = FingerprintIndex()
    index.add("bridge", old)
    best = index.search(_jpeg(corpus[PAINTED], 70), limit=1)[0]
    assert (best.work_id, best.is_match) == ("bridge", True)


def test_from_bytes_refuses_foreign_or_damaged_data() -> None:
    data = compute(_load(PAINTED)).to_bytes()
    with pytest.raises(ValueError, match="not an ArtistShield fingerprint"):
        Fingerprint.from_bytes(b"\x89PNG" + data[4:])
    with pytest.raises(ValueError, match="damaged"):
        Fingerprint.from_bytes(data[:-3])
    with pytest.raises(ValueError, match="newer"):
        Fingerprint.from_bytes(data[:4] + bytes([99]) + data[5:])
    with pytest.raises(ValueError, match="damaged"):
        Fingerprint.from_bytes(data[:-40] + bytes(40))  # the structure picture spoilt


def test_compute_flattens_alpha_over_white_and_rejects_bad_input() -> None:
    rgba = _load("cel-spookytree-alpha.png")
    assert compute(rgba) == compute(flatten(rgba))
    transparent = np.zeros((64, 64, 4), np.uint8)
    assert compute(transparent) == compute(np.full((64, 64, 3), 255, np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        compute(np.zeros((64, 64, 3), np.float32))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="HxWx3"):
        compute(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match="too small"):
        compute(np.zeros((8, 8, 3), np.uint8))


def test_mirrored_features_equal_features_of_the_mirror_image() -> None:
    pixels = _load(PAINTED)
    luma = pdq.luminance(pixels).astype(np.float32)
    expected = local.mirrored(local.extract(luma))
    mirror = local.extract(np.ascontiguousarray(luma[:, ::-1]))
    placement = geometry.place(mirror, expected)
    assert placement is not None
    assert placement.inliers >= 0.8 * len(mirror)
    assert abs(placement.scale - 1) < 0.01 and abs(placement.angle) < 0.01


@pytest.mark.parametrize(
    ("name", "keep", "x", "y"),
    [
        ("painted-hills.png", 0.5, 0.5, 0.5),
        ("cartoon-halloween-outro.png", 0.5, 0.5, 0.5),
        ("cel-portrait-alpha.png", 0.8, 0.27, 0.81),
        ("painted-mountains.png", 0.8, 0.9, 0.1),
    ],
)
def test_crops_find_the_original_and_where_they_come_from(
    index: FingerprintIndex,
    corpus: dict[str, np.ndarray],
    name: str,
    keep: float,
    x: float,
    y: float,
) -> None:
    matches = index.search(_crop(corpus[name], keep, x, y))
    assert matches[0].work_id == name
    assert matches[0].is_match
    assert matches[0].method == "local"
    assert matches[0].region is not None
    expected = ((1 - keep) * x, (1 - keep) * y, (1 - keep) * x + keep, (1 - keep) * y + keep)
    np.testing.assert_allclose(matches[0].region, expected, atol=0.03)


def test_search_finds_copies_and_declares_no_unrelated_image(
    index: FingerprintIndex, corpus: dict[str, np.ndarray]
) -> None:
    copies = {
        "painted-mountains.png": _jpeg(corpus["painted-mountains.png"], 50),
        "cartoon-snowmountains.png": _scale(corpus["cartoon-snowmountains.png"], 0.6),
        "cel-spookytree-alpha.png": flatten(corpus["cel-spookytree-alpha.png"])[:, ::-1],
        "flat-futureprototype.png": _jpeg(corpus["flat-futureprototype.png"], 75),
    }
    for name, copy in copies.items():
        best = index.search(copy)[0]
        assert (best.work_id, best.is_match) == (name, True)
        assert 0.5 < best.similarity <= 1.0
    unrelated = index.search(corpus["flat-moonlight.png"])
    assert not any(m.is_match for m in unrelated)
    noise = np.random.default_rng(3).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    assert not any(m.is_match for m in index.search(noise))


def test_index_add_remove_and_bytes(corpus: dict[str, np.ndarray]) -> None:
    index = FingerprintIndex()
    fingerprint = compute(corpus[PAINTED])
    index.add("bridge", fingerprint.to_bytes())
    index.add(
        "bridge", fingerprint
    )  # the same fingerprint again is neither a second work nor frame
    assert len(index) == 1 and "bridge" in index
    assert index.search(_jpeg(corpus[PAINTED], 80), limit=1)[0].work_id == "bridge"
    index.remove("bridge")
    assert len(index) == 0
    assert index.search(corpus[PAINTED]) == []
    with pytest.raises(KeyError):
        index.remove("bridge")


def _synthetic(rng: np.random.Generator) -> Fingerprint:
    n = 256
    features = local.Features(
        x=rng.uniform(0, 639, n).astype(np.float32),
        y=rng.uniform(0, 479, n).astype(np.float32),
        level=rng.integers(0, 7, n).astype(np.uint8),
        angle=rng.uniform(-np.pi, np.pi, n).astype(np.float32),
        descriptor=rng.integers(0, 2**64, n, dtype=np.uint64),
        width=640,
        height=480,
    )
    return Fingerprint(640, 480, tuple(rng.bytes(32) for _ in range(8)), 90, features)


def test_search_among_thousands_of_works(corpus: dict[str, np.ndarray]) -> None:
    rng = np.random.default_rng(11)
    index = FingerprintIndex()
    for i in range(3000):
        index.add(f"synthetic-{i}", _synthetic(rng))
    index.add("hills", compute(corpus["painted-hills.png"]))
    query = compute(_crop(corpus["painted-hills.png"], 0.7, 0.2, 0.6), features=QUERY_FEATURES)
    matches = index.search(query, limit=3)
    assert matches[0].work_id == "hills" and matches[0].is_match
    assert not any(m.is_match for m in matches[1:])


def test_a_work_is_found_through_any_of_its_frames_and_reported_once() -> None:
    frames = [_load(f"frames/ghosttree-0{i}.png") for i in (0, 1)]
    index = FingerprintIndex()
    for frame in frames:
        index.add("ghost", compute(frame))
    index.add("hills", compute(_load("painted-hills.png")))
    assert len(index) == 2
    for frame in frames:
        matches = index.search(_crop(frame, 0.8, 0.3, 0.6))
        assert matches[0].work_id == "ghost" and matches[0].is_match
        assert [m.work_id for m in matches].count("ghost") == 1
    index.remove("ghost")
    assert "ghost" not in index
    assert not any(m.work_id == "ghost" for m in index.search(frames[1]))


def _sign(symbol: str) -> np.ndarray:
    """A warning sign: the same painted backdrop and triangle, one of two symbols inside."""
    backdrop = Image.fromarray(flatten(_load("painted-hills.png"))).resize((640, 480))
    draw = ImageDraw.Draw(backdrop)
    draw.polygon([(320, 60), (560, 440), (80, 440)], fill=(250, 210, 40), outline=(0, 0, 0))
    draw.line([(320, 60), (560, 440), (80, 440), (320, 60)], fill=(0, 0, 0), width=14)
    if symbol == "skull":
        draw.ellipse((270, 220, 370, 320), fill=(0, 0, 0))
        draw.ellipse((290, 250, 310, 270), fill=(250, 210, 40))
        draw.ellipse((330, 250, 350, 270), fill=(250, 210, 40))
        draw.line([(250, 380), (390, 330)], fill=(0, 0, 0), width=14)
        draw.line([(250, 330), (390, 380)], fill=(0, 0, 0), width=14)
    else:
        draw.polygon([(300, 190), (360, 190), (330, 300)], fill=(0, 0, 0))
        draw.ellipse((305, 330, 355, 380), fill=(0, 0, 0))
    return np.asarray(backdrop)


def _sticker(pixels: np.ndarray) -> np.ndarray:
    """An opaque striped sticker pasted over a quarter of the picture."""
    height, width = pixels.shape[:2]
    out = pixels.copy()
    y0, x0, h, w = height // 3, width // 2, height // 2, width // 2
    stripes = ((np.add.outer(np.arange(h), np.arange(w)) // 12) % 2).astype(bool)
    patch = np.where(stripes[..., None], (200, 40, 60), (240, 200, 40)).astype(np.uint8)
    patch[:5], patch[-5:], patch[:, :5], patch[:, -5:] = 20, 20, 20, 20
    out[y0 : y0 + h, x0 : x0 + w] = patch
    return out


def test_another_symbol_in_the_same_template_is_not_the_work() -> None:
    """Features agree on the shared frame; the structure check sees the other symbol."""
    index = FingerprintIndex()
    index.add("skull", compute(_sign("skull")))
    copy = index.search(_jpeg(_sign("skull"), 75))[0]
    assert (copy.work_id, copy.is_match) == ("skull", True)
    other = index.search(_sign("exclamation"))
    assert other and not any(m.is_match for m in other)
    found = compute_query(_sign("exclamation"))
    assert geometry.place(found.features, compute(_sign("skull")).features) is not None


def test_a_sticker_over_the_work_still_finds_it(corpus: dict[str, np.ndarray]) -> None:
    index = FingerprintIndex()
    for name in ("painted-hills.png", "painted-bridge.png"):
        index.add(name, compute(corpus[name]))
    for name in ("painted-hills.png", "painted-bridge.png"):
        best = index.search(_sticker(flatten(corpus[name])))[0]
        assert (best.work_id, best.is_match) == (name, True)


def _shades(seed: int, size: tuple[int, int] = (960, 540)) -> np.ndarray:
    """Smooth blobs in two close shades of blue: no corners anywhere."""
    rng = np.random.default_rng(seed)
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    field = np.zeros((height, width))
    for _ in range(6):
        cx, cy, radius = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(80, 220)
        field += np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2))
    inside = field > np.median(field)
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = (30, 42, 68)
    pixels[inside] = (42, 53, 80)
    return pixels


def test_a_crop_too_plain_for_features_is_placed_by_its_structure(
    index: FingerprintIndex, corpus: dict[str, np.ndarray]
) -> None:
    """Smooth curves in two close shades: no corners, PDQ too plain, yet the crop is found."""
    name = "flat-futureprototype.png"
    crop = _crop(corpus[name], 0.5, 0.5, 0.5)
    assert len(compute_query(crop).features) < index_module.PLAIN_FEATURES
    for copy in (crop, _jpeg(crop, 75)):
        best = index.search(copy)[0]
        assert (best.work_id, best.is_match, best.method) == (name, True, "structure")
        assert best.region is not None
        np.testing.assert_allclose(best.region, (0.25, 0.25, 0.75, 0.75), atol=0.02)


def test_structure_alone_places_a_crop_and_refuses_an_edge_that_fits_anywhere() -> None:
    work = _shades(5)
    fingerprint = compute(work)
    frame = (fingerprint.features.width, fingerprint.features.height)
    crop = work[100:400, 200:740]
    query = compute_query(crop)
    located = structure.locate(
        fingerprint.structure,
        frame,
        query.structure,
        (query.features.width, query.features.height),
    )
    assert located is not None and located.score > 0.8
    assert located.rival < index_module.UNIQUE * located.score
    # The crop's top-left frame pixel lands where it was cut from (frames are 640 wide).
    corner = np.linalg.solve(located.affine[:, :2], -located.affine[:, 2])
    np.testing.assert_allclose(corner, np.array([200, 100]) * 640 / 960, atol=4)

    assert structure.spread(query.structure) >= index_module.PLAIN_SPREAD
    # A small sign alone on a blank page fits the blank stretches of many pages.
    page = np.full((1100, 800, 3), 255, np.uint8)
    page[40:110, 30:190] = (250, 220, 0)
    page[70:80, 60:160] = 0
    assert structure.spread(compute_query(page).structure) < index_module.PLAIN_SPREAD

    # One straight boundary between two shades lines up along its whole length.
    edge = np.full((270, 480, 3), 30, np.uint8)
    edge[135:] = 45
    straight = np.full((540, 960, 3), 30, np.uint8)
    straight[300:] = 45
    straight[40:120, 60:200] = 80  # something else in the work, away from the edge
    on = compute(straight)
    query = compute_query(edge)
    located = structure.locate(
        on.structure,
        (on.features.width, on.features.height),
        query.structure,
        (query.features.width, query.features.height),
    )
    assert located is not None and located.rival > index_module.UNIQUE * located.score
    plain = FingerprintIndex()
    plain.add("straight", on)
    assert not any(m.is_match for m in plain.search(edge))


def test_plain_crops_of_unrelated_work_are_not_placed_on_registered_work(
    index: FingerprintIndex,
) -> None:
    """Another picture in the same two shades, cropped: its curves are not the work's."""
    for seed in range(3):
        crop = _crop(_shades(seed), 0.5, 0.5, 0.5)
        assert len(compute_query(crop).features) < index_module.PLAIN_FEATURES
        assert not any(m.is_match for m in index.search(crop))


def test_a_query_fingerprint_is_kept_for_the_same_pixels_and_cannot_be_changed() -> None:
    pixels = np.asarray(Image.open(DATA / "flat-moonlight.png").convert("RGB"))
    first = compute_query(pixels)
    assert compute_query(pixels.copy()) is first  # the same pixels, not the same array
    assert compute_query(pixels[:, ::-1]) is not first
    with pytest.raises(ValueError):
        first.features.x[0] = 0
    assert compute_query(pixels).to_bytes() == compute(
        pixels, features=QUERY_FEATURES, detail=structure.QUERY_SIDE
    ).to_bytes()
