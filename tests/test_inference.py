import math

import numpy as np
import oracle
import pytest

from crftagger.engine import kernels as inf

# (T, L, forbid): every shape up to T = 4, L = 3, with and without -inf transitions
CASES = [(T, L, forbid) for T in (1, 2, 3, 4) for L in (1, 2, 3) for forbid in (False, True)]


def make_case(T, L, forbid, seed, scale=2.0):
    rng = np.random.default_rng(seed)
    E = rng.normal(scale=scale, size=(T, L)) + 1e-6 * rng.random((T, L))
    Tr = rng.normal(scale=scale, size=(L, L)) + 1e-6 * rng.random((L, L))
    if forbid and L > 1:
        # forbid a few transitions, keep the diagonal so some path stays valid
        mask = rng.random((L, L)) < 0.4
        np.fill_diagonal(mask, False)
        Tr[mask] = -np.inf
    return np.ascontiguousarray(E), np.ascontiguousarray(Tr)


def scaled_fb(E, Tr):
    T, L = E.shape
    exp_tr = np.empty((L, L))
    exp_tr_t = np.empty((L, L))
    shift = inf.exp_transitions(Tr, exp_tr, exp_tr_t)
    exp_e = np.empty((T, L))
    alpha = np.empty((T, L))
    beta = np.empty((T, L))
    scale = np.empty(T)
    lz = inf.forward_backward_scaled(E, exp_tr, exp_tr_t, shift, exp_e, alpha, beta, scale)
    return lz, exp_tr, exp_e, alpha, beta, scale


def log_fb(E, Tr):
    T, L = E.shape
    alpha = np.empty((T, L))
    beta = np.empty((T, L))
    return inf.forward_backward_log(E, Tr, alpha, beta), alpha, beta


@pytest.mark.parametrize("T,L,forbid", CASES)
def test_forward_backward_against_oracle(T, L, forbid):
    E, Tr = make_case(T, L, forbid, seed=T * 100 + L * 10 + forbid)
    lz_ref = oracle.log_z(E, Tr)
    unary_ref = oracle.unary_marginals(E, Tr)
    pair_ref = oracle.pairwise_marginals(E, Tr)

    lz, alpha, beta = log_fb(E, Tr)
    assert lz == pytest.approx(lz_ref, rel=1e-12, abs=1e-12)
    unary = np.empty((T, L))
    inf.unary_marginals(alpha, beta, lz, unary)
    np.testing.assert_allclose(unary, unary_ref, atol=1e-12)
    np.testing.assert_allclose(unary.sum(axis=1), 1.0, atol=1e-12)
    pair = np.zeros((max(T - 1, 0), L, L))
    inf.pairwise_marginals(E, Tr, alpha, beta, lz, pair)
    np.testing.assert_allclose(pair, pair_ref, atol=1e-12)
    trans = np.zeros((L, L))
    inf.transition_marginals(E, Tr, alpha, beta, lz, trans)
    np.testing.assert_allclose(trans, pair_ref.sum(axis=0), atol=1e-12)

    lz_s, exp_tr, exp_e, a_s, b_s, sc = scaled_fb(E, Tr)
    assert lz_s == pytest.approx(lz_ref, rel=1e-12, abs=1e-12)
    unary_s = np.empty((T, L))
    inf.unary_marginals_scaled(a_s, b_s, unary_s)
    np.testing.assert_allclose(unary_s, unary_ref, atol=1e-12)
    trans_s = np.zeros((L, L))
    inf.transition_marginals_scaled(exp_tr, exp_e, a_s, b_s, sc, T, trans_s)
    np.testing.assert_allclose(trans_s, pair_ref.sum(axis=0), atol=1e-12)


@pytest.mark.parametrize("T,L,forbid", CASES)
def test_viterbi_and_kbest_against_oracle(T, L, forbid):
    E, Tr = make_case(T, L, forbid, seed=7 + T * 100 + L * 10 + forbid)
    best_ref, path_ref = oracle.best_path(E, Tr)
    path = np.empty(T, dtype=np.int32)
    best = inf.viterbi(E, Tr, path)
    assert best == pytest.approx(best_ref, rel=1e-12)
    assert tuple(path) == path_ref
    assert inf.sequence_score(E, Tr, path) == pytest.approx(best, rel=1e-12)
    assert inf.sequence_score(E, Tr, path) == pytest.approx(oracle.score(E, Tr, path), rel=1e-12)

    n_total = len(oracle.ranked(E, Tr))
    for k in (1, 2, 5, L**T + 2):
        paths = np.empty((k, T), dtype=np.int32)
        scores = np.empty(k)
        n = inf.kbest(E, Tr, k, paths, scores)
        ref = oracle.kbest(E, Tr, k)
        assert n == len(ref) == min(k, n_total)
        for r, (s_ref, y_ref) in enumerate(ref):
            assert tuple(paths[r]) == y_ref
            assert scores[r] == pytest.approx(s_ref, rel=1e-12)
        assert np.all(paths[n:] == -1)
        assert np.all(scores[n:] == -np.inf)


