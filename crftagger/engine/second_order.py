"""Second-order linear-chain CRF: transitions over label triples.

The score of a label sequence ``y`` of ``x`` (length ``T``) is::

    score(x, y) = sum_t sum_{a in x_t} value * w[(a, y_t)]          state features, as first order
                + sum_{t>0} B[y_{t-1}, y_t]                          bigram transitions
                + sum_{t>0} G[y_{t-2}, y_{t-1}, y_t]                 trigram transitions

with ``y_{-1} = BOS`` (a start symbol with index ``L``), so ``G[BOS, y_0, y_1]``
scores how a sentence opens. State features stay tied to one label, so a
second-order model has the same state features as a first-order one plus at
most ``(L+1) * L * L`` transition weights.

**Pair states.** Inference runs on the first-order chain whose states are the
label pairs ``(y_{t-1}, y_t)`` (``(BOS, y_0)`` at ``t = 0``). Only the pairs of
:class:`PairSpace` exist: by default those seen in the training labels (the
starting pairs ``(BOS, y_0)`` and the bigrams), so a model never outputs a
label bigram it never saw (``all_possible_transitions=True`` keeps every
pair). An edge goes from ``(x, a)`` to ``(a, b)`` and carries
``B[a, b] + G[x, a, b]``; the state ``(a, b)`` at ``t`` carries the emission
``E[t, b]``. Scheme constraints are constraints on bigrams, so they become
masks on the pair states (:meth:`PairSpace.state_masks`).

**Parameters** ``w float64[K + L*L + (L+1)*L*L]``: state features (as
:mod:`crftagger.engine.model`), then ``B`` as ``[prev, cur]``, then ``G`` as
``[prev2, prev, cur]`` with ``prev2 = L`` for BOS. ``pair_mask uint8[(L+1)*L]``
(``[prev, cur]``, row ``L`` = BOS) lists the pair states; bigrams outside it and
trigrams that are not edges are inactive and stay exactly 0.

Training (L-BFGS / OWL-QN through :func:`crftagger.engine.optimisers.lbfgs`) evaluates
the objective in parallel over a fixed partition of the sequences, so the
result is bit-identical for any thread count, like the first-order
:class:`~crftagger.engine.objective.Objective`. The hot path is a scaled
probability-space forward-backward over the pair edges; a sequence whose
scaling fails is redone in log space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import prange

from crftagger.engine._jit import njit, njit_parallel
from crftagger.engine.encoding import AttributeSequences, Vocabulary
from crftagger.engine.kernels import NEG_INF, emissions, logaddexp, max_length
from crftagger.engine.model import LinearChainCRF, ModelError, _check_index_arrays, numba_threads
from crftagger.engine.objective import (
    DEFAULT_CHUNKS,
    _scatter_state,
    balanced_chunks,
    check_weights,
    observed_counts,
)

#: Largest number of pair states a model may have: inference costs about
#: ``T * S * L`` per sentence and the lattices of :meth:`SecondOrderCRF.lattice`
#: hold ``S * S`` floats.
MAX_PAIR_STATES = 4096


# --------------------------------------------------------------------------- the pair space


@dataclass(frozen=True)
class PairSpace:
    """The pair states and edges of a second-order model over ``n_labels`` labels.

    Attributes
    ----------
    n_labels : int
    pair_mask : uint8[(L+1)*L]
        ``[prev, cur]`` flags, row ``L`` = BOS.
    pair_a, pair_b : int64[S]
        Previous label (``L`` = BOS) and current label of every state.
    state_of : int64[(L+1)*L]
        State id of every pair, -1 when it is not a state.
    edge_from, edge_to : int64[E]
        Edges ``(x, a) -> (a, b)`` between states, sorted by ``edge_to``.
    edge_bigram : int64[E]
        ``a*L + b``: index of the edge's bigram weight in ``B``.
    edge_trigram : int64[E]
        ``(x*L + a)*L + b``: index of its trigram weight in ``G``.
    """

    n_labels: int
    pair_mask: np.ndarray
    pair_a: np.ndarray
    pair_b: np.ndarray
    state_of: np.ndarray
    edge_from: np.ndarray
    edge_to: np.ndarray
    edge_bigram: np.ndarray
    edge_trigram: np.ndarray

    @property
    def n_states(self) -> int:
        return len(self.pair_a)

    @property
    def n_edges(self) -> int:
        return len(self.edge_from)

    @property
    def bigram_mask(self) -> np.ndarray:
        """``uint8[L*L]``: active bigram weights (the pairs of two labels)."""
        L = self.n_labels
        return np.ascontiguousarray(self.pair_mask[: L * L])

    @property
    def trigram_mask(self) -> np.ndarray:
        """``uint8[(L+1)*L*L]``: active trigram weights (the edges)."""
        L = self.n_labels
        m = np.zeros((L + 1) * L * L, dtype=np.uint8)
        m[self.edge_trigram] = 1
        return m

    @classmethod
    def from_mask(cls, pair_mask, n_labels: int) -> PairSpace:
        L = int(n_labels)
        if L < 1:
            raise ModelError("the label vocabulary is empty")
        mask = np.ascontiguousarray(pair_mask).ravel()
        if mask.shape != ((L + 1) * L,):
            raise ModelError(
                f"pair_mask: expected (L+1)*L = {(L + 1) * L} flags, found shape {np.shape(pair_mask)}"
            )
        if not np.all((mask == 0) | (mask == 1)):
            raise ModelError("pair_mask: flags must be 0 or 1")
        mask = mask.astype(np.uint8)
        if not mask[L * L :].any():
            raise ModelError("pair_mask: no starting pair (BOS, label) is a state")
        states = np.flatnonzero(mask)
        if len(states) > MAX_PAIR_STATES:
            raise ModelError(
                f"{len(states)} pair states, more than the {MAX_PAIR_STATES} a second-order "
                "model may have (use a first-order model for this label set)"
            )
        pair_a, pair_b = states // L, states % L
        state_of = -np.ones((L + 1) * L, dtype=np.int64)
        state_of[states] = np.arange(len(states))
        # edges (x, a) -> (a, b): every state (a, b) with a real a, from every state ending in a
        ends_in = [np.flatnonzero(mask.reshape(L + 1, L)[:, a]) for a in range(L)]
        frm, to, big, tri = [], [], [], []
        for s in range(len(states)):
            a, b = int(pair_a[s]), int(pair_b[s])
            if a == L:
                continue
            xs = ends_in[a]
            frm.append(state_of[xs * L + a])
            to.append(np.full(len(xs), s))
            big.append(np.full(len(xs), a * L + b))
            tri.append((xs * L + a) * L + b)

        def cat(parts):
            if not parts:
                return np.zeros(0, dtype=np.int64)
            return np.ascontiguousarray(np.concatenate(parts).astype(np.int64))

        return cls(
            L,
            mask,
            pair_a.astype(np.int64),
            pair_b.astype(np.int64),
            state_of,
            cat(frm),
            cat(to),
            cat(big),
            cat(tri),
        )

    @classmethod
    def from_labels(cls, y, seq_ptr, n_labels: int, all_pairs: bool = False) -> PairSpace:
        """The pairs seen in the label sequences (or every pair with ``all_pairs``)."""
        L = int(n_labels)
        mask = np.zeros((L + 1) * L, dtype=np.uint8)
        if all_pairs:
            mask[:] = 1
        else:
            y = np.asarray(y, dtype=np.int64)
            starts = np.asarray(seq_ptr[:-1], dtype=np.int64)
            lengths = np.diff(seq_ptr)
            mask[L * L + y[starts[lengths > 0]]] = 1
            first = np.zeros(len(y), dtype=bool)
            first[starts[lengths > 0]] = True
            inner = np.flatnonzero(~first)
            mask[y[inner - 1] * L + y[inner]] = 1
        return cls.from_mask(mask, L)

    def edge_weights(self, w: np.ndarray, n_state_features: int) -> np.ndarray:
        """``B[a, b] + G[x, a, b]`` of every edge."""
        K, L = int(n_state_features), self.n_labels
        return np.ascontiguousarray(w[K + self.edge_bigram] + w[K + L * L + self.edge_trigram])

    def state_masks(self, allowed_trans, allowed_start, allowed_end):
        """``(first, inner, last)`` uint8[S] state masks of a scheme's label constraints.

        ``first``: states allowed at position 0 (``(BOS, b)`` with ``b`` allowed
        to start); ``inner``: states allowed at positions > 0 (``(a, b)`` with a
        real ``a`` and the bigram allowed); ``last``: states allowed at the last
        position (``b`` allowed to end).
        """
        L = self.n_labels
        a, b = self.pair_a, self.pair_b
        bos = a == L
        first = bos & (np.asarray(allowed_start)[b] != 0)
        inner = np.zeros(len(a), dtype=bool)
        inner[~bos] = np.asarray(allowed_trans)[a[~bos], b[~bos]] != 0
        last = np.asarray(allowed_end)[b] != 0
        return (first.astype(np.uint8), inner.astype(np.uint8), last.astype(np.uint8))

    def open_masks(self):
        """The state masks with no scheme constraint."""
        L = self.n_labels
        ones = np.ones(L, dtype=np.uint8)
        return self.state_masks(np.ones((L, L), dtype=np.uint8), ones, ones)


# --------------------------------------------------------------------------- kernels


@njit
def pair_emissions(E, T, pair_b, first, inner, last, PE):
    """``PE[t, s] = E[t, b_s]`` where state ``s`` is allowed at ``t``, else ``-inf``."""
    S = pair_b.shape[0]
    for t in range(T):
        for s in range(S):
            ok = first[s] != 0 if t == 0 else inner[s] != 0
            if t == T - 1 and last[s] == 0:
                ok = False
            PE[t, s] = E[t, pair_b[s]] if ok else NEG_INF


@njit
def pair_forward_log(PE, T, edge_from, edge_to, ew, alpha):
    """Log-space forward over the pair states; returns ``log Z`` (``-inf``: no path)."""
    S = PE.shape[1]
    for s in range(S):
        alpha[0, s] = PE[0, s]
    for t in range(1, T):
        for s in range(S):
            alpha[t, s] = NEG_INF
        for e in range(edge_from.shape[0]):
            v = alpha[t - 1, edge_from[e]] + ew[e]
            if v != NEG_INF:
                alpha[t, edge_to[e]] = logaddexp(alpha[t, edge_to[e]], v)
        for s in range(S):
            alpha[t, s] += PE[t, s]
    z = NEG_INF
    for s in range(S):
        z = logaddexp(z, alpha[T - 1, s])
    return z


@njit
def pair_backward_log(PE, T, edge_from, edge_to, ew, beta):
    S = PE.shape[1]
    for s in range(S):
        beta[T - 1, s] = 0.0
    for t in range(T - 2, -1, -1):
        for s in range(S):
            beta[t, s] = NEG_INF
        for e in range(edge_from.shape[0]):
            v = ew[e] + PE[t + 1, edge_to[e]] + beta[t + 1, edge_to[e]]
            if v != NEG_INF:
                beta[t, edge_from[e]] = logaddexp(beta[t, edge_from[e]], v)


@njit
def pair_viterbi(PE, T, pair_b, edge_from, edge_to, ew, path, delta, back):
    """Best pair-state path; writes its labels to ``path[:T]``, returns its score (``-inf``: none)."""
    S = PE.shape[1]
    for s in range(S):
        delta[0, s] = PE[0, s]
    for t in range(1, T):
        for s in range(S):
            delta[t, s] = NEG_INF
            back[t, s] = -1
        for e in range(edge_from.shape[0]):
            v = delta[t - 1, edge_from[e]] + ew[e]
            if v > delta[t, edge_to[e]]:
                delta[t, edge_to[e]] = v
                back[t, edge_to[e]] = edge_from[e]
        for s in range(S):
            delta[t, s] += PE[t, s]
    best = -1
    score = NEG_INF
    for s in range(S):
        if delta[T - 1, s] > score:
            score = delta[T - 1, s]
            best = s
    if best < 0:
        for t in range(T):
            path[t] = -1
        return NEG_INF
    for t in range(T - 1, -1, -1):
        path[t] = pair_b[best]
        best = back[t, best]
    return score


@njit
def _pair_expectations(
    E, T, pair_a, pair_b, bos, edge_from, edge_to, ew, exp_edge, XE, PE, al, be, sc, U, ge, coef
):
    """Add ``coef`` * the edge marginals of one sequence to ``ge``; label marginals to ``U[:T]``.

    Unconstrained lattice (training). Scaled probability space first
    (``XE[t, l] = exp(E[t, l] - max_l E[t])``); when a scale is not a positive
    finite number the sequence is redone in log space. Returns ``log Z``.
    """
    S = pair_a.shape[0]
    L = E.shape[1]
    nE = edge_from.shape[0]
    for t in range(T):
        m = E[t, 0]
        for j in range(1, L):
            if E[t, j] > m:
                m = E[t, j]
        sc[t] = m
        for j in range(L):
            XE[t, j] = np.exp(E[t, j] - m)
    ok = True
    log_z = 0.0
    for t in range(T):
        if t == 0:
            for s in range(S):
                al[0, s] = XE[0, pair_b[s]] if pair_a[s] == bos else 0.0
        else:
            for s in range(S):
                al[t, s] = 0.0
            for e in range(nE):
                al[t, edge_to[e]] += al[t - 1, edge_from[e]] * exp_edge[e]
            for s in range(S):
                al[t, s] *= XE[t, pair_b[s]]
        tot = 0.0
        for s in range(S):
            tot += al[t, s]
        if not (tot > 0.0 and tot < np.inf):
            ok = False
            break
        for s in range(S):
            al[t, s] /= tot
        log_z += np.log(tot) + sc[t]
    if ok:
        for s in range(S):
            be[T - 1, s] = 1.0
        for t in range(T - 2, -1, -1):
            for s in range(S):
                be[t, s] = 0.0
            for e in range(nE):
                be[t, edge_from[e]] += (
                    exp_edge[e] * XE[t + 1, pair_b[edge_to[e]]] * be[t + 1, edge_to[e]]
                )
            z = 0.0
            for s in range(S):
                z += al[t, s] * be[t, s]
            if not (z > 0.0 and z < np.inf):
                ok = False
                break
            for s in range(S):
                be[t, s] /= z
    if ok:
        for t in range(1, T):
            zt = 0.0
            for e in range(nE):
                zt += (
                    al[t - 1, edge_from[e]]
                    * exp_edge[e]
                    * XE[t, pair_b[edge_to[e]]]
                    * be[t, edge_to[e]]
                )
            if not (zt > 0.0 and zt < np.inf):
                ok = False
                break
    if ok:
        for t in range(1, T):
            zt = 0.0
            for e in range(nE):
                zt += (
                    al[t - 1, edge_from[e]]
                    * exp_edge[e]
                    * XE[t, pair_b[edge_to[e]]]
                    * be[t, edge_to[e]]
                )
            f = coef / zt
            for e in range(nE):
                ge[e] += (
                    f
                    * al[t - 1, edge_from[e]]
                    * exp_edge[e]
                    * XE[t, pair_b[edge_to[e]]]
                    * be[t, edge_to[e]]
                )
        for t in range(T):
            for j in range(L):
                U[t, j] = 0.0
            z = 0.0
            for s in range(S):
                z += al[t, s] * be[t, s]
            for s in range(S):
                U[t, pair_b[s]] += al[t, s] * be[t, s] / z
        return log_z
    # log-space fallback
    for t in range(T):
        for s in range(S):
            PE[t, s] = (
                E[t, pair_b[s]]
                if (t > 0 and pair_a[s] != bos) or (t == 0 and pair_a[s] == bos)
                else NEG_INF
            )
    log_z = pair_forward_log(PE, T, edge_from, edge_to, ew, al)
    pair_backward_log(PE, T, edge_from, edge_to, ew, be)
    for t in range(1, T):
        for e in range(nE):
            v = al[t - 1, edge_from[e]] + ew[e] + PE[t, edge_to[e]] + be[t, edge_to[e]] - log_z
            if v != NEG_INF:
                ge[e] += coef * np.exp(v)
    for t in range(T):
        for j in range(L):
            U[t, j] = 0.0
        for s in range(S):
            v = al[t, s] + be[t, s] - log_z
            if v != NEG_INF:
                U[t, pair_b[s]] += np.exp(v)
    return log_z


@njit_parallel
def nll_grad2(
    w,
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    L,
    pair_a,
    pair_b,
    edge_from,
    edge_to,
    ew,
    chunks,
    chunk_g,
    chunk_ge,
    chunk_logz,
):
    """``sum_s log Z(x_s)``; the expected state-feature counts and edge marginals per chunk.

    Chunk ``c`` covers the sequences ``chunks[c] .. chunks[c+1]-1`` and owns
    ``chunk_g[c]`` (float64[K]) and ``chunk_ge[c]`` (float64[E]); the caller
    adds them in chunk order, so the result does not depend on the threads.
    """
    C = chunks.shape[0] - 1
    nE = edge_from.shape[0]
    S = pair_a.shape[0]
    exp_edge = np.empty(nE)
    for e in range(nE):
        exp_edge[e] = np.exp(ew[e])
    for c in prange(C):
        g = chunk_g[c]
        ge = chunk_ge[c]
        g[:] = 0.0
        ge[:] = 0.0
        s0, s1 = chunks[c], chunks[c + 1]
        tmax = max(max_length(seq_ptr, s0, s1), 1)
        E = np.empty((tmax, L))
        U = np.empty((tmax, L))
        XE = np.empty((tmax, L))
        PE = np.empty((tmax, S))
        al = np.empty((tmax, S))
        be = np.empty((tmax, S))
        sc = np.empty(tmax)
        lz = 0.0
        for s in range(s0, s1):
            i0, i1 = seq_ptr[s], seq_ptr[s + 1]
            T = i1 - i0
            if T == 0:
                continue
            emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
            lz += _pair_expectations(
                E,
                T,
                pair_a,
                pair_b,
                L,
                edge_from,
                edge_to,
                ew,
                exp_edge,
                XE,
                PE,
                al,
                be,
                sc,
                U,
                ge,
                1.0,
            )
            _scatter_state(item_ptr, attr_ids, attr_vals, i0, T, feat_ptr, feat_label, U, 1.0, g)
        chunk_logz[c] = lz
    total = 0.0
    for c in range(C):
        total += chunk_logz[c]
    return total


@njit_parallel
def decode_batch2(
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    w,
    L,
    pair_b,
    edge_from,
    edge_to,
    ew,
    first,
    inner,
    last,
    bias,
    out,
):
    """Best allowed label sequence of every sequence (``-1`` throughout one without a path).

    ``bias float64[L]`` is added to the emission scores of every position.
    """
    n = seq_ptr.shape[0] - 1
    S = pair_b.shape[0]
    n_chunks = (n + 64 - 1) // 64
    for c in prange(n_chunks):
        s0 = c * 64
        s1 = min(n, s0 + 64)
        tmax = max(max_length(seq_ptr, s0, s1), 1)
        E = np.empty((tmax, L))
        PE = np.empty((tmax, S))
        delta = np.empty((tmax, S))
        back = np.empty((tmax, S), dtype=np.int64)
        for s in range(s0, s1):
            i0, i1 = seq_ptr[s], seq_ptr[s + 1]
            T = i1 - i0
            if T == 0:
                continue
            emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
            for t in range(T):
                for j in range(L):
                    E[t, j] += bias[j]
            pair_emissions(E, T, pair_b, first, inner, last, PE)
            pair_viterbi(PE, T, pair_b, edge_from, edge_to, ew, out[i0:i1], delta, back)


@njit_parallel
def marginals_batch2(
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    w,
    L,
    pair_b,
    edge_from,
    edge_to,
    ew,
    first,
    inner,
    last,
    out,
    logz,
):
    """Label marginals ``out[item, label]`` and ``logz[s]`` of every sequence (log space)."""
    n = seq_ptr.shape[0] - 1
    S = pair_b.shape[0]
    n_chunks = (n + 64 - 1) // 64
    for c in prange(n_chunks):
        s0 = c * 64
        s1 = min(n, s0 + 64)
        tmax = max(max_length(seq_ptr, s0, s1), 1)
        E = np.empty((tmax, L))
        PE = np.empty((tmax, S))
        al = np.empty((tmax, S))
        be = np.empty((tmax, S))
        for s in range(s0, s1):
            i0, i1 = seq_ptr[s], seq_ptr[s + 1]
            T = i1 - i0
            logz[s] = 0.0
            if T == 0:
                continue
            emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
            pair_emissions(E, T, pair_b, first, inner, last, PE)
            z = pair_forward_log(PE, T, edge_from, edge_to, ew, al)
            logz[s] = z
            pair_backward_log(PE, T, edge_from, edge_to, ew, be)
            for t in range(T):
                for j in range(L):
                    out[i0 + t, j] = 0.0
                if z == NEG_INF:
                    continue
                for k in range(S):
                    v = al[t, k] + be[t, k] - z
                    if v != NEG_INF:
                        out[i0 + t, pair_b[k]] += np.exp(v)


# --------------------------------------------------------------------------- objective


class SecondOrderObjective:
    """``f(w) = sum_s -log p(y_s | x_s) + c2 * ||w||^2`` of a second-order CRF, and its gradient.

    ``w`` is laid out as in the module docstring. ``trans_mask`` and
    ``n_features`` mark the inactive transition weights (as on
    :class:`crftagger.engine.objective.Objective`), so :func:`crftagger.engine.optimisers.lbfgs`
    keeps them at exactly 0.
    """

    def __init__(
        self,
        data: AttributeSequences,
        feat_ptr,
        feat_label,
        space: PairSpace,
        c2: float = 0.0,
        n_chunks: int | None = None,
    ):
        c2 = float(c2)
        if not (np.isfinite(c2) and c2 >= 0):
            raise ModelError(f"c2 must be a finite number >= 0, found {c2}")
        if data.y is None:
            raise ModelError("labels are needed (data.y is None)")
        L = space.n_labels
        self.data, self.feat_ptr, self.feat_label, self.space, self.c2 = (
            data,
            feat_ptr,
            feat_label,
            space,
            c2,
        )
        self.n_labels = L
        self.n_features = K = len(feat_label)
        self.n_params = K + L * L + (L + 1) * L * L
        self.trans_mask = np.concatenate([space.bigram_mask, space.trigram_mask])
        S = data.n_sequences
        if n_chunks is None:
            fit = (256 * 2**20) // (8 * max(K + space.n_edges, 1))
            n_chunks = min(max(2, min(DEFAULT_CHUNKS, fit)), max(S, 1))
        self.chunks = balanced_chunks(data.seq_ptr, int(n_chunks))
        C = len(self.chunks) - 1
        self.observed = self._observed()
        self._chunk_g = np.zeros((C, K))
        self._chunk_ge = np.zeros((C, space.n_edges))
        self._chunk_logz = np.zeros(C)
        self.n_evaluations = 0

    def _observed(self) -> np.ndarray:
        d, L, K = self.data, self.n_labels, self.n_features
        obs = np.zeros(self.n_params)
        first = observed_counts(
            d.seq_ptr, d.item_ptr, d.attr_ids, d.attr_vals, d.y, self.feat_ptr, self.feat_label, L
        )
        obs[: K + L * L] = first
        y = d.y.astype(np.int64)
        pos_in_seq = np.arange(len(y)) - np.repeat(d.seq_ptr[:-1], np.diff(d.seq_ptr))
        t = np.flatnonzero(pos_in_seq >= 1)
        prev2 = np.where(pos_in_seq[t] >= 2, y[np.maximum(t - 2, 0)], L)
        np.add.at(obs, K + L * L + (prev2 * L + y[t - 1]) * L + y[t], 1.0)
        return obs

    def __call__(self, w):
        w = check_weights(w, self.n_params)
        d, sp, K, L = self.data, self.space, self.n_features, self.n_labels
        ew = sp.edge_weights(w, K)
        lz = nll_grad2(
            w,
            d.seq_ptr,
            d.item_ptr,
            d.attr_ids,
            d.attr_vals,
            self.feat_ptr,
            self.feat_label,
            L,
            sp.pair_a,
            sp.pair_b,
            sp.edge_from,
            sp.edge_to,
            ew,
            self.chunks,
            self._chunk_g,
            self._chunk_ge,
            self._chunk_logz,
        )
        grad = np.zeros(self.n_params)
        for c in range(len(self._chunk_g)):  # chunk order: independent of the threads
            grad[:K] += self._chunk_g[c]
        ge = np.zeros(sp.n_edges)
        for c in range(len(self._chunk_ge)):
            ge += self._chunk_ge[c]
        np.add.at(grad, K + sp.edge_bigram, ge)
        np.add.at(grad, K + L * L + sp.edge_trigram, ge)
        grad -= self.observed
        grad += 2.0 * self.c2 * w
        f = float(lz) - float(w @ self.observed) + self.c2 * float(w @ w)
        self.n_evaluations += 1
        return f, grad


# --------------------------------------------------------------------------- model


class SecondOrderCRF(LinearChainCRF):
    """A second-order linear-chain CRF (see the module docstring).

    Same interface as :class:`~crftagger.engine.model.LinearChainCRF`, with
    ``pair_mask`` in place of ``trans_mask``. Training takes ``algorithm="lbfgs"``
    (L-BFGS, OWL-QN with ``c1 > 0``) only.
    """

    MODEL_KIND = "crftagger.SecondOrderCRF"
    MASK_BLOCK = "pair_mask"
    order = 2
    TRAINERS = ("lbfgs",)

    def __init__(
        self,
        labels: Vocabulary,
        attributes: Vocabulary,
        feat_ptr=None,
        feat_label=None,
        w=None,
        pair_mask=None,
    ):
        self.space = None
        self.pair_mask = None
        #: ``(constraints, pair constraints, state transitions)`` of the last lattice built
        self._pair_cache: tuple | None = None
        super().__init__(labels, attributes, feat_ptr, feat_label, w, pair_mask)

    def set_parameters(self, feat_ptr, feat_label, w, pair_mask) -> None:
        L, A = len(self.labels), len(self.attributes)
        if L < 1:
            raise ModelError("the label vocabulary is empty")
        space = PairSpace.from_mask(pair_mask, L)
        feat_ptr, feat_label, trans_mask = _check_index_arrays(
            feat_ptr, feat_label, space.bigram_mask, A, L
        )
        w = np.ascontiguousarray(w, dtype=np.float64)
        K = len(feat_label)
        D = K + L * L + (L + 1) * L * L
        if w.shape != (D,):
            raise ModelError(
                f"w: expected float64[K + L*L + (L+1)*L*L] = [{D}], found shape {w.shape}"
            )
        if not np.all(np.isfinite(w)):
            bad = int(np.flatnonzero(~np.isfinite(w))[0])
            raise ModelError(f"w[{bad}] is {w[bad]}; weights must be finite")
        active = np.concatenate([space.bigram_mask, space.trigram_mask])
        if np.any(w[K:][active == 0] != 0):
            raise ModelError("transition weights outside the pair states must be 0")
        self.feat_ptr, self.feat_label, self.w, self.trans_mask = (
            feat_ptr,
            feat_label,
            w,
            trans_mask,
        )
        self.pair_mask, self.space = space.pair_mask, space
        self._pair_cache = None

    @property
    def n_features(self) -> int:
        """State features plus active bigram and trigram transitions."""
        return self.n_state_features + int(self.trans_mask.sum()) + self.space.n_edges

    @property
    def transition_weights(self) -> np.ndarray:
        """Bigram weights ``B``, float64[L, L] ``[previous, current]`` (a view of ``w``)."""
        self._require_fitted()
        L, K = self.n_labels, len(self.feat_label)
        return self.w[K : K + L * L].reshape(L, L)

    @property
    def trigram_weights(self) -> np.ndarray:
        """Trigram weights ``G``, float64[L+1, L, L] ``[prev2 (L = BOS), prev, cur]`` (a view of ``w``)."""
        self._require_fitted()
        L, K = self.n_labels, len(self.feat_label)
        return self.w[K + L * L :].reshape(L + 1, L, L)

    @property
    def trigram_features_(self) -> dict[tuple[str | None, str, str], float]:
        """``{(prev2, prev, current): weight}`` of every edge (``prev2`` None = sentence start)."""
        self._require_fitted()
        L, names = self.n_labels, self.labels.items
        G = self.trigram_weights.ravel()
        out = {}
        for k in self.space.edge_trigram.tolist():
            x, a, b = k // (L * L), (k // L) % L, k % L
            out[(None if x == L else names[x], names[a], names[b])] = float(G[k])
        return out

    # ------------------------------------------------------------------ training
    def _train(self, train, algorithm, data, index, w0, params, callback, options, all_pairs=False):
        """L-BFGS on the second-order objective; the pair states go on ``index.pairs``.

        ``all_pairs`` (``all_possible_transitions``) makes every label pair a
        state; otherwise the states are the pairs seen in ``data``.
        """
        space = PairSpace.from_labels(data.y, data.seq_ptr, self.n_labels, all_pairs=all_pairs)
        index.pairs = space
        params = dict(params)
        objective = SecondOrderObjective(
            data, index.feat_ptr, index.feat_label, space, c2=params.pop("c2", 1.0)
        )
        return train.lbfgs(objective, w0, callback=callback, **params, **options)

    def _install(self, index, w) -> None:
        space = index.pairs
        K = index.n_state_features
        active = np.concatenate([space.bigram_mask, space.trigram_mask])
        w[K:][active == 0] = 0.0
        self.set_parameters(index.feat_ptr, index.feat_label, w, space.pair_mask)

    def _replace_state_features(self, attributes, feat_ptr, feat_label, state_w):
        K = self.n_state_features
        w = np.concatenate([state_w, self.w[K:]])
        return SecondOrderCRF(
            self.labels, attributes, feat_ptr, feat_label, w, self.pair_mask.copy()
        )

    # ------------------------------------------------------------------ files
    def arrays(self) -> dict:
        out = super().arrays()
        out["pair_mask"] = self.pair_mask
        return out

    # ------------------------------------------------------------------ inference
    def _masks(self, constraints=None):
        if constraints is None:
            return self.space.open_masks()
        return self.space.state_masks(
            constraints.allowed_trans, constraints.allowed_start, constraints.allowed_end
        )

    def decode(
        self, data: AttributeSequences, constraints=None, threads: int | None = None, bias=None
    ) -> np.ndarray:
        """Best (allowed) labels of every item, int32[N]; ``-1`` throughout a sequence without a path.

        ``bias float64[L]`` is added to the emission scores of every position.
        """
        self._require_fitted()
        bias = _bias(bias, self.n_labels)
        data = self._check_data(data)
        out = np.empty(data.n_items, dtype=np.int32)
        if data.n_items:
            first, inner, last = self._masks(constraints)
            ew = self.space.edge_weights(self.w, self.n_state_features)
            with numba_threads(threads):
                decode_batch2(
                    data.seq_ptr,
                    data.item_ptr,
                    data.attr_ids,
                    data.attr_vals,
                    self.feat_ptr,
                    self.feat_label,
                    self.w,
                    self.n_labels,
                    self.space.pair_b,
                    self.space.edge_from,
                    self.space.edge_to,
                    ew,
                    first,
                    inner,
                    last,
                    bias,
                    out,
                )
        return out

    def decode_with(self, w, data, constraints=None, out=None) -> np.ndarray:
        """Labels of ``data`` under the weights ``w`` of the training in progress (see the base class)."""
        index = self.index
        space = None if index is None else index.pairs
        if index is None or space is None:
            raise ModelError("decode_with needs the feature index of a training in progress")
        w = np.ascontiguousarray(w, dtype=np.float64)
        if out is None:
            out = np.empty(data.n_items, dtype=np.int32)
        if data.n_items:
            if constraints is None:
                first, inner, last = space.open_masks()
            else:
                first, inner, last = space.state_masks(
                    constraints.allowed_trans, constraints.allowed_start, constraints.allowed_end
                )
            ew = space.edge_weights(w, index.n_state_features)
            decode_batch2(
                data.seq_ptr,
                data.item_ptr,
                data.attr_ids,
                data.attr_vals,
                index.feat_ptr,
                index.feat_label,
                w,
                self.n_labels,
                space.pair_b,
                space.edge_from,
                space.edge_to,
                ew,
                first,
                inner,
                last,
                np.zeros(self.n_labels),
                out,
            )
        return out

    def predict(self, data: AttributeSequences, threads: int | None = None) -> np.ndarray:
        """Viterbi labels of every item, int32[N] (label ids)."""
        return self.decode(data, None, threads)

    def _marginals_and_logz(self, data, threads):
        self._require_fitted()
        data = self._check_data(data)
        out = np.zeros((data.n_items, self.n_labels))
        logz = np.zeros(data.n_sequences)
        if data.n_items:
            first, inner, last = self._masks(None)
            ew = self.space.edge_weights(self.w, self.n_state_features)
            with numba_threads(threads):
                marginals_batch2(
                    data.seq_ptr,
                    data.item_ptr,
                    data.attr_ids,
                    data.attr_vals,
                    self.feat_ptr,
                    self.feat_label,
                    self.w,
                    self.n_labels,
                    self.space.pair_b,
                    self.space.edge_from,
                    self.space.edge_to,
                    ew,
                    first,
                    inner,
                    last,
                    out,
                    logz,
                )
        return out, logz

    def predict_marginals(self, data: AttributeSequences, threads: int | None = None) -> np.ndarray:
        """Posterior ``p(y_t = l | x)`` of every item, float64[N, L]."""
        return self._marginals_and_logz(data, threads)[0]

    def log_partition(self, data: AttributeSequences, threads: int | None = None) -> np.ndarray:
        """``log Z(x_s)`` of every sequence, float64[S] (0 for an empty sequence)."""
        return self._marginals_and_logz(data, threads)[1]

    def sequence_scores(self, data: AttributeSequences) -> np.ndarray:
        """Unnormalised score of the given labels of every sequence (``-inf`` if a pair is not a state)."""
        scores = super().sequence_scores(data)  # state features + bigrams
        L = self.n_labels
        y = data.y.astype(np.int64)
        G = self.trigram_weights.ravel()
        mask = self.pair_mask
        for s in range(data.n_sequences):
            i0, i1 = int(data.seq_ptr[s]), int(data.seq_ptr[s + 1])
            prev2, prev = L, None
            for t in range(i0, i1):
                if prev is None:
                    if not mask[L * L + y[t]]:
                        scores[s] = NEG_INF
                else:
                    if not mask[prev * L + y[t]]:
                        scores[s] = NEG_INF
                    scores[s] += G[(prev2 * L + prev) * L + y[t]]
                    prev2 = prev
                prev = y[t]
        return scores

    def lattice(self, E: np.ndarray, constraints, fixed=None):
        """The :class:`PairLattice` of one sentence's emissions ``E float64[T, L]``."""
        return PairLattice(self, E, constraints, fixed)


