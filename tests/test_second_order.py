"""Second-order CRF: every dynamic program against enumeration of all label sequences,
the gradient against finite differences, and training, files and the tagger end to end."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from oracle import random_corpus

from crftagger.api.crf import CRF
from crftagger.api.tagger import Tagger, TaggerError
from crftagger.decode.constrained import DecodingError, build_constraints
from crftagger.engine.encoding import AttributeSequences, Vocabulary
from crftagger.engine.model import LinearChainCRF, ModelError, numba_threads
from crftagger.engine.second_order import (
    MAX_PAIR_STATES,
    PairSpace,
    SecondOrderCRF,
    SecondOrderObjective,
    model_class,
)
from crftagger.errors import CRFError

LABELS = ["O", "B-X", "I-X", "B-Y"]


# ----------------------------------------------------------------------------- plain twins
def emission_matrix(model, data, i0, i1):
    """Emission scores written out with Python loops."""
    E = np.zeros((i1 - i0, model.n_labels))
    for t in range(i1 - i0):
        for p in range(data.item_ptr[i0 + t], data.item_ptr[i0 + t + 1]):
            a = int(data.attr_ids[p])
            if a < 0:
                continue
            for k in range(model.feat_ptr[a], model.feat_ptr[a + 1]):
                E[t, model.feat_label[k]] += data.attr_vals[p] * model.w[k]
    return E


def path_score(model, E, y):
    """Score of the label path ``y`` (``-inf`` when it uses a pair that is not a state)."""
    L = model.n_labels
    B, G, mask = model.transition_weights, model.trigram_weights, model.pair_mask
    s = 0.0
    for t, c in enumerate(y):
        s += E[t, c]
        if t == 0:
            if not mask[L * L + c]:
                return -math.inf
        else:
            if not mask[y[t - 1] * L + c]:
                return -math.inf
            s += B[y[t - 1], c] + G[L if t == 1 else y[t - 2], y[t - 1], c]
    return s


def enumerate_paths(model, E, constraints=None):
    """``[(score, path)]`` of every allowed path, best first."""
    T, L = E.shape
    out = []
    for y in itertools.product(range(L), repeat=T):
        if constraints is not None and not constraints.is_valid(y):
            continue
        s = path_score(model, E, y)
        if s > -math.inf:
            out.append((s, y))
    out.sort(key=lambda r: -r[0])
    return out


def lse(xs):
    xs = list(xs)
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def random_model(rng, L=4, A=7, mask=None, scale=1.0):
    labels = Vocabulary.from_list(LABELS[:L]).freeze()
    attrs = Vocabulary.from_list([f"a{i}" for i in range(A)]).freeze()
    feat_ptr = np.arange(0, A * L + 1, L, dtype=np.int64)
    feat_label = np.tile(np.arange(L, dtype=np.int32), A)
    if mask is None:
        mask = (rng.random((L + 1) * L) < 0.75).astype(np.uint8)
        mask[L * L] = mask[0] = 1  # (BOS, O) and (O, O)
    space = PairSpace.from_mask(mask, L)
    K = len(feat_label)
    w = np.zeros(K + L * L + (L + 1) * L * L)
    w[:K] = rng.normal(0, scale, K)
    active = np.concatenate([space.bigram_mask, space.trigram_mask])
    w[K:] = rng.normal(0, scale, len(active)) * active
    return SecondOrderCRF(labels, attrs, feat_ptr, feat_label, w, mask)


def random_data(rng, model, lengths):
    seq_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    N = int(seq_ptr[-1])
    item_ptr = np.arange(0, 3 * N + 1, 3, dtype=np.int64)
    attr_ids = rng.integers(-1, len(model.attributes), 3 * N).astype(np.int32)
    attr_vals = rng.choice([0.5, 1.0, 2.0], 3 * N)
    return AttributeSequences(seq_ptr, item_ptr, attr_ids, attr_vals, None)


# ----------------------------------------------------------------------------- inference
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_z_marginals_and_viterbi_match_enumeration(seed):
    rng = np.random.default_rng(seed)
    model = random_model(rng)
    data = random_data(rng, model, [1, 2, 3, 4, 0, 5])
    logz = model.log_partition(data)
    marg = model.predict_marginals(data)
    pred = model.predict(data)
    for s in range(data.n_sequences):
        i0, i1 = int(data.seq_ptr[s]), int(data.seq_ptr[s + 1])
        if i1 == i0:
            assert logz[s] == 0.0
            continue
        E = emission_matrix(model, data, i0, i1)
        paths = enumerate_paths(model, E)
        z = lse(p[0] for p in paths)
        assert logz[s] == pytest.approx(z, abs=1e-9)
        want = np.zeros((i1 - i0, model.n_labels))
        for sc, y in paths:
            want[np.arange(i1 - i0), list(y)] += math.exp(sc - z)
        np.testing.assert_allclose(marg[i0:i1], want, atol=1e-9)
        assert tuple(pred[i0:i1]) == paths[0][1]


def test_unseen_pairs_are_never_output():
    rng = np.random.default_rng(3)
    L = 4
    mask = np.ones((L + 1) * L, dtype=np.uint8)
    mask[0 * L + 2] = 0  # O -> I-X is not a state
    mask[L * L + 2] = 0  # nor a sentence starting with I-X
    model = random_model(rng, mask=mask, scale=3.0)
    # I-X dominates every emission: the model still cannot open with it or follow O with it
    model.w[: model.n_state_features][model.feat_label == 2] += 5.0
    data = random_data(rng, model, [6] * 20)
    pred = model.predict(data)
    marg = model.predict_marginals(data)
    for s in range(data.n_sequences):
        y = pred[data.seq_ptr[s] : data.seq_ptr[s + 1]]
        assert y[0] != 2
        assert not any(a == 0 and b == 2 for a, b in zip(y[:-1], y[1:], strict=True))
        assert marg[data.seq_ptr[s], 2] == 0.0


def test_zero_trigrams_with_every_pair_equal_the_first_order_model():
    rng = np.random.default_rng(4)
    L = 4
    model = random_model(rng, mask=np.ones((L + 1) * L, dtype=np.uint8))
    K = model.n_state_features
    model.w[K + L * L :] = 0.0
    first = LinearChainCRF(
        model.labels,
        model.attributes,
        model.feat_ptr,
        model.feat_label,
        model.w[: K + L * L].copy(),
        np.ones(L * L, dtype=np.uint8),
    )
    data = random_data(rng, model, list(rng.integers(1, 9, 40)))
    np.testing.assert_allclose(model.log_partition(data), first.log_partition(data), atol=1e-9)
    np.testing.assert_allclose(
        model.predict_marginals(data), first.predict_marginals(data), atol=1e-9
    )
    np.testing.assert_array_equal(model.predict(data), first.predict(data))


@pytest.mark.parametrize("seed", [5, 6])
def test_constrained_decoding_lattice_kbest_and_spans_match_enumeration(seed):
    rng = np.random.default_rng(seed)
    model = random_model(rng)
    c = build_constraints(model.labels.items, "iob2")
    data = random_data(rng, model, [1, 3, 4, 5])
    ids = model.decode(data, c)
    for s in range(data.n_sequences):
        i0, i1 = int(data.seq_ptr[s]), int(data.seq_ptr[s + 1])
        E = emission_matrix(model, data, i0, i1)
        paths = enumerate_paths(model, E, c)
        assert tuple(ids[i0:i1]) == paths[0][1]
        lat = model.lattice(E, c)
        best, score = lat.best()
        assert tuple(best) == paths[0][1] and score == pytest.approx(paths[0][0])
        z = lse(p[0] for p in paths)
        kb = lat.kbest(5)
        assert [tuple(p) for p, _, _ in kb] == [y for _, y in paths[:5]]
        for (_p, sc, prob), (want_sc, _) in zip(kb, paths, strict=False):
            assert sc == pytest.approx(want_sc) and prob == pytest.approx(math.exp(want_sc - z))
        want = np.zeros(E.shape)
        for sc, y in paths:
            want[np.arange(len(y)), list(y)] += math.exp(sc - z)
        np.testing.assert_allclose(lat.marginals(), want, atol=1e-9)
        # the probability that tokens [0, 2) form one X span (B-X I-X, then not I-X)
        if i1 - i0 >= 2:
            want_p = sum(
                math.exp(sc - z)
                for sc, y in paths
                if y[0] == 1 and y[1] == 2 and (len(y) == 2 or y[2] != 2)
            )
            assert lat.span_probability("X", 0, 2) == pytest.approx(want_p, abs=1e-9)
        # forced label at the last position
        fixed = {i1 - i0 - 1: [3]}
        forced = [(sc, y) for sc, y in paths if y[-1] == 3]
        flat = model.lattice(E, c, fixed)
        if forced:
            assert tuple(flat.best()[0]) == forced[0][1]
        else:
            with pytest.raises(DecodingError, match="forced labels"):
                flat.best()


# ----------------------------------------------------------------------------- training
def labelled(rng, L=4, S=30):
    seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, y = random_corpus(rng, S, L, 9)
    return AttributeSequences(seq_ptr, item_ptr, attr_ids, attr_vals, y), feat_ptr, feat_label


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(7)
    data, feat_ptr, feat_label = labelled(rng)
    space = PairSpace.from_labels(data.y, data.seq_ptr, 4)
    obj = SecondOrderObjective(data, feat_ptr, feat_label, space, c2=0.3)
    K = len(feat_label)
    active = np.concatenate([np.ones(K), obj.trans_mask]).astype(bool)
    w = rng.normal(0, 0.7, obj.n_params) * active
    f, g = obj(w)
    assert np.all(g[~active] == 0.0)
    for k in np.flatnonzero(active):
        h = 1e-5
        wp, wm = w.copy(), w.copy()
        wp[k] += h
        wm[k] -= h
        assert (obj(wp)[0] - obj(wm)[0]) / (2 * h) == pytest.approx(g[k], abs=1e-6)


def test_objective_value_is_the_enumerated_negative_log_likelihood_even_when_scaling_fails():
    # Two labels, every pair. At t = 1 label 1 wins the emissions by 800 (exp(-800) underflows
    # for label 0) but every edge into label 1 costs -900: the scaled forward pass finds a zero
    # total there and the sequence must be redone in log space.
    L = 2
    labels = Vocabulary.from_list(["A", "B"]).freeze()
    attrs = Vocabulary.from_list(["x", "big"]).freeze()
    feat_ptr = np.array([0, 2, 4], dtype=np.int64)
    feat_label = np.array([0, 1, 0, 1], dtype=np.int32)
    seq_ptr = np.array([0, 3, 5], dtype=np.int64)
    item_ptr = np.arange(6, dtype=np.int64)
    attr_ids = np.array([0, 1, 0, 0, 1], dtype=np.int32)
    y = np.array([0, 0, 1, 1, 0], dtype=np.int32)
    data = AttributeSequences(seq_ptr, item_ptr, np.ascontiguousarray(attr_ids), np.ones(5), y)
    space = PairSpace.from_labels(y, seq_ptr, L, all_pairs=True)
    obj = SecondOrderObjective(data, feat_ptr, feat_label, space, c2=0.0)
    K = len(feat_label)
    w = np.zeros(obj.n_params)
    w[:K] = [0.5, -0.2, 0.0, 800.0]
    B = w[K : K + L * L].reshape(L, L)
    B[0, 1] = B[1, 1] = -900.0
    w[K + L * L :] = np.linspace(-1, 1, (L + 1) * L * L)
    f, g = obj(w)
    model = SecondOrderCRF(labels, attrs, feat_ptr, feat_label, w, space.pair_mask)
    nll = 0.0
    for s in range(data.n_sequences):
        i0, i1 = int(seq_ptr[s]), int(seq_ptr[s + 1])
        E = emission_matrix(model, data, i0, i1)
        nll += lse(sc for sc, _ in enumerate_paths(model, E)) - path_score(
            model, E, tuple(y[i0:i1])
        )
    assert f == pytest.approx(nll, rel=1e-12)
    for k in range(obj.n_params):
        h = 1e-4
        wp, wm = w.copy(), w.copy()
        wp[k] += h
        wm[k] -= h
        assert (obj(wp)[0] - obj(wm)[0]) / (2 * h) == pytest.approx(g[k], abs=1e-5)


def test_objective_is_bit_identical_for_any_thread_count():
    rng = np.random.default_rng(9)
    data, feat_ptr, feat_label = labelled(rng, S=200)
    space = PairSpace.from_labels(data.y, data.seq_ptr, 4)
    obj = SecondOrderObjective(data, feat_ptr, feat_label, space, c2=0.1)
    w = rng.normal(0, 0.5, obj.n_params) * np.concatenate(
        [np.ones(len(feat_label)), obj.trans_mask]
    )
    with numba_threads(1):
        f1, g1 = obj(w)
    with numba_threads(2):
        f2, g2 = obj(w)
    assert f1 == f2
    assert np.array_equal(g1, g2)


def pattern_data(n=120, T=10, seed=10):
    """Labels follow A A B B A A ... from a random phase; only the first two tokens show it."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        phase = int(rng.integers(4))
        labs = ["A" if (phase + t) % 4 < 2 else "B" for t in range(T)]
        X.append(
            [
                {f"first={labs[0]}": 1.0}
                if t == 0
                else {f"second={labs[1]}": 1.0}
                if t == 1
                else {"bias": 1.0}
                for t in range(T)
            ]
        )
        y.append(labs)
    return X, y


