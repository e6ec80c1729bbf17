"""The main window: a sidebar of five views (Mark, Check, Registry, Identity, Union)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from artistshield import __version__
from artistshield.gui.check_view import CheckView
from artistshield.gui.identity_view import IdentityView
from artistshield.gui.job_progress import JobProgress
from artistshield.gui.mark_view import MarkView
from artistshield.gui.registry_view import RegistryView
from artistshield.gui.resources import icon
from artistshield.gui.session import Session, settings
from artistshield.gui.stamping import StampingJob
from artistshield.gui.union_view import UnionView
from artistshield.gui.workers import wait_for_all


class MainWindow(QMainWindow):
    VIEWS = ("Mark", "Check", "Registry", "Identity", "Union")

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session or Session()
        self.setWindowTitle("ArtistShield")
        self.setWindowIcon(icon("app"))
        self.mark_view = MarkView(self.session)
        self.check_view = CheckView(self.session)
        self.registry_view = RegistryView(self.session)
        self.identity_view = IdentityView(self.session)
        self.union_view = UnionView()
        self.stack = QStackedWidget()
        self.sidebar = QListWidget()
        self.sidebar.setIconSize(QSize(28, 28))
        self.sidebar.setFixedWidth(150)
        tips = {
            "Mark": "Add an invisible mark to your artwork and register it (Ctrl+1)",
            "Check": "Check whether an image you found is yours (Ctrl+2)",
            "Registry": "Everything you marked or registered (Ctrl+3)",
            "Identity": "Your artist ID, public key, backups and union (Ctrl+4)",
            "Union": "For union staff: members, shared registry, checks for all (Ctrl+5)",
        }
        for name, view in zip(self.VIEWS, self.views(), strict=True):
            item = QListWidgetItem(icon(name.lower()), name)
            item.setToolTip(tips[name])
            item.setSizeHint(QSize(140, 48))
            self.sidebar.addItem(item)
            self.stack.addWidget(view)
        self.sidebar.currentRowChanged.connect(self.show_view)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(6, 6, 6, 0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.mark_view.works_changed.connect(self.registry_view.refresh)
        self.identity_view.changed.connect(self.show_union)
        self.stamping = StampingJob(self.session, self)
        self.mark_view.works_changed.connect(self.stamping.try_now)
        self.stamping.stamped.connect(
            lambda stamp: self.statusBar().showMessage(f"Your works are stamped: {stamp.claim()}.", 10000)
        )
        self.stamping.stamped.connect(lambda _stamp: self.registry_view.refresh())
        self.stamp_progress = JobProgress()  # a round over a second: what it waits for
        self.statusBar().addPermanentWidget(self.stamp_progress)
        self.stamping.started.connect(self.stamp_progress.track)
        self.show_union()
        self._menus()
        self._shortcuts()
        self._restore()
        self.sidebar.setCurrentRow(0)
        self.statusBar().showMessage("Ready.", 3000)
        self.stamping.start()

    def views(self) -> list[QWidget]:
        return [
            self.mark_view, self.check_view, self.registry_view, self.identity_view,
            self.union_view,
        ]

    def show_union(self) -> None:
        """Put the union the artist joined in the title bar, in its colour's words."""
        from artistshield.errors import ArtistShieldError
        from artistshield.union import membership

        try:
            member = membership.membership_info()
            profile = membership.load_profile()
        except ArtistShieldError:
            member = profile = None
        union = member["union"] if member else profile["union"] if profile else None
        self.setWindowTitle("ArtistShield" if union is None else f"ArtistShield — {union['name']}")

    def show_view(self, index: int) -> None:
        if self.sidebar.currentRow() != index:
            self.sidebar.setCurrentRow(index)  # comes back here through currentRowChanged
            return
        self.stack.setCurrentIndex(index)
        if self.stack.currentWidget() is self.registry_view and not self.registry_view.works:
            self.registry_view.refresh()

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        preferences = QAction("&Settings…", self)
        preferences.setShortcut(QKeySequence.StandardKey.Preferences)
        preferences.triggered.connect(self.open_settings)
        file_menu.addAction(preferences)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for i, name in enumerate(self.VIEWS):
            action = QAction(icon(name.lower()), name, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, i=i: self.show_view(i))
            view_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        logs = QAction("Open the &log folder", self)
        logs.triggered.connect(self.open_logs)
        help_menu.addAction(logs)
        about = QAction(icon("info"), "&About ArtistShield", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def _find(self) -> None:
        self.show_view(2)
        self.registry_view.search.setFocus()

    def _shortcuts(self) -> None:
        def on(view: QWidget, action):
            return lambda: action() if self.stack.currentWidget() is view else None

        bindings = [
            ("Ctrl+O", lambda: (self.mark_view.choose_files() if self.stack.currentWidget() is self.mark_view
                                else self.check_view.choose_file())),
            ("Ctrl+Return", on(self.mark_view, self.mark_view.start)),
            ("Escape", lambda: (self.mark_view.cancel() if self.stack.currentWidget() is self.mark_view
                                else self.check_view.cancel())),
            ("Ctrl+V", on(self.check_view, self.check_view.paste)),
            ("Ctrl+F", self._find),
        ]
        for keys, action in bindings:
            QShortcut(QKeySequence(keys), self).activated.connect(action)

    def about(self) -> None:
        from artistshield.gui.about import licences_html

        QMessageBox.about(
            self, "About ArtistShield",
            f"<h3>ArtistShield {__version__}</h3><p>Invisible marks and a signed registry for "
            f"your published artwork. Works offline; nothing leaves this computer.</p>{licences_html()}",
        )

    def open_settings(self) -> None:
        """The settings dialog; what it changes shows at once in the Mark view and stamping."""
        from artistshield.gui.settings_dialog import SettingsDialog

        state = self.stamping.state
        self.settings_dialog = SettingsDialog(self, stamps=state.in_words() if state else "")
        self.stamping.state_changed.connect(self.settings_dialog.consent.show_stamps)
        self.stamping.refresh_state()
        if self.settings_dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.mark_view.options.refresh_consent()
            self.stamping.try_now()
        self.stamping.state_changed.disconnect(self.settings_dialog.consent.show_stamps)

    def open_logs(self) -> None:
        from artistshield.paths import data_dir

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(data_dir() / "logs")))

    # -- settings --------------------------------------------------------------

    def _restore(self) -> None:
        store = settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1180, 780)
        self.mark_view.load_settings(store)

    def save_settings(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/view", self.stack.currentIndex())
        self.mark_view.save_settings(store)
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stamping.stop()
        self.save_settings()
        self.mark_view.shutdown()
        self.check_view.shutdown()
        self.registry_view.shutdown()
        wait_for_all()
        super().closeEvent(event)
