"""crftagger.CRF against sklearn_crfsuite.CRF on the sklearn-crfsuite tutorial workflow."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import sklearn_crfsuite
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from crftagger import CRF
from crftagger.api.crf import CRFError, NotFittedError

PARAMS = dict(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=60, all_possible_transitions=True)


def word2features(sent, i):
    """The sklearn-crfsuite tutorial's features (CoNLL-2002: word, POS)."""
    word, pos = sent[i]
    features = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word[-3:]": word[-3:],
        "word[-2:]": word[-2:],
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
        "postag": pos,
        "postag[:2]": pos[:2],
    }
    if i > 0:
        w1, p1 = sent[i - 1]
        features.update(
            {
                "-1:word.lower()": w1.lower(),
                "-1:word.istitle()": w1.istitle(),
                "-1:word.isupper()": w1.isupper(),
                "-1:postag": p1,
                "-1:postag[:2]": p1[:2],
            }
        )
    else:
        features["BOS"] = True
    if i < len(sent) - 1:
        w1, p1 = sent[i + 1]
        features.update(
            {
                "+1:word.lower()": w1.lower(),
                "+1:word.istitle()": w1.istitle(),
                "+1:word.isupper()": w1.isupper(),
                "+1:postag": p1,
                "+1:postag[:2]": p1[:2],
            }
        )
    else:
        features["EOS"] = True
    return features


def _featurise(sentences):
    X, y = [], []
    for s in sentences:
        pairs = list(zip(s.tokens, s["pos"], strict=True))
        X.append([word2features(pairs, i) for i in range(len(pairs))])
        y.append(list(s["ner"]))
    return X, y


@pytest.fixture(scope="module")
def data(data_dir):
    from crftagger.corpora import registry

    train = list(itertools.islice(registry.iterate("conll2002_es", "train", data_dir), 300))
    test = list(itertools.islice(registry.iterate("conll2002_es", "test", data_dir), 200))
    return _featurise(train), _featurise(test)


@pytest.fixture(scope="module")
def fitted(data):
    (X, y), _ = data
    return {
        "sklearn": sklearn_crfsuite.CRF(**PARAMS).fit(X, y),
        "numba": CRF(**PARAMS).fit(X, y),
        "crfsuite": CRF(engine="crfsuite", **PARAMS).fit(X, y),
    }


def _flat(seqs):
    return [t for s in seqs for t in s]


def _agreement(a, b):
    fa, fb = _flat(a), _flat(b)
    assert len(fa) == len(fb)
    return np.mean([u == v for u, v in zip(fa, fb, strict=True)])


@pytest.mark.parametrize("engine", ["numba", "crfsuite"])
def test_predictions_agree_with_sklearn_crfsuite(fitted, data, engine):
    _, (Xt, yt) = data
    ref = fitted["sklearn"].predict(Xt)
    ours = fitted[engine].predict(Xt)
    assert _agreement(ref, ours) >= 0.99
    assert fitted[engine].score(Xt, yt) == pytest.approx(fitted["sklearn"].score(Xt, yt), abs=0.01)
    assert sorted(fitted[engine].classes_) == sorted(fitted["sklearn"].classes_)
    assert fitted[engine].predict_single(Xt[0]) == ours[0]


def test_fitted_attributes_match_crfsuite(fitted):
    ref, ours = fitted["sklearn"], fitted["numba"]
    assert set(ours.state_features_) == set(ref.state_features_)
    assert set(ours.transition_features_) == set(ref.transition_features_)
    for key in list(ref.state_features_)[:200]:
        assert ours.state_features_[key] == pytest.approx(ref.state_features_[key], abs=1e-3)
    assert sorted(ours.attributes_) == sorted(ref.attributes_)
    assert ours.size_ > 0
    log = ours.training_log_
    assert log.last_iteration["iteration"] == len(log) and log[-1]["loss"] > 0
    assert ours.training_log_[-1]["loss"] == pytest.approx(
        ref.training_log_.last_iteration["loss"], rel=1e-3
    )


