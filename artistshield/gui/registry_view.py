"""The Registry view: every work the artist marked or registered.

A searchable table with thumbnails and a detail pane; Verify registry, Export
proof bundle and Register without marking (images, and clips: videos,
animated GIF/APNG/WebP and frame folders, each one work fingerprinted at its
key frames).  Withdraw a work, merge a duplicate into the work it repeats, or
restore either: each is a signed entry, and the record stays; "Show withdrawn
and merged" lists them again.  Every job runs on the registry's single worker
thread and opens its own connection there.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import dialogs
from artistshield.gui.errors import show_error
from artistshield.gui.job_progress import JobProgress, Step
from artistshield.gui.resources import icon
from artistshield.gui.widgets import PictureView, WrappingDelegate, artwork_filter
from artistshield.gui.workers import Worker
from artistshield.paths import PROOF_BUNDLE
from artistshield.verdict import frames_in_words

if TYPE_CHECKING:
    from artistshield.gui.session import Session
    from artistshield.registry import VerifyReport, Work
    from artistshield.registry.standing import Standing
    from artistshield.registry.timestamp import Stamp

COLUMNS = ["Work", "Title", "File", "Registered", "Size", "Kind"]
#: Rows of withdrawn and merged works, listed on request.
_HIDDEN_GREY = "#80868b"


class RegistryView(QWidget):
    loaded = Signal(int)  # number of works shown
    verified = Signal(object)  # VerifyReport
    exported = Signal(object)  # the bundle's path
    registered = Signal(list)  # outcomes of Register without marking
    changed = Signal()  # works withdrawn, merged or restored

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.works: dict[str, Work] = {}
        self.hidden: dict[str, Standing] = {}  # every withdrawn or merged work, listed or not
        self.versions: dict[str, str] = {}  # work -> the earlier work it is a new version of
        self.thumbs: dict[str, QImage] = {}
        self.stamps: dict[str, Stamp | None] = {}  # each work's trusted time-stamp, if any
        self.report: VerifyReport | None = None
        self.workers: set[Worker] = set()
        self._listing: Worker | None = None  # the listing under way, if any
        self._stale = False  # asked to refresh while a listing was under way
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        actions = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by title, file name, work ID or date (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        actions.addWidget(self.search, 1)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.verify_button = QPushButton(icon("verify"), "Verify registry")
        self.verify_button.setToolTip("Check every signature and link: proves nothing was altered")
        self.verify_button.clicked.connect(self.verify)
        self.export_button = QPushButton(icon("export"), "Export proof bundle…")
        self.export_button.setToolTip(
            "Save the selected works (or all) with your signatures, for anyone to check offline"
        )
        self.export_button.clicked.connect(self.choose_export)
        self.register_button = QPushButton(icon("register"), "Register without marking…")
        self.register_button.setToolTip(
            "Record images or clips in your registry without changing their pixels"
        )
        register_menu = QMenu(self.register_button)
        register_menu.addAction("Images or clips…", self.choose_register)
        register_menu.addAction("Folder of numbered frames…", self.choose_register_folder)
        self.register_button.setMenu(register_menu)
        self.tidy_button = QPushButton("Withdraw or merge")
        self.tidy_button.setToolTip(
            "Hide the selected works from checks, lists and bundles with a signed entry: "
            "withdraw them, or merge duplicates into the work they repeat. Their records stay."
        )
        tidy_menu = QMenu(self.tidy_button)
        self.withdraw_action = tidy_menu.addAction("Withdraw…", self.choose_withdraw)
        self.merge_action = tidy_menu.addAction("Merge into another work…", self.choose_merge)
        self.restore_action = tidy_menu.addAction("Restore", self.choose_restore)
        self.tidy_button.setMenu(tidy_menu)
        for w in (self.refresh_button, self.verify_button, self.export_button, self.register_button):
            actions.addWidget(w)
        self.show_hidden = QCheckBox("Show withdrawn and merged")
        self.show_hidden.setToolTip("Also list the works you withdrew or merged into another")
        self.show_hidden.toggled.connect(self.refresh)
        layout.addLayout(actions)

        self.model = QStandardItemModel(0, len(COLUMNS))
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setIconSize(QSize(56, 56))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(62)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):  # names share the width; the rest take what they need
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            self.table.setItemDelegateForColumn(column, WrappingDelegate(self.table))
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(3, 90)  # the date above the time
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addActions([self.withdraw_action, self.merge_action, self.restore_action])
        self.table.selectionModel().selectionChanged.connect(self.show_detail)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.picture = PictureView("Select a work to see its details.")
        self.picture.setMinimumHeight(180)
        self.detail = QTextBrowser()
        detail_layout.addWidget(self.picture, 1)
        detail_layout.addWidget(self.detail, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setSizes([680, 320])
        layout.addWidget(splitter, 1)
        self.status = QLabel("Not verified yet in this session.")
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()  # the tidying actions below the list they act on
        bottom.addWidget(self.status, 1)
        self.job_progress = JobProgress()  # a job over a second: what it does, time left
        bottom.addWidget(self.job_progress)
        bottom.addWidget(self.show_hidden)
        bottom.addWidget(self.tidy_button)
        layout.addLayout(bottom)

    def _start(
        self, job: Any, name: str, done: Any, *, doing: str = "", finished: Any = None
    ) -> Worker:
        """Run *job* on the registry's thread; *doing* is shown if it takes over a second.

        *finished* is called after *done* or a failure, on the UI thread.
        """
        worker = Worker(job, name=name)
        self.job_progress.track(worker, doing or f"{name[:1].upper()}{name[1:]}…")
        worker.signals.succeeded.connect(done)
        worker.signals.failed.connect(lambda m, d: show_error(m, d, self))
        worker.signals.finished.connect(lambda: self.workers.discard(worker))
        if finished is not None:  # before the start: a quick job may end at once
            worker.signals.finished.connect(finished)
        self.workers.add(worker)
        return worker.start(registry=True)

    # -- listing -------------------------------------------------------------

    def refresh(self) -> None:
        """List the registry again, in the background.

        Asks made while a listing is under way fold into one more listing after it, so
        :attr:`loaded` always reports what the registry held after the latest ask.
        """
        if self._listing is not None:
            self._stale = True
            return
        every = self.show_hidden.isChecked()

        def job(report, cancelled):
            from artistshield.registry import Registry
            from artistshield.registry.standing import versions as standing_versions
            from artistshield.registry.timestamp import stamped_works

            with Registry.open() as registry:
                works = registry.works(hidden=every)
                thumbs = {w.work_id: QImage.fromData(registry.thumbnail(w.work_id)) for w in works}
                log = registry.log()
                stamps = stamped_works(log)
                hidden = dict(registry.standings())
                versions = {k: v for k, v in standing_versions(log).items() if k in thumbs}
            return works, thumbs, stamps, hidden, versions

        self._listing = self._start(
            job, "listing the registry", self._listed, doing="Reading the registry…",
            finished=self._listing_finished,
        )

    def _listing_finished(self) -> None:
        self._listing = None
        if self._stale:
            self._stale = False
            self.refresh()

    def _listed(
        self,
        found: tuple[
            list[Work], dict[str, QImage], dict[str, Stamp | None], dict[str, Standing],
            dict[str, str],
        ],
    ) -> None:
        if self._stale:  # a newer listing follows; show only that one
            return
        works, self.thumbs, self.stamps, self.hidden, self.versions = found
        keep = set(self.selected_ids())
        self.works = {w.work_id: w for w in works}
        self.model.removeRows(0, self.model.rowCount())
        for work in works:
            first = QStandardItem(work.work_id)
            thumb = self.thumbs.get(work.work_id)
            if thumb is not None and not thumb.isNull():
                first.setIcon(QIcon(QPixmap.fromImage(thumb)))
            cells = [
                first,
                QStandardItem(work.title),
                QStandardItem(work.file_name),
                stamp_cell(work, self.stamps.get(work.work_id)),
                QStandardItem(f"{work.width}\N{MULTIPLICATION SIGN}{work.height}"),
                QStandardItem(kind_of(work, self.hidden.get(work.work_id))),
            ]
            standing = self.hidden.get(work.work_id)
            for cell in cells:
                cell.setToolTip(
                    f"{work.work_id}: {work.title}"
                    + ("" if standing is None else f" ({standing.in_words()})")
                )
                if standing is not None:
                    cell.setForeground(QBrush(QColor(_HIDDEN_GREY)))
            cells[3].setToolTip(stamp_text(self.stamps.get(work.work_id)))
            self.model.appendRow(cells)
        self.table.resizeColumnToContents(0)
        for row in range(self.proxy.rowCount()):  # keep the selection across a refresh
            if self.proxy.data(self.proxy.index(row, 0)) in keep:
                self.table.selectRow(row)
        self.loaded.emit(len(works))

    def selected_ids(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows(0)
        return [self.proxy.data(index) for index in rows]

    def show_detail(self) -> None:
        ids = self.selected_ids()
        if not ids or ids[0] not in self.works:
            return
        work = self.works[ids[0]]
        self.picture.set_image(self.thumbs.get(work.work_id))
        if self.report is None:
            signature = "not checked yet — press Verify registry"
        elif self.report.ok:
            signature = "valid (signed by you; registry verified in this session)"
        else:
            signature = "the registry FAILED verification: " + html.escape(self.report.summary())
        stamp = ("Trusted time", stamp_text(self.stamps.get(work.work_id)))
        rows = [*detail_rows(work, signature), stamp]
        earlier = self.versions.get(work.work_id)
        if earlier is not None:
            rows.insert(2, ("New version of", earlier))
        standing = self.hidden.get(work.work_id)
        if standing is not None:
            rows.insert(2, ("Hidden", f"{standing.in_words()} (Withdraw or merge → Restore)"))
        body = "".join(
            f"<tr><td><b>{html.escape(k)}</b></td><td style='padding-left:8px'>"
            f"<code>{html.escape(v)}</code></td></tr>" if "SHA" in k else
            f"<tr><td><b>{html.escape(k)}</b></td><td style='padding-left:8px'>{v if k == 'Signature' else html.escape(v)}</td></tr>"
            for k, v in rows
        )
        self.detail.setHtml(f"<table>{body}</table>")

    # -- verify, export, register --------------------------------------------

    def verify(self) -> None:
        def job(report, cancelled):
            from artistshield.registry import Registry

            with Registry.open() as registry:
                return registry.verify()

        self.status.setText("Verifying every signature and link…")
        self._start(
            job, "verifying the registry", self._verified,
            doing="Verifying every signature and link…",
        )

    def _verified(self, report: VerifyReport) -> None:
        self.report = report
        colour = "#1e8e3e" if report.ok else "#d93025"
        self.status.setText(f"<span style='color:{colour}'><b>{html.escape(report.summary())}</b></span>")
        self.show_detail()
        self.verified.emit(report)

    def choose_export(self) -> None:
        path = dialogs.save_file(self, "Export proof bundle", PROOF_BUNDLE)
        if path:  # the dialog asked before choosing an existing file
            self.export(path, self.selected_ids() or None, replace=path.exists())

    def export(self, path: Path, work_ids: list[str] | None = None, *, replace: bool = False) -> None:
        """Write a bundle to *path*; an existing file is replaced only when *replace*."""
        ident = self.session.unlock(self)
        if ident is None:
            show_error("Your identity is locked or missing, so the bundle cannot be signed.", parent=self)
            return

        def job(report, cancelled):
            from artistshield.registry import Registry

            with Registry.open() as registry:
                return registry.export_bundle(
                    path, work_ids, identity=ident, exists="replace" if replace else "refuse"
                )

        def done(out: Path) -> None:
            count = len(work_ids) if work_ids else len(self.works)
            self.status.setText(f"Exported a proof bundle of {count} work(s) to {out}.")
            self.exported.emit(out)

        self._start(job, "exporting a proof bundle", done, doing="Writing and signing the bundle…")

    def choose_register(self) -> None:
        paths = dialogs.open_files(self, "Register works without marking", artwork_filter())
        if paths:
            self.register_files(paths)

    def choose_register_folder(self) -> None:
        folder = dialogs.choose_folder(
            self, "Register a folder of numbered frames (one clip) without marking"
        )
        if folder:
            self.register_files([folder])

    def register_files(self, paths: list[Path]) -> None:
        """Register images, clips and frame folders as they are, one work each, in the background.

        A clip is read once for its key frames (:func:`artistshield.register.register_file`), so
        a single frame of it found online finds the work.
        """
        ident = self.session.unlock(self)
        if ident is None:
            show_error("Your identity is locked or missing, so nothing was registered.", parent=self)
            return

        known: list[str] = []  # files the registry holds already, in words

        def job(report, cancelled):
            from artistshield.errors import ArtistShieldError
            from artistshield.register import register_new
            from artistshield.registry import Registry

            outcomes = []
            with Registry.open() as registry:
                for count, path in enumerate(paths, 1):
                    if cancelled():
                        break
                    try:
                        # a re-export or a marked copy is its work, not a new one
                        work, found = register_new(
                            registry, path, identity=ident, keys=[ident.watermark_key]
                        )
                        outcomes.append((path, work.work_id, None))
                        if found is not None:
                            known.append(f"{path.name}: {found.in_words()}")
                    except ArtistShieldError as exc:
                        outcomes.append((path, None, str(exc)))
                    report(Step(count, len(paths)))
            return outcomes

        def done(outcomes: list[tuple[Path, str | None, str | None]]) -> None:
            errors = [f"{p.name}: {e}" for p, _, e in outcomes if e]
            done_count = len(outcomes) - len(errors) - len(known)
            said = f"Registered {done_count} work(s) without marking."
            if known:
                said += (
                    f" {len(known)} already registered, not registered again: "
                    + "; ".join(known) + "."
                )
            self.status.setText(said)
            if errors:
                show_error("Some files were not registered:\n" + "\n".join(errors), parent=self)
            self.refresh()
            self.registered.emit(outcomes)

        self._start(job, "registering works", done, doing="Registering…")

    # -- withdraw, merge, restore ---------------------------------------------

    def choose_withdraw(self) -> None:
        ids = self.selected_ids()
        if not ids:
            show_error("Select the works to withdraw first.", parent=self)
            return
        reason, ok = QInputDialog.getText(
            self, "Withdraw " + ", ".join(ids),
            "Checks, lists and bundles will leave the work out; its signed record stays and "
            "you can restore it.\nWhy (kept in the signed entry; optional):",
        )
        if ok:
            self.withdraw(ids, reason)

    def choose_merge(self) -> None:
        ids = self.selected_ids()
        targets = [w for w in self.works.values() if w.work_id not in ids and w.work_id not in self.hidden]
        if not ids or not targets:
            show_error("Select the duplicate records first; another work must be shown.", parent=self)
            return
        labels = [f"{w.work_id}  {w.title}" for w in targets]
        choice, ok = QInputDialog.getItem(
            self, "Merge " + ", ".join(ids),
            "Merge into which work? Checks will name it for copies of either.", labels, 0, False,
        )
        if ok and choice in labels:
            self.merge(ids, targets[labels.index(choice)].work_id)

    def choose_restore(self) -> None:
        ids = [i for i in self.selected_ids() if i in self.hidden]
        if not ids:
            show_error(
                "Select withdrawn or merged works to restore (tick Show withdrawn and merged).",
                parent=self,
            )
            return
        self.restore(ids)

    def withdraw(self, work_ids: list[str], reason: str = "") -> None:
        """Withdraw *work_ids* with signed entries, in the background."""
        self._tidy(work_ids, "withdraw", reason)

    def merge(self, duplicates: list[str], into: str) -> None:
        """Merge each of *duplicates* into *into*, in the background."""
        self._tidy(duplicates, "merge", into)

    def restore(self, work_ids: list[str]) -> None:
        """Show withdrawn or merged *work_ids* again, in the background."""
        self._tidy(work_ids, "restore", "")

    def _tidy(self, work_ids: list[str], action: str, detail: str) -> None:
        ident = self.session.unlock(self)
        if ident is None:
            show_error("Your identity is locked or missing, so nothing was changed.", parent=self)
            return

        def job(report, cancelled):
            from artistshield.registry import Registry

            with Registry.open() as registry:
                for count, work_id in enumerate(work_ids, 1):
                    if action == "withdraw":
                        registry.withdraw(work_id, ident, reason=detail)
                    elif action == "merge":
                        registry.merge(work_id, detail, ident)
                    else:
                        registry.restore(work_id, ident)
                    report(Step(count, len(work_ids)))
            return work_ids

        def done(ids: list[str]) -> None:
            words = {
                "withdraw": "Withdrew {}: checks, lists and bundles leave {} out; the signed "
                "record stays.",
                "merge": "Merged {} into " + detail + ": checks name " + detail + " for copies "
                "of {} too.",
                "restore": "Restored {}: shown in checks, lists and bundles again.",
            }[action]
            them = "it" if len(ids) == 1 else "them"
            self.status.setText(words.format(", ".join(ids), them))
            self.refresh()
            self.changed.emit()

        doing = {"withdraw": "Withdrawing", "merge": "Merging", "restore": "Restoring"}[action]
        self._start(job, f"{action} in the registry", done, doing=f"{doing} works…")

    def shutdown(self) -> None:
        for worker in list(self.workers):
            worker.cancel()


def stamp_text(stamp: Stamp | None) -> str:
    """Whether a time-stamp authority vouches for the work's date, in words."""
    if stamp is None:
        return "not stamped yet (set a time-stamp authority in Settings to stamp it)"
    return f"{stamp.claim()} (trusted time-stamp)"


