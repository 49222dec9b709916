"""LinearChainCRF and its feature index.

The index is checked against a plain-Python twin and against the number of
features CRFsuite reports for the same data and options.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pytest
from helpers import read_conll2000

from crftagger.engine.encoding import AttributeSequences, Vocabulary, encode_dicts
from crftagger.engine.model import FeatureIndex, LinearChainCRF, ModelError, numba_threads

pycrfsuite = pytest.importorskip("pycrfsuite")


# ----------------------------------------------------------------------------- data
def window_attributes(sent):
    """A few word/POS window attributes per token, plus __BOS__/__EOS__."""
    out = []
    T = len(sent)
    for t in range(T):
        a = {"w[0]": sent[t][0].lower(), "pos[0]": sent[t][1]}
        if t > 0:
            a["w[-1]"] = sent[t - 1][0].lower()
            a["pos[-1]|pos[0]"] = f"{sent[t - 1][1]}|{sent[t][1]}"
        else:
            a["__BOS__"] = 1.0
        if t < T - 1:
            a["w[1]"] = sent[t + 1][0].lower()
            a["pos[1]"] = sent[t + 1][1]
        else:
            a["__EOS__"] = 1.0
        out.append(a)
    return out


@pytest.fixture(scope="module")
def chunk_data(data_dir):
    sents = read_conll2000(data_dir / "conll2000" / "train.txt", 300)
    X = [window_attributes(s) for s in sents]
    y = [[r[2] for r in s] for s in sents]
    return X, y


def crfsuite_feature_count(X, y, **params):
    """CRFsuite's "Number of features" for the data and options (one training iteration)."""
    trainer = pycrfsuite.Trainer(verbose=False)
    messages = []
    trainer.message = messages.append
    for xs, ys in zip(X, y, strict=True):
        trainer.append(pycrfsuite.ItemSequence(xs), ys)
    trainer.set_params({"max_iterations": 1, **params})
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        trainer.train(os.path.join(d, "m.crfsuite"))
    m = re.search(r"Number of features: (\d+)", "".join(messages))
    return int(m.group(1))


# ----------------------------------------------------------------------------- index
def naive_index(data, A, L, all_states, all_trans, min_freq):
    """Plain-Python feature index: sets of (attr, label) and (prev, cur) pairs."""
    freq = defaultdict(float)
    for i in range(data.n_items):
        for j in range(data.item_ptr[i], data.item_ptr[i + 1]):
            a = int(data.attr_ids[j])
            if a >= 0:
                freq[(a, int(data.y[i]))] += float(data.attr_vals[j])
    if all_states:
        for a in range(A):
            for lab in range(L):
                freq.setdefault((a, lab), 0.0)
    tfreq = defaultdict(float)
    for s in range(data.n_sequences):
        for i in range(data.seq_ptr[s] + 1, data.seq_ptr[s + 1]):
            tfreq[(int(data.y[i - 1]), int(data.y[i]))] += 1.0
    if all_trans:
        for p in range(L):
            for c in range(L):
                tfreq.setdefault((p, c), 0.0)
    states = {k: v for k, v in freq.items() if v >= min_freq}
    trans = {k for k, v in tfreq.items() if v >= min_freq}
    return states, trans


def random_data(rng, S=30, A=12, L=4, max_len=6):
    lengths = rng.integers(0, max_len + 1, size=S)
    seq_ptr = np.zeros(S + 1, np.int64)
    seq_ptr[1:] = np.cumsum(lengths)
    N = int(seq_ptr[-1])
    per_item = rng.integers(0, 4, size=N)
    item_ptr = np.zeros(N + 1, np.int64)
    item_ptr[1:] = np.cumsum(per_item)
    nnz = int(item_ptr[-1])
    attr_ids = rng.integers(-1, A, size=nnz).astype(np.int32)
    attr_vals = rng.choice([1.0, 0.5, 2.0, -1.0, 0.0], size=nnz)
    y = rng.integers(0, L, size=N).astype(np.int32)
    return AttributeSequences(seq_ptr, item_ptr, attr_ids, attr_vals, y)


