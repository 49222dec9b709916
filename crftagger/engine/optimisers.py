"""Trainers: L-BFGS / OWL-QN, averaged perceptron and L2-regularised SGD.

Parameter names and stopping rules follow CRFsuite (and libLBFGS, which
CRFsuite uses for L-BFGS):

``lbfgs(objective, w0=None, c1=0, max_iterations=None, epsilon=1e-5, period=10,
delta=1e-5, num_memories=6, linesearch="MoreThuente", max_linesearch=20,
callback=None)``
    Minimises ``objective(w) -> (f, grad)`` (e.g. :class:`crftagger.engine.objective.Objective`,
    which already holds ``c2 * ||w||^2``) plus ``c1 * ||w||_1`` when ``c1 > 0``
    (OWL-QN: pseudo-gradient, orthant-constrained direction, backtracking line
    search with orthant projection, so the result holds true zeros).
    Stops when ``||g|| / max(1, ||w||) < epsilon`` (``g`` the pseudo-gradient
    under OWL-QN), when ``(f[k - period] - f[k]) / f[k] < delta`` in absolute
    value, after ``max_iterations`` iterations, when the line search fails
    (the previous iterate is kept, as libLBFGS does) or when the callback asks.
    Line searches: ``"MoreThuente"`` (More and Thuente's safeguarded cubic
    search for the strong Wolfe conditions, ``ftol = 1e-4``, ``gtol = 0.9``),
    ``"Backtracking"`` (Armijo + Wolfe) and ``"StrongBacktracking"`` (Armijo +
    strong Wolfe), as libLBFGS; OWL-QN always backtracks.
``averaged_perceptron(data, feat_ptr, feat_label, n_labels, ...)``
    Collins' structured perceptron with averaging (``w - u / c`` trick); epochs
    over the sequences shuffled with a fixed seed; Viterbi decoding. As in
    CRFsuite the loss of an epoch is ``sum_s d_s / T_s`` (``d_s`` wrongly
    predicted labels of sequence ``s``) and training stops after
    ``max_iterations`` epochs or when ``loss / S < epsilon``.
``sgd_l2(data, feat_ptr, feat_label, n_labels, c2=1.0, ...)``
    CRFsuite's l2sgd: per-sequence steps on ``-log p(y|x) + (c2 / N) ||w||^2``
    with ``eta_t = 1 / (lambda (t0 + t))``, ``lambda = 2 c2 / N``, lazy weight
    decay. ``t0 = 1 / (lambda * eta0)`` where ``eta0`` is calibrated on a sample
    of the data as CRFsuite does (see :func:`calibrate_eta`) unless given.
    The loss of an epoch is the sum of the per-sequence losses met during the
    epoch plus ``c2 ||w||^2`` at its end (CRFsuite's report); stops when
    ``(loss[k - period] - loss[k]) / loss[k] < delta`` (tested once ``k >
    period``), after ``max_iterations`` epochs or on a non-finite loss. As
    CRFsuite does, the weights of the epoch with the lowest loss are returned.

Every trainer is deterministic, accepts a warm-start vector ``w0`` and returns a
:class:`TrainResult`. The optional ``callback(iteration, w)`` is called after
each iteration with the current weights (the averaged ones for the perceptron);
a callback that takes a ``loss`` keyword (or ``**kwargs``) is called as
``callback(iteration, w, loss=loss)`` with the loss the log records for that
iteration, so it need not recompute it. It may return ``None``, a value (e.g.
a dev F1) that is stored in the log, or a pair ``(value, stop)``; a true
``stop`` ends training.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from crftagger.engine._jit import njit
from crftagger.engine.encoding import AttributeSequences
from crftagger.engine.kernels import emissions, transition_view, viterbi_into
from crftagger.engine.objective import (
    ObjectiveInputError,
    add_sequence_gradient,
    check_problem,
    check_weights,
    feature_index,
)
from crftagger.errors import TrainingError

LINESEARCHES = ("MoreThuente", "Backtracking", "StrongBacktracking")


@dataclass
class IterationLog:
    """One line of a training log."""

    iteration: int
    loss: float
    active_features: int
    seconds: float  #: time spent in this iteration
    n_evaluations: int  #: cumulative objective evaluations (epochs for perceptron / SGD)
    score: object = None  #: what the callback returned
    info: dict = field(default_factory=dict)


@dataclass
class TrainResult:
    """Final weights, training log and why training stopped."""

    w: np.ndarray
    log: list[IterationLog]
    status: str
    algorithm: str
    n_evaluations: int
    params: dict = field(default_factory=dict)

    @property
    def losses(self) -> np.ndarray:
        return np.array([e.loss for e in self.log])


def _positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise TrainingError(f"{name} must be a positive integer, found {value!r}")
    return int(value)


def _nonneg_float(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TrainingError(f"{name} must be a number, found {value!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise TrainingError(f"{name} must be a finite number >= 0, found {value!r}")
    return v


def _takes_loss(callback) -> bool:
    """Whether ``callback`` accepts a ``loss`` keyword (a ``loss`` parameter or ``**kwargs``)."""
    try:
        params = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):  # a callable without a readable signature
        return False
    return any(
        p.kind is p.VAR_KEYWORD
        or (p.name == "loss" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        for p in params
    )


def _callback_runner(callback):
    """``run(iteration, w, loss) -> (score, stop)`` around a user callback (or None).

    The callback is called as ``callback(iteration, w, loss=loss)`` when it
    takes a ``loss`` keyword, else as ``callback(iteration, w)``.
    """
    if callback is None:
        return lambda iteration, w, loss: (None, False)
    takes_loss = _takes_loss(callback)

    def run(iteration, w, loss):
        out = callback(iteration, w, loss=loss) if takes_loss else callback(iteration, w)
        if isinstance(out, tuple) and len(out) == 2:
            return out[0], bool(out[1])
        return out, False

    return run


# --------------------------------------------------------------------------- L-BFGS / OWL-QN


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """One safeguarded step of the More-Thuente line search (interval update).

    ``(stx, fx, dx)`` is the best step so far, ``(sty, fy, dy)`` the other end
    of the interval, ``(stp, fp, dp)`` the current trial. Returns the updated
    interval, the next trial step and whether a minimiser is bracketed.
    """
    sgnd = dp * math.copysign(1.0, dx)
    if fp > fx:
        # higher function value: the minimum is bracketed; cubic or quadratic step
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * math.sqrt(max(0.0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        stpc = stx + (p / q) * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) < abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:
        # lower value, derivatives of opposite signs: bracketed
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * math.sqrt(max(0.0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        stpc = stp + (p / q) * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):
        # lower value, same sign, derivative magnitude decreases
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * math.sqrt(max(0.0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0.0 and gamma != 0.0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:
            stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
            if stp > stx:
                stpf = min(stp + 0.66 * (sty - stp), stpf)
            else:
                stpf = max(stp + 0.66 * (sty - stp), stpf)
        else:
            stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
            stpf = max(stpmin, min(stpmax, stpf))
    else:
        # lower value, same sign, derivative magnitude does not decrease
        if brackt:
            theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
            s = max(abs(theta), abs(dy), abs(dp))
            gamma = s * math.sqrt(max(0.0, (theta / s) ** 2 - (dy / s) * (dp / s)))
            if stp > sty:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy
            stpf = stp + (p / q) * (sty - stp)
        elif stp > stx:
            stpf = stpmax
        else:
            stpf = stpmin
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0.0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt


def more_thuente(
    phi, f0, g0, stp, max_linesearch=20, ftol=1e-4, gtol=0.9, xtol=1e-16, stpmin=1e-20, stpmax=1e20
):
    """More-Thuente line search for the strong Wolfe conditions.

    ``phi(stp) -> (f, dg)`` evaluates the objective and its directional
    derivative at step ``stp``; ``f0, g0`` are those at 0 (``g0 < 0``). Returns
    ``(ok, stp, n_trials)``; on success the last call of ``phi`` was at ``stp``
    and satisfies ``f <= f0 + ftol stp g0`` and ``|dg| <= gtol |g0|``.
    """
    if not g0 < 0.0:
        return False, stp, 0
    brackt = False
    stage1 = True
    gtest = ftol * g0
    width = stpmax - stpmin
    width1 = 2.0 * width
    stx, fx, gx = 0.0, f0, g0
    sty, fy, gy = 0.0, f0, g0
    stmin, stmax = 0.0, stp + 4.0 * stp
    for trial in range(1, max_linesearch + 1):
        f, dg = phi(stp)
        ftest = f0 + stp * gtest
        if stage1 and f <= ftest and dg >= 0.0:
            stage1 = False
        if f <= ftest and abs(dg) <= gtol * (-g0):
            return True, stp, trial
        if not math.isfinite(f) or not math.isfinite(dg):
            # overflow at this step: retry halfway towards the best point so far
            stp = stx + 0.5 * (stp - stx)
            continue
        if brackt and (stp <= stmin or stp >= stmax):
            return False, stp, trial  # rounding errors prevent progress
        if brackt and stmax - stmin <= xtol * stmax:
            return False, stp, trial  # interval of uncertainty too small
        if stp == stpmax and f <= ftest and dg <= gtest:
            return False, stp, trial
        if stp == stpmin and (f > ftest or dg >= gtest):
            return False, stp, trial
        if stage1 and f <= fx and f > ftest:
            # modified function psi(stp) = f(stp) - f0 - stp * gtest
            fm, fxm, fym = f - stp * gtest, fx - stx * gtest, fy - sty * gtest
            gm, gxm, gym = dg - gtest, gx - gtest, gy - gtest
            stx, fxm, gxm, sty, fym, gym, stp_new, brackt = _dcstep(
                stx, fxm, gxm, sty, fym, gym, stp, fm, gm, brackt, stmin, stmax
            )
            fx, fy = fxm + stx * gtest, fym + sty * gtest
            gx, gy = gxm + gtest, gym + gtest
        else:
            stx, fx, gx, sty, fy, gy, stp_new, brackt = _dcstep(
                stx, fx, gx, sty, fy, gy, stp, f, dg, brackt, stmin, stmax
            )
        if brackt:
            if abs(sty - stx) >= 0.66 * width1:
                stp_new = stx + 0.5 * (sty - stx)
            width1 = width
            width = abs(sty - stx)
            stmin, stmax = min(stx, sty), max(stx, sty)
        else:
            stmin = stp_new + 1.1 * (stp_new - stx)
            stmax = stp_new + 4.0 * (stp_new - stx)
        stp = max(stpmin, min(stpmax, stp_new))
        if (brackt and (stp <= stmin or stp >= stmax)) or (
            brackt and stmax - stmin <= xtol * stmax
        ):
            stp = stx
    return False, stp, max_linesearch


def backtracking(
    phi,
    f0,
    g0,
    stp,
    max_linesearch=20,
    ftol=1e-4,
    wolfe=0.9,
    strong=False,
    stpmin=1e-20,
    stpmax=1e20,
):
    """Backtracking line search (libLBFGS): Armijo, then the (strong) Wolfe condition.

    The step is halved while ``f > f0 + ftol stp g0`` (or the strong Wolfe
    condition fails with ``dg > 0``) and multiplied by 2.1 while the slope is
    too negative. Returns ``(ok, stp, n_trials)``.
    """
    if not g0 < 0.0:
        return False, stp, 0
    for trial in range(1, max_linesearch + 1):
        f, dg = phi(stp)
        if not (f <= f0 + stp * ftol * g0):
            width = 0.5
        elif dg < wolfe * g0:
            width = 2.1
        elif strong and dg > -wolfe * g0:
            width = 0.5
        else:
            return True, stp, trial
        if stp < stpmin or stp > stpmax:
            return False, stp, trial
        stp *= width
    return False, stp, max_linesearch


@njit
def pseudo_gradient(w, g, c1):
    """OWL-QN pseudo-gradient of ``f(w) + c1 ||w||_1``.

    ``g_i + c1 sign(w_i)`` where ``w_i != 0``; at ``w_i = 0`` the one-sided
    derivative that points downhill (``g_i + c1`` if negative, ``g_i - c1``
    if positive), else 0. ``w, g float64[D]``; returns a new ``float64[D]``.
    """
    pg = np.empty_like(g)
    for k in range(w.shape[0]):
        if w[k] > 0.0:
            pg[k] = g[k] + c1
        elif w[k] < 0.0:
            pg[k] = g[k] - c1
        elif g[k] + c1 < 0.0:
            pg[k] = g[k] + c1
        elif g[k] - c1 > 0.0:
            pg[k] = g[k] - c1
        else:
            pg[k] = 0.0
    return pg


@njit
def orthant_step(xp, step, d, pg):
    """OWL-QN trial point: ``x = xp + step d`` projected on the orthant of ``xp``.

    The orthant sign of coordinate ``k`` is ``sign(xp[k])``, or
    ``sign(-pg[k])`` where ``xp[k] = 0``; a coordinate whose sign leaves its
    orthant becomes exactly 0. Returns ``(x, ||x||_1)``.
    """
    x = np.empty_like(xp)
    l1 = 0.0
    for k in range(xp.shape[0]):
        v = xp[k] + step * d[k]
        if xp[k] != 0.0:
            o = xp[k]
        else:
            o = -pg[k]
        if (o > 0.0 and v <= 0.0) or (o < 0.0 and v >= 0.0) or o == 0.0:
            v = 0.0
        x[k] = v
        l1 += abs(v)
    return x, l1


@njit
def l1_norm(x):
    """``sum_k |x[k]|``."""
    acc = 0.0
    for k in range(x.shape[0]):
        acc += abs(x[k])
    return acc


@njit
def vdot(a, b):
    """``sum_k a[k] * b[k]`` in index order (deterministic, no BLAS threads)."""
    acc = 0.0
    for k in range(a.shape[0]):
        acc += a[k] * b[k]
    return acc


@njit
def vnorm(a):
    """Euclidean norm ``sqrt(sum_k a[k]^2)``."""
    return math.sqrt(vdot(a, a))


@njit
def axpy(x, step, d):
    """New vector ``x + step * d``."""
    out = np.empty_like(x)
    for k in range(x.shape[0]):
        out[k] = x[k] + step * d[k]
    return out


@njit
def two_loop(pg, mem_s, mem_y, mem_rho, order, d):
    """L-BFGS direction ``d = -H pg`` (two-loop recursion, no temporaries).

    ``H`` is the inverse-Hessian approximation built from the pairs
    ``(mem_s[i], mem_y[i])`` with ``mem_rho[i] = 1 / (y_i . s_i)``, taken in
    the order ``order`` (oldest first), starting from ``gamma I`` with
    ``gamma = s.y / y.y`` of the newest pair.

    Parameters
    ----------
    pg : float64[D]
    mem_s, mem_y : float64[m, D]
    mem_rho : float64[m]
    order : int64[n]
        Slots in use, oldest first (``n <= m``).
    d : float64[D]
        Output.
    """
    D = pg.shape[0]
    n = order.shape[0]
    alphas = np.empty(n)
    for k in range(D):
        d[k] = pg[k]
    for r in range(n - 1, -1, -1):
        i = order[r]
        a = 0.0
        for k in range(D):
            a += mem_s[i, k] * d[k]
        a *= mem_rho[i]
        alphas[r] = a
        for k in range(D):
            d[k] -= a * mem_y[i, k]
    if n > 0:
        i = order[n - 1]
        yy = 0.0
        for k in range(D):
            yy += mem_y[i, k] * mem_y[i, k]
        gamma = 1.0 / (mem_rho[i] * yy)
        for k in range(D):
            d[k] *= gamma
    for r in range(n):
        i = order[r]
        b = 0.0
        for k in range(D):
            b += mem_y[i, k] * d[k]
        b = alphas[r] - mem_rho[i] * b
        for k in range(D):
            d[k] += b * mem_s[i, k]
    for k in range(D):
        d[k] = -d[k]


def lbfgs(
    objective: Callable,
    w0: np.ndarray | None = None,
    *,
    c1: float = 0.0,
    max_iterations: int | None = None,
    epsilon: float = 1e-5,
    period: int = 10,
    delta: float = 1e-5,
    num_memories: int = 6,
    linesearch: str = "MoreThuente",
    max_linesearch: int = 20,
    callback: Callable | None = None,
) -> TrainResult:
    """L-BFGS, or OWL-QN when ``c1 > 0`` (see the module docstring).

    Parameters
    ----------
    objective : callable
        ``objective(w) -> (f, grad)``; needs an ``n_params`` attribute when
        ``w0`` is None. A ``trans_mask`` and ``n_features`` attribute (as on
        :class:`~crftagger.engine.objective.Objective`) make the inactive transition
        weights of ``w0`` start at exactly 0.
    w0 : float64[D], optional
        Warm start (default zeros).
    """
    c1 = _nonneg_float("c1", c1)
    epsilon = _nonneg_float("epsilon", epsilon)
    delta = _nonneg_float("delta", delta)
    period = _positive_int("period", period)
    num_memories = _positive_int("num_memories", num_memories)
    max_linesearch = _positive_int("max_linesearch", max_linesearch)
    max_iterations = _positive_int("max_iterations", max_iterations, allow_none=True)
    if linesearch not in LINESEARCHES:
        raise TrainingError(f"linesearch must be one of {LINESEARCHES}, found {linesearch!r}")
    run_callback = _callback_runner(callback)
    if w0 is None:
        if not hasattr(objective, "n_params"):
            raise TrainingError("give w0 or an objective with an n_params attribute")
        x = np.zeros(int(objective.n_params))
    else:
        x = check_weights(w0, len(np.asarray(w0)), "w0").copy()
        if hasattr(objective, "n_params") and len(x) != objective.n_params:
            raise TrainingError(
                f"w0 has {len(x)} entries, the objective expects {objective.n_params}"
            )
    mask = getattr(objective, "trans_mask", None)
    if mask is not None and hasattr(objective, "n_features"):
        x[objective.n_features :][np.asarray(mask) == 0] = 0.0

    start_eval = getattr(objective, "n_evaluations", None)
    n_eval = 0

    def evaluate(w):
        nonlocal n_eval
        n_eval += 1
        f, g = objective(w)
        return float(f), np.array(g, dtype=np.float64)  # own copy: callers may reuse buffers

    params = dict(
        c1=c1,
        max_iterations=max_iterations,
        epsilon=epsilon,
        period=period,
        delta=delta,
        num_memories=num_memories,
        linesearch=linesearch,
        max_linesearch=max_linesearch,
    )
    log: list[IterationLog] = []
    f, g = evaluate(x)
    F = f + c1 * l1_norm(x) if c1 > 0 else f
    pg = pseudo_gradient(x, g, c1) if c1 > 0 else g
    history = [F]
    if vnorm(pg) / max(1.0, vnorm(x)) <= epsilon:
        return TrainResult(x, log, "converged", "lbfgs", n_eval, params)
    d = -pg
    step = 1.0 / vnorm(d)
    mem_s = np.zeros((num_memories, len(x)))
    mem_y = np.zeros((num_memories, len(x)))
    mem_rho = np.zeros(num_memories)
    slots: list[int] = []  # memory slots in use, oldest first
    status = "max_iterations"
    k = 0
    while True:
        k += 1
        t_start = time.perf_counter()
        xp, gp, Fp, pgp = x, g, F, pg
        trial = {}

        if c1 > 0:
            ok = False
            n_trials = 0
            for n_trials in range(1, max_linesearch + 1):  # noqa: B007
                xn, l1 = orthant_step(xp, step, d, pgp)
                fn, gn = evaluate(xn)
                Fn = fn + c1 * l1
                if Fn <= Fp + 1e-4 * (vdot(xn, pgp) - vdot(xp, pgp)):
                    ok = True
                    break
                if step < 1e-20:
                    break
                step *= 0.5
            if ok:
                x, f, g, F = xn, fn, gn, Fn
        else:

            def phi(stp, xp=xp, d=d, trial=trial):
                xn = axpy(xp, stp, d)
                fn, gn = evaluate(xn)
                trial["x"], trial["f"], trial["g"] = xn, fn, gn
                return fn, vdot(gn, d)

            g0 = vdot(gp, d)
            if linesearch == "MoreThuente":
                ok, step, n_trials = more_thuente(phi, Fp, g0, step, max_linesearch)
            else:
                ok, step, n_trials = backtracking(
                    phi, Fp, g0, step, max_linesearch, strong=linesearch == "StrongBacktracking"
                )
            if ok:
                x, f, g = trial["x"], trial["f"], trial["g"]
                F = f
        if not ok:
            x, g, F = xp, gp, Fp
            status = "linesearch_failed"
            break
        pg = pseudo_gradient(x, g, c1) if c1 > 0 else g
        xnorm = vnorm(x)
        gnorm = vnorm(pg)
        score, stop = run_callback(k, x, F)
        log.append(
            IterationLog(
                iteration=k,
                loss=F,
                active_features=int(np.count_nonzero(x)),
                seconds=time.perf_counter() - t_start,
                n_evaluations=n_eval,
                score=score,
                info=dict(step=step, linesearch_trials=n_trials, gnorm=gnorm, xnorm=xnorm),
            )
        )
        history.append(F)
        if stop:
            status = "callback"
            break
        if gnorm / max(1.0, xnorm) <= epsilon:
            status = "converged"
            break
        if k >= period and F != 0.0 and abs((history[k - period] - F) / F) < delta:
            status = "delta"
            break
        if max_iterations is not None and k >= max_iterations:
            status = "max_iterations"
            break
        # the newest pair goes to a free slot, else replaces the oldest; a pair
        # without positive curvature (y.s <= 0) is not kept
        free = [i for i in range(num_memories) if i not in slots]
        slot = free[0] if free else slots.pop(0)
        np.subtract(x, xp, out=mem_s[slot])
        np.subtract(g, gp, out=mem_y[slot])
        ys = vdot(mem_y[slot], mem_s[slot])
        if ys > 0.0:
            mem_rho[slot] = 1.0 / ys
            slots.append(slot)
        d = np.empty_like(x)
        two_loop(pg, mem_s, mem_y, mem_rho, np.array(slots, dtype=np.int64), d)
        if c1 > 0:
            d[d * pg >= 0] = 0.0
        if not vdot(d, pg) < 0.0:
            d = -pg  # safeguard: restart from steepest descent
            slots.clear()
            step = 1.0 / max(vnorm(d), 1e-300)
        else:
            step = 1.0
    if start_eval is not None:
        params["objective_evaluations_before"] = start_eval
    return TrainResult(x, log, status, "lbfgs" if c1 == 0 else "owlqn", n_eval, params)


# --------------------------------------------------------------------------- perceptron


@njit
def perceptron_epoch(
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
    u,
    c,
    E,
    delta,
    back,
    path,
):
    """One epoch of the averaged structured perceptron; returns ``(n_wrong, loss, c)``.

    For each sequence ``s`` in ``order``: ``z = viterbi(w)``; if ``z != y_s``,
    ``w += phi(y_s) - phi(z)`` and ``u += c (phi(y_s) - phi(z))``; then
    ``c += 1``. The averaged weights are ``w - u / c``. Only positions (and
    transition pairs) where ``z`` and ``y_s`` differ contribute; missing
    (attribute, label) features and inactive transitions are not updated.

    Parameters
    ----------
    order : int64[S']
        Sequences in visiting order.
    w, u : float64[K + L*L]
        Weights and their counter-weighted updates (modified in place).
    c : float
        Update counter.
    E, delta : float64[Tmax, L]; back : int32[Tmax, L]; path : int32[Tmax]
        Workspaces.

    Returns
    -------
    (int, float, float)
        Number of wrongly labelled items, ``sum_s d_s / T_s`` (``d_s`` wrong
        labels of sequence ``s``), updated counter.
    """
    K = feat_label.shape[0]
    Tr = transition_view(w, K, L)
    n_wrong = 0
    loss = 0.0
    for idx in range(order.shape[0]):
        s = order[idx]
        i0 = seq_ptr[s]
        i1 = seq_ptr[s + 1]
        T = i1 - i0
        if T == 0:
            c += 1.0
            continue
        emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
        viterbi_into(E[:T], Tr, path, delta, back)
        wrong = 0
        for t in range(T):
            if path[t] != y[i0 + t]:
                wrong += 1
        if wrong > 0:
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
                            w[k] += v
                            u[k] += c * v
                        k = feature_index(feat_ptr, feat_label, a, pl)
                        if k >= 0:
                            w[k] -= v
                            u[k] -= c * v
                if t > 0:
                    gprev = y[i0 + t - 1]
                    pprev = path[t - 1]
                    if gprev != pprev or gl != pl:
                        ij = gprev * L + gl
                        if trans_mask[ij] != 0:
                            w[K + ij] += 1.0
                            u[K + ij] += c
                        ij = pprev * L + pl
                        if trans_mask[ij] != 0:
                            w[K + ij] -= 1.0
                            u[K + ij] -= c
        n_wrong += wrong
        loss += wrong / T
        c += 1.0
    return n_wrong, loss, c


def _prepare(data, feat_ptr, feat_label, n_labels, trans_mask, w0):
    mask = check_problem(data, feat_ptr, feat_label, n_labels, trans_mask)
    L = int(n_labels)
    D = len(feat_label) + L * L
    w = np.zeros(D) if w0 is None else check_weights(w0, D, "w0").copy()
    w[len(feat_label) :][mask == 0] = 0.0
    return mask, L, D, w


def averaged_perceptron(
    data: AttributeSequences,
    feat_ptr: np.ndarray,
    feat_label: np.ndarray,
    n_labels: int,
    *,
    trans_mask=None,
    max_iterations: int = 100,
    epsilon: float = 0.0,
    w0: np.ndarray | None = None,
    seed: int = 0,
    shuffle: bool = True,
    callback: Callable | None = None,
) -> TrainResult:
    """Averaged structured perceptron (see the module docstring); returns averaged weights."""
    mask, L, D, w = _prepare(data, feat_ptr, feat_label, n_labels, trans_mask, w0)
    max_iterations = _positive_int("max_iterations", max_iterations)
    epsilon = _nonneg_float("epsilon", epsilon)
    run_callback = _callback_runner(callback)
    S = data.n_sequences
    N = max(data.n_items, 1)
    tmax = max(int(data.lengths().max()) if S else 1, 1)
    E = np.zeros((tmax, L))
    delta = np.zeros((tmax, L))
    back = np.zeros((tmax, L), dtype=np.int32)
    path = np.zeros(tmax, dtype=np.int32)
    u = np.zeros(D)
    c = 1.0
    rng = np.random.default_rng(seed)
    order = np.arange(S, dtype=np.int64)
    log: list[IterationLog] = []
    status = "max_iterations"
    avg = w.copy()
    for epoch in range(1, max_iterations + 1):
        t_start = time.perf_counter()
        if shuffle:
            rng.shuffle(order)
        n_wrong, loss, c = perceptron_epoch(
            order,
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
            u,
            c,
            E,
            delta,
            back,
            path,
        )
        avg = w - u / c
        score, stop = run_callback(epoch, avg, float(loss))
        log.append(
            IterationLog(
                iteration=epoch,
                loss=float(loss),
                active_features=int(np.count_nonzero(avg)),
                seconds=time.perf_counter() - t_start,
                n_evaluations=epoch,
                score=score,
                info=dict(wrong_labels=int(n_wrong), error_rate=n_wrong / N),
            )
        )
        if stop:
            status = "callback"
            break
        if loss / max(S, 1) < epsilon:
            status = "converged"
            break
    params = dict(max_iterations=max_iterations, epsilon=epsilon, seed=seed, shuffle=shuffle)
    return TrainResult(avg, log, status, "ap", len(log), params)


# --------------------------------------------------------------------------- SGD


@njit
def sgd_epoch(
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
    lam,
    t0,
    t,
    work,
    work_t,
    work_ll,
):
    """One epoch of L2-regularised SGD with lazy decay; returns ``(loss, t)``.

    For each sequence ``s`` in ``order``::

        eta    = 1 / (lam * (t0 + t))
        decay *= 1 - eta * lam           (true weights = decay * w)
        w     += (eta / decay) * (phi(y_s) - E[phi])   (scores use decay * w)
        t     += 1

    ``w`` is rescaled by ``decay`` whenever ``decay < 1e-9`` and at the end,
    so on return the true weights are ``w``. ``loss`` sums the per-sequence
    ``log Z - score(y_s)`` met during the epoch. Workspaces as
    :func:`crftagger.engine.objective.add_sequence_gradient`.
    """
    decay = 1.0
    loss = 0.0
    D = w.shape[0]
    for idx in range(order.shape[0]):
        eta = 1.0 / (lam * (t0 + t))
        decay *= 1.0 - eta * lam
        gain = eta / decay
        loss += add_sequence_gradient(
            order[idx],
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
            decay,
            -gain,
            w,
            work,
            work_t,
            work_ll,
        )
        t += 1.0
        if decay < 1e-9:
            for k in range(D):
                w[k] *= decay
            decay = 1.0
    for k in range(D):
        w[k] *= decay
    return loss, t


def _sgd_workspaces(data, L):
    tmax = max(int(data.lengths().max()) if data.n_sequences else 1, 1)
    return np.zeros((4, tmax, L)), np.zeros(tmax), np.zeros((4, L, L))


def calibrate_eta(
    data,
    feat_ptr,
    feat_label,
    L,
    mask,
    w0,
    c2,
    order,
    eta=0.1,
    rate=2.0,
    samples=1000,
    candidates=10,
    max_trials=20,
):
    """Choose the initial learning rate of :func:`sgd_l2` as CRFsuite's calibration does.

    On the first ``samples`` sequences of ``order``, starting from ``w0``,
    one SGD epoch is run for each candidate rate: ``eta``, then multiplied by
    ``rate`` while the sample loss stays below the initial one (at most
    ``candidates`` successes), then ``eta / rate`` divided by ``rate`` again
    until ``candidates`` more successes; at most ``max_trials - 1`` trials in
    all, as CRFsuite counts them. Returns the rate with the lowest finite
    sample loss (``eta`` if every trial diverged).
    """
    N = data.n_sequences
    sample = np.ascontiguousarray(order[: min(samples, N)])
    n = len(sample)
    lam = 2.0 * c2 / N
    ws = _sgd_workspaces(data, L)
    # initial loss of the sample at w0 (a zero step: gain 0)
    tmp = w0.copy()
    init = 0.0
    for s in sample:
        init += add_sequence_gradient(
            int(s),
            data.seq_ptr,
            data.item_ptr,
            data.attr_ids,
            data.attr_vals,
            data.y,
            feat_ptr,
            feat_label,
            L,
            mask,
            tmp,
            1.0,
            0.0,
            tmp,
            *ws,
        )
    init += c2 * n / N * vdot(w0, w0)
    best_eta, best_loss = eta, math.inf
    decreasing = False
    left = candidates
    cur = eta
    trials = 1
    while left > 0 or not decreasing:
        w = w0.copy()
        loss, _t = sgd_epoch(
            sample,
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
            lam,
            max(1.0 / (lam * cur), 2.0),
            0.0,
            *ws,
        )
        loss += c2 * n / N * vdot(w, w)
        ok = math.isfinite(loss) and loss < init
        if ok:
            left -= 1
        if math.isfinite(loss) and loss < best_loss:
            best_loss, best_eta = loss, cur
        if not decreasing:
            if ok and left > 0:
                cur *= rate
            else:
                decreasing = True
                left = candidates
                cur = eta / rate
        else:
            cur /= rate
        trials += 1
        if trials >= max_trials:
            break
    return best_eta


def sgd_l2(
    data: AttributeSequences,
    feat_ptr: np.ndarray,
    feat_label: np.ndarray,
    n_labels: int,
    *,
    c2: float = 1.0,
    trans_mask=None,
    max_iterations: int = 1000,
    period: int = 10,
    delta: float = 1e-6,
    eta0: float | None = None,
    calibration_eta: float = 0.1,
    calibration_rate: float = 2.0,
    calibration_samples: int = 1000,
    calibration_candidates: int = 10,
    calibration_max_trials: int = 20,
    w0: np.ndarray | None = None,
    seed: int = 0,
    callback: Callable | None = None,
) -> TrainResult:
    """L2-regularised SGD with CRFsuite's l2sgd schedule (see the module docstring).

    ``eta0`` fixes the initial learning rate (``t0 = 1 / (lambda eta0)``);
    when None it is chosen by :func:`calibrate_eta`. ``t0`` is kept >= 2 so
    that the decay factor ``1 - eta lambda`` stays positive.
    """
    mask, L, D, w = _prepare(data, feat_ptr, feat_label, n_labels, trans_mask, w0)
    c2 = _nonneg_float("c2", c2)
    if c2 <= 0:
        raise TrainingError(
            f"sgd_l2 needs c2 > 0 (its learning rate is 1 / (lambda (t0 + t)), lambda = 2 c2 / N), found {c2}"
        )
    max_iterations = _positive_int("max_iterations", max_iterations)
    period = _positive_int("period", period)
    delta = _nonneg_float("delta", delta)
    run_callback = _callback_runner(callback)
    S = data.n_sequences
    if S == 0:
        raise ObjectiveInputError("sgd_l2 needs at least one training sequence")
    lam = 2.0 * c2 / S
    rng = np.random.default_rng(seed)
    order = np.arange(S, dtype=np.int64)
    rng.shuffle(order)
    if eta0 is None:
        eta0 = calibrate_eta(
            data,
            feat_ptr,
            feat_label,
            L,
            mask,
            w,
            c2,
            order,
            calibration_eta,
            calibration_rate,
            calibration_samples,
            calibration_candidates,
            calibration_max_trials,
        )
    else:
        eta0 = _nonneg_float("eta0", eta0)
        if eta0 <= 0:
            raise TrainingError(f"eta0 must be > 0, found {eta0}")
    t0 = max(1.0 / (lam * eta0), 2.0)
    ws = _sgd_workspaces(data, L)
    t = 0.0
    log: list[IterationLog] = []
    status = "max_iterations"
    losses = []
    best_w, best_loss, best_epoch = w.copy(), math.inf, 0
    for epoch in range(1, max_iterations + 1):
        t_start = time.perf_counter()
        rng.shuffle(order)
        loss, t = sgd_epoch(
            order,
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
            lam,
            t0,
            t,
            *ws,
        )
        loss += c2 * vdot(w, w)
        losses.append(loss)
        if loss < best_loss:
            best_w[:] = w
            best_loss, best_epoch = loss, epoch
        score, stop = run_callback(epoch, w.copy(), loss)
        log.append(
            IterationLog(
                iteration=epoch,
                loss=loss,
                active_features=int(np.count_nonzero(w)),
                seconds=time.perf_counter() - t_start,
                n_evaluations=epoch,
                score=score,
                info=dict(eta=1.0 / (lam * (t0 + t))),
            )
        )
        if stop:
            status = "callback"
            break
        if not math.isfinite(loss):
            status = "diverged"
            break
        if epoch > period and (losses[epoch - 1 - period] - loss) / loss < delta:
            status = "delta"
            break
    params = dict(
        c2=c2,
        max_iterations=max_iterations,
        period=period,
        delta=delta,
        eta0=eta0,
        t0=t0,
        seed=seed,
        best_epoch=best_epoch,
    )
    return TrainResult(best_w, log, status, "l2sgd", len(log), params)