# --------------------------------------------------------------------------- lattices


def pair_constraints(space: PairSpace, constraints):
    """The label constraints (:class:`~crftagger.decode.constrained.Constraints`) recast over the pair states.

    A pair state reads as its current label (span type, boundaries); a
    transition between states is allowed when they chain (``(x, a) -> (a, b)``)
    and the label bigram ``(a, b)`` is allowed.
    """
    from crftagger.decode.constrained import Constraints

    L, S = space.n_labels, space.n_states
    b = space.pair_b
    first, inner, last = space.state_masks(
        constraints.allowed_trans, constraints.allowed_start, constraints.allowed_end
    )
    trans = np.zeros((S, S), dtype=np.uint8)
    trans[space.edge_from, space.edge_to] = inner[space.edge_to]
    names = tuple(
        ("<s>" if a == L else constraints.labels[a]) + ">" + constraints.labels[c]
        for a, c in zip(space.pair_a.tolist(), b.tolist(), strict=True)
    )
    return Constraints(
        labels=names,
        scheme=constraints.scheme,
        allowed_trans=np.ascontiguousarray(trans),
        allowed_start=first,
        allowed_end=last,
        span_type=tuple(constraints.span_type[j] for j in b.tolist()),
        boundary=np.ascontiguousarray(constraints.boundary[b[:, None], b[None, :]]),
        continues=np.ascontiguousarray(constraints.continues[b[:, None], b[None, :]]),
        span_labels=constraints.span_labels,
    )