def test_marginals_agree_between_engines(fitted, data):
    _, (Xt, _yt) = data
    a = fitted["numba"].predict_marginals(Xt[:20])
    b = fitted["crfsuite"].predict_marginals(Xt[:20])
    for sa, sb in zip(a, b, strict=True):
        for da, db in zip(sa, sb, strict=True):
            assert sum(da.values()) == pytest.approx(1.0)
            for lab in db:
                assert da[lab] == pytest.approx(db[lab], abs=1e-3)
    assert fitted["numba"].predict_marginals_single(Xt[0]) == a[0]


@pytest.mark.parametrize("engine", ["numba", "crfsuite"])
def test_pickle_round_trip(fitted, data, engine):
    _, (Xt, _yt) = data
    est = fitted[engine]
    again = pickle.loads(pickle.dumps(est))
    assert again.predict(Xt) == est.predict(Xt)
    assert again.get_params() == est.get_params()
    assert again.classes_ == est.classes_


def test_model_file_round_trip(fitted, data, tmp_path):
    _, (Xt, _yt) = data
    est = fitted["numba"]
    path = est.save(tmp_path / "m.crftagger")
    again = CRF.load(path)
    assert again.predict(Xt) == est.predict(Xt)
    assert again.c1 == est.c1 and again.engine == "numba"
    # a CRFsuite model file: kept as is, or imported into the numba engine
    cs = fitted["crfsuite"]
    cpath = cs.save(tmp_path / "m.crfsuite")
    assert CRF.load(cpath).predict(Xt) == cs.predict(Xt)
    imported = CRF.load(cpath, engine="numba")
    assert _agreement(imported.predict(Xt), cs.predict(Xt)) == 1.0


def test_clone_and_grid_search(data):
    (X, y), _ = data
    est = CRF(algorithm="lbfgs", max_iterations=15, c1=0.1)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and twin is not est
    with pytest.raises(NotFittedError):
        twin.predict(X[:1])
    search = GridSearchCV(est, {"c1": [0.0, 0.1], "c2": [0.01, 1.0]}, cv=2)
    search.fit(X[:120], y[:120])
    assert set(search.best_params_) == {"c1", "c2"}
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert 0.5 < search.best_score_ <= 1.0
    assert search.best_estimator_.predict(X[:2])[0]


def test_dev_data_and_other_algorithms(data):
    (X, y), _ = data
    est = CRF(max_iterations=5).fit(X[:80], y[:80], X_dev=X[80:120], y_dev=y[80:120])
    assert all("dev_accuracy" in rec for rec in est.training_log_)
    ap = CRF(algorithm="ap", max_iterations=3).fit(X[:80], y[:80])
    sgd = CRF(algorithm="l2sgd", max_iterations=3, c2=1.0, calibration_samples=50).fit(
        X[:80], y[:80]
    )
    for model in (ap, sgd):
        assert len(model.predict(X[:5])) == 5


def test_empty_sequences_and_input_checks(fitted):
    est = fitted["numba"]
    assert est.predict([[], [{"bias": 1.0}]])[0] == []
    with pytest.raises(CRFError, match="finite"):
        est.predict([[{"bias": float("nan")}]])
    with pytest.raises(CRFError, match="sequence 0: 1 items but 2 labels"):
        CRF().fit([[{"a": 1}]], [["A", "B"]])
    with pytest.raises(CRFError, match="order=2 needs engine='numba' and algorithm 'lbfgs'"):
        CRF(algorithm="pa", order=2).fit([[{"a": 1}]], [["A"]])
    with pytest.raises(CRFError, match="takes no parameter 'calibration_eta'"):
        CRF(calibration_eta=0.1).fit([[{"a": 1}]], [["A"]])
    with pytest.raises(CRFError, match="both X_dev and y_dev"):
        CRF().fit([[{"a": 1}]], [["A"]], X_dev=[[{"a": 1}]])
    with pytest.raises(CRFError, match="linesearch must be one of"):
        CRF(engine="crfsuite", linesearch="Foo").fit([[{"a": 1}]], [["A"]])
    with pytest.raises(CRFError, match="unknown engine"):
        CRF(engine="gpu").fit([[{"a": 1}]], [["A"]])
    with pytest.raises(CRFError, match="item 0"):
        est.predict([["ok", 3]])
    # generators, as sklearn-crfsuite's fit reads them
    gen = CRF(max_iterations=3).fit(
        (x for x in [[{"a": 1}], [{"b": 1}]]), (y for y in [["A"], ["B"]])
    )
    assert gen.predict(iter([[{"b": 1}]])) == [["B"]]
    # nested dicts and lists of strings, as python-crfsuite reads them
    m = CRF(max_iterations=5).fit(
        [[{"w": {"lower": 1.0}, "tags": ["x", "y"]}, {"w": "b"}]], [["A", "B"]]
    )
    assert m.predict([[{"w": {"lower": 1.0}}]]) == [["A"]]


