"""The two engines behind ``crftagger.CRF`` (numba and CRFsuite), and their input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import read_conll2000

from crftagger.api.crf import CRF
from crftagger.engine.encoding import Vocabulary, encode_dicts
from crftagger.engine.engines import CRFsuiteEngine, NumbaEngine, get_engine
from crftagger.errors import CRFError

pytest.importorskip("pycrfsuite")


def numba_crf(**params):
    return CRF(engine="numba", **params)


def crfsuite_crf(**params):
    return CRF(engine="crfsuite", **params)


numba_crf.engine = "numba"
crfsuite_crf.engine = "crfsuite"
ENGINES = [numba_crf, crfsuite_crf]


def window_attributes(sent):
    out = []
    T = len(sent)
    for t in range(T):
        a = {"w[0]": sent[t][0].lower(), "pos[0]": sent[t][1], "bias": 1.0}
        if t > 0:
            a["w[-1]"] = sent[t - 1][0].lower()
            a["pos[-1]"] = sent[t - 1][1]
        if t < T - 1:
            a["w[1]"] = sent[t + 1][0].lower()
            a["pos[1]"] = sent[t + 1][1]
        out.append(a)
    return out


@pytest.fixture(scope="module")
def chunks(data_dir):
    path = data_dir / "conll2000" / "train.txt"
    train = read_conll2000(path, 600)
    held = read_conll2000(path, 250, skip=600)
    return (
        [window_attributes(s) for s in train],
        [[r[2] for r in s] for s in train],
        [window_attributes(s) for s in held],
        [[r[2] for r in s] for s in held],
    )


TINY_X = [[{"a": 1.0, "b": "x"}, {"c": 0.5}], [{"a": 1.0}], [{"c": 1.0}, {"b": "y"}, {"a": 2.0}]]
TINY_Y = [["P", "Q"], ["P"], ["Q", "Q", "P"]]


# ----------------------------------------------------------------------------- crfsuite engine
def test_crfsuite_engine_fit_predict_and_log(chunks):
    X, y, Xh, yh = chunks
    be = crfsuite_crf(c2=1.0, max_iterations=30).fit(X[:200], y[:200], Xh[:50], yh[:50])
    assert be.classes_[0] == y[0][0]
    assert len(be.training_log_) == 30
    losses = [r["loss"] for r in be.training_log_]
    assert losses[-1] < losses[0]
    assert be.final_loss_ == losses[-1]
    assert all(0.0 <= r["dev_accuracy"] <= 1.0 for r in be.training_log_)
    pred = be.predict(Xh)
    assert [len(p) for p in pred] == [len(s) for s in Xh]
    assert be.score(Xh, yh) > 0.8
    marg = be.predict_marginals(Xh[:3])
    assert set(marg[0][0]) == set(be.classes_)
    assert math.isclose(sum(marg[0][0].values()), 1.0, rel_tol=1e-9)
    # with L2 only, no weight is exactly 0, so the file keeps every feature
    assert be.n_features_ == be.model_.n_features


# ----------------------------------------------------------------------------- both engines
@pytest.mark.parametrize("engine", ENGINES)
def test_list_and_encoded_input_give_the_same_model(engine):
    attributes, labels = Vocabulary(), Vocabulary()
    data = encode_dicts(TINY_X, attributes, TINY_Y, labels)
    attributes.freeze()
    a = engine(c2=0.1, max_iterations=20).fit(TINY_X, TINY_Y)
    b = engine(c2=0.1, max_iterations=20).fit(data, TINY_Y, attributes=attributes)
    assert a.predict(TINY_X) == b.predict(TINY_X)
    assert a.classes_ == b.classes_ == ["P", "Q"]
    ma, mb = a.predict_marginals_array(TINY_X), b.predict_marginals_array(TINY_X)
    for u, v in zip(ma, mb, strict=True):
        np.testing.assert_allclose(u, v, atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_sequences_are_allowed(engine):
    X = TINY_X + [[]]
    y = TINY_Y + [[]]
    be = engine(c2=0.1, max_iterations=10).fit(X, y)
    pred = be.predict([[], TINY_X[0], []])
    assert pred[0] == [] and pred[2] == [] and len(pred[1]) == 2
    marg = be.predict_marginals_array([[]])
    assert marg[0].shape == (0, 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_input_is_rejected(engine):
    be = engine(c2=0.1, max_iterations=5)
    with pytest.raises(CRFError, match="y has 2 label sequences for 3 sequences"):
        be.fit(TINY_X, TINY_Y[:2])
    with pytest.raises(CRFError, match="sequence 0: 2 items but 1 labels"):
        be.fit(TINY_X, [["P"], ["P"], ["Q", "Q", "P"]])
    with pytest.raises(CRFError, match="finite"):
        be.fit([[{"a": float("nan")}]], [["P"]])
    with pytest.raises(CRFError, match="finite"):
        be.fit([[{"a": float("inf")}]], [["P"]])
    with pytest.raises(CRFError, match="is not a non-empty string"):
        be.fit([[{"a": 1.0}]], [[3]])
    with pytest.raises(CRFError, match="expected a dict"):
        be.fit([["abc"]], [["P"]])
    with pytest.raises(CRFError, match="not fitted"):
        be.predict(TINY_X)
    with pytest.raises(CRFError, match="takes no parameter 'c2'"):
        engine(algorithm="ap", c2=1.0).fit(TINY_X, TINY_Y)
    with pytest.raises(CRFError, match="unknown algorithm"):
        engine(algorithm="newton").fit(TINY_X, TINY_Y)
    with pytest.raises(CRFError, match="c2 must be"):
        engine(c2=-1.0).fit(TINY_X, TINY_Y)
    be.fit(TINY_X, TINY_Y)
    with pytest.raises(CRFError, match="finite"):
        be.predict([[{"a": float("nan")}]])
    # CRFsuite would add dev labels unseen in training to the model: refused; the numba
    # engine counts them as errors in its dev scores
    if engine.engine == "crfsuite":
        with pytest.raises(CRFError, match="label 'R' .*not in the training labels"):
            engine(c2=0.1, max_iterations=5).fit(TINY_X, TINY_Y, TINY_X[:1], [["P", "R"]])
    else:
        dev = engine(c2=0.1, max_iterations=5).fit(TINY_X, TINY_Y, TINY_X[:1], [["P", "R"]])
        assert all(r["dev_accuracy"] <= 0.5 for r in dev.training_log_)
    # an unseen gold label counts as an error when scoring
    assert be.score(TINY_X[1:2], [["R"]]) == 0.0


def test_get_engine():
    assert isinstance(get_engine("numba"), NumbaEngine)
    assert isinstance(get_engine("crfsuite"), CRFsuiteEngine)
    with pytest.raises(CRFError, match="unknown engine"):
        get_engine("wapiti")
    with pytest.raises(CRFError, match="unknown engine"):
        CRF(engine="wapiti").fit(TINY_X, TINY_Y)


def test_engines_agree_after_training(chunks):
    X, y, Xh, yh = chunks
    ours = numba_crf(c2=1.0).fit(X, y)
    ref = crfsuite_crf(c2=1.0).fit(X, y)
    assert ours.classes_ == ref.classes_
    assert ours.n_features_ == ref.n_features_
    # same optimiser and stopping rule on the same objective
    assert ours.final_loss_ == pytest.approx(ref.final_loss_, rel=1e-4)
    p_ours, p_ref = ours.predict(Xh), ref.predict(Xh)
    same = [a == b for s, r in zip(p_ours, p_ref, strict=True) for a, b in zip(s, r, strict=True)]
    assert np.mean(same) >= 0.995
    assert ours.score(Xh, yh) == pytest.approx(ref.score(Xh, yh), abs=0.005)
    for m_ours, m_ref in zip(
        ours.predict_marginals_array(Xh[:20]), ref.predict_marginals_array(Xh[:20]), strict=True
    ):
        np.testing.assert_allclose(m_ours, m_ref, atol=1e-2)


@pytest.mark.parametrize(
    "options",
    [{"min_freq": 2.0}, {"all_possible_transitions": True}, {"all_possible_states": True}],
)
def test_engines_build_the_same_features(chunks, options):
    X, y, _, _ = chunks
    ours = numba_crf(c2=1.0, max_iterations=2, **options).fit(X[:150], y[:150])
    ref = crfsuite_crf(c2=1.0, max_iterations=2, **options).fit(X[:150], y[:150])
    assert ours.n_features_ == ref.n_features_


def test_dev_scores_in_both_logs(chunks):
    X, y, Xh, yh = chunks
    logs = {}
    for engine in ENGINES:
        be = engine(c2=1.0, max_iterations=8).fit(X[:200], y[:200], Xh[:100], yh[:100])
        logs[engine.engine] = [r["dev_accuracy"] for r in be.training_log_]
    assert len(logs["numba"]) == len(logs["crfsuite"]) == 8
    np.testing.assert_allclose(logs["numba"], logs["crfsuite"], atol=2e-3)


def test_engines_agree_with_l1(chunks):
    # OWL-QN (c1 > 0) follows the same path as CRFsuite's: same loss, same sparsity
    X, y, Xh, _ = chunks
    ours = numba_crf(c1=0.5, c2=0.01, max_iterations=50).fit(X[:300], y[:300])
    ref = crfsuite_crf(c1=0.5, c2=0.01, max_iterations=50).fit(X[:300], y[:300])
    assert ours.final_loss_ == pytest.approx(ref.final_loss_, rel=1e-3)
    n_ours = ours.training_log_[-1]["active_features"]
    n_ref = ref.training_log_[-1]["active_features"]
    assert abs(n_ours - n_ref) <= 0.02 * n_ref
    assert n_ours < 0.5 * ours.n_features_  # L1 really zeroes weights
    assert np.count_nonzero(ours.model_.w) == n_ours
    p_ours, p_ref = ours.predict(Xh), ref.predict(Xh)
    same = [a == b for s, r in zip(p_ours, p_ref, strict=True) for a, b in zip(s, r, strict=True)]
    assert np.mean(same) >= 0.99
