"""Two copies of one artwork in one "Mark all" batch: the second is caught, as the CLI catches it."""

from __future__ import annotations

import shutil
from pathlib import Path

from mark_steps import add, asked, works
from PIL import Image

from artistshield.gui.mark_view import COL_STATUS
from artistshield.registry import Registry

NAME = "painted-hills.png"
OTHER = "cel-spookytree-alpha.png"


def _status(view, path: Path) -> str:
    return view.table.item(view.rows[path.absolute()], COL_STATUS).text()


def _copies(artwork, tmp_path: Path) -> list[Path]:
    """The artwork, the same pixels under another name, and the same picture saved as JPEG."""
    (first,) = artwork(NAME)
    same = Path(shutil.copy(first, first.with_name("hills-copy.png")))
    resaved = first.with_name("hills-resaved.jpg")
    Image.open(first).convert("RGB").save(resaved, quality=95)
    return [first, same, resaved]


def test_a_repeat_within_the_batch_is_asked_about_once_then_marked_again(
    qtbot, window, artwork, drop, tmp_path
) -> None:
    view = window.mark_view
    first, same, resaved = _copies(artwork, tmp_path)
    add(qtbot, drop, view, [first, same, resaved])
    view.start_button.click()  # the registry is empty: nothing is asked before marking
    dialog = asked(qtbot, view)
    assert "1 file is registered already" in dialog.text()
    assert "hills-copy.png: already registered as W-000001" in dialog.informativeText()
    assert "(the same " in dialog.informativeText()  # pixels, or picture by its fingerprint
    assert "registered as W-000001" in _status(view, first)  # marked before the question
    with qtbot.waitSignal(view.batch_finished, timeout=240_000):
        dialog.again_button.click()
    assert view.remark_dialog is None  # the answer covers the JPEG re-save too: asked once
    for repeat in (same, resaved):
        assert "a new version of W-00000" in _status(view, repeat), _status(view, repeat)
    registered = works()
    assert len(registered) == 3 and registered["W-000001"] is None
    assert registered["W-000002"] == "W-000001"
    assert registered["W-000003"] in ("W-000001", "W-000002")
    with Registry.open() as registry:
        assert registry.verify().ok


def test_a_repeat_within_the_batch_gets_the_answer_given_before_it(
    qtbot, window, artwork, drop, tmp_path
) -> None:
    view = window.mark_view
    first, same, _ = _copies(artwork, tmp_path)
    (other,) = artwork(OTHER)
    add(qtbot, drop, view, [other])
    with qtbot.waitSignal(view.batch_finished, timeout=120_000):
        view.start_button.click()
    assert works() == {"W-000001": None}

    # the registered one is asked about before the batch: "Skip" covers the repeat found in it
    add(qtbot, drop, view, [first, same])
    view.start_button.click()
    dialog = asked(qtbot, view)
    assert "1 file is registered already" in dialog.text()
    assert OTHER in dialog.informativeText()
    with qtbot.waitSignal(view.batch_finished, timeout=240_000):
        dialog.skip_button.click()
    assert view.remark_dialog is None
    assert _status(view, other).startswith("Skipped: already registered as W-000001")
    assert "registered as W-000002" in _status(view, first)
    assert _status(view, same).startswith("Skipped: already registered as W-000002")
    assert "Marked 1 of 3 files; skipped 2 registered already" in view.status.text()
    assert works() == {"W-000001": None, "W-000002": None}
