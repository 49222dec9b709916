import math

import numpy as np
import oracle
import pytest

from crftagger.engine import optimisers
from crftagger.engine.encoding import AttributeSequences
from crftagger.engine.kernels import predict_batch
from crftagger.engine.objective import Objective


def crf_problem(seed=0, S=60, L=3, A=15, inactive=2):
    rng = np.random.default_rng(seed)
    seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, y = oracle.random_corpus(
        rng, S, L, A, max_len=6
    )
    data = AttributeSequences(seq_ptr, item_ptr, attr_ids, attr_vals, y)
    mask = np.ones(L * L, dtype=np.uint8)
    mask[rng.choice(L * L, size=inactive, replace=False)] = 0
    return data, feat_ptr, feat_label, L, mask


class Quadratic:
    """f(x) = 0.5 x'Ax - b'x with a known minimiser A^-1 b."""

    def __init__(self, n=12, seed=0):
        rng = np.random.default_rng(seed)
        M = rng.normal(size=(n, n))
        self.A = M @ M.T + 0.5 * np.eye(n)
        self.b = rng.normal(size=n)
        self.n_params = n
        self.n_evaluations = 0

    def __call__(self, x):
        self.n_evaluations += 1
        return 0.5 * x @ self.A @ x - self.b @ x, self.A @ x - self.b


class Separable:
    """f(x) = 0.5 ||x - a||^2; with c1 the minimiser is soft-thresholding of a."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=float)
        self.n_params = len(self.a)

    def __call__(self, x):
        r = x - self.a
        return 0.5 * float(r @ r), r


@pytest.mark.parametrize("linesearch", optimisers.LINESEARCHES)
def test_lbfgs_minimises_quadratic(linesearch):
    q = Quadratic()
    res = optimisers.lbfgs(q, epsilon=1e-7, linesearch=linesearch, max_iterations=500, delta=0.0)
    assert res.status == "converged"
    np.testing.assert_allclose(res.w, np.linalg.solve(q.A, q.b), atol=1e-5)
    assert res.n_evaluations == q.n_evaluations


def test_more_thuente_satisfies_strong_wolfe():
    for phi_f, phi_g, stp in [
        (lambda a: (a - 3.0) ** 2, lambda a: 2 * (a - 3.0), 1.0),
        (lambda a: (a - 3.0) ** 2, lambda a: 2 * (a - 3.0), 100.0),
        (lambda a: math.exp(a) - 5 * a, lambda a: math.exp(a) - 5, 0.01),
        (lambda a: a**4 - 2 * a, lambda a: 4 * a**3 - 2, 10.0),
    ]:
        f0, g0 = phi_f(0.0), phi_g(0.0)
        ok, s, n = optimisers.more_thuente(lambda a, f=phi_f, g=phi_g: (f(a), g(a)), f0, g0, stp)
        assert ok and 1 <= n <= 20
        assert phi_f(s) <= f0 + 1e-4 * s * g0
        assert abs(phi_g(s)) <= 0.9 * abs(g0)


def test_lbfgs_reaches_crf_optimum():
    data, feat_ptr, feat_label, L, mask = crf_problem(1)
    obj = Objective(data, feat_ptr, feat_label, L, c2=0.5, trans_mask=mask)
    res = optimisers.lbfgs(obj, epsilon=1e-6, delta=0.0, max_iterations=1000)
    assert res.status == "converged"
    f, g = obj(res.w)
    assert np.linalg.norm(g) / max(1.0, np.linalg.norm(res.w)) < 1e-6
    # below what a few gradient-descent steps with a good step size reach
    w = np.zeros(obj.n_params)
    for _ in range(20):
        fw, gw = obj(w)
        w = w - 0.05 * gw
    assert f < obj(w)[0] - 1e-3
    # inactive transitions stay exactly zero
    K = len(feat_label)
    assert np.all(res.w[K:][mask == 0] == 0.0)
    # the log is consistent
    losses = res.losses
    assert losses[-1] == pytest.approx(f, rel=1e-12)
    assert np.all(np.diff(losses) <= 1e-9 * np.abs(losses[1:]))
    assert [e.iteration for e in res.log] == list(range(1, len(res.log) + 1))
    assert res.log[-1].n_evaluations == res.n_evaluations


def test_owlqn_soft_thresholding_exact_zeros():
    a = np.array([3.0, -2.0, 0.4, -0.3, 1.0, 0.0, -1.2, 0.05])
    c1 = 0.5
    res = optimisers.lbfgs(Separable(a), c1=c1, epsilon=1e-10, delta=0.0, max_iterations=200)
    expected = np.sign(a) * np.maximum(np.abs(a) - c1, 0.0)
    np.testing.assert_allclose(res.w, expected, atol=1e-8)
    assert np.all(res.w[expected == 0] == 0.0)  # true zeros, not tiny values
    assert res.algorithm == "owlqn"


def test_owlqn_on_crf_gives_zeros_and_lowers_objective():
    data, feat_ptr, feat_label, L, mask = crf_problem(2, S=80, A=30)
    obj = Objective(data, feat_ptr, feat_label, L, c2=0.01, trans_mask=mask)
    c1 = 1.0

    def full(w):
        return obj(w)[0] + c1 * np.abs(w).sum()

    w_start = np.random.default_rng(0).normal(scale=0.3, size=obj.n_params)
    res = optimisers.lbfgs(obj, w_start, c1=c1, epsilon=1e-6, delta=0.0, max_iterations=500)
    assert res.status == "converged"
    n_zero = int(np.sum(res.w == 0.0))
    assert n_zero > 0
    # optimality (KKT) of the L1-regularised problem
    f, g = obj(res.w)
    nz = res.w != 0
    np.testing.assert_allclose(g[nz] + c1 * np.sign(res.w[nz]), 0.0, atol=1e-4)
    assert np.all(np.abs(g[~nz]) <= c1 + 1e-6)
    assert res.log[-1].active_features == obj.n_params - n_zero
    assert full(res.w) < full(w_start) - 1.0
    assert full(res.w) < full(np.zeros(obj.n_params))
    assert res.log[-1].loss == pytest.approx(full(res.w), rel=1e-12)
    K = len(feat_label)
    assert np.all(res.w[K:][mask == 0] == 0.0)


def test_lbfgs_deterministic_warm_start_and_callback():
    data, feat_ptr, feat_label, L, mask = crf_problem(3)
    obj = Objective(data, feat_ptr, feat_label, L, c2=0.3, trans_mask=mask)
    r1 = optimisers.lbfgs(obj, max_iterations=8)
    r2 = optimisers.lbfgs(obj, max_iterations=8)
    assert np.array_equal(r1.w, r2.w)
    assert [e.loss for e in r1.log] == [e.loss for e in r2.log]
    # warm start continues from the given weights
    r3 = optimisers.lbfgs(obj, r1.w, max_iterations=5)
    assert r3.log[0].loss <= r1.log[-1].loss
    assert r3.log[-1].loss < r1.log[-1].loss
    # callback values are logged and it can stop training
    seen = []

    def cb(it, w):
        seen.append(it)
        return float(it) * 10, it >= 3

    r4 = optimisers.lbfgs(obj, callback=cb, max_iterations=50)
    assert r4.status == "callback" and seen == [1, 2, 3]
    assert [e.score for e in r4.log] == [10.0, 20.0, 30.0]


def separable_problem(seed=0, S=80, L=4, A_noise=10):
    """Each token carries the attribute ``label id`` plus random noise attributes."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 8, size=S)
    seq_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    N = int(seq_ptr[-1])
    y = rng.integers(0, L, size=N).astype(np.int32)
    ids, ptr = [], [0]
    for i in range(N):
        noise = rng.choice(A_noise, size=2, replace=False) + L
        ids.extend([int(y[i]), *noise.tolist()])
        ptr.append(len(ids))
    A = L + A_noise
    feat_ptr = (np.arange(A + 1) * L).astype(np.int64)
    feat_label = np.tile(np.arange(L), A).astype(np.int32)
    data = AttributeSequences(
        seq_ptr, np.array(ptr, np.int64), np.array(ids, np.int32), np.ones(len(ids)), y
    )
    return data, feat_ptr, feat_label, L


