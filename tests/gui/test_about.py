"""Help > About names every bundled third-party component and its licence."""

from PySide6.QtWidgets import QMessageBox

from artistshield.components import components


def test_about_lists_every_component_and_its_licence(window, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    about = next(a for a in window.menuBar().actions()[-1].menu().actions() if "About" in a.text())
    about.trigger()
    listed = components()
    assert len(listed) >= 10
    for component in listed:
        assert f"<td>{component.name}</td><td>{component.version}</td>" in shown[0]
        assert component.licence in shown[0]
    for name in ("Qt", "FFmpeg", "c2pa-python", "numpy", "scipy", "pillow", "cryptography"):
        assert f"<td>{name}</td>" in shown[0]
