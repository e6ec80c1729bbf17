"""The Check view: is this suspect image mine?

Drop, open or paste an image, or open a clip (a video, an animated GIF/APNG/
WebP or a folder of numbered frames); the check (mark detection with the
artist's key and a registry match) runs off the UI thread, showing the frame
it has reached in a clip and stopping at the next frame when cancelled, and
comes back as a verdict card in plain words, the suspect beside the matched
work with the region it covers, and the detailed findings.  A clip is
previewed frame by frame, each frame saying whether the mark was read in it.
While a check runs the previous result is cleared, so nothing stale is shown.

The card leads with the verdict and what it rests on, in words, and what says
a generative AI made the image, in full; the numbers wait under "Technical
details".  "Save evidence report…" asks where the copy was found (for the
takedown notice), writes the evidence report (HTML or PDF, with a proof
bundle beside it) or the JSON, and says where it went, with buttons to open
it or its folder.  Reports of one check saved to one folder are one report
set: they share one proof bundle, gathered once, so they always agree.

The view only shows: the check runs in :mod:`.check_job`, the verdict's words
come from :mod:`artistshield.verdict` (as on the command line and in the
reports), and :mod:`.check_panels` lays them out.
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import dialogs
from artistshield.gui.check_job import CLIP, Checked, check_job
from artistshield.gui.check_panels import (
    NoticeBar,
    TechnicalDetails,
    VerdictCard,
    captioned,
    findings_html,
)
from artistshield.gui.clip_view import ClipView, close_later
from artistshield.gui.consent_panel import ConsentPanel
from artistshield.gui.errors import show_error
from artistshield.gui.job_progress import JobProgress
from artistshield.gui.resources import icon
from artistshield.gui.widgets import DropView, PictureView
from artistshield.gui.workers import Worker
from artistshield.paths import PROOF_BUNDLE
from artistshield.progress import CheckStep
from artistshield.verdict import TITLES, ai_findings, verdict_body, verdict_kind, verdict_title

if TYPE_CHECKING:
    from artistshield.animation.clip import Clip
    from artistshield.check import CheckResult
    from artistshield.gui.session import Session
    from artistshield.report import Evidence

__all__ = ["CheckView", "findings_html", "verdict_kind"]

#: What the file dialog offers: stills, animated images and videos.
CHECK_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp",
    ".gif", ".apng", ".mp4", ".m4v", ".mov", ".webm", ".mkv",
)

#: What the suspect column says while it is empty.
SUSPECT_PLACEHOLDER = "The image or clip you check appears here."
#: Steps of the progress bar over a whole clip check.
_STEPS = 1000


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
        self._frame_shown = (0, 0)  # the mark search's frame last told by frame_progress
        self._checking = Path()  # the file being checked
        self._found_at = ""  # where the artist found the copy, for the takedown notice
        self._report_set: tuple[CheckResult, Path, Evidence] | None = None  # result, folder, evidence
        self._sd_offered = False  # the optional reader was offered this session
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
        self.save_button.setToolTip(
            "Save an evidence report (HTML or PDF, with a proof bundle) or the JSON data, "
            "to keep or send with a takedown notice"
        )
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
        self.notice = NoticeBar()
        layout.addWidget(self.notice)
        self.job_progress = JobProgress()  # a report taking over a second: time taken
        layout.addWidget(self.job_progress)

        self.card = VerdictCard()
        self.verdict_title, self.verdict_body = self.card.title, self.card.body
        self.busy, self.progress = self.card.busy, self.card.progress
        self.cancel_button = self.card.cancel_button
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.card)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.suspect_caption = QLabel("<b>Suspect image</b>")
        self.suspect_view = ClipView(SUSPECT_PLACEHOLDER)
        self.work_caption = QLabel("<b>Your registered work</b>")
        self.work_view = PictureView("The matching work from your registry appears here.")
        splitter.addWidget(captioned(self.suspect_caption, self.suspect_view))
        splitter.addWidget(captioned(self.work_caption, self.work_view))
        layout.addWidget(splitter, 5)

        layout.addWidget(ConsentPanel.following(self))
        self.details = TechnicalDetails()
        self.findings = self.details.text
        self.findings.setMaximumHeight(160)
        layout.addWidget(self.details)

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
        """Check the image on the clipboard, or a file copied in a file manager."""
        clipboard = QGuiApplication.clipboard()
        image = clipboard.image()
        if not image.isNull():
            self.check_image(image)
            return
        mime = clipboard.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime else []
        if files:
            self.check_path(files[0])
            return
        self.notice.show_notice(clipboard_message(mime.text() if mime is not None else ""))

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
        self._clear(path)
        self._set_busy(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat("")
        self._frame_shown = (0, 0)
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

    def _clear(self, path: Path) -> None:
        """Forget the previous result while *path* is checked: nothing stale stays on screen."""
        self.result = None
        self._report_set = None
        self.save_button.setEnabled(False)
        self.notice.hide()
        self.card.say(
            "Checking…", f"Looking for your mark in {path.name} and comparing it with your registry."
        )
        self.details.show_result(None)
        self._close_clip()
        self.suspect_view.placeholder = f"Checking {path.name}…"
        self.suspect_view.set_image(None)
        self.suspect_caption.setText(f"<b>Suspect</b> — {html.escape(path.name)} (checking…)")
        self.work_view.set_image(None)
        self.work_caption.setText("<b>Your registered work</b>")

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

    def _frame_checked(self, item: CheckStep | str) -> None:
        if item == CLIP:
            self._show_clip(self._checking)
            return
        assert isinstance(item, CheckStep)
        # the whole check: the mark search, then the matching that outlasts it
        self.progress.setRange(0, _STEPS)
        self.progress.setValue(min(round(item.share * _STEPS), _STEPS))
        self.progress.setFormat(item.words)
        if item.frame[0] and item.frame != self._frame_shown:
            self._frame_shown = item.frame
            self.frame_progress.emit(*item.frame)

    def _done(self) -> None:
        self.worker = None
        self.progress.finish()
        self._set_busy(False)
        if self._stopped:
            self._stopped = False
            self.cancelled.emit()

    def _failed(self, message: str, details: str) -> None:
        self.suspect_view.placeholder = SUSPECT_PLACEHOLDER
        self.suspect_view.picture.update()
        self.card.say(TITLES["error"], message, "error")
        show_error(message, details, self)

    # -- output ----------------------------------------------------------------

    def _show(self, found: Checked | None) -> None:
        self.show_checked(found)

    def show_checked(self, found: Checked | None) -> None:
        """Show a finished check (``None``: it was cancelled)."""
        self.suspect_view.placeholder = SUSPECT_PLACEHOLDER
        self.suspect_view.picture.update()
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
            ai=ai_findings(result),
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
        self.details.show_result(result)
        self.save_button.setEnabled(True)
        self._offer_sd_reader(result)
        self.checked.emit(result)

    def _offer_sd_reader(self, result: CheckResult) -> None:
        """Once a session, offer the optional Stable Diffusion reader, unless it was declined."""
        from artistshield.gui import sd_install
        from artistshield.provenance.sd import NOT_INSTALLED

        sd = result.stable_diffusion
        if sd is None or sd.status != NOT_INSTALLED or self._sd_offered or sd_install.declined():
            return
        self._sd_offered = True
        self.notice.show_notice(
            "Stable Diffusion's invisible marks were not checked: their optional reader "
            "is not installed.",
            [("How to enable…", self.show_sd_install), ("Don't ask again", self._decline_sd)],
        )

    def show_sd_install(self) -> None:
        from artistshield.gui.sd_install import SdInstallDialog

        self.notice.hide()
        dialog = SdInstallDialog(self)
        dialog.finished_install.connect(self._sd_reader_installed)
        dialog.open()
        self.sd_dialog = dialog

    def _sd_reader_installed(self, loads: bool) -> None:
        """Check the picture shown again once the reader loads: its marks were not read."""
        from artistshield.provenance.sd import NOT_INSTALLED

        result = self.result
        if not loads or result is None or self.worker is not None:
            return
        if result.stable_diffusion is not None and result.stable_diffusion.status == NOT_INSTALLED:
            self.check_path(Path(result.input))

    def _decline_sd(self) -> None:
        from artistshield.gui import sd_install

        sd_install.decline()
        self.notice.hide()

    def _show_clip(self, path: Path) -> None:
        """Preview the clip *path* in the suspect column, from its first frame."""
        self.suspect_caption.setText(f"<b>Suspect clip</b> — {html.escape(path.name)}")
        from artistshield.animation.clip import open_clip  # NumPy and PyAV: not at start-up

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
        found_at, ok = QInputDialog.getText(
            self, "Where was this copy found?",
            "The web address where you found this copy (optional).\n"
            "It fills in the takedown notice in the report.",
            text=self._found_at,
        )
        if not ok:
            return
        self._found_at = found_at.strip()
        path = dialogs.save_file(
            self, "Save evidence report", name=f"{Path(self.result.input).stem}-evidence.html",
            filters="Evidence report (*.html);;PDF (*.pdf);;JSON data (*.json)",
        )
        if path:  # the dialog asked before choosing an existing file
            self.write_report(path, replace=path.exists(), found_at=self._found_at or None)

    def write_report(self, path: Path, *, replace: bool = False, found_at: str | None = None) -> None:
        """Write the evidence for the last check to *path* (.html, .pdf or .json), off the UI thread.

        HTML and PDF reports come with a proof bundle written beside them (under
        a free name); another report of the same check in the same folder
        shares it (one report set, one bundle).  *found_at* is where the copy
        was found.  An existing *path* is replaced only when *replace*.
        """
        assert self.result is not None
        result, ident = self.result, self.session.identity
        exists = "replace" if replace else "refuse"
        path = Path(path)
        earlier = self._report_set
        same_set = (
            earlier is not None and earlier[0] is result and earlier[1] == path.parent
            and earlier[2].bundle is not None and earlier[2].bundle.is_file()
        )
        shared = earlier[2] if same_set and earlier is not None else None

        def job(report, cancelled):
            from artistshield.registry import Registry
            from artistshield.report import gather, write_report
            from artistshield.report.json_report import write_json_report

            if path.suffix.lower() == ".json":
                return write_json_report(result, path, identity=ident, exists=exists), None
            if shared is not None:  # one report set: the same evidence, the same bundle
                evidence = dataclasses.replace(shared, found_at=found_at)
            else:
                bundle = path.with_name(f"{path.stem}-bundle{PROOF_BUNDLE.suffix}")
                with Registry.open() as registry:
                    evidence = gather(
                        result, registry=registry, identity=ident, found_at=found_at,
                        bundle_path=bundle,
                    )
            return write_report(evidence, path, exists=exists), evidence

        self.save_button.setEnabled(False)
        worker = Worker(job, name="report")
        self.job_progress.track(worker, f"Writing {path.name}…")
        worker.signals.succeeded.connect(lambda done: self._reported(result, *done, shared=shared))
        worker.signals.failed.connect(lambda message, details: show_error(message, details, self))
        worker.signals.finished.connect(lambda: self.save_button.setEnabled(self.result is not None))
        worker.start(registry=True)

    def _reported(
        self, result: CheckResult, path: Path, evidence: Evidence | None, *, shared: Evidence | None
    ) -> None:
        """Say where the report went, with buttons to open it or its folder."""
        said = f"Evidence report saved as {path.name} in {path.parent}."
        if evidence is not None and evidence.bundle is not None:
            if result is self.result:
                self._report_set = (result, path.parent, evidence)
            said += (
                f" It shares the proof bundle {evidence.bundle.name} with the report saved before."
                if shared is not None
                else f" Its proof bundle, {evidence.bundle.name}, is beside it: send both."
            )
        self.notice.show_notice(said, [
            ("Open report", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))),
            ("Open folder", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))),
        ])
        self.reported.emit(path)


def clipboard_message(text: str) -> str:
    """Why the clipboard cannot be checked, and what to do: it holds *text*, or nothing."""
    text = text.strip()
    if text.lower().startswith(("http://", "https://", "www.")):
        return (
            "The clipboard holds a web address, not an image. ArtistShield never downloads "
            "anything: open the page, right-click the picture, choose “Copy Image” (or save "
            "it), then paste or drop it here."
        )
    if text:
        return (
            "The clipboard holds text, not an image. Copy the picture itself (in a browser: "
            "right-click it, “Copy Image”), then paste it here with Ctrl+V."
        )
    return (
        "The clipboard is empty: there is no image to check. Copy a picture first (in a "
        "browser: right-click it, “Copy Image”), then paste it here with Ctrl+V."
    )
