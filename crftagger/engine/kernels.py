"""Dynamic programs of a linear-chain CRF, compiled by numba.

Notation (as CRFsuite): ``T`` positions, ``L`` labels, ``A`` attributes,
``K`` state features. Every kernel is a pure function over C-contiguous
arrays; the caller owns the workspaces unless a kernel says otherwise.

Score of a label sequence ``y`` of length ``T``::

    score(y) = sum_t E[t, y_t] + sum_{t>=1} Tr[y_{t-1}, y_t]

``E float64[T, L]``
    emission (state) scores, axis 0 = position, axis 1 = label.
``Tr float64[L, L]``
    transition scores, axis 0 = previous label, axis 1 = current label.
    ``-inf`` entries forbid a transition. There are no BOS/EOS weights.

Parameters are one flat vector ``w float64[K + L*L]``: ``w[k]`` is the weight
of state feature ``k`` (attribute ``a`` with ``feat_ptr[a] <= k <
feat_ptr[a+1]``, label ``feat_label[k]``); ``w[K:]`` viewed as ``[L, L]`` is
``Tr`` indexed ``[prev, cur]``.

Two forward-backward flavours are provided:

* :func:`forward_backward_log` works in log space and is the reference. It
  handles ``-inf`` scores (``logsumexp`` of only ``-inf`` is ``-inf``).
* :func:`forward_backward_scaled` works in probability space as CRFsuite does:
  ``exp`` of the emission and transition scores is taken once (each emission
  row and the transition matrix are shifted by their maximum first, so no
  ``exp`` overflows) and the forward vector is renormalised at every
  position. It returns NaN when the scaling cannot be trusted (a scale factor
  below ``1e-150`` or a backward value above ``1e150``), and the callers then
  fall back to the log-space version. Forward/backward variables of the scaled
  version satisfy ``p(y_t = l) = alpha[t, l] * beta[t, l]``.

A kernel that finds no valid path (every path has score ``-inf``) returns
``-inf`` and fills its path output with ``-1``.

JIT options (caching of the parallel entry points included) are decided in
:mod:`crftagger.engine._jit`.

Signatures (the contract's names; workspaces last)::

    emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, out)
    forward_backward_log(E, Tr, alpha, beta) -> log_z
    exp_transitions(Tr, exp_tr, exp_tr_t) -> tr_shift
    forward_backward_scaled(E, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale)
        -> log_z (NaN when the scaling fails)
    unary_marginals(alpha, beta, log_z, out)            # log-space variables
    unary_marginals_scaled(alpha, beta, out)            # scaled variables
    pairwise_marginals(E, Tr, alpha, beta, log_z, out[T-1, L, L])
    transition_marginals(E, Tr, alpha, beta, log_z, out[L, L])          # adds
    transition_marginals_scaled(exp_tr, exp_e, alpha, beta, scale, T, out)  # adds
    marginals_into(E, Tr, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale, out)
        -> log_z (scaled with log-space fallback)
    log_partition(E, Tr, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale) -> log_z
    viterbi(E, Tr, path) -> score
    viterbi_into(E, Tr, path, delta, back) -> score
    viterbi_constrained(E, Tr, allowed_trans, allowed_start, allowed_end,
                        allowed_labels, path) -> score
    constrain_lattice(E, Tr, allowed_trans, allowed_start, allowed_end,
                      allowed_labels, E_out, Tr_out)
    kbest(E, Tr, k, paths, scores) -> n_found
    sequence_score(E, Tr, y) -> score
    sequence_log_probability(E, Tr, y), sequence_probability(E, Tr, y)
    predict_batch / marginals_batch / logz_batch(seq_ptr, item_ptr, attr_ids,
        attr_vals, feat_ptr, feat_label, w, L, out)
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from crftagger.engine._jit import njit, njit_parallel

NEG_INF = -np.inf
#: Smallest accepted per-position scale factor of the scaled forward pass.
SCALE_MIN = 1e-150
#: Largest accepted backward value of the scaled backward pass.
BETA_MAX = 1e150
#: Sequences handled together by one task of the batch entry points.
BATCH_CHUNK = 64


# --------------------------------------------------------------------------- emissions


@njit
def emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, out):
    """Emission scores of the items ``i0 .. i1-1``.

    ``out[t, l] = sum_{p in item i0+t} attr_vals[p] * w[k]`` over the state
    features ``k`` of attribute ``attr_ids[p]`` whose label is ``l``
    (``feat_label[k] == l``); attributes with id ``-1`` are skipped.

    Parameters
    ----------
    item_ptr : int64[N+1]
        Attributes of item ``i`` are ``attr_ids[item_ptr[i]:item_ptr[i+1]]``.
    attr_ids : int32[nnz]
    attr_vals : float64[nnz]
    i0, i1 : int
        First and one-past-last item of the sequence (``T = i1 - i0``).
    feat_ptr : int64[A+1]
    feat_label : int32[K]
    w : float64[K + L*L]
    out : float64[>=T, L]
        Rows ``0 .. T-1`` are overwritten (axis 0 = position, axis 1 = label).
    """
    L = out.shape[1]
    for t in range(i1 - i0):
        for j in range(L):
            out[t, j] = 0.0
        for p in range(item_ptr[i0 + t], item_ptr[i0 + t + 1]):
            a = attr_ids[p]
            if a < 0:
                continue
            v = attr_vals[p]
            for k in range(feat_ptr[a], feat_ptr[a + 1]):
                out[t, feat_label[k]] += v * w[k]


@njit
def transition_view(w, n_features, n_labels):
    """``w[K:K+L*L]`` viewed as ``Tr float64[L, L]`` indexed ``[prev, cur]`` (no copy)."""
    return w[n_features : n_features + n_labels * n_labels].reshape((n_labels, n_labels))


# --------------------------------------------------------------------------- log space


@njit
def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` that returns ``-inf`` when both are ``-inf``."""
    if a < b:
        a, b = b, a
    if a == NEG_INF:
        return NEG_INF
    return a + math.log1p(math.exp(b - a))


