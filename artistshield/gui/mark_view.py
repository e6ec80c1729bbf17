"""The Mark view: drop artwork in, get marked and registered copies out.

The list shows each file with its thumbnail, status and survival test; the
preview toggles original / marked / amplified difference.  Clips (videos,
animated GIF/APNG/WebP, folders of numbered frames) are one row each, show
the frame being marked, and preview frame by frame (:mod:`.mark_preview`).
Marking runs in one :class:`~artistshield.gui.workers.Worker` on the
registry's single thread, which stops between files when cancelled, and
within a clip between frames (the core writes each output atomically, so a
cancel never leaves a half-written file or clip).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import clip_frames, images
from artistshield.gui.errors import show_error
from artistshield.gui.mark_preview import MarkPreview, PreviewItem
from artistshield.gui.resources import icon
from artistshield.gui.widgets import DropMixin, artwork_filter
from artistshield.gui.workers import Worker

if TYPE_CHECKING:
    import numpy as np

    from artistshield.gui.session import Session
    from artistshield.mark import MarkOutcome

FORMATS = {"Same as original": None, "PNG": "PNG", "JPEG": "JPEG", "WebP": "WEBP", "TIFF": "TIFF"}
PLATFORMS = ("None", "X", "Instagram", "ArtStation", "Pixiv")
COL_FILE, COL_STATUS, COL_SURVIVES, COL_QUALITY = range(4)
_GOOD, _BAD = QColor("#1e8e3e"), QColor("#d93025")
#: Steps of the progress bar per file, so a clip's frames move it too.
_STEPS = 1000
#: Frame progress reaches the UI at most this often (seconds).
_FRAME_REPORT_EVERY = 0.1


@dataclass(frozen=True)
class FrameProgress:
    """A clip being marked has reached frame *done* of *total* (0: unknown)."""

    source: Path
    done: int
    total: int


def _files(count: int) -> str:
    return f"{count} file{'s' * (count != 1)}"


def clip_kind(path: Path) -> str:
    """What a clip is, in the user's words."""
    from artistshield.animation import video

    if path.is_dir():
        return "frame folder"
    if video.is_video(path):
        return "video"
    named = {".gif": "GIF", ".png": "APNG", ".apng": "APNG", ".webp": "WebP"}.get(path.suffix.lower())
    return f"{named} animation" if named else "animation"


def default_output_folder(entry: Path) -> Path:
    """A sibling of the originals' folder: ``<folder>-marked``, never the folder itself.

    A folder of numbered frames is one clip, so its copy goes beside it, as a file's would.
    """
    from artistshield.animation import sequence

    folder = entry if entry.is_dir() and not sequence.is_sequence(entry) else entry.parent
    return folder.parent / f"{folder.name}-marked"