def test_second_order_learns_a_dependency_that_first_order_cannot():
    X, y = pattern_data()
    Xt, yt = pattern_data(40, 12, seed=11)
    acc = {}
    for order in (1, 2):
        b = CRF(c2=0.01, max_iterations=200, order=order).fit(X, y)
        pred = b.predict(Xt)
        acc[order] = np.mean(
            [p == g for ps, gs in zip(pred, yt, strict=True) for p, g in zip(ps, gs, strict=True)]
        )
    assert acc[2] == 1.0
    assert acc[1] < 0.8


def test_training_reports_order_and_rejects_other_trainers():
    X, y = pattern_data(20)
    b = CRF(c1=0.01, c2=0.01, max_iterations=30, order=2).fit(X, y)
    assert isinstance(b.model_, SecondOrderCRF)
    assert b.model_.training_params["order"] == 2
    assert (
        b.n_features_
        == b.model_.n_state_features + int(b.model_.trans_mask.sum()) + b.model_.space.n_edges
    )
    with pytest.raises(CRFError, match="lbfgs"):
        CRF(algorithm="ap", order=2).fit(X, y)
    with pytest.raises(CRFError, match="order must be 1 or 2"):
        CRF(order=3).fit(X, y)
    with pytest.raises(ModelError, match="order must be 1 or 2"):
        model_class(True)