@njit
def forward_backward_log(E, Tr, alpha, beta):
    """Log-space forward-backward; returns ``log Z``.

    ``alpha[0, j] = E[0, j]``,
    ``alpha[t, j] = E[t, j] + logsumexp_i(alpha[t-1, i] + Tr[i, j])``,
    ``beta[T-1, i] = 0``,
    ``beta[t, i] = logsumexp_j(Tr[i, j] + E[t+1, j] + beta[t+1, j])``,
    ``log Z = logsumexp_j alpha[T-1, j]``.

    Parameters
    ----------
    E : float64[T, L]
        Emission scores (position, label); may hold ``-inf``.
    Tr : float64[L, L]
        Transition scores (previous, current); may hold ``-inf``.
    alpha, beta : float64[>=T, L]
        Outputs (position, label), rows ``0 .. T-1`` written.

    Returns
    -------
    float
        ``log Z``; ``-inf`` when no path has a finite score; ``0`` when ``T = 0``.
    """
    T, L = E.shape
    if T == 0:
        return 0.0
    for j in range(L):
        alpha[0, j] = E[0, j]
    for t in range(1, T):
        for j in range(L):
            m = NEG_INF
            for i in range(L):
                s = alpha[t - 1, i] + Tr[i, j]
                if s > m:
                    m = s
            if m == NEG_INF:
                alpha[t, j] = NEG_INF
                continue
            acc = 0.0
            for i in range(L):
                s = alpha[t - 1, i] + Tr[i, j]
                if s != NEG_INF:  # exp(-inf) adds exactly 0: skipping it changes no bit
                    acc += math.exp(s - m)
            alpha[t, j] = E[t, j] + m + math.log(acc)
    for i in range(L):
        beta[T - 1, i] = 0.0
    for t in range(T - 2, -1, -1):
        for i in range(L):
            m = NEG_INF
            for j in range(L):
                s = Tr[i, j] + E[t + 1, j] + beta[t + 1, j]
                if s > m:
                    m = s
            if m == NEG_INF:
                beta[t, i] = NEG_INF
                continue
            acc = 0.0
            for j in range(L):
                s = Tr[i, j] + E[t + 1, j] + beta[t + 1, j]
                if s != NEG_INF:
                    acc += math.exp(s - m)
            beta[t, i] = m + math.log(acc)
    m = NEG_INF
    for j in range(L):
        if alpha[T - 1, j] > m:
            m = alpha[T - 1, j]
    if m == NEG_INF:
        return NEG_INF
    acc = 0.0
    for j in range(L):
        acc += math.exp(alpha[T - 1, j] - m)
    return m + math.log(acc)


