"""An HTTP service for crftagger models (FastAPI on uvicorn; the ``serve`` extra).

``crftagger serve -m MODEL [-m NAME=MODEL ...]`` loads the models once at
start-up and answers JSON requests; :func:`crftagger.serve.app.create_app`
builds the same application in Python. See :mod:`crftagger.serve.app` for the
endpoints, limits and errors.
"""

from __future__ import annotations

__all__ = ["ServeConfig", "create_app"]


def __getattr__(name: str):
    if name in __all__:
        from crftagger.serve import app

        return getattr(app, name)
    raise AttributeError(f"module 'crftagger.serve' has no attribute {name!r}")
