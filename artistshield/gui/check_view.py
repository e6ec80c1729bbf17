"""The Check view: is this suspect image mine?

Drop, open or paste an image, or open a clip (a video, an animated GIF/APNG/
WebP or a folder of numbered frames); the check (mark detection with the
artist's key and a registry match) runs off the UI thread, showing the frame
it has reached in a clip and stopping at the next frame when cancelled, and
comes back as a verdict card in plain words, the suspect beside the matched
work with the region it covers, and the detailed findings.  A clip is
previewed frame by frame, each frame saying whether the mark was read in it.
"Save evidence report…" writes the evidence report (HTML or PDF, with a proof
bundle beside it) or the JSON.
"""

from __future__ import annotations

import html
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import clip_frames, images
from artistshield.gui.clip_view import ClipView, close_later
from artistshield.gui.errors import show_error
from artistshield.gui.resources import icon
from artistshield.gui.widgets import DropMixin, PictureView
from artistshield.gui.workers import Worker

if TYPE_CHECKING:
    from artistshield.check import CheckResult, MarkFinding
    from artistshield.gui.clip_frames import ClipFrames
    from artistshield.gui.session import Session

#: Verdict kinds: title and card colour.
VERDICTS = {
    "mark": ("Your mark is in this image", "#1e8e3e"),
    "match": ("This matches one of your registered works", "#e37400"),
    "none": ("No sign of your work", "#5f6368"),
    "error": ("This image could not be checked", "#d93025"),
}
#: What the file dialog offers: stills, animated images and videos.
CHECK_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp",
    ".gif", ".apng", ".mp4", ".m4v", ".mov", ".webm", ".mkv",
)
#: Frame progress reaches the UI at most this often (seconds).
_FRAME_REPORT_EVERY = 0.1


def verdict_kind(result: CheckResult) -> str:
    if result.error:
        return "error"
    if result.mark is not None:
        return "mark"
    if any(m.is_match for m in result.matches):
        return "match"
    return "none"