@njit
def unary_marginals(alpha, beta, log_z, out):
    """Unary marginals from log-space forward/backward variables.

    ``out[t, l] = p(y_t = l) = exp(alpha[t, l] + beta[t, l] - log Z)``;
    all zeros when ``log Z = -inf`` (no valid path).

    Parameters
    ----------
    alpha, beta : float64[>=T, L]
        From :func:`forward_backward_log`.
    log_z : float
    out : float64[T, L]
        Output (position, label); ``T`` is taken from ``out.shape[0]``.
    """
    T, L = out.shape
    for t in range(T):
        for j in range(L):
            if log_z == NEG_INF:
                out[t, j] = 0.0
            else:
                out[t, j] = math.exp(alpha[t, j] + beta[t, j] - log_z)


@njit
def pairwise_marginals(E, Tr, alpha, beta, log_z, out):
    """Pairwise marginals from log-space forward/backward variables.

    ``out[t-1, i, j] = p(y_{t-1} = i, y_t = j)
    = exp(alpha[t-1, i] + Tr[i, j] + E[t, j] + beta[t, j] - log Z)``
    for ``t = 1 .. T-1``; zeros when ``log Z = -inf``.

    Parameters
    ----------
    E : float64[T, L]
    Tr : float64[L, L]
    alpha, beta : float64[>=T, L]
    log_z : float
    out : float64[>=T-1, L, L]
        Axis 0 = transition position (pair ``t-1, t``), axis 1 = previous
        label, axis 2 = current label.
    """
    T, L = E.shape
    for t in range(1, T):
        for i in range(L):
            for j in range(L):
                if log_z == NEG_INF:
                    out[t - 1, i, j] = 0.0
                else:
                    out[t - 1, i, j] = math.exp(
                        alpha[t - 1, i] + Tr[i, j] + E[t, j] + beta[t, j] - log_z
                    )


@njit
def transition_marginals(E, Tr, alpha, beta, log_z, out):
    """Expected transition counts from log-space variables, ADDED into ``out``.

    ``out[i, j] += sum_{t=1}^{T-1} p(y_{t-1} = i, y_t = j)``.

    Parameters
    ----------
    E : float64[T, L]
    Tr : float64[L, L]
    alpha, beta : float64[>=T, L]
    log_z : float
    out : float64[L, L]
        Accumulator indexed ``[prev, cur]``; unchanged when ``log Z = -inf``.
    """
    T, L = E.shape
    if log_z == NEG_INF:
        return
    for t in range(1, T):
        for i in range(L):
            a = alpha[t - 1, i] - log_z
            for j in range(L):
                out[i, j] += math.exp(a + Tr[i, j] + E[t, j] + beta[t, j])


# --------------------------------------------------------------------------- scaled space


@njit
def exp_transitions(Tr, exp_tr, exp_tr_t):
    """Shifted exponentials of the transition scores; returns the shift.

    ``shift = max_{i,j} Tr[i, j]`` (``0`` when every entry is ``-inf``),
    ``exp_tr[i, j] = exp(Tr[i, j] - shift)`` and ``exp_tr_t = exp_tr.T``
    (stored contiguously so that the backward pass reads rows).

    Parameters
    ----------
    Tr : float64[L, L]
        (previous, current).
    exp_tr : float64[L, L]
        Output (previous, current).
    exp_tr_t : float64[L, L]
        Output (current, previous).
    """
    L = Tr.shape[0]
    shift = NEG_INF
    for i in range(L):
        for j in range(L):
            if Tr[i, j] > shift:
                shift = Tr[i, j]
    if shift == NEG_INF:
        shift = 0.0
    for i in range(L):
        for j in range(L):
            v = math.exp(Tr[i, j] - shift)
            exp_tr[i, j] = v
            exp_tr_t[j, i] = v
    return shift


