"""The Mark view as an artist uses it: drop files, mark, see outputs and registry rows."""

from __future__ import annotations

from mark_steps import add as _add

from artistshield import imageio
from artistshield.gui import errors
from artistshield.gui.mark_view import COL_STATUS, COL_SURVIVES
from artistshield.registry import Registry

NAMES = ("cel-portrait-alpha.png", "painted-hills.png", "cartoon-halloween-outro.png")


def _mark(qtbot, view) -> None:
    with qtbot.waitSignal(view.batch_finished, timeout=60_000):
        view.start_button.click()


def _status(view, row: int) -> str:
    return view.table.item(row, COL_STATUS).text()


def test_drop_mark_and_register(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    files = artwork(*NAMES)
    _add(qtbot, drop, view, [files[0].parent])  # a dropped folder brings every image in it
    assert view.table.rowCount() == 3
    out = files[0].parent.parent / "art-marked"
    assert view.output_folder() == out
    assert not view.table.item(0, 0).icon().isNull()  # thumbnails
    view.platform_combo.setCurrentText("X")
    with qtbot.waitSignal(window.registry_view.loaded, timeout=60_000):
        _mark(qtbot, view)
    for row in range(3):
        assert _status(view, row).startswith("Marked"), _status(view, row)
        # X keeps these sizes and re-saves at JPEG 85, which the mark survives
        assert view.table.item(row, COL_SURVIVES).text() == "Pass (X)"
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)
    with Registry.open() as registry:
        works = registry.works()
    assert sorted(w.file_name for w in works) == sorted(NAMES)
    assert all(w.marked for w in works)
    assert window.registry_view.model.rowCount() == 3
    assert "Marked 3 of 3" in view.status.text()


def test_preview_offers_original_marked_and_difference(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    _add(qtbot, drop, view, artwork("cel-portrait-alpha.png"))
    qtbot.waitUntil(lambda: len(view.previews) == 3, timeout=20_000)
    for button in view.preview_mode.buttons():
        button.click()
        assert view.preview.has_image()


def test_corrupt_file_shows_error_and_batch_goes_on(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    good = artwork("cel-portrait-alpha.png", "painted-hills.png")
    bad = good[0].parent / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a PNG")
    _add(qtbot, drop, view, [good[0], bad, good[1]])
    _mark(qtbot, view)
    assert _status(view, 1).startswith("Error:") and "broken.png" in _status(view, 1)
    assert _status(view, 0).startswith("Marked") and _status(view, 2).startswith("Marked")
    assert "1 could not be marked" in view.status.text()


def test_cancel_stops_within_one_file_and_leaves_no_partial_output(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    files = artwork(*NAMES, "painted-mountains.png", "painted-bridge.png")
    _add(qtbot, drop, view, files)
    with qtbot.waitSignal(view.batch_finished, timeout=60_000):
        view.start_button.click()
        qtbot.waitUntil(lambda: bool(view.outcomes), timeout=30_000)
        view.cancel_button.click()
    marked = len(view.outcomes)
    assert 1 <= marked <= 2  # the file in hand when Cancel was pressed may finish
    statuses = [_status(view, row) for row in range(5)]
    assert statuses.count("Cancelled — not marked") == 5 - marked
    assert "cancelled" in view.status.text()
    outputs = list(view.output_folder().iterdir())
    assert len(outputs) == marked  # nothing half-written, no temporary files left
    for path in outputs:
        imageio.load(path)


def test_output_folder_must_not_be_the_originals_folder(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    files = artwork("cel-portrait-alpha.png")
    _add(qtbot, drop, view, files)
    view.output_edit.setText(str(files[0].parent))
    view.start_button.click()
    assert errors.open_dialogs and "originals" in errors.open_dialogs[-1].message
    assert view.worker is None
    assert sorted(files[0].parent.iterdir()) == files
