"""A joined union profile's defaults apply where the artist has not chosen otherwise."""

import json
from pathlib import Path

from PySide6.QtCore import QSettings

from artistshield.paths import data_dir
from artistshield.registry import timestamp
from artistshield.union import UnionAuthority, membership

TSA = "https://tsa.guild.example/stamp"


def _join(tmp_path: Path, **defaults) -> None:
    union = UnionAuthority.create("Animators' Guild", None, home=tmp_path / "guild")
    path = tmp_path / "guild.asprofile"
    path.write_text(json.dumps(union.profile(**defaults)))
    membership.join_profile(path)


def test_the_profiles_strength_is_the_default_until_the_artist_moves_it(
    qtbot, tmp_path: Path
) -> None:
    from artistshield.gui.mark_options import MarkOptions

    _join(tmp_path, strength=1.5)
    options = MarkOptions()
    qtbot.addWidget(options)
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    options.load_settings(store)
    assert options.strength == 1.5
    options.save_settings(store)  # left at the union's default: not stored as a choice
    assert not store.contains("mark/strength")

    options.strength_slider.setValue(8)  # the artist's own choice wins from now on
    options.save_settings(store)
    again = MarkOptions()
    qtbot.addWidget(again)
    again.load_settings(store)
    assert again.strength == 0.8


def test_the_profiles_tsa_is_used_unless_the_artist_named_one(tmp_path: Path) -> None:
    settings = data_dir() / timestamp.SETTINGS_FILE
    settings.write_text("[mark]\nformat=PNG\n")
    _join(tmp_path, tsa_url=TSA)
    assert timestamp.configured() == (TSA, None)
    assert "format=PNG" in settings.read_text()  # the rest of the settings kept
    assert membership.profile_defaults() == {"strength": 1.0, "tsa_url": TSA}

    settings.write_text("[General]\ntsa_url=https://my.tsa.example\n")
    _join(tmp_path / "again", tsa_url=TSA)
    assert timestamp.configured()[0] == "https://my.tsa.example"