@njit
def forward_backward_scaled(E, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale):
    """Scaled probability-space forward-backward; returns ``log Z`` or NaN.

    With ``m_t = max_l E[t, l]``, ``exp_e[t, l] = exp(E[t, l] - m_t)``::

        a[0, j]  = exp_e[0, j]
        a[t, j]  = exp_e[t, j] * sum_i alpha[t-1, i] * exp_tr[i, j]
        scale[t] = sum_j a[t, j];   alpha[t] = a[t] / scale[t]
        beta[T-1, i] = 1
        beta[t, i]   = sum_j exp_tr[i, j] * exp_e[t+1, j] * beta[t+1, j] / scale[t+1]
        log Z = sum_t (log scale[t] + m_t) + (T - 1) * tr_shift

    so that ``p(y_t = l) = alpha[t, l] * beta[t, l]`` and
    ``p(y_{t-1} = i, y_t = j) = alpha[t-1, i] exp_tr[i, j] exp_e[t, j] beta[t, j] / scale[t]``.

    Parameters
    ----------
    E : float64[T, L]
        Emission scores (position, label).
    exp_tr, exp_tr_t : float64[L, L]
        From :func:`exp_transitions` ((previous, current) and its transpose).
    tr_shift : float
        The shift returned by :func:`exp_transitions`.
    exp_e, alpha, beta : float64[>=T, L]
        Outputs (position, label).
    scale : float64[>=T]
        Output, the per-position normalisers.

    Returns
    -------
    float
        ``log Z``, or NaN when a scale factor falls below ``SCALE_MIN``, a
        backward value exceeds ``BETA_MAX`` or an emission row is all
        ``-inf``: the caller must then use :func:`forward_backward_log`.
    """
    T, L = E.shape
    if T == 0:
        return 0.0
    log_z = (T - 1) * tr_shift
    for t in range(T):
        m = NEG_INF
        for j in range(L):
            if E[t, j] > m:
                m = E[t, j]
        if m == NEG_INF or not (m < np.inf):
            return np.nan
        log_z += m
        for j in range(L):
            exp_e[t, j] = math.exp(E[t, j] - m)
    # forward
    c = 0.0
    for j in range(L):
        alpha[0, j] = exp_e[0, j]
        c += exp_e[0, j]
    if not (c >= SCALE_MIN):
        return np.nan
    scale[0] = c
    log_z += math.log(c)
    inv = 1.0 / c
    for j in range(L):
        alpha[0, j] *= inv
    for t in range(1, T):
        for j in range(L):
            alpha[t, j] = 0.0
        for i in range(L):
            a = alpha[t - 1, i]
            if a == 0.0:
                continue
            for j in range(L):
                alpha[t, j] += a * exp_tr[i, j]
        c = 0.0
        for j in range(L):
            alpha[t, j] *= exp_e[t, j]
            c += alpha[t, j]
        if not (c >= SCALE_MIN):
            return np.nan
        scale[t] = c
        log_z += math.log(c)
        inv = 1.0 / c
        for j in range(L):
            alpha[t, j] *= inv
    # backward; row t+1 of alpha's scale is reused for beta (CRFsuite's scheme)
    for i in range(L):
        beta[T - 1, i] = 1.0
    for t in range(T - 2, -1, -1):
        for i in range(L):
            beta[t, i] = 0.0
        inv = 1.0 / scale[t + 1]
        for j in range(L):
            v = exp_e[t + 1, j] * beta[t + 1, j] * inv
            if v == 0.0:
                continue
            for i in range(L):
                beta[t, i] += v * exp_tr_t[j, i]
        for i in range(L):
            if not (beta[t, i] <= BETA_MAX):
                return np.nan
    return log_z


@njit
def unary_marginals_scaled(alpha, beta, out):
    """Unary marginals from scaled variables: ``out[t, l] = alpha[t, l] * beta[t, l]``.

    ``out float64[T, L]`` (position, label); ``T`` is ``out.shape[0]``.
    """
    T, L = out.shape
    for t in range(T):
        for j in range(L):
            out[t, j] = alpha[t, j] * beta[t, j]


