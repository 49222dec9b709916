"""Hierarchical word clusters learned from unlabelled text, written in the Brown format.

The learner builds distributional word vectors and splits them recursively:

1. vocabulary: the ``max_words`` most frequent words with at least
   ``min_count`` occurrences (lower-cased when ``lowercase``);
2. contexts: the ``n_contexts`` most frequent words, seen at each offset
   ``-window..-1, 1..window`` as distinct contexts (so order matters);
3. positive pointwise mutual information of word-context counts,
   ``ppmi(w, c) = max(0, log(n(w, c) * N / (n(w) * n(c)^alpha / Z)))`` with
   context distribution smoothing ``alpha = 0.75``;
4. a truncated SVD of the PPMI matrix, word vectors ``U * sqrt(S)``, rows
   normalised to unit length;
5. recursive spherical 2-means: every node's words are split in two until a
   node holds one word or the depth reaches ``max_depth``; a word's bit
   string is its path from the root (0 = first child).

The result is written as ``bits<TAB>word<TAB>count`` lines, the ``paths``
format of the Brown clustering tool that
:class:`crftagger.features.clusters.Clusters` reads, so prefixes of the bit
strings give several granularities of one clustering.

:func:`learn_cached` stores the file in the user cache
(:func:`crftagger.config.cache_dir`), keyed by a hash of the input text and
the parameters, so the same input gives the same file without recomputing.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from crftagger.errors import ClusterLearnError

#: Bump when the algorithm changes, so cached files are not reused.
LEARNER_VERSION = 1


def _check_params(max_words, min_count, n_contexts, window, dim, max_depth):
    for name, v, lo in (
        ("max_words", max_words, 2),
        ("min_count", min_count, 1),
        ("n_contexts", n_contexts, 1),
        ("window", window, 1),
        ("dim", dim, 1),
        ("max_depth", max_depth, 1),
    ):
        if not isinstance(v, (int, np.integer)) or v < lo:
            raise ClusterLearnError(f"{name} must be an integer >= {lo}, found {v!r}")


def _sentences_of(texts: Iterable[Sequence[str]], lowercase: bool) -> list[list[str]]:
    out = []
    for i, sent in enumerate(texts):
        toks = getattr(sent, "tokens", sent)
        if isinstance(toks, str):
            raise ClusterLearnError(f"sentence {i} is a string; expected a list of tokens")
        row = []
        for j, t in enumerate(toks):
            if not isinstance(t, str):
                raise ClusterLearnError(
                    f"sentence {i}, token {j}: found {type(t).__name__}; expected str"
                )
            row.append(t.lower() if lowercase else t)
        out.append(row)
    return out


def word_vectors(
    sentences: list[list[str]],
    words: list[str],
    n_contexts: int,
    window: int,
    dim: int,
    alpha: float = 0.75,
) -> np.ndarray:
    """PPMI-SVD vectors ``float64[V, d]`` (unit rows) of ``words`` (see the module docstring).

    ``d = min(dim, V - 1, number of context columns - 1)``; a word without any
    context gets a zero row.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import svds

    V = len(words)
    wid = {w: i for i, w in enumerate(words)}
    freq = Counter(t for s in sentences for t in s)
    ctx_words = [w for w, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:n_contexts]]
    cid = {w: i for i, w in enumerate(ctx_words)}
    C = len(ctx_words)
    offsets = [o for o in range(-window, window + 1) if o != 0]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for s in sentences:
        n = len(s)
        if n < 2:
            continue
        w_ids = np.fromiter((wid.get(t, -1) for t in s), dtype=np.int64, count=n)
        c_ids = np.fromiter((cid.get(t, -1) for t in s), dtype=np.int64, count=n)
        for k, o in enumerate(offsets):
            if o > 0:
                a, b = w_ids[:-o], c_ids[o:]
            else:
                a, b = w_ids[-o:], c_ids[:o]
            keep = (a >= 0) & (b >= 0)
            rows.append(a[keep])
            cols.append(b[keep] + k * C)
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    M = coo_matrix((np.ones(len(r)), (r, c)), shape=(V, C * len(offsets))).tocsr()
    M.sum_duplicates()
    total = M.sum()
    if total == 0:
        return np.zeros((V, 1))
    row_sum = np.asarray(M.sum(axis=1)).ravel()
    col_sum = np.asarray(M.sum(axis=0)).ravel() ** alpha
    col_p = col_sum / col_sum.sum()
    M = M.tocoo()
    pmi = np.log(M.data / total) - np.log(row_sum[M.row] / total) - np.log(col_p[M.col])
    keep = pmi > 0
    P = coo_matrix((pmi[keep], (M.row[keep], M.col[keep])), shape=M.shape).tocsr()
    k = int(min(dim, min(P.shape) - 1))
    if k < 1:
        return np.zeros((V, 1))
    # a fixed start vector makes ARPACK deterministic
    v0 = np.ones(min(P.shape)) / np.sqrt(min(P.shape))
    U, S, _ = svds(P, k=k, v0=v0)
    order = np.argsort(-S)
    X = U[:, order] * np.sqrt(S[order])
    # the sign of a singular vector is arbitrary: fix it by the largest entry
    sign = np.sign(X[np.abs(X).argmax(axis=0), np.arange(X.shape[1])])
    X *= np.where(sign == 0, 1.0, sign)
    norm = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norm > 0, norm, 1.0)