@pytest.mark.parametrize("T,L", [(1, 2), (2, 3), (3, 3), (4, 2), (4, 3), (3, 1)])
def test_sequence_probability_sums_to_one(T, L):
    E, Tr = make_case(T, L, True, seed=T + L)
    total = sum(inf.sequence_probability(E, Tr, np.array(y)) for y in oracle.all_paths(T, L))
    assert total == pytest.approx(1.0, abs=1e-12)
    y = np.array(oracle.best_path(E, Tr)[1])
    expected = math.exp(oracle.score(E, Tr, y) - oracle.log_z(E, Tr))
    assert inf.sequence_probability(E, Tr, y) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_viterbi_constrained_against_oracle(seed):
    rng = np.random.default_rng(seed)
    T, L = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    E, Tr = make_case(T, L, seed % 2 == 1, seed=1000 + seed)
    allowed_trans = (rng.random((L, L)) < 0.7).astype(np.uint8)
    allowed_start = (rng.random(L) < 0.7).astype(np.uint8)
    allowed_end = (rng.random(L) < 0.7).astype(np.uint8)
    allowed_labels = (rng.random((T, L)) < 0.8).astype(np.uint8)
    ref_score, ref_path = oracle.constrained_best(
        E, Tr, allowed_trans, allowed_start, allowed_end, allowed_labels
    )
    path = np.empty(T, dtype=np.int32)
    s = inf.viterbi_constrained(
        E, Tr, allowed_trans, allowed_start, allowed_end, allowed_labels, path
    )
    if ref_path is None:
        assert s == -np.inf
        assert np.all(path == -1)
    else:
        assert s == pytest.approx(ref_score, rel=1e-12)
        assert tuple(path) == ref_path


def test_viterbi_constrained_no_valid_path():
    E, Tr = make_case(3, 2, False, seed=3)
    path = np.zeros(3, dtype=np.int32)
    ones = np.ones((2, 2), dtype=np.uint8)
    none = np.zeros(2, dtype=np.uint8)
    s = inf.viterbi_constrained(
        E, Tr, ones, none, np.ones(2, np.uint8), np.ones((3, 2), np.uint8), path
    )
    assert s == -np.inf
    assert np.all(path == -1)
    # forbidding every transition: only T = 1 sequences have a path
    s = inf.viterbi_constrained(
        E,
        Tr,
        np.zeros((2, 2), np.uint8),
        np.ones(2, np.uint8),
        np.ones(2, np.uint8),
        np.ones((3, 2), np.uint8),
        path,
    )
    assert s == -np.inf and np.all(path == -1)


def test_all_forbidden_transitions_give_minus_inf():
    E, _ = make_case(3, 2, False, seed=5)
    Tr = np.full((2, 2), -np.inf)
    lz, alpha, beta = log_fb(E, Tr)
    assert lz == -np.inf
    assert not np.isnan(alpha).any() and not np.isnan(beta).any()
    unary = np.empty((3, 2))
    inf.unary_marginals(alpha, beta, lz, unary)
    assert np.all(unary == 0)
    path = np.zeros(3, dtype=np.int32)
    assert inf.viterbi(E, Tr, path) == -np.inf and np.all(path == -1)
    paths = np.zeros((2, 3), dtype=np.int32)
    scores = np.zeros(2)
    assert inf.kbest(E, Tr, 2, paths, scores) == 0


@pytest.mark.parametrize("T,L", [(1, 1), (1, 4), (5, 3), (20, 7)])
def test_zero_potentials(T, L):
    E = np.zeros((T, L))
    Tr = np.zeros((L, L))
    lz, alpha, beta = log_fb(E, Tr)
    assert lz == pytest.approx(T * math.log(L), abs=1e-12)
    assert scaled_fb(E, Tr)[0] == pytest.approx(T * math.log(L), abs=1e-12)


@pytest.mark.parametrize("magnitude", [1.0, 50.0, 500.0])
def test_scaled_agrees_with_log_space(magnitude):
    rng = np.random.default_rng(int(magnitude))
    T, L = 30, 6
    E = rng.normal(scale=magnitude, size=(T, L))
    Tr = rng.normal(scale=magnitude / 10, size=(L, L))
    lz, alpha, beta = log_fb(E, Tr)
    unary = np.empty((T, L))
    inf.unary_marginals(alpha, beta, lz, unary)
    trans = np.zeros((L, L))
    inf.transition_marginals(E, Tr, alpha, beta, lz, trans)

    lz_s, exp_tr, exp_e, a_s, b_s, sc = scaled_fb(E, Tr)
    assert np.isfinite(lz_s)
    assert lz_s == pytest.approx(lz, rel=1e-12)
    unary_s = np.empty((T, L))
    inf.unary_marginals_scaled(a_s, b_s, unary_s)
    np.testing.assert_allclose(unary_s, unary, atol=1e-10)
    trans_s = np.zeros((L, L))
    inf.transition_marginals_scaled(exp_tr, exp_e, a_s, b_s, sc, T, trans_s)
    np.testing.assert_allclose(trans_s, trans, atol=1e-9)


