"""The keyed, invisible watermark: embed a payload, detect it again.

Public API::

    from artistshield import watermark
    watermark.PAYLOAD_BITS                  # 48
    marked = watermark.embed(pixels, key, payload, strength=1.0)
    found = watermark.detect(pixels, key)   # Detection(.found, .payload, .p_value, ...)
    why = watermark.fragile(pixels)         # None, or why the mark may not outlast a re-save
    each = watermark.detect_each(pixels, [key, other_key])  # one Detection per key

``pixels`` is an HxWx3 (RGB) or HxWx4 (RGBA) uint8 array, ``key`` 32 secret
bytes, ``payload`` an int below ``2**PAYLOAD_BITS``.  How it works is told in
the modules: :mod:`.pattern` (the tile), :mod:`.mask` (where it hides),
:mod:`.sync` (undoing scale, rotation and crops), :mod:`.coding` (payload
coding) and :mod:`.detect` (the statistics behind the p-value).
"""

from artistshield.watermark.detect import THRESHOLD, Detection, detect, detect_each
from artistshield.watermark.embed import embed, embed_noting, fragile, mark_delta
from artistshield.watermark.pattern import FORMAT_VERSION, PAYLOAD_BITS

__all__ = [
    "FORMAT_VERSION",
    "PAYLOAD_BITS",
    "THRESHOLD",
    "Detection",
    "detect",
    "detect_each",
    "embed",
    "embed_noting",
    "fragile",
    "mark_delta",
]
