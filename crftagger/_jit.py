"""JIT options for every numba kernel, in one place.

Log-space code must not use ``fastmath`` (it turns ``logsumexp([-inf, -inf])``
into NaN), so no kernel here enables it. ``cache=True`` is used everywhere
except on ``parallel=True`` functions.
"""

from __future__ import annotations

import numba

JIT = dict(nogil=True, cache=True, fastmath=False, boundscheck=False)
JIT_PARALLEL = dict(nogil=True, cache=False, fastmath=False, parallel=True)


def njit(func=None, **overrides):
    """``numba.njit`` with the project's default options."""
    opts = {**JIT, **overrides}
    if func is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(func)


def njit_parallel(func=None, **overrides):
    """``numba.njit(parallel=True)`` with the project's default options."""
    opts = {**JIT_PARALLEL, **overrides}
    if func is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(func)
