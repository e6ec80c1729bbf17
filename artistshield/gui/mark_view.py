"""The Mark view: drop artwork in, get marked and registered copies out.

The list shows each file with its thumbnail, status and survival test; the
preview toggles original / marked / amplified difference.  Clips (videos,
animated GIF/APNG/WebP, folders of numbered frames) are one row each, show
the frame being marked, and preview frame by frame (:mod:`.mark_preview`).
Before marking, the files the registry holds already are found; the artist
is asked whether to skip them or mark them again as new versions
(:class:`~.remark_dialog.RemarkDialog`).  A file that repeats one marked
earlier in the same batch is caught as it comes up: it gets the answer given
for the batch, or the batch pauses there to ask, then goes on.  "Mark selected" marks only the rows selected.
Marking runs in one :class:`~artistshield.gui.workers.Worker` on the
registry's single thread, which stops between files when cancelled, and
within a clip between frames (the core writes each output atomically, so a
cancel never leaves a half-written file or clip).  The list, the options and
the jobs live in :mod:`.mark_table`, :mod:`.mark_options` and :mod:`.mark_job`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import dialogs
from artistshield.gui.errors import show_error
from artistshield.gui.job_progress import Step
from artistshield.gui.mark_job import (
    FrameProgress,
    LookedUp,
    Recognised,
    listing_job,
    marking_job,
)
from artistshield.gui.mark_options import MarkOptions
from artistshield.gui.mark_preview import MarkPreview, PreviewItem
from artistshield.gui.mark_table import COL_FILE, COL_STATUS, COL_SURVIVES, MarkTable
from artistshield.gui.progress import ProgressBar
from artistshield.gui.remark_dialog import RemarkDialog
from artistshield.gui.resources import icon
from artistshield.gui.widgets import DropView, artwork_filter
from artistshield.gui.workers import Worker

if TYPE_CHECKING:
    from artistshield.gui.session import Session
    from artistshield.identity import Identity
    from artistshield.mark import MarkOutcome
    from artistshield.platforms import Survival
    from artistshield.register import KnownWork
    from artistshield.remark import Choice

__all__ = ["COL_FILE", "COL_STATUS", "COL_SURVIVES", "FrameProgress", "MarkView"]  # for the tests

#: Steps of the progress bar per file, so a clip's frames move it too.
_STEPS = 1000


def _files(count: int) -> str:
    return f"{count} file{'s' * (count != 1)}"


class MarkView(DropView):
    works_changed = Signal()
    batch_finished = Signal()
    files_added = Signal()
    frame_progress = Signal(object)  # a FrameProgress while a clip is marked

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rows: dict[Path, int] = {}
        self.outcomes: dict[Path, MarkOutcome] = {}
        self.worker: Worker | None = None
        self.loader: Worker | None = None
        self.clips: dict[Path, int] = {}  # clip rows: frames in the clip (0 if unknown)
        self.frames_done: dict[Path, tuple[int, int]] = {}  # clip being marked: frame, of
        self.batch: list[Path] = []  # the files of the batch being marked or last marked
        self.known: dict[Path, KnownWork] = {}  # files of the batch registered already
        self.versions: dict[Path, str] = {}  # files marked again: the earlier work ID
        self.skipped: set[Path] = set()  # files of the batch skipped as registered already
        self.choice: Choice | None = None  # the artist's answer for this batch, once asked
        self.asking: dict[Path, KnownWork] = {}  # the job stopped to ask about these
        self.remark_dialog: RemarkDialog | None = None
        self._pending: tuple[Path, Identity] | None = None  # output folder, identity
        self._platform = ""  # the platform the running batch is tested against
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
        hint.setWordWrap(True)  # two lines rather than a window too wide for a small screen
        for w in (self.add_button, self.add_folder_button, self.clear_button):
            actions.addWidget(w)
        actions.addWidget(hint, 1)  # one line when there is room
        layout.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.table = MarkTable()
        self.table.itemSelectionChanged.connect(self.update_preview)
        splitter.addWidget(self.table)
        self.preview_pane = MarkPreview()
        self.preview = self.preview_pane.player
        self.preview_mode = self.preview_pane.mode
        splitter.addWidget(self.preview_pane)
        splitter.setSizes([560, 440])
        layout.addWidget(splitter, 1)

        self.options = MarkOptions()
        self.output_edit = self.options.output_edit
        self.strength_slider = self.options.strength_slider
        self.platform_combo = self.options.platform_combo
        self.options.strength_settled.connect(self.update_preview)
        layout.addWidget(self.options)

        bottom = QHBoxLayout()
        self.progress = ProgressBar()
        self.progress.setFormat("%v of %m files")
        self.status = QLabel("Add files to begin.")
        self.start_button = QPushButton(icon("start"), "Mark all")
        self.start_button.setToolTip("Mark, check and register every file in the list (Ctrl+Return)")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.start_selected_button = QPushButton("Mark selected")
        self.start_selected_button.setToolTip(
            "Mark, check and register only the selected rows (Ctrl+click or Shift+click to "
            "select several)"
        )
        self.start_selected_button.setEnabled(False)
        self.start_selected_button.clicked.connect(self.start_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip(
            "Stop marking (Esc): an image being marked is finished, a clip stops at the next frame "
            "and nothing of it is written"
        )
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.start_selected_button)
        bottom.addWidget(self.start_button)
        bottom.addWidget(self.cancel_button)
        layout.addLayout(bottom)

    def load_settings(self, store: Any) -> None:
        self.options.load_settings(store)

    def save_settings(self, store: Any) -> None:
        self.options.save_settings(store)

    def output_folder(self) -> Path | None:
        return self.options.output_folder()

    # -- adding files ----------------------------------------------------------

    def choose_files(self) -> None:
        paths = dialogs.open_files(self, "Add images or clips to mark", artwork_filter())
        if paths:
            self.add_paths(paths)

    def choose_folder(self) -> None:
        folder = dialogs.choose_folder(self, "Add a folder of images, or of numbered frames")
        if folder:
            self.add_paths([folder])

    def add_paths(self, paths: list[Path]) -> None:
        """Add files and folders; thumbnails and folder contents load off the UI thread."""
        if not paths:
            return
        self.options.suggest_output(paths[0])
        self.status.setText("Adding files…")
        self.progress.setRange(0, 0)  # busy until the folders are opened and counted
        self.loader = Worker(listing_job(list(paths)), name="adding files")
        self.loader.signals.progress.connect(self._file_found)
        self.loader.signals.failed.connect(lambda m, d: show_error(m, d, self))
        self.loader.signals.finished.connect(self._files_added)
        self.loader.start()

    def _file_found(self, item: tuple[Path, QImage, int | None] | Step) -> None:
        if isinstance(item, Step):  # the bar counts, and says the time left past a second
            if self.progress.maximum() != item.total:
                self.progress.setRange(0, item.total)
            self.progress.setValue(item.done)
            self.progress.setFormat(f"{item.done} of {_files(item.total)} read")
            return
        path, thumb, frames = item
        path = path.absolute()
        if path in self.rows:
            return
        if frames is not None:
            self.clips[path] = frames
        self.rows[path] = self.table.add_file(path, thumb, frames)

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
        self.batch.clear()
        self.skipped.clear()
        self.known.clear()
        self.asking.clear()
        self.versions.clear()
        self.preview_pane.clear()
        self.options.forget_output()
        self.status.setText("Add files to begin.")

    # -- marking -------------------------------------------------------------

    def start(self) -> None:
        """Mark every file in the list ("Mark all")."""
        self.start_files(list(self.rows))

    def start_selected(self) -> None:
        """Mark only the selected rows."""
        self.start_files([p.absolute() for p in self.table.selected_paths()])

    def _selection_changed(self) -> None:
        self.start_selected_button.setEnabled(
            self.worker is None and bool(self.table.selectedIndexes())
        )

    def start_files(self, paths: list[Path]) -> None:
        """Mark *paths* (rows of the list), asking first about those registered already."""
        if self.worker is not None or not paths:
            return
        out = self.output_folder()
        if out is None:
            show_error("Choose an output folder for the marked copies first.", parent=self)
            return
        if any(path.parent == out for path in paths):
            show_error(
                "The output folder is the folder your originals are in. Choose another one, so "
                "that originals and marked copies never mix.", parent=self,
            )
            return
        ident = self.session.unlock(self)
        if ident is None:
            show_error("Your identity is locked or missing, so nothing was marked.", parent=self)
            return
        self.batch = paths
        self.known = {}
        self.versions = {}
        self.skipped = set()
        self.choice = None
        self.asking = {}
        self._pending = (out, ident)
        self.table.reset([self.rows[p] for p in paths])
        for path in paths:
            self.outcomes.pop(path, None)
            self.frames_done.pop(path, None)
        self._run(paths, look_up=True)

    def _run(self, paths: list[Path], *, look_up: bool) -> None:
        """Start the marking job on *paths*; with *look_up* it first finds those registered."""
        assert self._pending is not None
        out, ident = self._pending
        chosen = self.options.chosen()
        self._platform = chosen.platform or ""
        self._show_marking_next()
        self.progress.setRange(0, len(self.batch) * _STEPS)
        self.progress.setValue(self._settled() * _STEPS)
        self.progress.setFormat(f"{self._settled()} of {_files(len(self.batch))}")
        self.status.setText(f"Marking {_files(len(paths))} into {out}…")
        self._set_busy(True)
        self.worker = Worker(
            marking_job(
                paths, out=out, identity=ident, chosen=chosen, versions=self.versions,
                look_up=look_up, choice=self.choice,
            ),
            name="marking",
        )
        self.worker.signals.progress.connect(self._marking_progress)
        self.worker.signals.succeeded.connect(self._looked_up)
        self.worker.signals.failed.connect(lambda m, d: show_error(m, d, self))
        self.worker.signals.finished.connect(self._batch_done)
        self.worker.start(registry=True)

    def _looked_up(self, known: dict[Path, KnownWork]) -> None:
        """The job stopped before marking these files, as they are registered already."""
        self.asking = dict(known)
        self.known.update(known)

    def _rest(self) -> list[Path]:
        """The files of the batch neither marked nor skipped yet, in list order."""
        return [p for p in self.batch if p not in self.outcomes and p not in self.skipped]

    def _ask(self) -> None:
        self.table.reset([self.rows[p] for p in self._rest()])  # nothing is being marked
        self.progress.setValue(self._settled() * _STEPS)
        self.progress.setFormat(f"{self._settled()} of {_files(len(self.batch))}")
        self.remark_dialog = RemarkDialog(list(self.asking.values()), self)
        self.remark_dialog.finished.connect(self._answered)
        self.status.setText("Some files are registered already: skip them, or mark them again?")
        self.remark_dialog.open()

    def _answered(self) -> None:
        dialog, self.remark_dialog = self.remark_dialog, None
        if dialog is None:
            return
        clicked = dialog.clickedButton()
        dialog.deleteLater()
        asking, self.asking = self.asking, {}
        if clicked is dialog.again_button:
            self.choice = "again"  # for the rest of the batch too
            self.versions.update({path: known.work.work_id for path, known in asking.items()})
            self._run(self._rest(), look_up=False)
        elif clicked is dialog.skip_button:
            self.choice = "skip"
            for path, known in asking.items():
                self.skipped.add(path)
                self.table.show_skipped(self.rows[path], known)
            rest = self._rest()
            if rest:
                self._run(rest, look_up=False)
            else:
                self._set_busy(False)
                self._finish_batch(cancelled=False)
        else:
            self._set_busy(False)
            self._finish_batch(cancelled=True)

    def cancel(self) -> None:
        if self.remark_dialog is not None:
            self.remark_dialog.reject()  # the question's Cancel: nothing is marked
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
        self.start_selected_button.setEnabled(not busy and bool(self.table.selectedIndexes()))
        self.cancel_button.setEnabled(busy)
        for w in (self.add_button, self.add_folder_button, self.clear_button):
            w.setEnabled(not busy)

    def _marking_progress(
        self, item: LookedUp | Recognised | FrameProgress | tuple[MarkOutcome, Survival | None]
    ) -> None:
        if isinstance(item, Recognised):
            self._recognised(item)
        elif isinstance(item, LookedUp):
            done = self.batch.index(item.source) + 1 if item.source in self.batch else 0
            self.progress.setFormat(f"{done} of {_files(len(self.batch))} looked up")
            self.status.setText("Looking for works already registered…")
        elif isinstance(item, FrameProgress):
            self._frame_marked(item)
        else:
            self._file_marked(item)

    def _recognised(self, item: Recognised) -> None:
        """A file of the batch is registered already (perhaps earlier in this batch)."""
        path = Path(item.source).absolute()
        if path not in self.rows:
            return
        self.known[path] = item.known
        if item.choice == "skip":
            self.skipped.add(path)
            self.table.show_skipped(self.rows[path], item.known)
            self.progress.setValue(self._settled() * _STEPS)
            self.progress.setFormat(f"{self._settled()} of {_files(len(self.batch))}")
            self._show_marking_next()
        else:
            self.versions[path] = item.known.work.work_id

    def _frame_marked(self, item: FrameProgress) -> None:
        path = Path(item.source).absolute()
        row = self.rows.get(path)
        if row is None:
            return
        total = item.total or self.clips.get(path, 0)
        self.frames_done[path] = (item.done, total)
        self.frame_progress.emit(item)
        of = f" of {total}" if total else ""
        self.table.set_status(row, f"Marking… frame {item.done}{of}", None)
        files, done = len(self.batch), self._settled()
        self.progress.setValue(
            done * _STEPS + (min(item.done, total) * _STEPS // total if total else 0)
        )
        self.progress.setFormat(
            f"file {done + 1} of {files} · frame {item.done}{of}" if files > 1
            else f"frame {item.done}{of}"
        )

    def _file_marked(self, item: tuple[MarkOutcome, Survival | None]) -> None:
        outcome, survived = item
        row = self.rows.get(Path(outcome.source).absolute())
        if row is None:
            return
        path = Path(outcome.source).absolute()
        self.outcomes[path] = outcome
        self.table.show_outcome(
            row, outcome, survived, self._platform, version_of=self.versions.get(path)
        )
        self.progress.setValue(self._settled() * _STEPS)
        self.progress.setFormat(f"{self._settled()} of {_files(len(self.batch))}")
        if not (self.worker is not None and self.worker.is_cancelled):
            self._show_marking_next()
        if self.table.currentRow() == row:
            self.update_preview()

    def _show_marking_next(self) -> None:
        """Say which file is being marked: the first not done (the batch goes in list order)."""
        path = next(
            (p for p in self.batch if p not in self.outcomes and p not in self.skipped), None
        )
        if path is not None and path not in self.frames_done:  # a clip says its frame
            self.table.set_status(self.rows[path], "Marking…", None)

    def _settled(self) -> int:
        """Files of the batch marked, failed or skipped so far."""
        return sum(1 for p in self.batch if p in self.outcomes or p in self.skipped)

    def _batch_done(self) -> None:
        cancelled = self.worker is not None and self.worker.is_cancelled
        self.worker = None
        if self.asking and not cancelled and self.remark_dialog is None:
            if self.outcomes:
                self.works_changed.emit()  # those marked before the question are registered
            self._ask()  # the job stopped to ask: still busy until answered
            return
        self._set_busy(False)
        self._finish_batch(cancelled=cancelled)
        self.works_changed.emit()

    def _finish_batch(self, *, cancelled: bool) -> None:
        """Say how the batch went, row by row and in the status line."""
        outcomes = [self.outcomes[p] for p in self.batch if p in self.outcomes]
        errors = sum(1 for o in outcomes if o.error)
        skipped = sum(1 for p in self.batch if p in self.skipped)
        for path in self.batch:
            if path not in self.outcomes and path not in self.skipped:
                self.table.show_unmarked(
                    self.rows[path], cancelled=cancelled, at=self.frames_done.get(path)
                )
        total = _files(len(self.batch))
        text = f"Marked {len(outcomes) - errors} of {total}"
        if skipped:
            text += f"; skipped {skipped} registered already"
        if errors:
            text += f"; {errors} could not be marked (see the list)"
        if cancelled:
            text += "; cancelled"
        self.status.setText(text + ".")
        self.progress.setRange(0, max(1, len(self.batch)))
        self.progress.setValue(self._settled())
        self.progress.setFormat(f"{self._settled()} of {total}" + (" · cancelled" * cancelled))
        self.progress.finish()
        self.batch_finished.emit()

    # -- preview ---------------------------------------------------------------

    @property
    def previews(self) -> dict[str, QImage]:
        """The selected still as previewed, by mode (empty for a clip)."""
        return self.preview_pane.images

    def update_preview(self) -> None:
        path = self.table.path_at(self.table.currentRow())
        if path is None:
            return
        ident = self.session.identity
        self.preview_pane.show_item(PreviewItem(
            path, clip=path in self.clips, outcome=self.outcomes.get(path),
            # without the unlocked key, a fixed demo key shows the same placement of the mark
            key=ident.watermark_key if ident is not None else bytes(32),
            strength=self.options.strength,
        ))

    def shutdown(self) -> None:
        if self.remark_dialog is not None:
            self.remark_dialog.reject()
        self.preview_pane.shutdown()
        for worker in (self.worker, self.loader):
            if worker is not None:
                worker.cancel()
