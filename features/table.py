"""A growable hash table of int32 key rows (the numba side is in :mod:`.kernels`)."""

from __future__ import annotations

import numpy as np

from crftagger.engine._jit import njit

from . import kernels


class KeyTable:
    """Open addressing table mapping int32 rows of width ``W`` to int32 codes.

    The load is kept at most one half; :meth:`reserve` doubles the capacity
    (rehashing in numba) until ``extra`` more keys fit.
    """

    def __init__(self, width: int, capacity: int = 1024):
        if width < 1:
            raise ValueError(f"key width must be >= 1, found {width}")
        cap = 1
        while cap < max(16, capacity):
            cap *= 2
        self.width = width
        self.keys = np.full((cap, width), -1, dtype=np.int32)
        self.vals = np.full(cap, -1, dtype=np.int32)
        # n_used[0]: used slots; n_used[1]: pending count (owned by the caller's kernel calls)
        self.n_used = np.zeros(2, dtype=np.int64)

    @property
    def capacity(self) -> int:
        return self.keys.shape[0]

    @property
    def max_used(self) -> int:
        return self.capacity // 2

    def __len__(self) -> int:
        return int(self.n_used[0])

    def reserve(self, extra: int) -> None:
        """Grow until ``len(self) + extra`` keys fit under the load limit."""
        need = int(self.n_used[0]) + int(extra)
        cap = self.capacity
        while cap // 2 < need:
            cap *= 2
        if cap == self.capacity:
            return
        keys = np.full((cap, self.width), -1, dtype=np.int32)
        vals = np.full(cap, -1, dtype=np.int32)
        kernels.table_rehash(self.keys, self.vals, keys, vals)
        self.keys, self.vals = keys, vals

    def insert_many(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Insert (or overwrite) ``rows`` int32[n, W] with ``values`` int32[n]."""
        rows = np.ascontiguousarray(rows, dtype=np.int32)
        values = np.ascontiguousarray(values, dtype=np.int32)
        if rows.ndim != 2 or rows.shape[1] != self.width or len(values) != len(rows):
            raise ValueError(
                f"expected rows int32[n, {self.width}] and values int32[n], found {rows.shape}, {values.shape}"
            )
        if len(rows) and rows[:, 0].min() < 0:
            raise ValueError("key rows must have a non-negative first entry")
        self.reserve(len(rows))
        self.n_used[0] += _insert_rows(self.keys, self.vals, rows, values)

    def lookup_many(self, rows: np.ndarray) -> np.ndarray:
        """Codes of ``rows`` (``-1`` for keys not in the table)."""
        rows = np.ascontiguousarray(rows, dtype=np.int32)
        return _lookup_rows(self.keys, self.vals, rows)


@njit
def _insert_rows(tab_keys, tab_vals, rows, values):
    """Insert ``rows[n, W]`` -> ``values[n]``; returns the number of new keys."""
    W = tab_keys.shape[1]
    added = 0
    for p in range(rows.shape[0]):
        slot = kernels.table_find(tab_keys, rows[p], W)
        if tab_keys[slot, 0] == -1:
            added += 1
            for j in range(W):
                tab_keys[slot, j] = rows[p, j]
        tab_vals[slot] = values[p]
    return added


@njit
def _lookup_rows(tab_keys, tab_vals, rows):
    """``tab_vals`` of each row of ``rows[n, W]``, -1 where absent."""
    W = tab_keys.shape[1]
    out = np.empty(rows.shape[0], dtype=np.int32)
    for p in range(rows.shape[0]):
        slot = kernels.table_find(tab_keys, rows[p], W)
        out[p] = tab_vals[slot] if tab_keys[slot, 0] != -1 else -1
    return out