@njit
def _outer_accumulate(exp_e, alpha, beta, scale, T, acc):
    """``acc[i, j] += sum_{t=1}^{T-1} alpha[t-1, i] * exp_e[t, j] * beta[t, j] / scale[t]``.

    Multiplying ``acc`` element-wise by ``exp_tr`` afterwards gives the
    expected transition counts (scaled variables, ``acc float64[L, L]``
    indexed ``[prev, cur]``).
    """
    L = acc.shape[0]
    v = np.empty(L)
    for t in range(1, T):
        inv = 1.0 / scale[t]
        for j in range(L):
            v[j] = exp_e[t, j] * beta[t, j] * inv
        for i in range(L):
            a = alpha[t - 1, i]
            if a == 0.0:
                continue
            for j in range(L):
                acc[i, j] += a * v[j]


@njit
def transition_marginals_scaled(exp_tr, exp_e, alpha, beta, scale, T, out):
    """Expected transition counts from scaled variables, ADDED into ``out``.

    ``out[i, j] += sum_{t=1}^{T-1} alpha[t-1, i] exp_tr[i, j] exp_e[t, j] beta[t, j] / scale[t]``
    (``out float64[L, L]`` indexed ``[prev, cur]``; the other arrays come from
    :func:`forward_backward_scaled`).
    """
    L = out.shape[0]
    acc = np.zeros((L, L))
    _outer_accumulate(exp_e, alpha, beta, scale, T, acc)
    for i in range(L):
        for j in range(L):
            out[i, j] += exp_tr[i, j] * acc[i, j]


@njit
def marginals_into(E, Tr, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale, out):
    """Unary marginals of one sequence (scaled path, log-space fallback); returns ``log Z``.

    ``out[t, l] = p(y_t = l)`` (``out float64[T, L]``, position x label). All
    zeros and ``-inf`` when no path has a finite score. The workspaces are
    ``float64[>=T, L]`` (``scale float64[>=T]``).
    """
    T = E.shape[0]
    log_z = forward_backward_scaled(E, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale)
    if log_z == log_z:
        unary_marginals_scaled(alpha, beta, out[:T])
        return log_z
    log_z = forward_backward_log(E, Tr, alpha, beta)
    unary_marginals(alpha, beta, log_z, out[:T])
    return log_z


@njit
def log_partition(E, Tr, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale):
    """``log Z`` of one sequence (scaled path, log-space fallback); workspaces as
    :func:`marginals_into`."""
    log_z = forward_backward_scaled(E, exp_tr, exp_tr_t, tr_shift, exp_e, alpha, beta, scale)
    if log_z == log_z:
        return log_z
    return forward_backward_log(E, Tr, alpha, beta)


# --------------------------------------------------------------------------- decoding


@njit
def sequence_score(E, Tr, y):
    """``score(y) = sum_t E[t, y_t] + sum_{t>=1} Tr[y_{t-1}, y_t]``.

    ``E float64[T, L]`` (position, label), ``Tr float64[L, L]`` (previous,
    current), ``y int[T]`` label ids.
    """
    T = E.shape[0]
    s = 0.0
    for t in range(T):
        s += E[t, y[t]]
        if t > 0:
            s += Tr[y[t - 1], y[t]]
    return s


@njit
def sequence_log_probability(E, Tr, y):
    """``log p(y | x) = score(y) - log Z`` (allocates its log-space workspace)."""
    T, L = E.shape
    alpha = np.empty((T, L))
    beta = np.empty((T, L))
    log_z = forward_backward_log(E, Tr, alpha, beta)
    s = sequence_score(E, Tr, y)
    if s == NEG_INF:
        return NEG_INF
    return s - log_z


@njit
def sequence_probability(E, Tr, y):
    """``p(y | x) = exp(score(y) - log Z)``."""
    return math.exp(sequence_log_probability(E, Tr, y))