def predict(data, feat_ptr, feat_label, L, w):
    out = np.empty(data.n_items, dtype=np.int32)
    predict_batch(
        data.seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, feat_ptr, feat_label, w, L, out
    )
    return out


def test_perceptron_learns_separable_task():
    data, feat_ptr, feat_label, L = separable_problem()
    res = optimisers.averaged_perceptron(
        data, feat_ptr, feat_label, L, max_iterations=20, epsilon=1e-9
    )
    assert np.array_equal(predict(data, feat_ptr, feat_label, L, res.w), data.y)
    assert res.status == "converged"  # an epoch without mistakes
    assert res.log[0].loss > 0 and res.log[-1].loss == 0
    assert res.log[0].info["wrong_labels"] > 0
    res2 = optimisers.averaged_perceptron(
        data, feat_ptr, feat_label, L, max_iterations=20, epsilon=1e-9
    )
    assert np.array_equal(res.w, res2.w)
    # epsilon = 0 (CRFsuite's default) never stops early: loss / S < 0 is impossible
    res0 = optimisers.averaged_perceptron(
        data, feat_ptr, feat_label, L, max_iterations=len(res.log) + 2
    )
    assert res0.status == "max_iterations" and len(res0.log) == len(res.log) + 2
    # another seed visits the sequences in another order
    res3 = optimisers.averaged_perceptron(data, feat_ptr, feat_label, L, max_iterations=1, seed=5)
    res4 = optimisers.averaged_perceptron(data, feat_ptr, feat_label, L, max_iterations=1, seed=0)
    assert not np.array_equal(res3.w, res4.w)
    # warm start from the learned weights: no mistakes from the first epoch on
    res5 = optimisers.averaged_perceptron(data, feat_ptr, feat_label, L, w0=res.w, max_iterations=3)
    assert res5.log[0].loss == 0