@pytest.mark.parametrize("all_states", [False, True])
@pytest.mark.parametrize("all_trans", [False, True])
@pytest.mark.parametrize("min_freq", [0.0, 1.0, 1.5])
def test_index_matches_naive_twin(all_states, all_trans, min_freq):
    rng = np.random.default_rng(7)
    A, L = 12, 4
    data = random_data(rng, A=A, L=L)
    idx = FeatureIndex.build(data, A, L, all_states, all_trans, min_freq)
    states, trans = naive_index(data, A, L, all_states, all_trans, min_freq)
    attrs = np.repeat(np.arange(A), np.diff(idx.feat_ptr))
    got = {
        (int(a), int(b)): f for a, b, f in zip(attrs, idx.feat_label, idx.state_freq, strict=True)
    }
    assert set(got) == set(states)
    for k, v in states.items():
        assert got[k] == pytest.approx(v)
    got_trans = {(k // L, k % L) for k in np.flatnonzero(idx.trans_mask)}
    assert got_trans == trans
    assert idx.n_features == len(states) + len(trans)
    # labels strictly increase within each attribute (CSR invariant)
    for a in range(A):
        labs = idx.feat_label[idx.feat_ptr[a] : idx.feat_ptr[a + 1]]
        assert np.all(np.diff(labs) > 0)


def test_index_requires_labels():
    data = AttributeSequences(
        np.array([0, 1], np.int64),
        np.array([0, 1], np.int64),
        np.array([0], np.int32),
        np.array([1.0]),
        None,
    )
    with pytest.raises(ValueError, match="labelled"):
        FeatureIndex.build(data, 1, 2)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"all_possible_states": True},
        {"all_possible_transitions": True},
        {"all_possible_states": True, "all_possible_transitions": True},
        {"min_freq": 2.0},
        {"min_freq": 2.0, "all_possible_transitions": True},
    ],
)
def test_feature_count_equals_crfsuite(chunk_data, options):
    X, y = chunk_data
    attributes, labels = Vocabulary(), Vocabulary()
    data = encode_dicts(X, attributes, y, labels)
    idx = FeatureIndex.build(data, len(attributes), len(labels), **options)
    params = {
        "feature.possible_states": options.get("all_possible_states", False),
        "feature.possible_transitions": options.get("all_possible_transitions", False),
        "feature.minfreq": options.get("min_freq", 0.0),
    }
    assert idx.n_features == crfsuite_feature_count(X, y, **params)


def test_feature_count_with_real_values_equals_crfsuite():
    # CRFsuite sums attribute values into a feature's frequency and keeps freq >= minfreq
    rng = np.random.default_rng(3)
    X, y = [], []
    for _ in range(40):
        T = int(rng.integers(1, 5))
        X.append(
            [
                {
                    f"a{int(rng.integers(0, 8))}": float(rng.choice([0.5, 1.0, -1.0, 0.0]))
                    for _ in range(3)
                }
                for _ in range(T)
            ]
        )
        y.append([str(rng.choice(["x", "y", "z"])) for _ in range(T)])
    for mf in (0.0, 0.5, 1.0, 2.0):
        for all_states in (False, True):
            attributes, labels = Vocabulary(), Vocabulary()
            data = encode_dicts(X, attributes, y, labels)
            idx = FeatureIndex.build(
                data, len(attributes), len(labels), all_possible_states=all_states, min_freq=mf
            )
            assert idx.n_features == crfsuite_feature_count(
                X, y, **{"feature.minfreq": mf, "feature.possible_states": all_states}
            ), (mf, all_states)