def test_pair_space_rejects_bad_masks():
    with pytest.raises(ModelError, match="expected"):
        PairSpace.from_mask(np.ones(5, dtype=np.uint8), 2)
    with pytest.raises(ModelError, match="starting pair"):
        PairSpace.from_mask(np.array([1, 1, 1, 1, 0, 0], dtype=np.uint8), 2)
    with pytest.raises(ModelError, match="0 or 1"):
        PairSpace.from_mask(np.array([2, 1, 1, 1, 1, 0]), 2)
    L = int(math.isqrt(MAX_PAIR_STATES)) + 1
    with pytest.raises(ModelError, match="first-order"):
        PairSpace.from_mask(np.ones((L + 1) * L, dtype=np.uint8), L)


# ----------------------------------------------------------------------------- tagger
def span_sentences():
    """Toy spans where the trigram matters: "new york city" is one LOC span of three tokens."""
    base = [
        (["i", "live", "in", "new", "york", "city"], ["O", "O", "O", "B-LOC", "I-LOC", "I-LOC"]),
        (["new", "york", "is", "big"], ["B-LOC", "I-LOC", "O", "O"]),
        (["ann", "lee", "met", "bob"], ["B-PER", "I-PER", "O", "B-PER"]),
        (["bob", "went", "to", "paris"], ["B-PER", "O", "O", "B-LOC"]),
        (["ann", "saw", "new", "york"], ["B-PER", "O", "B-LOC", "I-LOC"]),
    ]
    return base * 6


