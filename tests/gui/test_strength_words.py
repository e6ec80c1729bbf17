"""The strength slider's words come from the measured trade-off, not from a guess."""

import json
from pathlib import Path

from artistshield.gui.mark_options import STRENGTH_FIGURES, strength_words

RECORD = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "strength_tradeoff.json"


def test_the_words_figures_are_the_saved_benchmarks() -> None:
    rows = json.loads(RECORD.read_text())["figures"]["strengths"]
    saved = tuple((r["strength"], r["ssimulacra2_median"], r["ssimulacra2_worst"], r["detection_rate"])
                  for r in rows)
    assert saved == STRENGTH_FIGURES


def test_the_default_strength_reads_invisible_at_100_percent() -> None:
    words, details = strength_words(1.0)
    assert words == "1.0\N{MULTIPLICATION SIGN} \N{MIDDLE DOT} invisible at 100%"
    assert "SSIMULACRA2" in details


def test_the_strongest_mark_warns_of_smooth_gradients() -> None:
    words, _ = strength_words(2.0)
    assert "smooth gradients" in words and "invisible" not in words


def test_the_slider_shows_the_words(qtbot) -> None:
    from artistshield.gui.mark_options import MarkOptions

    options = MarkOptions()
    qtbot.addWidget(options)
    assert options.strength_label.text() == strength_words(1.0)[0]
    options.strength_slider.setValue(20)
    assert options.strength_label.text() == strength_words(2.0)[0]
    assert "SSIMULACRA2" in options.strength_slider.toolTip()
