"""Brute-force twins of the dynamic programs: enumerate every label sequence.

Only for tiny inputs (``L ** T`` paths). ``E float64[T, L]`` is (position,
label), ``Tr float64[L, L]`` is (previous, current); ``-inf`` entries forbid.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def all_paths(T: int, L: int) -> list[tuple[int, ...]]:
    """Every label sequence of length ``T`` over ``L`` labels, in lexicographic order."""
    return list(itertools.product(range(L), repeat=T))


def score(E: np.ndarray, Tr: np.ndarray, y) -> float:
    """``sum_t E[t, y_t] + sum_{t>=1} Tr[y_{t-1}, y_t]`` written as plainly as possible."""
    s = 0.0
    for t, lab in enumerate(y):
        s += E[t, lab]
        if t > 0:
            s += Tr[y[t - 1], lab]
    return s


def _logsumexp(xs) -> float:
    xs = [x for x in xs if x != -math.inf]
    if not xs:
        return -math.inf
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def log_z(E: np.ndarray, Tr: np.ndarray) -> float:
    T, L = E.shape
    return _logsumexp(score(E, Tr, y) for y in all_paths(T, L))


def unary_marginals(E: np.ndarray, Tr: np.ndarray) -> np.ndarray:
    """``out[t, l] = p(y_t = l)``; zeros when no path has a finite score."""
    T, L = E.shape
    lz = log_z(E, Tr)
    out = np.zeros((T, L))
    if lz == -math.inf:
        return out
    for y in all_paths(T, L):
        p = math.exp(score(E, Tr, y) - lz)
        for t, lab in enumerate(y):
            out[t, lab] += p
    return out


def pairwise_marginals(E: np.ndarray, Tr: np.ndarray) -> np.ndarray:
    """``out[t-1, i, j] = p(y_{t-1} = i, y_t = j)``, shape ``[T-1, L, L]``."""
    T, L = E.shape
    lz = log_z(E, Tr)
    out = np.zeros((max(T - 1, 0), L, L))
    if lz == -math.inf:
        return out
    for y in all_paths(T, L):
        p = math.exp(score(E, Tr, y) - lz)
        for t in range(1, T):
            out[t - 1, y[t - 1], y[t]] += p
    return out


def ranked(E: np.ndarray, Tr: np.ndarray) -> list[tuple[float, tuple[int, ...]]]:
    """All paths with a finite score, best first (ties: lexicographically smaller path)."""
    T, L = E.shape
    items = [(score(E, Tr, y), y) for y in all_paths(T, L)]
    items = [(s, y) for s, y in items if s != -math.inf]
    items.sort(key=lambda sy: (-sy[0], sy[1]))
    return items


def best_path(E: np.ndarray, Tr: np.ndarray) -> tuple[float, tuple[int, ...] | None]:
    r = ranked(E, Tr)
    if not r:
        return -math.inf, None
    return r[0]


def kbest(E: np.ndarray, Tr: np.ndarray, k: int) -> list[tuple[float, tuple[int, ...]]]:
    return ranked(E, Tr)[:k]


def constrained_best(E, Tr, allowed_trans, allowed_start, allowed_end, allowed_labels):
    """Best path among those that satisfy every constraint (brute force filter)."""
    T, L = E.shape
    best = (-math.inf, None)
    for y in all_paths(T, L):
        if not allowed_start[y[0]] or not allowed_end[y[-1]]:
            continue
        if any(not allowed_labels[t, lab] for t, lab in enumerate(y)):
            continue
        if any(not allowed_trans[y[t - 1], y[t]] for t in range(1, T)):
            continue
        s = score(E, Tr, y)
        if s > best[0]:
            best = (s, y)
    return best


def random_corpus(rng, S, L, A, max_len=6, unknown=True):
    """A random CSR corpus and feature index: (seq_ptr, item_ptr, attr_ids, attr_vals,
    feat_ptr, feat_label, y); attribute id -1 appears when ``unknown``."""
    lengths = rng.integers(1, max_len + 1, size=S)
    seq_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    N = int(seq_ptr[-1])
    per_item = rng.integers(0, 4, size=N)
    item_ptr = np.concatenate([[0], np.cumsum(per_item)]).astype(np.int64)
    nnz = int(item_ptr[-1])
    attr_ids = rng.integers(-1 if unknown else 0, A, size=nnz).astype(np.int32)
    attr_vals = rng.choice([1.0, 0.5, 2.0], size=nnz)
    # each attribute gets a random sorted subset of labels
    feats = [
        np.sort(rng.choice(L, size=int(rng.integers(0, L + 1)), replace=False)) for _ in range(A)
    ]
    feat_ptr = np.concatenate([[0], np.cumsum([len(f) for f in feats])]).astype(np.int64)
    feat_label = (np.concatenate(feats) if feats else np.empty(0)).astype(np.int32)
    y = rng.integers(0, L, size=N).astype(np.int32)
    return seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, y