def stamp_cell(work: Work, stamp: Stamp | None) -> QStandardItem:
    """The Registered cell: the date, marked when a trusted stamp covers it."""
    return QStandardItem(
        work.registered.replace("T", " ").rstrip("Z") + (" \N{CHECK MARK} stamped" if stamp else "")
    )


def kind_of(work: Work, standing: Standing | None) -> str:
    """The Kind column: marked or registered, and withdrawn or merged."""
    kind = "Marked" if work.marked else "Registered"
    if standing is None:
        return kind
    if standing.state == "merged":
        return f"{kind}, merged into {standing.into}"
    return f"{kind}, withdrawn"


def detail_rows(work: Work, signature: str) -> list[tuple[str, str]]:
    """The detail table of *work*, as (label, text) rows; *signature* is HTML, the rest plain."""
    return [
        ("Work ID", work.work_id),
        ("Title", work.title),
        ("File", work.file_name),
        ("Registered", work.registered),
        ("Size", f"{work.width}\N{MULTIPLICATION SIGN}{work.height}, {work.channels} channels, {work.file_size:,} bytes"),
        *frame_rows(work),
        ("Kind", "marked (carries your invisible mark)" if work.marked else "registered without marking"),
        ("Mark payload", "—" if work.payload is None else str(work.payload)),
        ("File SHA-256", work.file_sha256),
        ("Pixels SHA-256", work.pixels_sha256),
        # a work registered without a fingerprint has no hash of one
        ("Fingerprint SHA-256", work.fingerprint_sha256 or "none stored"),
        ("Log entry", str(work.register_seq)),
        ("Signature", signature),
    ]


def frame_rows(work: Work) -> list[tuple[str, str]]:
    """Detail rows on a work's frames: how many, and which carry a fingerprint of their own."""
    if work.frame_count <= 1 and not work.key_frames:
        return [("Frames", "1 (a still image)")]
    rows = [("Frames", f"{work.frame_count:,}")]
    if work.key_frames:
        count = len(work.key_frames)
        rows.append((
            "Key frames",
            f"{count} fingerprinted, so a single frame found online finds the work: "
            f"frame{'s' * (count != 1)} {frames_in_words(work.key_frames, most=32)}",
        ))
    else:  # registered before clips had key frames
        rows.append(("Key frames", "the first frame only (registered by an older ArtistShield)"))
    return rows
