"""The app's settings dialog; its Consent section is what every marked copy says.

:class:`ConsentSettings` reads and writes the ``[Consent]`` group of
``settings.ini`` that ``artistshield mark`` reads too
(:func:`artistshield.provenance.consent.from_settings`): ``enabled``,
``data_mining``, ``c2pa``, and ``stamp_when_online`` (the app stamps new
works with the time-stamp authority in the background).  The authority's
address is ``tsa_url`` and the file of its certificates (for an authority
whose answers do not carry its chain) ``tsa_certs``, both under
``[General]``, where ``artistshield registry timestamp`` looks for them
(:func:`artistshield.registry.timestamp.configured`; ``--tsa`` and
``--tsa-certs`` there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from artistshield.gui.checked_dialog import CheckedDialog
from artistshield.provenance.consent import DATA_MINING_VALUES, DEFAULT_DATA_MINING
from artistshield.provenance.metadata import DATA_MINING

ENABLED, MINING, C2PA = "Consent/enabled", "Consent/data_mining", "Consent/c2pa"
STAMP_WHEN_ONLINE, TSA_URL, TSA_CERTS = "Consent/stamp_when_online", "tsa_url", "tsa_certs"
CERTIFICATE_FILES = "Certificates (*.pem *.crt *.cer *.der);;All files (*)"


def _flag(store: Any, key: str, default: bool = True) -> bool:
    return str(store.value(key, default)).strip().lower() not in ("false", "0", "no", "off")


def stamp_when_online(store: Any) -> bool:
    """Whether the app should stamp new works with the configured TSA when it can reach it."""
    return _flag(store, STAMP_WHEN_ONLINE)


class ConsentSettings(QGroupBox):
    """The Consent section: the refusal written into copies, its signature, and trusted time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Consent", parent)
        form = QFormLayout(self)
        self.enabled = QCheckBox("Do not use my work for AI training")
        self.enabled.setToolTip(
            "Write your refusal into every marked copy (XMP and EXIF: creator, rights, "
            "IPTC data mining, digital source type), where crawlers and other tools read it"
        )
        form.addRow(self.enabled)
        self.data_mining = QComboBox()
        for value in DATA_MINING_VALUES:
            self.data_mining.addItem(f"{DATA_MINING[value]} ({value})", value)
        self.data_mining.setToolTip("The IPTC PLUS data-mining value written into each copy")
        form.addRow("IPTC data mining:", self.data_mining)
        self.c2pa = QCheckBox("Sign Content Credentials (C2PA) on marked copies")
        self.c2pa.setToolTip(
            "A signed manifest saying you made the work by hand and refuse AI training. "
            "It is signed with a certificate made for your identity, so validators call "
            "the signature valid but untrusted: it proves the copy is unchanged since you "
            "signed it, not who you are."
        )
        form.addRow(self.c2pa)
        self.tsa_url = QLineEdit()
        self.tsa_url.setPlaceholderText("none: the app works offline and nothing is stamped")
        self.tsa_url.setToolTip(
            "An RFC 3161 time-stamp authority (for example https://freetsa.org/tsr). Its "
            "stamp of your registry proves your works existed by that time. Only this "
            "address is ever contacted, and only to stamp."
        )
        form.addRow("Time-stamp authority:", self.tsa_url)
        self.tsa_certs = QLineEdit()
        self.tsa_certs.setPlaceholderText("none: the authority's answers carry its certificates")
        self.tsa_certs.setToolTip(
            "The authority's CA certificates (PEM or DER), if its answers do not carry "
            "them: its stamps are checked against them, and they travel in your proof "
            "bundles so anyone can verify the stamps offline"
        )
        self.choose_certs = QPushButton("Choose…")
        self.choose_certs.clicked.connect(self.choose_tsa_certs)
        certs = QHBoxLayout()
        certs.setContentsMargins(0, 0, 0, 0)
        certs.addWidget(self.tsa_certs, 1)
        certs.addWidget(self.choose_certs)
        form.addRow("Authority's certificates:", certs)
        self.stamp_online = QCheckBox("Stamp new works in the background when online")
        self.stamp_online.setToolTip(
            "Registered works wait for a stamp; the app asks the authority above when it "
            "can reach it, without ever holding you up"
        )
        form.addRow(self.stamp_online)
        self.status = QLabel()
        self.status.setWordWrap(True)
        form.addRow(self.status)
        self.enabled.toggled.connect(self._update)
        self.tsa_url.textChanged.connect(self._update)

    def show_stamps(self, state: Any) -> None:
        """Say which works are stamped (a :class:`~artistshield.gui.stamping.StampState`)."""
        self.status.setText(state.in_words())

    def _update(self) -> None:
        on = self.enabled.isChecked()
        self.data_mining.setEnabled(on)
        self.c2pa.setEnabled(on)
        has_tsa = bool(self.tsa_url.text().strip())
        self.stamp_online.setEnabled(has_tsa)
        self.tsa_certs.setEnabled(has_tsa)
        self.choose_certs.setEnabled(has_tsa)

    def choose_tsa_certs(self) -> None:
        from artistshield.gui import dialogs

        path = dialogs.open_file(self, "The time-stamp authority's certificates", CERTIFICATE_FILES)
        if path is not None:
            self.tsa_certs.setText(str(path))

    def load(self, store: Any) -> None:
        self.enabled.setChecked(_flag(store, ENABLED))
        value = str(store.value(MINING, DEFAULT_DATA_MINING))
        index = self.data_mining.findData(value)
        self.data_mining.setCurrentIndex(
            index if index >= 0 else self.data_mining.findData(DEFAULT_DATA_MINING)
        )
        self.c2pa.setChecked(_flag(store, C2PA))
        self.tsa_url.setText(str(store.value(TSA_URL, "") or ""))
        self.tsa_certs.setText(str(store.value(TSA_CERTS, "") or ""))
        self.stamp_online.setChecked(stamp_when_online(store))
        self._update()

    def save(self, store: Any) -> None:
        store.setValue(ENABLED, self.enabled.isChecked())
        store.setValue(MINING, self.data_mining.currentData())
        store.setValue(C2PA, self.c2pa.isChecked())
        url = self.tsa_url.text().strip()
        if url:
            store.setValue(TSA_URL, url)
        else:
            store.remove(TSA_URL)
        certs = self.tsa_certs.text().strip()
        if url and certs:
            store.setValue(TSA_CERTS, str(Path(certs).expanduser()))
        else:
            store.remove(TSA_CERTS)
        store.setValue(STAMP_WHEN_ONLINE, self.stamp_online.isChecked())

    def problem(self) -> str | None:
        """Why the settings cannot be saved as they are, or None."""
        url = self.tsa_url.text().strip()
        if url and not url.lower().startswith(("http://", "https://")):
            return "The time-stamp authority must be an http:// or https:// address."
        certs = self.tsa_certs.text().strip()
        if url and certs:
            from artistshield.errors import ArtistShieldError
            from artistshield.registry import timestamp

            try:
                timestamp.load_certificates(Path(certs).expanduser())
            except ArtistShieldError as exc:
                return f"The authority's certificates cannot be used: {exc}"
        return None


class SettingsDialog(CheckedDialog):
    """The app's settings; saved to ``settings.ini`` when accepted."""

    def __init__(self, parent: QWidget | None = None, *, stamps: str = "") -> None:
        from artistshield.gui.session import settings

        super().__init__("Settings", parent)
        self.consent = ConsentSettings()
        self.consent.load(settings())
        self.consent.status.setText(stamps)
        self.content.addWidget(self.consent)

    def save(self) -> None:
        """Save and close (the OK button), unless a setting cannot be saved as it is."""
        self.accept()

    def find_problem(self) -> str | None:
        return self.consent.problem()

    def keep(self) -> None:
        from artistshield.gui.session import settings

        store = settings()
        self.consent.save(store)
        store.sync()
