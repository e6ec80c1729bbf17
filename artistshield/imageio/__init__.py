"""Load and save the still images an artist publishes, without losing anything.

This module owns the boundary between files and the pixel arrays the watermark
engine works on.  It reads PNG, JPEG, WebP, TIFF and BMP at their native bit
depth (16-bit colour PNG and TIFF included, which Pillow alone would cut to 8
bits), turns grey and palette images into RGB/RGBA, applies the EXIF
orientation, and keeps the alpha channel, ICC profile, EXIF and XMP so that
:func:`save` can write the same kind of file back.  Only the first frame of an
animated or multi-page file is read.

Palette images are written back as truecolour: re-quantising to 256 colours
would snap every marked pixel back to the nearest palette entry and erase an
invisible watermark.  Every failure a file can cause is raised as an
:class:`~artistshield.errors.ImageError` whose message names the file.
"""

from artistshield.imageio.artwork import SUPPORTED_SUFFIXES, Artwork, is_supported
from artistshield.imageio.load import load
from artistshield.imageio.save import encode, output_path, save

__all__ = [
    "SUPPORTED_SUFFIXES", "Artwork", "encode", "is_supported", "load", "output_path", "save"
]
