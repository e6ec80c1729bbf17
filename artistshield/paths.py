"""Where ArtistShield keeps the user's data, and what its files are called.

Everything (identity, registry, logs, settings) lives under one folder: the
platform's user data folder, or ``$ARTISTSHIELD_HOME`` when set (tests and
scripts use it to keep their own).  The files an artist saves elsewhere
(backups, proof bundles, union files) each have one extension, a
:class:`FileKind`.
"""

import os
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "ARTISTSHIELD_HOME"
ENV_HEADS = "ARTISTSHIELD_HEADS"


def data_dir(*, create: bool = True) -> Path:
    """Return the data folder, creating it unless *create* is false.

    It holds keys and unpublished work, so it is private: 0700, like the
    0600 files in it (see :func:`artistshield.fileio.make_folder`).
    """
    override = os.environ.get(ENV_HOME)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("ArtistShield", appauthor=False))
    if create:
        from artistshield.fileio import make_folder

        make_folder(path, private=True)
    return path


def heads_dir() -> Path:
    """Where each registry's signed head is kept outside the data folder (not created here).

    Beside the data folder, ``<data folder>-heads``, or ``$ARTISTSHIELD_HEADS``:
    someone who cuts the registry short, or restores an older copy of the
    data folder, must find and roll back this folder too.
    """
    override = os.environ.get(ENV_HEADS)
    if override:
        return Path(override).expanduser()
    data = data_dir(create=False)
    return data.with_name(data.name + "-heads")


# -- the files an artist keeps or shares ------------------------------------------------
#
# One extension per kind of file, used by the app's dialogs, the command line's
# defaults and the docs alike.  The content decides how a file is read, so a
# file saved under an older extension (listed in ``old``) still opens.


@dataclass(frozen=True)
class FileKind:
    """A kind of file ArtistShield writes for the artist: its name, extension and default name."""

    name: str  # in the user's words, as a file dialog shows it
    suffix: str
    default_name: str
    old: tuple[str, ...] = ()

    def suffixes(self) -> tuple[str, ...]:
        """The extension written, then the older ones still read."""
        return (self.suffix, *self.old)

    def with_suffix(self, path: Path) -> Path:
        """*path*, given this kind's extension unless it already has one it reads."""
        return path if path.suffix.lower() in self.suffixes() else path.with_name(path.name + self.suffix)


IDENTITY_BACKUP = FileKind(
    "Identity backup", ".asid", "artistshield-identity.asid", old=(".json",)
)
PROOF_BUNDLE = FileKind(
    "Proof bundle", ".asbundle", "artistshield-proof.asbundle", old=(".json",)
)
MEMBERSHIP_REQUEST = FileKind(
    "Membership request", ".asrequest", "membership-request.asrequest", old=(".json",)
)
MEMBERSHIP = FileKind("Membership", ".asmember", "member.asmember", old=(".json",))
UNION_PROFILE = FileKind("Union profile", ".asprofile", "union.asprofile", old=(".json",))
REVOCATION_LIST = FileKind("Revocation list", ".pem", "revocations.pem")
