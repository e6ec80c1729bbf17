"""Platform presets: what a platform does to an upload, and whether a mark survives it.

The *survival test* puts a marked picture, or frames sampled across a marked
clip, through a platform's resize and recompression in memory and checks that
the mark still reads, as a check of the served copy would.  When it does not,
it tries what could help (exporting at the size the platform shows, a higher
strength) on the original, and advises only what it saw work.

The numbers come from each platform's published upload guidance where there is
some, and otherwise from what artists widely report and from the sizes and
qualities in the platforms' own image addresses; each preset's comment says
which.  Platforms change them without notice and never publish their
encoders, so a pass means "very likely survives", not a guarantee.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

#: Strengths a failed test tries, above the one chosen (the app offers 0.5 to 2.0).
STRENGTHS = (1.5, 2.0)
#: Frames sampled across a clip for its test.
CLIP_FRAMES = 6


@dataclass(frozen=True)
class Platform:
    """How one platform re-encodes an upload: a still, and a video when it says so."""

    name: str
    longest_side: int | None = None  # fit inside a square of this side
    width: int | None = None  # or scale to exactly this width
    jpeg_quality: int = 85
    upscale: bool = False  # Instagram scales small uploads up to its width
    max_bytes: int | None = None  # re-saved at lower qualities until the file is this small
    video_p: int | None = None  # a video's shorter side is fitted to this ("1080p")
    video_crf: int = 26  # H.264 CRF that stands for the platform's stream quality

    def describe(self) -> str:
        if self.width is not None:
            size = f"scaled to {self.width} px wide"
        else:
            size = f"fitted in {self.longest_side} px"
        text = f"{size}, JPEG quality {self.jpeg_quality}"
        if self.max_bytes is not None:
            text += f" or lower to stay under {self.max_bytes / 1e6:g} MB"
        return text

    def describe_video(self) -> str:
        """What the platform does to a clip."""
        if self.video_p is None:
            return f"each frame {self.describe()}; its video processing is not modelled"
        return f"re-encoded as {self.video_p}p H.264, about CRF {self.video_crf}"

    def served_size(self, width: int, height: int, *, video: bool = False) -> tuple[int, int]:
        """The size a *width* x *height* upload is shown at (a clip's when *video*)."""
        if video and self.video_p is not None:
            scale = min(1.0, self.video_p / min(width, height))
            w, h = max(2, round(width * scale)), max(2, round(height * scale))
            return w - w % 2, h - h % 2  # H.264's 4:2:0 needs even sides
        if self.width is not None and (width > self.width or self.upscale):
            scale = self.width / width
        elif self.longest_side is not None and max(width, height) > self.longest_side:
            scale = self.longest_side / max(width, height)
        else:
            return width, height
        return max(1, round(width * scale)), max(1, round(height * scale))

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """Return *pixels* (HxWx3/4 uint8) as the platform would serve them as a still."""
        with Image.open(io.BytesIO(self.served_file(pixels))) as served:
            return np.asarray(served.convert("RGB"))

    def served_file(self, pixels: np.ndarray) -> bytes:
        """The JPEG file the platform would serve for *pixels* as a still."""
        image = _flattened(pixels)
        size = self.served_size(*image.size)
        if size != image.size:
            image = image.resize(size, Image.Resampling.LANCZOS)
        data = _jpeg(image, self.jpeg_quality)
        quality = self.jpeg_quality
        while self.max_bytes is not None and len(data) > self.max_bytes and quality > 30:
            quality -= 10  # as Bluesky's app does: lower the quality until the file fits
            data = _jpeg(image, quality)
        return data

    def apply_clip(self, frames: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Return frames sampled from a clip as the platform would serve them."""
        if self.video_p is None or not frames:
            return [self.apply(frame) for frame in frames]
        first = _flattened(frames[0])
        size = self.served_size(*first.size, video=True)
        resized = [np.asarray(_flattened(f).resize(size, Image.Resampling.LANCZOS)) for f in frames]
        return _h264(resized, self.video_crf)


#: The presets, by the name shown to the user.  Approximate, see the module docstring.
PRESETS: dict[str, Platform] = {
    # Stills as artists report them.  X serves an uploaded video as H.264
    # renditions up to 720p on most clients, Instagram a reel or feed video at
    # about 720 px wide at a low bit rate; both qualities are estimates.
    "X": Platform("X", longest_side=4096, jpeg_quality=85, video_p=720, video_crf=27),
    "Instagram": Platform(
        "Instagram", width=1080, jpeg_quality=78, upscale=True, video_p=720, video_crf=28
    ),
    # ArtStation shows a clip as a still or an embedded player of another site,
    # and Pixiv keeps an animation (ugoira) as a set of JPEG frames: for these
    # two, a clip goes through the still processing frame by frame.
    "ArtStation": Platform("ArtStation", longest_side=3840, jpeg_quality=90),
    "Pixiv": Platform("Pixiv", longest_side=1200, jpeg_quality=90),
    # YouTube: stills are thumbnails and posts, 1280x720 recommended
    # (support.google.com/youtube/answer/72431); the JPEG quality is an estimate.
    # Videos are re-encoded for every size; uploads are advised at 8 Mbps for 1080p
    # (support.google.com/youtube/answer/1722171).  The served 1080p H.264 stream is
    # not documented; CRF 26 approximates the 2.5-4 Mbps it is commonly measured at.
    "YouTube": Platform("YouTube", longest_side=1280, jpeg_quality=85, video_p=1080, video_crf=26),
    # TikTok: 1080x1920 is the documented upload size (TikTok's video ad
    # specifications, ads.tiktok.com/help/article/video-ads-specifications); the
    # web and most phones are served about 720p at a low bit rate, so CRF 28
    # (approximate).  Photo posts are shown 1080 px wide; the quality is an estimate.
    "TikTok": Platform("TikTok", width=1080, jpeg_quality=80, video_p=720, video_crf=28),
    # Bluesky: an image may be at most 1,000,000 bytes (maxSize in the
    # app.bsky.embed.images lexicon), and the official app fits images in 2000x2000
    # and lowers the JPEG quality until they fit (POST_IMG_MAX in
    # bluesky-social/social-app).  Videos are served as HLS up to 720p; that and
    # the video quality are estimates.
    "Bluesky": Platform(
        "Bluesky", longest_side=2000, jpeg_quality=90, max_bytes=1_000_000, video_p=720,
        video_crf=27,
    ),
    # Tumblr: the largest size it serves is 2048 px wide (its image addresses
    # name sizes up to s2048x3072); the quality is an estimate.  Videos are
    # served at up to 720p (approximate).
    "Tumblr": Platform("Tumblr", longest_side=2048, jpeg_quality=85, video_p=720, video_crf=27),
    # DeviantArt: viewers see a preview fitted in about 1280 px at JPEG quality 75
    # (the "q_75" in its image addresses); the original is only downloadable where
    # the artist allows it.  Videos: 1080p, quality an estimate.
    "DeviantArt": Platform(
        "DeviantArt", longest_side=1280, jpeg_quality=75, video_p=1080, video_crf=26
    ),
}


@dataclass(frozen=True)
class Trial:
    """One way of posting that was tried after the mark failed: the size and strength marked at."""

    size: tuple[int, int] | None  # the picture exported at this size first (None: as it is)
    strength: float
    survived: bool

    def describe(self) -> str:
        if self.size is None:
            return f"marking at full size at strength {self.strength:.1f}"
        return f"exporting at {_size(self.size)} and marking that at strength {self.strength:.1f}"


@dataclass(frozen=True)
class Survival:
    """How a marked picture or clip fared on a platform, and what was seen to help."""

    platform: str
    survived: bool
    size: tuple[int, int]  # the marked copy's width and height
    served: tuple[int, int]  # the size the platform shows it at
    processing: str  # what the platform does, in words
    frames: tuple[int, ...] = ()  # for a clip: the frames tested (from 0)
    frames_read: int = 0  # ...and in how many of them alone the mark read
    tried: tuple[Trial, ...] = field(default=())
    strength: float = 1.0  # the strength the copy was marked at
    recognised: bool | None = None  # when nothing helped: the served copy's fingerprint matches
    how_tried: str = ""  # for a clip: how the ways were tried, in words

    @property
    def resized(self) -> bool:
        return self.served != self.size

    @property
    def fix(self) -> Trial | None:
        """The first thing tried that made the mark survive."""
        return next((t for t in self.tried if t.survived), None)

    def summary(self) -> str:
        """One or two short lines for a table cell: "Pass (X)"."""
        text = f"{'Pass' if self.survived else 'Fail'} ({self.platform})"
        if self.survived:
            return text
        fix = self.fix
        if fix is None:
            return text + ("\nnothing tried survives" if self.tried else "")
        if fix.size is not None:
            return text + f"\nexport at {_size(fix.size)}"
        return text + f"\nstrength {fix.strength:.1f} survives"

    def explanation(self) -> str:
        """What happened and what to do, in full sentences (only what was seen to work)."""
        thing = "clip" if self.frames else "picture"
        text = (
            f"{self.platform} shows this {thing} at {_size(self.served)} instead of "
            f"{_size(self.size)} and recompresses it ({self.processing})"
            if self.resized
            else f"{self.platform} keeps this {thing}'s size and recompresses it ({self.processing})"
        )
        text += (
            ". The mark still reads after that." if self.survived
            else ". After that the mark cannot be read."
        )
        if self.frames:
            text += (
                f" Tested on {len(self.frames)} frames across the clip "
                f"({', '.join(str(f + 1) for f in self.frames)}), as a check reads a clip: "
                f"the mark reads in {self.frames_read} of them alone"
                + (", and in all of them together." if self.survived else ".")
            )
        if self.survived:
            return text
        fix = self.fix
        failed = [t.describe() for t in self.tried if not t.survived]
        if fix is not None:
            if failed:
                text += f" Tried without success: {'; '.join(failed)}."
            text += f" Tried and seen to work: {fix.describe()}; the mark then survives."
            if fix.size is not None:
                text += (
                    f" So export the {thing} at {_size(fix.size)} (the size {self.platform} "
                    f"shows it at) and mark that copy"
                    + (f" at strength {fix.strength:.1f}." if fix.strength != self.strength else ".")
                )
            else:
                text += f" So mark it at strength {fix.strength:.1f}."
        elif failed:
            text += f" Nothing tried made it survive: {'; '.join(failed)}."
        if self.tried and self.how_tried:
            text += f" {self.how_tried}"
        if self.recognised:
            text += (
                f" The copy {self.platform} serves is still recognised by its registered "
                "fingerprint (tested), so a check finds it through the registry."
            )
        return text


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}\N{MULTIPLICATION SIGN}{size[1]} px"


def platform(preset: str | Platform) -> Platform:
    """The preset named *preset* (or *preset* itself); a sentence naming the choices if none."""
    if isinstance(preset, Platform):
        return preset
    found = PRESETS.get(preset)
    if found is None:
        raise ValueError(f"Unknown platform {preset!r}; choose one of {', '.join(PRESETS)}.")
    return found


def survives(
    image: str | os.PathLike[str] | np.ndarray, key: bytes, preset: str | Platform
) -> bool:
    """Return whether the mark made with *key* still reads after *preset*'s processing."""
    from artistshield import imageio, watermark

    chosen = platform(preset)
    pixels = image if isinstance(image, np.ndarray) else imageio.load(image).rgb8()
    return bool(watermark.detect(chosen.apply(pixels), key).found)


def still_survival(
    original: np.ndarray,
    marked: np.ndarray,
    key: bytes,
    preset: str | Platform,
    *,
    payload: int,
    strength: float,
) -> Survival:
    """Test *marked* (made from *original* with *key*, *payload*, *strength*) on *preset*.

    When the mark does not survive, the original is marked again the ways that
    could help, one at a time, and put through the platform the same way, until
    one survives.
    """
    return _test([original], [marked], key, platform(preset), payload, strength, frames=())


def clip_survival(
    original: str | os.PathLike[str],
    marked: str | os.PathLike[str],
    key: bytes,
    preset: str | Platform,
    *,
    payload: int,
    strength: float,
    count: int = CLIP_FRAMES,
) -> Survival:
    """Test the marked clip *marked* on *preset* with *count* frames sampled across it.

    The frames are pooled as a check of a clip pools them.  The ways tried
    after a failure mark the sampled frames of *original* alone, the way
    ``mark`` marks that kind of clip: a video's frames get the clip marker's
    luma mark and go through the H.264 encoding ``mark`` writes before the
    platform's; an animation's or a frame folder's frames are marked as
    pictures, as ``mark`` marks them.
    """
    from artistshield.animation.clip import open_clip
    from artistshield.animation.video import DEFAULT_CRF, is_video
    from artistshield.errors import ArtistShieldError

    with open_clip(marked) as clip:
        sampled = clip.sample(count)
    indexes = tuple(index for index, _ in sampled)
    video = is_video(original)
    remark: Remark = _as_pictures
    try:
        with open_clip(original) as clip:
            if video:  # each sampled frame among its neighbours, as the encoder sees it
                spans = [_span(index, clip.frame_count) for index in indexes]
                sources = [clip.read_frame(i) for span in spans for i in span]
                rate = Fraction(clip.timing().fps).limit_denominator(1001)
                remark = _spans_as_video([len(span) for span in spans],
                                         [span.index(i) for span, i in zip(spans, indexes, strict=True)],
                                         rate)
            else:
                originals = dict(clip.sample(count))
                sources = [originals[index] for index in indexes]
    except (ArtistShieldError, OSError, KeyError, ValueError):  # gone, or its frames do not line up
        sources = []  # the test still stands; nothing can be tried
    return _test(
        sources, [frame for _, frame in sampled], key, platform(preset), payload, strength,
        frames=indexes, remark=remark,
        how_tried=(
            f"Each way was tried on the {len(indexes)} sampled frames of the original, marked "
            "as ArtistShield marks a video: each with the frames around it "
            f"({SPAN} in all) was written as a clip and re-encoded through the same clip marker "
            f"and H.264 encoder (CRF {DEFAULT_CRF}) that mark writes with, then put through "
            "the platform's processing again."
            if video else
            f"Each way was tried on the {len(sources)} sampled frames of the original, each "
            "marked as ArtistShield marks an animation's frames, and then put through the "
            "platform's processing again."
        ),
    )


#: Frames re-encoded together around each sampled frame of a video when a way is tried,
#: so the encoder codes it as in the clip: among its neighbours, not as a lone picture.
SPAN = 7


def _span(index: int, total: int) -> list[int]:
    """The :data:`SPAN` frame indexes around *index* (fewer at a clip's ends)."""
    start = max(0, index - SPAN // 2)
    stop = start + SPAN if not total else min(total, start + SPAN)
    return list(range(max(0, min(start, stop - SPAN)), stop))


#: Marks *frames* (already at the size tried) with a key, payload and strength.
Remark = Callable[[list[np.ndarray], bytes, int, float], list[np.ndarray]]


def _as_pictures(frames: list[np.ndarray], key: bytes, payload: int, strength: float) -> list[np.ndarray]:
    """Mark each frame as a still is marked (stills, animations and frame folders)."""
    from artistshield import watermark

    return [watermark.embed(frame, key, payload, strength=strength) for frame in frames]


def _as_video(
    frames: list[np.ndarray], key: bytes, payload: int, strength: float, *, rate: Fraction = Fraction(30)
) -> list[np.ndarray]:
    """Mark consecutive video *frames* as :func:`artistshield.animation.mark.mark_clip` marks a video.

    The frames are written as a clip (lossless H.264, at *rate*), which
    goes through :func:`artistshield.animation.video.transcode` with the
    clip marker and ``mark``'s encoder and settings, and the marked clip is
    read back: a retry sees what ``mark`` would write, coding included.
    """
    import tempfile

    import av

    from artistshield.animation import video
    from artistshield.animation.mark import LumaMarker

    height, width = frames[0].shape[:2]
    height, width = height - height % 2, width - width % 2  # 4:2:0 needs even sides
    with tempfile.TemporaryDirectory(prefix="artistshield-") as folder:
        source, target = Path(folder) / "span.mp4", Path(folder) / "marked.mp4"
        with av.open(str(source), "w") as out:
            stream = out.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"qp": "0", "preset": "ultrafast"}  # lossless: the frames as they are
            for frame in frames:
                rgb = np.ascontiguousarray(_opaque(frame)[:height, :width])
                out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
            out.mux(stream.encode(None))
        written = video.transcode(source, target, LumaMarker(key, payload, strength=strength),
                                  crf=video.DEFAULT_CRF)
        with av.open(str(written.path or target)) as clip:
            return [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]


def _spans_as_video(lengths: list[int], picks: list[int], rate: Fraction) -> Remark:
    """A :data:`Remark` for frames given as consecutive spans of *lengths*: each span is
    marked as a video (:func:`_as_video`) and its frame at *picks* kept."""

    def remark(frames: list[np.ndarray], key: bytes, payload: int, strength: float) -> list[np.ndarray]:
        kept, start = [], 0
        for length, pick in zip(lengths, picks, strict=True):
            kept.append(_as_video(frames[start : start + length], key, payload, strength, rate=rate)[pick])
            start += length
        return kept

    return remark


def _opaque(frame: np.ndarray) -> np.ndarray:
    return frame[..., :3] if frame.ndim == 3 else np.stack([frame] * 3, axis=-1)


def _test(
    original: list[np.ndarray],
    marked: list[np.ndarray],
    key: bytes,
    chosen: Platform,
    payload: int,
    strength: float,
    *,
    frames: tuple[int, ...],
    remark: Remark | None = None,
    how_tried: str = "",
) -> Survival:
    clip = bool(frames)
    remark = remark or _as_pictures
    serve: Callable[[list[np.ndarray]], list[np.ndarray]] = (
        chosen.apply_clip if clip else (lambda f: [chosen.apply(f[0])])
    )
    found, read = _reads(serve(marked), key)
    height, width = marked[0].shape[:2]
    served = chosen.served_size(width, height, video=clip)
    tried: list[Trial] = []
    if not found and original:
        for size, trial_strength in _ways(chosen, (width, height), served, strength, clip):
            trial = remark([_resized(frame, size) for frame in original], key, payload, trial_strength)
            worked = _reads(serve(trial), key)[0]
            tried.append(Trial(size, trial_strength, worked))
            if worked:
                break
    recognised = None
    if not found and not clip and not any(t.survived for t in tried):
        recognised = _recognised(marked[0], serve(marked)[0])
    return Survival(
        chosen.name, found, (width, height), served,
        chosen.describe_video() if clip else chosen.describe(), frames, read, tuple(tried),
        strength, recognised, how_tried,
    )


def _recognised(marked: np.ndarray, served: np.ndarray) -> bool:
    """Whether *served* is found as a copy of *marked* by fingerprint, as the registry finds it."""
    from artistshield.fingerprint import FingerprintIndex, compute

    index = FingerprintIndex()
    index.add("work", compute(marked))
    return any(m.is_match for m in index.search(served))


def _ways(
    chosen: Platform, size: tuple[int, int], served: tuple[int, int], strength: float, clip: bool
) -> list[tuple[tuple[int, int] | None, float]]:
    """What to try, least visible first: the platform's size, then stronger marks."""
    stronger = [s for s in STRENGTHS if s > strength + 1e-9]
    smaller = served if served[0] < size[0] else None  # exporting larger never helps
    ways: list[tuple[tuple[int, int] | None, float]] = []
    if smaller is not None:
        ways.append((smaller, strength))
    ways += [(None, s) for s in stronger]
    if smaller is not None:
        ways += [(smaller, s) for s in stronger]
    return ways


def _reads(frames: list[np.ndarray], key: bytes) -> tuple[bool, int]:
    """Whether the mark reads in *frames* (pooled when several), and in how many alone."""
    from artistshield import watermark

    if len(frames) == 1:
        found = bool(watermark.detect(frames[0], key).found)
        return found, int(found)
    from artistshield.watermark.pooled import Pool

    pool = Pool(key)
    for frame in frames:
        pool.add(frame)
    pooled = pool.result()
    return bool(pooled.detection.found), len(pooled.frames_with_mark)


def _resized(pixels: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or size == (pixels.shape[1], pixels.shape[0]):
        return pixels
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))


def _flattened(pixels: np.ndarray) -> Image.Image:
    """*pixels* as an RGB picture; platforms flatten transparency onto white."""
    image = Image.fromarray(pixels)
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling=2)
    return buffer.getvalue()


def _h264(frames: list[np.ndarray], crf: int) -> list[np.ndarray]:
    """*frames* (one size, even sides) through an H.264 encoder and back, in memory."""
    import av

    buffer = io.BytesIO()
    height, width = frames[0].shape[:2]
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), "rgb24")))
        out.mux(stream.encode(None))
    buffer.seek(0)
    with av.open(buffer, "r") as served:
        return [f.to_ndarray(format="rgb24") for f in served.decode(video=0)]