class CheckView(DropMixin, QWidget):
    dropped = Signal(list)
    checked = Signal(object)  # the CheckResult
    reported = Signal(object)  # the evidence report's Path, once written
    frame_progress = Signal(int, int)  # frame reached, frames in the clip (0: unknown)
    cancelled = Signal()  # a check was cancelled before it ended

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAcceptDrops(True)
        self.result: CheckResult | None = None
        self.worker: Worker | None = None
        self._clip: ClipFrames | None = None  # the suspect clip being previewed
        self._stopped = False  # the running check was cancelled
        self._checking = Path()  # the file being checked
        self.dropped.connect(lambda paths: self.check_path(paths[0]))
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        actions = QHBoxLayout()
        self.open_button = QPushButton(icon("folder-open"), "Open image or clip…")
        self.open_button.setToolTip(
            "Choose a suspect image, animation (GIF, APNG, WebP) or video (MP4, WebM, MOV) to check (Ctrl+O)"
        )
        self.open_button.clicked.connect(self.choose_file)
        self.open_folder_button = QPushButton(icon("folder-open"), "Open frame folder…")
        self.open_folder_button.setToolTip(
            "Check a folder of numbered frames (walk_0001.png, walk_0002.png…) as one clip"
        )
        self.open_folder_button.clicked.connect(self.choose_folder)
        self.paste_button = QPushButton(icon("paste"), "Paste image")
        self.paste_button.setToolTip("Check the image on the clipboard, e.g. copied from a web page (Ctrl+V)")
        self.paste_button.clicked.connect(self.paste)
        self.save_button = QPushButton(icon("save"), "Save evidence report…")
        self.save_button.setToolTip("Save everything found, as JSON, to keep with your records")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_report)
        hint = QLabel("…or drop an image, clip or frame folder anywhere here.")
        hint.setEnabled(False)
        for w in (self.open_button, self.open_folder_button, self.paste_button, hint):
            actions.addWidget(w)
        actions.addStretch()
        actions.addWidget(self.save_button)
        layout.addLayout(actions)

        self.card = QFrame()
        self.card.setObjectName("verdictCard")
        card_layout = QVBoxLayout(self.card)
        self.verdict_title = QLabel("Check an image")
        font = self.verdict_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.verdict_title.setFont(font)
        self.verdict_body = QLabel(
            "Found a picture that looks like yours? Drop it here. ArtistShield looks for your "
            "invisible mark and compares it with every work in your registry, even if it was "
            "cropped, resized or recompressed."
        )
        self.verdict_body.setWordWrap(True)
        self.verdict_body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        card_layout.addWidget(self.verdict_title)
        card_layout.addWidget(self.verdict_body)
        busy = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip("Stop the check (a clip stops at the next frame)")
        self.cancel_button.clicked.connect(self.cancel)
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        self.busy = QWidget()
        self.busy.setLayout(busy)
        busy.setContentsMargins(0, 0, 0, 0)
        self.busy.hide()
        card_layout.addWidget(self.busy)
        self._paint_card("#5f6368")
        layout.addWidget(self.card)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.suspect_caption = QLabel("<b>Suspect image</b>")
        self.suspect_view = ClipView("The image or clip you check appears here.")
        left = _captioned(self.suspect_caption, self.suspect_view)
        self.work_caption = QLabel("<b>Your registered work</b>")
        self.work_view = PictureView("The matching work from your registry appears here.")
        right = _captioned(self.work_caption, self.work_view)
        splitter.addWidget(left)
        splitter.addWidget(right)
        layout.addWidget(splitter, 5)

        self.findings = QTextBrowser()
        self.findings.setOpenExternalLinks(False)
        self.findings.setPlaceholderText("The details of what was found appear here.")
        self.findings.setMaximumHeight(140)
        layout.addWidget(self.findings, 1)

    def _paint_card(self, colour: str) -> None:
        self.card.setStyleSheet(
            f"#verdictCard {{ border: 2px solid {colour}; border-radius: 10px; }}"
            f"#verdictCard QLabel {{ background: transparent; }}"
        )
        self.verdict_title.setStyleSheet(f"color: {colour};")

    # -- input ---------------------------------------------------------------

    def choose_file(self) -> None:
        patterns = " ".join(f"*{s}" for s in CHECK_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(
            self, "Check an image or clip", "", f"Images and clips ({patterns});;All files (*)"
        )
        if name:
            self.check_path(Path(name))

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Check a folder of numbered frames")
        if name:
            self.check_path(Path(name))

    def paste(self) -> None:
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            show_error("The clipboard holds no image. Copy an image first, then paste.", parent=self)
            return
        self.check_image(image)

    def check_image(self, image: QImage) -> None:
        """Check a pasted image: keep it as a PNG in the data folder, then check that file."""
        from datetime import datetime

        from artistshield.paths import data_dir

        folder = data_dir() / "pasted"
        target = folder / f"pasted-{datetime.now():%Y%m%d-%H%M%S-%f}.png"
        self._run(target, image=image)

    def check_path(self, path: Path) -> None:
        self._run(Path(path))

    def _run(self, path: Path, image: QImage | None = None) -> None:
        if self.worker is not None:
            return
        ident = self.session.unlock(self)
        if ident is None:
            show_error("Your identity is locked or missing, so there is no key to look for.", parent=self)
            return
        key = ident.watermark_key

        def job(report, cancelled):
            from artistshield import check, imageio
            from artistshield.animation import Cancelled
            from artistshield.registry import Registry

            if image is not None:
                from artistshield.fileio import make_folder, publish, staged

                make_folder(path.parent, private=True)
                with staged(path, private=True) as part:  # complete before it has its name
                    if not image.save(str(part), "PNG"):
                        raise OSError(f"Cannot save the pasted image to {path}")
                    publish(part, path)
            last = 0.0

            def progress(done: int, total: int) -> None:
                nonlocal last
                now = time.monotonic()
                if done in (1, total) or now - last >= _FRAME_REPORT_EVERY:
                    last = now
                    report((done, total))

            clip = image is None and clip_frames.is_clip(path)
            if clip:
                report("clip")  # shown while it is checked
            with Registry.open() as registry:
                try:
                    result = check.check_file(
                        path, keys={"your key": key}, registry=registry, progress=progress,
                        cancelled=cancelled,
                    )
                except Cancelled:
                    return {"cancelled": True}
                work_id = None
                region = None
                best = next((m for m in result.matches if m.is_match), None)
                if result.mark is not None and result.mark.work_id:
                    work_id = result.mark.work_id
                if best is not None:
                    work_id = work_id or best.work_id
                    if best.work_id == work_id:
                        region = best.region
                thumb = QImage.fromData(registry.thumbnail(work_id)) if work_id else None
                work = registry.work(work_id) if work_id else None
            suspect, checked = None, None
            if clip and not result.error:
                checked = _checked_frames(path)
            elif not clip:
                try:
                    suspect = images.to_qimage(images.fit(imageio.load(path).rgb8(), 1200))
                except Exception:  # the verdict already says why it cannot be read
                    suspect = None
            return {"result": result, "suspect": suspect, "thumb": thumb, "work": work,
                    "region": region, "clip": clip, "checked": checked}

        self.verdict_title.setText("Checking…")
        self.verdict_body.setText(f"Looking for your mark in {path.name} and comparing it with your registry.")
        self._paint_card("#5f6368")
        self.open_button.setEnabled(False)
        self.open_folder_button.setEnabled(False)
        self.paste_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setFormat("")
        self.cancel_button.setEnabled(True)
        self.busy.show()
        self._checking = path
        self.worker = Worker(job, name="checking")
        self.worker.signals.progress.connect(self._frame_checked)
        self.worker.signals.succeeded.connect(self._show)
        self.worker.signals.failed.connect(self._failed)
        self.worker.signals.finished.connect(self._done)
        self.worker.start(registry=True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat(self.progress.format() + " · cancelling…")

    def _frame_checked(self, item: tuple[int, int] | str) -> None:
        if item == "clip":
            self._show_clip(self._checking)
            return
        assert isinstance(item, tuple)
        done, total = item
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"frame {done} of {total}")
        else:
            self.progress.setFormat(f"frame {done}")
        self.frame_progress.emit(done, total)

    def _done(self) -> None:
        self.worker = None
        self.busy.hide()
        self.open_button.setEnabled(True)
        self.open_folder_button.setEnabled(True)
        self.paste_button.setEnabled(True)
        if self._stopped:
            self._stopped = False
            self.cancelled.emit()

    def _failed(self, message: str, details: str) -> None:
        self.verdict_title.setText(VERDICTS["error"][0])
        self.verdict_body.setText(message)
        self._paint_card(VERDICTS["error"][1])
        show_error(message, details, self)

    # -- output ----------------------------------------------------------------

    def _show(self, found: dict[str, Any]) -> None:
        from artistshield.check import p_value_in_words

        if found.get("cancelled"):
            self.verdict_title.setText("Check cancelled")
            self.verdict_body.setText("The check was stopped before the end; nothing was concluded.")
            self._paint_card(VERDICTS["none"][1])
            self._stopped = True  # said once the buttons are back, in _done
            return
        result: CheckResult = found["result"]
        self.result = result
        kind = verdict_kind(result)
        title, colour = VERDICTS[kind]
        if found["clip"]:
            title = title.replace("image", "clip")
        self.verdict_title.setText(title)
        self._paint_card(colour)
        work = found["work"]
        named = f"“{work.title}” ({work.work_id})" if work is not None else ""
        if kind == "mark" and result.mark is not None:
            body = (
                f"Your invisible mark was found, and it names your work {named}. "
                if named else "Your invisible mark was found. "
            ) + p_value_in_words(result.mark.detection.p_value, True).capitalize() + "."
            body += _frames_sentence(result.mark)
        elif kind == "match":
            best = next(m for m in result.matches if m.is_match)
            body = (
                f"Your mark was not found (it may have been removed or destroyed), but the picture "
                f"matches your registered work {named} with {best.similarity:.0%} similarity."
            )
            if found["region"] is not None:
                body += " It shows only part of your work: the outlined region."
        elif kind == "error":
            body = result.error or ""
        else:
            body = (
                "Your mark is not in this image and it matches none of your registered works. "
                "If it is your work, it was not marked or registered with this identity."
            )
        self.verdict_body.setText(body)
        name = html.escape(Path(result.input).name)
        if found["clip"] and found["checked"] is not None:
            finding = result.mark or (result.marks[0] if result.marks else None)
            marked = set(finding.frames_with_mark or ()) if finding is not None else set()
            if self._clip is None or self._clip.path != Path(result.input):
                self._show_clip(Path(result.input))
            self.suspect_view.set_marked_frames(marked, found["checked"])
        else:
            self.suspect_caption.setText(f"<b>Suspect image</b> — {name}")
            self.suspect_view.set_image(found["suspect"])
            self._close_clip()
        if work is not None:
            self.work_caption.setText(f"<b>Your registered work</b> — {html.escape(named)}")
        else:
            self.work_caption.setText("<b>Your registered work</b> — none matched")
        self.work_view.set_image(found["thumb"], found["region"])
        self.findings.setHtml(findings_html(result))
        self.save_button.setEnabled(True)
        self.checked.emit(result)

    def _show_clip(self, path: Path) -> None:
        """Preview the clip *path* in the suspect column, from its first frame."""
        self.suspect_caption.setText(f"<b>Suspect clip</b> — {html.escape(path.name)}")
        self._close_clip()
        self._clip = clip_frames.open_clip(path)
        self.suspect_view.set_clip(self._clip)

    def _close_clip(self) -> None:
        if self._clip is not None:
            close_later(self._clip)
            self._clip = None

    def shutdown(self) -> None:
        self.suspect_view.shutdown()
        self._close_clip()
        if self.worker is not None:
            self.worker.cancel()

    def save_report(self) -> None:
        if self.result is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Save evidence report",
            f"{Path(self.result.input).stem}-evidence.html",
            "Evidence report (*.html);;PDF (*.pdf);;JSON data (*.json)",
        )
        if name:  # the dialog asked before choosing an existing file
            self.write_report(Path(name), replace=Path(name).exists())

    def write_report(self, path: Path, *, replace: bool = False) -> None:
        """Write the evidence for the last check to *path* (.html, .pdf or .json), off the UI thread.

        HTML and PDF reports come with a proof bundle written beside them (under
        a free name); an existing *path* is replaced only when *replace*.
        """
        assert self.result is not None
        result, ident = self.result, self.session.identity
        exists = "replace" if replace else "refuse"

        def job(report, cancelled):
            from artistshield import __version__
            from artistshield.fileio import write_file
            from artistshield.registry import Registry

            if path.suffix.lower() == ".json":
                data = {"tool": f"ArtistShield {__version__}", **result.to_json()}
                if ident is not None:
                    data["artist"] = {"name": ident.name, "artist_id": ident.artist_id,
                                      "public_key": ident.public_key.hex()}
                text = json.dumps(data, indent=2) + "\n"
                return write_file(path, text.encode("utf-8"), exists=exists)
            from artistshield.report import gather, write_report

            bundle = path.with_name(f"{path.stem}-bundle.json")
            with Registry.open() as registry:
                evidence = gather(result, registry=registry, identity=ident, bundle_path=bundle)
            return write_report(evidence, path, exists=exists)

        self.save_button.setEnabled(False)
        worker = Worker(job, name="report")
        worker.signals.succeeded.connect(self.reported.emit)
        worker.signals.failed.connect(lambda message, details: show_error(message, details, self))
        worker.signals.finished.connect(lambda: self.save_button.setEnabled(True))
        worker.start(registry=True)


