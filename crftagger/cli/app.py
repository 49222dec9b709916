"""The ``crftagger`` command line.

Each sub-command lives in its own module under :mod:`crftagger.cli` and
exposes ``register(subparsers)``, which adds its parser and sets ``func`` to a
callable ``func(args) -> int``. Heavy imports stay inside those callables so
that ``crftagger --help`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from crftagger import __version__
from crftagger.errors import CrftaggerError

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "crftagger.cli.corpora",
    "crftagger.cli.resources",
    "crftagger.cli.convert",
    "crftagger.cli.evaluate",
    "crftagger.cli.compare",
    "crftagger.cli.report",
    "crftagger.cli.benchmark",
    "crftagger.cli.clusters",
    "crftagger.cli.train",
    "crftagger.cli.tag",
    "crftagger.cli.slots",
    "crftagger.cli.pipeline",
    "crftagger.cli.extract",
    "crftagger.cli.serve",
    "crftagger.cli.inspect",
    "crftagger.cli.dump",
    "crftagger.cli.demo",
    "crftagger.cli.mask",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crftagger", description="Feature-based linear-chain CRF sequence labelling."
    )
    parser.add_argument("--version", action="version", version=f"crftagger {__version__}")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder holding the corpora (default: $CRFTAGGER_DATA, then the user cache)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (CrftaggerError, ValueError, FileNotFoundError) as exc:
        # crftagger's errors (and the ValueErrors of argument checks) carry a
        # message that names the file, the line, what was found and what was expected.
        print(f"crftagger {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except OSError as exc:
        # a folder, a file without permission, a full disk: name the file, never a traceback
        print(f"crftagger {args.command}: error: {_os_message(exc)}", file=sys.stderr)
        return 1


def _os_message(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "a file"
    if isinstance(exc, IsADirectoryError):
        return f"{where}: found a folder, expected a file"
    if isinstance(exc, PermissionError):
        return f"{where}: found no permission to open it, expected a file this process may use"
    return f"{where}: {exc.strerror or exc}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
