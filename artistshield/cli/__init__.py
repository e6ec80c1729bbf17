"""The ``artistshield`` command line.

Each command group lives in its own module, which exposes
``register(subparsers)`` to add its sub-command(s).  A command's handler takes
the parsed arguments and returns the process exit code; an
:class:`~artistshield.errors.ArtistShieldError` that escapes it is printed as
one sentence and exits with status 2.
"""

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Sequence

from artistshield import __version__
from artistshield.errors import in_words

#: The sub-commands, in help order, each added by the module of its name under
#: ``artistshield.cli``, with the line the top-level help gives it.  The lines
#: stand here too so that ``--help`` and ``--version`` need not import the
#: modules (and the engine behind them); a test holds them equal to the modules'.
COMMANDS = {
    "mark": "mark copies of your artwork (originals are never changed)",
    "check": "look for your mark and your registered works in suspect images",
    "identity": "your keys: create, show, back up, restore",
    "registry": "your signed registry of works",
    "consent": "state your refusal of AI training where crawlers look",
    "union": "unions and guilds: members, shared registry",
}
COMMAND_MODULES = tuple(COMMANDS)


class _Parser(argparse.ArgumentParser):
    """A parser whose help reads as plain text: the modules' docstrings mark code
    with reStructuredText's double backticks, which a terminal should not show.
    Its sub-command parsers are of the same class (argparse makes them so)."""

    def format_help(self) -> str:
        return super().format_help().replace("``", "")

    def format_usage(self) -> str:
        return super().format_usage().replace("``", "")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with *only* the one command's module imported: the
    others then stand as their help line, enough for the top-level help."""
    parser = _Parser(
        prog="artistshield",
        description="Mark, register and check your published artwork.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help in COMMANDS.items():
        if only is not None and name != only:
            subparsers.add_parser(name, help=help)
            continue
        try:
            module = importlib.import_module(f"artistshield.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"artistshield.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] == "gui":
        # Before the parser: building it imports every command and the engine
        # behind them, which the window does not need to open.
        return _start_gui()
    # Import only the command asked for: none for --help or --version.
    words = [a for a in args_list if not a.startswith("-")]
    args = build_parser(only=words[0] if words else "").parse_args(args_list)
    if args.command is not None and not hasattr(args, "handler"):
        args = build_parser().parse_args(args_list)  # the command word was an option's value
    # Pillow's warning about very large images is for programmers; the user gets a sentence.
    warnings.filterwarnings("ignore", message=r"Image size \(\d+ pixels\) exceeds limit")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(name)s: %(message)s",
    )
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("artistshield: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last boundary: a sentence, never a traceback
        print(f"artistshield: {in_words(exc)}", file=sys.stderr)
        logging.getLogger("artistshield").info("details", exc_info=True)
        return 2


def _start_gui() -> int:
    try:
        from artistshield.gui.app import run
    except ImportError as exc:
        from artistshield.gui import qt_libs

        library = qt_libs.unopened_library(exc)
        if library is not None:  # Qt is installed, a system library it needs is not
            qt_libs.show(qt_libs.install_hint([library]))
            return 1
        build_parser().print_help()
        print(
            f"\nThe app's window cannot start ({exc}); the commands above work without it. "
            "Reinstall ArtistShield (pip install -e .) to get PySide6 back.",
            file=sys.stderr,
        )
        return 1
    return run()


def start_app() -> int:
    """The ``artistshield-app`` entry point: the window, or a sentence saying what it lacks."""
    return _start_gui()
