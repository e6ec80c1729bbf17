"""The Mark view's options: where the marked copies go, their format, the mark's strength, a platform.

:class:`MarkOptions` holds the choices and remembers them between sessions
(:meth:`~MarkOptions.load_settings`); :meth:`~MarkOptions.chosen` hands them
to a marking job as plain values.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QWidget,
)

from artistshield.gui import dialogs
from artistshield.gui.errors import show_error
from artistshield.gui.resources import icon, resource_path

FORMATS = {"Same as original": None, "PNG": "PNG", "JPEG": "JPEG", "WebP": "WEBP", "TIFF": "TIFF"}
#: "None" and the names of ``platforms.PRESETS``, spelt out so the window opens without NumPy.
PLATFORMS = (
    "None", "X", "Instagram", "ArtStation", "Pixiv", "YouTube", "TikTok", "Bluesky", "Tumblr",
    "DeviantArt",
)


@functools.cache
def strength_figures() -> tuple[tuple[float, float, float, float], ...]:
    """The measured trade-off behind the strength slider's words, one row per strength.

    Each row: strength, then SSIMULACRA2 of the median picture and of the worst one (100
    identical, 90 visually lossless), then the rate the mark is read at after the hardest
    edits.  benchmarks/strength_tradeoff.py measures them on the development corpus and
    writes ``resources/strength.json`` from its saved record, so the words follow the
    engine as measured; tests/gui/test_strength_words.py checks the two are the same run.
    """
    rows = json.loads(resource_path("strength.json").read_text(encoding="utf-8"))["strengths"]
    return tuple((row["strength"], row["ssimulacra2_median"], row["ssimulacra2_worst"],
                  row["detection_rate"]) for row in rows)


def strength_words(strength: float) -> tuple[str, str]:
    """The strength slider's value in words, and the measured figures behind them.

    From the measured strength nearest *strength*: invisible at 100% while the median
    picture stays visually lossless (SSIMULACRA2 90 or more).
    """
    _, median, worst, read = min(strength_figures(), key=lambda row: abs(row[0] - strength))
    if median >= 90:
        looks = "invisible at 100%"
    elif median >= 85:
        looks = "may show on smooth gradients"
    else:
        looks = "shows on smooth gradients"
    details = (f"Measured on the test pictures: SSIMULACRA2 {median:.0f} for the median one, "
               f"{worst:.0f} for the worst (90 is visually lossless); read after {read:.0%} "
               "of the hardest edits tried.")
    return f"{strength:.1f}\N{MULTIPLICATION SIGN} \N{MIDDLE DOT} {looks}", details


@dataclass(frozen=True)
class Chosen:
    """The options of one marking batch, as the core takes them."""

    format: str | None  # None: as the original
    quality: int | None  # JPEG/WebP only
    strength: float
    platform: str | None  # the platform to test the marked copies against, if any


def default_output_folder(entry: Path) -> Path:
    """A sibling of the originals' folder: ``<folder>-marked``, never the folder itself.

    A folder of numbered frames is one clip, so its copy goes beside it, as a file's would.
    """
    from artistshield.animation import sequence

    folder = entry if entry.is_dir() and not sequence.is_sequence(entry) else entry.parent
    return folder.parent / f"{folder.name}-marked"


class MarkOptions(QGroupBox):
    """The options group of the Mark view."""

    strength_settled = Signal()  # the strength slider came to rest on a new value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Options", parent)
        self.output_chosen = False  # the artist chose the output folder: never guess it again
        form = QFormLayout(self)
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

        row = QHBoxLayout()
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
        row.addWidget(self.format_combo)
        row.addWidget(self.quality_spin)
        row.addSpacing(24)
        row.addWidget(QLabel("Strength:"))
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(5, 20)
        self.strength_slider.setValue(10)
        self.strength_label = QLabel()
        self.strength_slider.valueChanged.connect(self._strength_changed)
        self._strength_changed(self.strength_slider.value())
        # The preview follows the slider once it rests: on release after a drag, and a
        # moment after a key, wheel or click on the groove moved it.
        self._strength_rests = QTimer(self)
        self._strength_rests.setSingleShot(True)
        self._strength_rests.setInterval(300)
        self._strength_rests.timeout.connect(self.strength_settled)
        self.strength_slider.sliderReleased.connect(self.strength_settled)
        self.strength_slider.valueChanged.connect(
            lambda _: None if self.strength_slider.isSliderDown() else self._strength_rests.start()
        )
        row.addWidget(self.strength_slider, 1)
        row.addWidget(self.strength_label)
        form.addRow("Format:", row)
        # a row of its own: the strength's words need the room in a small window
        self.platform_combo = QComboBox()
        self.platform_combo.addItems(list(PLATFORMS))
        self.platform_combo.setToolTip(
            "Test each marked file against this platform's resize and recompression "
            "(approximate settings)"
        )
        platform_row = QHBoxLayout()
        platform_row.addWidget(self.platform_combo)
        platform_row.addStretch(1)
        form.addRow("Platform:", platform_row)
        self._format_changed(self.format_combo.currentText())
        self.consent_label = QLabel()
        self.consent_label.setToolTip("What every marked copy says about AI training (Settings)")
        form.addRow("Consent:", self.consent_label)
        self.refresh_consent()

    def refresh_consent(self) -> None:
        """Show the consent the next copies will carry, as the settings say now."""
        from artistshield.provenance.consent import in_words

        self.consent_label.setText(in_words())

    def _strength_changed(self, value: int) -> None:
        words, details = strength_words(value / 10)
        self.strength_label.setText(words)
        tip = f"How strong the mark is. Stronger survives more editing but may show on smooth gradients.\n{details}"
        self.strength_slider.setToolTip(tip)
        self.strength_label.setToolTip(tip)

    def _format_changed(self, text: str) -> None:
        self.quality_spin.setEnabled(FORMATS.get(text) in ("JPEG", "WEBP"))

    @property
    def strength(self) -> float:
        return self.strength_slider.value() / 10

    def chosen(self) -> Chosen:
        fmt = FORMATS[self.format_combo.currentText()]
        platform = self.platform_combo.currentText()
        return Chosen(
            format=fmt,
            quality=self.quality_spin.value() if fmt in ("JPEG", "WEBP") else None,
            strength=self.strength,
            platform=None if platform == "None" else platform,
        )

    # -- the output folder -------------------------------------------------------

    def output_folder(self) -> Path | None:
        text = self.output_edit.text().strip()
        return Path(text).expanduser().absolute() if text else None

    def suggest_output(self, entry: Path) -> None:
        """Fill in :func:`default_output_folder` of *entry*, unless a folder is set already."""
        if not self.output_chosen and not self.output_edit.text():
            self.output_edit.setText(str(default_output_folder(entry)))

    def forget_output(self) -> None:
        """Clear a suggested output folder (one the artist chose stays)."""
        if not self.output_chosen:
            self.output_edit.clear()

    def choose_output(self) -> None:
        folder = dialogs.choose_folder(self, "Where to put the marked copies", start=self.output_edit.text())
        if folder:
            self.output_edit.setText(str(folder))
            self.output_chosen = True

    def open_output(self) -> None:
        out = self.output_folder()
        if out is None or not out.is_dir():
            show_error("The output folder does not exist yet: mark some files first.", parent=self)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(out)))

    # -- settings ------------------------------------------------------------------

    def load_settings(self, store: Any) -> None:
        self.format_combo.setCurrentText(str(store.value("mark/format", "Same as original")))
        self.quality_spin.setValue(int(store.value("mark/quality", 92)))
        self.strength_slider.setValue(int(store.value("mark/strength", _default_strength())))
        self.platform_combo.setCurrentText(str(store.value("mark/platform", "None")))

    def save_settings(self, store: Any) -> None:
        store.setValue("mark/format", self.format_combo.currentText())
        store.setValue("mark/quality", self.quality_spin.value())
        # Only a strength the artist chose is kept: left at the default, it follows the
        # default (a joined union's profile may set one).
        if self.strength_slider.value() == _default_strength():
            store.remove("mark/strength")
        else:
            store.setValue("mark/strength", self.strength_slider.value())
        store.setValue("mark/platform", self.platform_combo.currentText())


def _default_strength() -> int:
    """The strength slider's default: a joined union profile's, else 10 (strength 1.0)."""
    from artistshield.errors import ArtistShieldError
    from artistshield.union import membership

    try:
        strength = membership.profile_defaults()["strength"]
    except ArtistShieldError:
        strength = None
    return 10 if strength is None else max(5, min(20, round(strength * 10)))