def test_tagger_trains_saves_and_loads_a_second_order_model(tmp_path):
    train = span_sentences()
    tagger = Tagger.train(train, "ner", order=2, c1=0.0, c2=0.05, max_iterations=60, dev=train[:5])
    assert isinstance(tagger.model, SecondOrderCRF)
    assert tagger.info["training"]["order"] == 2
    assert "dev_f1" in tagger.info["training_log"][-1]
    sents = [toks for toks, _ in train[:5]]
    tags = tagger.tag(sents)
    assert tags == [labs for _, labs in train[:5]]
    path = tagger.save(tmp_path / "m.crftagger")
    back = Tagger.load(path)
    assert isinstance(back.model, SecondOrderCRF)
    assert back.tag(sents) == tags
    assert back.marginals(sents[0])[3]["B-LOC"] == pytest.approx(
        tagger.marginals(sents[0])[3]["B-LOC"]
    )
    spans = back.spans(sents[0])
    assert [(s.type, s.start, s.end) for s in spans] == [("LOC", 3, 6)]
    assert 0.0 < spans[0].confidence <= 1.0
    cands = back.nbest(sents[0], k=3)
    assert cands[0].tags == tags[0] and len(cands) == 3
    assert sum(c.probability for c in cands) <= 1.0 + 1e-9
    assert back.tag(sents[0], fixed={3: "O"})[3] == "O"
    rows = back.explain(sents[0], 4)
    top = next(r for r in rows if r["predicted"])
    L = back.model.n_labels
    lab = back.labels.index
    want_in = float(
        back.model.transition_weights[lab("B-LOC"), lab("I-LOC")]
        + back.model.trigram_weights[lab("O"), lab("B-LOC"), lab("I-LOC")]
    )
    assert top["label"] == "I-LOC" and top["transition_in"][1] == pytest.approx(want_in)
    assert L == len(back.labels)