@njit
def viterbi_into(E, Tr, path, delta, back):
    """Viterbi decoding with caller-owned workspaces; returns the best score.

    ``delta[0, j] = E[0, j]``,
    ``delta[t, j] = E[t, j] + max_i (delta[t-1, i] + Tr[i, j])``,
    ``back[t, j]`` the smallest maximising ``i`` (deterministic ties);
    the path is read back from ``argmax_j delta[T-1, j]`` (smallest on ties).

    Parameters
    ----------
    E : float64[T, L]
    Tr : float64[L, L]
    path : int32[>=T]
        Output labels; all ``-1`` when no path has a finite score.
    delta : float64[>=T, L]
    back : int32[>=T, L]

    Returns
    -------
    float
        The best score, ``-inf`` when every path is forbidden, ``0`` for ``T = 0``.
    """
    T, L = E.shape
    if T == 0:
        return 0.0
    for j in range(L):
        delta[0, j] = E[0, j]
    for t in range(1, T):
        for j in range(L):
            delta[t, j] = NEG_INF
            back[t, j] = 0
        for i in range(L):
            d = delta[t - 1, i]
            if d == NEG_INF:
                continue
            for j in range(L):
                s = d + Tr[i, j]
                if s > delta[t, j]:
                    delta[t, j] = s
                    back[t, j] = i
        for j in range(L):
            delta[t, j] += E[t, j]
    best = NEG_INF
    arg = 0
    for j in range(L):
        if delta[T - 1, j] > best:
            best = delta[T - 1, j]
            arg = j
    if best == NEG_INF:
        for t in range(T):
            path[t] = -1
        return NEG_INF
    path[T - 1] = arg
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return best


@njit
def viterbi(E, Tr, path):
    """Best label sequence; returns its score (see :func:`viterbi_into`).

    ``E float64[T, L]`` (position, label), ``Tr float64[L, L]`` (previous,
    current), ``path int32[>=T]`` output (all ``-1`` and ``-inf`` returned when
    no path has a finite score). Allocates its own ``[T, L]`` workspaces.
    """
    T, L = E.shape
    delta = np.empty((max(T, 1), L))
    back = np.zeros((max(T, 1), L), dtype=np.int32)
    return viterbi_into(E, Tr, path, delta, back)


@njit
def constrain_lattice(
    E, Tr, allowed_trans, allowed_start, allowed_end, allowed_labels, E_out, Tr_out
):
    """Rewrite the score lattice so that forbidden choices score ``-inf``.

    ``E_out[t, l] = E[t, l]`` if ``allowed_labels[t, l]`` (and
    ``allowed_start[l]`` at ``t = 0``, ``allowed_end[l]`` at ``t = T-1``),
    else ``-inf``; ``Tr_out[i, j] = Tr[i, j]`` if ``allowed_trans[i, j]``
    else ``-inf``. Any decoder run on the rewritten lattice is constrained.

    Parameters
    ----------
    E : float64[T, L]
    Tr : float64[L, L]
    allowed_trans : uint8[L, L]
        (previous, current), non-zero = allowed.
    allowed_start, allowed_end : uint8[L]
    allowed_labels : uint8[T, L]
        (position, label).
    E_out : float64[T, L]
    Tr_out : float64[L, L]
    """
    T, L = E.shape
    for t in range(T):
        for j in range(L):
            ok = allowed_labels[t, j] != 0
            if t == 0 and allowed_start[j] == 0:
                ok = False
            if t == T - 1 and allowed_end[j] == 0:
                ok = False
            E_out[t, j] = E[t, j] if ok else NEG_INF
    mask_transitions(Tr, allowed_trans, Tr_out)


@njit
def mask_transitions(Tr, allowed_trans, Tr_out):
    """``Tr_out[i, j] = Tr[i, j]`` if ``allowed_trans[i, j]`` else ``-inf``.

    Parameters
    ----------
    Tr : float64[L, L]
        Transition scores (previous, current).
    allowed_trans : uint8[L, L]
        (previous, current), non-zero = allowed.
    Tr_out : float64[L, L]
        Output.
    """
    L = Tr.shape[0]
    for i in range(L):
        for j in range(L):
            Tr_out[i, j] = Tr[i, j] if allowed_trans[i, j] != 0 else NEG_INF


@njit
def viterbi_constrained(E, Tr, allowed_trans, allowed_start, allowed_end, allowed_labels, path):
    """Best label sequence among the allowed ones; returns its score.

    Runs :func:`viterbi` on the lattice rewritten by :func:`constrain_lattice`:
    the first label must satisfy ``allowed_start``, the last ``allowed_end``,
    each ``y_t`` must satisfy ``allowed_labels[t]`` and each pair
    ``allowed_trans[y_{t-1}, y_t]`` (all uint8, non-zero = allowed).

    Returns ``-inf`` and fills ``path[:T]`` with ``-1`` when no allowed path exists.
    """
    T, L = E.shape
    E2 = np.empty((T, L))
    Tr2 = np.empty((L, L))
    constrain_lattice(E, Tr, allowed_trans, allowed_start, allowed_end, allowed_labels, E2, Tr2)
    return viterbi(E2, Tr2, path)


