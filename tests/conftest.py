"""Shared fixtures.

Tests that need the real corpora take the ``data_dir`` fixture. It reads
``CRFTAGGER_DATA`` (falling back to ``../shared/corpora`` beside the
repository). When the folder is missing the test is skipped, unless
``CRFTAGGER_REQUIRE_DATA=1`` (CI), in which case it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crftagger import config

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO.parent / "shared" / "corpora"


def _find_data_dir() -> Path | None:
    d = config.data_dir()
    if d is None and DEFAULT_SHARED.is_dir():
        d = DEFAULT_SHARED
    return d


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = _find_data_dir()
    if d is None or not d.is_dir():
        msg = f"corpora not found (set {config.DATA_ENV}; looked at {d or DEFAULT_SHARED})"
        if config.require_data():
            pytest.fail(msg)
        pytest.skip(msg)
    os.environ.setdefault(config.DATA_ENV, str(d))
    return d