def _two_means(X: np.ndarray, idx: np.ndarray, iters: int) -> np.ndarray:
    """Split ``idx`` in two by spherical 2-means on ``X[idx]``; returns a bool mask (True = child 1).

    Seeds: the point farthest (lowest cosine) from the node's mean direction,
    then the point farthest from that one; deterministic.
    """
    Y = X[idx]
    mean = Y.mean(axis=0)
    a = int(np.argmin(Y @ mean))
    b = int(np.argmin(Y @ Y[a]))
    if a == b:
        b = (a + 1) % len(idx)
    c0, c1 = Y[b].copy(), Y[a].copy()
    mask = np.zeros(len(idx), dtype=bool)
    for _ in range(iters):
        new = (Y @ c1) > (Y @ c0)
        if new.all() or not new.any():
            break
        if np.array_equal(new, mask):
            break
        mask = new
        c0 = Y[~mask].mean(axis=0)
        c1 = Y[mask].mean(axis=0)
    if mask.all() or not mask.any():
        # identical vectors: split by position so every leaf still gets a path
        mask = np.zeros(len(idx), dtype=bool)
        mask[len(idx) // 2 :] = True
    return mask


def divisive_bits(X: np.ndarray, max_depth: int = 20, iters: int = 10) -> list[str]:
    """Bit string of every row of ``X`` by recursive 2-means (see the module docstring)."""
    V = X.shape[0]
    bits = [""] * V
    stack = [(np.arange(V), "")]
    while stack:
        idx, path = stack.pop()
        if len(idx) == 1 or len(path) >= max_depth:
            for i in idx:
                bits[i] = path or "0"
            continue
        mask = _two_means(X, idx, iters)
        stack.append((idx[mask], path + "1"))
        stack.append((idx[~mask], path + "0"))
    return bits


def learn(
    texts: Iterable[Sequence[str]],
    *,
    lowercase: bool = True,
    max_words: int = 50000,
    min_count: int = 2,
    n_contexts: int = 3000,
    window: int = 2,
    dim: int = 100,
    max_depth: int = 20,
) -> list[tuple[str, str, int]]:
    """Cluster the words of ``texts`` (token lists or Sentences); ``[(bits, word, count)]``.

    Rows are ordered by bit string, then by decreasing count.
    """
    _check_params(max_words, min_count, n_contexts, window, dim, max_depth)
    sents = _sentences_of(texts, lowercase)
    freq = Counter(t for s in sents for t in s)
    words = [w for w, n in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count][
        :max_words
    ]
    if len(words) < 2:
        raise ClusterLearnError(
            f"found {len(words)} word(s) occurring at least {min_count} times; expected at least 2"
        )
    X = word_vectors(sents, words, n_contexts, window, dim)
    bits = divisive_bits(X, max_depth)
    rows = [(b, w, freq[w]) for b, w in zip(bits, words, strict=True)]
    rows.sort(key=lambda r: (r[0], -r[2], r[1]))
    return rows


def write_paths(rows: list[tuple[str, str, int]], path) -> Path:
    """Write ``bits<TAB>word<TAB>count`` lines atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for b, w, n in rows:
            if "\t" in w or "\n" in w or "\r" in w:
                continue  # not representable in the format; such a word never matches a token anyway
            fh.write(f"{b}\t{w}\t{n}\n")
    os.replace(tmp, path)
    return path


def input_hash(texts: Iterable[Sequence[str]], **params) -> tuple[str, list[list[str]]]:
    """sha256 of the token text plus the parameters, and the token lists read."""
    h = hashlib.sha256()
    h.update(repr((LEARNER_VERSION, sorted(params.items()))).encode())
    sents = _sentences_of(texts, False)
    for s in sents:
        h.update("\x1f".join(s).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest(), sents


def file_fingerprint(path) -> str:
    """sha256 of a cluster file's bytes (recorded in a feature set to detect a changed file)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def learn_cached(texts: Iterable[Sequence[str]], cache=None, **params) -> Path:
    """Learn clusters (see :func:`learn`) unless a file for the same input is cached; its path.

    ``cache`` defaults to ``crftagger.config.cache_dir() / "clusters"``.
    """
    from crftagger import config

    key, sents = input_hash(texts, **params)
    folder = Path(cache) if cache is not None else config.cache_dir() / "clusters"
    path = folder / f"clusters-{key[:24]}.txt"
    if not path.exists():
        write_paths(learn(sents, **params), path)
    return path
