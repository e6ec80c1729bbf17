"""Platform presets: what X, Instagram, ArtStation and Pixiv do to an upload.

The *survival test* puts a marked image through a platform's resize and JPEG
recompression in memory and checks that the mark still reads.  The numbers
are approximations of each platform's public behaviour as widely reported by
artists; the platforms change them without notice and never publish their
encoders, so treat a pass as "very likely survives", not a guarantee.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Platform:
    """How one platform re-encodes an upload."""

    name: str
    longest_side: int | None = None  # fit inside a square of this side
    width: int | None = None  # or scale to exactly this width
    jpeg_quality: int = 85
    upscale: bool = False  # Instagram scales small uploads up to its width

    def describe(self) -> str:
        if self.width is not None:
            size = f"scaled to {self.width} px wide"
        else:
            size = f"fitted in {self.longest_side} px"
        return f"{size}, JPEG quality {self.jpeg_quality}"

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """Return *pixels* (HxWx3/4 uint8) as the platform would serve them."""
        image = Image.fromarray(pixels)
        if image.mode == "RGBA":  # platforms flatten transparency onto white
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        w, h = image.size
        if self.width is not None and (w > self.width or self.upscale):
            scale = self.width / w
        elif self.longest_side is not None and max(w, h) > self.longest_side:
            scale = self.longest_side / max(w, h)
        else:
            scale = 1.0
        if scale != 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=self.jpeg_quality, subsampling=2)
        buffer.seek(0)
        with Image.open(buffer) as served:
            return np.asarray(served.convert("RGB"))


#: The presets, by the name shown to the user.  Approximate, see the module docstring.
PRESETS: dict[str, Platform] = {
    "X": Platform("X", longest_side=4096, jpeg_quality=85),
    "Instagram": Platform("Instagram", width=1080, jpeg_quality=78, upscale=True),
    "ArtStation": Platform("ArtStation", longest_side=3840, jpeg_quality=90),
    "Pixiv": Platform("Pixiv", longest_side=1200, jpeg_quality=90),
}


def survives(
    image: str | os.PathLike[str] | np.ndarray, key: bytes, preset: str | Platform
) -> bool:
    """Return whether the mark made with *key* still reads after *preset*'s processing."""
    from artistshield import imageio, watermark

    platform = preset if isinstance(preset, Platform) else PRESETS.get(preset)
    if platform is None:
        raise ValueError(f"Unknown platform {preset!r}; choose one of {', '.join(PRESETS)}.")
    pixels = image if isinstance(image, np.ndarray) else imageio.load(image).rgb8()
    return bool(watermark.detect(platform.apply(pixels), key).found)
