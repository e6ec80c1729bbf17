"""Where ArtistShield keeps the user's data.

Everything (identity, registry, logs, settings) lives under one folder: the
platform's user data folder, or ``$ARTISTSHIELD_HOME`` when set (tests and
scripts use it to keep their own).
"""

import os
from pathlib import Path

ENV_HOME = "ARTISTSHIELD_HOME"


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