def test_second_order_batch_tagging_with_a_bias_agrees_with_the_lattices():
    train = span_sentences()
    tagger = Tagger.train(train, "ner", order=2, c2=0.5, max_iterations=15)
    sents = [toks for toks, _ in train[:5]] + [["paris", "bob", "new", "york", "ann"]]
    plain = tagger.tag(sents)
    tagger.o_bias = -4.0
    batch = tagger.tag(sents)
    assert batch == [tagger.nbest(t, 1)[0].tags for t in sents]
    assert batch != plain
    with pytest.raises(ModelError, match="bias"):
        tagger.model.decode(tagger.encode(sents), bias=np.zeros(2))


def test_tagger_rejects_second_order_with_other_engines_and_trainers():
    train = span_sentences()[:5]
    with pytest.raises(TaggerError, match="engine"):
        Tagger.train(train, "ner", order=2, engine="crfsuite")
    with pytest.raises(TaggerError, match="lbfgs"):
        Tagger.train(train, "ner", order=2, algorithm="ap")
    with pytest.raises(TaggerError, match="order must be 1 or 2"):
        Tagger.train(train, "ner", order=0)


def test_model_file_with_a_broken_pair_mask_is_refused(tmp_path):
    from crftagger.io import container

    tagger = Tagger.train(span_sentences(), "ner", order=2, max_iterations=5)
    path = tagger.save(tmp_path / "m.crftagger")
    arrays, fields = container.load(path)
    del arrays["pair_mask"]
    container.save(tmp_path / "no_pairs.crftagger", arrays, fields)
    with pytest.raises(TaggerError, match="pair_mask"):
        Tagger.load(tmp_path / "no_pairs.crftagger")
    arrays, fields = container.load(path)
    fields["order"] = 3
    container.save(tmp_path / "order3.crftagger", arrays, fields)
    with pytest.raises(TaggerError, match="order=3"):
        Tagger.load(tmp_path / "order3.crftagger")
    arrays, fields = container.load(path)
    arrays["pair_mask"] = np.zeros_like(arrays["pair_mask"])
    container.save(tmp_path / "empty.crftagger", arrays, fields)
    with pytest.raises(TaggerError, match="empty.crftagger"):
        Tagger.load(tmp_path / "empty.crftagger")


def test_sklearn_style_estimator_with_order_two(tmp_path):
    import pickle

    from crftagger.api.crf import CRF, CRFError

    X, y = pattern_data(60)
    Xt, _ = pattern_data(10, 12, seed=12)
    crf = CRF(c2=0.01, max_iterations=100, order=2).fit(X, y)
    assert isinstance(crf.model_, SecondOrderCRF)
    pred = crf.predict(Xt)
    marg = crf.predict_marginals(Xt)
    assert all(
        max(d, key=d.get) == p
        for ds, ps in zip(marg, pred, strict=True)
        for d, p in zip(ds, ps, strict=True)
    )
    back = pickle.loads(pickle.dumps(crf))
    assert isinstance(back.model_, SecondOrderCRF) and back.predict(Xt) == pred
    crf.save(tmp_path / "crf2.model")
    loaded = CRF.load(tmp_path / "crf2.model")
    assert loaded.order == 2 and loaded.predict(Xt) == pred
    assert crf.size_ > CRF(c2=0.01, max_iterations=100).fit(X, y).size_
    with pytest.raises(CRFError, match="order=2"):
        CRF(order=2, engine="crfsuite").fit(X, y)
    with pytest.raises(CRFError, match="order=2"):
        CRF(order=2, algorithm="ap").fit(X, y)
    with pytest.raises(CRFError, match="order must be 1 or 2"):
        CRF(order="2").fit(X, y)


def test_plain_model_file_round_trip(tmp_path):
    rng = np.random.default_rng(13)
    model = random_model(rng)
    data = random_data(rng, model, [3, 5, 2])
    path = model.save(tmp_path / "m.crf", prune=False)
    back = SecondOrderCRF.load(path)
    assert np.array_equal(back.w, model.w) and np.array_equal(back.pair_mask, model.pair_mask)
    assert np.array_equal(back.predict(data), model.predict(data))
    with pytest.raises(ModelError, match="expected 'crftagger.LinearChainCRF'"):
        LinearChainCRF.load(path)