def test_scaled_detects_underflow_and_marginals_fall_back():
    # the preferred transitions disagree with the emissions by e^-400 per step:
    # a scale factor underflows SCALE_MIN, so the scaled pass must refuse
    E = np.array([[0.0, -400.0], [-400.0, 0.0], [0.0, -400.0]])
    Tr = np.array([[0.0, -400.0], [-400.0, 0.0]])
    assert math.isnan(scaled_fb(E, Tr)[0])
    lz_ref = oracle.log_z(E, Tr)
    T, L = E.shape
    exp_tr = np.empty((L, L))
    exp_tr_t = np.empty((L, L))
    shift = inf.exp_transitions(Tr, exp_tr, exp_tr_t)
    ws = [np.empty((T, L)) for _ in range(3)]
    out = np.empty((T, L))
    lz = inf.marginals_into(E, Tr, exp_tr, exp_tr_t, shift, *ws, np.empty(T), out)
    assert lz == pytest.approx(lz_ref, rel=1e-12)
    np.testing.assert_allclose(out, oracle.unary_marginals(E, Tr), atol=1e-12)


def test_marginals_are_gradient_of_log_z():
    T, L = 5, 3
    E, Tr = make_case(T, L, False, seed=42, scale=1.0)
    lz, alpha, beta = log_fb(E, Tr)
    unary = np.empty((T, L))
    inf.unary_marginals(alpha, beta, lz, unary)
    trans = np.zeros((L, L))
    inf.transition_marginals(E, Tr, alpha, beta, lz, trans)
    h = 1e-6
    for t in range(T):
        for j in range(L):
            Ep, Em = E.copy(), E.copy()
            Ep[t, j] += h
            Em[t, j] -= h
            fd = (log_fb(Ep, Tr)[0] - log_fb(Em, Tr)[0]) / (2 * h)
            assert fd == pytest.approx(unary[t, j], abs=1e-8)
    for i in range(L):
        for j in range(L):
            Tp, Tm = Tr.copy(), Tr.copy()
            Tp[i, j] += h
            Tm[i, j] -= h
            fd = (log_fb(E, Tp)[0] - log_fb(E, Tm)[0]) / (2 * h)
            assert fd == pytest.approx(trans[i, j], abs=1e-8)


def dense_emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, L):
    out = np.zeros((i1 - i0, L))
    for t in range(i1 - i0):
        for p in range(item_ptr[i0 + t], item_ptr[i0 + t + 1]):
            a = attr_ids[p]
            if a < 0:
                continue
            for k in range(feat_ptr[a], feat_ptr[a + 1]):
                out[t, feat_label[k]] += attr_vals[p] * w[k]
    return out


def test_emissions_and_batch_entry_points():
    rng = np.random.default_rng(0)
    L, A = 4, 15
    seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, _ = oracle.random_corpus(
        rng, 150, L, A
    )
    K = len(feat_label)
    w = rng.normal(size=K + L * L)
    Tr = w[K:].reshape(L, L)
    S = len(seq_ptr) - 1
    N = int(seq_ptr[-1])
    pred = np.full(N, -7, dtype=np.int32)
    inf.predict_batch(seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, w, L, pred)
    marg = np.full((N, L), np.nan)
    inf.marginals_batch(seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, w, L, marg)
    lzs = np.full(S, np.nan)
    inf.logz_batch(seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, w, L, lzs)
    E_ws = np.full((10, L), np.nan)
    for s in range(S):
        i0, i1 = seq_ptr[s], seq_ptr[s + 1]
        E = dense_emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, L)
        inf.emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E_ws)
        np.testing.assert_allclose(E_ws[: i1 - i0], E, atol=1e-12)
        path = np.empty(i1 - i0, dtype=np.int32)
        inf.viterbi(E, Tr, path)
        assert np.array_equal(pred[i0:i1], path)
        lz, alpha, beta = log_fb(E, Tr)
        assert lzs[s] == pytest.approx(lz, rel=1e-12)
        unary = np.empty((i1 - i0, L))
        inf.unary_marginals(alpha, beta, lz, unary)
        np.testing.assert_allclose(marg[i0:i1], unary, atol=1e-12)


def test_kbest_with_ties_is_deterministic_and_distinct():
    T, L = 3, 3
    E = np.zeros((T, L))
    Tr = np.zeros((L, L))
    k = 10
    runs = []
    for _ in range(2):
        paths = np.empty((k, T), dtype=np.int32)
        scores = np.empty(k)
        n = inf.kbest(E, Tr, k, paths, scores)
        runs.append(paths.copy())
        assert n == k
        assert np.all(scores == 0.0)
        assert len({tuple(p) for p in paths}) == k
    assert np.array_equal(runs[0], runs[1])
    # the best of the list is Viterbi's path (same tie-breaking: smallest labels)
    path = np.empty(T, dtype=np.int32)
    inf.viterbi(E, Tr, path)
    assert tuple(runs[0][0]) == tuple(path) == (0, 0, 0)
