"""Pictures for the screen: numpy pixels to QImage, thumbnails, the mark heat map.

Everything here is safe to call from a worker thread (QImage, unlike QPixmap,
may be made off the UI thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageReader

if TYPE_CHECKING:
    import numpy as np


def to_qimage(pixels: np.ndarray) -> QImage:
    """A deep copy of an HxWx3 or HxWx4 uint8 array as a QImage."""
    import numpy as np

    pixels = np.ascontiguousarray(pixels)
    h, w, channels = pixels.shape
    fmt = QImage.Format.Format_RGBA8888 if channels == 4 else QImage.Format.Format_RGB888
    return QImage(pixels.data, w, h, w * channels, fmt).copy()


def thumbnail(path: str, side: int = 96) -> QImage:
    """The image at *path* scaled to fit *side*; a null QImage if Qt cannot read it."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        size.scale(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(size)
    return reader.read()


def fit(pixels: np.ndarray, side: int) -> np.ndarray:
    """*pixels* shrunk (never enlarged) to fit a *side* x *side* square."""
    from PIL import Image

    h, w = pixels.shape[:2]
    if max(h, w) <= side:
        return pixels
    import numpy as np

    image = Image.fromarray(pixels)
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(image)


def fit_frame(pixels: np.ndarray, side: int) -> QImage:
    """A clip frame as a QImage shrunk (never enlarged) to fit *side*, for frames shown in turn.

    Box reduction then bilinear takes half the time of :func:`fit`'s Lanczos on a
    1080p frame, and Pillow lets go of the GIL meanwhile (Qt's own scaling does
    not, and the window stutters while it runs).
    """
    import numpy as np
    from PIL import Image

    h, w = pixels.shape[:2]
    if max(h, w) <= side:
        return to_qimage(pixels)
    image = Image.fromarray(pixels)
    image.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return to_qimage(np.asarray(image))


def heat_map(pixels: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Show where the mark went: |delta| in hot colours over a dimmed grey picture.

    The change is amplified to fill the colour range, so the brightest spots
    are where the mark is strongest, not where it is visible.
    """
    import numpy as np

    grey = pixels[..., :3].astype(np.float32).mean(axis=2) * 0.35
    strength = np.abs(delta)
    top = float(np.percentile(strength, 99.5)) or 1.0
    t = np.clip(strength / top, 0.0, 1.0)
    # A black-red-yellow-white ramp ("hot"), readable by most colour-blind viewers.
    heat = np.stack(
        [np.clip(3 * t, 0, 1), np.clip(3 * t - 1, 0, 1), np.clip(3 * t - 2, 0, 1)], axis=2
    ) * 255.0
    alpha = np.clip(t * 1.5, 0, 1)[..., None]
    out = grey[..., None] * (1 - alpha) + heat * alpha
    return np.clip(out, 0, 255).astype(np.uint8)
