"""The ``crftagger`` command line: :func:`main` (:mod:`crftagger.cli.app`) and one module per sub-command."""

from crftagger.cli.app import main

__all__ = ["main"]
