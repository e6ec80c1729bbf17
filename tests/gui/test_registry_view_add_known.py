"""Register without marking skips a file the registry holds already and says which work it is."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

DATA = Path(__file__).parents[1] / "data"


def test_a_re_export_is_not_registered_twice(qtbot, window, tmp_path: Path) -> None:
    art = Image.open(DATA / "painted-hills.png").convert("RGB")
    original, reexport = tmp_path / "Hills.PNG", tmp_path / "hills web ü.jpg"
    art.save(original)
    art.resize((art.width // 2, art.height // 2)).save(reexport, quality=80)
    view = window.registry_view
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.show_view(2)
    with qtbot.waitSignal(view.registered, timeout=60_000) as first:
        view.register_files([original])
    ((_, work_id, error),) = first.args[0]
    assert error is None and work_id == "W-000001"
    with qtbot.waitSignal(view.registered, timeout=60_000) as second:
        view.register_files([reexport])
    ((_, again_id, error),) = second.args[0]
    assert error is None and again_id == "W-000001"  # the work it is, not a new one
    said = view.status.text()
    assert "Registered 0 work(s)" in said and "already registered as W-000001" in said
    assert "hills web ü.jpg" in said and "by its fingerprint" in said
    qtbot.waitUntil(lambda: "W-000001" in view.works, timeout=10_000)
    assert list(view.works) == ["W-000001"]
