"""The copies of its signed head a registry keeps, and the checks against them.

After every write the registry copies its signed head beside its file and
outside the data folder (:func:`artistshield.paths.heads_dir`).  Before the
next write, and in :meth:`KeptHeads.verify`, the log must still reach both
unchanged: a log cut short and rewritten, even with the file beside it
rolled back too, is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artistshield import fileio
from artistshield.paths import heads_dir
from artistshield.registry import log as history
from artistshield.registry.db import Database
from artistshield.registry.records import sha256_hex

if TYPE_CHECKING:
    from artistshield.registry.head import Head
    from artistshield.registry.verify import VerifyReport

logger = logging.getLogger("artistshield.registry")

#: The registry's head file is named after it: ``registry.head.json``.
HEAD_SUFFIX = ".head.json"


class KeptHeads:
    """The head-keeping half of :class:`~artistshield.registry.store.Registry`."""

    db: Database

    @property
    def head_file(self) -> Path:
        """Where the registry keeps a copy of its signed head, beside its file."""
        return self.db.path.with_name(self.db.path.stem + HEAD_SUFFIX)

    @property
    def outside_head_file(self) -> Path:
        """A second copy of the signed head, outside the data folder (:func:`.paths.heads_dir`).

        Named after the registry file's full path, so each registry has its own.
        """
        name = sha256_hex(str(self.db.path.resolve()))[:16]
        return heads_dir() / f"{self.db.path.stem}-{name}{HEAD_SUFFIX}"

    def _kept_heads(self) -> list[tuple[str, Head]]:
        """The heads this registry kept of itself, in the data folder and outside it."""
        from artistshield.registry.head import remembered

        kept = []
        for path in (self.head_file, self.outside_head_file):
            known = remembered(path)
            if known is not None:
                kept.append((str(path), known))
        return kept

    def check_writable(self) -> None:
        """Raise :class:`~.log.TamperedError` if the registry's head does not check out.

        Every write checks this itself; batch commands call it first so they
        refuse once, before any work, rather than once per file.
        """
        with self.db.transaction() as conn:
            self._check_head(conn)

    def _check_head(self, conn: Any) -> None:
        """Refuse to write unless the log verifies at its head and reaches every head it kept.

        A log cut short is refused even when the head inside the registry
        file and the head file beside it were rolled back too, as long as
        the copy outside the data folder remains: so work IDs the log once
        gave are never given again.
        """
        from artistshield.registry.head import compare

        owner = history.stored_public_key(self.db)
        if owner is None:
            history.check_empty(conn)
        else:
            history.check_head(conn, owner)
        for source, known in self._kept_heads():
            if owner is None:
                raise history.TamperedError(
                    f"The registry does not verify (it is empty, but {source} shows it held "
                    f"{known.seq} entries; if you removed the registry on purpose, remove that "
                    f"file too); {history.REFUSAL}"
                )
            problems = compare(self.db, [(source, known)], owner)
            if problems:
                raise history.TamperedError(
                    f"The registry does not verify ({problems[0].reason}; the head was kept in "
                    f"{source}); {history.REFUSAL}"
                )

    def remember_head(self) -> None:
        """Copy the registry's signed head to :attr:`head_file` and
        :attr:`outside_head_file` (after every write)."""
        from artistshield.registry.head import remember

        remember(self.db, self.head_file)
        try:
            fileio.make_folder(heads_dir(), private=True)
        except fileio.WriteError as exc:  # the log is committed; a missing copy is only weaker
            logger.warning("%s", exc)
            return
        remember(self.db, self.outside_head_file)

    def head(self) -> Head | None:
        """The registry's signed head now: its last entry (``None`` while empty)."""
        from artistshield.registry.head import current

        return current(self.db)

    def verify(
        self, public_key: bytes | None = None, *, against: Sequence[tuple[str, Head]] = ()
    ) -> VerifyReport:
        """Check every signature, link and row; see :mod:`.verify`.

        *against* holds ``(source, head)`` pairs given out earlier (see
        :mod:`.head`): the log must still reach each of them unchanged.
        """
        from artistshield.registry.head import compare
        from artistshield.registry.verify import verify_registry

        report = verify_registry(self.db, public_key=public_key)
        kept = self._kept_heads()
        against = [*kept, *against]
        if not against:
            return report
        key = report.public_key or public_key or against[0][1].public_key
        problems = sorted((*report.problems, *compare(self.db, against, key)), key=lambda p: p.seq)
        return replace(
            report,
            ok=not problems,
            first_bad=problems[0] if problems else None,
            problems=tuple(problems[:50]),
            heads_checked=len(against) - len(kept),
        )