class MarkView(DropMixin, QWidget):
    dropped = Signal(list)
    works_changed = Signal()
    batch_finished = Signal()
    files_added = Signal()
    frame_progress = Signal(object)  # a FrameProgress while a clip is marked

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAcceptDrops(True)
        self.rows: dict[Path, int] = {}
        self.outcomes: dict[Path, MarkOutcome] = {}
        self.output_chosen = False
        self.worker: Worker | None = None
        self.loader: Worker | None = None
        self.clips: dict[Path, int] = {}  # clip rows: frames in the clip (0 if unknown)
        self.frames_done: dict[Path, tuple[int, int]] = {}  # clip being marked: frame, of
        self.dropped.connect(self.add_paths)
        self._build()

    # -- layout ------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        actions = QHBoxLayout()
        self.add_button = QPushButton(icon("add-files"), "Add files…")
        self.add_button.setToolTip(
            "Choose images, animations (GIF, APNG, WebP) or videos (MP4, WebM, MOV) to mark (Ctrl+O). "
            "You can also drop files or folders here."
        )
        self.add_button.clicked.connect(self.choose_files)
        self.add_folder_button = QPushButton(icon("folder-open"), "Add folder…")
        self.add_folder_button.setToolTip(
            "Mark every image in a folder and its sub-folders; a folder of numbered frames "
            "(walk_0001.png, walk_0002.png…) is marked as one clip"
        )
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.clear_button = QPushButton("Clear list")
        self.clear_button.clicked.connect(self.clear)
        hint = QLabel("Drop images, clips or folders anywhere in this view.")
        hint.setEnabled(False)
        for w in (self.add_button, self.add_folder_button, self.clear_button):
            actions.addWidget(w)
        actions.addWidget(hint)
        actions.addStretch()
        layout.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["File", "Status", "Survives", "PSNR"])
        self.table.setIconSize(QSize(64, 64))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(70)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeaderItem(COL_SURVIVES).setToolTip(
            "Whether the mark survives the chosen platform's resize and recompression"
        )
        self.table.horizontalHeaderItem(COL_QUALITY).setToolTip(
            "How close the marked copy is to the original (above 40 dB: invisible to the eye)"
        )
        self.table.itemSelectionChanged.connect(self.update_preview)
        splitter.addWidget(self.table)

        self.preview_pane = MarkPreview()
        self.preview = self.preview_pane.player
        self.preview_mode = self.preview_pane.mode
        splitter.addWidget(self.preview_pane)
        splitter.setSizes([560, 440])
        layout.addWidget(splitter, 1)

        options = QGroupBox("Options")
        form = QFormLayout(options)
        out_row = QHBoxLayout()
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("Chosen when you add files: a sibling folder ending in -marked")
        self.output_edit.setToolTip("Marked copies go here; your originals are never touched")
        self.output_edit.textEdited.connect(lambda *_: setattr(self, "output_chosen", True))
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_output)
        self.open_output_button = QPushButton(icon("folder-open"), "Open output folder")
        self.open_output_button.clicked.connect(self.open_output)
        out_row.addWidget(self.output_edit, 1)
        out_row.addWidget(choose)
        out_row.addWidget(self.open_output_button)
        form.addRow("Output folder:", out_row)

        fmt_row = QHBoxLayout()
        self.format_combo = QComboBox()
        self.format_combo.addItems(list(FORMATS))
        self.format_combo.setToolTip(
            "The file type of the marked copies of images (videos, animations and frame "
            "folders keep their own)"
        )
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(50, 100)
        self.quality_spin.setValue(92)
        self.quality_spin.setPrefix("quality ")
        self.quality_spin.setToolTip("JPEG/WebP quality of the marked copies (higher keeps more detail)")
        self.format_combo.currentTextChanged.connect(self._format_changed)
        fmt_row.addWidget(self.format_combo)
        fmt_row.addWidget(self.quality_spin)
        fmt_row.addSpacing(24)
        fmt_row.addWidget(QLabel("Strength:"))
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(5, 20)
        self.strength_slider.setValue(10)
        self.strength_slider.setToolTip(
            "How strong the mark is. Stronger survives more editing but may show on flat colours."
        )
        self.strength_label = QLabel("1.0\N{MULTIPLICATION SIGN}")
        self.strength_slider.valueChanged.connect(
            lambda v: self.strength_label.setText(f"{v / 10:.1f}\N{MULTIPLICATION SIGN}")
        )
        self.strength_slider.sliderReleased.connect(self.update_preview)
        fmt_row.addWidget(self.strength_slider, 1)
        fmt_row.addWidget(self.strength_label)
        fmt_row.addSpacing(24)
        fmt_row.addWidget(QLabel("Platform:"))
        self.platform_combo = QComboBox()
        self.platform_combo.addItems(list(PLATFORMS))
        self.platform_combo.setToolTip(
            "Test each marked file against this platform's resize and recompression "
            "(approximate settings)"
        )
        fmt_row.addWidget(self.platform_combo)
        form.addRow("Format:", fmt_row)
        layout.addWidget(options)

        bottom = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m files")
        self.status = QLabel("Add files to begin.")
        self.start_button = QPushButton(icon("start"), "Mark all")
        self.start_button.setToolTip("Mark, check and register every file in the list (Ctrl+Return)")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip(
            "Stop marking (Esc): an image being marked is finished, a clip stops at the next frame "
            "and nothing of it is written"
        )
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.start_button)
        bottom.addWidget(self.cancel_button)
        layout.addLayout(bottom)
        self._format_changed(self.format_combo.currentText())

    def _format_changed(self, text: str) -> None:
        self.quality_spin.setEnabled(FORMATS.get(text) in ("JPEG", "WEBP"))

    # -- settings ------------------------------------------------------------

    def load_settings(self, store: Any) -> None:
        self.format_combo.setCurrentText(str(store.value("mark/format", "Same as original")))
        self.quality_spin.setValue(int(store.value("mark/quality", 92)))
        self.strength_slider.setValue(int(store.value("mark/strength", 10)))
        self.platform_combo.setCurrentText(str(store.value("mark/platform", "None")))

    def save_settings(self, store: Any) -> None:
        store.setValue("mark/format", self.format_combo.currentText())
        store.setValue("mark/quality", self.quality_spin.value())
        store.setValue("mark/strength", self.strength_slider.value())
        store.setValue("mark/platform", self.platform_combo.currentText())

    # -- adding files ----------------------------------------------------------

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Add images or clips to mark", "", artwork_filter()
        )
        if names:
            self.add_paths([Path(n) for n in names])

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Add a folder of images, or of numbered frames")
        if name:
            self.add_paths([Path(name)])

    def choose_output(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Where to put the marked copies", self.output_edit.text())
        if name:
            self.output_edit.setText(name)
            self.output_chosen = True

    def add_paths(self, paths: list[Path]) -> None:
        """Add files and folders; thumbnails and folder contents load off the UI thread."""
        if not paths:
            return
        if not self.output_chosen and not self.output_edit.text():
            self.output_edit.setText(str(default_output_folder(paths[0])))
        paths = list(paths)

        def job(report, cancelled):
            from artistshield.mark import expand_inputs

            for path in expand_inputs(paths):
                if cancelled():
                    return
                if clip_frames.is_clip(path):
                    report((path, *_clip_thumbnail(path)))
                else:
                    report((path, images.thumbnail(str(path), 64), None))

        self.status.setText("Adding files…")
        self.loader = Worker(job, name="adding files")
        self.loader.signals.progress.connect(self._file_found)
        self.loader.signals.failed.connect(lambda m, d: show_error(m, d, self))
        self.loader.signals.finished.connect(self._files_added)
        self.loader.start()

    def _file_found(self, item: tuple[Path, QImage, int | None]) -> None:
        path, thumb, frames = item
        path = path.absolute()
        if path in self.rows:
            return
        row = self.table.rowCount()
        self.table.insertRow(row)
        name = QTableWidgetItem(path.name)
        name.setToolTip(str(path))
        if frames is not None:
            self.clips[path] = frames
            count = f"{frames} frames" if frames else "frames unknown"
            name.setText(f"{path.name}\n{clip_kind(path)}, {count}")
        name.setData(Qt.ItemDataRole.UserRole, str(path))
        if not thumb.isNull():
            name.setIcon(QIcon(QPixmap.fromImage(thumb)))
        self.table.setItem(row, COL_FILE, name)
        self.table.setItem(row, COL_STATUS, QTableWidgetItem("Waiting"))
        self.table.setItem(row, COL_SURVIVES, QTableWidgetItem(""))
        self.table.setItem(row, COL_QUALITY, QTableWidgetItem(""))
        self.rows[path] = row

    def _files_added(self) -> None:
        self.loader = None
        count = self.table.rowCount()
        self.status.setText(f"{_files(count)} ready to mark.")
        self.progress.setRange(0, max(count, 1))
        self.progress.setValue(0)
        self.progress.setFormat(f"0 of {_files(count)}")
        if count and not self.table.selectedItems():
            self.table.selectRow(0)
        self.files_added.emit()

    def clear(self) -> None:
        if self.worker is not None:
            return
        self.table.setRowCount(0)
        self.rows.clear()
        self.outcomes.clear()
        self.clips.clear()
        self.frames_done.clear()
        self.preview_pane.clear()
        if not self.output_chosen:
            self.output_edit.clear()
        self.status.setText("Add files to begin.")

    # -- marking -------------------------------------------------------------

    def output_folder(self) -> Path | None:
        text = self.output_edit.text().strip()
        return Path(text).expanduser().absolute() if text else None

    def start(self) -> None:
        if self.worker is not None or not self.rows:
            return
        out = self.output_folder()
        if out is None:
            show_error("Choose an output folder for the marked copies first.", parent=self)
            return
        if any(path.parent == out for path in self.rows):
            show_error(
                "The output folder is the folder your originals are in. Choose another one, so "
                "that originals and marked copies never mix.", parent=self,
            )
            return
        ident = self.session.unlock(self)
        if ident is None:
            show_error("Your identity is locked or missing, so nothing was marked.", parent=self)
            return
        paths = list(self.rows)
        fmt = FORMATS[self.format_combo.currentText()]
        quality = self.quality_spin.value() if fmt in ("JPEG", "WEBP") else None
        strength = self.strength_slider.value() / 10
        platform = self.platform_combo.currentText()
        platform = None if platform == "None" else platform

        def job(report, cancelled):
            from artistshield import mark, platforms
            from artistshield.provenance import signing
            from artistshield.provenance.consent import from_settings
            from artistshield.registry import Registry

            last = 0.0

            def frame_progress(source: Path, done: int, total: int) -> None:
                nonlocal last
                now = time.monotonic()
                if done in (1, total) or now - last >= _FRAME_REPORT_EVERY:
                    last = now
                    report(FrameProgress(source, done, total))

            consent = from_settings(ident.name)
            with Registry.open() as registry:
                outcomes = mark.mark_files(
                    paths, out_dir=out, key=ident.watermark_key, strength=strength, format=fmt,
                    quality=quality, registry=registry, identity=ident, cancelled=cancelled,
                    frame_progress=frame_progress, consent=consent,
                    signer=signing.from_settings(ident, consent),
                )
                for outcome in outcomes:
                    survived = None
                    if platform and outcome.ok and outcome.output is not None:
                        survived = platforms.survives(
                            _first_frame(outcome.output) if outcome.frames else outcome.output,
                            ident.watermark_key, platform,
                        )
                    report((outcome, survived))

        for row in range(self.table.rowCount()):
            self._set_status(row, "Waiting", None)
            self.table.item(row, COL_SURVIVES).setText("")
        self.outcomes.clear()
        self.frames_done.clear()
        self.progress.setRange(0, len(paths) * _STEPS)
        self.progress.setValue(0)
        self.progress.setFormat(f"0 of {_files(len(paths))}")
        self.status.setText(f"Marking {_files(len(paths))} into {out}…")
        self._set_busy(True)
        self.worker = Worker(job, name="marking")
        self.worker.signals.progress.connect(self._marking_progress)
        self.worker.signals.failed.connect(lambda m, d: show_error(m, d, self))
        self.worker.signals.finished.connect(self._batch_done)
        self.worker.start(registry=True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            if self._clip_in_hand() is not None:
                self.status.setText("Cancelling: the clip being marked stops at the next frame…")
            else:
                self.status.setText("Cancelling after the file being marked now…")

    def _clip_in_hand(self) -> Path | None:
        """The clip being marked now, if any."""
        return next((p for p in self.frames_done if p not in self.outcomes), None)

    def _set_busy(self, busy: bool) -> None:
        self.start_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        for w in (self.add_button, self.add_folder_button, self.clear_button):
            w.setEnabled(not busy)

    def _set_status(self, row: int, text: str, good: bool | None, tip: str = "") -> None:
        item = self.table.item(row, COL_STATUS)
        item.setText(text)
        item.setToolTip(tip or text)
        item.setForeground(QBrush() if good is None else QBrush(_GOOD if good else _BAD))

    def _marking_progress(self, item: FrameProgress | tuple[MarkOutcome, bool | None]) -> None:
        if isinstance(item, FrameProgress):
            self._frame_marked(item)
        else:
            self._file_marked(item)

    def _frame_marked(self, item: FrameProgress) -> None:
        path = Path(item.source).absolute()
        row = self.rows.get(path)
        if row is None:
            return
        total = item.total or self.clips.get(path, 0)
        self.frames_done[path] = (item.done, total)
        self.frame_progress.emit(item)
        of = f" of {total}" if total else ""
        self._set_status(row, f"Marking… frame {item.done}{of}", None)
        files = len(self.rows)
        self.progress.setValue(
            len(self.outcomes) * _STEPS + (min(item.done, total) * _STEPS // total if total else 0)
        )
        self.progress.setFormat(
            f"file {len(self.outcomes) + 1} of {files} · frame {item.done}{of}" if files > 1
            else f"frame {item.done}{of}"
        )

    def _file_marked(self, item: tuple[MarkOutcome, bool | None]) -> None:
        outcome, survived = item
        row = self.rows.get(Path(outcome.source).absolute())
        if row is None:
            return
        self.outcomes[Path(outcome.source).absolute()] = outcome
        if outcome.error:
            self._set_status(row, f"Error: {outcome.error}", False)
        else:
            where = outcome.output.name if outcome.output else ""
            frames = f" ({outcome.frames} frames)" if outcome.frames else ""
            text = f"Marked → {where}{frames}, registered as {outcome.work_id}"
            if outcome.readable is False:
                self._set_status(row, text + " — but the mark did not read back", False)
            else:
                self._set_status(row, text, True, f"Written to {outcome.output}")
            self.table.item(row, COL_QUALITY).setText(f"{outcome.psnr:.1f} dB")
        cell = self.table.item(row, COL_SURVIVES)
        if survived is not None:
            cell.setText(f"{'Pass' if survived else 'Fail'} ({self.platform_combo.currentText()})")
            cell.setForeground(QBrush(_GOOD if survived else _BAD))
            cell.setToolTip(
                ("The mark still reads after this platform's resize and recompression"
                 if survived else
                 "The mark did not survive this platform's processing: try a higher strength")
                + (" (tested on the clip's first frame)" if outcome.frames else "")
            )
        self.progress.setValue(len(self.outcomes) * _STEPS)
        self.progress.setFormat(f"{len(self.outcomes)} of {_files(len(self.rows))}")
        if self.table.currentRow() == row:
            self.update_preview()

    def _batch_done(self) -> None:
        cancelled = self.worker is not None and self.worker.is_cancelled
        self.worker = None
        self._set_busy(False)
        done = len(self.outcomes)
        errors = sum(1 for o in self.outcomes.values() if o.error)
        for path, row in self.rows.items():
            if path in self.outcomes:
                continue
            if cancelled and path in self.frames_done:
                frame, total = self.frames_done[path]
                of = f" of {total}" if total else ""
                self._set_status(
                    row, f"Cancelled at frame {frame}{of} — nothing written", None,
                    "Marking this clip was cancelled between frames; no partial copy was left behind.",
                )
            else:
                self._set_status(row, "Cancelled — not marked" if cancelled else "Not marked", None)
        text = f"Marked {done - errors} of {_files(len(self.rows))}"
        if errors:
            text += f"; {errors} could not be marked (see the list)"
        if cancelled:
            text += "; cancelled"
        self.status.setText(text + ".")
        self.progress.setValue(done * _STEPS)
        self.progress.setFormat(f"{done} of {_files(len(self.rows))}" + (" · cancelled" * cancelled))
        self.works_changed.emit()
        self.batch_finished.emit()

    def open_output(self) -> None:
        out = self.output_folder()
        if out is None or not out.is_dir():
            show_error("The output folder does not exist yet: mark some files first.", parent=self)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(out)))

    # -- preview ---------------------------------------------------------------

    @property
    def previews(self) -> dict[str, QImage]:
        """The selected still as previewed, by mode (empty for a clip)."""
        return self.preview_pane.images

    def _current_path(self) -> Path | None:
        row = self.table.currentRow()
        if row < 0 or self.table.item(row, COL_FILE) is None:
            return None
        return Path(self.table.item(row, COL_FILE).data(Qt.ItemDataRole.UserRole))

    def update_preview(self) -> None:
        path = self._current_path()
        if path is None:
            return
        ident = self.session.identity
        self.preview_pane.show_item(PreviewItem(
            path, clip=path in self.clips, outcome=self.outcomes.get(path),
            # without the unlocked key, a fixed demo key shows the same placement of the mark
            key=ident.watermark_key if ident is not None else bytes(32),
            strength=self.strength_slider.value() / 10,
        ))

    def shutdown(self) -> None:
        self.preview_pane.shutdown()
        for worker in (self.worker, self.loader):
            if worker is not None:
                worker.cancel()


def _clip_thumbnail(path: Path) -> tuple[QImage, int]:
    """A clip's first frame as a 64-pixel thumbnail and its frame count (0 if unreadable)."""
    reader = clip_frames.open_clip(path)
    try:
        count = reader.timing().frame_count
        return images.to_qimage(images.fit(reader.frame(0), 64)), count
    except Exception:  # the row still appears; marking it will say what is wrong
        return QImage(), 0
    finally:
        reader.close()


def _first_frame(path: Path) -> np.ndarray:
    """The first frame of a marked clip, for the platform test."""
    reader = clip_frames.open_clip(path)
    try:
        return reader.frame(0)
    finally:
        reader.close()