def test_model_parameter_validation():
    labels = Vocabulary(["A", "B"])
    attrs = Vocabulary(["x", "y"])
    ok = dict(
        feat_ptr=np.array([0, 1, 3]),
        feat_label=np.array([1, 0, 1]),
        w=np.zeros(3 + 4),
        trans_mask=np.ones(4, np.uint8),
    )
    LinearChainCRF(labels, attrs, **ok)
    with pytest.raises(ModelError, match="feat_ptr"):
        LinearChainCRF(labels, attrs, **{**ok, "feat_ptr": np.array([0, 3])})
    with pytest.raises(ModelError, match="strictly increasing"):
        LinearChainCRF(labels, attrs, **{**ok, "feat_label": np.array([1, 1, 0])})
    with pytest.raises(ModelError, match="w:"):
        LinearChainCRF(labels, attrs, **{**ok, "w": np.zeros(5)})
    bad_w = np.zeros(7)
    bad_w[0] = np.nan
    with pytest.raises(ModelError, match="finite"):
        LinearChainCRF(labels, attrs, **{**ok, "w": bad_w})
    masked = np.zeros(7)
    masked[3] = 1.0
    with pytest.raises(ModelError, match="trans_mask"):
        LinearChainCRF(
            labels, attrs, **{**ok, "w": masked, "trans_mask": np.array([0, 1, 1, 1], np.uint8)}
        )
    with pytest.raises(ModelError, match="all of"):
        LinearChainCRF(labels, attrs, feat_ptr=ok["feat_ptr"])
    with pytest.raises(ModelError, match="not fitted"):
        LinearChainCRF(labels, attrs).predict(None)


def test_weight_views():
    labels = Vocabulary(["A", "B"])
    attrs = Vocabulary(["x", "y"])
    w = np.array([0.5, -1.0, 2.0, 0.1, 0.2, 0.0, 0.4])
    m = LinearChainCRF(
        labels, attrs, np.array([0, 1, 3]), np.array([1, 0, 1]), w, np.array([1, 1, 0, 1], np.uint8)
    )
    assert m.state_features_ == {("x", "B"): 0.5, ("y", "A"): -1.0, ("y", "B"): 2.0}
    assert m.transition_features_ == {("A", "A"): 0.1, ("A", "B"): 0.2, ("B", "B"): 0.4}
    assert m.transition_weights[1, 1] == 0.4
    assert m.n_features == 6


def test_numba_threads_restores_count():
    import numba

    before = numba.get_num_threads()
    with numba_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(ModelError, match="threads"):
        with numba_threads(10_000):
            pass


# ----------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def encoded(chunk_data):
    X, y = chunk_data
    attributes, labels = Vocabulary(), Vocabulary()
    data = encode_dicts(X, attributes, y, labels)
    return data, attributes.freeze(), labels.freeze()


def test_fit_predict_and_thread_independence(encoded):
    from crftagger.engine.objective import Objective

    data, attributes, labels = encoded
    a = LinearChainCRF(labels, attributes).fit(data, c2=1.0, max_iterations=25, threads=1)
    b = LinearChainCRF(labels, attributes).fit(data, c2=1.0, max_iterations=25, threads=2)
    np.testing.assert_array_equal(a.w, b.w)  # bit-identical for any thread count
    assert len(a.training_log) == 25
    assert a.training_log[-1]["loss"] < a.training_log[0]["loss"]
    # the logged loss is the objective at the returned weights
    obj = Objective(data, a.feat_ptr, a.feat_label, len(labels), c2=1.0, trans_mask=a.trans_mask)
    assert obj(a.w)[0] == pytest.approx(a.training_log[-1]["loss"], rel=1e-12)
    assert a.loss(data, c2=1.0) == pytest.approx(a.training_log[-1]["loss"], rel=1e-9)
    pred = a.predict(data)
    assert pred.dtype == np.int32 and pred.shape == (data.n_items,)
    assert np.mean(pred == data.y) > 0.85
    marg = a.predict_marginals(data)
    np.testing.assert_allclose(marg.sum(axis=1), 1.0, atol=1e-12)
    # Viterbi labels are mostly the per-item argmax of the marginals
    assert np.mean(marg.argmax(axis=1) == pred) > 0.97
    # inactive transitions stay 0
    assert np.all(a.w[a.n_state_features :][a.trans_mask == 0] == 0)


