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

The view only shows: the check runs in :mod:`.check_job`, the verdict's words
come from :mod:`artistshield.verdict` (as on the command line and in the
reports), and :mod:`.check_panels` lays them out.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from artistshield.animation.clip import open_clip
from artistshield.gui import dialogs
from artistshield.gui.check_job import CLIP, Checked, check_job
from artistshield.gui.check_panels import VerdictCard, captioned, findings_html
from artistshield.gui.clip_view import ClipView, close_later
from artistshield.gui.errors import show_error
from artistshield.gui.resources import icon
from artistshield.gui.widgets import DropView, PictureView
from artistshield.gui.workers import Worker
from artistshield.verdict import TITLES, verdict_body, verdict_kind, verdict_title

if TYPE_CHECKING:
    from artistshield.animation.clip import Clip
    from artistshield.check import CheckResult
    from artistshield.gui.session import Session

#: What the file dialog offers: stills, animated images and videos.
CHECK_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp",
    ".gif", ".apng", ".mp4", ".m4v", ".mov", ".webm", ".mkv",
)


class CheckView(DropView):
    checked = Signal(object)  # the CheckResult
    reported = Signal(object)  # the evidence report's Path, once written
    frame_progress = Signal(int, int)  # frame reached, frames in the clip (0: unknown)
    cancelled = Signal()  # a check was cancelled before it ended

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.result: CheckResult | None = None
        self.worker: Worker | None = None
        self._clip: Clip | None = None  # the suspect clip being previewed
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
        hint.setWordWrap(True)  # two lines rather than a window too wide for a small screen
        for w in (self.open_button, self.open_folder_button, self.paste_button, hint):
            actions.addWidget(w)
        actions.setStretchFactor(hint, 1)  # one line when there is room
        actions.addWidget(self.save_button)
        layout.addLayout(actions)

        self.card = VerdictCard()
        self.verdict_title, self.verdict_body = self.card.title, self.card.body
        self.busy, self.progress = self.card.busy, self.card.progress
        self.cancel_button = self.card.cancel_button
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.card)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.suspect_caption = QLabel("<b>Suspect image</b>")
        self.suspect_view = ClipView("The image or clip you check appears here.")
        self.work_caption = QLabel("<b>Your registered work</b>")
        self.work_view = PictureView("The matching work from your registry appears here.")
        splitter.addWidget(captioned(self.suspect_caption, self.suspect_view))
        splitter.addWidget(captioned(self.work_caption, self.work_view))
        layout.addWidget(splitter, 5)

        self.findings = QTextBrowser()
        self.findings.setOpenExternalLinks(False)
        self.findings.setPlaceholderText("The details of what was found appear here.")
        self.findings.setMaximumHeight(140)
        layout.addWidget(self.findings, 1)

    # -- input ---------------------------------------------------------------

    def choose_file(self) -> None:
        patterns = " ".join(f"*{s}" for s in CHECK_SUFFIXES)
        path = dialogs.open_file(
            self, "Check an image or clip", f"Images and clips ({patterns});;All files (*)",
            place="artwork",
        )
        if path:
            self.check_path(path)

    def choose_folder(self) -> None:
        folder = dialogs.choose_folder(self, "Check a folder of numbered frames")
        if folder:
            self.check_path(folder)

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
        self.card.say(
            "Checking…", f"Looking for your mark in {path.name} and comparing it with your registry."
        )
        self._set_busy(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat("")
        self._checking = path
        from artistshield.errors import ArtistShieldError
        from artistshield.union.membership import checking_keys

        try:
            keys = checking_keys(ident, "your key")
        except ArtistShieldError as exc:  # a damaged membership: check with your own key
            show_error(str(exc), parent=self)
            keys = {"your key": ident.watermark_key}
        from artistshield import identity

        names = identity.names(ident)
        self.worker = Worker(check_job(path, keys=keys, names=names, image=image), name="checking")
        self.worker.signals.progress.connect(self._frame_checked)
        self.worker.signals.succeeded.connect(self._show)
        self.worker.signals.failed.connect(self._failed)
        self.worker.signals.finished.connect(self._done)
        self.worker.start(registry=True)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.open_button, self.open_folder_button, self.paste_button):
            button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.busy.setVisible(busy)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.progress.setFormat(self.progress.format() + " · cancelling…")

    def _frame_checked(self, item: tuple[int, int] | str) -> None:
        if item == CLIP:
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
        self._set_busy(False)
        if self._stopped:
            self._stopped = False
            self.cancelled.emit()

    def _failed(self, message: str, details: str) -> None:
        self.card.say(TITLES["error"], message, "error")
        show_error(message, details, self)

    # -- output ----------------------------------------------------------------

    def _show(self, found: Checked | None) -> None:
        if found is None:  # cancelled
            self.card.say(
                "Check cancelled", "The check was stopped before the end; nothing was concluded."
            )
            self._stopped = True  # said once the buttons are back, in _done
            return
        result = self.result = found.result
        self.card.say(
            verdict_title(result, clip=found.clip),
            verdict_body(result, work=found.work, region=found.region is not None),
            verdict_kind(result),
        )
        if found.clip and found.checked is not None:
            finding = result.mark or (result.marks[0] if result.marks else None)
            marked = set(finding.frames_with_mark or ()) if finding is not None else set()
            if self._clip is None or self._clip.path != Path(result.input):
                self._show_clip(Path(result.input))
            self.suspect_view.set_marked_frames(marked, found.checked)
        else:
            name = html.escape(Path(result.input).name)
            self.suspect_caption.setText(f"<b>Suspect image</b> — {name}")
            self.suspect_view.set_image(found.suspect)
            self._close_clip()
        if found.work is not None:
            named = html.escape(f"“{found.work.title}” ({found.work.work_id})")
            self.work_caption.setText(f"<b>Your registered work</b> — {named}")
        else:
            self.work_caption.setText("<b>Your registered work</b> — none matched")
        self.work_view.set_image(found.thumb, found.region)
        self.findings.setHtml(findings_html(result))
        self.save_button.setEnabled(True)
        self.checked.emit(result)

    def _show_clip(self, path: Path) -> None:
        """Preview the clip *path* in the suspect column, from its first frame."""
        self.suspect_caption.setText(f"<b>Suspect clip</b> — {html.escape(path.name)}")
        self._close_clip()
        self._clip = open_clip(path)
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
        path = dialogs.save_file(
            self, "Save evidence report", name=f"{Path(self.result.input).stem}-evidence.html",
            filters="Evidence report (*.html);;PDF (*.pdf);;JSON data (*.json)",
        )
        if path:  # the dialog asked before choosing an existing file
            self.write_report(path, replace=path.exists())

    def write_report(self, path: Path, *, replace: bool = False) -> None:
        """Write the evidence for the last check to *path* (.html, .pdf or .json), off the UI thread.

        HTML and PDF reports come with a proof bundle written beside them (under
        a free name); an existing *path* is replaced only when *replace*.
        """
        assert self.result is not None
        result, ident = self.result, self.session.identity
        exists = "replace" if replace else "refuse"

        def job(report, cancelled):
            from artistshield.registry import Registry
            from artistshield.report import gather, write_report
            from artistshield.report.json_report import write_json_report

            if path.suffix.lower() == ".json":
                return write_json_report(result, path, identity=ident, exists=exists)
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

