"""Every command's and sub-command's --help reads as plain text: no reStructuredText markup."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

from artistshield.cli import build_parser

_MARKUP = re.compile(r"``|:(?:func|class|meth|mod|data|attr):`|`[^`\s]+`_")


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def test_no_help_shows_raw_markup() -> None:
    seen = list(_commands(build_parser()))
    assert len(seen) > 30  # the sub-commands (identity create, registry withdraw...) too
    nested = {path for path, _ in seen if len(path) == 2}
    assert {("registry", "withdraw"), ("identity", "alias"), ("union", "verify")} <= nested
    for path, parser in seen:
        text = parser.format_help()
        assert text.startswith("usage: artistshield" + "".join(f" {p}" for p in path)), path
        assert not _MARKUP.search(text), (path, _MARKUP.search(text))