@njit
def kbest(E, Tr, k, paths, scores):
    """The ``k`` highest-scoring label sequences, best first (list Viterbi).

    For every position ``t`` and label ``j`` the ``k`` best partial paths
    ending in ``j`` are kept: ``delta[t, j, r]`` is the ``r``-th best score,
    obtained from the candidates ``delta[t-1, i, q] + Tr[i, j] + E[t, j]``.
    Ties are broken by the smaller previous label ``i``, then the smaller
    rank ``q`` (at the end: smaller last label, then smaller rank), so the
    result is deterministic. The ``k`` best complete paths are exact.

    Parameters
    ----------
    E : float64[T, L]
    Tr : float64[L, L]
    k : int
    paths : int32[>=k, >=T]
        Output, one path per row; unused rows are filled with ``-1``.
    scores : float64[>=k]
        Output scores (``-inf`` for unused rows).

    Returns
    -------
    int
        The number of paths found with a finite score (``<= k``, ``<= L**T``).
    """
    T, L = E.shape
    for r in range(k):
        scores[r] = NEG_INF
        for t in range(T):
            paths[r, t] = -1
    if T == 0 or k <= 0:
        return 0
    delta = np.full((T, L, k), NEG_INF)
    bl = np.full((T, L, k), -1, dtype=np.int32)
    br = np.full((T, L, k), -1, dtype=np.int32)
    used = np.zeros((L, k), dtype=np.uint8)
    for j in range(L):
        delta[0, j, 0] = E[0, j]
    for t in range(1, T):
        for j in range(L):
            if E[t, j] == NEG_INF:
                continue
            used[:, :] = 0
            for r in range(k):
                best = NEG_INF
                bi = -1
                bq = -1
                for i in range(L):
                    tij = Tr[i, j]
                    if tij == NEG_INF:
                        continue
                    for q in range(k):
                        if used[i, q] != 0:
                            continue
                        d = delta[t - 1, i, q]
                        if d == NEG_INF:
                            break  # ranks are sorted: the rest are -inf too
                        s = d + tij
                        if s > best:
                            best = s
                            bi = i
                            bq = q
                        break  # the first unused rank of label i is its best candidate
                if bi < 0:
                    break
                used[bi, bq] = 1
                delta[t, j, r] = best + E[t, j]
                bl[t, j, r] = bi
                br[t, j, r] = bq
    used[:, :] = 0
    n = 0
    for r in range(k):
        best = NEG_INF
        bj = -1
        bq = -1
        for j in range(L):
            for q in range(k):
                if used[j, q] != 0:
                    continue
                d = delta[T - 1, j, q]
                if d == NEG_INF:
                    break
                if d > best:
                    best = d
                    bj = j
                    bq = q
                break
        if bj < 0:
            break
        used[bj, bq] = 1
        scores[r] = best
        j = bj
        q = bq
        for t in range(T - 1, -1, -1):
            paths[r, t] = j
            if t > 0:
                j2 = bl[t, j, q]
                q = br[t, j, q]
                j = j2
        n += 1
    return n


# --------------------------------------------------------------------------- batch entry points


@njit
def max_length(seq_ptr, s0, s1):
    """Length of the longest of the sequences ``s0 .. s1-1`` (``seq_ptr`` int64[S+1]; 0 when none)."""
    m = 0
    for s in range(s0, s1):
        n = seq_ptr[s + 1] - seq_ptr[s]
        if n > m:
            m = n
    return m


@njit_parallel
def predict_batch(seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, w, L, out):
    """Viterbi labels of every sequence, in parallel over chunks of sequences.

    Parameters
    ----------
    seq_ptr : int64[S+1]
    item_ptr : int64[N+1]
    attr_ids : int32[nnz]
    attr_vals : float64[nnz]
    feat_ptr : int64[A+1]
    feat_label : int32[K]
    w : float64[K + L*L]
    L : int
    out : int32[N]
        Output, the label of every item (``-1`` within a sequence without a
        finite-score path).
    """
    S = seq_ptr.shape[0] - 1
    K = feat_label.shape[0]
    Tr = transition_view(w, K, L)
    n_chunks = (S + BATCH_CHUNK - 1) // BATCH_CHUNK
    for c in prange(n_chunks):
        s0 = c * BATCH_CHUNK
        s1 = min(S, s0 + BATCH_CHUNK)
        tmax = max(max_length(seq_ptr, s0, s1), 1)
        E = np.empty((tmax, L))
        delta = np.empty((tmax, L))
        back = np.zeros((tmax, L), dtype=np.int32)
        for s in range(s0, s1):
            i0 = seq_ptr[s]
            i1 = seq_ptr[s + 1]
            emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
            viterbi_into(E[: i1 - i0], Tr, out[i0:i1], delta, back)