def test_perceptron_respects_transition_mask():
    data, feat_ptr, feat_label, L, mask = crf_problem(4)
    res = optimisers.averaged_perceptron(
        data, feat_ptr, feat_label, L, trans_mask=mask, max_iterations=3
    )
    K = len(feat_label)
    assert np.all(res.w[K:][mask == 0] == 0.0)
    assert np.any(res.w[K:][mask != 0] != 0.0)


def test_sgd_lowers_objective_and_is_deterministic():
    data, feat_ptr, feat_label, L = separable_problem(3, S=100)
    mask = np.ones(L * L, dtype=np.uint8)
    mask[[1, 6]] = 0
    c2 = 0.5
    obj = Objective(data, feat_ptr, feat_label, L, c2=c2, trans_mask=mask)
    f0 = obj(np.zeros(obj.n_params))[0]
    res = optimisers.sgd_l2(
        data, feat_ptr, feat_label, L, c2=c2, trans_mask=mask, max_iterations=15
    )
    f1 = obj(res.w)[0]
    opt = optimisers.lbfgs(obj, epsilon=1e-6, delta=0.0, max_iterations=500)
    f_opt = opt.log[-1].loss
    assert f1 < f0
    # close to the optimum: within 1% of the way from the start
    assert f1 - f_opt < 0.01 * (f0 - f_opt)
    # the weights of the epoch with the lowest loss are returned (as CRFsuite)
    assert res.params["best_epoch"] == int(np.argmin(res.losses)) + 1
    assert res.params["eta0"] > 0
    K = len(feat_label)
    assert np.all(res.w[K:][mask == 0] == 0.0)
    res2 = optimisers.sgd_l2(
        data, feat_ptr, feat_label, L, c2=c2, trans_mask=mask, max_iterations=15
    )
    assert np.array_equal(res.w, res2.w)
    assert res.params["eta0"] == res2.params["eta0"]
    # warm start from the optimum with a small rate stays near it
    res3 = optimisers.sgd_l2(
        data, feat_ptr, feat_label, L, c2=c2, trans_mask=mask, w0=opt.w, max_iterations=2, eta0=1e-3
    )
    assert obj(res3.w)[0] - f_opt < 0.001 * (f0 - f_opt)


def test_sgd_calibration_prefers_the_best_rate():
    data, feat_ptr, feat_label, L = separable_problem(4, S=60)
    mask = np.ones(L * L, dtype=np.uint8)
    S = data.n_sequences
    order = np.arange(S, dtype=np.int64)
    w0 = np.zeros(len(feat_label) + L * L)
    eta = optimisers.calibrate_eta(data, feat_ptr, feat_label, L, mask, w0, 0.5, order)
    # the chosen rate gives a lower one-epoch sample loss than 4x smaller or larger ones
    lam = 2 * 0.5 / S
    ws = optimisers._sgd_workspaces(data, L)

    def epoch_loss(e):
        w = w0.copy()
        loss, _ = optimisers.sgd_epoch(
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
            max(1 / (lam * e), 2.0),
            0.0,
            *ws,
        )
        return loss + 0.5 * float(w @ w)

    assert epoch_loss(eta) <= min(epoch_loss(eta * 4), epoch_loss(eta / 4))


def test_invalid_parameters():
    data, feat_ptr, feat_label, L, mask = crf_problem(6)
    obj = Objective(data, feat_ptr, feat_label, L, c2=0.1)
    with pytest.raises(ValueError, match="linesearch"):
        optimisers.lbfgs(obj, linesearch="Nope")
    with pytest.raises(ValueError, match="c1"):
        optimisers.lbfgs(obj, c1=-1)
    with pytest.raises(ValueError, match="num_memories"):
        optimisers.lbfgs(obj, num_memories=0)
    with pytest.raises(ValueError, match="w0"):
        optimisers.lbfgs(obj, np.zeros(3))
    with pytest.raises(ValueError, match="c2 > 0"):
        optimisers.sgd_l2(data, feat_ptr, feat_label, L, c2=0.0)
    with pytest.raises(ValueError, match="max_iterations"):
        optimisers.averaged_perceptron(data, feat_ptr, feat_label, L, max_iterations=0)


def test_lbfgs_bit_identical_across_thread_counts():
    data, feat_ptr, feat_label, L, mask = crf_problem(7, S=120)
    for c1 in (0.0, 0.15):
        runs = [
            optimisers.lbfgs(
                Objective(data, feat_ptr, feat_label, L, c2=0.2, trans_mask=mask, threads=threads),
                c1=c1,
                max_iterations=6,
            )
            for threads in (1, 2)
        ]
        assert np.array_equal(runs[0].w, runs[1].w)
        assert [e.loss for e in runs[0].log] == [e.loss for e in runs[1].log]
