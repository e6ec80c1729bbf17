"""The Union view: open a union, issue a membership, check a suspect for every member."""

import json
from pathlib import Path

import numpy as np
from PIL import Image

from artistshield import identity as identities
from artistshield import watermark
from artistshield.registry import Registry
from artistshield.union import UnionAuthority, membership, shared

DATA = Path(__file__).parents[1] / "data"


def test_staff_issue_a_membership_and_check_for_every_member(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    from artistshield.gui.union_view import UnionView

    union_home = tmp_path / "guild"
    UnionAuthority.create("Animators' Guild", None, home=union_home)
    view = UnionView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.opened, timeout=10_000):
        view.open_union(union_home)
    assert "Animators&#x27; Guild" in view.title.text() and view.table.rowCount() == 0

    # a member asks, staff issue, the member joins and marks a work
    artist = identities.create("Ada Artist", None)
    request = tmp_path / "ada.asrequest"
    request.write_text(json.dumps(membership.request_membership(artist)))
    view.issue(request, member_no=7, until="2099-01-01", out=tmp_path / "ada.asmember")
    assert view.table.rowCount() == 1 and view.table.item(0, 1).text() == "Ada Artist"
    joined = membership.join(tmp_path / "ada.asmember", artist)
    pixels = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    payload = membership.payload_for(joined.member_no)
    marked = tmp_path / "hills.png"
    Image.fromarray(watermark.embed(pixels, joined.key, payload)).save(marked)
    with Registry.open() as registry:
        registry.add_work(
            np.asarray(Image.open(marked)), file_path=marked, payload=payload, identity=artist
        )
        shared.contribute(registry, artist, joined, tmp_path / "ada.json")
    assert view.union is not None
    shared.merge(view.union, [tmp_path / "ada.json"], tmp_path / "shared")

    with qtbot.waitSignal(view.checked, timeout=120_000) as found:
        view.check(marked, tmp_path / "shared")
    assert found.args[0].found
    assert "is W-000001 by Ada Artist (member 7)" in view.result.text()
    with qtbot.waitSignal(view.checked, timeout=120_000) as found:
        view.check(DATA / "painted-bridge.png", tmp_path / "shared")
    assert not found.args[0].found and "by Ada Artist" not in view.result.text()


def test_a_member_joins_from_the_identity_view(qtbot, tmp_path: Path) -> None:
    from artistshield.gui.identity_view import IdentityView
    from artistshield.gui.session import Session

    union = UnionAuthority.create("Animators' Guild", None, home=tmp_path / "guild")
    profile = tmp_path / "guild.asprofile"
    profile.write_text(json.dumps(union.profile()))
    identities.create("Ada Artist", None)
    view = IdentityView(Session())
    qtbot.addWidget(view)
    assert "Not a member" in view.union_status.text()

    assert view.join_union(profile)
    assert "uses <b>Animators&#x27; Guild</b>'s settings" in view.union_status.text()

    assert view.save_request(tmp_path / "ada.asrequest")
    assert not view.save_request(tmp_path / "ada.asrequest")  # never over a file
    request = json.loads((tmp_path / "ada.asrequest").read_text())
    document = union.issue(request, member_no=9, until="2099-01-01")
    (tmp_path / "ada.asmember").write_text(json.dumps(document))
    assert view.join_union(tmp_path / "ada.asmember")
    assert "Member 9 of" in view.union_status.text()

    document["member_no"] = 10  # altered after the union signed it
    (tmp_path / "bad.asmember").write_text(json.dumps(document))
    from artistshield.gui import errors

    assert not view.join_union(tmp_path / "bad.asmember")
    assert errors.open_dialogs and "altered" in errors.open_dialogs[-1].message
    for dialog in list(errors.open_dialogs):
        dialog.close()


def test_the_window_shows_the_union_joined(qtbot, tmp_path: Path) -> None:
    from artistshield.gui.main_window import MainWindow

    union = UnionAuthority.create("Animators' Guild", None, home=tmp_path / "guild")
    profile = tmp_path / "guild.asprofile"
    profile.write_text(json.dumps(union.profile()))
    identities.create("Ada Artist", None)
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.windowTitle() == "ArtistShield"
    assert window.identity_view.join_union(profile)
    assert window.windowTitle() == "ArtistShield — Animators' Guild"
    window.show_view(4)
    assert window.stack.currentWidget() is window.union_view
