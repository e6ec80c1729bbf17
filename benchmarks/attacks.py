"""What platforms and thieves do to published art, as plain deterministic functions.

Every attack takes an HxWx3 uint8 RGB array and returns a new HxWx3 uint8 RGB
array (greyscale comes back with three equal channels so pipelines stay
uniform).  Nothing depends on global state: the only randomness, the noise,
comes from a fixed seed, so a benchmark run is reproducible bit for bit with
the same Pillow, numpy and scipy.

``ATTACKS`` lists them in the order of the engine issue; the watermark and the
fingerprint benchmarks both import it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageEnhance, ImageFilter

Pixels = NDArray[np.uint8]
Attack = Callable[[Pixels], Pixels]

NOISE_SEED = 20240508


def _image(pixels: Pixels) -> Image.Image:
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(
            f"Attacks take HxWx3 uint8 RGB arrays, not {pixels.dtype} {pixels.shape}."
        )
    return Image.fromarray(pixels, "RGB")


def _pixels(image: Image.Image) -> Pixels:
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


# -- building blocks --------------------------------------------------------------


def jpeg(pixels: Pixels, quality: int) -> Pixels:
    """Encode as baseline JPEG (Pillow's default 4:2:0 chroma) and decode again."""
    buffer = io.BytesIO()
    _image(pixels).save(buffer, "JPEG", quality=quality)
    return _pixels(Image.open(buffer))


def webp(pixels: Pixels, quality: int) -> Pixels:
    """Encode as lossy WebP and decode again."""
    buffer = io.BytesIO()
    _image(pixels).save(buffer, "WEBP", quality=quality, method=4)
    return _pixels(Image.open(buffer))


def resize(pixels: Pixels, width: int, height: int) -> Pixels:
    """Resample to an exact size with Lanczos (what most editors and sites use)."""
    return _pixels(
        _image(pixels).resize((max(1, width), max(1, height)), Image.Resampling.LANCZOS)
    )


def scale(pixels: Pixels, factor: float) -> Pixels:
    """Rescale both sides by ``factor``."""
    height, width = pixels.shape[:2]
    return resize(pixels, round(width * factor), round(height * factor))


def crop(pixels: Pixels, keep: float, *, at: tuple[float, float] = (0.5, 0.5)) -> Pixels:
    """Keep ``keep`` of each side; ``at`` places the window (0 = left/top, 1 = right/bottom)."""
    height, width = pixels.shape[:2]
    w, h = max(1, round(width * keep)), max(1, round(height * keep))
    x0, y0 = round((width - w) * at[0]), round((height - h) * at[1])
    return pixels[y0 : y0 + h, x0 : x0 + w].copy()


def largest_inner_rectangle(width: int, height: int, degrees: float) -> tuple[float, float]:
    """Width and height of the largest axis-aligned rectangle inside a rotated one.

    The rectangle ``width`` x ``height`` turned by ``degrees`` about its centre
    leaves filled corners in its bounding box; this is the biggest upright
    rectangle, centred, that holds none of them.
    """
    angle = math.radians(degrees)
    sin_a, cos_a = abs(math.sin(angle)), abs(math.cos(angle))
    long_side, short_side = max(width, height), min(width, height)
    if short_side <= 2 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        # Thin case: two opposite corners of the inner rectangle touch the
        # long sides of the rotated one.
        half = 0.5 * short_side
        if width >= height:
            return half / sin_a, half / cos_a
        return half / cos_a, half / sin_a
    cos_2a = cos_a * cos_a - sin_a * sin_a
    return (width * cos_a - height * sin_a) / cos_2a, (height * cos_a - width * sin_a) / cos_2a


def rotate(pixels: Pixels, degrees: float) -> Pixels:
    """Rotate about the centre (bicubic, no expansion) and crop away the filled corners."""
    height, width = pixels.shape[:2]
    turned = _image(pixels).rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False)
    inner_w, inner_h = largest_inner_rectangle(width, height, degrees)
    # One pixel of margin: the interpolation smears the fill colour inwards.
    w, h = math.floor(inner_w) - 2, math.floor(inner_h) - 2
    x0, y0 = (width - w) // 2, (height - h) // 2
    return _pixels(turned)[y0 : y0 + h, x0 : x0 + w].copy()