def test_warm_start_continues_from_current_weights(encoded):
    data, attributes, labels = encoded
    m = LinearChainCRF(labels, attributes).fit(data, c2=1.0, max_iterations=15)
    first = m.training_log[-1]["loss"]
    m.fit(data, c2=1.0, max_iterations=3, warm_start=True)
    assert m.training_log[0]["loss"] < first
    cold = LinearChainCRF(labels, attributes).fit(data, c2=1.0, max_iterations=3)
    assert m.training_log[-1]["loss"] < cold.training_log[-1]["loss"]


@pytest.mark.parametrize(
    "algorithm,options",
    [("ap", {"max_iterations": 5}), ("l2sgd", {"c2": 1.0, "max_iterations": 5})],
)
def test_other_algorithms(encoded, algorithm, options):
    data, attributes, labels = encoded
    m = LinearChainCRF(labels, attributes).fit(data, algorithm=algorithm, **options)
    assert len(m.training_log) == 5
    assert np.mean(m.predict(data) == data.y) > 0.85


def test_fit_option_errors(encoded):
    data, attributes, labels = encoded
    m = LinearChainCRF(labels, attributes)
    with pytest.raises(ModelError, match="takes no parameter 'c2'"):
        m.fit(data, algorithm="ap", c2=1.0)
    with pytest.raises(ModelError, match="unknown algorithm"):
        m.fit(data, algorithm="newton")
    with pytest.raises(ModelError, match="c2 must be"):
        m.fit(data, c2=float("nan"))
    unlabelled = AttributeSequences(
        data.seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, None
    )
    with pytest.raises(ValueError, match="labels"):
        m.fit(unlabelled)


def test_empty_sequences_and_likelihood(encoded):
    data, attributes, labels = encoded
    m = LinearChainCRF(labels, attributes).fit(data, c2=1.0, max_iterations=10)
    # insert an empty sequence at the front and in the middle: same predictions, logZ 0
    lengths = np.diff(data.seq_ptr)
    new_lengths = np.concatenate([[0], lengths[:5], [0], lengths[5:]])
    seq_ptr = np.concatenate([[0], np.cumsum(new_lengths)]).astype(np.int64)
    gapped = AttributeSequences(seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, data.y)
    np.testing.assert_array_equal(m.predict(gapped), m.predict(data))
    logz = m.log_partition(gapped)
    assert logz[0] == 0.0 and logz[6] == 0.0
    np.testing.assert_allclose(np.delete(logz, [0, 6]), m.log_partition(data), rtol=1e-12)
    assert m.log_likelihood(gapped) == pytest.approx(m.log_likelihood(data), rel=1e-12)
    # p(y|x) <= 1 for every sequence
    assert np.all(m.sequence_scores(data) <= m.log_partition(data) + 1e-9)
    # training with empty sequences gives the same model
    m2 = LinearChainCRF(labels, attributes).fit(gapped, c2=1.0, max_iterations=10)
    np.testing.assert_array_equal(m2.w, m.w)


def test_save_load_roundtrip(encoded, tmp_path):
    data, attributes, labels = encoded
    m = LinearChainCRF(labels, attributes).fit(data, c2=1.0, max_iterations=5)
    path = tmp_path / "chunk.model"
    m.save(path, header={"c2": 1.0})
    back = LinearChainCRF.load(path)
    np.testing.assert_array_equal(back.w, m.w)
    assert back.labels == m.labels and back.attributes == m.attributes
    np.testing.assert_array_equal(back.predict(data), m.predict(data))
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match=str(path.name)):
        LinearChainCRF.load(path)


