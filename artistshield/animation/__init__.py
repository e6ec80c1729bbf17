"""Clips: videos, animated GIF/APNG/WebP and folders of numbered frames.

Public API::

    from artistshield import animation
    animation.is_clip(path)                       # a clip rather than a still?
    with animation.open_clip(path) as clip: ...   # frame count, rate, size, frames
    marked = animation.mark_clip(path, out_dir, key=key, payload=p)
    found = animation.detect_clip(path, key)      # ClipDetection, evidence pooled
    clip = animation.read_key_frames(path)        # frame count, first frame, key frames

:mod:`.clip` is the one clip reader and the one rule for what a clip is;
:mod:`.inputs` opens the folders of a batch.  How each kind is read and
written is told in :mod:`.frames` (animated images), :mod:`.sequence`
(frame folders) and :mod:`.video` (PyAV); marking
in :mod:`.mark`, the key frames the registry fingerprints in :mod:`.keyframes`,
and pooled detection in :mod:`.detect` and :mod:`artistshield.watermark.pooled`.
"""

from artistshield.animation.clip import Clip, frames_in_words, is_clip, open_clip
from artistshield.animation.detect import ClipDetection, detect_clip
from artistshield.animation.keyframes import ClipKeyFrames, KeyFrame, pictures_of, read_key_frames
from artistshield.animation.mark import ClipMarked, mark_clip
from artistshield.animation.video import Cancelled

__all__ = [
    "Cancelled",
    "Clip",
    "ClipDetection",
    "ClipKeyFrames",
    "ClipMarked",
    "KeyFrame",
    "detect_clip",
    "frames_in_words",
    "is_clip",
    "mark_clip",
    "open_clip",
    "pictures_of",
    "read_key_frames",
]
