"""Clips: videos, animated GIF/APNG/WebP and folders of numbered frames.

Public API::

    from artistshield import animation
    animation.is_animation(path)                  # a clip rather than a still?
    marked = animation.mark_clip(path, out_dir, key=key, payload=p)
    found = animation.detect_clip(path, key)      # ClipDetection, evidence pooled
    clip = animation.read_key_frames(path)        # frame count, first frame, key frames

How each kind is read and written is told in :mod:`.frames` (animated
images), :mod:`.sequence` (frame folders) and :mod:`.video` (PyAV); marking
in :mod:`.mark`, the key frames the registry fingerprints in :mod:`.keyframes`,
and pooled detection in :mod:`.detect` and :mod:`artistshield.watermark.pooled`.
"""

from artistshield.animation.detect import ClipDetection, detect_clip, is_animation
from artistshield.animation.keyframes import ClipFrames, KeyFrame, pictures_of, read_key_frames
from artistshield.animation.mark import ClipMarked, mark_clip
from artistshield.animation.video import Cancelled

__all__ = [
    "Cancelled",
    "ClipDetection",
    "ClipFrames",
    "ClipMarked",
    "KeyFrame",
    "detect_clip",
    "is_animation",
    "mark_clip",
    "pictures_of",
    "read_key_frames",
]
