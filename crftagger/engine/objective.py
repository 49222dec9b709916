"""Training objective of a linear-chain CRF: negative log-likelihood and gradient.

With ``N`` training sequences ``(x_s, y_s)``, parameters ``w float64[K + L*L]``
(state features first, then transitions ``[prev, cur]``, see
:mod:`crftagger.engine.kernels`) and feature counts ``phi``::

    f(w)    = sum_s (log Z(x_s) - w . phi(x_s, y_s)) + c2 * ||w||^2
            = sum_s log Z(x_s) - w . observed + c2 * ||w||^2
    grad(w) = expected - observed + 2 * c2 * w

``observed = sum_s phi(x_s, y_s)`` is computed once (:func:`observed_counts`);
``expected = sum_s E_{p(y | x_s)}[phi(x_s, y)]`` is summed at each evaluation
from the marginals. Components of inactive transitions (``trans_mask == 0``)
have gradient exactly 0.

:func:`nll_grad` runs in parallel over a FIXED partition of the sequences into
chunks (chosen from the data only, never from the thread count); each chunk
owns a gradient buffer and the buffers are added in chunk order, so the result
is bit-identical for any number of threads. The same chunks computed one at a time
(:func:`chunk_nll_grad`, e.g. on other machines) and finished by
:func:`finish_nll_grad` give the same bits again. The hot path is the scaled
probability-space forward-backward; a sequence whose scaling fails falls back
to the log-space one.

JIT options are decided in :mod:`crftagger.engine._jit`.

Final signatures::

    observed_counts(seq_ptr, item_ptr, attr_ids, attr_vals, y, feat_ptr, feat_label, L)
        -> float64[K + L*L]
    nll_grad(w, seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, L,
             observed, c2, trans_mask, chunks, grad, chunk_grad, work, work_t,
             work_ll, chunk_logz) -> f
    chunk_nll_grad(w, seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, L,
             g, work, work_t, acc) -> sum log Z of the chunk (g written)
    finish_nll_grad(w, acc, observed, c2, trans_mask, K, L, chunk_logz, grad) -> f
    add_observed_counts(out, seq_ptr, item_ptr, attr_ids, attr_vals, y, feat_ptr,
             feat_label, L)
    add_sequence_gradient(s, seq_ptr, item_ptr, attr_ids, attr_vals, y, feat_ptr,
             feat_label, L, trans_mask, w, w_scale, coef, target, work, work_t,
             work_ll) -> loss_s
    Objective(data, feat_ptr, feat_label, n_labels, c2=0.0, trans_mask=None,
              threads=None, n_chunks=None)(w) -> (f, grad)
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from crftagger.engine._jit import njit, njit_parallel
from crftagger.engine.encoding import AttributeSequences
from crftagger.engine.kernels import (
    _outer_accumulate,
    emissions,
    exp_transitions,
    forward_backward_log,
    forward_backward_scaled,
    transition_marginals,
    transition_view,
    unary_marginals,
)
from crftagger.errors import ObjectiveInputError

#: Default number of sequence chunks of :class:`Objective` (capped by the
#: number of sequences). Each chunk owns a ``float64[K + L*L]`` gradient buffer.
DEFAULT_CHUNKS = 8
#: Memory the default chunking may spend on chunk gradient buffers; fewer
#: chunks (but at least 2) are used for very large models.
CHUNK_BUFFER_BYTES = 256 * 2**20
#: Features per task of the parallel chunk reduction.
REDUCE_BLOCK = 16384


# --------------------------------------------------------------------------- kernels


@njit
def feature_index(feat_ptr, feat_label, a, label):
    """Index ``k`` of the state feature (attribute ``a``, label ``label``), or -1.

    ``feat_label[feat_ptr[a]:feat_ptr[a+1]]`` is sorted, so the scan stops early.
    """
    for k in range(feat_ptr[a], feat_ptr[a + 1]):
        fl = feat_label[k]
        if fl == label:
            return k
        if fl > label:
            break
    return -1


@njit
def observed_counts(seq_ptr, item_ptr, attr_ids, attr_vals, y, feat_ptr, feat_label, L):
    """Feature counts of the reference labels, summed over the corpus.

    ``out[k] = sum_i sum_{p in item i, attr_ids[p] = a(k)} attr_vals[p] * [y_i = feat_label[k]]``
    for state features; ``out[K + i*L + j]`` = number of positions with
    ``y_{t-1} = i, y_t = j`` (within sequences). Attributes with id -1 and
    (attribute, label) pairs without a feature are skipped.

    Parameters
    ----------
    seq_ptr : int64[S+1]
    item_ptr : int64[N+1]
    attr_ids : int32[nnz]
    attr_vals : float64[nnz]
    y : int32[N]
    feat_ptr : int64[A+1]
    feat_label : int32[K]
    L : int

    Returns
    -------
    float64[K + L*L]
    """
    K = feat_label.shape[0]
    out = np.zeros(K + L * L)
    add_observed_counts(out, seq_ptr, item_ptr, attr_ids, attr_vals, y, feat_ptr, feat_label, L)
    return out


@njit
def add_observed_counts(out, seq_ptr, item_ptr, attr_ids, attr_vals, y, feat_ptr, feat_label, L):
    """Add the counts of :func:`observed_counts` to ``out float64[K + L*L]``, sequence by sequence.

    Applied to consecutive parts of a corpus in order, starting from zeros, it
    gives :func:`observed_counts` of the whole corpus bit for bit.
    """
    K = feat_label.shape[0]
    S = seq_ptr.shape[0] - 1
    for s in range(S):
        for i in range(seq_ptr[s], seq_ptr[s + 1]):
            lab = y[i]
            for p in range(item_ptr[i], item_ptr[i + 1]):
                a = attr_ids[p]
                if a < 0:
                    continue
                k = feature_index(feat_ptr, feat_label, a, lab)
                if k >= 0:
                    out[k] += attr_vals[p]
            if i > seq_ptr[s]:
                out[K + y[i - 1] * L + lab] += 1.0


@njit
def _scatter_state(item_ptr, attr_ids, attr_vals, i0, T, feat_ptr, feat_label, P, coef, g):
    """``g[k] += coef * attr_vals[p] * P[t, feat_label[k]]`` for every feature of every item.

    ``P float64[>=T, L]`` (position, label) holds the unary marginals.
    """
    for t in range(T):
        for p in range(item_ptr[i0 + t], item_ptr[i0 + t + 1]):
            a = attr_ids[p]
            if a < 0:
                continue
            v = coef * attr_vals[p]
            for k in range(feat_ptr[a], feat_ptr[a + 1]):
                g[k] += v * P[t, feat_label[k]]


@njit
def _sequence_expectations(
    item_ptr,
    attr_ids,
    attr_vals,
    i0,
    i1,
    feat_ptr,
    feat_label,
    w,
    Tr,
    exp_tr,
    exp_tr_t,
    shift,
    E,
    exp_e,
    alpha,
    beta,
    scale,
    acc,
    g,
    g_trans,
):
    """Add the expected feature counts of one sequence; return its ``log Z``.

    State expectations go to ``g[0:K]``. Transition expectations go to
    ``acc`` (outer-product form, to be multiplied by ``exp_tr``) when the
    scaled pass succeeds, else directly to ``g_trans float64[L, L]``.
    """
    T = i1 - i0
    emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
    log_z = forward_backward_scaled(E[:T], exp_tr, exp_tr_t, shift, exp_e, alpha, beta, scale)
    if log_z == log_z:
        _outer_accumulate(exp_e, alpha, beta, scale, T, acc)
        L = E.shape[1]
        for t in range(T):  # E is free now: reuse it for the unary marginals
            for j in range(L):
                E[t, j] = alpha[t, j] * beta[t, j]
    else:
        log_z = forward_backward_log(E[:T], Tr, alpha, beta)
        transition_marginals(E[:T], Tr, alpha, beta, log_z, g_trans)
        unary_marginals(alpha, beta, log_z, E[:T])
    _scatter_state(item_ptr, attr_ids, attr_vals, i0, T, feat_ptr, feat_label, E, 1.0, g)
    return log_z


@njit
def chunk_expectations(
    w,
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    Tr,
    exp_tr,
    exp_tr_t,
    shift,
    s0,
    s1,
    g,
    work,
    work_t,
    acc,
):
    """Expected feature counts of sequences ``s0 .. s1-1`` into ``g``; return their ``sum log Z``.

    ``g float64[K + L*L]`` is zeroed first (one chunk's gradient buffer of
    :func:`nll_grad`); ``work float64[4, Tmax, L]``, ``work_t float64[Tmax]`` and
    ``acc float64[L, L]`` are the chunk's workspaces. ``Tr``, ``exp_tr``,
    ``exp_tr_t`` and ``shift`` come from :func:`transition_view` and
    :func:`exp_transitions` of ``w``. The sequences are added in order, so a
    chunk gives the same bits wherever it is computed.
    """
    K = feat_label.shape[0]
    L = Tr.shape[0]
    for k in range(g.shape[0]):
        g[k] = 0.0
    for i in range(L):
        for j in range(L):
            acc[i, j] = 0.0
    g_trans = transition_view(g, K, L)
    lz = 0.0
    for s in range(s0, s1):
        lz += _sequence_expectations(
            item_ptr,
            attr_ids,
            attr_vals,
            seq_ptr[s],
            seq_ptr[s + 1],
            feat_ptr,
            feat_label,
            w,
            Tr,
            exp_tr,
            exp_tr_t,
            shift,
            work[0],
            work[1],
            work[2],
            work[3],
            work_t,
            acc,
            g,
            g_trans,
        )
    for i in range(L):
        for j in range(L):
            g_trans[i, j] += exp_tr[i, j] * acc[i, j]
    return lz


@njit
def chunk_nll_grad(
    w, seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, L, g, work, work_t, acc
):
    """One chunk of :func:`nll_grad` on its own: its gradient buffer ``g`` and its ``sum log Z``.

    Every sequence of ``seq_ptr`` is one chunk; shapes as :func:`chunk_expectations`.
    Summing the buffers of consecutive chunks in order with :func:`finish_nll_grad`
    gives :func:`nll_grad`'s answer bit for bit (data-parallel training).
    """
    K = feat_label.shape[0]
    Tr = transition_view(w, K, L)
    exp_tr = np.empty((L, L))
    exp_tr_t = np.empty((L, L))
    shift = exp_transitions(Tr, exp_tr, exp_tr_t)
    return chunk_expectations(
        w,
        seq_ptr,
        item_ptr,
        attr_ids,
        attr_vals,
        feat_ptr,
        feat_label,
        Tr,
        exp_tr,
        exp_tr_t,
        shift,
        0,
        seq_ptr.shape[0] - 1,
        g,
        work,
        work_t,
        acc,
    )


@njit
def finish_nll_grad(w, acc, observed, c2, trans_mask, K, L, chunk_logz, grad):
    """The end of :func:`nll_grad` from the chunk sums: ``f``, and ``grad`` written.

    ``acc float64[K + L*L]`` is ``sum_c chunk_grad[c]`` added in chunk order
    starting from zeros; ``chunk_logz float64[C]`` the chunks' ``sum log Z``.
    ``grad = acc - observed + 2 * c2 * w`` (0 for inactive transitions),
    ``f = sum_c chunk_logz[c] - w . observed + c2 * ||w||^2``, each sum in
    the order :func:`nll_grad` takes.
    """
    D = K + L * L
    for k in range(D):
        grad[k] = acc[k] - observed[k] + 2.0 * c2 * w[k]
    for ij in range(L * L):
        if trans_mask[ij] == 0:
            grad[K + ij] = 0.0
    f = 0.0
    for c in range(chunk_logz.shape[0]):
        f += chunk_logz[c]
    dot = 0.0
    sq = 0.0
    for k in range(D):
        dot += w[k] * observed[k]
        sq += w[k] * w[k]
    return f - dot + c2 * sq


@njit_parallel
def nll_grad(
    w,
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    L,
    observed,
    c2,
    trans_mask,
    chunks,
    grad,
    chunk_grad,
    work,
    work_t,
    work_ll,
    chunk_logz,
):
    """Negative log-likelihood plus L2 term, and its gradient (written to ``grad``).

    ``f = sum_s log Z(x_s) - w . observed + c2 * ||w||^2``,
    ``grad = expected - observed + 2 * c2 * w``, with ``grad[K + i*L + j] = 0``
    where ``trans_mask[i*L + j] == 0``.

    Parameters
    ----------
    w : float64[D]
        Parameters, ``D = K + L*L``.
    seq_ptr, item_ptr, attr_ids, attr_vals
        The corpus (see :mod:`crftagger.engine.encoding`).
    feat_ptr : int64[A+1]
    feat_label : int32[K]
    L : int
    observed : float64[D]
        From :func:`observed_counts`.
    c2 : float
    trans_mask : uint8[L*L]
    chunks : int64[C+1]
        Sequences of chunk ``c`` are ``chunks[c] .. chunks[c+1]-1``.
    grad : float64[D]
        Output.
    chunk_grad : float64[C, D]
        Workspace, one gradient buffer per chunk.
    work : float64[C, 4, Tmax, L]
        Workspace (emissions, exp emissions, alpha, beta) per chunk; ``Tmax``
        is at least the longest sequence.
    work_t : float64[C, Tmax]
        Workspace (scale factors) per chunk.
    work_ll : float64[C, L, L]
        Workspace (transition accumulators) per chunk.
    chunk_logz : float64[C]
        Output, ``sum log Z`` per chunk.

    Returns
    -------
    float
        ``f``.
    """
    K = feat_label.shape[0]
    D = K + L * L
    C = chunks.shape[0] - 1
    Tr = transition_view(w, K, L)
    exp_tr = np.empty((L, L))
    exp_tr_t = np.empty((L, L))
    shift = exp_transitions(Tr, exp_tr, exp_tr_t)
    for c in prange(C):
        chunk_logz[c] = chunk_expectations(
            w,
            seq_ptr,
            item_ptr,
            attr_ids,
            attr_vals,
            feat_ptr,
            feat_label,
            Tr,
            exp_tr,
            exp_tr_t,
            shift,
            chunks[c],
            chunks[c + 1],
            chunk_grad[c],
            work[c],
            work_t[c],
            work_ll[c],
        )
    # reduce in chunk order; blocks of features in parallel (order within a
    # feature is fixed, so the result does not depend on the thread count)
    n_blocks = (D + REDUCE_BLOCK - 1) // REDUCE_BLOCK
    for b in prange(n_blocks):
        k0 = b * REDUCE_BLOCK
        k1 = min(D, k0 + REDUCE_BLOCK)
        for k in range(k0, k1):
            acc_k = 0.0
            for c in range(C):
                acc_k += chunk_grad[c, k]
            grad[k] = acc_k - observed[k] + 2.0 * c2 * w[k]
    for ij in range(L * L):
        if trans_mask[ij] == 0:
            grad[K + ij] = 0.0
    f = 0.0
    for c in range(C):
        f += chunk_logz[c]
    dot = 0.0
    sq = 0.0
    for k in range(D):
        dot += w[k] * observed[k]
        sq += w[k] * w[k]
    return f - dot + c2 * sq


@njit
def add_sequence_gradient(
    s,
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    y,
    feat_ptr,
    feat_label,
    L,
    trans_mask,
    w,
    w_scale,
    coef,
    target,
    work,
    work_t,
    work_ll,
):
    """Add ``coef * (expected - observed)`` of sequence ``s`` to ``target``; return its loss.

    The scores use the weights ``w_scale * w`` (the lazily decayed weights of
    SGD). ``loss_s = log Z(x_s) - score(y_s)`` (no regularisation). ``target``
    may be ``w`` itself: every expectation is computed before ``target`` is
    touched. Inactive transitions (``trans_mask == 0``) are not updated.

    Parameters
    ----------
    s : int
        Sequence index.
    seq_ptr, item_ptr, attr_ids, attr_vals, y
        The corpus.
    feat_ptr : int64[A+1]
    feat_label : int32[K]
    L : int
    trans_mask : uint8[L*L]
    w : float64[K + L*L]
    w_scale : float
    coef : float
    target : float64[K + L*L]
    work : float64[4, Tmax, L]
        Workspace (emissions, exp emissions, alpha, beta).
    work_t : float64[Tmax]
    work_ll : float64[4, L, L]
        Workspace (transitions, their exp and its transpose, accumulator).
    """
    K = feat_label.shape[0]
    i0 = seq_ptr[s]
    i1 = seq_ptr[s + 1]
    T = i1 - i0
    if T == 0:
        return 0.0
    E = work[0]
    Tr = work_ll[0]
    exp_tr = work_ll[1]
    exp_tr_t = work_ll[2]
    trans_acc = work_ll[3]
    for i in range(L):
        for j in range(L):
            Tr[i, j] = w_scale * w[K + i * L + j]
            trans_acc[i, j] = 0.0
    emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
    gold = 0.0
    for t in range(T):
        for j in range(L):
            E[t, j] *= w_scale
        gold += E[t, y[i0 + t]]
        if t > 0:
            gold += Tr[y[i0 + t - 1], y[i0 + t]]
    shift = exp_transitions(Tr, exp_tr, exp_tr_t)
    exp_e = work[1]
    alpha = work[2]
    beta = work[3]
    log_z = forward_backward_scaled(E[:T], exp_tr, exp_tr_t, shift, exp_e, alpha, beta, work_t)
    if log_z == log_z:
        _outer_accumulate(exp_e, alpha, beta, work_t, T, trans_acc)
        for i in range(L):
            for j in range(L):
                trans_acc[i, j] *= exp_tr[i, j]
        for t in range(T):
            for j in range(L):
                E[t, j] = alpha[t, j] * beta[t, j]
    else:
        log_z = forward_backward_log(E[:T], Tr, alpha, beta)
        transition_marginals(E[:T], Tr, alpha, beta, log_z, trans_acc)
        unary_marginals(alpha, beta, log_z, E[:T])
    # observed counts enter as -coef, expected as +coef
    for t in range(T):
        E[t, y[i0 + t]] -= 1.0
        if t > 0:
            trans_acc[y[i0 + t - 1], y[i0 + t]] -= 1.0
    _scatter_state(item_ptr, attr_ids, attr_vals, i0, T, feat_ptr, feat_label, E, coef, target)
    for i in range(L):
        for j in range(L):
            if trans_mask[i * L + j] != 0:
                target[K + i * L + j] += coef * trans_acc[i, j]
    return log_z - gold


# --------------------------------------------------------------------------- Python wrapper


def _check_features(feat_ptr, feat_label, n_labels, n_attributes=None):
    if not isinstance(feat_ptr, np.ndarray) or feat_ptr.dtype != np.int64 or feat_ptr.ndim != 1:
        raise ObjectiveInputError(
            f"feat_ptr: expected a 1-d int64 array, found {getattr(feat_ptr, 'dtype', type(feat_ptr))}"
        )
    if (
        not isinstance(feat_label, np.ndarray)
        or feat_label.dtype != np.int32
        or feat_label.ndim != 1
    ):
        raise ObjectiveInputError(
            f"feat_label: expected a 1-d int32 array, found {getattr(feat_label, 'dtype', type(feat_label))}"
        )
    if len(feat_ptr) < 1 or feat_ptr[0] != 0 or feat_ptr[-1] != len(feat_label):
        raise ObjectiveInputError(
            f"feat_ptr must start at 0 and end at K={len(feat_label)}, found "
            f"{feat_ptr[:1].tolist()}..{feat_ptr[-1:].tolist()}"
        )
    if np.any(np.diff(feat_ptr) < 0):
        raise ObjectiveInputError("feat_ptr must be non-decreasing")
    if n_attributes is not None and len(feat_ptr) != n_attributes + 1:
        raise ObjectiveInputError(
            f"feat_ptr has {len(feat_ptr)} entries, expected A+1={n_attributes + 1}"
        )
    if n_labels < 1:
        raise ObjectiveInputError(f"n_labels must be >= 1, found {n_labels}")
    if len(feat_label) and (feat_label.min() < 0 or feat_label.max() >= n_labels):
        raise ObjectiveInputError(
            f"feat_label values must lie in [0, {n_labels}), found {feat_label.min()}..{feat_label.max()}"
        )
    if len(feat_label) > 1:
        d = np.diff(feat_label.astype(np.int64))
        starts = np.zeros(len(feat_label), dtype=bool)
        starts[feat_ptr[:-1][np.diff(feat_ptr) > 0]] = True
        bad = np.flatnonzero((d <= 0) & ~starts[1:])
        if len(bad):
            k = int(bad[0]) + 1
            raise ObjectiveInputError(
                f"feat_label must be strictly increasing within each attribute; feature {k} has "
                f"label {feat_label[k]} after {feat_label[k - 1]}"
            )


def check_problem(
    data: AttributeSequences, feat_ptr, feat_label, n_labels, trans_mask=None, need_y=True
):
    """Validate a corpus against a feature index; return ``trans_mask`` as uint8[L*L]."""
    n_labels = int(n_labels)
    _check_features(feat_ptr, feat_label, n_labels)
    data.check(n_attributes=len(feat_ptr) - 1, n_labels=n_labels)
    if need_y and data.y is None:
        raise ObjectiveInputError("training data must have labels (y is None)")
    if trans_mask is None:
        trans_mask = np.ones(n_labels * n_labels, dtype=np.uint8)
    trans_mask = np.asarray(trans_mask)
    if trans_mask.size != n_labels * n_labels:
        raise ObjectiveInputError(
            f"trans_mask has {trans_mask.size} entries, expected L*L={n_labels * n_labels}"
        )
    return np.ascontiguousarray(trans_mask.reshape(-1) != 0, dtype=np.uint8)


def check_weights(w, n_params, name="w"):
    """Return ``w`` as a contiguous float64 vector of length ``n_params`` or raise."""
    w = np.asarray(w)
    if w.shape != (n_params,):
        raise ObjectiveInputError(f"{name}: expected shape ({n_params},), found {w.shape}")
    if w.dtype != np.float64:
        w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        bad = int(np.flatnonzero(~np.isfinite(w))[0])
        raise ObjectiveInputError(f"{name}[{bad}] = {w[bad]}; weights must be finite")
    return np.ascontiguousarray(w)


def default_chunks(n_params: int, n_sequences: int) -> int:
    """The number of chunks :class:`Objective` cuts ``n_sequences`` sequences into by default.

    :data:`DEFAULT_CHUNKS`, lowered (down to 2) so that the chunk buffers of
    ``n_params`` floats fit in :data:`CHUNK_BUFFER_BYTES`, and capped by the
    number of sequences: it depends on the data and the model size only.
    """
    fit = CHUNK_BUFFER_BYTES // (8 * n_params)
    return min(max(2, min(DEFAULT_CHUNKS, fit)), max(n_sequences, 1))


def balanced_chunks(seq_ptr: np.ndarray, n_chunks: int) -> np.ndarray:
    """Sequence boundaries of ``n_chunks`` chunks holding about the same number of items.

    Depends on the data only (never on the thread count).
    """
    n_items = int(seq_ptr[-1])
    S = len(seq_ptr) - 1
    targets = (np.arange(n_chunks + 1, dtype=np.float64) * n_items) / n_chunks
    bounds = np.searchsorted(seq_ptr[:-1], targets, side="left").astype(np.int64)
    bounds[0] = 0
    bounds[-1] = S
    return np.maximum.accumulate(np.minimum(bounds, S))


class Objective:
    """``f(w) = sum_s -log p(y_s | x_s) + c2 * ||w||^2`` and its gradient.

    Owns the observed counts and every workspace; each call reuses them.

    Parameters
    ----------
    data : AttributeSequences
        Training corpus with labels.
    feat_ptr : int64[A+1], feat_label : int32[K]
        State-feature index (CSR over attributes, labels sorted per attribute).
    n_labels : int
    c2 : float
        L2 coefficient (CRFsuite's convention: ``c2 * ||w||^2``).
    trans_mask : array of L*L (or [L, L]) flags, optional
        Active transition features (default: all); inactive ones keep a zero gradient.
    threads : int, optional
        numba threads used during each call (default: numba's current setting).
    n_chunks : int, optional
        Number of fixed sequence chunks. The default is :data:`DEFAULT_CHUNKS`,
        lowered (down to 2) so that the chunk buffers fit in
        :data:`CHUNK_BUFFER_BYTES`, and capped by ``S``; it depends on the data
        and the model size only. Results are bit-identical for any thread count
        given the same chunks.

    Attributes
    ----------
    n_evaluations : int
    n_params : int
        ``K + L*L``.
    observed : float64[K + L*L]
    """

    def __init__(
        self,
        data,
        feat_ptr,
        feat_label,
        n_labels,
        c2=0.0,
        trans_mask=None,
        threads=None,
        n_chunks=None,
    ):
        self.trans_mask = check_problem(data, feat_ptr, feat_label, n_labels, trans_mask)
        c2 = float(c2)
        if not (np.isfinite(c2) and c2 >= 0):
            raise ObjectiveInputError(f"c2 must be a finite number >= 0, found {c2}")
        if threads is not None and not (1 <= int(threads) <= numba.config.NUMBA_NUM_THREADS):
            raise ObjectiveInputError(
                f"threads must lie in [1, {numba.config.NUMBA_NUM_THREADS}], found {threads}"
            )
        self.data = data
        self.feat_ptr = feat_ptr
        self.feat_label = feat_label
        self.n_labels = L = int(n_labels)
        self.c2 = c2
        self.threads = None if threads is None else int(threads)
        self.n_features = K = len(feat_label)
        self.n_params = K + L * L
        S = data.n_sequences
        self.n_sequences = S
        if n_chunks is None:
            n_chunks = default_chunks(self.n_params, S)
        if int(n_chunks) < 1:
            raise ObjectiveInputError(f"n_chunks must be >= 1, found {n_chunks}")
        self.chunks = balanced_chunks(data.seq_ptr, int(n_chunks))
        C = len(self.chunks) - 1
        tmax = max(int(data.lengths().max()) if S else 1, 1)
        self.observed = observed_counts(
            data.seq_ptr,
            data.item_ptr,
            data.attr_ids,
            data.attr_vals,
            data.y,
            feat_ptr,
            feat_label,
            L,
        )
        self._chunk_grad = np.zeros((C, self.n_params))
        self._work = np.zeros((C, 4, tmax, L))
        self._work_t = np.zeros((C, tmax))
        self._work_ll = np.zeros((C, L, L))
        self._chunk_logz = np.zeros(C)
        self.n_evaluations = 0

    def __call__(self, w):
        """Return ``(f, grad)`` at ``w`` (``grad`` is a new array)."""
        w = check_weights(w, self.n_params)
        grad = np.empty(self.n_params)
        d = self.data
        previous = numba.get_num_threads()
        if self.threads is not None:
            numba.set_num_threads(self.threads)
        try:
            f = nll_grad(
                w,
                d.seq_ptr,
                d.item_ptr,
                d.attr_ids,
                d.attr_vals,
                self.feat_ptr,
                self.feat_label,
                self.n_labels,
                self.observed,
                self.c2,
                self.trans_mask,
                self.chunks,
                grad,
                self._chunk_grad,
                self._work,
                self._work_t,
                self._work_ll,
                self._chunk_logz,
            )
        finally:
            if self.threads is not None:
                numba.set_num_threads(previous)
        self.n_evaluations += 1
        return float(f), grad
