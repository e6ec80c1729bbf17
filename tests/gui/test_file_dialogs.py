"""File dialogs: one extension per kind of file, old ones still read, sensible start folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from artistshield import identity
from artistshield.cli import main
from artistshield.gui import dialogs
from artistshield.paths import IDENTITY_BACKUP, PROOF_BUNDLE


class Answers:
    """Stands in for QFileDialog's static functions: records each call, gives a chosen answer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str, str]] = []  # (function, start, filters)
        self.answer = ""
        for name in ("getOpenFileName", "getSaveFileName"):
            monkeypatch.setattr(QFileDialog, name, self._one(name))
        monkeypatch.setattr(QFileDialog, "getOpenFileNames", self._many)
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", self._folder)

    def _one(self, name: str):
        def ask(parent, title, start="", filters="", *args, **kwargs):
            self.calls.append((name, start, filters))
            return self.answer, ""

        return staticmethod(ask)

    def _many(self, parent, title, start="", filters="", *args, **kwargs):
        self.calls.append(("getOpenFileNames", start, filters))
        return ([self.answer] if self.answer else []), ""

    def _folder(self, parent, title, start="", *args, **kwargs):
        self.calls.append(("getExistingDirectory", start, ""))
        return self.answer


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Answers:
    # Pictures and Documents are where the XDG user-dirs file says, as on a desktop.
    config = tmp_path / "config"
    config.mkdir()
    for name in ("Pictures", "Documents"):
        (tmp_path / name).mkdir()
    (config / "user-dirs.dirs").write_text(
        f'XDG_PICTURES_DIR="{tmp_path / "Pictures"}"\nXDG_DOCUMENTS_DIR="{tmp_path / "Documents"}"\n'
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    elsewhere = tmp_path / "started-here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working directory must never be where a dialog opens
    return Answers(monkeypatch)


def test_backup_is_saved_as_asid_from_documents(qtbot, window, answers: Answers, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    saved: list[Path] = []
    monkeypatch.setattr(window.identity_view, "save_backup", lambda path, pw, replace: saved.append(path))
    monkeypatch.setattr("artistshield.gui.identity_view.PassphraseDialog.exec", lambda self: 1)
    answers.answer = str(tmp_path / "Documents" / "my-keys")  # typed without an extension
    window.identity_view.choose_backup()
    function, start, filters = answers.calls[-1]
    assert function == "getSaveFileName"
    assert Path(start) == tmp_path / "Documents" / "artistshield-identity.asid"
    assert filters == "Identity backup (*.asid)"
    assert saved == [tmp_path / "Documents" / "my-keys.asid"]


def test_restore_offers_asid_and_old_json_backups(qtbot, window, answers: Answers, tmp_path: Path) -> None:
    window.identity_view.choose_restore()  # cancelled: nothing chosen
    function, start, filters = answers.calls[-1]
    assert function == "getOpenFileName"
    assert Path(start) == tmp_path / "Documents"
    assert "*.asid" in filters and "*.json" in filters
    old = tmp_path / "old-backup.json"  # a backup saved before .asid
    identity.export(old, "pw", identity=window.session.identity)
    new = tmp_path / "backup.asid"
    identity.export(new, "pw", identity=window.session.identity)
    assert window.identity_view.restore(old, "pw")
    assert window.identity_view.restore(new, "pw")


def test_wizard_and_registry_use_the_same_extensions(qtbot, window, answers: Answers, tmp_path: Path) -> None:
    window.registry_view.choose_export()
    _, start, filters = answers.calls[-1]
    assert Path(start).name == "artistshield-proof.asbundle"
    assert filters == "Proof bundle (*.asbundle)"
    from artistshield.gui.session import Session
    from artistshield.gui.wizard import FirstRunWizard

    wizard = FirstRunWizard(Session())
    qtbot.addWidget(wizard)
    wizard.restore_page._browse()
    assert "*.asid" in answers.calls[-1][2] and "*.json" in answers.calls[-1][2]


def test_artwork_dialogs_open_in_pictures_then_the_last_folder(qtbot, window, answers: Answers,
                                                               tmp_path: Path) -> None:
    window.mark_view.choose_files()  # cancelled
    assert Path(answers.calls[-1][1]) == tmp_path / "Pictures"
    shows = tmp_path / "Pictures" / "show-2026"
    shows.mkdir()
    answers.answer = str(shows)
    window.check_view.choose_folder()  # a folder of frames: the next dialog starts there
    window.check_view.cancel()
    answers.answer = ""
    window.mark_view.choose_files()
    assert Path(answers.calls[-1][1]) == shows
    assert all(Path(start) != Path.cwd() for _, start, _ in answers.calls)


def test_kinds_keep_a_readable_extension() -> None:
    assert IDENTITY_BACKUP.with_suffix(Path("keys")) == Path("keys.asid")
    assert IDENTITY_BACKUP.with_suffix(Path("keys.json")) == Path("keys.json")  # old, still read
    assert PROOF_BUNDLE.with_suffix(Path("proof.ASBUNDLE")) == Path("proof.ASBUNDLE")
    assert dialogs.kind_filter(PROOF_BUNDLE, reading=True) == "Proof bundle (*.asbundle *.json);;All files (*)"


def test_cli_export_writes_an_asbundle_by_default(window, tmp_path: Path, monkeypatch, artwork) -> None:
    from artistshield.registry import Registry

    [art] = artwork("painted-hills.png")
    assert main(["registry", "add", str(art)]) == 0
    monkeypatch.chdir(tmp_path)
    assert main(["registry", "export"]) == 0
    assert (tmp_path / "artistshield-proof.asbundle").is_file()
    old = tmp_path / "proof.json"  # bundles written before .asbundle still verify
    with Registry.open() as registry:
        registry.export_bundle(old, identity=identity.load())
    assert main(["registry", "verify-bundle", str(old), "artistshield-proof.asbundle"]) == 0
