import numba
import numpy as np
import oracle
import pytest

from crftagger.engine import objective as obj
from crftagger.engine.encoding import AttributeSequences


def make_problem(seed=0, S=40, L=3, A=12, max_len=5, inactive=2):
    rng = np.random.default_rng(seed)
    seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, y = oracle.random_corpus(
        rng, S, L, A, max_len=max_len
    )
    data = AttributeSequences(seq_ptr, item_ptr, attr_ids, attr_vals, y)
    mask = np.ones(L * L, dtype=np.uint8)
    mask[rng.choice(L * L, size=inactive, replace=False)] = 0
    return data, feat_ptr, feat_label, L, mask, rng


def dense_emissions(data, i0, i1, feat_ptr, feat_label, w, L):
    out = np.zeros((i1 - i0, L))
    for t in range(i1 - i0):
        for p in range(data.item_ptr[i0 + t], data.item_ptr[i0 + t + 1]):
            a = data.attr_ids[p]
            if a < 0:
                continue
            for k in range(feat_ptr[a], feat_ptr[a + 1]):
                out[t, feat_label[k]] += data.attr_vals[p] * w[k]
    return out


def slow_objective(data, feat_ptr, feat_label, L, w, c2):
    """sum_s -log p(y_s | x_s) + c2 ||w||^2 by brute-force enumeration (tiny sequences)."""
    K = len(feat_label)
    Tr = w[K:].reshape(L, L)
    f = c2 * float(w @ w)
    for s in range(data.n_sequences):
        i0, i1 = data.seq_ptr[s], data.seq_ptr[s + 1]
        E = dense_emissions(data, i0, i1, feat_ptr, feat_label, w, L)
        f += oracle.log_z(E, Tr) - oracle.score(E, Tr, data.y[i0:i1])
    return f


def slow_observed(data, feat_ptr, feat_label, L):
    K = len(feat_label)
    out = np.zeros(K + L * L)
    for s in range(data.n_sequences):
        for i in range(data.seq_ptr[s], data.seq_ptr[s + 1]):
            for p in range(data.item_ptr[i], data.item_ptr[i + 1]):
                a = data.attr_ids[p]
                if a < 0:
                    continue
                for k in range(feat_ptr[a], feat_ptr[a + 1]):
                    if feat_label[k] == data.y[i]:
                        out[k] += data.attr_vals[p]
            if i > data.seq_ptr[s]:
                out[K + data.y[i - 1] * L + data.y[i]] += 1
    return out


def test_observed_counts():
    data, feat_ptr, feat_label, L, _, _ = make_problem(1)
    got = obj.observed_counts(
        data.seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, data.y, feat_ptr, feat_label, L
    )
    np.testing.assert_allclose(got, slow_observed(data, feat_ptr, feat_label, L), atol=1e-12)


@pytest.mark.parametrize("weight_scale", [0.5, 300.0])
def test_objective_matches_brute_force(weight_scale):
    data, feat_ptr, feat_label, L, mask, rng = make_problem(2, S=25, max_len=4)
    K = len(feat_label)
    w = rng.normal(scale=weight_scale, size=K + L * L)
    w[K:][mask == 0] = 0.0
    f_obj = obj.Objective(data, feat_ptr, feat_label, L, c2=0.3, trans_mask=mask)
    f, g = f_obj(w)
    assert f == pytest.approx(slow_objective(data, feat_ptr, feat_label, L, w, 0.3), rel=1e-10)
    assert np.all(g[K:][mask == 0] == 0.0)
    assert f_obj.n_evaluations == 1


def test_gradient_finite_differences():
    data, feat_ptr, feat_label, L, mask, rng = make_problem(3, S=30, L=3, A=10)
    K = len(feat_label)
    c2 = 0.7
    f_obj = obj.Objective(data, feat_ptr, feat_label, L, c2=c2, trans_mask=mask, n_chunks=4)
    w = rng.normal(scale=0.7, size=K + L * L)
    w[K:][mask == 0] = 0.0
    f, g = f_obj(w)
    h = 1e-6
    active = np.concatenate([np.ones(K, bool), mask != 0])
    for k in np.flatnonzero(active):
        wp, wm = w.copy(), w.copy()
        wp[k] += h
        wm[k] -= h
        fd = (f_obj(wp)[0] - f_obj(wm)[0]) / (2 * h)
        assert fd == pytest.approx(g[k], abs=1e-5 * max(1.0, abs(fd)))
    assert np.all(g[~active] == 0.0)


def test_parallel_gradient_bit_identical():
    data, feat_ptr, feat_label, L, mask, rng = make_problem(4, S=300, L=4, A=30, max_len=8)
    K = len(feat_label)
    w = rng.normal(size=K + L * L)
    w[K:][mask == 0] = 0.0
    results = []
    for threads in (1, 2, 1):
        f_obj = obj.Objective(
            data, feat_ptr, feat_label, L, c2=0.1, trans_mask=mask, threads=threads
        )
        results.append(f_obj(w))
    f1, g1 = results[0]
    for f, g in results[1:]:
        assert f == f1
        assert np.array_equal(g, g1)
    # a thread count set globally does not change anything either
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        f2, g2 = obj.Objective(data, feat_ptr, feat_label, L, c2=0.1, trans_mask=mask)(w)
    finally:
        numba.set_num_threads(previous)
    assert f2 == f1 and np.array_equal(g2, g1)
    # another chunking only changes the rounding
    f3, g3 = obj.Objective(data, feat_ptr, feat_label, L, c2=0.1, trans_mask=mask, n_chunks=3)(w)
    assert f3 == pytest.approx(f1, rel=1e-12)
    np.testing.assert_allclose(g3, g1, atol=1e-10)


