"""The membership dialog says what is wrong and stays open, instead of failing after OK."""

from PySide6.QtCore import QDate

from artistshield.gui.union_view import IssueDialog
from artistshield.union.authority import IssuedMember


def member(number: int, name: str, artist_id: str) -> IssuedMember:
    return IssuedMember(
        member_no=number, name=name, artist_id=artist_id, public_key="", serial=number,
        issued="2026-01-01T00:00:00Z", until="2099-01-01T00:00:00Z",
    )


MEMBERS = {3: member(3, "Bo", "AS-BO"), 7: member(7, "Cy", "AS-CY")}


def test_a_new_member_gets_the_next_free_number(qtbot) -> None:
    dialog = IssueDialog("Ada", "AS-ADA", MEMBERS)
    qtbot.addWidget(dialog)
    assert dialog.number.value() == 8
    assert dialog.find_problem() is None


def test_a_taken_number_keeps_the_dialog_open_and_says_whose(qtbot) -> None:
    dialog = IssueDialog("Ada", "AS-ADA", MEMBERS)
    qtbot.addWidget(dialog)
    dialog.number.setValue(3)
    dialog.accept()
    assert dialog.result() != IssueDialog.DialogCode.Accepted
    assert "already Bo's" in dialog.problem.text()


def test_a_member_asking_again_renews_under_their_own_number(qtbot) -> None:
    dialog = IssueDialog("Cy", "AS-CY", MEMBERS)
    qtbot.addWidget(dialog)
    assert dialog.number.value() == 7 and dialog.find_problem() is None
    dialog.number.setValue(9)
    assert "already member 7" in (dialog.find_problem() or "")


def test_a_membership_must_last_past_today(qtbot) -> None:
    dialog = IssueDialog("Ada", "AS-ADA", MEMBERS)
    qtbot.addWidget(dialog)
    dialog.until.setDate(QDate.currentDate())
    assert "past today" in (dialog.find_problem() or "")
    dialog.until.setDate(QDate.currentDate().addDays(1))
    assert dialog.find_problem() is None