@njit
def _scaled_chunk(
    seq_ptr,
    s0,
    s1,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    w,
    Tr,
    exp_tr,
    exp_tr_t,
    shift,
    marginals,
    marg_out,
    logz_out,
):
    """Forward-backward over the sequences ``s0 .. s1-1`` with its own workspace.

    With ``marginals`` the unary marginals go to ``marg_out[i0:i1]`` (float64[N, L],
    item, label); otherwise ``log Z(x_s)`` goes to ``logz_out[s]`` (float64[S]).
    ``Tr`` float64[L, L] (previous, current) with ``exp_tr``, ``exp_tr_t`` and
    ``shift`` from :func:`exp_transitions`.
    """
    L = Tr.shape[0]
    tmax = max(max_length(seq_ptr, s0, s1), 1)
    E = np.empty((tmax, L))
    exp_e = np.empty((tmax, L))
    alpha = np.empty((tmax, L))
    beta = np.empty((tmax, L))
    scale = np.empty(tmax)
    for s in range(s0, s1):
        i0 = seq_ptr[s]
        i1 = seq_ptr[s + 1]
        emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
        if marginals:
            marginals_into(
                E[: i1 - i0],
                Tr,
                exp_tr,
                exp_tr_t,
                shift,
                exp_e,
                alpha,
                beta,
                scale,
                marg_out[i0:i1],
            )
        else:
            logz_out[s] = log_partition(
                E[: i1 - i0], Tr, exp_tr, exp_tr_t, shift, exp_e, alpha, beta, scale
            )


@njit_parallel
def marginals_batch(seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, w, L, out):
    """Unary marginals ``out[i, l] = p(y_i = l | x)`` of every item, in parallel.

    Arguments as :func:`predict_batch`; ``out float64[N, L]`` (item, label).
    """
    S = seq_ptr.shape[0] - 1
    Tr = transition_view(w, feat_label.shape[0], L)
    exp_tr = np.empty((L, L))
    exp_tr_t = np.empty((L, L))
    shift = exp_transitions(Tr, exp_tr, exp_tr_t)
    no_logz = np.empty(0)
    for c in prange((S + BATCH_CHUNK - 1) // BATCH_CHUNK):
        s0 = c * BATCH_CHUNK
        _scaled_chunk(
            seq_ptr,
            s0,
            min(S, s0 + BATCH_CHUNK),
            item_ptr,
            attr_ids,
            attr_vals,
            feat_ptr,
            feat_label,
            w,
            Tr,
            exp_tr,
            exp_tr_t,
            shift,
            True,
            out,
            no_logz,
        )


@njit_parallel
def logz_batch(seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, w, L, out):
    """``out[s] = log Z(x_s)`` of every sequence, in parallel.

    Arguments as :func:`predict_batch`; ``out float64[S]``.
    """
    S = seq_ptr.shape[0] - 1
    Tr = transition_view(w, feat_label.shape[0], L)
    exp_tr = np.empty((L, L))
    exp_tr_t = np.empty((L, L))
    shift = exp_transitions(Tr, exp_tr, exp_tr_t)
    no_marg = np.empty((0, L))
    for c in prange((S + BATCH_CHUNK - 1) // BATCH_CHUNK):
        s0 = c * BATCH_CHUNK
        _scaled_chunk(
            seq_ptr,
            s0,
            min(S, s0 + BATCH_CHUNK),
            item_ptr,
            attr_ids,
            attr_vals,
            feat_ptr,
            feat_label,
            w,
            Tr,
            exp_tr,
            exp_tr_t,
            shift,
            False,
            no_marg,
            out,
        )
