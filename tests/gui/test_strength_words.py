"""The strength slider's words come from the measured trade-off, not from a guess."""

import json
from pathlib import Path

from artistshield.gui.mark_options import strength_figures, strength_words

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "benchmarks" / "results" / "strength_tradeoff.json"
SLIDER = ROOT / "resources" / "strength.json"


def test_the_words_figures_are_the_saved_benchmarks() -> None:
    record = json.loads(RECORD.read_text())
    saved = tuple((r["strength"], r["ssimulacra2_median"], r["ssimulacra2_worst"], r["detection_rate"])
                  for r in record["figures"]["strengths"])
    assert saved == strength_figures()
    # the same run, not figures that happen to match: a rerun that was not handed on fails here
    slider = json.loads(SLIDER.read_text())
    assert (slider["date"], slider["commit"]) == (record["date"], record["commit"]), (
        "resources/strength.json is not from the saved strength_tradeoff run: "
        "python benchmarks/strength_tradeoff.py --plot"
    )


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