def test_passive_aggressive_needs_and_runs_on_crfsuite(data):
    (X, y), _ = data
    est = CRF(engine="crfsuite", algorithm="pa", pa_type=1, c=1.0, max_iterations=3).fit(
        X[:50], y[:50]
    )
    assert len(est.predict(X[:3])) == 3


def test_verbose_progress_reports_the_training_loss(data, capsys):
    from crftagger.api.crf import ProgressCallback
    from crftagger.engine.encoding import Vocabulary, encode_dicts
    from crftagger.engine.model import LinearChainCRF

    (X, y), _ = data
    for c1 in (0.0, 0.1):
        attributes, labels = Vocabulary(), Vocabulary()
        train = encode_dicts(X[:60], attributes, y[:60], labels)
        model = LinearChainCRF(labels.freeze(), attributes.freeze())
        cb = ProgressCallback(model)
        model.fit(train, c1=c1, c2=0.5, max_iterations=8, callback=cb)
        for rec, ours in zip(model.training_log, cb.records, strict=True):
            assert ours["loss"] == rec["loss"]  # handed over by the trainer, not recomputed
        regularised = model.loss(train, c2=0.5) + c1 * np.abs(model.w).sum()
        assert cb.records[-1]["loss"] == pytest.approx(regularised, rel=1e-9)
    CRF(verbose=True, max_iterations=3).fit(X[:30], y[:30], X_dev=X[30:40], y_dev=y[30:40])
    err = capsys.readouterr().err
    assert "training" in err and "loss" in err and "dev_accuracy" in err


def test_model_filename_writes_the_engines_file(data, tmp_path):
    (X, y), (Xt, _yt) = data
    cs = CRF(engine="crfsuite", max_iterations=5, model_filename=str(tmp_path / "m.crfsuite")).fit(
        X[:50], y[:50]
    )
    import pycrfsuite

    ref = pycrfsuite.Tagger()
    ref.open(str(tmp_path / "m.crfsuite"))
    assert [ref.tag(x) for x in Xt[:10]] == cs.predict(Xt[:10])
    # the numba engine writes a CRFsuite file too: sklearn-crfsuite and CRFsuite read it
    nb = CRF(max_iterations=5, model_filename=str(tmp_path / "nb.crfsuite")).fit(X[:50], y[:50])
    ref = pycrfsuite.Tagger()
    ref.open(str(tmp_path / "nb.crfsuite"))
    assert [ref.tag(x) for x in Xt[:10]] == nb.predict(Xt[:10])
    assert nb.size_ == (tmp_path / "nb.crfsuite").stat().st_size
    reread = sklearn_crfsuite.CRF(model_filename=str(tmp_path / "nb.crfsuite"))
    assert list(reread.predict(Xt[:10])) == nb.predict(Xt[:10])
    assert CRF(model_filename=str(tmp_path / "nb.crfsuite")).predict(Xt[:10]) == nb.predict(Xt[:10])
    assert CRF.load(tmp_path / "nb.crfsuite").predict(Xt[:10]) == nb.predict(Xt[:10])
