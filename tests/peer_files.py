"""Where the peers' own test files and reference scorer are (``../shared/peer-tests``).

``CRFTAGGER_PEER_TESTS`` names the folder; without it the folder beside the
repository (``../shared/peer-tests`` from the repository root) is used. A
missing file skips the test, or fails it when ``CRFTAGGER_REQUIRE_DATA=1``.
The files are read in place, never copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crftagger import config

PEER_ENV = "CRFTAGGER_PEER_TESTS"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_PEER = REPO.parent / "shared" / "peer-tests"


def peer_dir() -> Path:
    env = os.environ.get(PEER_ENV)
    return Path(env).expanduser() if env else DEFAULT_PEER


def peer_file(relative: str) -> Path:
    """The peer file ``relative`` (e.g. ``"conlleval.pl"``), or skip / fail when it is missing."""
    path = peer_dir() / relative
    if not path.is_file():
        msg = f"peer file {relative} not found (set {PEER_ENV}; looked at {path})"
        if config.require_data():
            pytest.fail(msg)
        pytest.skip(msg)
    return path