def test_bad_data_is_rejected_before_the_kernels(encoded):
    data, attributes, labels = encoded
    m = LinearChainCRF(labels, attributes).fit(data, c2=1.0, max_iterations=2)
    vals = data.attr_vals.copy()
    vals[5] = np.inf
    bad = AttributeSequences(data.seq_ptr, data.item_ptr, data.attr_ids, vals, None)
    with pytest.raises(ValueError, match="finite"):
        m.predict(bad)
    ids = data.attr_ids.copy()
    ids[0] = len(attributes) + 3
    bad = AttributeSequences(data.seq_ptr, data.item_ptr, ids, data.attr_vals, None)
    with pytest.raises(ValueError, match="out of range"):
        m.predict_marginals(bad)
    y = data.y.copy()
    y[0] = len(labels)
    bad = AttributeSequences(data.seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, y)
    with pytest.raises(ValueError, match="label ids"):
        m.log_likelihood(bad)
    with pytest.raises(ValueError, match="expected AttributeSequences"):
        m.predict([[{"a": 1.0}]])


@pytest.mark.parametrize(
    "algorithm,options", [("lbfgs", {"c1": 0.1, "c2": 0.5}), ("ap", {}), ("l2sgd", {"c2": 1.0})]
)
def test_callbacks_get_the_logged_loss_when_they_take_it(algorithm, options):
    data = random_data(np.random.default_rng(7), S=25)
    data.attr_vals = np.abs(data.attr_vals)
    labels = Vocabulary.from_list(list("abcd")).freeze()
    attributes = Vocabulary.from_list([f"x{i}" for i in range(12)]).freeze()
    plain, keyword, kwargs = [], [], []

    def old_style(iteration, w):
        plain.append(iteration)

    def with_loss(iteration, w, loss=None):
        keyword.append(loss)

    def with_kwargs(iteration, w, **info):
        kwargs.append(info["loss"])
        return None, iteration >= 3

    logs = []
    for cb in (old_style, with_loss, with_kwargs):
        m = LinearChainCRF(labels, attributes).fit(
            data, algorithm=algorithm, max_iterations=4, callback=cb, **options
        )
        logs.append([rec["loss"] for rec in m.training_log])
    assert plain == [1, 2, 3, 4]
    assert keyword == logs[1] and len(keyword) == 4
    assert kwargs == logs[2] == logs[1][:3]


def test_warm_start_keep_features_keeps_the_models_features():
    X = [[{"a": 1.0}, {"b": 1.0}], [{"c": 1.0}, {"a": 1.0}]]
    y = [["P", "Q"], ["Q", "P"]]
    attrs, labels = Vocabulary(), Vocabulary()
    data = encode_dicts(X, attrs, y, labels)
    m = LinearChainCRF(labels, attrs).fit(data, c2=0.1, max_iterations=20)
    before = {
        (a, int(lab))
        for a in range(len(attrs))
        for lab in m.feat_label[m.feat_ptr[a] : m.feat_ptr[a + 1]]
    }
    with pytest.raises(ModelError, match="keep_features goes with warm_start"):
        LinearChainCRF(labels, attrs).fit(data, keep_features=True)
    # fine-tune on the first sentence only: 'c' never occurs, its features stay
    part = encode_dicts(X[:1], attrs, y[:1], labels)
    dropped = LinearChainCRF(labels, attrs)
    dropped.set_parameters(m.feat_ptr, m.feat_label, m.w.copy(), m.trans_mask)
    dropped.fit(part, c2=0.1, max_iterations=1, warm_start=True)
    kept = LinearChainCRF(labels, attrs)
    kept.set_parameters(m.feat_ptr, m.feat_label, m.w.copy(), m.trans_mask)
    kept.fit(part, c2=0.1, max_iterations=1, warm_start=True, keep_features=True)
    after = {
        (a, int(lab))
        for a in range(len(attrs))
        for lab in kept.feat_label[kept.feat_ptr[a] : kept.feat_ptr[a + 1]]
    }
    c = attrs.items.index("c")
    assert after == before
    assert any(a == c for a, _ in before)
    assert not any(
        a == c for a in range(len(attrs)) if dropped.feat_ptr[a + 1] > dropped.feat_ptr[a]
    )