def _checked_frames(path: Path) -> set[int]:
    """The frames of a clip that the check reads (it samples long clips evenly)."""
    from artistshield.animation.detect import MAX_FRAMES

    reader = clip_frames.open_clip(path)
    try:
        count = reader.timing().frame_count
    finally:
        reader.close()
    return set(range(0, count, max(1, math.ceil(count / MAX_FRAMES))))


def _frames_sentence(finding: MarkFinding) -> str:
    """For a clip, a sentence on the frames the mark was read in (empty for a still)."""
    if finding.frames_checked is None:
        return ""
    marked = finding.frames_with_mark or ()
    if not marked:
        return (
            f" No single one of the {finding.frames_checked} frames checked carries it strongly "
            "enough alone; together they do."
        )
    if len(marked) == finding.frames_checked:
        return f" It was read in every one of the {len(marked)} frames checked."
    return (
        f" It was read in {len(marked)} of the {finding.frames_checked} frames checked "
        f"(frame{'s' * (len(marked) != 1)} {clip_frames.frames_in_words(marked)})."
    )


def _captioned(caption: QLabel, view: QWidget) -> QWidget:
    """A caption above a picture, as one column of the side-by-side view."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(caption)
    layout.addWidget(view)
    return column


def findings_html(result: CheckResult) -> str:
    """The details behind the verdict, as a short HTML list."""
    from artistshield.check import method_in_words, p_value_in_words, transform_in_words

    rows: list[str] = []
    if result.error:
        rows.append(f"<li>{html.escape(result.error)}</li>")
    for finding in result.marks:
        d = finding.detection
        text = f"<b>Invisible mark</b> ({html.escape(finding.key_label)}): "
        if d.found:
            text += f"found, payload {d.payload}"
            if finding.work_id:
                text += f", which is work {finding.work_id}"
            geometry = transform_in_words(d)
            if geometry:
                text += "; the copy was " + ", ".join(geometry)
        else:
            text += "not found"
        text += f". <i>{html.escape(p_value_in_words(d.p_value, d.found))}</i> (p = {d.p_value:.2g})."
        if finding.frames_checked is not None:
            marked = finding.frames_with_mark or ()
            text += f"<br><b>Frames</b>: {finding.frames_checked} checked"
            if d.found and len(marked) == finding.frames_checked:
                text += "; the mark was read in every one"
            elif d.found:
                text += (
                    f"; the mark was read in {len(marked)} of them: "
                    f"frame{'s' * (len(marked) != 1)} {clip_frames.frames_in_words(marked)}"
                    if marked else "; no single frame carries it alone, together they do"
                )
            text += "."
        rows.append(f"<li>{text}</li>")
    for m in result.matches:
        verdict = "matches" if m.is_match else "does not match"
        how = method_in_words(m.method)
        text = f"<b>Registry</b>: {verdict} work {m.work_id}"
        if m.work is not None:
            text += f" “{html.escape(m.work.title)}”"
        text += f", similarity {m.similarity:.0%} ({how})"
        if m.region is not None:
            x0, y0, x1, y1 = m.region
            text += f"; shows {(x1 - x0) * (y1 - y0):.0%} of the work's area"
        rows.append(f"<li>{text}.</li>")
    if not result.matches and not result.error:
        rows.append("<li><b>Registry</b>: no registered work is similar.</li>")
    for extra in getattr(result, "findings", ()) or ():  # other detectors, when present
        rows.append(f"<li>{html.escape(str(extra))}</li>")
    return "<ul>" + "".join(rows) + "</ul>"
