"""Online margin trainers: passive-aggressive and AROW, as CRFsuite runs them.

Both visit the sequences one at a time (shuffled each epoch with a fixed
seed, like :func:`crftagger.engine.optimisers.averaged_perceptron`), decode
each with Viterbi under the current weights and, when the best path ``z``
differs from the reference ``y`` in ``d > 0`` positions, move the weights
along the feature difference ``delta = phi(y) - phi(z)`` (state features
weighted by the attribute values, transitions counted once per position;
features that do not exist are not updated). With ``sv`` the Viterbi score
and ``sc`` the score of ``y``:

``passive_aggressive(data, feat_ptr, feat_label, n_labels, pa_type=1, c=1.0,
error_sensitive=True, averaging=True, max_iterations=100, epsilon=0.0, ...)``
    ``cost = sv - sc + sqrt(d)`` (``error_sensitive``) or ``sv - sc + 1``;
    ``tau = cost / ||delta||^2`` (``pa_type`` 0), ``min(c, cost /
    ||delta||^2)`` (PA-I) or ``cost / (||delta||^2 + 1 / (2 c))`` (PA-II);
    ``w += tau delta``. With ``averaging`` the weights returned (and handed
    to the callback) are the average over all steps, ``w - ws / u`` where
    ``ws += tau u delta`` and the step counter ``u`` starts at 1 and grows by
    one per sequence (as the averaged perceptron). A mistake whose
    ``delta`` is zero (only possible when features are missing, e.g. after
    ``min_freq``) changes nothing (CRFsuite would divide by zero there).
``arow(data, feat_ptr, feat_label, n_labels, variance=1.0, gamma=1.0,
max_iterations=100, epsilon=0.0, ...)``
    Adaptive regularisation of weights with a diagonal covariance ``S``
    (``variance`` at the start): ``cost = sv - sc + d``, ``alpha = cost /
    (gamma + sum_k delta_k^2 S_k)``, ``w_k += alpha S_k delta_k`` and then
    ``S_k = 1 / (1 / S_k + delta_k^2 / gamma)``. The weights returned are
    the mean ``w`` (no averaging).

The loss of an epoch is the sum of the costs of its mistakes (CRFsuite's
``Loss``); training stops after ``max_iterations`` epochs, when ``loss / S
< epsilon`` (``S`` sequences) or when the callback asks, as CRFsuite does.
Both are deterministic, take a warm start ``w0`` and return a
:class:`~crftagger.engine.optimisers.TrainResult`; the callback protocol is
the one of :mod:`crftagger.engine.optimisers`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from crftagger.engine._jit import njit
from crftagger.engine.encoding import AttributeSequences
from crftagger.engine.kernels import emissions, sequence_score, transition_view, viterbi_into
from crftagger.engine.objective import feature_index
from crftagger.engine.optimisers import (
    IterationLog,
    TrainResult,
    _callback_runner,
    _nonneg_float,
    _positive_int,
    _prepare,
)
from crftagger.errors import TrainingError

PA_TYPES = (0, 1, 2)


@njit
def _add(k, v, dvec, actives, mark, n):
    """``dvec[k] += v``, recording ``k`` once in ``actives``; returns the new count."""
    if mark[k] == 0:
        mark[k] = 1
        actives[n] = k
        n += 1
    dvec[k] += v
    return n


@njit
def path_difference(
    i0,
    T,
    item_ptr,
    attr_ids,
    attr_vals,
    y,
    path,
    feat_ptr,
    feat_label,
    L,
    trans_mask,
    dvec,
    actives,
    mark,
):
    """``delta = phi(y) - phi(path)`` of the sequence at items ``i0 .. i0+T-1``, sparse.

    Only positions where the labels differ (and transition pairs where either
    label differs) contribute; the rest cancel. ``dvec float64[K + L*L]``
    (zero on entry) receives the difference, ``actives int64[K + L*L]`` the
    distinct indices touched, ``mark uint8[K + L*L]`` flags them. Returns the
    number of active indices; the caller resets ``dvec`` and ``mark`` there.
    """
    K = feat_label.shape[0]
    n = 0
    for t in range(T):
        gl = y[i0 + t]
        pl = path[t]
        if gl != pl:
            for p in range(item_ptr[i0 + t], item_ptr[i0 + t + 1]):
                a = attr_ids[p]
                if a < 0:
                    continue
                v = attr_vals[p]
                k = feature_index(feat_ptr, feat_label, a, gl)
                if k >= 0:
                    n = _add(k, v, dvec, actives, mark, n)
                k = feature_index(feat_ptr, feat_label, a, pl)
                if k >= 0:
                    n = _add(k, -v, dvec, actives, mark, n)
        if t > 0:
            gprev = y[i0 + t - 1]
            pprev = path[t - 1]
            if gprev != pprev or gl != pl:
                ij = gprev * L + gl
                if trans_mask[ij] != 0:
                    n = _add(K + ij, 1.0, dvec, actives, mark, n)
                ij = pprev * L + pl
                if trans_mask[ij] != 0:
                    n = _add(K + ij, -1.0, dvec, actives, mark, n)
    return n


@njit
def _decode(
    s, seq_ptr, item_ptr, attr_ids, attr_vals, y, feat_ptr, feat_label, w, Tr, E, lat, back, path
):
    """Viterbi on sequence ``s``; returns ``(i0, T, d, sv - sc)`` (``d`` wrong labels)."""
    i0 = seq_ptr[s]
    T = seq_ptr[s + 1] - i0
    if T == 0:
        return i0, T, 0, 0.0
    emissions(item_ptr, attr_ids, attr_vals, i0, i0 + T, feat_ptr, feat_label, w, E)
    sv = viterbi_into(E[:T], Tr, path, lat, back)
    d = 0
    for t in range(T):
        if path[t] != y[i0 + t]:
            d += 1
    margin = 0.0
    if d > 0:
        margin = sv - sequence_score(E[:T], Tr, y[i0 : i0 + T])
    return i0, T, d, margin


@njit
def pa_epoch(
    order,
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
    ws,
    u,
    pa_type,
    c,
    error_sensitive,
    E,
    lat,
    back,
    path,
    dvec,
    actives,
    mark,
):
    """One epoch of passive-aggressive training; returns ``(n_wrong, loss, u)``.

    For each sequence ``s`` in ``order`` with a mistake (see the module
    docstring for ``cost`` and ``tau``): ``w += tau delta`` and
    ``ws += tau u delta``; then ``u += 1`` for every sequence.

    Parameters
    ----------
    w, ws : float64[K + L*L]
        Weights and their step-weighted updates (modified in place).
    u : float
        Step counter.
    pa_type : int
        0 (PA), 1 (PA-I) or 2 (PA-II); ``c`` its aggressiveness.
    error_sensitive : bool
        Cost ``sqrt(d)`` rather than 1 on top of the margin.
    E, lat : float64[Tmax, L]; back : int32[Tmax, L]; path : int32[Tmax]
        Viterbi workspaces.
    dvec : float64[K + L*L] (zeros); actives : int64[K + L*L]; mark : uint8[K + L*L] (zeros)
        Workspaces of :func:`path_difference`, left as found.
    """
    K = feat_label.shape[0]
    Tr = transition_view(w, K, L)
    n_wrong = 0
    loss = 0.0
    for idx in range(order.shape[0]):
        i0, T, d, margin = _decode(
            order[idx],
            seq_ptr,
            item_ptr,
            attr_ids,
            attr_vals,
            y,
            feat_ptr,
            feat_label,
            w,
            Tr,
            E,
            lat,
            back,
            path,
        )
        if d > 0:
            cost = margin + (math.sqrt(d) if error_sensitive else 1.0)
            n = path_difference(
                i0,
                T,
                item_ptr,
                attr_ids,
                attr_vals,
                y,
                path,
                feat_ptr,
                feat_label,
                L,
                trans_mask,
                dvec,
                actives,
                mark,
            )
            norm2 = 0.0
            for j in range(n):
                norm2 += dvec[actives[j]] * dvec[actives[j]]
            if norm2 > 0.0:
                if pa_type == 1:
                    tau = min(c, cost / norm2)
                elif pa_type == 2:
                    tau = cost / (norm2 + 0.5 / c)
                else:
                    tau = cost / norm2
                tu = tau * u
                for j in range(n):
                    k = actives[j]
                    w[k] += tau * dvec[k]
                    ws[k] += tu * dvec[k]
            for j in range(n):
                k = actives[j]
                dvec[k] = 0.0
                mark[k] = 0
            n_wrong += d
            loss += cost
        u += 1.0
    return n_wrong, loss, u


@njit
def arow_epoch(
    order,
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
    cov,
    gamma,
    E,
    lat,
    back,
    path,
    dvec,
    actives,
    mark,
):
    """One epoch of AROW; returns ``(n_wrong, loss)``.

    For each sequence with a mistake: ``alpha = cost / (gamma + sum_k
    delta_k^2 cov_k)``, ``w_k += alpha cov_k delta_k``, then ``cov_k = 1 /
    (1 / cov_k + delta_k^2 / gamma)`` (``cost = sv - sc + d``). ``w`` (the
    mean) and ``cov`` (the diagonal covariance), both float64[K + L*L], are
    modified in place; workspaces as :func:`pa_epoch`.
    """
    K = feat_label.shape[0]
    Tr = transition_view(w, K, L)
    beta = 1.0 / gamma
    n_wrong = 0
    loss = 0.0
    for idx in range(order.shape[0]):
        i0, T, d, margin = _decode(
            order[idx],
            seq_ptr,
            item_ptr,
            attr_ids,
            attr_vals,
            y,
            feat_ptr,
            feat_label,
            w,
            Tr,
            E,
            lat,
            back,
            path,
        )
        if d == 0:
            continue
        cost = margin + d
        n = path_difference(
            i0,
            T,
            item_ptr,
            attr_ids,
            attr_vals,
            y,
            path,
            feat_ptr,
            feat_label,
            L,
            trans_mask,
            dvec,
            actives,
            mark,
        )
        frac = gamma
        for j in range(n):
            k = actives[j]
            frac += dvec[k] * dvec[k] * cov[k]
        alpha = cost / frac
        for j in range(n):
            k = actives[j]
            dk = dvec[k]
            w[k] += alpha * cov[k] * dk
            cov[k] = 1.0 / (1.0 / cov[k] + beta * dk * dk)
            dvec[k] = 0.0
            mark[k] = 0
        n_wrong += d
        loss += cost
    return n_wrong, loss


def _flag(name, value) -> bool:
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (int, np.integer)) and value in (0, 1)
    ):
        return bool(value)
    raise TrainingError(f"{name} must be a flag (True/False or 1/0), found {value!r}")


def _positive_float(name, value) -> float:
    v = _nonneg_float(name, value)
    if isinstance(value, bool) or v <= 0:
        raise TrainingError(f"{name} must be a finite number > 0, found {value!r}")
    return v


class _Run:
    """Workspaces, visiting order and the log loop shared by both trainers."""

    def __init__(self, data, L, D, seed, shuffle, epsilon):
        S = data.n_sequences
        self.epsilon = epsilon
        tmax = max(int(data.lengths().max()) if S else 1, 1)
        self.E = np.zeros((tmax, L))
        self.lat = np.zeros((tmax, L))
        self.back = np.zeros((tmax, L), dtype=np.int32)
        self.path = np.zeros(tmax, dtype=np.int32)
        self.dvec = np.zeros(D)
        self.actives = np.zeros(D, dtype=np.int64)
        self.mark = np.zeros(D, dtype=np.uint8)
        self.order = np.arange(S, dtype=np.int64)
        self.rng = np.random.default_rng(seed)
        self.shuffle = shuffle
        self.S = S
        self.N = max(data.n_items, 1)

    def next_order(self):
        if self.shuffle:
            self.rng.shuffle(self.order)
        return self.order

    def workspaces(self):
        return self.E, self.lat, self.back, self.path, self.dvec, self.actives, self.mark

    def record(self, log, epoch, loss, n_wrong, w, w_now, seconds, run_callback):
        """Log the epoch; returns the stopping status or None."""
        score, stop = run_callback(epoch, w, float(loss))
        log.append(
            IterationLog(
                iteration=epoch,
                loss=float(loss),
                active_features=int(np.count_nonzero(w)),
                seconds=seconds,
                n_evaluations=epoch,
                score=score,
                info=dict(
                    wrong_labels=int(n_wrong),
                    error_rate=n_wrong / self.N,
                    feature_norm=float(np.sqrt(w_now @ w_now)),
                ),
            )
        )
        if stop:
            return "callback"
        if loss / max(self.S, 1) < self.epsilon:
            return "converged"
        return None


def passive_aggressive(
    data: AttributeSequences,
    feat_ptr: np.ndarray,
    feat_label: np.ndarray,
    n_labels: int,
    *,
    trans_mask=None,
    pa_type: int = 1,
    c: float = 1.0,
    error_sensitive=True,
    averaging=True,
    max_iterations: int = 100,
    epsilon: float = 0.0,
    w0: np.ndarray | None = None,
    seed: int = 0,
    shuffle: bool = True,
    callback: Callable | None = None,
) -> TrainResult:
    """CRFsuite's passive-aggressive trainer ``pa`` (see the module docstring).

    Defaults are CRFsuite's: PA-I, ``c = 1``, error-sensitive cost,
    averaging on, 100 epochs, ``epsilon = 0`` (never stops early).
    """
    if isinstance(pa_type, bool) or not isinstance(pa_type, (int, np.integer)):
        raise TrainingError(f"pa_type must be 0, 1 or 2, found {pa_type!r}")
    if int(pa_type) not in PA_TYPES:
        raise TrainingError(f"pa_type must be 0 (PA), 1 (PA-I) or 2 (PA-II), found {pa_type!r}")
    pa_type = int(pa_type)
    c = _positive_float("c", c)
    error_sensitive = _flag("error_sensitive", error_sensitive)
    averaging = _flag("averaging", averaging)
    max_iterations = _positive_int("max_iterations", max_iterations)
    epsilon = _nonneg_float("epsilon", epsilon)
    mask, L, D, w = _prepare(data, feat_ptr, feat_label, n_labels, trans_mask, w0)
    run_callback = _callback_runner(callback)
    run = _Run(data, L, D, seed, shuffle, epsilon)
    ws = np.zeros(D)
    u = 1.0
    log: list[IterationLog] = []
    status = "max_iterations"
    out = w.copy()
    for epoch in range(1, max_iterations + 1):
        t_start = time.perf_counter()
        n_wrong, loss, u = pa_epoch(
            run.next_order(),
            data.seq_ptr,
            data.item_ptr,
            data.attr_ids,
            data.attr_vals,
            data.y,
            feat_ptr,
            feat_label,
            L,
            mask,
            w,
            ws,
            u,
            pa_type,
            c,
            error_sensitive,
            *run.workspaces(),
        )
        out = w - ws / u if averaging else w.copy()
        stopped = run.record(
            log, epoch, loss, n_wrong, out, w, time.perf_counter() - t_start, run_callback
        )
        if stopped:
            status = stopped
            break
    params = dict(
        pa_type=pa_type,
        c=c,
        error_sensitive=error_sensitive,
        averaging=averaging,
        max_iterations=max_iterations,
        epsilon=epsilon,
        seed=seed,
        shuffle=shuffle,
    )
    return TrainResult(out, log, status, "pa", len(log), params)


def arow(
    data: AttributeSequences,
    feat_ptr: np.ndarray,
    feat_label: np.ndarray,
    n_labels: int,
    *,
    trans_mask=None,
    variance: float = 1.0,
    gamma: float = 1.0,
    max_iterations: int = 100,
    epsilon: float = 0.0,
    w0: np.ndarray | None = None,
    seed: int = 0,
    shuffle: bool = True,
    callback: Callable | None = None,
) -> TrainResult:
    """CRFsuite's AROW trainer ``arow`` (see the module docstring).

    Defaults are CRFsuite's: ``variance = 1``, ``gamma = 1``, 100 epochs,
    ``epsilon = 0``. A warm start ``w0`` sets the mean; the covariance
    always starts at ``variance``.
    """
    variance = _positive_float("variance", variance)
    gamma = _positive_float("gamma", gamma)
    max_iterations = _positive_int("max_iterations", max_iterations)
    epsilon = _nonneg_float("epsilon", epsilon)
    mask, L, D, w = _prepare(data, feat_ptr, feat_label, n_labels, trans_mask, w0)
    run_callback = _callback_runner(callback)
    run = _Run(data, L, D, seed, shuffle, epsilon)
    cov = np.full(D, variance)
    log: list[IterationLog] = []
    status = "max_iterations"
    for epoch in range(1, max_iterations + 1):
        t_start = time.perf_counter()
        n_wrong, loss = arow_epoch(
            run.next_order(),
            data.seq_ptr,
            data.item_ptr,
            data.attr_ids,
            data.attr_vals,
            data.y,
            feat_ptr,
            feat_label,
            L,
            mask,
            w,
            cov,
            gamma,
            *run.workspaces(),
        )
        stopped = run.record(
            log, epoch, loss, n_wrong, w.copy(), w, time.perf_counter() - t_start, run_callback
        )
        if stopped:
            status = stopped
            break
    params = dict(
        variance=variance,
        gamma=gamma,
        max_iterations=max_iterations,
        epsilon=epsilon,
        seed=seed,
        shuffle=shuffle,
    )
    return TrainResult(w, log, status, "arow", len(log), params)
