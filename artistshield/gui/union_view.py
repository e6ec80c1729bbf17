"""The Union view, for union staff: members, the shared registry, checks for all.

Opens a union's folder (or makes a new union), lists its members, issues a
membership from a member's request, revokes one, saves the revocation list
and the profile members join with, merges members' contributions into the
shared registry, and checks a suspect for every member at once, naming the
member on the verdict.  The work is :mod:`artistshield.union`'s; slow steps
(merging, checking) run on a worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from artistshield.errors import ArtistShieldError
from artistshield.fileio import write_file
from artistshield.gui import dialogs
from artistshield.gui.checked_dialog import CheckedDialog
from artistshield.gui.dialogs import kind_filter
from artistshield.gui.errors import show_error
from artistshield.gui.job_progress import JobProgress
from artistshield.gui.session import PassphraseDialog
from artistshield.gui.widgets import artwork_filter
from artistshield.gui.workers import Worker
from artistshield.paths import (
    MEMBERSHIP,
    MEMBERSHIP_REQUEST,
    PROOF_BUNDLE,
    REVOCATION_LIST,
    UNION_PROFILE,
)

if TYPE_CHECKING:
    from artistshield import scan
    from artistshield.union import UnionAuthority, shared
    from artistshield.union.authority import IssuedMember

COLUMNS = ("No.", "Member", "Artist ID", "Until", "Standing")


class IssueDialog(CheckedDialog):
    """The member number and end date of a new membership, checked before OK closes."""

    def __init__(
        self,
        name: str,
        artist_id: str,
        members: dict[int, IssuedMember],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Issue a membership", parent)
        self.artist_id = artist_id
        self.members = members
        renewing = next((m for m in members.values() if m.artist_id == artist_id), None)
        form = QFormLayout()
        self.content.addLayout(form)
        lead = f"Renew <b>{name}</b>'s membership." if renewing else f"Certify <b>{name}</b> as a member."
        form.addRow(QLabel(lead))
        self.number = QSpinBox()
        self.number.setRange(1, 65535)
        if renewing is not None:
            self.number.setValue(renewing.member_no)
        else:
            self.number.setValue(max(members, default=0) + 1)
        self.until = QDateEdit(QDate.currentDate().addYears(1))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        form.addRow("Member number:", self.number)
        form.addRow("Member until:", self.until)

    def find_problem(self) -> str | None:
        number = self.number.value()
        taken = self.members.get(number)
        if taken is not None and taken.artist_id != self.artist_id:
            return f"Member number {number} is already {_escape(taken.name)}'s; choose another."
        for other in self.members.values():
            if other.artist_id == self.artist_id and other.member_no != number:
                return f"They are already member {other.member_no}; keep that number to renew."
        if self.until.date() <= QDate.currentDate():
            return "The membership must last past today; choose a later date."
        return None


class UnionView(QWidget):
    """Union staff's desk."""

    opened = Signal()
    checked = Signal(object)  # a scan.ScanResult

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.union: UnionAuthority | None = None
        self.worker: Worker | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            "For union and guild staff: certify members, merge their public records into "
            "one shared registry, and check suspect images for every member at once. "
            "Members join from the Identity view."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("The union's folder")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(lambda: self.open_union(Path(self.folder.text())))
        self.create_button = QPushButton("Create a union…")
        self.create_button.clicked.connect(self._create)
        for widget in (self.folder, browse, self.open_button, self.create_button):
            row.addWidget(widget, 1 if widget is self.folder else 0)
        layout.addLayout(row)
        self.title = QLabel()
        layout.addWidget(self.title)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()  # the member number is the first column
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.buttons: list[QPushButton] = []
        for text, slot in (
            ("Issue from a request…", self._issue),
            ("Revoke", self._revoke),
            ("Save revocation list…", self._save_revocations),
            ("Save profile…", self._save_profile),
            ("Merge contributions…", self._merge),
            ("Check a suspect…", self._check),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            button.setEnabled(False)
            actions.addWidget(button)
            self.buttons.append(button)
        layout.addLayout(actions)
        self.result = QLabel()
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        self.job_progress = JobProgress()  # a merge or check over a second: time taken
        layout.addWidget(self.job_progress)

    # -- opening -----------------------------------------------------------------

    def _choose_folder(self) -> None:
        chosen = dialogs.choose_folder(self, "The union's folder", place="documents", start=self.folder.text())
        if chosen:
            self.folder.setText(str(chosen))

    def _ask_passphrase(self, prompt: str, *, confirm: bool = False) -> str | None:
        dialog = PassphraseDialog(prompt, self, confirm=confirm, title="Union passphrase")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            raise _Declined
        return dialog.passphrase() or None

    def open_union(self, folder: Path, passphrase: str | None = None) -> None:
        """Open the union in *folder*, asking for its passphrase if it has one."""
        try:
            if passphrase is None and _sealed(folder):
                passphrase = self._ask_passphrase("The union's passphrase:")
            from artistshield.union import UnionAuthority

            self.union = UnionAuthority.load(passphrase, home=folder)
        except _Declined:
            return
        except ArtistShieldError as exc:
            show_error(str(exc), parent=self)
            return
        self.folder.setText(str(folder))
        self._show()
        self.opened.emit()

    def _create(self) -> None:
        folder = self.folder.text().strip()
        name, ok = QInputDialog.getText(self, "Create a union", "The union's name:")
        if not ok or not name.strip() or not folder:
            if ok and not folder:
                show_error(
                    "Choose the folder the new union's keys will live in first.", parent=self
                )
            return
        try:
            passphrase = self._ask_passphrase(
                "Choose a passphrase for the union's keys:", confirm=True
            )
            from artistshield.union import UnionAuthority

            self.union = UnionAuthority.create(name, passphrase, home=folder)
        except _Declined:
            return
        except ArtistShieldError as exc:
            show_error(str(exc), parent=self)
            return
        self._show()
        self.opened.emit()

    def _show(self) -> None:
        union = self.union
        assert union is not None
        self.title.setText(
            f"<span style='color:{union.colour}; font-size: 15pt'><b>{_escape(union.name)}</b>"
            f"</span> — key epoch {union.epoch}, {len(union.members)} member(s)"
        )
        members = sorted(union.members.values(), key=lambda m: m.member_no)
        self.table.setRowCount(len(members))
        for row, member in enumerate(members):
            standing = "in good standing" if member.revoked is None else (
                f"revoked {member.revoked[:10]}"
            )
            for column, text in enumerate(
                (str(member.member_no), member.name, member.artist_id, member.until[:10], standing)
            ):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()  # artist IDs are read and copied whole
        for button in self.buttons:
            button.setEnabled(True)

    # -- members ------------------------------------------------------------------

    def issue(self, request_path: Path, *, member_no: int, until: str, out: Path) -> None:
        """Certify the member whose request is at *request_path*; write their file to *out*."""
        from artistshield.union import membership

        assert self.union is not None
        document = self.union.issue(
            membership.read_union_file(request_path), member_no=member_no, until=until
        )
        write_file(out, json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8"))
        self._show()

    def _issue(self) -> None:
        from artistshield.union import membership

        assert self.union is not None
        path = dialogs.open_file(self, "A member's request", MEMBERSHIP_REQUEST)
        if not path:
            return
        try:
            asker = membership.verify_request(membership.read_union_file(path))
            dialog = IssueDialog(asker.name, asker.artist_id, self.union.members, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            number = dialog.number.value()
            out = dialogs.save_file(
                self, "Save the membership file", MEMBERSHIP, name=f"member-{number}{MEMBERSHIP.suffix}"
            )
            if out:
                self.issue(
                    Path(path), member_no=number,
                    until=dialog.until.date().toString("yyyy-MM-dd"), out=Path(out),
                )
                self.result.setText(
                    f"Member {number} ({_escape(asker.name)}) certified. Send them "
                    f"{_escape(out)} privately: it holds the union's watermark keys."
                )
        except (ArtistShieldError, OSError) as exc:
            show_error(str(exc), parent=self)

    def _revoke(self) -> None:
        assert self.union is not None
        row = self.table.currentRow()
        if row < 0:
            show_error("Select the member to revoke first.", parent=self)
            return
        number = int(self.table.item(row, 0).text())  # type: ignore[union-attr]
        member = self.union.members[number]
        answer = QMessageBox.question(
            self, "Revoke a member",
            f"Revoke {member.name} (member {number})? Works they register from now on are "
            "flagged in the shared registry.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.union.revoke(number)
            self._show()

    def _save_revocations(self) -> None:
        assert self.union is not None
        out = dialogs.save_file(self, "Save the revocation list", REVOCATION_LIST)
        if out:
            write_file(out, self.union.revocation_list(), exists="replace")  # the dialog asked
            self.result.setText(f"Revocation list saved to {_escape(out)}: publish it.")

    def _save_profile(self) -> None:
        assert self.union is not None
        out = dialogs.save_file(self, "Save the union profile", UNION_PROFILE)
        if out:
            text = json.dumps(self.union.profile(), indent=1)
            write_file(out, text.encode("utf-8"), exists="replace")  # the dialog asked
            self.result.setText(f"Profile saved to {_escape(out)}: hand it to members.")

    # -- the shared registry and checks -----------------------------------------------

    def _merge(self) -> None:
        assert self.union is not None
        files = dialogs.open_files(
            self, "Members' contributions", kind_filter(PROOF_BUNDLE, reading=True), place="documents"
        )
        if not files:
            return
        out = dialogs.choose_folder(self, "A new folder for the shared registry", place="documents")
        if not out:
            return
        union = self.union
        target = Path(out) / "shared-registry"

        def job(report: object, cancelled: object) -> shared.MergeReport:
            from artistshield.union import shared

            return shared.merge(union, [Path(f) for f in files], target)

        self._run(job, "Merging the members' contributions…", lambda r: self.result.setText(
            f"Shared registry written to {_escape(target)}: {len(r.members)} member(s), "
            f"{r.works} work(s); {len(r.flagged)} flagged."
        ))

    def check(self, suspect: Path, registry: Path) -> None:
        """Check *suspect* for every member against the shared *registry* (on a worker)."""
        assert self.union is not None
        keys = {f"epoch {n + 1}": key for n, key in enumerate(self.union.epochs)}
        folder = str(registry)

        def job(report: object, cancelled: object) -> scan.ScanResult:
            from artistshield import scan

            return scan.check_one(str(suspect), keys, folder)

        self.result.setText(f"Checking {_escape(suspect.name)} for every member…")
        self._run(job, "Checking for every member…", self._show_check)

    def _check(self) -> None:
        suspect = dialogs.open_file(self, "A suspect image or clip", artwork_filter(), place="artwork")
        if not suspect:
            return
        registry = dialogs.choose_folder(self, "The shared registry folder", place="documents")
        if registry:
            self.check(Path(suspect), Path(registry))

    def _show_check(self, result: scan.ScanResult) -> None:
        if result.error is not None:
            text = f"{_escape(Path(result.input).name)} could not be checked: {_escape(result.error)}"
        elif result.found:
            text = f"<b>{_escape(Path(result.input).name)} is {_escape(result.member or '')}</b>."
        else:
            text = f"{_escape(Path(result.input).name)}: {_escape(result.verdict)}."
        self.result.setText(text)
        self.checked.emit(result)

    def _run(self, job: object, doing: str, done: object) -> None:
        self.worker = Worker(job, name="union")  # type: ignore[arg-type]
        self.job_progress.track(self.worker, doing)
        self.worker.signals.succeeded.connect(done)  # type: ignore[arg-type]
        self.worker.signals.failed.connect(lambda message, _: show_error(message, parent=self))
        self.worker.start()


class _Declined(Exception):
    """The user closed a passphrase dialog."""


def _sealed(folder: Path) -> bool:
    from artistshield.union.authority import FILE_NAME

    try:
        document = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
        return document["secrets"]["cipher"] != "none"
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _escape(text: object) -> str:
    import html

    return html.escape(str(text))
