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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from artistshield.animation.clip import Clip, frames_in_words, is_clip, open_clip
    from artistshield.animation.detect import ClipDetection, detect_clip
    from artistshield.animation.keyframes import (
        ClipKeyFrames,
        KeyFrame,
        fingerprinted,
        pictures_of,
        read_key_frames,
    )
    from artistshield.animation.mark import ClipMarked, mark_clip
    from artistshield.animation.video import Cancelled

# Loaded on first use: importing one submodule (the app's clip player needs
# only .clip) must not pull the watermark engine and SciPy in with it.
_WHERE = {
    "Clip": "clip", "frames_in_words": "clip", "is_clip": "clip", "open_clip": "clip",
    "ClipDetection": "detect", "detect_clip": "detect",
    "ClipKeyFrames": "keyframes", "KeyFrame": "keyframes", "pictures_of": "keyframes",
    "fingerprinted": "keyframes",
    "read_key_frames": "keyframes",
    "ClipMarked": "mark", "mark_clip": "mark",
    "Cancelled": "video",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Cancelled",
    "Clip",
    "ClipDetection",
    "ClipKeyFrames",
    "ClipMarked",
    "KeyFrame",
    "detect_clip",
    "fingerprinted",
    "frames_in_words",
    "is_clip",
    "mark_clip",
    "open_clip",
    "pictures_of",
    "read_key_frames",
]