def _sequence_slice(data, s0, s1):
    """Sequences ``s0 .. s1-1`` of ``data`` as a corpus of their own (pointers from 0)."""
    i0, i1 = data.seq_ptr[s0], data.seq_ptr[s1]
    p0, p1 = data.item_ptr[i0], data.item_ptr[i1]
    return AttributeSequences(
        data.seq_ptr[s0 : s1 + 1] - i0,
        data.item_ptr[i0 : i1 + 1] - p0,
        data.attr_ids[p0:p1].copy(),
        data.attr_vals[p0:p1].copy(),
        data.y[i0:i1].copy(),
    )


def test_chunks_one_at_a_time_give_the_same_bits():
    # the pieces data-parallel training computes on its workers
    data, feat_ptr, feat_label, L, mask, rng = make_problem(6, S=200, L=4, A=30, max_len=8)
    K = len(feat_label)
    D = K + L * L
    w = rng.normal(size=D)
    w[K:][mask == 0] = 0.0
    f_obj = obj.Objective(data, feat_ptr, feat_label, L, c2=0.1, trans_mask=mask, n_chunks=5)
    f_ref, g_ref = f_obj(w)
    acc = np.zeros(D)
    observed = np.zeros(D)
    logz = []
    for c in range(len(f_obj.chunks) - 1):
        part = _sequence_slice(data, f_obj.chunks[c], f_obj.chunks[c + 1])
        tmax = max(int(part.lengths().max()), 1)
        g = np.empty(D)
        logz.append(
            obj.chunk_nll_grad(
                w,
                part.seq_ptr,
                part.item_ptr,
                part.attr_ids,
                part.attr_vals,
                feat_ptr,
                feat_label,
                L,
                g,
                np.zeros((4, tmax, L)),
                np.zeros(tmax),
                np.zeros((L, L)),
            )
        )
        acc += g
        obj.add_observed_counts(
            observed,
            part.seq_ptr,
            part.item_ptr,
            part.attr_ids,
            part.attr_vals,
            part.y,
            feat_ptr,
            feat_label,
            L,
        )
    assert np.array_equal(observed, f_obj.observed)
    grad = np.empty(D)
    f = obj.finish_nll_grad(w, acc, observed, 0.1, f_obj.trans_mask, K, L, np.asarray(logz), grad)
    assert f == f_ref
    assert np.array_equal(grad, g_ref)
    assert np.all(grad[K:][mask == 0] == 0.0)


def test_sequence_gradient_sums_to_full_gradient():
    data, feat_ptr, feat_label, L, mask, rng = make_problem(5, S=20)
    K = len(feat_label)
    w = rng.normal(size=K + L * L)
    w[K:][mask == 0] = 0.0
    f, g = obj.Objective(data, feat_ptr, feat_label, L, c2=0.0, trans_mask=mask)(w)
    tmax = int(data.lengths().max())
    work = np.zeros((4, tmax, L))
    work_t = np.zeros(tmax)
    work_ll = np.zeros((4, L, L))
    total = np.zeros(K + L * L)
    loss = 0.0
    # scoring with 2 * (w / 2) checks the w_scale argument too
    for s in range(data.n_sequences):
        loss += obj.add_sequence_gradient(
            s,
            data.seq_ptr,
            data.item_ptr,
            data.attr_ids,
            data.attr_vals,
            data.y,
            feat_ptr,
            feat_label,
            L,
            mask,
            w / 2,
            2.0,
            1.0,
            total,
            work,
            work_t,
            work_ll,
        )
    assert loss == pytest.approx(f, rel=1e-10)
    np.testing.assert_allclose(total, g, atol=1e-10)


def test_bad_input_is_rejected():
    data, feat_ptr, feat_label, L, mask, _ = make_problem(6)
    with pytest.raises(ValueError, match="feat_label"):
        obj.Objective(data, feat_ptr, feat_label.astype(np.int64), L)
    bad_labels = feat_label.copy()
    bad_labels[0] = L
    with pytest.raises(ValueError, match="feat_label values"):
        obj.Objective(data, feat_ptr, bad_labels, L)
    with pytest.raises(ValueError, match="c2"):
        obj.Objective(data, feat_ptr, feat_label, L, c2=-1.0)
    with pytest.raises(ValueError, match="trans_mask"):
        obj.Objective(data, feat_ptr, feat_label, L, trans_mask=np.ones(L * L + 1))
    unlabeled = AttributeSequences(data.seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, None)
    with pytest.raises(ValueError, match="labels"):
        obj.Objective(unlabeled, feat_ptr, feat_label, L)
    f_obj = obj.Objective(data, feat_ptr, feat_label, L)
    with pytest.raises(ValueError, match="shape"):
        f_obj(np.zeros(3))
    w = np.zeros(f_obj.n_params)
    w[0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        f_obj(w)


def test_empty_sequences_contribute_nothing():
    data, feat_ptr, feat_label, L, mask, rng = make_problem(7, S=10)
    K = len(feat_label)
    w = rng.normal(size=K + L * L)
    w[K:][mask == 0] = 0.0
    f, g = obj.Objective(data, feat_ptr, feat_label, L, c2=0.1, trans_mask=mask)(w)
    # the same corpus with an empty sequence first, in the middle and last
    sp = data.seq_ptr
    seq_ptr = np.concatenate([[0], [0], sp[1:6], [sp[5]], sp[6:], [sp[-1]]]).astype(np.int64)
    data2 = AttributeSequences(seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, data.y)
    f2, g2 = obj.Objective(data2, feat_ptr, feat_label, L, c2=0.1, trans_mask=mask)(w)
    assert f2 == pytest.approx(f, rel=1e-13)
    np.testing.assert_allclose(g2, g, atol=1e-12)
