"""Settings read from the environment, in one place.

``CRFTAGGER_DATA``
    Folder that holds the corpora (one sub-folder per registered corpus).
``CRFTAGGER_REQUIRE_DATA``
    When set to ``1``, tests that need corpora fail instead of being skipped
    when the data cannot be found (CI sets it).
``CRFTAGGER_CACHE``
    Where downloaded corpora are kept (default ``~/.cache/crftagger``).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "CRFTAGGER_DATA"
REQUIRE_DATA_ENV = "CRFTAGGER_REQUIRE_DATA"
CACHE_ENV = "CRFTAGGER_CACHE"


def data_dir(explicit: str | os.PathLike | None = None) -> Path | None:
    """Return the corpora folder: ``explicit`` first, then ``$CRFTAGGER_DATA``, else ``None``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return None


def cache_dir() -> Path:
    """Return the user cache folder for downloaded corpora."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "crftagger"


def require_data() -> bool:
    """True when missing corpora must be an error rather than a skip."""
    return os.environ.get(REQUIRE_DATA_ENV, "").strip().lower() in {"1", "true", "yes"}