class PairLattice:
    """The lattice of one sentence under a second-order model, with the API of
    :class:`crftagger.decode.constrained.Lattice` (paths and marginals over labels).

    Built on a first-order :class:`~crftagger.decode.constrained.Lattice` over the pair
    states (dense ``S x S`` transitions), whose paths map one-to-one to label
    paths.
    """

    def __init__(self, model: SecondOrderCRF, E: np.ndarray, constraints, fixed=None):
        from crftagger.decode.constrained import DecodingError, Lattice

        sp = model.space
        self.model, self.constraints, self.space = model, constraints, sp
        E = np.ascontiguousarray(E, dtype=np.float64)
        if E.ndim != 2 or E.shape[1] != sp.n_labels:
            raise DecodingError(f"lattice shapes disagree: E {E.shape}, {sp.n_labels} labels")
        cache = model._pair_cache
        if cache is None or cache[0] is not constraints:
            # the pair constraints and the state transitions, reused while the
            # same constraints object (a tagger's) keeps asking
            S = sp.n_states
            Tr = np.zeros((S, S))
            Tr[sp.edge_from, sp.edge_to] = sp.edge_weights(model.w, model.n_state_features)
            cache = model._pair_cache = (constraints, pair_constraints(sp, constraints), Tr)
        _, self.pc, Tr = cache
        pfixed = None
        if fixed:
            pfixed = {}
            for t, ids in fixed.items():
                want = np.zeros(sp.n_labels, dtype=bool)
                want[list(ids)] = True
                pfixed[t] = np.flatnonzero(want[sp.pair_b]).tolist()
        self.inner = Lattice(E[:, sp.pair_b], Tr, self.pc, pfixed)
        self.E = E
        self._fixed = fixed

    @property
    def T(self) -> int:
        return self.E.shape[0]

    def _labels(self, path):
        return self.space.pair_b[path].astype(np.int32)

    def best(self):
        from crftagger.decode.constrained import DecodingError

        try:
            path, score = self.inner.best()
        except DecodingError:
            raise DecodingError(self._no_path_message()) from None
        return self._labels(path), score

    def _no_path_message(self) -> str:
        c = self.constraints
        fixed = {t: [c.labels[j] for j in ids] for t, ids in (self._fixed or {}).items()}
        scheme = c.scheme or "no scheme"
        what = f"agrees with the forced labels {fixed}" if fixed else "exists for these labels"
        return f"no label sequence allowed by {scheme} and by the model's label pairs {what}"

    def kbest(self, k: int):
        from crftagger.decode.constrained import DecodingError

        try:
            found = self.inner.kbest(k)
        except DecodingError as exc:
            if "k must be" in str(exc):
                raise
            raise DecodingError(self._no_path_message()) from None
        return [(self._labels(p), s, pr) for p, s, pr in found]

    def forward_backward(self):
        return self.inner.forward_backward()

    def marginals(self) -> np.ndarray:
        m = self.inner.marginals()
        out = np.zeros((self.T, self.space.n_labels))
        if self.T:
            np.add.at(out.T, self.space.pair_b, m.T)
        return out

    def span_log_probability(self, type_: str, start: int, end: int) -> float:
        return self.inner.span_log_probability(type_, start, end)

    def span_probability(self, type_: str, start: int, end: int) -> float:
        return self.inner.span_probability(type_, start, end)


def _bias(bias, L: int) -> np.ndarray:
    if bias is None:
        return np.zeros(L)
    bias = np.ascontiguousarray(bias, dtype=np.float64)
    if bias.shape != (L,) or not np.all(np.isfinite(bias)):
        raise ModelError(f"bias: expected {L} finite numbers, found shape {bias.shape}")
    return bias


def model_class(order: int):
    """:class:`~crftagger.engine.model.LinearChainCRF` for ``order=1``, :class:`SecondOrderCRF` for 2."""
    from crftagger.engine import model

    return model.model_class(model.model_kind(order))


__all__ = [
    "PairSpace",
    "SecondOrderCRF",
    "SecondOrderObjective",
    "PairLattice",
    "model_class",
    "MAX_PAIR_STATES",
]