def gamma(pixels: Pixels, exponent: float) -> Pixels:
    """Apply ``out = 255 * (in / 255) ** exponent`` (below 1 brightens the mid-tones)."""
    table = np.round(255.0 * (np.arange(256) / 255.0) ** exponent).astype(np.uint8)
    return table[pixels]


def gaussian_noise(pixels: Pixels, sigma: float, *, seed: int = NOISE_SEED) -> Pixels:
    """Add white Gaussian noise of standard deviation ``sigma`` (in 0-255 units)."""
    rng = np.random.default_rng(seed)
    noisy = pixels.astype(np.float64) + rng.normal(0.0, sigma, size=pixels.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def sticker(pixels: Pixels, area: float) -> Pixels:
    """Paste an opaque, patterned sticker covering ``area`` of the picture, right of centre."""
    height, width = pixels.shape[:2]
    side = math.sqrt(area)
    w, h = round(width * side), round(height * side)
    x0, y0 = round((width - w) * 0.85), round((height - h) * 0.6)
    yy, xx = np.mgrid[0:h, 0:w]
    # A flat colour with bold stripes and a border, like a logo or an emoji.
    patch = np.empty((h, w, 3), np.uint8)
    patch[:] = (240, 200, 40)
    patch[((xx + yy) // max(4, min(w, h) // 8)) % 2 == 0] = (200, 40, 60)
    border = max(2, min(w, h) // 25)
    patch[:border], patch[-border:], patch[:, :border], patch[:, -border:] = 20, 20, 20, 20
    out = pixels.copy()
    out[y0 : y0 + h, x0 : x0 + w] = patch
    return out


def fit_longest(pixels: Pixels, longest: int) -> Pixels:
    """Shrink so the longest side is at most ``longest``; never enlarge."""
    height, width = pixels.shape[:2]
    factor = longest / max(height, width)
    return pixels if factor >= 1 else scale(pixels, factor)


def fit_width(pixels: Pixels, width: int) -> Pixels:
    """Resample to exactly ``width`` pixels wide, keeping the aspect ratio."""
    height, old_width = pixels.shape[:2]
    return resize(pixels, width, round(height * width / old_width))


# -- the attacks of the benchmark -----------------------------------------------------


def flip(pixels: Pixels) -> Pixels:
    """Mirror left to right."""
    return pixels[:, ::-1].copy()


def brightness(pixels: Pixels, factor: float) -> Pixels:
    """Pillow's brightness enhancer: every channel times ``factor``, clipped."""
    return _pixels(ImageEnhance.Brightness(_image(pixels)).enhance(factor))


def contrast(pixels: Pixels, factor: float) -> Pixels:
    """Pillow's contrast enhancer: blend towards the mean grey."""
    return _pixels(ImageEnhance.Contrast(_image(pixels)).enhance(factor))


def greyscale(pixels: Pixels) -> Pixels:
    """Rec. 601 luma, repeated in the three channels."""
    grey = np.asarray(_image(pixels).convert("L"))
    return np.repeat(grey[:, :, None], 3, axis=2)


def blur(pixels: Pixels, radius: float) -> Pixels:
    """Gaussian blur of the given radius (Pillow's, which takes it as sigma)."""
    return _pixels(_image(pixels).filter(ImageFilter.GaussianBlur(radius)))


def median(pixels: Pixels, size: int) -> Pixels:
    """Median filter over ``size`` x ``size`` neighbourhoods, per channel."""
    return _pixels(_image(pixels).filter(ImageFilter.MedianFilter(size)))


def x_upload(pixels: Pixels) -> Pixels:
    """What X does to an upload: longest side at most 4096, JPEG quality 85."""
    return jpeg(fit_longest(pixels, 4096), 85)


def instagram(pixels: Pixels) -> Pixels:
    """What Instagram does to a feed post: 1080 pixels wide, JPEG quality 78."""
    return jpeg(fit_width(pixels, 1080), 78)


def screenshot(pixels: Pixels) -> Pixels:
    """A screenshot of the work on screen: scaled by 0.8, gamma 0.95, 90% kept, off centre."""
    return crop(gamma(scale(pixels, 0.8), 0.95), 0.9, at=(0.3, 0.7))


def crop_scale_jpeg(pixels: Pixels) -> Pixels:
    """Crop to 80% of each side off centre, scale by 0.7, then JPEG 70."""
    return jpeg(scale(crop(pixels, 0.8, at=(0.7, 0.25)), 0.7), 70)


def crop_odd_offset(pixels: Pixels) -> Pixels:
    """Keep 80% of each side, starting at odd pixel offsets away from the centre."""
    height, width = pixels.shape[:2]
    w, h = round(width * 0.8), round(height * 0.8)
    x0, y0 = round((width - w) * 0.27) | 1, round((height - h) * 0.81) | 1
    return pixels[y0 : y0 + h, x0 : x0 + w].copy()


def regeneration_stand_in(pixels: Pixels) -> Pixels:
    """A crude stand-in for AI regeneration: a quarter of each side and back, then JPEG 60."""
    height, width = pixels.shape[:2]
    small = resize(pixels, max(1, width // 4), max(1, height // 4))
    return jpeg(resize(small, width, height), 60)


ATTACKS: dict[str, Attack] = {
    "jpeg90": lambda p: jpeg(p, 90),
    "jpeg75": lambda p: jpeg(p, 75),
    "jpeg50": lambda p: jpeg(p, 50),
    "webp75": lambda p: webp(p, 75),
    "scale0.5": lambda p: scale(p, 0.5),
    "scale0.75": lambda p: scale(p, 0.75),
    "scale1.5": lambda p: scale(p, 1.5),
    "crop75": lambda p: crop(p, 0.75),
    "crop50": lambda p: crop(p, 0.5),
    "crop80_offset": crop_odd_offset,
    "rot2": lambda p: rotate(p, 2),
    "rot5": lambda p: rotate(p, 5),
    "flip": flip,
    "bright1.3": lambda p: brightness(p, 1.3),
    "contrast0.7": lambda p: contrast(p, 0.7),
    "gamma0.8": lambda p: gamma(p, 0.8),
    "grey": greyscale,
    "noise8": lambda p: gaussian_noise(p, 8),
    "blur1.5": lambda p: blur(p, 1.5),
    "median3": lambda p: median(p, 3),
    "sticker25": lambda p: sticker(p, 0.25),
    "x_upload": x_upload,
    "instagram": instagram,
    "screenshot": screenshot,
    "crop80_scale0.7_jpeg70": crop_scale_jpeg,
    "jpeg30": lambda p: jpeg(p, 30),
    "rot15": lambda p: rotate(p, 15),
    "regen_stand_in": regeneration_stand_in,
}
"""Every attack by name, in the order of the engine issue."""

CONTENT_CHECKED = {"crop50"}
"""Attacks that can leave one flat colour of a picture (a crop of its sky):
a benchmark counts them only over the pictures where the same attack on the
unmarked picture still holds something to mark, and lists the rest apart."""

STRICT_TARGET_EXCEPTIONS = {"jpeg30": 0.80, "rot15": 0.80, "regen_stand_in": None}
"""Attacks with a looser target than 95% (None: report only).  For the
watermark, JPEG 30 and rotation by 15 degrees need 80%; for fingerprints only
the rotation does, so each benchmark applies its own table."""
